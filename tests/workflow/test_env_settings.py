"""Settings classes that read an env file accept the PostHog variables after the edit.

pydantic-settings forbids inputs a settings class does not declare, env-file lines
included: a user who adds ``POSTHOG_PROJECT_TOKEN`` to ``.env``, as the client module asks,
would find the app refusing to start. Edit declares the variables in each such class.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from posthog_setup.analysis import settings
from posthog_setup.analysis.context import FileContext
from posthog_setup.analysis.model import EnvSettings
from posthog_setup.cli import main

CONFIG = """\
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8")

    app_name: str = "Notes"
    debug: bool = False


settings = Settings()
"""

APP = """\
from fastapi import FastAPI

from notes.config import settings

app = FastAPI(title=settings.app_name)
NOTES: dict[int, str] = {}


@app.post("/notes", status_code=201)
def create_note(text: str) -> dict[str, int]:
    note_id = len(NOTES) + 1
    NOTES[note_id] = text
    return {"id": note_id}
"""


def _found(source: str) -> tuple[EnvSettings, ...]:
    ctx = FileContext.parse("config.py", "config", False, source)
    assert settings.wants(source) or not settings.collect(ctx)
    return settings.collect(ctx)


def test_a_strict_settings_class_reading_an_env_file_is_found() -> None:
    (found,) = _found(CONFIG)
    assert (found.name, found.line, found.end_line, found.indent) == ("Settings", 4, 8, "    ")
    assert found.fields == ("app_name", "debug")
    assert not found.upper
    assert not found.declares("POSTHOG_PROJECT_TOKEN")


@pytest.mark.parametrize(
    "config",
    [
        'SettingsConfigDict(extra="forbid")',  # no env file: only real variables, by field
        "SettingsConfigDict(env_file=None)",
        "SettingsConfigDict(**BASE)",  # unknown
    ],
)
def test_a_class_that_never_reads_env_file_lines_is_left_alone(config: str) -> None:
    source = CONFIG.replace(
        'SettingsConfigDict(env_file=".env", env_file_encoding="utf-8")', config
    )
    assert _found(source) == ()


def test_a_class_that_ignores_what_it_does_not_declare_needs_no_declaration() -> None:
    # Its env file's lines stay out of the environment all the same: the client reads it.
    source = CONFIG.replace(
        'SettingsConfigDict(env_file=".env", env_file_encoding="utf-8")',
        'SettingsConfigDict(env_file=".env", extra="ignore")',
    )
    (found,) = _found(source)
    assert (found.strict, found.env_files, found.dotenv_optional) == (False, (".env",), False)


def test_pydantic_v1_settings_read_only_their_fields_and_need_no_declaration() -> None:
    source = (
        "from pydantic import BaseSettings\n\n\nclass Settings(BaseSettings):\n"
        '    DEBUG: bool = False\n\n    class Config:\n        env_file = ".env"\n'
    )
    (found,) = _found(source)
    assert (found.strict, found.env_files, found.dotenv_optional) == (False, (".env",), True)


def test_capitals_and_case_sensitivity_are_followed() -> None:
    source = CONFIG.replace("app_name", "APP_NAME").replace("debug", "DEBUG")
    (found,) = _found(source)
    assert found.upper
    assert found.declares("app_name")


def _project(root: Path) -> Path:
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "__init__.py").write_text("")
    (root / "notes" / "config.py").write_text(CONFIG)
    (root / "notes" / "main.py").write_text(APP)
    (root / "requirements.txt").write_text("fastapi\npydantic-settings\n")
    return root


def _run(root: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter in the project, .env beside it, with no PostHog
    variable in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTHOG_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={**env, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )


def _settings_load(root: Path) -> subprocess.CompletedProcess[str]:
    return _run(root, "from notes.config import Settings; print(Settings())")


def test_after_the_edit_the_settings_accept_the_token_in_the_env_file(tmp_path: Path) -> None:
    root = _project(tmp_path / "notes_app")
    (root / ".env").write_text("POSTHOG_PROJECT_TOKEN=phc_test\nPOSTHOG_HOST=http://127.0.0.1:9\n")
    before = _settings_load(root)
    assert before.returncode != 0
    assert "Extra inputs are not permitted" in before.stderr

    assert main(["begin", str(root)]) == 0
    assert main(["edit", "--allow-dirty", str(root)]) == 0
    config = (root / "notes" / "config.py").read_text()
    assert config == CONFIG.replace(
        "    debug: bool = False\n",
        "    debug: bool = False\n"
        "    # Declared so that notes/posthog_client.py's variables are accepted in the env file.\n"
        '    posthog_project_token: str = ""\n'
        '    posthog_host: str = ""\n',
    )
    after = _settings_load(root)
    assert after.returncode == 0, after.stderr
    assert "posthog_project_token='phc_test'" in after.stdout

    # The client module reads what the settings read from .env, after the environment.
    client = (root / "notes" / "posthog_client.py").read_text()
    assert "from notes.config import settings as _settings\n" in client
    read = (
        "from notes.posthog_client import posthog_client as c\n"
        "print(c.api_key or '-', c.host, c.disabled)"
    )
    assert _run(root, read).stdout.split() == ["phc_test", "http://127.0.0.1:9", "False"]
    (root / ".env").write_text("")
    assert _run(root, read).stdout.split() == ["-", "https://us.i.posthog.com", "True"]

    assert main(["edit", "--check", str(root)]) == 0
    assert main(["revise", "--check", str(root)]) == 0


def test_settings_that_import_their_own_package_are_not_read_by_the_client(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path / "notes_app")
    (root / "notes" / "defaults.py").write_text('NAME = "Notes"\n')
    config = "from notes.defaults import NAME\n" + CONFIG.replace('"Notes"', "NAME")
    (root / "notes" / "config.py").write_text(config)
    assert main(["begin", str(root)]) == 0
    assert main(["edit", "--allow-dirty", str(root)]) == 0
    assert 'posthog_project_token: str = ""' in (root / "notes" / "config.py").read_text()
    assert "_settings" not in (root / "notes" / "posthog_client.py").read_text()


FACTORY = """\
from flask import Flask

