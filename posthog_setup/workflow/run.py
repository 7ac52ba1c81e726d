"""``posthog-setup [PATH]``: every stage in order, then a short summary of the whole run."""

from __future__ import annotations

from pathlib import Path

from posthog_setup.console import Console
from posthog_setup.exits import Exit
from posthog_setup.workflow.begin import run_begin
from posthog_setup.workflow.conclude import ConcludeResult, run_conclude
from posthog_setup.workflow.edit import run_edit
from posthog_setup.workflow.revise import run_revise

_WORDS = {"pass": "passed", "fail": "failed", "skip": "skipped"}


def run_all(path: Path, *, console: Console, allow_dirty: bool) -> int:
    """begin, edit, revise and conclude; stops at the first stage that cannot run.

    The exit code is the worst of the stages': 1 if revise left problems or the
    verification failed, 2 on an error.
    """
    console.progress("[1/4] begin: analysing the project")
    code = run_begin(path, console=console, as_json=False)
    if code != 0:
        return code
    written: list[str] = []
    console.progress("[2/4] edit: applying the plan")
    code = run_edit(
        path, console=console, diff=False, check=False, allow_dirty=allow_dirty, written=written
    )
    if code != 0:
        return code
    console.progress("[3/4] revise: checking the result")
    revised = run_revise(
        path,
        console=console,
        check=False,
        diff=False,
        as_json=False,
        use_cache=True,
        written=written,
    )
    if revised == Exit.ERROR:
        return revised
    outcome: list[ConcludeResult] = []
    console.progress("[4/4] conclude: verifying against a local mock host")
    concluded = run_conclude(path, console=console, as_json=False, run_tests=None, outcome=outcome)
    _summary(console, sorted(set(written)), revised, outcome[0] if outcome else None)
    return max(revised, concluded)


def _summary(
    console: Console, written: list[str], revised: int, concluded: ConcludeResult | None
) -> None:
    lines = ["", "Summary"]
    if written:
        shown = ", ".join(written[:6]) + (
            f", and {len(written) - 6} more" if len(written) > 6 else ""
        )
        lines.append(f"  changed   {len(written)} file{'s' * (len(written) != 1)}: {shown}")
        lines.append("            review them with `git diff` before committing")
    else:
        lines.append("  changed   nothing: the integration was already in place")
    lines.append(
        "  revise    no problems left"
        if revised == 0
        else "  revise    problems left, listed above (`posthog-setup revise --check`)"
    )
    if concluded is not None:
        v = concluded.verification
        events = len(v.events)
        checks = ", ".join(f"{c.title.lower()} {_WORDS.get(c.status, c.status)}" for c in v.checks)
        if concluded.verified:
            lines.append(
                f"  verified  {events} planned event{'s' * (events != 1)} against a local mock "
                f"PostHog host: {checks}"
            )
        else:
            failures = len(concluded.failures)
            lines.append(
                f"  verified  NO: {failures} problem{'s' * (failures != 1)}, listed above "
                f"({checks})"
            )
        lines.append(f"  report    {concluded.report_path}")
    console.info("\n".join(lines))
