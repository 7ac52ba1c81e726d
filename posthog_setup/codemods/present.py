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
from collections.abc import Sequence
from typing import Protocol, TypeVar

from posthog_setup.analysis.definitions import (
    CAPTURE_RULE,
    EXCEPTION_RULE,
    IDENTIFY_RULE,
    CallSummary,
    Definition,
    file_definitions,
)
from posthog_setup.codemods.points import (
    CapturePoint,
    ExceptionPoint,
    FilePoints,
    IdentifyPoint,
    LogoutPoint,
)

#: What an identify and an exception capture call (as ``identify.IDENTIFY``,
#: ``exceptions.CAPTURE_EXCEPTION``).
_IDENTIFY = "identify_context"
_CAPTURE_EXCEPTION = "capture_exception"

Point = CapturePoint | IdentifyPoint | LogoutPoint | ExceptionPoint


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


def _rule(point: Point) -> str:
    if isinstance(point, IdentifyPoint):
        return IDENTIFY_RULE
    if isinstance(point, ExceptionPoint):
        return EXCEPTION_RULE
    return CAPTURE_RULE


def _in_class(point: Point, definition: Definition) -> bool:
    """A point on a class view that is already there (a capture in its override, an
    identify in its write hook)."""
    if isinstance(point, CapturePoint) and point.override is not None:
        return point.event in definition.calls.events
    if isinstance(point, IdentifyPoint) and point.override is not None and point.kept is None:
        hook = definition.method_calls(point.override)
        return hook is not None and _IDENTIFY in hook
    return False


def _in_function(point: Point, calls: CallSummary) -> bool:
    if isinstance(point, (CapturePoint, LogoutPoint)):
        return point.event in calls.events
    if isinstance(point, IdentifyPoint):
        # The project's own code identifies (``identified``): only the event goes in.
        return point.event in calls.events if point.identified else _IDENTIFY in calls.names
    return _CAPTURE_EXCEPTION in calls.names


def _present(point: Point, definitions: Sequence[Definition], client: str) -> bool:
    found = resolve(definitions, point.handler, point.handler_line)
    if found is None:
        return False
    definition = found[0]
    if _rule(point) in definition.ignores:
        return False
    if definition.is_class:
        return _in_class(point, definition)
    if client in definition.bound:
        return False
    return _in_function(point, definition.calls)


def already_present(
    text: str,
    points: FilePoints,
    client: str,
    definitions: Sequence[Definition] | None = None,
) -> bool:
    """True if the route codemods would leave ``text`` as it is, with no note: every
    point's handler is found and already sends what the point would insert.

    False means only that the codemods must decide (``client`` is the name the inserted
    calls would use: a handler binding it itself gets a note). ``definitions``: those of
    ``text``, where the analysis read them already (``FileDefinitions.of``).
    """
    if definitions is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            return False
        definitions = file_definitions(tree, text).items
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
