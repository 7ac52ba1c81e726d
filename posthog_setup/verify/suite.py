"""The project's own test suite, run against the mock host: which planned events it
triggered, and which tests the edit broke.

The suite runs twice where the project is in a git repository: on the edited tree, then
on ``HEAD`` (a temporary worktree, see ``baseline``). A test that fails after the edit
but passed before is broken; one that fails both times is not the edit's doing and is
only mentioned.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import Plan
from posthog_setup.verify.checks import SKIP, TEST_TOKEN, VERIFY_DISTINCT_ID, Check, outcome
from posthog_setup.verify.interpreter import Interpreter
from posthog_setup.verify.live import verification_env

#: Seconds the whole suite may run (each of the two runs).
SUITE_TIMEOUT = 900.0
#: Failed tests listed one a line before the rest are counted together.
_LISTED_FAILURES = 20
#: Tests failing before and after the edit named in the message before the rest are counted.
_LISTED_BOTH = 5

#: Receives each line of a run's output as it comes.
Echo = Callable[[str], None]


@dataclass(frozen=True)
class Comparison:
    """The run on the unedited tree (``HEAD``), or why there was none (``skipped``)."""

    skipped: str | None = None
    passed_before: int | None = None
    failed_before: tuple[str, ...] = ()
    #: every test that ran before the edit, where a report lists them
    tests_before: tuple[str, ...] | None = None
    #: tests that failed after the edit and before it too
    failing_both: tuple[str, ...] = ()

    def why_failed(self, test: str) -> str:
        """How a test that fails after the edit stands against the run before it."""
        if self.skipped is not None:
            return "failed"
        if self.tests_before is not None and test not in self.tests_before:
            return "failed (a test HEAD does not have)"
        return "failed after the edit and passed before it"


@dataclass(frozen=True)
class SuiteResult:
    """The test check; ``seen`` holds the names of planned events the suite sent."""

    check: Check
    command: str | None
    seen: frozenset[str]
    failed: tuple[str, ...] = ()
    passed: int | None = None
    comparison: Comparison | None = None
    #: tests that passed before the edit (or are new) and fail after it
    broke: tuple[str, ...] = ()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _compare(
    root: Path,
    interpreter: Interpreter,
    env: dict[str, str],
    command: str | None,
    timeout: float,
    echo: Echo | None,
) -> Comparison:
    """Run the same suite on ``HEAD``'s tree."""
    from posthog_setup.verify.baseline import BaselineUnavailable, unedited_tree
    from posthog_setup.verify.testrun import TestRunError, run_project_tests

    try:
        with unedited_tree(root) as before:
            if echo is not None:
                echo(f"-- the same tests on the unedited tree (HEAD), to compare: {before}")
            run = run_project_tests(
                before, interpreter.python, env, command, timeout=timeout, echo=echo
            )
    except BaselineUnavailable as exc:
        return Comparison(skipped=f"{exc}")
    except TestRunError as exc:
        return Comparison(skipped=f"the tests could not run on HEAD: {exc}")
    if run.timed_out:
        return Comparison(skipped=f"on HEAD they did not finish within {timeout:g} s")
    return Comparison(
        passed_before=run.passed_count, failed_before=run.failed, tests_before=run.tests
    )


