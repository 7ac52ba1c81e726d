"""The Django and DRF analyser: from small multi-file projects to the django_shop fixture."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from posthog_setup.analysis.engine import analyse_text, for_project, link
from posthog_setup.analysis.model import Analysis, ModuleFacts, Route
from posthog_setup.frameworks.django.analysis import analyser
from posthog_setup.plan.naming import event_name
from posthog_setup.plan.plan import build_plan
from posthog_setup.project.discovery import project_files

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "django_shop"


def analyse_django_sources(sources: Mapping[str, str]) -> Analysis:
    """Analyse files given as relative posix path -> source, with the Django analyser only."""
    # As the engine does: the analyser first reads the project's models modules.
    configured, _ = for_project((analyser,), sorted(sources), sources.get)
    results = [analyse_text(file, sources[file], configured) for file in sorted(sources)]
    return link(None, results, configured)


def analyse_django_project(root: Path) -> Analysis:
    """Analyse a project on disk, walked the way begin walks it, with the Django analyser only."""
    files = project_files(root)
    return analyse_django_sources({f: (root / f).read_text(encoding="utf-8") for f in files})


SETTINGS = 'ROOT_URLCONF = "proj.urls"\nINSTALLED_APPS = ["rest_framework", "blog"]\n'

#: (path, methods, "module:qualname", mutating)
RouteRow = tuple[str, tuple[str, ...], str, bool]


def route_rows(analysis: Analysis) -> list[RouteRow]:
    return [
        (r.path, r.methods, f"{r.handler.module}:{r.handler.qualname}", r.mutating)
        for r in analysis.routes
    ]


def django_project(root_urls: str, **modules: str) -> Analysis:
    """proj/settings.py + proj/urls.py + ``blog/<name>.py`` for each keyword."""
    sources = {"proj/__init__.py": "", "proj/settings.py": SETTINGS, "proj/urls.py": root_urls}
    sources["blog/__init__.py"] = ""
    for name, source in modules.items():
        sources[f"blog/{name}.py"] = source
    return analyse_django_sources(sources)


FUNCTION_VIEWS = """
from django.shortcuts import render, redirect
from django.views.decorators.http import require_POST, require_http_methods

from .models import Post


def post_list(request):
    return render(request, "list.html", {"posts": Post.objects.all()})


@require_POST
def post_like(request, pk):
    Post.objects.filter(pk=pk).update(likes=1)
    return redirect("/")


@require_http_methods(["GET", "DELETE"])
def post_remove(request, pk):
    return redirect("/")
"""


# -- urlpatterns forms ------------------------------------------------------------------


def test_path_binds_function_views_through_a_module_import() -> None:
    urls = """
from django.urls import path
from blog import views

urlpatterns = [
    path("posts/", views.post_list, name="post-list"),
    path("posts/<int:pk>/like/", views.post_like),
    path("posts/<int:pk>/", views.post_remove),
]
"""
    analysis = django_project(urls, views=FUNCTION_VIEWS)
    assert route_rows(analysis) == [
        ("/posts/", ("GET", "POST"), "blog.views:post_list", False),
        ("/posts/<int:pk>/like/", ("POST",), "blog.views:post_like", True),
        ("/posts/<int:pk>/", ("GET", "DELETE"), "blog.views:post_remove", True),
    ]
    assert analysis.routes[0].name == "post-list"
    assert analysis.routes[1].path_params == ("pk",)


def test_an_aliased_path_is_still_path() -> None:
    urls = """
from django.urls import path as p
from blog.views import post_list

urlpatterns = [p("posts/", post_list)]
"""
    assert route_rows(django_project(urls, views=FUNCTION_VIEWS)) == [
        ("/posts/", ("GET", "POST"), "blog.views:post_list", False)
    ]


@pytest.mark.parametrize(
    "urls",
    [
        pytest.param(
            """
from blog.views import post_list

def path(route, view):
    return (route, view)

urlpatterns = [path("posts/", post_list)]
""",
            id="local-function-named-path",
        ),
        pytest.param(
            """
from django.urls import path
from blog.views import post_list

path = lambda route, view: (route, view)

urlpatterns = [path("posts/", post_list)]
""",
            id="shadowed-import",
        ),
        pytest.param(
            """
from django.urls import path
from blog.views import post_list

urlpatterns = [
    # path("posts/", post_list),
]
""",
            id="commented-out",
        ),
        pytest.param(
            """
from django.urls import path
from blog.views import post_list

patterns = [path("posts/", post_list)]
""",
            id="list-not-named-urlpatterns",
        ),
        pytest.param(
            """
from django.urls import path
from elsewhere import post_list

urlpatterns = [path("posts/", post_list)]
""",
            id="view-outside-the-project",
        ),
    ],
)
def test_patterns_that_are_not_django_routes(urls: str) -> None:
    assert django_project(urls, views=FUNCTION_VIEWS).routes == ()


def test_re_path_and_legacy_url_become_readable_paths() -> None:
    urls = r"""
from django.conf.urls import url
from django.urls import re_path
from blog import views

urlpatterns = [
    re_path(r"^posts/(?P<pk>\d+)/like/$", views.post_like),
    url(r"^archive/$", views.post_list),
]
"""
    analysis = django_project(urls, views=FUNCTION_VIEWS)
    assert route_rows(analysis) == [
        ("/posts/<pk>/like/", ("POST",), "blog.views:post_like", True),
        ("/archive/", ("GET", "POST"), "blog.views:post_list", False),
    ]
    assert analysis.routes[0].path_params == ("pk",)


def test_legacy_url_and_re_path_by_keyword() -> None:
    urls = r"""
from django.conf.urls import url
from django.urls import path, re_path
from blog import views

urlpatterns = [
    url(regex=r"^posts/(?P<pk>\d+)/like/$", view=views.post_like, name="like"),
    re_path(route=r"^archive/$", view=views.post_list),
    path(route="all/", view=views.post_list),
]
"""
    analysis = django_project(urls, views=FUNCTION_VIEWS)
    assert route_rows(analysis) == [
        ("/posts/<pk>/like/", ("POST",), "blog.views:post_like", True),
        ("/archive/", ("GET", "POST"), "blog.views:post_list", False),
        ("/all/", ("GET", "POST"), "blog.views:post_list", False),
    ]
    assert analysis.routes[0].name == "like"


def test_include_chains_concatenate_prefixes_across_modules() -> None:
    urls = """
from django.urls import include, path, re_path

urlpatterns = [
    path("blog/", include("blog.urls")),
    re_path(r"^v1/", include("blog.urls")),
]
"""
    blog_urls = """
from django.urls import include, path
from . import views

app_name = "blog"
urlpatterns = [
    path("", views.post_list),
    path("manage/", include("blog.manage_urls")),
]
"""
    manage_urls = """
from django.urls import path
from .views import post_like

urlpatterns = [path("<int:pk>/like/", post_like)]
"""
    analysis = django_project(urls, urls=blog_urls, manage_urls=manage_urls, views=FUNCTION_VIEWS)
    assert [(r.path, r.handler.qualname) for r in analysis.routes] == [
        ("/blog/", "post_list"),
        ("/blog/manage/<int:pk>/like/", "post_like"),
        ("/v1/", "post_list"),
        ("/v1/manage/<int:pk>/like/", "post_like"),
    ]
    assert {r.owner for r in analysis.routes} == {"blog.urls", "blog.manage_urls"}


def test_include_of_a_local_list_a_namespace_tuple_and_concatenation() -> None:
    urls = """
from django.urls import include, path
from blog import views

post_patterns = [path("<int:pk>/like/", views.post_like)]
admin_patterns = [path("remove/<int:pk>/", views.post_remove)]

urlpatterns = [path("posts/", include(post_patterns))]
urlpatterns += [path("admin/", include((admin_patterns, "admin")))]
urlpatterns = urlpatterns + [path("all/", views.post_list)]
urlpatterns.append(path("again/", views.post_list))
"""
    assert [r.path for r in django_project(urls, views=FUNCTION_VIEWS).routes] == [
        "/posts/<int:pk>/like/",
        "/admin/remove/<int:pk>/",
        "/all/",
        "/again/",
    ]


URLS_HEAD = """
from django.conf import settings
from django.urls import include, path
from blog import views

