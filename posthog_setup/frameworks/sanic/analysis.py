"""Sanic: applications, blueprints and their groups, routes, class views, error handlers, logins.

Routes are declared with ``@x.route(uri, methods=[...])`` (GET when left out) and
``@x.get`` / ``@x.post`` / ``@x.put`` / ``@x.patch`` / ``@x.delete`` where ``x`` is an app
``Sanic(name)`` made or a ``Blueprint(name, url_prefix=..., version=...)``, or registered by
reference with ``x.add_route(handler, uri, methods=[...])``, where the handler may be a
function of another module or ``View.as_view()`` of an ``HTTPMethodView`` (one route per
verb method it defines). ``app.blueprint(bp)`` serves a blueprint (or a list of them, or a
``Blueprint.group(bp1, bp2, url_prefix=...)``) under the app. A version (``version=1`` on the
route, the blueprint, its registration or its group: the nearest wins) puts ``/v1`` in
front of the whole path.

Sanic has no users of its own: a project's own middleware puts the user on ``request.ctx``
(``request.ctx.user``), read only where the handler reads it. A login keeps the user's id
in the session a project keeps on ``request.ctx.session`` (``request.ctx.session["user_id"]
= user.id``) or in a cookie (``response.cookies["user_id"] = str(user.id)`` /
``response.add_cookie(...)``); a logout removes it.

``@app.exception(Exc)`` handlers and ``ErrorHandler`` subclasses only answer: the hook-up
captures each server error once, after Sanic has answered it with a 5xx, so they get no
capture of their own.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from posthog_setup.analysis.body import UserFinder, dotted, scan_body, walk_body
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.model import (
    HTTP_METHODS,
    AppKind,
    AppObject,
    AuthKind,
    AuthPoint,
    BodyFacts,
    EndpointRef,
    Evidence,
    Framework,
    LocalRoute,
    ModuleFacts,
    Registration,
    Route,
    UserAccess,
)
from posthog_setup.analysis.paths import join_paths
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
    linked,
    linked_route,
    literal_methods,
    literal_str,
    passed_names,
    routes_of,
    user_construction,
)

APP: AppKind = "sanic.Sanic"
BLUEPRINT: AppKind = "sanic.Blueprint"
#: ``Blueprint.group(bp1, bp2, url_prefix=...)``: blueprints served together under a prefix
GROUP: AppKind = "sanic.BlueprintGroup"
#: the app a registration function is given (``def register_blueprints(app)``)
PARAMETER: AppKind = "sanic.parameter"
_KINDS = (APP, BLUEPRINT, GROUP, PARAMETER)
_CONSTRUCTORS = {"sanic.Sanic": Constructor(APP), "sanic.Blueprint": Constructor(BLUEPRINT)}
_GROUP_CALLS = frozenset({"sanic.Blueprint.group", "sanic.BlueprintGroup"})
_VIEW = "sanic.views.HTTPMethodView"
_ERROR_HANDLER = "sanic.handlers.ErrorHandler"
_REQUEST = "sanic.Request"
_ROUTE_ATTRS = VERB_SHORTCUTS | {"route"}
#: parents of registrations that carry a version: of an owner (``child`` is its name), of a
#: registration (``child`` is ``parent>child``) or of one route (``child`` is ``file:line``)
_VERSION = "<sanic version>"
_WANTS = re.compile(r"sanic")
#: names an app is passed to a registration function under (``register_blueprints(app)``)
_APP_NAME = re.compile(r"app", re.IGNORECASE)
#: session and cookie keys that hold who the user is
_USER_KEY = re.compile(r"user|account|member|^uid$|login", re.IGNORECASE)
_LOGIN_WORDS = re.compile(r"log_?in|sign_?in|authenticat", re.IGNORECASE)
_LOGOUT_WORDS = re.compile(r"log_?out|sign_?out", re.IGNORECASE)
_ID = re.compile(r"id|pk|uid|user_id|id_")
_METHOD_ORDER = {method: index for index, method in enumerate(HTTP_METHODS)}
#: what a handler may call and still only answer: Sanic's responses and errors, pure helpers
_ANSWERING_MODULES = (
    "sanic.response.",
    "sanic.exceptions.",
    "json.",
    "asyncio.sleep",
    "datetime.",
    "html.",
    "math.",
)
_PURE_BUILTINS = frozenset(
    {"dict", "list", "tuple", "set", "str", "int", "float", "bool", "len", "sorted", "repr"}
)
#: reading one of the request's mappings (``request.args.get("q")``)
_MAPPING_READS = frozenset({"get", "getlist", "items", "keys", "values"})
SANIC_REQUEST_USER = "sanic.request.ctx.user"


#: ``request.ctx.user["id"]``: how a handler reads the user's id off the request, after ``ctx``
_CONTEXT_READ = re.compile(r"""^[A-Za-z_]\w*\.ctx(\.user(?:\.\w+|\[(?:"\w+"|'\w+')\])+)$""")


def context_user_id(expressions: Iterable[str | None]) -> str | None:
    """How handlers read the user's id off ``request.ctx`` (``.user["id"]``), where every one
    of ``expressions`` that reads it there reads it the same way; else None."""
    found = {m.group(1) for e in expressions if e and (m := _CONTEXT_READ.match(e))}
    return found.pop().replace("'", '"') if len(found) == 1 else None


def _version(node: ast.expr | None) -> str | None:
    """``version=1`` / ``version="2"`` / ``version=1.1`` as Sanic writes it in the path."""
    value = node.value if isinstance(node, ast.Constant) else None
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return str(value)
    return None


class SanicAnalyser:
    """Finds Sanic apps, blueprints, routes, class views, error handlers and logins."""

    name: Framework = "sanic"
    packages: tuple[str, ...] = ("sanic",)
    app_kinds: tuple[str, ...] = ("sanic",)
    primary_kind = APP
    spellings: Mapping[str, str] = {
        "sanic.app.Sanic": "sanic.Sanic",
        "sanic.blueprints.Blueprint": "sanic.Blueprint",
        "sanic.blueprint_group.BlueprintGroup": "sanic.BlueprintGroup",
        "sanic.request.Request": "sanic.Request",
        "sanic.views.": "sanic.views.",
        "sanic.blueprints.": "sanic.",
        "sanic.handlers.error.ErrorHandler": "sanic.handlers.ErrorHandler",
    }

    def wants(self, source: str) -> bool:
        """Could this file declare anything Sanic? (A text test; false positives are fine.)"""
        return _WANTS.search(source) is not None

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the apps, blueprints, routes, handlers, error handlers and logins of a file."""
        if imports_any(ctx, self.packages):
            _SanicFile(ctx, out).collect()

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Join routes to the handlers they name, and give each its full path: the prefixes
        of its blueprint and groups, and its version in front."""
        apps = sorted(
            (a for module in facts for a in module.apps if a.kind in _KINDS),
            key=lambda a: (a.file, a.line, a.name),
        )
        if not any(app.kind == APP for app in apps):
            return Linked()
        versions = {
            r.child: r.prefix
            for module in facts
            for r in module.registrations
            if r.parent == _VERSION and r.prefix is not None
        }
        by_name = {app.name: app for app in apps}
        parents: dict[str, list[Registration]] = {}
        for module in facts:
            for r in module.registrations:
                if r.parent in by_name and r.child in by_name:
                    parents.setdefault(r.child, []).append(r)
        endpoints = endpoints_of(self.name, facts)
        locals_: list[LocalRoute] = [
            r for module in facts for r in module.routes if r.framework == self.name
        ]
        for module in facts:
            for ref in module.endpoint_refs:
                if ref.framework == self.name:
                    locals_ += routes_of(ref, endpoints.get(ref.endpoint, []))
        routes: list[Route] = []
        for local in locals_:
            owner = by_name.get(local.owner)
            if owner is None:
                continue
            own_version = versions.get(f"{local.handler.file}:{local.line}")
            for prefixes, version in _chains(owner, by_name, parents, versions, (), frozenset()):
                version = own_version or version
                front = f"/v{version}" if version else None
                routes.append(linked_route(local, owner, join_paths(front, *prefixes, local.path)))
        return linked(self.name, facts, apps, routes)


def _chains(
    owner: AppObject,
    apps: Mapping[str, AppObject],
    parents: Mapping[str, Sequence[Registration]],
    versions: Mapping[str, str],
    below: tuple[str, ...],
    seen: frozenset[str],
) -> Iterator[tuple[tuple[str, ...], str | None]]:
    """Each way ``owner`` is served from an app: its prefixes from the app down (with
    ``below``, the prefixes under it), and the nearest version on the way."""
    if owner.kind == APP:
        yield below, versions.get(owner.name)
        return
    for registration in parents.get(owner.name, ()):
        parent_name = registration.parent
        if parent_name in seen:
            continue
        prefix = registration.prefix if registration.prefix is not None else owner.prefix
        version = versions.get(f"{parent_name}>{owner.name}") or versions.get(owner.name)
        parent = apps.get(parent_name)
        if parent is None:
            continue
        for prefixes, upper in _chains(
            parent, apps, parents, versions, (prefix, *below), seen | {owner.name}
        ):
            yield prefixes, version or upper


def request_name(func: FunctionNode) -> str | None:
    """The parameter that holds the request: the first, after ``self`` in a class view."""
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
    if params[:1] == ["self"]:
        params = params[1:]
    return params[0] if params else None


def _request_user(request: str | None) -> UserFinder:
    """A user finder for ``request.ctx.user``, set by the project's own middleware."""

    def is_user(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "user"
            and dotted(node.value) == f"{request}.ctx"
        )

    def find(
        ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
    ) -> UserAccess | None:
        if request is None:
            return None
        # ``user = request.ctx.user``: the handler reads the user through its local.
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and is_user(node.value)
        ):
            return UserAccess(SANIC_REQUEST_USER, f"{node.targets[0].id}.id")
        if is_user(node):
            return UserAccess(SANIC_REQUEST_USER, f"{request}.ctx.user.id")
        return None

    return find


