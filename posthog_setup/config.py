"""Settings from ``[tool.posthog-setup]`` in the project's ``pyproject.toml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from posthog_setup.analysis.engine import MAX_FILE_KB
from posthog_setup.frameworks import registry
from posthog_setup.plan.plan import client_module_problem
from posthog_setup.project.discovery import exclusion_spec
from posthog_setup.project.files import UnreadableFile, read_text_file
from posthog_setup.project.manifests import TomlError, parse_toml

EVENT_STYLES = ("snake_case", "noun verb", "Title Case", "camelCase", "kebab-case")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class ConfigError(Exception):
    """The project's configuration is unusable; the message names the setting."""


@dataclass(frozen=True)
class Config:
    """The tool's settings for one project (every field has a default)."""

    exclude: tuple[str, ...] = ()
    event_style: str | None = None
    token_var: str | None = None
    host_var: str | None = None
    client_module: str | None = None
    frameworks: tuple[str, ...] = ()
    max_file_kb: int = MAX_FILE_KB


def _strings(table: dict[str, object], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"[tool.posthog-setup] {key} must be a list of strings")
    return tuple(value)


def _string(table: dict[str, object], key: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"[tool.posthog-setup] {key} must be a string")
    return value


def load_config(root: Path) -> Config:
    """Read ``[tool.posthog-setup]``; defaults where there is no such table."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return Config()
    try:
        data = parse_toml(read_text_file(path))
    except UnreadableFile as exc:
        raise ConfigError(f"pyproject.toml: {exc}") from exc
    except TomlError as exc:
        raise ConfigError(f"pyproject.toml is not valid TOML: {exc}") from exc
    table = data.get("tool", {}).get("posthog-setup")
    if table is None:
        return Config()
    if not isinstance(table, dict):
        raise ConfigError("[tool.posthog-setup] must be a table")
    known = {
        "exclude",
        "event-style",
        "token-var",
        "host-var",
        "client-module",
        "frameworks",
        "max-file-kb",
    }
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"[tool.posthog-setup] has unknown setting(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    style = _string(table, "event-style")
    if style is not None and style not in EVENT_STYLES:
        raise ConfigError(
            f"[tool.posthog-setup] event-style must be one of: {', '.join(EVENT_STYLES)}"
        )
    frameworks = _strings(table, "frameworks")
    bad = [f for f in frameworks if f not in registry.NAMES]
    if bad:
        raise ConfigError(
            f"[tool.posthog-setup] frameworks: unknown {', '.join(bad)} (known: {', '.join(registry.NAMES)})"
        )
    client_module = _string(table, "client-module")
    problem = client_module_problem(client_module) if client_module is not None else None
    if problem:
        raise ConfigError(f"[tool.posthog-setup] client-module {problem}")
    for key in ("token-var", "host-var"):
        value = _string(table, key)
        if value is not None and not _ENV_VAR.match(value):
            raise ConfigError(
                f"[tool.posthog-setup] {key} must be an environment variable name, not {value!r}"
            )
    max_file_kb = table.get("max-file-kb", MAX_FILE_KB)
    if isinstance(max_file_kb, bool) or not isinstance(max_file_kb, int) or max_file_kb <= 0:
        raise ConfigError("[tool.posthog-setup] max-file-kb must be a positive whole number")
    exclude = _strings(table, "exclude")
    try:
        exclusion_spec(exclude)
    except ValueError as exc:
        raise ConfigError(f"[tool.posthog-setup] exclude: {exc}") from exc
    return Config(
        exclude=exclude,
        event_style=style,
        token_var=_string(table, "token-var"),
        host_var=_string(table, "host-var"),
        client_module=client_module,
        frameworks=frameworks,
        max_file_kb=max_file_kb,
    )
