"""What the Flask and FastAPI analysers share.

Both frameworks build route owners by calling a constructor (``Flask``,
``Blueprint``, ``FastAPI``, ``APIRouter``), attach handlers with decorators
or ``add_*`` calls on those owners, mount owners under each other with a
prefix (``register_blueprint``, ``include_router``) and register exception
handlers. This module holds that common shape: finding the owners of one file
(``RouteFile``), reading route decorators (``RouteSpec``), judging error
handlers, and linking owners across files into full paths (``link_routes``).
The framework modules only say which names mean what.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from posthog_setup.analysis.body import dotted, judge_mutating, walk_body
from posthog_setup.analysis.context import FileContext, FunctionNode, Linked
from posthog_setup.analysis.flow import reaching_bindings
from posthog_setup.analysis.guards import project_guards, settled
from posthog_setup.analysis.model import (
    HTTP_METHODS,
    AppKind,
    AppObject,
    BodyFacts,
    EndpointRef,
    ErrorHandler,
    Framework,
    LocalRoute,
    ModuleFacts,
    Registration,
    Route,
    UserAccess,
)
from posthog_setup.analysis.names import Scope
from posthog_setup.analysis.paths import join_paths, path_parameters


def endpoints_of(framework: Framework, facts: Sequence[ModuleFacts]) -> dict[str, list[LocalRoute]]:
    """The framework's handlers that routes name, by the name they are called by."""
    found: dict[str, list[LocalRoute]] = {}
    for module in facts:
        for endpoint in module.endpoints:
            if endpoint.framework == framework:
                found.setdefault(endpoint.name or "", []).append(endpoint)
    return found


def join_endpoints(
    framework: Framework,
    facts: Sequence[ModuleFacts],
    routes_of: Callable[[EndpointRef], Iterable[LocalRoute]],
) -> list[ModuleFacts]:
    """``facts`` with the routes of each reference to a named endpoint (which may live in
    another module: ``Route(path, endpoint)``) added to the module that makes it."""
    return [
        dataclasses.replace(
            module,
            routes=module.routes
            + tuple(
                route
                for ref in module.endpoint_refs
                if ref.framework == framework
                for route in routes_of(ref)
            ),
        )
        for module in facts
    ]


def routes_of(ref: EndpointRef, endpoints: Sequence[LocalRoute]) -> list[LocalRoute]:
    """The routes a reference to an endpoint serves: a function for the methods the
    reference lists (GET when none), a class view once for each verb method it defines
    that the reference allows."""
    found = []
    for endpoint in endpoints:
        if endpoint.action is None:
            methods = ref.methods or ("GET",)
        elif ref.methods is None or endpoint.methods[0] in ref.methods:
            methods = endpoint.methods
        else:
            continue
        found.append(
            dataclasses.replace(
                endpoint,
                owner=ref.owner,
                path=ref.path,
                methods=methods,
                line=ref.line,
                name=ref.name or endpoint.handler.name,
            )
        )
    return found


#: Decorator / method names that stand for one HTTP method (``@bp.post``, ``@router.get``).
VERB_SHORTCUTS = frozenset(method.lower() for method in HTTP_METHODS)

# -- literals -------------------------------------------------------------------------


@dataclass(frozen=True)
class PassedName:
    """A plain name a call of the project's own passes (``setup_routes(app)``): the
    called function's parameter at ``index`` stands for what ``qualified`` names."""

    function: str
    index: int
    argument: ast.Name
    qualified: str
    scope: Scope
    line: int

    def registration(self, owner: str, file: str) -> Registration:
        """``owner`` registered under the function's parameter (``setup_routes:0``)."""
        return Registration(owner, f"{self.function}:{self.index}", None, file, self.line)


def passed_names(ctx: FileContext, call: ast.Call, framework: str) -> Iterator[PassedName]:
    """The plain names ``call`` passes, where it calls a function of the project (not one of
    ``framework``'s own, by its package name) and each name resolves."""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return
    scope = ctx.names.scope_of(call)
    function = ctx.names.resolve(call.func, scope)
    if function is None or function.startswith(framework):
        return
    for index, argument in enumerate(call.args):
        if isinstance(argument, ast.Name):
            qualified = ctx.names.resolve(argument, scope)
            if qualified is not None:
                yield PassedName(function, index, argument, qualified, scope, call.lineno)


