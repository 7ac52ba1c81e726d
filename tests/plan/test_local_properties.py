"""Properties from what the handler itself computed or is: its own tallies, the key of a
model whose method handles the request, objects a project service's annotated method
returned."""

from __future__ import annotations

import textwrap

from posthog_setup.plan.plan import _is_reference, build_plan
from tests.analysers import analyse_sources


def _properties(sources: dict[str, str]) -> dict[str, tuple[tuple[str, str, str], ...]]:
    analysis = analyse_sources({f: textwrap.dedent(s) for f, s in sources.items()})
    plan = build_plan(analysis, client_module="posthog_client.py")
    return {
        e.event: tuple((p.name, p.value, p.type) for p in e.properties)
        for e in plan.events
        if e.kind == "capture"
    }


TALLIES = """\
    from flask import Flask

    from app.db import db
    from app.models import Session

    app = Flask(__name__)


    @app.post("/sessions/revoke")
    def revoke_sessions():
        revoked_count = 0
        for session in Session.query.all():
            if session.stale:
                db.session.delete(session)
                revoked_count += 1
        db.session.commit()
        return {"revoked": revoked_count}


    @app.post("/sessions/prune")
    def prune_sessions():
        count = 0
        for session in Session.query.all():
            db.session.delete(session)
            count = count * 2
        db.session.commit()
        return {"ok": True}


    @app.post("/sessions/expire")
    def expire_sessions():
        total = 0
        for total, session in enumerate(Session.query.all()):
            db.session.delete(session)
        db.session.commit()
        return {"ok": True}


    @app.post("/sessions/close")
    def close_sessions():
        for session in Session.query.all():
            closed_count = 0
            db.session.delete(session)
            closed_count += 1
        db.session.commit()
        return {"ok": True}
"""


def test_a_counter_the_handler_keeps_is_a_property_only_while_it_is_a_plain_tally() -> None:
    events = _properties({"app/views.py": TALLIES})
    assert events["session_revoked"] == (("revoked_count", "revoked_count", "integer"),)
    # Rebound by other than ``+=`` / ``-=``, rebound by a loop, or not bound on every path
    # to the capture: no property.
    assert events["prune_created"] == ()
    assert events["expire_created"] == ()
    assert events["session_closed"] == ()


SEARCHES = """\
    from flask import Flask, request

    from app.db import db
    from app.models import Search

    app = Flask(__name__)


    @app.post("/searches")
    def create_search():
        terms = request.args.get("q")
        if not terms:
            return {"error": "empty"}, 400
        db.session.add(Search(terms=terms))
        db.session.commit()
        return {"ok": True}


    @app.post("/lookups")
    def create_lookup():
        terms = request.args.get("q")
        db.session.add(Search(terms=terms))
        db.session.commit()
        return {"ok": True}


    @app.post("/invites")
    def create_invite():
        email = request.form.get("address")
        if email is None:
            return {"error": "empty"}, 400
        db.session.add(Search(terms=email))
        db.session.commit()
        return {"ok": True}


    @app.post("/pages")
    def create_page():
        size = request.args.get("size", 10)
        if size:
            db.session.add(Search(terms=size))
            db.session.commit()
        return {"ok": True}
"""


def test_the_length_of_a_text_the_request_sent_once_it_is_proven_there() -> None:
    events = _properties({"app/views.py": SEARCHES})
    assert ("terms_length", "len(terms)", "integer") in events["search_created"]
    # Maybe None at the capture; a personal value; a default that is no text: nothing.
    assert not any(p[0].endswith("_length") for p in events["lookup_created"])
    assert not any(p[0].endswith("_length") for p in events["invite_created"])
    assert not any(p[0].endswith("_length") for p in events["page_created"])
    # Never the text itself.
    assert all(p[1] != "terms" for e in events.values() for p in e)


SERVICES = """\
    from flask import Flask, request
    from flask_sqlalchemy import SQLAlchemy

    app = Flask(__name__)
    db = SQLAlchemy(app)


    class Upload(db.Model):
        id = db.Column(db.Integer, primary_key=True)


    class Uploads:
        def __init__(self, owner):
            self.owner = owner

        async def store(self, data) -> Upload:
            upload = Upload()
            db.session.add(upload)
            db.session.commit()
            return upload

        def find(self, key) -> Upload | None:
            return Upload.query.get(key)

        def store_plain(self, data):
            return Upload()


    @app.post("/imports")
    async def start_import():
        service = Uploads(owner=request.remote_addr)
        upload = await service.store(request.files["file"])
        return {"id": 1}, 201


    @app.post("/exports")
    async def start_export():
        service = Uploads(owner=request.remote_addr)
        upload = service.find(request.form["key"])
        db.session.commit()
        return {"id": 1}, 201


    @app.post("/batches")
    async def start_batch():
        service = Uploads(owner=request.remote_addr)
        upload = service.store_plain(request.files["file"])
        db.session.commit()
        return {"id": 1}, 201
"""


