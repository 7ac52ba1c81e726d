"""Django Ninja: APIs, routers, operations and exception handlers.

A ``NinjaAPI()`` is served from the Django URLconf (``path("api/", api.urls)``). Its
operations are functions decorated with ``@api.get(path)`` (and ``post``, ``put``,
``patch``, ``delete``) or ``@api.api_operation(methods, path)``, on the API itself or on a
``Router()`` added with ``api.add_router("/prefix", router)``: the router object or its
dotted path as a string, the prefix first. Routers nest with ``router.add_router``. An
operation's full path is the Django prefix, then each router's prefix, then its own path.

Operations are Django views underneath: the Django analyser reads their bodies (the
request's user is ``request.user``) and the Django middleware is their hook-up. An
``@api.exception_handler(Exc)`` answers the error itself, so the middleware never sees
it: a server-error handler there gets its own exception capture.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Mapping, Sequence

from posthog_setup.analysis.body import walk_body
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode
from posthog_setup.analysis.model import (
    AppKind,
    AppObject,
    BodyFacts,
    ErrorHandler,
    Evidence,
    LocalRoute,
    ModuleFacts,
    Registration,
    Route,
    UserAccess,
)
from posthog_setup.analysis.paths import join_paths
from posthog_setup.analysis.routing import (
    VERB_SHORTCUTS,
    Constructor,
    OwnerCall,
    RouteFile,
    _Owners,
    call_arg,
    error_handler,
    error_target_name,
    imports_any,
    linked_route,
    literal_methods,
    literal_str,
    with_user,
)


def wants(source: str) -> bool:
    """May the file declare Ninja APIs, routers or operations? (A text test; false positives
    are fine.)"""
    return "ninja" in source or "add_router(" in source or ".api_operation(" in source


API: AppKind = "ninja.NinjaAPI"
ROUTER: AppKind = "ninja.Router"
KINDS: tuple[AppKind, ...] = (API, ROUTER)
_CONSTRUCTORS = {
    "ninja.NinjaAPI": Constructor(API),
    "ninja.main.NinjaAPI": Constructor(API),
    "ninja.Router": Constructor(ROUTER),
    "ninja.router.Router": Constructor(ROUTER),
}
_OPERATION = "api_operation"
_OTHER_FRAMEWORKS = ("fastapi", "starlette", "flask", "quart", "litestar", "sanic")
#: Builtins that build or read values and store nothing.
_PURE_BUILTINS = frozenset(
    {
        "bool",
        "dict",
        "enumerate",
        "float",
        "int",
        "isinstance",
        "len",
        "list",
        "max",
        "min",
        "range",
        "reversed",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
    }
)

#: How the Django analyser reads an operation's body (writes, the user, the anchor).
BodyReader = Callable[[FunctionNode], BodyFacts]


def collect(ctx: FileContext, out: FactsBuilder, read_body: BodyReader) -> bool:
    """Record the APIs, routers, operations, ``add_router`` calls and exception handlers of
    one file; True if it declares any."""
    return _NinjaFile(ctx, out, read_body).collect()


class _NinjaFile:
    def __init__(self, ctx: FileContext, out: FactsBuilder, read_body: BodyReader) -> None:
        self.ctx = ctx
        self.out = out
        self.read_body = read_body
        self.file = RouteFile(ctx, _CONSTRUCTORS)
        # An API or router imported from another module cannot be checked from here: it is
        # trusted in a file that uses Ninja (or no other web framework), and kept at link
        # time only if a Ninja constructor made it.
        self.imports_ninja = imports_any(ctx, ("ninja",))
        self.trust_imported = self.imports_ninja or not imports_any(ctx, _OTHER_FRAMEWORKS)
        self.found = False

    def collect(self) -> bool:
        self.out.apps.extend(self.file.apps)
        self.found = bool(self.file.apps)
        attrs = VERB_SHORTCUTS | {_OPERATION, "exception_handler"}
        for func, call in self.file.decorated(attrs):
            if not self._trusted(call):
                continue
            if call.attr == "exception_handler":
                self._exception_handler(func, call_arg(call.call, 0, "exc_class"), call)
            else:
                self._operation(func, call)
        for call in self.file.calls({"add_router", "add_exception_handler"}):
            if not self._trusted(call):
                continue
            if call.attr == "add_router":
                self._add_router(call)
            else:
                scope = self.ctx.names.scope_of(call.call)
                handler = self.file.function(call_arg(call.call, 1, "exc_handler"), scope)
                if handler is not None:
                    self._exception_handler(handler, call_arg(call.call, 0, "exc_class"), call)
        return self.found

    def _trusted(self, call: OwnerCall) -> bool:
        if call.kind is not None:
            return call.kind in KINDS
        return self.trust_imported

    def _operation(self, func: FunctionNode, found: OwnerCall) -> None:
        call = found.call
        if found.attr == _OPERATION:
            methods = literal_methods(call_arg(call, 0, "methods"))
            path = literal_str(call_arg(call, 1, "path"))
        else:
            methods = (found.attr.upper(),)
            path = literal_str(call_arg(call, 0, "path"))
        # Only literal paths and methods: a computed one cannot be reported faithfully.
        if path is None or not methods:
            return
        self.found = True
        self.out.routes.append(
            LocalRoute(
                framework="django",
                owner=found.owner,
                path=path,
                methods=methods,
                handler=self.ctx.handler(func),
                line=call.lineno,
                body=self._body(func),
                name=literal_str(call_arg(call, None, "url_name")) or func.name,
            )
        )

    def _body(self, func: FunctionNode) -> BodyFacts:
        """The operation's body facts; one that calls nothing and assigns only locals answers
        from its input alone, whatever its method (Ninja's typed parameters parse the input
        before the function runs)."""
        body = with_user(self.read_body(func), _auth_user(func))
        if any(e.mutating for e in body.evidence) or not _stores_nothing(self.ctx, func):
            return body
        reason = Evidence(
            "read-only", "the operation calls nothing that could store data", func.lineno, False
        )
        return dataclasses.replace(body, evidence=(*body.evidence, reason))

    def _add_router(self, found: OwnerCall) -> None:
        """``parent.add_router("/prefix", router)``: the router object or its dotted path."""
        prefix = literal_str(call_arg(found.call, 0, "prefix"))
        child = call_arg(found.call, 1, "router")
        if prefix is None or child is None:
            return
        named = literal_str(child)
        scope = self.ctx.names.scope_of(found.call)
        target = named if named is not None else self.ctx.names.resolve(child, scope)
        if target is None:
            return
        self.found = True
        self.out.registrations.append(
            Registration(found.owner, target, prefix, self.ctx.file, found.call.lineno)
        )

    def _exception_handler(
        self, func: FunctionNode, target: ast.expr | None, found: OwnerCall
    ) -> None:
        # An error handler carries no owner to check at link time: on an imported object it
        # is taken only in a file that uses Ninja itself.
        trusted = found.kind == API or (found.kind is None and self.imports_ninja)
        if target is None or not trusted:
            return
        scope = self.ctx.names.scope_of(found.call)
        self.found = True
        handler = error_handler(
            self.ctx,
            "django",
            func,
            [error_target_name(self.ctx, target, scope)],
            found.call.lineno,
            # Ninja calls handler(request, exc).
            error_param_index=1,
            http_exception_sees_server_errors=False,
        )
        if not handler.server_error and _answers_server_error(func):
            # ``@api.exception_handler(DatabaseError)`` answering 503 is a server error.
            handler = dataclasses.replace(handler, server_error=True)
        self.out.error_handlers.append(handler)


def _auth_user(func: FunctionNode) -> UserAccess | None:
    """``request.auth.id``: the id of what the operation's authentication returned, where the
    operation reads it itself.

    ``request.auth`` is whatever the authentication returned (a user, a token, a key): Ninja's
    contract says nothing of its attributes, so only an id the operation reads is taken (and
    the plan still keeps to what is proven where the capture goes). Otherwise the Django
    request's user stands, as for any Django view.
    """
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
    if not params:
        return None
    for node in walk_body(func):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("id", "pk")
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "auth"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == params[0]
        ):
            return UserAccess("ninja.request.auth", f"{params[0]}.auth.{node.attr}")
    return None


def _answers_server_error(func: FunctionNode) -> bool:
    """Does the handler answer with a 5xx status (``status=503``, ``return 500, body``)?"""
    for node in walk_body(func):
        statuses: list[ast.expr] = []
        if isinstance(node, ast.Call):
            statuses += [k.value for k in node.keywords if k.arg in ("status", "status_code")]
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            statuses += node.value.elts[:1]
        for status in statuses:
            if (
                isinstance(status, ast.Constant)
                and isinstance(status.value, int)
                and 500 <= status.value <= 599
            ):
                return True
    return False


def _stores_nothing(ctx: FileContext, func: FunctionNode) -> bool:
    """True if ``func``'s body calls only value-building builtins and binds only local names."""
    scope = ctx.names.scope_for_def(func)
    for node in walk_body(func):
        if isinstance(node, ast.Call):
            called = node.func
            if not (
                isinstance(called, ast.Name)
                and called.id in _PURE_BUILTINS
                and ctx.names.resolve(called, scope) is None
            ):
                return False
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if not all(isinstance(t, ast.Name) for t in targets):
                return False
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Delete, ast.Await)):
            return False
    return True


