"""The Python a project says it runs on, so its files are judged by that Python's grammar.

In order: the oldest Python ``requires-python`` (PEP 621) or poetry's ``python``
dependency allows, which every file must work on; else ``.python-version`` (pyenv, uv:
the oldest listed); else ``runtime.txt`` (``python-3.12.1``, Heroku and its kin).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from posthog_setup.project.manifests import load_toml

Version = tuple[int, int]

_MINOR = re.compile(r"(?<![\d.])3\.(\d+)")
#: Minor releases of Python 3 a requirement is tried against, and patch levels of each.
_MINORS = range(30)
_PATCHES = range(30)


@dataclass(frozen=True)
class DeclaredPython:
    """A project's Python version and the file that declares it."""

    version: Version
    source: str
    #: the range is locked for every Python it allows (the oldest is only its start)
    locked: bool = False

    def display(self) -> str:
        return f"{self.version[0]}.{self.version[1]} ({self.source})"


def _specifier_set(specifier: str) -> SpecifierSet | None:
    """A ``requires-python`` (or poetry ``python``) string as a set; None if unreadable.
    poetry's ^3.12 and ~3.12 mean at least 3.12 as far as the oldest release goes."""
    spelled = re.sub(r"(?<![~=!<>])[\^~](?!=)", ">=", specifier.strip())
    try:
        return SpecifierSet(spelled)
    except InvalidSpecifier:
        return None


def oldest_allowed(specifier: str) -> Version | None:
    """The oldest Python 3 minor release a ``requires-python`` string allows."""
    allowed = _specifier_set(specifier)
    if allowed is None:
        return None
    for minor in _MINORS:
        if any(allowed.contains(f"3.{minor}.{patch}", prereleases=True) for patch in _PATCHES):
            return (3, minor)
    return None


def _from_pyproject(root: Path) -> Version | None:
    path = root / "pyproject.toml"
    document = load_toml(path) if path.is_file() else None
    if document is None:
        return None
    candidates = [
        document.get("project", {}).get("requires-python"),
        document.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python"),
    ]
    for candidate in candidates:
        if isinstance(candidate, str):
            found = oldest_allowed(candidate)
            if found is not None:
                return found
    return None


def _first_minor(path: Path) -> Version | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    minors = [
        (3, int(m.group(1)))
        for line in text.splitlines()
        if not line.lstrip().startswith("#")
        for m in _MINOR.finditer(line)
    ]
    return min(minors, default=None)


def declared_python(root: Path) -> DeclaredPython | None:
    """The Python version the project at ``root`` declares, if it declares one."""
    found = _from_pyproject(root)
    if found is not None:
        return DeclaredPython(found, "pyproject.toml")
    for name in (".python-version", "runtime.txt"):
        found = _first_minor(root / name)
        if found is not None:
            return DeclaredPython(found, name)
    return None


def _from_pipfile(root: Path) -> Version | None:
    """Pipfile's ``[requires] python_version`` (or ``python_full_version``): the Python
    ``pipenv`` locks and installs for."""
    path = root / "Pipfile"
    document = load_toml(path) if path.is_file() else None
    requires = (document or {}).get("requires", {})
    for key in ("python_version", "python_full_version"):
        value = requires.get(key) if isinstance(requires, dict) else None
        match = _MINOR.match(value) if isinstance(value, str) else None
        if match:
            return (3, int(match.group(1)))
    return None


#: A Python image a Dockerfile builds on: ``python:3.9-slim``, ``library/python:3.8``, or a
#: tag that names it (``uvicorn-gunicorn-fastapi:python3.8``).
_PYTHON_IMAGE = re.compile(
    r"^\s*FROM\s+(?:--\S+\s+)*\S*?(?:python:|:python)3\.(\d+)", re.IGNORECASE | re.MULTILINE
)


def _from_dockerfiles(root: Path) -> tuple[Version, str] | None:
    """The oldest Python image a Dockerfile at the project root builds on, and its file."""
    found: list[tuple[Version, str]] = []
    for path in sorted(root.glob("Dockerfile*")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found += [((3, int(m.group(1))), path.name) for m in _PYTHON_IMAGE.finditer(text)]
    return min(found, default=None)


def python_below(root: Path, needed: Version, *, locked: bool = False) -> DeclaredPython | None:
    """A Python older than ``needed`` that the project at ``root`` says it runs on, if it
    says so: its ``.python-version``, ``runtime.txt``, Pipfile or Dockerfile's image; its
    ``requires-python`` where that allows no release from ``needed`` on, or (``locked``: a
    lock file is resolved for every Python the range allows, as uv, poetry and pdm do)
    any release before it; poetry's ``python`` dependency, which poetry always locks for."""
    for name in (".python-version", "runtime.txt"):
        found = _first_minor(root / name)
        if found is not None and found < needed:
            return DeclaredPython(found, name)
    pipenv = _from_pipfile(root)
    if pipenv is not None and pipenv < needed:
        return DeclaredPython(pipenv, "Pipfile")
    image = _from_dockerfiles(root)
    if image is not None and image[0] < needed:
        return DeclaredPython(image[0], image[1])
    path = root / "pyproject.toml"
    document = load_toml(path) if path.is_file() else None
    poetry = (document or {}).get("tool", {}).get("poetry", {}).get("dependencies", {})
    for specifier, locks in (
        ((document or {}).get("project", {}).get("requires-python"), locked),
        (poetry.get("python") if isinstance(poetry, dict) else None, True),
    ):
        if isinstance(specifier, str):
            oldest = oldest_allowed(specifier)
            if oldest is not None and oldest < needed and (locks or not _allows(specifier, needed)):
                return DeclaredPython(oldest, "pyproject.toml", locked=locks)
    return None


def _allows(specifier: str, needed: Version) -> bool:
    """Does ``specifier`` allow some release of ``needed`` or later? (Unreadable: as if so.)"""
    allowed = _specifier_set(specifier)
    if allowed is None:
        return True
    return any(
        allowed.contains(f"3.{minor}.{patch}", prereleases=True)
        for minor in range(needed[1], needed[1] + len(_MINORS))
        for patch in _PATCHES
    )
