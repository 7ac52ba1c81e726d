"""Litestar: apps, routers, controllers, handler functions, exception handlers and logins.

A Litestar route is a function decorated with ``@get`` / ``@post`` / ``@put`` / ``@patch`` /
``@delete`` / ``@route(http_method=...)``: a module function, or a method of a
``Controller`` subclass whose ``path`` attribute prefixes its routes. Handlers and
controllers are mounted by listing them: ``Litestar([...])`` / ``Litestar(route_handlers=[...])``
and ``Router(path=..., route_handlers=[...])``, routers nesting in each other. So each
controller and each module-level handler is a route owner of its own (a root when nothing
lists it, as in apps that register their controllers through a plugin), and each list entry
is a registration under the app or router that lists it. Path prefixes add up: router path,
controller path, handler path. Path parameters are written ``{name:type}``.

A handler reaches the current user through ``request.user`` (a ``request`` parameter, or
any parameter annotated ``Request[...]``) or through a dependency parameter named for the
user (``current_user: User``). A user logs in where a handler that checked credentials
stores them in the session (``request.set_session(...)``) or issues the token
(``auth.login(...)`` of Litestar's JWT backends), and logs out where the session is cleared.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from posthog_setup.analysis.body import dotted, scan_body, settle, walk_body
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.model import (
    AppKind,
    AppObject,
    AuthKind,
    AuthPoint,
    BodyFacts,
    Evidence,
    Framework,
    LocalRoute,
    ModuleFacts,
    Registration,
    UserAccess,
)
from posthog_setup.analysis.reach import INHERITED_WRITES
from posthog_setup.analysis.routing import (
    SIGNUP_WORDS,
    VERB_SHORTCUTS,
    call_arg,
    error_handler,
    error_target_name,
    imports_any,
    is_server_error,
    link_routes,
    literal_str,
    named_assignments,
    with_user,
)

APP = "litestar.Litestar"
ROUTER = "litestar.Router"
CONTROLLER = "litestar.Controller"
#: a handler function outside any controller: the owner of its own route
HANDLER = "litestar.handler"
_KINDS: tuple[AppKind, ...] = (APP, ROUTER, CONTROLLER, HANDLER)
_REQUEST = frozenset({"litestar.Request", "litestar.connection.Request"})
#: the parent of a registration that says "this function handles that exception or status"
_HANDLES = "<exception_handlers>"

_WANTS = re.compile(r"litestar")
_ROUTE_DECORATORS = {f"litestar.{verb}": verb.upper() for verb in VERB_SHORTCUTS} | {
    "litestar.head": "HEAD",
    "litestar.route": "",
}
_USER_PARAMETER = re.compile(r"^(current_|authed_|logged_in_|request_)?(user|account|member)$")
_AUTHENTICATES = re.compile(
    r"authenticate|verify_password|check_password|verify_credentials|check_credentials",
    re.IGNORECASE,
)
#: what a security backend is called where its ``login(...)`` issues a token
_TOKEN_BACKEND = re.compile(r"(^|_)(auth|jwt|jwt_auth|oauth2?)$", re.IGNORECASE)
_REFRESH = re.compile(r"refresh", re.IGNORECASE)
_LOGOUT_WORDS = re.compile(r"log_?out|sign_?out", re.IGNORECASE)
_USER_WORDS = re.compile(r"user|account|member", re.IGNORECASE)
_CREATES = re.compile(r"create|register|add|insert|save|new", re.IGNORECASE)
#: A call that hands the user a credential: ``create_access_token(...)``,
#: ``issue_token(...)``, ``jwt.encode(...)``.
_ISSUES = re.compile(r"^(?:(?:create|issue|generate|make|encode)_\w*token|encode)$")
#: A call that answers the user an OAuth provider vouched for (``get_or_create_oauth_user``).
_OAUTH = re.compile(r"oauth", re.IGNORECASE)
#: How far a route's calls are followed to the function of its module that logs in.
_HELPER_DEPTH = 2


class LitestarAnalyser:
    """Finds Litestar apps, routers, controllers, routes, exception handlers and logins."""

    name: Framework = "litestar"
    packages: tuple[str, ...] = ("litestar",)
    app_kinds: tuple[str, ...] = ("litestar",)
    primary_kind = APP
    spellings: Mapping[str, str] = {
        "litestar.app.": "litestar.",
        "litestar.router.": "litestar.",
        "litestar.controller.": "litestar.",
        "litestar.handlers.": "litestar.",
        "litestar.handlers.http_handlers.": "litestar.",
        "litestar.handlers.http_handlers.decorators.": "litestar.",
        "litestar.connection.request.Request": "litestar.Request",
    }

    def wants(self, source: str) -> bool:
        """Could this file declare anything Litestar? (A text test; false positives are fine.)"""
        return _WANTS.search(source) is not None

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the apps, owners, routes, registrations, exception handlers and auth points."""
        if imports_any(ctx, self.packages) or _imports_inside(ctx.tree):
            _LitestarFile(ctx, out).collect()

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Resolve every route's full path through the routers and controllers that hold it,
        and each exception handler's targets through the mappings that register it."""
        linked = link_routes("litestar", facts, _KINDS, _mount_prefix)
        targets: dict[str, list[str]] = {}
        for module in facts:
            for registration in module.registrations:
                if registration.parent == _HANDLES and registration.prefix is not None:
                    handled = targets.setdefault(registration.child, [])
                    if registration.prefix not in handled:
                        handled.append(registration.prefix)
        handlers = []
        for handler in linked.error_handlers:
            qualified = f"{handler.handler.module}.{handler.handler.qualname}".lstrip(".")
            handles = targets.get(qualified) or _reexported(targets, qualified)
            if handles:
                server = any(
                    is_server_error(t, http_exception_sees_server_errors=False) for t in handles
                )
                handlers.append(replace(handler, handles=tuple(handles), server_error=server))
        return replace(linked, error_handlers=tuple(handlers))


