"""The analysis model: plain, frozen data that every later stage reads.

Two layers. ``ModuleFacts`` is what one file says about itself, found without
looking at any other file, so files can be analysed in parallel and cached by
content. ``Analysis`` is the linked project: prefixes given at registration
time resolved into full paths, Django ``include()`` chains followed, views
bound to URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal, Protocol

from posthog_setup.analysis.rules.records import ignored
from posthog_setup.project.manifests import Manifest

if TYPE_CHECKING:
    from posthog_setup.analysis.definitions import FileDefinitions
    from posthog_setup.project.versions import VersionGate

#: a registered framework's name (see ``posthog_setup.frameworks.registry``)
Framework = str
#: The environment variable the client module reads the project token from, by default.
DEFAULT_TOKEN_VAR = "POSTHOG_PROJECT_TOKEN"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Evidence:
    """One reason for (``mutating=True``) or against a route changing data."""

    kind: str
    detail: str
    line: int
    mutating: bool


@dataclass(frozen=True)
class UserAccess:
    """How a handler reaches the current user, and the expression for its id.

    ``id_expression`` is Python source valid inside the handler body, for example
    ``current_user.id``, ``request.user.pk`` or ``user.id``; ``guard`` is an
    expression that is true when the user is authenticated, where one is needed.
    """

    kind: str
    id_expression: str
    guard: str | None = None
    #: ``(module, name)`` the expressions need imported where the handler does not have it
    requires: tuple[str, str] | None = None
    #: the framework guarantees ``id_expression`` is safe to read under ``guard`` anywhere in
    #: the handler (Django's ``request.user.pk``, flask-login's ``current_user.get_id()``)
    contract: bool = False
    #: the id is a process's (a job's ``"cron:<module>"``), not a person's: its events
    #: make no person profile
    system: bool = False
    #: the request-wide attribute the user object is kept in (``flask.g.current_user``),
    #: typed by every value the project assigns it (see ``flow.assigned_types``)
    kept_in: str | None = None
    #: a guard that holds only where that attribute is set and not None, also in a request
    #: in which nothing set it (``g.get("current_user") is not None``)
    present: str | None = None


@dataclass(frozen=True)
class Anchor:
    """A statement line a capture is placed ``before`` (or after), and why there."""

    line: int
    before: bool
    reason: str
    #: the methods that reach it, where the handler tests ``request.method`` on the way
    #: (a write on the GET branch of a GET/POST view); () where no test narrows them
    methods: tuple[str, ...] = ()


@dataclass(frozen=True)
class WriteBranch:
    """One way through a handler that ends its action with writes of its own, where
    another way ends it with others (``if found: vote.delete()`` / ``else: db.add(vote)``):
    what that way writes and where its capture goes."""

    #: the lines of the way's own writes
    writes: tuple[int, ...]
    anchor: Anchor
    #: names and chains proven safe to read at the anchor
    proven: tuple[str, ...] = ()
    #: the models or tables the way writes, in order
    written: tuple[str, ...] = ()
    #: ``updated`` / ``deleted`` where the way only changes objects the handler looked up
    existing_change: str | None = None


@dataclass(frozen=True)
class CalledCode:
    """A call a handler makes to code that may be the project's, and where its capture
    would go if that code turns out to write (see ``analysis.reach``)."""

    line: int
    #: ``q:<qualified name>``, ``t:<class>.<method>`` (a typed receiver), ``m:<method>`` (a
    #: receiver of unknown type) or ``?`` (a call or store the analysis cannot follow)
    target: str
    anchor: Anchor | None = None
    proven: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectFunction:
    """A function or method of the project, as the write proof follows it."""

    #: qualified name (``app.utils.set_config``, ``app.services.UserService.verify_email``)
    name: str
    #: what it writes itself, or None
    writes: str | None
    #: what it calls, in ``CalledCode.target`` form
    calls: tuple[str, ...] = ()
    method: bool = False


@dataclass(frozen=True)
class Handler:
    """A function or method that answers requests.

    ``qualname`` is the dotted path inside the module (``PostViewSet.create``);
    ``line`` is the ``def`` line and ``decorator_line`` the first decorator's,
    both 1-based; ``end_line`` the last line of the body.
    """

    module: str
    file: str
    qualname: str
    line: int
    end_line: int
    decorator_line: int
    is_async: bool = False
    params: tuple[str, ...] = ()
    docstring: str | None = None
    #: parameter annotations as source (``("post_id", "int")``), where given
    annotations: tuple[tuple[str, str], ...] = ()
    #: the ``# posthog-setup: ignore`` comments on its decorator and ``def`` lines
    ignore_comments: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    def ignores(self, rule: str) -> bool:
        """True if an ignore comment on the handler's first lines switches ``rule`` off."""
        return any(ignored(rule, comment) for comment in self.ignore_comments)

    @property
    def class_name(self) -> str | None:
        return self.qualname.rsplit(".", 1)[0] if "." in self.qualname else None


