"""Who an account's creation is told as: a stranger signing up is identified as the new
user; someone logged in making an account (an admin) sends an ordinary event as
themselves, identifying nobody; a registration API identifies the user its serializer
is proven to have saved. A second run and revise --check find nothing to do."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.workflow.edits import edited as _edited
from tests.workflow.edits import written as _written

FLASK_FILES = {
    "requirements.txt": "flask>=3.0\nflask-login\nflask-sqlalchemy\n",
    "shop/__init__.py": "",
    "shop/models.py": """\
        from flask_login import UserMixin
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()


        class User(UserMixin, db.Model):
            id = db.Column(db.Integer, primary_key=True)
            email = db.Column(db.String(120), unique=True)
        """,
    "shop/views.py": """\
        from flask import Blueprint, request
        from flask_login import login_required

        from shop.models import User, db

        accounts = Blueprint("accounts", __name__)


        @accounts.route("/join", methods=["POST"])
        def join():
            user = User(email=request.form["email"])
            db.session.add(user)
            db.session.commit()
            return "", 201


        @accounts.route("/panel/new-user", methods=["GET", "POST"])
        @login_required
        def new_user():
            if request.method == "POST":
                user = User(email=request.form["email"])
                db.session.add(user)
                db.session.commit()
                return "", 201
            return "form"
        """,
    "shop/app.py": """\
        from flask import Flask
        from flask_login import LoginManager

        from shop.models import User, db
        from shop.views import accounts

        app = Flask(__name__)
        db.init_app(app)
        login_manager = LoginManager(app)
        app.register_blueprint(accounts)


        @login_manager.user_loader
        def load_user(user_id):
            return db.session.get(User, int(user_id))
        """,
}


def test_an_account_made_behind_login_required_is_sent_as_who_made_it(tmp_path: Path) -> None:
    views = _edited(_written(tmp_path, FLASK_FILES), "shop/views.py")
    join, made = views.split("def new_user", 1)
    # The stranger who joins is the new user.
    assert "db.session.commit()\n    identify_context(str(user.id))" in join
    assert 'capture("user_signed_up", distinct_id=str(user.id))' in join
    # The one logged in made someone else's account: sent as them, the account's id a
    # property; the new user is not identified in the admin's request.
    created = textwrap.indent(
        textwrap.dedent(
            """\
            db.session.commit()
            posthog_client.capture(
                "user_created",
                distinct_id=str(current_user.get_id()) if current_user.is_authenticated else None,
                properties={"user_id": user.id},
            )
            """
        ),
        "        ",
    )
    assert created in made
    assert "identify_context" not in made
    assert "user_signed_up" not in made


DRF_FILES = {
    "requirements.txt": "django>=4.2\ndjangorestframework\n",
    "site_app/__init__.py": "",
    "site_app/settings.py": """\
        ROOT_URLCONF = "site_app.urls"
        INSTALLED_APPS = ["rest_framework", "members"]
        AUTH_USER_MODEL = "members.Member"
        """,
    "site_app/urls.py": """\
        from django.urls import path

        from members import views

        urlpatterns = [
            path("api/members/", views.RegistrationAPIView.as_view()),
            path("api/members/login/", views.LoginAPIView.as_view()),
        ]
        """,
    "members/__init__.py": "",
    "members/models.py": """\
        from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
        from django.db import models


        class MemberManager(BaseUserManager):
            def create_user(self, email, password=None):
                if email is None:
                    raise TypeError("members need an email")
                member = self.model(email=self.normalize_email(email))
                member.set_password(password)
                member.save()
                return member


        class Member(AbstractBaseUser):
            email = models.EmailField(unique=True)

            objects = MemberManager()

            USERNAME_FIELD = "email"
        """,
    "members/serializers.py": """\
        from django.contrib.auth import authenticate
        from rest_framework import serializers

        from .models import Member


        class RegistrationSerializer(serializers.ModelSerializer):
            password = serializers.CharField(write_only=True)

            class Meta:
                model = Member
                fields = ["email", "password"]

            def create(self, validated_data):
                return Member.objects.create_user(**validated_data)


        class LoginSerializer(serializers.Serializer):
            email = serializers.CharField()
            password = serializers.CharField(write_only=True)

            def validate(self, data):
                member = authenticate(username=data["email"], password=data["password"])
                if member is None:
                    raise serializers.ValidationError("no such member")
                return {"email": member.email}
        """,
    "members/views.py": """\
        from rest_framework import status
        from rest_framework.permissions import AllowAny
        from rest_framework.response import Response
        from rest_framework.views import APIView

        from .serializers import LoginSerializer, RegistrationSerializer


        class RegistrationAPIView(APIView):
            permission_classes = (AllowAny,)
            serializer_class = RegistrationSerializer

            def post(self, request):
                serializer = self.serializer_class(data=request.data.get("member", {}))
                serializer.is_valid(raise_exception=True)
                serializer.save()
                return Response(serializer.data, status=status.HTTP_201_CREATED)


        class LoginAPIView(APIView):
            permission_classes = (AllowAny,)
            serializer_class = LoginSerializer

            def post(self, request):
                serializer = self.serializer_class(data=request.data.get("member", {}))
                serializer.is_valid(raise_exception=True)
                return Response(serializer.data, status=status.HTTP_200_OK)
        """,
}


def test_a_registration_api_identifies_the_member_its_serializer_saved(tmp_path: Path) -> None:
    views = _edited(_written(tmp_path, DRF_FILES), "members/views.py")
    registration, login = views.split("class LoginAPIView", 1)
    # The serializer's create answers the manager's create_user, whose body returns the
    # member it built and saved: ``serializer.instance`` is that member, never None.
    saved = textwrap.indent(
        textwrap.dedent(
            """\
            serializer.save()
            identify_context(str(serializer.instance.pk))
            posthog_client.capture("user_signed_up", distinct_id=str(serializer.instance.pk))
            """
        ),
        "        ",
    )
    assert saved in registration
    assert "request.user" not in registration
    # A login serializer whose validate answers a dict exposes no member: nobody is
    # identified, and the event is sent as nobody (the request's user is the visitor
    # before the login).
    assert "identify_context" not in login
    assert "request.user" not in login
    assert 'posthog_client.capture("user_logged_in")' in login


def test_a_registration_api_whose_create_answers_a_dict_reads_no_key_of_it(
    tmp_path: Path,
) -> None:
    files = dict(DRF_FILES)
    files["members/serializers.py"] = DRF_FILES["members/serializers.py"].replace(
        "return Member.objects.create_user(**validated_data)",
        'Member.objects.create_user(**validated_data)\n                return {"ok": True}',
    )
    project = _written(tmp_path, files)
    compile((project / "members/serializers.py").read_text(encoding="utf-8"), "s.py", "exec")
    views = _edited(project, "members/views.py")
    registration = views.split("class LoginAPIView", 1)[0]
    assert "serializer.instance" not in registration
    assert "identify_context" not in registration
