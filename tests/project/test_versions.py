"""Framework versions the project declares, and hook-ups they cannot run."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from posthog_setup.cli import main
from posthog_setup.frameworks import django, flask
from posthog_setup.project.versions import declared_specifiers, hookup_blocker
from tests.workflow.test_edit import copy_fixture


@pytest.mark.parametrize(
    ("files", "blocked"),
    [
        ({"requirements.txt": "Django>=2.1.3,<2.2.0\n"}, True),
        (
            {
                "requirements.txt": "-r requirements/base.txt\n",
                "requirements/base.txt": "django==2.1.15\n",
            },
            True,
        ),
        (
            {"pyproject.toml": '[tool.poetry.dependencies]\ndjango = "^2.1"\n'},
            False,
        ),  # ^2.1 allows 2.2
        ({"pyproject.toml": '[tool.poetry.dependencies]\ndjango = "~2.1"\n'}, True),
        ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["django>=4.2"]\n'}, False),
        ({"requirements.txt": "django\n"}, False),
        ({"requirements.txt": "flask==0.12\n"}, False),
    ],
)
def test_django_before_2_2_blocks_the_middleware(
    tmp_path: Path, files: dict[str, str], blocked: bool
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    reason = hookup_blocker(tmp_path, django.framework.version_gate)
    assert (reason is not None) == blocked
    if reason is not None:
        assert "request.headers" in reason


def test_specifiers_are_read_from_every_manifest(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("Django>=3.2,<4  # pinned\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["django[argon2]<5"]\n'
    )
    assert sorted(str(s) for s in declared_specifiers(tmp_path, "Django")) == ["<4,>=3.2", "<5"]


def test_edit_leaves_the_middleware_out_on_django_2_1_and_conclude_agrees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_fixture("django_shop", tmp_path)
    manifest = project / "pyproject.toml"
    manifest.write_text(manifest.read_text().replace('django = "^5.0"', 'django = "~2.1"'))
    assert main(["edit", "--allow-dirty", str(project)]) == 0
    settings = (project / "shop" / "settings.py").read_text()
    assert "PosthogContextMiddleware" not in settings
    assert "request.headers" in capsys.readouterr().err
    # The captures are still there, and a second run changes nothing.
    assert "posthog_client.capture(" in (project / "orders" / "views.py").read_text()
    assert main(["edit", "--check", "-q", "--allow-dirty", str(project)]) == 0


@pytest.mark.parametrize("spec", ["django==5.1.2", "Django!=2.2", "django~=4.2.1", "django>2.2"])
def test_a_new_enough_django_is_never_blocked(tmp_path: Path, spec: str) -> None:
    (tmp_path / "requirements.txt").write_text(spec + "\n")
    assert hookup_blocker(tmp_path, django.framework.version_gate) is None


def test_the_manifest_above_a_django_project_in_a_subfolder_counts(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("Django>=2.1.3,<2.2.0\n")
    (tmp_path / "app").mkdir()
    assert hookup_blocker(tmp_path / "app", django.framework.version_gate) is not None


@pytest.mark.parametrize(
    ("requirements", "blocked"),
    [
        ("Flask==2.1.3\n", True),  # no blinker: the integration's signals raise
        ("Flask==2.1.3\nblinker==1.4\n", False),
        ("flask>=3.0\n", False),  # blinker is a dependency of Flask from 2.3
        ("flask\n", False),
    ],
)
def test_flask_before_2_3_without_blinker_blocks_the_integration(
    tmp_path: Path, requirements: str, blocked: bool
) -> None:
    (tmp_path / "requirements.txt").write_text(requirements)
    reason = hookup_blocker(tmp_path, flask.framework.version_gate)
    assert (reason is not None) == blocked
    if reason is not None:
        assert "blinker" in reason


_PIPFILE = '[packages]\nflask = "*"\n'
_PIPFILE_LOCK = '{"_meta": {}, "default": {"flask": {"version": "==1.0.2"}}, "develop": {}}'
_POETRY_LOCK = '[[package]]\nname = "Flask"\nversion = "2.0.3"\n\n[[package]]\nname = "x"\n'


@pytest.mark.parametrize(
    ("files", "blocked"),
    [
        # what the lock pins is what gets installed, whatever range the manifest allows
        ({"Pipfile": _PIPFILE, "Pipfile.lock": _PIPFILE_LOCK}, True),
        ({"Pipfile": '[packages]\nflask = "==2.0.1"\n'}, True),
        ({"pyproject.toml": "[project]\nname = 'x'\n", "poetry.lock": _POETRY_LOCK}, True),
        ({"uv.lock": _POETRY_LOCK.replace("2.0.3", "3.0.0")}, False),
        # blinker declared too: the signals work
        ({"Pipfile": _PIPFILE + 'blinker = "*"\n', "Pipfile.lock": _PIPFILE_LOCK}, False),
        # only locked (for a dev group or an extra, maybe): that says nothing of the app
        (
            {
                "requirements.txt": "flask==2.1.3\n",
                "uv.lock": '[[package]]\nname = "blinker"\nversion = "1.6"\n',
            },
            True,
        ),
        # a lock that cannot be read says nothing
        ({"Pipfile": _PIPFILE, "Pipfile.lock": "{not json"}, False),
        ({"poetry.lock": "[[package]\n"}, False),
    ],
)
def test_locked_versions_count_as_declared(
    tmp_path: Path, files: dict[str, str], blocked: bool
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert (hookup_blocker(tmp_path, flask.framework.version_gate) is not None) == blocked


def test_edit_leaves_the_falcon_hook_up_out_before_3_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Falcon 2 tries error handlers in the order they were added: an Exception handler
    would answer the app's own 404s with a 500. The captures still go in."""
    project = copy_fixture("falcon_bookmarks", tmp_path)
    manifest = project / "pyproject.toml"
    manifest.write_text(manifest.read_text().replace('"falcon>=3.1"', '"falcon>=2.0,<3"'))
    assert main(["edit", "--allow-dirty", str(project)]) == 0
    app = (project / "marks" / "app.py").read_text()
    assert "PosthogMiddleware" not in app
    assert "capture_server_error" not in app
    assert "before 3.0 Falcon tries error handlers" in capsys.readouterr().err
    assert "posthog_client.capture(" in (project / "marks" / "bookmarks.py").read_text()
    assert main(["edit", "--check", "-q", "--allow-dirty", str(project)]) == 0


def test_a_check_parses_each_toml_text_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Configuration, manifests, the project's Python and the framework's declared version
    all read the same pyproject.toml: one run parses it once, and nothing parses TOML
    beside the one reader."""
    import tomlkit

    from posthog_setup.project import manifests

    project = copy_fixture("falcon_bookmarks", tmp_path)
    assert main(["edit", "--allow-dirty", "-q", str(project)]) == 0
    assert main(["revise", "--check", "-q", str(project)]) == 0
    inner = manifests._parsed_toml.__wrapped__
    parsed: list[str] = []
    outside: list[str] = []
    original = tomlkit.parse

    @functools.lru_cache(maxsize=16)
    def counting(text: str) -> dict[str, Any]:
        parsed.append(text)
        return inner(text)

    def counting_kit(text: str) -> tomlkit.TOMLDocument:
        outside.append(text)
        return original(text)

    monkeypatch.setattr(manifests, "_parsed_toml", counting)
    monkeypatch.setattr(tomlkit, "parse", counting_kit)
    assert main(["revise", "--check", "-q", str(project)]) == 0
    assert parsed
    assert len(parsed) == len(set(parsed))
    assert len(outside) <= len(parsed)
