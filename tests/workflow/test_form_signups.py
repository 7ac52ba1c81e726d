"""A Django signup view that saves a model form of the user model and logs nobody in
(a registration confirmed by email): the account is what the form's save answered, and
that is who signed up, never the anonymous visitor who sent the form."""

from __future__ import annotations

from pathlib import Path

from tests.workflow.edits import edited, written

FORMS = """\
    from django import forms
    from django.contrib.auth import get_user_model

    from notes.models import Note, Profile


    class ProfileForm(forms.ModelForm):
        class Meta:
            model = Profile
            fields = ["bio"]


    class JoinForm(forms.ModelForm):
        class Meta:
            model = get_user_model()
            fields = ["username", "email"]


    class NoteForm(forms.ModelForm):
        class Meta:
            model = Note
            fields = ["text"]
    """
VIEWS = """\
    from django.shortcuts import redirect, render

    from notes.forms import JoinForm, NoteForm, ProfileForm


    def join(request):
        if request.method == "POST":
            form = JoinForm(request.POST)
            if form.is_valid():
                member = form.save(commit=False)
                member.is_active = False
                member.save()
                return render(request, "check_your_email.html")
        else:
            form = JoinForm()
        return render(request, "join.html", {"form": form})


    def signup_profile(request):
        form = ProfileForm(request.POST)
        if form.is_valid():
            profile = form.save()
            return redirect("/")
        return render(request, "profile.html", {"form": form})


    def signup_note(request):
        form = NoteForm(request.POST)
        if form.is_valid():
            note = form.save()
            return redirect("/")
        return render(request, "note.html", {"form": form})
    """


def test_the_account_a_model_form_saved_is_who_signed_up(tmp_path: Path) -> None:
    project = written(
        tmp_path,
        {
            "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_cfg.settings')\n",
            "site_cfg/__init__.py": "",
            "site_cfg/settings.py": 'INSTALLED_APPS = ["notes"]\nROOT_URLCONF = "site_cfg.urls"\n',
            "site_cfg/urls.py": """\
                from django.urls import path

                from notes import views

                urlpatterns = [
                    path("accounts/signup/", views.join),
                    path("notes/signup/", views.signup_note),
                    path("profiles/signup/", views.signup_profile),
                ]
                """,
            "notes/__init__.py": "",
            "notes/models.py": "from django.db import models\n\n\nclass Note(models.Model):\n"
            "    text = models.TextField()\n\n\nclass Profile(models.Model):\n"
            "    bio = models.TextField()\n",
            "notes/forms.py": FORMS,
            "notes/views.py": VIEWS,
            "requirements.txt": "django>=4.2\n",
        },
    )
    views = edited(project, "notes/views.py")
    join, rest = views.split("def signup_profile", 1)
    profile, note = rest.split("def signup_note", 1)
    assert "member.save()\n            identify_context(str(member.pk))" in join
    assert 'capture("user_signed_up", distinct_id=str(member.pk))' in join
    assert "request.user" not in join
    # A note's form makes no account, whatever its path says; a profile's key is not the
    # key of the user who logs in.
    assert "identify_context" not in note
    assert "identify_context" not in profile
