"""Bottle: apps and the default app, routes, mounted apps, error pages, cookie and session logins.

Routes come from ``@x.route(path, method=...)`` (``method``, singular: a verb or a list;
GET when left out) and ``@x.get`` / ``@x.post`` / ``@x.put`` / ``@x.patch`` / ``@x.delete``
where ``x`` is an app ``Bottle()`` or ``bottle.default_app()`` made, from the default app's
own ``@route`` / ``@post`` (``from bottle import route`` or ``bottle.route``), and from
``x.route(path, method, callback)`` calls. ``x.mount(prefix, child)`` hangs an app under
another. Old-style ``:name`` parameters are reported as ``<name>``.

Bottle has no users of its own: a handler reaches the user the way the project does, a
signed cookie (``request.get_cookie("user_id", secret=...)``) or a beaker session
(``request.environ["beaker.session"]``) read into a local, or the project's own
current-user helper; only where the handler reads them. A login stores the user's id in
that cookie or session; a logout deletes the cookie or the session.

``abort()`` and ``redirect()`` raise ``HTTPResponse`` / ``HTTPError``: answers, never
errors. The hook-up's plugin captures every other exception a route raises, so an
``@app.error(500)`` page only renders it: no error handler captures a second time.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from posthog_setup.analysis.body import dotted, scan_body, walk_body
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.model import (
    AppObject,
    AuthKind,
    AuthPoint,
    BodyFacts,
    Framework,
    HelperCall,
    LocalRoute,
    ModuleFacts,
    PlainConventions,
    Registration,
    UserAccess,
)
from posthog_setup.analysis.names import Scope
from posthog_setup.analysis.routing import (
    SIGNUP_WORDS,
    VERB_SHORTCUTS,
    Constructor,
    RouteFile,
    call_arg,
    error_handler,
    error_target_name,
    imports_any,
    link_routes,
    literal_str,
    user_construction,
)

APP = "bottle.Bottle"
#: the default app, owner of the module-level ``@route`` decorators
DEFAULT_APP = "bottle.default_app"
#: the parent of a registration saying "this app is the default app" (``app = default_app()``)
_IS_DEFAULT = "<bottle default app>"
#: what ``app = <call>()`` names the default app with
DEFAULT_CALLS = ("bottle.default_app", "bottle.app")
_CONSTRUCTORS = {name: Constructor(APP) for name in (APP, *DEFAULT_CALLS)}
#: route methods of an app, and the default app's functions of the same names
_ROUTE_ATTRS = VERB_SHORTCUTS | {"route"}
_MODULE_ROUTES = {f"bottle.{attr}": attr for attr in _ROUTE_ATTRS}
_MODULE_ERROR = "bottle.error"
_GET_COOKIE = "bottle.request.get_cookie"
_SET_COOKIE = "bottle.response.set_cookie"
_DELETE_COOKIE = "bottle.response.delete_cookie"
_ENVIRON = "bottle.request.environ"
_BEAKER = "beaker.session"

#: a login that stores a name (``username``) in the cookie, not an object's id
COOKIE_VALUE = "cookie_value"
#: a login through a project function that stores its argument's id in the cookie
COOKIE_HELPER = "cookie_helper"
#: the parent of a registration saying "this function stores its argument's id in the user
#: cookie"; the registration's prefix is how it reads the id (``.id``)
_LOGIN_HELPER = "<bottle login helper>"

_WANTS = re.compile(r"bottle")
#: cookie and session keys that hold who the user is
_USER_KEY = re.compile(r"user|account|member|^uid$|login", re.IGNORECASE)
_LOGIN_WORDS = re.compile(r"log_?in|sign_?in|authenticat", re.IGNORECASE)
_LOGOUT_WORDS = re.compile(r"log_?out|sign_?out", re.IGNORECASE)
#: how a user's key is read: ``user.id``, ``user["id"]``
_ID = re.compile(r"id|pk|uid|user_id|id_")
#: Bottle's old ``:name`` (and ``:name#regex#``) parameters, outside ``<...>``
_OLD_PARAMETER = re.compile(r"<[^<>]*>|:([A-Za-z_]\w*)(?:#[^#]*#)?")


def modern_path(path: str) -> str:
    """``/notes/:id`` as Bottle reads it: ``/notes/<id>``."""
    return _OLD_PARAMETER.sub(lambda m: f"<{m.group(1)}>" if m.group(1) else m.group(0), path)


def _paths(node: ast.expr | None) -> list[str]:
    """A route's literal paths: ``"/x"`` or ``["/a", "/b"]`` (none when computed or left out:
    Bottle then builds the path from the function's name)."""
    value = literal_str(node)
    if value is not None:
        return [modern_path(value)]
    if isinstance(node, (ast.List, ast.Tuple)):
        found = [literal_str(element) for element in node.elts]
        return [modern_path(p) for p in found if p is not None]
    return []