def test_an_object_a_project_services_annotated_method_returned_gives_its_key() -> None:
    events = _properties({"app.py": SERVICES})
    assert ("upload_id", "upload.id", "integer") in events["import_started"]
    # Maybe None (``-> Upload | None``, never used on the way) or unannotated: no key.
    assert not any(p[0] == "upload_id" for p in events["export_started"])
    assert not any(p[0] == "upload_id" for p in events["batch_started"])


DRF_URLS = """\
    from django.urls import path

    from shop import apis

    urlpatterns = [
        path("orders/", apis.OrderCreateApi.as_view()),
        path("orders/bulk/", apis.OrderBulkApi.as_view()),
        path("orders/draft/", apis.OrderDraftApi.as_view()),
        path("signups/", apis.SignupApi.as_view()),
    ]
"""
DRF_APIS = """\
    from rest_framework import serializers
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from shop.models import Order


    class OrderInputSerializer(serializers.Serializer):
        express = serializers.BooleanField()
        quantity = serializers.IntegerField()
        size = serializers.ChoiceField(choices=["s", "m", "l"])
        note = serializers.CharField(allow_null=True)
        email = serializers.EmailField()


    class OrderCreateApi(APIView):
        class InputSerializer(serializers.Serializer):
            express = serializers.BooleanField(required=False)
            new_password1 = serializers.CharField()
            passphrase_hint = serializers.CharField()
            comment = serializers.CharField()
            password = serializers.CharField()
            token = serializers.CharField()

        def post(self, request):
            serializer = self.InputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            order = Order.objects.create(**serializer.validated_data)
            return Response({"id": order.pk})


    class OrderBulkApi(APIView):
        def post(self, request):
            serializer = OrderInputSerializer(data=request.data, many=True)
            serializer.is_valid(raise_exception=True)
            Order.objects.bulk_create([Order(**d) for d in serializer.validated_data])
            return Response({})


    class OrderDraftApi(APIView):
        def post(self, request):
            serializer = OrderInputSerializer(data=request.data)
            Order.objects.create(note="draft")
            serializer.is_valid(raise_exception=True)
            return Response({})


    class SignupApi(APIView):
        def post(self, request):
            serializer = OrderInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            Order.objects.create(**serializer.validated_data)
            return Response({})
"""


def _drf_events_by_handler() -> dict[str, tuple[tuple[str, str, str], ...]]:
    sources = {
        "proj/__init__.py": "",
        "proj/settings.py": (
            'ROOT_URLCONF = "proj.urls"\nINSTALLED_APPS = ["rest_framework", "shop"]\n'
        ),
        "proj/urls.py": DRF_URLS,
        "shop/__init__.py": "",
        "shop/models.py": "from django.db import models\n\n\nclass Order(models.Model):\n"
        "    note = models.TextField()\n",
        "shop/apis.py": DRF_APIS,
    }
    return _properties_by_handler(sources)


def _properties_by_handler(sources: dict[str, str]) -> dict[str, tuple[tuple[str, str, str], ...]]:
    analysis = analyse_sources({f: textwrap.dedent(s) for f, s in sources.items()})
    plan = build_plan(analysis, client_module="posthog_client.py")
    return {
        e.handler: tuple((p.name, p.value, p.type) for p in e.properties)
        for e in plan.events
        if e.kind == "capture"
    }


