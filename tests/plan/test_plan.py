"""The plan's own rules, on hand-built analyses: who the user is, what is safe to read,
which handler an event is filed under. No framework is named here: each is a Conventions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from posthog_setup.analysis.flow import Proof
from posthog_setup.analysis.model import (
    PLAIN_CONVENTIONS,
    Analysis,
    Anchor,
    AuthPoint,
    Conventions,
    ExistingPostHog,
    Handler,
    ProjectInfo,
    Route,
    UserAccess,
)
from posthog_setup.plan.naming import event_name
from posthog_setup.plan.plan import (
    RouteIndex,
    build_plan,
    plan_handler,
    provable,
    proven_user_id,
    user_access,
)

HANDLER = Handler("app.views", "app/views.py", "create_post", 10, 20, 9, params=("request",))
FRAMEWORK_USER = UserAccess("web.user", "request.user.pk", "request.user.ok", contract=True)


@dataclass(frozen=True)
class StubConventions:
    """A framework that gives every handler ``request.user`` and files methods by class."""

    user_first: bool = False
    key_attributes: tuple[str, ...] = ("pk", "id")

    def current_user(self, handler: Handler, analysis: Analysis) -> UserAccess | None:
        return FRAMEWORK_USER

    def url_value(self, handler: Handler, param: str) -> str | None:
        return f'self.kwargs["{param}"]' if handler.class_name else None

    def implicit_write(self, route: Route) -> str | None:
        return "save_hook" if route.handler.name[:1].isupper() else None

    def filed_under(self, route: Route) -> str:
        return route.handler.class_name or route.handler.qualname

    def login_key(self, point: AuthPoint) -> str | None:
        return f"{point.user_expression}.pk"

    def saved_object(self, route: Route) -> str | None:
        return None

    def own_key(self, route: Route, analysis: Analysis) -> tuple[str, str] | None:
        return None


def route(
    handler: Handler = HANDLER,
    *,
    path: str = "/posts",
    user: UserAccess | None = None,
    typed: tuple[tuple[str, str], ...] = (),
    proven: tuple[str, ...] = (),
) -> Route:
    return Route(
        framework="web",
        path=path,
        methods=("POST",),
        handler=handler,
        owner=None,
        line=handler.line,
        mutating=True,
        evidence=(),
        user_access=user,
        typed=typed,
        proven=proven,
        locals=("post",),
        anchor=Anchor(handler.line + 5, before=False, reason="after the write"),
    )


def analysis(*routes: Route, conventions: Conventions = StubConventions()) -> Analysis:
    return Analysis(
        project=ProjectInfo("", "blog", ("web",), "pip", ()),
        apps=(),
        routes=routes,
        auth_points=(),
        error_handlers=(),
        existing=ExistingPostHog(),
        monitoring=(),
        skipped=(),
        files_scanned=1,
        files_analysed=1,
        framework_conventions=(("web", conventions),),
    )


def test_the_users_the_handler_reads_itself_come_first() -> None:
    own = UserAccess("local", "author.id")
    r = route(user=own)
    assert user_access(r, r.handler, "web", analysis(r)) == own


def test_the_frameworks_user_comes_after_the_projects_helper_unless_it_goes_first() -> None:
    # ``me = get_current_user()``: typed by what the project's helper returns.
    r = route(typed=(("me", "app.auth.get_current_user"),))
    helper = user_access(r, r.handler, "web", analysis(r))
    assert helper == UserAccess("project.current_user", "me.id", None)
    first = analysis(r, conventions=StubConventions(user_first=True))
    assert user_access(r, r.handler, "web", first) == FRAMEWORK_USER


def test_an_unknown_framework_guarantees_nothing() -> None:
    r = route()
    assert user_access(r, r.handler, "elsewhere", analysis(r)) is None
    assert analysis(r).conventions("elsewhere") is PLAIN_CONVENTIONS


def test_a_contract_is_safe_anywhere_and_keeps_its_guard() -> None:
    assert proven_user_id(FRAMEWORK_USER, ()) == ("request.user.pk", "request.user.ok")


def test_any_other_user_id_is_read_only_where_the_handler_read_it() -> None:
    row = UserAccess("web.g", "g.user.id", "g.user")
    assert proven_user_id(row, ()) == (None, None)
    # The handler read g.user["id"]: that chain, not the guessed attribute, is safe.
    assert proven_user_id(row, ("g.user", 'g.user["id"]')) == ('g.user["id"]', "g.user")


def test_a_user_class_without_an_id_gives_the_id_attribute_it_declares() -> None:
    # ``current_user: User = Depends(...)`` where ``User`` keeps its key in ``user_id``.
    access = UserAccess("fastapi.dependency", "current_user.id", None)
    typed = (("current_user", "app.models.User"),)
    users = dataclasses.replace(
        analysis(route()), class_attributes=(("app.models.User", ("user_id", "email")),)
    )
    assert proven_user_id(access, ("current_user",), typed, users) == (
        "current_user.user_id",
        None,
    )
    # Nothing proves the user there, or the class declares no id at all: no id.
    assert proven_user_id(access, (), typed, users) == (None, None)
    emails = dataclasses.replace(users, class_attributes=(("app.models.User", ("email",)),))
    assert proven_user_id(access, ("current_user",), typed, emails) == (None, None)


@pytest.mark.parametrize(
    ("expression", "proven", "safe"),
    [
        ("post.id", ("post", "post.id"), True),
        ("post.id", ("post",), False),  # post exists; nothing says it has an id
        ("token.id", ("token",), False),
    ],
)
def test_provable_needs_the_chain_itself(
    expression: str, proven: tuple[str, ...], safe: bool
) -> None:
    assert provable(expression, Proof.of(proven)) is safe


def test_a_method_of_a_class_view_is_filed_under_its_class() -> None:
    method = Handler("app.views", "app/views.py", "PostCreate.save_hook", 30, 40, 30)
    r = route(method)
    a = analysis(r)
    assert plan_handler(r, a) == "PostCreate"
    plan = build_plan(a, client_module="app/posthog_client.py")
    assert [e.handler for e in plan.events] == ["PostCreate"]
    assert RouteIndex(a).find(plan.events[0]) == r


def test_url_values_and_key_attributes_come_from_the_conventions() -> None:
    method = Handler("app.views", "app/views.py", "PostUpdate.post", 30, 40, 30)
    r = route(method, path="/posts/<int:pk>", proven=("post", "post.pk"))
    plan = build_plan(analysis(r), client_module="app/posthog_client.py")
    (event,) = plan.events
    assert [(p.name, p.value) for p in event.properties] == [("post_id", 'self.kwargs["pk"]')]
    assert event.distinct_id == "request.user.pk"


def test_a_path_resource_spelled_as_one_word_is_the_events_noun() -> None:
    # ``/blogpost/<int:pk>`` keys the BlogPost the event is about: one blog_post_id, not a
    # blogpost_id beside it.
    method = Handler("app.views", "app/views.py", "BlogPostUpdate.post", 30, 40, 30)
    r = route(
        method,
        path="/blogpost/<int:pk>/update",
        typed=(("blog_post", "app.models.BlogPost"),),
        proven=("blog_post", "blog_post.pk"),
    )
    r = dataclasses.replace(r, written=("BlogPost",))
    (event,) = build_plan(analysis(r), client_module="app/posthog_client.py").events
    assert (event.event, [(p.name, p.value) for p in event.properties]) == (
        "blog_post_updated",
        [("blog_post_id", 'self.kwargs["pk"]')],
    )


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        # a short id named by the resource's first letters keys that resource
        ("/posts/<slug>/comments/<cid>", [("slug", "slug"), ("comment_id", "cid")]),
        ("/posts/<int:pid>", [("post_id", "pid")]),
        # letters that do not start the resource's name say nothing: kept as they are
        ("/posts/<int:xid>", [("xid", "xid")]),
        # the resource's own name (a bid of an auction), no abbreviation
        ("/bids/<int:bid>", [("bid", "bid")]),
        # a short pk as a short id; one that keys nothing the path names keeps its name
        ("/forums/<int:fpk>", [("forum_id", "fpk")]),
        ("/<int:spk>/remove", [("spk", "spk")]),
    ],
)
def test_a_short_id_after_a_resource_is_that_resources_id(
    path: str, sent: list[tuple[str, str]]
) -> None:
    deleting = Handler(
        "app.views",
        "app/views.py",
        "remove",
        10,
        20,
        9,
        params=("slug", "cid", "pid", "xid", "bid", "fpk", "spk"),
    )
    r = dataclasses.replace(route(deleting, path=path), methods=("DELETE",))
    (event,) = build_plan(analysis(r), client_module="app/posthog_client.py").events
    assert [(p.name, p.value) for p in event.properties] == sent


def test_an_instance_of_the_events_class_gives_its_key_under_any_name() -> None:
    # ``posted = Post.objects.create(...)``: the post's key, read where it is proven.
    created = route(typed=(("posted", "app.models.Post"),), proven=("posted", "posted.pk"))
    (event,) = build_plan(analysis(created), client_module="app/posthog_client.py").events
    assert (event.event, [(p.name, p.value) for p in event.properties]) == (
        "post_created",
        [("post_id", "posted.pk")],
    )
    # Not proven readable there: left out, never guessed.
    unproven = route(typed=(("posted", "app.models.Post"),), proven=("posted",))
    (event,) = build_plan(analysis(unproven), client_module="app/posthog_client.py").events
    assert event.properties == ()


def test_a_deleted_objects_key_is_no_property() -> None:
    deleting = Handler("app.views", "app/views.py", "delete_post", 10, 20, 9, params=("request",))
    r = dataclasses.replace(
        route(deleting, typed=(("doomed", "app.models.Post"),), proven=("doomed", "doomed.pk")),
        methods=("DELETE",),
    )
    (event,) = build_plan(analysis(r), client_module="app/posthog_client.py").events
    assert (event.event, event.properties) == ("post_deleted", ())


@pytest.mark.parametrize(
    ("path", "annotations", "sent"),
    [
        ("/confirm/<data>", (), ()),
        ("/reset_password/<data>", (), ()),
        ("/invitations/{code}/accept", (), ()),
        ("/teams/{team_id}/invitations/{invitation_id}", (), ("team_id", "invitation_id")),
        ("/activate/<uidb64>/", (), ()),
        ("/invitations/<int:invitation_id>/accept", (), ("invitation_id",)),
        ("/posts/<slug>/comments", (), ("slug",)),
        ("/posts/{post_id}", (("post_id", "int"),), ("post_id",)),
        # Named as a signed or coded value, on any path.
        ("/accounts/change_email/<signed_payload>/", (), ()),
        ("/ping/<uuid:code>/", (), ()),
        ("/shares/<share_hash>/comments", (), ()),
        ("/reset/<reset_code>", (), ()),
        # Data, not secrets: a setting's name, a country.
        ("/configs/<config_key>", (), ("config_key",)),
        ("/countries/<country_code>/cities", (), ("country_code",)),
    ],
)
def test_what_a_one_time_links_path_carries_is_never_sent(
    path: str, annotations: tuple[tuple[str, str], ...], sent: tuple[str, ...]
) -> None:
    params = tuple(p.strip("<>{}").rsplit(":", 1)[-1] for p in path.split("/") if p[:1] in "<{")
    handler = dataclasses.replace(HANDLER, params=("request", *params), annotations=annotations)
    (event,) = build_plan(analysis(route(handler, path=path)), client_module="c.py").events
    assert tuple(p.name for p in event.properties) == sent


def test_a_handler_several_routes_serve_sends_one_event_under_one_name() -> None:
    """One body, one capture: ``/checks/<key>`` and ``/checks/<key>/start`` served by the
    same function take the name the first route has, not one each."""
    ping = Handler("app.views", "app/views.py", "ping", 10, 20, 9, params=("request", "key"))
    first = route(ping, path="/checks/<key>")
    second = route(ping, path="/checks/<key>/start")
    plan = build_plan(analysis(first, second), client_module="app/posthog_client.py")
    assert {e.event for e in plan.events} == {event_name(first, "snake_case")}
    assert event_name(second, "snake_case") != event_name(first, "snake_case")


ANONYMOUS_ONLY = """\
from flask import Flask, redirect, request
from flask_login import LoginManager, UserMixin, current_user
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)
login_manager = LoginManager(app)


