"""Hook PostHog into an aiohttp application: the generated middleware, and a flush on cleanup.

``posthog_middleware`` (rendered from ``templates/aiohttp_middleware.py.j2`` into a module
beside the client module) becomes the last entry of the application's ``middlewares=[...]``
list, given inline or bound to a name beside the app: the innermost one, so it sees a
handler's exception before an error-handling middleware of the project answers it. An
application created without the list gets ``middlewares=[posthog_middleware]``; one whose
middlewares are not a literal list gets ``app.middlewares.append(...)`` after it is created.
``app.on_cleanup.append(posthog_cleanup)`` follows the creation, at module level or in the
factory (``async def init_app()``), so queued events are sent when the app shuts down.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, NeededImport, parse_module, statement
from posthog_setup.codemods.base import add_imports as base_add_imports
from posthog_setup.codemods.find import find_all, is_method_call, is_name
from posthog_setup.codemods.hookup_common import (
    AppCreation,
    StatementEdits,
    appended,
    apply,
    bound_before_app,
    find_app_creation,
    insert_element,
)
from posthog_setup.templating import render

MIDDLEWARE = "posthog_middleware"
CLEANUP = "posthog_cleanup"
#: the generated module's file name, beside the client module
MODULE_FILE = "posthog_aiohttp.py"
_APPLICATION = "aiohttp.web.Application"
_APPLICATION_MODULES = ("aiohttp.web.Application", "aiohttp.web_app.Application")


def middleware_module(client: ClientImport) -> ClientImport:
    """How a module imports the generated middleware module, given how it imports the client."""
    package, _, _ = client.module.rpartition(".")
    name = MODULE_FILE.removesuffix(".py")
    return ClientImport(f"{package}.{name}" if package else name, client.relative)


def render_middleware_module(client: ClientImport, *, security: bool) -> str:
    """The source of the generated middleware module; ``security``: the project logs users in
    with aiohttp_security, whose identity goes on server errors."""
    source = render(
        "aiohttp_middleware.py.j2", client_import=client.generated_source(), security=security
    )
    return source.rstrip("\n") + "\n"


def hook_up_aiohttp(source: str, path: str, app: AppObject, imported: ClientImport) -> str:
    """Add ``posthog_middleware`` to ``app`` and flush the client on cleanup.

    ``imported`` is how this file imports the generated middleware module. Each part is
    skipped when the module already has it, so a second run changes nothing. Raises
    EditError (naming ``path``) when the creation statement cannot be found.
    """
    module = parse_module(source, path)
    names: list[str] = []
    wrapper = MetadataWrapper(module)
    edits = StatementEdits()
    creation: AppCreation | None = None
    # Where the names are used, not merely imported: an import alone hooks nothing up.
    if not _uses(module, MIDDLEWARE, in_list=True):
        creation = _creation(wrapper, app, path)
        if not _into_middleware_list(creation, edits):
            line = f"{creation.variable}.middlewares.append({MIDDLEWARE})"
            edits.insert_after(creation.statement, statement(line, wrapper.module))
        names.append(MIDDLEWARE)
    if not _uses(module, CLEANUP, in_list=False):
        creation = creation or _creation(wrapper, app, path)
        line = f"{creation.variable}.on_cleanup.append({CLEANUP})"
        edits.insert_after(creation.statement, statement(line, wrapper.module))
        names.append(CLEANUP)
    if edits.empty:
        return source
    edited = base_add_imports(
        apply(wrapper.module, edits),
        [NeededImport(imported.module, name, imported.relative) for name in names],
    )
    return edited.code


def _uses(module: cst.Module, name: str, *, in_list: bool) -> bool:
    """Is ``name`` appended somewhere (``app.on_cleanup.append(name)``), or (``in_list``) an
    element of a list (``middlewares=[..., name]``)?"""
    if find_all(
        module,
        cst.Call,
        lambda call: (
            is_method_call(call, "append")
            and len(call.args) == 1
            and is_name(call.args[0].value, name)
        ),
    ):
        return True
    return in_list and bool(
        find_all(
            module,
            cst.List,
            lambda listed: any(
                isinstance(e, cst.Element) and is_name(e.value, name) for e in listed.elements
            ),
        )
    )


def _creation(wrapper: MetadataWrapper, app: AppObject, path: str) -> AppCreation:
    """Where ``app`` is created: at module level, in its factory, or (an app a function or
    method builds and serves itself) in the function whose body holds its line."""
    if app.factory is None and ".<locals>." in app.name:
        found = _local_creation(wrapper, app)
        if found is not None:
            return found
    return find_app_creation(wrapper, app, _APPLICATION, path)


def _local_creation(wrapper: MetadataWrapper, app: AppObject) -> AppCreation | None:
    variable = app.name.rsplit(".", 1)[-1]
    positions = wrapper.resolve(PositionProvider)
    parents = wrapper.resolve(ParentNodeProvider)
    for node, position in positions.items():
        if not (
            isinstance(node, cst.SimpleStatementLine)
            and position.start.line == app.line
            and len(node.body) == 1
            and isinstance(node.body[0], cst.Assign)
            and isinstance(node.body[0].value, cst.Call)
            and any(
                isinstance(t.target, cst.Name) and t.target.value == variable
                for t in node.body[0].targets
            )
        ):
            continue
        block = parents.get(node)
        function = parents.get(block) if block is not None else None
        if isinstance(block, cst.IndentedBlock) and isinstance(function, cst.FunctionDef):
            call = node.body[0].value
            return AppCreation(node, call, variable, tuple(block.body), function)
    return None


def _into_middleware_list(creation: AppCreation, edits: StatementEdits) -> bool:
    """Plan the middleware as the last entry of the app's ``middlewares`` list (inline, or
    bound to a name before the app), or as a new ``middlewares=[...]`` argument; False when
    the app's middlewares are something else (a tuple, a call)."""
    argument = next(
        (a for a in creation.call.args if a.keyword and a.keyword.value == "middlewares"), None
    )
    if argument is None:
        new = cst.Arg(
            keyword=cst.Name("middlewares"),
            value=cst.parse_expression(f"[{MIDDLEWARE}]"),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        )
        args = list(creation.call.args)
        if args:
            args, _ = insert_element(args, len(args) - 1, new, creation.call.whitespace_before_args)
        else:
            args = [new]
        edits.replace[creation.call] = creation.call.with_changes(args=args)
        return True
    value: cst.BaseExpression | None = argument.value
    if isinstance(value, cst.Name):
        value = bound_before_app(creation, value.value)
    if not isinstance(value, cst.List) or not all(
        isinstance(e, cst.Element) for e in value.elements
    ):
        return False
    edits.replace[value] = appended(value, cst.Element(cst.Name(MIDDLEWARE)))
    return True
