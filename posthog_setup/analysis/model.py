"""The analysis model: plain, frozen data that every later stage reads.

Two layers. ``ModuleFacts`` is what one file says about itself, found without
looking at any other file, so files can be analysed in parallel and cached by
content. ``Analysis`` is the linked project: prefixes given at registration
time resolved into full paths, Django ``include()`` chains followed, views
bound to URLs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from posthog_setup.revise.rules import CaptureSite, ClientSetup, Finding

Framework = Literal["flask", "fastapi", "django"]
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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


@dataclass(frozen=True)
class Anchor:
    """A statement line a capture is placed ``before`` (or after), and why there."""

    line: int
    before: bool
    reason: str


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

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

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
    #: the models or tables the handler writes, in order (``Post``, ``comment``)
    written: tuple[str, ...] = ()


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
    written: tuple[str, ...] = ()


AuthKind = Literal["login", "signup", "logout"]


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


AppKind = Literal[
    "flask.Flask",
    "flask.Blueprint",
    # Flask-RESTX / Flask-RESTful / flask-smorest owners, and a resource class's own routes
    "flask.Api",
    "flask.Namespace",
    "flask.Resource",
    "fastapi.FastAPI",
    "fastapi.APIRouter",
    "django.project",
    "drf.router",
]


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
    #: the URL keyword a router puts in detail paths (``lookup_url_kwarg`` / ``lookup_field``)
    lookup: str | None = None


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


@dataclass(frozen=True)
class ModuleFacts:
    """Everything one source file contributes to the analysis."""

    file: str
    module: str
    frameworks: tuple[Framework, ...] = ()
    apps: tuple[AppObject, ...] = ()
    registrations: tuple[Registration, ...] = ()
    routes: tuple[LocalRoute, ...] = ()
    auth_points: tuple[AuthPoint, ...] = ()
    error_handlers: tuple[ErrorHandler, ...] = ()
    urlpatterns: tuple[UrlPattern, ...] = ()
    django_views: tuple[DjangoView, ...] = ()
    router_registrations: tuple[RouterRegistration, ...] = ()
    #: Django settings found in this module (ROOT_URLCONF, MIDDLEWARE, INSTALLED_APPS)
    django_settings: tuple[tuple[str, str], ...] = ()
    captures: tuple[CaptureCall, ...] = ()
    env_vars: tuple[str, ...] = ()
    monitoring: tuple[Monitoring, ...] = ()
    posthog_imported: bool = False
    classes: tuple[ClassFacts, ...] = ()
    #: (function, class it is annotated to return; ``?`` where it may return None)
    returns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SkippedFile:
    """A file left out of the analysis, and why."""

    file: str
    reason: str


@dataclass(frozen=True)
class Manifest:
    """A dependency manifest and whether it already names ``posthog``."""

    file: str
    kind: str
    posthog_requirement: str | None = None


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
    #: integration mistakes revise's rules found, file by file and across the project
    findings: tuple[Finding, ...] = field(default=())
    #: every PostHog capture call in the code
    capture_sites: tuple[CaptureSite, ...] = field(default=())
    #: every place a PostHog client is set up
    client_setups: tuple[ClientSetup, ...] = field(default=())
    #: (framework, first file) for web frameworks found but not supported yet
    unsupported: tuple[tuple[str, str], ...] = field(default=())
    #: qualified class -> attributes every instance is known to have (own and inherited)
    class_attributes: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def attributes_of(self, kind: str) -> frozenset[str]:
        """Attributes a value of ``kind`` is known to have: a project class, or ``f()`` for
        what function ``f`` returns; ``?`` among them when the value may be None."""
        maybe_none = kind.endswith("?")
        kind = kind.rstrip("?")
        for name in (kind, f"{kind}()"):
            for known, attributes in self.class_attributes:
                if known == name:
                    return frozenset(attributes) | ({"?"} if maybe_none else set())
        return frozenset()