def _methods(node: ast.expr | None) -> tuple[str, ...] | None:
    """``method=``: ``"POST"`` or ``["GET", "POST"]``; None when computed."""
    if node is None:
        return ("GET",)
    value = literal_str(node)
    if value is not None:
        return (value.upper(),)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        found: list[str] = []
        for element in node.elts:
            text = literal_str(element)
            if text is None:
                return None
            if text.upper() not in found:
                found.append(text.upper())
        return tuple(found)
    return None


@dataclass(frozen=True)
class BottleConventions(PlainConventions):
    """Bottle guarantees handlers nothing of the user; a cookie login that stores a name
    keys the user by that name, as the handlers read it back, and a login helper by the id
    it read from its argument."""

    #: the user key each helper login stores, by (file, handler, line)
    login_keys: tuple[tuple[tuple[str, str, int], str], ...] = ()

    def login_key(self, point: AuthPoint) -> str | None:
        if point.mechanism == COOKIE_VALUE:
            return point.user_expression
        if point.mechanism == COOKIE_HELPER:
            return dict(self.login_keys).get(
                (point.handler.file, point.handler.qualname, point.line)
            )
        return None


class BottleAnalyser:
    """Finds Bottle apps, routes, mounts, error pages, and logins through cookies or sessions."""

    name: Framework = "bottle"
    packages: tuple[str, ...] = ("bottle",)
    app_kinds: tuple[str, ...] = ("bottle",)
    primary_kind = APP
    spellings: Mapping[str, str] = {}

    def wants(self, source: str) -> bool:
        """Could this file declare anything Bottle? (A text test; false positives are fine.)"""
        return _WANTS.search(source) is not None

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the apps, routes, mounts, error handlers and auth points of one file."""
        if imports_any(ctx, self.packages):
            _BottleFile(ctx, out).collect()

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Resolve every route's full path through the mounts; the default app's routes
        belong to the app ``default_app()`` named, where one did."""
        aliases = sorted(
            (r.file, r.line, r.child)
            for module in facts
            for r in module.registrations
            if r.parent == _IS_DEFAULT
        )
        if aliases:
            facts = [_onto(module, aliases[0][2]) for module in facts]
        linked = link_routes("bottle", facts, (APP,), _mount_prefix)
        # Every file with default-app routes names it; the hook-up goes to the first.
        apps: list[AppObject] = []
        for app in linked.apps:
            if app.name != DEFAULT_APP or all(a.name != DEFAULT_APP for a in apps):
                apps.append(app)
        logins, keys = _helper_logins(facts)
        return dataclasses.replace(
            linked,
            apps=tuple(apps),
            auth_points=(*linked.auth_points, *logins),
            conventions=BottleConventions(tuple(sorted(keys.items()))),
        )


