"""Django and Django REST framework: settings, urlpatterns, views, routers, auth and errors.

Each file is read on its own (``collect``): settings assignments, ``urlpatterns``
entries with the view or include they point at, DRF router registrations, and
every function or class that may serve as a view, with the facts of its body.
``link`` then walks the URL tree from ``ROOT_URLCONF`` through ``include()``
chains, binds each pattern to its view across modules, resolves project-local
base classes, and expands class-based views and viewsets into one route per
method or action.

Every framework name is resolved through imports, so ``from django.urls import
path as p`` is still ``path`` and a local function named ``path`` is not.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from posthog_setup.analysis.body import (
    UserFinder,
    dotted,
    judge_mutating,
    reads_as_query,
    scan_body,
    settle,
    walk_body,
)
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.model import (
    AppObject,
    AuthKind,
    AuthPoint,
    BodyFacts,
    DjangoView,
    ErrorHandler,
    Evidence,
    Framework,
    Handler,
    ModuleFacts,
    Route,
    RouterRegistration,
    UrlPattern,
    UserAccess,
)
from posthog_setup.analysis.paths import path_parameters, regex_to_path
from posthog_setup.frameworks.ninja import analysis as ninja

_WANTS = re.compile(
    r"django|rest_framework|urlpatterns|process_exception|View\b|ViewSet|ROOT_URLCONF|INSTALLED_APPS"
)

_PATH = "django.urls.path"
_RE_PATH = "django.urls.re_path"
_INCLUDE = "django.urls.include"
_LOGIN = "django.contrib.auth.login"
_LOGOUT = "django.contrib.auth.logout"
_ROUTERS = frozenset(
    {"rest_framework.routers.DefaultRouter", "rest_framework.routers.SimpleRouter"}
)
_AUTH_URLS = "django.contrib.auth.urls"
_SIGNALS = "django.contrib.auth.signals"
_USER_KIND = "django.request.user"
#: Methods of a view class whose bodies matter.
_HTTP_METHODS = ("get", "post", "put", "patch", "delete")
_ACTION_METHODS = {
    "list": "GET",
    "create": "POST",
    "retrieve": "GET",
    "update": "PUT",
    "partial_update": "PATCH",
    "destroy": "DELETE",
}
_LIST_ACTIONS = ("list", "create")
_DETAIL_ACTIONS = ("retrieve", "update", "partial_update", "destroy")
#: The hooks DRF's mixins call to save, where projects put their own write logic.
_PERFORM = {
    "create": "perform_create",
    "update": "perform_update",
    "partial_update": "perform_update",
    "destroy": "perform_destroy",
}
_CLASS_METHODS = frozenset(
    [*_HTTP_METHODS, *_ACTION_METHODS, *_PERFORM.values(), "form_valid", "process_exception"]
)
#: The entry of ``DjangoView.methods`` that stands for the class itself (implicit actions).
CLASS_ENTRY = "<class>"
_SIGNUP_NAME = re.compile(r"sign_?up|register|join", re.IGNORECASE)
_USER_CREATION = frozenset({"create_user", "create_superuser"})
_HANDLER_SETTINGS = {
    "handler400": "400",
    "handler403": "403",
    "handler404": "404",
    "handler500": "500",
}


@dataclass(frozen=True)
class _ClassSpec:
    """What a Django or DRF view class gives its subclasses."""

    family: str
    #: higher wins when a class has several framework ancestors
    rank: int
    actions: tuple[str, ...] = ()


def _specs() -> dict[str, _ClassSpec]:
    specs: dict[str, _ClassSpec] = {}
    for name in ("View", "RedirectView"):
        specs[f"django.views.generic.{name}"] = _ClassSpec("view", 0)
    specs["django.views.View"] = _ClassSpec("view", 0)
    for name in ("TemplateView", "ListView", "DetailView", "ArchiveIndexView", "YearArchiveView"):
        specs[f"django.views.generic.{name}"] = _ClassSpec("view", 1)
    for name, action in (
        ("CreateView", "create"),
        ("UpdateView", "update"),
        ("DeleteView", "delete"),
        ("FormView", "submit"),
    ):
        specs[f"django.views.generic.{name}"] = _ClassSpec("edit", 2, (action,))
    specs["django.contrib.auth.views.LoginView"] = _ClassSpec("auth", 2, ("login",))
    specs["django.contrib.auth.views.LogoutView"] = _ClassSpec("auth", 2, ("logout",))
    specs["rest_framework.views.APIView"] = _ClassSpec("apiview", 3)
    generics = {
        "GenericAPIView": (),
        "CreateAPIView": ("create",),
        "ListAPIView": ("list",),
        "RetrieveAPIView": ("retrieve",),
        "DestroyAPIView": ("destroy",),
        "UpdateAPIView": ("update", "partial_update"),
        "ListCreateAPIView": ("list", "create"),
        "RetrieveUpdateAPIView": ("retrieve", "update", "partial_update"),
        "RetrieveDestroyAPIView": ("retrieve", "destroy"),
        "RetrieveUpdateDestroyAPIView": ("retrieve", "update", "partial_update", "destroy"),
    }
    for name, actions in generics.items():
        specs[f"rest_framework.generics.{name}"] = _ClassSpec("generic", 4, actions)
    mixins = {
        "CreateModelMixin": ("create",),
        "ListModelMixin": ("list",),
        "RetrieveModelMixin": ("retrieve",),
        "UpdateModelMixin": ("update", "partial_update"),
        "DestroyModelMixin": ("destroy",),
    }
    for name, actions in mixins.items():
        specs[f"rest_framework.mixins.{name}"] = _ClassSpec("mixin", -1, actions)
    viewsets = {
        "ViewSetMixin": (),
        "ViewSet": (),
        "GenericViewSet": (),
        "ReadOnlyModelViewSet": ("list", "retrieve"),
        "ModelViewSet": tuple(_ACTION_METHODS),
    }
    for name, actions in viewsets.items():
        specs[f"rest_framework.viewsets.{name}"] = _ClassSpec("viewset", 5, actions)
    return specs


_CLASS_SPECS = _specs()
_BUILTIN_AUTH_VIEWS: dict[str, AuthKind] = {
    "django.contrib.auth.views.LoginView": "login",
    "django.contrib.auth.views.LogoutView": "logout",
}


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return _keyword(call, name)


def _strings(node: ast.AST | None) -> tuple[str, ...]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return tuple(s for s in (_string(e) for e in node.elts) if s is not None)
    return ()


# -- collect: settings -------------------------------------------------------------------


def _module_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, including those under ``if`` / ``try`` (``if DEBUG: ...``)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from _module_statements(stmt.body)
            yield from _module_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for part in (stmt.body, stmt.orelse, stmt.finalbody):
                yield from _module_statements(part)


def _assigned_name(stmt: ast.stmt) -> tuple[str, ast.expr, bool] | None:
    """``NAME = value`` / ``NAME: T = value`` / ``NAME += value`` -> (name, value, augmented)."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            return target.id, stmt.value, False
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        if isinstance(stmt.target, ast.Name):
            return stmt.target.id, stmt.value, False
    elif (
        isinstance(stmt, ast.AugAssign)
        and isinstance(stmt.op, ast.Add)
        and isinstance(stmt.target, ast.Name)
    ):
        return stmt.target.id, stmt.value, True
    return None


