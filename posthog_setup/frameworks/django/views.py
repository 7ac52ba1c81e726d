"""Every function or class that may serve as a view, with the facts of its body:
writes, the user, logins and logouts."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator, Sequence

from posthog_setup.analysis import flow, guards
from posthog_setup.analysis.body import (
    UserFinder,
    dotted,
    scan_body,
    settle,
    walk_body,
)
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode
from posthog_setup.analysis.model import (
    AuthKind,
    AuthPoint,
    BodyFacts,
    DjangoView,
    Evidence,
    Handler,
    UserAccess,
)
from posthog_setup.analysis.names import spelled_as_class
from posthog_setup.frameworks.django import wagtail
from posthog_setup.frameworks.django.common import (
    ACTION_METHODS,
    CLASS_ENTRY,
    CLASS_METHODS,
    CLASS_SPECS,
    HTTP_METHODS,
    LOGIN,
    LOGOUT,
    MEMBERS_ONLY,
    NOT_PROJECT_BASES,
    SIGNUP_NAME,
    TOKEN_ISSUERS,
    USER_CREATION,
    argument,
    keyword_value,
    literal_string,
    literal_strings,
    short_name,
)
from posthog_setup.frameworks.django.conventions import request_user
from posthog_setup.frameworks.django.model_methods import (
    NO_MODELS,
    ProjectModels,
    method_call,
    only_reads,
)
from posthog_setup.frameworks.django.settings import assigned_name


def _user_finder(request_param: str | None) -> UserFinder:
    """How a view reaches the user: ``<request param>.user`` or ``self.request.user``."""

    def find(
        ctx: FileContext, func: FunctionNode | ast.ClassDef, node: ast.AST
    ) -> UserAccess | None:
        if not isinstance(node, ast.Attribute) or node.attr != "user":
            return None
        owner = node.value
        if isinstance(owner, ast.Name) and request_param is not None and owner.id == request_param:
            return request_user(request_param)
        if (
            isinstance(owner, ast.Attribute)
            and owner.attr == "request"
            and isinstance(owner.value, ast.Name)
            and owner.value.id == "self"
        ):
            return request_user("self.request")
        return None

    return find


def positional(func: FunctionNode) -> list[str]:
    return [a.arg for a in [*func.args.posonlyargs, *func.args.args]]


def _auth_calls(ctx: FileContext, func: FunctionNode) -> Iterator[tuple[str, ast.Call]]:
    scope = ctx.names.scope_for_def(func)
    for node in walk_body(func):
        if isinstance(node, ast.Call):
            qualified = ctx.names.resolve(node.func, scope)
            if qualified in (LOGIN, LOGOUT):
                yield qualified, node


def _serializer_users(
    ctx: FileContext, func: FunctionNode, own: str | None = None
) -> Iterator[tuple[AuthKind, str, int, str, str]]:
    """``(kind, serializer class, line, user, how it is read)`` of each statement that takes
    a user from a serializer the function builds from the request (``S(data=...)``, or
    ``self.serializer_class(data=...)`` / ``self.get_serializer(data=...)`` of a class view
    whose ``serializer_class`` is ``own``): its ``save()`` where nothing else was given to
    update (a signup: the user is the name the result is bound to, else
    ``<serializer>.instance``, which DRF's ``save()`` sets to what ``create`` answered) or
    ``user = <serializer>.validated_data["user"]`` (a login). Whether the class makes or
    proves users, and what its ``create`` answers, is decided when the project is linked."""
    scope = ctx.names.scope_for_def(func)
    creating: set[str] = set()
    built: dict[str, str] = {}
    for node in walk_body(func):
        if not isinstance(node, (ast.Assign, ast.Expr)):
            continue
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        name = target.id if isinstance(target, ast.Name) else None
        value = node.value
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "save"
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id in built
            and not value.args
        ):
            serializer = value.func.value.id
            if serializer in creating:
                user = name or f"{serializer}.instance"
                yield "signup", built[serializer], node.lineno, user, "save"
        validated = _validated_key(value, built)
        if name is not None and validated is not None:
            serializer, key = validated
            yield "login", built[serializer], node.lineno, name, f'validated_data["{key}"]'
        if name is None:
            continue
        built.pop(name, None)
        creating.discard(name)
        if isinstance(value, ast.Call) and any(k.arg == "data" for k in value.keywords):
            made = own if _own_serializer(value.func) else ctx.names.resolve(value.func, scope)
            if made is not None:
                built[name] = made
                # Given no instance, ``save()`` creates: it runs the class's ``create``.
                if not value.args and not any(k.arg == "instance" for k in value.keywords):
                    creating.add(name)


def _own_serializer(func: ast.expr) -> bool:
    """``self.serializer_class`` / ``self.get_serializer``: the class view's serializer."""
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ("serializer_class", "get_serializer")
        and isinstance(func.value, ast.Name)
        and func.value.id == "self"
    )


