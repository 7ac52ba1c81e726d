"""Quart: apps and factories, blueprints, class-based views, quart-auth, error handlers.

The hook-up is the SDK's ``PosthogASGIMiddleware`` around ``app.asgi_app`` (7.71 is the
first whose middleware reads the ``X-POSTHOG-*`` headers) and a ``got_request_exception``
receiver for unhandled errors, which Quart answers inside the app.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import AppObject
from posthog_setup.frameworks.base import HOOKUP_MISSING, Workspace, calls_to
from posthog_setup.frameworks.quart.analysis import analyser
from posthog_setup.plan.sdk import SdkFloor
from posthog_setup.project.versions import VersionGate

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan


class Quart:
    """Quart, for the registry."""

    name: str = "quart"
    title: str = "Quart"
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
        from posthog_setup.frameworks.quart.hookup import hook_up_quart  # libcst: only to edit

        workspace.edit_python(
            app.file, lambda text: hook_up_quart(text, app.file, app, client), HOOKUP_MISSING
        )

    def find_hookups(self, path: str, tree: ast.Module) -> Iterator[tuple[int, str | None]]:
        for line in calls_to(tree, self.hookup_name):
            yield line, None
        for line in calls_to(tree, "PosthogFlaskIntegration"):
            yield (
                line,
                "PosthogFlaskIntegration fails on every request under Quart: use the ASGI middleware",
            )


framework = Quart()
