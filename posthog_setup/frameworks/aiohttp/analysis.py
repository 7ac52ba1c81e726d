"""aiohttp: applications, sub-apps, route tables and route lists, handlers, views, logins.

Routes are registered on an application's router (``app.router.add_get(path, handler)``,
``add_post`` / ``add_put`` / ``add_patch`` / ``add_delete``, ``add_route(method, path,
handler)``, ``add_view(path, View)``), listed (``app.add_routes([web.get(path, handler),
web.view(path, View), ...])``) or declared on a ``web.RouteTableDef`` with ``@routes.post(path)``
that an app adds with ``app.add_routes(routes)``. Handlers are named by reference, often from
another module, so each file records the handlers it defines and the routes that name them,
and linking joins the two (as for Starlette). Registration often happens in a function that is
given the app (``def setup_routes(app)``): the parameter is an owner of its own, linked to
every app the function is called with. ``app.add_subapp(prefix, sub)`` mounts a whole
application under a prefix; a mounted application is served through its parent's middleware,
so only the application at the root gets the hook-up.

A handler takes the request (``async def handler(request)``), or is a method of a
``web.View`` subclass (``get`` / ``post`` / ..., reading ``self.request``). Users are what
aiohttp_security answers (``await authorized_userid(request)`` / ``check_authorized``), or a
user that the project's own middleware puts on the request (``request["user"]``), read only
where the handler reads it. aiohttp_security's ``remember(request, response, identity)`` logs a
user in with ``identity`` (what ``authorized_userid`` answers later) and ``forget`` logs out.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence

from posthog_setup.analysis import flow
from posthog_setup.analysis.body import UserFinder, dotted, scan_body, walk_body
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.flow import Proof
from posthog_setup.analysis.model import (
    HTTP_METHODS,
    Anchor,
    AppKind,
    AppObject,
    AuthKind,
    AuthPoint,
    BodyFacts,
    EndpointRef,
    Evidence,
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
    imports_any,
    join_endpoints,
    link_routes,
    literal_str,
    passed_names,
    with_user,
)

APPLICATION: AppKind = "aiohttp.Application"
#: an application mounted under another with ``add_subapp``: served through its root's hook-up
SUBAPP: AppKind = "aiohttp.subapp"
_TABLE: AppKind = "aiohttp.RouteTableDef"
#: the app a registration function is given (``def setup_routes(app)``)
_PARAMETER: AppKind = "aiohttp.parameter"
#: a list of route definitions bound to a name (``routes = [web.get(...), ...]``)
_ROUTE_LIST: AppKind = "aiohttp.routes"
_KINDS: tuple[AppKind, ...] = (APPLICATION, SUBAPP, _TABLE, _PARAMETER, _ROUTE_LIST)
_CONSTRUCTORS = {
    "aiohttp.web.Application": Constructor(APPLICATION),
    "aiohttp.web.RouteTableDef": Constructor(_TABLE),
}
_VIEW = "aiohttp.web.View"
_REQUEST = frozenset({"aiohttp.web.Request", "aiohttp.web.BaseRequest"})
#: ``web.get(path, handler)`` and its kind: the route definitions of ``add_routes([...])``
_DEFINITIONS = {f"aiohttp.web.{verb}": verb.upper() for verb in VERB_SHORTCUTS} | {
    "aiohttp.web.route": "",
    "aiohttp.web.view": "*",
}
#: ``router.add_get(path, handler)``: the verb each ``add_*`` method registers
_ADDERS = {f"add_{verb}": verb.upper() for verb in VERB_SHORTCUTS} | {
    "add_route": "",
    "add_view": "*",
}
#: the parent of a registration that carries the key a login stores (see ``link``)
_LOGIN_KEY = "<aiohttp login key>"
_SECURITY = "aiohttp_security"
_ADDED = re.compile(r"\.add_(get|post|put|patch|delete|route|routes|view|subapp)\(")
_COLLECTS = re.compile(
    r"^\s*(from|import)\s+aiohttp_|\.add_(get|post|put|patch|delete|route|routes|view|subapp)\(",
    re.M,
)
#: what a handler may call and still only answer: aiohttp's responses and pure helpers
_PURE_MODULES = (
    "aiohttp.web.",
    "json.",
    "functools.",
    "textwrap.",
    "datetime.",
    "html.",
    "time.",
    "math.",
)
_PURE_BUILTINS = frozenset(
    {"dict", "list", "tuple", "set", "str", "int", "float", "bool", "len", "sorted", "repr"}
)
_REQUEST_READERS = frozenset({"post", "json", "text", "read", "multipart", "clone"})
_REQUEST_MAPPINGS = frozenset(
    {"match_info", "query", "headers", "cookies", "rel_url.query", "url.query"}
)
_MAPPING_READS = frozenset({"get", "getall", "getone", "items", "keys", "values"})
#: what a handler raises to answer a success: a redirect or a 2xx (aiohttp answers with it)
_SUCCESS_RAISED = re.compile(
    r"aiohttp\.web\.HTTP(Ok|Created|Accepted|NoContent|ResetContent|MultipleChoices"
    r"|MovedPermanently|Found|SeeOther|TemporaryRedirect|PermanentRedirect)"
)
_WRITING_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_APP_NAME = re.compile(r"app", re.IGNORECASE)
_METHOD_ORDER = {method: index for index, method in enumerate(HTTP_METHODS)}
AIOHTTP_SECURITY_USER = "aiohttp_security.authorized_userid"
AIOHTTP_REQUEST_USER = "aiohttp.request.user"


def _security(qualified: str | None, name: str) -> bool:
    """Is ``qualified`` aiohttp_security's ``name`` (exported at the top or from ``api``)?"""
    return qualified in (f"{_SECURITY}.{name}", f"{_SECURITY}.api.{name}")


