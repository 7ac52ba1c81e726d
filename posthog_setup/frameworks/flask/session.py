"""Logins that keep the user in Flask's own ``session``: ``session["user_id"] = user.id``.

Many Flask apps log users in without flask-login: a login view, or the project's own
``login_user(user)`` helper, stores the user's key in the session. Each file records
those writes, and the calls from one project function to another with a first
argument (any of them may be a call to such a helper); linking keeps the calls that
reach a helper which stores its argument.

Where every write stores the user under the same key, each handler can read the acting
user as ``session[key]`` where ``key in session``: Flask's session is a dict in every
request. The writes in a function (or helper) whose name or route says it logs in
or signs up are where users log in.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Sequence

from posthog_setup.analysis.body import walk_body
from posthog_setup.analysis.context import FileContext, FunctionNode
from posthog_setup.analysis.model import (
    AuthKind,
    AuthPoint,
    Handler,
    HelperCall,
    SessionClear,
    SessionWrite,
    UserAccess,
)
from posthog_setup.analysis.routing import SIGNUP_WORDS, source_of, user_construction

SESSION = "flask.session"
MECHANISM = "flask_session"
#: Names (of a function, a callee or a route) that say the code logs a user in.
_LOGIN_WORDS = re.compile(r"log_?in|sign_?in|authenticat", re.IGNORECASE)
#: The calls that store a new object: ``db.session.add(user)``, ``user.save()``.
_STORES = frozenset({"add", "add_all", "save", "insert", "merge", "persist"})
#: How a user's key is read: the key attributes and subscripts ids go by.
_ID = re.compile(r"(id|pk|uid|user_id|id_)")


def _accessor(value: ast.expr) -> tuple[str, str] | None:
    """``user.id`` -> ("user", ".id"); ``user["id"]`` -> ("user", '["id"]'); else None."""
    if (
        isinstance(value, ast.Attribute)
        and isinstance(value.value, ast.Name)
        and _ID.fullmatch(value.attr)
    ):
        return value.value.id, f".{value.attr}"
    if (
        isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and isinstance(value.slice, ast.Constant)
        and isinstance(value.slice.value, str)
        and _ID.fullmatch(value.slice.value)
    ):
        return value.value.id, f'["{value.slice.value}"]'
    return None


@functools.lru_cache(maxsize=64)
def _says_login(source: str) -> bool:
    """Could anything in this text say it logs a user in or signs one up?"""
    return _LOGIN_WORDS.search(source) is not None or SIGNUP_WORDS.search(source) is not None


def _positional(func: FunctionNode) -> list[str]:
    return [a.arg for a in [*func.args.posonlyargs, *func.args.args]]


def _words(func: FunctionNode, paths: Sequence[str], *names: str) -> tuple[bool, bool]:
    """(says login, says signup) of a function's name, its routes and other ``names``."""
    words = " ".join([func.name, *paths, *names])
    signup = SIGNUP_WORDS.search(words) is not None
    return signup or _LOGIN_WORDS.search(words) is not None, signup