urlpatterns = [path("posts/", views.post_list)]
"""


@pytest.mark.parametrize(
    ("tail", "paths"),
    [
        pytest.param(
            'urlpatterns = [path("", include((urlpatterns, "blog")))]\n'
            "if settings.SITE_PREFIX:\n"
            "    urlpatterns = [path(settings.SITE_PREFIX, include(urlpatterns))]\n",
            ["/posts/"],
            id="setting-prefix-in-an-if",
        ),
        pytest.param(
            "urlpatterns = [path(settings.SITE_PREFIX, include((urlpatterns, 'blog')))]\n",
            ["/posts/"],
            id="setting-prefix-namespace-tuple",
        ),
        pytest.param(
            'if settings.UNDER_APP:\n    urlpatterns = [path("app/", include(urlpatterns))]\n',
            ["/app/posts/"],
            id="literal-prefix-in-an-if",
        ),
        pytest.param(
            "if settings.UNDER_APP:\n"
            '    urlpatterns = [path("app/", include(urlpatterns))]\n'
            "else:\n"
            '    urlpatterns = [path("site/", include((urlpatterns, "blog")))]\n'
            '    urlpatterns.append(path("remove/<int:pk>/", views.post_remove))\n',
            ["/app/posts/", "/remove/<int:pk>/"],
            id="each-branch-wraps-the-list-before-the-if",
        ),
        pytest.param(
            "if settings.FLAT:\n"
            "    pass\n"
            "else:\n"
            '    urlpatterns = [path("app/", include(urlpatterns))]\n',
            ["/app/posts/"],
            id="literal-prefix-in-an-else",
        ),
    ],
)
def test_urlpatterns_rewrapped_under_a_prefix_keep_their_routes(
    tail: str, paths: list[str]
) -> None:
    routes = django_project(URLS_HEAD + tail, views=FUNCTION_VIEWS).routes
    assert [r.path for r in routes] == paths
    assert {r.handler.qualname for r in routes} <= {"post_list", "post_remove"}


@pytest.mark.parametrize(
    ("tail", "paths"),
    [
        pytest.param(
            "if settings.DEBUG:\n"
            '    urlpatterns += [path("like/<int:pk>/", views.post_like)]\n'
            "else:\n"
            '    urlpatterns.append(path("remove/<int:pk>/", views.post_remove))\n',
            ["/posts/", "/like/<int:pk>/", "/remove/<int:pk>/"],
            id="added-in-if-and-else",
        ),
        pytest.param(
            "if settings.DEBUG:\n"
            "    if settings.LIKES:\n"
            '        urlpatterns.extend([path("like/<int:pk>/", views.post_like)])\n'
            'urlpatterns.append(path("remove/<int:pk>/", views.post_remove))\n',
            ["/posts/", "/like/<int:pk>/", "/remove/<int:pk>/"],
            id="nested-if-then-after",
        ),
        pytest.param(
            "try:\n"
            "    import debug_toolbar\n"
            "except ImportError:\n"
            "    pass\n"
            "else:\n"
            '    urlpatterns += [path("like/<int:pk>/", views.post_like)]\n',
            ["/posts/", "/like/<int:pk>/"],
            id="try-else",
        ),
    ],
)
def test_urlpatterns_added_to_under_if_and_try(tail: str, paths: list[str]) -> None:
    assert [r.path for r in django_project(URLS_HEAD + tail, views=FUNCTION_VIEWS).routes] == paths


@pytest.mark.parametrize(
    ("urls", "paths"),
    [
        pytest.param(
            "from django.urls import path\n"
            "from rest_framework.urlpatterns import format_suffix_patterns\n"
            "from blog import views\n"
            'urlpatterns = [path("posts/", views.post_list)]\n'
            "urlpatterns = format_suffix_patterns(urlpatterns)\n",
            ["/posts/"],
            id="format-suffix-patterns",
        ),
        pytest.param(
            "from django.conf.urls.i18n import i18n_patterns\n"
            "from django.urls import path\n"
            "from blog import views\n"
            'liked = [path("like/<int:pk>/", views.post_like)]\n'
            'urlpatterns = [path("posts/", views.post_list)]\n'
            "urlpatterns += i18n_patterns(\n"
            '    path("remove/<int:pk>/", views.post_remove), *liked, prefix_default_language=False\n'
            ")\n",
            ["/posts/", "/remove/<int:pk>/", "/like/<int:pk>/"],
            id="i18n-patterns",
        ),
        pytest.param(
            "from django.urls import path\n"
            "from blog import views\n"
            'liked = [path("like/<int:pk>/", views.post_like)]\n'
            'urlpatterns = [*liked, path("posts/", views.post_list)]\n',
            ["/like/<int:pk>/", "/posts/"],
            id="spread-list",
        ),
        pytest.param(
            "from django.urls import path\n"
            "from blog import views\n"
            "def format_suffix_patterns(patterns):\n"
            "    return []\n"
            'urlpatterns = format_suffix_patterns([path("posts/", views.post_list)])\n',
            [],
            id="a-function-of-the-same-name",
        ),
    ],
)
def test_lists_handed_back_under_a_suffix_or_language_prefix(urls: str, paths: list[str]) -> None:
    assert [r.path for r in django_project(urls, views=FUNCTION_VIEWS).routes] == paths


def test_include_cycles_and_third_party_includes_end_quietly() -> None:
    urls = """
from django.contrib import admin
from django.urls import include, path
from blog import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("loop/", include("proj.urls")),
    path("debug/", include("debug_toolbar.urls")),
    path("posts/", views.post_list),
]
"""
    assert [r.path for r in django_project(urls, views=FUNCTION_VIEWS).routes] == ["/posts/"]


def test_without_root_urlconf_every_urls_module_nobody_includes_is_a_root() -> None:
    sources = {
        "site/urls.py": (
            "from django.urls import include, path\n"
            'urlpatterns = [path("blog/", include("blog.urls"))]\n'
        ),
        "blog/urls.py": (
            "from django.urls import path\nfrom . import views\n"
            'urlpatterns = [path("", views.post_list)]\n'
        ),
        "blog/views.py": FUNCTION_VIEWS,
    }
    analysis = analyse_django_sources(sources)
    assert [r.path for r in analysis.routes] == ["/blog/"]


def test_wrapped_views_are_unwrapped() -> None:
    urls = """
from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.decorators.cache import cache_page
from blog import views

urlpatterns = [
    path("a/", login_required(views.post_like)),
    path("b/", cache_page(60)(views.post_list)),
]
"""
    assert [r.handler.qualname for r in django_project(urls, views=FUNCTION_VIEWS).routes] == [
        "post_like",
        "post_list",
    ]


# -- function views ---------------------------------------------------------------------


def test_function_view_methods_come_from_decorators_or_method_branches() -> None:
    views = """
from django.shortcuts import render
from rest_framework.decorators import api_view
from rest_framework.response import Response

from .models import Comment


def comment(request):
    if request.method == "POST":
        Comment.objects.create(body=request.POST["body"])
    return render(request, "comment.html")


def preview(request):
    if request.method == "POST":
        text = request.POST["body"]
        return render(request, "preview.html", {"text": text})
    return render(request, "preview.html")


@api_view(["POST"])
def api_comment(request):
    comment = Comment(body=request.data["body"])
    comment.save()
    return Response(status=201)


@api_view()
def api_ping(request):
    return Response({"ok": True})
"""
    urls = """
from django.urls import path
from blog import views

urlpatterns = [
    path("comment/", views.comment),
    path("preview/", views.preview),
    path("api/comment/", views.api_comment),
    path("api/ping/", views.api_ping),
]
"""
    analysis = django_project(urls, views=views)
    assert route_rows(analysis) == [
        ("/comment/", ("GET", "POST"), "blog.views:comment", True),
        ("/preview/", ("GET", "POST"), "blog.views:preview", False),
        ("/api/comment/", ("POST",), "blog.views:api_comment", True),
        ("/api/ping/", ("GET",), "blog.views:api_ping", False),
    ]
    assert [r.view_kind for r in analysis.routes] == [
        "function",
        "function",
        "api_view",
        "api_view",
    ]


def test_a_post_that_only_searches_is_not_a_change() -> None:
    views = """
from django.shortcuts import render
from django.views.decorators.http import require_POST

from .models import Post


@require_POST
def search(request):
    return render(request, "list.html", {"posts": Post.objects.filter(title=request.POST["q"])})
"""
    urls = 'from django.urls import path\nfrom blog import views\nurlpatterns = [path("s/", views.search)]\n'
    route = django_project(urls, views=views).routes[0]
    assert (route.methods, route.mutating) == (("POST",), False)
    assert [e.kind for e in route.evidence] == ["method", "read-only"]


def test_user_access_uses_the_first_parameter_whatever_its_name() -> None:
    views = """
