"""Which versions of a package the project declares, and whether a hook-up can run on them.

The SDK's integrations use framework APIs that older releases lack: PostHog's Django
middleware reads ``request.headers`` (Django 2.2+), so on Django 2.1 every request fails;
its Flask integration connects to Flask's signals, which raise without blinker (a Flask
dependency only from 2.3), so the app factory fails.
Edit leaves such a hook-up out and says why; conclude's static check expects what edit did.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from posthog_setup.project.files import UnreadableFile, read_text_file
from posthog_setup.project.manifests import load_toml, requirement_files, requirement_names


@dataclass(frozen=True)
class VersionGate:
    """The first version of a framework package the SDK's hook-up works on, and why."""

    package: str
    minimum: str
    reason: str
    #: a package that, declared by the project, lifts the minimum (blinker for Flask's signals)
    enabler: str | None = None


def declared_specifiers(root: Path, package: str, *, locked: bool = True) -> list[SpecifierSet]:
    """Every version range the project's manifests declare for ``package``: requirements
    files (with their ``-r`` includes), PEP 621 dependencies, poetry's table, the Pipfile,
    and (``locked``) the version a lock file pins."""
    wanted = canonicalize_name(package)
    found: list[SpecifierSet] = []
    for path in requirement_files(root):
        try:
            lines = read_text_file(path).splitlines()
        except UnreadableFile:
            continue
        found += [r.specifier for _, r in requirement_names(lines) if _named(r, wanted)]
    found += _locked_or_pipfile_specifiers(root, wanted, locked=locked)
    data = load_toml(root / "pyproject.toml") if (root / "pyproject.toml").is_file() else None
    if data is None:
        return found
    for item in data.get("project", {}).get("dependencies") or ():
        try:
            requirement = Requirement(str(item))
        except InvalidRequirement:
            continue
        if _named(requirement, wanted):
            found.append(requirement.specifier)
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies") or {}
    for name, spec in poetry.items():
        if canonicalize_name(name) == wanted:
            version = spec if isinstance(spec, str) else spec.get("version", "*")
            found += _poetry_constraint(str(version)) or []
    return found


def _locked_or_pipfile_specifiers(root: Path, wanted: str, *, locked: bool) -> list[SpecifierSet]:
    """The Pipfile's ranges for ``wanted``, and (``locked``) the version a lock file pins
    (Pipfile.lock, poetry.lock, uv.lock): what the project's installs get, whatever its
    manifest allows. A file that cannot be read says nothing."""
    found: list[SpecifierSet] = []
    pipfile = load_toml(root / "Pipfile") if (root / "Pipfile").is_file() else None
    for section in ("packages", "dev-packages"):
        for name, spec in ((pipfile or {}).get(section) or {}).items():
            version = spec if isinstance(spec, str) else (spec or {}).get("version", "*")
            if canonicalize_name(name) == wanted and isinstance(version, str):
                found += _specifier("" if version == "*" else version)
    if not locked:
        return found
    pins: list[tuple[object, object]] = []
    if (root / "Pipfile.lock").is_file():
        try:
            data = json.loads(read_text_file(root / "Pipfile.lock"))
        except (UnreadableFile, ValueError):
            data = None
        for section in ("default", "develop"):
            packages = data.get(section) if isinstance(data, dict) else None
            for name, entry in (packages if isinstance(packages, dict) else {}).items():
                version = entry.get("version") if isinstance(entry, dict) else None
                pins.append((name, version.lstrip("=") if isinstance(version, str) else None))
    for lock in ("poetry.lock", "uv.lock"):
        data = load_toml(root / lock) if (root / lock).is_file() else None
        packages = (data or {}).get("package")
        for entry in packages if isinstance(packages, list) else ():
            if isinstance(entry, dict):
                pins.append((entry.get("name"), entry.get("version")))
    for name, version in pins:
        if isinstance(name, str) and canonicalize_name(name) == wanted and isinstance(version, str):
            found += _specifier(f"=={version}")
    return found


def _specifier(text: str) -> list[SpecifierSet]:
    try:
        return [SpecifierSet(text)]
    except InvalidSpecifier:
        return []


def _named(requirement: Requirement, wanted: str) -> bool:
    return canonicalize_name(requirement.name) == wanted


