"""Linking across files: walk the URL tree from ``ROOT_URLCONF`` through ``include()``
chains, bind each pattern to its view across modules, resolve project-local base classes,
and expand class-based views and viewsets into one route per method or action."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from posthog_setup.analysis.body import (
    judge_mutating,
    reads_as_query,
)
from posthog_setup.analysis.guards import project_guards, settled
from posthog_setup.analysis.model import (
    TOKEN_VIEW,
    VIEW_HOOK,
    AppObject,
    AuthKind,
    AuthPoint,
    BodyFacts,
    DjangoView,
    ErrorHandler,
    Evidence,
    Handler,
    ModuleFacts,
    Route,
    RouterRegistration,
    UrlPattern,
)
from posthog_setup.analysis.paths import path_parameters
from posthog_setup.analysis.routing import SIGNUP_WORDS
from posthog_setup.frameworks.django import wagtail
from posthog_setup.frameworks.django.common import (
    ACTION_METHODS,
    ADMIN_URLS,
    AUTH_URLS,
    BUILTIN_AUTH_VIEWS,
    CLASS_ENTRY,
    CLASS_SPECS,
    DETAIL_ACTIONS,
    HANDLER_SETTINGS,
    HTTP_METHODS,
    LIBRARY_AUTH_URLS,
    LIST_ACTIONS,
    LOGIN,
    PERFORM,
    SIGNAL_SETTINGS,
    SIGNALLING_AUTH_VIEWS,
    SIGNALS,
    TOKEN_LOGIN_CALLABLES,
    TOKEN_LOGIN_VIEWS,
    TOKEN_VIEW_RELEASES,
    TOKEN_VIEW_RESPONSE_USERS,
    short_name,
)
from posthog_setup.frameworks.django.model_methods import NO_MODELS, ProjectModels
from posthog_setup.frameworks.django.receivers import OWN_RECEIVER
from posthog_setup.frameworks.django.serializers import (
    DJANGO_USER,
    GET_USER_MODEL,
    saved_instances,
)
from posthog_setup.frameworks.django.urls import path_form
from posthog_setup.frameworks.django.views import class_kind


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
    #: what its routes write, for naming: its model, else its form or serializer class
    model: str | None = None
    #: the names in its own or its nearest ancestor's ``permission_classes``
    permissions: tuple[str, ...] = ()
    #: its own or its nearest ancestor's ``form_class``
    form: str | None = None

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
            what = "issues a token" if self.family == "token" else "starts a session"
            return Evidence("read-only", f"{self.kind} {what}", line, False)
        return None


@dataclass(frozen=True)
class _Where:
    """What every route of one URL entry shares."""

    owner: str
    name: str | None = None
    view_kind: str | None = None
    #: the view's class name reads as a query (``ValidateCouponView``)
    query_name: bool = False
    #: what a class view writes (its model, form or serializer), for naming
    model: str | None = None
    #: why only a logged-in user reaches the view, where that is proven
    members_only: str | None = None


#: Django's DeleteView deletes through form_valid from 4.0, through delete() before.
DELETE_BEFORE_FORM_VALID = ("django", "4.0", "delete")


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
    older_hook: tuple[str, str, str] | None = None,
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
        lookup_keys=body.lookup_keys,
        counts=body.counts,
        written=body.written,
        toggles=body.toggles,
        existing_change=body.existing_change,
        outcomes=body.outcomes,
        branches=body.branches,
        model=where.model,
        older_hook=older_hook,
        members_only=where.members_only,
    )


def _module_handler(mf: ModuleFacts, qualname: str, line: int) -> Handler:
    """A Handler for a module-level statement (a urlpatterns entry, a setting)."""
    return Handler(mf.module, mf.file, qualname, line, line, line)


def _is_function(view: DjangoView) -> bool:
    return view.kind.startswith("function") or view.kind == "api_view"


def _method_order(route: Route) -> int:
    return HTTP_METHODS.index(route.methods[0].lower())


class Project:
    """Indexes over every Django module of the project, and the walk of its URL tree."""

    def __init__(self, facts: Sequence[ModuleFacts], models: ProjectModels = NO_MODELS) -> None:
        self.facts = sorted(facts, key=lambda f: f.file)
        self.models = models
        self.views: dict[str, _Located] = {}
        self.urlconfs: dict[str, ModuleFacts] = {}
        self.routers: dict[str, AppObject] = {}
        self.registrations: dict[str, list[RouterRegistration]] = {}
        self.settings: dict[str, tuple[ModuleFacts, str]] = {}
        #: serializer class -> the key its ``validate`` keeps an authenticated user under
        self.serializer_logins: dict[str, str] = {}
        #: form or serializer class -> the model its ``Meta`` names (what it writes)
        self.meta_models: dict[str, str] = {}
        for mf in self.facts:
            for declared in mf.classes:
                if declared.authenticates is not None:
                    self.serializer_logins[declared.qualname] = declared.authenticates
                if declared.model is not None:
                    self.meta_models[declared.qualname] = (
                        "User" if declared.model == GET_USER_MODEL else declared.model
                    )
            for view in mf.django_views:
                self.views[f"{mf.module}.{view.qualname}"] = _Located(mf, view)
            # A root URLconf may declare only handler500 and an empty urlpatterns.
            if mf.urlpatterns or any(k in HANDLER_SETTINGS for k, _ in mf.django_settings):
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
        #: create views that sign a user up, by class
        self.signups: dict[str, AuthPoint] = {}
        #: subclasses of library token views, by class: the login their ``post`` performs
        self.token_logins: dict[str, AuthPoint] = {}
        #: logins and logouts of library views nothing can be sent for, and why
        self.untracked: list[AuthPoint] = []
        #: the project's own decorators that keep strangers out (see ``analysis.guards``)
        self.guarding = project_guards(mf.login_guards for mf in self.facts)
        #: what each serializer's ``save()`` answers when it creates, where proven
        self.saved = saved_instances(
            ((mf.classes, mf.returns) for mf in self.facts), models, self.user_model()
        )

    def setting(self, key: str) -> tuple[ModuleFacts, str] | None:
        return self.settings.get(key)

    def user_model(self) -> str | None:
        """The model ``get_user_model()`` answers: the project model ``AUTH_USER_MODEL``
        names (``"accounts.User"``: a ``User`` of a models module of the ``accounts`` app,
        where only one is), else Django's ``User``; None where it cannot be told."""
        configured = self.setting("AUTH_USER_MODEL")
        if configured is None:
            return DJANGO_USER
        label, _, name = configured[1].strip("'\"").rpartition(".")
        found = [
            cls
            for cls in self.models.bases
            if cls.rsplit(".", 1)[-1] == name and label in cls.split(".")[:-1]
        ]
        return found[0] if len(found) == 1 else None

    def serializer_of(self, cls: _ClassModel) -> str | None:
        """The serializer a class view's requests use: the ``serializer_class`` of it or
        its nearest project base, where none of them chooses another in code."""
        views = [cls.located.view, *(self.views[a].view for a in cls.ancestry if a in self.views)]
        for view in views:
            if view.chooses_serializer:
                return None
            if view.form is not None:
                return view.form
        return None

    def shares_view(self, owner: str) -> bool:
        """Does every project subclass of the view class ``owner`` keep its serializer (a
        method of ``owner`` that builds ``self.serializer_class`` runs for them too)?"""
        own = self.class_model(owner)
        serializer = self.serializer_of(own) if own is not None else None
        for name, located in self.views.items():
            if name == owner or _is_function(located.view):
                continue
            cls = self.class_model(name)
            if cls is None or owner not in cls.ancestry:
                continue
            if self.serializer_of(cls) != serializer:
                return False
        return True

    def paths_of(self, handler: Handler) -> list[str]:
        """The paths routed to ``handler``."""
        return [
            r.path
            for r in self.routes
            if r.handler.file == handler.file and r.handler.qualname == handler.qualname
        ]

    def members_only(self, handler: Handler) -> bool:
        """Is ``handler`` routed, and only for logged-in users on every route to it?"""
        found = [
            r.members_only is not None
            for r in self.routes
            if r.handler.file == handler.file and r.handler.qualname == handler.qualname
        ]
        return bool(found) and all(found)

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
        # A view's form writes the model its Meta names: ``UserInformationUpdateForm``
        # writes a user.
        written = view.model or (view.form and self.meta_models.get(view.form, view.form))
        permissions = view.permissions
        form = view.form
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
            written = written or parent.model
            permissions = permissions or parent.permissions
            form = form or parent.form
        kind = class_kind(ancestry)
        spec = next(
            (CLASS_SPECS[a] for a in ancestry if a in CLASS_SPECS and short_name(a) == kind), None
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
            model=written,
            permissions=permissions,
            form=form,
        )
        self.classes[name] = model
        return model

    def form_pages(self) -> None:
        """A route for each Wagtail form page (served by Wagtail, not the URLconf): a valid
        POST stores a submission in ``process_form_submission``, the class's own where it
        overrides it, else one the edit adds. A project base a routed page extends gets no
        route of its own: its subclasses' overrides would capture twice."""
        extended = {b for located in self.views.values() for b in located.view.bases}
        for name in sorted(self.views):
            located = self.views[name]
            if _is_function(located.view) or name in extended:
                continue
            cls = self.class_model(name)
            if cls is None or not wagtail.is_form_page(cls.ancestry):
                continue
            found = _write_hook(cls, wagtail.SUBMISSION_HOOK)
            handler, body = found or cls.methods[CLASS_ENTRY]
            added = handler.qualname == cls.handler.qualname
            if not added and not any(e.mutating for e in body.evidence):
                # The page's own hook stores nothing that can be seen (it may send the
                # form elsewhere, or drop it): no event is claimed for it.
                continue
            implicit = Evidence(
                "implicit",
                "a Wagtail form page stores each valid submission",
                cls.handler.line,
                True,
            )
            where = _Where(located.facts.module, model=wagtail.page_noun(cls.handler.name))
            route = _route(
                where,
                f"(Wagtail page {cls.handler.name})",
                ("POST",),
                handler,
                body,
                action="submit",
                implicit=implicit if added else None,
            )
            self.routes.append(
                dataclasses.replace(route, hook=wagtail.SUBMISSION_HOOK) if added else route
            )

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
            path = prefix + path_form(pattern.pattern, pattern.regex)
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
        elif target in (AUTH_URLS, ADMIN_URLS):
            # Django's auth URLs, or the admin site's login and logout, which are the same views.
            where = _module_handler(mf, "urlpatterns", pattern.line)
            self.builtin_auth.append(("login", where, "django.contrib.auth.views.LoginView"))
            self.builtin_auth.append(("logout", where, "django.contrib.auth.views.LogoutView"))
        elif target in LIBRARY_AUTH_URLS:
            where = _module_handler(mf, "urlpatterns", pattern.line)
            for view in LIBRARY_AUTH_URLS[target]:
                self.library_auth_view(view, where)
        elif target.endswith(".urls"):
            self.mounted.setdefault(router, []).append(path)

    def bind(self, mf: ModuleFacts, pattern: UrlPattern, path: str) -> None:
        view = pattern.view or ""
        if view in BUILTIN_AUTH_VIEWS:
            origin = _module_handler(mf, "urlpatterns", pattern.line)
            self.builtin_auth.append((BUILTIN_AUTH_VIEWS[view], origin, view))
            return
        view = TOKEN_LOGIN_CALLABLES.get(view, view)
        if view in SIGNALLING_AUTH_VIEWS or view in TOKEN_LOGIN_VIEWS:
            self.library_auth_view(view, _module_handler(mf, "urlpatterns", pattern.line))
            return
        located = self.views.get(view)
        if located is None:
            return
        full = "/" + path
        if not _is_function(located.view):
            cls = self.class_model(view)
            if cls is not None:
                entry = settled(pattern.members_only, pattern.guards, self.guarding)
                self.routes.extend(self.class_routes(cls, full, mf.module, pattern.name, entry))
            return
        entries = located.view.methods
        methods = tuple(m for m, _, _ in entries)
        _, handler, body = entries[0]
        judged = methods
        if located.view.kind == "function":
            # Methods not declared: the body's writes and method branches decide, not GET+POST.
            judged = ("GET", *body.method_branches)
        guarded = (*pattern.guards, *located.view.guards)
        members = settled(pattern.members_only or located.view.members_only, guarded, self.guarding)
        where = _Where(mf.module, pattern.name, located.view.kind, members_only=members)
        self.routes.append(_route(where, full, methods, handler, body, judged=judged))

    def sends_signal(self, view: str) -> bool:
        """Does a library view that can send Django's auth signal send it here?"""
        if view not in SIGNALLING_AUTH_VIEWS:
            return False
        if view not in SIGNAL_SETTINGS:
            return True
        key, wanted = SIGNAL_SETTINGS[view]
        found = self.setting(key)
        # Unset, the setting is on by default.
        return found is None or found[1] == wanted

    def library_auth_view(self, view: str, where: Handler) -> None:
        """A library's login or logout view routed as it is: the signal receivers see it
        where it sends the signal; nothing else can."""
        kind = SIGNALLING_AUTH_VIEWS.get(view, "login")
        if self.sends_signal(view):
            self.builtin_auth.append((kind, where, view))
            return
        if view in TOKEN_LOGIN_VIEWS:
            reason = (
                f"{short_name(view)} is routed as the library ships it: it sends no "
                "user_logged_in signal, and there is no view of the project to add identify to "
                "(route a subclass of it to have its logins identified)"
            )
        else:
            key = SIGNAL_SETTINGS[view][0]
            reason = f"{short_name(view)} sends no auth signal unless {key} is on"
        self.untracked.append(
            AuthPoint(kind, "django", where, where.line, view, None, "library", untracked=reason)
        )

    def class_routes(
        self, cls: _ClassModel, path: str, owner: str, name: str | None, entry: str | None
    ) -> list[Route]:
        """A class-based view: one route per HTTP method or generic action (a create view
        anyone may use to make a user is a signup, a library token view's subclass a
        login); ``entry``: why its URL entry lets only logged-in users in, if it does."""
        members = entry or self.kept_out(cls)
        routes = self._class_routes(cls, path, owner, name, members)
        if cls.family == "token":
            self.token_login(cls)
        signup = signup_hook(cls, path, self) if members is None else None
        if signup is not None:
            override, user = signup
            self.signups.setdefault(
                cls.handler.qualname,
                AuthPoint(
                    "signup", "django", cls.handler, cls.handler.line, override, user, VIEW_HOOK
                ),
            )
        return routes

    def token_login(self, cls: _ClassModel) -> None:
        """A project's subclass of a library token view: its ``post`` logs the user in."""
        library = next(
            (a for a in cls.ancestry if a in TOKEN_LOGIN_VIEWS or a in SIGNALLING_AUTH_VIEWS),
            None,
        )
        if library is None or cls.handler.qualname in self.token_logins:
            return
        if library in SIGNALLING_AUTH_VIEWS:
            self.library_auth_view(library, cls.handler)
            return
        post = cls.methods.get("post")
        own = cls.located.view
        if post is not None and not post[1].captures and "post" not in own.extends:
            # The project's own post() answers without the library's: its body is analysed
            # as any other view's (one that sends an event is the post an earlier run
            # added; one that keeps the library's response is identified after it).
            return
        if post is not None and not any(m == "post" for m, _, _ in own.methods):
            return  # a post of a project base class: which one answers is not this class's
        login = AuthPoint(
            "login",
            "django",
            cls.handler,
            cls.handler.line,
            f"{short_name(library)}.post",
            TOKEN_LOGIN_VIEWS[library],
            TOKEN_VIEW,
        )
        older = None
        if library in TOKEN_VIEW_RESPONSE_USERS:
            user, imports = TOKEN_VIEW_RESPONSE_USERS[library]
            older = dataclasses.replace(login, user_expression=user, imports=imports)
        self.token_logins[cls.handler.qualname] = dataclasses.replace(
            login, needs=TOKEN_VIEW_RELEASES.get(library), older=older
        )

    def kept_out(self, cls: _ClassModel) -> str | None:
        """Why only a logged-in user reaches the class view: a login mixin among its
        ancestors or a permission class, or a decorator on it or on a project base."""
        closed = _closed_to_strangers(cls)
        if closed is not None:
            return closed
        views = [cls.located.view, *(self.views[a].view for a in cls.ancestry if a in self.views)]
        for view in views:
            why = settled(view.members_only, view.guards, self.guarding)
            if why is not None:
                return why
        return None

    def _class_routes(
        self, cls: _ClassModel, path: str, owner: str, name: str | None, members: str | None
    ) -> list[Route]:
        where = _Where(
            owner,
            name,
            cls.kind,
            # A view, or the form a FormView submits, named as a question
            # (``SearchForm``): what it answers changes nothing.
            reads_as_query(cls.handler.name)
            or (
                any(short_name(a) == "FormView" for a in cls.ancestry)
                and cls.form is not None
                and reads_as_query(cls.form.rsplit(".", 1)[-1])
            ),
            cls.model,
            members_only=members,
        )
        if cls.family in ("edit", "auth"):
            return [self.form_route(cls, path, where)]
        if cls.family == "token":
            # Filed under the class, with or without the post() edit adds: runs agree.
            handler = cls.handler
            body = cls.methods.get("post", cls.methods[CLASS_ENTRY])[1]
            implicit = cls.implicit_write("login")
            return [
                _route(where, path, ("POST",), handler, body, action="login", implicit=implicit)
            ]
        routes: list[Route] = []
        for method in HTTP_METHODS:
            if method in cls.methods:
                handler, body = cls.methods[method]
                routes.append(_route(where, path, (method.upper(),), handler, body, action=method))
        if cls.family == "generic":
            for action in cls.implicit:
                if ACTION_METHODS[action].lower() in cls.methods or _patched_by_update(cls, action):
                    continue  # an explicit get/post/... (or the own update) serves it
                routes.append(self.action_route(cls, action, path, where))
        if not routes and cls.family == "view":
            handler, body = cls.methods[CLASS_ENTRY]
            routes.append(_route(where, path, ("GET",), handler, body, action="get"))
        return sorted(routes, key=_method_order)

    def form_route(self, cls: _ClassModel, path: str, where: _Where) -> Route:
        """Create/Update/Delete/FormView and auth views: GET shows the form, POST acts on it."""
        action = next((a for a in cls.implicit if a in _EDIT_ACTIONS), "submit")
        own_hook = _write_hook(cls, "form_valid")
        handler, body = own_hook or cls.methods[CLASS_ENTRY]
        builtin = next((a for a in cls.ancestry if a in BUILTIN_AUTH_VIEWS), None)
        if builtin is not None:
            # A project subclass of LoginView / LogoutView: Django logs the user in or out.
            self.builtin_auth.append((BUILTIN_AUTH_VIEWS[builtin], cls.handler, builtin))
        return _route(
            where,
            path,
            ("GET", "POST"),
            handler,
            body,
            action=action,
            judged=("POST",),
            implicit=cls.implicit_write(action),
            # Before Django 4.0 a DeleteView deletes in delete(), never calling form_valid.
            older_hook=DELETE_BEFORE_FORM_VALID if action == "delete" and not own_hook else None,
        )

    def action_route(self, cls: _ClassModel, action: str, path: str, where: _Where) -> Route:
        """A DRF action: its own method if overridden, else its perform_* hook, else the class."""
        method = ACTION_METHODS[action]
        if action in cls.methods:
            handler, body = cls.methods[action]
            methods = (
                (method, "PATCH")
                if _patched_by_update(cls, "partial_update") and action == "update"
                else (method,)
            )
            return _route(where, path, methods, handler, body, action=action)
        handler, body = _write_hook(cls, PERFORM.get(action, "")) or cls.methods[CLASS_ENTRY]
        implicit = cls.implicit_write(action)
        return _route(where, path, (method,), handler, body, action=action, implicit=implicit)

    def viewset(self, registration: RouterRegistration, prefix: str) -> None:
        """The routes a DRF router makes for a registered viewset, in the router's order."""
        cls = self.class_model(registration.viewset)
        if cls is None or cls.family != "viewset":
            return
        # ``router.register("", ...)`` under ``stock/``: the list is ``/stock/`` itself.
        base = (prefix + registration.prefix.strip("/")).strip("/")
        list_path = f"/{base}/" if base else "/"
        detail_path = f"{list_path}<{cls.lookup}>/"
        model = cls.located.view.model
        basename = registration.basename or (short_name(model).lower() if model else None)
        where = _Where(
            registration.router,
            None,
            cls.kind,
            reads_as_query(cls.handler.name),
            cls.model,
            members_only=self.kept_out(cls),
        )

        def url_name(suffix: str) -> str | None:
            return f"{basename}-{suffix}" if basename else None

        for actions, path, suffix, detail in (
            (LIST_ACTIONS, list_path, "list", False),
            (DETAIL_ACTIONS, detail_path, "detail", True),
        ):
            for action in actions:
                if _patched_by_update(cls, action):
                    continue
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


