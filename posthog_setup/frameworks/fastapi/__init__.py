"""FastAPI: apps, routers, dependencies that give the current user, exception handlers.

The hook-up is the SDK's ``PosthogASGIMiddleware`` with a flush in the app's lifespan.
"""

from __future__ import annotations

from collections.abc import Mapping

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import Analysis
from posthog_setup.frameworks.base import ASGI_FLOOR, START_ASGI_APP, CodemodHookup, Workspace
from posthog_setup.frameworks.fastapi.analysis import analyser
from posthog_setup.project.versions import VersionGate, hookup_blocker

#: Before 0.93 ``FastAPI(lifespan=...)`` is no parameter: it lands in ``app.extra``, unused.
LIFESPAN = VersionGate("fastapi", "0.93", "FastAPI takes lifespan= from 0.93")


class FastAPI(CodemodHookup):
    """FastAPI, for the registry."""

    name = "fastapi"
    title = "FastAPI"
    analyser: FrameworkAnalyser = analyser
    sdk_floor = ASGI_FLOOR
    app_start = START_ASGI_APP
    hookup_name = "PosthogASGIMiddleware"
    codemod = "posthog_setup.frameworks.fastapi.hookup:hook_up_fastapi"

    def codemod_options(self, workspace: Workspace, analysis: Analysis) -> Mapping[str, object]:
        """A new lifespan only where the declared release takes one and no library the app
        is handed to may register startup handlers (see ``codemods.lifespan``)."""
        blocked = hookup_blocker(workspace.root, LIFESPAN)
        return {"lifespan": not analysis.app_handed_to and blocked is None}


framework = FastAPI()
