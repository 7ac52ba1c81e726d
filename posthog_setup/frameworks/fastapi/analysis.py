"""FastAPI: apps, routers and their prefixes, routes, exception handlers, token auth.

Routes come from ``@r.get``-style decorators, ``@r.api_route`` and
``r.add_api_route``, where ``r`` is an object a ``FastAPI(...)`` or
``APIRouter(...)`` call created. ``include_router`` mounts a router under an
app or another router; the include prefix and the router's own prefix add up.
A handler reaches the current user through a parameter that depends on a
user-returning function (``Depends(get_current_user)``); a user logs in where a
handler authenticates and issues a token.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence

from posthog_setup.analysis.body import dotted, scan_body, walk_body, write_evidence
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.flow import past_guard
from posthog_setup.analysis.model import (
    AppKind,
    AppObject,
    AuthKind,
    AuthPoint,
    BodyFacts,
    Framework,
    LocalRoute,
    ModuleFacts,
    Registration,
    Route,
    UserAccess,
)
from posthog_setup.analysis.routing import (
    SIGNUP_WORDS,
    VERB_SHORTCUTS,
    Constructor,
    OwnerCall,
    RouteFile,
    RouteSpec,
    call_arg,
    error_handler,
    error_target_name,
    imports_another_framework,
    imports_any,
    link_routes,
    named_assignments,
    route_spec,
    user_construction,
    with_user,
)
from posthog_setup.frameworks.fastapi import users
from posthog_setup.frameworks.starlette.analysis import STARLETTE_USER, user_read

# Words first, then a regex that starts with a literal: a regex of alternatives is tried
# at every position of every file, a tenth of a parse.
_WORDS = ("fastapi", "APIRouter", "include_router", "add_api_route", "exception_handler")
_VERB_DECORATOR = re.compile(r"@\w[\w.]*\.(?:get|post|put|patch|delete|api_route)\(")
_CONSTRUCTORS = {
    "fastapi.FastAPI": Constructor("fastapi.FastAPI"),
    "fastapi.APIRouter": Constructor("fastapi.APIRouter", prefix_keyword="prefix"),
}
_KINDS: tuple[AppKind, ...] = ("fastapi.FastAPI", "fastapi.APIRouter")
_ROUTE_DECORATORS = VERB_SHORTCUTS | {"api_route"}
_OWNER_CALLS = frozenset({"add_api_route", "include_router", "add_exception_handler"})
_DEPENDS = frozenset({"fastapi.Depends", "fastapi.Security"})
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_PASSWORD_FORMS = frozenset(
    {
        "fastapi.security.OAuth2PasswordRequestForm",
        "fastapi.security.OAuth2PasswordRequestFormStrict",
        "fastapi.security.oauth2.OAuth2PasswordRequestForm",
        "fastapi.security.oauth2.OAuth2PasswordRequestFormStrict",
    }
)
_USER_DEPENDENCY = re.compile(r"user", re.IGNORECASE)
_ISSUES_TOKEN = re.compile(
    r"(create|issue|generate|encode|make|sign)_?(access_|refresh_|jwt_|auth_|session_)?token|jwt\.encode",
    re.IGNORECASE,
)
_AUTHENTICATES = re.compile(
    r"authenticate|verify_password|check_password|verify_credentials", re.IGNORECASE
)
_LOGOUT_WORDS = re.compile(r"log_?out|sign_?out", re.IGNORECASE)
_USER_WORDS = re.compile(r"user|account|member", re.IGNORECASE)


class FastAPIAnalyser:
    """Finds FastAPI apps, routers, routes, exception handlers and token logins."""

    name: Framework = "fastapi"
    packages: tuple[str, ...] = ("fastapi", "starlette")
    app_kinds: tuple[str, ...] = ("fastapi",)
    primary_kind = "fastapi.FastAPI"
    spellings: Mapping[str, str] = {
        "fastapi.applications.": "fastapi.",
        "fastapi.routing.": "fastapi.",
        "fastapi.param_functions.": "fastapi.",
        "fastapi.params.": "fastapi.",
        "fastapi.exceptions.": "fastapi.",
        "starlette.applications.": "starlette.",
        "fastapi.routing.APIRouter": "fastapi.APIRouter",
        "starlette.routing.Router": "starlette.Router",
    }

    def wants(self, source: str) -> bool:
        """Could this file declare anything FastAPI? (A text test; false positives are fine.)"""
        return any(w in source for w in _WORDS) or _VERB_DECORATOR.search(source) is not None

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the apps, routes, includes, exception handlers and auth points of one file."""
        _FastAPIFile(ctx, out).collect()

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Resolve every route's full path through ``include_router`` prefixes, give
        handlers the user a dependency alias of another module injects, and keep no signup
        of a route only logged-in users reach (an admin makes that account)."""
        linked = link_routes("fastapi", facts, _KINDS, _mount_prefix)
        aliases = {alias for f in facts for alias in f.user_aliases}
        if aliases:
            linked = dataclasses.replace(linked, routes=tuple(alias_users(linked.routes, aliases)))
        return dataclasses.replace(
            linked, auth_points=tuple(strangers_signups(linked.auth_points, linked.routes))
        )


def _mount_prefix(child: AppObject, registration: Registration | None) -> str | None:
    # FastAPI's rule: include_router's prefix comes before the router's own prefix.
    include = registration.prefix if registration is not None else None
    return (include or "") + child.prefix


#: The ASGI app's classes, by qualified name.
_APP_CLASSES = frozenset({"fastapi.FastAPI", "starlette.Starlette"})
#: Packages that serve, wrap or test an app without registering handlers on it.
_SERVING = frozenset(
    {
        "fastapi", "starlette", "posthog", "uvicorn", "hypercorn", "gunicorn", "granian",
        "mangum", "httpx", "asgi_lifespan", "a2wsgi", "asgiref", "typing", "logging",
    }
)  # fmt: skip


def handed_app(ctx: FileContext) -> list[str]:
    """The functions, qualified, that the module hands an app to: a name bound to
    ``FastAPI(...)``, or a parameter annotated with the app's class or named ``app`` /
    ``application``, passed to a function of a package that does not just serve it
    (``register_orm(app, ...)``: what it registers on the app, startup handlers a new
    lifespan would stop, is not in the project's code)."""
    found: list[str] = []
    apps: dict[ast.AST, set[str]] = {}
    for node in ctx.nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            apps.setdefault(node, set()).update(
                a.arg
                for a in _arguments(node)
                if a.arg in ("app", "application")
                or (
                    a.annotation is not None
                    and ctx.names.resolve(a.annotation, ctx.names.scope_of(node)) in _APP_CLASSES
                )
            )
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and ctx.names.resolve_call(node.value) in _APP_CLASSES
        ):
            owner = ctx.names.scope_of(node).node
            apps.setdefault(owner, set()).update(
                t.id for t in node.targets if isinstance(t, ast.Name)
            )
    if not any(apps.values()):
        return found
    for node in ctx.nodes:
        if not isinstance(node, ast.Call):
            continue
        scope = ctx.names.scope_of(node)
        names = apps.get(scope.node, set()) | apps.get(ctx.tree, set())
        given = [*node.args, *(k.value for k in node.keywords)]
        if not any(isinstance(a, ast.Name) and a.id in names for a in given):
            continue
        called = ctx.names.resolve(node.func, scope) or ""
        if "." in called and called.split(".", 1)[0] not in _SERVING:
            found.append(called)
    return found


