"""What the stages say: every table, line and summary a stage result is shown as.

The stages (``begin``, ``edit``, ``revise``, ``conclude``) return results; the commands
hand them here. Nothing in this module decides anything or touches a file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posthog_setup.analysis.model import Finding
from posthog_setup.codemods.changes import FileChange
from posthog_setup.codemods.placement import identity
from posthog_setup.console import Console
from posthog_setup.frameworks import registry
from posthog_setup.plan.plan import (
    PLAN_FILE,
    RECEIVERS,
    event_methods,
    plan_handler,
    plan_to_json,
    receivers_file,
)
from posthog_setup.verify.checks import FAIL, PASS, SKIP
from posthog_setup.workflow.verdict import NOTHING_TO_DO, warnings

if TYPE_CHECKING:
    from posthog_setup.verify.verification import Verification
    from posthog_setup.workflow.begin import BeginResult
    from posthog_setup.workflow.conclude import ConcludeResult
    from posthog_setup.workflow.edit import EditOutcome, Written
    from posthog_setup.workflow.revise import ReviseOutcome, ReviseResult


def unified_diff(change: FileChange) -> str:
    """A ``git apply``-able unified diff of one change.

    Bytes that are not UTF-8 (a latin-1 file) stay as surrogate escapes, which
    ``Console.data`` writes back as the same bytes: the patch must match the file.
    """
    before = change.before.decode("utf-8", "surrogateescape") if change.before is not None else ""
    after = change.after.decode("utf-8", "surrogateescape")
    import difflib  # only --diff shows one

    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{change.path}" if change.before is not None else "/dev/null",
        tofile=f"b/{change.path}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def written(
    console: Console, changes: Sequence[FileChange], result: Written, *, edited: str = "edited"
) -> None:
    """What one transaction wrote, file by file, and why it stopped if it did."""
    if result.error is not None and not result.paths:
        console.error(result.error)
        return
    for note in result.notes:
        console.warn(note)
    done = set(result.paths)
    for change in changes:
        if change.path in done:
            console.info(f"{'created' if change.before is None else edited} {change.path}")
    if result.error is not None:
        console.error(result.error)


_NOTHING_TO_DO = "Nothing to do: the integration is in place."


def edit(console: Console, outcome: EditOutcome, *, diff: bool, token_var: str | None) -> None:
    """The edit stage's result; ``token_var`` is the variable people set next, if any."""
    if outcome.refused is not None:
        console.error(outcome.refused)
        return
    if outcome.uncompilable:
        for line in outcome.uncompilable:
            console.error(f"internal error: the edit would not compile: {line}")
        console.error("nothing was written")
        return
    for warning in outcome.warnings:
        console.warn(warning)
    code_changes = outcome.code_changes
    if outcome.preview:
        if diff:
            for change in outcome.changes:
                console.data(unified_diff(change).rstrip("\n"))
        for change in outcome.changes:
            console.info(f"would {'create' if change.before is None else 'change'} {change.path}")
        if not code_changes:
            console.success(_NOTHING_TO_DO)
        return
    if outcome.dirty:
        console.error(
            "these files have uncommitted changes: "
            + ", ".join(outcome.dirty)
            + " (commit or stash them, or pass --allow-dirty)"
        )
        return
    if outcome.written is None:
        return
    written(console, outcome.changes, outcome.written)
    if outcome.written.error is not None:
        return
    if code_changes:
        count = len(code_changes)
        then = f", then set {token_var}" if token_var else ""
        console.success(f"Edited {count} file{'s' * (count != 1)}. Review the diff{then}.")
    else:
        console.success(_NOTHING_TO_DO)


def finding_line(finding: Finding) -> str:
    """One finding as ``file:line:col: rule message``, the way linters print."""
    tail = " [fixable]" if finding.fixable else ""
    return f"{finding.file}:{finding.line}:{finding.col}: {finding.rule} {finding.message}{tail}"


def revise_json(result: ReviseResult, remaining: Sequence[Finding], written: bool) -> str:
    """``revise --json``: every finding, whether it was fixed, and what changed."""
    left = {(f.rule, f.file, f.line, f.message) for f in remaining}
    data = {
        "root": str(result.root),
        "findings": [
            {**asdict(f), "fixed": written and (f.rule, f.file, f.line, f.message) not in left}
            for f in result.findings
        ],
        "changes": [c.path for c in result.changes],
        "written": written,
        "remaining": len(remaining),
        "notes": list(result.notes),
        "skipped": list(result.skipped),
    }
    return json.dumps(data, indent=2)


