"""The standard library's servers: ``http.server`` request handlers and plain WSGI callables.

Neither has a router. A ``BaseHTTPRequestHandler`` subclass answers each method in a
``do_POST`` / ``do_PUT`` / ``do_PATCH`` / ``do_DELETE`` / ``do_GET`` method, and a WSGI
callable ``def application(environ, start_response)`` answers everything; both dispatch on
the path themselves (see ``dispatch``). Each path branch is a route; a branch that only
hands the request to a method of the handler class (``self.create_todo()``) or a function
of the module (``return create_todo(environ, start_response)``) is routed to it.

Neither knows users: a handler reaches one the way the code does, a header
(``self.headers.get("X-User-Id")``, ``environ.get("HTTP_X_USER_ID")``, ``REMOTE_USER``) or a
lookup of its own (``user = self.current_user()``), read into a local; only where read.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from posthog_setup.analysis import flow
from posthog_setup.analysis.body import scan_body
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.model import (
    AppObject,
    BodyFacts,
    Evidence,
    Framework,
    Handler,
    LocalRoute,
    ModuleFacts,
    PlainConventions,
    UserAccess,
)
from posthog_setup.analysis.routing import imports_another_framework, link_routes
from posthog_setup.frameworks.stdlib.dispatch import (
    Branch,
    TableEntry,
    Tainted,
    branch_facts,
    path_branches,
    route_tables,
    table_routes,
)

#: the kind of an ``http.server`` request handler class (where the hook-up goes)
HANDLER = "http.server.handler"
#: the kind of a plain WSGI callable
WSGI_APP = "wsgi.application"
_HANDLER_BASES = frozenset(
    f"http.server.{name}"
    for name in ("BaseHTTPRequestHandler", "SimpleHTTPRequestHandler", "CGIHTTPRequestHandler")
)
_HANDLER_WANTS = re.compile(r"\b(Base|Simple|CGI)HTTPRequestHandler\b")
#: (It starts with a literal: a leading ``\b`` made the regex try every position.)
_WSGI_WANTS = re.compile(r"def \w+\((\s*self\s*,)?\s*(\w*environ\w*|env)\s*,\s*start(_response)?\b")
_DO = re.compile(r"^do_(GET|POST|PUT|PATCH|DELETE)$")
#: a local that holds the user, or the user's id
_USER_LOCAL = re.compile(r"^(current_|logged_in_|session_|auth_)?user(_?id)?$", re.IGNORECASE)
_HEADER_USER = re.compile(r"user", re.IGNORECASE)


def _mount_prefix(app: AppObject, registration: object) -> str:
    return ""


@dataclass(frozen=True)
class StdlibConventions(PlainConventions):
    """Handlers that read a path's parameters into locals of their own: where a route's
    parameter is named after such a local, proven readable where its capture goes, the
    handler reads it by that name."""

    #: (file, handler, parameter) of each parameter read into a local of that name
    read: frozenset[tuple[str, str, str]] = frozenset()

    def url_value(self, handler: Handler, param: str) -> str | None:
        return param if (handler.file, handler.qualname, param) in self.read else None


def _linked(framework: Framework, facts: Sequence[ModuleFacts], kind: str) -> Linked:
    linked = link_routes(framework, facts, (kind,), _mount_prefix)
    read = frozenset(
        (route.handler.file, route.handler.qualname, param)
        for route in linked.routes
        for param in route.path_params
        if param in route.proven and param not in route.handler.params
    )
    return dataclasses.replace(linked, conventions=StdlibConventions(read))


def _header_read(node: ast.expr) -> str | None:
    """The key a ``headers.get("X-User-Id")`` / ``environ["HTTP_X_USER"]`` read names."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.args
        and node.func.attr in ("get", "get_header")
    ):
        key = node.args[0]
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    if isinstance(node, ast.Subscript):
        key = node.slice
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    return None