def handed_on(func: FunctionNode, line: int, name: str) -> tuple[int, str | None] | None:
    """(line, name bound to its result, if any) of the first statement after ``line`` that
    calls ``name`` or hands it to a call (``user = await users.create(data)``, ``return
    await register(data)``), where one does. None where the handler writes it itself
    (``db.add(user)``): then it is the user."""
    found = [
        node
        for node in walk_body(func)
        if isinstance(node, ast.Call)
        and node.lineno > line
        and any(
            isinstance(n, ast.Name) and n.id == name
            for n in (node.func, *node.args, *(k.value for k in node.keywords))
        )
    ]
    if not found or any(write_evidence(call) is not None for call in found):
        return None
    call = min(found, key=lambda c: (c.lineno, c.col_offset))
    statement = next(
        (
            s
            for s in walk_body(func)
            if isinstance(s, ast.stmt)
            and s.lineno <= call.lineno <= (s.end_lineno or s.lineno)
            and not isinstance(
                s, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
            )
        ),
        None,
    )
    if statement is None:
        return None
    bound = (
        statement.targets[0].id
        if isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        else statement.target.id
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
        else None
    )
    return statement.lineno, bound


#: A request's classes, by qualified name.
_REQUESTS = frozenset({"fastapi.Request", "starlette.requests.Request"})


