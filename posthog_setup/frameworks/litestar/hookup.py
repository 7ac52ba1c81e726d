"""Hook PostHog into a Litestar app, in the arguments of its ``Litestar(...)`` call.

- ``middleware=[DefineMiddleware(PosthogASGIMiddleware, client=posthog_client), ...]``: first,
  so every layer inside runs in the request's PostHog context;
- ``after_exception=[..., capture_server_error]``: Litestar turns exceptions into responses
  inside its own stack, so no middleware sees them; the hook (written beside the app)
  sends the ones that answer 5xx and that no exception handler of the app answers (those
  capture in their own body);
- ``on_shutdown=[..., flush_posthog]``: the queue is sent when the app stops. Not
  ``shutdown()``: a shut-down client cannot be reused, and a test suite may start the app
  many times; the client module shuts the client down when the process exits.

An existing list gets the new element; a value that is not a list literal is kept behind
it (``[new, *value]``). The call is found by what it resolves to, at module level or in
the factory that builds the app, so an app returned directly (``return Litestar(...)``) is
found too.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import (
    ClientImport,
    EditError,
    parse_module,
    statement,
)
from posthog_setup.codemods.find import find_all, is_attribute, is_name
from posthog_setup.codemods.hookup_common import (
    StatementEdits,
    add_imports,
    app_variable,
    apply,
    mentions,
    qualified_names,
    with_list_element,
)

MIDDLEWARE = "PosthogASGIMiddleware"
MIDDLEWARE_MODULE = "posthog.integrations.asgi"
DEFINE = "DefineMiddleware"
DEFINE_MODULE = "litestar.middleware"
HOOK = "capture_server_error"
FLUSH = "flush_posthog"
_LITESTAR = frozenset({"litestar.Litestar", "litestar.app.Litestar"})
#: The longest line a one-line call may grow to before it is laid out one argument a line.
_LINE_LENGTH = 88


def _hook_source(indent: str, client: str) -> str:
    return (
        f"async def {HOOK}(error: Exception, scope: Scope) -> None:\n"
        f'{indent}"""Send an error that answers 5xx to PostHog, once.\n'
        f"\n"
        f"{indent}Litestar answers exceptions before any middleware sees them. An error one of the\n"
        f"{indent}app's exception handlers answers is theirs to report; a 4xx is not an error.\n"
        f'{indent}"""\n'
        f'{indent}route_handler = scope.get("route_handler")\n'
        f"{indent}handlers = route_handler.resolve_exception_handlers() if route_handler else {{}}\n"
        f'{indent}status = getattr(error, "status_code", 500)\n'
        f"{indent}if isinstance(status, int) and status < 500:\n"
        f"{indent}{indent}return\n"
        f"{indent}if status in handlers or any(kind in handlers for kind in type(error).__mro__):\n"
        f"{indent}{indent}return\n"
        f"{indent}{client}.capture_exception(error)\n"
    )


def _flush_source(indent: str, client: str) -> str:
    # A function of its own: Litestar passes the app to a hook that takes an argument, and
    # flush() would take it for its timeout.
    return (
        f"def {FLUSH}() -> None:\n"
        f'{indent}"""Send the queued PostHog events before the app stops."""\n'
        f"{indent}{client}.flush()\n"
    )


def _find_call(
    wrapper: MetadataWrapper, app: AppObject, path: str
) -> tuple[cst.Call, cst.BaseStatement]:
    """The ``Litestar(...)`` call that builds ``app``, and the module-level statement holding it."""
    parents = wrapper.resolve(ParentNodeProvider)
    variable = app_variable(app)
    factory = app.factory.rsplit(".", 1)[-1] if app.factory else None
    found: list[tuple[bool, cst.Call, cst.BaseStatement]] = []
    for call in find_all(wrapper.module, cst.Call):
        if not qualified_names(wrapper, call.func) & _LITESTAR:
            continue
        node: cst.CSTNode = call
        functions: list[str] = []
        assigned = False
        while not isinstance(parents[node], cst.Module):
            parent = parents[node]
            if isinstance(parent, cst.Assign) and node is parent.value:
                assigned = assigned or any(is_name(t.target, variable) for t in parent.targets)
            if isinstance(parent, cst.FunctionDef):
                functions.append(parent.name.value)
            node = parent
        assert isinstance(node, cst.BaseStatement)
        if (factory is None and not functions) or (factory is not None and factory in functions):
            found.append((assigned, call, node))
    if not found:
        where = f"in {app.factory}()" if app.factory else "at module level"
        raise EditError(f"{path}: cannot find the Litestar(...) call {where}")
    found.sort(key=lambda item: not item[0])
    return found[0][1], found[0][2]