class User(UserMixin, db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String)
    password = db.Column(db.String)


@app.post("/reset/<token>")
def reset(token):
    if current_user.is_authenticated:
        return redirect("/")
    user = User.query.filter_by(email=request.form["email"]).first()
    if user is None:
        return redirect("/reset")
    user.password = request.form["password"]
    db.session.commit()
    return redirect("/login")


@app.post("/notes/<int:note_id>/close")
def close(note_id):
    note = Note.query.get(note_id)
    note.closed = True
    db.session.commit()
    return redirect("/")
"""


def test_a_route_only_visitors_reach_sends_the_user_it_changed_not_the_current_user() -> None:
    import textwrap

    from posthog_setup.codemods.placement import build_points
    from tests.analysers import analyse_sources

    analysis = analyse_sources({"app.py": textwrap.dedent(ANONYMOUS_ONLY)})
    plan = build_plan(analysis, client_module="c.py")
    ids = {e.handler: e.distinct_id for e in plan.events}
    # Past ``if current_user.is_authenticated: return``, nobody is logged in: the person
    # is the user whose password was reset.
    assert ids["reset"] == "user.id"
    reset = next(e for e in plan.events if e.handler == "reset")
    assert "user_id" not in {p.name for p in reset.properties}
    # Elsewhere the logged-in user, by the library's contract.
    assert ids["close"] == "current_user.get_id()"
    points = {p.handler: p for p in build_points(analysis, plan)["app.py"].captures}
    assert (points["reset"].distinct_id, points["reset"].guard) == ("user.id", None)


def test_a_class_a_package_re_exports_has_its_attributes() -> None:
    # ``from app.models import User`` of ``app/models/user.py``, through ``from .user import *``.
    users = dataclasses.replace(
        analysis(route()), class_attributes=(("app.models.user.User", ("id", "email")),)
    )
    assert users.attributes_of("app.models.User") == {"id", "email"}
    assert users.attributes_of("app.models.User?") == {"id", "email", "?"}
    # Another package's, or a name two classes share: not known.
    assert users.attributes_of("billing.User") == frozenset()
    two = dataclasses.replace(
        users,
        class_attributes=(*users.class_attributes, ("app.models.legacy.User", ("pk",))),
    )
    assert two.attributes_of("app.models.User") == frozenset()


@pytest.mark.parametrize(
    ("lookup_keys", "sent"),
    [
        # what the handler looks up by the key names it, not the path's segment before it
        ((("pk", "app.models.ShelfSlot"),), [("shelf_slot_id", "pk")]),
        # a model named in the plural is one of them
        ((("pk", "app.models.Crates"),), [("crate_id", "pk")]),
        ((), [("shelf_id", "pk")]),
    ],
)
def test_a_key_is_named_by_the_model_the_handler_looks_up_by_it(
    lookup_keys: tuple[tuple[str, str], ...], sent: list[tuple[str, str]]
) -> None:
    restocking = Handler("app.views", "app/views.py", "restock", 10, 20, 9, params=("pk",))
    r = dataclasses.replace(
        route(restocking, path="/shelf/<int:pk>/restock"), lookup_keys=lookup_keys
    )
    (event,) = build_plan(analysis(r), client_module="app/posthog_client.py").events
    assert [(p.name, p.value) for p in event.properties] == sent


VISITOR_LOGIN = {
    "settings.py": """