@dataclass(frozen=True)
class BodyFacts:
    """What a handler's body shows, independent of how it is routed."""

    evidence: tuple[Evidence, ...] = ()
    user_access: UserAccess | None = None
    #: the line after which a capture belongs: the last commit / save / create call
    change_line: int | None = None
    #: names of locals bound in the body (assignment targets, loop and with targets)
    locals: tuple[str, ...] = ()
    #: handler already sends a PostHog event (``<anything>.capture(...)``)
    captures: tuple[str, ...] = ()
    #: handler already calls ``capture_exception``
    captures_exception: bool = False
    #: ``request.method == "POST"``-style branches: the methods the body tests for
    method_branches: tuple[str, ...] = ()
    ignored: bool = False
    #: where a capture goes, on the path where the change succeeded; None: nowhere is safe
    anchor: Anchor | None = None
    #: names and chains proven safe to read at the anchor (see ``analysis.flow``)
    proven: tuple[str, ...] = ()
    #: (local or parameter, qualified class) where the handler builds or annotates an object
    typed: tuple[tuple[str, str], ...] = ()
    #: (parameter, qualified model) where the handler looks a model up by the parameter
    lookup_keys: tuple[tuple[str, str], ...] = ()
    #: the models or tables the handler writes, in order (``Post``, ``comment``)
    written: tuple[str, ...] = ()
    #: what the handler switches on or off (``news.switch_like(user)``: ``like``), if anything
    toggles: str | None = None
    #: ``updated`` / ``deleted`` where the handler only changes objects it looked up
    existing_change: str | None = None
    #: a webhook's outcomes: (event type it tests for, where that branch's capture goes)
    outcomes: tuple[tuple[str, Anchor], ...] = ()
    #: the ways through the handler that each end its action with writes of their own
    #: (a toggle's create and delete), two at least, else none
    branches: tuple[WriteBranch, ...] = ()
    #: (property, expression) counts safe to read at the anchor (``len(closed)`` of a list
    #: the handler built, ``cursor.rowcount`` of the write it ran)
    counts: tuple[tuple[str, str], ...] = ()
    #: the write hook to add on releases before one: (package, that release, the hook), for
    #: a framework whose default hook is newer (Django's DeleteView.form_valid, from 4.0)
    older_hook: tuple[str, str, str] | None = None
    #: the write hook to add, where the project's declared release needs ``older_hook``'s
    hook: str | None = None
    #: calls to code that may be the project's, where the body shows no write of its own
    calls: tuple[CalledCode, ...] = ()
    #: every value the handler returns is a rendered page (``render_template(...)``)
    renders_page: bool = False


@dataclass(frozen=True)
class Route:
    """An endpoint: full path, methods and the handler that serves it."""

    framework: Framework
    path: str
    methods: tuple[str, ...]
    handler: Handler
    owner: str | None
    line: int
    mutating: bool
    evidence: tuple[Evidence, ...]
    user_access: UserAccess | None
    path_params: tuple[str, ...] = ()
    name: str | None = None
    #: the view class's kind for class-based views (``CreateView``, ``ModelViewSet``, ...)
    view_kind: str | None = None
    #: for ViewSets and class-based views: the action or method name (``create``, ``post``)
    action: str | None = None
    change_line: int | None = None
    captures: tuple[str, ...] = ()
    ignored: bool = False
    #: the model a generic view or viewset works on (``Order``), for naming
    model: str | None = None
    #: names bound in the handler body, for properties of what it created
    locals: tuple[str, ...] = ()
    anchor: Anchor | None = None
    proven: tuple[str, ...] = ()
    typed: tuple[tuple[str, str], ...] = ()
    #: (parameter, qualified model) where the handler looks a model up by the parameter
    lookup_keys: tuple[tuple[str, str], ...] = ()
    written: tuple[str, ...] = ()
    #: what the handler switches on or off (``news.switch_like(user)``: ``like``), if anything
    toggles: str | None = None
    #: ``updated`` / ``deleted`` where the handler only changes objects it looked up
    existing_change: str | None = None
    #: a webhook's outcomes: (event type it tests for, where that branch's capture goes)
    outcomes: tuple[tuple[str, Anchor], ...] = ()
    #: the ways through the handler that each end its action with writes of their own
    #: (a toggle's create and delete), two at least, else none
    branches: tuple[WriteBranch, ...] = ()
    #: (property, expression) counts safe to read at the anchor (``len(closed)`` of a list
    #: the handler built, ``cursor.rowcount`` of the write it ran)
    counts: tuple[tuple[str, str], ...] = ()
    #: the write hook to add on releases before one: (package, that release, the hook), for
    #: a framework whose default hook is newer (Django's DeleteView.form_valid, from 4.0)
    older_hook: tuple[str, str, str] | None = None
    #: the write hook to add, where the project's declared release needs ``older_hook``'s
    hook: str | None = None
    #: calls to code that may be the project's, where the body shows no write of its own
    calls: tuple[CalledCode, ...] = ()
    #: why only a logged-in user reaches the route (``@login_required``, a dependency on
    #: the current user), where that is proven: who creates a user here is not signing up
    members_only: str | None = None


