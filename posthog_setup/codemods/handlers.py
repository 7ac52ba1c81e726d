"""Finding, in one parsed file, the handlers the plan names and the statements inside them.

Every route codemod (capture, identify, logout, exceptions) places code relative to a
statement of a handler: the one that contains a line, the first after the docstring,
the last ``return``. This module finds those statements on the original tree, as
``Spot`` records (a block and an index), and says what a handler already calls, so
that a second run finds its own work and inserts nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
import libcst.helpers
from libcst.metadata import CodeRange

from posthog_setup.analysis.definitions import CallSummary
from posthog_setup.analysis.rules.records import ignored
from posthog_setup.codemods.find import is_attribute, is_name
from posthog_setup.codemods.lines import AstDefinitions

Positions = Mapping[cst.CSTNode, CodeRange]
Statement = cst.BaseStatement | cst.BaseSmallStatement


@dataclass(frozen=True)
class Definition:
    """A ``def`` or ``class`` of the file, as the plan names it.

    ``qualname`` is dotted without ``<locals>`` segments; ``line`` is the line of the
    ``def``/``class`` keyword; ``body_indent`` the indentation of the body's statements.
    ``comments`` are the decorator and ``def`` lines (up to the body), where a
    ``# posthog-setup: ignore`` comment switches rules off.
    """

    node: cst.FunctionDef | cst.ClassDef
    qualname: str
    line: int
    body_indent: str
    owner: cst.ClassDef | None
    comments: tuple[str, ...]
    #: names it calls and events it captures, read off ast; None where ast was not paired
    calls: CallSummary | None = None

    def ignores(self, rule: str) -> bool:
        return any(ignored(rule, line) for line in self.comments)

    def captured_events(self) -> set[str]:
        """Events this definition already captures (see ``captured_events``)."""
        return set(self.calls.events) if self.calls is not None else captured_events(self.node)

    def calls_named(self, name: str) -> bool:
        """True if this definition calls ``name(...)`` or ``<anything>.name(...)``."""
        return name in self.calls.names if self.calls is not None else calls_named(self.node, name)


@dataclass(frozen=True)
class FoundHandler:
    """A function the plan points at, and how far it moved since the plan was made.

    Lines the plan gives inside the handler are shifted by ``offset`` too.
    """

    definition: Definition
    node: cst.FunctionDef
    offset: int = 0

    @property
    def name(self) -> str:
        return self.node.name.value

    @property
    def body_indent(self) -> str:
        return self.definition.body_indent


@dataclass(frozen=True)
class Spot:
    """A statement of the original tree: the block holding it and its index there.

    ``indent`` is the indentation the statement sits at once its block is indented
    (one-line blocks are expanded when code is inserted into them).
    """

    block: cst.BaseSuite
    index: int
    indent: str

    @property
    def node(self) -> Statement:
        return self.block.body[self.index]


def block_indent(block: cst.BaseSuite, outer: str, step: str) -> str:
    """Indentation of the statements of ``block``, whose header sits at ``outer``."""
    if isinstance(block, cst.IndentedBlock) and block.indent is not None:
        return outer + block.indent
    return outer + step


class DefinitionCollector:
    """A read-only pass that records every function and class with its qualname and line.

    It walks statements only: definitions and imports never live inside expressions,
    which make up most of a tree, so they are not visited at all.
    """

    def __init__(
        self,
        source_lines: Sequence[str],
        step: str,
        positions: Positions,
        ast_definitions: AstDefinitions | None = None,
    ) -> None:
        self._positions = positions
        self._ast_definitions = ast_definitions or {}
        self.definitions: list[Definition] = []
        self._lines = source_lines
        self._step = step
        self._names: list[str] = []
        self._indents: list[str] = [""]
        self._classes: list[cst.ClassDef | None] = [None]

    def collect(self, module: cst.Module) -> None:
        """Record the definitions of ``module``."""
        self._statements(module.body)

    def _statements(self, body: Sequence[cst.BaseStatement]) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                continue
            if isinstance(stmt, cst.FunctionDef):
                self.visit_FunctionDef(stmt)
                self._suite(stmt.body)
                self.leave_FunctionDef(stmt)
            elif isinstance(stmt, cst.ClassDef):
                self.visit_ClassDef(stmt)
                self._suite(stmt.body)
                self.leave_ClassDef(stmt)
            else:
                for block in inner_blocks(stmt):
                    self._suite(block)

    def _suite(self, suite: cst.BaseSuite) -> None:
        # A one-line suite holds small statements only: no definitions.
        if isinstance(suite, cst.IndentedBlock):
            self.visit_IndentedBlock(suite)
            self._statements(suite.body)
            self.leave_IndentedBlock(suite)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._indents.append(block_indent(node, self._indents[-1], self._step))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._indents.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._record(node, owner=self._classes[-1])
        self._classes.append(None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._names.pop()
        self._classes.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._record(node, owner=None)
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._names.pop()
        self._classes.pop()

    def _record(self, node: cst.FunctionDef | cst.ClassDef, *, owner: cst.ClassDef | None) -> None:
        self._names.append(node.name.value)
        line = self._positions[node.name].start.line
        self.definitions.append(
            Definition(
                node=node,
                qualname=".".join(self._names),
                line=line,
                body_indent=block_indent(node.body, self._indents[-1], self._step),
                owner=owner,
                comments=self._header_lines(node, line),
                calls=self._summary(node),
            )
        )

    def _summary(self, node: cst.FunctionDef | cst.ClassDef) -> CallSummary | None:
        paired = self._ast_definitions.get(node)
        return CallSummary.of(paired) if paired is not None else None

    def _header_lines(self, node: cst.FunctionDef | cst.ClassDef, line: int) -> tuple[str, ...]:
        """The decorator lines through the line before the body."""
        first = min([line, *(self._positions[d].start.line for d in node.decorators)])
        last = line
        if isinstance(node.body, cst.IndentedBlock) and node.body.body:
            last = self._positions[node.body.body[0]].start.line - 1
        return tuple(self._lines[first - 1 : min(max(first, last), len(self._lines))])


# Statements inside a handler.


def inner_blocks(node: cst.CSTNode) -> Iterator[cst.BaseSuite]:
    """The blocks of a compound statement (if/elif/else, try/except/finally, with, for, match).

    Nested functions and classes are not entered: code placed there would run at
    another time than the handler's.
    """
    for child in node.children:
        if isinstance(child, cst.BaseSuite):
            yield child
        elif not isinstance(child, (cst.BaseExpression, cst.FunctionDef, cst.ClassDef)):
            yield from inner_blocks(child)


def statement_at(
    block: cst.BaseSuite,
    line: int,
    indent: str,
    step: str,
    positions: Positions,
    *,
    after: bool,
) -> Spot | None:
    """The innermost statement of ``block`` whose lines include ``line``.

    In a one-line block (``if ok: a(); b()``) the whole line is that statement: the
    spot is its last small statement when code goes ``after`` it, else its first.
    """
    found: Spot | None = None
    for index, stmt in enumerate(block.body):
        where = positions[stmt]
        if not where.start.line <= line <= where.end.line:
            continue
        if isinstance(stmt, cst.BaseCompoundStatement) and not isinstance(
            stmt, (cst.FunctionDef, cst.ClassDef)
        ):
            for inner in inner_blocks(stmt):
                inner_indent = block_indent(inner, indent, step)
                nested = statement_at(inner, line, inner_indent, step, positions, after=after)
                if nested is not None:
                    return nested
        found = Spot(block, index, indent)
        if not (after and isinstance(block, cst.SimpleStatementSuite)):
            return found
    return found


def handler_statement(
    handler: FoundHandler, line: int, step: str, positions: Positions, *, after: bool
) -> Spot | None:
    """The statement of ``handler`` holding ``line`` (a line of the file as analysed)."""
    return statement_at(
        handler.node.body, line + handler.offset, handler.body_indent, step, positions, after=after
    )


def branch_taken(spot: Spot, line: int, step: str, positions: Positions) -> Spot | None:
    """Where code that follows a call made in an ``if`` test goes: the start of the branch
    the call's success takes (``if login_user(user):``), since after the whole statement
    may never be reached (both branches return). None where ``line`` (a line of the file
    as edited) is not in the test, or the test is no call's success (``if not
    login_user(user):``, ``if x.save() is None:``)."""
    stmt = spot.node
    if not isinstance(stmt, cst.If) or not isinstance(stmt.body, cst.IndentedBlock):
        return None
    first = positions.get(stmt.body.body[0])
    if first is None or not positions[stmt].start.line <= line < first.start.line:
        return None
    if not _truthy_call(stmt.test):
        return None
    return Spot(stmt.body, 0, block_indent(stmt.body, spot.indent, step))


def _truthy_call(test: cst.BaseExpression) -> bool:
    """A test that takes its body when a call in it succeeds: the call, or ``and`` terms
    one of which is a call (never ``not``, a comparison or ``or``)."""
    if isinstance(test, cst.BooleanOperation):
        return isinstance(test.operator, cst.And) and (
            _truthy_call(test.left) or _truthy_call(test.right)
        )
    return isinstance(test, cst.Call)


def is_docstring(stmt: Statement) -> bool:
    """A bare string literal statement (a docstring when first in a body)."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return len(stmt.body) == 1 and is_docstring(stmt.body[0])
    return isinstance(stmt, cst.Expr) and isinstance(
        stmt.value, (cst.SimpleString, cst.ConcatenatedString)
    )