def _patched_by_update(cls: _ClassModel, action: str) -> bool:
    """Is ``action`` DRF's ``partial_update`` of a class that overrides ``update`` but not
    it? The framework's ``partial_update`` calls ``self.update(partial=True)``: the own
    ``update`` serves PATCH too, and no ``perform_update`` it never calls is added."""
    return (
        action == "partial_update"
        and action in cls.implicit
        and "partial_update" not in cls.methods
        and "update" in cls.methods
    )


def _write_hook(cls: _ClassModel, name: str) -> tuple[Handler, BodyFacts] | None:
    """The class's write hook ``name`` (``perform_create``, ``form_valid``), if it has one.

    One inherited from a project base is shared by every routed subclass: what it writes
    is each subclass's own event (a base viewset's ``perform_create`` creates a tag for
    ``TagViewSet``, an ingredient for ``IngredientViewSet``). The route is then the
    subclass's, with the base's writes as evidence and no statement of its own to anchor
    to: the edit adds the hook to the subclass, calling the base's before it captures.
    """
    found = cls.methods.get(name)
    if found is None:
        return None
    handler, body = found
    own = cls.handler
    if handler.file == own.file and handler.class_name == own.qualname:
        return found
    return own, dataclasses.replace(body, anchor=None, proven=(), typed=(), locals=())


