"""Hook PostHog into a Flask app: ``PosthogFlaskIntegration(app, client=posthog_client)``.

The integration gives every request its own PostHog context (the
``X-POSTHOG-DISTINCT-ID`` / ``X-POSTHOG-SESSION-ID`` headers, URL, method, route)
and captures the errors Flask reports through ``got_request_exception``, so it goes
right after the app is created: after the ``app.config`` lines that set it up, before
blueprints and routes are registered and before a factory returns the app.

Flask sends that signal only for errors no handler caught, but Flask-RESTX and
Flask-RESTful send it for the 4xx errors their APIs answer too (``abort(404)`` in a
resource). With one of them in the project, the integration's own capture is turned off
and a receiver defined beside the app captures what Flask answers with a server error.
"""

from __future__ import annotations

import ast

import libcst as cst
from libcst.metadata import MetadataWrapper

from posthog_setup.analysis.bindings import bindings, means_import
from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, parse_module, statement
from posthog_setup.codemods.hookup_common import (
    StatementEdits,
    add_imports,
    after_configuration,
    apply,
    define_before_app,
    find_app_creation,
    free_name,
    mentions,
)

INTEGRATION = "PosthogFlaskIntegration"
INTEGRATION_MODULE = "posthog.integrations.flask"
SIGNAL = ("flask", "got_request_exception")
HTTP_EXCEPTION = ("werkzeug.exceptions", "HTTPException")
RECEIVER = "capture_server_error"


def hook_up_flask(
    source: str, path: str, app: AppObject, client: ClientImport, *, signals_4xx: bool = False
) -> str:
    """Add ``PosthogFlaskIntegration(<app>, client=posthog_client)`` after the app is created.

    ``signals_4xx``: an extension sends ``got_request_exception`` for the 4xx it answers, so
    the integration does not capture and a receiver captures only server errors (left as
    the plain integration where the module binds the receiver's names otherwise).
    Returns ``source`` unchanged when the module already mentions the integration.
    Raises EditError (naming ``path``) when the creation statement cannot be found.
    """
    module = parse_module(source, path)
    if mentions(module, INTEGRATION):
        return source
    wrapper = MetadataWrapper(module)
    creation = find_app_creation(wrapper, app, "flask.Flask", path)
    module, app_name = wrapper.module, creation.variable
    edits = StatementEdits()
    imports = [(INTEGRATION_MODULE, INTEGRATION)]
    if signals_4xx and _names_free(source):
        receiver = free_name(module, RECEIVER)
        edits.insert_after(
            after_configuration(creation),
            statement(
                f"{INTEGRATION}({client.arguments(app_name, 'capture_exceptions=False')})",
                module,
            ),
            statement(f"{SIGNAL[1]}.connect({receiver}, {app_name})", module),
        )
        define_before_app(edits, module, creation, _receiver(receiver, module, client.name))
        imports += [SIGNAL, HTTP_EXCEPTION]
    else:
        edits.insert_after(
            after_configuration(creation),
            statement(f"{INTEGRATION}({client.arguments(app_name)})", module),
        )
    return add_imports(apply(module, edits), client, *imports).code


def _names_free(source: str) -> bool:
    """Do ``got_request_exception`` and ``HTTPException`` mean Flask's and Werkzeug's in
    the module once imported (not bound to anything else)?"""
    try:
        known = bindings(ast.parse(source))
    except SyntaxError:  # newer syntax than this interpreter reads: not proven
        return False
    return all(means_import(known, {}, module, name) for module, name in (SIGNAL, HTTP_EXCEPTION))


def _receiver(name: str, module: cst.Module, client: str) -> cst.BaseStatement:
    """The receiver that captures server errors, not the 4xx an API answers."""
    indent = module.default_indent
    return statement(
        f"def {name}(sender: object, exception: BaseException, **extra: object) -> None:\n"
        f'{indent}"""Send an error Flask answers with a 5xx to PostHog (the API extension '
        f'also\n{indent}reports the 4xx it answers: those are not errors)."""\n'
        f"{indent}if isinstance(exception, {HTTP_EXCEPTION[1]}) and (exception.code or 500) < 500:\n"
        f"{indent}{indent}return\n"
        f"{indent}{client}.capture_exception(exception)\n",
        module,
    )