def _collect_settings(ctx: FileContext, out: FactsBuilder) -> None:
    """Settings a later stage needs: the urlconf, middleware order, apps, auth and DRF hooks."""
    found: dict[str, str] = {}
    middleware: list[str] = []
    apps: list[str] = []
    first_line = 0
    #: module-level lists of strings by name, for ``INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS``
    lists: dict[str, list[str]] = {}

    def expand(value: ast.expr) -> list[str]:
        if isinstance(value, ast.Name):
            return list(lists.get(value.id, ()))
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            return expand(value.left) + expand(value.right)
        return list(_strings(value))

    for stmt in _module_statements(ctx.tree.body):
        assigned = _assigned_name(stmt)
        if assigned is None:
            continue
        name, value, augmented = assigned
        if isinstance(value, (ast.List, ast.Tuple, ast.BinOp, ast.Name)):
            lists[name] = ([*lists.get(name, ())] if augmented else []) + expand(value)
        if name in ("MIDDLEWARE", "INSTALLED_APPS"):
            items = middleware if name == "MIDDLEWARE" else apps
            if not augmented:
                items.clear()
            items.extend(expand(value))
            found[name] = ",".join(items)
            found.setdefault(f"{name}:line", str(stmt.lineno))
        elif name in ("ROOT_URLCONF", "AUTH_USER_MODEL", "LOGIN_URL"):
            text = _string(value)
            if text is not None:
                found[name] = text
        elif name == "REST_FRAMEWORK" and isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values, strict=True):
                handler = _string(item)
                if _string(key) == "EXCEPTION_HANDLER" and handler is not None:
                    found["REST_FRAMEWORK.EXCEPTION_HANDLER"] = handler
        else:
            continue
        if name in ("ROOT_URLCONF", "INSTALLED_APPS") and not first_line:
            first_line = stmt.lineno
    if "MIDDLEWARE" in found:
        position = next(
            (i for i, m in enumerate(middleware) if m.endswith(".AuthenticationMiddleware")), None
        )
        if position is not None:
            found["AUTHENTICATION_MIDDLEWARE_INDEX"] = str(position)
    if "INSTALLED_APPS" in found:
        found["REST_FRAMEWORK_INSTALLED"] = str("rest_framework" in apps).lower()
        found["ALLAUTH_INSTALLED"] = str(any(a.split(".")[0] == "allauth" for a in apps)).lower()
    out.django_settings.extend(found.items())
    if first_line:
        out.apps.append(AppObject("django.project", ctx.module, ctx.file, first_line))


# -- collect: urlpatterns and routers ----------------------------------------------------


def _path_form(pattern: str, regex: bool) -> str:
    return regex_to_path(pattern) if regex else pattern


def _concat(prefix: UrlPattern, child: UrlPattern) -> UrlPattern:
    """An entry of an inlined pattern list, under the prefix of the ``include`` that holds it."""
    if prefix.regex and child.regex:
        pattern = prefix.pattern.removesuffix("$") + child.pattern.removeprefix("^")
        regex = True
    elif prefix.regex or child.regex:
        pattern = _path_form(prefix.pattern, prefix.regex) + _path_form(child.pattern, child.regex)
        regex = False
    else:
        pattern, regex = prefix.pattern + child.pattern, False
    return dataclasses.replace(child, pattern=pattern, regex=regex)