AuthKind = Literal["login", "signup", "logout"]
#: The mechanism of a signup a class view's write hook sees (DRF's ``perform_create``,
#: ``form_valid``): ``call`` names the hook, which identify is added to or put in.
VIEW_HOOK = "view_hook"
#: The mechanism of a login a library view performs (it checks the credentials and issues
#: a token): ``user_expression`` reads the user from the ``serializer`` its ``post``
#: validated (``serializer.validated_data["user"]``).
TOKEN_VIEW = "token_view"


@dataclass(frozen=True)
class AuthPoint:
    """Where a user becomes known (login, signup) or stops being known (logout).

    ``line`` is the statement that logs the user in or out (``login_user(user)``,
    ``login(request, user)``); ``user_expression`` names the user object there.
    """

    kind: AuthKind
    framework: Framework
    handler: Handler
    line: int
    call: str
    user_expression: str | None
    mechanism: str
    #: names and chains proven safe to read where the identify code goes
    proven: tuple[str, ...] = ()
    typed: tuple[tuple[str, str], ...] = ()
    #: the user's key as the login call itself reads it (a token's identity), if it does
    key: str | None = None
    #: why nothing is sent for it, where nothing can be (a library view routed directly
    #: that tells nobody who logged in): named in the summary, never planned
    untracked: str | None = None
    #: (package, first release) the edit relies on: where the project declares only older
    #: ones, nothing is sent for it (``untracked`` says why)
    needs: tuple[str, str] | None = None
    #: the project's own code that already binds the identity for it (a receiver of the
    #: signal the login sends): only the event is added, never a second identify
    identified_by: str | None = None
    #: ``from <module> import <name>`` that ``user_expression`` needs where edit writes it
    imports: tuple[tuple[str, str], ...] = ()
    #: the point to use instead where the project declares only releases before ``needs``
    #: (the same login, read another way), if there is one
    older: AuthPoint | None = None
    #: the function of the same module that logs the user in for ``handler`` (a helper the
    #: route calls), where ``line`` is and the code goes; None: the handler itself
    inside: Handler | None = None
    #: the serializer class the user comes from (a signup's ``save()``, a login's
    #: ``validated_data[...]``): kept only where the project proves that class makes users
    #: (its ``Meta.model`` is the user model; its ``validate`` stores ``authenticate()``'s
    #: user under that key), decided when the project is linked
    serializer: str | None = None

    @property
    def code_in(self) -> Handler:
        """The function the login's code goes in: ``inside``, else the handler."""
        return self.inside or self.handler


@dataclass(frozen=True)
class SessionWrite:
    """``session["user_id"] = user.id``: a function keeps a user's key in the web session."""

    #: the function, by qualified name (``blog.auth.login_user``)
    function: str
    handler: Handler
    line: int
    key: str
    #: the user object's name, and how its key is read from it (``.id``, ``["id"]``)
    user: str
    accessor: str
    #: the user is the function's parameter at this position (None: a local)
    param: int | None
    #: the function's name or routes say it logs in / signs up
    login: bool
    signup: bool


@dataclass(frozen=True)
class SessionClear:
    """``session.clear()``, ``session.pop("user_id")``, ``del session["user_id"]``: a function
    forgets what the web session holds (all of it where ``key`` is None); or a call it
    makes to a function of the project named for logging out (``via``), which may."""

    #: the function, by qualified name (``blog.auth.logout_user``)
    function: str
    handler: Handler
    line: int
    key: str | None
    via: str | None = None


@dataclass(frozen=True)
class HelperCall:
    """A call from a function to another function of the project, with its first argument:
    a login, if the callee turns out to keep that argument in the session."""

    handler: Handler
    line: int
    #: the called function, by qualified name
    called: str
    argument: str
    #: the caller's or callee's name, or the caller's routes, say it logs in / signs up
    login: bool
    signup: bool


