"""Drift between the code and ``posthog-events.json``, and the plan that resolves it.

The plan is the contract; the code is where it is kept. After people change the
project, ``reconcile`` compares the two and returns the plan to keep plus a
finding for each difference:

- ``missing-capture`` / ``missing-identify`` / ``missing-exception-capture``: a
  mutating route (new or planned), login, signup, logout or 5xx handler that
  sends nothing. Fixed by the edit codemods.
- ``double-exception-capture``: an error handler that captures what the hook-up
  captured before it ran (a Flask 500 handler). Reported only.
- ``renamed-event``: a person renamed an event in the plan; the code still sends
  the old name. The plan wins (renames are never reverted): the code is changed.
- ``unplanned-event``: the code sends an event the plan does not list. Fixed by
  adding it to the plan: the code a person wrote is never changed for it.
- ``stale-event``: a planned event whose code is gone. Fixed by dropping it.
- ``second-client``: a PostHog client set up a second time. Reported only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from posthog_setup.analysis.model import Analysis, CaptureSite, ClientSetup, Finding, Route
from posthog_setup.plan.plan import (
    Plan,
    PlannedEvent,
    PlannedProperty,
    RouteIndex,
    event_methods,
    merge_names,
)


@dataclass(frozen=True)
class Rename:
    """A capture whose literal event name the fix changes."""

    file: str
    line: int
    old: str
    new: str


@dataclass(frozen=True)
class Reconciled:
    """The plan to keep, what differs from the code, and the renames that fix the code."""

    plan: Plan
    findings: tuple[Finding, ...]
    renames: tuple[Rename, ...]


def _in_handler(site: CaptureSite, file: str, handler: str) -> bool:
    """Is the capture inside the handler (or a method of the class the plan names)?"""
    if site.file != file or site.handler is None:
        return False
    return site.handler == handler or site.handler.startswith(handler + ".")


def _where(route: Route) -> str:
    methods = "/".join(m for m in event_methods(route))
    return f"{methods} {route.path} ({route.handler.qualname})"


def _missing(
    analysis: Analysis,
    plan: Plan,
    previous_keys: set[tuple[str, str, str, str, tuple[str, ...], str]],
    sites: Sequence[CaptureSite],
) -> list[Finding]:
    found: list[Finding] = []
    index = RouteIndex(analysis)
    for event in plan.events:
        if event.kind != "capture":
            continue
        route = index.find(event)
        if route is None or route.ignored or any(route.captures):
            continue
        new = "new mutating route" if event.key not in previous_keys else "mutating route"
        found.append(
            Finding(
                "missing-capture",
                route.handler.file,
                route.handler.line,
                1,
                f"{new} {_where(route)} sends no event; planned as '{event.event}'",
                fixable=True,
            )
        )
    names = {(e.kind, e.file, e.handler): e.event for e in plan.events}
    for point in analysis.auth_points:
        event_name = names.get((point.kind, point.handler.file, point.handler.qualname))
        if event_name is None or point.mechanism.endswith("signals") or point.untracked:
            continue
        where = point.code_in
        if any(_in_handler(s, where.file, where.qualname) for s in sites):
            continue
        if point.kind == "logout":
            rule, what = "missing-capture", f"logout in {point.handler.qualname} sends no event"
        else:
            rule = "missing-identify"
            what = f"{point.kind} in {point.handler.qualname} does not identify the user"
        if (point.kind != "logout" and not point.user_expression) or point.handler.ignores(rule):
            # Edit leaves a handler marked ignore alone: there is nothing to fix.
            continue
        found.append(
            Finding(
                rule,
                where.file,
                point.line,
                1,
                f"{what}; planned as '{event_name}'",
                fixable=True,
            )
        )
    planned = {(c.file, c.handler) for c in plan.exception_captures}
    for handler in analysis.error_handlers:
        key = (handler.handler.file, handler.handler.qualname)
        if (
            handler.server_error
            and not handler.captures
            and key in planned
            and not handler.handler.ignores("missing-exception-capture")
        ):
            found.append(
                Finding(
                    "missing-exception-capture",
                    handler.handler.file,
                    handler.line,
                    1,
                    f"error handler {handler.handler.qualname} does not call capture_exception",
                    fixable=True,
                )
            )
        first = handler.captured_first
        if (
            first is not None
            and handler.captures
            and not handler.handler.ignores("double-exception-capture")
        ):
            # Reported, never removed: the call may be the project's own.
            found.append(
                Finding(
                    "double-exception-capture",
                    handler.handler.file,
                    handler.line,
                    1,
                    f"error handler {handler.handler.qualname} calls capture_exception, but "
                    f"{first.reason}: each server error reaches PostHog twice; remove the call",
                )
            )
    return found


def _renames(
    plan: Plan, fresh: Plan, sites: Sequence[CaptureSite]
) -> tuple[list[Finding], list[Rename]]:
    """Planned names a person changed that the code does not send yet."""
    generated = {e.key: e.event for e in fresh.events}
    findings: list[Finding] = []
    renames: list[Rename] = []
    for event in plan.events:
        old = generated.get(event.key)
        if old is None or old == event.event:
            continue
        mine = [s for s in sites if _in_handler(s, event.file, event.handler)]
        if any(s.event == event.event for s in mine):
            continue
        for site in mine:
            if site.event == old:
                findings.append(
                    Finding(
                        "renamed-event",
                        site.file,
                        site.line,
                        1,
                        f"sends '{old}', renamed to '{event.event}' in posthog-events.json",
                        fixable=True,
                    )
                )
                renames.append(Rename(site.file, site.line, old, event.event))
    return findings, renames


def _hand_written(site: CaptureSite) -> PlannedEvent:
    assert site.event is not None
    where = site.handler or "module level"
    return PlannedEvent(
        event=site.event,
        description=f"Sent by hand-written code in {where}.",
        kind="capture",
        file=site.file,
        handler=site.handler or "",
        line=site.line,
        route=None,
        methods=(),
        properties=tuple(PlannedProperty(k, "", "string") for k in site.property_keys),
    )


def _as_sent(event: PlannedEvent, sites: Mapping[str, Sequence[CaptureSite]]) -> PlannedEvent:
    """``event`` without the properties its capture in the code does not send, where one
    capture in its handler sends it with a literal set of them (``sites`` by the event they
    send): the plan never claims a property the code leaves out (a fresh analysis may see a
    value the edit could not, such as the ``result`` it split a ``return`` into). A property
    added by hand stays the code's own, as the rest of what people write there."""
    if event.kind != "capture" or not event.properties:
        return event
    found = [s for s in sites.get(event.event, ()) if _in_handler(s, event.file, event.handler)]
    if len(found) != 1 or not found[0].properties_known:
        return event
    sent = set(found[0].property_keys)
    kept = tuple(p for p in event.properties if p.name in sent)
    return event if kept == event.properties else dataclasses.replace(event, properties=kept)