def _spec_actions(name: str) -> tuple[str, ...]:
    spec = CLASS_SPECS.get(name)
    return spec.actions if spec is not None else ()


def linked_apps(project: Project) -> tuple[AppObject, ...]:
    found: list[AppObject] = []
    for mf in project.facts:
        for app in mf.apps:
            prefix = project.router_prefixes.get(app.name, app.prefix)
            found.append(dataclasses.replace(app, prefix=prefix))
    return tuple(found)


#: What makes a view's user-creating write a signup: its name or path, and nobody logged in.
_SIGNUP_INTENT = re.compile(r"sign_?up|register|registration|join|create|new", re.IGNORECASE)
_LOGIN_INTENT = re.compile(r"log_?in|sign_?in|token|session|auth", re.IGNORECASE)
_USER_MODELS = re.compile(r"^(custom)?(user|account|member)s?$", re.IGNORECASE)
_USER_FACTORIES = frozenset(
    {"django.contrib.auth.get_user_model", "django.contrib.auth.models.User"}
)
_LOGIN_REQUIRED = re.compile(r"LoginRequired|PermissionRequired|UserPassesTest|Staff|Superuser")
_PERMISSION_NEEDED = re.compile(r"IsAuthenticated|IsAdmin|Admin|Staff|Owner")
_HELPER_SUFFIX = re.compile(r"(Model)?(Form|ModelForm|Serializer|Create|Registration|Register)$")