@dataclass(frozen=True)
class ErrorHandler:
    """An existing exception or error-status handler."""

    framework: Framework
    handler: Handler
    handles: tuple[str, ...]
    line: int
    #: handles 5xx or a broad Exception, so capture_exception belongs in it
    server_error: bool
    #: name of the parameter holding the exception, if the handler takes one
    error_param: str | None
    captures: bool = False
    #: the exception class (qualified) the handler is also given client errors as (a
    #: Flask handler of ``Exception`` gets werkzeug's ``HTTPException`` for a 404): its
    #: capture skips those under 500
    client_errors: str | None = None
    #: the framework gives the handler the errors it answers 500 for only after telling the
    #: hook-up of them (Flask sends ``got_request_exception``, then calls a 500 handler)
    after_hookup: bool = False
    #: how the hook-up captures those errors before the handler runs, where it does: the
    #: handler then sends nothing itself (``server_error`` is False), or each server error
    #: would reach PostHog twice
    captured_first: HookupCapture | None = None


@dataclass(frozen=True)
class HookupCapture:
    """How the project's hook-up captures the errors an error handler is given after it,
    and what that rests on (the analysis checks each against the project)."""

    #: why the handler is left without a capture, as people read it
    reason: str
    #: the hook-up is still to be added: edit leaves it out where the project declares a
    #: framework version below ``gate`` or opens PostHog's request context itself
    to_add: bool = False
    gate: VersionGate | None = None
    #: it captures through the client's exception autocapture, which is off unless the
    #: client turns it on (the generated client does)
    autocapture: bool = False
    #: that client, by qualified name (``posthog`` for the posthog module's own); None for
    #: the one edit gives the hook-up: the project's own, else the generated one
    client: str | None = None


#: How code that captures unhandled errors does: "always" (``capture_exception`` itself, or
#: capture turned on), "autocapture" (as the client's exception autocapture says), "never"
#: (turned off) or "unknown"
UnhandledCaptureKind = Literal["always", "autocapture", "never", "unknown"]


@dataclass(frozen=True)
class UnhandledCapture:
    """Code of the project that captures the errors its framework answers with a 500 before
    any error handler sees them: a hook-up already in place, or a receiver of its signal."""

    framework: Framework
    file: str
    line: int
    #: what it is, as people read it (``PosthogFlaskIntegration``)
    what: str
    captures: UnhandledCaptureKind
    #: the client it captures through, by qualified name (``posthog`` for the posthog
    #: module's own; "" where it cannot be told)
    client: str = ""


#: ``<framework or its package>.<class>``: ``flask.Flask``, ``flask.Blueprint``,
#: ``fastapi.APIRouter``, ``django.project``, ``drf.router``, ``flask.Api``; each framework owns its kinds
AppKind = str


@dataclass(frozen=True)
class AppObject:
    """An application, blueprint, router or Django project."""

    kind: AppKind
    name: str
    file: str
    line: int
    #: the function that builds and returns it, for app factories
    factory: str | None = None
    prefix: str = ""
    #: the framework extension whose class made it (``Flask-RESTX``), if one did
    extension: str | None = None
    #: the folder its runtime puts first on ``sys.path``, where that is not the project's
    #: root (a Lambda function's code folder): modules there import each other from it
    import_root: str = ""


@dataclass(frozen=True)
class Registration:
    """``register_blueprint`` / ``include_router``: a child mounted under a parent."""

    parent: str
    child: str
    prefix: str | None
    file: str
    line: int


@dataclass(frozen=True)
class LocalRoute:
    """A route as one file declares it, before prefixes are resolved."""

    framework: Framework
    owner: str
    path: str
    methods: tuple[str, ...]
    handler: Handler
    line: int
    body: BodyFacts
    name: str | None = None
    view_kind: str | None = None
    action: str | None = None
    #: why only a logged-in user reaches the route, where this file proves it
    members_only: str | None = None
    #: the project's own functions the handler is decorated with or depends on, by
    #: qualified name: any that a module proves admits only logged-in users
    #: (``ModuleFacts.login_guards``) makes the route ``members_only`` once linked
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class EndpointRef:
    """A route that names its endpoint, which may live in another module (Starlette's
    ``Route(path, endpoint)``); linking joins it to the endpoint's ``LocalRoute``."""

    framework: Framework
    owner: str
    path: str
    #: the methods the route lists; None: the endpoint's own (GET for a function)
    methods: tuple[str, ...] | None
    #: the endpoint's qualified name (a function, or a class with one method per verb)
    endpoint: str
    line: int
    name: str | None = None


