"""Hook PostHog into a Flask app: ``PosthogFlaskIntegration(app, client=posthog_client)``.

The integration gives every request its own PostHog context (the
``X-POSTHOG-DISTINCT-ID`` / ``X-POSTHOG-SESSION-ID`` headers, URL, method, route)
and captures unhandled exceptions, so it goes right after the app is created:
after the ``app.config`` lines that set it up, before blueprints and routes are
registered and before a factory returns the app.
"""

from __future__ import annotations

from libcst.metadata import MetadataWrapper

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import CLIENT_NAME, ClientImport, parse_module, statement
from posthog_setup.codemods.hookup_common import (
    StatementEdits,
    add_imports,
    after_configuration,
    apply,
    find_app_creation,
    mentions,
)

INTEGRATION = "PosthogFlaskIntegration"
INTEGRATION_MODULE = "posthog.integrations.flask"


def hook_up_flask(source: str, path: str, app: AppObject, client: ClientImport) -> str:
    """Add ``PosthogFlaskIntegration(<app>, client=posthog_client)`` after the app is created.

    Returns ``source`` unchanged when the module already mentions the integration.
    Raises EditError (naming ``path``) when the creation statement cannot be found.
    """
    module = parse_module(source, path)
    if mentions(module, INTEGRATION):
        return source
    wrapper = MetadataWrapper(module)
    creation = find_app_creation(wrapper, app, "flask.Flask", path)
    anchor = after_configuration(creation)
    hook_up = statement(f"{INTEGRATION}({creation.variable}, client={CLIENT_NAME})", wrapper.module)
    edits = StatementEdits()
    edits.insert_after(anchor, hook_up)
    edited = apply(wrapper.module, edits)
    return add_imports(edited, client, (INTEGRATION_MODULE, INTEGRATION)).code
