"""``posthog-setup-report.md``: what was verified, what to set, what to check before merging.

The report holds no date, port or other per-run detail: the same project verified in the same
environment gives the same file, so it can be committed and diffed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from posthog_setup.frameworks import registry
from posthog_setup.project.discovery import tracked_by_git
from posthog_setup.templating import prepare, render
from posthog_setup.verify.checks import FAIL, PASS, SKIP
from posthog_setup.verify.live import LIVE_EVENT, install_hint
from posthog_setup.verify.verification import Verification

REPORT_FILE = "posthog-setup-report.md"
_TEMPLATE = "posthog-setup-report.md.j2"
DEFAULT_HOST = "https://us.i.posthog.com"
_RESULTS = {PASS: "✓ passed", FAIL: "✗ failed", SKIP: "skipped"}


@dataclass(frozen=True)
class ChecklistItem:
    """One line of "Verify before merging"; ``done`` when this run already verified it."""

    text: str
    done: bool = False


def cell(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def code(text: str | None) -> str:
    """Inline code, or a dash when there is nothing to show."""
    return f"`{text}`" if text else "—"


def frameworks(verification: Verification) -> str:
    """The project's frameworks as people name them."""
    names = [registry.title(f) for f in verification.plan.setup.frameworks]
    return ", ".join(names) or "no supported framework"


def _summary(v: Verification) -> list[str]:
    setup = v.plan.setup
    manager = setup.dependency_manager + (f", `{setup.manifest}`" if setup.manifest else "")
    located = sum(1 for e in v.events if e.location is not None)
    handled = sum(1 for h in v.handlers if h.location is not None)
    failures = len(v.failures)
    lines = [
        f"Project: {v.project} ({frameworks(v)}); dependencies: {manager}",
        f"Events: {len(v.events)} planned in `posthog-events.json`, {located} captured in the "
        f"code; {len(v.handlers)} error handler{'s' * (len(v.handlers) != 1)} "
        f"({handled} sending exceptions)",
        f"Client: `{setup.client_module}`, configured from `{setup.token_var}` and "
        f"`{setup.host_var}`",
    ]
    anonymous = sorted(
        {
            e.event.event
            for e in v.events
            if e.event.kind == "capture"
            and e.event.distinct_id is None
            and not any(p.name == "$process_person_profile" for p in e.event.properties)
        }
    )
    if anonymous:
        lines.append(
            "Sent without a person (no signed-in user is proven readable where they are "
            f"captured): {', '.join(f'`{name}`' for name in anonymous)}"
        )
    unidentified = sorted({e.event.event for e in v.events if e.personless})
    if unidentified:
        lines.append(
            "Logins and signups that identify nobody (no key of the user is proven readable "
            f"where they are captured): {', '.join(f'`{name}`' for name in unidentified)}"
        )
    if v.static.hookups:
        lines.append(
            "Hook-up: " + "; ".join(f"`{hook}` at `{where}`" for hook, where in v.static.hookups)
        )
    lines.append(
        f"Python for the live check: `{v.interpreter.display(v.root)}`, {v.interpreter.reason}"
    )
    nothing = v.nothing_planned
    if nothing is not None and nothing.warning:
        lines.append(
            f"**Warning**: {nothing.reason}, so no event is captured; `posthog-setup begin` "
            "lists what the analysis found"
        )
    if not v.verified:
        lines.append(
            f"Verification: **failed**, {failures} problem{'s' * (failures != 1)} (listed below)"
        )
    elif nothing is not None:
        # No event exists to have passed: the checks verified the client and the hook-up.
        lines.append("Verification: **no events to verify**; no check failed")
    else:
        lines.append("Verification: **passed**")
    return lines


def _verdict(v: Verification) -> str:
    ran = [c.title.lower() for c in v.checks if c.status == PASS]
    if v.verified and v.nothing_planned is not None:
        return (
            f"**No events**: {v.nothing_planned.reason}, so no event is captured; "
            f"{', '.join(ran) or 'no check'} passed."
        )
    if v.verified:
        return f"**Verified**: {', '.join(ran) or 'no check'} passed."
    failed = [c.title.lower() for c in v.checks if c.status == FAIL]
    return f"**Not verified**: {', '.join(failed)} failed. Fix the problems below and run it again."


def _legend(v: Verification) -> list[str]:
    lines = [
        "replayed: the event, with a sample value of each planned property, went through the "
        "bundled client to the mock host, which accepted it as PostHog ingestion would.",
        f"live: the project's own client module, imported by the project's interpreter, "
        f"delivered a `{LIVE_EVENT}` event to the mock host.",
    ]
    if v.suite is not None:
        lines.append(
            "seen in tests: the project's test suite, run against the mock host, sent the event."
        )
    return lines


def _find_the_events(host_var: str) -> ChecklistItem:
    """The item that sends people to PostHog to see the planned events arrive."""
    return ChecklistItem(
        "Once deployed with the token (or run locally with it), use the app, then find the "
        "events above in PostHog's Activity view (live events). To watch them locally "
        "first, run `posthog-setup mock-host` and point "
        f"`{host_var}` at the address it prints."
    )