def _helper_logins(
    facts: Sequence[ModuleFacts],
) -> tuple[list[AuthPoint], dict[tuple[str, str, int], str]]:
    """The logins routes make through a login helper, and the key each stores."""
    helpers = {
        r.child: r.prefix or ".id"
        for module in facts
        for r in module.registrations
        if r.parent == _LOGIN_HELPER
    }
    bottle_files = {module.file for module in facts if "bottle" in module.frameworks}
    # Another framework's analysis of the same file may record the same call: one login,
    # a signup where either record says so.
    calls: dict[tuple[str, str, int], list[HelperCall]] = {}
    for module in facts:
        for call in module.helper_calls:
            if call.called in helpers and call.handler.file in bottle_files:
                key = (call.handler.file, call.handler.qualname, call.line)
                calls.setdefault(key, []).append(call)
    points: list[AuthPoint] = []
    keys: dict[tuple[str, str, int], str] = {}
    for key, records in calls.items():
        call = records[0]
        kind: AuthKind = "signup" if any(c.signup for c in records) else "login"
        points.append(
            AuthPoint(
                kind, "bottle", call.handler, call.line, call.called, call.argument, COOKIE_HELPER
            )
        )
        keys[key] = f"{call.argument}{helpers[call.called]}"
    return points, keys


def _onto(module: ModuleFacts, app: str) -> ModuleFacts:
    """``module`` with the default app's routes on ``app``, and no default app of its own."""
    if not any(a.name == DEFAULT_APP for a in module.apps):
        return module
    return dataclasses.replace(
        module,
        apps=tuple(a for a in module.apps if a.name != DEFAULT_APP),
        routes=tuple(
            dataclasses.replace(r, owner=app) if r.owner == DEFAULT_APP else r
            for r in module.routes
        ),
    )


def _mount_prefix(child: AppObject, registration: Registration | None) -> str | None:
    # A mounted app's routes sit under the mount point; an app has no prefix of its own.
    if registration is not None and registration.prefix is not None:
        return registration.prefix
    return child.prefix


def _beaker_sessions(ctx: FileContext, func: FunctionNode) -> frozenset[str]:
    """Locals bound to the beaker session: ``s = request.environ["beaker.session"]`` or
    ``request.environ.get("beaker.session")``."""
    found = set()
    for node in walk_body(func):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and _is_beaker(ctx, node.value)
        ):
            found.add(node.targets[0].id)
    return frozenset(found)


def _is_beaker(ctx: FileContext, value: ast.expr) -> bool:
    if isinstance(value, ast.Subscript):
        key, holder = value.slice, value.value
    elif (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "get"
        and value.args
    ):
        key, holder = value.args[0], value.func.value
    else:
        return False
    return literal_str(key) == _BEAKER and ctx.names.resolve(holder) == _ENVIRON


def _session_key(ctx: FileContext, value: ast.expr, sessions: frozenset[str]) -> str | None:
    """The key of ``s["user_id"]`` / ``s.get("user_id")`` on a beaker session, else None."""
    if isinstance(value, ast.Subscript):
        key, holder = literal_str(value.slice), value.value
    elif (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "get"
        and value.args
    ):
        key, holder = literal_str(value.args[0]), value.func.value
    else:
        return None
    beaker = (isinstance(holder, ast.Name) and holder.id in sessions) or _is_beaker(ctx, holder)
    return key if beaker else None


def _string(ctx: FileContext, node: ast.expr | None) -> str | None:
    """A string literal, or a module constant of this file holding one (``COOKIE``)."""
    value = literal_str(node)
    if value is not None or not isinstance(node, ast.Name):
        return value
    for stmt in ctx.tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in stmt.targets)
            and ctx.names.resolve(node) == ctx.qualified(node.id)
        ):
            value = literal_str(stmt.value)
    return value


def _user_key(ctx: FileContext, node: ast.expr | None) -> bool:
    """Does a cookie or session key (``"user_id"``, or a constant holding it) name the user?"""
    key = _string(ctx, node)
    return key is not None and _USER_KEY.search(key) is not None