class _UrlCollector:
    """Reads ``urlpatterns`` (and the lists it includes) of one module."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.lists: dict[str, list[UrlPattern]] = {}
        self.routers: set[str] = set()

    def patterns(self, expr: ast.AST) -> list[UrlPattern]:
        """The entries an expression contributes to a pattern list."""
        if isinstance(expr, (ast.List, ast.Tuple)):
            return [p for element in expr.elts for p in self.entry(element)]
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.patterns(expr.left) + self.patterns(expr.right)
        if isinstance(expr, ast.Name) and expr.id in self.lists:
            return list(self.lists[expr.id])
        if isinstance(expr, ast.Attribute) and expr.attr == "urls":
            target = self.ctx.names.resolve(expr)
            if target is not None:
                return [UrlPattern("", False, expr.lineno, include=target)]
        return []

    def entry(self, element: ast.AST) -> list[UrlPattern]:
        call = self.ctx.names.resolve_call(element)
        if call not in (_PATH, _RE_PATH) or not isinstance(element, ast.Call):
            return []
        pattern = _string(_argument(element, 0, "route"))
        view = _argument(element, 1, "view")
        if pattern is None or view is None:
            return []
        base = UrlPattern(
            pattern=pattern,
            regex=call == _RE_PATH,
            line=element.lineno,
            name=_string(_keyword(element, "name")),
        )
        return self.target(base, view)

    def target(self, base: UrlPattern, view: ast.AST) -> list[UrlPattern]:
        """Bind an entry to its view, its included module or router, or inline an included list."""
        names = self.ctx.names
        if isinstance(view, ast.Call):
            if names.resolve_call(view) == _INCLUDE and view.args:
                return self.include(base, view.args[0])
            if isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
                cls = names.resolve(view.func.value)
                return [dataclasses.replace(base, view=cls, class_based=True)] if cls else []
            # Wrappers such as login_required(view) or cache_page(60)(view).
            return self.target(base, view.args[0]) if view.args else []
        target = names.resolve(view)
        if target is None:
            return []
        if target.endswith(".urls"):
            return [dataclasses.replace(base, include=target)]
        return [dataclasses.replace(base, view=target)]

    def include(self, base: UrlPattern, argument: ast.AST) -> list[UrlPattern]:
        if isinstance(argument, ast.Tuple) and argument.elts:
            # include((patterns, "app_name")) and include(("app.urls", "app_name"))
            argument = argument.elts[0]
        module = _string(argument)
        if module is not None:
            return [dataclasses.replace(base, include=module)]
        if isinstance(argument, (ast.List, ast.Tuple)) or (
            isinstance(argument, ast.Name) and argument.id in self.lists
        ):
            return [_concat(base, child) for child in self.patterns(argument)]
        target = self.ctx.names.resolve(argument)
        return [dataclasses.replace(base, include=target)] if target else []

    def collect(self, out: FactsBuilder) -> bool:
        """Record ``urlpatterns``, routers and ``handlerNNN``; True if the module has any."""
        ctx = self.ctx
        found = False
        for stmt in _module_statements(ctx.tree.body):
            assigned = _assigned_name(stmt)
            if assigned is not None:
                name, value, augmented = assigned
                if name in _HANDLER_SETTINGS:
                    target = _string(value) or ctx.names.resolve(value)
                    if target is not None:
                        out.django_settings.append((name, target))
                        out.django_settings.append((f"{name}:line", str(stmt.lineno)))
                        found = True
                    continue
                if ctx.names.resolve_call(value) in _ROUTERS:
                    self.routers.add(ctx.qualified(name))
                    out.apps.append(
                        AppObject("drf.router", ctx.qualified(name), ctx.file, stmt.lineno)
                    )
                    found = True
                    continue
                entries = self.patterns(value)
                if augmented:
                    self.lists.setdefault(name, []).extend(entries)
                elif entries or name == "urlpatterns":
                    self.lists[name] = entries
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                found = self.method_call(stmt.value, out) or found
        if "urlpatterns" in self.lists:
            out.urlpatterns.extend(self.lists["urlpatterns"])
            found = True
        return found

    def method_call(self, call: ast.Call, out: FactsBuilder) -> bool:
        """``urlpatterns.append(...)`` / ``.extend(...)`` and ``router.register(...)``."""
        func = call.func
        if not isinstance(func, ast.Attribute) or not call.args:
            return False
        if isinstance(func.value, ast.Name) and func.value.id in self.lists:
            if func.attr == "append":
                self.lists[func.value.id].extend(self.entry(call.args[0]))
            elif func.attr == "extend":
                self.lists[func.value.id].extend(self.patterns(call.args[0]))
            return False
        if func.attr != "register":
            return False
        router = self.ctx.names.resolve(func.value)
        prefix = _string(_argument(call, 0, "prefix"))
        viewset_node = _argument(call, 1, "viewset")
        viewset = self.ctx.names.resolve(viewset_node) if viewset_node is not None else None
        # A register() on something that is not a router (admin.site.register(Model)) has
        # no string prefix; a router imported from another module is checked in link().
        if router is None or prefix is None or viewset is None:
            return False
        basename = _string(_keyword(call, "basename") or _keyword(call, "base_name"))
        out.router_registrations.append(
            RouterRegistration(router, prefix, viewset, basename, call.lineno)
        )
        return True


# -- collect: views ----------------------------------------------------------------------


def _user_finder(request_param: str | None) -> UserFinder:
    """How a view reaches the user: ``<request param>.user`` or ``self.request.user``."""

    def find(
        ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
    ) -> UserAccess | None:
        if not isinstance(node, ast.Attribute) or node.attr != "user":
            return None
        owner = node.value
        if isinstance(owner, ast.Name) and request_param is not None and owner.id == request_param:
            return UserAccess(
                _USER_KIND, f"{request_param}.user.pk", f"{request_param}.user.is_authenticated"
            )
        if (
            isinstance(owner, ast.Attribute)
            and owner.attr == "request"
            and isinstance(owner.value, ast.Name)
            and owner.value.id == "self"
        ):
            return UserAccess(
                _USER_KIND, "self.request.user.pk", "self.request.user.is_authenticated"
            )
        return None

    return find


def _positional(func: FunctionNode) -> list[str]:
    return [a.arg for a in [*func.args.posonlyargs, *func.args.args]]


def _auth_calls(ctx: FileContext, func: FunctionNode) -> Iterator[tuple[str, ast.Call]]:
    scope = ctx.names.scope_for_def(func)
    for node in walk_body(func):
        if isinstance(node, ast.Call):
            qualified = ctx.names.resolve(node.func, scope)
            if qualified in (_LOGIN, _LOGOUT):
                yield qualified, node


class _ViewCollector:
    """Functions and classes that may serve requests, with their body facts and auth calls."""

    def __init__(self, ctx: FileContext, out: FactsBuilder) -> None:
        self.ctx = ctx
        self.out = out

    def body(self, func: FunctionNode, request_param: str | None) -> BodyFacts:
        """Body facts, with Django's own evidence added: users created, sessions started."""
        ctx = self.ctx
        facts = scan_body(ctx, func, _user_finder(request_param), logout_calls=frozenset({_LOGOUT}))
        extra: list[Evidence] = []
        for node in walk_body(func):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _USER_CREATION
            ):
                spelled = dotted(node.func)
                extra.append(Evidence("write", f"{spelled}() creates a user", node.lineno, True))
        writes = any(e.mutating for e in [*facts.evidence, *extra])
        logins = [call for name, call in _auth_calls(ctx, func) if name == _LOGIN]
        if logins and not writes:
            # Logging in changes no data; the login event (identify) records it instead.
            extra.append(Evidence("read-only", "login() starts a session", logins[0].lineno, False))
        if not extra:
            return facts
        change = max([facts.change_line or 0, *(e.line for e in extra if e.mutating)]) or None
        facts = dataclasses.replace(facts, evidence=(*facts.evidence, *extra), change_line=change)
        return settle(ctx, func, facts)

    def auth_points(self, func: FunctionNode, body: BodyFacts) -> None:
        creates_user = any(e.kind == "write" for e in body.evidence)
        for name, call in _auth_calls(self.ctx, func):
            kind: AuthKind
            if name == _LOGOUT:
                kind = "logout"
                request = dotted(call.args[0]) if call.args else ""
                user = f"{request}.user" if request else None
            else:
                kind = "signup" if creates_user or _SIGNUP_NAME.search(func.name) else "login"
                user_node = _argument(call, 1, "user")
                user = dotted(user_node) or None if user_node is not None else None
            self.out.auth_points.append(
                AuthPoint(kind, "django", self.ctx.handler(func), call.lineno, name, user, "call")
            )

    def function(self, func: FunctionNode) -> DjangoView | None:
        params = _positional(func)
        if not params:
            return None
        ctx = self.ctx
        body = self.body(func, params[0])
        self.auth_points(func, body)
        declared, kind = self.declared_methods(func)
        if declared is None:
            branches = body.method_branches
            declared = (
                ("GET", *(m for m in branches if m != "GET")) if branches else ("GET", "POST")
            )
        handler = ctx.handler(func)
        return DjangoView(
            qualname=handler.qualname,
            kind=kind,
            methods=tuple((m, handler, body) for m in declared),
            line=func.lineno,
        )

    def declared_methods(self, func: FunctionNode) -> tuple[tuple[str, ...] | None, str]:
        """Methods fixed by ``@require_POST`` / ``@require_http_methods`` / ``@api_view``."""
        names = self.ctx.names
        for decorator in func.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = names.resolve(call.func if call else decorator) or ""
            if target == "rest_framework.decorators.api_view":
                listed = _strings(_argument(call, 0, "http_method_names")) if call else ()
                return tuple(m.upper() for m in listed) or ("GET",), "api_view"
            if not target.startswith("django.views.decorators.http."):
                continue
            short = _short(target)
            if short == "require_POST":
                return ("POST",), "function.declared"
            if short in ("require_GET", "require_safe"):
                return ("GET",), "function.declared"
            if short == "require_http_methods" and call is not None:
                listed = _strings(_argument(call, 0, "request_method_list"))
                return tuple(m.upper() for m in listed), "function.declared"
        return None, "function"

    def cls(self, node: ast.ClassDef) -> DjangoView | None:
        ctx = self.ctx
        bases = tuple(b for b in (ctx.names.resolve(base) for base in node.bases) if b)
        methods: list[tuple[str, Handler, BodyFacts]] = []
        actions: list[tuple[str, tuple[str, ...], bool, Handler, BodyFacts]] = []
        model: str | None = None
        lookup: str | None = None
        lookup_field: str | None = None
        for stmt in node.body:
            assigned = _assigned_name(stmt)
            if assigned is not None:
                name, value, _ = assigned
                if name in ("model", "queryset") and model is None:
                    model = self.model_name(value)
                elif name == "lookup_url_kwarg":
                    lookup = _string(value)
                elif name == "lookup_field":
                    lookup_field = _string(value)
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            decorated = self.action(stmt)
            if decorated is None and stmt.name not in _CLASS_METHODS:
                continue
            params = _positional(stmt)
            serves = (
                decorated is not None or stmt.name in _HTTP_METHODS or stmt.name in _ACTION_METHODS
            )
            request_param = params[1] if serves and len(params) > 1 else None
            body = self.body(stmt, request_param)
            self.auth_points(stmt, body)
            if decorated is not None:
                url_path, verbs, detail = decorated
                actions.append((url_path, verbs, detail, ctx.handler(stmt), body))
            else:
                methods.append((stmt.name, ctx.handler(stmt), body))
        known = any(b in _CLASS_SPECS for b in bases)
        # A base from the project itself may be a view base defined elsewhere (resolved in link);
        # a base from another framework or the standard library never is.
        local = any(not b.startswith(_NOT_PROJECT_BASES) for b in bases)
        names = {m[0] for m in methods}
        if not (known or local or "process_exception" in names):
            return None
        handler = ctx.handler(node)
        class_body = BodyFacts(ignored=ctx.is_ignored(node))
        return DjangoView(
            qualname=handler.qualname,
            kind=_class_kind(bases) or ("middleware" if "process_exception" in names else ""),
            methods=((CLASS_ENTRY, handler, class_body), *methods),
            bases=bases,
            actions=tuple(actions),
            line=node.lineno,
            model=model,
            lookup=lookup or lookup_field,
        )

    def model_name(self, value: ast.AST) -> str | None:
        """``Product`` or ``Product.objects.filter(...)`` -> the model's qualified name."""
        while True:
            if isinstance(value, ast.Call):
                value = value.func
            elif isinstance(value, ast.Attribute):
                value = value.value
            else:
                break
        if isinstance(value, ast.Name):
            return self.ctx.names.resolve(value) or value.id
        return None

    def action(self, func: FunctionNode) -> tuple[str, tuple[str, ...], bool] | None:
        """``@action(detail=True, methods=["post"], url_path="x")`` -> (url path, methods, detail)."""
        for decorator in func.decorator_list:
            if not isinstance(decorator, ast.Call):
                continue
            if self.ctx.names.resolve(decorator.func) != "rest_framework.decorators.action":
                continue
            verbs = tuple(m.upper() for m in _strings(_keyword(decorator, "methods"))) or ("GET",)
            detail_node = _keyword(decorator, "detail")
            detail = isinstance(detail_node, ast.Constant) and detail_node.value is True
            url_path = _string(_keyword(decorator, "url_path")) or func.name
            return url_path, verbs, detail
        return None

    def collect(self) -> bool:
        found = False
        for stmt in self.ctx.tree.body:
            view: DjangoView | None = None
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                view = self.function(stmt)
            elif isinstance(stmt, ast.ClassDef):
                view = self.cls(stmt)
            if view is not None:
                self.out.django_views.append(view)
                found = True
        return found or bool(self.out.auth_points)


