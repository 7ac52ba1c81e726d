"""Rendering the templates in ``templates/``: shipped inside the wheel, or beside a checkout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2


def templates_dir() -> Path:
    """Where the templates are: ``posthog_setup/templates`` in an installed wheel, else the checkout's."""
    packaged = Path(str(resources.files("posthog_setup"))) / "templates"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"templates folder not found (looked in {packaged} and {checkout})")


def python_string_body(value: str) -> str:
    """``value`` escaped to sit between the quotes of any Python string literal, docstrings too.

    Every value a template takes from the project (its name from ``pyproject.toml``,
    variable names from the config or the plan) goes through this filter: a name
    holding three double quotes or a backslash must stay text, never become code.
    """
    return repr(value)[1:-1].replace('"', '\\"')


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Python source and Markdown, never HTML
    )
    environment.filters["pystr"] = python_string_body
    return environment


def prepare(name: str) -> None:
    """Load and compile one template now, so that rendering it later costs only the render."""
    _environment().get_template(name)


def render(name: str, **context: Any) -> str:
    """Render one template; a missing variable is an error, not an empty string."""
    return _environment().get_template(name).render(**context)


@dataclass(frozen=True)
class SettingsSource:
    """The project's settings object the client module falls back on: ``module.instance``,
    whose ``token_attr`` / ``host_attr`` fields the project's env file fills."""

    module: str
    instance: str
    token_attr: str
    host_attr: str


def render_client_module(
    *,
    project_name: str,
    token_var: str,
    host_var: str,
    sync_mode: bool = False,
    settings: SettingsSource | None = None,
    dotenv: bool = False,
    decouple: bool = False,
    env_files: Sequence[str] = (),
) -> str:
    """The source of the project's PostHog client module: the variables from the
    environment, then from the project's ``settings`` object, its settings' ``env_files``,
    (``decouple``) python-decouple's configuration or (``dotenv``) the nearest .env."""
    return render(
        "posthog_client.py.j2",
        project_name=project_name,
        token_var=token_var,
        host_var=host_var,
        default_host="https://us.i.posthog.com",
        sync_mode=sync_mode,
        settings=settings,
        dotenv=dotenv,
        decouple=decouple,
        env_files=tuple(env_files),
    )
