"""What the Django modules share: the framework names they look for, what each view
class gives its subclasses, and small readers of literal arguments."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from posthog_setup.analysis.model import (
    AuthKind,
)

PATH = "django.urls.path"
RE_PATH = "django.urls.re_path"
INCLUDE = "django.urls.include"
#: They give back the patterns they are handed, also under a suffix or prefix chosen per
#: request (``.json``, ``/en/``): the same views, read without it.
FORMAT_SUFFIX_PATTERNS = "rest_framework.urlpatterns.format_suffix_patterns"
#: ``django.conf.urls.i18n.i18n_patterns``, as the analyser's spellings write it
I18N_PATTERNS = "django.urls.i18n.i18n_patterns"
LOGIN = "django.contrib.auth.login"
#: Calls that hand a token to the user they are given and fail on None (``for_user`` reads
#: the user's id; a token's user is a required key): past one, the user is a user.
TOKEN_ISSUERS = frozenset(
    {
        "rest_framework.authtoken.models.Token.objects.get_or_create",
        "rest_framework.authtoken.models.Token.objects.create",
        "rest_framework_simplejwt.tokens.RefreshToken.for_user",
        "rest_framework_simplejwt.tokens.AccessToken.for_user",
    }
)
LOGOUT = "django.contrib.auth.logout"
ROUTERS = frozenset({"rest_framework.routers.DefaultRouter", "rest_framework.routers.SimpleRouter"})
AUTH_URLS = "django.contrib.auth.urls"
#: The admin site's URLconf: its login and logout views are django.contrib.auth's
#: ``LoginView`` / ``LogoutView``, which send the auth signals.
ADMIN_URLS = "django.contrib.admin.site.urls"
SIGNALS = "django.contrib.auth.signals"
#: Methods of a view class whose bodies matter.
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
ACTION_METHODS = {
    "list": "GET",
    "create": "POST",
    "retrieve": "GET",
    "update": "PUT",
    "partial_update": "PATCH",
    "destroy": "DELETE",
}
LIST_ACTIONS = ("list", "create")
DETAIL_ACTIONS = ("retrieve", "update", "partial_update", "destroy")
#: The hooks DRF's mixins call to save, where projects put their own write logic.
PERFORM = {
    "create": "perform_create",
    "update": "perform_update",
    "partial_update": "perform_update",
    "destroy": "perform_destroy",
}
CLASS_METHODS = frozenset(
    [
        *HTTP_METHODS,
        *ACTION_METHODS,
        *PERFORM.values(),
        "form_valid",
        "process_exception",
        # Wagtail's form page hook (see ``wagtail``)
        "process_form_submission",
    ]
)
#: The entry of ``DjangoView.methods`` that stands for the class itself (implicit actions).
CLASS_ENTRY = "<class>"
#: Decorators that keep a view from anyone not logged in (or not staff), with why.
MEMBERS_ONLY = {
    "django.contrib.auth.decorators.login_required": "@login_required",
    "django.contrib.auth.decorators.permission_required": "@permission_required",
    "django.contrib.auth.decorators.user_passes_test": "@user_passes_test",
    "django.contrib.admin.views.decorators.staff_member_required": "@staff_member_required",
}
SIGNUP_NAME = re.compile(r"sign_?up|register|join", re.IGNORECASE)
USER_CREATION = frozenset({"create_user", "create_superuser"})
HANDLER_SETTINGS = {
    "handler400": "400",
    "handler403": "403",
    "handler404": "404",
    "handler500": "500",
}


@dataclass(frozen=True)
class _ClassSpec:
    """What a Django or DRF view class gives its subclasses."""

    family: str
    #: higher wins when a class has several framework ancestors
    rank: int
    actions: tuple[str, ...] = ()


#: Library views that check credentials and issue a token, each with the user they proved
#: as read from the ``serializer`` their ``post`` validated (none of them sends Django's
#: ``user_logged_in``; simplejwt's UPDATE_LAST_LOGIN calls ``update_last_login`` directly).
TOKEN_LOGIN_VIEWS = {
    "rest_framework.authtoken.views.ObtainAuthToken": 'serializer.validated_data["user"]',
    # TokenObtainSerializer.validate sets ``self.user`` from authenticate(); the view's own
    # post() never reads it, so a serializer of the project's may not have it.
    "rest_framework_simplejwt.views.TokenObtainPairView": 'getattr(serializer, "user", None)',
    "rest_framework_simplejwt.views.TokenObtainSlidingView": 'getattr(serializer, "user", None)',
    # drf-jwt's JSONWebTokenSerializer.validate returns the user it authenticated.
    "rest_framework_jwt.views.ObtainJSONWebTokenView": 'serializer.validated_data["user"]',
}
#: The releases from which a token view's ``post`` builds its serializer through
#: ``get_serializer`` (before, ObtainAuthToken called ``serializer_class`` itself).
TOKEN_VIEW_RELEASES = {
    "rest_framework.authtoken.views.ObtainAuthToken": ("djangorestframework", "3.12"),
}
#: Before those releases, the user as read back from the token the library's ``post``
#: answers with (DRF 3.9's ``ObtainAuthToken.post`` builds its serializer itself, then
#: answers ``{"token": token.key}`` for the token ``get_or_create``d for the user it proved;
#: ``Token.key`` is the primary key, ``Token.user`` one-to-one), and what that reading imports.
TOKEN_VIEW_RESPONSE_USERS = {
    "rest_framework.authtoken.views.ObtainAuthToken": (
        'getattr(Token.objects.filter(key=response.data.get("token")).first(), "user", None)',
        (("rest_framework.authtoken.models", "Token"),),
    ),
}
#: The same views as the callables their modules export, routed without ``as_view()``.
TOKEN_LOGIN_CALLABLES = {
    "rest_framework.authtoken.views.obtain_auth_token": (
        "rest_framework.authtoken.views.ObtainAuthToken"
    ),
}
#: Library auth views that send Django's auth signals themselves: knox's always;
#: dj-rest-auth's through ``django.contrib.auth.login`` / ``logout`` while its SESSION_LOGIN
#: is on.
SIGNALLING_AUTH_VIEWS: dict[str, AuthKind] = {
    "knox.views.LoginView": "login",
    "knox.views.LogoutView": "logout",
    "knox.views.LogoutAllView": "logout",
    "dj_rest_auth.views.LoginView": "login",
    "dj_rest_auth.views.LogoutView": "logout",
}
#: The setting that must hold (as read by ``settings``) for a view to send its signal.
SIGNAL_SETTINGS = {
    "dj_rest_auth.views.LoginView": ("REST_AUTH.SESSION_LOGIN", "true"),
    "dj_rest_auth.views.LogoutView": ("REST_AUTH.SESSION_LOGIN", "true"),
}
#: Library URLconfs routing their own auth views.
LIBRARY_AUTH_URLS = {
    "knox.urls": ("knox.views.LoginView", "knox.views.LogoutView"),
    "dj_rest_auth.urls": ("dj_rest_auth.views.LoginView", "dj_rest_auth.views.LogoutView"),
}


def _specs() -> dict[str, _ClassSpec]:
    specs: dict[str, _ClassSpec] = {}
    for name in ("View", "RedirectView"):
        specs[f"django.views.generic.{name}"] = _ClassSpec("view", 0)
    specs["django.views.View"] = _ClassSpec("view", 0)
    for name in ("TemplateView", "ListView", "DetailView", "ArchiveIndexView", "YearArchiveView"):
        specs[f"django.views.generic.{name}"] = _ClassSpec("view", 1)
    for name, action in (
        ("CreateView", "create"),
        ("UpdateView", "update"),
        ("DeleteView", "delete"),
        ("FormView", "submit"),
    ):
        specs[f"django.views.generic.{name}"] = _ClassSpec("edit", 2, (action,))
    specs["django.contrib.auth.views.LoginView"] = _ClassSpec("auth", 2, ("login",))
    specs["django.contrib.auth.views.LogoutView"] = _ClassSpec("auth", 2, ("logout",))
    specs["rest_framework.views.APIView"] = _ClassSpec("apiview", 3)
    logins = [v for v, kind in SIGNALLING_AUTH_VIEWS.items() if kind == "login"]
    for name in [*TOKEN_LOGIN_VIEWS, *logins]:
        specs[name] = _ClassSpec("token", 3, ("login",))
    generics = {
        "GenericAPIView": (),
        "CreateAPIView": ("create",),
        "ListAPIView": ("list",),
        "RetrieveAPIView": ("retrieve",),
        "DestroyAPIView": ("destroy",),
        "UpdateAPIView": ("update", "partial_update"),
        "ListCreateAPIView": ("list", "create"),
        "RetrieveUpdateAPIView": ("retrieve", "update", "partial_update"),
        "RetrieveDestroyAPIView": ("retrieve", "destroy"),
        "RetrieveUpdateDestroyAPIView": ("retrieve", "update", "partial_update", "destroy"),
    }
    for name, actions in generics.items():
        specs[f"rest_framework.generics.{name}"] = _ClassSpec("generic", 4, actions)
    mixins = {
        "CreateModelMixin": ("create",),
        "ListModelMixin": ("list",),
        "RetrieveModelMixin": ("retrieve",),
        "UpdateModelMixin": ("update", "partial_update"),
        "DestroyModelMixin": ("destroy",),
    }
    for name, actions in mixins.items():
        specs[f"rest_framework.mixins.{name}"] = _ClassSpec("mixin", -1, actions)
    viewsets = {
        "ViewSetMixin": (),
        "ViewSet": (),
        "GenericViewSet": (),
        "ReadOnlyModelViewSet": ("list", "retrieve"),
        "ModelViewSet": tuple(ACTION_METHODS),
    }
    for name, actions in viewsets.items():
        specs[f"rest_framework.viewsets.{name}"] = _ClassSpec("viewset", 5, actions)
    return specs


CLASS_SPECS = _specs()
BUILTIN_AUTH_VIEWS: dict[str, AuthKind] = {
    "django.contrib.auth.views.LoginView": "login",
    "django.contrib.auth.views.LogoutView": "logout",
}


def short_name(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def literal_string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def keyword_value(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return keyword_value(call, name)


def literal_strings(node: ast.AST | None) -> tuple[str, ...]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return tuple(s for s in (literal_string(e) for e in node.elts) if s is not None)
    return ()


#: Qualified-name prefixes of classes that are never the project's own view bases.
NOT_PROJECT_BASES = (
    "django.",
    "rest_framework.",
    "builtins.",
    "flask.",
    "flask_",
    "fastapi.",
    "starlette.",
    "pydantic.",
    "sqlalchemy.",
    "abc.",
    "enum.",
    "typing.",
    "dataclasses.",
)