from notes.views import bp


def create_app():
    from dotenv import load_dotenv

    load_dotenv()
    app = Flask(__name__)
    app.register_blueprint(bp)
    return app
"""

VIEWS = """\
from flask import Blueprint, request

import dotenv  # noqa: F401  (the package's own use of it)

bp = Blueprint("notes", __name__)
NOTES: list[str] = []


@bp.post("/notes")
def add_note():
    NOTES.append(request.form["text"])
    return "saved", 201
"""


def test_a_package_that_loads_env_late_gets_a_client_that_reads_it_itself(tmp_path: Path) -> None:
    # The factory loads .env after the views (and so the client module) were imported:
    # the client reads .env itself, after the environment.
    root = tmp_path / "late"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "__init__.py").write_text(FACTORY)
    (root / "notes" / "views.py").write_text(VIEWS)
    (root / "requirements.txt").write_text("flask\npython-dotenv\n")
    (root / ".env").write_text("POSTHOG_PROJECT_TOKEN=phc_from_file\n")
    assert main(["begin", str(root)]) == 0
    assert main(["edit", "--allow-dirty", str(root)]) == 0
    client = (root / "notes" / "posthog_client.py").read_text()
    assert "from dotenv import dotenv_values\n" in client
    read = (
        "from notes import create_app\ncreate_app()\n"
        "from notes.posthog_client import posthog_client as c\n"
        "print(c.api_key or '-', c.disabled)"
    )
    assert _run(root, read).stdout.split() == ["phc_from_file", "False"]
    (root / ".env").unlink()
    assert _run(root, read).stdout.split() == ["-", "True"]
    assert main(["revise", "--check", str(root)]) == 0


def test_a_lenient_settings_class_keeps_its_class_and_the_client_reads_its_env_file(
    tmp_path: Path,
) -> None:
    # ``extra="ignore"``: the token in .env is accepted, and never reaches the environment.
    root = _project(tmp_path / "lenient")
    (root / "notes" / "config.py").write_text(
        CONFIG.replace('env_file_encoding="utf-8"', 'extra="ignore"')
    )
    (root / ".env").write_text("POSTHOG_PROJECT_TOKEN=phc_from_file\n")
    assert main(["begin", str(root)]) == 0
    assert main(["edit", "--allow-dirty", str(root)]) == 0
    assert "posthog_project_token" not in (root / "notes" / "config.py").read_text()
    client = (root / "notes" / "posthog_client.py").read_text()
    assert '_dotenv = dotenv_values(".env")\n' in client
    read = (
        "from notes.posthog_client import posthog_client as c\nprint(c.api_key or '-', c.disabled)"
    )
    assert _run(root, read).stdout.split() == ["phc_from_file", "False"]
    assert main(["revise", "--check", str(root)]) == 0


@pytest.mark.parametrize(("requirements", "reads"), [("python-dotenv\n", True), ("", False)])
def test_a_pydantic_v1_env_file_is_read_by_the_client_where_dotenv_is_installed(
    tmp_path: Path, requirements: str, reads: bool
) -> None:
    # python-dotenv is optional to pydantic v1: a client importing it where it is not
    # installed would stop the app.
    root = _project(tmp_path / "v1")
    (root / "notes" / "config.py").write_text(
        "from pydantic import BaseSettings\n\n\nclass Settings(BaseSettings):\n"
        '    app_name: str = "Notes"\n\n    class Config:\n        env_file = ".env"\n'
    )
    (root / "requirements.txt").write_text("fastapi\n" + requirements)
    assert main(["begin", str(root)]) == 0
    assert main(["edit", "--allow-dirty", str(root)]) == 0
    client = (root / "notes" / "posthog_client.py").read_text()
    assert ('_dotenv = dotenv_values(".env")\n' in client) is reads
    assert "class Config:\n        env_file" in (root / "notes" / "config.py").read_text()


DECOUPLED = """\
from decouple import config
from flask import Flask, request

