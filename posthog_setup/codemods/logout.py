"""Capture ``user_logged_out`` right before the logout call, while the user is still known,
and only where someone is logged in."""

from __future__ import annotations

from posthog_setup.codemods.handlers import FoundHandler, handler_statement
from posthog_setup.codemods.points import LogoutPoint
from posthog_setup.codemods.render import (
    Argument,
    call_source,
    distinct_id_argument,
    indented,
    string_literal,
)
from posthog_setup.codemods.splice import FileEdit

#: Ignore-comment rule that switches the logout capture off.
RULE = "missing-capture"


def describe(point: LogoutPoint) -> str:
    """What a note says was not inserted."""
    return f"capture of {point.event}"


def plan_logout(point: LogoutPoint, handler: FoundHandler, site: FileEdit) -> str | None:
    """Plan the capture before the logout call; returns why it cannot go in, if it cannot."""
    if point.event in handler.definition.captured_events() or not site.claim(
        handler.node, point.event
    ):
        return None
    spot = handler_statement(handler, point.call_line, site.step, site.positions, after=False)
    if spot is None:
        return f"has no statement at line {point.call_line}"
    args: list[Argument] = [string_literal(point.event)]
    # The user's id may read a name the code binds to something else: then leave it out.
    known = site.may_import(point.imports, handler.node)
    # A visitor nobody is logged in as logs nobody out: sent only where someone is.
    guard = point.guard if known and point.distinct_id is not None else None
    if known:
        args += distinct_id_argument(point.distinct_id, None)
    indent = spot.indent + site.step if guard else spot.indent
    code = call_source(f"{site.client.name}.capture", args, indent=indent, step=site.step)
    if guard:
        code = f"if {guard}:\n{indented(code, site.step)}"
    site.splices.insert(spot, [site.statement(code)], before=True)
    site.use_client()
    for module, name in point.imports if known else ():
        site.use(module, name)
    return None