from django.shortcuts import redirect

def bookmark(req, pk):
    req.user.bookmarks.add(pk)
    return redirect("/")

def anonymous(request):
    return redirect("/")
"""
    urls = """
from django.urls import path
from blog import views

urlpatterns = [path("b/<int:pk>/", views.bookmark), path("a/", views.anonymous)]
"""
    routes = django_project(urls, views=views).routes
    access = routes[0].user_access
    assert access is not None
    assert (access.kind, access.id_expression, access.guard) == (
        "django.request.user",
        "req.user.pk",
        "req.user.is_authenticated",
    )
    assert routes[1].user_access is None


# -- class-based views ------------------------------------------------------------------


CLASS_VIEWS = """
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.views import View
from django.views.generic import CreateView, DeleteView, DetailView, FormView, ListView, UpdateView

from .models import Post


class PostActions(View):
    def get(self, request, pk):
        return HttpResponse("post")

    def post(self, request, pk):
        post = Post.objects.get(pk=pk, author=self.request.user)
        post.save()
        return HttpResponse("saved")


class PostCreate(LoginRequiredMixin, CreateView):
    model = Post
    fields = ["title"]

    def form_valid(self, form):
        form.instance.author = self.request.user
        return super().form_valid(form)


class PostUpdate(UpdateView):
    queryset = Post.objects.filter(published=True)


class PostDelete(DeleteView):
    model = Post


class PostList(ListView):
    model = Post


class PostDetail(DetailView):
    model = Post


class ContactForm(FormView):
    def form_valid(self, form):
        form.send_mail()
        return super().form_valid(form)


class LooksLikeAView:
    def post(self, request):
        Post.objects.create(title="x")
"""

CLASS_URLS = """
from django.urls import path
from blog import views

urlpatterns = [
    path("posts/<int:pk>/actions/", views.PostActions.as_view()),
    path("posts/new/", views.PostCreate.as_view()),
    path("posts/<int:pk>/edit/", views.PostUpdate.as_view()),
    path("posts/<int:pk>/delete/", views.PostDelete.as_view()),
    path("posts/", views.PostList.as_view()),
    path("posts/<int:pk>/", views.PostDetail.as_view()),
    path("contact/", views.ContactForm.as_view()),
    path("fake/", views.LooksLikeAView.as_view()),
]
"""


def test_class_based_views_give_one_route_per_method_or_generic_action() -> None:
    analysis = django_project(CLASS_URLS, views=CLASS_VIEWS)
    assert [
        (*row, r.action, r.view_kind)
        for row, r in zip(route_rows(analysis), analysis.routes, strict=True)
    ] == [
        ("/posts/<int:pk>/actions/", ("GET",), "blog.views:PostActions.get", False, "get", "View"),
        (
            "/posts/<int:pk>/actions/",
            ("POST",),
            "blog.views:PostActions.post",
            True,
            "post",
            "View",
        ),
        (
            "/posts/new/",
            ("GET", "POST"),
            "blog.views:PostCreate.form_valid",
            True,
            "create",
            "CreateView",
        ),
        (
            "/posts/<int:pk>/edit/",
            ("GET", "POST"),
            "blog.views:PostUpdate",
            True,
            "update",
            "UpdateView",
        ),
        (
            "/posts/<int:pk>/delete/",
            ("GET", "POST"),
            "blog.views:PostDelete",
            True,
            "delete",
            "DeleteView",
        ),
        ("/posts/", ("GET",), "blog.views:PostList", False, "get", "ListView"),
        ("/posts/<int:pk>/", ("GET",), "blog.views:PostDetail", False, "get", "DetailView"),
        (
            "/contact/",
            ("GET", "POST"),
            "blog.views:ContactForm.form_valid",
            True,
            "submit",
            "FormView",
        ),
    ]
    create = analysis.routes[2]
    assert create.evidence[0].kind == "implicit"
    assert create.evidence[0].detail == "CreateView saves the form"
    access = create.user_access
    assert access is not None
    assert access.id_expression == "self.request.user.pk"


def test_view_classes_record_their_model() -> None:
    facts = _facts("blog/views.py", CLASS_VIEWS)
    models = {v.qualname: v.model for v in facts.django_views}
    assert models["PostCreate"] == "blog.models.Post"
    assert models["PostUpdate"] == "blog.models.Post"
    assert "LooksLikeAView" not in models


def test_project_base_classes_in_another_module_are_resolved() -> None:
    base = """
from django.views.generic import CreateView


class AuditedCreateView(CreateView):
    def form_valid(self, form):
        response = super().form_valid(form)
        form.instance.log_creation(self.request.user)
        return response
"""
    views = """
from .base import AuditedCreateView
from .models import Post


class PostCreate(AuditedCreateView):
    model = Post
"""
    urls = 'from django.urls import path\nfrom blog.views import PostCreate\nurlpatterns = [path("new/", PostCreate.as_view())]\n'
    analysis = django_project(urls, views=views, base=base)
    (route,) = analysis.routes
    # The base's form_valid writes for every subclass: the route is the subclass's own, with
    # the base's write as its evidence (the edit adds form_valid to PostCreate).
    assert (route.handler.module, route.handler.qualname, route.mutating, route.view_kind) == (
        "blog.views",
        "PostCreate",
        True,
        "CreateView",
    )
    assert any("save" in e.detail or "log_creation" in e.detail for e in route.evidence)
    # The routes of a class know what it writes (for naming), inherited or its own.
    assert route.model == "blog.models.Post"


def test_class_view_routes_carry_their_model_else_their_form() -> None:
    views = """
from django.views.generic import CreateView, DeleteView

from .forms import QuestionForm
from .models import Post


class PostDelete(DeleteView):
    model = Post


class AskQuestion(CreateView):
    form_class = QuestionForm


class SpecialDelete(PostDelete):
    pass
"""
    urls = """
from django.urls import path
from blog import views

urlpatterns = [
    path("posts/<int:pk>/delete/", views.PostDelete.as_view()),
    path("ask/", views.AskQuestion.as_view()),
    path("special/<int:pk>/", views.SpecialDelete.as_view()),
]
"""
    analysis = django_project(urls, views=views)
    assert {r.path: r.model for r in analysis.routes} == {
        "/posts/<int:pk>/delete/": "blog.models.Post",
        "/ask/": "blog.forms.QuestionForm",
        "/special/<int:pk>/": "blog.models.Post",
    }


def test_a_model_named_through_its_module_is_the_models_class() -> None:
    # ``from blog import models`` then ``model = models.Post``: a Post, not "models".
    views = """
from django.contrib.auth import get_user_model
from django.views.generic import CreateView

from blog import models


class PostAdd(CreateView):
    model = models.Post


class UserAdd(CreateView):
    model = get_user_model()
"""
    urls = """
from django.urls import path
from blog import views

urlpatterns = [path("posts/add/", views.PostAdd.as_view()), path("users/add/", views.UserAdd.as_view())]
"""
    analysis = django_project(urls, views=views)
    assert {r.path: r.model for r in analysis.routes} == {
        "/posts/add/": "blog.models.Post",
        "/users/add/": "django.contrib.auth.get_user_model",
    }
    assert sorted(event_name(r) for r in analysis.routes) == ["post_created", "user_created"]


def test_a_model_forms_route_carries_the_model_its_meta_names() -> None:
    # ``UserInformationUpdateForm`` writes a user: its Meta says so.
    forms = """
from django import forms
from django.contrib.auth.models import User


class UserInformationUpdateForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("first_name", "email")
"""
    views = """
from django.views.generic import UpdateView

from .forms import UserInformationUpdateForm


class AccountUpdate(UpdateView):
    form_class = UserInformationUpdateForm

    def get_object(self):
        return self.request.user
"""
    urls = """
from django.urls import path
from blog import views

urlpatterns = [path("settings/account/", views.AccountUpdate.as_view())]
"""
    analysis = django_project(urls, views=views, forms=forms)
    assert [r.model for r in analysis.routes] == ["django.contrib.auth.models.User"]
    assert [event_name(r) for r in analysis.routes] == ["user_updated"]
    # Under /settings/emails/ the same view changes the account's email: no "email_id"
    # of the user's own row goes with it.
    emails = django_project(
        urls.replace("settings/account/", "settings/emails/"), views=views, forms=forms
    )
    (event,) = build_plan(emails, client_module="proj/posthog_client.py").events
    assert (event.event, [p.name for p in event.properties]) == ("email_updated", [])


# -- DRF --------------------------------------------------------------------------------


DRF_VIEWS = """
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Post
from .serializers import PostSerializer