def _second_clients(setups: Sequence[ClientSetup], client_module: str) -> list[Finding]:
    if len(setups) < 2:
        return []
    primary = next((s for s in setups if s.file == client_module), setups[0])
    return [
        Finding(
            "second-client",
            s.file,
            s.line,
            s.col,
            f"a second PostHog client is set up here ({s.how}); the project's client is in "
            f"{primary.file}: import it instead",
        )
        for s in setups
        if s is not primary
    ]


def reconcile(
    analysis: Analysis,
    fresh: Plan,
    previous: Plan,
    sites: Sequence[CaptureSite],
    setups: Sequence[ClientSetup],
) -> Reconciled:
    """The plan to keep (``fresh`` with the previous names and hand-written events) and the drift."""
    merged = merge_names(fresh, previous)
    by_event: dict[str, list[CaptureSite]] = {}
    for site in sites:
        if site.event:
            by_event.setdefault(site.event, []).append(site)
    merged = dataclasses.replace(merged, events=tuple(_as_sent(e, by_event) for e in merged.events))
    fresh_keys = {e.key for e in merged.events}
    fresh_names = {e.event for e in merged.events}
    sent = {s.event for s in sites if s.event}
    findings: list[Finding] = []
    kept: list[PlannedEvent] = []
    for event in previous.events:
        if event.key in fresh_keys or event.event in fresh_names:
            # Unchanged, or moved with its code (a renamed handler still sending it).
            continue
        if event.event in sent:
            site = next(s for s in sites if s.event == event.event)
            kept.append(dataclasses.replace(event, file=site.file, line=site.line))
        else:
            findings.append(
                Finding(
                    "stale-event",
                    "posthog-events.json",
                    1,
                    1,
                    f"planned event '{event.event}' ({event.file}, {event.handler}) is sent "
                    "nowhere any more; it will be dropped from the plan",
                    fixable=True,
                )
            )
    planned_names = {e.event for e in merged.events} | {e.event for e in kept}
    rename_findings, renames = _renames(merged, fresh, sites)
    renamed = {(r.file, r.line) for r in renames}
    added: dict[str, PlannedEvent] = {}
    for site in sites:
        if not site.event or site.event.startswith("$") or site.event in planned_names:
            continue
        if (site.file, site.line) in renamed:
            continue
        if site.event not in added:
            added[site.event] = _hand_written(site)
            findings.append(
                Finding(
                    "unplanned-event",
                    site.file,
                    site.line,
                    1,
                    f"sends '{site.event}', which posthog-events.json does not list; "
                    "it will be added to the plan",
                    fixable=True,
                )
            )
    events = sorted(
        [*merged.events, *kept, *added.values()],
        key=lambda e: (e.file, e.route or "", e.methods, e.kind, e.handler, e.event),
    )
    plan = dataclasses.replace(merged, events=tuple(events))
    previous_keys = {e.key for e in previous.events}
    findings.extend(_missing(analysis, plan, previous_keys, sites))
    findings.extend(rename_findings)
    findings.extend(_second_clients(setups, plan.setup.client_module))
    findings.sort(key=lambda f: (f.file, f.line, f.col, f.rule))
    return Reconciled(plan, tuple(findings), tuple(renames))
