"""The project's own receivers of Django's ``user_logged_in`` signal that identify the user.

``django.contrib.auth.login()`` sends ``user_logged_in(sender, request, user)`` on every
session login, whichever view calls it. A receiver of the project's that already binds
the identity there (``identify_context(...)``, ``posthog.identify(...)``, person
properties set for a distinct id) identifies every such login: the project's login views
get no second identify, and no generated receiver is connected beside it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from posthog_setup.analysis.body import dotted
from posthog_setup.analysis.context import FileContext, FunctionNode
from posthog_setup.analysis.model import AuthPoint

#: Where Django defines the signal, and the name ``django.contrib.auth`` re-exports it under.
LOGGED_IN = frozenset(
    {"django.contrib.auth.signals.user_logged_in", "django.contrib.auth.user_logged_in"}
)
RECEIVER = "django.dispatch.receiver"
#: The mechanism of a login point that is a receiver of the project's own.
OWN_RECEIVER = "project_receiver"
#: The ``dispatch_uid`` of the login receiver this tool writes (templates/
#: django_auth_receivers.py.j2): that one is ours, not the project's.
GENERATED_UID = "posthog_user_logged_in"
#: PostHog's calls that bind a user's identity: ``identify_context`` always; the others
#: where they are PostHog's (the posthog module's, or called with PostHog's ``distinct_id``).
_CONTEXT = "identify_context"
_IDENTIFYING = frozenset({"identify", "alias", "set", "set_once"})


def _names_login_signal(ctx: FileContext, node: ast.expr) -> bool:
    """``user_logged_in``, or a list of signals holding it (``@receiver([a, b])``)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_names_login_signal(ctx, e) for e in node.elts)
    return ctx.names.resolve(node) in LOGGED_IN


def _connected(ctx: FileContext) -> Iterator[FunctionNode]:
    """Module-level functions of this file connected to ``user_logged_in``: decorated with
    ``@receiver(user_logged_in)``, or passed to ``user_logged_in.connect(...)`` here."""
    functions = {
        stmt.name: stmt
        for stmt in ctx.tree.body
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    found: dict[str, FunctionNode] = {}
    for func in functions.values():
        for decorator in func.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and ctx.names.resolve(decorator.func) == RECEIVER
                and decorator.args
                and _names_login_signal(ctx, decorator.args[0])
                and not _generated(decorator)
            ):
                found[func.name] = func
    for node in ast.walk(ctx.tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "connect"
            and _names_login_signal(ctx, node.func.value)
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in functions
        ):
            found.setdefault(node.args[0].id, functions[node.args[0].id])
    return iter(found.values())


def _generated(decorator: ast.Call) -> bool:
    uid = next((k.value for k in decorator.keywords if k.arg == "dispatch_uid"), None)
    return isinstance(uid, ast.Constant) and uid.value == GENERATED_UID


def _identifies(ctx: FileContext, func: FunctionNode) -> str | None:
    """The PostHog call by which ``func`` binds a user's identity, as written, if it does."""
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        leaf = name.rsplit(".", 1)[-1]
        posthogs = (ctx.names.resolve(node.func) or "").startswith("posthog.") or any(
            k.arg == "distinct_id" for k in node.keywords
        )
        if leaf == _CONTEXT or (leaf in _IDENTIFYING and posthogs):
            return f"{name}()"
    return None


def identifying_receivers(ctx: FileContext) -> Iterator[AuthPoint]:
    """A login point for each receiver of ``user_logged_in`` in this file that identifies
    the user (``identified_by`` names it); the user is its ``user`` parameter."""
    for func in _connected(ctx):
        how = _identifies(ctx, func)
        if how is None:
            continue
        params = [a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)]
        handler = ctx.handler(func)
        yield AuthPoint(
            "login",
            "django",
            handler,
            func.body[-1].lineno,
            "django.contrib.auth.signals.user_logged_in",
            "user" if "user" in params else None,
            OWN_RECEIVER,
            identified_by=f"{how} in {handler.file}:{handler.qualname}",
        )
