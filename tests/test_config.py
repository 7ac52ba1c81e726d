"""[tool.posthog-setup] settings, and clear errors for bad ones."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.config import Config, ConfigError, load_config

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_no_pyproject_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()


def test_settings_are_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.posthog-setup]\nexclude = ["scripts/*"]\nevent-style = "noun verb"\n'
        'token-var = "POSTHOG_KEY"\nclient-module = "app/analytics.py"\nframeworks = ["flask"]\n'
        "max-file-kb = 2000\n"
    )
    assert load_config(tmp_path) == Config(
        exclude=("scripts/*",),
        event_style="noun verb",
        token_var="POSTHOG_KEY",
        client_module="app/analytics.py",
        frameworks=("flask",),
        max_file_kb=2000,
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('event-style = "SHOUTING"', "event-style must be one of"),
        ("exclude = 3", "exclude must be a list of strings"),
        ('colour = "blue"', "unknown setting"),
        ('frameworks = ["rails"]', "frameworks: unknown rails"),
        ('client-module = "app/analytics"', "client-module must be a path to a .py file"),
        ("max-file-kb = 0", "max-file-kb must be a positive whole number"),
        ('max-file-kb = "big"', "max-file-kb must be a positive whole number"),
        ("max-file-kb = true", "max-file-kb must be a positive whole number"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.posthog-setup]\n{table}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.posthog-setup\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path)


def test_invalid_exclude_pattern_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.posthog-setup]\nexclude = ["!"]\n')
    with pytest.raises(ConfigError, match=r"exclude: '!' is not a valid \.gitignore pattern"):
        load_config(tmp_path)


def _planned_files(project: Path, exclude: str) -> set[str]:
    (project / "pyproject.toml").write_text(f"[tool.posthog-setup]\nexclude = {exclude}\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["begin", "--json", "-q", str(project)]) == 0
    return {event["file"] for event in json.loads(out.getvalue())["plan"]["events"]}


@pytest.mark.parametrize(
    ("exclude", "gone", "kept"),
    [
        # A bare folder name excludes everything under it, as in .gitignore.
        ('["blog/api"]', {"blog/api/v1.py"}, {"blog/posts.py", "blog/auth.py"}),
        ('["blog/api/"]', {"blog/api/v1.py"}, {"blog/posts.py", "blog/auth.py"}),
        ('["blog/api/*"]', {"blog/api/v1.py"}, {"blog/posts.py", "blog/auth.py"}),
        # Unanchored names match at any depth; negation re-includes.
        ('["posts.py"]', {"blog/posts.py"}, {"blog/api/v1.py", "blog/auth.py"}),
        ('["blog/*.py", "!blog/auth.py"]', {"blog/posts.py"}, {"blog/auth.py", "blog/api/v1.py"}),
        # A pattern with a slash is anchored at the project root.
        ('["api"]', {"blog/api/v1.py"}, {"blog/posts.py"}),
        ('["/api"]', set(), {"blog/api/v1.py", "blog/posts.py"}),
    ],
)
def test_exclude_matches_the_way_gitignore_does(
    tmp_path: Path, exclude: str, gone: set[str], kept: set[str]
) -> None:
    project = tmp_path / "flask_blog"
    shutil.copytree(FIXTURES / "flask_blog", project)
    files = _planned_files(project, exclude)
    assert not files & gone
    assert kept <= files


def test_unknown_setting_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "flask_blog"
    shutil.copytree(FIXTURES / "flask_blog", project)
    (project / "pyproject.toml").write_text('[tool.posthog-setup]\nexcludes = ["blog/api"]\n')
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert main(["edit", str(project)]) == 2
    err = capsys.readouterr().err
    assert "unknown setting(s): excludes" in err
    assert "known: client-module, event-style, exclude" in err
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