def _validated_key(value: ast.expr, built: dict[str, str]) -> tuple[str, str] | None:
    """``(serializer, key)`` of ``<serializer>.validated_data["<key>"]``."""
    if not (
        isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Attribute)
        and value.value.attr == "validated_data"
        and isinstance(value.value.value, ast.Name)
        and value.value.value.id in built
        and isinstance(value.slice, ast.Constant)
        and isinstance(value.slice.value, str)
    ):
        return None
    return value.value.value.id, value.slice.value


_METHOD_DECORATOR = "django.utils.decorators.method_decorator"


def members_only(
    ctx: FileContext, func: FunctionNode | ast.ClassDef
) -> tuple[str | None, tuple[str, ...]]:
    """Why a decorator keeps the view from strangers: Django's ``@login_required`` and
    kin (on a class, through ``@method_decorator(login_required, name="dispatch")``), or
    DRF's ``@permission_classes([IsAuthenticated])`` (any permission but ``AllowAny``).
    Else the project functions among its decorators, for the link to settle (see
    ``analysis.guards``)."""
    why, others = guards.decorated(ctx, func, MEMBERS_ONLY)
    if why is not None:
        return why, ()
    for decorator in func.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = ctx.names.resolve(call.func if call else decorator) or ""
        if target == _METHOD_DECORATOR and call is not None and call.args:
            wrapped = call.args[0]
            guard = guards.guard_of(ctx, wrapped, MEMBERS_ONLY)
            if guard is not None and _dispatched(call):
                return MEMBERS_ONLY[guard], ()
            inner = wrapped.func if isinstance(wrapped, ast.Call) else wrapped
            resolved = (
                ctx.names.resolve(inner) if isinstance(inner, (ast.Name, ast.Attribute)) else None
            )
            if resolved is not None and _dispatched(call):
                others += (resolved,)
        if target == "rest_framework.decorators.permission_classes" and call and call.args:
            listed = call.args[0]
            names = (
                [dotted(e) for e in listed.elts]
                if isinstance(listed, (ast.List, ast.Tuple))
                else [dotted(listed)]
            )
            closed = [n for n in names if n.rsplit(".", 1)[-1] != "AllowAny"]
            if closed:
                return f"@permission_classes([{closed[0].rsplit('.', 1)[-1]}])", ()
    return None, others


def _dispatched(call: ast.Call) -> bool:
    """Does a class's ``method_decorator(..., name="dispatch")`` wrap every request?"""
    return literal_string(keyword_value(call, "name")) == "dispatch"


def _token_logins(ctx: FileContext, func: FunctionNode) -> Iterator[tuple[int, str, str]]:
    """``(line, user, issuer)`` of each token handed to a user ``authenticate()`` returned,
    with no ``login()``: the name is bound once, to that call, and the issuer fails on the
    None a refused login returns, so past it the name holds an authenticated user."""
    users = flow.authenticated_users(ctx, func)
    if not users:
        return
    scope = ctx.names.scope_for_def(func)
    for node in walk_body(func):
        if not isinstance(node, ast.Call):
            continue
        issuer = ctx.names.resolve(node.func, scope)
        if issuer not in TOKEN_ISSUERS:
            continue
        given = argument(node, 0, "user")
        if isinstance(given, ast.Name) and given.id in users:
            yield node.lineno, given.id, issuer.rsplit(".", 1)[-1]
            return