class AiohttpConventions(PlainConventions):
    """aiohttp's guarantees: a matched route's ``request.match_info`` holds its parameters;
    aiohttp_security's ``remember`` keeps the identity it is given."""

    def __init__(self, login_keys: Mapping[tuple[str, str, int], str]) -> None:
        self.login_keys = dict(login_keys)

    def url_value(self, handler: Handler, param: str) -> str | None:
        request = request_expression(handler)
        return f'{request}.match_info["{param}"]' if request is not None else None

    def login_key(self, point: AuthPoint) -> str | None:
        return self.login_keys.get((point.handler.file, point.handler.qualname, point.line))


def request_expression(handler: Handler) -> str | None:
    """How a handler reaches the request: its first parameter, or a view's ``self.request``."""
    if handler.class_name and handler.params[:1] == ("self",):
        # A view's verb method takes no request; a handler class's method is given one.
        return handler.params[1] if len(handler.params) > 1 else "self.request"
    return handler.params[0] if handler.params else None


class AiohttpAnalyser:
    """Finds aiohttp applications, route tables, handlers, views and aiohttp_security logins."""

    name: Framework = "aiohttp"
    packages: tuple[str, ...] = ("aiohttp",)
    app_kinds: tuple[str, ...] = ("aiohttp",)
    primary_kind = APPLICATION
    spellings: Mapping[str, str] = {
        "aiohttp.web_app.": "aiohttp.web.",
        "aiohttp.web_routedef.": "aiohttp.web.",
        "aiohttp.web_urldispatcher.": "aiohttp.web.",
        "aiohttp.web_request.": "aiohttp.web.",
        "aiohttp.web_middlewares.": "aiohttp.web.",
    }

    def wants(self, source: str) -> bool:
        """Could this file declare anything aiohttp? (A text test; false positives are fine.)"""
        # Words first: a regex of alternatives is tried at every position of every file.
        return "aiohttp" in source or (".add_" in source and _ADDED.search(source) is not None)

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the apps, route owners, handlers, route references and logins of one file."""
        # aiohttp itself, its companions (aiohttp_jinja2 views), or a module that only
        # registers routes (``def setup_routes(app)`` importing nothing but the views).
        if imports_any(ctx, self.packages) or _COLLECTS.search(ctx.source):
            _AiohttpFile(ctx, out).collect()

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Join routes to their handlers, resolve prefixes through sub-apps and registration
        functions, and tell mounted applications from the roots that serve them."""
        if not any(app.kind == APPLICATION for module in facts for app in module.apps):
            return Linked()
        endpoints = endpoints_of(self.name, facts)
        resolved = join_endpoints(
            self.name, facts, lambda ref: _routes_of(ref, endpoints.get(ref.endpoint, []))
        )
        # ``create_admin_app()`` stands for the application that factory returns.
        made = {
            f"{app.name.partition('.<locals>.')[0]}()": app.name
            for module in facts
            for app in module.apps
            if app.kind == APPLICATION and app.factory
        }
        resolved = [
            dataclasses.replace(
                module,
                registrations=tuple(
                    dataclasses.replace(
                        r, parent=made.get(r.parent, r.parent), child=made.get(r.child, r.child)
                    )
                    for r in module.registrations
                ),
            )
            for module in resolved
        ]
        linked = link_routes("aiohttp", resolved, _KINDS, _mount_prefix)
        applications = {app.name for app in linked.apps if app.kind == APPLICATION}
        mounted = {
            registration.child
            for module in resolved
            for registration in module.registrations
            if registration.parent in applications and registration.child in applications
        }
        apps = tuple(
            dataclasses.replace(app, kind=SUBAPP) if app.name in mounted else app
            for app in linked.apps
        )
        keys = {
            (r.file, r.child.rpartition("@")[0], int(r.child.rpartition("@")[2])): r.prefix
            for module in facts
            for r in module.registrations
            if r.parent == _LOGIN_KEY and r.prefix is not None
        }
        return dataclasses.replace(linked, apps=apps, conventions=AiohttpConventions(keys))


