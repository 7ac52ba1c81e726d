"""Flask: apps and factories, blueprints, class-based views, flask-login, error handlers.

The hook-up is the SDK's ``PosthogFlaskIntegration`` (posthog 7.66 is its first release).
It connects to Flask's signals, which raise without blinker: a Flask dependency only from
2.3, so on older Flask without blinker the hook-up is left out and edit says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import Analysis, AppObject
from posthog_setup.codemods.present import names_identifier
from posthog_setup.frameworks.base import HOOKUP_MISSING, CodemodHookup, Workspace
from posthog_setup.frameworks.flask.analysis import FlaskConventions, analyser
from posthog_setup.frameworks.flask.unhandled import HOOKUP_GATE
from posthog_setup.frameworks.flask_rest import analysis as rest
from posthog_setup.plan.sdk import SdkFloor
from posthog_setup.project.files import UnreadableFile, decode_source
from posthog_setup.project.versions import VersionGate, hookup_blocker

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan


#: Extensions whose APIs send ``got_request_exception`` for the 4xx errors they answer.
SIGNALLING_4XX = frozenset(
    {rest.TITLES["flask_restx"], rest.TITLES["flask_restplus"], rest.TITLES["flask_restful"]}
)


class Flask(CodemodHookup):
    """Flask, for the registry."""

    name = "flask"
    title = "Flask"
    analyser: FrameworkAnalyser = analyser
    sdk_floor = SdkFloor("7.66", "7.66 is the first release with PosthogFlaskIntegration")
    version_gate: VersionGate | None = HOOKUP_GATE
    hookup_name = "PosthogFlaskIntegration"
    codemod = "posthog_setup.frameworks.flask.hookup:hook_up_flask"

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
                f"{app.file}: PosthogFlaskIntegration not added: {blocked}; the captures "
                "still send the user's id where it is known, but requests are not tied to "
                "sessions and unhandled errors are not captured (add blinker to use it)"
            )
            return
        if _mentions_integration(workspace.current(app.file)):
            # What hook_up_flask would find first (and leave the file as it is), off ast:
            # a check of a hooked-up app loads no libcst.
            return
        from posthog_setup.analysis.engine import hookup_autocaptures
        from posthog_setup.frameworks.flask.hookup import hook_up_flask  # libcst

        # A receiver of ours captures as the integration would, so only where it would: a
        # client that leaves exception autocapture off leaves errors to the app's handlers.
        captures = hookup_autocaptures(analysis.client_setups)
        signals_4xx = captures and any(a.extension in SIGNALLING_4XX for a in analysis.apps)
        flask_login = captures and _logs_in_with_flask_login(analysis)
        workspace.edit_python(
            app.file,
            lambda text: hook_up_flask(
                text, app.file, app, client, signals_4xx=signals_4xx, flask_login=flask_login
            ),
            HOOKUP_MISSING,
        )


def _logs_in_with_flask_login(analysis: Analysis) -> bool:
    """Do the app's users log in with Flask-Login (see ``FlaskAnalyser.logs_in``)?"""
    conventions = analysis.conventions("flask")
    return isinstance(conventions, FlaskConventions) and conventions.flask_login


def _mentions_integration(data: bytes | None) -> bool:
    if data is None:
        return False
    try:
        text = decode_source(data).text
    except UnreadableFile:
        return False
    return names_identifier(text, Flask.hookup_name)


framework = Flask()