def _class_kind(ancestry: Sequence[str]) -> str:
    """The most specific framework class among a class's ancestors, by short name."""
    best: tuple[int, str] | None = None
    for name in ancestry:
        spec = _CLASS_SPECS.get(name)
        if spec is not None and spec.rank >= 0 and (best is None or spec.rank > best[0]):
            best = (spec.rank, name)
    return _short(best[1]) if best else ""


# -- link --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Located:
    facts: ModuleFacts
    view: DjangoView


@dataclass(frozen=True)
class _ClassModel:
    """A view class with its project-local bases folded in."""

    located: _Located
    ancestry: tuple[str, ...]
    kind: str
    family: str
    #: actions the framework classes among its ancestors provide
    implicit: tuple[str, ...]
    #: method name -> (handler, body): own methods first, then inherited ones
    methods: dict[str, tuple[Handler, BodyFacts]]
    actions: tuple[tuple[str, tuple[str, ...], bool, Handler, BodyFacts], ...]
    lookup: str

    @property
    def handler(self) -> Handler:
        return self.methods[CLASS_ENTRY][0]

    def implicit_write(self, action: str) -> Evidence | None:
        """The write a generic view or DRF mixin performs without code in the project."""
        line = self.located.view.line
        if action in ("create", "update", "partial_update"):
            what = "saves the form" if self.family == "edit" else f"{action} saves the serializer"
            return Evidence("implicit", f"{self.kind} {what}", line, True)
        if action in ("delete", "destroy"):
            return Evidence("implicit", f"{self.kind} deletes the object", line, True)
        if action == "logout":
            return Evidence("logout", f"{self.kind} ends the session", line, True)
        if action == "login":
            return Evidence("read-only", f"{self.kind} starts a session", line, False)
        return None


