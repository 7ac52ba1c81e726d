"""A write hook a routed view inherits from a project base is each subclass's event: filed
under the subclass and captured in the hook edit adds there, never in the shared base."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from posthog_setup.cli import main

SETTINGS = 'ROOT_URLCONF = "kitchen.urls"\nINSTALLED_APPS = ["rest_framework", "pantry"]\n'
URLS = """\
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from pantry import views

router = DefaultRouter()
router.register("labels", views.LabelViewSet)
router.register("spices", views.SpiceViewSet)
router.register("jars", views.JarViewSet)

urlpatterns = [
    path("api/", include(router.urls)),
    path("shelves/<int:pk>/edit/", views.ShelfEdit.as_view()),
    path("shelves/new/", views.ShelfNew.as_view()),
]
"""
MODELS = """\
from django.db import models


class Label(models.Model):
    name = models.CharField(max_length=40)


class Spice(models.Model):
    name = models.CharField(max_length=40)


class Shelf(models.Model):
    title = models.CharField(max_length=40)
"""
VIEWS = """\
from django.views.generic import CreateView, UpdateView
from rest_framework import mixins, viewsets

from pantry.models import Label, Shelf, Spice


class OwnedViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.CreateModelMixin):
    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)


class LabelViewSet(OwnedViewSet):
    queryset = Label.objects.all()


class SpiceViewSet(OwnedViewSet):
    queryset = Spice.objects.all()


class StampedEdit(UpdateView):
    def form_valid(self, form):
        form.instance.editor = self.request.user
        return super().form_valid(form)


class ShelfEdit(StampedEdit):
    model = Shelf
    fields = ["title"]


class ShelfNew(CreateView):
    model = Shelf
    fields = ["title"]


class JarViewSet(viewsets.GenericViewSet, mixins.CreateModelMixin):
    queryset = Spice.objects.all()

    def perform_create(self, serializer):
        notify_kitchen(serializer.validated_data)
"""


def _project(root: Path) -> Path:
    files = {
        "kitchen/__init__.py": "",
        "kitchen/settings.py": SETTINGS,
        "kitchen/urls.py": URLS,
        "pantry/__init__.py": "",
        "pantry/models.py": MODELS,
        "pantry/views.py": VIEWS,
        "requirements.txt": "django>=4.2\ndjangorestframework\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _override(hook: str, parent: str, event: str) -> str:
    """The start of the hook edit adds to a class: the parent's write, then the capture."""
    return textwrap.indent(
        textwrap.dedent(
            f"""\
            def {hook}(self, {parent}):
                super().{hook}({parent})
                posthog_client.capture(
                    "{event}",
            """
        ),
        "    ",
    )


def test_each_routed_subclass_captures_its_own_event(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert main(["begin", "-q", str(project)]) == 0
    plan = json.loads((project / "posthog-events.json").read_text(encoding="utf-8"))
    captures = {
        (e["handler"], e["event"], tuple(e["methods"]))
        for e in plan["events"]
        if e["kind"] == "capture"
    }
    assert ("LabelViewSet", "label_created", ("POST",)) in captures
    assert ("SpiceViewSet", "spice_created", ("POST",)) in captures
    assert ("ShelfEdit", "shelf_updated", ("POST",)) in captures
    assert not any(
        handler.startswith(("OwnedViewSet", "StampedEdit")) for handler, _, _ in captures
    )

    assert main(["edit", "-q", str(project)]) == 0
    views = (project / "pantry" / "views.py").read_text(encoding="utf-8")
    compile(views, "views.py", "exec")
    base = views.split("class LabelViewSet", 1)[0]
    assert "posthog_client.capture" not in base  # the shared base sends nothing itself
    label = views.split("class LabelViewSet", 1)[1].split("class SpiceViewSet", 1)[0]
    assert _override("perform_create", "serializer", "label_created") in label
    spice = views.split("class SpiceViewSet", 1)[1].split("class StampedEdit", 1)[0]
    assert _override("perform_create", "serializer", "spice_created") in spice
    # The saved object's key, as the framework guarantees it after the parent's save.
    assert '"label_id": serializer.instance.pk' in label
    assert '"spice_id": serializer.instance.pk' in spice
    shelf = views.split("class ShelfEdit", 1)[1]
    assert "def form_valid(self, form):" in shelf
    assert '"shelf_updated"' in shelf
    assert '"shelf_id": self.kwargs["pk"]' in shelf  # the URL's key comes first
    # A hook of the project's own that saves nothing: no instance to read a key from.
    jar = views.split("class JarViewSet", 1)[1]
    assert "posthog_client.capture(" in jar
    assert "serializer.instance" not in jar
    created = views.split("class ShelfNew", 1)[1].split("class JarViewSet", 1)[0]
    assert '"shelf_id": self.object.pk' in created
    stamped = views.split("class StampedEdit", 1)[1].split("class ShelfEdit", 1)[0]
    assert "posthog_client" not in stamped

    # A second run finds the plan's events where it put them: nothing to do.
    before = views
    assert main(["edit", "-q", str(project)]) == 0
    assert (project / "pantry" / "views.py").read_text(encoding="utf-8") == before
