"""Send the client's queue when an ASGI app stops: in its lifespan, or a shutdown handler.

The client is flushed where the app already tears down: after the ``yield`` of its
lifespan (in the ``finally:`` when there is one), else in its first
``@app.on_event("shutdown")`` handler. An app with neither gets a lifespan, unless it
has startup handlers, or may have (a library it is handed to registers its own), or its
release takes no ``lifespan=``: passing one would silently stop those handlers from
running, or be ignored, so it gets a shutdown handler instead. Not ``shutdown()``: a
shut-down client cannot be reused, so a test suite that starts the app once per test
would lose every later event; the client module shuts the client down when the process
exits.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from posthog_setup.codemods.base import CLIENT_NAME, EditError, statement
from posthog_setup.codemods.find import find_all, is_method_call
from posthog_setup.codemods.hookup_common import (
    AppCreation,
    StatementEdits,
    as_block,
    block_of,
    calls_client_method,
    insert_element,
    is_method_call_on,
    mentions,
    qualified_names,
)


def _flush(client: str) -> str:
    """What the app's lifespan ends with."""
    return f"{client}.flush()"


def flush_with_app(
    wrapper: MetadataWrapper,
    creation: AppCreation,
    edits: StatementEdits,
    path: str,
    client: str = CLIENT_NAME,
    *,
    lifespan: bool = True,
) -> list[tuple[str, str]]:
    """Plan flushing ``client`` when the app stops, unless the module already flushes or
    shuts it down; returns the imports the new code needs. Without ``lifespan`` (the
    framework's release takes none, or a library the app is handed to may register
    startup handlers a lifespan would stop), a new flush goes in a shutdown handler."""
    if calls_client_method(wrapper.module, "flush", client) or calls_client_method(
        wrapper.module, "shutdown", client
    ):
        return []
    return _shut_down_with_app(wrapper, creation, edits, path, _flush(client), lifespan)


def _shut_down_with_app(
    wrapper: MetadataWrapper,
    creation: AppCreation,
    edits: StatementEdits,
    path: str,
    flush: str,
    new_lifespan: bool,
) -> list[tuple[str, str]]:
    """Plan the ``flush`` call; returns the imports the new code needs."""
    module = wrapper.module
    lifespan = _keyword(creation.call, "lifespan")
    if lifespan is not None:
        function = _local_function(creation, lifespan)
        if function is not None and _is_context_manager(wrapper, function):
            edited = _shutdown_after_yield(block_of(function), statement(flush, module))
            if edited is None:
                raise EditError(f"{path}: cannot find the yield in {function.name.value}()")
            edits.replace[function] = edited
        # A lifespan from elsewhere is left alone: the client module's atexit hook
        # still sends the queue when the process exits.
        return []
    shutdown_handlers = _event_handlers(creation, "shutdown")
    if shutdown_handlers:
        first = block_of(shutdown_handlers[0])
        assert isinstance(first.body, cst.IndentedBlock)
        body = [*first.body.body, statement(flush, module)]
        edits.replace[shutdown_handlers[0]] = first.with_changes(
            body=first.body.with_changes(body=body)
        )
        return []
    if (
        not new_lifespan
        or _has_event_handlers(creation)
        or (creation.factory and _registers_handlers(module))
    ):
        _add_shutdown_handler(creation, edits, module, flush)
        return []
    return _add_lifespan(creation, edits, module, flush)


def _keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    return next((arg.value for arg in call.args if arg.keyword and arg.keyword.value == name), None)


def _local_function(creation: AppCreation, name: cst.BaseExpression) -> cst.FunctionDef | None:
    """The function a ``lifespan=<name>`` argument names, defined beside the app."""
    if not isinstance(name, cst.Name):
        return None
    return next(
        (
            stmt
            for stmt in creation.siblings
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name.value
        ),
        None,
    )


def _is_context_manager(wrapper: MetadataWrapper, function: cst.FunctionDef) -> bool:
    return any(
        "contextlib.asynccontextmanager" in qualified_names(wrapper, decorator.decorator)
        for decorator in function.decorators
    )


def _has_yield(node: cst.CSTNode) -> bool:
    return bool(find_all(node, cst.Yield))


def _shutdown_after_yield(
    function: cst.FunctionDef, shutdown: cst.BaseStatement
) -> cst.FunctionDef | None:
    """``function`` with ``shutdown`` as the first thing after its ``yield``, or None."""
    assert isinstance(function.body, cst.IndentedBlock)
    body = _insert_after_yield(function.body, shutdown)
    return None if body is None else function.with_changes(body=body)


def _insert_after_yield(
    block: cst.IndentedBlock, shutdown: cst.BaseStatement
) -> cst.IndentedBlock | None:
    for index, stmt in enumerate(block.body):
        if not _has_yield(stmt):
            continue
        if isinstance(stmt, cst.SimpleStatementLine):
            body = [*block.body[: index + 1], shutdown, *block.body[index + 1 :]]
            return block.with_changes(body=body)
        if isinstance(stmt, cst.Try) and stmt.finalbody is not None and _has_yield(stmt.body):
            # In the finally: the client is shut down even when the app stops on an error.
            final = as_block(stmt.finalbody.body)
            final = final.with_changes(body=[shutdown, *final.body])
            replaced: cst.BaseStatement = stmt.with_changes(
                finalbody=stmt.finalbody.with_changes(body=final)
            )
        elif isinstance(stmt, cst.BaseCompoundStatement):
            inner = _insert_after_yield(as_block(stmt.body), shutdown)
            if inner is None:
                return None
            replaced = stmt.with_changes(body=inner)
        else:
            return None
        return block.with_changes(body=[*block.body[:index], replaced, *block.body[index + 1 :]])
    return None


