"""Finding the project root and the files worth reading.

Not walked: .git, virtualenvs (any folder with a ``pyvenv.cfg``), node_modules,
migrations, build output, caches, and whatever the project's git ignores
(asked of git itself where the project is a checkout, else read from its
.gitignore).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

ROOT_MARKERS = ("manage.py", "pyproject.toml", "setup.py", "setup.cfg", "Pipfile")

#: Folder names never walked, whatever the ignore files say.
PRUNED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env",
        "env",
        "node_modules",
        "__pycache__",
        "migrations",
        "build",
        "dist",
        "site-packages",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".eggs",
        ".idea",
        ".vscode",
        "htmlcov",
        ".posthog-setup-cache",
    }
)


def has_marker(folder: Path) -> bool:
    """Whether ``folder`` holds a manifest, ``manage.py`` or a requirements file."""
    if any((folder / marker).is_file() for marker in ROOT_MARKERS):
        return True
    return any(folder.glob("requirements*.txt"))


def owning_project(root: Path, file: str) -> str:
    """The folder, relative to ``root``, of the nearest project below ``root`` that holds
    ``file``; "" when none below ``root`` does.

    A project is a folder with a manifest (or ``manage.py``) of its own that is not itself
    a package: a package's ``setup.py`` or ``manage.py`` is one of its modules.
    """
    parts = file.split("/")[:-1]
    for depth in range(len(parts), 0, -1):
        folder = root / "/".join(parts[:depth])
        if has_marker(folder) and not (folder / "__init__.py").is_file():
            return "/".join(parts[:depth])
    return ""


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding a manifest or ``manage.py``.

    The search stops at a repository boundary (a folder with ``.git``); where no
    marker is found, ``start`` itself is the root (a bare app module).
    """
    start = start.resolve()
    for folder in (start, *start.parents):
        if has_marker(folder):
            return folder
        if (folder / ".git").exists():
            break
    return start


class NotAPythonProject(Exception):
    """The folder has no manifest, no ``manage.py`` and no Python file: nothing to set up."""


def python_project_root(start: Path) -> Path:
    """``find_project_root``, refusing a folder that holds no Python project at all."""
    root = find_project_root(start)
    if has_marker(root) or project_files(root):
        return root
    raise NotAPythonProject(
        f"{root} is not a Python project: it has no {', '.join(ROOT_MARKERS)}, "
        "requirements*.txt or .py file; nothing was written"
    )


def _is_pruned(name: str, path: Path) -> bool:
    if name in PRUNED_DIRS or name.endswith(".egg-info"):
        return True
    return (path / "pyvenv.cfg").is_file()


def _git_listing(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under root, relative to it; None outside git."""
    try:
        result = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--",
                ".",
            ],
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    names = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [n for n in names if n]


def tracked_by_git(root: Path, path: str) -> bool:
    """Is ``path`` (relative to ``root``) a file git tracks? A ``.gitignore`` line keeps
    out only what git does not track yet."""
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--", path],
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and bool(result.stdout.strip(b"\0"))


def _gitignore_spec(root: Path) -> pathspec.GitIgnoreSpec | None:
    ignore = root / ".gitignore"
    try:
        lines = ignore.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    import pathspec  # only outside git, and for exclusions: a check in git never needs it

    return pathspec.GitIgnoreSpec.from_lines(lines)


def exclusion_spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """``[tool.posthog-setup] exclude`` read as .gitignore lines: ``blog/api`` excludes that folder.

    Raises ``ValueError`` naming the first pattern that is not valid .gitignore syntax.
    """
    import pathspec

    lines = list(patterns)
    for line in lines:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except ValueError as exc:
            raise ValueError(f"{line!r} is not a valid .gitignore pattern ({exc})") from exc
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _walk(root: Path, wanted: Callable[[str], bool] = lambda _: True) -> Iterator[str]:
    """The ``wanted`` files under ``root`` outside pruned and ignored folders, minus those
    .gitignore ignores: a file is asked ``wanted`` before the ignore patterns, which cost
    far more (a project's static assets are most of its files)."""
    spec = _gitignore_spec(root)
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        rel_base = base.relative_to(root).as_posix()
        prefix = "" if rel_base == "." else rel_base + "/"
        kept = []
        for name in sorted(dirs):
            if _is_pruned(name, base / name):
                continue
            if spec is not None and spec.match_file(prefix + name + "/"):
                continue
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            rel = prefix + name
            if wanted(rel) and (spec is None or not spec.match_file(rel)):
                yield rel


def _outside_pruned(relative: str, root: Path, cache: dict[str, bool]) -> bool:
    parts = relative.split("/")[:-1]
    current = ""
    for part in parts:
        current = f"{current}/{part}" if current else part
        pruned = cache.get(current)
        if pruned is None:
            pruned = _is_pruned(part, root / current)
            cache[current] = pruned
        if pruned:
            return False
    return True


def project_files(
    root: Path,
    suffixes: Iterable[str] = (".py",),
    *,
    also: Callable[[str], bool] | None = None,
) -> list[str]:
    """Files under ``root`` with one of ``suffixes`` (or that ``also`` accepts), relative
    and sorted, ignores honoured."""
    ends = tuple(suffixes)

    def wanted(file: str) -> bool:
        return file.endswith(ends) or (also is not None and also(file))

    listing = _git_listing(root)
    if listing is None:
        return list(_walk(root, wanted))
    cache: dict[str, bool] = {}
    found = [
        f for f in listing if wanted(f) and _outside_pruned(f, root, cache) and (root / f).is_file()
    ]
    return sorted(found)


def every_file(root: Path) -> list[str]:
    """Every file git lists under ``root`` (tracked, or untracked and not ignored), whatever
    its suffix; outside git, every file the walk finds."""
    listing = _git_listing(root)
    if listing is None:
        return list(_walk(root))
    return listing


_TEST_FOLDERS = frozenset({"tests", "test", "testing"})


def is_test_file(path: str) -> bool:
    """A file of the project's own tests, which the integration never edits: under a
    ``tests/`` (``test/``, ``testing/``) folder, ``test_*.py``, ``*_test.py``, a Django
    app's ``tests.py``, or a ``conftest.py``."""
    parts = path.split("/")
    name = parts[-1]
    return (
        any(part in _TEST_FOLDERS for part in parts[:-1])
        or name in ("tests.py", "conftest.py")
        or name.startswith("test_")
        or name.endswith("_test.py")
    )
