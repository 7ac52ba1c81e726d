"""The supported web frameworks, in the order their analysers run.

Adding a framework: a sub-package implementing ``base.WebFramework`` and one line here.
"""

from __future__ import annotations

from collections.abc import Iterable

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import AppObject
from posthog_setup.frameworks import (
    aiohttp,
    bottle,
    django,
    falcon,
    fastapi,
    flask,
    jobs,
    litestar,
    quart,
    sanic,
    starlette,
    stdlib,
)
from posthog_setup.frameworks.base import WebFramework
from posthog_setup.plan.sdk import SdkFloor, posthog_floor

FRAMEWORKS: tuple[WebFramework, ...] = (
    flask.framework,
    fastapi.framework,
    django.framework,
    starlette.framework,
    quart.framework,
    litestar.framework,
    falcon.framework,
    bottle.framework,
    aiohttp.framework,
    sanic.framework,
    stdlib.http_server,
    stdlib.wsgi,
    jobs.framework,
)
NAMES: tuple[str, ...] = tuple(f.name for f in FRAMEWORKS)


def get(name: str) -> WebFramework | None:
    """The framework called ``name``, if it is supported."""
    return next((f for f in FRAMEWORKS if f.name == name), None)


def by_app_kind(kind: str) -> WebFramework | None:
    """The framework whose application (not blueprint or router) has this ``kind``."""
    return next((f for f in FRAMEWORKS if f.analyser.primary_kind == kind), None)


def applications(apps: Iterable[AppObject]) -> list[AppObject]:
    """The applications among ``apps`` (where hook-ups go), not their blueprints or routers."""
    return [a for a in apps if by_app_kind(a.kind) is not None]


def analysers(names: Iterable[str] = ()) -> tuple[FrameworkAnalyser, ...]:
    """The analysers of the frameworks ``names`` (all of them when empty)."""
    wanted = set(names)
    return tuple(f.analyser for f in FRAMEWORKS if not wanted or f.name in wanted)


def web(names: Iterable[str]) -> list[str]:
    """The web frameworks among ``names``: not scripts, CLIs and jobs."""
    return [
        n
        for n in names
        if (f := get(n)) is not None and not getattr(f.analyser, "standalone", False)
    ]


def title(name: str) -> str:
    """How people write the framework's name."""
    framework = get(name)
    return framework.title if framework is not None else name


def titles(names: Iterable[str], apps: Iterable[AppObject]) -> str:
    """How people write the frameworks ``names``, then the extensions among ``apps``:
    those served as a framework of their own (``Django, Django Ninja``) and those that
    build a framework's apps (``Flask (Flask-RESTX)``); "" when there is none."""
    apps = list(apps)
    found = [title(name) for name in names]
    served = {kind: t for f in FRAMEWORKS for kind, t in f.extensions.items()}
    found += sorted({served[a.kind] for a in apps if a.kind in served})
    text = ", ".join(found)
    builders = sorted({a.extension for a in apps if a.extension})
    return f"{text} ({', '.join(builders)})" if text and builders else text


def sdk_floor(names: Iterable[str]) -> SdkFloor:
    """The posthog release that code generated for these frameworks needs."""
    return posthog_floor(f.sdk_floor for f in FRAMEWORKS if f.name in set(names))
