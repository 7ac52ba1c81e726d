"""The route codemods' entry point: every insertion point of one file, in one pass.

The file is parsed once. A read-only pass records every function and class with its
qualname and line; each point is then planned on the original tree by the module for
its kind (``capture``, ``identify``, ``logout``, ``exceptions``); one transformation
splices all planned statements in, and ``AddImportsVisitor`` adds the imports they need.
A point whose handler cannot be found or is marked ``# posthog-setup: ignore`` is
skipped with a note; the rest of the file is still edited.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from posthog_setup.codemods import capture, exceptions, identify, logout
from posthog_setup.codemods.base import ClientImport, parse_module
from posthog_setup.codemods.handlers import Definition, DefinitionCollector, FoundHandler
from posthog_setup.codemods.lines import paired_positions
from posthog_setup.codemods.points import (
    CapturePoint,
    ExceptionPoint,
    FilePoints,
    IdentifyPoint,
    LogoutPoint,
)
from posthog_setup.codemods.present import resolve
from posthog_setup.codemods.splice import FileEdit

Point = CapturePoint | IdentifyPoint | LogoutPoint | ExceptionPoint


def instrument_file(source: str, path: str, points: FilePoints, client: ClientImport) -> str:
    """``source`` with every point of ``points`` applied (the same string if nothing to do).

    Raises ``EditError`` when the file cannot be parsed.
    """
    return instrument_file_with_notes(source, path, points, client)[0]


def instrument_file_with_notes(
    source: str, path: str, points: FilePoints, client: ClientImport
) -> tuple[str, list[str]]:
    """Like ``instrument_file``, plus a note for people on each point that was skipped."""
    if not points:
        return source, []
    module = parse_module(source, path)
    paired = paired_positions(module, source)
    collector = DefinitionCollector(
        _lines(source), module.default_indent, paired.positions, paired.definitions
    )
    collector.collect(module)
    site = FileEdit(module, client, paired)
    notes: list[str] = []
    every: Sequence[Point] = (
        *points.captures,
        *points.identifies,
        *points.logouts,
        *points.exceptions,
    )
    for point in every:
        reason = _plan(point, collector.definitions, site)
        if reason is not None:
            notes.append(
                f"{path}: handler {point.handler} (line {point.handler_line}) {reason}; "
                f"{_describe(point)} not inserted"
            )
    if not site.splices:
        return source, notes
    return site.transform().code, notes


def _lines(source: str) -> list[str]:
    """The source's lines as the parser numbers them (any newline style)."""
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _describe(point: Point) -> str:
    if isinstance(point, CapturePoint):
        return capture.describe(point)
    if isinstance(point, IdentifyPoint):
        return identify.describe(point)
    if isinstance(point, LogoutPoint):
        return logout.describe(point)
    return exceptions.describe(point)


def _rule(point: Point) -> str:
    if isinstance(point, CapturePoint):
        return capture.RULE
    if isinstance(point, IdentifyPoint):
        return identify.RULE
    if isinstance(point, LogoutPoint):
        return logout.RULE
    return exceptions.RULE


def _plan(point: Point, definitions: Sequence[Definition], site: FileEdit) -> str | None:
    """Plan one point's statements; returns why it was skipped, if it was."""
    found = resolve(definitions, point.handler, point.handler_line)
    if found is None:
        return "not found"
    definition, offset = found
    if definition.ignores(_rule(point)):
        return "is marked `# posthog-setup: ignore`"
    node = definition.node
    if isinstance(node, cst.ClassDef) and isinstance(point, IdentifyPoint) and point.kept:
        post = _definition_of(definitions, capture.existing_method(definition, "post"))
        return identify.plan_token_login(point, definition, post, site)
    if isinstance(node, cst.ClassDef) and isinstance(point, IdentifyPoint) and point.override:
        hook = capture.existing_method(definition, point.override)
        return identify.plan_override(point, definition, _definition_of(definitions, hook), site)
    if isinstance(node, cst.ClassDef):
        if isinstance(point, CapturePoint) and point.override is not None:
            _plan_override(point, definition, offset, definitions, site)
            return None
        return "is a class, not a function"
    handler = FoundHandler(definition, node, offset)
    if site.binds_client(node):
        return f"binds the name {site.client.name} itself (the inserted call would use that)"
    if isinstance(point, CapturePoint):
        capture.plan_capture(point, handler, site)
        return None
    if isinstance(point, IdentifyPoint):
        return identify.plan_identify(point, handler, site)
    if isinstance(point, LogoutPoint):
        return logout.plan_logout(point, handler, site)
    exceptions.plan_exception(point, handler, site)
    return None


def _plan_override(
    point: CapturePoint,
    cls: Definition,
    offset: int,
    definitions: Sequence[Definition],
    site: FileEdit,
) -> None:
    """A class-based view: capture in its existing override, or add the override."""
    assert point.override is not None
    if point.event in cls.captured_events():
        return
    method = capture.existing_method(cls, point.override)
    definition = _definition_of(definitions, method)
    if method is None or definition is None:
        capture.plan_override(point, cls, site)
        return
    handler = FoundHandler(definition, method, offset)
    capture.plan_capture(point, handler, site)


def _definition_of(
    definitions: Sequence[Definition], node: cst.FunctionDef | cst.ClassDef | None
) -> Definition | None:
    return next((d for d in definitions if d.node is node), None) if node is not None else None
