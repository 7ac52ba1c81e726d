"""Which manifest a project is installed from where it runs, by what its files say.

A project with a ``pyproject.toml`` and a ``requirements.txt`` is often built from only
one of them: its Dockerfile runs ``pip install -r requirements.txt``, its CI runs
``poetry install``. A dependency added to the other one never reaches the running app.
The evidence is read, in this order of weight: container builds, CI workflows, Makefiles
and scripts, then the README's install lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from posthog_setup.project.files import UnreadableFile, read_text_file
from posthog_setup.project.manifests import Manifest

#: Where install commands are written, the weightiest first.
_SOURCES = (
    ("Dockerfile", "Containerfile", "Dockerfile.*", "*.Dockerfile", "docker/**/Dockerfile*"),
    (".github/workflows/*.yml", ".github/workflows/*.yaml", ".gitlab-ci.yml", "render.yaml"),
    ("Makefile", "*.sh", "scripts/*.sh", "bin/*.sh"),
    ("README.md", "README.rst", "README.txt", "README"),
)
_PIP = r"(?:\bpip3?|\buv\s+pip|\bpython3?(?:\.\d+)?\s+-m\s+pip)\s+install\b"
_FROM_FILE = re.compile(_PIP + r"[^\n]*?(?:\s-r|--requirement)[\s=]*['\"]?([\w./${}-]+)")
_THE_PROJECT = re.compile(
    _PIP + r"[^\n]*?\s(?:-e\s+|--editable[\s=]+)?['\"]?\.(?:\[[\w,\s-]+\])?['\"]?(?=\s|$|&|;)"
    r"|\b(?:poetry|pdm)\s+install\b|\buv\s+sync\b"
)
_PIPENV = re.compile(r"\bpipenv\s+(?:install|sync)\b")
#: Requirement files for development (a local set-up), tests or docs: never where a runtime
#: dependency goes.
NOT_RUNTIME = re.compile(
    r"(?:^|[-_./])(?:dev|develop|development|local|test|tests|testing|lint|docs?|ci|typing)(?:$|[-_.])"
)


@dataclass(frozen=True)
class InstallEvidence:
    """A manifest the project installs from, and the line that says so (``Dockerfile:4``)."""

    manifest: Manifest
    where: str


def installed_from(root: Path, manifests: Sequence[Manifest]) -> InstallEvidence | None:
    """The runtime manifest the weightiest install command names, if any names one."""
    for patterns in _SOURCES:
        for path in _files(root, patterns):
            try:
                lines = read_text_file(path).splitlines()
            except (UnreadableFile, OSError):
                continue
            for number, line in enumerate(lines, 1):
                found = _named(line, manifests)
                if found is not None:
                    where = f"{path.relative_to(root).as_posix()}:{number}"
                    return InstallEvidence(found, where)
    return None


def _files(root: Path, patterns: Sequence[str]) -> list[Path]:
    found: dict[Path, None] = {}
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                found[path] = None
    return list(found)


def _named(line: str, manifests: Sequence[Manifest]) -> Manifest | None:
    """The manifest an install command on ``line`` reads, if it reads one of ``manifests``."""
    match = _FROM_FILE.search(line)
    if match is not None:
        named = PurePosixPath(match.group(1).strip("'\"").removeprefix("./"))
        if NOT_RUNTIME.search(named.stem):
            return None
        return next(
            (
                m
                for m in manifests
                if m.kind == "requirements"
                and (
                    m.file == named.as_posix()
                    or m.file.endswith("/" + named.as_posix())
                    or named.as_posix().endswith("/" + m.file)
                )
            ),
            None,
        )
    kinds: tuple[str, ...] = ("pipfile",) if _PIPENV.search(line) else ()
    if not kinds and _THE_PROJECT.search(line):
        kinds = ("pep621", "poetry", "setup.cfg", "setup.py")
    return next((m for m in manifests if m.kind in kinds), None)