class PostViewSet(viewsets.ModelViewSet):
    queryset = Post.objects.all()
    serializer_class = PostSerializer

    def perform_create(self, serializer):
        serializer.save(author=self.request.user)

    @action(detail=True, methods=["post"], url_path="publish-now")
    def publish(self, request, pk=None):
        post = self.get_object()
        post.published = True
        post.save()
        return Response({"ok": True})

    @action(detail=False)
    def drafts(self, request):
        return Response([])


class TagViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Post.objects.none()
    lookup_field = "slug"


class CommentViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    pass


class PostStats(APIView):
    def get(self, request):
        return Response({})


class PreviewPost(APIView):
    def post(self, request):
        serializer = PostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.data)


class PostListCreate(generics.ListCreateAPIView):
    queryset = Post.objects.all()
"""

DRF_URLS = """
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from blog import views

router = DefaultRouter()
router.register(r"posts", views.PostViewSet)
router.register("tags", views.TagViewSet, basename="tag")
router.register("comments", views.CommentViewSet, basename="comment")

urlpatterns = [
    path("api/", include(router.urls)),
    path("stats/", views.PostStats.as_view()),
    path("preview/", views.PreviewPost.as_view()),
    path("list/", views.PostListCreate.as_view()),
]
"""


@pytest.mark.parametrize(
    "queryset",
    [
        "with_counts(Post.objects.all())",
        "helpers.with_counts(Post.objects.filter(published=True))",
        "models.Post.objects.all()",
    ],
)
def test_a_queryset_a_function_wraps_is_of_the_model_it_is_handed(queryset: str) -> None:
    """``with_counts(Post.objects.all())``: a function of the project's is no model; the
    viewset works on posts, and its events say so."""
    views = (
        "from rest_framework import viewsets\n\n"
        "from blog import helpers, models\n"
        "from blog.helpers import with_counts\n"
        "from blog.models import Post\n\n\n"
        "class PostViewSet(viewsets.ModelViewSet):\n"
        f"    queryset = {queryset}\n"
    )
    urls = (
        "from django.urls import include, path\n"
        "from rest_framework.routers import DefaultRouter\n"
        "from blog import views\n\n"
        "router = DefaultRouter()\n"
        'router.register("posts", views.PostViewSet)\n'
        'urlpatterns = [path("api/", include(router.urls))]\n'
    )
    analysis = django_project(urls, views=views)
    assert {r.model for r in analysis.routes} == {"blog.models.Post"}
    assert sorted({event_name(r) for r in analysis.routes if r.mutating}) == [
        "post_created",
        "post_deleted",
        "post_updated",
    ]


def test_a_viewset_registered_with_no_prefix_is_served_where_its_router_is_included() -> None:
    views = (
        "from rest_framework import viewsets\n\n"
        "from blog.models import Post\n\n\n"
        "class PostViewSet(viewsets.ModelViewSet):\n"
        "    queryset = Post.objects.all()\n"
    )
    urls = (
        "from django.urls import include, path\n"
        "from rest_framework.routers import DefaultRouter\n"
        "from blog import views\n\n"
        "router = DefaultRouter()\n"
        'router.register("", views.PostViewSet, basename="post")\n'
        'urlpatterns = [path("posts/", include(router.urls))]\n'
    )
    paths = {r.path for r in django_project(urls, views=views).routes}
    assert paths == {"/posts/", "/posts/<pk>/"}


@pytest.mark.parametrize(
    ("form", "mutating"), [("FindForm", False), ("SearchForm", False), ("ContactForm", True)]
)
def test_a_form_view_whose_form_asks_a_question_changes_nothing(form: str, mutating: bool) -> None:
    """A FormView submits its form; one named as a question (``FindForm`` on a list page)
    answers it, and a submission of it is no event."""
    views = (
        "from django.views.generic import FormView, ListView\n\n"
        f"from blog.forms import {form}\n"
        "from blog.models import Post\n\n\n"
        "class PostIndex(ListView, FormView):\n"
        "    model = Post\n"
        f"    form_class = {form}\n"
    )
    urls = (
        "from django.urls import path\n"
        "from blog import views\n\n"
        'urlpatterns = [path("posts/", views.PostIndex.as_view())]\n'
    )
    (route,) = django_project(urls, views=views).routes
    assert route.mutating is mutating


def test_viewsets_on_routers_expand_into_implicit_and_extra_actions() -> None:
    analysis = django_project(DRF_URLS, views=DRF_VIEWS)
    rows = [
        (*row, r.action, r.name)
        for row, r in zip(route_rows(analysis), analysis.routes, strict=True)
    ]
    assert rows[:12] == [
        ("/api/posts/", ("GET",), "blog.views:PostViewSet", False, "list", "post-list"),
        (
            "/api/posts/",
            ("POST",),
            "blog.views:PostViewSet.perform_create",
            True,
            "create",
            "post-list",
        ),
        (
            "/api/posts/drafts/",
            ("GET",),
            "blog.views:PostViewSet.drafts",
            False,
            "drafts",
            "post-drafts",
        ),
        ("/api/posts/<pk>/", ("GET",), "blog.views:PostViewSet", False, "retrieve", "post-detail"),
        ("/api/posts/<pk>/", ("PUT",), "blog.views:PostViewSet", True, "update", "post-detail"),
        (
            "/api/posts/<pk>/",
            ("PATCH",),
            "blog.views:PostViewSet",
            True,
            "partial_update",
            "post-detail",
        ),
        ("/api/posts/<pk>/", ("DELETE",), "blog.views:PostViewSet", True, "destroy", "post-detail"),
        (
            "/api/posts/<pk>/publish-now/",
            ("POST",),
            "blog.views:PostViewSet.publish",
            True,
            "publish",
            "post-publish",
        ),
        ("/api/tags/", ("GET",), "blog.views:TagViewSet", False, "list", "tag-list"),
        ("/api/tags/<slug>/", ("GET",), "blog.views:TagViewSet", False, "retrieve", "tag-detail"),
        ("/api/comments/", ("POST",), "blog.views:CommentViewSet", True, "create", "comment-list"),
        ("/stats/", ("GET",), "blog.views:PostStats.get", False, "get", None),
    ]
    assert {r.owner for r in analysis.routes[:11]} == {"proj.urls.router"}
    (router,) = [a for a in analysis.apps if a.kind == "drf.router"]
    assert (router.name, router.prefix, router.file) == (
        "proj.urls.router",
        "/api/",
        "proj/urls.py",
    )


def test_apiviews_and_generic_views_judge_each_method() -> None:
    rows = route_rows(django_project(DRF_URLS, views=DRF_VIEWS))
    assert rows[12:] == [
        ("/preview/", ("POST",), "blog.views:PreviewPost.post", False),
        ("/list/", ("GET",), "blog.views:PostListCreate", False),
        ("/list/", ("POST",), "blog.views:PostListCreate", True),
    ]


def test_registrations_that_are_not_router_registrations_are_ignored() -> None:
    urls = """
from django.contrib import admin
from django.urls import include, path
from blog import views
from blog.models import Post

admin.site.register(Post)


class Registry:
    def register(self, prefix, viewset):
        pass
    urls = []


registry = Registry()
registry.register("posts", views.PostViewSet)

urlpatterns = [path("api/", include(registry.urls))]
"""
    analysis = django_project(urls, views=DRF_VIEWS)
    assert analysis.routes == ()
    assert [a.kind for a in analysis.apps] == ["django.project"]


# -- auth points ------------------------------------------------------------------------


def test_login_signup_and_logout_calls_are_auth_points() -> None:
    views = """
from django.contrib import auth
from django.contrib.auth import login, logout
from django.contrib.auth.models import User
from django.shortcuts import redirect


def sign_in(request):
    user = auth.authenticate(request, username=request.POST["u"], password=request.POST["p"])
    auth.login(request, user)
    return redirect("/")


def join(request):
    new_user = User.objects.create_user(request.POST["u"], password=request.POST["p"])
    login(request, new_user)
    return redirect("/")


def sign_out(request):
    logout(request)
    return redirect("/")


def not_django(request):
    from mylib import login
    login(request, None)
"""
    urls = """
from django.urls import path
from blog import views

