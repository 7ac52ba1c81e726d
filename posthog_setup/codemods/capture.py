"""Capture in mutating routes: ``posthog_client.capture("post_created", ...)``.

Placement follows ``CapturePoint``: after the statement that makes the change (and
after the checks of its outcome that leave the handler right below it: ``if updated is
None: raise HTTPException(404)`` means nothing changed), else before the last top-level ``return`` (a ``return super().form_valid(form)``
is split so the capture follows the parent's save), else at the end of the body.
A delete is no exception: the event goes after it, so a delete that fails (a protected
row, an error the handler catches) sends nothing; what the capture reads (the URL's key,
the user) outlives the deleted object, whose own key the plan never reads.
Class-based views whose write is implicit get the overriding method added.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import libcst as cst

from posthog_setup.codemods.base import CLIENT_NAME
from posthog_setup.codemods.handlers import (
    Definition,
    FoundHandler,
    Spot,
    body_end,
    handler_statement,
    is_super_call,
    last_return,
    passes_event,
    returned,
)
from posthog_setup.codemods.points import CapturePoint
from posthog_setup.codemods.render import (
    Argument,
    DictArg,
    call_source,
    distinct_id_argument,
    indented,
    string_literal,
)
from posthog_setup.codemods.splice import FileEdit

#: Ignore-comment rule that switches capture insertion off.
RULE = "missing-capture"

#: Parameters of the methods added to class-based views, and whether they return a value.
OVERRIDES: dict[str, tuple[tuple[str, ...], bool]] = {
    "form_valid": (("form",), True),
    "perform_create": (("serializer",), False),
    "perform_update": (("serializer",), False),
    "perform_destroy": (("instance",), False),
    # Wagtail's form pages store a submission and answer it.
    "process_form_submission": (("form",), True),
    # fastapi-users' login hook: (user, request) before 11.0, (user, request, response) since.
    "on_after_login": (("user", "*args", "**kwargs"), False),
}
#: Added methods the library awaits.
ASYNC_OVERRIDES = frozenset({"on_after_login"})
#: Any other method is overridden generically.
GENERIC_OVERRIDE: tuple[tuple[str, ...], bool] = (("*args", "**kwargs"), True)
#: The local holding the parent method's response while the capture runs.
RESPONSE = "response"
#: The local holding any other returned value that makes the change.
RESULT = "result"


def describe(point: CapturePoint) -> str:
    """What a note says was not inserted."""
    return f"capture of {point.event}"


def capture_source(point: CapturePoint, indent: str, step: str, client: str = CLIENT_NAME) -> str:
    """The capture call for ``point`` through ``client``, laid out for a statement at ``indent``."""
    args: list[Argument] = [string_literal(point.event)]
    args += distinct_id_argument(point.distinct_id, point.guard)
    if point.properties:
        args.append(DictArg("properties", point.properties))
    return call_source(f"{client}.capture", args, indent=indent, step=step)


def plan_capture(point: CapturePoint, handler: FoundHandler, site: FileEdit) -> None:
    """Plan the capture into a function handler (nothing if it already captures the event)."""
    if point.event in handler.definition.captured_events() or not site.claim(
        handler.node, point.event
    ):
        return
    if point.sent and passes_event(handler.node, point.event):
        return
    site.use_client()
    if site.may_import(point.imports, handler.node):
        for module, name in point.imports:
            site.use(module, name)
    else:
        # The user's id reads a name the code binds to something else: leave it out.
        point = dataclasses.replace(point, distinct_id=None, guard=None, imports=())

    def insert(spot: Spot, *, before: bool) -> None:
        code = capture_source(point, spot.indent, site.step, site.client.name)
        site.splices.insert(spot, [site.statement(code)], before=before)

    if point.after_line is not None:
        spot = handler_statement(handler, point.after_line, site.step, site.positions, after=True)
        if spot is not None:
            result = returned(spot.node)
            if result is None or result.value is None:
                insert(past_outcome_checks(spot), before=False)
            else:
                # ``return Post.objects.create(...)``: code after it would never run.
                wanted = RESPONSE if is_super_call(result.value, handler.name) else RESULT
                split_return(spot, result, free_name(handler.node, wanted), site)
                insert(spot, before=False)
            return
    if point.before_line is not None:
        spot = handler_statement(handler, point.before_line, site.step, site.positions, after=False)
        if spot is not None:
            result = returned(spot.node)
            if result is not None and is_super_call(result.value, handler.name):
                split_return(spot, result, free_name(handler.node, RESPONSE), site)
                insert(spot, before=False)
            else:
                insert(spot, before=True)
            return
    spot = last_return(handler)
    if spot is None:
        insert(body_end(handler.node, handler.body_indent), before=False)
        return
    result = returned(spot.node)
    if result is not None and is_super_call(result.value, handler.name):
        split_return(spot, result, free_name(handler.node, RESPONSE), site)
        insert(spot, before=False)
        return
    insert(spot, before=True)


def past_outcome_checks(spot: Spot) -> Spot:
    """The last of the ``if`` statements right after ``spot`` that check what it bound and
    leave the handler (``if order is None: raise HTTPException(404)``), else ``spot``: the
    change is known to have happened only once they are passed."""
    bound = _bound_names(spot.node)
    while bound and spot.index + 1 < len(spot.block.body):
        check = spot.block.body[spot.index + 1]
        if not (
            isinstance(check, cst.If)
            and check.orelse is None
            and _leaves(check.body)
            and bound & {name.value for name in _names_in(check.test)}
        ):
            break
        spot = Spot(spot.block, spot.index + 1, spot.indent)
    return spot


def _bound_names(stmt: cst.CSTNode) -> set[str]:
    """The plain names a simple assignment statement binds (``updated = save(...)``)."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return set()
    bound: set[str] = set()
    for small in stmt.body:
        targets: list[cst.BaseExpression] = []
        if isinstance(small, cst.Assign):
            targets = [target.target for target in small.targets]
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            targets = [small.target]
        bound.update(target.value for target in targets if isinstance(target, cst.Name))
    return bound