@dataclass(frozen=True)
class _Where:
    """What every route of one URL entry shares."""

    owner: str
    name: str | None = None
    view_kind: str | None = None
    #: the view's class name reads as a query (``ValidateCouponView``)
    query_name: bool = False


def _route(
    where: _Where,
    path: str,
    methods: tuple[str, ...],
    handler: Handler,
    body: BodyFacts,
    *,
    action: str | None = None,
    judged: tuple[str, ...] | None = None,
    implicit: Evidence | None = None,
    name: str | None = None,
) -> Route:
    if where.query_name and not any(e.mutating for e in body.evidence):
        reason = Evidence("read-only", "the view's name reads as a query", handler.line, False)
        body = dataclasses.replace(body, evidence=(*body.evidence, reason))
    mutating, evidence = judge_mutating(judged or methods, body, implicit=implicit)
    return Route(
        framework="django",
        path=path,
        methods=methods,
        handler=handler,
        owner=where.owner,
        line=handler.line,
        mutating=mutating,
        evidence=evidence,
        user_access=body.user_access,
        path_params=path_parameters(path),
        name=name or where.name,
        view_kind=where.view_kind,
        action=action,
        change_line=body.change_line,
        captures=body.captures,
        ignored=body.ignored,
        locals=body.locals,
        anchor=body.anchor,
        proven=body.proven,
        typed=body.typed,
        written=body.written,
    )


