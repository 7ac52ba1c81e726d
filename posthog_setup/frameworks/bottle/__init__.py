"""Bottle: apps and the default app, routes, mounted apps, error pages, cookie and session logins.

The SDK has no Bottle integration: the hook-up is a plugin generated beside the client
module (every request in a PostHog context of its own, with the ``X-POSTHOG-*`` headers;
each exception a route raises captured once, ``abort()`` and ``redirect()`` let through),
installed on each app right after it is created. It uses ``new_context(client=...)`` and the
context functions of posthog 7.66, the floor the Flask hook-up needs too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import Analysis, AppObject
from posthog_setup.frameworks.base import HOOKUP_MISSING, CodemodHookup, Workspace
from posthog_setup.frameworks.bottle.analysis import analyser
from posthog_setup.plan.plan import beside_client
from posthog_setup.plan.sdk import SdkFloor

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan

#: The generated plugin module, beside the client module.
PLUGIN_MODULE = "posthog_bottle.py"


def plugin_file(client_module: str) -> str:
    """The plugin module's path, beside the client module."""
    return beside_client(client_module, PLUGIN_MODULE)


class Bottle(CodemodHookup):
    """Bottle, for the registry."""

    name = "bottle"
    title = "Bottle"
    analyser: FrameworkAnalyser = analyser
    sdk_floor = SdkFloor(
        "7.66", "the plugin calls new_context(client=...) and the context functions of 7.66"
    )
    hookup_name = "PosthogBottlePlugin"

    def hook_up(
        self,
        workspace: Workspace,
        app: AppObject,
        plan: Plan,
        client: ClientImport,
        analysis: Analysis,
    ) -> None:
        from posthog_setup.codemods.changes import client_import
        from posthog_setup.frameworks.bottle.hookup import hook_up_bottle, render_plugin

        path = plugin_file(plan.setup.client_module)
        if workspace.current(path) is None:
            workspace.propose(
                path,
                render_plugin().encode("utf-8"),
                "the PostHog plugin of the Bottle apps is missing",
            )
        plugin = client_import(app.file, path, relative=client.relative > 0, root=workspace.root)
        workspace.edit_python(
            app.file,
            lambda text: hook_up_bottle(text, app.file, app, client, plugin),
            HOOKUP_MISSING,
        )


framework = Bottle()
