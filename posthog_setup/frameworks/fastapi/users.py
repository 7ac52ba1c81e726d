"""fastapi-users: the library's own routers register and log users in, and call the
project's ``UserManager`` hooks when they did.

A subclass of ``BaseUserManager`` that defines ``on_after_register(self, user, ...)``
is where a signup is known: the hook receives the user the library just saved, whose
``id`` the library's user protocol guarantees. Identify goes at the end of the hook
(after what the project does there, before nothing: the hooks return nothing).

Logins are known in ``on_after_login(self, user, request, response)``, which the
library's auth router (and its OAuth router) awaits once the credentials are proved,
whether or not the project defines it: a manager without one gets it added (calling the
library's, then identifying), one with it gets identify at its end. The hook exists from
fastapi-users 10.2 (``response`` from 11.0: the added hook passes on whatever it gets).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from posthog_setup.analysis.context import FileContext
from posthog_setup.analysis.model import VIEW_HOOK, AuthKind, AuthPoint

PACKAGE = "fastapi_users"
MECHANISM = "fastapi_users"
_MANAGERS = frozenset({f"{PACKAGE}.BaseUserManager", f"{PACKAGE}.manager.BaseUserManager"})
_HOOKS: dict[str, AuthKind] = {"on_after_register": "signup"}
#: The login hook, filed under its class whether the class defines it or edit adds it.
LOGIN_HOOK = "on_after_login"
#: The first release whose auth router awaits ``on_after_login``.
LOGIN_HOOK_RELEASE = ("fastapi-users", "10.2")


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
        login = _login_hook(ctx, cls)
        if login is not None:
            yield login
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


def _login_hook(ctx: FileContext, cls: ast.ClassDef) -> AuthPoint | None:
    """The login of a manager class: in its ``on_after_login``, or in the one edit adds."""
    own = next(
        (
            m
            for m in cls.body
            if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == LOGIN_HOOK
        ),
        None,
    )
    user = "user"
    if own is not None:
        params = [a.arg for a in (*own.args.posonlyargs, *own.args.args)]
        last = own.body[-1]
        if len(params) < 2 or isinstance(last, ast.Raise):
            return None
        user = params[1]
    return AuthPoint(
        kind="login",
        framework="fastapi",
        handler=ctx.handler(cls),
        line=cls.lineno,
        call=LOGIN_HOOK,
        user_expression=user,
        mechanism=VIEW_HOOK,
        key=f"{user}.id",
        needs=LOGIN_HOOK_RELEASE,
    )
