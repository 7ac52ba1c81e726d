"""conclude: verify the integration against a local mock host and write the report.

Static checks, the contract replay and the live check always run; ``--run-tests`` adds the
project's own test suite. Exit 0 when verified, 1 when a check failed (one line per
problem on stderr), 2 when there is nothing to verify or the run itself failed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posthog_setup.analysis.engine import analyse_project
from posthog_setup.analysis.model import AppObject
from posthog_setup.config import Config, ConfigError, load_config
from posthog_setup.console import Console
from posthog_setup.exits import Exit
from posthog_setup.frameworks import registry
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import PLAN_FILE, PlanError, read_plan
from posthog_setup.project.discovery import NotAPythonProject, python_project_root
from posthog_setup.project.transaction import TransactionFailed, Write, commit_changes
from posthog_setup.verify.checks import FAIL, PASS, SKIP, TEST_TOKEN
from posthog_setup.verify.interpreter import Interpreter
from posthog_setup.verify.report import REPORT_FILE, render_report
from posthog_setup.verify.suite import Echo
from posthog_setup.verify.verification import Verification, verify_project

_STATUS_WORDS = {PASS: "pass", FAIL: "FAIL", SKIP: "skip"}


class ConcludeError(Exception):
    """There is nothing to verify (no usable plan); the message says what to do."""


@dataclass(frozen=True)
class ConcludeResult:
    """What conclude verified and where the report is."""

    verification: Verification
    report_path: Path
    report_changed: bool

    @property
    def verified(self) -> bool:
        """True if no check failed."""
        return self.verification.verified

    @property
    def failures(self) -> tuple[str, ...]:
        """One line per problem."""
        return self.verification.failures


def conclude(
    root: Path,
    *,
    run_tests: str | None = None,
    host: MockPostHogHost | None = None,
    interpreter: Interpreter | None = None,
    token: str = TEST_TOKEN,
    test_timeout: float | None = None,
    echo: Echo | None = None,
) -> ConcludeResult:
    """Verify the project at ``root`` and write ``posthog-setup-report.md``.

    ``run_tests``: None leaves the tests alone, "" runs the detected runner, anything else
    is the command. ``host`` reuses a running mock host; ``interpreter`` overrides the
    discovery of the project's Python; ``echo`` gets the tests' output as it comes (else
    nothing is printed). Raises ConcludeError when there is no usable plan.
    """
    try:
        plan = read_plan(root)
    except PlanError as exc:
        raise ConcludeError(str(exc)) from exc
    if plan is None:
        raise ConcludeError(
            f"no {PLAN_FILE} in {root}: run `posthog-setup begin` and `posthog-setup edit` "
            "first (or `posthog-setup` for every stage)"
        )
    verification = verify_project(
        root,
        plan,
        run_tests=run_tests,
        host=host,
        interpreter=interpreter,
        token=token,
        test_timeout=test_timeout,
        echo=echo,
        apps=lambda: _app_objects(root),
    )
    text = render_report(verification)
    path = root / REPORT_FILE
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current != text:
        try:
            commit_changes(root, [Write(REPORT_FILE, text.encode("utf-8"))])
        except TransactionFailed as exc:
            raise ConcludeError(str(exc)) from exc
    return ConcludeResult(verification, path, current != text)


def _app_objects(root: Path) -> tuple[AppObject, ...]:
    """The app objects and factories the analysis finds in the project."""
    try:
        config = load_config(root)
    except ConfigError:
        config = Config()
    analysers = registry.analysers(config.frameworks)
    return analyse_project(root, analysers, exclude=config.exclude).apps


def _check_word(status: str) -> str:
    return {PASS: "passed", FAIL: "failed", SKIP: "skipped"}[status]


def summary_lines(result: ConcludeResult) -> list[str]:
    """A short summary for the end of a run: what was verified, failures, the report."""
    v = result.verification
    events = len(v.events)
    handlers = len(v.handlers)
    verdict = "verified" if result.verified else "verification failed"
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


def conclude_at(
    path: Path,
    *,
    console: Console,
    run_tests: str | None,
    python: Path | None = None,
    test_timeout: float | None = None,
) -> ConcludeResult | None:
    """The conclude stage on the project at or above ``path``; None after saying why it
    could not run."""
    try:
        root = python_project_root(path)
        interpreter = (
            Interpreter(str(python), "--env", "named on the command line")
            if python is not None
            else None
        )
        return conclude(
            root,
            run_tests=run_tests,
            interpreter=interpreter,
            test_timeout=test_timeout,
            echo=None if console.quiet else console.info,
        )
    except (ConcludeError, NotAPythonProject) as exc:
        console.error(str(exc))
    except OSError as exc:
        console.error(f"cannot verify: {exc}")
    return None


def show(result: ConcludeResult, *, console: Console, as_json: bool) -> int:
    """Say what conclude verified; the exit code it means."""
    v = result.verification
    root = v.root
    width = max(len(c.title) for c in v.checks)
    for check in v.checks:
        console.info(f"  {check.title:<{width}}  {_STATUS_WORDS[check.status]}  {check.message}")
    if v.suite is None:
        console.detail(f"  {'Project tests':<{width}}  not run (--run-tests runs them)")
    for event in v.events:
        console.detail(f"    {event.event.event:<28} {event.location or '-':<32} {event.verified}")
    for failure in result.failures:
        console.error(failure)
    if as_json:
        console.data(conclude_json(result))
    report = REPORT_FILE if result.report_path.parent == root else str(result.report_path)
    verb = "Wrote" if result.report_changed else "Unchanged:"
    if result.verified:
        events = len(v.events)
        console.success(f"Verified {events} event{'s' * (events != 1)}. {verb} {report}.")
        return Exit.OK
    failures = len(result.failures)
    console.info(
        f"Verification failed: {failures} problem{'s' * (failures != 1)}. {verb} {report}."
    )
    return Exit.PROBLEMS


def run_conclude(
    path: Path,
    *,
    console: Console,
    as_json: bool,
    run_tests: str | None,
    python: Path | None = None,
    test_timeout: float | None = None,
) -> int:
    """The conclude stage from the command line: verify, write the report, say the outcome."""
    result = conclude_at(
        path, console=console, run_tests=run_tests, python=python, test_timeout=test_timeout
    )
    if result is None:
        return Exit.ERROR
    return show(result, console=console, as_json=as_json)