def _module_handler(mf: ModuleFacts, qualname: str, line: int) -> Handler:
    """A Handler for a module-level statement (a urlpatterns entry, a setting)."""
    return Handler(mf.module, mf.file, qualname, line, line, line)


def _is_function(view: DjangoView) -> bool:
    return view.kind.startswith("function") or view.kind == "api_view"


def _method_order(route: Route) -> int:
    return _HTTP_METHODS.index(route.methods[0].lower())


class _Project:
    """Indexes over every Django module of the project, and the walk of its URL tree."""

    def __init__(self, facts: Sequence[ModuleFacts]) -> None:
        self.facts = sorted(facts, key=lambda f: f.file)
        self.views: dict[str, _Located] = {}
        self.urlconfs: dict[str, ModuleFacts] = {}
        self.routers: dict[str, AppObject] = {}
        self.registrations: dict[str, list[RouterRegistration]] = {}
        self.settings: dict[str, tuple[ModuleFacts, str]] = {}
        for mf in self.facts:
            for view in mf.django_views:
                self.views[f"{mf.module}.{view.qualname}"] = _Located(mf, view)
            # A root URLconf may declare only handler500 and an empty urlpatterns.
            if mf.urlpatterns or any(k in _HANDLER_SETTINGS for k, _ in mf.django_settings):
                self.urlconfs[mf.module] = mf
            for app in mf.apps:
                if app.kind == "drf.router":
                    self.routers[app.name] = app
            for registration in mf.router_registrations:
                self.registrations.setdefault(registration.router, []).append(registration)
            for key, value in mf.django_settings:
                self.settings.setdefault(key, (mf, value))
        self.classes: dict[str, _ClassModel | None] = {}
        self.routes: list[Route] = []
        self.router_prefixes: dict[str, str] = {}
        #: ``path("api/", api.urls)`` of anything but a DRF router: object -> mounted paths
        self.mounted: dict[str, list[str]] = {}
        #: built-in auth views reachable from the URLs: (kind, where, what)
        self.builtin_auth: list[tuple[AuthKind, Handler, str]] = []

    def setting(self, key: str) -> tuple[ModuleFacts, str] | None:
        return self.settings.get(key)

    # -- classes ----------------------------------------------------------------------

    def class_model(self, name: str, seen: frozenset[str] = frozenset()) -> _ClassModel | None:
        """The class ``name`` with its project-local bases resolved (None if not a project class)."""
        if name in self.classes:
            return self.classes[name]
        located = self.views.get(name)
        if located is None or name in seen or _is_function(located.view):
            return None
        view = located.view
        ancestry: list[str] = []
        methods = {m: (h, b) for m, h, b in view.methods}
        actions = list(view.actions)
        lookup = view.lookup
        for base in view.bases:
            ancestry.append(base)
            parent = self.class_model(base, seen | {name})
            if parent is None:
                continue
            ancestry.extend(parent.ancestry)
            for method, entry in parent.methods.items():
                methods.setdefault(method, entry)
            own = {a[3].name for a in actions}
            actions.extend(a for a in parent.actions if a[3].name not in own)
            lookup = lookup or parent.lookup
        kind = _class_kind(ancestry)
        spec = next(
            (_CLASS_SPECS[a] for a in ancestry if a in _CLASS_SPECS and _short(a) == kind), None
        )
        implicit = dict.fromkeys(a for base in ancestry for a in _spec_actions(base))
        model = _ClassModel(
            located=located,
            ancestry=tuple(ancestry),
            kind=kind or view.kind,
            family=spec.family if spec is not None else view.kind,
            implicit=tuple(implicit),
            methods=methods,
            actions=tuple(actions),
            lookup=lookup or "pk",
        )
        self.classes[name] = model
        return model

    # -- the URL walk -----------------------------------------------------------------

    def roots(self) -> list[str]:
        """ROOT_URLCONF, or every URL module no other module includes."""
        root = self.setting("ROOT_URLCONF")
        if root is not None and root[1] in self.urlconfs:
            return [root[1]]
        included = {p.include for mf in self.urlconfs.values() for p in mf.urlpatterns}
        return [m for m in sorted(self.urlconfs) if m not in included]

    def walk(self, module: str, prefix: str, chain: frozenset[str]) -> None:
        mf = self.urlconfs[module]
        for pattern in mf.urlpatterns:
            # Django joins a pattern to its include's prefix as plain text.
            path = prefix + _path_form(pattern.pattern, pattern.regex)
            if pattern.include is not None:
                self.include(mf, pattern, path, chain)
            elif pattern.view is not None:
                self.bind(mf, pattern, path)

    def include(
        self, mf: ModuleFacts, pattern: UrlPattern, path: str, chain: frozenset[str]
    ) -> None:
        target = pattern.include or ""
        router = target.removesuffix(".urls")
        if router in self.routers:
            self.router_prefixes.setdefault(router, "/" + path)
            for registration in self.registrations.get(router, []):
                self.viewset(registration, path)
        elif target in self.urlconfs and target not in chain:
            self.walk(target, path, chain | {target})
        elif target == _AUTH_URLS:
            where = _module_handler(mf, "urlpatterns", pattern.line)
            self.builtin_auth.append(("login", where, "django.contrib.auth.views.LoginView"))
            self.builtin_auth.append(("logout", where, "django.contrib.auth.views.LogoutView"))
        elif target.endswith(".urls"):
            self.mounted.setdefault(router, []).append(path)

    def bind(self, mf: ModuleFacts, pattern: UrlPattern, path: str) -> None:
        view = pattern.view or ""
        if view in _BUILTIN_AUTH_VIEWS:
            origin = _module_handler(mf, "urlpatterns", pattern.line)
            self.builtin_auth.append((_BUILTIN_AUTH_VIEWS[view], origin, view))
            return
        located = self.views.get(view)
        if located is None:
            return
        full = "/" + path
        if not _is_function(located.view):
            cls = self.class_model(view)
            if cls is not None:
                self.routes.extend(self.class_routes(cls, full, mf.module, pattern.name))
            return
        entries = located.view.methods
        methods = tuple(m for m, _, _ in entries)
        _, handler, body = entries[0]
        judged = methods
        if located.view.kind == "function":
            # Methods not declared: the body's writes and method branches decide, not GET+POST.
            judged = ("GET", *body.method_branches)
        where = _Where(mf.module, pattern.name, located.view.kind)
        self.routes.append(_route(where, full, methods, handler, body, judged=judged))

    def class_routes(
        self, cls: _ClassModel, path: str, owner: str, name: str | None
    ) -> list[Route]:
        """A class-based view: one route per HTTP method or generic action."""
        where = _Where(owner, name, cls.kind, reads_as_query(cls.handler.name))
        if cls.family in ("edit", "auth"):
            return [self.form_route(cls, path, where)]
        routes: list[Route] = []
        for method in _HTTP_METHODS:
            if method in cls.methods:
                handler, body = cls.methods[method]
                routes.append(_route(where, path, (method.upper(),), handler, body, action=method))
        if cls.family == "generic":
            for action in cls.implicit:
                if _ACTION_METHODS[action].lower() in cls.methods:
                    continue  # an explicit get/post/... serves it
                routes.append(self.action_route(cls, action, path, where))
        if not routes and cls.family == "view":
            handler, body = cls.methods[CLASS_ENTRY]
            routes.append(_route(where, path, ("GET",), handler, body, action="get"))
        return sorted(routes, key=_method_order)

    def form_route(self, cls: _ClassModel, path: str, where: _Where) -> Route:
        """Create/Update/Delete/FormView and auth views: GET shows the form, POST acts on it."""
        action = next((a for a in cls.implicit if a in _EDIT_ACTIONS), "submit")
        handler, body = cls.methods.get("form_valid") or cls.methods[CLASS_ENTRY]
        builtin = next((a for a in cls.ancestry if a in _BUILTIN_AUTH_VIEWS), None)
        if builtin is not None:
            # A project subclass of LoginView / LogoutView: Django logs the user in or out.
            self.builtin_auth.append((_BUILTIN_AUTH_VIEWS[builtin], cls.handler, builtin))
        return _route(
            where,
            path,
            ("GET", "POST"),
            handler,
            body,
            action=action,
            judged=("POST",),
            implicit=cls.implicit_write(action),
        )

    def action_route(self, cls: _ClassModel, action: str, path: str, where: _Where) -> Route:
        """A DRF action: its own method if overridden, else its perform_* hook, else the class."""
        method = _ACTION_METHODS[action]
        if action in cls.methods:
            handler, body = cls.methods[action]
            return _route(where, path, (method,), handler, body, action=action)
        handler, body = cls.methods.get(_PERFORM.get(action, ""), cls.methods[CLASS_ENTRY])
        implicit = cls.implicit_write(action)
        return _route(where, path, (method,), handler, body, action=action, implicit=implicit)

    def viewset(self, registration: RouterRegistration, prefix: str) -> None:
        """The routes a DRF router makes for a registered viewset, in the router's order."""
        cls = self.class_model(registration.viewset)
        if cls is None or cls.family != "viewset":
            return
        base = prefix + registration.prefix.strip("/")
        list_path = f"/{base}/"
        detail_path = f"/{base}/<{cls.lookup}>/"
        model = cls.located.view.model
        basename = registration.basename or (_short(model).lower() if model else None)
        where = _Where(registration.router, None, cls.kind, reads_as_query(cls.handler.name))

        def url_name(suffix: str) -> str | None:
            return f"{basename}-{suffix}" if basename else None

        for actions, path, suffix, detail in (
            (_LIST_ACTIONS, list_path, "list", False),
            (_DETAIL_ACTIONS, detail_path, "detail", True),
        ):
            for action in actions:
                if action in cls.implicit or action in cls.methods:
                    route = self.action_route(cls, action, path, where)
                    self.routes.append(dataclasses.replace(route, name=url_name(suffix)))
            for url_path, verbs, on_detail, handler, body in cls.actions:
                if on_detail == detail:
                    self.routes.append(
                        _route(
                            where,
                            f"{path}{url_path.strip('/')}/",
                            verbs,
                            handler,
                            body,
                            action=handler.name,
                            name=url_name(handler.name.replace("_", "-")),
                        )
                    )


