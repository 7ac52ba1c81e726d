"""Django Ninja: operations at the paths Django serves them, exception handlers, read-only POSTs."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis
from posthog_setup.plan.plan import build_plan
from tests.analysis.web_helpers import analyse

SETTINGS = """
ROOT_URLCONF = "proj.urls"
INSTALLED_APPS = ["django.contrib.auth", "notes"]
MIDDLEWARE = ["django.contrib.auth.middleware.AuthenticationMiddleware"]
"""

ROOT_URLS = """
from django.urls import include, path

from proj.api import api

urlpatterns = [
    path("service/", include("proj.service_urls")),
]
"""

SERVICE_URLS = """
from django.urls import path

from proj.api import api

urlpatterns = [path("api/", api.urls)]
"""

API = """
from ninja import NinjaAPI as Api
from ninja.security import django_auth

from notes.routes import router as notes_router

api = Api(auth=django_auth)
api.add_router("/notes", notes_router)
api.add_router("tags/", "notes.tags.router")


@api.get("/ping")
def ping(request):
    return {"ok": True}


@api.exception_handler(Exception)
def server_error(request, exc):
    return api.create_response(request, {"detail": "server error"}, status=500)


class Conflict(Exception):
    pass


def conflict(request, error):
    return api.create_response(request, {"detail": "conflict"}, status=409)


api.add_exception_handler(Conflict, conflict)
"""

ROUTES = """
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from notes.models import Comment, Note

router = Router()
comments = Router()
router.add_router("/{int:note_id}/comments", comments)


class NoteIn(Schema):
    title: str


@router.get("/")
def list_notes(request):
    return list(Note.objects.all())


@router.post("/")
def create_note(request, payload: NoteIn):
    note = Note.objects.create(owner=request.user, title=payload.title)
    return 201, note


@router.api_operation(["PUT", "PATCH"], "/{int:note_id}")
def update_note(request, note_id: int, payload: NoteIn):
    note = get_object_or_404(Note, id=note_id)
    if note.owner_id != request.user.pk:
        return 403, {"detail": "not yours"}
    note.title = payload.title
    note.save()
    return note


@router.post("/echo")
def echo_note(request, payload: NoteIn):
    text = payload.title
    return {"title": text, "length": len(text)}


@comments.post("")
def add_comment(request, note_id: int, payload: NoteIn):
    return 201, Comment.objects.create(note_id=note_id, body=payload.title)
"""

TAGS = """
from ninja import Router

from notes.models import Tag

router = Router()


@router.delete("/{slug}")
def delete_tag(request, slug: str):
    Tag.objects.filter(slug=slug).delete()
    return 204, None
