"""flask-jwt-extended: the user of a token-protected handler, and the logins that issue tokens.

A handler under ``@jwt_required()`` runs only with a valid token, so
``get_jwt_identity()`` (the identity the login put in the token) is safe anywhere in
it: the acting user's key. Without the decorator (``optional=True``, a check in
``before_request``) it is safe only where the handler has read it itself.

A login issues the token: ``create_access_token(identity=user.id)`` in a handler that
is not itself token-protected (a refresh route is, and logs nobody in). The identity
is the key every later request carries, so the login identifies with it, read right
before the token call as the call reads it.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Sequence

from posthog_setup.analysis.body import dotted
from posthog_setup.analysis.context import FileContext, FunctionNode
from posthog_setup.analysis.model import AuthPoint, Route, UserAccess
from posthog_setup.analysis.routing import call_arg, source_of

PACKAGE = "flask_jwt_extended"
MECHANISM = "token"
KIND = "flask_jwt_extended.identity"
REQUIRED = f"{PACKAGE}.jwt_required"
IDENTITY = f"{PACKAGE}.get_jwt_identity"
ISSUE = frozenset({f"{PACKAGE}.create_access_token"})
#: Where the package defines what it exports, spelled as it exports them.
SPELLINGS = {f"{PACKAGE}.utils.": f"{PACKAGE}.", f"{PACKAGE}.view_decorators.": f"{PACKAGE}."}
#: A token whose identity reads as one of these would put personal data in every event.
_PERSONAL = ("email", "mail", "phone")


def required(ctx: FileContext, func: FunctionNode | ast.ClassDef) -> bool:
    """Is the handler decorated ``@jwt_required()`` (a token always present, never
    ``optional``)? A bare ``@jwt_required`` is the 3.x spelling."""
    scope = ctx.names.scope_of(func)
    for decorator in func.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call is not None else decorator
        if ctx.names.resolve(target, scope) != REQUIRED:
            continue
        optional = call_arg(call, 0, "optional") if call is not None else None
        return optional is None or (isinstance(optional, ast.Constant) and optional.value is False)
    return False


def find_user(
    ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
) -> UserAccess | None:
    """The token's identity: anywhere under ``@jwt_required()``, else where the handler
    calls ``get_jwt_identity()`` itself (and only after it did)."""
    if required(ctx, func):
        return UserAccess(
            KIND, "get_jwt_identity()", requires=(PACKAGE, "get_jwt_identity"), contract=True
        )
    if (
        isinstance(node, ast.Call)
        and not node.args
        and not node.keywords
        and ctx.names.resolve(node.func) == IDENTITY
    ):
        return UserAccess(KIND, f"{dotted(node.func)}()")
    return None


def issued_identity(ctx: FileContext, call: ast.Call) -> tuple[str, str | None] | None:
    """For a token call of a login: (the user it logs in, as source; the key it reads),
    else None. ``create_access_token(identity=user.id)`` -> ("user", "user.id");
    ``str(user.id)`` reads the same key; a key that reads as personal data is no key."""
    if ctx.names.resolve(call.func) not in ISSUE:
        return None
    identity = call_arg(call, 0, "identity")
    if identity is None:
        return None
    key = source_of(ctx, identity)
    inner = identity
    if (
        isinstance(inner, ast.Call)
        and isinstance(inner.func, ast.Name)
        and inner.func.id == "str"
        and len(inner.args) == 1
    ):
        inner = inner.args[0]
    user = inner.value if isinstance(inner, (ast.Attribute, ast.Subscript)) else inner
    subject = source_of(ctx, user)
    if any(word in key.lower() for word in _PERSONAL):
        return subject, None
    return subject, key


def keyed_routes(routes: Sequence[Route], logins: Sequence[AuthPoint]) -> tuple[Route, ...]:
    """``routes``, without the token identity as their user where a login puts personal
    data in it (``identity=user.email``): it would be every event's distinct id."""
    if not any(p.mechanism == MECHANISM and p.key is None for p in logins):
        return tuple(routes)
    return tuple(
        dataclasses.replace(r, user_access=None)
        if r.user_access is not None and r.user_access.kind == KIND
        else r
        for r in routes
    )