# -- link ---------------------------------------------------------------------------------


def link(
    facts: Sequence[ModuleFacts], mounts: Mapping[str, Sequence[str]]
) -> tuple[tuple[Route, ...], tuple[ErrorHandler, ...]]:
    """Every operation at its full path, and the APIs' exception handlers.

    ``mounts`` gives, for each object the Django URLconf mounts through its ``.urls``, the
    Django paths it is mounted at. An operation is served once per chain of ``add_router``
    calls from a mounted API down to its owner; one on an API or router that no mounted API
    reaches is not served, and not reported.
    """
    apps = sorted(
        (app for mf in facts for app in mf.apps if app.kind in KINDS),
        key=lambda app: (app.file, app.line, app.name),
    )
    owners = _Owners(apps)
    parents: dict[str, list[tuple[str, AppObject]]] = {}
    for registration in sorted(
        (r for mf in facts for r in mf.registrations), key=lambda r: (r.file, r.line)
    ):
        child = owners.find(registration.child)
        parent = owners.find(registration.parent)
        if child is not None and parent is not None and parent.kind in KINDS:
            parents.setdefault(child.name, []).append((registration.prefix or "", parent))

    def prefixes(owner: AppObject, seen: frozenset[str]) -> list[str]:
        found: list[str] = []
        if owner.kind == API:
            found.extend(join_paths(mounted) for mounted in mounts.get(owner.name, ()))
        for prefix, parent in parents.get(owner.name, ()):
            if parent.name not in seen:
                found.extend(
                    join_paths(above, prefix) for above in prefixes(parent, seen | {owner.name})
                )
        return list(dict.fromkeys(found))

    routes: list[Route] = []
    for mf in facts:
        for local in mf.routes:
            owner = owners.find(local.owner)
            if owner is None:
                continue
            for prefix in prefixes(owner, frozenset({owner.name})):
                routes.append(linked_route(local, owner, join_paths(prefix, local.path)))
    routes.sort(key=lambda r: (r.handler.file, r.line, r.handler.line, r.path, r.methods))
    # The Django analyser records no error handler per file: those in the facts are Ninja's.
    handlers = sorted(
        (h for mf in facts for h in mf.error_handlers if h.framework == "django"),
        key=lambda h: (h.handler.file, h.line, h.handler.line),
    )
    return tuple(routes), tuple(handlers)