"""


def ninja_project(**extra: str) -> Analysis:
    sources = {
        "proj/__init__.py": "",
        "proj/settings.py": SETTINGS,
        "proj/urls.py": ROOT_URLS,
        "proj/service_urls.py": SERVICE_URLS,
        "proj/api.py": API,
        "notes/__init__.py": "",
        "notes/routes.py": ROUTES,
        "notes/tags.py": TAGS,
    }
    sources.update(extra)
    return analyse(sources)


def rows(analysis: Analysis) -> set[tuple[str, tuple[str, ...], str, bool, tuple[str, ...]]]:
    return {
        (r.path, r.methods, r.handler.qualname, r.mutating, r.path_params) for r in analysis.routes
    }


def test_operations_are_served_at_the_django_prefix_and_every_router_prefix() -> None:
    analysis = ninja_project()
    assert rows(analysis) == {
        ("/service/api/ping", ("GET",), "ping", False, ()),
        ("/service/api/notes/", ("GET",), "list_notes", False, ()),
        ("/service/api/notes/", ("POST",), "create_note", True, ()),
        ("/service/api/notes/{int:note_id}", ("PUT", "PATCH"), "update_note", True, ("note_id",)),
        ("/service/api/notes/echo", ("POST",), "echo_note", False, ()),
        (
            "/service/api/notes/{int:note_id}/comments",
            ("POST",),
            "add_comment",
            True,
            ("note_id",),
        ),
        ("/service/api/tags/{slug}", ("DELETE",), "delete_tag", True, ("slug",)),
    }
    assert {r.framework for r in analysis.routes} == {"django"}
    assert analysis.project.frameworks == ("django",)
    assert analysis.unsupported == ()


def test_operations_reach_the_user_through_the_django_request() -> None:
    analysis = ninja_project()
    [update] = [r for r in analysis.routes if r.handler.name == "update_note"]
    assert update.user_access is not None
    assert update.user_access.id_expression == "request.user.pk"
    assert update.user_access.guard == "request.user.is_authenticated"


def test_the_capture_goes_after_the_write_never_on_an_error_return() -> None:
    analysis = ninja_project()
    by_name = {r.handler.name: r for r in analysis.routes}
    create = by_name["create_note"]
    assert create.anchor is not None
    assert (create.anchor.before, create.anchor.reason) == (False, "after the write")
    assert "note" in create.proven
    update = by_name["update_note"]
    assert update.anchor is not None
    # After note.save(), below the 403 branch: the capture never sees a refused update.
    assert update.anchor.line == update.change_line
    assert "payload" in update.proven


def test_an_api_that_no_mounted_urlconf_reaches_serves_nothing() -> None:
    unmounted = """
    from django.urls import path
    from ninja import NinjaAPI

    from notes.routes import router

    other = NinjaAPI(urls_namespace="other")
    other.add_router("/again", router)

    urlpatterns = [path("other/", other.urls)]
    """
    analysis = ninja_project(**{"proj/unused_urls.py": unmounted})
    assert not [r for r in analysis.routes if "again" in r.path]
    assert len([r for r in analysis.routes if r.handler.name == "list_notes"]) == 1


def test_a_router_mounted_twice_is_served_at_both_paths() -> None:
    api = API.replace(
        'api.add_router("tags/", "notes.tags.router")',
        'api.add_router("tags/", "notes.tags.router")\napi.add_router("/labels", "notes.tags.router")',
    )
    analysis = ninja_project(**{"proj/api.py": api})
    paths = sorted(r.path for r in analysis.routes if r.handler.name == "delete_tag")
    assert paths == ["/service/api/labels/{slug}", "/service/api/tags/{slug}"]


def test_exception_handlers_capture_only_server_errors() -> None:
    analysis = ninja_project()
    found = {
        (h.handler.qualname, h.handles, h.server_error, h.error_param)
        for h in analysis.error_handlers
    }
    assert found == {
        ("server_error", ("Exception",), True, "exc"),
        ("conflict", ("proj.api.Conflict",), False, "error"),
    }


def test_look_alike_decorators_are_not_operations() -> None:
    look_alike = """
    from notes.cache import Router

    router = Router()


    @router.post("/")
    def store(request):
        return None
    """
    cache = """
    class Router:
        def post(self, path):
            return lambda f: f
    """
    analysis = ninja_project(**{"notes/other.py": look_alike, "notes/cache.py": cache})
    assert "store" not in {r.handler.name for r in analysis.routes}


def test_a_handler_that_answers_5xx_is_a_server_error_whatever_it_handles() -> None:
    api = API + (
        "\n\nfrom django.db import DatabaseError\n\n\n"
        "@api.exception_handler(DatabaseError)\n"
        "def database_down(request, exc):\n"
        '    return api.create_response(request, {"detail": "later"}, status=503)\n'
    )
    analysis = ninja_project(**{"proj/api.py": api})
    found = {h.handler.qualname: h.server_error for h in analysis.error_handlers}
    assert found == {"server_error": True, "conflict": False, "database_down": True}


TOKEN_ROUTES = """
from ninja import Router
from ninja.security import HttpBearer

from notes.models import Note


class Bearer(HttpBearer):
    def authenticate(self, request, token):
        return Note.objects.filter(token=token).first()


router = Router(auth=Bearer())


@router.post("/pin")
def pin(request):
    owner_id = request.auth.id
    Note.objects.filter(owner_id=owner_id).update(pinned=True)
    return {"ok": True}


@router.post("/unpin")
def unpin(request):
    Note.objects.filter(owner=request.auth).update(pinned=False)
    return {"ok": True}
"""


def test_request_auth_gives_the_user_where_the_operation_reads_its_id() -> None:
    api = API.replace(
        'api.add_router("tags/", "notes.tags.router")',
        'api.add_router("tags/", "notes.tags.router")\napi.add_router("/t", "notes.token.router")',
    )
    analysis = ninja_project(**{"proj/api.py": api, "notes/token.py": TOKEN_ROUTES})
    by_name = {r.handler.name: r for r in analysis.routes}
    pin = by_name["pin"].user_access
    assert pin is not None
    assert (pin.kind, pin.id_expression) == ("ninja.request.auth", "request.auth.id")
    assert "request.auth.id" in by_name["pin"].proven
    # Nothing read of request.auth: the Django request's user stands, as in any Django view.
    assert by_name["unpin"].user_access is None
    plan = build_plan(analysis, client_module="proj/posthog_client.py")
    ids = {e.handler: e.distinct_id for e in plan.events}
    assert (ids["pin"], ids["unpin"]) == ("request.auth.id", "request.user.pk")


def test_an_error_handler_on_an_imported_object_needs_ninja_in_its_file() -> None:
    handlers = """
    from proj.web import app


    @app.exception_handler(Exception)
    def oops(request, exc):
        return None
    """
    analysis = ninja_project(**{"proj/handlers.py": handlers})
    assert "oops" not in {h.handler.qualname for h in analysis.error_handlers}
    with_ninja = "from ninja.errors import HttpError\n" + handlers.replace("\n    ", "\n")
    analysis = ninja_project(**{"proj/handlers.py": with_ninja})
    assert "oops" in {h.handler.qualname for h in analysis.error_handlers}