_EDIT_ACTIONS = ("create", "update", "delete", "submit", "login", "logout")


def _spec_actions(name: str) -> tuple[str, ...]:
    spec = _CLASS_SPECS.get(name)
    return spec.actions if spec is not None else ()


_NOT_PROJECT_BASES = (
    "django.",
    "rest_framework.",
    "builtins.",
    "flask.",
    "flask_",
    "fastapi.",
    "starlette.",
    "pydantic.",
    "sqlalchemy.",
    "abc.",
    "enum.",
    "typing.",
    "dataclasses.",
)


def _apps(project: _Project) -> tuple[AppObject, ...]:
    found: list[AppObject] = []
    for mf in project.facts:
        for app in mf.apps:
            prefix = project.router_prefixes.get(app.name, app.prefix)
            found.append(dataclasses.replace(app, prefix=prefix))
    return tuple(found)


def _auth_points(project: _Project) -> tuple[AuthPoint, ...]:
    """Logins and logouts the project calls, then signal hooks for those Django performs."""
    direct = sorted(
        (p for mf in project.facts for p in mf.auth_points), key=lambda p: (p.handler.file, p.line)
    )
    covered = {p.kind for p in direct}
    signals: list[AuthPoint] = []
    candidates = list(project.builtin_auth)
    allauth = project.setting("ALLAUTH_INSTALLED")
    apps = project.setting("INSTALLED_APPS:line")
    if allauth is not None and allauth[1] == "true" and apps is not None:
        where = _module_handler(allauth[0], "INSTALLED_APPS", int(apps[1]))
        candidates += [("login", where, "allauth"), ("logout", where, "allauth")]
        if "signup" not in covered:
            signals.append(
                AuthPoint(
                    "signup",
                    "django",
                    where,
                    where.line,
                    "allauth",
                    "user",
                    "allauth.account.signals",
                )
            )
    for kind, where, call in candidates:
        if kind in covered:
            continue
        covered.add(kind)
        signals.append(AuthPoint(kind, "django", where, where.line, call, "user", _SIGNALS))
    return (*direct, *sorted(signals, key=lambda p: (p.kind != "login", p.kind)))


