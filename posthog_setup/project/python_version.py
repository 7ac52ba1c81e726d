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

    def display(self) -> str:
        return f"{self.version[0]}.{self.version[1]} ({self.source})"


def oldest_allowed(specifier: str) -> Version | None:
    """The oldest Python 3 minor release a ``requires-python`` string allows."""
    # poetry's ^3.12 and ~3.12 mean at least 3.12 as far as the oldest release goes.
    spelled = re.sub(r"(?<![~=!<>])[\^~](?!=)", ">=", specifier.strip())
    try:
        allowed = SpecifierSet(spelled)
    except InvalidSpecifier:
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


def python_below(root: Path, needed: Version) -> DeclaredPython | None:
    """A Python older than ``needed`` that the project at ``root`` says it runs on, if it
    says so: its ``.python-version`` or ``runtime.txt``, or a ``requires-python`` that
    allows no release from ``needed`` on."""
    for name in (".python-version", "runtime.txt"):
        found = _first_minor(root / name)
        if found is not None and found < needed:
            return DeclaredPython(found, name)
    path = root / "pyproject.toml"
    document = load_toml(path) if path.is_file() else None
    specifier = (document or {}).get("project", {}).get("requires-python")
    if isinstance(specifier, str):
        try:
            allowed = SpecifierSet(specifier)
        except InvalidSpecifier:
            return None
        newer = range(needed[1], needed[1] + len(_MINORS))
        oldest = oldest_allowed(specifier)
        if oldest is not None and not any(
            allowed.contains(f"3.{minor}.{patch}", prereleases=True)
            for minor in newer
            for patch in _PATCHES
        ):
            return DeclaredPython(oldest, "pyproject.toml")
    return None
