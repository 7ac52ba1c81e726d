"""Dependency manifests: which manager the project uses, and whether it already needs posthog.

Requirement strings are parsed with ``packaging`` and TOML with ``tomlkit``
(the same library the edit stage uses to change them without reformatting).
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from posthog_setup.project.files import UnreadableFile, read_text_file


@dataclass(frozen=True)
class Manifest:
    """A dependency manifest and whether it already names ``posthog``."""

    file: str
    kind: str
    posthog_requirement: str | None = None


_REQUIREMENTS_GLOB = (
    "requirements*.txt",
    "requirements/*.txt",
    "requirements*.in",
    "requirements/*.in",
)
_INCLUDE = re.compile(r"^\s*(?:-r|--requirement)\s*=?\s*(\S+)")


def requirements_paths(root: Path) -> list[Path]:
    """The requirements files at the root: ``requirements*.txt`` / ``.in``, and those in a
    ``requirements/`` folder, with an extension or without one (``requirements/base``)."""
    found = [p for pattern in _REQUIREMENTS_GLOB for p in sorted(root.glob(pattern))]
    folder = root / "requirements"
    if folder.is_dir():
        found += [p for p in sorted(folder.iterdir()) if p.is_file() and not p.suffix]
    return found


def requirement_names(lines: list[str]) -> Iterator[tuple[int, Requirement]]:
    """Parsed requirements of a requirements file, with their 0-based line numbers."""
    for index, raw in enumerate(lines):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "--")):
            continue
        line = line.rstrip("\\").strip()
        try:
            yield index, Requirement(line)
        except InvalidRequirement:
            continue


def includes(path: Path, lines: Sequence[str]) -> list[Path]:
    """The files the requirements file at ``path`` (whose ``lines`` these are) includes with
    ``-r``, resolved."""
    return [(path.parent / m.group(1)).resolve() for line in lines if (m := _INCLUDE.match(line))]


def requirement_files(root: Path) -> Iterator[Path]:
    """The project's requirements files and every file they include with ``-r``, once each."""
    seen: set[Path] = set()
    pending = requirements_paths(root)
    while pending:
        path = pending.pop(0).resolve()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        yield path
        try:
            lines = read_text_file(path).splitlines()
        except UnreadableFile:
            continue
        pending += includes(path, lines)


def _posthog_in_requirements(path: Path, seen: set[Path]) -> str | None:
    """The posthog requirement in a requirements file or the files it includes with ``-r``."""
    if path in seen:
        return None
    seen.add(path)
    try:
        lines = read_text_file(path).splitlines()
    except UnreadableFile:
        return None
    for _, requirement in requirement_names(lines):
        if requirement.name.lower() == "posthog":
            return str(requirement)
    for included in includes(path, lines):
        found = _posthog_in_requirements(included, seen)
        if found:
            return found
    return None


class TomlError(ValueError):
    """A text that is not TOML (the message is tomlkit's)."""


def load_toml(path: Path) -> dict[str, Any] | None:
    """The TOML file at ``path`` as plain data; None if unreadable or not TOML."""
    try:
        return parse_toml(read_text_file(path))
    except (UnreadableFile, TomlError):
        return None


def parse_toml(text: str) -> dict[str, Any]:
    """``text`` as plain data (a copy the caller may change); raises ``TomlError``.

    One run reads the same ``pyproject.toml`` for its configuration, its manifests, its
    name, its Python and each framework's declared version: tomlkit, which keeps layout
    for edits, costs about as much as parsing a large module each time, so each text is
    parsed once."""
    return copy.deepcopy(_parsed_toml(text))


@lru_cache(maxsize=16)
def _parsed_toml(text: str) -> dict[str, Any]:
    """Read with the standard library's ``tomllib`` where there is one (a tenth of
    tomlkit's import and parse), tomlkit otherwise and wherever ``tomllib`` refuses the
    text: what tomlkit reads or refuses is still what the tool reads or refuses."""
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            pass
    import tomlkit  # for its layout-preserving edits: kept off a check's start-up

    try:
        return tomlkit.parse(text).unwrap()
    except tomlkit.exceptions.ParseError as exc:
        raise TomlError(str(exc)) from exc


def _posthog_in_list(items: object) -> str | None:
    if not isinstance(items, list):
        return None
    for item in items:
        if not isinstance(item, str):
            continue
        try:
            requirement = Requirement(item)
        except InvalidRequirement:
            continue
        if requirement.name.lower() == "posthog":
            return str(requirement)
    return None


