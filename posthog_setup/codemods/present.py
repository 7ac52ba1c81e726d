"""Whether a file already has every insertion point of its ``FilePoints``, read off ``ast``.

The route codemods parse a file with libcst to find each handler and find, for most
points, that the handler already sends what the plan asks: an integrated project's
files change nothing. The same decisions, taken on the standard library's tree,
cost a fraction of that parse (and no libcst import at all on a check with an empty
cache). A file is reported complete only when every point would be left alone
without a note, by the very facts the codemods read (``CallSummary``, ``bindings``,
the ignore comments of the handler's header); anything else (a handler not found,
marked ignored, binding the client's name, or a point that would go in) is left to
the codemods, which decide it as before.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol, TypeVar

from posthog_setup.analysis.body import called_name
from posthog_setup.analysis.names import child_nodes
from posthog_setup.analysis.rules.records import ignored
from posthog_setup.codemods.bindings import bindings
from posthog_setup.codemods.points import (
    CapturePoint,
    ExceptionPoint,
    FilePoints,
    IdentifyPoint,
    LogoutPoint,
)

#: Ignore-comment rules of the point kinds (as ``capture.RULE`` and its siblings).
_CAPTURE_RULE = "missing-capture"
_IDENTIFY_RULE = "missing-identify"
_EXCEPTION_RULE = "missing-exception-capture"
#: What an identify and an exception capture call (as ``identify.IDENTIFY``,
#: ``exceptions.CAPTURE_EXCEPTION``).
_IDENTIFY = "identify_context"
_CAPTURE_EXCEPTION = "capture_exception"

Point = CapturePoint | IdentifyPoint | LogoutPoint | ExceptionPoint
_Node = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class CallSummary:
    """What a definition calls, collected from its ast node in one cheap walk."""

    names: frozenset[str]
    events: frozenset[str]

    @classmethod
    def of(cls, node: ast.AST) -> CallSummary:
        names: set[str] = set()
        events: set[str] = set()
        for call in _calls(node):
            name = called_name(call)
            if name is None:
                continue
            names.add(name)
            if name == "capture":
                event = _ast_event(call)
                if event is not None:
                    events.add(event)
        return cls(frozenset(names), frozenset(events))


def _calls(node: ast.AST) -> list[ast.Call]:
    """The calls of ``ast.walk(node)``, read off ``_fields`` with a stack (no generators per
    node; the order does not matter to a summary)."""
    found: list[ast.Call] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is ast.Call:
            found.append(current)
        stack.extend(child_nodes(current))
    return found


def _ast_event(call: ast.Call) -> str | None:
    """As ``captured_events`` reads it: ``event=`` first, else the first two positionals."""
    keyword = [k.value for k in call.keywords if k.arg == "event"]
    positional = [a for a in call.args if not isinstance(a, ast.Starred)][:2]
    for value in (*keyword, *positional):
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
    return None


class Named(Protocol):
    """A definition as the plan names it: dotted qualname and ``def``/``class`` line."""

    @property
    def qualname(self) -> str: ...

    @property
    def line(self) -> int: ...


D = TypeVar("D", bound=Named)


def normalise_qualname(qualname: str) -> str:
    """``factory.<locals>.view`` and ``factory.view`` name the same function."""
    return qualname.replace(".<locals>", "")


def resolve(definitions: Sequence[D], qualname: str, line: int) -> tuple[D, int] | None:
    """The definition at ``qualname`` and ``line``, and its line offset (0 when exact).

    When the file changed since the plan was made, a qualname that names exactly one
    definition is still that definition; the offset tells how far it moved.
    """
    wanted = normalise_qualname(qualname)
    named = [d for d in definitions if d.qualname == wanted]
    for definition in named:
        if definition.line == line:
            return definition, 0
    if len(named) == 1:
        return named[0], named[0].line - line
    return None


@dataclass(frozen=True)
class _Definition:
    """A ``def`` or ``class`` of the file, with the lines of its header."""

    node: _Node
    qualname: str
    line: int
    #: the decorator lines through the first line of the body (a superset of the lines
    #: the codemods read ignore comments on)
    header: tuple[str, ...]

    def ignores(self, rule: str) -> bool:
        return any(ignored(rule, line) for line in self.header)

    @cached_property
    def calls(self) -> CallSummary:
        """What the definition calls (read once: a handler is often several points')."""
        return CallSummary.of(self.node)

    @cached_property
    def bound(self) -> frozenset[str]:
        """The names a function binds itself (nothing for a class)."""
        node = self.node
        return frozenset() if isinstance(node, ast.ClassDef) else frozenset(bindings(node))


def _definitions(tree: ast.Module, lines: Sequence[str]) -> list[_Definition]:
    """Every function and class, in source order, named as the codemods name them."""
    found: list[_Definition] = []

    def walk(body: Sequence[ast.stmt], names: tuple[str, ...]) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = (*names, stmt.name)
                first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
                last = max(stmt.lineno, stmt.body[0].lineno)
                found.append(
                    _Definition(
                        stmt, ".".join(qualname), stmt.lineno, tuple(lines[first - 1 : last])
                    )
                )
                walk(stmt.body, qualname)
            else:
                for block in _blocks(stmt):
                    walk(block, names)

    walk(tree.body, ())
    return found


def _blocks(stmt: ast.stmt) -> Iterator[Sequence[ast.stmt]]:
    """The statement lists of a compound statement that is not a definition."""
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body
    for case in getattr(stmt, "cases", ()):
        yield case.body


def _rule(point: Point) -> str:
    if isinstance(point, IdentifyPoint):
        return _IDENTIFY_RULE
    if isinstance(point, ExceptionPoint):
        return _EXCEPTION_RULE
    return _CAPTURE_RULE


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The method ``name`` defined directly in the class body (the first, as the codemods)."""
    for stmt in cls.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            return stmt
    return None


def _in_class(point: Point, cls: ast.ClassDef) -> bool:
    """A point on a class view that is already there (a capture in its override, an
    identify in its write hook)."""
    if isinstance(point, CapturePoint) and point.override is not None:
        return point.event in CallSummary.of(cls).events
    if isinstance(point, IdentifyPoint) and point.override is not None and point.kept is None:
        hook = _method(cls, point.override)
        return hook is not None and _IDENTIFY in CallSummary.of(hook).names
    return False


def _in_function(point: Point, calls: CallSummary) -> bool:
    if isinstance(point, (CapturePoint, LogoutPoint)):
        return point.event in calls.events
    if isinstance(point, IdentifyPoint):
        # The project's own code identifies (``identified``): only the event goes in.
        return point.event in calls.events if point.identified else _IDENTIFY in calls.names
    return _CAPTURE_EXCEPTION in calls.names


def _present(point: Point, definitions: Sequence[_Definition], client: str) -> bool:
    found = resolve(definitions, point.handler, point.handler_line)
    if found is None:
        return False
    definition = found[0]
    if definition.ignores(_rule(point)):
        return False
    node = definition.node
    if isinstance(node, ast.ClassDef):
        return _in_class(point, node)
    if client in definition.bound:
        return False
    return _in_function(point, definition.calls)


def already_present(text: str, points: FilePoints, client: str) -> bool:
    """True if the route codemods would leave ``text`` as it is, with no note: every
    point's handler is found and already sends what the point would insert.

    False means only that the codemods must decide (``client`` is the name the inserted
    calls would use: a handler binding it itself gets a note).
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return False
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    definitions = _definitions(tree, lines)
    every: Sequence[Point] = (
        *points.captures,
        *points.identifies,
        *points.logouts,
        *points.exceptions,
    )
    return all(_present(point, definitions, client) for point in every)


def names_identifier(text: str, name: str) -> bool:
    """True if ``name`` is a name, an attribute or an imported name in ``text`` by its ast:
    then libcst's ``hookup_common.mentions`` finds it too, and a hook-up that stops there
    needs no libcst parse. False means only that it is not shown so.

    Only ASCII sources are read: ast normalises a non-ASCII identifier (NFKC) where libcst
    keeps its spelling, so there the two could disagree.
    """
    if name not in text or not text.isascii():
        return False
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            return True
        if isinstance(node, ast.Attribute) and node.attr == name:
            return True
        if isinstance(node, ast.alias) and name in (*node.name.split("."), node.asname):
            return True
    return False
