"""Hook PostHog into a FastAPI app: the ASGI middleware, and a flush when the app stops.

``app.add_middleware(PosthogASGIMiddleware, client=posthog_client)`` goes right
after the app is created; ``codemods.lifespan`` says where the client's queue is sent.
"""

from __future__ import annotations

from libcst.metadata import MetadataWrapper

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, parse_module, statement
from posthog_setup.codemods.hookup_common import (
    StatementEdits,
    add_imports,
    apply,
    find_app_creation,
    mentions,
)
from posthog_setup.codemods.lifespan import flush_with_app

MIDDLEWARE = "PosthogASGIMiddleware"
MIDDLEWARE_MODULE = "posthog.integrations.asgi"


def hook_up_fastapi(
    source: str, path: str, app: AppObject, client: ClientImport, *, lifespan: bool = True
) -> str:
    """Add the PostHog ASGI middleware to ``app`` and flush the client when the app stops
    (in a new lifespan only where ``lifespan``: see ``codemods.lifespan``).

    Each part is skipped when the module already has it (the middleware is
    mentioned; ``posthog_client.flush()`` or ``shutdown()`` is called), so a second run changes
    nothing. Raises EditError (naming ``path``) when the creation statement, or
    the ``yield`` of its lifespan, cannot be found.
    """
    module = parse_module(source, path)
    wrapper = MetadataWrapper(module)
    creation = find_app_creation(wrapper, app, "fastapi.FastAPI", path)
    module = wrapper.module
    edits = StatementEdits()
    imports: list[tuple[str, str]] = []
    if not mentions(module, MIDDLEWARE):
        middleware = f"{creation.variable}.add_middleware({client.arguments(MIDDLEWARE)})"
        edits.insert_after(creation.statement, statement(middleware, module))
        imports.append((MIDDLEWARE_MODULE, MIDDLEWARE))
    imports.extend(flush_with_app(wrapper, creation, edits, path, client.name, lifespan=lifespan))
    if edits.empty:
        return source
    return add_imports(apply(module, edits), client, *imports).code
