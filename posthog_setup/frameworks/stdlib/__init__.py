"""The standard library's servers: ``http.server`` request handlers and plain WSGI callables.

Two frameworks of one folder, as they share how routes are found (see ``dispatch``): each
path branch of a ``do_*`` method or of a WSGI callable is a route. The SDK has no
integration for either: the hook-ups are modules generated beside the client module, a
base class for request handlers and a WSGI middleware, each answering every request in a
PostHog context of its own (``new_context(client=...)`` and the context functions of 6.0)
and capturing an unhandled exception once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import Analysis, AppObject
from posthog_setup.frameworks.base import (
    HOOKUP_MISSING,
    START_APP,
    AppStart,
    Workspace,
    calls_to,
    generated_client,
)
from posthog_setup.frameworks.stdlib.analysis import http_server_analyser, wsgi_analyser
from posthog_setup.plan.plan import beside_client
from posthog_setup.plan.sdk import SdkFloor
from posthog_setup.project.versions import VersionGate

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan

_FLOOR = SdkFloor("6.0", "6.0 is the first with new_context(client=...) and tag")


def _generated(
    workspace: Workspace, plan: Plan, module_file: str, template: str, reason: str
) -> None:
    """Propose the generated module beside the client module, where it is missing."""
    from posthog_setup.frameworks.stdlib.hookup import render_module

    path = beside_client(plan.setup.client_module, module_file)
    if workspace.current(path) is None:
        own = generated_client(workspace, plan, path)
        workspace.propose(path, render_module(template, own).encode("utf-8"), reason)


class HttpServer:
    """``http.server`` request handlers, for the registry."""

    name = "http_server"
    title = "http.server"
    extensions: Mapping[str, str] = {}
    analyser: FrameworkAnalyser = http_server_analyser
    sdk_floor = _FLOOR
    version_gate: VersionGate | None = None
    hookup_name = "PosthogRequestContext"
    # A handler class is only defined on import: the server that would use it is not made.
    app_start = AppStart(calls=False, noun="request handler")

    def hook_up(
        self,
        workspace: Workspace,
        app: AppObject,
        plan: Plan,
        client: ClientImport,
        analysis: Analysis,
    ) -> None:
        from posthog_setup.frameworks.stdlib.hookup import (
            MIXIN_MODULE,
            generated_import,
            hook_up_http_server,
        )

        _generated(
            workspace,
            plan,
            MIXIN_MODULE,
            "http_server_context.py.j2",
            "the PostHog request context of the http.server handlers is missing",
        )
        mixin = generated_import(MIXIN_MODULE, client)
        workspace.edit_python(
            app.file,
            lambda text: hook_up_http_server(text, app.file, app, client, mixin),
            HOOKUP_MISSING,
        )

    def find_hookups(self, path: str, tree: ast.Module) -> Iterator[tuple[int, str | None]]:
        """Classes with ``PosthogRequestContext`` among their bases."""
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id == self.hookup_name for b in node.bases
            ):
                yield node.lineno, None


class Wsgi:
    """Plain WSGI applications, for the registry."""

    name = "wsgi"
    title = "WSGI"
    extensions: Mapping[str, str] = {}
    analyser: FrameworkAnalyser = wsgi_analyser
    sdk_floor = _FLOOR
    version_gate: VersionGate | None = None
    hookup_name = "PosthogWSGIMiddleware"
    app_start: AppStart = START_APP

    def hook_up(
        self,
        workspace: Workspace,
        app: AppObject,
        plan: Plan,
        client: ClientImport,
        analysis: Analysis,
    ) -> None:
        from posthog_setup.frameworks.stdlib.hookup import (
            MIDDLEWARE_MODULE,
            generated_import,
            hook_up_wsgi,
        )

        _generated(
            workspace,
            plan,
            MIDDLEWARE_MODULE,
            "wsgi_middleware.py.j2",
            "the PostHog middleware of the WSGI application is missing",
        )
        middleware = generated_import(MIDDLEWARE_MODULE, client)
        workspace.edit_python(
            app.file,
            lambda text: hook_up_wsgi(text, app.file, app, middleware),
            HOOKUP_MISSING,
        )

    def find_hookups(self, path: str, tree: ast.Module) -> Iterator[tuple[int, str | None]]:
        """Where the WSGI callable is wrapped."""
        for line in calls_to(tree, self.hookup_name):
            yield line, None


http_server = HttpServer()
wsgi = Wsgi()