def signup_hook(cls: _ClassModel, path: str, project: Project) -> tuple[str, str | None] | None:
    """(the write hook, the user there) where the class view creates users for anyone: a
    DRF create (``serializer.instance`` after ``perform_create`` saved it, read only where
    its serializer's ``save()`` is proven to answer an instance of the user model) or a
    Django ``CreateView`` (``self.object`` after ``form_valid`` saved it)."""
    if "create" not in cls.implicit or not cls.model:
        return None
    words = f"{cls.handler.name} {path}"
    model = cls.model.rsplit(".", 1)[-1]
    noun = _HELPER_SUFFIX.sub("", model) or model
    drf = cls.family != "edit"
    serializer = project.serializer_of(cls) if drf else None
    saved = project.saved.model_of(serializer) if serializer is not None else None
    makes_users = saved is not None and _is_user_model(project, saved)
    if cls.model not in _USER_FACTORIES and not _USER_MODELS.match(noun) and not makes_users:
        return None
    if not (SIGNUP_WORDS.search(words) or _SIGNUP_INTENT.search(words)):
        return None
    hook = "perform_create" if drf else "form_valid"
    own = cls.located.view
    if any(name == hook for name, _, _ in own.methods) and hook not in own.keeps_saved:
        # The project's own hook saves without the parent's: ``self.object`` is never set
        # (its body is analysed as the handler it is: a login there is identified there).
        return None
    if drf:
        # What the serializer saved is a user only where proven (a ``create`` may answer
        # a dict): else the signup is sent with no identity.
        return hook, "serializer.instance" if makes_users else None
    return hook, "self.object"