@dataclass(frozen=True)
class UrlPattern:
    """One Django ``urlpatterns`` entry: a view or an ``include()``."""

    pattern: str
    regex: bool
    line: int
    #: qualified name of the view callable or class (``blog.views.PostCreate``)
    view: str | None = None
    #: ``as_view()`` was called on ``view``
    class_based: bool = False
    #: module included (``blog.urls``), or a qualified name of a router's urls
    include: str | None = None
    name: str | None = None
    #: why only a logged-in user reaches the view, where the entry wraps it in a guard
    #: (``login_required(View.as_view())``)
    members_only: str | None = None
    #: the project functions the entry wraps the view in, for the link to settle
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class DjangoView:
    """A Django or DRF view found in a module, keyed by qualified name in ``ModuleFacts``."""

    qualname: str
    kind: str
    #: per HTTP method or ViewSet action: (method or action, handler, facts of its body)
    methods: tuple[tuple[str, Handler, BodyFacts], ...]
    bases: tuple[str, ...] = ()
    #: DRF ``@action`` routes: (url_path, methods, detail, handler, body)
    actions: tuple[tuple[str, tuple[str, ...], bool, Handler, BodyFacts], ...] = ()
    line: int = 0
    model: str | None = None
    #: the form or serializer class it saves (``form_class`` / ``serializer_class``)
    form: str | None = None
    #: the names in its ``permission_classes``
    permissions: tuple[str, ...] = ()
    #: the URL keyword a router puts in detail paths (``lookup_url_kwarg`` / ``lookup_field``)
    lookup: str | None = None
    #: its methods that keep what the parent's returned (``response = super().post(...)``)
    extends: tuple[str, ...] = ()
    #: its write hooks that leave the saved object where the parent's would
    #: (``super().form_valid(form)``, ``self.object = form.save()``, ``serializer.save()``)
    keeps_saved: tuple[str, ...] = ()
    #: its methods that may return a value other than None (a middleware's
    #: ``process_exception`` that answers the request itself)
    answers: tuple[str, ...] = ()
    #: why only a logged-in user reaches it (a decorator of its own), where its file proves it
    members_only: str | None = None
    #: it defines ``get_serializer`` or ``get_serializer_class``: which serializer its
    #: requests use is its own code's choice, not its ``serializer_class``
    chooses_serializer: bool = False
    #: the project functions it is decorated with, for the link to settle (see
    #: ``LocalRoute.guards``)
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouterRegistration:
    """DRF ``router.register(prefix, ViewSet)``."""

    router: str
    prefix: str
    viewset: str
    basename: str | None
    line: int


@dataclass(frozen=True)
class CaptureCall:
    """An existing ``capture`` call of the PostHog SDK (or the project's own wrapper)."""

    file: str
    line: int
    event: str | None
    client: str
    positional_distinct_id: bool = False


@dataclass(frozen=True)
class Monitoring:
    """Another monitoring tool in the project, to sit beside and never replace."""

    tool: str
    file: str
    line: int
    detail: str


@dataclass(frozen=True)
class ClassFacts:
    """A class of the project: its bases and the attributes its body declares."""

    qualname: str
    bases: tuple[str, ...]
    attributes: tuple[str, ...]
    #: (field, shape) of the fields its body annotates with a plain type: ``bool``, ``int``,
    #: ``float``, ``str`` or ``list`` (any sized collection); never one that may be None
    fields: tuple[tuple[str, str], ...] = ()
    #: the model its ``Meta`` names (a DRF model serializer's, a model form's), qualified:
    #: ``django.contrib.auth.get_user_model`` for ``get_user_model()`` or a name bound to it
    model: str | None = None
    #: the key its ``validate`` stores the user ``authenticate()`` proved under (after
    #: refusing a None), in the data it returns: a login serializer's ``"user"``
    authenticates: str | None = None
    #: a DRF model serializer that keeps the library's ``save`` but overrides ``create``:
    #: what each ``return`` of its ``create`` answers (``<model>.objects.<method>``,
    #: ``<model>()`` for an instance it built and saved, ``super`` for the parent's), to
    #: be proven an instance when the project is linked; () where any is something else
    created: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModuleFacts:
    """Everything one source file contributes to the analysis."""

    file: str
    module: str
    frameworks: tuple[Framework, ...] = ()
    apps: tuple[AppObject, ...] = ()
    registrations: tuple[Registration, ...] = ()
    routes: tuple[LocalRoute, ...] = ()
    #: handlers a route may name by reference, not routed yet (owner and path empty)
    endpoints: tuple[LocalRoute, ...] = ()
    endpoint_refs: tuple[EndpointRef, ...] = ()
    auth_points: tuple[AuthPoint, ...] = ()
    error_handlers: tuple[ErrorHandler, ...] = ()
    unhandled_captures: tuple[UnhandledCapture, ...] = ()
    urlpatterns: tuple[UrlPattern, ...] = ()
    django_views: tuple[DjangoView, ...] = ()
    router_registrations: tuple[RouterRegistration, ...] = ()
    #: Django settings found in this module (ROOT_URLCONF, MIDDLEWARE, INSTALLED_APPS)
    django_settings: tuple[tuple[str, str], ...] = ()
    captures: tuple[CaptureCall, ...] = ()
    env_vars: tuple[str, ...] = ()
    monitoring: tuple[Monitoring, ...] = ()
    #: the library functions the module hands an ASGI app to (``register_orm(app)``):
    #: what they register on it (startup handlers) no analysis sees
    app_handed_to: tuple[str, ...] = ()
    posthog_imported: bool = False
    classes: tuple[ClassFacts, ...] = ()
    #: (function, class it is annotated to return; ``?`` where it may return None)
    returns: tuple[tuple[str, str], ...] = ()
    session_writes: tuple[SessionWrite, ...] = ()
    session_clears: tuple[SessionClear, ...] = ()
    helper_calls: tuple[HelperCall, ...] = ()
    #: module-level type aliases whose parameters receive the logged-in user through a
    #: dependency (FastAPI's ``CurrentUser = Annotated[User, Depends(get_current_user)]``)
    user_aliases: tuple[str, ...] = ()
    #: every assignment to an attribute of a request-wide object a framework keeps (Flask's
    #: ``g``): (its qualified name, ``flask.g.user``; what the value is, a class or a
    #: function whose result it is, ``None``, or "" for a value not known); see
    #: ``flow.assigned_types``
    assigned: tuple[tuple[str, str], ...] = ()
    #: the module's functions and methods, for following writes across the project
    functions: tuple[ProjectFunction, ...] = ()
    #: where the module declares handlers: its definitions as the route codemods read them
    definitions: FileDefinitions | None = None
    #: the module's functions (and type aliases) that admit only a logged-in user to a
    #: handler decorated with them or depending on them, by qualified name, with why
    login_guards: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SkippedFile:
    """A file left out of the analysis, and why."""

    file: str
    reason: str


