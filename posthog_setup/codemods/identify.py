"""Identify on login and signup, right after the call that logs the user in
(or right before the token is returned, for token logins).

Three statements: bind the identity to the request context, put the person
properties on the person (the only place an email may go), and capture the event::

    identify_context(str(user.id))
    posthog_client.set(distinct_id=str(user.id), properties={"email": user.email})
    posthog_client.capture("user_logged_in", distinct_id=str(user.id))
"""

from __future__ import annotations

from posthog_setup.codemods.base import CLIENT_NAME
from posthog_setup.codemods.handlers import FoundHandler, handler_statement
from posthog_setup.codemods.points import IdentifyPoint
from posthog_setup.codemods.render import DictArg, as_text, call_source, string_literal
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
    sources = []
    user_id = as_text(point.user_id) if point.user_id is not None else None
    if user_id is not None:
        sources.append(call_source(IDENTIFY, [user_id], indent=spot.indent, step=site.step))
    if point.person_properties and user_id is not None:
        properties = tuple((name, f"{point.user}.{name}") for name in point.person_properties)
        sources.append(
            call_source(
                f"{CLIENT_NAME}.set",
                [f"distinct_id={user_id}", DictArg("properties", properties)],
                indent=spot.indent,
                step=site.step,
            )
        )
    if point.event not in handler.definition.captured_events() and site.claim(
        handler.node, point.event
    ):
        sources.append(
            call_source(
                f"{CLIENT_NAME}.capture",
                [string_literal(point.event)]
                + ([f"distinct_id={user_id}"] if user_id is not None else []),
                indent=spot.indent,
                step=site.step,
            )
        )
    if not sources:
        return None
    site.splices.insert(spot, [site.statement(code) for code in sources], before=point.before)
    if user_id is not None:
        site.use(SDK_MODULE, IDENTIFY)
    if user_id is None or len(sources) > 1:
        site.use_client()
    return None
