"""Starlette: apps and routers, route lists, endpoints, session logins, exception handlers.

Routes are ``Route(path, endpoint, methods=[...])`` entries of ``routes=[...]`` lists:
given inline to ``Starlette(...)`` / ``Router(...)`` / ``Mount(...)``, or bound to a
variable (often in another module) that those name. ``Mount(prefix, routes=...)`` and
``Mount(prefix, app=router)`` nest lists and routers under a prefix; ``app.add_route``
and ``app.mount`` do the same after the app exists. An endpoint is a function taking the
request, or an ``HTTPEndpoint`` class whose ``get`` / ``post`` / ... methods answer.
Endpoints are named by reference, so each file records the endpoints it defines and
the routes that name them, and linking joins the two. A project is Starlette's only
when its application is ``starlette.applications.Starlette`` (FastAPI builds on
Starlette, and a file importing FastAPI is FastAPI's). Users are ``request.user``
(Starlette's ``AuthenticationMiddleware``); a handler logs a user in by writing its id
into ``request.session`` and out by clearing it.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Mapping, Sequence

from posthog_setup.analysis.body import scan_body, walk_body
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.model import (
    HTTP_METHODS,
    AppKind,
    AppObject,
    AuthKind,
    AuthPoint,
    BodyFacts,
    EndpointRef,
    Framework,
    Handler,
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
    endpoints_of,
    error_handler,
    error_target_name,
    imports_any,
    join_endpoints,
    link_routes,
    literal_methods,
    literal_str,
    routes_of,
    user_construction,
)

#: Words of a file that may declare Starlette routes (substring tests, not a regex of
#: alternatives: that is tried at every position of every file).
_WORDS = ("starlette", "Route(", "Mount(", "HTTPEndpoint", "exception_handlers")
APPLICATION: AppKind = "starlette.Starlette"
_ROUTER: AppKind = "starlette.Router"
#: a ``routes`` list bound to a name, or the routes of an inline ``Mount``
_ROUTE_LIST: AppKind = "starlette.routes"
_KINDS: tuple[AppKind, ...] = (APPLICATION, _ROUTER, _ROUTE_LIST)
_CONSTRUCTORS = {
    APPLICATION: Constructor(APPLICATION),
    _ROUTER: Constructor(_ROUTER),
}
_ROUTE = "starlette.routing.Route"
_MOUNT = "starlette.routing.Mount"
_ENDPOINT_BASE = "starlette.endpoints.HTTPEndpoint"
_METHOD_ORDER = {method: index for index, method in enumerate(HTTP_METHODS)}
#: where each constructor takes its routes positionally
_ROUTES_INDEX = {APPLICATION: 1, _ROUTER: 0}
_REQUEST_CLASSES = frozenset({"starlette.requests.Request", "starlette.requests.HTTPConnection"})
_USER_KEY = re.compile(r"user|account|member", re.IGNORECASE)
STARLETTE_USER = "starlette.request.user"


class StarletteConventions(PlainConventions):
    """Starlette's guarantees: a matched route's ``request.path_params`` holds its parameters."""

    def url_value(self, handler: Handler, param: str) -> str | None:
        request = _request_param(handler)
        return f'{request}.path_params["{param}"]' if request is not None else None


def _request_param(handler: Handler) -> str | None:
    """The parameter an endpoint gets the request in: its first (after ``self``)."""
    params = handler.params[1:] if handler.params[:1] == ("self",) else handler.params
    return params[0] if params else None


class StarletteAnalyser:
    """Finds Starlette apps, route lists, endpoints, exception handlers and session logins."""

    name: Framework = "starlette"
    packages: tuple[str, ...] = ("starlette",)
    app_kinds: tuple[str, ...] = ("starlette",)
    primary_kind = APPLICATION
    spellings: Mapping[str, str] = {
        "starlette.applications.": "starlette.",
        "starlette.routing.Router": "starlette.Router",
    }

    def wants(self, source: str) -> bool:
        """Could this file declare anything Starlette? (A text test; false positives are fine.)"""
        return any(w in source for w in _WORDS)

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the apps, route lists, endpoints, error handlers and auth points of one file."""
        if imports_any(ctx, ("fastapi",)) or not imports_any(ctx, self.packages):
            return
        _StarletteFile(ctx, out).collect()

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Join routes to their endpoints and resolve prefixes through mounts."""
        if not any(app.kind == APPLICATION for module in facts for app in module.apps):
            return Linked()
        # An endpoint's name is what routes call it by (see ``_endpoint``).
        endpoints = endpoints_of(self.name, facts)
        resolved = join_endpoints(
            self.name, facts, lambda ref: routes_of(ref, endpoints.get(ref.endpoint, []))
        )
        linked = link_routes("starlette", resolved, _KINDS, _mount_prefix)
        return dataclasses.replace(linked, conventions=StarletteConventions())


def _mount_prefix(child: AppObject, registration: Registration | None) -> str | None:
    # A Mount's prefix comes from where it mounts; a route list has none of its own.
    return registration.prefix if registration is not None else child.prefix


def user_read(func: FunctionNode | ast.ClassDef, node: ast.AST) -> str | None:
    """The name ``<name>.user`` is read on, where ``node`` is that read in a function."""
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "user"
        and isinstance(node.value, ast.Name)
        and isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
    ):
        return node.value.id
    return None


def find_user(
    ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
) -> UserAccess | None:
    """``request.user`` read on the endpoint's request parameter."""
    read = user_read(func, node)
    if read is None or not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    if read != _first_param(func):
        return None
    spelled = f"{read}.user"
    return UserAccess(STARLETTE_USER, f"{spelled}.id", f"{spelled}.is_authenticated")