def _serializer_user(project: Project, point: AuthPoint) -> bool:
    """Whether the user a view takes from a serializer (``AuthPoint.serializer``) is one:
    a login's, where the serializer's ``validate`` stores ``authenticate()``'s user under
    the key read, in a view named for logging in; a signup's, see ``_saves_user``."""
    if point.kind == "login":
        # A password change checks the old password with authenticate() too: only a view
        # that says it logs in is a login.
        key = project.serializer_logins.get(point.serializer or "")
        words = point.handler.class_name or point.handler.name
        return (
            key is not None
            and point.call == f'validated_data["{key}"]'
            and _LOGIN_INTENT.search(words) is not None
        )
    return _saves_user(project, point)


def _saves_user(project: Project, point: AuthPoint) -> bool:
    """Whether a registration API's serializer save signs a user up for anyone: the
    serializer's ``save()`` is proven to answer an instance of the user model (see
    ``serializers``: never a dict, never None), the view or its path says it registers, its project
    subclasses keep its serializer, and no permission or login requirement keeps
    strangers out."""
    model = project.saved.model_of(point.serializer or "")
    if model is None or not _is_user_model(project, model):
        return False
    owner = point.handler.class_name
    words = " ".join([owner or point.handler.name, *project.paths_of(point.handler)])
    if not SIGNUP_WORDS.search(words) and not (owner and _SIGNUP_INTENT.search(owner)):
        return False
    if owner and not project.shares_view(f"{point.handler.module}.{owner}"):
        return False
    return not project.members_only(point.handler)