class ViewCollector:
    """Functions and classes that may serve requests, with their body facts and auth calls."""

    def __init__(
        self, ctx: FileContext, out: FactsBuilder, models: ProjectModels = NO_MODELS
    ) -> None:
        self.ctx = ctx
        self.out = out
        self.models = models

    def body(self, func: FunctionNode, request_param: str | None) -> BodyFacts:
        """Body facts, with Django's own evidence added: users created, sessions started."""
        ctx = self.ctx
        facts = scan_body(ctx, func, _user_finder(request_param), logout_calls=frozenset({LOGOUT}))
        extra: list[Evidence] = []
        for node in walk_body(func):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in USER_CREATION
            ):
                spelled = dotted(node.func)
                extra.append(Evidence("write", f"{spelled}() creates a user", node.lineno, True))
        extra.extend(self.wagtail_writes(func))
        written = self.model_methods(func, request_param, facts, extra)
        writes = any(e.mutating for e in [*facts.evidence, *extra])
        logins = [call for name, call in _auth_calls(ctx, func) if name == LOGIN]
        if logins and not writes:
            # Logging in changes no data; the login event (identify) records it instead.
            extra.append(Evidence("read-only", "login() starts a session", logins[0].lineno, False))
        if not extra:
            return facts
        change = max([facts.change_line or 0, *(e.line for e in extra if e.mutating)]) or None
        facts = dataclasses.replace(facts, evidence=(*facts.evidence, *extra), change_line=change)
        facts = settle(ctx, func, facts)
        if written and not facts.written:
            facts = dataclasses.replace(facts, written=tuple(dict.fromkeys(written)))
        return facts

    def wagtail_writes(self, func: FunctionNode) -> list[Evidence]:
        """Writes Wagtail makes for the body: a search hit recorded, or (in a form page's
        own ``process_form_submission``) the submission its parent stores."""
        if "add_hit" not in self.ctx.source and func.name != wagtail.SUBMISSION_HOOK:
            return []
        names = self.ctx.names
        scope = names.scope_for_def(func)
        nodes = list(walk_body(func))
        built = wagtail.built_locals(names, scope, nodes)
        found: list[Evidence] = []
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            if func.name == wagtail.SUBMISSION_HOOK and is_parent_call(node, func.name):
                detail = "super().process_form_submission() stores the submission"
                found.append(Evidence("write", detail, node.lineno, True))
                continue
            written = wagtail.library_write(names, scope, node, built)
            if written is not None:
                found.append(Evidence("write", written, node.lineno, True))
        return found

    def model_methods(
        self,
        func: FunctionNode,
        request_param: str | None,
        facts: BodyFacts,
        extra: list[Evidence],
    ) -> list[str]:
        """Add to ``extra`` the writes the body makes through project model, manager and
        queryset methods (or, where it has no write, that it only reads); answer the
        models written, by their short names."""
        models = self.models
        if not models.methods:
            return []
        ctx = self.ctx
        calls = [node for node in walk_body(func) if isinstance(node, ast.Call)]
        if not calls:
            return []
        scope = ctx.names.scope_for_def(func)
        typed = dict(flow.typed_names(ctx, func))
        request = request_param
        if request is None and positional(func)[:1] == ["self"]:
            request = "self.request"
        written: list[str] = []
        for call in calls:
            found = method_call(models, ctx.names, scope, call, typed, request)
            if found is None or not found.is_write:
                continue
            short = found.model.rsplit(".", 1)[-1]
            spelled = dotted(call.func)
            extra.append(
                Evidence("write", f"{spelled}() writes ({found.writes})", call.lineno, True)
            )
            written.append(short)
        already = any(e.mutating for e in facts.evidence)
        if (
            not written
            and not already
            and only_reads(models, ctx.names, scope, calls, typed, request)
        ):
            extra.append(
                Evidence(
                    "read-only",
                    "every call only reads (its models' methods write nothing)",
                    func.lineno,
                    False,
                )
            )
        return written

    def auth_points(self, func: FunctionNode, body: BodyFacts, own: str | None = None) -> None:
        """The logins, signups and logouts of a view function or method (``own``: its class
        view's ``serializer_class``, where the class leaves the choice to it)."""
        creates_user = any(e.kind == "write" for e in body.evidence)
        arguments = func.args
        parameters = {
            a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
        }
        for name, call in _auth_calls(self.ctx, func):
            kind: AuthKind
            if name == LOGOUT:
                kind = "logout"
                request = dotted(call.args[0]) if call.args else ""
                user = f"{request}.user" if request else None
            else:
                user_node = argument(call, 1, "user")
                user = dotted(user_node) or None if user_node is not None else None
                # A user the caller hands in was made, or found, by the caller: a write of
                # this function's own (a session key, a profile) does not make it a signup.
                made_here = creates_user and (user or "").split(".")[0] not in parameters
                kind = "signup" if made_here or SIGNUP_NAME.search(func.name) else "login"
            self.out.auth_points.append(
                AuthPoint(kind, "django", self.ctx.handler(func), call.lineno, name, user, "call")
            )
        handler = self.ctx.handler(func)
        if any(p.handler == handler for p in self.out.auth_points):
            return
        source = self.ctx.source
        issued = next(_token_logins(self.ctx, func), None) if "authenticate" in source else None
        if issued is not None:
            line, user, issuer = issued
            self.out.auth_points.append(
                AuthPoint("login", "django", handler, line, issuer, user, "call")
            )
            return
        # A registration API that saves a user serializer, or a login API that takes the
        # user a serializer authenticated, and calls no login(): kept where the project is
        # linked and the serializer proves to make or authenticate users.
        # Both read a serializer built with ``data=``.
        found = next(_serializer_users(self.ctx, func, own), None) if "data=" in source else None
        if found is not None and found[0] == "signup" and members_only(self.ctx, func)[0]:
            # Someone already logged in makes the account (an admin): not their signup.
            found = None
        if found is not None:
            kind, serializer, line, user, read = found
            self.out.auth_points.append(
                AuthPoint(kind, "django", handler, line, read, user, "call", serializer=serializer)
            )

    def function(self, func: FunctionNode) -> DjangoView | None:
        params = positional(func)
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
        why, guarded_by = members_only(ctx, func)
        return DjangoView(
            qualname=handler.qualname,
            kind=kind,
            methods=tuple((m, handler, body) for m in declared),
            line=func.lineno,
            members_only=why,
            guards=guarded_by,
        )

    def declared_methods(self, func: FunctionNode) -> tuple[tuple[str, ...] | None, str]:
        """Methods fixed by ``@require_POST`` / ``@require_http_methods`` / ``@api_view``."""
        names = self.ctx.names
        for decorator in func.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = names.resolve(call.func if call else decorator) or ""
            if target == "rest_framework.decorators.api_view":
                listed = literal_strings(argument(call, 0, "http_method_names")) if call else ()
                return tuple(m.upper() for m in listed) or ("GET",), "api_view"
            if not target.startswith("django.views.decorators.http."):
                continue
            short = short_name(target)
            if short == "require_POST":
                return ("POST",), "function.declared"
            if short in ("require_GET", "require_safe"):
                return ("GET",), "function.declared"
            if short == "require_http_methods" and call is not None:
                listed = literal_strings(argument(call, 0, "request_method_list"))
                return tuple(m.upper() for m in listed), "function.declared"
        return None, "function"

    def cls(self, node: ast.ClassDef) -> DjangoView | None:
        ctx = self.ctx
        bases = tuple(b for b in (ctx.names.resolve(base) for base in node.bases) if b)
        methods: list[tuple[str, Handler, BodyFacts]] = []
        actions: list[tuple[str, tuple[str, ...], bool, Handler, BodyFacts]] = []
        model: str | None = None
        form: str | None = None
        permissions: tuple[str, ...] = ()
        lookup: str | None = None
        lookup_field: str | None = None
        extends: list[str] = []
        keeps_saved: list[str] = []
        answers: list[str] = []
        chooses = any(
            isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
            and stmt.name in ("get_serializer", "get_serializer_class")
            for stmt in node.body
        )
        own = None if chooses else self.own_serializer(node)
        for stmt in node.body:
            assigned = assigned_name(stmt)
            if assigned is not None:
                name, value, _ = assigned
                if name in ("model", "queryset") and model is None:
                    model = self.model_name(value)
                elif name in ("form_class", "serializer_class") and form is None:
                    form = self.model_name(value)
                elif name == "permission_classes" and isinstance(value, (ast.List, ast.Tuple)):
                    permissions = tuple(dotted(e).rsplit(".", 1)[-1] for e in value.elts)
                elif name == "lookup_url_kwarg":
                    lookup = literal_string(value)
                elif name == "lookup_field":
                    lookup_field = literal_string(value)
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            decorated = self.action(stmt)
            if decorated is None and stmt.name not in CLASS_METHODS:
                continue
            if keeps_parent_result(stmt):
                extends.append(stmt.name)
            if leaves_saved_object(stmt):
                keeps_saved.append(stmt.name)
            if returns_a_value(stmt):
                answers.append(stmt.name)
            params = positional(stmt)
            serves = (
                decorated is not None or stmt.name in HTTP_METHODS or stmt.name in ACTION_METHODS
            )
            request_param = params[1] if serves and len(params) > 1 else None
            body = self.body(stmt, request_param)
            self.auth_points(stmt, body, own)
            if decorated is not None:
                url_path, verbs, detail = decorated
                actions.append((url_path, verbs, detail, ctx.handler(stmt), body))
            else:
                methods.append((stmt.name, ctx.handler(stmt), body))
        known = any(b in CLASS_SPECS for b in bases)
        # A base from the project itself may be a view base defined elsewhere (resolved in link);
        # a base from another framework or the standard library never is.
        local = any(not b.startswith(NOT_PROJECT_BASES) for b in bases)
        names = {m[0] for m in methods}
        if not (known or local or "process_exception" in names):
            return None
        handler = ctx.handler(node)
        class_body = BodyFacts(ignored=ctx.is_ignored(node))
        why, guarded_by = members_only(ctx, node)
        return DjangoView(
            qualname=handler.qualname,
            kind=class_kind(bases) or ("middleware" if "process_exception" in names else ""),
            methods=((CLASS_ENTRY, handler, class_body), *methods),
            bases=bases,
            actions=tuple(actions),
            line=node.lineno,
            model=model,
            form=form,
            permissions=permissions,
            lookup=lookup or lookup_field,
            extends=tuple(extends),
            keeps_saved=tuple(keeps_saved),
            answers=tuple(answers),
            members_only=why,
            guards=guarded_by,
            chooses_serializer=chooses,
        )

    def own_serializer(self, node: ast.ClassDef) -> str | None:
        """The class named by the class body's ``serializer_class = S``, qualified."""
        for stmt in node.body:
            assigned = assigned_name(stmt)
            if assigned is not None and assigned[0] == "serializer_class":
                value = assigned[1]
                if isinstance(value, (ast.Name, ast.Attribute)):
                    return self.ctx.names.resolve(value)
        return None

    def model_name(self, value: ast.AST) -> str | None:
        """``Product``, ``models.Product`` or ``Product.objects.filter(...)`` -> the
        model's qualified name: the chain up to its first capitalised name (a class). A
        function's result (``with_counts(Product.objects.all())``) is of the model it is
        handed, if any: the function is no model."""
        if (
            isinstance(value, ast.Call)
            and value.args  # ``get_user_model()`` answers the model itself
            and isinstance(value.func, (ast.Name, ast.Attribute))
            and not spelled_as_class(dotted(value.func))
            and not _is_query_chain(value.func)
        ):
            handed = (self.model_name(arg) for arg in value.args)
            return next((m for m in handed if m and spelled_as_class(m)), None)
        chain: list[ast.Attribute] = []
        while True:
            if isinstance(value, ast.Call):
                value = value.func
            elif isinstance(value, ast.Attribute):
                chain.append(value)
                value = value.value
            else:
                break
        if not isinstance(value, ast.Name):
            return None
        if not value.id[:1].isupper():
            # ``models.Product``: the module's class, not the module.
            named = next((a for a in reversed(chain) if a.attr[:1].isupper()), None)
            if named is not None:
                return self.ctx.names.resolve(named) or dotted(named)
        return self.ctx.names.resolve(value) or value.id

    def action(self, func: FunctionNode) -> tuple[str, tuple[str, ...], bool] | None:
        """``@action(detail=True, methods=["post"], url_path="x")`` -> (url path, methods, detail)."""
        for decorator in func.decorator_list:
            if not isinstance(decorator, ast.Call):
                continue
            if self.ctx.names.resolve(decorator.func) != "rest_framework.decorators.action":
                continue
            verbs = tuple(
                m.upper() for m in literal_strings(keyword_value(decorator, "methods"))
            ) or ("GET",)
            detail_node = keyword_value(decorator, "detail")
            detail = isinstance(detail_node, ast.Constant) and detail_node.value is True
            url_path = literal_string(keyword_value(decorator, "url_path")) or func.name
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


