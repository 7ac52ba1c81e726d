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
    FORMAT_SUFFIX_PATTERNS,
    HANDLER_SETTINGS,
    I18N_PATTERNS,
    INCLUDE,
    MEMBERS_ONLY,
    PATH,
    RE_PATH,
    ROUTERS,
    argument,
    keyword_value,
    literal_string,
)
from posthog_setup.frameworks.django.settings import assigned_name


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


def _included(argument: ast.AST) -> ast.AST:
    """What ``include()`` is given: the patterns, also out of ``(patterns, "app_name")``."""
    if isinstance(argument, ast.Tuple) and argument.elts:
        # include((patterns, "app_name")) and include(("app.urls", "app_name"))
        return argument.elts[0]
    return argument


def _same_entry(entry: UrlPattern) -> tuple[object, ...]:
    """What stays of an entry when a wrapper puts it under a prefix."""
    return (entry.line, entry.view, entry.include, entry.class_based, entry.name)


def _either_branch(
    body: dict[str, list[UrlPattern]],
    orelse: dict[str, list[UrlPattern]],
    before: dict[str, list[UrlPattern]],
) -> dict[str, list[UrlPattern]]:
    """The lists after an ``if``: the routes of either branch may be served.

    A list only one branch changed is that branch's; one both changed is the ``if``
    branch's, with the entries only the ``else`` branch has after it (an entry both hold,
    under different prefixes, is kept once: it is one view).
    """
    merged: dict[str, list[UrlPattern]] = {}
    for name in dict.fromkeys([*body, *orelse]):
        first, second = body.get(name), orelse.get(name)
        if first is None or first == before.get(name):
            merged[name] = list(second if second is not None else first or [])
        elif second is None or second == before.get(name):
            merged[name] = list(first)
        else:
            seen = {_same_entry(e) for e in first}
            merged[name] = first + [e for e in second if _same_entry(e) not in seen]
    return merged


class UrlCollector:
    """Reads ``urlpatterns`` (and the lists it includes) of one module."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.lists: dict[str, list[UrlPattern]] = {}
        self.routers: set[str] = set()

    def patterns(self, expr: ast.AST) -> list[UrlPattern]:
        """The entries an expression contributes to a pattern list."""
        if isinstance(expr, (ast.List, ast.Tuple)):
            return [p for element in expr.elts for p in self.element(element)]
        if isinstance(expr, ast.Call):
            # format_suffix_patterns(urlpatterns) and i18n_patterns(path(...), *more): the
            # same views, also under a suffix or a language prefix each request chooses.
            wrapper = self.ctx.names.resolve_call(expr)
            if wrapper == FORMAT_SUFFIX_PATTERNS and expr.args:
                return self.patterns(expr.args[0])
            if wrapper == I18N_PATTERNS:
                return [p for element in expr.args for p in self.element(element)]
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.patterns(expr.left) + self.patterns(expr.right)
        if isinstance(expr, ast.Name) and expr.id in self.lists:
            return list(self.lists[expr.id])
        if isinstance(expr, ast.Attribute) and expr.attr == "urls":
            target = self.ctx.names.resolve(expr)
            if target is not None:
                return [UrlPattern("", False, expr.lineno, include=target)]
        return []

    def element(self, element: ast.AST) -> list[UrlPattern]:
        """One element of a pattern list: an entry, or ``*patterns`` spread into it."""
        if isinstance(element, ast.Starred):
            return self.patterns(element.value)
        return self.entry(element)

    def entry(self, element: ast.AST) -> list[UrlPattern]:
        call = self.ctx.names.resolve_call(element)
        if call not in (PATH, RE_PATH) or not isinstance(element, ast.Call):
            return []
        # ``url(regex=..., view=...)``: Django's old url() names its pattern ``regex``.
        pattern = literal_string(argument(element, 0, "route") or keyword_value(element, "regex"))
        view = argument(element, 1, "view")
        if view is None:
            return []
        if pattern is None:
            if not self.includes_own_list(view):
                return []
            # ``path(settings.CONTEXT_PATH, include(urlpatterns))``: a prefix the deployment
            # chooses. The routes are the same views with or without it, and routes serve to
            # name events and find handlers, so they are read without the prefix.
            pattern = ""
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

    def includes_own_list(self, view: ast.AST) -> bool:
        """Is ``view`` an ``include()`` of a pattern list written in this module?"""
        if not isinstance(view, ast.Call) or not view.args:
            return False
        if self.ctx.names.resolve_call(view) != INCLUDE:
            return False
        return self.own_list(_included(view.args[0]))

    def own_list(self, argument: ast.AST) -> bool:
        return isinstance(argument, (ast.List, ast.Tuple)) or (
            isinstance(argument, ast.Name) and argument.id in self.lists
        )

    def include(self, base: UrlPattern, argument: ast.AST) -> list[UrlPattern]:
        argument = _included(argument)
        module = literal_string(argument)
        if module is not None:
            return [dataclasses.replace(base, include=module)]
        if self.own_list(argument):
            return [_concat(base, child) for child in self.patterns(argument)]
        target = self.ctx.names.resolve(argument)
        return [dataclasses.replace(base, include=target)] if target else []

    def collect(self, out: FactsBuilder) -> bool:
        """Record ``urlpatterns``, routers and ``handlerNNN``; True if the module has any."""
        found = self.read(self.ctx.tree.body, out)
        if "urlpatterns" in self.lists:
            out.urlpatterns.extend(self.lists["urlpatterns"])
            found = True
        return found

    def read(self, body: list[ast.stmt], out: FactsBuilder) -> bool:
        """Read module-level statements in order, each branch of an ``if`` from the lists
        as they were before it (``urlpatterns = [path("", include(urlpatterns))]`` in an
        ``if`` and again in its ``else`` wraps the same list)."""
        ctx = self.ctx
        found = False
        for stmt in body:
            if isinstance(stmt, ast.If):
                before = {name: list(entries) for name, entries in self.lists.items()}
                found = self.read(stmt.body, out) or found
                after_body, self.lists = self.lists, {n: list(e) for n, e in before.items()}
                found = self.read(stmt.orelse, out) or found
                self.lists = _either_branch(after_body, self.lists, before)
                continue
            if isinstance(stmt, ast.Try):
                for part in (stmt.body, stmt.orelse, stmt.finalbody):
                    found = self.read(part, out) or found
                continue
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