def _id_owner(value: ast.expr) -> str | None:
    """``user`` of ``user.id``, ``str(user.id)``, ``user["id"]``; None for anything else."""
    if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords:
        value = value.args[0]
    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
        return value.value.id if _ID.fullmatch(value.attr) else None
    if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name):
        key = literal_str(value.slice)
        return value.value.id if key is not None and _ID.fullmatch(key) else None
    return None


class _SanicFile:
    """The Sanic facts of one file."""

    def __init__(self, ctx: FileContext, out: FactsBuilder) -> None:
        self.ctx = ctx
        self.out = out
        self.file = RouteFile(ctx, _CONSTRUCTORS)
        self._bodies: dict[ast.AST, BodyFacts] = {}
        #: the paths each function serves in this file, for telling logins from logouts
        self._paths: dict[ast.AST, list[str]] = {}
        #: the parameters of registration functions, as owners (``register_blueprints:0``)
        self._parameters: dict[str, AppObject] = {}

    def collect(self) -> None:
        self.out.uses("sanic")
        for app in self.file.apps:
            value = self.file.assigned.get(app.name)
            if app.kind == BLUEPRINT and isinstance(value, ast.Call):
                prefix = literal_str(call_arg(value, 1, "url_prefix")) or ""
                app = dataclasses.replace(app, prefix=prefix)
                self._version(app.name, call_arg(value, None, "version"), app.line)
            self.out.apps.append(app)
        self._groups()
        for func, decorator in self.file.decorated(_ROUTE_ATTRS | {"exception"}):
            if decorator.attr == "exception":
                self._exception_handler(func, decorator.call)
            else:
                self._decorated_route(func, decorator.owner, decorator.attr, decorator.call)
        found = [(c.owner, c.call) for c in self.file.calls({"add_route", "blueprint"})]
        calls = [node for node in self.ctx.nodes if isinstance(node, ast.Call)]
        found += [
            (owner, call)
            for call in calls
            if isinstance(call.func, ast.Attribute)
            and call.func.attr in ("add_route", "blueprint")
            and (owner := self._parameter(call.func.value)) is not None
        ]
        for owner, call in found:
            assert isinstance(call.func, ast.Attribute)
            if call.func.attr == "add_route":
                self._add_route(owner, call)
            else:
                self._blueprint(owner, call)
        for call in calls:
            self._passes_app(call)
        self.out.apps.extend(self._parameters.values())
        self._endpoints()
        self._error_handler_classes()
        self._auth_points()

    def _version(self, key: str, node: ast.expr | None, line: int) -> None:
        version = _version(node)
        if version is not None:
            self.out.registrations.append(Registration(_VERSION, key, version, self.ctx.file, line))

    # -- registration functions -------------------------------------------------------------

    def _parameter_name(self, receiver: ast.expr) -> tuple[str, int] | None:
        """``register_blueprints:0`` for ``app`` in ``def register_blueprints(app)``, with the
        function's line; None where ``receiver`` is no parameter."""
        if not isinstance(receiver, ast.Name):
            return None
        func = self.ctx.names.scope_of(receiver).node
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        names = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
        if receiver.id not in names or receiver.id == "self":
            return None
        function = self.ctx.qualified(self.ctx.names.qualname_of(func))
        return f"{function}:{names.index(receiver.id)}", func.lineno

    def _parameter(self, receiver: ast.expr) -> str | None:
        """``app`` in ``def register_blueprints(app): app.blueprint(bp)``: an owner named for
        the function and the parameter's position, linked where it is called with an app."""
        found = self._parameter_name(receiver)
        if found is None:
            return None
        name, line = found
        if name not in self._parameters:
            self._parameters[name] = AppObject(PARAMETER, name, self.ctx.file, line)
        return name

    def _passes_app(self, call: ast.Call) -> None:
        """``register_blueprints(app)``: the function's parameter stands for ``app`` there (an
        app of this file, a parameter owner, or an app imported from another module)."""
        for passed in passed_names(self.ctx, call, "sanic"):
            argument, qualified = passed.argument, passed.qualified
            kind = self.file.kinds.get(qualified)
            owner = None
            if kind == APP:
                owner = qualified
            elif kind is None and self.ctx.names.imports.get(argument.id) == qualified:
                owner = qualified if _APP_NAME.search(argument.id) else None
            elif (parameter := self._parameter_name(argument)) is not None:
                owner = parameter[0] if parameter[0] in self._parameters else None
            if owner is not None:
                self.out.registrations.append(passed.registration(owner, self.ctx.file))

    # -- blueprints and groups --------------------------------------------------------------

    def _groups(self) -> None:
        """``api = Blueprint.group(bp1, bp2, url_prefix="/api", version=1)``."""
        for name, value in self.file.assigned.items():
            if isinstance(value, ast.Call) and self._is_group(value):
                self.out.apps.append(
                    AppObject(
                        GROUP,
                        name,
                        self.ctx.file,
                        value.lineno,
                        prefix=literal_str(call_arg(value, None, "url_prefix")) or "",
                    )
                )
                self._group_members(name, value)

    def _is_group(self, call: ast.Call) -> bool:
        scope = self.ctx.names.scope_of(call)
        return self.ctx.names.resolve_call(call, scope) in _GROUP_CALLS

    def _group_members(self, group: str, call: ast.Call) -> None:
        self._version(group, call_arg(call, None, "version"), call.lineno)
        scope = self.ctx.names.scope_of(call)
        members: list[ast.expr] = []
        for arg in call.args:
            if isinstance(arg, (ast.List, ast.Tuple)):
                members += arg.elts
            else:
                members.append(arg)
        for member in members:
            child = self.ctx.names.resolve(member, scope)
            if child is not None:
                self.out.registrations.append(
                    Registration(group, child, None, self.ctx.file, call.lineno)
                )

    def _blueprint(self, owner: str, call: ast.Call) -> None:
        """``app.blueprint(bp, url_prefix=..., version=...)``, of a list or a group too."""
        scope = self.ctx.names.scope_of(call)
        target = call_arg(call, 0, "blueprint")
        members = target.elts if isinstance(target, (ast.List, ast.Tuple)) else [target]
        prefix = literal_str(call_arg(call, None, "url_prefix"))
        for member in members:
            if member is None:
                continue
            if isinstance(member, ast.Call) and self._is_group(member):
                child = f"{owner}.<group@{member.lineno}>"
                self.out.apps.append(
                    AppObject(
                        GROUP,
                        child,
                        self.ctx.file,
                        member.lineno,
                        prefix=literal_str(call_arg(member, None, "url_prefix")) or "",
                    )
                )
                self._group_members(child, member)
            else:
                resolved = self.ctx.names.resolve(member, scope)
                if resolved is None:
                    continue
                child = resolved
            self.out.registrations.append(
                Registration(owner, child, prefix, self.ctx.file, call.lineno)
            )
            self._version(f"{owner}>{child}", call_arg(call, None, "version"), call.lineno)

    # -- routes -----------------------------------------------------------------------------

    def _body(self, func: FunctionNode) -> BodyFacts:
        if func not in self._bodies:
            request = request_name(func)
            body = scan_body(self.ctx, func, _request_user(request))
            if request is not None and self._only_answers(func, request, body):
                reason = Evidence(
                    "read-only", "only reads the request and answers", func.lineno, False
                )
                body = dataclasses.replace(body, evidence=(*body.evidence, reason))
            self._bodies[func] = body
        return self._bodies[func]

    def _only_answers(self, func: FunctionNode, request: str, body: BodyFacts) -> bool:
        """Does the handler call nothing but readers of the request, Sanic's responses and
        errors, and pure helpers (a demo, an echo)? Then nothing it does can change data."""
        if any(e.mutating for e in body.evidence):
            return False
        scope = self.ctx.names.scope_for_def(func)
        for node in walk_body(func):
            if not isinstance(node, ast.Call):
                continue
            called = node.func
            if isinstance(called, ast.Attribute) and (
                isinstance(called.value, ast.Constant)  # "{} items".format(n)
                or (
                    dotted(called.value).startswith(f"{request}.") and called.attr in _MAPPING_READS
                )
            ):
                continue
            qualified = self.ctx.names.resolve(called, scope)
            if qualified is None:
                if not (isinstance(called, ast.Name) and called.id in _PURE_BUILTINS):
                    return False
            elif not qualified.startswith(_ANSWERING_MODULES):
                return False
        return True

    def _decorated_route(self, func: FunctionNode, owner: str, attr: str, call: ast.Call) -> None:
        path = literal_str(call_arg(call, 0, "uri"))
        if path is None:
            return
        if attr == "route":
            methods = literal_methods(call_arg(call, None, "methods")) or ("GET",)
        else:
            methods = (attr.upper(),)
        self._paths.setdefault(func, []).append(path)
        self._version(
            f"{self.ctx.file}:{call.lineno}", call_arg(call, None, "version"), call.lineno
        )
        self.out.routes.append(
            LocalRoute(
                framework="sanic",
                owner=owner,
                path=path,
                methods=methods,
                handler=self.ctx.handler(func),
                line=call.lineno,
                body=self._body(func),
                name=literal_str(call_arg(call, None, "name")) or func.name,
            )
        )

    def _add_route(self, owner: str, call: ast.Call) -> None:
        """``x.add_route(handler, uri, methods=[...])``; the handler a function (of any
        module) or ``View.as_view()``."""
        handler = call_arg(call, 0, "handler")
        path = literal_str(call_arg(call, 1, "uri"))
        if handler is None or path is None:
            return
        scope = self.ctx.names.scope_of(call)
        if (
            isinstance(handler, ast.Call)
            and isinstance(handler.func, ast.Attribute)
            and handler.func.attr == "as_view"
        ):
            handler = handler.func.value
        if not isinstance(handler, (ast.Name, ast.Attribute)):
            return
        target = self.ctx.names.resolve(handler, scope)
        if target is None:
            return
        func = self.file.functions.get(target)
        if func is not None:
            self._paths.setdefault(func, []).append(path)
        self._version(
            f"{self.ctx.file}:{call.lineno}", call_arg(call, None, "version"), call.lineno
        )
        self.out.endpoint_refs.append(
            EndpointRef(
                framework="sanic",
                owner=owner,
                path=path,
                methods=literal_methods(call_arg(call, 2, "methods")),
                endpoint=target,
                line=call.lineno,
                name=literal_str(call_arg(call, None, "name")),
            )
        )

    def _endpoints(self) -> None:
        """Module-level functions that take the request first, and the verb methods of
        ``HTTPMethodView`` subclasses: ``add_route`` in any module may name them."""
        for qualified, func in self.file.functions.items():
            at_module_level = isinstance(self.ctx.names.parent(func), ast.Module)
            if at_module_level and self._takes_request(func):
                self._endpoint(qualified, func, (), None)
        for qualified, cls in self.file.classes.items():
            if not self._subclasses(cls, _VIEW, frozenset()):
                continue
            verbs = [
                node
                for node in cls.body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and node.name in VERB_SHORTCUTS
            ]
            for method in sorted(verbs, key=lambda f: _METHOD_ORDER[f.name.upper()]):
                self._endpoint(qualified, method, (method.name.upper(),), method.name)

    def _takes_request(self, func: FunctionNode) -> bool:
        params = [*func.args.posonlyargs, *func.args.args]
        if not params:
            return False
        if params[0].arg in ("request", "req"):
            return True
        annotation = params[0].annotation
        scope = self.ctx.names.scope_of(func)
        return annotation is not None and self.ctx.names.resolve(annotation, scope) == _REQUEST

    def _subclasses(self, cls: ast.ClassDef, base_name: str, seen: frozenset[str]) -> bool:
        scope = self.ctx.names.scope_of(cls)
        for base in cls.bases:
            qualified = self.ctx.names.resolve(base, scope) or ""
            if qualified == base_name:
                return True
            local = self.file.classes.get(qualified)
            if (
                local is not None
                and qualified not in seen
                and self._subclasses(local, base_name, seen | {qualified})
            ):
                return True
        return False

    def _endpoint(
        self, name: str, func: FunctionNode, methods: tuple[str, ...], action: str | None
    ) -> None:
        self.out.endpoints.append(
            LocalRoute(
                framework="sanic",
                owner="",
                path="",
                methods=methods,
                handler=self.ctx.handler(func),
                line=func.lineno,
                body=self._body(func),
                name=name,
                view_kind="HTTPMethodView" if action else None,
                action=action,
            )
        )

    # -- error handlers ---------------------------------------------------------------------

    def _exception_handler(self, func: FunctionNode, call: ast.Call) -> None:
        """``@app.exception(NotFound, ServerError)`` (or a list of them)."""
        scope = self.ctx.names.scope_of(call)
        targets: list[ast.expr] = []
        for arg in call.args:
            targets += arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
        names = [error_target_name(self.ctx, t, scope) for t in targets] or ["Exception"]
        self._error_handler(func, names, call.lineno)

    def _error_handler_classes(self) -> None:
        """``class Handler(ErrorHandler)`` whose ``default`` answers every exception."""
        for cls in self.file.classes.values():
            if not self._subclasses(cls, _ERROR_HANDLER, frozenset()):
                continue
            for node in cls.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    node.name in ("default", "response")
                ):
                    self._error_handler(node, ["Exception"], node.lineno)

    def _error_handler(self, func: FunctionNode, names: Sequence[str], line: int) -> None:
        handler = error_handler(
            self.ctx,
            "sanic",
            func,
            names,
            line,
            error_param_index=1,
            http_exception_sees_server_errors=False,
        )
        # The hook-up captures a server error once Sanic has answered it: the handler that
        # answers it captures nothing itself.
        self.out.error_handlers.append(dataclasses.replace(handler, server_error=False))

    # -- login, signup, logout --------------------------------------------------------------

    def _auth_points(self) -> None:
        for func, paths in self._paths.items():
            assert isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
            words = " ".join([func.name, *paths])
            for node in walk_body(func):
                point = self._auth_point(func, node, words)
                if point is not None and point not in self.out.auth_points:
                    self.out.auth_points.append(point)
                    break

    def _is_session(self, func: FunctionNode, node: ast.expr) -> bool:
        """``request.ctx.session``, the session a project's middleware keeps on the request."""
        return dotted(node) == f"{request_name(func)}.ctx.session"

    def _auth_point(self, func: FunctionNode, node: ast.AST, words: str) -> AuthPoint | None:
        """A login or signup (the user's id kept in the session or a cookie), or a logout
        (that key removed) in a handler whose name or path says so."""
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if self._user_slot(func, target):
                user = _id_owner(node.value)
                if user is not None:
                    return self._point(self._login_kind(func, user, words), func, node, user)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr == "add_cookie" and _user_key(call_arg(node, 0, "key")):
                value = call_arg(node, 1, "value")
                user = _id_owner(value) if value is not None else None
                if user is not None:
                    return self._point(self._login_kind(func, user, words), func, node, user)
            if not _LOGOUT_WORDS.search(words):
                return None
            receiver = node.func.value
            if attr == "delete_cookie" and _user_key(call_arg(node, 0, "key")):
                return self._point("logout", func, node, None)
            if self._is_session(func, receiver) and (
                attr == "clear" or (attr == "pop" and _user_key(call_arg(node, 0, "key")))
            ):
                return self._point("logout", func, node, None)
        elif (
            isinstance(node, ast.Delete)
            and _LOGOUT_WORDS.search(words)
            and any(self._user_slot(func, target) for target in node.targets)
        ):
            return self._point("logout", func, node, None)
        return None

    def _user_slot(self, func: FunctionNode, target: ast.expr) -> bool:
        """``request.ctx.session["user_id"]`` or ``response.cookies["user_id"]``."""
        if not isinstance(target, ast.Subscript) or not _user_key(target.slice):
            return False
        holder = target.value
        cookies = isinstance(holder, ast.Attribute) and holder.attr == "cookies"
        return cookies or self._is_session(func, holder)

    def _login_kind(self, func: FunctionNode, user: str, words: str) -> AuthKind:
        """A signup where the name or path says so, or the handler built the user it keeps."""
        if SIGNUP_WORDS.search(words) and not _LOGIN_WORDS.search(words):
            return "signup"
        if user_construction(func, user) is not None and not _LOGIN_WORDS.search(words):
            return "signup"
        return "login"

    def _point(
        self, kind: AuthKind, func: FunctionNode, node: ast.AST, user: str | None
    ) -> AuthPoint | None:
        if kind != "logout" and not (_LOGIN_WORDS.search(func.name) or kind == "signup"):
            words = " ".join([func.name, *self._paths.get(func, [])])
            if not _LOGIN_WORDS.search(words):
                return None
        called = dotted(node.func) if isinstance(node, ast.Call) else "session"
        return AuthPoint(
            kind=kind,
            framework="sanic",
            handler=self.ctx.handler(func),
            line=getattr(node, "lineno", func.lineno),
            call=called,
            user_expression=user,
            mechanism="session",
        )


def _user_key(node: ast.AST | None) -> bool:
    key = literal_str(node)
    return key is not None and _USER_KEY.search(key) is not None


analyser = SanicAnalyser()
