"""Sanic: applications, blueprints and groups, routes and class views, logins.

The SDK has no Sanic integration: the hook-up is a module generated beside the client
module (``posthog_sanic.py``) whose ``setup_posthog(app)`` registers, right after the app is
created, a request middleware that opens a PostHog context from the ``X-POSTHOG-*`` headers
(kept on ``request.ctx`` and left in the response middleware, as Sanic runs the two as
separate callbacks), one that runs after the project's own and identifies the context with
the logged-in user where the handlers read one off ``request.ctx``, an ``http.lifecycle.exception`` signal that notes the exception, a
capture of it once Sanic has answered with a 5xx, and a flush after the server stops.
It uses the context functions of posthog 6.0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import Analysis, AppObject
from posthog_setup.frameworks.base import HOOKUP_MISSING, CodemodHookup, Workspace, generated_client
from posthog_setup.frameworks.sanic.analysis import analyser, context_user_id
from posthog_setup.plan.plan import beside_client
from posthog_setup.plan.sdk import SdkFloor
from posthog_setup.project.versions import VersionGate, hookup_blocker

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan

#: The generated hook-up module, beside the client module.
HOOKUP_MODULE = "posthog_sanic.py"


def hookup_file(client_module: str) -> str:
    """The hook-up module's path, beside the client module."""
    return beside_client(client_module, HOOKUP_MODULE)


class Sanic(CodemodHookup):
    """Sanic, for the registry."""

    name = "sanic"
    title = "Sanic"
    analyser: FrameworkAnalyser = analyser
    sdk_floor = SdkFloor(
        "6.0", "6.0 is the first with the request contexts (new_context, tag) the hook-up uses"
    )
    version_gate: VersionGate | None = VersionGate(
        "sanic",
        "22.9",
        "before 22.9 Sanic runs middleware in the order it was added, with no priority, so "
        "the hook-up could not read the user the app's own middleware finds",
    )
    hookup_name = "setup_posthog"

    def hook_up(
        self,
        workspace: Workspace,
        app: AppObject,
        plan: Plan,
        client: ClientImport,
        analysis: Analysis,
    ) -> None:
        blocked = hookup_blocker(workspace.root, self.version_gate)
        if blocked is not None:
            workspace.note(
                f"{app.file}: setup_posthog not added: {blocked}; the captures still send "
                "the user's id where it is known, but requests are not tied to sessions "
                "and unhandled errors are not captured"
            )
            return
        from posthog_setup.codemods.changes import client_import
        from posthog_setup.frameworks.sanic.hookup import hook_up_sanic, render_hookup

        path = hookup_file(plan.setup.client_module)
        if workspace.current(path) is None:
            own = generated_client(workspace, plan, path)
            # Every event of a request goes out as the user the planned captures send,
            # read the same way.
            user_id = context_user_id(event.distinct_id for event in plan.events)
            workspace.propose(
                path,
                render_hookup(own, user_id).encode("utf-8"),
                "the PostHog hook-up of the Sanic apps is missing",
            )
        hookup = client_import(app.file, path, relative=client.relative > 0, root=workspace.root)
        workspace.edit_python(
            app.file, lambda text: hook_up_sanic(text, app.file, app, hookup), HOOKUP_MISSING
        )


framework = Sanic()