@dataclass(frozen=True)
class ProjectInfo:
    """The project as a whole: where it is and how it is built."""

    root: str
    name: str
    frameworks: tuple[Framework, ...]
    dependency_manager: str
    manifests: tuple[Manifest, ...]
    #: the package that holds the app, where new modules go (``blog``), or "" for flat layouts
    app_package: str = ""


@dataclass(frozen=True)
class ExistingPostHog:
    """PostHog usage the project already has."""

    in_manifests: tuple[str, ...] = ()
    imported_in: tuple[str, ...] = ()
    captures: tuple[CaptureCall, ...] = ()
    naming_style: str | None = None
    env_vars: tuple[str, ...] = ()


class Conventions(Protocol):
    """What a framework guarantees its handlers, asked by the plan without naming the framework."""

    @property
    def user_first(self) -> bool:
        """The framework's user wins over the project's own current-user helper."""
        ...

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """Attributes that key a saved object, in the order to try (``pk`` before ``id``)."""
        ...

    def current_user(self, handler: Handler, analysis: Analysis) -> UserAccess | None:
        """The framework's own way to the acting user in ``handler``, if it has one."""
        ...

    def url_value(self, handler: Handler, param: str) -> str | None:
        """How ``handler`` reads a URL parameter it does not take as an argument."""
        ...

    def implicit_write(self, route: Route) -> str | None:
        """The method to add where a class-based view writes implicitly, if any."""
        ...

    def filed_under(self, route: Route) -> str:
        """The handler a route's events are filed under in the plan."""
        ...

    def login_key(self, point: AuthPoint) -> str | None:
        """The user key the framework's own login call reads (safe wherever it runs)."""
        ...

    def saved_object(self, route: Route) -> str | None:
        """The object the framework guarantees the route's write saved, where its capture
        runs (``serializer.instance`` after DRF's ``perform_create``), if any."""
        ...

    def own_key(self, route: Route, analysis: Analysis) -> tuple[str, str] | None:
        """(property, expression) for the key of the saved object whose own method handles
        the route (a CMS page that stores its form's submissions), if any."""
        ...


class PlainConventions:
    """A framework that guarantees nothing beyond what the handler's own code shows."""

    user_first = False
    key_attributes: tuple[str, ...] = ("id",)

    def current_user(self, handler: Handler, analysis: Analysis) -> UserAccess | None:
        return None

    def url_value(self, handler: Handler, param: str) -> str | None:
        return None

    def implicit_write(self, route: Route) -> str | None:
        return None

    def filed_under(self, route: Route) -> str:
        return route.handler.qualname

    def login_key(self, point: AuthPoint) -> str | None:
        # Only the key the login itself reads (a token's identity, a library hook's user).
        return point.key

    def saved_object(self, route: Route) -> str | None:
        return None

    def own_key(self, route: Route, analysis: Analysis) -> tuple[str, str] | None:
        return None