def request_user(
    ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
) -> UserAccess | None:
    """``request.user`` read on a parameter annotated as the request: the user Starlette's
    authentication middleware put there. Reading it raises without that middleware, so its
    id is read only where the handler read it first (see ``proven_user_id``)."""
    read = user_read(func, node)
    if read is None or not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    scope = ctx.names.scope_of(func)
    param = next((a for a in _arguments(func) if a.arg == read), None)
    if (
        param is None
        or param.annotation is None
        or ctx.names.resolve(param.annotation, scope) not in _REQUESTS
    ):
        return None
    return UserAccess(STARLETTE_USER, f"{read}.user.id", None)


def dependency_user(ctx: FileContext, func: FunctionNode) -> UserAccess | None:
    """A parameter that depends on a user-returning function: ``user = Depends(get_current_user)``,
    ``user: Annotated[User, Depends(get_current_user)]`` or an alias of that defined in this
    file (an alias imported from another module is settled by the link: ``alias_users``)."""
    for param, dependency in _dependencies(ctx, func):
        if _is_user_dependency(dependency):
            arg = next(a for a in _arguments(func) if a.arg == param)
            return _dict_user_param(param) if _declares_dict(ctx, arg) else _user_param(param)
    return None


def _declares_dict(ctx: FileContext, arg: ast.arg) -> bool:
    """Is the parameter declared a dict (``Annotated[dict, Depends(get_current_user)]``, a
    dependency that answers the token's claims)?"""
    declared = _declared_type(ctx, arg.annotation)
    if declared is None and isinstance(arg.annotation, ast.Subscript):
        inner = _annotated_type(ctx, arg.annotation)
        declared = inner[0] if inner else None
    if isinstance(declared, ast.Subscript):
        declared = declared.value  # ``dict[str, Any]``
    if not isinstance(declared, (ast.Name, ast.Attribute)):
        return False
    return dotted(declared).rsplit(".", 1)[-1] in ("dict", "Dict")


def _dict_user_param(param: str) -> UserAccess:
    """The user a dependency answers as a dict of claims: its ``id``, read only where it is
    a dict holding one (FastAPI checks no dependency's answer against its annotation)."""
    return UserAccess(
        "fastapi.Depends",
        f'{param}.get("id")',
        f'isinstance({param}, dict) and {param}.get("id") is not None',
        contract=True,
    )


def injected_types(ctx: FileContext, func: FunctionNode) -> list[tuple[str, str]]:
    """(parameter, function) for each parameter without an annotation that FastAPI fills
    with what a named function returns (``current_user=Depends(get_current_user)``): the
    parameter is typed as that function's result, which the link reads off its return
    annotation or its returns. A factory's call (``Depends(require("admin"))``) types
    nothing."""
    annotated = {a.arg for a in _arguments(func) if a.annotation is not None}
    scope = ctx.names.scope_of(func)
    return [
        (param, qualified)
        for param, dependency in _dependencies(ctx, func)
        if param not in annotated
        and isinstance(dependency, (ast.Name, ast.Attribute))
        and (qualified := ctx.names.resolve(dependency, scope))
    ]


def strangers_signups(points: Iterable[AuthPoint], routes: Sequence[Route]) -> Iterator[AuthPoint]:
    """``points`` but the signups of handlers whose every route only a logged-in user
    reaches: there the account is made by someone else, whom it must not identify as the
    new user (the route captures an ordinary event instead)."""
    guarded: dict[tuple[str, str], bool] = {}
    for route in routes:
        key = (route.handler.file, route.handler.qualname)
        guarded[key] = guarded.get(key, True) and route.members_only is not None
    for point in points:
        if point.kind == "signup" and guarded.get((point.handler.file, point.handler.qualname)):
            continue
        yield point


