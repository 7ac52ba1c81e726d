"""``posthog-setup [PATH]``: every stage in order, then a short summary of the whole run."""

from __future__ import annotations

from pathlib import Path

from posthog_setup.console import Console
from posthog_setup.exits import Exit
from posthog_setup.verify.checks import FAIL, PASS, SKIP
from posthog_setup.verify.verification import Verification
from posthog_setup.workflow import render
from posthog_setup.workflow.begin import begin, plan_at
from posthog_setup.workflow.conclude import ConcludeResult, conclude_at, show
from posthog_setup.workflow.edit import edit, raise_held
from posthog_setup.workflow.revise import revise_stage


def run_all(
    path: Path,
    *,
    console: Console,
    allow_dirty: bool,
    run_tests: str | None = None,
    python: Path | None = None,
    test_timeout: float | None = None,
) -> int:
    """begin, edit, revise and conclude; stops at the first stage that cannot run.

    The project is analysed once for begin and edit (revise reads the edited files
    again). The exit code is the worst of the stages': 0 when nothing failed (skipped
    checks included), 1 if revise left problems or the verification failed, 2 on an
    error. ``run_tests``, ``python`` and ``test_timeout`` are conclude's options.
    """
    console.progress("[1/4] begin: analysing the project")
    planned = plan_at(path, console)
    if planned is None:
        return Exit.ERROR
    code = begin(planned, console=console, as_json=False)
    if code != Exit.OK:
        return code
    console.progress("[2/4] edit: applying the plan")
    edited = edit(planned, preview=False, check=False, allow_dirty=allow_dirty)
    render.edit(console, edited, diff=False, token_var=planned.plan.setup.token_var)
    if edited.written is not None:
        raise_held(edited.written)
    if edited.code != Exit.OK:
        return edited.code
    console.progress("[3/4] revise: checking the result")
    revised = revise_stage(planned.root, write=True, use_cache=True)
    render.revise(console, revised, diff=False, as_json=False)
    if revised.written is not None:
        raise_held(revised.written)
    if revised.code == Exit.ERROR:
        return revised.code
    console.progress("[4/4] conclude: verifying against a local mock host")
    concluded = conclude_at(
        planned.root,
        console=console,
        run_tests=run_tests,
        python=python,
        test_timeout=test_timeout,
    )
    code = Exit.ERROR if concluded is None else show(concluded, console=console, as_json=False)
    written = [
        *(edited.written.paths if edited.written else ()),
        *(revised.written.paths if revised.written else ()),
    ]
    console.info("\n".join(summary(sorted(set(written)), revised.code, concluded, path)))
    return max(revised.code, code)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _verified_lines(v: Verification) -> list[str]:
    """What passed, and how it was seen: imported, tests run, events seen."""
    lines = []
    if v.static.check.status == PASS:
        lines.append("the edited files compile, and every planned capture is in the code")
    if v.replay.check.status == PASS:
        lines.append(
            f"{_plural(len(v.events), 'planned event')} accepted by a local mock PostHog host"
        )
    if v.live.check.status == PASS:
        lines.append(
            f"imported: {v.live.module}, by {v.interpreter.display(v.root)}, delivered an event"
        )
    if v.entry.check.status == PASS and v.entry.entry is not None:
        lines.append(f"imported: the app, through {v.entry.entry.description}")
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


def _skipped_lines(v: Verification, path: Path) -> list[str]:
    """What was not checked, each with the one command that would check it."""
    lines = [f"{c.title.lower()}: {c.message}" for c in v.checks if c.status == SKIP]
    if v.suite is None:
        lines.append(f"project tests: not run: `posthog-setup conclude --run-tests {path}`")
    return lines


def summary(
    written: list[str], revised: int, concluded: ConcludeResult | None, path: Path
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
    if concluded is None:
        return lines
    v = concluded.verification

    def block(label: str, items: list[str]) -> None:
        for number, item in enumerate(items):
            lines.append(f"  {label if number == 0 else '':<9} {item}")

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
