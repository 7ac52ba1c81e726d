"""A Django login view nothing routes to or calls is dead code: the URL's own LoginView
logs people in, and Django's signal receiver is what sees it. A helper a routed view
calls to log in runs, and is instrumented where it is."""

from __future__ import annotations

from tests.analysers import analyse_sources

URLS = """\
from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view()),
    path("logout/", auth_views.LogoutView.as_view()),
    path("token-login/", views.token_login),
]
"""
VIEWS = """\
from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect


def login_view(request):
    user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
    login(request, user)
    return redirect("/")


def logout_view(request):
    logout(request)
    return redirect("/")


def _sign_in(request, user):
    login(request, user)


def token_login(request):
    user = authenticate(request, token=request.GET["t"])
    if user is None:
        return redirect("/login/")
    _sign_in(request, user)
    return redirect("/")
"""


def test_a_login_view_nothing_routes_to_leaves_logins_to_the_receiver() -> None:
    analysis = analyse_sources(
        {
            "site_cfg/__init__.py": "",
            "site_cfg/settings.py": 'INSTALLED_APPS = ["accounts"]\nROOT_URLCONF = "site_cfg.urls"\n',
            "site_cfg/urls.py": URLS,
            "accounts/__init__.py": "",
            "accounts/views.py": VIEWS,
        }
    )
    points = sorted((p.kind, p.handler.qualname, p.mechanism) for p in analysis.auth_points)
    assert [p for p in points if p[1] in ("login_view", "logout_view")] == []
    assert ("login", "_sign_in", "call") in points
    # The routed LogoutView logs out through Django: its signal's receiver sends it.
    assert any(p[0] == "logout" and p[2].endswith("signals") for p in points)