def _posthog_in_pyproject(data: dict[str, Any]) -> str | None:
    project = data.get("project", {})
    found = _posthog_in_list(project.get("dependencies"))
    if found:
        return found
    for extra in (project.get("optional-dependencies") or {}).values():
        found = _posthog_in_list(extra)
        if found:
            return found
    for group in (data.get("dependency-groups") or {}).values():
        found = _posthog_in_list(group)
        if found:
            return found
    poetry = data.get("tool", {}).get("poetry", {})
    for table in (
        poetry.get("dependencies"),
        *(g.get("dependencies") for g in poetry.get("group", {}).values()),
    ):
        if isinstance(table, dict):
            for name, spec in table.items():
                if name.lower() == "posthog":
                    version = spec if isinstance(spec, str) else spec.get("version", "*")
                    return f"posthog {version}"
    return None


def _pyproject_manager(data: dict[str, Any], root: Path) -> str:
    tool = data.get("tool", {})
    if (root / "uv.lock").is_file() or "uv" in tool or _uv_workspace_of(root) is not None:
        return "uv"
    if "poetry" in tool or (root / "poetry.lock").is_file():
        return "poetry"
    if "pdm" in tool or (root / "pdm.lock").is_file():
        return "pdm"
    if "hatch" in tool:
        return "hatch"
    return "pip"


def _uv_workspace_of(root: Path) -> Path | None:
    """The folder of the uv workspace ``root`` is a member of, where its lock is (uv locks
    a workspace once, at its root): the nearest folder above with a ``uv.lock`` and a
    ``[tool.uv.workspace]``, within the repository."""
    here = root.resolve()
    if (here / ".git").exists():
        return None
    for folder in here.parents:
        if (folder / "uv.lock").is_file() and (folder / "pyproject.toml").is_file():
            data = load_toml(folder / "pyproject.toml") or {}
            if "workspace" in data.get("tool", {}).get("uv", {}):
                return folder
        if (folder / ".git").exists():
            return None
    return None


def find_manifests(root: Path) -> tuple[str, tuple[Manifest, ...]]:
    """The dependency manager in use and every manifest found at the project root."""
    manifests: list[Manifest] = []
    manager = ""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        data = load_toml(pyproject)
        if data is not None:
            has_deps = bool(
                data.get("project", {}).get("dependencies")
                or data.get("tool", {}).get("poetry", {}).get("dependencies")
            )
            if has_deps:
                manager = _pyproject_manager(data, root)
                kind = "poetry" if manager == "poetry" and "project" not in data else "pep621"
                manifests.append(Manifest("pyproject.toml", kind, _posthog_in_pyproject(data)))
    if (root / "Pipfile").is_file():
        manager = manager or "pipenv"
        data = load_toml(root / "Pipfile") or {}
        packages = {k.lower(): v for k, v in (data.get("packages") or {}).items()}
        spec = packages.get("posthog")
        manifests.append(
            Manifest("Pipfile", "pipfile", f"posthog {spec}" if spec is not None else None)
        )
    seen: set[Path] = set()
    for path in requirements_paths(root):
        relative = path.relative_to(root).as_posix()
        if any(m.file == relative for m in manifests):
            continue
        manager = manager or "pip"
        manifests.append(
            Manifest(relative, "requirements", _posthog_in_requirements(path.resolve(), seen))
        )
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        import configparser

        parser = configparser.ConfigParser()
        try:
            parser.read_string(read_text_file(setup_cfg))
            requires = parser.get("options", "install_requires", fallback="")
        except (UnreadableFile, configparser.Error):
            requires = ""
        if requires.strip():
            manager = manager or "pip"
            found = _posthog_in_list([r.strip() for r in requires.splitlines() if r.strip()])
            manifests.append(Manifest("setup.cfg", "setup.cfg", found))
    setup_py = root / "setup.py"
    if setup_py.is_file():
        manager = manager or "pip"
        try:
            text = read_text_file(setup_py)
        except UnreadableFile:
            text = ""
        match = re.search(r"""["'](posthog\b[^"']*)["']""", text)
        manifests.append(Manifest("setup.py", "setup.py", match.group(1) if match else None))
    return manager or "pip", tuple(manifests)


def declared_name(root: Path) -> str | None:
    """The project's own name from ``pyproject.toml`` (PEP 621 or poetry), if it declares one."""
    path = root / "pyproject.toml"
    data = load_toml(path) if path.is_file() else None
    if data is None:
        return None
    for name in (
        data.get("project", {}).get("name"),
        data.get("tool", {}).get("poetry", {}).get("name"),
    ):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None