app = Flask(__name__)
app.secret_key = config("SECRET_KEY", default="dev")
NOTES: list[str] = []


@app.post("/notes")
def add_note():
    NOTES.append(request.form["text"])
    return "saved", 201
"""


def test_a_project_configured_by_decouple_gets_a_client_that_reads_it_the_same_way(
    tmp_path: Path,
) -> None:
    # python-decouple reads .env into its own configuration, never into the environment: a
    # client reading only the environment would stay disabled with the token in .env.
    root = tmp_path / "decoupled"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "__init__.py").write_text(DECOUPLED)
    (root / "requirements.txt").write_text("flask\npython-decouple\n")
    (root / ".env").write_text("SECRET_KEY=s3cret\nPOSTHOG_PROJECT_TOKEN=phc_from_file\n")
    assert main(["begin", str(root)]) == 0
    assert main(["edit", "--allow-dirty", str(root)]) == 0
    client = (root / "notes" / "posthog_client.py").read_text()
    assert "from decouple import config\n" in client
    read = (
        "from notes.posthog_client import posthog_client as c\n"
        "print(c.api_key or '-', c.disabled, c.host)"
    )
    assert _run(root, read).stdout.split() == ["phc_from_file", "False", "https://us.i.posthog.com"]
    (root / ".env").write_text("SECRET_KEY=s3cret\n")
    assert _run(root, read).stdout.split() == ["-", "True", "https://us.i.posthog.com"]
    assert main(["revise", "--check", str(root)]) == 0


@pytest.mark.parametrize(
    ("env_file", "read"),
    [('".env"', 'dotenv_values(".env")'), ("BASE / '.env'", "dotenv_values()")],
)
def test_settings_without_an_instance_to_read_leave_the_client_reading_their_env_file(
    tmp_path: Path, env_file: str, read: str
) -> None:
    # The settings are made where they are used (``Settings()`` in each module), so the
    # client has no settings object to read: it reads the env file itself, as they do.
    root = _project(tmp_path / "notes_app")
    config = CONFIG.replace("settings = Settings()\n", "").replace('".env"', env_file)
    if "BASE" in env_file:
        config = "from pathlib import Path\n\nBASE = Path(__file__).parent.parent\n" + config
    (root / "notes" / "config.py").write_text(config)
    (root / "notes" / "main.py").write_text(
        APP.replace("import settings", "import Settings").replace(
            "settings.app_name", "Settings().app_name"
        )
    )
    (root / ".env").write_text("POSTHOG_PROJECT_TOKEN=phc_file\n")
    assert main(["begin", str(root)]) == 0
    assert main(["edit", "--allow-dirty", str(root)]) == 0
    client = (root / "notes" / "posthog_client.py").read_text()
    assert f"_dotenv = {read}\n" in client
    read_client = (
        "from notes.main import app\n"
        "from notes.posthog_client import posthog_client as c\n"
        "print(c.api_key or '-', c.disabled)"
    )
    assert _run(root, read_client).stdout.split() == ["phc_file", "False"]
    (root / ".env").write_text("")
    assert _run(root, read_client).stdout.split() == ["-", "True"]
    assert main(["revise", "--check", str(root)]) == 0


def test_each_literal_env_file_the_settings_read_is_read_in_their_order() -> None:
    source = CONFIG.replace('env_file=".env"', 'env_file=(".env", ".env.prod")')
    (found,) = _found(source)
    assert found.env_files == (".env", ".env.prod")
    assert _found(CONFIG.replace('".env"', "ENV_PATH"))[0].env_files == ()
