"""Falcon: apps (WSGI and ASGI), resources and their responders, sinks, error handlers, logins.

A Falcon route is ``app.add_route(template, resource, suffix=...)``: the resource is an
instance of a class of the project, made inline or bound to a name (often in another
module), and its ``on_get`` / ``on_post`` / ``on_put`` / ``on_patch`` / ``on_delete``
methods (``on_post_<suffix>`` when a suffix is given) are the handlers, called as
``(self, req, resp, **params)`` with the template's fields (``{id:int}``) as keywords.
Classes are named by reference, so each file records its responders and the routes
and instances that name them, and linking joins the three. ``app.add_sink(fn, prefix)``
routes every method under a prefix to one function.

A responder reaches the user through ``req.context.user`` (or ``req.context["user"]``),
which the project's own middleware sets; it is read only where the responder reads it.
A user logs in where a responder checked credentials and then sets a cookie or issues a
token, signs up where it builds the user it answers for, and logs out where it drops the
cookie or ends the session. Error handlers are ``app.add_error_handler(Exc, fn)`` with
``fn(req, resp, ex, params)`` (or ``Exc.handle``); ``falcon.HTTPError`` is what the app
raises on purpose (4xx), never a server error.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from posthog_setup.analysis.body import dotted, reads_as_query, scan_body, walk_body
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
    Constructor,
    RouteFile,
    call_arg,
    endpoints_of,
    error_handler,
    error_target_name,
    imports_any,
    is_server_error,
    join_endpoints,
    link_routes,
    literal_str,
    source_of,
    user_construction,
)

APP: AppKind = "falcon.App"
_KINDS: tuple[AppKind, ...] = (APP,)
#: ``falcon.API`` is the name before 3.0; ``falcon.asgi.App`` the ASGI app
_CONSTRUCTORS = {
    "falcon.App": Constructor(APP),
    "falcon.API": Constructor(APP),
    "falcon.asgi.App": Constructor(APP),
}
#: the parent of a registration that says "this name is an instance of that class"
_INSTANCE = "<falcon instance>"
#: the parent of a registration that says "this function handles that exception"
_HANDLES = "<falcon error handler>"
#: the owner of routes added to an app a function is given (``def add_routes(app)``): the
#: project's app, where it has exactly one
_GIVEN_APP = "<falcon app parameter>"
_RESPONDER_DEF = re.compile(r"def on_(get|post|put|patch|delete)(_\w+)?\s*\(")
_APP_METHODS = frozenset({"add_route", "add_sink", "add_error_handler"})
_RESPONDER = re.compile(r"^on_(?P<verb>get|post|put|patch|delete)(?:_(?P<suffix>\w+))?$")
FALCON_USER = "falcon.req.context.user"
#: the server-error handler the hook-up writes: part of the hook-up, not the app's own
GENERATED_HANDLER = "capture_server_error"

_AUTHENTICATES = re.compile(
    r"authenticate|verify_password|check_password|verify_credentials|check_credentials"
    r"|password_matches|check_login",
    re.IGNORECASE,
)
#: calls that hand the logged-in user a session or a token
_ISSUES = re.compile(
    r"(^|[._])(set_cookie|(create|issue|encode|make|generate|start|new|open)_?"
    r"(access_?)?(token|session|jwt))$|(^|\.)jwt\.encode$",
    re.IGNORECASE,
)
#: calls that end a session
_ENDS = re.compile(
    r"(^|[._])(unset_cookie|delete_cookie|(end|close|revoke|delete|destroy|drop)_?(sessions?|tokens?))$",
    re.IGNORECASE,
)
_LOGOUT_WORDS = re.compile(r"log_?out|sign_?out", re.IGNORECASE)


#: ``req.context.user.id`` / ``request.context["user"]["id"]``: a user id read off the context
_CONTEXT_READ = re.compile(r"""^[A-Za-z_]\w*\.context((?:\.\w+|\[(?:"\w+"|'\w+')\])+)$""")


def context_user_id(expressions: Iterable[str | None]) -> str | None:
    """How handlers read the user's id off ``req.context`` (``.user.id``), where every one
    of ``expressions`` that reads it there reads it the same way; else None."""
    found = {m.group(1) for e in expressions if e and (m := _CONTEXT_READ.match(e))}
    return found.pop() if len(found) == 1 else None


class FalconConventions(PlainConventions):
    """Falcon's guarantees: a responder gets its template's fields as keyword arguments."""

    def url_value(self, handler: Handler, param: str) -> str | None:
        return param if param in handler.params else None


class FalconAnalyser:
    """Finds Falcon apps, resources, routes, sinks, error handlers and logins."""

    name: Framework = "falcon"
    packages: tuple[str, ...] = ("falcon",)
    app_kinds: tuple[str, ...] = ("falcon",)
    primary_kind = APP
    spellings: Mapping[str, str] = {
        "falcon.app.App": "falcon.App",
        "falcon.api.API": "falcon.API",
        "falcon.asgi.app.App": "falcon.asgi.App",
    }

    def wants(self, source: str) -> bool:
        """Could this file declare anything Falcon? (A text test; false positives are fine.)"""
        # Words first: a regex of alternatives is tried at every position of every file.
        return (
            "falcon" in source
            or ("def on_" in source and _RESPONDER_DEF.search(source) is not None)
            or any(w in source for w in (".add_route(", ".add_sink(", ".add_error_handler("))
        )

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the apps, routes, resources, sinks, error handlers and auth points."""
        _FalconFile(ctx, out, imports_any(ctx, self.packages)).collect()

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Join routes to their resources' responders and error handlers to what they handle."""
        apps = [app.name for module in facts for app in module.apps if app.kind == APP]
        if not apps:
            return Linked()
        if len(apps) == 1:
            facts = [_given_app_is(apps[0], module) for module in facts]
        instances: dict[str, str] = {}
        handled: dict[str, list[str]] = {}
        for module in facts:
            for registration in module.registrations:
                if registration.parent == _INSTANCE and registration.prefix:
                    instances[registration.child] = registration.prefix
                elif registration.parent == _HANDLES and registration.prefix is not None:
                    targets = handled.setdefault(registration.child, [])
                    if registration.prefix not in targets:
                        targets.append(registration.prefix)
        responders = endpoints_of(self.name, facts)
        resolved = join_endpoints(
            self.name, facts, lambda ref: _routes_of(ref, responders, instances)
        )
        linked = link_routes("falcon", resolved, _KINDS, _mount_prefix)
        routed = {(r.handler.file, r.handler.qualname) for r in linked.routes}
        points = tuple(
            p for p in linked.auth_points if (p.handler.file, p.handler.qualname) in routed
        )
        handlers = []
        for handler in linked.error_handlers:
            qualified = f"{handler.handler.module}.{handler.handler.qualname}".lstrip(".")
            handles = handled.get(qualified)
            if handles:
                server = any(
                    is_server_error(t, http_exception_sees_server_errors=False) for t in handles
                )
                handlers.append(
                    dataclasses.replace(handler, handles=tuple(handles), server_error=server)
                )
        return dataclasses.replace(
            linked,
            auth_points=points,
            error_handlers=tuple(handlers),
            conventions=FalconConventions(),
        )