def find_user(
    ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
) -> UserAccess | None:
    """The user a handler reads into a local: a header, ``REMOTE_USER``, or a lookup."""
    if not isinstance(node, ast.Assign) or len(node.targets) != 1:
        return None
    target = node.targets[0]
    if not isinstance(target, ast.Name):
        return None
    value = node.value.value if isinstance(node.value, ast.Await) else node.value
    key = _header_read(value)
    if key is not None and (_HEADER_USER.search(key) or key == "REMOTE_USER"):
        # A header may be missing: only a request that sent it has a user.
        return UserAccess("header", target.id, guard=target.id)
    if _USER_LOCAL.match(target.id) and isinstance(value, (ast.Call, ast.Subscript)):
        is_id = target.id.lower().endswith("id")
        return UserAccess("local", target.id if is_id else f"{target.id}.id", guard=target.id)
    return None


def _delegate(block: Sequence[ast.stmt]) -> ast.Call | None:
    """The call a branch hands the request to, where that is all it does."""
    if len(block) == 1 and isinstance(block[0], (ast.Expr, ast.Return)):
        value = block[0].value
        if isinstance(value, ast.Call):
            return value
    return None


def _target(
    expr: ast.expr, delegates: Mapping[str, FunctionNode], this: str
) -> FunctionNode | None:
    """The function ``self.create_todo`` (``this`` is ``self``) or ``create_todo`` names."""
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and this:
        return delegates.get(expr.attr) if expr.value.id == this else None
    if isinstance(expr, ast.Name):
        return delegates.get(expr.id)
    return None


def _handed_on(func: FunctionNode) -> str | None:
    """The method ``func`` hands the request to (``self.handle_post()``), where that call
    is all it does."""
    body = [
        s
        for s in func.body
        if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))  # docstring
    ]
    call = _delegate(body)
    this = func.args.args[0].arg if func.args.args else ""
    if (
        call is not None
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == this
    ):
        return call.func.attr
    return None


def _user_of(ctx: FileContext, func: FunctionNode) -> UserAccess | None:
    for node in ast.walk(func):
        found = find_user(ctx, func, node)
        if found is not None:
            return found
    return None


class _Routes:
    """One file's routes of one dispatching function."""

    def __init__(self, ctx: FileContext, out: FactsBuilder, framework: Framework) -> None:
        self.ctx = ctx
        self.out = out
        self.framework = framework
        self._scanned: dict[FunctionNode, BodyFacts] = {}

    def body(self, func: FunctionNode) -> BodyFacts:
        if func not in self._scanned:
            self._scanned[func] = scan_body(self.ctx, func, find_user)
        return self._scanned[func]

    def add(
        self,
        owner: str,
        func: FunctionNode,
        branches: Sequence[Branch],
        default_methods: tuple[str, ...] | None,
        delegates: Mapping[str, FunctionNode],
        delegate_name: str,
        entries: Sequence[TableEntry] = (),
    ) -> None:
        """One route per branch and per entry of a route table it looks the path up in
        (or one for the whole function where it has neither)."""
        ctx = self.ctx
        for entry in entries:
            target = _target(entry.target, delegates, delegate_name)
            if target is None:
                continue
            body = self.body(target)
            writes = any(e.mutating for e in body.evidence)
            methods = entry.methods or default_methods or (("POST",) if writes else ("GET",))
            self._route(owner, entry.path, methods, target, body, entry.line)
        if entries and not branches:
            return
        if not branches:
            methods = default_methods or ("GET",)
            body = self.body(func)
            if not any(e.mutating for e in body.evidence):
                # Every path, no write to see and no path to name it by: not an action.
                quiet = Evidence(
                    "read-only",
                    f"{func.name} answers every path and writes nothing",
                    func.lineno,
                    False,
                )
                body = dataclasses.replace(body, evidence=(*body.evidence, quiet))
            self._route(owner, "/", methods, func, body, func.lineno)
            return
        user = _user_of(ctx, func)
        written = flow.written_models(ctx, func, flow.typed_names(ctx, func))
        for branch in branches:
            call = _delegate(branch.block)
            target = None
            if call is not None:
                callee = call.func
                if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name):
                    target = (
                        delegates.get(callee.attr) if callee.value.id == delegate_name else None
                    )
                elif isinstance(callee, ast.Name) and not delegate_name:
                    target = delegates.get(callee.id)
            # Handed to a function that writes: that function is the route's handler (a
            # call of a helper that only answers, ``self._send_json(...)``, is not).
            path = branch.path
            if target is not None and any(e.mutating for e in self.body(target).evidence):
                body = self.body(target)
                handler = target
            else:
                body = branch_facts(ctx, func, branch, user, written)
                handler = func
                path = branch.named(body.proven)
            writes = any(e.mutating for e in body.evidence)
            methods = branch.methods or default_methods or (("POST",) if writes else ("GET",))
            self._route(owner, path, methods, handler, body, branch.line)

    def _route(
        self,
        owner: str,
        path: str,
        methods: tuple[str, ...],
        func: FunctionNode,
        body: BodyFacts,
        line: int,
    ) -> None:
        self.out.routes.append(
            LocalRoute(
                framework=self.framework,
                owner=owner,
                path=path,
                methods=methods,
                handler=self.ctx.handler(func),
                line=line,
                body=body,
            )
        )


