"""Writes through the project's own model, manager and queryset methods, found by the
class the receiver is proven to be; and POSTs whose every call is proven to only read."""

from __future__ import annotations

import textwrap

import pytest

from posthog_setup import parallel as parallel_module
from posthog_setup.analysis.model import Analysis, Route
from posthog_setup.frameworks.django import model_methods
from posthog_setup.plan.naming import event_name
from tests.analysers import analyse_sources

SETTINGS = 'ROOT_URLCONF = "proj.urls"\nINSTALLED_APPS = ["inbox"]\n'
URLS = """
from django.urls import path

from inbox import views

urlpatterns = [
    path("alerts/<slug>/seen/", views.mark_as_read),
    path("alerts/seen/", views.mark_all_as_read),
    path("alerts/archive/", views.archive_old),
    path("alerts/counts/", views.counts),
    path("alerts/<slug>/ping/", views.ping),
    path("alerts/<slug>/guess/", views.guess),
    path("alerts/<slug>/nudge/", views.nudge),
]
"""
MODELS = """
from django.conf import settings
from django.db import models

from inbox.mail import deliver


class AlertQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(unread=True)

    def mark_all_as_read(self, recipient=None):
        qs = self.unread()
        if recipient:
            qs = qs.filter(recipient=recipient)
        return qs.update(unread=False)


class ArchiveManager(models.Manager):
    def archive_before(self, day):
        return self.get_queryset().filter(created__lt=day).delete()


class Alert(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="alerts", on_delete=models.CASCADE
    )
    unread = models.BooleanField(default=True)
    slug = models.SlugField()

    objects = AlertQuerySet.as_manager()
    archive = ArchiveManager()

    def mark_as_read(self):
        if self.unread:
            self._flip()

    def _flip(self):
        self.unread = False
        self.save()

    def siblings(self):
        return self.recipient.alerts.filter(unread=self.unread).count()

    def ping(self):
        deliver(self.recipient)


class Note(models.Model):
    objects = ArchiveManager()
"""
VIEWS = """
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from inbox.models import Alert, Note


def mark_as_read(request, slug):
    alert = get_object_or_404(Alert, slug=slug)
    alert.mark_as_read()
    return redirect("/")


def mark_all_as_read(request):
    request.user.alerts.mark_all_as_read()
    return redirect("/")


@require_POST
def archive_old(request):
    Note.objects.archive_before(request.POST["day"])
    return redirect("/")


@require_POST
def counts(request):
    alert = Alert.objects.get(pk=request.POST["id"])
    return JsonResponse({"siblings": alert.siblings(), "total": len(request.POST)})


@require_POST
def ping(request, slug):
    alert = Alert.objects.get(slug=slug)
    alert.ping()
    return JsonResponse({})


def guess(request, slug, alert):
    alert.mark_as_read()
    return redirect("/")


@require_POST
def nudge(request, slug):
    alert = Alert.objects.get(slug=slug)
    alert.siblings()
    notify(alert)
    return JsonResponse({})


def notify(alert):
    pass
"""


def project(**overrides: str) -> Analysis:
    files = {
        "proj/__init__.py": "",
        "proj/settings.py": SETTINGS,
        "proj/urls.py": URLS,
        "inbox/__init__.py": "",
        "inbox/mail.py": "def deliver(user):\n    pass\n",
        "inbox/models.py": MODELS,
        "inbox/views.py": VIEWS,
    }
    files.update(overrides)
    return analyse_sources({k: textwrap.dedent(v) for k, v in files.items()})


def route(analysis: Analysis, handler: str) -> Route:
    return next(r for r in analysis.routes if r.handler.qualname == handler)


def test_an_instance_method_that_saves_is_a_write_of_its_model() -> None:
    found = route(project(), "mark_as_read")
    assert found.mutating
    writes = [e for e in found.evidence if e.kind == "write"]
    assert writes
    assert writes[0].detail.startswith("alert.mark_as_read() writes")
    assert found.anchor is not None
    assert not found.anchor.before
    assert found.anchor.line == 11  # after alert.mark_as_read()
    assert found.written == ("Alert",)
    assert event_name(found) == "alert_marked_read"


def test_a_queryset_method_through_a_reverse_relation_of_the_user_is_a_write() -> None:
    found = route(project(), "mark_all_as_read")
    assert found.mutating
    assert any("request.user.alerts.mark_all_as_read()" in e.detail for e in found.evidence)
    assert event_name(found) == "alerts_marked_read"


def test_a_custom_manager_method_that_deletes_is_a_write() -> None:
    found = route(project(), "archive_old")
    assert any(
        e.kind == "write" and e.detail.startswith("Note.objects.archive_before()")
        for e in found.evidence
    )
    assert found.written == ("Note",)


def test_a_post_whose_every_call_only_reads_is_not_a_write() -> None:
    found = route(project(), "counts")
    assert not found.mutating
    assert any(e.kind == "read-only" for e in found.evidence)


def test_a_method_writing_through_its_modules_function_is_not_taken_for_a_read() -> None:
    # ``ping`` calls an imported function the analysis does not follow: neither a write
    # nor a read is claimed, and the POST stays what its method says.
    found = route(project(), "ping")
    assert found.mutating
    assert not any(e.kind in ("write", "read-only") for e in found.evidence)