def body_start(handler: FoundHandler) -> tuple[Spot, bool]:
    """Where the first statement of the body goes, after any docstring: (spot, before?)."""
    block = handler.node.body
    if is_docstring(block.body[0]):
        if len(block.body) == 1:
            return Spot(block, 0, handler.body_indent), False
        return Spot(block, 1, handler.body_indent), True
    return Spot(block, 0, handler.body_indent), True


def body_end(node: cst.FunctionDef | cst.ClassDef, indent: str) -> Spot:
    """The last top-level statement of a body (code appended goes after it)."""
    return Spot(node.body, len(node.body.body) - 1, indent)


def returned(stmt: Statement) -> cst.Return | None:
    """The ``return`` a statement consists of, if it is one."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        stmt = stmt.body[0]
    return stmt if isinstance(stmt, cst.Return) else None


def last_return(handler: FoundHandler) -> Spot | None:
    """The handler's last top-level ``return`` (early returns inside blocks are failures)."""
    block = handler.node.body
    for index in range(len(block.body) - 1, -1, -1):
        if returned(block.body[index]) is not None:
            return Spot(block, index, handler.body_indent)
    return None


def is_super_call(node: cst.CSTNode | None, method: str) -> bool:
    """``super().<method>(...)``."""
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and is_attribute(node.func, method)
        and isinstance(node.func.value, cst.Call)
        and is_name(node.func.value.func, "super")
    )