def _checklist(v: Verification) -> list[ChecklistItem]:
    setup = v.plan.setup
    items = []
    if not v.verified:
        items.append(
            ChecklistItem("Fix the problems listed above, then run `posthog-setup conclude` again.")
        )
    items.append(
        ChecklistItem(
            "Review the diff (`git diff`): the client module, the framework hook-up and each "
            "capture. A capture belongs after the change it records, and no event property may "
            "carry personal data (emails, names, tokens): an email or a username goes on the "
            "person, as login and signup set it (`posthog_client.set`)."
        )
    )
    manifest = f" (`{setup.manifest}` lists it)" if setup.manifest else ""
    items.append(
        ChecklistItem(
            f"Install the dependencies so `posthog` is present wherever the app runs{manifest}: "
            f"`{install_hint(v.plan, 'python')}`."
        )
    )
    items.append(
        ChecklistItem(
            f"Set `{setup.token_var}` in every environment the app runs in (deployments, "
            f"staging, CI), and `{setup.host_var}` outside US Cloud."
        )
    )
    if v.suite is not None and v.suite.check.status == PASS:
        items.append(
            ChecklistItem(
                f"The test suite passes with the client pointed at the mock host (`{v.suite.command}`).",
                done=True,
            )
        )
    else:
        items.append(
            ChecklistItem(
                "Run the test suite with the client pointed at the mock host: "
                "`posthog-setup conclude --run-tests`."
            )
        )
    if v.events:
        items.append(_find_the_events(setup.host_var))
    if v.handlers:
        items.append(
            ChecklistItem(
                "Make a request fail on staging and find the `$exception` in PostHog's Error "
                "tracking."
            )
        )
    if v.front_end:
        items.append(
            ChecklistItem(
                "The project has a front end: if it runs posthog-js, send the "
                "`X-POSTHOG-DISTINCT-ID` and `X-POSTHOG-SESSION-ID` headers with requests to "
                "this back end, so front-end and back-end events join the same person and "
                "session."
            )
        )
    items.append(
        ChecklistItem(
            "Keep the plan and the code in step: run `posthog-setup revise --check` in CI or "
            "pre-commit."
        )
    )
    return items


def _skipped(v: Verification) -> list[str]:
    lines = [f"{c.title}: {c.message}" for c in v.checks if c.status == SKIP]
    if v.suite is None:
        lines.append(
            "Project tests: not run. `posthog-setup conclude --run-tests` runs them with the "
            "client pointed at the mock host and shows which events they trigger."
        )
    else:
        unseen = sorted({e.event.event for e in v.events if e.seen_in_tests is False})
        if unseen:
            lines.append(
                "Not triggered by the tests (no test reaches their capture): "
                + ", ".join(f"`{name}`" for name in unseen)
                + "."
            )
    if v.static.unchecked:
        lines.append(
            "Captures whose event name is not a literal, so not checked against the plan: "
            + ", ".join(f"`{where}`" for where in v.static.unchecked)
            + "."
        )
    lines.extend(f"Not read: {reason}." for reason in v.static.skipped)
    lines.append(
        "Beyond any offline check: that each capture runs when its route is used (the "
        "project's tests show it for the routes they reach), and delivery to your PostHog "
        "project with the real token."
    )
    return lines


def report_context(v: Verification) -> dict[str, Any]:
    """Everything the template shows, already formatted."""
    return {
        "project": v.project,
        "verdict": _verdict(v),
        "summary": _summary(v),
        "checks": [
            {"title": c.title, "result": _RESULTS[c.status], "message": cell(c.message)}
            for c in v.checks
        ],
        "problems": list(v.failures),
        "nothing_planned": v.nothing_planned.reason if v.nothing_planned else None,
        "events": [
            {
                "event": code(cell(e.event.event)),
                "description": cell(e.event.description),
                "location": code(e.location),
                "verified": cell(e.verified),
            }
            for e in v.events
        ],
        "legend": _legend(v),
        "handlers": [
            {
                "handler": code(h.capture.handler),
                "handles": cell(", ".join(h.capture.handles)) or "—",
                "location": code(h.location) if h.location else f"✗ {cell(h.problem or '')}",
            }
            for h in v.handlers
        ],
        "token_var": v.plan.setup.token_var,
        "env_tracked": (v.root / ".env").is_file() and tracked_by_git(v.root, ".env"),
        "host_var": v.plan.setup.host_var,
        "default_host": DEFAULT_HOST,
        "checklist": _checklist(v),
        "skipped": _skipped(v),
    }


def prepare_report() -> None:
    """Load the report's template now (jinja2 with it), to render it later at once."""
    prepare(_TEMPLATE)


def render_report(verification: Verification) -> str:
    """The text of ``posthog-setup-report.md``."""
    return render(_TEMPLATE, **report_context(verification))