def _closed_to_strangers(cls: _ClassModel) -> str | None:
    """Why a login mixin among its ancestors or a permission class keeps strangers out."""
    mixin = next((a for a in cls.ancestry if _LOGIN_REQUIRED.search(a)), None)
    if mixin is not None:
        return short_name(mixin)
    permission = next((p for p in cls.permissions if _PERMISSION_NEEDED.search(p)), None)
    return f"permission_classes = [{permission}]" if permission is not None else None


def _is_user_model(project: Project, model: str) -> bool:
    """``get_user_model()``, Django's ``User``, the class ``AUTH_USER_MODEL`` names, or a
    project model named as users are (``User``, ``CustomUser``, ``Account``)."""
    if model in _USER_FACTORIES:
        return True
    short = model.rsplit(".", 1)[-1]
    configured = project.setting("AUTH_USER_MODEL")
    if configured is not None and configured[1].strip("'\"").rsplit(".", 1)[-1] == short:
        return True
    return bool(_USER_MODELS.match(short))


def _reached_functions(project: Project) -> frozenset[str]:
    """What the project's functions call, qualified, and the last part of each (a call
    through an object or an import the resolver could not follow still names it)."""
    calls = {call for mf in project.facts for f in mf.functions for call in f.calls}
    return frozenset(calls | {call.rsplit(".", 1)[-1] for call in calls})