def _is_attribute(node: ast.expr, owner: str, attr: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == attr
        and isinstance(node.value, ast.Name)
        and node.value.id == owner
    )


class HttpServerAnalyser:
    """Finds ``http.server`` request handler classes and the routes their methods answer."""

    name: Framework = "http_server"
    packages: tuple[str, ...] = ()
    app_kinds: tuple[str, ...] = ("http",)
    primary_kind = HANDLER
    spellings: Mapping[str, str] = {}

    def wants(self, source: str) -> bool:
        """Could this file declare a request handler? (A text test.)"""
        return "HTTPRequestHandler" in source and _HANDLER_WANTS.search(source) is not None

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record each request handler class and a route per path branch of its methods."""
        if imports_another_framework(ctx, self.name):
            return
        handlers: set[str] = set()
        routes = _Routes(ctx, out, self.name)
        for node in ctx.nodes:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {ctx.names.resolve(base) or "" for base in node.bases}
            if not bases & (_HANDLER_BASES | handlers):
                continue
            owner = ctx.qualified(ctx.names.qualname_of(node))
            handlers.add(owner)
            out.apps.append(AppObject(HANDLER, owner, ctx.file, node.lineno))
            out.uses(self.name)
            methods = {
                stmt.name: stmt
                for stmt in node.body
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
            answering = {n: f for n, f in methods.items() if _DO.match(n) and f.args.args}
            handed = [_handed_on(f) for f in answering.values()]
            for name, func in answering.items():
                verb = _DO.match(name)
                assert verb is not None
                this = func.args.args[0].arg
                to = _handed_on(func)
                if to is not None and to in methods and handed.count(to) == 1:
                    # ``do_POST`` only calls ``self.handle_post()``: that method dispatches
                    # (not a method every ``do_*`` calls: its captures would run for each).
                    func = methods[to]
                path = Tainted(func, functools.partial(_is_attribute, owner=this, attr="path"))
                branches = path_branches(func.body, path)
                tables = route_tables([ctx.tree.body, node.body, func.body])
                entries = table_routes(func, tables, path)
                routes.add(owner, func, branches, (verb.group(1),), methods, this, entries)

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Routes belong to their handler class; nothing mounts anything."""
        return _linked(self.name, facts, HANDLER)