def _reexported(targets: Mapping[str, list[str]], qualified: str) -> list[str]:
    """The targets registered under a package's re-export of ``qualified`` (``pkg.fn`` for
    ``pkg.errors.fn``), where exactly one registered name can mean it."""
    local = qualified.rsplit(".", 1)[-1]
    found = [
        handles
        for name, handles in targets.items()
        if name.rsplit(".", 1)[-1] == local and qualified.startswith(name.rsplit(".", 1)[0] + ".")
    ]
    return found[0] if len(found) == 1 else []


def _imports_inside(tree: ast.Module) -> bool:
    """Does a function import Litestar (an app factory that imports it late)?"""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            modules = [node.module or ""] if node.level == 0 else []
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        if any(module.split(".", 1)[0] == "litestar" for module in modules):
            return True
    return False


#: Methods of a data service (``users_service.update(...)``) that write: a repository's.
_SERVICE_WRITES = INHERITED_WRITES
_SERVICE = re.compile(r"(^|_)service$", re.IGNORECASE)
#: A project's own service method named for the change it makes (``reset_password_with_token``,
#: ``unlink_oauth_account``): its first word is a verb that writes.
_SERVICE_WRITE_VERB = re.compile(r"^(create|update|delete|upsert|reset|unlink|link|revoke)_")
#: ... unless it answers a credential (``create_refresh_token``): that is a login's, not a write.
_SERVICE_TOKEN = re.compile(r"^create_(\w+_)?token$")


def _writes_through_service(method: str) -> bool:
    if method in _SERVICE_WRITES:
        return True
    return bool(_SERVICE_WRITE_VERB.match(method)) and not _SERVICE_TOKEN.search(method)


def _service_writes(func: FunctionNode, known: set[int]) -> list[Evidence]:
    """Writes through a service object: ``await <x>_service.update(...)``."""
    found = []
    for node in walk_body(func):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and _writes_through_service(node.func.attr)
            and node.lineno not in known
        ):
            receiver = dotted(node.func.value)
            if _SERVICE.search(receiver.rsplit(".", 1)[-1]):
                detail = f"{receiver}.{node.func.attr}() writes through the service"
                found.append(Evidence("write", detail, node.lineno, True))
    return found