def call_arg(call: ast.Call, index: int | None, keyword: str) -> ast.expr | None:
    """The argument passed by keyword, or else at ``index``, if any."""
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if index is not None and len(call.args) > index:
        arg = call.args[index]
        return None if isinstance(arg, ast.Starred) else arg
    return None


def named_assignments(statements: Iterable[ast.stmt]) -> Iterator[tuple[ast.Name, ast.expr]]:
    """(target, value) of each ``name = value`` and ``name: T = value`` among ``statements``."""
    for stmt in statements:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if isinstance(target, ast.Name):
            yield target, value


def literal_str(node: ast.AST | None) -> str | None:
    """The value of a string constant, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def literal_methods(node: ast.AST | None) -> tuple[str, ...] | None:
    """``["get", "POST"]`` -> ``("GET", "POST")``; None when not a literal collection."""
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return None
    methods: list[str] = []
    for element in node.elts:
        value = literal_str(element)
        if value is None:
            return None
        if value.upper() not in methods:
            methods.append(value.upper())
    return tuple(methods)


def imports_any(ctx: FileContext, packages: Collection[str]) -> bool:
    """Does the module import anything from one of ``packages`` at its top level?"""
    return any(target.split(".", 1)[0] in packages for target in ctx.names.imports.values())


def imports_another_framework(ctx: FileContext, own: str) -> bool:
    """Does the module import another analysed framework than ``own``?"""
    return imports_any(
        ctx, {p for name, ps in ctx.framework_packages.items() if name != own for p in ps}
    )


def source_of(ctx: FileContext, node: ast.AST) -> str:
    """The node's source text as written (falling back to ``ast.unparse``)."""
    return ctx.segment(node) or ast.unparse(node)


# -- route decorators -------------------------------------------------------------------


@dataclass(frozen=True)
class RouteSpec:
    """What a route decorator or ``add_*`` call says: path, methods and route name."""

    path: str
    methods: tuple[str, ...]
    name: str | None = None


def route_spec(
    call: ast.Call,
    verb: str,
    *,
    path_keyword: str,
    name_keyword: str,
    path_index: int | None = 0,
) -> RouteSpec | None:
    """Read ``@x.get(path)`` (a verb shortcut) or ``@x.route(path, methods=[...])``.

    Only literal paths are taken: a computed path cannot be reported faithfully.
    Without ``methods`` a route answers GET, in Flask and FastAPI alike.
    """
    path = literal_str(call_arg(call, path_index, path_keyword))
    if path is None:
        return None
    name = literal_str(call_arg(call, None, name_keyword))
    if verb in VERB_SHORTCUTS:
        return RouteSpec(path, (verb.upper(),), name)
    methods = literal_methods(call_arg(call, None, "methods"))
    return RouteSpec(path, methods or ("GET",), name)


# -- one file's owners and functions ----------------------------------------------------


@dataclass(frozen=True)
class Constructor:
    """A framework class whose instances own routes, and its prefix keyword."""

    kind: AppKind
    prefix_keyword: str | None = None


@dataclass(frozen=True)
class OwnerCall:
    """``<owner>.<attr>(...)``: a call (or decorator) on a possible route owner."""

    call: ast.Call
    owner: str
    attr: str
    #: the owner's kind when this file creates it; None when it is imported
    kind: AppKind | None


@dataclass(frozen=True)
class FileScan:
    """What every framework's ``RouteFile`` reads off a file the same way, read once
    (``FileContext.route_scan``): its definitions and its ``name = value`` bindings."""

    functions: dict[str, FunctionNode]
    classes: dict[str, ast.ClassDef]
    #: each binding of a plain name, in walk order: the statement, the name, the value,
    #: the name qualified and what the value calls, qualified ("" if not a known call)
    assignments: tuple[tuple[ast.Assign | ast.AnnAssign, ast.Name, ast.expr, str, str], ...]


