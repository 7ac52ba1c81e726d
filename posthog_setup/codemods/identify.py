"""Identify on login and signup, right after the call that logs the user in
(or right before the token is returned, for token logins).

Three statements: bind the identity to the request context, put the person
properties on the person (the only place an email may go), and capture the event::

    identify_context(str(user.id))
    posthog_client.set(distinct_id=str(user.id), properties={"email": user.email})
    posthog_client.capture("user_logged_in", distinct_id=str(user.id))
"""

from __future__ import annotations

import libcst as cst

from posthog_setup.codemods.capture import add_override
from posthog_setup.codemods.handlers import (
    Definition,
    FoundHandler,
    body_end,
    handler_statement,
    last_return,
)
from posthog_setup.codemods.points import IdentifyPoint
from posthog_setup.codemods.render import (
    DictArg,
    as_text,
    call_source,
    string_literal,
)
from posthog_setup.codemods.splice import FileEdit

#: Ignore-comment rule that switches identify insertion off.
RULE = "missing-identify"
IDENTIFY = "identify_context"
#: The SDK module that exports ``identify_context``.
SDK_MODULE = "posthog"


def describe(point: IdentifyPoint) -> str:
    """What a note says was not inserted."""
    return f"identify and capture of {point.event}"


def plan_identify(point: IdentifyPoint, handler: FoundHandler, site: FileEdit) -> str | None:
    """Plan the identify statements; returns why they cannot go in, if they cannot."""
    if handler.definition.calls_named(IDENTIFY) or not site.claim(handler.node, IDENTIFY):
        return None
    spot = handler_statement(
        handler, point.call_line, site.step, site.positions, after=not point.before
    )
    if spot is None:
        return f"has no statement at line {point.call_line}"
    event = point.event not in handler.definition.captured_events() and site.claim(
        handler.node, point.event
    )
    sources = _sources(point, spot.indent, site, with_event=event)
    if not sources:
        return None
    site.splices.insert(spot, [site.statement(code) for code in sources], before=point.before)
    _use(point, sources, site)
    return None


def plan_override(
    point: IdentifyPoint, cls: Definition, hook: Definition | None, site: FileEdit
) -> str | None:
    """Identify in a class view's write hook (``perform_create``): at the end of ``hook``
    where the class has it (the object is saved there), else in the hook added to call the
    parent's and then identify."""
    assert point.override is not None
    assert isinstance(cls.node, cst.ClassDef)
    if hook is not None:
        definition = hook
        method = definition.node
        assert isinstance(method, cst.FunctionDef)
        handler = FoundHandler(definition, method)
        if definition.calls_named(IDENTIFY) or not site.claim(method, IDENTIFY):
            return None
        spot = last_return(handler)
        before = spot is not None
        spot = spot or body_end(method, definition.body_indent)
        event = point.event not in definition.captured_events()
        sources = _sources(point, spot.indent, site, with_event=event)
        site.splices.insert(spot, [site.statement(code) for code in sources], before=before)
        _use(point, sources, site)
        return None
    if not site.claim(cls.node, f"def {point.override}"):
        return None
    sources = _sources(point, cls.body_indent + site.step, site, with_event=True)
    add_override(cls, point.override, sources, site, before_parent=False)
    _use(point, sources, site)
    return None


def _sources(point: IdentifyPoint, indent: str, site: FileEdit, *, with_event: bool) -> list[str]:
    """``identify_context``, the person's properties and the event, laid out at ``indent``."""
    step, client = site.step, site.client.name
    sources = []
    user_id = as_text(point.user_id) if point.user_id is not None else None
    if user_id is not None:
        sources.append(call_source(IDENTIFY, [user_id], indent=indent, step=step))
    if point.person_properties and user_id is not None:
        properties = tuple((name, f"{point.user}.{name}") for name in point.person_properties)
        sources.append(
            call_source(
                f"{client}.set",
                [f"distinct_id={user_id}", DictArg("properties", properties)],
                indent=indent,
                step=step,
            )
        )
    if with_event:
        sources.append(
            call_source(
                f"{client}.capture",
                [string_literal(point.event)]
                + ([f"distinct_id={user_id}"] if user_id is not None else []),
                indent=indent,
                step=step,
            )
        )
    return sources


def _use(point: IdentifyPoint, sources: list[str], site: FileEdit) -> None:
    """The imports the statements need."""
    if point.user_id is not None:
        site.use(SDK_MODULE, IDENTIFY)
    if point.user_id is None or len(sources) > 1:
        site.use_client()