urlpatterns = [path("in/", views.sign_in), path("join/", views.join), path("out/", views.sign_out)]
"""
    analysis = django_project(urls, views=views)
    points = [
        (p.kind, p.handler.qualname, p.line, p.call, p.user_expression, p.mechanism)
        for p in analysis.auth_points
    ]
    assert points == [
        ("login", "sign_in", 10, "django.contrib.auth.login", "user", "call"),
        ("signup", "join", 16, "django.contrib.auth.login", "new_user", "call"),
        ("logout", "sign_out", 21, "django.contrib.auth.logout", "request.user", "call"),
    ]
    # Logging in is not a data change; creating a user is; logging out ends a session even on GET.
    assert [r.mutating for r in analysis.routes] == [False, True, True]


def test_a_helper_logging_in_the_user_it_is_handed_is_a_login_whatever_it_writes() -> None:
    # Shared by the password and the emailed-link logins: the helper notes a step in the
    # session (a write) and logs in a user its callers found. Nobody signs up there.
    views = """
from django.contrib.auth import login
from django.shortcuts import redirect

from blog.models import Profile


def _finish_login(request, user):
    if Profile.objects.filter(user=user, needs_code=True).exists():
        request.session["pending_user"] = user.id
        return redirect("/code/")
    Profile.objects.filter(user=user).update(logins=F("logins") + 1)
    login(request, user)
    return redirect("/")


def sign_in(request):
    form = LoginForm(request.POST)
    if form.is_valid():
        return _finish_login(request, form.user)
    return redirect("/in/")
"""
    urls = """
from django.urls import path
from blog import views

urlpatterns = [path("in/", views.sign_in)]
"""
    analysis = django_project(urls, views=views)
    assert [(p.kind, p.handler.qualname) for p in analysis.auth_points] == [
        ("login", "_finish_login")
    ]


def test_built_in_auth_views_are_hooked_through_signals() -> None:
    urls = """
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view()),
    path("accounts/", include("django.contrib.auth.urls")),
]
"""
    analysis = django_project(urls)
    points = [(p.kind, p.handler.file, p.line, p.call, p.mechanism) for p in analysis.auth_points]
    assert points == [
        (
            "login",
            "proj/urls.py",
            6,
            "django.contrib.auth.views.LoginView",
            "django.contrib.auth.signals",
        ),
        (
            "logout",
            "proj/urls.py",
            7,
            "django.contrib.auth.views.LogoutView",
            "django.contrib.auth.signals",
        ),
    ]
    assert analysis.routes == ()


@pytest.mark.parametrize(
    "entry",
    [
        'path("staff/", admin.site.urls)',
        'path("staff/", include(admin.site.urls))',
    ],
)
def test_a_routed_admin_site_logs_in_through_django_auth_views(entry: str) -> None:
    urls = f"""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    {entry},
]
"""
    points = django_project(urls).auth_points
    assert [(p.kind, p.line, p.call, p.mechanism) for p in points] == [
        ("login", 6, "django.contrib.auth.views.LoginView", "django.contrib.auth.signals"),
        ("logout", 6, "django.contrib.auth.views.LogoutView", "django.contrib.auth.signals"),
    ]


def test_an_admin_site_beside_a_login_view_of_the_project_adds_no_receiver() -> None:
    urls = """
from django.contrib import admin
from django.urls import path
from blog import views

urlpatterns = [path("admin/", admin.site.urls), path("in/", views.sign_in)]
"""
    views = """
from django.contrib.auth import authenticate, login
from django.shortcuts import redirect


def sign_in(request):
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    login(request, user)
    return redirect("/")
"""
    points = django_project(urls, views=views).auth_points
    # One login, one event: the view's; the logout only the admin's views perform.
    assert [(p.kind, p.handler.qualname, p.mechanism) for p in points] == [
        ("login", "sign_in", "call"),
        ("logout", "urlpatterns", "django.contrib.auth.signals"),
    ]


IDENTIFYING_RECEIVER = """
import posthog
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    posthog.identify_context(str(user.pk))
"""

LOGIN_VIEW = """
from django.contrib.auth import authenticate, login
from django.shortcuts import redirect


def sign_in(request):
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    login(request, user)
    return redirect("/")
"""


def test_a_receiver_of_the_project_that_identifies_covers_its_login_views() -> None:
    urls = """
from django.contrib import admin
from django.urls import path
from blog import views

urlpatterns = [path("admin/", admin.site.urls), path("in/", views.sign_in)]
"""
    points = django_project(urls, views=LOGIN_VIEW, signals=IDENTIFYING_RECEIVER).auth_points
    assert [(p.kind, p.handler.qualname, p.mechanism, p.identified_by) for p in points] == [
        (
            "login",
            "sign_in",
            "call",
            "posthog.identify_context() in blog/signals.py:on_login",
        ),
        ("logout", "urlpatterns", "django.contrib.auth.signals", None),
    ]


@pytest.mark.parametrize(
    "receiver",
    [
        IDENTIFYING_RECEIVER,
        # Connected by hand, through the name django.contrib.auth exports it under, and
        # identifying by the person properties it sets for the user's id.
        """
from django.contrib.auth import user_logged_in
from myapp.analytics import client


def remember(sender, user, request, **kwargs):
    client.set(distinct_id=str(user.pk), properties={"name": user.get_username()})


user_logged_in.connect(remember)
""",
    ],
)
def test_a_receiver_of_the_project_is_where_admin_logins_are_known(receiver: str) -> None:
    urls = """
from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
"""
    points = django_project(urls, signals=receiver).auth_points
    [login, logout] = points
    assert (login.kind, login.handler.file, login.mechanism, login.user_expression) == (
        "login",
        "blog/signals.py",
        "project_receiver",
        "user",
    )
    assert login.identified_by is not None
    assert (logout.kind, logout.mechanism) == ("logout", "django.contrib.auth.signals")


def test_a_receiver_reading_the_user_from_kwargs_is_no_login_point_of_its_own() -> None:
    urls = """
from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
"""
    receiver = IDENTIFYING_RECEIVER.replace("request, user, **kwargs", "**kwargs").replace(
        "user.pk", 'kwargs["user"].pk'
    )
    points = django_project(urls, signals=receiver).auth_points
    # Nothing of ours can be added to it: the receivers edit writes send the event.
    assert [(p.kind, p.mechanism) for p in points] == [
        ("login", "django.contrib.auth.signals"),
        ("logout", "django.contrib.auth.signals"),
    ]


@pytest.mark.parametrize(
    "receiver",
    [
        # Connected, but identifies nobody.
        IDENTIFYING_RECEIVER.replace("posthog.identify_context(str(user.pk))", "print(user)"),
        # Identifies the user to another analytics tool, not to PostHog.
        IDENTIFYING_RECEIVER.replace("import posthog", "import analytics").replace(
            "posthog.identify_context(str(user.pk))", "analytics.identify(user_id=user.pk)"
        ),
        # Identifies, but on another signal.
        IDENTIFYING_RECEIVER.replace("user_logged_in", "user_logged_out"),
        # Identifies, but is connected to nothing.
        IDENTIFYING_RECEIVER.replace("@receiver(user_logged_in)\n", ""),
    ],
)
def test_receivers_that_do_not_identify_logins_change_nothing(receiver: str) -> None:
    urls = """
from django.contrib import admin
from django.urls import path
from blog import views

urlpatterns = [path("admin/", admin.site.urls), path("in/", views.sign_in)]
"""
    points = django_project(urls, views=LOGIN_VIEW, signals=receiver).auth_points
    assert [(p.kind, p.mechanism, p.identified_by) for p in points] == [
        ("login", "call", None),
        ("logout", "django.contrib.auth.signals", None),
    ]


def test_allauth_gives_signal_points_at_installed_apps() -> None:
    sources = {
        "proj/settings.py": 'ROOT_URLCONF = "proj.urls"\nINSTALLED_APPS = [\n    "allauth",\n    "allauth.account",\n]\n',
        "proj/urls.py": 'from django.urls import include, path\nurlpatterns = [path("accounts/", include("allauth.urls"))]\n',
    }
    points = analyse_django_sources(sources).auth_points
    assert [(p.kind, p.handler.qualname, p.line, p.mechanism) for p in points] == [
        ("login", "INSTALLED_APPS", 2, "django.contrib.auth.signals"),
        ("logout", "INSTALLED_APPS", 2, "django.contrib.auth.signals"),
        ("signup", "INSTALLED_APPS", 2, "allauth.account.signals"),
    ]


# -- error handlers and settings --------------------------------------------------------


def test_error_handlers_from_urlconf_middleware_and_drf() -> None:
    settings = """
