"""fastapi-users: the library's own routers register and log users in, and call the
project's ``UserManager`` hooks when they did.

A subclass of ``BaseUserManager`` that defines ``on_after_register(self, user, ...)``
or ``on_after_login(self, user, ...)`` is where a signup or login is known: the hook
receives the user the library just saved or authenticated, whose ``id`` the library's
user protocol guarantees. Identify goes at the end of the hook (after what the
project does there, before nothing: the hooks return nothing).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from posthog_setup.analysis.context import FileContext
from posthog_setup.analysis.model import AuthKind, AuthPoint

PACKAGE = "fastapi_users"
MECHANISM = "fastapi_users"
_MANAGERS = frozenset({f"{PACKAGE}.BaseUserManager", f"{PACKAGE}.manager.BaseUserManager"})
_HOOKS: dict[str, AuthKind] = {"on_after_register": "signup", "on_after_login": "login"}


def _is_manager(ctx: FileContext, cls: ast.ClassDef) -> bool:
    for base in cls.bases:
        target = base.value if isinstance(base, ast.Subscript) else base
        if ctx.names.resolve(target) in _MANAGERS:
            return True
    return False


def hook_points(ctx: FileContext) -> Iterator[AuthPoint]:
    """The signups and logins of the user manager classes defined in this file."""
    for cls in ctx.nodes:
        if not isinstance(cls, ast.ClassDef) or not _is_manager(ctx, cls):
            continue
        for method in cls.body:
            if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            kind = _HOOKS.get(method.name)
            params = [a.arg for a in (*method.args.posonlyargs, *method.args.args)]
            last = method.body[-1]
            if kind is None or len(params) < 2 or isinstance(last, (ast.Return, ast.Raise)):
                continue
            user = params[1]
            yield AuthPoint(
                kind=kind,
                framework="fastapi",
                handler=ctx.handler(method),
                line=last.lineno,
                call=f"{PACKAGE}.{method.name}",
                user_expression=user,
                mechanism=MECHANISM,
                key=f"{user}.id",
            )
