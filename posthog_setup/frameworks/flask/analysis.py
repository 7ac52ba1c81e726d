"""Flask: apps and factories, blueprints, routes, class-based views, error handlers, login.

Routes come from ``@x.route`` / ``@x.get``-style decorators and from
``x.add_url_rule`` (plain functions and ``View`` / ``MethodView`` classes via
``as_view``), where ``x`` is an object a ``Flask(...)`` or ``Blueprint(...)``
call created. Blueprints hang under apps and other blueprints through
``register_blueprint``; a ``url_prefix`` given there replaces the blueprint's
own. Users are known through flask-login (``login_user``, ``current_user``)
or ``g.user``.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from posthog_setup.analysis import guards
from posthog_setup.analysis.body import UserFinder, dotted, reads_as_query, scan_body, walk_body
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.model import (
    HTTP_METHODS,
    Analysis,
    AppKind,
    AppObject,
    AuthKind,
    AuthPoint,
    BodyFacts,
    ErrorHandler,
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
    OwnerCall,
    RouteFile,
    call_arg,
    error_handler,
    error_target_name,
    imports_another_framework,
    imports_any,
    link_routes,
    literal_methods,
    literal_str,
    route_spec,
    source_of,
    user_construction,
)
from posthog_setup.frameworks.flask import httpauth, jwt, request_globals, session, unhandled
from posthog_setup.frameworks.flask_rest import analysis as rest

# Words first, then a regex that starts with a literal: a regex of alternatives is tried
# at every position of every file, a tenth of a parse.
_WORDS = ("lask", ".route(", "add_url_rule", "register_blueprint", "errorhandler")
_VERB_DECORATOR = re.compile(r"@\w[\w.]*\.(?:get|post|put|patch|delete)\(")
#: ``g.user``, ``g.current_user``, ``g.auth_user``: the request's user as the project's own
#: before-request hook or auth callback keeps it on Flask's ``g``
_G_USER = re.compile(r"flask\.g\.(?:\w+_)?user")
_ROUTE_DECORATORS = VERB_SHORTCUTS | {"route"}
_ERROR_DECORATORS = frozenset({"errorhandler", "app_errorhandler"})
_OWNER_CALLS = frozenset({"add_url_rule", "register_blueprint", "register_error_handler"})
_METHOD_ORDER = {method: index for index, method in enumerate(HTTP_METHODS)}
HTTP_EXCEPTION = "werkzeug.exceptions.HTTPException"
#: Handled classes whose handler Flask also gives each ``HTTPException``.
_GIVEN_HTTP_ERRORS = frozenset({"Exception", "BaseException", "HTTPException"})


@dataclass(frozen=True)
class Dialect:
    """What a framework written in Flask's forms (Flask itself, Quart) calls its parts.

    The forms are the same (``@bp.route``, ``register_blueprint``, ``add_url_rule`` with
    ``MethodView.as_view``, ``errorhandler``, a ``login_user`` / ``logout_user`` pair);
    only the names they resolve to, how handlers reach the user and which error
    handlers see server errors differ.
    """

    framework: Framework
    #: top-level packages whose import means a file is this framework's
    packages: tuple[str, ...]
    application: AppKind
    blueprint: AppKind
    #: qualified class -> ``MethodView`` / ``View``
    view_bases: Mapping[str, str]
    login_user: str
    logout_user: str
    #: the mechanism auth points are recorded with (``flask_login``)
    mechanism: str
    find_user: UserFinder
    #: the user a ``login_user(arg)`` call logs in, as source (the argument, by default)
    login_subject: Callable[[FileContext, ast.expr], str | None]
    #: does a handler of these targets see server errors the hook-up does not capture?
    sees_server_errors: Callable[[ErrorHandler], bool]
    #: owners that extensions add (Flask-RESTX's ``Api`` and ``Namespace``), by constructor
    extension_constructors: Mapping[str, Constructor] = dataclasses.field(default_factory=dict)
    extension_kinds: tuple[AppKind, ...] = ()
    #: decorators that let only a logged-in user in (qualified name -> why), see
    #: ``analysis.guards``
    login_guards: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def kinds(self) -> tuple[AppKind, ...]:
        return (self.application, self.blueprint, *self.extension_kinds)

    @property
    def constructors(self) -> dict[str, Constructor]:
        return {
            self.application: Constructor(self.application),
            self.blueprint: Constructor(self.blueprint, prefix_keyword="url_prefix"),
            **self.extension_constructors,
        }

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Resolve every route's full path through blueprint, API and namespace registrations;
        resource classes are owners of their routes, not apps."""
        linked = link_routes(self.framework, rest.link_facts(facts), self.kinds, _mount_prefix)
        apps = tuple(app for app in linked.apps if not rest.is_resource_owner(app))
        return dataclasses.replace(linked, apps=apps)

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the apps, routes, registrations, error handlers and auth points of one file."""
        FlaskFile(ctx, out, self).collect()

    def logs_in(self, linked: Linked, user_kind: str) -> bool:
        """Does the project log users in with this dialect's login extension (its login
        calls, handlers reading its current user, of kind ``user_kind``, or routes only
        its logged-in users reach)?"""
        guards = set(self.login_guards.values())
        return (
            any(p.mechanism == self.mechanism for p in linked.auth_points)
            or any(
                r.user_access is not None and r.user_access.kind == user_kind for r in linked.routes
            )
            or any(r.members_only in guards for r in linked.routes)
        )


FLASK_LOGIN_KIND = "flask_login.current_user"
#: flask-login's user, safe to read anywhere in a request of a project that logs in with it.
FLASK_LOGIN_USER = UserAccess(
    FLASK_LOGIN_KIND,
    "current_user.get_id()",
    "current_user.is_authenticated",
    requires=("flask_login", "current_user"),
    contract=True,
)


@dataclass(frozen=True)
class FlaskConventions(PlainConventions):
    """Flask's guarantees: with flask-login in the project, ``current_user`` in every handler."""

    flask_login: bool
    #: the key the project's own logins keep the user's id under in Flask's session
    session_key: str | None = None
    #: the user key each session login reads, by (file, handler, line)
    login_keys: tuple[tuple[tuple[str, str, int], str], ...] = ()
    #: flask-httpauth's objects and what their callbacks return (see ``httpauth.objects``)
    httpauth_objects: tuple[tuple[str, str], ...] = ()
    #: handlers an auth object guards, by (file, handler): (object, as spelled there)
    httpauth_guards: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = ()
    user_first = True

    def current_user(self, handler: Handler, analysis: Analysis) -> UserAccess | None:
        guard = dict(self.httpauth_guards).get((handler.file, handler.qualname))
        if guard is not None:
            owner, spelled = guard
            return httpauth.current_user(owner, spelled, dict(self.httpauth_objects), analysis)
        if self.flask_login:
            return FLASK_LOGIN_USER
        return session.session_user(self.session_key) if self.session_key else None

    def login_key(self, point: AuthPoint) -> str | None:
        # flask-login's login_user() reads user.get_id() itself.
        if point.mechanism == "flask_login" and point.user_expression:
            return f"{point.user_expression}.get_id()"
        if point.mechanism == session.MECHANISM:
            # The login stores the key itself, reading it before the identify runs.
            return dict(self.login_keys).get(
                (point.handler.file, point.handler.qualname, point.line)
            )
        return super().login_key(point)


