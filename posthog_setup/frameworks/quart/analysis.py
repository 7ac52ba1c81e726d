"""Quart: Flask's forms on asyncio, read by the Flask analysis in Quart's names.

Apps and factories, blueprints, ``@x.route`` / ``@x.get``, ``add_url_rule`` with
``MethodView.as_view``, ``register_blueprint`` and ``errorhandler`` are Flask's, so
``frameworks.flask.analysis`` reads them; quart-schema's decorators stack on the routes
and change nothing there. Users come from quart-auth: ``login_user(AuthUser(str(user.id)))``
logs ``user`` in, and ``current_user.auth_id`` is the id of whoever is logged in (None
for nobody), anywhere in a request.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Mapping, Sequence

from posthog_setup.analysis.body import dotted
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.model import (
    Analysis,
    ErrorHandler,
    Framework,
    Handler,
    ModuleFacts,
    PlainConventions,
    UserAccess,
)
from posthog_setup.analysis.routing import source_of
from posthog_setup.frameworks.flask.analysis import Dialect

QUART_AUTH_KIND = "quart_auth.current_user"
#: quart-auth's user: ``auth_id`` is None until someone logs in, in any request.
QUART_AUTH_USER = UserAccess(
    QUART_AUTH_KIND,
    "current_user.auth_id",
    "current_user.auth_id",
    requires=("quart_auth", "current_user"),
    contract=True,
)
#: Handlers that catch an unhandled error before Quart answers it with a 500 (which sends
#: ``got_request_exception``, where the hook-up captures it): only class-wide ones.
_CATCH_ALL = frozenset({"Exception", "BaseException"})


def find_user(
    ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
) -> UserAccess | None:
    """quart-auth's ``current_user``, or ``g.user``."""
    if not isinstance(node, (ast.Name, ast.Attribute)):
        return None
    qualified = ctx.names.resolve(node)
    spelled = dotted(node)
    if qualified == QUART_AUTH_KIND:
        return UserAccess(
            QUART_AUTH_KIND, f"{spelled}.auth_id", f"{spelled}.auth_id", contract=True
        )
    if qualified == "quart.g.user":
        return UserAccess("quart.g", f"{spelled}.id", spelled)
    return None


def _login_subject(ctx: FileContext, user: ast.expr) -> str | None:
    """``user`` in ``login_user(AuthUser(str(user.id)))``: the object whose id is logged in."""
    inner: ast.expr = user
    for _ in range(2):
        if isinstance(inner, ast.Call) and len(inner.args) == 1 and not inner.keywords:
            inner = inner.args[0]
    if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name):
        return inner.value.id
    return source_of(ctx, user) if isinstance(user, ast.Name) else None


def _sees_unhandled_errors(handler: ErrorHandler) -> bool:
    # A 500 or HTTPException handler runs after got_request_exception was sent; a
    # handler for Exception catches the error first, so it captures it itself.
    return any(target in _CATCH_ALL for target in handler.handles)


QUART = Dialect(
    framework="quart",
    packages=("quart", "quart_auth", "quart_schema"),
    application="quart.Quart",
    blueprint="quart.Blueprint",
    view_bases={"quart.views.MethodView": "MethodView", "quart.views.View": "View"},
    login_user="quart_auth.login_user",
    logout_user="quart_auth.logout_user",
    mechanism="quart_auth",
    find_user=find_user,
    login_subject=_login_subject,
    sees_server_errors=_sees_unhandled_errors,
    login_guards={"quart_auth.login_required": "@login_required"},
)


class QuartConventions(PlainConventions):
    """Quart's guarantees: with quart-auth in the project, ``current_user`` in every handler."""

    user_first = True

    def __init__(self, quart_auth: bool) -> None:
        self.quart_auth = quart_auth

    def current_user(self, handler: Handler, analysis: Analysis) -> UserAccess | None:
        return QUART_AUTH_USER if self.quart_auth else None


class QuartAnalyser:
    """Finds Quart apps, blueprints, routes, error handlers and quart-auth calls."""

    name: Framework = QUART.framework
    packages: tuple[str, ...] = QUART.packages
    app_kinds: tuple[str, ...] = ("quart",)
    primary_kind = QUART.application
    spellings: Mapping[str, str] = {
        "quart.app.": "quart.",
        "quart.blueprints.": "quart.",
        "quart.globals.": "quart.",
        "quart_auth.globals.": "quart_auth.",
        "quart_auth.extension.": "quart_auth.",
    }

    def wants(self, source: str) -> bool:
        """Could this file declare anything Quart? (A text test; false positives are fine.)"""
        return "uart" in source

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the apps, routes, registrations, error handlers and auth points of one file."""
        QUART.collect(ctx, out)

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Resolve every route's full path through blueprint registrations."""
        linked = QUART.link(facts)
        return dataclasses.replace(
            linked, conventions=QuartConventions(QUART.logs_in(linked, QUART_AUTH_KIND))
        )


analyser = QuartAnalyser()