def _given_app_is(app: str, module: ModuleFacts) -> ModuleFacts:
    """``module`` with what it adds to an app it is given added to ``app``."""

    def owner(name: str) -> str:
        return app if name == _GIVEN_APP else name

    return dataclasses.replace(
        module,
        routes=tuple(dataclasses.replace(r, owner=owner(r.owner)) for r in module.routes),
        endpoint_refs=tuple(
            dataclasses.replace(r, owner=owner(r.owner)) for r in module.endpoint_refs
        ),
    )


def _routes_of(
    ref: EndpointRef, responders: Mapping[str, Sequence[LocalRoute]], instances: Mapping[str, str]
) -> list[LocalRoute]:
    """The routes one ``add_route`` serves: a responder per method of the resource's class
    (for its suffix). The reference names the class, or an instance bound elsewhere."""
    target, _, suffix = ref.endpoint.partition(":")
    cls = instances.get(target, target)
    found = responders.get(f"{cls}:{suffix}" if suffix else cls, [])
    return [
        dataclasses.replace(
            responder, owner=ref.owner, path=ref.path, line=ref.line, name=responder.handler.name
        )
        for responder in found
    ]


def _mount_prefix(child: AppObject, registration: Registration | None) -> str | None:
    # A Falcon app has no prefix of its own and mounts nothing.
    return child.prefix