def find_user(
    ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
) -> UserAccess | None:
    """A local the handler reads the user's id into, from the signed cookie or the beaker
    session (``user_id = request.get_cookie("user_id", secret=...)``): sent where it holds
    one, as it is None for a visitor who is not logged in."""
    if not (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and not isinstance(func, ast.ClassDef)
    ):
        return None
    name = node.targets[0].id
    value = node.value
    if isinstance(value, ast.Call) and ctx.names.resolve(value.func) == _GET_COOKIE:
        if _user_key(ctx, call_arg(value, 0, "key")):
            return UserAccess("bottle.cookie", name, name)
        return None
    key = _session_key(ctx, value, _beaker_sessions(ctx, func))
    if key is not None and _USER_KEY.search(key):
        return UserAccess("beaker.session", name, name)
    return None


def _id_read(value: ast.expr) -> tuple[str, str] | None:
    """(owner, how its id is read) of ``user.id``, ``str(user.id)``, ``user["id"]``: ``("user",
    ".id")``; None for anything else."""
    if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords:
        value = value.args[0]
    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
        if _ID.fullmatch(value.attr):
            return value.value.id, f".{value.attr}"
    elif isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name):
        key = literal_str(value.slice)
        if key is not None and _ID.fullmatch(key):
            return value.value.id, f'["{key}"]'
    return None


def _id_owner(value: ast.expr) -> str | None:
    """``user`` of ``user.id``, ``str(user.id)``, ``user["id"]``; None for anything else."""
    read = _id_read(value)
    return read[0] if read is not None else None


