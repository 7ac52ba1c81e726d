"""A repository whose Python projects live in folders of their own, each with its manifest.

Pointed at the repository, the tool must never make one service import another's client,
nor import a service's modules by a path that only works from the repository's root: one
project below is worked on where it is; several are refused, with the command for each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from posthog_setup.cli import main

API = """\
from fastapi import FastAPI

app = FastAPI()
ITEMS: list[str] = []


@app.post("/items", status_code=201)
def create_item(name: str) -> dict[str, int]:
    ITEMS.append(name)
    return {"count": len(ITEMS)}
"""

WEB = """\
from flask import Flask, request

app = Flask(__name__)
NOTES: list[str] = []


@app.post("/notes")
def add_note() -> tuple[str, int]:
    NOTES.append(request.form["text"])
    return "saved", 201
"""


def _service(root: Path, folder: str, package: str, source: str, requirement: str) -> None:
    (root / folder / package).mkdir(parents=True)
    (root / folder / package / "__init__.py").write_text("")
    (root / folder / package / "main.py").write_text(source)
    (root / folder / "requirements.txt").write_text(f"{requirement}\n")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_several_projects_below_are_refused_with_the_command_for_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _service(tmp_path, "api", "app", API, "fastapi")
    _service(tmp_path, "web", "site", WEB, "flask")
    before = _files(tmp_path)
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds several Python projects, each with its own manifest (api/, web/)" in err
    assert f"`posthog-setup {tmp_path / 'api'}` and `posthog-setup {tmp_path / 'web'}`" in err
    assert _files(tmp_path) == before


def test_an_app_at_the_top_beside_a_project_below_names_exclude(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "main.py").write_text(WEB)
    _service(tmp_path, "api", "app", API, "fastapi")
    assert main(["begin", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "(./, api/)" in err
    assert "list the others' folders under `exclude`" in err
    assert not (tmp_path / "posthog-events.json").exists()


def test_the_only_project_below_is_worked_on_where_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _service(tmp_path, "api", "app", API, "fastapi")
    (tmp_path / "README.md").write_text("a service\n")
    assert main(["begin", str(tmp_path)]) == 0
    assert "The Python project here is api/: working there." in capsys.readouterr().err
    assert main(["edit", "--allow-dirty", str(tmp_path)]) == 0
    api = tmp_path / "api"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "api"]
    assert "from app.posthog_client import posthog_client" in (api / "app" / "main.py").read_text()
    assert "posthog>=" in (api / "requirements.txt").read_text()
    assert (api / "posthog-events.json").is_file()

    # Run from the service's own folder, as it is deployed.
    check = subprocess.run(
        [sys.executable, "-c", "from app.main import app; print(type(app).__name__)"],
        cwd=api,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.stdout.strip() == "FastAPI", check.stderr

    capsys.readouterr()
    assert main(["revise", "--check", str(tmp_path)]) == 2
    assert "(api/ has one: point the command there)" in capsys.readouterr().err
    assert main(["revise", "--check", str(api)]) == 0
