"""Litestar: apps, routers, controllers and handler functions, exception handlers, logins.

The hook-up is the SDK's ``PosthogASGIMiddleware`` (7.71 is the first whose middleware
reads the ``X-POSTHOG-*`` headers), given to the app as ``DefineMiddleware(...)``. Litestar
answers every exception inside its own middleware stack, so the middleware never sees one:
server errors are captured by an ``after_exception`` hook instead.
"""

from __future__ import annotations

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.frameworks.base import ASGI_FLOOR, START_ASGI_APP, CodemodHookup
from posthog_setup.frameworks.litestar.analysis import analyser


class Litestar(CodemodHookup):
    """Litestar, for the registry."""

    name = "litestar"
    title = "Litestar"
    analyser: FrameworkAnalyser = analyser
    sdk_floor = ASGI_FLOOR
    app_start = START_ASGI_APP
    hookup_name = "PosthogASGIMiddleware"
    codemod = "posthog_setup.frameworks.litestar.hookup:hook_up_litestar"


framework = Litestar()