class _BottleFile:
    """The Bottle facts of one file."""

    def __init__(self, ctx: FileContext, out: FactsBuilder) -> None:
        self.ctx = ctx
        self.out = out
        self.file = RouteFile(ctx, _CONSTRUCTORS)
        self._bodies: dict[ast.AST, BodyFacts] = {}
        #: the paths each function serves in this file, for telling logins from signups
        self._paths: dict[ast.AST, list[str]] = {}

    def collect(self) -> None:
        self.out.uses("bottle")
        for app in self.file.apps:
            value = self.file.assigned.get(app.name)
            made_by = self.ctx.names.resolve_call(value) if value is not None else None
            if made_by in DEFAULT_CALLS:
                if ".<locals>." in app.name and app.factory is None:
                    # ``app = default_app()`` in a function that serves it: the default app,
                    # hooked up where its routes are declared.
                    continue
                self.out.registrations.append(
                    Registration(_IS_DEFAULT, app.name, None, self.ctx.file, app.line)
                )
            self.out.apps.append(app)
        default_line = None
        for func in self.file.functions.values():
            scope = self.ctx.names.scope_of(func)
            for decorator in func.decorator_list:
                if not isinstance(decorator, ast.Call):
                    continue
                line = self._decorator(func, decorator, scope)
                if line is not None:
                    default_line = min(default_line or line, line)
        for node in self.ctx.nodes:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                self._call(node)
        if default_line is not None:
            self.out.apps.append(AppObject(APP, DEFAULT_APP, self.ctx.file, default_line))
        self._auth_points()

    # -- routes ---------------------------------------------------------------------------

    def _owner(self, call: ast.Call, scope: Scope) -> tuple[str, str] | None:
        """(owner, attribute) of ``@app.post(...)`` / ``@post(...)`` / ``bottle.post(...)``."""
        qualified = self.ctx.names.resolve(call.func, scope) or ""
        attr = _MODULE_ROUTES.get(qualified) or ("error" if qualified == _MODULE_ERROR else None)
        if attr is not None:
            return DEFAULT_APP, attr
        if not isinstance(call.func, ast.Attribute):
            return None
        owner = self.file.owner(call.func.value, scope)
        if owner is None or qualified.startswith("bottle."):
            return None
        return owner[0], call.func.attr

    def _decorator(self, func: FunctionNode, call: ast.Call, scope: Scope) -> int | None:
        """Record a route or error page decorator; the line, where the default app owns it."""
        found = self._owner(call, scope)
        if found is None:
            return None
        owner, attr = found
        if attr == "error":
            self._error_handler(func, call)
        elif attr in _ROUTE_ATTRS:
            methods = _methods(call_arg(call, 1, "method")) if attr == "route" else (attr.upper(),)
            if methods is None:
                return None
            for path in _paths(call_arg(call, 0, "path")):
                self._add_route(
                    owner, path, methods, func, call, literal_str(call_arg(call, None, "name"))
                )
        else:
            return None
        return call.lineno if owner == DEFAULT_APP else None

    def _call(self, call: ast.Call) -> None:
        """``app.route(path, method, callback)`` and ``app.mount(prefix, child)``."""
        assert isinstance(call.func, ast.Attribute)
        scope = self.ctx.names.scope_of(call)
        found = self._owner(call, scope)
        if found is None:
            return
        owner, attr = found
        if attr == "mount":
            child = call_arg(call, 1, "app")
            prefix = literal_str(call_arg(call, 0, "prefix"))
            child_name = self.ctx.names.resolve(child, scope) if child is not None else None
            if child_name is not None:
                self.out.registrations.append(
                    Registration(owner, child_name, prefix, self.ctx.file, call.lineno)
                )
        elif attr in _ROUTE_ATTRS:
            callback = self.file.function(
                call_arg(call, 2 if attr == "route" else None, "callback"), scope
            )
            if callback is None:
                return
            methods = _methods(call_arg(call, 1, "method")) if attr == "route" else None
            methods = methods or ((attr.upper(),) if attr != "route" else None)
            if methods is None:
                return
            name = literal_str(call_arg(call, None, "name"))
            for path in _paths(call_arg(call, 0, "path")):
                self._add_route(owner, path, methods, callback, call, name)

    def _body(self, func: FunctionNode) -> BodyFacts:
        if func not in self._bodies:
            self._bodies[func] = scan_body(
                self.ctx, func, find_user, logout_calls=frozenset({_DELETE_COOKIE})
            )
        return self._bodies[func]

    def _add_route(
        self,
        owner: str,
        path: str,
        methods: tuple[str, ...],
        func: FunctionNode,
        call: ast.Call,
        name: str | None,
    ) -> None:
        self._paths.setdefault(func, []).append(path)
        self.out.routes.append(
            LocalRoute(
                framework="bottle",
                owner=owner,
                path=path,
                methods=methods,
                handler=self.ctx.handler(func),
                line=call.lineno,
                body=self._body(func),
                name=name or func.name,
            )
        )

    # -- error pages ------------------------------------------------------------------------

    def _error_handler(self, func: FunctionNode, call: ast.Call) -> None:
        target = call_arg(call, 0, "code")
        scope = self.ctx.names.scope_of(call)
        names = [error_target_name(self.ctx, target, scope)] if target is not None else ["500"]
        handler = error_handler(
            self.ctx,
            "bottle",
            func,
            names,
            call.lineno,
            # Bottle calls the page with the HTTPError it renders.
            error_param_index=0,
            http_exception_sees_server_errors=False,
        )
        # The plugin captured the exception before Bottle made the 500 page of it.
        self.out.error_handlers.append(dataclasses.replace(handler, server_error=False))

    # -- login, signup, logout ------------------------------------------------------------------

    def _login_helpers(self) -> None:
        """Functions that are no route and store their first parameter's id in the user
        cookie (``def remember(user): response.set_cookie("user_id", str(user.id))``): a
        route that calls one logs that user in, in any module (see ``link``)."""
        for func in self.file.functions.values():
            if func in self._paths or not isinstance(self.ctx.names.parent(func), ast.Module):
                continue
            params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
            for node in walk_body(func):
                if not (
                    isinstance(node, ast.Call)
                    and self.ctx.names.resolve(node.func) == _SET_COOKIE
                    and _user_key(self.ctx, call_arg(node, 0, "name"))
                ):
                    continue
                value = call_arg(node, 1, "value")
                read = _id_read(value) if value is not None else None
                if read is not None and params[:1] == [read[0]]:
                    helper = self.ctx.qualified(func.name)
                    self.out.registrations.append(
                        Registration(_LOGIN_HELPER, helper, read[1], self.ctx.file, node.lineno)
                    )
                    break

    def _helper_calls(self, func: FunctionNode, words: str) -> None:
        """Statement calls ``helper(user, ...)`` from a route whose name or path says it logs
        in or signs up: logins where ``helper`` turns out to be a login helper."""
        says_login = _LOGIN_WORDS.search(words) or SIGNUP_WORDS.search(words)
        for node in walk_body(func):
            if not (
                says_login
                and isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Call)
                and node.value.args
                and isinstance(node.value.args[0], ast.Name)
            ):
                continue
            called = self.ctx.names.resolve(node.value.func)
            if called is None:
                continue
            self.out.helper_calls.append(
                HelperCall(
                    handler=self.ctx.handler(func),
                    line=node.lineno,
                    called=called,
                    argument=node.value.args[0].id,
                    login=True,
                    signup=self._login_kind(func, node.value.args[0].id, words) == "signup",
                )
            )

    def _auth_points(self) -> None:
        self._login_helpers()
        for func, paths in self._paths.items():
            assert isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
            words = " ".join([func.name, *paths])
            sessions = _beaker_sessions(self.ctx, func)
            self._helper_calls(func, words)
            for node in walk_body(func):
                point = self._auth_point(func, node, words, sessions)
                if point is not None and point not in self.out.auth_points:
                    self.out.auth_points.append(point)
                    if point.kind != "logout":
                        break

    def _auth_point(
        self, func: FunctionNode, node: ast.AST, words: str, sessions: frozenset[str]
    ) -> AuthPoint | None:
        """A login (the user's id stored in the user cookie or the session), or a logout
        (the cookie deleted, the session ended) in a handler whose name or path says so."""
        if isinstance(node, ast.Call):
            called = self.ctx.names.resolve(node.func) or ""
            key = call_arg(node, 0, "name" if called == _SET_COOKIE else "key")
            if called == _SET_COOKIE and _user_key(self.ctx, key):
                value = call_arg(node, 1, "value")
                user = _id_owner(value) if value is not None else None
                if user is not None:
                    return self._point(
                        self._login_kind(func, user, words), func, node, user, "cookie"
                    )
                says_login = _LOGIN_WORDS.search(words) or SIGNUP_WORDS.search(words)
                if isinstance(value, ast.Name) and says_login:
                    # ``set_cookie("account", username, ...)``: the value is who the user
                    # is, as every handler reads it back.
                    kind = self._login_kind(func, value.id, words)
                    return self._point(kind, func, node, value.id, COOKIE_VALUE)
            if (
                called == _DELETE_COOKIE
                and _user_key(self.ctx, key)
                and _LOGOUT_WORDS.search(words)
            ):
                return self._point("logout", func, node, None, "cookie")
            ends = (
                isinstance(node.func, ast.Attribute)
                and node.func.attr in ("delete", "invalidate")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in sessions
            )
            if ends and _LOGOUT_WORDS.search(words):
                return self._point("logout", func, node, None, "beaker_session")
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            stored = _session_key(self.ctx, target, sessions)
            if stored is not None and _USER_KEY.search(stored):
                user = _id_owner(node.value)
                if user is not None:
                    kind = self._login_kind(func, user, words)
                    return self._point(kind, func, node, user, "beaker_session")
        return None

    def _login_kind(self, func: FunctionNode, user: str, words: str) -> AuthKind:
        """A signup where the name or path says so, or the handler built the user it stores."""
        if SIGNUP_WORDS.search(words) and not _LOGIN_WORDS.search(words):
            return "signup"
        if user_construction(func, user) is not None and not _LOGIN_WORDS.search(words):
            return "signup"
        return "login"

    def _point(
        self, kind: AuthKind, func: FunctionNode, node: ast.AST, user: str | None, mechanism: str
    ) -> AuthPoint:
        called = dotted(node.func) if isinstance(node, ast.Call) else "session"
        return AuthPoint(
            kind=kind,
            framework="bottle",
            handler=self.ctx.handler(func),
            line=getattr(node, "lineno", func.lineno),
            call=called,
            user_expression=user,
            mechanism=mechanism,
        )


analyser = BottleAnalyser()
