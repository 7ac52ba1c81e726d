"""A view two URLs route to, one with a parameter the other lacks: the one capture in its
body sends what both routes can, and the check passes right after the edit."""

from __future__ import annotations

import json
from pathlib import Path

from tests.workflow.edits import edited, written

VIEWS = """\
    from django.shortcuts import get_object_or_404, redirect, render

    from notes.models import Note


    def create_or_edit(request, note_id=None):
        if request.method == "POST":
            note = get_object_or_404(Note, pk=note_id) if note_id else Note()
            note.text = request.POST["text"]
            note.save()
            return redirect("/")
        return render(request, "note.html")
    """


def test_one_capture_for_two_routes_sends_what_both_have(tmp_path: Path) -> None:
    project = written(
        tmp_path,
        {
            "manage.py": "import os\n",
            "site_cfg/__init__.py": "",
            "site_cfg/settings.py": 'INSTALLED_APPS = ["notes"]\nROOT_URLCONF = "site_cfg.urls"\n',
            "site_cfg/urls.py": """\
                from django.urls import path

                from notes.views import create_or_edit

                urlpatterns = [
                    path("notes/new/", create_or_edit),
                    path("notes/<int:note_id>/edit/", create_or_edit),
                ]
                """,
            "notes/__init__.py": "",
            "notes/models.py": "from django.db import models\n\n\nclass Note(models.Model):\n"
            "    text = models.TextField()\n",
            "notes/views.py": VIEWS,
            "requirements.txt": "django>=4.2\n",
        },
    )
    views = edited(project, "notes/views.py")
    assert views.count("posthog_client.capture(") == 1
    assert "note_id" not in views.split("posthog_client.capture(", 1)[1].split(")\n", 1)[0]
    plan = json.loads((project / "posthog-events.json").read_text())
    captured = [e for e in plan["events"] if e["kind"] == "capture"]
    assert len(captured) == 2
    assert captured[0]["properties"] == captured[1]["properties"]
