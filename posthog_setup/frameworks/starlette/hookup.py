"""Hook PostHog into a Starlette app: the ASGI middleware, and a flush when the app stops.

``Middleware(PosthogASGIMiddleware, client=posthog_client)`` joins the app's own
``middleware=[...]`` list (given inline, or a list bound beside the app); an app
without one gets ``app.add_middleware(...)`` right after it is created.
``codemods.lifespan`` says where the client's queue is sent.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, parse_module, statement
from posthog_setup.codemods.hookup_common import (
    AppCreation,
    StatementEdits,
    add_imports,
    appended,
    apply,
    bound_before_app,
    find_app_creation,
    mentions,
)
from posthog_setup.codemods.lifespan import flush_with_app

MIDDLEWARE = "PosthogASGIMiddleware"
MIDDLEWARE_MODULE = "posthog.integrations.asgi"
_STARLETTE = "starlette.applications.Starlette"


def hook_up_starlette(source: str, path: str, app: AppObject, client: ClientImport) -> str:
    """Add the PostHog ASGI middleware to ``app`` and flush the client when the app stops.

    Each part is skipped when the module already has it, so a second run changes nothing.
    Raises EditError (naming ``path``) when the creation statement, or the ``yield`` of
    its lifespan, cannot be found.
    """
    module = parse_module(source, path)
    if not mentions(module, MIDDLEWARE):
        wrapper = MetadataWrapper(module)
        creation = find_app_creation(wrapper, app, _STARLETTE, path)
        edits = StatementEdits()
        imports = [(MIDDLEWARE_MODULE, MIDDLEWARE)]
        wrapper_class = _imported_name(wrapper.module, "starlette.middleware", "Middleware")
        if _into_middleware_list(creation, edits, wrapper_class or "Middleware", client):
            if wrapper_class is None:
                imports.append(("starlette.middleware", "Middleware"))
        else:
            call = f"{creation.variable}.add_middleware({client.arguments(MIDDLEWARE)})"
            edits.insert_after(creation.statement, statement(call, wrapper.module))
        module = add_imports(apply(wrapper.module, edits), client, *imports)
    # A second pass: the flush may rewrite the statement the middleware went into.
    wrapper = MetadataWrapper(module)
    creation = find_app_creation(wrapper, app, _STARLETTE, path)
    edits = StatementEdits()
    imports = flush_with_app(wrapper, creation, edits, path, client.name)
    if not edits.empty:
        module = add_imports(apply(wrapper.module, edits), client, *imports)
    return source if module.code == source else module.code


def _imported_name(module: cst.Module, source: str, name: str) -> str | None:
    """The name ``from <source> import <name> [as alias]`` binds at the top of the module."""
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if (
                isinstance(small, cst.ImportFrom)
                and small.module is not None
                and get_full_name_for_node(small.module) == source
                and not isinstance(small.names, cst.ImportStar)
            ):
                for alias in small.names:
                    if get_full_name_for_node(alias.name) == name:
                        return alias.evaluated_alias or name
    return None


def _into_middleware_list(
    creation: AppCreation, edits: StatementEdits, wrapper: str, client: ClientImport
) -> bool:
    """Plan the middleware as the last entry of the app's ``middleware=[...]`` list, inline or
    bound to a name beside the app; False when the app has no such list."""
    value = next(
        (a.value for a in creation.call.args if a.keyword and a.keyword.value == "middleware"),
        None,
    )
    if isinstance(value, cst.Name):
        value = bound_before_app(creation, value.value)
    if not isinstance(value, cst.List) or not all(
        isinstance(e, cst.Element) for e in value.elements
    ):
        return False
    entry = cst.parse_expression(f"{wrapper}({client.arguments(MIDDLEWARE)})")
    edits.replace[value] = appended(value, cst.Element(entry))
    return True