ROOT_URLCONF = "proj.urls"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "proj.middleware.Reporting",
]
REST_FRAMEWORK = {"EXCEPTION_HANDLER": "proj.errors.api_errors"}
"""
    middleware = """
class Reporting:
    def __init__(self, get_response):
        self.get_response = get_response

    def process_exception(self, request, exc):
        return None


class NotListed:
    def process_exception(self, request, exception):
        return None
"""
    errors = """
import posthog
from django.shortcuts import render


def server_error(request):
    return render(request, "500.html", status=500)


def api_errors(exc, context):
    posthog.capture_exception(exc)
    return None
"""
    urls = 'from proj import errors\nurlpatterns = []\nhandler500 = errors.server_error\nhandler404 = "proj.errors.missing"\n'
    sources = {
        "proj/settings.py": settings,
        "proj/middleware.py": middleware,
        "proj/errors.py": errors,
        "proj/urls.py": urls,
    }
    handlers = analyse_django_sources(sources).error_handlers
    assert [
        (h.handler.qualname, h.handles, h.server_error, h.error_param, h.captures) for h in handlers
    ] == [
        # Django's got_request_exception, which the generated receiver hears, is sent
        # before handler500 runs and for whatever DRF's handler re-raises
        ("server_error", ("500",), False, None, False),
        ("api_errors", ("Exception",), False, "exc", True),
        # it returns None: the exception goes on to Django's signal
        ("Reporting.process_exception", ("Exception",), False, "exc", False),
    ]


def test_settings_facts() -> None:
    settings = """
ROOT_URLCONF = "proj.urls"
AUTH_USER_MODEL = "accounts.User"
INSTALLED_APPS = ["django.contrib.auth", "rest_framework"]
MIDDLEWARE = ["a.B", "django.contrib.auth.middleware.AuthenticationMiddleware"]
MIDDLEWARE += ["c.D"]
"""
    facts = _facts("proj/settings.py", settings)
    assert dict(facts.django_settings) == {
        "ROOT_URLCONF": "proj.urls",
        "AUTH_USER_MODEL": "accounts.User",
        "INSTALLED_APPS": "django.contrib.auth,rest_framework",
        "INSTALLED_APPS:line": "4",
        "MIDDLEWARE": "a.B,django.contrib.auth.middleware.AuthenticationMiddleware,c.D",
        "MIDDLEWARE:line": "5",
        "AUTHENTICATION_MIDDLEWARE_INDEX": "1",
        "REST_FRAMEWORK_INSTALLED": "true",
        "ALLAUTH_INSTALLED": "false",
    }
    assert [(a.kind, a.name, a.line) for a in facts.apps] == [
        ("django.project", "proj.settings", 2)
    ]


def test_wants_is_a_cheap_prefilter() -> None:
    assert analyser.wants("from django.urls import path")
    assert analyser.wants("class Mw:\n    def process_exception(self, request, exception): ...")
    assert not analyser.wants("import json\nprint(json.dumps({}))\n")


def _facts(file: str, source: str) -> ModuleFacts:
    result = analyse_text(file, source, (analyser,))
    assert result.facts is not None
    return result.facts


# -- the django_shop fixture ------------------------------------------------------------

#: Every route of fixtures/django_shop, in URL resolution order:
#: (path, methods, handler, mutating, action, view kind)
SHOP_ROUTES: list[tuple[str, tuple[str, ...], str, bool, str | None, str | None]] = [
    ("/shop/", ("GET",), "catalog.views:product_list", False, None, "function.declared"),
    ("/shop/search/", ("POST",), "catalog.views:search", False, None, "function.declared"),
    ("/shop/about/", ("GET",), "catalog.views:AboutView", False, "get", "TemplateView"),
    (
        "/shop/products/new/",
        ("GET", "POST"),
        "catalog.views:ProductCreateView.form_valid",
        True,
        "create",
        "CreateView",
    ),
    (
        "/shop/products/<slug:slug>/",
        ("GET", "POST"),
        "catalog.views:product_detail",
        True,
        None,
        "function",
    ),
    (
        "/shop/products/<slug:slug>/edit/",
        ("GET", "POST"),
        "catalog.views:ProductUpdateView",
        True,
        "update",
        "UpdateView",
    ),
    (
        "/shop/products/<slug:slug>/delete/",
        ("GET", "POST"),
        "catalog.views:ProductDeleteView",
        True,
        "delete",
        "DeleteView",
    ),
    (
        "/shop/products/<slug:slug>/sold-out/",
        ("POST",),
        "catalog.views:mark_as_sold_out",
        True,
        None,
        "function.declared",
    ),
    (
        "/shop/products/<slug:slug>/availability/",
        ("POST",),
        "catalog.views:product_availability",
        False,
        None,
        "function.declared",
    ),
    (
        "/api/products/",
        ("GET",),
        "catalog.api:ProductViewSet",
        False,
        "list",
        "ReadOnlyModelViewSet",
    ),
    (
        "/api/products/<slug>/",
        ("GET",),
        "catalog.api:ProductViewSet",
        False,
        "retrieve",
        "ReadOnlyModelViewSet",
    ),
    ("/api/orders/", ("GET",), "orders.views:OrderViewSet", False, "list", "ModelViewSet"),
    (
        "/api/orders/",
        ("POST",),
        "orders.views:OrderViewSet.perform_create",
        True,
        "create",
        "ModelViewSet",
    ),
    ("/api/orders/<pk>/", ("GET",), "orders.views:OrderViewSet", False, "retrieve", "ModelViewSet"),
    ("/api/orders/<pk>/", ("PUT",), "orders.views:OrderViewSet", True, "update", "ModelViewSet"),
    (
        "/api/orders/<pk>/",
        ("PATCH",),
        "orders.views:OrderViewSet",
        True,
        "partial_update",
        "ModelViewSet",
    ),
    (
        "/api/orders/<pk>/",
        ("DELETE",),
        "orders.views:OrderViewSet",
        True,
        "destroy",
        "ModelViewSet",
    ),
    ("/api/shipments/", ("GET",), "orders.views:ShipmentViewSet.list", False, "list", "ViewSet"),
    (
        "/api/shipments/in-transit/",
        ("GET",),
        "orders.views:ShipmentViewSet.in_transit",
        False,
        "in_transit",
        "ViewSet",
    ),
    (
        "/api/shipments/<pk>/",
        ("GET",),
        "orders.views:ShipmentViewSet.retrieve",
        False,
        "retrieve",
        "ViewSet",
    ),
    (
        "/api/shipments/<pk>/cancel/",
        ("POST",),
        "orders.views:ShipmentViewSet.cancel",
        True,
        "cancel",
        "ViewSet",
    ),
    ("/api/checkout/", ("POST",), "orders.views:checkout", True, None, "api_view"),
    (
        "/api/coupons/validate/",
        ("POST",),
        "orders.views:ValidateCouponView.post",
        False,
        "post",
        "APIView",
    ),
    ("/accounts/login/", ("GET", "POST"), "accounts.views:login_view", False, None, "function"),
    ("/accounts/signup/", ("GET", "POST"), "accounts.views:signup", True, None, "function"),
    ("/accounts/logout/", ("GET",), "accounts.views:logout_view", True, None, "function.declared"),
    ("/accounts/profile/", ("GET",), "accounts.views:ProfileView", False, "get", "TemplateView"),
]


@pytest.fixture(scope="module")
def shop() -> Analysis:
    return analyse_django_project(FIXTURE)


def test_shop_routes(shop: Analysis) -> None:
    assert [
        (
            r.path,
            r.methods,
            f"{r.handler.module}:{r.handler.qualname}",
            r.mutating,
            r.action,
            r.view_kind,
        )
        for r in shop.routes
    ] == SHOP_ROUTES
    assert {r.handler.file for r in shop.routes} == {
        "catalog/views.py",
        "catalog/api.py",
        "orders/views.py",
        "accounts/views.py",
    }


def test_shop_user_access_and_change_lines(shop: Analysis) -> None:
    by_path = {(r.path, r.methods): r for r in shop.routes}

    def access(route: Route) -> str | None:
        return route.user_access.id_expression if route.user_access else None

    assert access(by_path["/shop/products/<slug:slug>/", ("GET", "POST")]) == "request.user.pk"
    assert access(by_path["/api/orders/", ("POST",)]) == "self.request.user.pk"
    assert access(by_path["/api/checkout/", ("POST",)]) == "request.user.pk"
    assert access(by_path["/accounts/signup/", ("GET", "POST")]) is None
    assert by_path["/shop/products/<slug:slug>/", ("GET", "POST")].change_line == 28
    assert by_path["/api/checkout/", ("POST",)].change_line == 78
    assert by_path["/api/shipments/<pk>/cancel/", ("POST",)].change_line == 46


def test_shop_auth_points(shop: Analysis) -> None:
    assert [
        (p.kind, p.handler.file, p.handler.qualname, p.line, p.call, p.user_expression, p.mechanism)
        for p in shop.auth_points
    ] == [
        (
            "login",
            "accounts/views.py",
            "login_view",
            16,
            "django.contrib.auth.login",
            "user",
            "call",
        ),
        ("signup", "accounts/views.py", "signup", 28, "django.contrib.auth.login", "user", "call"),
        (
            "logout",
            "accounts/views.py",
            "logout_view",
            37,
            "django.contrib.auth.logout",
            "request.user",
            "call",
        ),
    ]


def test_shop_error_handlers(shop: Analysis) -> None:
    assert [
        (h.handler.file, h.handler.qualname, h.line, h.handles, h.server_error, h.error_param)
        for h in shop.error_handlers
    ] == [
        # both answer after Django's got_request_exception, which the receiver hears
        ("orders/exceptions.py", "api_exception_handler", 10, ("Exception",), False, "exc"),
        (
            "shop/middleware.py",
            "ErrorReportingMiddleware.process_exception",
            17,
            ("Exception",),
            False,
            "exception",
        ),
        ("shop/views.py", "page_not_found", 6, ("404",), False, "exception"),
        ("shop/views.py", "server_error", 10, ("500",), False, None),
    ]


def test_shop_apps_and_settings(shop: Analysis) -> None:
    assert [(a.kind, a.name, a.file, a.line, a.prefix) for a in shop.apps] == [
        ("django.project", "shop.settings", "shop/settings.py", 12, ""),
        ("drf.router", "shop.urls.router", "shop/urls.py", 10, "/api/"),
    ]
    settings = {(file, key): value for file, key, value in shop.django_settings}
    assert settings["shop/settings.py", "ROOT_URLCONF"] == "shop.urls"
    assert settings["shop/settings.py", "AUTHENTICATION_MIDDLEWARE_INDEX"] == "4"
    assert settings["shop/settings.py", "MIDDLEWARE:line"] == "25"
    assert settings["shop/settings.py", "REST_FRAMEWORK_INSTALLED"] == "true"
    assert settings["shop/settings.py", "LOGIN_URL"] == "accounts:login"
    assert settings["shop/settings.py", "REST_FRAMEWORK.EXCEPTION_HANDLER"] == (
        "orders.exceptions.api_exception_handler"
    )
    assert settings["shop/urls.py", "handler500"] == "shop.views.server_error"


def test_shop_migrations_are_not_walked() -> None:
    assert (FIXTURE / "accounts" / "migrations" / "0001_initial.py").is_file()
    files = project_files(FIXTURE)
    assert "accounts/views.py" in files
    assert not [f for f in files if "/migrations/" in f]


def test_project_login_view_subclass_is_hooked_through_signals() -> None:
    views = """