def members_only(
    ctx: FileContext, func: FunctionNode, route: ast.Call | None
) -> tuple[str | None, tuple[str, ...]]:
    """Why only a logged-in user reaches the handler, where this file proves it: a
    parameter declared as a user (never None) that depends on a function named for one
    (``user: User = Depends(get_current_user)``, or such an ``Annotated`` alias of this
    file). Else what the link settles against the project's ``login_guards``: the
    functions its route's ``dependencies=[Depends(...)]`` and its parameters depend on,
    and the aliases of other modules its parameters are typed with."""
    scope = ctx.names.scope_of(func)
    candidates: list[str] = []
    for param, dependency in _dependencies(ctx, func):
        if not isinstance(dependency, (ast.Name, ast.Attribute)):
            continue  # a factory's result (``Depends(get_user(required=False))``)
        arg = next(a for a in _arguments(func) if a.arg == param)
        declared = _declared_type(ctx, arg.annotation)
        if declared is not None and _is_user_dependency(dependency) and _names_a_user(declared):
            return f"depends on {dotted(dependency)}", ()
        resolved = ctx.names.resolve(dependency, scope)
        if resolved is not None:
            candidates.append(resolved)
    for arg in _arguments(func):
        if isinstance(arg.annotation, (ast.Name, ast.Attribute)):
            resolved = ctx.names.resolve(arg.annotation, scope)
            if resolved is not None and _module_assignment(ctx, resolved) is None:
                candidates.append(resolved)  # an alias of another module, maybe
    listed = call_arg(route, None, "dependencies") if route is not None else None
    for element in listed.elts if isinstance(listed, (ast.List, ast.Tuple)) else ():
        if isinstance(element, ast.Call) and ctx.names.resolve_call(element, scope) in _DEPENDS:
            needed = call_arg(element, 0, "dependency")
            if isinstance(needed, (ast.Name, ast.Attribute)):
                resolved = ctx.names.resolve(needed, scope)
                if resolved is not None:
                    candidates.append(resolved)
    return None, tuple(dict.fromkeys(candidates))


def login_guards(ctx: FileContext) -> Iterator[tuple[str, str]]:
    """The module's dependencies that let only a logged-in user through, by qualified
    name: a function annotated to answer a user (never None) that refuses otherwise (a
    ``raise`` in its body), and an alias declaring a user (never None) that depends on
    such a function or one named for a user
    (``CurrentUser = Annotated[User, Depends(get_current_user)]``)."""
    functions: set[str] = set()
    for stmt in ctx.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            returned = _declared_type(ctx, stmt.returns)
            if (
                returned is not None
                and _names_a_user(returned)
                and any(isinstance(n, ast.Raise) for n in walk_body(stmt))
            ):
                functions.add(ctx.qualified(stmt.name))
                yield ctx.qualified(stmt.name), f"depends on {stmt.name}"
    for target, value in named_assignments(ctx.tree.body):
        declared = _declared_type(ctx, value) if isinstance(value, ast.Subscript) else None
        if declared is None or not _names_a_user(declared):
            continue
        for meta in _annotated_metadata(ctx, value):
            dependency = (
                call_arg(meta, 0, "dependency")
                if isinstance(meta, ast.Call) and ctx.names.resolve_call(meta) in _DEPENDS
                else None
            )
            if isinstance(dependency, (ast.Name, ast.Attribute)) and (
                _is_user_dependency(dependency) or ctx.names.resolve(dependency) in functions
            ):
                yield ctx.qualified(target.id), f"depends on {dotted(dependency)}"
                break


#: A class that is a person's account (``User``, ``UserInDB``, ``CustomerAccount``), never
#: what serves or stores them (``UserRepository``, ``UserService``).
_USER_CLASS = re.compile(
    r"^(?!.*(?:Repo|Repository|Service|Manager|Crud|CRUD|Dao|DAO|Store|Client|Session|Schema)s?$)"
    r"\w*(?:User|Account|Member|Customer)\w*$"
)


