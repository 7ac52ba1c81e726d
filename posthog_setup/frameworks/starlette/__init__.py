"""Starlette: apps, route lists and mounts, endpoints, session logins, exception handlers.

The hook-up is the SDK's ``PosthogASGIMiddleware`` (7.71 is the first whose middleware
reads the ``X-POSTHOG-*`` headers), in the app's ``middleware`` list or through
``add_middleware``, and a flush of the client when the app's lifespan ends.
"""

from __future__ import annotations

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.frameworks.base import ASGI_FLOOR, START_ASGI_APP, CodemodHookup
from posthog_setup.frameworks.starlette.analysis import analyser


class Starlette(CodemodHookup):
    """Starlette, for the registry."""

    name = "starlette"
    title = "Starlette"
    analyser: FrameworkAnalyser = analyser
    sdk_floor = ASGI_FLOOR
    app_start = START_ASGI_APP
    hookup_name = "PosthogASGIMiddleware"
    codemod = "posthog_setup.frameworks.starlette.hookup:hook_up_starlette"


framework = Starlette()