from django.contrib.auth.views import LoginView


class SignIn(LoginView):
    template_name = "sign_in.html"
"""
    urls = 'from django.urls import path\nfrom blog.views import SignIn\nurlpatterns = [path("in/", SignIn.as_view())]\n'
    analysis = django_project(urls, views=views)
    assert route_rows(analysis) == [("/in/", ("GET", "POST"), "blog.views:SignIn", False)]
    assert [(p.kind, p.handler.qualname, p.call, p.mechanism) for p in analysis.auth_points] == [
        ("login", "SignIn", "django.contrib.auth.views.LoginView", "django.contrib.auth.signals")
    ]


def test_generic_api_view_with_mixins_and_an_explicit_method() -> None:
    views = """
from rest_framework import generics, mixins

from .models import Post


class PostDetail(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, generics.GenericAPIView):
    queryset = Post.objects.all()

    def get(self, request, *args, **kwargs):
        return self.retrieve(request, *args, **kwargs)

    def perform_destroy(self, instance):
        instance.archived = True
        instance.save()
"""
    urls = 'from django.urls import path\nfrom blog import views\nurlpatterns = [path("p/<int:pk>/", views.PostDetail.as_view())]\n'
    analysis = django_project(urls, views=views)
    assert [
        (*row, r.action) for row, r in zip(route_rows(analysis), analysis.routes, strict=True)
    ] == [
        ("/p/<int:pk>/", ("GET",), "blog.views:PostDetail.get", False, "get"),
        ("/p/<int:pk>/", ("DELETE",), "blog.views:PostDetail.perform_destroy", True, "destroy"),
    ]


def test_installed_apps_built_from_lists_still_show_allauth() -> None:
    from tests.analysers import analyse_sources

    analysis = analyse_sources(
        {
            "config/settings.py": (
                'DJANGO_APPS = ["django.contrib.auth", "django.contrib.sessions"]\n'
                'THIRD_PARTY_APPS = ["allauth", "allauth.account"]\n'
                'LOCAL_APPS = ["shop"]\n'
                "INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS\n"
                'ROOT_URLCONF = "config.urls"\n'
                'MIDDLEWARE = ["django.contrib.auth.middleware.AuthenticationMiddleware"]\n'
            ),
            "config/urls.py": "urlpatterns = []\n",
        }
    )
    assert sorted(p.kind for p in analysis.auth_points if p.call == "allauth") == [
        "login",
        "logout",
        "signup",
    ]


SIGNUP_VIEWS = """
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import CreateView
from rest_framework import generics, permissions

from .serializers import UserSerializer


class CreateUserView(generics.CreateAPIView):
    serializer_class = UserSerializer


class RegisterView(CreateView):
    model = get_user_model()
    fields = ["username"]


class StaffCreateUser(generics.CreateAPIView):
    serializer_class = UserSerializer
    permission_classes = [permissions.IsAdminUser]


class InviteUser(LoginRequiredMixin, CreateView):
    model = get_user_model()
    fields = ["username"]
"""

SIGNUP_URLS = """
from django.urls import path
from blog import views

urlpatterns = [
    path("api/user/create/", views.CreateUserView.as_view()),
    path("accounts/register/", views.RegisterView.as_view()),
    path("staff/users/new/", views.StaffCreateUser.as_view()),
    path("users/invite/new/", views.InviteUser.as_view()),
]
"""


SIGNUP_SERIALIZERS = """
from django.contrib.auth import get_user_model
from rest_framework import serializers


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["username"]
"""


def test_a_create_view_anyone_may_use_to_make_a_user_is_a_signup() -> None:
    analysis = django_project(SIGNUP_URLS, views=SIGNUP_VIEWS, serializers=SIGNUP_SERIALIZERS)
    signups = sorted(
        (p.handler.qualname, p.call, p.user_expression)
        for p in analysis.auth_points
        if p.kind == "signup"
    )
    # Not the view that needs an admin, nor the one behind a login.
    assert signups == [
        ("CreateUserView", "perform_create", "serializer.instance"),
        ("RegisterView", "form_valid", "self.object"),
    ]


def test_a_create_view_whose_serializer_is_not_proven_to_save_a_user_reads_none_of_it() -> None:
    # Its create answers a dict: ``serializer.instance.pk`` would raise.
    answers_a_dict = SIGNUP_SERIALIZERS + (
        '\n    def create(self, validated_data):\n        return {"username": "x"}\n'
    )
    for serializers in (answers_a_dict, ""):
        analysis = django_project(SIGNUP_URLS, views=SIGNUP_VIEWS, serializers=serializers)
        signups = sorted(
            (p.handler.qualname, p.user_expression)
            for p in analysis.auth_points
            if p.kind == "signup"
        )
        assert signups == [("CreateUserView", None), ("RegisterView", "self.object")]


def test_an_own_update_serves_patch_and_gets_no_perform_update_it_never_calls() -> None:
    views = """
from rest_framework import generics


class Me(generics.RetrieveUpdateAPIView):
    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)
"""
    urls = (
        "from django.urls import path\nfrom blog import views\n"
        'urlpatterns = [path("me/", views.Me.as_view())]\n'
    )
    analysis = django_project(urls, views=views)
    # DRF's partial_update calls self.update(partial=True): one route, PUT and PATCH
    assert [(row[1], row[2]) for row in route_rows(analysis)] == [
        (("GET",), "blog.views:Me"),
        (("PUT", "PATCH"), "blog.views:Me.update"),
    ]


@pytest.mark.parametrize(
    "delete",
    ["user.delete()", "request.user.delete()"],
)
def test_closing_ones_own_account_is_captured_before_the_delete(delete: str) -> None:
    """Past the delete the account's key is None: the event would go out for a person
    called "None"."""
    views = f"""
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST


