"""FastAPI: apps, routers, dependencies that give the current user, exception handlers.

The hook-up is the SDK's ``PosthogASGIMiddleware`` with a flush in the app's lifespan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import Analysis, AppObject
from posthog_setup.frameworks.base import (
    ASGI_FLOOR,
    HOOKUP_MISSING,
    START_ASGI_APP,
    CodemodHookup,
    Workspace,
)
from posthog_setup.frameworks.fastapi.analysis import analyser
from posthog_setup.project.versions import VersionGate, hookup_blocker

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan

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

    def hook_up(
        self,
        workspace: Workspace,
        app: AppObject,
        plan: Plan,
        client: ClientImport,
        analysis: Analysis,
    ) -> None:
        """The middleware, and the flush in a new lifespan only where the declared release
        takes one and no library the app is handed to may register startup handlers."""
        from posthog_setup.frameworks.fastapi.hookup import hook_up_fastapi

        lifespan = not analysis.app_handed_to and hookup_blocker(workspace.root, LIFESPAN) is None
        workspace.edit_python(
            app.file,
            lambda text: hook_up_fastapi(text, app.file, app, client, lifespan=lifespan),
            HOOKUP_MISSING,
        )


framework = FastAPI()