def _routes_of(ref: EndpointRef, endpoints: Sequence[LocalRoute]) -> list[LocalRoute]:
    """The routes a reference serves: a function for its methods, a view for each verb.

    ``methods`` None is ``*`` (every method): a function then answers GET and the
    methods its body tests for (``if request.method == "POST"``).
    """
    found = []
    for endpoint in endpoints:
        if endpoint.action is None:
            if ref.methods is not None:
                methods = ref.methods
            else:
                branches = endpoint.body.method_branches
                methods = tuple(m for m in HTTP_METHODS if m == "GET" or m in branches)
        elif ref.methods is None or endpoint.methods[0] in ref.methods:
            methods = endpoint.methods
        else:
            continue
        found.append(
            dataclasses.replace(
                endpoint,
                body=_on_method(endpoint.body, methods),
                owner=ref.owner,
                path=ref.path,
                methods=methods,
                line=ref.line,
                name=ref.name or endpoint.handler.name,
            )
        )
    return found


def _on_method(body: BodyFacts, methods: tuple[str, ...]) -> BodyFacts:
    """What a handler does for ``methods`` only: registered for GET alone, a handler whose
    writes sit on its ``request.method == "POST"`` branch writes nothing."""
    writing = [m for m in body.method_branches if m in _WRITING_METHODS]
    if not writing or any(m in _WRITING_METHODS for m in methods):
        return body
    kept = tuple(e for e in body.evidence if not e.mutating)
    reason = Evidence(
        "read-only", f"writes only on its {'/'.join(writing)} branch", 0, mutating=False
    )
    return dataclasses.replace(body, evidence=(*kept, reason), change_line=None, anchor=None)


def _mount_prefix(child: AppObject, registration: Registration | None) -> str | None:
    # A sub-app's prefix comes from add_subapp; tables and registration functions add none.
    return registration.prefix if registration is not None else child.prefix