def scan_file(ctx: FileContext) -> FileScan:
    """The definitions and name bindings of ``ctx``'s file (see ``FileScan``)."""
    functions: dict[str, FunctionNode] = {}
    classes: dict[str, ast.ClassDef] = {}
    assignments = []
    for node in ctx.nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[ctx.names.scope_for_def(node).qualname] = node
        elif isinstance(node, ast.ClassDef):
            classes[ctx.names.scope_for_def(node).qualname] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                qualified = ctx.names.resolve(target)
                if qualified is not None:
                    called = ctx.names.resolve_call(node.value) or ""
                    assignments.append((node, target, node.value, qualified, called))
    return FileScan(functions, classes, tuple(assignments))


class RouteFile:
    """The route owners one file creates, and lookups every analyser needs on it."""

    def __init__(self, ctx: FileContext, constructors: Mapping[str, Constructor]) -> None:
        self.ctx = ctx
        self.apps: list[AppObject] = []
        scan = ctx.route_scan
        # Shared by every analyser's RouteFile of the file: read, never changed.
        self.functions: dict[str, FunctionNode] = scan.functions
        self.classes: dict[str, ast.ClassDef] = scan.classes
        #: module-level and function-level ``name = <call>`` bindings, by qualified name
        self.assigned: dict[str, ast.expr] = {}
        constructors = {**constructors, **self._subclass_constructors(constructors)}
        for node, target, value, qualified, called in scan.assignments:
            self._note_assignment(node, target, value, qualified, constructors.get(called))
        self.apps.sort(key=lambda app: app.line)
        self.kinds: dict[str, AppKind] = {app.name: app.kind for app in self.apps}

    def _subclass_constructors(
        self, constructors: Mapping[str, Constructor]
    ) -> dict[str, Constructor]:
        """Classes of this file that subclass a framework class (``class CTFdFlask(Flask)``):
        calling one creates an app of that framework too."""
        found: dict[str, Constructor] = {}
        for stmt in self.ctx.tree.body:
            if not isinstance(stmt, ast.ClassDef):
                continue
            for base in stmt.bases:
                constructor = constructors.get(self.ctx.names.resolve(base) or "")
                if constructor is not None:
                    found[self.ctx.qualified(stmt.name)] = constructor
        return found

    def _note_assignment(
        self,
        node: ast.Assign | ast.AnnAssign,
        target: ast.Name,
        value: ast.expr,
        qualified: str,
        constructor: Constructor | None,
    ) -> None:
        self.assigned[qualified] = value
        if constructor is None or not isinstance(value, ast.Call):
            return
        prefix = ""
        if constructor.prefix_keyword is not None:
            prefix = literal_str(call_arg(value, None, constructor.prefix_keyword)) or ""
        self.apps.append(
            AppObject(
                kind=constructor.kind,
                name=qualified,
                file=self.ctx.file,
                line=node.lineno,
                factory=self._factory_of(node, target.id),
                prefix=prefix,
            )
        )

    def _factory_of(self, node: ast.AST, local: str) -> str | None:
        """The function that creates ``local`` and returns it (an app factory), if any."""
        scope = self.ctx.names.scope_of(node)
        func = scope.node
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        for inner in walk_body(func):
            if (
                isinstance(inner, ast.Return)
                and isinstance(inner.value, ast.Name)
                and inner.value.id == local
            ):
                return self.ctx.names.qualname_of(func)
        return None

    # -- owners ---------------------------------------------------------------------------

    def owner(self, expr: ast.expr, scope: Scope) -> tuple[str, AppKind | None] | None:
        """The qualified name of a possible route owner, and its kind if created here.

        An object created in this file counts only if a framework constructor made
        it; anything else bound here (``cache = Cache()``, a parameter, a local that
        shadows an imported app) is not an owner. An imported object cannot be
        checked from this file alone; ``link_routes`` keeps it only if another file
        creates it with a framework constructor.
        """
        qualified = self.ctx.names.resolve(expr, scope)
        if qualified is None:
            return None
        if qualified in self.kinds:
            return qualified, self.kinds[qualified]
        base = expr
        while isinstance(base, ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name):
            return None
        target = self.ctx.names.resolve_name(base.id, scope, base.lineno) or ""
        defined_here = ".<locals>." in target or (
            target == self.ctx.qualified(base.id) and self.ctx.names.imports.get(base.id) != target
        )
        return None if defined_here else (qualified, None)

    def decorated(self, attrs: Collection[str]) -> Iterator[tuple[FunctionNode, OwnerCall]]:
        """Functions decorated with ``@<owner>.<attr>(...)`` for one of ``attrs``."""
        for func in self.functions.values():
            # Decorators run in the scope around the function, not in its body.
            scope = self.ctx.names.scope_of(func)
            for decorator in func.decorator_list:
                found = self._owner_call(decorator, attrs, scope)
                if found is not None:
                    yield func, found

    def calls(self, attrs: Collection[str]) -> Iterator[OwnerCall]:
        """Calls ``<owner>.<attr>(...)`` anywhere in the file, in source order."""
        found = []
        for node in self.ctx.nodes:
            if isinstance(node, ast.Call):
                call = self._owner_call(node, attrs, self.ctx.names.scope_of(node))
                if call is not None:
                    found.append(call)
        yield from sorted(found, key=lambda c: (c.call.lineno, c.call.col_offset))

    def _owner_call(self, node: ast.expr, attrs: Collection[str], scope: Scope) -> OwnerCall | None:
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in attrs
        ):
            return None
        owner = self.owner(node.func.value, scope)
        if owner is None:
            return None
        return OwnerCall(node, owner[0], node.func.attr, owner[1])

    def function(self, expr: ast.AST | None, scope: Scope) -> FunctionNode | None:
        """The function defined in this file that ``expr`` names, if any."""
        if expr is None:
            return None
        qualified = self.ctx.names.resolve(expr, scope)
        return self.functions.get(qualified) if qualified else None

    def class_def(self, expr: ast.AST, scope: Scope) -> ast.ClassDef | None:
        """The class defined in this file that ``expr`` names, if any."""
        qualified = self.ctx.names.resolve(expr, scope)
        return self.classes.get(qualified) if qualified else None

    def registration(
        self, found: OwnerCall, child: ast.expr | None, prefix_keyword: str
    ) -> Registration | None:
        """``parent.register_blueprint(child, url_prefix=...)`` / ``include_router(...)``."""
        if child is None:
            return None
        child_name = self.ctx.names.resolve(child, self.ctx.names.scope_of(found.call))
        if child_name is None:
            return None
        return Registration(
            parent=found.owner,
            child=child_name,
            prefix=literal_str(call_arg(found.call, None, prefix_keyword)),
            file=self.ctx.file,
            line=found.call.lineno,
        )


