"""aiohttp: applications and sub-apps, route tables and lists, handlers and views, logins.

The SDK has no aiohttp integration, so the hook-up is a middleware we generate beside the
client module (``posthog_aiohttp.py``): a PostHog context per request from the
``X-POSTHOG-*`` headers, server errors captured once, and a flush when the application
cleans up. It is added to the application's ``middlewares`` and ``on_cleanup``; a
sub-app is served through its root application's middlewares, so only roots get it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import Analysis, AppObject
from posthog_setup.frameworks.aiohttp.analysis import analyser
from posthog_setup.frameworks.base import HOOKUP_MISSING, AppStart, Workspace, generated_client
from posthog_setup.plan.plan import beside_client
from posthog_setup.plan.sdk import SdkFloor
from posthog_setup.project.versions import VersionGate

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan

_MIDDLEWARE = "posthog_middleware"
_MODULE_FILE = "posthog_aiohttp.py"
#: the auth events whose handlers tell whether the project logs in with aiohttp_security
_AUTH_KINDS = ("login", "signup", "logout")


class Aiohttp:
    """aiohttp, for the registry."""

    name = "aiohttp"
    title = "aiohttp"
    extensions: Mapping[str, str] = {}
    analyser: FrameworkAnalyser = analyser
    sdk_floor = SdkFloor(
        "6.0", "6.0 is the first with the request contexts (new_context, tag) the middleware uses"
    )
    version_gate: VersionGate | None = None
    hookup_name = _MIDDLEWARE
    # ``web.run_app`` takes a coroutine that makes the app: ``async def init_app()``.
    # run_app runs the app's start-up and cleanup-context hooks before it binds.
    app_start = AppStart(awaits=True, serves=("aiohttp.web.run_app",))

    def hook_up(
        self,
        workspace: Workspace,
        app: AppObject,
        plan: Plan,
        client: ClientImport,
        analysis: Analysis,
    ) -> None:
        from posthog_setup.frameworks.aiohttp.hookup import (
            hook_up_aiohttp,
            middleware_module,
            render_middleware_module,
        )

        path = beside_client(plan.setup.client_module, _MODULE_FILE)
        if workspace.current(path) is None:
            own = generated_client(workspace, plan, path)
            workspace.propose(
                path,
                render_middleware_module(own, security=_uses_security(workspace, plan)).encode(
                    "utf-8"
                ),
                "the PostHog middleware of the aiohttp application is missing",
            )
        imported = middleware_module(client)
        workspace.edit_python(
            app.file,
            lambda text: hook_up_aiohttp(text, app.file, app, imported),
            HOOKUP_MISSING,
        )

    def find_hookups(self, path: str, tree: ast.Module) -> Iterator[tuple[int, str | None]]:
        """Where ``posthog_middleware`` joins an application's middlewares."""
        lines = set()
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                values = [k.value for k in node.keywords if k.arg == "middlewares"]
                if isinstance(node.func, ast.Attribute) and node.func.attr in ("append", "extend"):
                    values += node.args
            for value in values:
                for inner in ast.walk(value):
                    if isinstance(inner, ast.Name) and inner.id == _MIDDLEWARE:
                        lines.add(inner.lineno)
            if isinstance(node, (ast.List, ast.Tuple)) and any(
                isinstance(e, ast.Name) and e.id == _MIDDLEWARE for e in node.elts
            ):
                lines.add(node.lineno)
        for line in sorted(lines):
            yield line, None


def _uses_security(workspace: Workspace, plan: Plan) -> bool:
    """Do the project's login or logout handlers go through aiohttp_security?"""
    files = {event.file for event in plan.events if event.kind in _AUTH_KINDS}
    return any(b"aiohttp_security" in (workspace.current(file) or b"") for file in files)


framework = Aiohttp()
