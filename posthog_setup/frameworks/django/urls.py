"""``urlpatterns`` entries with the view or include they point at, and DRF router
registrations, one file at a time."""

from __future__ import annotations

import ast
import dataclasses

from posthog_setup.analysis import guards
from posthog_setup.analysis.context import FactsBuilder, FileContext
from posthog_setup.analysis.model import (
    AppObject,
    RouterRegistration,
    UrlPattern,
)
from posthog_setup.analysis.paths import regex_to_path
from posthog_setup.frameworks.django.common import (
    HANDLER_SETTINGS,
    INCLUDE,
    MEMBERS_ONLY,
    PATH,
    RE_PATH,
    ROUTERS,
    argument,
    keyword_value,
    literal_string,
)
from posthog_setup.frameworks.django.settings import assigned_name, module_statements


def path_form(pattern: str, regex: bool) -> str:
    return regex_to_path(pattern) if regex else pattern


def _concat(prefix: UrlPattern, child: UrlPattern) -> UrlPattern:
    """An entry of an inlined pattern list, under the prefix of the ``include`` that holds it."""
    if prefix.regex and child.regex:
        pattern = prefix.pattern.removesuffix("$") + child.pattern.removeprefix("^")
        regex = True
    elif prefix.regex or child.regex:
        pattern = path_form(prefix.pattern, prefix.regex) + path_form(child.pattern, child.regex)
        regex = False
    else:
        pattern, regex = prefix.pattern + child.pattern, False
    return dataclasses.replace(child, pattern=pattern, regex=regex)


class UrlCollector:
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
        if call not in (PATH, RE_PATH) or not isinstance(element, ast.Call):
            return []
        # ``url(regex=..., view=...)``: Django's old url() names its pattern ``regex``.
        pattern = literal_string(argument(element, 0, "route") or keyword_value(element, "regex"))
        view = argument(element, 1, "view")
        if pattern is None or view is None:
            return []
        base = UrlPattern(
            pattern=pattern,
            regex=call == RE_PATH,
            line=element.lineno,
            name=literal_string(keyword_value(element, "name")),
        )
        return self.target(base, view)

    def target(self, base: UrlPattern, view: ast.AST) -> list[UrlPattern]:
        """Bind an entry to its view, its included module or router, or inline an included list."""
        names = self.ctx.names
        if isinstance(view, ast.Call):
            if names.resolve_call(view) == INCLUDE and view.args:
                return self.include(base, view.args[0])
            if isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
                cls = names.resolve(view.func.value)
                return [dataclasses.replace(base, view=cls, class_based=True)] if cls else []
            # Wrappers such as login_required(view) or cache_page(60)(view).
            if not view.args:
                return []
            return [self.wrapped(p, view.func) for p in self.target(base, view.args[0])]
        target = names.resolve(view)
        if target is None:
            return []
        if target.endswith(".urls"):
            return [dataclasses.replace(base, include=target)]
        return [dataclasses.replace(base, view=target)]

    def wrapped(self, pattern: UrlPattern, wrapper: ast.expr) -> UrlPattern:
        """``pattern`` of a view an entry wraps in ``wrapper``: only for logged-in users
        where that is a login guard, and the wrapper noted where it is the project's own
        (``login_required(View.as_view())``, ``staff_only(view)``)."""
        if pattern.members_only is not None or pattern.view is None:
            return pattern
        guard = guards.guard_of(self.ctx, wrapper, MEMBERS_ONLY)
        if guard is not None:
            return dataclasses.replace(pattern, members_only=MEMBERS_ONLY[guard], guards=())
        target = wrapper.func if isinstance(wrapper, ast.Call) else wrapper
        if not isinstance(target, (ast.Name, ast.Attribute)):
            return pattern
        resolved = self.ctx.names.resolve(target)
        if resolved is None:
            return pattern
        return dataclasses.replace(pattern, guards=(*pattern.guards, resolved))

    def include(self, base: UrlPattern, argument: ast.AST) -> list[UrlPattern]:
        if isinstance(argument, ast.Tuple) and argument.elts:
            # include((patterns, "app_name")) and include(("app.urls", "app_name"))
            argument = argument.elts[0]
        module = literal_string(argument)
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
        for stmt in module_statements(ctx.tree.body):
            assigned = assigned_name(stmt)
            if assigned is not None:
                name, value, augmented = assigned
                if name in HANDLER_SETTINGS:
                    target = literal_string(value) or ctx.names.resolve(value)
                    if target is not None:
                        out.django_settings.append((name, target))
                        out.django_settings.append((f"{name}:line", str(stmt.lineno)))
                        found = True
                    continue
                if ctx.names.resolve_call(value) in ROUTERS:
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
        prefix = literal_string(argument(call, 0, "prefix"))
        viewset_node = argument(call, 1, "viewset")
        viewset = self.ctx.names.resolve(viewset_node) if viewset_node is not None else None
        # A register() on something that is not a router (admin.site.register(Model)) has
        # no string prefix; a router imported from another module is checked in link().
        if router is None or prefix is None or viewset is None:
            return False
        basename = literal_string(
            keyword_value(call, "basename") or keyword_value(call, "base_name")
        )
        out.router_registrations.append(
            RouterRegistration(router, prefix, viewset, basename, call.lineno)
        )
        return True