def scan(
    ctx: FileContext, func: FunctionNode, paths: Sequence[str]
) -> tuple[list[SessionWrite], list[HelperCall]]:
    """In one walk of ``func``: its ``session[<key>] = <user>.<id>`` statements, and its
    statement calls ``helper(<name>, ...)`` to functions of the same project."""
    writes: list[SessionWrite] = []
    calls: list[HelperCall] = []
    # Text tests first: a write needs ``session[``, a login call a word that says so.
    may_write = "session[" in ctx.source
    may_call = _says_login(ctx.source)
    if not (may_write or may_call):
        return writes, calls
    top = ctx.module.split(".", 1)[0]
    for node in walk_body(func):
        if may_write and isinstance(node, ast.Assign) and len(node.targets) == 1:
            write = _session_write(ctx, node, node.targets[0])
            if write is not None:
                user, accessor, key = write
                params = _positional(func)
                login, signup = _words(func, paths)
                handler = ctx.handler(func)
                writes.append(
                    SessionWrite(
                        function=ctx.qualified(handler.qualname),
                        handler=handler,
                        line=node.lineno,
                        key=key,
                        user=user,
                        accessor=accessor,
                        param=params.index(user) if user in params else None,
                        login=login,
                        signup=signup,
                    )
                )
        elif may_call and isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if not call.args or not isinstance(call.args[0], ast.Name):
                continue
            called = ctx.names.resolve(call.func)
            if called is None or called.split(".", 1)[0] != top:
                continue
            says_login, says_signup = _words(func, paths, called.rsplit(".", 1)[-1])
            if not says_login:
                # A helper is a login only where its name or its caller's says so, and
                # its name is among these words too: this call can never be one.
                continue
            # Logging in the user the handler has just built and stored is a signup,
            # whatever the handler is called (a first-run setup that creates the admin).
            says_signup = says_signup or _created(func, call.args[0].id, node.lineno)
            calls.append(
                HelperCall(
                    handler=ctx.handler(func),
                    line=node.lineno,
                    called=called,
                    argument=source_of(ctx, call.args[0]),
                    login=says_login,
                    signup=says_signup,
                )
            )
    return writes, calls


#: Names of functions that say they log a user out.
_LOGOUT_WORDS = re.compile(r"log_?out|sign_?out", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def _may_clear(source: str) -> bool:
    """Could anything in this text empty the session or call a logout helper? (Asked of
    every function of a module: the text is searched once.)"""
    direct = any(t in source for t in ("session.clear", "session.pop", "del session["))
    return direct or _LOGOUT_WORDS.search(source) is not None


def clears(ctx: FileContext, func: FunctionNode) -> list[SessionClear]:
    """``func``'s statements that empty the session or drop one key of it
    (``session.clear()``, ``session.pop("user_id", None)``, ``del session["user_id"]``),
    and its statement calls to functions of the project named for logging out."""
    if not _may_clear(ctx.source):
        return []
    found: list[SessionClear] = []
    handler = ctx.handler(func)
    function = ctx.qualified(handler.qualname)
    top = ctx.module.split(".", 1)[0]
    for node in walk_body(func):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            method = call.func
            if not (
                isinstance(method, ast.Attribute)
                and method.attr in ("clear", "pop")
                and ctx.names.resolve(method.value) == SESSION
            ):
                called = ctx.names.resolve(method)
                if (
                    called is not None
                    and called.split(".", 1)[0] == top
                    and _LOGOUT_WORDS.search(called.rsplit(".", 1)[-1])
                ):
                    found.append(SessionClear(function, handler, node.lineno, None, via=called))
                continue
            if method.attr == "clear" and not call.args:
                found.append(SessionClear(function, handler, node.lineno, None))
            elif method.attr == "pop" and call.args:
                key = call.args[0]
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    found.append(SessionClear(function, handler, node.lineno, key.value))
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and ctx.names.resolve(target.value) == SESSION
                    and isinstance(target.slice, ast.Constant)
                    and isinstance(target.slice.value, str)
                ):
                    found.append(SessionClear(function, handler, node.lineno, target.slice.value))
    return found


