"""A ``.env`` git already tracks is not kept out of the repository by ``.gitignore``:
edit says so, where it used to say only that it ignored the file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.project.discovery import tracked_by_git

APP = """\
from flask import Flask

app = Flask(__name__)


@app.post("/notes")
def add_note():
    db.session.commit()
    return "ok"
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _project(root: Path, *, track_env: bool) -> Path:
    root.mkdir()
    (root / "app.py").write_text(APP)
    (root / "requirements.txt").write_text("flask\n")
    (root / ".env").write_text("DEBUG=1\n")
    _git(root, "init", "-q")
    _git(root, "add", "app.py", "requirements.txt", *([".env"] if track_env else []))
    _git(root, "commit", "-q", "-m", "base")
    return root


@pytest.mark.parametrize("track_env", [True, False])
def test_a_tracked_env_file_is_named_as_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], track_env: bool
) -> None:
    project = _project(tmp_path / "notes", track_env=track_env)
    assert tracked_by_git(project, ".env") is track_env
    assert main(["edit", "--allow-dirty", str(project)]) == 0
    said = capsys.readouterr().err
    assert ("`git rm --cached .env`" in said) is track_env
    assert ".env" in (project / ".gitignore").read_text().splitlines()


def test_outside_git_nothing_is_tracked(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=1\n")
    assert not tracked_by_git(tmp_path, ".env")