def _takes_request(ctx: FileContext, func: FunctionNode) -> bool:
    """Is the first parameter a request: called ``request``, or annotated ``Request``?"""
    params = [*func.args.posonlyargs, *func.args.args]
    if not params:
        return False
    first = params[0]
    if first.arg == "request":
        return True
    scope = ctx.names.scope_of(func)
    annotation = first.annotation
    return annotation is not None and ctx.names.resolve(annotation, scope) in _REQUEST_CLASSES


def _first_param(func: FunctionNode) -> str | None:
    params = [*func.args.posonlyargs, *func.args.args]
    if params and params[0].arg in ("self", "cls"):
        params = params[1:]
    return params[0].arg if params else None


class _StarletteFile:
    """The Starlette facts of one file."""

    def __init__(self, ctx: FileContext, out: FactsBuilder) -> None:
        self.ctx = ctx
        self.out = out
        self.file = RouteFile(ctx, _CONSTRUCTORS)
        self._mounts = 0
        #: what this file's own routes name, endpoints whatever their parameters are called
        self._named: set[str] = set()
        self._bodies: dict[ast.AST, BodyFacts] = {}

    def collect(self) -> None:
        self.out.uses("starlette")
        self.out.apps.extend(self.file.apps)
        for app in self.file.apps:
            call = self.file.assigned.get(app.name)
            if isinstance(call, ast.Call):
                scope = self.ctx.names.scope_of(call)
                routes = call_arg(call, _ROUTES_INDEX[app.kind], "routes")
                self._attach(app.name, routes, scope, None)
                self._exception_handlers(call_arg(call, None, "exception_handlers"), scope)
        for qualified, value in self.file.assigned.items():
            if isinstance(value, (ast.List, ast.Tuple)) and self._is_route_list(value):
                line = value.lineno
                self.out.apps.append(AppObject(_ROUTE_LIST, qualified, self.ctx.file, line))
                self._attach(qualified, value, self.ctx.names.scope_of(value), None)
        # Decorators (Starlette before 1.0): ``@app.route(path, methods=...)``.
        for func, found in self.file.decorated({"route", "exception_handler"}):
            if found.kind not in (APPLICATION, _ROUTER):
                continue
            scope = self.ctx.names.scope_of(func)
            if found.attr == "exception_handler":
                target = call_arg(found.call, 0, "exc_class_or_status_code")
                if target is not None:
                    self._error_handler(func, target, scope, found.call.lineno)
                continue
            path = literal_str(call_arg(found.call, 0, "path"))
            if path is not None:
                target_name = self.ctx.names.qualname_of(func)
                self._named.add(self.ctx.qualified(target_name))
                self.out.endpoint_refs.append(
                    EndpointRef(
                        framework="starlette",
                        owner=found.owner,
                        path=path,
                        methods=literal_methods(call_arg(found.call, None, "methods")),
                        endpoint=self.ctx.qualified(target_name),
                        line=found.call.lineno,
                        name=literal_str(call_arg(found.call, None, "name")),
                    )
                )
        for found in self.file.calls({"add_route", "mount", "add_exception_handler"}):
            if found.kind not in (APPLICATION, _ROUTER):
                continue
            call, scope = found.call, self.ctx.names.scope_of(found.call)
            if found.attr == "add_route":
                self._route(found.owner, call, scope)
            elif found.attr == "mount":
                self._mount(found.owner, call, scope)
            else:
                handler = self.file.function(call_arg(call, 1, "handler"), scope)
                target = call_arg(call, 0, "exc_class_or_status_code")
                if handler is not None and target is not None:
                    self._error_handler(handler, target, scope, call.lineno)
        self._endpoints()

    # -- route lists --------------------------------------------------------------------------

    def _is_route_list(self, value: ast.List | ast.Tuple) -> bool:
        return any(
            isinstance(e, ast.Call) and self.ctx.names.resolve_call(e) in (_ROUTE, _MOUNT)
            for e in value.elts
        )

    def _attach(
        self, owner: str, routes: ast.expr | None, scope: Scope, prefix: str | None
    ) -> None:
        """Put ``routes`` (a literal list, a name bound to one, ``a + b``) under ``owner``."""
        if routes is None:
            return
        if isinstance(routes, ast.BinOp) and isinstance(routes.op, ast.Add):
            self._attach(owner, routes.left, scope, prefix)
            self._attach(owner, routes.right, scope, prefix)
        elif isinstance(routes, (ast.List, ast.Tuple)):
            for element in routes.elts:
                if isinstance(element, ast.Starred):
                    self._attach(owner, element.value, scope, prefix)
                elif isinstance(element, ast.Call):
                    called = self.ctx.names.resolve_call(element, scope)
                    if called == _ROUTE:
                        self._route(owner, element, scope)
                    elif called == _MOUNT:
                        self._mount(owner, element, scope)
        elif isinstance(routes, (ast.Name, ast.Attribute)):
            child = self.ctx.names.resolve(routes, scope)
            if child is not None and child != owner:
                self.out.registrations.append(
                    Registration(owner, child, prefix, self.ctx.file, routes.lineno)
                )

    def _route(self, owner: str, call: ast.Call, scope: Scope) -> None:
        """``Route(path, endpoint, methods=...)`` or ``app.add_route(path, endpoint, ...)``."""
        path = literal_str(call_arg(call, 0, "path"))
        endpoint = call_arg(call, 1, "endpoint") or call_arg(call, 1, "route")
        if path is None or not isinstance(endpoint, (ast.Name, ast.Attribute)):
            return
        target = self.ctx.names.resolve(endpoint, scope)
        if target is None:
            return
        self._named.add(target)
        self.out.endpoint_refs.append(
            EndpointRef(
                framework="starlette",
                owner=owner,
                path=path,
                methods=literal_methods(call_arg(call, 2, "methods")),
                endpoint=target,
                line=call.lineno,
                name=literal_str(call_arg(call, None, "name")),
            )
        )

    def _mount(self, owner: str, call: ast.Call, scope: Scope) -> None:
        """``Mount(prefix, routes=[...])`` / ``Mount(prefix, app=router)``: a child under a prefix."""
        prefix = literal_str(call_arg(call, 0, "path"))
        if prefix is None:
            return
        inner = call_arg(call, None, "routes")
        if isinstance(inner, (ast.List, ast.Tuple, ast.BinOp)):
            # An inline list is an owner of its own, mounted under the prefix.
            self._mounts += 1
            name = f"{owner}.<mount {self._mounts}>"
            self.out.apps.append(AppObject(_ROUTE_LIST, name, self.ctx.file, call.lineno))
            self.out.registrations.append(
                Registration(owner, name, prefix, self.ctx.file, call.lineno)
            )
            self._attach(name, inner, scope, None)
            return
        self._attach(owner, inner or call_arg(call, 1, "app"), scope, prefix)

    # -- endpoints ----------------------------------------------------------------------------

    def _endpoints(self) -> None:
        """Every module-level function that takes a request (or that a route here names), and
        every ``HTTPEndpoint`` method: routes in any module may name them."""
        for qualified, func in self.file.functions.items():
            at_module_level = self.ctx.names.scope_of(func) is self.ctx.names.module_scope
            if qualified in self._named or (at_module_level and _takes_request(self.ctx, func)):
                self._endpoint(func, (), None)
        for cls in self.file.classes.values():
            if not self._is_endpoint_class(cls, frozenset()):
                continue
            for method in self._verbs_of(cls, frozenset()):
                self._endpoint(method, (method.name.upper(),), method.name, cls)

    def _endpoint(
        self,
        func: FunctionNode,
        methods: tuple[str, ...],
        action: str | None,
        cls: ast.ClassDef | None = None,
    ) -> None:
        body = self._bodies.get(func)
        if body is None:
            body = self._bodies[func] = scan_body(self.ctx, func, find_user)
            self._auth_point(func, body)
        # Routes name the function, or the class (which may inherit the method from a base).
        named = cls if cls is not None else func
        self.out.endpoints.append(
            LocalRoute(
                framework="starlette",
                owner="",
                path="",
                methods=methods,
                handler=self.ctx.handler(func),
                line=func.lineno,
                body=body,
                name=self.ctx.qualified(self.ctx.names.qualname_of(named)),
                view_kind="HTTPEndpoint" if action else None,
                action=action,
            )
        )

    def _is_endpoint_class(self, cls: ast.ClassDef, seen: frozenset[str]) -> bool:
        scope = self.ctx.names.scope_of(cls)
        for base in cls.bases:
            qualified = self.ctx.names.resolve(base, scope) or ""
            if qualified == _ENDPOINT_BASE:
                return True
            local = self.file.classes.get(qualified)
            if (
                local is not None
                and qualified not in seen
                and self._is_endpoint_class(local, seen | {qualified})
            ):
                return True
        return False

    def _verbs_of(self, cls: ast.ClassDef, seen: frozenset[str]) -> list[FunctionNode]:
        found = [
            node
            for node in cls.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name in VERB_SHORTCUTS
        ]
        scope = self.ctx.names.scope_of(cls)
        for base in cls.bases:
            qualified = self.ctx.names.resolve(base, scope) or ""
            local = self.file.classes.get(qualified)
            if local is not None and qualified not in seen:
                names = {f.name for f in found}
                inherited = self._verbs_of(local, seen | {qualified})
                found.extend(f for f in inherited if f.name not in names)
        return sorted(found, key=lambda f: _METHOD_ORDER.get(f.name.upper(), 0))

    # -- exception handlers -------------------------------------------------------------------

    def _exception_handlers(self, handlers: ast.expr | None, scope: Scope) -> None:
        """``exception_handlers={404: fn, Exception: fn}``, inline or bound to a name here."""
        if isinstance(handlers, (ast.Name, ast.Attribute)):
            qualified = self.ctx.names.resolve(handlers, scope)
            handlers = self.file.assigned.get(qualified) if qualified else None
        if not isinstance(handlers, ast.Dict):
            return
        for key, value in zip(handlers.keys, handlers.values, strict=True):
            func = self.file.function(value, scope)
            if key is not None and func is not None:
                self._error_handler(func, key, scope, key.lineno)

    def _error_handler(self, func: FunctionNode, target: ast.expr, scope: Scope, line: int) -> None:
        self.out.error_handlers.append(
            error_handler(
                self.ctx,
                "starlette",
                func,
                [error_target_name(self.ctx, target, scope)],
                line,
                # Starlette calls handler(request, exc).
                error_param_index=1,
                http_exception_sees_server_errors=False,
            )
        )

    # -- session login and logout -------------------------------------------------------------

    def _auth_point(self, func: FunctionNode, body: BodyFacts) -> None:
        """``request.session["user_id"] = user.id`` logs in; clearing the session logs out."""
        request = _first_param(func)
        for node in walk_body(func):
            kind: AuthKind | None = None
            user: str | None = None
            if isinstance(node, ast.Assign):
                target = node.targets[0]
                if _session_key(target, request) is not None:
                    kind = "signup" if self._is_signup(func, node.value, body) else "login"
                    user = _user_object(node.value)
            elif _ends_session(node, request):
                kind = "logout"
            if kind is None or not isinstance(node, ast.stmt | ast.expr):
                continue
            self.out.auth_points.append(
                AuthPoint(
                    kind=kind,
                    framework="starlette",
                    handler=self.ctx.handler(func),
                    line=node.lineno,
                    call=f"{request}.session",
                    user_expression=user,
                    mechanism="session",
                )
            )
            return

    def _is_signup(self, func: FunctionNode, value: ast.expr, body: BodyFacts) -> bool:
        """Its name says so, or it built the user it logs in and wrote it."""
        if SIGNUP_WORDS.search(func.name):
            return True
        user = _user_object(value)
        if user is None or user_construction(func, user) is None:
            return False
        return any(e.mutating for e in body.evidence)


def _is_session(node: ast.expr, request: str | None) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "session"
        and isinstance(node.value, ast.Name)
        and node.value.id == request
    )


def _ends_session(node: ast.AST, request: str | None) -> bool:
    """``del request.session["user_id"]``, ``request.session.clear()`` or ``.pop("user_id")``."""
    if isinstance(node, ast.Delete):
        return any(_session_key(t, request) is not None for t in node.targets)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("clear", "pop")
        and _is_session(node.func.value, request)
        and (node.func.attr == "clear" or _names_user(call_arg(node, 0, "key")))
    )


def _names_user(key: ast.expr | None) -> bool:
    value = literal_str(key)
    return value is not None and _USER_KEY.search(value) is not None


def _session_key(target: ast.expr, request: str | None) -> str | None:
    """The key of ``request.session["user_id"]`` when it names the user, else None."""
    if not (isinstance(target, ast.Subscript) and _is_session(target.value, request)):
        return None
    return literal_str(target.slice) if _names_user(target.slice) else None


def _user_object(value: ast.expr) -> str | None:
    """``user`` in ``user.id`` / ``str(user.id)``: the object whose key the session keeps."""
    if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords:
        value = value.args[0]
    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
        return value.value.id
    return None


analyser = StarletteAnalyser()