def _names_a_user(declared: ast.expr) -> bool:
    """Is the declared type a user class (by its last name part), never None?"""
    return isinstance(declared, (ast.Name, ast.Attribute)) and bool(
        _USER_CLASS.match(dotted(declared).rsplit(".", 1)[-1])
    )


def _declared_type(
    ctx: FileContext, annotation: ast.expr | None, depth: int = 0
) -> ast.expr | None:
    """The type an annotation declares, through ``Annotated[T, ...]`` and an alias of this
    file; None where it may be None (``T | None``, ``Optional[T]``) or is not one type."""
    if annotation is None or depth > 3:
        return None
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        qualified = ctx.names.resolve(annotation)
        alias = _module_assignment(ctx, qualified) if qualified else None
        if isinstance(alias, ast.Subscript):
            return _declared_type(ctx, alias, depth + 1)
        return annotation
    if isinstance(annotation, ast.Subscript):
        inner = _annotated_type(ctx, annotation)
        return _declared_type(ctx, inner[0], depth + 1) if inner else None
    return None


def _arguments(func: FunctionNode) -> list[ast.arg]:
    args = func.args
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


def _user_param(param: str) -> UserAccess:
    return UserAccess("fastapi.Depends", f"{param}.id", None)


def _is_user_dependency(dependency: ast.expr) -> bool:
    return _USER_DEPENDENCY.search(dotted(dependency).rsplit(".", 1)[-1]) is not None


def user_aliases(ctx: FileContext) -> Iterator[str]:
    """The module's type aliases that inject the logged-in user, by qualified name:
    ``CurrentUser = Annotated[User, Depends(get_current_user)]``."""
    for target, value in named_assignments(ctx.tree.body):
        if not isinstance(value, ast.Subscript):
            continue
        for meta in _annotated_metadata(ctx, value):
            if (
                isinstance(meta, ast.Call)
                and ctx.names.resolve_call(meta) in _DEPENDS
                and (dependency := call_arg(meta, 0, "dependency")) is not None
                and _is_user_dependency(dependency)
            ):
                yield ctx.qualified(target.id)
                break


def alias_users(routes: Iterable[Route], aliases: Collection[str]) -> Iterator[Route]:
    """``routes``, each handler without a user given the first parameter typed with one of
    the project's user ``aliases`` (defined in another module than the handler)."""
    for route in routes:
        if route.user_access is None:
            param = next((name for name, kind in route.typed if kind in aliases), None)
            if param is not None and param in route.handler.params:
                route = dataclasses.replace(route, user_access=_user_param(param))
        yield route


