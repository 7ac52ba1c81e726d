"""Keys planted in a project's config files, env samples and notebooks, and where they are not."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from posthog_setup.analysis.rules.secrets import file_key_findings, is_scanned_for_keys
from posthog_setup.cli import main
from tests.analysers import analyse_project

# Built from pieces so that no key-shaped literal sits in this file.
TOKEN = "phc_" + "Hq4Lm8Rt2Vx6Zb0Nc3Kd7Pf1Sg5Wj9Ay2Eu6Io4Tr8Q"
PERSONAL = "phx_" + "Zt5Yw2Xv9Uq3Rp7Nm1Lk4Jh8Gf6Dc0Sb2Ae5Wq9Tr3K"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def notebook(*cells: tuple[str, list[str]], outputs: tuple[str, ...] = ()) -> str:
    """A notebook in the layout Jupyter writes (one source line per JSON line)."""
    data = {
        "cells": [
            {
                "cell_type": kind,
                "metadata": {},
                "source": lines,
                **(
                    {
                        "execution_count": 1,
                        "outputs": [{"output_type": "stream", "text": list(outputs)}],
                    }
                    if kind == "code"
                    else {}
                ),
            }
            for kind, lines in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(data, indent=1) + "\n"


def rows(file: str, text: str) -> list[tuple[str, int, int]]:
    return [(f.rule, f.line, f.col) for f in file_key_findings(file, text.encode("utf-8"))]


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        pytest.param(
            ".env.example",
            f"POSTHOG_HOST=https://eu.i.posthog.com\nPOSTHOG_PROJECT_TOKEN={TOKEN}\n",
            [("hardcoded-token", 2, 23)],
            id="env example",
        ),
        pytest.param(
            "deploy/.env.production.sample",
            f"export POSTHOG_PERSONAL_KEY='{PERSONAL}'\n",
            [("personal-api-key", 1, 30)],
            id="env sample in a folder",
        ),
        pytest.param(
            "config/settings.yaml",
            f"analytics:\n  posthog:\n    token: {TOKEN}  # the project\n",
            [("hardcoded-token", 3, 12)],
            id="yaml",
        ),
        pytest.param(
            "docker-compose.yml",
            f"services:\n  web:\n    environment:\n      - POSTHOG_KEY={TOKEN}\n",
            [("hardcoded-token", 4, 21)],
            id="yml",
        ),
        pytest.param(
            "pyproject.toml",
            f'[tool.app]\nposthog_key = "{TOKEN}"\nadmin_key = "{PERSONAL}"\n',
            [("hardcoded-token", 2, 16), ("personal-api-key", 3, 14)],
            id="toml",
        ),
        pytest.param(
            "setup.cfg", f"[posthog]\napi_key = {TOKEN}\n", [("hardcoded-token", 2, 11)], id="cfg"
        ),
        pytest.param(
            "app.ini",
            f"[analytics]\r\nkey={TOKEN}\r\n",
            [("hardcoded-token", 2, 5)],
            id="ini with CRLF",
        ),
        pytest.param(
            "analysis.ipynb",
            notebook(
                ("markdown", ["# Analysis\n"]),
                ("code", ["import posthog\n", f'posthog.project_api_key = "{TOKEN}"\n']),
            ),
            [("hardcoded-token", 15, 34)],
            id="notebook code cell",
        ),
    ],
)
def test_keys_in_files_besides_python(
    file: str, text: str, expected: list[tuple[str, int, int]]
) -> None:
    assert is_scanned_for_keys(file)
    found = rows(file, text)
    assert found == expected
    lines = text.splitlines()
    for _, line, col in found:
        assert lines[line - 1][col - 1 :].startswith(("phc_", "phx_"))


@pytest.mark.parametrize(
    ("file", "text"),
    [
        pytest.param(".env.example", "POSTHOG_PROJECT_TOKEN=\nPOSTHOG_HOST=\n", id="empty value"),
        pytest.param(
            ".env.example", "POSTHOG_PROJECT_TOKEN=phc_your_project_token_here\n", id="placeholder"
        ),
        pytest.param(
            "config.yaml",
            f"token: {TOKEN}  # posthog-setup: ignore[hardcoded-token]\n",
            id="ignore comment",
        ),
        pytest.param(
            "notes.ipynb",
            notebook(("markdown", [f"The token was `{TOKEN}`, now revoked.\n"])),
            id="a markdown cell",
        ),
        pytest.param(
            "notes.ipynb",
            notebook(("code", ["print(client.token)\n"]), outputs=(f"{TOKEN}\n",)),
            id="a code cell's output",
        ),
        pytest.param(
            "notes.ipynb",
            notebook(("code", [f'KEY = "{TOKEN}"  # posthog-setup: ignore\n'])),
            id="an ignore comment in a cell",
        ),
        pytest.param("broken.ipynb", f'{{"cells": [{TOKEN}', id="not a notebook"),
    ],
)
def test_no_key_reported(file: str, text: str) -> None:
    assert rows(file, text) == []


@pytest.mark.parametrize(
    "file", [".env", "app/.env", ".envrc", "env.py.bak", "data.json", "README.md", "notes.txt"]
)
def test_files_not_scanned(file: str) -> None:
    assert not is_scanned_for_keys(file)


def test_a_file_that_is_not_utf8_is_still_scanned() -> None:
    data = b"# caf\xe9\nPOSTHOG_PROJECT_TOKEN=" + TOKEN.encode() + b"\n"
    assert [(f.rule, f.line) for f in file_key_findings(".env.example", data)] == [
        ("hardcoded-token", 2)
    ]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.mark.parametrize("in_git", [False, True], ids=["plain folder", "git checkout"])
def test_a_project_reports_planted_keys_and_honours_its_exclusions(
    tmp_path: Path, in_git: bool
) -> None:
    root = tmp_path / "project"
    files = {
        "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        ".gitignore": ".env\nsecrets.yaml\n",
        ".env": f"POSTHOG_PROJECT_TOKEN={TOKEN}\n",
        ".env.example": f"POSTHOG_PROJECT_TOKEN={TOKEN}\n",
        "secrets.yaml": f"token: {TOKEN}\n",
        "config/app.toml": f'key = "{TOKEN}"\n',
        "examples/demo.yaml": f"token: {TOKEN}\n",
        "node_modules/pkg/config.yml": f"token: {TOKEN}\n",
        "venv/pyvenv.cfg": "home = /usr/bin\n",
        "venv/lib/site.cfg": f"key = {TOKEN}\n",
        "notebooks/explore.ipynb": notebook(("code", [f'KEY = "{PERSONAL}"\n'])),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if in_git:
        _git(root, "init", "-q")
    analysis = analyse_project(root, exclude=["examples/"], use_cache=False)
    found = sorted((f.file, f.line, f.rule) for f in analysis.findings)
    assert found == [
        (".env.example", 1, "hardcoded-token"),
        ("config/app.toml", 1, "hardcoded-token"),
        ("notebooks/explore.ipynb", 7, "personal-api-key"),
    ]
    assert analysis.files_scanned == 1
    for finding in analysis.findings:
        assert TOKEN not in finding.message
        assert PERSONAL not in finding.message


def test_revise_reports_the_place_and_never_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "blog"
    shutil.copytree(
        FIXTURES / "expected" / "flask_blog", project, ignore=shutil.ignore_patterns("__pycache__")
    )
    (project / ".env").write_text(f"POSTHOG_PROJECT_TOKEN={TOKEN}\n")
    with (project / ".env.example").open("a") as env:
        env.write(f"POSTHOG_PERSONAL_API_KEY={PERSONAL}\n")
    line = (project / ".env.example").read_text().splitlines().index(
        f"POSTHOG_PERSONAL_API_KEY={PERSONAL}"
    ) + 1
    for args in (["--check"], ["--check", "--json"]):
        code = main(["revise", *args, str(project)])
        out, err = capsys.readouterr()
        assert code == 1
        assert f".env.example:{line}:26: personal-api-key" in out or '"personal-api-key"' in out
        assert TOKEN not in out + err
        assert PERSONAL not in out + err
    code = main(["begin", "--json", str(project)])
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    assert PERSONAL not in out + err