def _error_handlers(project: _Project, roots: Sequence[str]) -> tuple[ErrorHandler, ...]:
    """handler404/500 of the root URLconf, middleware process_exception, DRF's EXCEPTION_HANDLER."""
    found: list[ErrorHandler] = []

    def add(target: str, handles: str, server_error: bool, error_index: int) -> None:
        located = project.views.get(target)
        if located is None:
            return
        if _is_function(located.view):
            _, handler, body = located.view.methods[0]
        else:
            cls = project.class_model(target)
            if cls is None or "process_exception" not in cls.methods:
                return
            handler, body = cls.methods["process_exception"]
        params = handler.params
        error_param = params[error_index] if len(params) > error_index else None
        found.append(
            ErrorHandler(
                "django",
                handler,
                (handles,),
                handler.line,
                server_error,
                error_param,
                body.captures_exception,
            )
        )

    for root in roots:
        for key, value in project.urlconfs[root].django_settings:
            if key in _HANDLER_SETTINGS:
                code = _HANDLER_SETTINGS[key]
                add(value, code, code == "500", 1)
    middleware = project.setting("MIDDLEWARE")
    for entry in middleware[1].split(",") if middleware else ():
        add(entry, "Exception", True, 2)
    drf = project.setting("REST_FRAMEWORK.EXCEPTION_HANDLER")
    if drf is not None:
        add(drf[1], "Exception", True, 0)
    return tuple(sorted(found, key=lambda h: (h.handler.file, h.line)))


class DjangoAnalyser:
    """Django and Django REST framework."""

    name: Framework = "django"

    def wants(self, source: str) -> bool:
        """Could this file hold settings, URLs, views or middleware?"""
        return _WANTS.search(source) is not None or ninja.WANTS.search(source) is not None

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the settings, URL patterns, routers and views this file declares."""
        _collect_settings(ctx, out)
        urls = _UrlCollector(ctx).collect(out)
        collector = _ViewCollector(ctx, out)
        views = collector.collect()
        operations = ninja.collect(
            ctx, out, lambda func: collector.body(func, next(iter(_positional(func)), None))
        )
        django_apps = any(a.kind in ("django.project", "drf.router") for a in out.apps)
        if out.django_settings or urls or views or django_apps or operations:
            out.uses("django")

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Walk the URL tree and bind views, auth points and error handlers across modules."""
        project = _Project(facts)
        roots = project.roots()
        for root in roots:
            project.walk(root, "", frozenset({root}))
        operations, ninja_handlers = ninja.link(project.facts, project.mounted)
        return Linked(
            apps=_apps(project),
            routes=(*project.routes, *operations),
            auth_points=_auth_points(project),
            error_handlers=tuple(
                sorted(
                    (*_error_handlers(project, roots), *ninja_handlers),
                    key=lambda h: (h.handler.file, h.line),
                )
            ),
            settings=tuple(
                (mf.file, key, value) for mf in project.facts for key, value in mf.django_settings
            ),
        )


analyser = DjangoAnalyser()