def _dependencies(ctx: FileContext, func: FunctionNode) -> list[tuple[str, ast.expr]]:
    """(parameter name, the function it depends on) for each ``Depends(fn)`` parameter."""
    # Defaults and annotations are evaluated in the scope around the function.
    scope = ctx.names.scope_of(func)
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    defaults: dict[str, ast.expr] = dict(
        zip(
            [a.arg for a in positional[len(positional) - len(args.defaults) :]],
            args.defaults,
            strict=True,
        )
    )
    defaults.update(
        (a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
    )
    found: list[tuple[str, ast.expr]] = []
    for arg in [*positional, *args.kwonlyargs]:
        candidates: list[ast.expr] = []
        if arg.arg in defaults:
            candidates.append(defaults[arg.arg])
        candidates.extend(_annotated_metadata(ctx, arg.annotation))
        for candidate in candidates:
            if (
                isinstance(candidate, ast.Call)
                and ctx.names.resolve_call(candidate, scope) in _DEPENDS
            ):
                dependency = call_arg(candidate, 0, "dependency")
                if dependency is not None:
                    found.append((arg.arg, dependency))
    return found


def _annotated_metadata(
    ctx: FileContext, annotation: ast.expr | None, depth: int = 0
) -> list[ast.expr]:
    """The metadata of ``Annotated[T, meta...]``, following an alias assigned in this file."""
    if annotation is None or depth > 3:
        return []
    names = ctx.names
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        qualified = names.resolve(annotation)
        alias = _module_assignment(ctx, qualified) if qualified else None
        return _annotated_metadata(ctx, alias, depth + 1)
    if (
        isinstance(annotation, ast.Subscript)
        and names.resolve(annotation.value) in _ANNOTATED
        and isinstance(annotation.slice, ast.Tuple)
    ):
        return list(annotation.slice.elts[1:])
    return []


def _token_subject(func: FunctionNode, token: ast.Call) -> str | None:
    """The one local the token is made of (``user`` of ``create_access_token(data={"sub":
    user.username})`` or of ``create_token(user)``), bound by an assignment before it: the
    user who logs in. Whether its id may be read there is for the placement's proof to say.
    """
    read = {
        node.value.id
        for node in ast.walk(token)
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.value, ast.Name)
    }
    # ``create_access_token_for_user(user, secret)``: the user itself, handed over whole.
    read.update(arg.id for arg in token.args if isinstance(arg, ast.Name))
    assigned = {
        target.id
        for node in walk_body(func)
        if isinstance(node, ast.Assign) and node.lineno < token.lineno
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = read & assigned
    return found.pop() if len(found) == 1 else None


def _annotated_type(ctx: FileContext, annotation: ast.expr) -> list[ast.expr]:
    """The type ``Annotated[T, ...]`` annotates (``OAuth2PasswordRequestForm`` of
    ``Annotated[OAuth2PasswordRequestForm, Depends()]``), as a one-item list."""
    if (
        isinstance(annotation, ast.Subscript)
        and ctx.names.resolve(annotation.value) in _ANNOTATED
        and isinstance(annotation.slice, ast.Tuple)
        and annotation.slice.elts
    ):
        return [annotation.slice.elts[0]]
    return []


def _module_assignment(ctx: FileContext, qualified: str) -> ast.expr | None:
    """The value of a module-level ``Name = value`` of this file, by qualified name."""
    for node in ctx.tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and ctx.qualified(target.id) == qualified:
                return node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
    return None


class _FastAPIFile:
    """The FastAPI facts of one file."""

    def __init__(self, ctx: FileContext, out: FactsBuilder) -> None:
        self.ctx = ctx
        self.out = out
        self.file = RouteFile(ctx, _CONSTRUCTORS)
        self.imports_fastapi = imports_any(ctx, FastAPIAnalyser.packages)
        # An imported router cannot be checked from this file; a file importing
        # Flask or Django is not taken to declare FastAPI routes on it.
        self.trust_imported = self.imports_fastapi or not imports_another_framework(ctx, "fastapi")
        self._bodies: dict[ast.AST, BodyFacts] = {}
        #: anything recorded: the builder is shared with the other frameworks' analysers
        self.recorded = False

    def collect(self) -> None:
        self.out.apps.extend(self.file.apps)
        self.out.app_handed_to.extend(handed_app(self.ctx))
        for func, found in self.file.decorated(_ROUTE_DECORATORS | {"exception_handler"}):
            if found.attr == "exception_handler":
                self._exception_handler(
                    func, call_arg(found.call, 0, "exc_class_or_status_code"), found
                )
                continue
            spec = route_spec(found.call, found.attr, path_keyword="path", name_keyword="name")
            if spec is not None:
                self._add_route(found, spec, func)
        for found in self.file.calls(_OWNER_CALLS):
            scope = self.ctx.names.scope_of(found.call)
            if found.attr == "add_api_route":
                endpoint = self.file.function(call_arg(found.call, 1, "endpoint"), scope)
                spec = route_spec(found.call, "api_route", path_keyword="path", name_keyword="name")
                if endpoint is not None and spec is not None:
                    self._add_route(found, spec, endpoint)
            elif found.attr == "include_router":
                registration = self.file.registration(
                    found, call_arg(found.call, 0, "router"), "prefix"
                )
                if registration is not None and (found.kind or self.trust_imported):
                    self.recorded = True
                    self.out.registrations.append(registration)
            else:
                handler = self.file.function(call_arg(found.call, 1, "handler"), scope)
                if handler is not None:
                    target = call_arg(found.call, 0, "exc_class_or_status_code")
                    self._exception_handler(handler, target, found)
        protecting = list(login_guards(self.ctx))
        if protecting:
            self.recorded = True
            self.out.login_guards.extend(protecting)
        aliases = list(user_aliases(self.ctx))
        if aliases:
            self.recorded = True
            self.out.user_aliases.extend(aliases)
        if users.PACKAGE in self.ctx.source:
            for point in users.hook_points(self.ctx):
                self.recorded = True
                self.out.auth_points.append(point)
        if self.file.apps or self.imports_fastapi or self.recorded:
            self.out.uses("fastapi")

    # -- routes ---------------------------------------------------------------------------------

    def _body(self, func: FunctionNode) -> BodyFacts:
        if func not in self._bodies:
            dependency = dependency_user(self.ctx, func)
            body = scan_body(
                self.ctx,
                func,
                None if dependency is not None else request_user,
                injected=injected_types(self.ctx, func),
            )
            self._bodies[func] = with_user(body, dependency)
        return self._bodies[func]

    def _add_route(self, found: OwnerCall, spec: RouteSpec, func: FunctionNode) -> None:
        if found.kind is None and not self.trust_imported:
            return
        body = self._body(func)
        self.recorded = True
        why, guarded_by = members_only(self.ctx, func, found.call)
        self.out.routes.append(
            LocalRoute(
                framework="fastapi",
                owner=found.owner,
                path=spec.path,
                methods=spec.methods,
                handler=self.ctx.handler(func),
                line=found.call.lineno,
                body=body,
                name=spec.name or func.name,
                members_only=why,
                guards=guarded_by,
            )
        )
        self._auth_point(func, spec, body)

    # -- exception handlers ---------------------------------------------------------------------

    def _exception_handler(
        self, func: FunctionNode, target: ast.expr | None, found: OwnerCall
    ) -> None:
        if target is None or (found.kind is None and not self.imports_fastapi):
            return
        scope = self.ctx.names.scope_of(found.call)
        self.recorded = True
        self.out.error_handlers.append(
            error_handler(
                self.ctx,
                "fastapi",
                func,
                [error_target_name(self.ctx, target, scope)],
                found.call.lineno,
                # Starlette calls handler(request, exc).
                error_param_index=1,
                http_exception_sees_server_errors=False,
            )
        )

    # -- login, signup, logout --------------------------------------------------------------------

    def _auth_point(self, func: FunctionNode, spec: RouteSpec, body: BodyFacts) -> None:
        words = f"{func.name} {spec.path}"
        # Who creates a user while logged in is an admin, not someone signing up (nor is
        # an admin registering a book).
        anonymous = body.user_access is None and dependency_user(self.ctx, func) is None
        named = anonymous and SIGNUP_WORDS.search(words) is not None
        # A signup that answers with a token (``/signup`` taking a password form) logs the
        # new user in, but what happened is a signup: the user it creates comes first.
        point = self._signup(func, body, named) if named and "POST" in spec.methods else None
        point = point or self._token_login(func)
        # A handler named for signing up need not show a write of its own: ``_signup``
        # still wants the user it creates (``User.create_user(db, ...)``).
        if (
            point is None
            and "POST" in spec.methods
            and (named or (anonymous and any(e.mutating for e in body.evidence)))
        ):
            point = self._signup(func, body, named)
        if point is None and _LOGOUT_WORDS.search(words):
            point = self._logout(func, body)
        if point is not None and point not in self.out.auth_points:
            self.recorded = True
            self.out.auth_points.append(point)

    def _point(
        self, kind: AuthKind, func: FunctionNode, line: int, call: str, user: str | None
    ) -> AuthPoint:
        return AuthPoint(
            kind=kind,
            framework="fastapi",
            handler=self.ctx.handler(func),
            line=line,
            call=call,
            user_expression=user,
            mechanism="token",
        )

    def _token_login(self, func: FunctionNode) -> AuthPoint | None:
        """A handler that authenticates and then issues a token logs the user in.

        The user is ``user`` in ``user = authenticate_user(...)``; the login happens
        where the token is issued (after any check that the user is not None), so the
        point's line is the token call's.
        """
        calls = [n for n in walk_body(func) if isinstance(n, ast.Call)]
        if not any(_ISSUES_TOKEN.search(dotted(c.func)) for c in calls):
            return None
        scope = self.ctx.names.scope_of(func)
        takes_form = any(
            self.ctx.names.resolve(m, scope) in _PASSWORD_FORMS
            for a in [*func.args.args, *func.args.kwonlyargs]
            if a.annotation is not None
            for m in [
                a.annotation,
                *_annotated_type(self.ctx, a.annotation),
                *_annotated_metadata(self.ctx, a.annotation),
            ]
        )
        authenticating = [c for c in calls if _AUTHENTICATES.search(dotted(c.func))]
        if not authenticating and not takes_form:
            return None
        for node in walk_body(func):
            if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
                continue
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if value in authenticating:
                token = next(
                    (
                        c
                        for c in calls
                        if _ISSUES_TOKEN.search(dotted(c.func)) and c.lineno > node.lineno
                    ),
                    None,
                )
                line = token.lineno if token is not None else node.lineno
                assert isinstance(value, ast.Call)
                call = dotted((token or value).func)
                return self._point("login", func, line, call, node.targets[0].id)
        # The token issued after the last check: the check passed (``if not
        # user.check_password(...): raise``). Without one, the check itself.
        checked = max((c.lineno for c in authenticating), default=0)
        issued = [c for c in calls if _ISSUES_TOKEN.search(dotted(c.func)) and c.lineno > checked]
        if not issued:
            first = authenticating[0]
            return self._point("login", func, first.lineno, dotted(first.func), None)
        token = min(issued, key=lambda c: (c.lineno, c.col_offset))
        return self._point(
            "login", func, token.lineno, dotted(token.func), _token_subject(func, token)
        )

    def _signup(self, func: FunctionNode, body: BodyFacts, named_signup: bool) -> AuthPoint | None:
        """A POST that creates a user: the user is known once the write after creating it ran."""
        names = [
            t.id
            for node in walk_body(func)
            if isinstance(node, (ast.Assign, ast.AnnAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Name)
        ]
        writes = {e.line for e in body.evidence if e.mutating}
        built_by = {name: user_construction(func, name) for name in dict.fromkeys(names)}
        # The user a write answers (``user = await users.create(...)``) before a schema
        # built on the way to it (``UserCreateInternal(**data)``).
        ordered = sorted(built_by, key=lambda n: (built_by[n] or func).lineno not in writes)
        for name in ordered:
            built = built_by[name]
            if built is None:
                continue
            callee = dotted(built.func)
            if named_signup or _USER_WORDS.search(callee):
                user: str | None = name
                line = past_guard(func, built.lineno, name)
                handed = handed_on(func, built.lineno, name)
                if handed is not None:
                    # ``data = UserCreate(**form)`` then ``user = await create(data)``: what
                    # was built is the request for a user, made (or refused) by the call
                    # it is handed to; the user is what that call answers.
                    line, user = handed
                    line = past_guard(func, line, user) if user is not None else line
                if body.change_line is not None and body.change_line > line:
                    line = body.change_line
                return self._point("signup", func, line, callee, user)
        return None

    def _logout(self, func: FunctionNode, body: BodyFacts) -> AuthPoint | None:
        """A logout route: the session ends at its first write (revoking the token), or its start."""
        user = dependency_user(self.ctx, func)
        user_param = user.id_expression.removesuffix(".id") if user is not None else None
        writes = [e.line for e in body.evidence if e.mutating]
        statements = [s for s in func.body if not _is_docstring(s)]
        line = min(writes) if writes else statements[0].lineno if statements else func.lineno
        calls = [n for n in walk_body(func) if isinstance(n, ast.Call) and n.lineno == line]
        call = dotted(calls[0].func) if calls else ""
        return self._point("logout", func, line, call, user_param)


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


analyser = FastAPIAnalyser()
