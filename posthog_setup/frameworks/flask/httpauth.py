"""flask-httpauth: the user of a handler under ``@auth.login_required``, and token routes.

Under ``@auth.login_required`` (not ``optional``) a handler runs only once the project's
``@auth.verify_password`` / ``@auth.verify_token`` callback returned a truthy value, and
``auth.current_user()`` is that value. What it is the callback shows: a user object
(``return user``, a local built or queried from a project class), whose key attribute the
class declares, or the username the request sent (``return username``, the callback's
first parameter), which is its own key unless it reads as an email. A callback may sit in
another module than the handlers, and the user class in a third: each file records what
its objects are (``<auth object>`` in ``ModuleFacts.returns``) and what their callbacks
return (``<auth object>.current_user``); the link keeps the guarded handlers, and the key
is settled for the plan, where every class's attributes are known (``current_user``).

A route under an HTTP Basic object's ``login_required`` whose name or path says token
exchanges the password for a token: a login, identified before the token is returned.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterable, Sequence

from posthog_setup.analysis.body import dotted, walk_body
from posthog_setup.analysis.context import FileContext, FunctionNode
from posthog_setup.analysis.flow import typed_names, value_kind
from posthog_setup.analysis.model import Analysis, AuthPoint, ModuleFacts, Route, UserAccess
from posthog_setup.analysis.routing import call_arg

PACKAGE = "flask_httpauth"
#: The classes whose instances guard handlers, by qualified name.
AUTH_CLASSES = frozenset(
    {f"{PACKAGE}.HTTPBasicAuth", f"{PACKAGE}.HTTPTokenAuth", f"{PACKAGE}.HTTPDigestAuth"}
)
BASIC = f"{PACKAGE}.HTTPBasicAuth"
#: A handler's user through an auth object, before linking settles its key: ``<KIND>:<object>``.
KIND = "flask_httpauth.current_user"
#: The mechanism of token logins, shared with the other libraries' (identify before the return).
MECHANISM = "token"
_CALLBACKS = frozenset({"verify_password", "verify_token"})
#: The callback's value, in ``ModuleFacts.returns``: a username the request sent.
USERNAME = "builtins.str"
_PERSONAL = re.compile(r"e_?mail|phone", re.IGNORECASE)
_TOKEN_WORDS = re.compile(r"token", re.IGNORECASE)
#: Attributes that key a user object, in the order to try.
_KEYS = ("id", "pk", "uuid")


def auth_objects(ctx: FileContext) -> dict[str, str]:
    """The module's auth objects: local name -> class (``auth = HTTPBasicAuth()``)."""
    found: dict[str, str] = {}
    if not ctx.mentions(PACKAGE):
        return found
    for stmt in ctx.tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
        ):
            cls = ctx.names.resolve(stmt.value.func)
            if cls in AUTH_CLASSES:
                found[stmt.targets[0].id] = cls
    return found


def returns(ctx: FileContext) -> list[tuple[str, str]]:
    """What the module tells the link about its auth objects: (object, class) for each, and
    (``<object>.current_user``, what its callback returns) where that is known."""
    objects = auth_objects(ctx)
    found = [(ctx.qualified(name), cls) for name, cls in objects.items()]
    for stmt in ctx.tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in stmt.decorator_list:
            if (
                isinstance(decorator, ast.Attribute)
                and decorator.attr in _CALLBACKS
                and isinstance(decorator.value, ast.Name)
                and decorator.value.id in objects
            ):
                value = _returned(ctx, stmt, basic=decorator.attr == "verify_password")
                if value is not None:
                    found.append((f"{ctx.qualified(decorator.value.id)}.current_user", value))
    return found


def _returned(ctx: FileContext, func: FunctionNode, *, basic: bool) -> str | None:
    """What every truthy return of a callback is: a project class (all return one local
    of it, or what a project function gives) or a username (all return the first
    parameter, not an email); else None. A falsy return fails the login, so it says
    nothing of the user, nor does the falsy side of ``x if test else None``."""
    params = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
    typed = dict(typed_names(ctx, func))
    kinds: set[str] = set()
    for node in walk_body(func):
        if not isinstance(node, ast.Return):
            continue
        value = node.value
        if isinstance(value, ast.IfExp) and _falsy(value.orelse):
            value = value.body
        if value is None or _falsy(value):
            continue
        if isinstance(value, ast.Call):
            # ``Member.by_token(token)``: what the class builds, or what the function
            # returns (the plan reads its attributes); never a bare string.
            kind = (value_kind(ctx, value, func, typed) or "").rstrip("?")
            if not kind or kind == USERNAME:
                return None
            kinds.add(kind)
            continue
        if not isinstance(value, ast.Name):
            return None  # ``True`` (maybe an anonymous user), an expression
        if basic and params and value.id == params[0]:
            if _PERSONAL.search(value.id):
                return None
            kinds.add(USERNAME)
        elif value.id in typed:
            # A query that may answer None answers a user wherever it is returned truthy.
            kinds.add(typed[value.id].rstrip("?"))
        else:
            return None
    return kinds.pop() if len(kinds) == 1 else None


