"""Quart: apps and factories, blueprints, class-based views, quart-auth, error handlers.

The hook-up is the SDK's ``PosthogASGIMiddleware`` around ``app.asgi_app`` (7.71 is the
first whose middleware reads the ``X-POSTHOG-*`` headers) and a ``got_request_exception``
receiver for unhandled errors, which Quart answers inside the app.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.frameworks.base import ASGI_FLOOR, START_ASGI_APP, CodemodHookup, calls_to
from posthog_setup.frameworks.quart.analysis import analyser


class Quart(CodemodHookup):
    """Quart, for the registry."""

    name = "quart"
    title = "Quart"
    analyser: FrameworkAnalyser = analyser
    sdk_floor = ASGI_FLOOR
    app_start = START_ASGI_APP
    hookup_name = "PosthogASGIMiddleware"
    codemod = "posthog_setup.frameworks.quart.hookup:hook_up_quart"

    def find_hookups(self, path: str, tree: ast.Module) -> Iterator[tuple[int, str | None]]:
        yield from super().find_hookups(path, tree)
        for line in calls_to(tree, "PosthogFlaskIntegration"):
            yield (
                line,
                "PosthogFlaskIntegration fails on every request under Quart: use the ASGI middleware",
            )


framework = Quart()