class FlaskAnalyser:
    """Finds Flask apps, blueprints, routes, error handlers and flask-login calls."""

    name: Framework = "flask"
    packages: tuple[str, ...] = ("flask", "flask_login", *rest.PACKAGES)
    app_kinds: tuple[str, ...] = ("flask",)
    primary_kind = "flask.Flask"
    spellings: Mapping[str, str] = {
        "flask.app.": "flask.",
        "flask.blueprints.": "flask.",
        "flask.globals.": "flask.",
        "flask.helpers.": "flask.",
        "flask_login.utils.": "flask_login.",
        **jwt.SPELLINGS,
    }

    def wants(self, source: str) -> bool:
        """Could this file declare anything Flask? (A text test; false positives are fine.)"""
        return any(w in source for w in _WORDS) or _VERB_DECORATOR.search(source) is not None

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the apps, routes, registrations, error handlers and auth points of one file."""
        FLASK.collect(ctx, out)

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Resolve every route's full path through blueprint registrations."""
        linked = FLASK.link(facts)
        writes = [w for f in facts for w in f.session_writes]
        logins, keys = session.logins(writes, (c for f in facts for c in f.helper_calls))
        taken = {(p.handler.file, p.handler.qualname, p.line) for p in linked.auth_points}
        logins = [p for p in logins if (p.handler.file, p.handler.qualname, p.line) not in taken]
        logins += session.logouts(
            (c for f in facts for c in f.session_clears),
            writes,
            ((r.handler, r.path) for r in linked.routes),
            (p.handler for p in (*linked.auth_points, *logins)),
        )
        known = httpauth.objects(facts)
        routes, guards = httpauth.guarded(linked.routes, known)
        points = httpauth.token_logins((*linked.auth_points, *logins), known)
        conventions = FlaskConventions(
            flask_login=FLASK.logs_in(linked, FLASK_LOGIN_KIND),
            session_key=session.user_key(writes),
            login_keys=tuple(sorted(keys.items())),
            httpauth_objects=tuple(sorted(known.items())),
            httpauth_guards=guards,
        )
        captured = unhandled.hookup_capture(
            linked.apps, [c for f in facts for c in f.unhandled_captures]
        )
        return dataclasses.replace(
            linked,
            error_handlers=unhandled.left_to_hookup(linked.error_handlers, captured),
            routes=jwt.keyed_routes(routes, points),
            auth_points=jwt.loaded_identities(points, (r for f in facts for r in f.returns)),
            conventions=conventions,
        )