def _runs(project: Project, point: AuthPoint, reached: frozenset[str]) -> bool:
    """Can ``point``'s function run: a URL routes to it, the project calls it, or it is
    no view function (a method, a receiver)? A view function nothing routes to or calls
    (a login view left behind when the URLs moved to Django's ``LoginView``) is dead code:
    instrumenting it sends nothing, and counting it would keep the receiver that covers
    the real login out."""
    handler = point.handler
    if handler.class_name or "." in handler.qualname or point.mechanism != "call":
        return True
    if handler.decorator_line != handler.line:
        return True  # a decorator may register it (a Ninja operation, a receiver)
    if project.paths_of(handler):
        return True
    return f"{handler.module}.{handler.qualname}" in reached or handler.qualname in reached


def linked_auth_points(project: Project) -> tuple[AuthPoint, ...]:
    """Logins and logouts the project calls, then signal hooks for those Django performs."""
    reached = _reached_functions(project)
    gathered = [
        p
        for mf in project.facts
        for p in mf.auth_points
        if (p.serializer is None or _serializer_user(project, p)) and _runs(project, p, reached)
    ]
    own = [p for p in gathered if p.mechanism == OWN_RECEIVER]
    direct = sorted(
        [
            *(p for p in gathered if p.mechanism != OWN_RECEIVER),
            *project.signups.values(),
            *project.token_logins.values(),
        ],
        key=lambda p: (p.handler.file, p.line),
    )
    if own:
        direct = _identified_by_receiver(direct, own[0])
    # A login that sends the signal covers its kind (one login, one event); a token
    # view's does not send it.
    covered = {p.kind for p in direct if p.mechanism != TOKEN_VIEW}
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
        signals.append(AuthPoint(kind, "django", where, where.line, call, "user", SIGNALS))
    ordered = sorted(signals, key=lambda p: (p.kind != "login", p.kind))
    untracked = sorted(project.untracked, key=lambda p: (p.handler.file, p.line, p.call))
    return (*direct, *ordered, *untracked)