def test_a_call_the_reads_cannot_account_for_keeps_the_post() -> None:
    found = route(project(), "nudge")
    assert found.mutating
    assert not any(e.kind == "read-only" for e in found.evidence)


def test_a_receiver_of_unknown_class_is_never_guessed() -> None:
    found = route(project(), "guess")
    assert not any(e.kind == "write" for e in found.evidence)
    assert not found.mutating


@pytest.mark.parametrize(
    "models",
    [
        # The related name is shared by two models: which one is meant is not known.
        MODELS
        + textwrap.dedent(
            """
            class Other(models.Model):
                owner = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="alerts",
                                          on_delete=models.CASCADE)
            """
        ),
        # A one-to-one's reverse accessor is an object, never a manager.
        MODELS.replace("models.ForeignKey(", "models.OneToOneField("),
    ],
)
def test_reverse_relations_that_prove_nothing(models: str) -> None:
    found = route(project(**{"inbox/models.py": models}), "mark_all_as_read")
    assert not any(e.kind == "write" for e in found.evidence)


BULK_URLS = """
from django.urls import path

from inbox import views

urlpatterns = [
    path("boards/<int:pk>/clear/", views.clear_board),
    path("boards/<int:pk>/order/", views.save_order),
    path("boards/<int:pk>/purge/", views.purge),
]
"""
BULK_VIEWS = """
from django.shortcuts import get_object_or_404, redirect

from inbox.models import Alert, Board


def clear_board(request, pk):
    board = get_object_or_404(Board, pk=pk)
    board.alert_set.filter(unread=True).update(unread=False)
    return redirect("/")


def save_order(request, pk):
    for alert in Alert.objects.filter(board_id=pk):
        alert.position = int(request.POST[str(alert.pk)])
        alert.save()
    Alert.objects.bulk_update([], fields=("position",))
    return redirect("/")


def purge(request, pk):
    board = get_object_or_404(Board, pk=pk)
    board.delete()
    return redirect("/")
"""


def test_queryset_writes_name_their_model_and_saving_what_was_looked_up_is_an_update() -> None:
    models = MODELS + "\n\nclass Board(models.Model):\n    title = models.CharField()\n"
    analysis = project(
        **{"proj/urls.py": BULK_URLS, "inbox/views.py": BULK_VIEWS, "inbox/models.py": models}
    )
    # ``board.alert_set`` is the reverse relation to Alert, which the module binds
    cleared = route(analysis, "clear_board")
    assert cleared.written == ("Alert",)
    assert cleared.existing_change == "updated"
    ordered = route(analysis, "save_order")
    assert ordered.written == ("Alert",)
    assert event_name(ordered) == "alert_updated"  # saved what the loop looked up
    purged = route(analysis, "purge")
    assert purged.existing_change == "deleted"


def test_many_models_modules_read_in_workers_give_what_one_process_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past a few dozen models modules they are read in worker processes; the merge keeps
    the serial reading's answer: a later module's class of the same name wins, and a
    related name two modules' models share proves nothing."""
    texts = {f"app{i}/models.py": MODELS for i in range(70)}
    texts["app9/models.py"] = MODELS.replace("return qs.update(unread=False)", "return qs")
    texts["zz/models.py"] = MODELS.replace('related_name="alerts"', 'related_name="mine"')
    modules = {file: (file[: -len(".py")].replace("/", "."), False) for file in texts}
    monkeypatch.setattr(parallel_module, "workers", lambda: 2)
    parallel = model_methods.read_models(texts, modules)
    monkeypatch.setattr(model_methods, "_PARALLEL_FILES", len(texts) + 1)
    assert parallel == model_methods.read_models(texts, modules)
    assert parallel.method("app9.models.AlertQuerySet", "mark_all_as_read") == model_methods.READS
    assert parallel.method("app8.models.AlertQuerySet", "mark_all_as_read") not in ("", "?", None)
    assert parallel.user_relations == {"mine": "zz.models.Alert"}


MANAGERS = """
from django.contrib.auth.models import BaseUserManager, UserManager
from django.db import models


class MemberManager(BaseUserManager):
    def create_user(self, email, password=None):
        if not email:
            raise ValueError("an email is needed")
        member = self.model(email=email)
        member.set_password(password)
        member.save(using=self._db)
        return member

    def create_superuser(self, email, password):
        member = self.create_user(email, password)
        member.is_staff = True
        member.save()
        return member

    def create_unsaved(self, email):
        return self.model(email=email)

    def create_maybe(self, email):
        if email:
            member = self.model(email=email)
            member.save()
            return member

    def create_twice(self, email):
        member = self.model(email=email)
        member.save()
        member = {"email": email}
        return member


class StaffManager(UserManager):
    def create_staff(self, username):
        return super().create_user(username, is_staff=True)


class Member(models.Model):
    objects = MemberManager()
"""


def test_manager_methods_proven_to_answer_a_saved_instance() -> None:
    models = model_methods.read_models(
        {"club/models.py": MANAGERS}, {"club/models.py": ("club.models", False)}
    )
    # Built with self.model(...) and saved, or another such method's; Django's own
    # UserManager methods through super(). Not one that never saves, may end without a
    # return (None), or binds the name to something else as well.
    assert models.instance_methods == {
        "club.models.MemberManager": frozenset({"create_user", "create_superuser"}),
        "club.models.StaffManager": frozenset({"create_staff"}),
    }
