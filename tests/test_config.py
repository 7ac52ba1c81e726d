"""[tool.posthog-setup] settings, and clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_setup.config import Config, ConfigError, load_config


def test_no_pyproject_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()


def test_settings_are_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.posthog-setup]\nexclude = ["scripts/*"]\nevent-style = "noun verb"\n'
        'token-var = "POSTHOG_KEY"\nclient-module = "app/analytics.py"\nframeworks = ["flask"]\n'
    )
    assert load_config(tmp_path) == Config(
        exclude=("scripts/*",),
        event_style="noun verb",
        token_var="POSTHOG_KEY",
        client_module="app/analytics.py",
        frameworks=("flask",),
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('event-style = "SHOUTING"', "event-style must be one of"),
        ("exclude = 3", "exclude must be a list of strings"),
        ('colour = "blue"', "unknown setting"),
        ('frameworks = ["rails"]', "frameworks: unknown rails"),
        ('client-module = "app/analytics"', "client-module must be a path to a .py file"),
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