def _leaves(block: cst.BaseSuite) -> bool:
    """Whether a block ends in ``raise`` or ``return``."""
    last = block.body[-1] if block.body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    return isinstance(last, (cst.Raise, cst.Return))


def free_name(function: cst.FunctionDef, wanted: str) -> str:
    """``wanted``, or ``wanted_2``, ``wanted_3``...: the first name the function never uses.

    The split return assigns the returned value to a new local; a name the handler
    already uses (its own ``result``, a global it reads) would be captured by accident.
    """
    used = {node.value for node in _names_in(function)}
    name, number = wanted, 1
    while name in used:
        number += 1
        name = f"{wanted}_{number}"
    return name


def _names_in(node: cst.CSTNode) -> list[cst.Name]:
    found: list[cst.Name] = []

    class Collector(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.append(node)

    node.visit(Collector())
    return found


def split_return(spot: Spot, result: cst.Return, local: str, site: FileEdit) -> None:
    """``return super().m(...)`` -> ``response = super().m(...)`` ... ``return response``.

    Code inserted after the spot then runs after the returned call made its change;
    the comments and blank lines around the return stay where they were. A return
    already split (by another point of the same run) is left as it is.
    """
    if site.splices.replaced(spot):
        return
    assert result.value is not None
    assign = cst.Assign(targets=[cst.AssignTarget(cst.Name(local))], value=result.value)
    line = spot.node
    if isinstance(line, cst.SimpleStatementLine):
        first = line.with_changes(body=[assign])
    else:
        first = cst.SimpleStatementLine(body=[assign])
    site.splices.replace(spot, [first], tail=[site.statement(f"return {local}")])


def plan_override(point: CapturePoint, cls: Definition, site: FileEdit) -> None:
    """Add ``point.override`` to a class-based view, calling the parent and capturing."""
    assert point.override is not None
    assert isinstance(cls.node, cst.ClassDef)
    name = point.override
    if not site.claim(cls.node, f"def {name}"):
        return
    site.use_client()
    capture = capture_source(point, cls.body_indent + site.step, site.step, site.client.name)
    add_override(cls, name, [capture], site)


def add_override(cls: Definition, name: str, sources: Sequence[str], site: FileEdit) -> None:
    """Add the method ``name`` to a class view: it calls the parent's and runs ``sources``
    (statements laid out for the method's body) once it has returned, returning what the
    parent returns."""
    assert isinstance(cls.node, cst.ClassDef)
    params, returns = OVERRIDES.get(name, GENERIC_OVERRIDE)
    step = site.step
    arguments = ", ".join(params)
    parent = f"super().{name}({arguments})"
    if name in ASYNC_OVERRIDES:
        parent = f"await {parent}"
    body = [indented(code, step) for code in sources]
    if returns:
        lines = [f"{step}{RESPONSE} = {parent}", *body, f"{step}return {RESPONSE}"]
    else:
        lines = [f"{step}{parent}", *body]
    define = "async def" if name in ASYNC_OVERRIDES else "def"
    code = "\n".join([f"{define} {name}(self, {arguments}):", *lines]) + "\n"
    method = site.statement(code).with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    site.splices.insert(body_end(cls.node, cls.body_indent), [method], before=False)


def existing_method(cls: Definition, name: str) -> cst.FunctionDef | None:
    """The method ``name`` defined directly in the class body."""
    body = cls.node.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    for stmt in body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return stmt
    return None
