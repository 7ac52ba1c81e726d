"""What the stages say: every table, line and summary a stage result is shown as.

The stages (``begin``, ``edit``, ``revise``, ``conclude``) return results; the commands
hand them here. Nothing in this module decides anything or touches a file.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from posthog_setup.analysis.model import Finding
from posthog_setup.codemods.changes import FileChange
from posthog_setup.console import Console

if TYPE_CHECKING:
    from posthog_setup.workflow.edit import EditOutcome, Written
    from posthog_setup.workflow.revise import ReviseOutcome, ReviseResult


def unified_diff(change: FileChange) -> str:
    """A ``git apply``-able unified diff of one change.

    Bytes that are not UTF-8 (a latin-1 file) stay as surrogate escapes, which
    ``Console.data`` writes back as the same bytes: the patch must match the file.
    """
    before = change.before.decode("utf-8", "surrogateescape") if change.before is not None else ""
    after = change.after.decode("utf-8", "surrogateescape")
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


def edit(console: Console, outcome: EditOutcome, *, diff: bool, token_var: str) -> None:
    """The edit stage's result."""
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
        console.success(
            f"Edited {count} file{'s' * (count != 1)}. Review the diff, then set {token_var}."
        )
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
    for skipped in result.skipped:
        console.warn(f"skipped {skipped}")
    for note in result.notes:
        console.warn(note)
    if outcome.written is not None:
        written(console, result.changes, outcome.written, edited="fixed")
        if outcome.written.error is not None:
            return
    if diff:
        for change in result.changes:
            console.data(unified_diff(change).rstrip("\n"))
    remaining = outcome.remaining
    if as_json:
        wrote = outcome.written is not None
        console.data(revise_json(result, remaining, outcome.write and wrote))
    elif not diff:
        for finding in remaining:
            console.data(finding_line(finding))
    fixed = outcome.fixed
    if not remaining:
        if fixed:
            console.success(f"Fixed {fixed} problem{'s' * (fixed != 1)}; nothing is left.")
        else:
            console.success("Nothing to do: the integration matches posthog-events.json.")
        return
    fixable = sum(1 for f in remaining if f.fixable)
    parts = [f"{len(remaining)} problem{'s' * (len(remaining) != 1)}"]
    if fixed:
        parts.insert(0, f"fixed {fixed}")
    if fixable and not outcome.write:
        parts.append(f"{fixable} fixable with `posthog-setup revise`")
    console.error("; ".join(parts) + ".")
