"""Flask-RESTX (and Flask-RESTPlus, the package it continues under the same API),
Flask-RESTful and flask-smorest: APIs, namespaces and resource classes.

These extensions serve their routes from the Flask app itself, so the hook-up, the user
and the error path are Flask's; what they add are route owners and a class per URL:

- ``Api(app or blueprint, prefix=...)``, or ``api.init_app(app)``: an owner mounted under
  the app or blueprint, its ``prefix`` added after the blueprint's.
- Flask-RESTX ``Namespace(name, path=...)`` (the path defaults to ``/<name>``), added with
  ``api.add_namespace(ns, path=...)`` (a path given there replaces the namespace's own), or
  made and added at once by ``ns = api.namespace(name, path=...)``.
- ``@ns.route(*paths)``, ``@api.route(*paths)``, ``@api.resource(*paths)`` on a class, and
  ``api.add_resource(Resource, *paths)``: the class's ``get`` / ``post`` / ``put`` /
  ``patch`` / ``delete`` methods answer those paths.
- flask-smorest: ``Api(app).register_blueprint(blp, url_prefix=...)``; its ``Blueprint`` is
  a Flask blueprint whose ``@blp.route`` also takes ``MethodView`` classes.

A resource class is often defined in one module and registered in another, so each class
is recorded as an owner of its own method routes (at the empty path) and each registration
as a mount of the class under its API or namespace at the registered path: linking then
resolves the full path like any blueprint's, and drops classes that nothing registers.
Error handlers (``@api.errorhandler(Exc)``, ``@ns.errorhandler(Exc)``) are read by the Flask
analyser once these owners are known.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Collection, Sequence
from typing import Protocol

from posthog_setup.analysis.context import FactsBuilder, FileContext
from posthog_setup.analysis.model import AppKind, AppObject, ModuleFacts, Registration
from posthog_setup.analysis.names import Scope
from posthog_setup.analysis.routing import (
    VERB_SHORTCUTS,
    Constructor,
    RouteFile,
    call_arg,
    literal_str,
)

#: The packages of the three extensions, and what they are called.
TITLES = {
    "flask_restx": "Flask-RESTX",
    "flask_restplus": "Flask-RESTPlus",
    "flask_restful": "Flask-RESTful",
    "flask_smorest": "flask-smorest",
}
PACKAGES = tuple(TITLES)

_API: AppKind = "flask.Api"
_NAMESPACE: AppKind = "flask.Namespace"
_RESOURCE: AppKind = "flask.Resource"
_BLUEPRINT: AppKind = "flask.Blueprint"

#: Constructors of the extensions' route owners. A smorest Blueprint is a Flask blueprint.
CONSTRUCTORS = {
    "flask_restx.Api": Constructor(_API),
    "flask_restx.api.Api": Constructor(_API),
    "flask_restful.Api": Constructor(_API),
    "flask_smorest.Api": Constructor(_API),
    "flask_restx.Namespace": Constructor(_NAMESPACE),
    "flask_restx.namespace.Namespace": Constructor(_NAMESPACE),
    "flask_restplus.Api": Constructor(_API),
    "flask_restplus.api.Api": Constructor(_API),
    "flask_restplus.Namespace": Constructor(_NAMESPACE),
    "flask_restplus.namespace.Namespace": Constructor(_NAMESPACE),
    "flask_smorest.Blueprint": Constructor(_BLUEPRINT, prefix_keyword="url_prefix"),
}
#: The owner kinds this module adds to Flask's.
KINDS: tuple[AppKind, ...] = (_API, _NAMESPACE, _RESOURCE)
#: Base classes whose subclasses dispatch to one method per HTTP verb, like ``MethodView``.
VIEW_BASES = {
    "flask_restx.Resource": "Resource",
    "flask_restx.resource.Resource": "Resource",
    "flask_restplus.Resource": "Resource",
    "flask_restplus.resource.Resource": "Resource",
    "flask_restful.Resource": "Resource",
}

#: Where an API class takes its prefix, (positional index, keyword), where not by keyword
#: only; smorest's takes none.
_API_PREFIX: dict[str, tuple[int | None, str] | None] = {
    "flask_restful.Api": (1, "prefix"),
    "flask_smorest.Api": None,
}
#: Owners a class-decorating ``route`` / ``resource`` call may be made on.
_CLASS_ROUTE_OWNERS = frozenset({_API, _NAMESPACE, _BLUEPRINT})
_CLASS_ROUTE_DECORATORS = frozenset({"route", "resource"})


class FlaskSite(Protocol):
    """What the Flask analyser of one file offers this module."""

    ctx: FileContext
    out: FactsBuilder
    file: RouteFile
    #: anything recorded (the file then counts as using Flask)
    recorded: bool

    def view_kind(self, cls: ast.ClassDef, seen: frozenset[str]) -> str | None:
        """``MethodView``, ``Resource`` or ``View`` if the class derives from one."""
        ...

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
        """Record one route per HTTP method the class answers, at ``rule`` under ``owner``."""
        ...


def collect(site: FlaskSite) -> None:
    """Record the REST extensions' owners, mounts and resource classes of one file.

    Runs before the Flask analyser reads decorators, so that error handlers registered
    on an API or namespace made here are found on a known owner.
    """
    _RestFile(site).collect()


def link_facts(facts: Sequence[ModuleFacts]) -> list[ModuleFacts]:
    """``facts`` less the routes of resource classes that no file registers anywhere.

    A class that looks like a resource but is served some other way (``as_view`` on a
    blueprint, which the Flask analyser reads itself) or not at all gets no route here.
    """
    mounted = {r.child for module in facts for r in module.registrations}
    resources = {app.name for module in facts for app in module.apps if app.kind == _RESOURCE}
    unmounted = {name for name in resources if not _is_mounted(name, mounted)}
    if not unmounted:
        return list(facts)
    return [
        dataclasses.replace(
            module,
            routes=tuple(r for r in module.routes if r.owner not in unmounted),
            apps=tuple(a for a in module.apps if a.name not in unmounted),
        )
        for module in facts
    ]


def _is_mounted(name: str, mounted: Collection[str]) -> bool:
    # A class re-exported by its package (``from .views import TodoList`` in ``api/__init__``)
    # is registered under the package's name.
    local = name.rsplit(".", 1)[-1]
    return name in mounted or any(
        child.rsplit(".", 1)[-1] == local and name.startswith(child.rsplit(".", 1)[0] + ".")
        for child in mounted
    )


def is_resource_owner(app: AppObject) -> bool:
    """True for the owner a resource class is recorded as (not an app, blueprint or API)."""
    return app.kind == _RESOURCE


class _RestFile:
    """The REST extensions' facts of one file."""

    def __init__(self, site: FlaskSite) -> None:
        self.site = site
        self.ctx = site.ctx
        self.file = site.file
        # An owner imported from another module cannot be checked here: a file that uses
        # one of the extensions is trusted to call route and mount methods on real ones.
        self.trusted = any(
            target.split(".", 1)[0] in PACKAGES for target in self.ctx.names.imports.values()
        )
        self.resources: set[str] = set()

    def collect(self) -> None:
        self._owners()
        self._namespaces_made_by_apis()
        source = self.ctx.source
        # Text tests first: most Flask files mount nothing and add no resource, and each
        # of these reads every call of the file.
        if "init_app" in source or "add_namespace" in source:
            self._mounts()
        self._class_decorators()
        if "add_resource" in source:
            self._added_resources()
        self._resource_classes()

    # -- owners ----------------------------------------------------------------------------

    def _owners(self) -> None:
        """Each API's and namespace's own prefix, the app or blueprint an API is given, and
        the extension that made each owner."""
        for index, app in enumerate(self.file.apps):
            call = self.file.assigned.get(app.name)
            if not isinstance(call, ast.Call):
                continue
            constructor = self.ctx.names.resolve_call(call) or ""
            extension = TITLES.get(constructor.split(".", 1)[0])
            if extension is None and app.kind not in (_API, _NAMESPACE):
                continue
            prefix = app.prefix
            if app.kind == _NAMESPACE:
                prefix = _namespace_path(call)
            elif app.kind == _API:
                index_keyword = _API_PREFIX.get(constructor, (None, "prefix"))
                prefix = ""
                if index_keyword is not None:
                    prefix = literal_str(call_arg(call, *index_keyword)) or ""
                self._mount(call_arg(call, 0, "app"), app.name, None, call)
            self.file.apps[index] = dataclasses.replace(app, prefix=prefix, extension=extension)

    def _namespaces_made_by_apis(self) -> None:
        """``ns = api.namespace("todos", path="/todos")``: a namespace, already added."""
        for name, value in list(self.file.assigned.items()):
            if not (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr == "namespace"
            ):
                continue
            owner = self._owner(value.func.value, self.ctx.names.scope_of(value), (_API,))
            if owner is None:
                continue
            app = AppObject(
                kind=_NAMESPACE,
                name=name,
                file=self.ctx.file,
                line=value.lineno,
                prefix=_namespace_path(value),
                extension=TITLES["flask_restx"],
            )
            self.file.apps.append(app)
            self.file.kinds[name] = _NAMESPACE
            self._register(Registration(owner, name, None, self.ctx.file, value.lineno))

    def _owner(self, expr: ast.expr, scope: Scope, kinds: Collection[AppKind]) -> str | None:
        """The qualified name of an owner of one of ``kinds`` (or an imported one, if trusted)."""
        found = self.file.owner(expr, scope)
        if found is None:
            return None
        name, kind = found
        if kind in kinds or (kind is None and self.trusted):
            return name
        return None

    # -- mounts ----------------------------------------------------------------------------

    def _mounts(self) -> None:
        """``api.init_app(app)`` and ``api.add_namespace(ns, path=...)``."""
        for found in self.file.calls({"init_app", "add_namespace"}):
            if not (found.kind == _API or (found.kind is None and self.trusted)):
                continue
            if found.attr == "init_app":
                self._mount(call_arg(found.call, 0, "app"), found.owner, None, found.call)
            else:
                path = literal_str(call_arg(found.call, 1, "path"))
                self._mount_child(found.owner, call_arg(found.call, 0, "ns"), path, found.call)

    def _mount(
        self, parent: ast.expr | None, child: str, prefix: str | None, call: ast.Call
    ) -> None:
        """``child`` mounted under the app or blueprint ``parent`` names."""
        if parent is None:
            return
        name = self.ctx.names.resolve(parent, self.ctx.names.scope_of(call))
        if name is not None:
            self._register(Registration(name, child, prefix, self.ctx.file, call.lineno))

    def _mount_child(
        self, parent: str, child: ast.expr | None, prefix: str | None, call: ast.Call
    ) -> None:
        """The namespace or class ``child`` names, mounted under the owner ``parent``."""
        if child is None:
            return
        name = self.ctx.names.resolve(child, self.ctx.names.scope_of(call))
        if name is not None:
            self._register(Registration(parent, name, prefix, self.ctx.file, call.lineno))

    def _register(self, registration: Registration) -> None:
        self.site.recorded = True
        self.site.out.registrations.append(registration)

    # -- resource classes --------------------------------------------------------------------

    def _class_decorators(self) -> None:
        """``@ns.route("/todos/<int:todo_id>")`` and the like, on a class of this file."""
        for qualname, cls in self.file.classes.items():
            scope = self.ctx.names.scope_of(cls)
            for decorator in cls.decorator_list:
                if not (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr in _CLASS_ROUTE_DECORATORS
                ):
                    continue
                owner = self._owner(decorator.func.value, scope, _CLASS_ROUTE_OWNERS)
                if owner is None:
                    continue
                self.resources.add(qualname)
                for path in _literal_paths(decorator.args):
                    self._register(
                        Registration(owner, qualname, path, self.ctx.file, decorator.lineno)
                    )

    def _added_resources(self) -> None:
        """``api.add_resource(TodoList, "/todos", "/tasks")``; the class may be imported."""
        for found in self.file.calls({"add_resource"}):
            if not (found.kind in (_API, _NAMESPACE) or (found.kind is None and self.trusted)):
                continue
            resource = call_arg(found.call, 0, "resource")
            if resource is None:
                continue
            scope = self.ctx.names.scope_of(found.call)
            name = self.ctx.names.resolve(resource, scope)
            if name is None:
                continue
            if name in self.file.classes:
                self.resources.add(name)
            for path in _literal_paths(found.call.args[1:]):
                self._register(
                    Registration(found.owner, name, path, self.ctx.file, found.call.lineno)
                )

    def _resource_classes(self) -> None:
        """Every class that serves one method per HTTP verb, as the owner of those routes.

        Classes registered in this file count whatever their bases; others only if they
        derive from ``Resource`` or ``MethodView`` (through classes of this file) or from a
        class imported from elsewhere, which may be the project's own resource base.
        """
        for qualname, cls in self.file.classes.items():
            if ".<locals>." in qualname:
                continue
            kind = self.site.view_kind(cls, frozenset())
            if kind == "View":
                continue
            if kind is None:
                if qualname not in self.resources and not self._imported_base(cls):
                    continue
                kind = "Resource"
            if (
                not any(
                    isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and node.name in VERB_SHORTCUTS
                    for node in cls.body
                )
                and qualname not in self.resources
            ):
                continue
            app = AppObject(kind=_RESOURCE, name=qualname, file=self.ctx.file, line=cls.lineno)
            self.site.out.apps.append(app)
            self.site.class_routes(qualname, "", cls.name, None, cls, cls.lineno, kind=kind)

    def _imported_base(self, cls: ast.ClassDef) -> bool:
        scope = self.ctx.names.scope_of(cls)
        for base in cls.bases:
            qualified = self.ctx.names.resolve(base, scope) or ""
            if qualified and qualified not in self.file.classes and "." in qualified:
                return True
        return False


def _namespace_path(call: ast.Call) -> str:
    """A Flask-RESTX namespace's own path: ``path=`` if given, else ``/<name>``."""
    path = literal_str(call_arg(call, 2, "path"))
    if path is not None:
        return path
    name = literal_str(call_arg(call, 0, "name"))
    return f"/{name}" if name else ""


def _literal_paths(args: Sequence[ast.expr]) -> list[str]:
    """The literal string paths among positional arguments (computed ones cannot be read)."""
    return [value for value in (literal_str(arg) for arg in args) if value is not None]
