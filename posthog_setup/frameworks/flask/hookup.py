"""Hook PostHog into a Flask app: ``PosthogFlaskIntegration(app, client=posthog_client)``.

The integration gives every request its own PostHog context (the
``X-POSTHOG-DISTINCT-ID`` / ``X-POSTHOG-SESSION-ID`` headers, URL, method, route)
and captures the errors Flask reports through ``got_request_exception``, so it goes
right after the app is created: after the ``app.config`` lines that set it up, before
blueprints and routes are registered and before a factory returns the app.

The integration sends an error as whoever the request's context knows: the
``X-POSTHOG-DISTINCT-ID`` header, or a login identified in that very request. Where the
app's users log in with Flask-Login, the integration's own capture is turned off and a
receiver defined beside the app captures the error as the user logged in, read when it
fails. Flask-RESTX and Flask-RESTful send the signal for the 4xx errors their APIs answer
too (``abort(404)`` in a resource): with one of them in the project, the receiver captures
what Flask answers with a server error only.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Sequence

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
CURRENT_USER = ("flask_login", "current_user")
RECEIVER = "capture_server_error"


def hook_up_flask(
    source: str,
    path: str,
    app: AppObject,
    client: ClientImport,
    *,
    signals_4xx: bool = False,
    flask_login: bool = False,
) -> str:
    """Add ``PosthogFlaskIntegration(<app>, client=posthog_client)`` after the app is created.

    ``signals_4xx``: an extension sends ``got_request_exception`` for the 4xx it answers, so
    the integration does not capture and a receiver captures only server errors.
    ``flask_login``: the app's users log in with Flask-Login, so the integration does not
    capture and a receiver captures the error as the user logged in. Either is left as the
    plain integration where the module binds the receiver's names otherwise.
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
    needed = [
        SIGNAL,
        *([HTTP_EXCEPTION] if signals_4xx else []),
        *([CURRENT_USER] if flask_login else []),
    ]
    if (signals_4xx or flask_login) and _names_free(source, needed):
        receiver = free_name(module, RECEIVER)
        edits.insert_after(
            after_configuration(creation),
            statement(
                f"{INTEGRATION}({client.arguments(app_name, 'capture_exceptions=False')})",
                module,
            ),
            statement(f"{SIGNAL[1]}.connect({receiver}, {app_name})", module),
        )
        code = _receiver(
            receiver, module, client.name, signals_4xx=signals_4xx, flask_login=flask_login
        )
        define_before_app(edits, module, creation, code)
        imports += needed
    else:
        edits.insert_after(
            after_configuration(creation),
            statement(f"{INTEGRATION}({client.arguments(app_name)})", module),
        )
    return add_imports(apply(module, edits), client, *imports).code


def _names_free(source: str, names: Sequence[tuple[str, str]]) -> bool:
    """Do ``names`` (module, name) mean those imports in the module once imported (not bound
    to anything else)?"""
    try:
        known = bindings(ast.parse(source))
    except SyntaxError:  # newer syntax than this interpreter reads: not proven
        return False
    return all(means_import(known, {}, module, name) for module, name in names)


def _receiver(
    name: str, module: cst.Module, client: str, *, signals_4xx: bool, flask_login: bool
) -> cst.BaseStatement:
    """The receiver that captures server errors (not the 4xx an API answers), as the user
    logged in where Flask-Login says who that is."""
    indent = module.default_indent
    doc = "Send an error Flask answers with a 5xx to PostHog"
    if flask_login:
        doc += ", as the user logged in"
    if signals_4xx:
        doc += " (the API extension also reports the 4xx it answers: those are not errors)"
    body = textwrap.wrap(f'"""{doc}."""', width=88 - len(indent))
    if signals_4xx:
        body += [
            f"if isinstance(exception, {HTTP_EXCEPTION[1]}) and (exception.code or 500) < 500:",
            f"{indent}return",
        ]
    if flask_login:
        # Read when it fails: the request's context knows a user only where it logged in.
        body += [
            "try:",
            f"{indent}user = {CURRENT_USER[1]}",
            f"{indent}distinct_id = user.get_id() if user.is_authenticated else None",
            "except Exception:  # the user cannot be loaded (the error may be the database's)",
            f"{indent}distinct_id = None",
            f"{client}.capture_exception(exception, distinct_id=distinct_id)",
        ]
    else:
        body.append(f"{client}.capture_exception(exception)")
    head = f"def {name}(sender: object, exception: BaseException, **extra: object) -> None:"
    return statement("\n".join([head, *(indent + line for line in body)]) + "\n", module)