def _responder_params(func: FunctionNode) -> list[str]:
    params = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
    return params[1:] if params[:1] == ["self"] else params


def find_user(
    ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
) -> UserAccess | None:
    """``req.context.user`` / ``req.context["user"]`` read on the responder's request."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    params = _responder_params(func)
    if not params:
        return None
    by_attribute = isinstance(node, ast.Attribute) and node.attr == "user"
    by_key = isinstance(node, ast.Subscript) and literal_str(node.slice) == "user"
    if not (by_attribute or by_key):
        return None
    assert isinstance(node, ast.Attribute | ast.Subscript)
    context = node.value
    if not (
        isinstance(context, ast.Attribute)
        and context.attr == "context"
        and isinstance(context.value, ast.Name)
        and context.value.id == params[0]
    ):
        return None
    return UserAccess(FALCON_USER, f"{source_of(ctx, node)}.id")


class _FalconFile:
    """The Falcon facts of one file."""

    def __init__(self, ctx: FileContext, out: FactsBuilder, imports_falcon: bool) -> None:
        self.ctx = ctx
        self.out = out
        self.imports_falcon = imports_falcon
        self.file = RouteFile(ctx, _CONSTRUCTORS)

    def collect(self) -> None:
        resources = [c for c in self.file.classes.values() if self._responders(c, frozenset())]
        # Calls on an app this file imports count once linking finds a Falcon app there.
        calls = [
            (c.call, c.attr, c.owner)
            for c in self.file.calls(_APP_METHODS)
            if c.kind in (APP, None)
        ]
        if not self.imports_falcon and not resources and not calls:
            return
        self.out.uses("falcon")
        self.out.apps.extend(self.file.apps)
        calls += list(self._calls_on_given_app())
        for call, attr, owner in calls:
            scope = self.ctx.names.scope_of(call)
            if attr == "add_route":
                self._route(owner, call, scope)
            elif attr == "add_sink":
                self._sink(owner, call, scope)
            else:
                self._error_handlers(call, scope)
        self._instances()
        for cls in resources:
            self._resource(cls)
        for func in self.file.functions.values():
            if self._is_error_handler(func):
                self.out.error_handlers.append(
                    error_handler(
                        self.ctx,
                        "falcon",
                        func,
                        [],
                        func.lineno,
                        # Falcon calls handler(req, resp, ex, params).
                        error_param_index=2,
                        http_exception_sees_server_errors=False,
                    )
                )

    def _calls_on_given_app(self) -> Iterator[tuple[ast.Call, str, str]]:
        """``app.add_route(...)`` where ``app`` is a parameter of the function around it."""
        if not self.imports_falcon:
            return
        for func in self.file.functions.values():
            params = {
                a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)
            }
            for node in walk_body(func):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in _APP_METHODS
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in params
                ):
                    yield node, node.func.attr, _GIVEN_APP

    # -- routes -------------------------------------------------------------------------------

    def _resource_class(self, expr: ast.expr | None, scope: Scope) -> str | None:
        """What an ``add_route`` resource names: the class of an inline instance, or the
        qualified name of an instance (a class once linked) or of the local it is bound to."""
        if isinstance(expr, ast.Call):
            return self.ctx.names.resolve(expr.func, scope)
        if not isinstance(expr, (ast.Name, ast.Attribute)):
            return None
        qualified = self.ctx.names.resolve(expr, scope)
        if qualified is None:
            return None
        bound = self.file.assigned.get(qualified)
        if isinstance(bound, ast.Call):
            return self.ctx.names.resolve(bound.func, self.ctx.names.scope_of(bound))
        return qualified

    def _route(self, owner: str, call: ast.Call, scope: Scope) -> None:
        """``app.add_route(template, resource, suffix=...)``."""
        path = literal_str(call_arg(call, 0, "uri_template"))
        target = self._resource_class(call_arg(call, 1, "resource"), scope)
        if path is None or target is None:
            return
        suffix = literal_str(call_arg(call, None, "suffix"))
        self.out.endpoint_refs.append(
            EndpointRef(
                framework="falcon",
                owner=owner,
                path=path,
                methods=None,
                endpoint=f"{target}:{suffix}" if suffix else target,
                line=call.lineno,
            )
        )

    def _sink(self, owner: str, call: ast.Call, scope: Scope) -> None:
        """``app.add_sink(fn, prefix)``: every method under the prefix goes to ``fn``."""
        func = self.file.function(call_arg(call, 0, "sink"), scope)
        prefix = call_arg(call, 1, "prefix")
        path = "/" if prefix is None else literal_str(prefix)
        if func is None or path is None:
            return
        self.out.routes.append(
            LocalRoute(
                framework="falcon",
                owner=owner,
                path=path,
                methods=HTTP_METHODS,
                handler=self.ctx.handler(func),
                line=call.lineno,
                body=scan_body(self.ctx, func, find_user),
                name=func.name,
                view_kind="sink",
            )
        )

    def _instances(self) -> None:
        """Module-level ``things = ThingsResource(...)``: other modules may route the name."""
        for qualified, value in self.file.assigned.items():
            if ".<locals>." in qualified or not isinstance(value, ast.Call):
                continue
            cls = self.ctx.names.resolve(value.func, self.ctx.names.scope_of(value))
            if cls is not None and cls not in _CONSTRUCTORS and cls[:1] != "<":
                self.out.registrations.append(
                    Registration(_INSTANCE, qualified, cls, self.ctx.file, value.lineno)
                )

    # -- resources ------------------------------------------------------------------------------

    def _responders(self, cls: ast.ClassDef, seen: frozenset[str]) -> list[FunctionNode]:
        """The class's responders, its own and those it inherits from classes of this file."""
        found = [
            node
            for node in cls.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and _RESPONDER.match(node.name)
            and len(_responder_params(node)) >= 2
        ]
        scope = self.ctx.names.scope_of(cls)
        for base in cls.bases:
            qualified = self.ctx.names.resolve(base, scope) or ""
            local = self.file.classes.get(qualified)
            if local is not None and qualified not in seen:
                names = {f.name for f in found}
                inherited = self._responders(local, seen | {qualified})
                found.extend(f for f in inherited if f.name not in names)
        return found

    def _resource(self, cls: ast.ClassDef) -> None:
        named = self.ctx.qualified(self.ctx.names.qualname_of(cls))
        for func in self._responders(cls, frozenset()):
            match = _RESPONDER.match(func.name)
            assert match is not None
            verb, suffix = match.group("verb").upper(), match.group("suffix")
            body = scan_body(self.ctx, func, find_user)
            if not any(e.mutating for e in body.evidence) and reads_as_query(
                f"{cls.name}_{suffix or ''}"
            ):
                reason = f"resource {cls.name!r} reads as a query"
                query = Evidence("read-only", reason, func.lineno, False)
                body = dataclasses.replace(body, evidence=(*body.evidence, query))
            self.out.endpoints.append(
                LocalRoute(
                    framework="falcon",
                    owner="",
                    path="",
                    methods=(verb,),
                    handler=self.ctx.handler(func),
                    line=func.lineno,
                    body=body,
                    name=f"{named}:{suffix}" if suffix else named,
                    view_kind="resource",
                    action=func.name,
                )
            )
            self._auth_point(cls, func, verb, body)

    # -- error handlers -----------------------------------------------------------------------

    def _error_handlers(self, call: ast.Call, scope: Scope) -> None:
        """``app.add_error_handler(Exc, fn)`` (or ``(Exc1, Exc2)``; ``Exc.handle`` if no fn):
        a registration of ``fn`` for each target, matched to the function at link time."""
        exceptions = call_arg(call, 0, "exception")
        if exceptions is None:
            return
        kinds = exceptions.elts if isinstance(exceptions, (ast.Tuple, ast.List)) else [exceptions]
        handler = call_arg(call, 1, "handler")
        for kind in kinds:
            function = (
                self.ctx.names.resolve(handler, scope)
                if handler is not None
                else (f"{self.ctx.names.resolve(kind, scope)}.handle")
            )
            if not function:
                continue
            target = error_target_name(self.ctx, kind, scope)
            self.out.registrations.append(
                Registration(_HANDLES, function, target, self.ctx.file, call.lineno)
            )

    def _is_error_handler(self, func: FunctionNode) -> bool:
        """Shaped like a Falcon error handler: ``(req, resp, ex, params)``, a module function
        or a class's ``handle`` (a static method)."""
        if func.name == GENERATED_HANDLER:
            return False
        params = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
        if params[:1] == ["self"]:
            params = params[1:]
        parent = self.ctx.names.parent(func)
        if isinstance(parent, ast.ClassDef):
            if func.name != "handle":
                return False
        elif not isinstance(parent, ast.Module):
            return False
        return len(params) >= 4 and params[0] in ("req", "request", "_req")

    # -- login, signup, logout ----------------------------------------------------------------

    def _auth_point(
        self, cls: ast.ClassDef, func: FunctionNode, verb: str, body: BodyFacts
    ) -> None:
        """A logout where the words say so (or a session is deleted), a signup where they
        say so, else a login where credentials are checked."""
        words = f"{cls.name} {func.name}"
        point = None
        if _LOGOUT_WORDS.search(words) or (verb == "DELETE" and "session" in words.lower()):
            point = self._logout(func)
        elif verb == "POST":
            if SIGNUP_WORDS.search(words):
                point = self._signup(func, body)
            if point is None:
                point = self._login(func)
        if point is not None and point not in self.out.auth_points:
            self.out.auth_points.append(point)

    def _point(
        self, kind: AuthKind, func: FunctionNode, call: ast.Call, user: str | None, mechanism: str
    ) -> AuthPoint:
        return AuthPoint(
            kind=kind,
            framework="falcon",
            handler=self.ctx.handler(func),
            line=call.lineno,
            call=dotted(call.func),
            user_expression=user,
            mechanism=mechanism,
        )

    def _calls(self, func: FunctionNode) -> Iterator[ast.Call]:
        for node in walk_body(func):
            if isinstance(node, ast.Call):
                yield node

    def _login(self, func: FunctionNode) -> AuthPoint | None:
        """A responder that checks credentials, then sets a cookie or issues a token: the
        code goes after the call that hands the user its session (the user is the object
        the credentials check answered)."""
        checks = [c for c in self._calls(func) if _AUTHENTICATES.search(dotted(c.func))]
        user = None
        for node in walk_body(func):
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                value = node.value.value if isinstance(node.value, ast.Await) else node.value
                if value in checks:
                    user = node.targets[0].id
                    break
        if not checks:
            return None
        after = checks[0].lineno
        for call in sorted(self._calls(func), key=lambda c: c.lineno):
            if call.lineno > after and _ISSUES.search(dotted(call.func)):
                return self._point("login", func, call, user, "session")
        return None

    def _signup(self, func: FunctionNode, body: BodyFacts) -> AuthPoint | None:
        """A responder that builds the user: identified once the call that writes it ran."""
        for node in walk_body(func):
            if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
                continue
            name = node.targets[0].id
            built = user_construction(func, name)
            if built is None or not re.search(r"user|account|member", name, re.IGNORECASE):
                continue
            later = [
                c
                for c in self._calls(func)
                if c.lineno > node.lineno and _ISSUES.search(dotted(c.func))
            ]
            if later:
                return self._point("signup", func, later[0], name, "session")
            if body.change_line is not None and body.change_line >= built.lineno:
                changes = [c for c in self._calls(func) if c.lineno == body.change_line]
                if changes:
                    return self._point("signup", func, changes[0], name, "created")
            return self._point("signup", func, built, name, "created")
        return None

    def _logout(self, func: FunctionNode) -> AuthPoint | None:
        """The session ends where the cookie is dropped or the session deleted."""
        ends = sorted(
            (c for c in self._calls(func) if _ENDS.search(dotted(c.func))),
            key=lambda c: (not dotted(c.func).endswith("_cookie"), c.lineno),
        )
        return self._point("logout", func, ends[0], None, "session") if ends else None


analyser = FalconAnalyser()