def _event_handlers(creation: AppCreation, event: str) -> list[cst.FunctionDef]:
    """Functions beside the app decorated ``@<app>.on_event("<event>")``, in order."""

    def on_event(decorator: cst.Decorator) -> bool:
        call = decorator.decorator
        return (
            is_method_call(call, "on_event", of=creation.variable)
            and isinstance(call, cst.Call)
            and len(call.args) == 1
            and isinstance(call.args[0].value, cst.SimpleString)
            and call.args[0].value.value[1:-1] == event
        )

    return [
        stmt
        for stmt in creation.siblings
        if isinstance(stmt, cst.FunctionDef) and any(on_event(d) for d in stmt.decorators)
    ]


def _has_event_handlers(creation: AppCreation) -> bool:
    """Startup or shutdown handlers of any form: decorators, arguments, add_event_handler."""
    return bool(
        _event_handlers(creation, "startup")
        or _keyword(creation.call, "on_startup") is not None
        or _keyword(creation.call, "on_shutdown") is not None
        or any(
            is_method_call_on(stmt, creation.variable, "add_event_handler")
            for stmt in creation.siblings
        )
    )


def _registers_handlers(module: cst.Module) -> bool:
    """Startup or shutdown handlers registered anywhere in the module: on the app a factory
    returns (``app = create_app()`` then ``@app.on_event("startup")``), which the factory's
    own ``lifespan=`` would silently stop from running."""
    return bool(
        find_all(
            module,
            cst.Call,
            lambda call: (
                isinstance(call.func, cst.Attribute)
                and call.func.attr.value in ("on_event", "add_event_handler")
            ),
        )
    )


def _blank_lines(creation: AppCreation) -> list[cst.EmptyLine]:
    """Blank lines before a new function: two at module level, one inside a factory."""
    return [cst.EmptyLine(indent=False)] * (1 if creation.factory else 2)


def _add_shutdown_handler(
    creation: AppCreation, edits: StatementEdits, module: cst.Module, flush: str
) -> None:
    """A new ``@app.on_event("shutdown")`` handler after the last startup handler."""
    indent = module.default_indent
    handler = statement(
        f'@{creation.variable}.on_event("shutdown")\n'
        f"def shutdown_posthog() -> None:\n"
        f"{indent}{flush}\n",
        module,
    )
    handler = handler.with_changes(leading_lines=_blank_lines(creation))
    startup = _event_handlers(creation, "startup")
    anchor = startup[-1] if startup else creation.statement
    edits.insert_after(anchor, handler)
    siblings = list(creation.siblings)
    following = siblings[siblings.index(anchor) + 1] if anchor in siblings[:-1] else None
    if (
        isinstance(following, cst.SimpleStatementLine | cst.BaseCompoundStatement)
        and following not in edits.replace
    ):
        # A blank line after the new function too, as before it (Black's spacing).
        lines = list(following.leading_lines)
        if not lines or lines[0].comment is not None:
            edits.replace[following] = following.with_changes(
                leading_lines=[*_blank_lines(creation), *lines]
            )


def _add_lifespan(
    creation: AppCreation, edits: StatementEdits, module: cst.Module, flush: str
) -> list[tuple[str, str]]:
    """A new lifespan that shuts the client down, passed to the app as ``lifespan=``."""
    name = "posthog_lifespan" if mentions(module, "lifespan") else "lifespan"
    fastapi = module.code_for_node(creation.call.func)
    indent = module.default_indent
    lifespan = statement(
        f"@asynccontextmanager\n"
        f"async def {name}(app: {fastapi}) -> AsyncIterator[None]:\n"
        f"{indent}yield\n"
        f"{indent}# Send the events still queued before the server exits.\n"
        f"{indent}{flush}\n",
        module,
    )
    leading = list(creation.statement.leading_lines)
    first_comment = next(
        (index for index, line in enumerate(leading) if line.comment), len(leading)
    )
    # At module level PEP 8's two blank lines; in a factory, the spacing the app had.
    spacing = leading[:first_comment] if creation.factory else _blank_lines(creation)
    edits.insert_before(creation.statement, lifespan.with_changes(leading_lines=spacing))
    with_lifespan = creation.statement.deep_replace(
        creation.call, _with_lifespan_argument(creation.call, name)
    )
    assert isinstance(with_lifespan, cst.SimpleStatementLine)
    edits.replace[creation.statement] = with_lifespan.with_changes(
        leading_lines=[*_blank_lines(creation), *leading[first_comment:]]
    )
    return [("contextlib", "asynccontextmanager"), ("collections.abc", "AsyncIterator")]


def _with_lifespan_argument(call: cst.Call, name: str) -> cst.Call:
    argument = cst.Arg(
        keyword=cst.Name("lifespan"),
        value=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    args, _ = insert_element(call.args, len(call.args) - 1, argument, call.whitespace_before_args)
    return call.with_changes(args=args)
