"""revise's last clean verdict, trusted while no file it could read has changed.

A pre-commit hook runs ``revise --check`` on every commit, and most commits leave an
integrated project as clean as the check before found it. The verdict "nothing to do"
is kept in the project's cache (``posthog_setup.project.cache``, salted with the
tool's own code) under a stamp of every file the check could read: each file git lists
(tracked, or untracked and not ignored) or, outside git, each file the walk finds, and
each file at the top of the project and in the folders read by pattern whatever git
ignores (a local ``.python-version``, ``requirements/``, the container and CI files
that say how the project installs), by path, modification time and size. While the
stamp is the same, the check's answer is the same, and nothing is parsed.

A file that changed within the last two seconds (git's "racily clean" rule: a second
change in the same clock tick would move neither time nor size) leaves no stamp, so the
check runs in full. Only a clean verdict is kept, with the warnings it was given (files
skipped, hook-ups left out), which are given again: anything else is reported from a
full run, with its findings.

This module stays light (no analysis, no libcst): on a hit, it is all the check imports.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from posthog_setup.project.cache import ResultCache, file_stamp
from posthog_setup.project.discovery import NotAPythonProject, every_file, python_project_root

NOTHING_TO_DO = "Nothing to do: the integration matches posthog-events.json."

#: Folders whose files are read by pattern (manifests, install commands), ignored or not.
_READ_BY_PATTERN = ("requirements", "docker", ".github/workflows", "scripts", "bin")
_KEY = "clean"


def _readable_files(root: Path) -> set[str]:
    """Every file the check could read, relative to ``root``."""
    files = set(every_file(root))
    with os.scandir(root) as entries:
        files.update(e.name for e in entries if e.is_file())
    for folder in _READ_BY_PATTERN:
        for base, _, names in os.walk(root / folder):
            prefix = Path(base).relative_to(root).as_posix()
            files.update(f"{prefix}/{name}" for name in names)
    return files


def project_stamp(root: Path) -> str | None:
    """A digest of the path, time and size of every file the check could read in the
    project at ``root``; None if one of them changed too recently to be trusted."""
    now = time.time_ns()
    digest = hashlib.blake2b(digest_size=16)
    for file in sorted(_readable_files(root)):
        path = os.path.join(root, file)
        stamp = file_stamp(path, now)
        if stamp is None and os.path.lexists(path):
            return None  # changed too recently, or unreadable
        digest.update(f"{file}\0{stamp}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def warnings(skipped: Sequence[str], notes: Sequence[str]) -> list[str]:
    """The lines a check warns with before its verdict: each skipped file, each note."""
    return [*(f"skipped {file}" for file in skipped), *notes]


class Look(NamedTuple):
    """The project as a check finds it: its stamp (None: not to be trusted, or no
    project), and the warnings of the kept clean verdict if that verdict still holds."""

    stamp: str | None
    warnings: list[str] | None


def look(path: Path) -> Look:
    """The stamp of the project at ``path`` and, if no file has changed since revise last
    found nothing to do there, the warnings it gave then. The stamp is taken before the
    check reads anything: a check that runs in full keeps its verdict under it."""
    try:
        root = python_project_root(path)
    except (NotAPythonProject, OSError):
        return Look(None, None)
    stamp = project_stamp(root)
    stored = ResultCache.open(root, "verdict").get(_KEY)
    if stamp is None or not isinstance(stored, tuple) or stored[:1] != (stamp,):
        return Look(stamp, None)
    return Look(stamp, list(stored[1]))


def remember_clean(root: Path, stamp: str | None, lines: Sequence[str]) -> None:
    """Keep "nothing to do" for the project at ``root`` as it was at ``stamp`` (taken before
    the run read anything, so a file changed during the run breaks it), with the warnings
    ``lines`` it came with."""
    if stamp is None:
        return
    cache = ResultCache.open(root, "verdict")
    cache.put(_KEY, (stamp, tuple(lines)))
    cache.save()
