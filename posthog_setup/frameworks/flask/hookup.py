"""Hook PostHog into a Flask app: ``PosthogFlaskIntegration(app, client=posthog_client)``.

The integration gives every request its own PostHog context (the
``X-POSTHOG-DISTINCT-ID`` / ``X-POSTHOG-SESSION-ID`` headers, URL, method, route)
and captures unhandled exceptions, so it goes right after the app is created:
after the ``app.config`` lines that set it up, before blueprints and routes are
registered and before a factory returns the app.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import CLIENT_NAME, ClientImport, parse_module, statement
from posthog_setup.codemods.hookup_common import (
    StatementEdits,
    add_imports,
    apply,
    find_app_creation,
    mentions,
)

INTEGRATION = "PosthogFlaskIntegration"
INTEGRATION_MODULE = "posthog.integrations.flask"


def _configures(stmt: cst.BaseStatement, variable: str) -> bool:
    """True for a statement that only sets the app's config (``app.config.from_mapping(...)``,
    ``app.config["X"] = 1``, or an ``if`` whose branches hold only such lines)."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return _only_config(stmt.body, variable)
    if isinstance(stmt, cst.If):
        branches: list[cst.BaseSuite] = [stmt.body]
        if isinstance(stmt.orelse, cst.Else):
            branches.append(stmt.orelse.body)
        elif isinstance(stmt.orelse, cst.If) and not _configures(stmt.orelse, variable):
            return False
        return all(
            all(_configures(inner, variable) for inner in branch.body)
            if isinstance(branch, cst.IndentedBlock)
            else isinstance(branch, cst.SimpleStatementSuite)
            and _only_config(branch.body, variable)
            for branch in branches
        )
    return False


def _only_config(smalls: Sequence[cst.BaseSmallStatement], variable: str) -> bool:
    config = m.Attribute(value=m.Name(variable), attr=m.Name("config"))
    return all(m.findall(small, config) for small in smalls)


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
    anchor: cst.BaseStatement = creation.statement
    following = creation.siblings[creation.siblings.index(creation.statement) + 1 :]
    for stmt in following:
        if not _configures(stmt, creation.variable):
            break
        anchor = stmt
    hook_up = statement(f"{INTEGRATION}({creation.variable}, client={CLIENT_NAME})", wrapper.module)
    edits = StatementEdits()
    edits.insert_after(anchor, hook_up)
    edited = apply(wrapper.module, edits)
    return add_imports(edited, client, (INTEGRATION_MODULE, INTEGRATION)).code