def _mount_prefix(child: AppObject, registration: Registration | None) -> str | None:
    # Litestar's rule: a route's path is every layer's own path, outermost first.
    return child.prefix


def _paths(node: ast.expr | None) -> list[str] | None:
    """A route's paths: ``"/x"``, ``["/a", "/b"]``, or none given (the layer's own); None if
    computed."""
    if node is None:
        return [""]
    value = literal_str(node)
    if value is not None:
        return [value]
    if isinstance(node, (ast.List, ast.Tuple)):
        found = [literal_str(element) for element in node.elts]
        if all(path is not None for path in found):
            return [path for path in found if path is not None]
    return None


def _http_methods(node: ast.expr | None) -> tuple[str, ...]:
    """``http_method=`` of ``@route``: ``"POST"``, ``HttpMethod.POST`` or a list of them."""
    elements = node.elts if isinstance(node, (ast.List, ast.Tuple, ast.Set)) else [node]
    methods: list[str] = []
    for element in elements:
        if element is None:
            continue
        value = literal_str(element)
        if value is None and isinstance(element, ast.Attribute):
            value = element.attr
        if value is not None and value.upper() not in methods:
            methods.append(value.upper())
    return tuple(methods)


def _first_call_reading_id(func: FunctionNode, name: str, *, after: int) -> ast.Call | None:
    """The first call of a statement of the handler's own body (not a branch) after line
    ``after`` that is given ``<name>.id`` or ``<name>.pk``."""
    simple = (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)
    for statement in func.body:
        if statement.lineno <= after or not isinstance(statement, simple):
            continue
        for node in ast.walk(statement):
            if not isinstance(node, ast.Call):
                continue
            values = [*node.args, *(k.value for k in node.keywords)]
            if any(
                isinstance(v, ast.Attribute)
                and v.attr in ("id", "pk")
                and isinstance(v.value, ast.Name)
                and v.value.id == name
                for v in values
            ):
                return node
    return None


def _owner_name(expr: ast.expr) -> str | None:
    """``user`` of ``user.email`` or ``str(user.id)``."""
    if isinstance(expr, ast.Call) and len(expr.args) == 1:
        expr = expr.args[0]
    while isinstance(expr, ast.Attribute):
        expr = expr.value
        if isinstance(expr, ast.Name):
            return expr.id
    return None