@login_required
@require_POST
def close(request):
    user = request.user
    {delete}
    request.session.flush()
    return redirect("/")
"""
    analysis = django_project(
        "from django.urls import path\nfrom blog import views\n"
        'urlpatterns = [path("account/close/", views.close)]\n',
        views=views,
    )
    (route,) = analysis.routes
    assert route.anchor is not None
    assert (route.anchor.line, route.anchor.before) == (11, True)


# -- who makes an account: a stranger signing up, or someone logged in ------------------

STAFF_DECORATORS = """
from django.contrib.auth.decorators import user_passes_test


def staff_required(view):
    return user_passes_test(lambda user: user.is_staff)(view)


def audited(view):
    return view
"""
STAFF_VIEWS = """
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from rest_framework import generics
from rest_framework.decorators import api_view
from rest_framework.response import Response

from .decorators import audited, staff_required
from .serializers import UserSerializer

User = get_user_model()


@login_required
def new_user(request):
    user = User(username=request.POST["username"])
    user.save()
    return HttpResponse(status=201)


def signup(request):
    user = User(username=request.POST["username"])
    user.save()
    return HttpResponse(status=201)


@api_view(["POST"])
@staff_required
def register_staff(request):
    serializer = UserSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    serializer.save()
    return Response(status=201)


@api_view(["POST"])
@audited
def register(request):
    serializer = UserSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    serializer.save()
    return Response(status=201)


@method_decorator(login_required, name="dispatch")
class CreateUserView(generics.CreateAPIView):
    serializer_class = UserSerializer


class NewUserView(generics.CreateAPIView):
    serializer_class = UserSerializer
"""
STAFF_URLS = """
from django.contrib.auth.decorators import login_required
from django.urls import path
from blog import views

urlpatterns = [
    path("users/new/", views.new_user),
    path("signup/", views.signup),
    path("api/staff/register/", views.register_staff),
    path("api/register/", views.register),
    path("api/users/create/", views.CreateUserView.as_view()),
    path("api/users/new/", login_required(views.NewUserView.as_view())),
]
"""


def test_a_user_made_behind_a_login_requirement_is_no_signup() -> None:
    analysis = django_project(
        STAFF_URLS,
        views=STAFF_VIEWS,
        decorators=STAFF_DECORATORS,
        serializers=SIGNUP_SERIALIZERS,
    )
    # Only the views a stranger reaches make their own accounts; a decorator of the
    # project's that proves no login (``audited``) changes nothing.
    signups = sorted(p.handler.qualname for p in analysis.auth_points if p.kind == "signup")
    assert signups == ["register", "signup"]
    guarded = {r.handler.qualname: r.members_only for r in analysis.routes}
    # Django's decorator on a function, a decorator of the project's wrapping
    # user_passes_test, method_decorator on the class, login_required around the entry.
    assert guarded == {
        "new_user": "@login_required",
        "signup": None,
        "register_staff": "@user_passes_test",
        "register": None,
        "CreateUserView": "@login_required",
        "NewUserView": "@login_required",
    }


# -- what a registration API's serializer saves -------------------------------------------

ACCOUNT_SETTINGS = SETTINGS + 'AUTH_USER_MODEL = "blog.Account"\n'
ACCOUNT_MODELS = """
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
from django.db import models


class AccountManager(BaseUserManager):
    def create_user(self, email, password=None):
        if not email:
            raise ValueError("an email is needed")
        account = self.model(email=self.normalize_email(email))
        account.set_password(password)
        account.save()
        return account

    def create_guest(self, email):
        if not email:
            return None
        account = self.model(email=email)
        account.save()
        return account

    def create_payload(self, email):
        return {"email": email}


class Account(AbstractBaseUser):
    email = models.EmailField(unique=True)

    objects = AccountManager()

    USERNAME_FIELD = "email"
"""
ACCOUNT_SERIALIZERS = """
from rest_framework import serializers

from .models import Account


class SignUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["email", "password"]

    def create(self, validated_data):
        return Account.objects.create_user(**validated_data)


class BuiltSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["email", "password"]

    def create(self, validated_data):
        account = Account(email=validated_data["email"])
        account.set_password(validated_data["password"])
        account.save()
        return account


class ParentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["email"]

    def create(self, validated_data):
        account = super().create(validated_data)
        return account


class GuestSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["email"]

    def create(self, validated_data):
        return Account.objects.create_guest(**validated_data)


class PayloadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["email"]

    def create(self, validated_data):
        return Account.objects.create_payload(**validated_data)


class EchoSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["email"]

    def create(self, validated_data):
        return {"email": validated_data["email"]}
"""
REGISTRATION_VIEW = """

class {name}(APIView):
    permission_classes = (AllowAny,)
    serializer_class = {serializer}

    def post(self, request):
        serializer = self.serializer_class(data=request.data.get("account", {{}}))
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=201)
"""
REGISTRATION_KINDS = {
    "RegistrationView": "SignUpSerializer",
    "BuiltRegistrationView": "BuiltSerializer",
    "ParentRegistrationView": "ParentSerializer",
    "GuestRegistrationView": "GuestSerializer",
    "PayloadRegistrationView": "PayloadSerializer",
    "EchoRegistrationView": "EchoSerializer",
}
REGISTRATION_VIEWS = (
    "from rest_framework import generics\n"
    "from rest_framework.permissions import AllowAny\n"
    "from rest_framework.response import Response\n"
    "from rest_framework.views import APIView\n\n"
    "from .serializers import (\n"
    "    BuiltSerializer,\n"
    "    EchoSerializer,\n"
    "    GuestSerializer,\n"
    "    ParentSerializer,\n"
    "    PayloadSerializer,\n"
    "    SignUpSerializer,\n"
    ")\n"
    + "".join(
        REGISTRATION_VIEW.format(name=name, serializer=serializer)
        for name, serializer in REGISTRATION_KINDS.items()
    )
    + """

class ChosenRegistrationView(generics.GenericAPIView):
    serializer_class = SignUpSerializer

    def get_serializer_class(self):
        return EchoSerializer

    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=201)


class JoinView(generics.CreateAPIView):
    serializer_class = SignUpSerializer
"""
)
REGISTRATION_URLS = (
    "from django.urls import path\nfrom blog import views\n\nurlpatterns = [\n"
    + "".join(
        f'    path("api/{name.lower()}/", views.{name}.as_view()),\n'
        for name in [*REGISTRATION_KINDS, "ChosenRegistrationView", "JoinView"]
    )
    + "]\n"
)


def _registration_project(views: str = REGISTRATION_VIEWS) -> Analysis:
    return analyse_django_sources(
        {
            "proj/__init__.py": "",
            "proj/settings.py": ACCOUNT_SETTINGS,
            "proj/urls.py": REGISTRATION_URLS,
            "blog/__init__.py": "",
            "blog/models.py": ACCOUNT_MODELS,
            "blog/serializers.py": ACCOUNT_SERIALIZERS,
            "blog/views.py": views,
        }
    )


def test_a_registration_api_identifies_the_user_its_serializers_create_is_proven_to_make() -> None:
    analysis = _registration_project()
    signups = sorted(
        (p.handler.qualname, p.user_expression) for p in analysis.auth_points if p.kind == "signup"
    )
    # ``create`` answers the manager's ``create_user`` (its body returns the saved
    # ``self.model(...)``), an account it built and saved, or the library's own. Not one
    # that may answer None, a dict, or a view whose serializer is chosen in code.
    assert signups == [
        ("BuiltRegistrationView.post", "serializer.instance"),
        ("JoinView", "serializer.instance"),
        ("ParentRegistrationView.post", "serializer.instance"),
        ("RegistrationView.post", "serializer.instance"),
    ]


def test_a_registration_view_a_subclass_gives_another_serializer_identifies_nobody() -> None:
    views = REGISTRATION_VIEWS + (
        "\n\nclass PartnerRegistrationView(RegistrationView):\n"
        "    serializer_class = EchoSerializer\n"
    )
    analysis = _registration_project(views)
    signups = [p.handler.qualname for p in analysis.auth_points if p.kind == "signup"]
    # Its post runs with the subclass's serializer too, whose create answers a dict.
    assert "RegistrationView.post" not in signups
