"""FastAPI: apps, routers, dependencies that give the current user, exception handlers.

The hook-up is the SDK's ``PosthogASGIMiddleware`` with a flush in the app's lifespan.
"""

from __future__ import annotations

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.frameworks.base import ASGI_FLOOR, START_ASGI_APP, CodemodHookup
from posthog_setup.frameworks.fastapi.analysis import analyser


class FastAPI(CodemodHookup):
    """FastAPI, for the registry."""

    name = "fastapi"
    title = "FastAPI"
    analyser: FrameworkAnalyser = analyser
    sdk_floor = ASGI_FLOOR
    app_start = START_ASGI_APP
    hookup_name = "PosthogASGIMiddleware"
    codemod = "posthog_setup.frameworks.fastapi.hookup:hook_up_fastapi"


framework = FastAPI()