def revise(console: Console, outcome: ReviseOutcome, *, diff: bool, as_json: bool) -> None:
    """The revise stage's result."""
    result = outcome.result
    if outcome.error is not None or result is None:
        console.error(outcome.error or "revise could not run")
        return
    if result.uncompilable:
        for line in result.uncompilable:
            console.error(f"internal error: the fix would not compile: {line}")
        console.error("nothing was written")
        return
    for line in warnings(result.skipped, result.notes):
        console.warn(line)
    if outcome.written is not None:
        written(console, result.changes, outcome.written, edited="fixed")
        if outcome.written.error is not None:
            return
    if diff:
        for change in result.changes:
            console.data(unified_diff(change).rstrip("\n"))
    remaining = outcome.remaining
    # What the project had before this run is shown apart (a full run's), and not counted.
    own = tuple(f for f in remaining if f not in outcome.inherited)
    if as_json:
        wrote = outcome.written is not None
        console.data(revise_json(result, remaining, outcome.write and wrote))
    elif not diff:
        for finding in own:
            console.data(finding_line(finding))
        _inherited(console, outcome.inherited)
    fixed = outcome.fixed
    remaining = own
    if not remaining:
        left = (
            "nothing is left in what this run wrote." if outcome.inherited else "nothing is left."
        )
        if fixed:
            console.success(f"Fixed {fixed} problem{'s' * (fixed != 1)}; {left}")
        elif outcome.inherited:
            console.success(left.capitalize())
        else:
            console.success(NOTHING_TO_DO)
        return
    fixable = sum(1 for f in remaining if f.fixable)
    parts = [f"{len(remaining)} problem{'s' * (len(remaining) != 1)}"]
    if fixed:
        parts.insert(0, f"fixed {fixed}")
    if fixable and not outcome.write:
        parts.append(f"{fixable} fixable with `posthog-setup revise`")
    console.error("; ".join(parts) + ".")


def _inherited(console: Console, findings: Sequence[Finding]) -> None:
    """The findings in code the project had before this run: shown, left to the user."""
    if not findings:
        return
    console.warn(
        f"{_plural(len(findings), 'finding')} in the project's own code, there before this run "
        "(left as they are; `posthog-setup revise --check`, the pre-commit check, reports them "
        "until they are changed or marked `# posthog-setup: ignore[rule]`):"
    )
    for finding in findings:
        console.data(finding_line(finding))


