"""revise: re-check an integrated project, fix what is safe, report the rest.

One pass computes everything as data, exactly like edit: the findings (drift
from ``posthog-events.json`` and integration mistakes anywhere in the project),
then the fixed files: rule fixes and renames first (they address lines of the
files as they are), then edit's own codemods on top of them for whatever is
missing. ``--check`` and ``--diff`` stop there; otherwise the files are written,
as one transaction like edit's, and the project is checked again, so what is reported as left is what is left.

Unlike edit, revise has no dirty-tree guard: it runs as a pre-commit hook,
where staged changes are the normal case, and it only fixes what it reports.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from posthog_setup.analysis.model import Finding
from posthog_setup.analysis.rules.records import rule_for
from posthog_setup.codemods.changes import EditError, FileChange
from posthog_setup.config import Config, ConfigError, load_config
from posthog_setup.console import Console
from posthog_setup.exits import Exit
from posthog_setup.plan.drift import Rename
from posthog_setup.plan.plan import PLAN_FILE, PlanError, plans_below
from posthog_setup.project.cache import ResultCache
from posthog_setup.project.discovery import NotAPythonProject, python_project_root
from posthog_setup.project.files import UnreadableFile, decode_source
from posthog_setup.project.versions import allows_at_least
from posthog_setup.workflow import render, verdict
from posthog_setup.workflow.begin import BeginResult, plan_project
from posthog_setup.workflow.edit import EditRefused, Written, compute_changes, raise_held, write_all


@dataclass(frozen=True)
class ReviseResult:
    """What revise found and what fixing it would write."""

    root: Path
    findings: tuple[Finding, ...]
    changes: tuple[FileChange, ...]
    notes: tuple[str, ...]
    skipped: tuple[str, ...]
    uncompilable: tuple[str, ...]


class ReviseError(Exception):
    """revise cannot run on this project; the message says why."""


def _rule_fixes(
    root: Path,
    findings: Sequence[Finding],
    renames: Sequence[Rename],
    notes: list[str],
    *,
    sdk_allows: Callable[[str], bool],
) -> dict[str, bytes]:
    """Fixed contents of the files with fixable rule findings or renamed events.

    A finding is fixed here when its rule's record names a rewrite (the others are fixed
    by edit's codemods), unless the record's SDK guard needs a posthog newer than the
    project pins (``sdk_allows(version)`` is False).
    """
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        record = rule_for(finding.rule)
        if not (finding.fixable and finding.file.endswith(".py") and record.rewrite):
            continue
        guard = record.sdk
        if guard and guard.spelling in finding.message and not sdk_allows(guard.minimum):
            notes.append(f"{finding.file}:{finding.line}: {guard.spelling} kept: {guard.reason}")
            continue
        by_file.setdefault(finding.file, []).append(finding)
    for rename in renames:
        by_file.setdefault(rename.file, [])
    if not by_file:
        return {}
    from posthog_setup.codemods.fixes import apply_fixes, rename_event  # libcst: only to fix

    fixed: dict[str, bytes] = {}
    for file, mine in sorted(by_file.items()):
        try:
            source = decode_source((root / file).read_bytes())
        except (OSError, UnreadableFile) as exc:
            notes.append(f"{file}: {exc}; not fixed")
            continue
        try:
            text = apply_fixes(source.text, file, mine) if mine else source.text
            for rename in (r for r in renames if r.file == file):
                text = rename_event(text, file, rename.line, rename.old, rename.new)
        except EditError as exc:
            notes.append(f"{exc}; not fixed")
            continue
        if text != source.text:
            fixed[file] = source.encode(text)
    return fixed


def _pending(
    changes: Sequence[FileChange], findings: Sequence[Finding], result: BeginResult
) -> list[Finding]:
    """A finding for each change that no finding explains yet (the set-up edit would add)."""
    explained = {f.file for f in findings if f.fixable}
    plan_explained = any(
        f.rule in ("stale-event", "unplanned-event", "missing-capture", "missing-identify")
        for f in findings
    )
    found = []
    for change in changes:
        path = change.path
        if path == PLAN_FILE:
            if not plan_explained:
                found.append(
                    Finding("plan-outdated", path, 1, 1, f"{PLAN_FILE} is out of date", True)
                )
            continue
        if path in explained:
            continue
        # Edit says why it changes each file: what is missing there without the change.
        message = "; ".join(change.reasons) or "part of the integration is missing here"
        found.append(Finding("incomplete-setup", path, 1, 1, message, True))
    return found


def revise(root: Path, config: Config, *, use_cache: bool = True) -> ReviseResult:
    """Find drift and mistakes, and compute the fixes; writes nothing."""
    result = plan_project(root, config, use_cache=use_cache)
    if result.previous is None:
        raise ReviseError(
            f"no {PLAN_FILE} in {root}{plans_below(root)}: run `posthog-setup` (begin and "
            "edit) before revise"
        )
    reconciled = result.reconciled
    assert reconciled is not None
    findings = sorted(
        [*reconciled.findings, *result.analysis.findings],
        key=lambda f: (f.file, f.line, f.col, f.rule),
    )
    notes: list[str] = []
    pins = [m.posthog_requirement for m in result.analysis.project.manifests]

    def sdk_allows(version: str) -> bool:
        return all(not pin or allows_at_least(pin, version) for pin in pins)

    fixed = _rule_fixes(root, findings, reconciled.renames, notes, sdk_allows=sdk_allows)
    if fixed:
        # Edit's codemods place code by analysed lines: analyse the fixed text.
        result = plan_project(root, config, use_cache=use_cache, overlay=fixed)
    cache = ResultCache.open(root, "edits") if use_cache else ResultCache.disabled()
    proposed = compute_changes(root, result, cache=cache, base=fixed)
    cache.save()
    findings += _pending(proposed.changes, findings, result)
    return ReviseResult(
        root=root,
        findings=tuple(findings),
        changes=tuple(proposed.changes),
        notes=(*notes, *proposed.notes),
        skipped=tuple(f"{s.file}: {s.reason}" for s in result.analysis.skipped),
        uncompilable=tuple(proposed.uncompilable),
    )


@dataclass(frozen=True)
class ReviseOutcome:
    """What the revise stage found and (unless ``write`` was off) fixed."""

    code: Exit
    #: why revise could not run at all
    error: str | None = None
    result: ReviseResult | None = None
    #: the findings left after the fixes were written (all of them when nothing was)
    remaining: tuple[Finding, ...] = ()
    #: fixes were to be written (not ``--check`` / ``--diff``)
    write: bool = False
    written: Written | None = None
    #: of ``remaining``, the ones the project had before this run (a full run knows them
    #: from begin): its own code, reported but not a failure of the run
    inherited: tuple[Finding, ...] = ()

    @property
    def fixed(self) -> int:
        """How many findings the written fixes resolved."""
        if self.result is None or self.written is None:
            return 0
        return len(self.result.findings) - len(self.remaining)


def revise_stage(
    path: Path, *, write: bool, use_cache: bool, stamp: str | None = None
) -> ReviseOutcome:
    """The revise stage: find drift and mistakes and, with ``write``, fix them in one
    transaction, then find what is left. ``stamp``: the project's, where the caller took
    it already (``verdict.look``); a clean result is kept under it."""
    try:
        root = python_project_root(path)
        if not use_cache:
            stamp = None
        elif stamp is None:
            # Stamped before anything is read: a file changed during the run breaks it.
            stamp = verdict.project_stamp(root)
        config = load_config(root)
        result = revise(root, config, use_cache=use_cache)
    except (ConfigError, PlanError, ReviseError, EditRefused, NotAPythonProject) as exc:
        return ReviseOutcome(Exit.ERROR, error=str(exc))
    if result.uncompilable:
        return ReviseOutcome(Exit.ERROR, result=result)
    outcome = ReviseOutcome(Exit.OK, result=result, remaining=result.findings, write=write)
    if not (result.findings or result.changes):
        verdict.remember_clean(root, stamp, verdict.warnings(result.skipped, result.notes))
    if write and result.changes:
        done = write_all(root, result.changes)
        if done.error is not None:
            return dataclasses.replace(outcome, code=Exit.ERROR, written=done)
        remaining = revise(root, config, use_cache=use_cache).findings
        outcome = dataclasses.replace(outcome, written=done, remaining=remaining)
    return dataclasses.replace(outcome, code=Exit.PROBLEMS if outcome.remaining else Exit.OK)


def inherit(outcome: ReviseOutcome, before: Sequence[Finding]) -> ReviseOutcome:
    """``outcome`` with the findings it shares with ``before`` (the unedited project's)
    marked as inherited, and its code from the rest alone.

    Edits move lines, so a finding is matched by rule, file and message, as many times
    as ``before`` holds it.
    """
    unmatched = Counter((f.rule, f.file, f.message) for f in before)
    inherited: list[Finding] = []
    for finding in outcome.remaining:
        key = (finding.rule, finding.file, finding.message)
        if unmatched[key] > 0:
            unmatched[key] -= 1
            inherited.append(finding)
    if not inherited or outcome.code == Exit.ERROR:
        return outcome
    left = len(outcome.remaining) - len(inherited)
    return dataclasses.replace(
        outcome, inherited=tuple(inherited), code=Exit.PROBLEMS if left else Exit.OK
    )


def run_revise(
    path: Path,
    *,
    console: Console,
    check: bool,
    diff: bool,
    as_json: bool,
    use_cache: bool,
    stamp: str | None = None,
) -> int:
    """The revise stage from the command line: report, and (without --check / --diff) fix;
    ``stamp`` as ``revise_stage`` takes it."""
    outcome = revise_stage(path, write=not (check or diff), use_cache=use_cache, stamp=stamp)
    render.revise(console, outcome, diff=diff, as_json=as_json)
    if outcome.written is not None:
        raise_held(outcome.written)
    return outcome.code
