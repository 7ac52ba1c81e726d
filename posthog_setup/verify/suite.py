"""The project's own test suite, run against the mock host: which planned events it
triggered, and which tests failed."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import Plan
from posthog_setup.verify.checks import TEST_TOKEN, VERIFY_DISTINCT_ID, Check, outcome
from posthog_setup.verify.interpreter import Interpreter
from posthog_setup.verify.live import verification_env

#: Seconds the whole suite may run.
SUITE_TIMEOUT = 900.0
#: Failed tests listed one a line before the rest are counted together.
_LISTED_FAILURES = 20


@dataclass(frozen=True)
class SuiteResult:
    """The test check; ``seen`` holds the names of planned events the suite sent."""

    check: Check
    command: str | None
    seen: frozenset[str]
    failed: tuple[str, ...] = ()


def run_suite(
    root: Path,
    plan: Plan,
    interpreter: Interpreter,
    host: MockPostHogHost,
    command: str | None,
    *,
    token: str = TEST_TOKEN,
    timeout: float = SUITE_TIMEOUT,
) -> SuiteResult:
    """Run the tests (``command``, or the detected runner when None) with the client
    pointed at ``host``; a failing test or a failing run is a failure of the check."""
    from posthog_setup.verify.inserted import broken_routes, uncommitted_lines
    from posthog_setup.verify.testrun import TestRunError, run_project_tests

    since = host.store.last_seq
    inserted = uncommitted_lines(root)
    env = verification_env(plan, host.url, token)
    try:
        run = run_project_tests(root, interpreter.python, env, command, timeout=timeout)
    except TestRunError as exc:
        return SuiteResult(
            outcome("tests", "Project tests", "the test suite could not run", [f"tests: {exc}"]),
            None,
            frozenset(),
        )
    shown = shlex.join(
        interpreter.display(root) if part == interpreter.python else part for part in run.command
    )
    seen = frozenset(
        item.event
        for item in host.store.events(since=since)
        if item.distinct_id != VERIFY_DISTINCT_ID
    )
    planned = {e.event for e in plan.events}
    failures = [
        f"tests: {broken}, through a line posthog-setup inserted: the edit broke this "
        "route; run `git diff` on that line and report it"
        for broken in broken_routes(host.store.events(since=since), root, inserted)
    ]
    if run.timed_out:
        failures.append(f"tests: {shown} did not finish within {timeout:g} s")
    failures += [f"tests: {test} failed" for test in run.failed[:_LISTED_FAILURES]]
    if len(run.failed) > _LISTED_FAILURES:
        failures.append(f"tests: {len(run.failed) - _LISTED_FAILURES} more tests failed")
    if run.returncode != 0 and not run.timed_out and not run.failed:
        tail = [line for line in run.output_tail.splitlines() if line.strip()]
        last = tail[-1].strip() if tail else "no output"
        failures.append(f"tests: {shown} exited with status {run.returncode}: {last}")
    verdict = "failed" if failures else "passed"
    message = (
        f"{shown} ({run.runner}) {verdict}; {len(planned & seen)} of {len(planned)} planned "
        "event names seen at the mock host during the run"
    )
    return SuiteResult(
        outcome("tests", "Project tests", message, failures), shown, seen, run.failed
    )