def _mount_prefix(child: AppObject, registration: Registration | None) -> str | None:
    # Flask's rule: a url_prefix passed to register_blueprint replaces the blueprint's own.
    if registration is not None and registration.prefix is not None:
        return registration.prefix
    return child.prefix


def find_user(
    ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
) -> UserAccess | None:
    """How a Flask handler reaches the current user: flask-login's ``current_user``,
    flask-jwt-extended's token identity, flask-httpauth's ``auth.current_user()`` or
    the user the project keeps on ``g`` (``g.user``, ``g.current_user``)."""
    if ctx.mentions(jwt.PACKAGE):
        found = jwt.find_user(ctx, func, node)
        if found is not None:
            return found
    found = httpauth.find_user(ctx, func, node)
    if found is not None:
        return found
    if not isinstance(node, (ast.Name, ast.Attribute)):
        return None
    qualified = ctx.names.resolve(node)
    spelled = dotted(node)
    if qualified == FLASK_LOGIN_KIND:
        return UserAccess(
            FLASK_LOGIN_KIND, f"{spelled}.get_id()", f"{spelled}.is_authenticated", contract=True
        )
    if qualified is not None and _G_USER.fullmatch(qualified):
        # Typed by what the project assigns it, its id is safe wherever ``g`` holds it.
        g, name = spelled.rsplit(".", 1)
        return UserAccess(
            "flask.g",
            f"{spelled}.id",
            spelled,
            kept_in=qualified,
            present=f'{g}.get("{name}") is not None',
        )
    return None


def _argument_source(ctx: FileContext, user: ast.expr) -> str | None:
    return source_of(ctx, user)


def _flask_sees_server_errors(handler: ErrorHandler) -> bool:
    return handler.server_error


FLASK = Dialect(
    framework="flask",
    packages=("flask", "flask_login", *rest.PACKAGES),
    application="flask.Flask",
    blueprint="flask.Blueprint",
    view_bases={
        "flask.views.MethodView": "MethodView",
        "flask.views.View": "View",
        **rest.VIEW_BASES,
    },
    login_user="flask_login.login_user",
    logout_user="flask_login.logout_user",
    mechanism="flask_login",
    find_user=find_user,
    login_subject=_argument_source,
    sees_server_errors=_flask_sees_server_errors,
    extension_constructors=rest.CONSTRUCTORS,
    extension_kinds=rest.KINDS,
    login_guards={
        "flask_login.login_required": "@login_required",
        "flask_login.fresh_login_required": "@fresh_login_required",
    },
)
#: Class views that dispatch to one method per HTTP verb.
_METHOD_VIEWS = frozenset({"MethodView", *rest.VIEW_BASES.values()})