def logouts(
    clears: Iterable[SessionClear],
    writes: Sequence[SessionWrite],
    routed: Iterable[tuple[Handler, str]],
    taken: Iterable[Handler],
) -> list[AuthPoint]:
    """Where a route named for logging out forgets the user the session logins keep. Only
    where every login keeps the user under one key; never in a function that stores it
    (a login clears the session before it keeps the new user), nor where another logout
    (``logout_user()``) already is. A call to a project function that forgets the user
    (its own ``logout_user()`` that clears the session) is one where the route calls it."""
    key = user_key(writes)
    if key is None:
        return []
    clears = list(clears)
    # The project's own logout helpers: functions that forget the user themselves.
    helpers = {c.function for c in clears if c.via is None and c.key in (None, key)}
    storing = {(w.handler.file, w.handler.qualname) for w in writes}
    skip = storing | {(h.file, h.qualname) for h in taken}
    # A route that says it logs out: an admin's reset that ends its own session on the way
    # did something else.
    served = {
        (h.file, h.qualname)
        for h, path in routed
        if _LOGOUT_WORDS.search(f"{h.name} {path}") is not None
    }
    points: list[AuthPoint] = []
    for clear in clears:
        where = (clear.handler.file, clear.handler.qualname)
        forgets = clear.via in helpers if clear.via is not None else clear.key in (None, key)
        if not forgets or where in skip or where not in served:
            continue
        skip.add(where)
        points.append(
            AuthPoint("logout", "flask", clear.handler, clear.line, SESSION, None, MECHANISM)
        )
    return points


def _created(func: FunctionNode, name: str, before: int) -> bool:
    """Does ``func`` build ``name`` as a new object and store it before line ``before``?
    Only where every binding of it builds one: a user found, else created (a provider's
    login), is a login."""
    if user_construction(func, name) is None or _bindings(func, name) > 1:
        return False
    for node in walk_body(func):
        if not (
            isinstance(node, ast.Call)
            and node.lineno < before
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _STORES
        ):
            continue
        receiver = node.func.value
        if isinstance(receiver, ast.Name) and receiver.id == name and not node.args:
            return True
        if any(isinstance(a, ast.Name) and a.id == name for a in node.args):
            return True
    return False


def _bindings(func: FunctionNode, name: str) -> int:
    """How many assignments in ``func`` bind ``name``."""
    return sum(
        1
        for node in walk_body(func)
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and target.id == name
    )


def _session_write(
    ctx: FileContext, node: ast.Assign, target: ast.expr
) -> tuple[str, str, str] | None:
    """(user, how its key is read, session key) of ``session[<key>] = <user>.<id>``."""
    if not (
        isinstance(target, ast.Subscript)
        and isinstance(target.slice, ast.Constant)
        and isinstance(target.slice.value, str)
        and ctx.names.resolve(target.value) == SESSION
    ):
        return None
    read = _accessor(node.value)
    return (*read, target.slice.value) if read is not None else None


def user_key(writes: Iterable[SessionWrite]) -> str | None:
    """The session key every write stores a user under (None: none, or several)."""
    keys = {w.key for w in writes}
    return keys.pop() if len(keys) == 1 else None


def session_user(key: str) -> UserAccess:
    """The acting user as the session keeps it: safe to read in any request once the guard
    holds (Flask's session is a dict in every request)."""
    return UserAccess(
        SESSION,
        f'session["{key}"]',
        f'"{key}" in session',
        requires=("flask", "session"),
        contract=True,
    )


def logins(
    writes: Sequence[SessionWrite], calls: Iterable[HelperCall]
) -> tuple[list[AuthPoint], dict[tuple[str, str, int], str]]:
    """The logins and signups the writes make, directly or through helpers, and the key
    expression each reads (by handler file, qualname and line)."""
    points: list[AuthPoint] = []
    keys: dict[tuple[str, str, int], str] = {}

    def add(signup: bool, handler: Handler, line: int, call: str, user: str, read: str) -> None:
        kind: AuthKind = "signup" if signup else "login"
        points.append(AuthPoint(kind, "flask", handler, line, call, user, MECHANISM))
        keys[(handler.file, handler.qualname, line)] = f"{user}{read}"

    helpers = {w.function: w for w in writes if w.param == 0}
    for w in writes:
        if w.login and w.function not in helpers:
            add(w.signup, w.handler, w.line, SESSION, w.user, w.accessor)
    for call in calls:
        helper = helpers.get(call.called)
        if helper is not None and (call.login or helper.login):
            signup = call.signup or helper.signup
            add(signup, call.handler, call.line, call.called, call.argument, helper.accessor)
    return points, keys