def _identity_owner(expr: ast.expr) -> str | None:
    """``user`` of ``user.id``, ``user["id"]`` or ``str(user.id)``; a plain name is itself."""
    if isinstance(expr, ast.Call) and len(expr.args) == 1 and not expr.keywords:
        expr = expr.args[0]
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _identity_key(ctx: FileContext, expr: ast.expr) -> str | None:
    """The identity ``remember`` stores, as source, without a ``str(...)`` around it; None
    where reading it again could do something (``await make_user()``): only a name or a
    chain of attributes, subscripts and argument-less calls is read twice."""
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and expr.func.id == "str"
        and len(expr.args) == 1
        and not expr.keywords
    ):
        expr = expr.args[0]
    if flow.chain_text(expr) is None:
        return None
    return ctx.segment(expr) or ast.unparse(expr)


class _AiohttpFile:
    """The aiohttp facts of one file."""

    def __init__(self, ctx: FileContext, out: FactsBuilder) -> None:
        self.ctx = ctx
        self.out = out
        self.file = RouteFile(ctx, _CONSTRUCTORS)
        #: qualified names that stand for an owner: ``router = app.router``, parameters
        self._aliases: dict[str, str] = {}
        #: what this file's own routes name, whatever their parameters are called
        self._named: set[str] = set()
        self._parameters: dict[str, AppObject] = {}
        self._lists: set[str] = set()

    def collect(self) -> None:
        self.out.uses("aiohttp")
        self.out.apps.extend(self.file.apps)
        self._note_router_aliases()
        for func, found in self.file.decorated({"get", "post", "put", "patch", "delete", "route"}):
            if self.file.kinds.get(found.owner) == _TABLE:
                self._decorated_route(found.owner, found.attr, found.call, func)
        for cls in self.file.classes.values():
            self._decorated_view(cls)
        calls = [node for node in self.ctx.nodes if isinstance(node, ast.Call)]
        for call in calls:
            if isinstance(call.func, ast.Attribute):
                self._registration_call(call)
        # Once the parameters that routes are registered on are known:
        for call in calls:
            self._passes_app(call)
        self.out.apps.extend(self._parameters.values())
        self._endpoints()

    # -- owners -------------------------------------------------------------------------------

    def _note_router_aliases(self) -> None:
        """``router = app.router``: the router stands for its application."""
        for qualified, value in self.file.assigned.items():
            if isinstance(value, ast.Attribute) and value.attr == "router":
                owner = self._owner(value.value)
                if owner is not None:
                    self._aliases[qualified] = owner

    def _owner(self, expr: ast.expr) -> str | None:
        """The owner a receiver stands for: an app or table, ``app.router``, an alias of a
        router, or the parameter of a registration function."""
        if isinstance(expr, ast.Attribute) and expr.attr == "router":
            expr = expr.value
        scope = self.ctx.names.scope_of(expr)
        qualified = self.ctx.names.resolve(expr, scope)
        if qualified is None:
            return None
        if qualified in self._aliases:
            return self._aliases[qualified]
        if qualified in self.file.kinds:
            return qualified
        parameter = self._parameter(expr, scope)
        if parameter is not None:
            return parameter
        found = self.file.owner(expr, scope)
        return found[0] if found is not None else None

    def _is_parameter_owner(self, expr: ast.Name, scope: Scope) -> bool:
        """Is ``expr`` a parameter that routes were registered on (passed on to another
        registration function)?"""
        func = scope.node
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        names = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
        if expr.id not in names:
            return False
        function = self.ctx.qualified(self.ctx.names.qualname_of(func))
        return f"{function}:{names.index(expr.id)}" in self._parameters

    def _parameter(self, expr: ast.expr, scope: Scope) -> str | None:
        """``app`` in ``def setup_routes(app): app.router.add_get(...)``: an owner named for the
        function and the parameter's position, linked where the function is called."""
        if not isinstance(expr, ast.Name):
            return None
        func = scope.node
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        positional = [*func.args.posonlyargs, *func.args.args]
        names = [a.arg for a in positional]
        if expr.id not in names or (names[:1] == ["self"] and expr.id == "self"):
            return None
        index = names.index(expr.id)
        function = self.ctx.qualified(self.ctx.names.qualname_of(func))
        name = f"{function}:{index}"
        if name not in self._parameters:
            self._parameters[name] = AppObject(_PARAMETER, name, self.ctx.file, func.lineno)
        return name

    def _application(self, expr: ast.expr, scope: Scope) -> str | None:
        """The application ``expr`` names: created here, imported, or what a factory returns
        (``create_admin_app()``, directly or through a name bound to its result)."""
        qualified = self.ctx.names.resolve(expr, scope)
        if qualified is not None and qualified in self.file.kinds:
            return qualified
        value = self.file.assigned.get(qualified) if qualified is not None else None
        call = expr if isinstance(expr, ast.Call) else value
        if isinstance(call, ast.Await):
            call = call.value
        if isinstance(call, ast.Call) and isinstance(call.func, (ast.Name, ast.Attribute)):
            factory = self.ctx.names.resolve(call.func, self.ctx.names.scope_of(call))
            return f"{factory}()" if factory is not None else None
        return qualified

    def _passes_app(self, call: ast.Call) -> None:
        """``setup_routes(app)``: the function's parameter stands for ``app`` there."""
        for passed in passed_names(self.ctx, call, "aiohttp"):
            argument, qualified, scope = passed.argument, passed.qualified, passed.scope
            kind = self.file.kinds.get(qualified)
            owner: str | None = None
            if kind == APPLICATION:
                owner = qualified
            elif kind is None and self._is_parameter_owner(argument, scope):
                owner = self._parameter(argument, scope)
            elif kind is None and (
                isinstance(self.file.assigned.get(qualified), (ast.Call, ast.Await))
                or (".<locals>." not in qualified and _APP_NAME.search(argument.id))
            ):
                # An app made by a factory, or imported from the module that makes it.
                owner = self._application(argument, scope)
            if owner is not None:
                self.out.registrations.append(passed.registration(owner, self.ctx.file))

    # -- routes -------------------------------------------------------------------------------

    def _registration_call(self, call: ast.Call) -> None:
        """``<app>.router.add_get(...)``, ``add_route``, ``add_view``, ``<app>.add_routes([...])``
        and ``<app>.add_subapp(prefix, sub)``."""
        assert isinstance(call.func, ast.Attribute)
        attr = call.func.attr
        if attr not in _ADDERS and attr not in ("add_routes", "add_subapp"):
            return
        owner = self._owner(call.func.value)
        if owner is None:
            return
        scope = self.ctx.names.scope_of(call)
        if attr == "add_subapp":
            prefix = literal_str(call_arg(call, 0, "prefix"))
            child = call_arg(call, 1, "subapp")
            child_name = self._application(child, scope) if child is not None else None
            if prefix is not None and child_name is not None:
                self.out.registrations.append(
                    Registration(owner, child_name, prefix, self.ctx.file, call.lineno)
                )
        elif attr == "add_routes":
            self._attach(owner, call_arg(call, 0, "routes"), scope)
        else:
            verb = _ADDERS[attr]
            if verb == "":
                method = literal_str(call_arg(call, 0, "method"))
                if method is None:
                    return
                self._reference(owner, call, 1, method.upper(), scope)
            else:
                self._reference(owner, call, 0, verb, scope)

    def _attach(self, owner: str, routes: ast.expr | None, scope: Scope) -> None:
        """``add_routes([...])`` of definitions, a table, or a list bound to a name."""
        if isinstance(routes, (ast.List, ast.Tuple)):
            for element in routes.elts:
                if isinstance(element, ast.Call):
                    verb = _DEFINITIONS.get(self.ctx.names.resolve_call(element, scope) or "")
                    if verb == "":
                        method = literal_str(call_arg(element, 0, "method"))
                        if method is not None:
                            self._reference(owner, element, 1, method.upper(), scope)
                    elif verb is not None:
                        self._reference(owner, element, 0, verb, scope)
                elif isinstance(element, ast.Starred):
                    self._attach(owner, element.value, scope)
        elif isinstance(routes, (ast.Name, ast.Attribute)):
            child = self.ctx.names.resolve(routes, scope)
            if child is None or child == owner:
                return
            bound = self.file.assigned.get(child)
            if isinstance(bound, (ast.List, ast.Tuple)) and child not in self._lists:
                # A list of definitions, an owner of its own (another app may add it too).
                self._lists.add(child)
                self.out.apps.append(AppObject(_ROUTE_LIST, child, self.ctx.file, bound.lineno))
                self._attach(child, bound, self.ctx.names.scope_of(bound))
            self.out.registrations.append(
                Registration(owner, child, None, self.ctx.file, routes.lineno)
            )

    def _reference(self, owner: str, call: ast.Call, index: int, verb: str, scope: Scope) -> None:
        """A route naming its handler: ``(path, handler)`` from position ``index``."""
        path = literal_str(call_arg(call, index, "path"))
        handler = call_arg(call, index + 1, "handler")
        if path is None or not isinstance(handler, (ast.Name, ast.Attribute)):
            return
        target = self._bound_method(handler, scope) or self.ctx.names.resolve(handler, scope)
        if target is None:
            return
        self._named.add(target)
        methods = None if verb == "*" else (verb,)
        self.out.endpoint_refs.append(
            EndpointRef(
                framework="aiohttp",
                owner=owner,
                path=path,
                methods=methods,
                endpoint=target,
                line=call.lineno,
                name=literal_str(call_arg(call, None, "name")),
            )
        )

    def _bound_method(self, handler: ast.expr, scope: Scope) -> str | None:
        """``server.handle_hello`` where ``server = DemoServer()`` in the same scope: the
        method of that class of this file."""
        if not (isinstance(handler, ast.Attribute) and isinstance(handler.value, ast.Name)):
            return None
        instance = self.ctx.names.resolve(handler.value, scope)
        value = self.file.assigned.get(instance) if instance is not None else None
        if not isinstance(value, ast.Call):
            return None
        cls = self.ctx.names.resolve_call(value, self.ctx.names.scope_of(value))
        if cls is None or cls not in self.file.classes:
            return None
        return f"{cls}.{handler.attr}"

    def _decorated_route(self, owner: str, attr: str, call: ast.Call, func: FunctionNode) -> None:
        """``@routes.post(path)`` / ``@routes.route(method, path)`` on a handler function."""
        if attr == "route":
            method = literal_str(call_arg(call, 0, "method"))
            path = literal_str(call_arg(call, 1, "path"))
            methods = None if method in (None, "*") else (method.upper(),)
            if method is None:
                return
        else:
            path = literal_str(call_arg(call, 0, "path"))
            methods = (attr.upper(),)
        if path is None:
            return
        target = self.ctx.qualified(self.ctx.names.qualname_of(func))
        self._named.add(target)
        self.out.endpoint_refs.append(
            EndpointRef("aiohttp", owner, path, methods, target, call.lineno, func.name)
        )

    def _decorated_view(self, cls: ast.ClassDef) -> None:
        """``@routes.view(path)`` on a ``web.View`` subclass."""
        scope = self.ctx.names.scope_of(cls)
        for decorator in cls.decorator_list:
            if not (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "view"
            ):
                continue
            owner = self.ctx.names.resolve(decorator.func.value, scope)
            path = literal_str(call_arg(decorator, 0, "path"))
            if owner is None or self.file.kinds.get(owner) != _TABLE or path is None:
                continue
            target = self.ctx.qualified(self.ctx.names.qualname_of(cls))
            self._named.add(target)
            self.out.endpoint_refs.append(
                EndpointRef("aiohttp", owner, path, None, target, decorator.lineno, cls.name)
            )

    # -- handlers -----------------------------------------------------------------------------

    def _endpoints(self) -> None:
        """Module-level functions that take a request (or that a route here names), and the
        verb methods of ``web.View`` subclasses: routes in any module may name them."""
        for qualified, func in self.file.functions.items():
            at_module_level = self.ctx.names.scope_of(func) is self.ctx.names.module_scope
            if qualified in self._named or (at_module_level and self._takes_request(func)):
                self._endpoint(func, (), None)
        for cls in self.file.classes.values():
            if self._is_view(cls, frozenset()):
                for method in self._verbs_of(cls):
                    self._endpoint(method, (method.name.upper(),), method.name, cls)

    def _takes_request(self, func: FunctionNode) -> bool:
        params = [*func.args.posonlyargs, *func.args.args]
        if len(params) != 1:
            return False
        if params[0].arg in ("request", "req"):
            return True
        annotation = params[0].annotation
        scope = self.ctx.names.scope_of(func)
        return annotation is not None and self.ctx.names.resolve(annotation, scope) in _REQUEST

    def _is_view(self, cls: ast.ClassDef, seen: frozenset[str]) -> bool:
        scope = self.ctx.names.scope_of(cls)
        for base in cls.bases:
            qualified = self.ctx.names.resolve(base, scope) or ""
            if qualified == _VIEW:
                return True
            local = self.file.classes.get(qualified)
            if (
                local is not None
                and qualified not in seen
                and self._is_view(local, seen | {qualified})
            ):
                return True
        return False

    def _verbs_of(self, cls: ast.ClassDef) -> list[FunctionNode]:
        found = [
            node
            for node in cls.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name in VERB_SHORTCUTS
        ]
        return sorted(found, key=lambda f: _METHOD_ORDER.get(f.name.upper(), 0))

    def _endpoint(
        self,
        func: FunctionNode,
        methods: tuple[str, ...],
        action: str | None,
        cls: ast.ClassDef | None = None,
    ) -> None:
        handler = self.ctx.handler(func)
        request = request_expression(handler)
        body = scan_body(self.ctx, func, _request_user(request))
        body = with_user(body, self._security_user(func, body))
        if body.anchor is None:
            body = self._raised_success(func, body)
        if request is not None and self._only_answers(func, request, body):
            reason = Evidence("read-only", "only reads the request and answers", func.lineno, False)
            body = dataclasses.replace(body, evidence=(*body.evidence, reason))
        self._auth_point(func, handler, body)
        named = cls if cls is not None else func
        self.out.endpoints.append(
            LocalRoute(
                framework="aiohttp",
                owner="",
                path="",
                methods=methods,
                handler=handler,
                line=func.lineno,
                body=body,
                name=self.ctx.qualified(self.ctx.names.qualname_of(named)),
                view_kind="View" if action else None,
                action=action,
            )
        )

    def _raised_success(self, func: FunctionNode, body: BodyFacts) -> BodyFacts:
        """A handler that ends by raising a redirect or a 2xx (``raise web.HTTPFound(url)``)
        succeeds there: aiohttp answers with it. The capture goes right before it."""
        last = func.body[-1] if func.body else None
        if not (isinstance(last, ast.Raise) and isinstance(last.exc, ast.Call)):
            return body
        raised = self.ctx.names.resolve(last.exc.func, self.ctx.names.scope_for_def(func))
        if not _SUCCESS_RAISED.fullmatch(raised or ""):
            return body
        anchor = Anchor(last.lineno, True, "before the redirect or success it raises")
        proof = flow.proof_at(func, last.lineno, including=False, globals_=self.ctx.module_names)
        return dataclasses.replace(body, anchor=anchor, proven=proof.facts())

    def _only_answers(self, func: FunctionNode, request: str, body: BodyFacts) -> bool:
        """Does the handler call nothing but the request's readers, aiohttp's responses and
        pure helpers (an echo or a demo)? Then nothing it does can change data."""
        if any(e.mutating for e in body.evidence):
            return False
        scope = self.ctx.names.scope_for_def(func)
        calls = [node for node in walk_body(func) if isinstance(node, ast.Call)]
        for call in calls:
            if isinstance(call.func, ast.Attribute) and _reads_request(call.func, request):
                continue
            qualified = self.ctx.names.resolve(call.func, scope)
            if qualified is None:
                if not (isinstance(call.func, ast.Name) and call.func.id in _PURE_BUILTINS):
                    return False
            elif not qualified.startswith(_PURE_MODULES):
                return False
        return True

    def _security_calls(self, func: FunctionNode, name: str) -> Iterator[ast.Call]:
        scope = self.ctx.names.scope_for_def(func)
        for node in walk_body(func):
            if isinstance(node, ast.Call) and _security(
                self.ctx.names.resolve(node.func, scope), name
            ):
                yield node

    def _security_user(self, func: FunctionNode, body: BodyFacts) -> UserAccess | None:
        """``user_id = await authorized_userid(request)`` (or ``check_authorized``), bound
        wherever the capture goes: the identity the login remembered."""
        proof = Proof.of(body.proven)
        for name, may_be_none in (("check_authorized", False), ("authorized_userid", True)):
            for call in self._security_calls(func, name):
                parent = self.ctx.names.parent(call)
                if isinstance(parent, ast.Await):
                    parent = self.ctx.names.parent(parent)
                if not (
                    isinstance(parent, ast.Assign)
                    and len(parent.targets) == 1
                    and isinstance(parent.targets[0], ast.Name)
                ):
                    continue
                local = parent.targets[0].id
                if proof.proves(local):
                    guard = f"{local} is not None" if may_be_none else None
                    return UserAccess(AIOHTTP_SECURITY_USER, local, guard, contract=True)
        return None

    # -- login, signup, logout ----------------------------------------------------------------

    def _auth_point(self, func: FunctionNode, handler: Handler, body: BodyFacts) -> None:
        """aiohttp_security's ``remember`` logs in (signs up, where the handler says so);
        ``forget`` logs out."""
        for call in self._security_calls(func, "remember"):
            identity = call_arg(call, 2, "identity")
            if identity is None:
                continue
            kind: AuthKind = "signup" if SIGNUP_WORDS.search(func.name) else "login"
            self._point(kind, handler, call, _identity_owner(identity))
            key = _identity_key(self.ctx, identity)
            if key is not None:
                self.out.registrations.append(
                    Registration(
                        _LOGIN_KEY,
                        f"{handler.qualname}@{call.lineno}",
                        key,
                        self.ctx.file,
                        call.lineno,
                    )
                )
            return
        for call in self._security_calls(func, "forget"):
            self._point("logout", handler, call, None)
            return

    def _point(self, kind: AuthKind, handler: Handler, call: ast.Call, user: str | None) -> None:
        point = AuthPoint(
            kind=kind,
            framework="aiohttp",
            handler=handler,
            line=call.lineno,
            call=dotted(call.func),
            user_expression=user,
            mechanism=_SECURITY,
        )
        if point not in self.out.auth_points:
            self.out.auth_points.append(point)


def _reads_request(func: ast.Attribute, request: str) -> bool:
    """``request.post()``, ``request.json()``, ``request.match_info.get(...)``: reading it."""
    receiver = dotted(func.value)
    if receiver == request:
        return func.attr in _REQUEST_READERS
    mapping = receiver.removeprefix(f"{request}.")
    return mapping != receiver and mapping in _REQUEST_MAPPINGS and func.attr in _MAPPING_READS


def _request_user(request: str | None) -> UserFinder:
    """A user finder for ``request["user"]`` / ``request.user``, set by a project's middleware."""

    def find(
        ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
    ) -> UserAccess | None:
        if request is None:
            return None
        if isinstance(node, ast.Subscript) and literal_str(node.slice) == "user":
            spelled = dotted(node.value) if not isinstance(node.value, ast.Name) else node.value.id
            if spelled == request:
                return UserAccess(AIOHTTP_REQUEST_USER, f'{request}["user"].id')
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "user"
            and dotted(node.value) == request
        ):
            return UserAccess(AIOHTTP_REQUEST_USER, f"{request}.user.id")
        return None

    return find


analyser = AiohttpAnalyser()
