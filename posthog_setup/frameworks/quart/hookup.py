"""Hook PostHog into a Quart app: the ASGI middleware around ``app.asgi_app``, and a
receiver of ``got_request_exception`` that captures unhandled errors.

Quart answers an unhandled error with a 500 inside the app, so the middleware never sees
it; Quart sends ``got_request_exception`` first, with the error itself (a 500 handler
only gets ``InternalServerError``). Both lines go right after the app is created and
configured, before blueprints are registered and before a factory returns the app; the
receiver is a module-level function, defined before the app (or its factory). Never
``PosthogFlaskIntegration``: it needs Flask's request globals and fails on every request.
"""

from __future__ import annotations

from libcst.metadata import MetadataWrapper

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, parse_module, statement
from posthog_setup.codemods.hookup_common import (
    StatementEdits,
    add_imports,
    after_configuration,
    apply,
    define_before_app,
    find_app_creation,
    free_name,
    mentions,
)

MIDDLEWARE = "PosthogASGIMiddleware"
MIDDLEWARE_MODULE = "posthog.integrations.asgi"
SIGNAL = "got_request_exception"
RECEIVER = "capture_server_error"


def hook_up_quart(source: str, path: str, app: AppObject, client: ClientImport) -> str:
    """Wrap ``app.asgi_app`` in the PostHog middleware and capture unhandled errors.

    Returns ``source`` unchanged when the module already mentions the middleware. Raises
    EditError (naming ``path``) when the creation statement cannot be found.
    """
    module = parse_module(source, path)
    if mentions(module, MIDDLEWARE):
        return source
    wrapper = MetadataWrapper(module)
    creation = find_app_creation(wrapper, app, "quart.Quart", path)
    module = wrapper.module
    app_name = creation.variable
    receiver = free_name(module, RECEIVER)
    edits = StatementEdits()
    edits.insert_after(
        after_configuration(creation),
        statement(
            f"{app_name}.asgi_app = {MIDDLEWARE}({client.arguments(f'{app_name}.asgi_app')})",
            module,
        ),
        statement(f"{SIGNAL}.connect({receiver}, {app_name})", module),
    )
    indent = module.default_indent
    function = statement(
        f"async def {receiver}(sender: object, exception: BaseException, **extra: object) -> None:\n"
        f'{indent}"""Send an error no handler caught to PostHog (Quart answers it with a 500)."""\n'
        f"{indent}{client.name}.capture_exception(exception)\n",
        module,
    )
    define_before_app(edits, module, creation, function)
    edited = apply(module, edits)
    return add_imports(
        edited, client, (MIDDLEWARE_MODULE, MIDDLEWARE), ("quart.signals", SIGNAL)
    ).code
