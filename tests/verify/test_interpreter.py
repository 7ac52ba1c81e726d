"""Finding the project's interpreter in fake virtualenv layouts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from posthog_setup.verify.interpreter import (
    Interpreter,
    early_interpreter,
    find_interpreter,
    venv_python,
)

NO_TOOLS: dict[str, str] = {}


def no_which(name: str) -> str | None:
    return None


def fake_venv(folder: Path, layout: str = "bin/python") -> Path:
    """A folder with ``layout`` a symlink to this interpreter, as a virtualenv has."""
    python = folder / layout
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    return python


def fake_tool(tmp_path: Path, name: str, script: str) -> str:
    """An executable shell script standing in for poetry or pipenv."""
    tool = tmp_path / "tools" / name
    tool.parent.mkdir(exist_ok=True)
    tool.write_text("#!/bin/sh\n" + script + "\n")
    tool.chmod(0o755)
    return str(tool)


def find(root: Path, **kwargs: object) -> Interpreter:
    options: dict[str, object] = {"environ": NO_TOOLS, "which": no_which}
    options.update(kwargs)
    return find_interpreter(root, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", [".venv", "venv", "env"])
def test_a_virtualenv_in_the_root_is_the_project_interpreter(tmp_path: Path, name: str) -> None:
    python = fake_venv(tmp_path / name)
    assert find(tmp_path) == Interpreter(str(python), name, f"the project's virtualenv {name}/")


def test_dot_venv_comes_before_venv_and_env(tmp_path: Path) -> None:
    fake_venv(tmp_path / "env")
    fake_venv(tmp_path / "venv")
    python = fake_venv(tmp_path / ".venv")
    found = find(tmp_path)
    assert (found.python, found.source) == (str(python), ".venv")
    assert found.display(tmp_path) == ".venv/bin/python"


def test_a_windows_layout_is_found(tmp_path: Path) -> None:
    python = fake_venv(tmp_path / ".venv", "Scripts/python.exe")
    assert find(tmp_path).python == str(python)
    assert venv_python(tmp_path / ".venv") == python


def test_a_folder_without_an_interpreter_is_not_a_virtualenv(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()  # e.g. a folder of settings files
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    found = find(tmp_path)
    assert (found.python, found.source) == (sys.executable, "current")


def test_the_active_virtualenv_comes_after_the_project_ones(tmp_path: Path) -> None:
    active = fake_venv(tmp_path / "elsewhere" / "active")
    project = tmp_path / "project"
    project.mkdir()
    environ = {"VIRTUAL_ENV": str(tmp_path / "elsewhere" / "active")}
    found = find(project, environ=environ)
    assert found == Interpreter(
        str(active),
        "VIRTUAL_ENV",
        f"the active virtualenv ($VIRTUAL_ENV={tmp_path / 'elsewhere' / 'active'})",
    )
    assert found.display(project) == str(active)
    own = fake_venv(project / ".venv")
    assert find(project, environ=environ).python == str(own)


def test_poetry_is_asked_where_its_environment_is(tmp_path: Path) -> None:
    managed = tmp_path / "cache" / "virtualenvs" / "shop-py3.11"
    python = fake_venv(managed)
    project = tmp_path / "shop"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.poetry]\nname = "shop"\n')
    poetry = fake_tool(
        tmp_path, "poetry", f'[ "$1 $2 $3" = "env info --path" ] && echo "{managed}"'
    )
    found = find(project, which=lambda name: poetry if name == "poetry" else None)
    assert found == Interpreter(str(python), "poetry", "poetry's environment for the project")


def test_poetry_is_not_asked_about_a_project_that_does_not_use_it(tmp_path: Path) -> None:
    marker = tmp_path / "asked"
    poetry = fake_tool(tmp_path, "poetry", f'touch "{marker}"; echo /nowhere')
    project = tmp_path / "app"
    project.mkdir()
    (project / "requirements.txt").write_text("flask\n")
    found = find(project, which=lambda name: poetry if name == "poetry" else None)
    assert found.source == "current"
    assert not marker.exists()


def test_the_declared_manager_is_enough_to_ask_pipenv(tmp_path: Path) -> None:
    managed = tmp_path / "pipenv-venv"
    python = fake_venv(managed)
    pipenv = fake_tool(tmp_path, "pipenv", f'[ "$1" = "--venv" ] && echo "{managed}"')
    project = tmp_path / "app"
    project.mkdir()
    found = find(project, manager="pipenv", which=lambda name: pipenv if name == "pipenv" else None)
    assert (found.python, found.source) == (str(python), "pipenv")


@pytest.mark.parametrize(
    "script",
    [
        "echo 'Poetry could not find a pyproject.toml file' >&2; exit 1",
        "echo relative/path",
        "sleep 5",
    ],
    ids=["fails", "relative", "hangs"],
)
def test_a_manager_that_cannot_answer_falls_back(tmp_path: Path, script: str) -> None:
    poetry = fake_tool(tmp_path, "poetry", script)
    (tmp_path / "poetry.lock").write_text("")
    found = find(tmp_path, which=lambda name: poetry, timeout=0.5)
    assert found == Interpreter(
        sys.executable,
        "current",
        "the interpreter running posthog-setup, as no project virtualenv was found "
        "(.venv, venv, env, $VIRTUAL_ENV, poetry, pipenv)",
    )


def test_the_process_environment_is_read_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    active = fake_venv(tmp_path / "active")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    monkeypatch.setenv("PATH", os.defpath)
    project = tmp_path / "project"
    project.mkdir()
    assert find_interpreter(project).python == str(active)


def test_before_the_analysis_a_project_virtualenv_is_known(tmp_path: Path) -> None:
    python = fake_venv(tmp_path / ".venv")
    early = early_interpreter(tmp_path, environ=NO_TOOLS)
    assert early == find(tmp_path)
    assert early is not None
    assert early.python == str(python)


def test_before_the_analysis_no_interpreter_is_guessed_where_a_manager_may_know(
    tmp_path: Path,
) -> None:
    """Poetry's environment is found only by asking it, and only once the analysis
    says the project uses it: nothing is started ahead."""
    (tmp_path / "poetry.lock").write_text("")
    assert early_interpreter(tmp_path, environ=NO_TOOLS) is None
    (tmp_path / "poetry.lock").unlink()
    assert early_interpreter(tmp_path, environ=NO_TOOLS) == find(tmp_path)