# -- error handlers ---------------------------------------------------------------------

_SERVER_ERROR_CLASSES = frozenset({"Exception", "BaseException"})
_HTTP_EXCEPTIONS = frozenset(
    {
        "werkzeug.exceptions.HTTPException",
        "fastapi.HTTPException",
        "starlette.exceptions.HTTPException",
    }
)
_STATUS_CONSTANT = re.compile(r"HTTP_(?P<code>\d{3})_")


def error_target_name(ctx: FileContext, node: ast.expr, scope: Scope) -> str:
    """How an error handler's target is reported: ``"500"``, ``"Exception"``, a qualified name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return str(node.value)
    return ctx.names.resolve(node, scope) or dotted(node) or source_of(ctx, node)


def is_server_error(target: str, *, http_exception_sees_server_errors: bool) -> bool:
    """Does a handler for ``target`` see server errors (so capture_exception belongs there)?

    True for 5xx status codes, ``Exception``-wide handlers and ``InternalServerError``.
    A handler for every HTTP exception sees server errors in Flask (an unhandled
    exception reaches it as ``InternalServerError``) but not in Starlette, where
    ``HTTPException`` is only what the application raises on purpose.
    """
    status = _STATUS_CONSTANT.search(target)
    code = target if target.isdigit() else status.group("code") if status else None
    if code is not None:
        return 500 <= int(code) <= 599
    if target in _SERVER_ERROR_CLASSES or target.rsplit(".", 1)[-1] == "InternalServerError":
        return True
    return http_exception_sees_server_errors and target in _HTTP_EXCEPTIONS


def error_handler(
    ctx: FileContext,
    framework: Framework,
    func: FunctionNode,
    targets: Sequence[str],
    line: int,
    *,
    error_param_index: int,
    http_exception_sees_server_errors: bool,
) -> ErrorHandler:
    """The ErrorHandler record of ``func`` handling ``targets``."""
    handler = ctx.handler(func)
    params = (
        handler.params[1:]
        if handler.class_name and handler.params[:1] == ("self",)
        else handler.params
    )
    return ErrorHandler(
        framework=framework,
        handler=handler,
        handles=tuple(targets),
        line=line,
        server_error=any(
            is_server_error(t, http_exception_sees_server_errors=http_exception_sees_server_errors)
            for t in targets
        ),
        error_param=params[error_param_index] if len(params) > error_param_index else None,
        captures=calls_capture_exception(func),
    )


def calls_capture_exception(func: FunctionNode) -> bool:
    """Does ``func`` call a ``capture_exception`` (of any client) in its body?"""
    return any(
        isinstance(node, ast.Call) and dotted(node.func).rsplit(".", 1)[-1] == "capture_exception"
        for node in walk_body(func)
    )


# -- linking ----------------------------------------------------------------------------

#: The prefix one mount adds: the child, and the registration (None for an unmounted root).
MountPrefix = Callable[[AppObject, Registration | None], str | None]


class _Owners:
    """App objects by name, following package re-exports."""

    def __init__(self, apps: Sequence[AppObject]) -> None:
        self.apps = apps
        self.by_name = {app.name: app for app in apps}

    def find(self, name: str) -> AppObject | None:
        """The app object ``name`` refers to.

        ``pkg.bp`` may be a package re-exporting ``from .views import bp``; files
        that only re-export are not analysed, so the one object called ``bp`` in a
        module under ``pkg`` is taken (none if several would fit).
        """
        found = self.by_name.get(name)
        if found is not None:
            return found
        package, _, local = name.rpartition(".")
        candidates = [
            app
            for app in self.apps
            if app.name.startswith(f"{package}.")
            and app.name.rsplit(".", 1)[-1] == local
            and ".<locals>." not in app.name
        ]
        return candidates[0] if len(candidates) == 1 else None


def _mount_paths(
    app: AppObject,
    mounts: Mapping[str, Sequence[tuple[Registration, AppObject]]],
    mount_prefix: MountPrefix,
    seen: frozenset[str],
) -> list[tuple[str | None, ...]]:
    """Every chain of prefixes from a root down to ``app``, one per registration path."""
    parents = [(reg, parent) for reg, parent in mounts.get(app.name, ()) if parent.name not in seen]
    if not parents:
        return [(mount_prefix(app, None),)]
    chains: list[tuple[str | None, ...]] = []
    for registration, parent in parents:
        for chain in _mount_paths(parent, mounts, mount_prefix, seen | {app.name}):
            extended = (*chain, mount_prefix(app, registration))
            if extended not in chains:
                chains.append(extended)
    return chains


def link_routes(
    framework: Framework,
    facts: Sequence[ModuleFacts],
    kinds: Collection[AppKind],
    mount_prefix: MountPrefix,
) -> Linked:
    """Resolve full paths for one framework's routes across the project's files.

    Each route's owner is followed up its registrations (child -> parent) to the
    roots; a blueprint or router mounted twice yields one route per mount. Routes
    whose owner no file creates with a framework constructor are dropped: they
    were decorators that only looked like routes.
    """
    apps = sorted(
        (app for module in facts for app in module.apps if app.kind in kinds),
        key=lambda app: (app.file, app.line, app.name),
    )
    owners = _Owners(apps)
    mounts: dict[str, list[tuple[Registration, AppObject]]] = {}
    registrations = sorted(
        (r for module in facts for r in module.registrations), key=lambda r: (r.file, r.line)
    )
    for registration in registrations:
        child = owners.find(registration.child)
        parent = owners.find(registration.parent)
        if child is not None and parent is not None:
            mounts.setdefault(child.name, []).append((registration, parent))

    routes: list[Route] = []
    guarding = project_guards(module.login_guards for module in facts)
    for module in facts:
        for local in module.routes:
            owner = owners.find(local.owner) if local.framework == framework else None
            if owner is None:
                continue
            for chain in _mount_paths(owner, mounts, mount_prefix, frozenset()):
                path = join_paths(*chain, local.path)
                routes.append(linked_route(local, owner, path, guarding))
    return linked(framework, facts, apps, routes)


def linked(
    framework: Framework,
    facts: Sequence[ModuleFacts],
    apps: Sequence[AppObject],
    routes: Sequence[Route],
) -> Linked:
    """One framework's linked apps and routes, with its auth points and error handlers from
    every file, each in a stable order (routes by where they are declared)."""
    auth_points = sorted(
        (p for module in facts for p in module.auth_points if p.framework == framework),
        key=lambda p: (p.handler.file, p.line),
    )
    error_handlers = sorted(
        (h for module in facts for h in module.error_handlers if h.framework == framework),
        key=lambda h: (h.handler.file, h.line, h.handler.line),
    )
    return Linked(
        apps=tuple(apps),
        routes=tuple(
            sorted(
                routes, key=lambda r: (r.handler.file, r.line, r.handler.line, r.path, r.methods)
            )
        ),
        auth_points=tuple(auth_points),
        error_handlers=tuple(error_handlers),
    )


def linked_route(
    local: LocalRoute, owner: AppObject, path: str, guarding: Mapping[str, str] | None = None
) -> Route:
    """A declared route at its full path, judged mutating or not from its body; only for
    logged-in users where its file says so or one of its guards is among ``guarding`` (the
    project's own, see ``analysis.guards``)."""
    mutating, evidence = judge_mutating(local.methods, local.body)
    return Route(
        framework=local.framework,
        path=path,
        methods=local.methods,
        handler=local.handler,
        owner=owner.name,
        line=local.line,
        mutating=mutating,
        evidence=evidence,
        user_access=local.body.user_access,
        path_params=path_parameters(path),
        name=local.name,
        view_kind=local.view_kind,
        action=local.action,
        change_line=local.body.change_line,
        captures=local.body.captures,
        ignored=local.body.ignored,
        locals=local.body.locals,
        anchor=local.body.anchor,
        proven=local.body.proven,
        typed=local.body.typed,
        lookup_keys=local.body.lookup_keys,
        written=local.body.written,
        toggles=local.body.toggles,
        existing_change=local.body.existing_change,
        outcomes=local.body.outcomes,
        branches=local.body.branches,
        counts=local.body.counts,
        calls=local.body.calls,
        members_only=settled(local.members_only, local.guards, guarding or {}),
    )


def with_user(body: BodyFacts, user: UserAccess | None) -> BodyFacts:
    """``body`` with ``user_access`` set when the body did not find one itself."""
    if body.user_access is None and user is not None:
        return replace(body, user_access=user)
    return body


# -- auth -------------------------------------------------------------------------------

#: Handler names and paths that say "a new account is made here".
SIGNUP_WORDS = re.compile(r"sign_?up|register|create_account|new_user|join", re.IGNORECASE)


def user_construction(func: FunctionNode, name: str, at: int | None = None) -> ast.Call | None:
    """The call that builds the user bound to ``name`` in ``func``'s body, if one does;
    with ``at``, one whose binding reaches the statement on that line (``if user is None:
    user = User(...); ...; login_user(user); return ...`` then ``login_user(user)``: the
    second logs in the user the lookup found).

    ``user = User(...)`` (a class, by convention capitalised) or ``user =
    create_user(...)`` / ``await repo.create_user(...)`` / ``user: UserRead = await
    crud_users.create(...)``: anything whose callee is a class or speaks of creating a user.
    """
    reaching = None if at is None else reaching_bindings(func, at, including=False).get(name, ())
    for node in walk_body(func):
        if isinstance(node, ast.Assign):
            targets: list[ast.expr] = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        else:
            continue
        if not any(
            isinstance(t, ast.Name) and t.id == name and (reaching is None or t in reaching)
            for t in targets
        ):
            continue
        assert node.value is not None
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        if not isinstance(value, ast.Call):
            continue
        receiver, _, callee = dotted(value.func).rpartition(".")
        if callee[:1].isupper() or re.search(r"(create|register|add|new)_?user", callee, re.I):
            return value
        if callee in _CREATING and _USERS.search(receiver.rsplit(".", 1)[-1]):
            return value
    return None


#: A method that creates what its receiver holds, and receivers that hold users.
_CREATING = frozenset({"create", "add", "insert", "register", "create_one", "insert_one"})
_USERS = re.compile(r"(^|_)(users?|accounts?|members?)(_|$)", re.IGNORECASE)