def _falsy(value: ast.expr) -> bool:
    """A constant that fails the login (``None``, ``False``, ``""``)."""
    return isinstance(value, ast.Constant) and not value.value


def required(ctx: FileContext, func: FunctionNode) -> tuple[str, str] | None:
    """(the object, as qualified and as spelled) whose ``@x.login_required`` guards the
    handler, where one does and not ``optional``. apifairy's ``@authenticate(x, ...)``
    is ``@x.login_required(...)`` (it decorates with that and nothing else)."""
    scope = ctx.names.scope_of(func)
    for decorator in func.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call is not None else decorator
        if call is not None and call.args and ctx.names.resolve(target, scope) in _AUTHENTICATE:
            target = call.args[0]
        elif isinstance(target, ast.Attribute) and target.attr == "login_required":
            target = target.value
        else:
            continue
        owner = ctx.names.resolve(target, scope)
        if owner is None or owner.startswith("flask_login"):
            continue
        optional = call_arg(call, None, "optional") if call is not None else None
        if optional is not None and not (
            isinstance(optional, ast.Constant) and optional.value in (False, None)
        ):
            return None
        return owner, dotted(target)
    return None


#: apifairy's decorator that guards a handler with an auth object's ``login_required``.
_AUTHENTICATE = frozenset({"apifairy.authenticate", "apifairy.decorators.authenticate"})


def find_user(
    ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
) -> UserAccess | None:
    """A handler an auth object guards reaches its user by ``auth.current_user()``; which
    key that user has is settled for the plan (see ``current_user``)."""
    if isinstance(func, ast.ClassDef):
        return None
    # Asked at each node of the body until a user is found; the decorators answer once.
    guard = ctx.remembered("httpauth guard", func, lambda: required(ctx, func))
    if guard is None:
        return None
    owner, spelled = guard
    return UserAccess(f"{KIND}:{owner}", f"{spelled}.current_user()")


def token_login(ctx: FileContext, func: FunctionNode, paths: Sequence[str]) -> AuthPoint | None:
    """A route under ``@x.login_required`` that says it hands out a token: the password
    is exchanged for it, identified before the (last) return."""
    guard = required(ctx, func)
    if guard is None or not paths:
        return None
    words = " ".join([ctx.names.qualname_of(func), *paths])
    if not _TOKEN_WORDS.search(words):
        return None
    last = next((s for s in reversed(func.body) if isinstance(s, ast.Return)), None)
    if last is None or last.value is None:
        return None
    owner, spelled = guard
    return AuthPoint(
        kind="login",
        framework="flask",
        handler=ctx.handler(func),
        line=last.lineno,
        call=f"{owner}.login_required",
        user_expression=f"{spelled}.current_user()",
        mechanism=MECHANISM,
    )


def objects(facts: Iterable[ModuleFacts]) -> dict[str, str]:
    """Every auth object of the project -> its class, or what its callback returns
    (``<object>.current_user`` -> a class or ``USERNAME``)."""
    return {
        name: value
        for f in facts
        for name, value in f.returns
        if value in AUTH_CLASSES or name.endswith(".current_user")
    }


def guarded(
    routes: Iterable[Route], known: dict[str, str]
) -> tuple[tuple[Route, ...], tuple[tuple[tuple[str, str], tuple[str, str]], ...]]:
    """Routes without the user a guard gives (the plan asks ``current_user`` for it),
    and each guarded handler, by (file, qualified name), with (object, as spelled)."""
    settled: list[Route] = []
    guards: dict[tuple[str, str], tuple[str, str]] = {}
    for route in routes:
        access = route.user_access
        if access is not None and access.kind.startswith(f"{KIND}:"):
            owner = access.kind.split(":", 1)[1]
            if owner in known:
                handler = route.handler
                spelled = access.id_expression.removesuffix(".current_user()")
                guards[(handler.file, handler.qualname)] = (owner, spelled)
            route = dataclasses.replace(route, user_access=None)
        settled.append(route)
    return tuple(settled), tuple(sorted(guards.items()))


def token_logins(points: Iterable[AuthPoint], known: dict[str, str]) -> tuple[AuthPoint, ...]:
    """``points`` without the token routes of objects that are not HTTP Basic ones (a
    token guards it: a refresh) or not auth objects after all."""
    kept: list[AuthPoint] = []
    for point in points:
        owner = point.call.removesuffix(".login_required")
        if point.mechanism == MECHANISM and owner != point.call and known.get(owner) != BASIC:
            continue
        kept.append(point)
    return tuple(kept)


def current_user(
    owner: str, spelled: str, known: dict[str, str], analysis: Analysis
) -> UserAccess | None:
    """The user of a handler ``owner`` guards, keyed as its callback shows: the username
    itself, or the key attribute of the project class it returns."""
    value = known.get(f"{owner}.current_user")
    user = f"{spelled}.current_user()"
    if value == USERNAME:
        return UserAccess(KIND, user, contract=True)
    if value is None:
        return None
    attributes = analysis.attributes_of(value)
    key = next((k for k in _KEYS if k in attributes), None)
    return UserAccess(KIND, f"{user}.{key}", contract=True) if key else None
