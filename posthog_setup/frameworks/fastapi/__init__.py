"""FastAPI: apps, routers, dependencies that give the current user, exception handlers.

The hook-up is the SDK's ``PosthogASGIMiddleware``. It ships in posthog 7.66 but ignores
the ``X-POSTHOG-DISTINCT-ID`` / ``X-POSTHOG-SESSION-ID`` headers unless told to trust
them; 7.71 reads them by default (on 7.66 ``$session_id`` stays empty).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import AppObject
from posthog_setup.frameworks.base import HOOKUP_MISSING, Workspace, calls_to
from posthog_setup.frameworks.fastapi.analysis import analyser
from posthog_setup.plan.sdk import SdkFloor
from posthog_setup.project.versions import VersionGate

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan


class FastAPI:
    """FastAPI, for the registry."""

    name: str = "fastapi"
    title: str = "FastAPI"
    extensions: Mapping[str, str] = {}
    analyser: FrameworkAnalyser = analyser
    sdk_floor = SdkFloor(
        "7.71", "7.71 is the first whose PosthogASGIMiddleware reads the X-POSTHOG-* headers"
    )
    version_gate: VersionGate | None = None
    hookup_name: str = "PosthogASGIMiddleware"

    def hook_up(
        self, workspace: Workspace, app: AppObject, plan: Plan, client: ClientImport
    ) -> None:
        from posthog_setup.frameworks.fastapi.hookup import hook_up_fastapi  # libcst

        workspace.edit_python(
            app.file, lambda text: hook_up_fastapi(text, app.file, app, client), HOOKUP_MISSING
        )

    def find_hookups(self, path: str, tree: ast.Module) -> Iterator[tuple[int, str | None]]:
        for line in calls_to(tree, self.hookup_name):
            yield line, None


framework = FastAPI()
