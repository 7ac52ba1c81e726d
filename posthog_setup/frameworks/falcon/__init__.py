"""Falcon (WSGI ``falcon.App`` / ``falcon.API`` and ASGI ``falcon.asgi.App``): resources,
their responders, sinks, error handlers and logins.

The SDK has no Falcon integration: the hook-up is a generated middleware that runs each
request in a PostHog context and an ``Exception`` handler that captures server errors.
It relies on Falcon 3.0's error handling (the handler of an error's most specific class
answers it), so the ``HTTPError`` an app raises on purpose never reaches that handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import Analysis, AppObject
from posthog_setup.frameworks.base import HOOKUP_MISSING, CodemodHookup, Workspace
from posthog_setup.frameworks.falcon.analysis import analyser, context_user_id
from posthog_setup.plan.sdk import BASE_FLOOR
from posthog_setup.project.versions import VersionGate, hookup_blocker

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan


class Falcon(CodemodHookup):
    """Falcon, for the registry."""

    name = "falcon"
    title = "Falcon"
    analyser: FrameworkAnalyser = analyser
    # posthog.contexts has new_context(client=...), identify_context, set_context_session
    # and tag from 6.0: the floor every project has anyway.
    sdk_floor = BASE_FLOOR
    version_gate: VersionGate | None = VersionGate(
        "falcon",
        "3.0",
        "before 3.0 Falcon tries error handlers in the order they were added, so an "
        "Exception handler would answer the app's own HTTPErrors too",
    )
    hookup_name = "PosthogMiddleware"
    codemod = "posthog_setup.frameworks.falcon.hookup:hook_up_falcon"

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
                f"{app.file}: PosthogMiddleware not added: {blocked}; the captures still "
                "send the user's id where it is known, but requests are not tied to "
                "sessions and unhandled errors are not captured"
            )
            return
        from posthog_setup.frameworks.falcon.hookup import hook_up_falcon  # libcst

        # Server errors go out as the user the planned captures send, read the same way.
        user_id = context_user_id(event.distinct_id for event in plan.events)
        workspace.edit_python(
            app.file,
            lambda text: hook_up_falcon(text, app.file, app, client, user_id),
            HOOKUP_MISSING,
        )


framework = Falcon()