def _line_break(indent: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(indent)
    )


def _laid_out(call: cst.Call, edited: cst.Call, module: cst.Module, column: int) -> cst.Call:
    """``edited`` on one line as ``call`` was, unless that line grows too long: then one
    argument a line, each with a trailing comma, the way formatters lay calls out."""
    if "\n" in module.code_for_node(call):
        return edited
    if column + len(module.code_for_node(edited)) <= _LINE_LENGTH:
        return edited
    last = len(edited.args) - 1
    args = [
        arg.with_changes(
            comma=cst.Comma(
                whitespace_after=_line_break("" if i == last else module.default_indent)
            )
        )
        for i, arg in enumerate(edited.args)
    ]
    return edited.with_changes(whitespace_before_args=_line_break(module.default_indent), args=args)


def hook_up_litestar(source: str, path: str, app: AppObject, client: ClientImport) -> str:
    """Give ``app`` the PostHog middleware, the server-error hook and a flush at shutdown.

    Each part is skipped when the module already has it (the middleware or the hook is
    mentioned; ``posthog_client.flush`` or ``shutdown`` is used), so a second run changes
    nothing. Raises EditError (naming ``path``) when the call cannot be found.
    """
    module = parse_module(source, path)
    wrapper = MetadataWrapper(module)
    call, holder = _find_call(wrapper, app, path)
    if any(arg.star == "**" for arg in call.args):
        # A keyword given here may also be in the mapping: the call would then fail.
        raise EditError(
            f"{path}: Litestar(...) takes its settings from a ** mapping; add "
            f"DefineMiddleware({client.arguments(MIDDLEWARE)}) to its middleware by hand"
        )
    module = wrapper.module
    imports: list[tuple[str, str]] = []
    edited = call
    functions: list[cst.BaseStatement] = []
    if not mentions(module, MIDDLEWARE):
        edited = with_list_element(
            edited, "middleware", f"{DEFINE}({client.arguments(MIDDLEWARE)})", first=True
        )
        imports += [(DEFINE_MODULE, DEFINE), (MIDDLEWARE_MODULE, MIDDLEWARE)]
    if not mentions(module, HOOK):
        edited = with_list_element(edited, "after_exception", HOOK, first=False)
        functions.append(statement(_hook_source(module.default_indent, client.name), module))
        imports.append(("litestar.types", "Scope"))
    if not find_all(
        module, cst.Attribute, lambda node: is_attribute(node, "flush", "shutdown", of=client.name)
    ):
        edited = with_list_element(edited, "on_shutdown", FLUSH, first=False)
        functions.append(statement(_flush_source(module.default_indent, client.name), module))
    if edited is call and not functions:
        return source
    column = wrapper.resolve(PositionProvider)[call].start.column
    edited = _laid_out(call, edited, module, column)
    replaced = holder.deep_replace(call, edited)
    assert isinstance(replaced, cst.BaseStatement)
    edits = StatementEdits()
    if functions:
        # The functions take the holder's place; the holder keeps its comments, after them.
        leading = list(holder.leading_lines)  # type: ignore[attr-defined]
        first_comment = next((i for i, line in enumerate(leading) if line.comment), len(leading))
        blank = [cst.EmptyLine(indent=False)] * 2
        spaced = [
            function.with_changes(leading_lines=leading[:first_comment] if i == 0 else blank)
            for i, function in enumerate(functions)
        ]
        edits.insert_before(holder, *spaced)
        replaced = replaced.with_changes(leading_lines=blank + leading[first_comment:])
    edits.replace[holder] = replaced
    return add_imports(apply(module, edits), client, *imports).code
