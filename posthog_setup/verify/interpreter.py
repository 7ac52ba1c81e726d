"""Finding the project's own Python interpreter, and saying which one and why.

In order: a virtualenv in the project root (``.venv``, which uv, pdm and poetry's in-project
setting use, then ``venv`` and ``env``); the active virtualenv (``$VIRTUAL_ENV``); the
environment poetry or pipenv keeps elsewhere, asked of the tool itself when it is on PATH
and the project uses it; else the interpreter running posthog-setup.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: Root folders that hold the project's virtualenv, in the order they are tried.
VENV_FOLDERS = (".venv", "venv", "env")
#: Where a virtualenv keeps its interpreter, POSIX first.
_VENV_PYTHONS = ("bin/python", "bin/python3", "Scripts/python.exe")
#: Seconds a dependency manager may take to say where its environment is.
MANAGER_TIMEOUT = 10.0

Which = Callable[[str], str | None]


@dataclass(frozen=True)
class Interpreter:
    """A Python executable, where it was found (``source``) and why it was chosen."""

    python: str
    source: str
    reason: str

    def display(self, root: Path) -> str:
        """The path as people read it: relative to the project when it is inside it."""
        path = Path(self.python)
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return self.python


def venv_python(folder: Path) -> Path | None:
    """The interpreter of the virtualenv in ``folder``, if there is one."""
    for candidate in _VENV_PYTHONS:
        python = folder / candidate
        if python.is_file():
            return python
    return None


def _uses(root: Path, manager: str, declared: str | None) -> bool:
    if declared == manager:
        return True
    if manager == "poetry":
        if (root / "poetry.lock").is_file():
            return True
        pyproject = root / "pyproject.toml"
        try:
            return "[tool.poetry" in pyproject.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    return (root / "Pipfile").is_file()


def _manager_venv(
    root: Path, manager: str, which: Which, environ: Mapping[str, str], timeout: float
) -> Path | None:
    """Ask poetry or pipenv where the project's environment is (None if it cannot say)."""
    executable = which(manager)
    if executable is None:
        return None
    argv = [executable, "env", "info", "--path"] if manager == "poetry" else [executable, "--venv"]
    try:
        done = subprocess.run(
            argv,
            cwd=root,
            env={**environ, "PIPENV_VERBOSITY": "-1"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return None
    folder = Path(lines[-1].strip())
    return folder if folder.is_absolute() else None


def named_interpreter(python: Path | None) -> Interpreter | None:
    """The interpreter ``--env`` names, if it names one."""
    if python is None:
        return None
    return Interpreter(str(python), "--env", "named on the command line")


def find_interpreter(
    root: Path,
    *,
    manager: str | None = None,
    environ: Mapping[str, str] | None = None,
    which: Which | None = None,
    timeout: float = MANAGER_TIMEOUT,
) -> Interpreter:
    """The interpreter the project runs with; ``manager`` is its dependency manager, if known."""
    environ = os.environ if environ is None else environ
    which = shutil.which if which is None else which
    local = _local_interpreter(root, environ)
    if local is not None:
        return local
    for tool in _MANAGERS:
        if not _uses(root, tool, manager):
            continue
        folder = _manager_venv(root, tool, which, environ, timeout)
        python = venv_python(folder) if folder is not None else None
        if python is not None:
            return Interpreter(str(python), tool, f"{tool}'s environment for the project")
    return _current()


def early_interpreter(
    root: Path, *, environ: Mapping[str, str] | None = None
) -> Interpreter | None:
    """``find_interpreter``'s answer where it is known before the project is analysed, that
    is without a dependency manager to ask; None where poetry or pipenv may have to be."""
    environ = os.environ if environ is None else environ
    local = _local_interpreter(root, environ)
    if local is not None:
        return local
    if any(_uses(root, tool, None) for tool in _MANAGERS):
        return None
    return _current()


def _local_interpreter(root: Path, environ: Mapping[str, str]) -> Interpreter | None:
    """The project's own virtualenv's interpreter, or the active one's."""
    for name in VENV_FOLDERS:
        python = venv_python(root / name)
        if python is not None:
            return Interpreter(str(python), name, f"the project's virtualenv {name}/")
    active = environ.get("VIRTUAL_ENV")
    if active:
        python = venv_python(Path(active))
        if python is not None:
            return Interpreter(
                str(python), "VIRTUAL_ENV", f"the active virtualenv ($VIRTUAL_ENV={active})"
            )
    return None


_MANAGERS = ("poetry", "pipenv")


def _current() -> Interpreter:
    return Interpreter(
        sys.executable,
        "current",
        "the interpreter running posthog-setup, as no project virtualenv was found "
        "(.venv, venv, env, $VIRTUAL_ENV, poetry, pipenv)",
    )