PLAIN_CONVENTIONS: Conventions = PlainConventions()


@dataclass(frozen=True)
class Finding:
    """One integration mistake at one place; ``fixable`` when revise can fix it."""

    rule: str
    file: str
    line: int
    col: int
    message: str
    fixable: bool = False


@dataclass(frozen=True)
class CaptureSite:
    """A PostHog capture call in the code, for drift checks against the plan."""

    file: str
    line: int
    event: str | None
    handler: str | None
    client: str
    property_keys: tuple[str, ...]
    #: the properties are none or a dict literal of constant keys: the keys are all it sends
    properties_known: bool = True


@dataclass(frozen=True)
class ClientSetup:
    """One place a PostHog client is configured: a constructor call or the module-level key."""

    file: str
    line: int
    col: int
    how: str  # "posthog.Posthog(...)" or "posthog.project_api_key = ..."
    #: the module-level name the constructed client is bound to (``analytics = Posthog(...)``)
    name: str | None = None
    #: the posthog module's own client is configured (``posthog.project_api_key = ...``)
    default: bool = False
    #: it turns exception autocapture on (``enable_exception_autocapture=True``), which
    #: the SDK's integrations capture unhandled errors through
    exception_autocapture: bool = False


@dataclass(frozen=True)
class OwnContext:
    """A middleware of the project's own that opens PostHog's request context
    (``with new_context(): ...``): the project's hook-up, not to be added twice."""

    file: str
    line: int
    name: str


@dataclass(frozen=True)
class EnvSettings:
    """One settings class that reads an env file (its lines never reach the environment)."""

    file: str
    name: str
    line: int
    #: the last line of the class body: declarations go after it
    end_line: int
    indent: str
    #: the field names it declares, lower-cased
    fields: tuple[str, ...]
    #: ``env_prefix``, ``case_sensitive``: how a field name becomes a variable name
    env_prefix: str
    case_sensitive: bool
    #: the class spells its fields in capitals (``DATABASE_URL: str``)
    upper: bool
    #: the file's module, and the module-level name bound to ``Class()`` there ("" if none)
    module: str = ""
    instance: str = ""
    #: the top-level packages the file imports ("." for a relative import)
    imports: tuple[str, ...] = ()
    #: the env files it reads, in order, where written as literals (() where not known)
    env_files: tuple[str, ...] = ()
    #: it refuses a variable of its env file that it does not declare (pydantic-settings'
    #: default; not with ``extra="ignore"`` or pydantic v1)
    strict: bool = True
    #: pydantic v1, to which python-dotenv is optional: installed only where the project
    #: says so
    dotenv_optional: bool = False

    def declares(self, variable: str) -> bool:
        """Whether the variable already has a field (by the name pydantic matches it by)."""
        return variable.lower() in self.fields


