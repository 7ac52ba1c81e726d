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
from collections.abc import Iterable, Iterator, Sequence

from posthog_setup.analysis.body import dotted
from posthog_setup.analysis.context import FileContext, FunctionNode
from posthog_setup.analysis.model import AuthPoint, Route, UserAccess
from posthog_setup.analysis.routing import call_arg, source_of

PACKAGE = "flask_jwt_extended"
MECHANISM = "token"
KIND = "flask_jwt_extended.identity"
#: Decorators under which a handler runs only with a valid token: ``jwt_required`` and
#: 3.x's ``jwt_refresh_token_required`` / ``fresh_jwt_required`` (4.x spells those
#: ``jwt_required(refresh=True)`` / ``(fresh=True)``).
REQUIRED = frozenset(
    f"{PACKAGE}.{name}"
    for name in ("jwt_required", "jwt_refresh_token_required", "fresh_jwt_required")
)
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
        if ctx.names.resolve(target, scope) not in REQUIRED:
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


#: ``ModuleFacts.returns`` entries: a registered identity loader's key attribute ("" where
#: the loader is not a plain ``return user.<key>``), a loader registered by reference, and
#: the key attribute of a module function of that shape.
LOADER_KEY = f"{PACKAGE}.user_identity_loader"
LOADER_REF = f"{PACKAGE}.user_identity_loader()"
_KEY_OF = "key:"


def identity_loaders(ctx: FileContext) -> Iterator[tuple[str, str]]:
    """The module's facts about ``user_identity_loader``: a login's ``identity=user`` puts
    ``loader(user)`` in the token, and that is what ``get_jwt_identity()`` answers later.
    Only modules that speak of identity are read for it (a loader registered by reference
    elsewhere is then not one we can read, and keys nothing)."""
    if "identity" not in ctx.source:
        return
    for stmt in ctx.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            key = _returned_key(stmt)
            if any(_is_loader(d) for d in stmt.decorator_list):
                yield LOADER_KEY, key or ""
            elif key:
                yield ctx.qualified(stmt.name), f"{_KEY_OF}{key}"
        elif (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and _is_loader(stmt.value.func)
            and len(stmt.value.args) == 1
        ):
            yield LOADER_REF, ctx.names.resolve(stmt.value.args[0]) or ""


def _is_loader(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "user_identity_loader"


def _returned_key(func: FunctionNode) -> str | None:
    """``key`` of a one-parameter function whose body is ``return user.key`` (or its str)."""
    params = [*func.args.posonlyargs, *func.args.args]
    body = [
        s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    if len(params) != 1 or len(body) != 1 or not isinstance(body[0], ast.Return):
        return None
    value = body[0].value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "str":
        value = value.args[0] if len(value.args) == 1 else None
    if (
        isinstance(value, ast.Attribute)
        and isinstance(value.value, ast.Name)
        and value.value.id == params[0].arg
    ):
        return value.attr
    return None


def loaded_identities(
    points: Sequence[AuthPoint], facts: Iterable[tuple[str, str]]
) -> tuple[AuthPoint, ...]:
    """``points``, each token login keyed by what the project's identity loader reads of
    the identity it passes (``identity=user`` -> ``user.id``); by nothing where the loader
    is not one we can read (the login then identifies by the id it proves, like any other)."""
    known = dict(facts)
    if LOADER_KEY not in known and LOADER_REF not in known:
        return tuple(points)
    attribute = known.get(LOADER_KEY) or known.get(known.get(LOADER_REF, ""), "")
    attribute = attribute.removeprefix(_KEY_OF)
    settled = []
    for point in points:
        issued = point.call.rsplit(".", 1)[-1] in {name.rsplit(".", 1)[-1] for name in ISSUE}
        if point.mechanism == MECHANISM and issued and point.key:
            key = f"{point.key}.{attribute}" if attribute else None
            point = dataclasses.replace(point, key=key)
        settled.append(point)
    return tuple(settled)


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