class FlaskFile:
    """The facts of one file written in Flask's forms, in the names of ``dialect``."""

    def __init__(self, ctx: FileContext, out: FactsBuilder, dialect: Dialect) -> None:
        self.ctx = ctx
        self.out = out
        self.dialect = dialect
        self.file = RouteFile(ctx, dialect.constructors)
        self.imports_flask = imports_any(ctx, dialect.packages)
        # An imported blueprint cannot be checked from this file; a file importing
        # another framework is not taken to declare this one's routes on it.
        self.trust_imported = self.imports_flask or not imports_another_framework(
            ctx, dialect.framework
        )
        self._bodies: dict[ast.AST, BodyFacts] = {}
        #: anything recorded: the builder is shared with the other frameworks' analysers
        self.recorded = False
        #: the paths each function serves in this file, for telling signups from logins
        self._paths: dict[ast.AST, list[str]] = {}

    def collect(self) -> None:
        rest.collect(self)
        if self.dialect is FLASK:
            objects = [*httpauth.returns(self.ctx), *jwt.identity_loaders(self.ctx)]
            self.out.returns.extend(objects)
            self.out.assigned.extend(request_globals.assignments(self.ctx))
            captures = unhandled.collect(self.ctx, self.file)
            self.out.unhandled_captures.extend(captures)
            # The module the callbacks (or the error captures) are in is one the link must see.
            self.recorded = self.recorded or bool(objects) or bool(captures)
        self.out.apps.extend(self.file.apps)
        protecting = guards.module_guards(self.ctx, self.dialect.login_guards)
        self.out.login_guards.extend(protecting)
        self.recorded = self.recorded or bool(protecting)
        for func, found in self.file.decorated(_ROUTE_DECORATORS | _ERROR_DECORATORS):
            if found.attr in _ERROR_DECORATORS:
                self._error_handler(func, found.call.args[:1], found)
            else:
                self._decorator_route(func, found)
        for found in self.file.calls(_OWNER_CALLS):
            if found.attr == "add_url_rule":
                self._url_rule(found)
            elif found.attr == "register_blueprint":
                registration = self.file.registration(
                    found, call_arg(found.call, 0, "blueprint"), "url_prefix"
                )
                if registration is not None and (found.kind or self.trust_imported):
                    self.recorded = True
                    self.out.registrations.append(registration)
            else:
                scope = self.ctx.names.scope_of(found.call)
                handler = self.file.function(call_arg(found.call, 1, "f"), scope)
                if handler is not None:
                    self._error_handler(handler, found.call.args[:1], found)
        self._auth_points()
        if self.file.apps or self.imports_flask or self.recorded:
            self.out.uses(self.dialect.framework)

    # -- routes -----------------------------------------------------------------------------

    def _body(self, func: FunctionNode) -> BodyFacts:
        if func not in self._bodies:
            self._bodies[func] = scan_body(
                self.ctx,
                func,
                self.dialect.find_user,
                logout_calls=frozenset({self.dialect.logout_user}),
            )
        return self._bodies[func]

    def _add_route(
        self,
        owner: str,
        path: str,
        methods: tuple[str, ...],
        func: FunctionNode,
        line: int,
        name: str | None,
        *,
        view_kind: str | None = None,
        action: str | None = None,
        registered_by: ast.expr | None = None,
    ) -> None:
        self._paths.setdefault(func, []).append(path)
        self.recorded = True
        members_only, guarded_by = self._members_only(func, registered_by)
        self.out.routes.append(
            LocalRoute(
                framework=self.dialect.framework,
                owner=owner,
                path=path,
                methods=methods,
                handler=self.ctx.handler(func),
                line=line,
                body=self._body(func),
                name=name,
                view_kind=view_kind,
                action=action,
                members_only=members_only,
                guards=guarded_by,
            )
        )

    def _members_only(
        self, func: FunctionNode, registered_by: ast.expr | None
    ) -> tuple[str | None, tuple[str, ...]]:
        """Why only a logged-in user reaches ``func`` (a decorator of its own below the
        route's, or of its class view's ``decorators`` / ``method_decorators`` list, that is
        a login guard), else the project functions among those decorators, for the link
        to settle."""
        ctx = self.ctx
        why, others = guards.decorated(ctx, func, self.dialect.login_guards, registered_by)
        if why is None and self.dialect is FLASK:
            if jwt.required(ctx, func):
                why = "@jwt_required()"
            elif httpauth.required(ctx, func) is not None:
                why = "flask-httpauth's @login_required"
        owner = ctx.names.parent(func)
        if why is None and isinstance(owner, ast.ClassDef):
            listed = [
                element
                for name in ("decorators", "method_decorators")
                if isinstance(value := _class_attribute(owner, name), (ast.List, ast.Tuple))
                for element in value.elts
            ]
            for element in listed:
                guard = guards.guard_of(ctx, element, self.dialect.login_guards)
                if guard is not None:
                    return self.dialect.login_guards[guard], ()
                if isinstance(element, (ast.Name, ast.Attribute)):
                    resolved = ctx.names.resolve(element)
                    others += (resolved,) if resolved else ()
        return why, () if why is not None else others

    def _decorator_route(self, func: FunctionNode, found: OwnerCall) -> None:
        if found.kind is None and not self.trust_imported:
            return
        spec = route_spec(found.call, found.attr, path_keyword="rule", name_keyword="endpoint")
        if spec is not None:
            name = spec.name or func.name
            self._add_route(
                found.owner,
                spec.path,
                spec.methods,
                func,
                found.call.lineno,
                name,
                registered_by=found.call,
            )

    def _url_rule(self, found: OwnerCall) -> None:
        """``x.add_url_rule(rule, endpoint, view_func, methods=...)``."""
        call = found.call
        if found.kind is None and not self.trust_imported:
            return
        rule = literal_str(call_arg(call, 0, "rule"))
        if rule is None:
            return
        endpoint = literal_str(call_arg(call, 1, "endpoint"))
        methods = literal_methods(call_arg(call, None, "methods"))
        view = call_arg(call, 2, "view_func")
        scope = self.ctx.names.scope_of(call)
        as_view = self._as_view_call(view, scope)
        if as_view is not None:
            self._class_view(found.owner, rule, endpoint, methods, as_view, call.lineno)
            return
        func = self.file.function(view, scope)
        if func is not None:
            self._add_route(
                found.owner, rule, methods or ("GET",), func, call.lineno, endpoint or func.name
            )

    def _as_view_call(self, view: ast.expr | None, scope: Scope) -> ast.Call | None:
        """``Cls.as_view("name")`` passed directly, or through a variable bound to it."""
        if isinstance(view, (ast.Name, ast.Attribute)):
            qualified = self.ctx.names.resolve(view, scope)
            view = self.file.assigned.get(qualified) if qualified else None
        if (
            isinstance(view, ast.Call)
            and isinstance(view.func, ast.Attribute)
            and view.func.attr == "as_view"
        ):
            return view
        return None

    def _class_view(
        self,
        owner: str,
        rule: str,
        endpoint: str | None,
        methods: tuple[str, ...] | None,
        as_view: ast.Call,
        line: int,
    ) -> None:
        """The routes of ``Cls.as_view(name)`` at ``rule``."""
        assert isinstance(as_view.func, ast.Attribute)
        cls = self.file.class_def(as_view.func.value, self.ctx.names.scope_of(as_view))
        if cls is not None:
            name = endpoint or literal_str(call_arg(as_view, 0, "name"))
            self.class_routes(owner, rule, name, methods, cls, line)

    def class_routes(
        self,
        owner: str,
        rule: str,
        name: str | None,
        methods: tuple[str, ...] | None,
        cls: ast.ClassDef,
        line: int,
        *,
        kind: str | None = None,
    ) -> None:
        """One route per HTTP method of a MethodView or Resource, or the dispatch of a View."""
        kind = kind or self.view_kind(cls, frozenset())
        if kind in _METHOD_VIEWS:
            for method in self._methods_of(cls, frozenset()):
                verb = method.name.upper()
                if methods is None or verb in methods:
                    self._query_view(cls, method)
                    self._add_route(
                        owner, rule, (verb,), method, line, name, view_kind=kind, action=method.name
                    )
        elif kind == "View":
            dispatch = next(
                (m for m in self._methods_of(cls, frozenset(), {"dispatch_request"})), None
            )
            if dispatch is not None:
                allowed = methods or literal_methods(_class_attribute(cls, "methods")) or ("GET",)
                self._add_route(
                    owner, rule, allowed, dispatch, line, name, view_kind=kind, action=dispatch.name
                )

    def _query_view(self, cls: ast.ClassDef, method: FunctionNode) -> None:
        """A view class named for a query (``BookSearch``) answers questions: its methods
        change nothing unless their bodies write."""
        body = self._body(method)
        if not reads_as_query(cls.name) or any(e.mutating for e in body.evidence):
            return
        reason = Evidence("read-only", "the view's name reads as a query", cls.lineno, False)
        if reason not in body.evidence:
            self._bodies[method] = dataclasses.replace(body, evidence=(*body.evidence, reason))

    def view_kind(self, cls: ast.ClassDef, seen: frozenset[str]) -> str | None:
        """``MethodView``, ``Resource`` or ``View`` if ``cls`` derives from one (through
        classes of this file)."""
        scope = self.ctx.names.scope_of(cls)
        for base in cls.bases:
            qualified = self.ctx.names.resolve(base, scope) or ""
            if qualified in self.dialect.view_bases:
                return self.dialect.view_bases[qualified]
            local = self.file.classes.get(qualified)
            if local is not None and qualified not in seen:
                kind = self.view_kind(local, seen | {qualified})
                if kind is not None:
                    return kind
        return None

    def _methods_of(
        self,
        cls: ast.ClassDef,
        seen: frozenset[str],
        wanted: frozenset[str] | set[str] = VERB_SHORTCUTS,
    ) -> list[FunctionNode]:
        """The class's methods named in ``wanted``, inherited ones from this file's bases included."""
        found = [
            node
            for node in cls.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in wanted
        ]
        scope = self.ctx.names.scope_of(cls)
        for base in cls.bases:
            qualified = self.ctx.names.resolve(base, scope) or ""
            local = self.file.classes.get(qualified)
            if local is not None and qualified not in seen:
                names = {f.name for f in found}
                inherited = self._methods_of(local, seen | {qualified}, wanted)
                found.extend(f for f in inherited if f.name not in names)
        # One stable order whatever the class's layout: GET, POST, PUT, PATCH, DELETE.
        return sorted(found, key=lambda f: _METHOD_ORDER.get(f.name.upper(), 0))

    # -- error handlers ------------------------------------------------------------------------

    def _error_handler(self, func: FunctionNode, targets: list[ast.expr], found: OwnerCall) -> None:
        # An imported owner cannot be checked from here; a file that uses Flask is trusted.
        if not targets or (found.kind is None and not self.imports_flask):
            return
        scope = self.ctx.names.scope_of(found.call)
        names = [error_target_name(self.ctx, target, scope) for target in targets]
        self.recorded = True
        handler = error_handler(
            self.ctx,
            self.dialect.framework,
            func,
            names,
            found.call.lineno,
            error_param_index=0,
            # Flask hands an unhandled error to HTTPException handlers as an
            # InternalServerError; a REST extension's Api and namespaces do not.
            http_exception_sees_server_errors=found.kind not in rest.KINDS,
        )
        server_error = self.dialect.sees_server_errors(handler)
        # Flask gives a handler of Exception (or of HTTPException) every HTTPException
        # too: a 404, a 401, a 400 as much as an abort(500).
        client_errors = (
            HTTP_EXCEPTION
            if self.dialect is FLASK
            and found.kind not in rest.KINDS
            and any(h.rsplit(".", 1)[-1] in _GIVEN_HTTP_ERRORS for h in handler.handles)
            else None
        )
        # Flask calls a 500 handler of the app or its blueprints after sending the signal
        # the hook-up captures in (an extension's API answers its errors itself).
        after_hookup = (
            self.dialect is FLASK
            and found.kind not in rest.KINDS
            and any(unhandled.after_signal(h) for h in handler.handles)
        )
        self.out.error_handlers.append(
            dataclasses.replace(
                handler,
                server_error=server_error,
                client_errors=client_errors,
                after_hookup=after_hookup,
            )
        )

    # -- login and logout ---------------------------------------------------------------------

    def _auth_points(self) -> None:
        for func in self.file.functions.values():
            paths = self._paths.get(func, [])
            writes, calls = session.scan(self.ctx, func, paths)
            self.out.session_writes.extend(writes)
            self.out.session_clears.extend(session.clears(self.ctx, func))
            self.out.helper_calls.extend(calls)
            tokens = jwt.PACKAGE in self.ctx.source and func in self._paths
            if self.dialect is FLASK and func in self._paths:
                exchange = httpauth.token_login(self.ctx, func, paths)
                if exchange is not None:
                    self.recorded = True
                    self.out.auth_points.append(exchange)
            for node in walk_body(func):
                if not isinstance(node, ast.Call):
                    continue
                if tokens:
                    self._token_login(func, node)
                called = self.ctx.names.resolve(node.func)
                kind: AuthKind
                if called == self.dialect.login_user:
                    kind = "signup" if self._is_signup(func, node) else "login"
                elif called == self.dialect.logout_user:
                    kind = "logout"
                else:
                    continue
                user = call_arg(node, 0, "user")
                self.recorded = True
                self.out.auth_points.append(
                    AuthPoint(
                        kind=kind,
                        framework=self.dialect.framework,
                        handler=self.ctx.handler(func),
                        line=node.lineno,
                        call=called,
                        user_expression=(
                            self.dialect.login_subject(self.ctx, user) if user is not None else None
                        ),
                        mechanism=self.dialect.mechanism,
                    )
                )

    def _token_login(self, func: FunctionNode, call: ast.Call) -> None:
        """A route that issues a token without needing one logs the user in (or, having
        built and saved the user, signs them up); a refresh route needs a token."""
        issued = jwt.issued_identity(self.ctx, call)
        if issued is None or jwt.required(self.ctx, func):
            return
        subject, key = issued
        words = " ".join([self.ctx.names.qualname_of(func), *self._paths.get(func, [])])
        built = subject.isidentifier() and user_construction(func, subject) is not None
        signup = SIGNUP_WORDS.search(words) is not None or (
            built and any(e.mutating for e in self._body(func).evidence)
        )
        self.recorded = True
        self.out.auth_points.append(
            AuthPoint(
                kind="signup" if signup else "login",
                framework=self.dialect.framework,
                handler=self.ctx.handler(func),
                line=call.lineno,
                call=dotted(call.func),
                user_expression=subject,
                mechanism=jwt.MECHANISM,
                key=key,
            )
        )

    def _is_signup(self, func: FunctionNode, login: ast.Call) -> bool:
        """Is this ``login_user`` the end of a signup? Its handler's name or route says so,
        or the handler built the user it logs in and wrote it to the database."""
        # A resource class's name says it as well: ``class Signup(Resource)``.
        words = " ".join([self.ctx.names.qualname_of(func), *self._paths.get(func, [])])
        if SIGNUP_WORDS.search(words):
            return True
        user = call_arg(login, 0, "user")
        subject = self.dialect.login_subject(self.ctx, user) if user is not None else None
        if (
            subject is None
            or not subject.isidentifier()
            or user_construction(func, subject, at=login.lineno) is None
        ):
            return False
        return any(e.mutating for e in self._body(func).evidence)


def _class_attribute(cls: ast.ClassDef, name: str) -> ast.expr | None:
    """The value assigned to a class attribute in the class body (``methods = [...]``)."""
    for node in cls.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node.value
    return None


analyser = FlaskAnalyser()
