"""Signups and token logins of Django views: in a class view's write hook (DRF's
``perform_create``, ``CreateView.form_valid``), the one edit adds, or past the save or the
token of an API view; a second run and revise --check find nothing to do."""

from __future__ import annotations

import textwrap
from pathlib import Path

from posthog_setup.cli import main

SETTINGS = 'ROOT_URLCONF = "site_app.urls"\nINSTALLED_APPS = ["rest_framework", "accounts"]\n'
URLS = """\
from django.urls import path

from accounts import views

urlpatterns = [
    path("api/users/create/", views.CreateUserView.as_view()),
    path("api/members/register/", views.RegisterMember.as_view()),
]
"""
VIEWS = """\
from rest_framework import generics

from accounts.serializers import MemberSerializer, UserSerializer


class CreateUserView(generics.CreateAPIView):
    serializer_class = UserSerializer


class RegisterMember(generics.CreateAPIView):
    serializer_class = MemberSerializer

    def perform_create(self, serializer):
        serializer.save(active=True)
"""

SERIALIZERS = """\
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from rest_framework import serializers


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["username", "password"]


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username", "password"]

    def create(self, validated_data):
        return User.objects.create_user(**validated_data)
"""


def _project(root: Path) -> Path:
    files = {
        "site_app/__init__.py": "",
        "site_app/settings.py": SETTINGS,
        "site_app/urls.py": URLS,
        "accounts/__init__.py": "",
        "accounts/serializers.py": SERIALIZERS,
        "accounts/views.py": VIEWS,
        "requirements.txt": "django>=4.2\ndjangorestframework\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _edited(project: Path, files: dict[str, str]) -> str:
    """The views module after ``edit`` of ``project`` with ``files`` written over it."""
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    assert main(["edit", "-q", str(project)]) == 0
    return (project / "accounts" / "views.py").read_text(encoding="utf-8")


def _settled(project: Path, views: str) -> None:
    """The edited views compile, a second edit changes nothing, and the check passes."""
    compile(views, "views.py", "exec")
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert (project / "accounts" / "views.py").read_text(encoding="utf-8") == views
    assert main(["revise", "--check", str(project)]) == 0


def test_drf_signups_are_identified_in_their_perform_create(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert main(["edit", "-q", str(project)]) == 0
    views = (project / "accounts" / "views.py").read_text(encoding="utf-8")
    added = textwrap.dedent(
        """\
            def perform_create(self, serializer):
                super().perform_create(serializer)
                identify_context(str(serializer.instance.pk))
                posthog_client.capture("user_signed_up", distinct_id=str(serializer.instance.pk))
        """
    )
    assert textwrap.indent(added, "    ") in views
    own = textwrap.dedent(
        """\
            def perform_create(self, serializer):
                serializer.save(active=True)
                identify_context(str(serializer.instance.pk))
                posthog_client.capture("user_signed_up", distinct_id=str(serializer.instance.pk))
        """
    )
    assert textwrap.indent(own, "    ") in views
    compile(views, "views.py", "exec")
    # Filed under the class either way: the next run and the pre-commit check agree.
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert (project / "accounts" / "views.py").read_text(encoding="utf-8") == views
    assert main(["revise", "--check", str(project)]) == 0


CREATE_VIEWS = """\
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.shortcuts import redirect
from django.views.generic import CreateView


class StudentSignUpView(CreateView):
    model = User
    fields = ["username"]

    def form_valid(self, form):
        user = form.save()
        login(self.request, user)
        return redirect("/")


class TeacherSignUpView(CreateView):
    model = User
    fields = ["username"]

    def form_valid(self, form):
        response = super().form_valid(form)
        return response
"""
CREATE_URLS = """\
from django.urls import path

from accounts import views

urlpatterns = [
    path("signup/student/", views.StudentSignUpView.as_view()),
    path("signup/teacher/", views.TeacherSignUpView.as_view()),
]
"""


def test_a_create_view_whose_own_form_valid_saves_without_its_parent_never_reads_self_object(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    (project / "accounts" / "views.py").write_text(CREATE_VIEWS, encoding="utf-8")
    (project / "site_app" / "urls.py").write_text(CREATE_URLS, encoding="utf-8")
    assert main(["edit", "-q", str(project)]) == 0
    views = (project / "accounts" / "views.py").read_text(encoding="utf-8")
    student = views.split("class TeacherSignUpView", 1)[0]
    # ``self.object`` is None here: the signup is the user the method logged in
    assert "self.object" not in student
    assert "identify_context(str(user.pk))" in student
    # where the parent's form_valid ran, self.object is the saved user
    teacher = views.split("class TeacherSignUpView", 1)[1]
    assert "identify_context(str(self.object.pk))" in teacher
    compile(views, "views.py", "exec")


API_SERIALIZERS = """\
from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.models import Ticket

User = get_user_model()


class SignUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username", "password"]


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["title"]
"""
API_VIEWS = """\
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import SignUpSerializer, TicketSerializer


class RegisterApi(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        serializer = SignUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = serializer.save()
        return Response({"id": account.pk}, status=201)


class JoinApi(APIView):
    def post(self, request):
        serializer = SignUpSerializer(data=request.data)
        if serializer.is_valid():
            serializer.save()
            return Response(serializer.data, status=201)
        return Response(serializer.errors, status=400)


@api_view(["POST"])
@permission_classes([AllowAny])
def register(request):
    serializer = SignUpSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    member = serializer.save()
    return Response({"id": member.pk}, status=201)


@api_view(["POST"])
@permission_classes([IsAdminUser])
def register_staff(request):
    serializer = SignUpSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    serializer.save()
    return Response(status=201)


class RegisterTicketApi(APIView):
    def post(self, request):
        serializer = TicketSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(status=201)
"""
API_URLS = """\
from django.urls import path

from accounts import views

urlpatterns = [
    path("api/register/", views.RegisterApi.as_view()),
    path("api/join/", views.JoinApi.as_view()),
    path("api/tickets/register/", views.RegisterTicketApi.as_view()),
    path("api/v2/register/", views.register),
    path("api/staff/register/", views.register_staff),
]
"""


def test_a_registration_api_that_saves_a_user_serializer_identifies_the_saved_user(
    tmp_path: Path,
) -> None:
    models = (
        "from django.db import models\n\n\nclass Ticket(models.Model):\n"
        "    title = models.CharField(max_length=80)\n"
    )
    views = _edited(
        _project(tmp_path),
        {
            "accounts/models.py": models,
            "accounts/serializers.py": API_SERIALIZERS,
            "accounts/views.py": API_VIEWS,
            "site_app/urls.py": API_URLS,
        },
    )
    project = tmp_path
    register, join, ticket = (
        views.split("class JoinApi", 1)[0],
        views.split("class JoinApi", 1)[1].split("def register(", 1)[0],
        views.split("class RegisterTicketApi", 1)[1],
    )
    function, staff = views.split("def register(", 1)[1].split("def register_staff(", 1)
    assert "member = serializer.save()\n    identify_context(str(member.pk))" in function
    # An admin making an account is not its owner signing up.
    assert "identify_context" not in staff.split("class RegisterTicketApi", 1)[0]
    # The save returned the user the serializer's model says it is.
    assert "account = serializer.save()\n        identify_context(str(account.pk))" in register
    assert 'capture("user_signed_up", distinct_id=str(account.pk))' in register
    # Unbound, the saved user is the serializer's instance, on the valid branch only.
    assert "serializer.save()\n            identify_context(str(serializer.instance.pk))" in join
    # A ticket's serializer saves no user: registering one identifies nobody.
    assert "identify_context" not in ticket
    assert "user_signed_up" not in ticket
    _settled(project, views)


PATH_SERIALIZERS = (
    API_SERIALIZERS
    + """

class OpenAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username", "password"]

    def create(self, validated_data):
        made = self.Meta.model.objects.create_user(**validated_data)
        made.save()
        return made
"""
)
PATH_VIEWS = """\
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import OpenAccountSerializer, SignUpSerializer


class AccountsApi(APIView):
    def post(self, request):
        serializer = SignUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = serializer.save()
        return Response({"id": account.pk}, status=201)


class OpenAccountApi(APIView):
    def post(self, request):
        serializer = OpenAccountSerializer(data=request.data)
        if serializer.is_valid():
            made = serializer.save()
            return Response({"id": made.pk}, status=201)
        return Response(serializer.errors, status=400)
"""
PATH_URLS = """\
from django.urls import path

from accounts import views

urlpatterns = [
    path("api/accounts/signup/", views.AccountsApi.as_view()),
    path("api/open/signup/", views.OpenAccountApi.as_view()),
]
"""


def test_a_signup_path_says_what_the_view_s_name_does_not_and_a_serializer_is_no_user(
    tmp_path: Path,
) -> None:
    views = _edited(
        _project(tmp_path),
        {
            "accounts/serializers.py": PATH_SERIALIZERS,
            "accounts/views.py": PATH_VIEWS,
            "site_app/urls.py": PATH_URLS,
        },
    )
    accounts, unproven = views.split("class OpenAccountApi", 1)
    # The path says signup where the class does not: the user its save answered.
    assert "account = serializer.save()\n        identify_context(str(account.pk))" in accounts
    # What this serializer's save answers is not shown: nobody is identified, and never
    # the serializer itself (it has no pk).
    assert "identify_context" not in unproven
    assert "serializer.pk" not in unproven
    _settled(tmp_path, views)


TOKEN_VIEWS = """\
from django.contrib.auth import authenticate
from rest_framework.authtoken.models import Token
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken


class SessionTokenApi(APIView):
    def post(self, request):
        user = authenticate(username=request.data.get("username"), password=request.data.get("password"))
        if user is None:
            return Response(status=401)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


@api_view(["POST"])
def jwt_login(request):
    user = authenticate(username=request.data["username"], password=request.data["password"])
    refresh = RefreshToken.for_user(user)
    return Response({"access": str(refresh.access_token)})


@api_view(["POST"])
def staff_login(request):
    user = authenticate(username=request.data["username"], password=request.data["password"])
    user = user or request.user
    token, _ = Token.objects.get_or_create(user=user)
    return Response({"token": token.key})
"""
TOKEN_URLS = """\
from django.urls import path

from accounts import views

urlpatterns = [
    path("api/token/", views.SessionTokenApi.as_view()),
    path("api/jwt/login/", views.jwt_login),
    path("api/staff/login/", views.staff_login),
]
"""


def test_a_token_handed_to_an_authenticated_user_is_a_login_identified_past_the_token(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    views = _edited(project, {"accounts/views.py": TOKEN_VIEWS, "site_app/urls.py": TOKEN_URLS})
    session, jwt, staff = (
        views.split("def jwt_login", 1)[0],
        views.split("def jwt_login", 1)[1].split("def staff_login", 1)[0],
        views.split("def staff_login", 1)[1],
    )
    # Past the token the user is one authenticate() returned (None fails the issuer).
    issued = (
        "token, _ = Token.objects.get_or_create(user=user)\n        identify_context(str(user.pk))"
    )
    assert issued in session
    assert 'capture("user_logged_in", distinct_id=str(user.pk))' in session
    assert "RefreshToken.for_user(user)\n    identify_context(str(user.pk))" in jwt
    # Bound twice, the name may hold something else by the time the token is made.
    assert "identify_context" not in staff
    _settled(project, views)


LOGIN_SERIALIZERS = """\
from django.contrib.auth import authenticate
from rest_framework import serializers


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()

    def validate(self, attrs):
        user = authenticate(username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError("wrong username or password")
        attrs["user"] = user
        return attrs


class TrustingSerializer(serializers.Serializer):
    username = serializers.CharField()

    def validate(self, attrs):
        attrs["user"] = authenticate(username=attrs["username"], password="")
        return attrs
"""
LOGIN_VIEWS = """\
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import LoginSerializer, TrustingSerializer


class LoginApi(APIView):
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class QuickLoginApi(APIView):
    def post(self, request):
        serializer = TrustingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        return Response({"name": str(user)})


class PasswordChangeApi(APIView):
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        user.set_password(request.data["new_password"])
        user.save()
        return Response(status=204)
"""
LOGIN_URLS = """\
from django.urls import path

from accounts import views

urlpatterns = [
    path("api/login/", views.LoginApi.as_view()),
    path("api/quick-login/", views.QuickLoginApi.as_view()),
    path("api/password/", views.PasswordChangeApi.as_view()),
]
"""


def test_a_login_api_identifies_the_user_its_serializer_authenticated(tmp_path: Path) -> None:
    project = _project(tmp_path)
    files = {
        "accounts/serializers.py": LOGIN_SERIALIZERS,
        "accounts/views.py": LOGIN_VIEWS,
        "site_app/urls.py": LOGIN_URLS,
    }
    views = _edited(project, files)
    login, rest = views.split("class QuickLoginApi", 1)
    quick, password = rest.split("class PasswordChangeApi", 1)
    # validate() refused a None before it kept authenticate()'s user: past the read, a user.
    taken = 'user = serializer.validated_data["user"]\n        identify_context(str(user.pk))'
    assert taken in login
    # A validate that keeps whatever authenticate() answered (None too) proves nobody.
    assert "identify_context" not in quick
    # Checking the old password authenticates too, but logs nobody in.
    assert "identify_context" not in password
    assert "user_logged_in" not in password
    _settled(project, views)