# -- begin ------------------------------------------------------------------------------


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_table(result: BeginResult) -> str:
    """The human summary: the project, its routes and what will be captured."""
    analysis, plan = result.analysis, result.plan
    project = analysis.project
    frameworks = registry.titles(project.frameworks, analysis.apps) or "no supported framework"
    manifest = plan.setup.manifest or "no manifest"
    lines = [
        f"{project.name}: {frameworks} · {project.dependency_manager} ({manifest}) · "
        f"{analysis.files_scanned} files, {analysis.files_analysed} analysed, {len(analysis.skipped)} skipped",
        "",
    ]
    # A route whose ways send events of their own (a webhook's types, a toggle's create
    # and delete) lists them all.
    named: dict[tuple[str, str, str | None, tuple[str, ...]], list[str]] = {}
    for e in plan.events:
        named.setdefault((e.file, e.handler, e.route, e.methods), []).append(e.event)
    events_by_route = {key: ", ".join(events) for key, events in named.items()}
    rows = [("Route", "Methods", "Handler", "Mutates", "Event")]
    for route in analysis.routes:
        methods = event_methods(route)
        event = events_by_route.get(
            (route.handler.file, route.handler.qualname, route.path, methods)
        ) or events_by_route.get(
            # a class view's event is filed under its class, where edit may add the hook
            (route.handler.file, plan_handler(route, analysis), route.path, methods),
            "",
        )
        if route.mutating and not event and not route.ignored and route.anchor is None:
            # No statement on the success path to capture at: nothing is planned there.
            event = "(no success path)"
        mutates = "yes" if route.mutating else "no"
        if route.ignored:
            mutates += " (ignored)"
        rows.append(
            (
                route.path,
                " ".join(route.methods),
                f"{route.handler.file}:{route.handler.line} {route.handler.qualname}",
                mutates,
                event,
            )
        )
    if len(rows) > 1:
        widths = [
            min(max(len(r[i]) for r in rows), cap) for i, cap in enumerate((40, 18, 56, 13, 28))
        ]
        for index, row in enumerate(rows):
            lines.append(
                "  "
                + "  ".join(_cell(c, w).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )
            if index == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
    else:
        lines.append("  No routes found.")
    for framework, file in analysis.unsupported:
        lines.append(f"  {framework} found ({file}): not supported yet, left alone")
    lines.append("")
    receivers = receivers_file(plan.setup.client_module)
    for point in analysis.auth_points:
        signal = point.mechanism.endswith("signals")
        planned = next(
            (
                e
                for e in plan.events
                if e.kind == point.kind
                and (e.file, e.handler)
                == (
                    (receivers, RECEIVERS[point.kind])
                    if signal
                    else (point.handler.file, point.handler.qualname)
                )
            ),
            None,
        )
        event = planned.event if planned is not None else ""
        via = f" (a signal receiver in {receivers})" if signal and event else ""
        if point.identified_by is not None and event:
            via = f" (identified by {point.identified_by})"
        elif (
            planned is not None
            and not signal
            and point.kind != "logout"
            and identity(point, analysis) is None
        ):
            via = " (sent without a person: no key of the user is proven readable there)"
        if point.untracked is not None:
            event, via = "not instrumented", f": {point.untracked}"
        lines.append(
            f"  {point.kind:<7} {point.code_in.file}:{point.line} {point.call} -> {event}{via}"
        )
    for handler in analysis.error_handlers:
        if handler.server_error:
            action = "capture_exception"
        elif handler.captured_first is not None:
            action = f"left alone ({handler.captured_first.reason})"
        else:
            action = "left alone (not a server error)"
        lines.append(
            f"  errors  {handler.handler.file}:{handler.line} {', '.join(handler.handles)} -> {action}"
        )
    existing = analysis.existing
    if existing.in_manifests or existing.imported_in or existing.captures:
        style = f", naming style {existing.naming_style}" if existing.naming_style else ""
        lines.append(
            f"  PostHog already present: {len(existing.captures)} capture call(s) in {len(existing.imported_in)} file(s){style}"
            + (f"; required in {', '.join(existing.in_manifests)}" if existing.in_manifests else "")
        )
    setup = plan.setup
    if setup.adopted:
        if setup.default_client:
            how = "posthog's own client, configured there: edited code calls posthog.*"
        elif setup.unreachable:
            how = "built inside a function: edited code cannot import it"
        else:
            how = f"edited code imports {setup.client_name} from it"
        lines.append(f"  client  the project's own, in {setup.client_module} ({how})")
    for tool in analysis.monitoring:
        lines.append(f"  beside  {tool.tool} ({tool.file}:{tool.line}, {tool.detail})")
    for skipped in analysis.skipped:
        lines.append(f"  skipped {skipped.file}: {skipped.reason}")
    return "\n".join(lines).rstrip() + "\n"


def analysis_json(result: BeginResult) -> str:
    """The whole analysis and plan as JSON."""
    setup = result.plan.setup
    analysis = asdict(result.analysis)
    # What frameworks guarantee is behaviour, not data: the routes already show its effect.
    analysis.pop("framework_conventions")
    # The codemods' reading of the handlers' files, kept to spare them a parse.
    analysis.pop("definitions")
    data: dict[str, Any] = {
        "root": str(result.root),
        "analysis": analysis,
        "plan": json.loads(plan_to_json(result.plan)),
        "client_module": {
            "path": setup.client_module,
            "source": _client_source(
                project_name=result.analysis.project.name,
                token_var=setup.token_var,
                host_var=setup.host_var,
            ),
        },
    }
    return json.dumps(data, indent=2, default=str)


def _client_source(*, project_name: str, token_var: str, host_var: str) -> str:
    from posthog_setup.templating import render_client_module  # jinja2, only for --json

    return render_client_module(project_name=project_name, token_var=token_var, host_var=host_var)


def begin(
    console: Console, result: BeginResult, *, wrote: bool, error: str | None, as_json: bool
) -> None:
    """What begin found, and whether it wrote the plan."""
    if error is not None:
        console.error(error)
        return
    if as_json:
        console.data(analysis_json(result))
    console.info(summary_table(result))
    verb = "Wrote" if wrote else "Unchanged:"
    events = len(result.plan.events)
    handlers = len(result.plan.exception_captures)
    console.success(
        f"{verb} {PLAN_FILE} ({events} event{'s' * (events != 1)}, "
        f"{handlers} exception handler{'s' * (handlers != 1)})."
    )


# -- conclude ---------------------------------------------------------------------------


STATUS_WORDS = {PASS: "pass", FAIL: "FAIL", SKIP: "skip"}


def _check_word(status: str) -> str:
    return {PASS: "passed", FAIL: "failed", SKIP: "skipped"}[status]


def summary_lines(result: ConcludeResult) -> list[str]:
    """A short summary for the end of a run: what was verified, failures, the report."""
    v = result.verification
    events = len(v.events)
    handlers = len(v.handlers)
    verdict = "verified" if result.verified else "verification failed"
    if v.nothing_planned is not None and result.verified:
        verdict = f"no events to verify ({v.nothing_planned.reason})"
    lines = [
        f"conclude: {verdict} for {v.project}: {events} event{'s' * (events != 1)}, "
        f"{handlers} error handler{'s' * (handlers != 1)}",
        "checks: "
        + ", ".join(f"{c.title.lower()} {_check_word(c.status)}" for c in v.checks)
        + ("" if v.suite is not None else ", project tests not run"),
    ]
    failures = len(result.failures)
    lines.append(f"failures: {failures}" if failures else "failures: none")
    lines.extend(f"skipped: {c.title.lower()}: {c.message}" for c in v.checks if c.status == SKIP)
    lines.append(f"report: {result.report_path}")
    return lines


def conclude_json(result: ConcludeResult) -> str:
    """The verification as JSON, for machines."""
    v = result.verification
    data: dict[str, Any] = {
        "root": str(v.root),
        "project": v.project,
        "frameworks": list(v.plan.setup.frameworks),
        "verified": result.verified,
        "nothing_planned": (
            None
            if v.nothing_planned is None
            else {"reason": v.nothing_planned.reason, "warning": v.nothing_planned.warning}
        ),
        "report": str(result.report_path),
        "interpreter": {
            "python": v.interpreter.python,
            "source": v.interpreter.source,
            "reason": v.interpreter.reason,
            "python_version": v.live.python_version,
            "posthog_version": v.live.posthog_version,
        },
        "checks": [
            {
                "name": c.name,
                "title": c.title,
                "status": c.status,
                "message": c.message,
                "failures": list(c.failures),
            }
            for c in v.checks
        ],
        "events": [
            {
                "event": e.event.event,
                "description": e.event.description,
                "kind": e.event.kind,
                "file": e.event.file,
                "handler": e.event.handler,
                "location": e.location,
                "status": "pass" if e.ok else "fail",
                "replayed": e.replayed,
                "live": e.live,
                "seen_in_tests": e.seen_in_tests,
                "verified": e.verified,
                "problem": e.problem,
            }
            for e in v.events
        ],
        "exception_handlers": [
            {
                "file": h.capture.file,
                "handler": h.capture.handler,
                "location": h.location,
                "status": "pass" if h.problem is None else "fail",
                "problem": h.problem,
            }
            for h in v.handlers
        ],
        "failures": list(result.failures),
    }
    if v.entry.entry is not None:
        data["app"] = {"started_by": v.entry.entry.description, "why": v.entry.entry.because}
    if v.suite is not None:
        comparison = v.suite.comparison
        compared = comparison is not None and comparison.skipped is None
        data["tests"] = {
            "command": v.suite.command,
            "passed": v.suite.passed,
            "failed": list(v.suite.failed),
            "broke": list(v.suite.broke),
            "seen_events": sorted(v.suite.seen),
            "before_the_edit": {
                "compared": compared,
                "skipped": comparison.skipped if comparison is not None else None,
                "passed": comparison.passed_before if comparison is not None else None,
                "failing_before_too": list(comparison.failing_both) if comparison else [],
            },
        }
    return json.dumps(data, indent=2, ensure_ascii=False)


# -- the full run -----------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _verified_lines(v: Verification) -> list[str]:
    """What passed, and how it was seen: imported, tests run, events seen."""
    lines = []
    if v.static.check.status == PASS:
        if v.events:
            lines.append("the edited files compile, and every planned capture is in the code")
        elif v.handlers:
            lines.append(
                "the edited files compile, and every error handler's capture is in the code"
            )
        else:
            lines.append("the edited files compile")
    if v.replay.check.status == PASS and v.events:
        lines.append(
            f"{_plural(len(v.events), 'planned event')} accepted by a local mock PostHog host"
        )
    if v.live.check.status == PASS:
        lines.append(
            f"imported: {v.live.module}, by {v.interpreter.display(v.root)}, delivered an event"
        )
    if v.entry.check.status == PASS and v.entry.entry is not None:
        entry = v.entry.entry
        lines.append(f"app: {entry.description}" + (f" ({entry.because})" if entry.because else ""))
    suite = v.suite
    if suite is not None and suite.check.status == PASS:
        passed = f"{_plural(suite.passed, 'test')} passed" if suite.passed is not None else "passed"
        before = suite.comparison
        if before is not None and before.skipped is None and before.passed_before is not None:
            passed += f" ({before.passed_before} before the edit)"
        planned = {e.event.event for e in v.events}
        seen = len(planned & suite.seen)
        lines.append(f"tests run: {passed}; events seen: {seen} of {len(planned)} planned")
    return lines


def summary(
    written: list[str],
    revised: int,
    concluded: ConcludeResult | None,
    path: Path,
    inherited: int = 0,
) -> list[str]:
    """The end of a full run, in order: what changed, what was verified and how, what was
    skipped (with the command that would check it), what failed, and the report."""
    lines = ["", "Summary"]
    if written:
        shown = ", ".join(written[:6]) + (
            f", and {len(written) - 6} more" if len(written) > 6 else ""
        )
        lines.append(f"  changed   {_plural(len(written), 'file')}: {shown}")
        lines.append("            review them with `git diff` before committing")
    else:
        lines.append("  changed   nothing: the integration was already in place")
    lines.append(
        "  revise    no problems left"
        if revised == 0
        else "  revise    problems left, listed above (`posthog-setup revise --check`)"
    )
    if inherited:
        lines.append(
            f"            {_plural(inherited, 'finding')} in the project's own code, listed above, "
            "left to you"
        )
    if concluded is None:
        return lines
    v = concluded.verification

    def block(label: str, items: list[str]) -> None:
        for number, item in enumerate(items):
            lines.append(f"  {label if number == 0 else '':<9} {item}")

    nothing = v.nothing_planned
    if nothing is not None and nothing.warning:
        block("warning", [f"no event is captured: {nothing.reason}"])
    elif nothing is not None:
        block("events", [f"none captured: {nothing.reason}"])
    block("verified", _verified_lines(v) or ["nothing"])
    block("skipped", _skipped_lines(v, path))
    if not concluded.verified:
        failed = [c.title.lower() for c in v.checks if c.status == FAIL]
        block(
            "FAILED",
            [f"{_plural(len(concluded.failures), 'problem')}, listed above ({', '.join(failed)})"],
        )
    lines.append(f"  report    {concluded.report_path}")
    return lines


def _skipped_lines(v: Verification, path: Path) -> list[str]:
    """What was not checked, each with the one command that would check it."""
    lines = [f"{c.title.lower()}: {c.message}" for c in v.checks if c.status == SKIP]
    if v.suite is None:
        lines.append(f"project tests: not run: `posthog-setup conclude --run-tests {path}`")
    return lines


def conclude(console: Console, result: ConcludeResult, *, as_json: bool) -> None:
    """What conclude verified, check by check, and where the report is."""
    v = result.verification
    width = max(len(c.title) for c in v.checks)
    for check in v.checks:
        console.info(f"  {check.title:<{width}}  {STATUS_WORDS[check.status]}  {check.message}")
    if v.suite is None:
        console.detail(f"  {'Project tests':<{width}}  not run (--run-tests runs them)")
    for event in v.events:
        console.detail(f"    {event.event.event:<28} {event.location or '-':<32} {event.verified}")
    for failure in result.failures:
        console.error(failure)
    if as_json:
        console.data(conclude_json(result))
    report = (
        result.report_path.name if result.report_path.parent == v.root else str(result.report_path)
    )
    verb = "Wrote" if result.report_changed else "Unchanged:"
    nothing = v.nothing_planned
    if nothing is not None:
        # No event exists to be verified: say why, never "Verified 0 events".
        why = f"no events to verify: {nothing.reason}, so no event is captured"
        if not result.verified:
            if nothing.warning:
                console.warn(f"{why}.")
        elif nothing.warning:
            console.warn(f"{why}. {verb} {report}.")
            return
        else:
            console.success(f"{why[0].upper()}{why[1:]}. {verb} {report}.")
            return
    if result.verified:
        events = f"{len(v.events)} event{'s' * (len(v.events) != 1)}"
        ran = (v.live.check, v.entry.check, *((v.suite.check,) if v.suite else ()))
        if any(c.status == PASS for c in ran):
            console.success(f"Verified {events}. {verb} {report}.")
        else:
            # Nothing of the project's ran (its client, its app, its tests): "verified"
            # would claim what no check saw.
            console.success(
                f"Checked {events}: in the code and accepted by the mock host; the project's "
                f"own code did not run (see skipped). {verb} {report}."
            )
        return
    failures = len(result.failures)
    console.info(
        f"Verification failed: {failures} problem{'s' * (failures != 1)}. {verb} {report}."
    )