@dataclass(frozen=True)
class Analysis:
    """The whole project, linked: what begin found and every later stage reads."""

    project: ProjectInfo
    apps: tuple[AppObject, ...]
    routes: tuple[Route, ...]
    auth_points: tuple[AuthPoint, ...]
    error_handlers: tuple[ErrorHandler, ...]
    existing: ExistingPostHog
    monitoring: tuple[Monitoring, ...]
    skipped: tuple[SkippedFile, ...]
    files_scanned: int
    files_analysed: int
    django_settings: tuple[tuple[str, str, str], ...] = field(default=())
    #: (file, function) for each library function an ASGI app is handed to (see
    #: ``ModuleFacts.app_handed_to``; the project's own functions are read instead)
    app_handed_to: tuple[tuple[str, str], ...] = ()
    #: integration mistakes revise's rules found, file by file and across the project
    findings: tuple[Finding, ...] = field(default=())
    #: every PostHog capture call in the code
    capture_sites: tuple[CaptureSite, ...] = field(default=())
    #: every place a PostHog client is set up
    client_setups: tuple[ClientSetup, ...] = field(default=())
    own_contexts: tuple[OwnContext, ...] = field(default=())
    #: settings classes that would refuse the PostHog variables in their env file
    env_settings: tuple[EnvSettings, ...] = field(default=())
    #: non-test modules that import python-dotenv at their top
    dotenv_modules: tuple[str, ...] = field(default=())
    #: non-test modules that import python-decouple at their top
    decouple_modules: tuple[str, ...] = field(default=())
    #: (framework, first file) for web frameworks found but not supported yet
    unsupported: tuple[tuple[str, str], ...] = field(default=())
    #: qualified class -> attributes every instance is known to have (own and inherited)
    class_attributes: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    #: qualified class -> (field, shape) of a validated schema (a pydantic model, a msgspec
    #: struct): a decoded instance holds a value of that shape in each (see ``ClassFacts``)
    schema_fields: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = field(default=())
    #: qualified DRF serializer class -> (field, shape) it declares (see ``ClassFacts``;
    #: ``choice`` for one of the values the code declares)
    serializer_fields: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = field(default=())
    #: project function or method -> the class it is annotated to return (``?`` where it
    #: may be None)
    returns: tuple[tuple[str, str], ...] = field(default=())
    #: file -> its definitions, in the files that declare handlers (see ``ModuleFacts``)
    definitions: tuple[tuple[str, FileDefinitions], ...] = field(
        default=(), compare=False, repr=False
    )
    #: each analysed framework's conventions, by name
    framework_conventions: tuple[tuple[Framework, Conventions], ...] = field(
        default=(), compare=False, repr=False
    )

    def conventions(self, framework: Framework) -> Conventions:
        """What ``framework`` guarantees its handlers (nothing, if it is not known)."""
        return self._conventions_by_framework.get(framework, PLAIN_CONVENTIONS)

    def fields_of(self, kind: str) -> tuple[tuple[str, str], ...]:
        """(field, shape) of the schema class every value of ``kind`` is validated against
        (none where the value may be None). A package's re-export of the class
        (``app.schemas.UserCreate`` for ``app.schemas._user.UserCreate``), or a module named
        from another source root, is the class where it is the project's only one so named,
        in a module under the same top-level package."""
        if kind.endswith("?"):
            return ()
        schemas = self._schemas_by_kind
        if kind in schemas:
            return schemas[kind]
        package, _, short = kind.rpartition(".")
        same = self._classes_by_short_name.get(short, [])
        if len(same) != 1 or not package:
            return ()
        if package.split(".")[0] not in same[0].split(".")[:-1]:
            return ()
        return schemas.get(same[0], ())

    def instance_class(self, kind: str) -> str:
        """The class a value of ``kind`` is an instance of: ``kind`` itself, or for the
        result of a project function or method (``app.services.Uploads.create``), the
        class its annotation says it returns (``?`` kept)."""
        returned = self._returns_by_function.get(kind.rstrip("?"))
        if returned is None:
            return kind
        return returned + ("?" if kind.endswith("?") and not returned.endswith("?") else "")

    @cached_property
    def import_roots(self) -> tuple[str, ...]:
        """The folders a runtime imports the apps' files from, where that is not the
        project's root (see ``AppObject.import_root``), read once: every planned file asks."""
        return tuple(sorted({a.import_root for a in self.apps if a.import_root}))

    @cached_property
    def _conventions_by_framework(self) -> dict[str, Conventions]:
        """``framework_conventions`` as a mapping, built once: every handler asks."""
        return dict(self.framework_conventions)

    @cached_property
    def _returns_by_function(self) -> dict[str, str]:
        """``returns`` as a mapping, built once: the plan asks of every handler's values."""
        return dict(self.returns)

    @cached_property
    def _schemas_by_kind(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """``schema_fields`` by class, read once: the plan asks for every handler's body."""
        return dict(self.schema_fields)

    @cached_property
    def _classes_by_short_name(self) -> dict[str, list[str]]:
        """The classes of ``class_attributes`` (each entry, in order) by their last name
        part, read once: a project has thousands and the plan asks for every handler."""
        by_name: dict[str, list[str]] = {}
        for known, _ in self.class_attributes:
            by_name.setdefault(known.rpartition(".")[2], []).append(known)
        return by_name

    def attributes_of(self, kind: str) -> frozenset[str]:
        """Attributes a value of ``kind`` is known to have: a project class, or ``f()`` for
        what function ``f`` returns; ``?`` among them when the value may be None."""
        maybe_none = kind.endswith("?")
        kind = kind.rstrip("?")
        for name in (kind, f"{kind}()", self._reexported(kind)):
            attributes = self._attributes_by_kind.get(name)
            if attributes is not None:
                return attributes | ({"?"} if maybe_none else set())
        return frozenset()

    def _reexported(self, kind: str) -> str:
        """The class a package's re-export names (``app.models.User`` for
        ``app.models.user.User``, through ``from .user import *``): the project's only
        class so named in a module under that package; ``kind`` itself otherwise."""
        package, _, short = kind.rpartition(".")
        same = self._classes_by_short_name.get(short, [])
        if package and len(same) == 1 and same[0].startswith(f"{package}."):
            return same[0]
        return kind

    @cached_property
    def _attributes_by_kind(self) -> dict[str, frozenset[str]]:
        """``class_attributes`` by name (the first entry of a name), read once: the plan
        asks for every handler's values."""
        by_kind: dict[str, frozenset[str]] = {}
        for known, attributes in self.class_attributes:
            by_kind.setdefault(known, frozenset(attributes))
        return by_kind