def _manifest_folders(root: Path) -> list[Path]:
    """The project root and the folders above it up to the repository's top: a Django
    project in ``app/`` often declares its dependencies in the repository root."""
    folders = [root]
    for parent in root.parents:
        if (folders[-1] / ".git").exists() or len(folders) > 3:
            break
        folders.append(parent)
    return folders


def hookup_blocker(root: Path, gate: VersionGate | None) -> str | None:
    """Why a hook-up cannot run on the version the project declares, or None."""
    if gate is None:
        return None
    floor = Version(gate.minimum)
    folders = _manifest_folders(root)
    # A lock may list the enabler for an extra or a dev group the app does not install:
    # only a manifest that asks for it lifts the gate.
    if gate.enabler and any(
        declared_specifiers(folder, gate.enabler, locked=False) for folder in folders
    ):
        return None
    found = [s for folder in folders for s in declared_specifiers(folder, gate.package)]
    for specifiers in found:
        if str(specifiers) and not reaches_version(specifiers, floor):
            return f"{gate.package}{specifiers} is declared: {gate.reason}"
    return None


# -- posthog requirements, as pip, poetry and pipenv write them -------------------------


def allows_at_least(requirement: str, minimum: str) -> bool:
    """True if a posthog requirement allows some version at or above ``minimum``
    (also when it cannot be read: then nothing is known against it)."""
    alternatives = requirement_specifiers(requirement)
    return alternatives is None or any(reaches_version(s, Version(minimum)) for s in alternatives)


def requirement_specifiers(requirement: str) -> list[SpecifierSet] | None:
    """The version ranges a posthog requirement allows (several for poetry's ``||``).

    Requirements come as PEP 508 strings, or as ``posthog <constraint>`` with a poetry
    or Pipfile constraint (``^6.0``, ``6.1``, ``*``). None when it cannot be read.
    """
    try:
        return [Requirement(requirement).specifier]
    except InvalidRequirement:
        pass
    constraint = requirement.strip()[len("posthog") :].strip()
    if constraint.startswith("{"):
        # A Pipfile table ({'version': ..., 'extras': ...}); without a version, any goes.
        table_version = re.search(r"""['"]version['"]\s*:\s*['"]([^'"]*)['"]""", constraint)
        if table_version is None:
            return [SpecifierSet()]
        constraint = table_version.group(1)
    return _poetry_constraint(constraint)


def _poetry_constraint(constraint: str) -> list[SpecifierSet] | None:
    """A poetry version constraint (``^``, ``~``, bare versions, ``||``) as PEP 440 ranges."""
    alternatives: list[SpecifierSet] = []
    token = re.compile(r"(\^|~=|~|===|==|!=|>=|<=|>|<|=)?\s*(\*|[0-9][^\s,|]*)")
    for part in constraint.split("||"):
        specs: list[str] = []
        for operator, version in token.findall(part):
            if version == "*":
                continue
            if operator in ("^", "~"):
                try:
                    release = Version(version).release
                except InvalidVersion:
                    return None
                specs += [f">={version}", f"<{_upper_bound(release, caret=operator == '^')}"]
            elif operator in ("", "="):
                specs.append(f"=={version}")
            else:
                specs.append(f"{operator}{version}")
        try:
            alternatives.append(SpecifierSet(",".join(specs)))
        except InvalidSpecifier:
            return None
    return alternatives


def _upper_bound(release: tuple[int, ...], *, caret: bool) -> str:
    """The exclusive upper bound of a poetry ``^`` or ``~`` constraint."""
    if caret:
        index = next((i for i, part in enumerate(release) if part), len(release) - 1)
    else:
        index = 1 if len(release) >= 2 else 0
    return ".".join(str(part) for part in (*release[:index], release[index] + 1))


def reaches_version(spec: SpecifierSet, minimum: Version) -> bool:
    """True if some version at or above ``minimum`` satisfies ``spec``.

    Only the bounds the specifier names (and the versions just past them) can
    change the answer, so those are the versions tried.
    """
    candidates = {minimum}
    for single in spec:
        try:
            bound = Version(single.version.removesuffix(".*"))
        except InvalidVersion:
            continue
        major, minor, micro = (*bound.release, 0, 0)[:3]
        candidates |= {
            bound,
            Version(f"{major}.{minor}.{micro + 1}"),
            Version(f"{major}.{minor + 1}"),
            Version(f"{major + 1}"),
        }
    return any(c >= minimum and spec.contains(c, prereleases=True) for c in candidates)


# --- text in the file's own form ------------------------------------------------------------