def _environ_key(node: ast.expr, environ: str, key: str) -> bool:
    """``environ["PATH_INFO"]`` or ``environ.get("PATH_INFO", ...)``."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return (
            node.value.id == environ
            and isinstance(node.slice, ast.Constant)
            and node.slice.value == key
        )
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == environ
        and node.args
    ):
        first = node.args[0]
        return isinstance(first, ast.Constant) and first.value == key
    return False


def wsgi_parameters(func: FunctionNode, *, method: bool = False) -> tuple[str, str] | None:
    """``(environ, start_response)``: the parameters of a WSGI callable (a ``__call__``
    method where ``method``), if ``func`` is one."""
    args = [a.arg for a in func.args.args][1 if method else 0 :]
    if (
        len(args) == 2
        and ("environ" in args[0] or args[0] == "env")
        and args[1] in ("start_response", "start")
    ):
        return args[0], args[1]
    return None


def _answers(func: FunctionNode) -> bool:
    """Does a WSGI callable start a response itself (``start_response("200 OK", ...)``)?"""
    start = wsgi_parameters(func) or wsgi_parameters(func, method=True)
    return start is not None and any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == start[1]
        for node in ast.walk(func)
    )


def _instances(tree: ast.Module) -> dict[str, ast.Assign]:
    """Module-level ``name = Class(...)`` statements, by class name (the last of each)."""
    found: dict[str, ast.Assign] = {}
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name)
        ):
            found[stmt.value.func.id] = stmt
    return found


class WsgiAnalyser:
    """Finds plain WSGI callables (``def application(environ, start_response)``) and their
    path branches."""

    name: Framework = "wsgi"
    packages: tuple[str, ...] = ()
    app_kinds: tuple[str, ...] = ("wsgi",)
    primary_kind = WSGI_APP
    spellings: Mapping[str, str] = {}

    def wants(self, source: str) -> bool:
        """Could this file define a WSGI callable? (A text test.)"""
        return "start" in source and _WSGI_WANTS.search(source) is not None

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record each module-level WSGI callable that answers (itself or through the
        module's functions it dispatches to) and a route per path branch."""
        if imports_another_framework(ctx, self.name):
            return
        functions = {
            stmt.name: stmt
            for stmt in ctx.tree.body
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        routes = _Routes(ctx, out, self.name)
        delegated: set[str] = set()
        apps = []
        self._class_apps(ctx, out, routes)
        for name, func in functions.items():
            params = wsgi_parameters(func)
            if params is None:
                continue
            environ = params[0]
            path = Tainted(func, functools.partial(_environ_key, environ=environ, key="PATH_INFO"))
            method = Tainted(
                func, functools.partial(_environ_key, environ=environ, key="REQUEST_METHOD")
            )
            branches = path_branches(func.body, path, method)
            entries = table_routes(func, route_tables([ctx.tree.body, func.body]), path, method)
            apps.append((name, func, branches, entries))
            delegated.update(
                c.func.id
                for b in branches
                if (c := _delegate(b.block)) is not None and isinstance(c.func, ast.Name)
            )
            delegated.update(e.target.id for e in entries if isinstance(e.target, ast.Name))
        for name, func, branches, entries in apps:
            if name in delegated:
                continue  # a function the application hands requests to: not an app
            if not (branches or entries or _answers(func)):
                continue  # a middleware handing every request to another application
            owner = ctx.qualified(name)
            out.apps.append(AppObject(WSGI_APP, owner, ctx.file, func.lineno))
            out.uses(self.name)
            routes.add(owner, func, branches, None, functions, "", entries)

    def _class_apps(self, ctx: FileContext, out: FactsBuilder, routes: _Routes) -> None:
        """``application = App()`` where ``App`` answers in ``__call__(self, environ,
        start_response)``: the instance is the application."""
        instances = _instances(ctx.tree)
        for node in ctx.tree.body:
            if not isinstance(node, ast.ClassDef) or node.name not in instances:
                continue
            methods = {
                stmt.name: stmt
                for stmt in node.body
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
            call = methods.get("__call__")
            params = wsgi_parameters(call, method=True) if call is not None else None
            if call is None or params is None:
                continue
            environ, this = params[0], call.args.args[0].arg
            path = Tainted(call, functools.partial(_environ_key, environ=environ, key="PATH_INFO"))
            method = Tainted(
                call, functools.partial(_environ_key, environ=environ, key="REQUEST_METHOD")
            )
            tables = route_tables([ctx.tree.body, node.body, call.body])
            entries = table_routes(call, tables, path, method)
            branches = path_branches(call.body, path, method)
            if not (branches or entries or _answers(call)):
                continue  # a middleware handing every request to another application
            created = instances[node.name]
            target = created.targets[0]
            assert isinstance(target, ast.Name)
            owner = ctx.qualified(target.id)
            out.apps.append(AppObject(WSGI_APP, owner, ctx.file, created.lineno))
            out.uses(self.name)
            routes.add(owner, call, branches, None, methods, this, entries)

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Routes belong to their WSGI callable; nothing mounts anything."""
        return _linked(self.name, facts, WSGI_APP)


http_server_analyser = HttpServerAnalyser()
wsgi_analyser = WsgiAnalyser()