class _LitestarFile:
    """The Litestar facts of one file."""

    def __init__(self, ctx: FileContext, out: FactsBuilder) -> None:
        self.ctx = ctx
        self.out = out
        self.functions: dict[str, FunctionNode] = {}
        for node in ctx.nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[ctx.names.scope_for_def(node).qualname] = node

    def collect(self) -> None:
        self.out.uses("litestar")
        for node in self.ctx.nodes:
            if isinstance(node, ast.ClassDef):
                self._controller(node)
            elif isinstance(node, ast.Call):
                kind = self.ctx.names.resolve_call(node, self.ctx.names.scope_of(node))
                if kind in (APP, ROUTER):
                    self._layer(node, kind)
                # The app, a router, a route decorator or an AppConfig: every layer takes them.
                handlers_map = call_arg(node, None, "exception_handlers")
                if isinstance(handlers_map, ast.Dict):
                    self._exception_handlers(handlers_map)
        for func in self.functions.values():
            parent = self.ctx.names.parent(func)
            if not isinstance(parent, ast.ClassDef):
                self._handler_function(func)
            if isinstance(parent, ast.Module):
                self._error_handler_candidate(func)

    # -- owners -----------------------------------------------------------------------------

    def _layer(self, call: ast.Call, kind: str) -> None:
        """A ``Litestar(...)`` or ``Router(...)`` call: an owner and what it lists."""
        name, factory = self._layer_name(call)
        prefix = ""
        if kind == ROUTER:
            prefix = literal_str(call_arg(call, 0, "path")) or ""
        self.out.apps.append(AppObject(kind, name, self.ctx.file, call.lineno, factory, prefix))
        handlers = call_arg(call, 0 if kind == APP else 1, "route_handlers")
        if isinstance(handlers, (ast.List, ast.Tuple)):
            for element in handlers.elts:
                child = self._child_name(element)
                if child is not None:
                    self.out.registrations.append(
                        Registration(name, child, None, self.ctx.file, element.lineno)
                    )

    def _layer_name(self, call: ast.Call) -> tuple[str, str | None]:
        """The qualified name of the object a call creates, and the factory that returns it.

        ``app = Litestar(...)`` is ``app``; a call that is returned, listed or passed on
        directly gets a name of its own from where it is written.
        """
        parent = self.ctx.names.parent(call)
        scope = self.ctx.names.scope_of(call)
        func = (
            scope.node if isinstance(scope.node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        )
        if isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            target = targets[0]
            if isinstance(target, ast.Name):
                qualified = self.ctx.names.resolve(target, scope)
                if qualified is not None:
                    return qualified, self._returns(func, target.id)
        anonymous = self.ctx.qualified(f"<{dotted(call.func) or 'app'}@{call.lineno}>")
        returned = isinstance(parent, ast.Return) and func is not None
        return anonymous, self.ctx.names.qualname_of(func) if returned and func else None

    def _returns(self, func: FunctionNode | None, local: str) -> str | None:
        if func is None:
            return None
        for node in walk_body(func):
            if (
                isinstance(node, ast.Return)
                and isinstance(node.value, ast.Name)
                and node.value.id == local
            ):
                return self.ctx.names.qualname_of(func)
        return None

    def _child_name(self, element: ast.expr) -> str | None:
        """What a ``route_handlers`` entry names: a handler, controller or router."""
        if isinstance(element, ast.Call):
            if self.ctx.names.resolve_call(element, self.ctx.names.scope_of(element)) == ROUTER:
                return self._layer_name(element)[0]
            return None
        return self.ctx.names.resolve(element, self.ctx.names.scope_of(element))

    def _controller(self, node: ast.ClassDef) -> None:
        """A class whose methods are route handlers: a ``Controller`` and its ``path``."""
        scope = self.ctx.names.scope_of(node)
        is_controller = any(self.ctx.names.resolve(b, scope) == CONTROLLER for b in node.bases)
        methods = [
            (stmt, spec)
            for stmt in node.body
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
            for spec in self._route_specs(stmt)
        ]
        if not is_controller and not methods:
            return
        prefix = ""
        for target, value in named_assignments(node.body):
            if target.id == "path":
                prefix = literal_str(value) or ""
            elif target.id == "exception_handlers" and isinstance(value, ast.Dict):
                self._exception_handlers(value)
        owner = self.ctx.qualified(self.ctx.names.qualname_of(node))
        self.out.apps.append(AppObject(CONTROLLER, owner, self.ctx.file, node.lineno, None, prefix))
        for func, (paths, methods_of, call) in methods:
            for path in paths:
                self._add_route(owner, path, methods_of, func, call)

    def _handler_function(self, func: FunctionNode) -> None:
        specs = list(self._route_specs(func))
        if not specs:
            return
        owner = self.ctx.qualified(self.ctx.names.qualname_of(func))
        self.out.apps.append(AppObject(HANDLER, owner, self.ctx.file, func.lineno))
        for paths, methods, call in specs:
            for path in paths:
                self._add_route(owner, path, methods, func, call)

    # -- routes -------------------------------------------------------------------------------

    def _route_specs(
        self, func: FunctionNode
    ) -> Iterator[tuple[list[str], tuple[str, ...], ast.expr]]:
        """(paths, methods, decorator) of each Litestar route decorator on ``func``."""
        scope = self.ctx.names.scope_of(func)
        for decorator in func.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            verb = _ROUTE_DECORATORS.get(self.ctx.names.resolve(target, scope) or "")
            if verb is None:
                continue
            call = decorator if isinstance(decorator, ast.Call) else None
            paths = _paths(call_arg(call, 0, "path") if call is not None else None)
            if paths is None:
                continue
            methods: tuple[str, ...] = (verb,) if verb else ()
            if not verb and call is not None:
                methods = _http_methods(call_arg(call, None, "http_method"))
            if methods:
                yield paths, methods, decorator

    def _body(self, func: FunctionNode) -> BodyFacts:
        body = scan_body(self.ctx, func)
        writes = _service_writes(func, {e.line for e in body.evidence if e.mutating})
        if writes:
            # The service layer Litestar apps write through (advanced-alchemy's services).
            change = max([*(e.line for e in writes), body.change_line or 0])
            body = settle(
                self.ctx,
                func,
                replace(body, evidence=(*body.evidence, *writes), change_line=change),
            )
        return with_user(body, self._user(func))

    def _user(self, func: FunctionNode) -> UserAccess | None:
        """``current_user: User`` (a dependency), else ``request.user`` of the request parameter."""
        params = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        for arg in params:
            if _USER_PARAMETER.match(arg.arg) and arg.annotation is not None:
                return UserAccess("litestar.dependency", f"{arg.arg}.id")
        request = self._request_parameter(func)
        if request is not None:
            return UserAccess("litestar.request.user", f"{request}.user.id")
        return None

    def _request_parameter(self, func: FunctionNode) -> str | None:
        scope = self.ctx.names.scope_of(func)
        for arg in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]:
            annotation = arg.annotation
            if isinstance(annotation, ast.Subscript):
                annotation = annotation.value
            if annotation is not None and self.ctx.names.resolve(annotation, scope) in _REQUEST:
                return arg.arg
        names = [a.arg for a in func.args.args]
        return "request" if "request" in names else None

    def _add_route(
        self,
        owner: str,
        path: str,
        methods: tuple[str, ...],
        func: FunctionNode,
        line_node: ast.expr,
    ) -> None:
        body = self._body(func)
        self.out.routes.append(
            LocalRoute(
                framework="litestar",
                owner=owner,
                path=path,
                methods=methods,
                handler=self.ctx.handler(func),
                line=line_node.lineno,
                body=body,
                name=func.name,
            )
        )
        self._auth_point(func, path, methods, body)

    # -- exception handlers -------------------------------------------------------------------

    def _exception_handlers(self, mapping: ast.Dict) -> None:
        """``exception_handlers={Exc: fn, 500: fn}``: each entry is a registration of ``fn``
        (often defined in another module) for its target, matched at link time."""
        for key, value in zip(mapping.keys, mapping.values, strict=True):
            if key is None:
                continue
            function = self.ctx.names.resolve(value, self.ctx.names.scope_of(value))
            if function is None:
                continue
            target = error_target_name(self.ctx, key, self.ctx.names.scope_of(key))
            self.out.registrations.append(
                Registration(_HANDLES, function, target, self.ctx.file, key.lineno)
            )

    def _error_handler_candidate(self, func: FunctionNode) -> None:
        """A module function shaped like an exception handler, ``(request, exc)``: what it
        handles is known once the registrations are linked."""
        params = [*func.args.posonlyargs, *func.args.args]
        if len(params) != 2 or func.decorator_list:
            return
        scope = self.ctx.names.scope_of(func)
        first = params[0].annotation
        if isinstance(first, ast.Subscript):
            first = first.value
        by_type = first is not None and self.ctx.names.resolve(first, scope) in _REQUEST
        if not by_type and params[0].arg not in ("request", "req", "_request", "connection"):
            return
        self.out.error_handlers.append(
            error_handler(
                self.ctx,
                "litestar",
                func,
                [],
                func.lineno,
                # Litestar calls handler(request, exc).
                error_param_index=1,
                http_exception_sees_server_errors=False,
            )
        )

    # -- login, signup, logout ----------------------------------------------------------------

    def _auth_point(
        self, func: FunctionNode, path: str, methods: tuple[str, ...], body: BodyFacts
    ) -> None:
        words = f"{func.name} {path}"
        point = self._login(func)
        if point is None and not _REFRESH.search(words):
            point = self._issued_login(func, func) or self._login_in_helper(func, func)
        if point is None and "POST" in methods and SIGNUP_WORDS.search(words):
            point = self._signup(func, body)
        if point is None and _LOGOUT_WORDS.search(words):
            point = self._logout(func)
        if point is not None and point not in self.out.auth_points:
            self.out.auth_points.append(point)

    def _point(
        self,
        kind: AuthKind,
        func: FunctionNode,
        call: ast.Call,
        user: str | None,
        mechanism: str,
    ) -> AuthPoint:
        return AuthPoint(
            kind=kind,
            framework="litestar",
            handler=self.ctx.handler(func),
            line=call.lineno,
            call=dotted(call.func),
            user_expression=user,
            mechanism=mechanism,
        )

    def _login_in_helper(
        self, route: FunctionNode, func: FunctionNode, depth: int = _HELPER_DEPTH
    ) -> AuthPoint | None:
        """A login ``route`` leaves to a function of this module it calls (``await
        self._finish_oauth(...)``, ``await _login_from_provider(...)``, up to two calls down):
        that function gets the user from an authenticating call (``user, created = await
        users.authenticate_or_create_oauth_user(...)``) and then hands it a token or a
        session. The user is that function's local, so the code goes there."""
        if depth == 0:
            return None
        for call in (n for n in walk_body(func) if isinstance(n, ast.Call)):
            helper = self._own_function(func, call)
            if helper is None or helper is route or helper is func:
                continue
            point = self._issued_login(route, helper)
            if point is None:
                point = self._login_in_helper(route, helper, depth - 1)
            if point is not None:
                return point
        return None

    def _own_function(self, caller: FunctionNode, call: ast.Call) -> FunctionNode | None:
        """The function of this module a call reaches: ``name(...)`` of a module function,
        ``self.name(...)`` / ``cls.name(...)`` of a method of the caller's class."""
        if isinstance(call.func, ast.Name):
            resolved = self.ctx.names.resolve(call.func, self.ctx.names.scope_of(call))
            own = self.ctx.qualified(call.func.id)
            return self.functions.get(own) if resolved == own else None
        target = call.func
        if not (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id in ("self", "cls")
        ):
            return None
        owner = self.ctx.names.parent(caller)
        if not isinstance(owner, ast.ClassDef):
            return None
        return self.functions.get(f"{self.ctx.names.scope_for_def(owner).qualname}.{target.attr}")

    def _issued_login(self, route: FunctionNode, func: FunctionNode) -> AuthPoint | None:
        """``func`` binds a user from an authenticating call, then issues it a token or a
        session (a call given the user or one of its attributes): the login, there."""
        user: str | None = None
        after = 0
        for node in walk_body(func):
            if user is None and isinstance(node, ast.Assign) and len(node.targets) == 1:
                value = node.value.value if isinstance(node.value, ast.Await) else node.value
                callee = (
                    dotted(value.func).rsplit(".", 1)[-1] if isinstance(value, ast.Call) else ""
                )
                if not (_AUTHENTICATES.search(callee) or _OAUTH.search(callee)):
                    continue
                target = node.targets[0]
                if isinstance(target, ast.Tuple) and target.elts:
                    target = target.elts[0]
                if isinstance(target, ast.Name) and _USER_WORDS.search(target.id):
                    user, after = target.id, node.end_lineno or node.lineno
            elif user is not None and isinstance(node, ast.Call) and node.lineno > after:
                callee = dotted(node.func).rsplit(".", 1)[-1]
                given = [*node.args, *(k.value for k in node.keywords)]
                reads_user = any(
                    (isinstance(v, ast.Name) and v.id == user) or _owner_name(v) == user
                    for v in given
                )
                if reads_user and (_ISSUES.match(callee) or callee in ("set_session", "login")):
                    statement = self._statement_of(func, node)
                    # Sent before a ``return`` that issues it, else once it is issued.
                    mechanism = "token" if isinstance(statement, ast.Return) else "issued"
                    point = self._point("login", route, node, user, mechanism)
                    inside = None if func is route else self.ctx.handler(func)
                    return replace(point, inside=inside)
        return None

    def _statement_of(self, func: FunctionNode, node: ast.AST) -> ast.AST | None:
        """The statement of ``func``'s body that holds ``node``."""
        for statement in ast.walk(func):
            if isinstance(statement, ast.stmt) and statement is not func:
                first = statement.lineno
                last = statement.end_lineno or first
                lines = (getattr(node, "lineno", 0), getattr(node, "end_lineno", 0))
                if first <= lines[0] and lines[1] <= last and not hasattr(statement, "body"):
                    return statement
        return None

    def _login(self, func: FunctionNode) -> AuthPoint | None:
        """Where the user is stored in the session or given a token.

        A session login is ``request.set_session(...)`` after a credentials check (``user =
        await users.authenticate(...)``: the user). A token login is the ``login(...)`` of
        Litestar's security backends (``auth.login(user.email)``: the user is the object
        whose identifier it gets), wherever the credentials were checked; the code goes
        before it, as it answers with the token. Refreshing a token is not a login.
        """
        calls = [n for n in walk_body(func) if isinstance(n, ast.Call)]
        checking = [c for c in calls if _AUTHENTICATES.search(dotted(c.func))]
        user = None
        for node in walk_body(func):
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                value = node.value.value if isinstance(node.value, ast.Await) else node.value
                if value in checking:
                    user = node.targets[0].id
                    break
        after = checking[0].lineno if checking else None
        for call in calls:
            if not isinstance(call.func, ast.Attribute):
                continue
            if call.func.attr == "set_session" and after is not None and call.lineno > after:
                return self._point("login", func, call, user, "session")
            receiver = dotted(call.func.value)
            if (
                call.func.attr == "login"
                and _TOKEN_BACKEND.search(receiver)
                and not _REFRESH.search(func.name)
            ):
                owner = _owner_name(call.args[0]) if call.args else None
                return self._point("login", func, call, owner or user, "token")
        return None

    def _signup(self, func: FunctionNode, body: BodyFacts) -> AuthPoint | None:
        """A signup route: the user is known once the call that creates it returned."""
        for node in walk_body(func):
            if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
                continue
            name = node.targets[0].id
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if not isinstance(value, ast.Call) or not _USER_WORDS.search(name):
                continue
            callee = dotted(value.func).rsplit(".", 1)[-1]
            if not (callee[:1].isupper() or _CREATES.search(callee)):
                continue
            # Logged in right away: the user is known (and its id read) at the login call.
            for later in walk_body(func):
                if (
                    isinstance(later, ast.Call)
                    and later.lineno > node.lineno
                    and isinstance(later.func, ast.Attribute)
                    and later.func.attr in ("set_session", "login")
                ):
                    return self._point("signup", func, later, name, "session")
            reading = _first_call_reading_id(func, name, after=node.end_lineno or node.lineno)
            if reading is not None:
                # The handler reads the new user's id there: identify it with that id.
                return self._point("signup", func, reading, name, "created")
            if body.change_line is not None and body.change_line > node.lineno:
                changes = [
                    c
                    for c in walk_body(func)
                    if isinstance(c, ast.Call) and c.lineno == body.change_line
                ]
                if changes:
                    return self._point("signup", func, changes[0], name, "created")
            return self._point("signup", func, value, name, "created")
        return None

    def _logout(self, func: FunctionNode) -> AuthPoint | None:
        """A logout route: the session ends where it is cleared."""
        for node in walk_body(func):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("clear_session", "logout")
            ):
                return self._point("logout", func, node, None, "session")
        return None


analyser = LitestarAnalyser()