def _identified_by_receiver(direct: list[AuthPoint], receiver: AuthPoint) -> list[AuthPoint]:
    """``direct`` where a receiver of the project's identifies every login Django sends the
    signal for: the ``login()`` calls are identified by it, and the receiver itself is
    where the logins no view of the project sees are known (when no view calls ``login()``)."""
    marked = [
        dataclasses.replace(p, identified_by=receiver.identified_by)
        if p.call == LOGIN and p.kind != "logout"
        else p
        for p in direct
    ]
    if receiver.user_expression is None or any(
        p.kind == "login" and p.mechanism != TOKEN_VIEW for p in marked
    ):
        # A receiver reading the user only from ``**kwargs`` gets no event of ours.
        return marked
    return sorted([*marked, receiver], key=lambda p: (p.handler.file, p.line))


def linked_error_handlers(project: Project, roots: Sequence[str]) -> tuple[ErrorHandler, ...]:
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
            defined = project.views.get(f"{handler.module}.{handler.class_name}")
            # One that returns None lets the exception go on to Django's signal, which
            # the receiver hears: only one that answers the request itself sees it last.
            server_error = server_error and (
                defined is None or "process_exception" in defined.view.answers
            )
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

    # ``server_error`` says whether a handler sees server errors the hook-up does not: the
    # generated receiver of got_request_exception sees every exception Django answers
    # 500 for, before ``handler500`` renders its page, and every one DRF's exception
    # handler leaves unanswered (it re-raises them), so neither captures again (one
    # server error, one $exception), and DRF's never for the 4xx it answers.
    for root in roots:
        for key, value in project.urlconfs[root].django_settings:
            if key in HANDLER_SETTINGS:
                add(value, HANDLER_SETTINGS[key], False, 1)
    middleware = project.setting("MIDDLEWARE")
    for entry in middleware[1].split(",") if middleware else ():
        # A process_exception that answers with a response keeps the exception from
        # Django's signal: it is where the server error is seen.
        add(entry, "Exception", True, 2)
    drf = project.setting("REST_FRAMEWORK.EXCEPTION_HANDLER")
    if drf is not None:
        add(drf[1], "Exception", False, 0)
    return tuple(sorted(found, key=lambda h: (h.handler.file, h.line)))