def is_parent_call(call: ast.Call, name: str) -> bool:
    """Is ``call`` ``super().<name>(...)``?"""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == name
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
    )


def keeps_parent_result(method: FunctionNode) -> bool:
    """Does the method keep what its parent's returned, in a statement of its own body
    (``response = super().post(request, *args, **kwargs)``)?"""
    return any(parent_result(stmt, method.name) is not None for stmt in method.body)


def returns_a_value(method: FunctionNode) -> bool:
    """May the method return something other than None (``return None`` and a bare
    ``return`` do not count; nested functions' returns are theirs)?"""
    return any(
        isinstance(node, ast.Return)
        and node.value is not None
        and not (isinstance(node.value, ast.Constant) and node.value.value is None)
        for node in walk_body(method)
    )


def leaves_saved_object(method: FunctionNode) -> bool:
    """Does a write hook leave the saved object where its parent's would: it calls the
    parent's (``super().form_valid(form)``), sets ``self.object`` itself, or saves the
    serializer it is given (``serializer.save(...)`` sets ``serializer.instance``)?"""
    params = positional(method)
    given = params[1] if len(params) > 1 else None
    for node in ast.walk(method):
        if isinstance(node, ast.Assign) and any(dotted(t) == "self.object" for t in node.targets):
            return True
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        receiver = node.func.value
        if (
            node.func.attr == method.name
            and isinstance(receiver, ast.Call)
            and isinstance(receiver.func, ast.Name)
            and receiver.func.id == "super"
        ):
            return True
        if (
            node.func.attr == "save"
            and isinstance(receiver, ast.Name)
            and receiver.id == given
            and method.name != "form_valid"  # a form's save() sets no self.object
        ):
            return True
    return False


def parent_result(stmt: ast.stmt, name: str) -> str | None:
    """The local ``stmt`` keeps the parent's ``name`` result in, if it is such a statement."""
    if not (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and isinstance(stmt.value, ast.Call)
    ):
        return None
    func = stmt.value.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr == name
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
    ):
        return stmt.targets[0].id
    return None


def class_kind(ancestry: Sequence[str]) -> str:
    """The most specific framework class among a class's ancestors, by short name."""
    best: tuple[int, str] | None = None
    for name in ancestry:
        spec = CLASS_SPECS.get(name)
        if spec is not None and spec.rank >= 0 and (best is None or spec.rank > best[0]):
            best = (spec.rank, name)
    return short_name(best[1]) if best else ""


def _is_query_chain(func: ast.expr) -> bool:
    """Is ``func`` a method of a model's query (``Product.objects.filter``,
    ``models.Product.objects.all``), not a function of the project's?"""
    node: ast.expr = func
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node is not func and node.attr[:1].isupper():
                return True
            node = node.value
        else:
            return isinstance(node, ast.Name) and node.id[:1].isupper()