def test_a_drf_serializers_validated_fields_are_read_after_is_valid() -> None:
    by_handler = _drf_events_by_handler()
    # A serializer the view declares: a flag read safely, the length of free text; never a
    # password or a token, numbered or not, nor the length of one.
    assert by_handler["OrderCreateApi.post"] == (
        ("order_id", "order.pk", "integer"),
        ("express", 'serializer.validated_data.get("express")', "boolean"),
        ("comment_length", 'len(serializer.validated_data.get("comment", ""))', "integer"),
    )
    # A module-level serializer: flags, numbers and declared choices as they are; never an
    # email, never the length of a text that may be None.
    assert by_handler["SignupApi.post"] == (
        ("express", 'serializer.validated_data.get("express")', "boolean"),
        ("quantity", 'serializer.validated_data.get("quantity")', "integer"),
        ("size", 'serializer.validated_data.get("size")', "string"),
    )
    # ``many=True`` builds a list serializer (its validated_data is a list); a capture
    # before is_valid() would find validated_data unreadable.
    assert not any("validated_data" in p[1] for p in by_handler["OrderBulkApi.post"])
    assert not any("validated_data" in p[1] for p in by_handler["OrderDraftApi.post"])


def test_a_mapping_read_by_a_constant_key_is_a_reference_the_plan_keeps() -> None:
    assert _is_reference('serializer.validated_data.get("express")')
    assert _is_reference('len(serializer.validated_data.get("comment", ""))')
    # Any other argument is code, not a reference.
    assert not _is_reference("serializer.validated_data.get(key)")
    assert not _is_reference('serializer.validated_data.get("a", default=1)')
    assert not _is_reference('serializer.save("a")')


FORM_VIEWS = """\
    from django import forms
    from django.shortcuts import redirect

    from shelf.models import Folder


    class FolderForm(forms.ModelForm):
        class Meta:
            model = Folder
            fields = ["name"]


    class RenamingForm(forms.ModelForm):
        class Meta:
            model = Folder
            fields = ["name"]

        def save(self, commit=True):
            return None


    class LabelForm(forms.Form):
        name = forms.CharField()


    def new_folder(request):
        form = FolderForm(request.POST)
        if form.is_valid():
            folder = form.save()
            return redirect("/")
        return redirect("/new")


    def rename_folder(request):
        form = RenamingForm(request.POST)
        if form.is_valid():
            folder = form.save()
            return redirect("/")
        return redirect("/rename")
"""


def test_what_a_model_forms_save_answers_is_its_model_unless_the_form_overrides_it() -> None:
    """``folder = form.save()`` holds a ``Folder`` where the form is a model form of
    ``Folder`` that keeps the library's ``save``; one that overrides it may answer
    anything (here None), so its result gives no key."""
    sources = {
        "proj/__init__.py": "",
        "proj/settings.py": 'ROOT_URLCONF = "proj.urls"\nINSTALLED_APPS = ["shelf"]\n',
        "proj/urls.py": (
            "from django.urls import path\n\nfrom shelf import views\n\nurlpatterns = [\n"
            '    path("folders/new/", views.new_folder),\n'
            '    path("folders/rename/", views.rename_folder),\n]\n'
        ),
        "shelf/__init__.py": "",
        "shelf/models.py": "from django.db import models\n\n\nclass Folder(models.Model):\n"
        "    name = models.CharField(max_length=50)\n",
        "shelf/views.py": FORM_VIEWS,
    }
    events = _properties_by_handler(sources)
    assert ("folder_id", "folder.pk", "integer") in events["new_folder"]
    assert not any(p[1].startswith("folder.") for p in events["rename_folder"])


def test_a_signup_whose_account_is_unknown_is_sent_as_nobody() -> None:
    by_handler = {
        e.handler: e.distinct_id
        for e in build_plan(
            analyse_sources(
                {
                    "app.py": textwrap.dedent(
                        """\
                        from flask import Flask, redirect, session
                        from .db import get_db

                        app = Flask(__name__)

                        @app.post("/auth/register")
                        def register():
                            get_db().execute("INSERT INTO user (name) VALUES (?)", ("x",))
                            get_db().commit()
                            return redirect("/auth/login")

                        @app.post("/auth/login")
                        def login():
                            row = get_db().execute("SELECT id FROM user").fetchone()
                            session.clear()
                            session["user_id"] = row["id"]
                            return redirect("/")

                        @app.post("/notes")
                        def add_note():
                            get_db().execute("INSERT INTO note (author) VALUES (?)", (session["user_id"],))
                            get_db().commit()
                            return redirect("/")
                        """
                    )
                }
            ),
            client_module="posthog_client.py",
        ).events
        if e.kind == "capture"
    }
    # Whoever is logged in (if anyone) did not sign up: the new account is not known.
    assert by_handler["register"] is None
    assert by_handler["add_note"] == 'session["user_id"]'