def run_suite(
    root: Path,
    plan: Plan,
    interpreter: Interpreter,
    host: MockPostHogHost,
    command: str | None,
    *,
    token: str = TEST_TOKEN,
    timeout: float = SUITE_TIMEOUT,
    echo: Echo | None = None,
    compare: bool = True,
) -> SuiteResult:
    """Run the tests (``command``, or the detected runner when None) with the client
    pointed at ``host``; a test the edit broke, a route raising through an inserted line
    or a run that cannot finish fails the check. ``compare`` runs them on ``HEAD`` too."""
    from posthog_setup.verify.inserted import broken_routes, uncommitted_lines
    from posthog_setup.verify.testrun import TestRunError, run_project_tests

    since = host.store.last_seq
    inserted = uncommitted_lines(root)
    env = verification_env(plan, host.url, token)
    if echo is not None:
        echo(
            f"-- the project's tests, with the client pointed at the mock host (at most {timeout:g} s):"
        )
    try:
        run = run_project_tests(root, interpreter.python, env, command, timeout=timeout, echo=echo)
    except TestRunError as exc:
        return SuiteResult(
            outcome("tests", "Project tests", "the test suite could not run", [f"tests: {exc}"]),
            None,
            frozenset(),
        )
    shown = shlex.join(
        interpreter.display(root) if part == interpreter.python else part for part in run.command
    )
    events = host.store.events(since=since)
    seen = frozenset(item.event for item in events if item.distinct_id != VERIFY_DISTINCT_ID)
    planned = {e.event for e in plan.events}
    failures = [
        f"tests: {broken}, through a line posthog-setup inserted: the edit broke this "
        "route; run `git diff` on that line and report it"
        for broken in broken_routes(events, root, inserted)
    ]
    comparison: Comparison | None = None
    if compare and run.timed_out:
        comparison = Comparison(skipped="the tests did not finish after the edit")
    elif compare:
        comparison = _compare(root, interpreter, env, command, timeout, echo)
    failing_both: tuple[str, ...] = ()
    if comparison is not None and comparison.skipped is None:
        before = set(comparison.failed_before)
        failing_both = tuple(test for test in run.failed if test in before)
        comparison = dataclasses.replace(comparison, failing_both=failing_both)
    broke = tuple(test for test in run.failed if test not in failing_both)
    if run.timed_out:
        failures.append(f"tests: {shown} did not finish within {timeout:g} s")
    standing = comparison or Comparison(skipped="not compared")
    failures += [f"tests: {test} {standing.why_failed(test)}" for test in broke[:_LISTED_FAILURES]]
    if len(broke) > _LISTED_FAILURES:
        failures.append(f"tests: {len(broke) - _LISTED_FAILURES} more tests failed")
    ran_nothing = run.passed_count == 0 and not run.failed and not run.timed_out
    if run.returncode != 0 and not run.timed_out and not run.failed and not ran_nothing:
        tail = [line for line in run.output_tail.splitlines() if line.strip()]
        last = tail[-1].strip() if tail else "no output"
        failures.append(f"tests: {shown} exited with status {run.returncode}: {last}")
    if ran_nothing and not failures:
        # pytest and unittest exit with status 5 when they collect nothing: no test
        # failed, and none showed anything either.
        return SuiteResult(
            Check("tests", "Project tests", SKIP, f"{shown} ({run.runner}) ran no test"),
            shown,
            seen,
            passed=0,
            comparison=comparison,
        )
    verdict = "failed" if failures else "passed"
    if not failures and failing_both:
        # Not "passed": the suite failed, only not because of the edit.
        verdict = "failed only tests that failed before the edit too"
    message = (
        f"{shown} ({run.runner}) {verdict}; {len(planned & seen)} of {len(planned)} planned "
        "event names seen at the mock host during the run"
    )
    if run.passed_count is not None:
        message += f"; {_plural(run.passed_count, 'test')} passed"
    if comparison is not None:
        message += "; " + _comparison_words(comparison)
    return SuiteResult(
        outcome("tests", "Project tests", message, failures),
        shown,
        seen,
        run.failed,
        run.passed_count,
        comparison,
        broke,
    )


def _comparison_words(comparison: Comparison) -> str:
    if comparison.skipped is not None:
        return f"no comparison with the unedited tree: {comparison.skipped}"
    before = (
        f"{comparison.passed_before} passed"
        if comparison.passed_before is not None
        else "the pass count is unknown"
    )
    words = f"before the edit (HEAD) {before}"
    both = comparison.failing_both
    if both:
        listed = ", ".join(both[:_LISTED_BOTH])
        more = f" and {len(both) - _LISTED_BOTH} more" if len(both) > _LISTED_BOTH else ""
        words += (
            f"; {_plural(len(both), 'test')} failed before the edit too, not counted "
            f"against it: {listed}{more}"
        )
    return words