# What a handler already calls.


class _CallCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.found.append(node)


@functools.lru_cache(maxsize=512)
def _calls(node: cst.CSTNode) -> tuple[cst.Call, ...]:
    # Nodes are immutable and hash by identity: every point on the same handler asks
    # about the same subtree, so it is walked once.
    collector = _CallCollector()
    node.visit(collector)
    return tuple(collector.found)


def calls(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Every call inside ``node``."""
    return iter(_calls(node))


def called_name(call: cst.Call) -> str | None:
    """The called name: ``capture`` for ``client.capture(...)`` and ``capture(...)``."""
    if isinstance(call.func, cst.Attribute):
        return call.func.attr.value
    if isinstance(call.func, cst.Name):
        return call.func.value
    return None


def _literal(arg: cst.Arg) -> str | None:
    value = arg.value
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
        evaluated = value.evaluated_value
        return evaluated if isinstance(evaluated, str) else None
    return None


def captured_events(node: cst.CSTNode) -> set[str]:
    """Events ``node`` already captures: ``<any client>.capture("event", ...)``.

    The pre-6.0 form ``capture(distinct_id, "event")`` counts too.
    """
    events: set[str] = set()
    for call in calls(node):
        if called_name(call) != "capture":
            continue
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        keyword = [arg for arg in call.args if arg.keyword and arg.keyword.value == "event"]
        for arg in (*keyword, *positional[:2]):
            event = _literal(arg)
            if event is not None:
                events.add(event)
                break
    return events


def passes_event(node: cst.CSTNode, event: str) -> bool:
    """True if ``node`` hands ``event`` to a function as a literal argument: the project's
    own capture wrapper sends it (``track_event(client, "todo_added", ...)``)."""
    return any(_literal(arg) == event for call in calls(node) for arg in call.args)


def calls_named(node: cst.CSTNode, name: str) -> bool:
    """True if ``node`` calls ``name(...)`` or ``<anything>.name(...)``."""
    return any(called_name(call) == name for call in calls(node))