ROOT_URLCONF = "urls"
INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "desk"]
""",
    "urls.py": """
from django.urls import path

from desk.views import LoginAPIView

urlpatterns = [path("api/login/", LoginAPIView.as_view())]
""",
    "desk/__init__.py": "",
    "desk/views.py": """
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from desk.serializers import LoginSerializer


class LoginAPIView(APIView):
    permission_classes = (AllowAny,)

    def post(self, request):
        credentials = LoginSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        return Response(credentials.data)
""",
    "desk/serializers.py": """
from django.contrib.auth import authenticate
from rest_framework import serializers


class LoginSerializer(serializers.Serializer):
    handle = serializers.CharField()

    def validate(self, data):
        if authenticate(username=data["handle"], password=data["secret"]) is None:
            raise serializers.ValidationError("no")
        return {"token": "t"}
""",
}


def test_a_login_the_analysis_saw_no_user_of_is_sent_as_nobody_in_the_plan_and_the_code() -> None:
    """The request's user at a login is the visitor before it, never who logged in: a
    login whose user the analysis never saw is sent as nobody, by the plan and the edit."""
    import textwrap

    from posthog_setup.codemods.placement import build_points
    from tests.analysers import analyse_sources

    analysis = analyse_sources({f: textwrap.dedent(t) for f, t in VISITOR_LOGIN.items()})
    plan = build_plan(analysis, client_module="c.py")
    assert [(e.event, e.distinct_id) for e in plan.events] == [("user_logged_in", None)]
    (point,) = build_points(analysis, plan)["desk/views.py"].captures
    assert (point.event, point.distinct_id, point.guard) == ("user_logged_in", None, None)


@pytest.mark.parametrize("param", ["fax", "mobile", "telephone", "home_fax"])
def test_a_phone_number_in_the_path_is_never_a_property(param: str) -> None:
    setting = Handler("app.views", "app/views.py", "set_number", 10, 20, 9, params=(param,))
    r = dataclasses.replace(route(setting, path=f"/me/numbers/<{param}>"), methods=("PUT",))
    (event,) = build_plan(analysis(r), client_module="app/posthog_client.py").events
    assert event.properties == ()


@pytest.mark.parametrize(("deleted", "sent"), [(False, True), (True, False)])
def test_the_key_of_an_object_the_handler_deleted_is_never_sent(deleted: bool, sent: bool) -> None:
    """``pin.delete()`` before the capture: Django sets the key to None, so ``pin.pk``
    would always send None."""
    confirming = Handler("app.views", "app/views.py", "confirm_join", 10, 20, 9, params=())
    proven = ("pin", "pin.pk", *(("pin.delete()",) if deleted else ()))
    r = route(confirming, path="/join/confirm", typed=(("pin", "app.models.Pin"),), proven=proven)
    (event,) = build_plan(analysis(r), client_module="app/posthog_client.py").events
    assert ("pin_id" in {p.name for p in event.properties}) is sent
