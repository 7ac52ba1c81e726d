"""Wagtail on Django: form pages store their submissions, search promotions record hits.

Wagtail itself is not installed for these tests (a heavy CMS with its own database
schema): the analysis reads source text only, and the edit of a form page is checked as
a before / after codemod test (``tests/codemods/test_routes.py``).
"""

from __future__ import annotations

import textwrap

from posthog_setup.analysis.model import Analysis, Route
from posthog_setup.frameworks.django.conventions import conventions
from posthog_setup.plan.naming import event_name
from posthog_setup.plan.plan import build_plan, event_methods
from tests.analysers import analyse_sources

SETTINGS = 'ROOT_URLCONF = "site_conf.urls"\nINSTALLED_APPS = ["pages", "wagtail"]\n'
URLS = """
from django.urls import include, path
from wagtail import urls as wagtail_urls

from pages import views

urlpatterns = [
    path("search/", views.search),
    path("lookup/", views.lookup),
    path("", include(wagtail_urls)),
]
"""
PAGES = """
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractForm
from wagtail.models import Page

from pages.bases import BaseSurvey


class ContactPage(AbstractEmailForm):
    pass


class FeedbackPage(AbstractForm):
    def process_form_submission(self, form):
        submission = super().process_form_submission(form)
        if submission is None:
            return None
        self.notify(submission)
        return submission


class SurveyPage(BaseSurvey):
    pass


class NewsletterPage(AbstractForm):
    def process_form_submission(self, form):
        subscribe(form.cleaned_data["address"])


class HomePage(Page):
    pass
"""
BASES = """
from wagtail.contrib.forms.models import AbstractForm


class BaseSurvey(AbstractForm):
    class Meta:
        abstract = True
"""
VIEWS = """
from django.shortcuts import render
from wagtail.contrib.search_promotions.models import Query


def search(request):
    terms = request.GET.get("q")
    if terms:
        query = Query.get(terms)
        query.add_hit()
    return render(request, "search.html", {})


def lookup(request, counter):
    counter.add_hit()
    return render(request, "search.html", {})
"""


def site() -> Analysis:
    files = {
        "site_conf/__init__.py": "",
        "site_conf/settings.py": SETTINGS,
        "site_conf/urls.py": URLS,
        "pages/__init__.py": "",
        "pages/bases.py": BASES,
        "pages/models.py": PAGES,
        "pages/views.py": VIEWS,
    }
    return analyse_sources({k: textwrap.dedent(v) for k, v in files.items()})


def route(analysis: Analysis, handler: str) -> Route:
    return next(r for r in analysis.routes if r.handler.qualname == handler)


def test_a_form_page_gets_a_route_whose_edit_adds_process_form_submission() -> None:
    analysis = site()
    page = route(analysis, "ContactPage")
    assert page.mutating
    assert page.methods == ("POST",)
    assert page.hook == "process_form_submission"
    assert conventions.implicit_write(page) == "process_form_submission"
    assert event_name(page) == "contact_submitted"
    user = conventions.current_user(page.handler, analysis)
    assert user is not None
    assert user.id_expression == "form.user.pk"
    assert user.guard is not None
    assert "form.user.is_authenticated" in user.guard


def test_a_form_page_with_its_own_hook_captures_after_the_parents_call() -> None:
    analysis = site()
    own = route(analysis, "FeedbackPage.process_form_submission")
    assert own.mutating
    assert own.hook is None
    assert own.anchor is not None
    assert not own.anchor.before
    assert own.anchor.line == 14  # after super().process_form_submission(form)
    assert conventions.implicit_write(own) is None
    user = conventions.current_user(own.handler, analysis)
    assert user is not None
    assert user.id_expression == "form.user.pk"


def test_a_form_page_through_a_project_base_is_routed_once() -> None:
    handlers = [r.handler.qualname for r in site().routes]
    assert "SurveyPage" in handlers
    assert "BaseSurvey" not in handlers


def test_a_page_that_is_no_form_gets_no_route() -> None:
    assert "HomePage" not in [r.handler.qualname for r in site().routes]


def test_a_form_page_whose_own_hook_stores_nothing_seen_gets_no_route() -> None:
    handlers = [r.handler.qualname for r in site().routes]
    assert "NewsletterPage" not in handlers
    assert "NewsletterPage.process_form_submission" not in handlers


def test_a_search_hit_recorded_through_search_promotions_is_a_write() -> None:
    found = route(site(), "search")
    assert found.mutating
    assert any(e.detail == "query.add_hit() records a search hit" for e in found.evidence)
    assert found.anchor is not None
    assert found.anchor.line == 10  # after query.add_hit(), inside ``if terms:``
    assert event_name(found) == "search_performed"
    assert "GET" in event_methods(found)


def test_add_hit_on_an_object_of_unknown_class_is_not_a_write() -> None:
    found = route(site(), "lookup")
    assert not found.mutating


def test_a_form_pages_submission_carries_the_pages_own_key() -> None:
    analysis = site()
    plan = build_plan(analysis, client_module="posthog_client.py")
    by_handler = {e.handler: e for e in plan.events if e.kind == "capture"}
    for handler in ("ContactPage", "FeedbackPage.process_form_submission"):
        assert ("page_id", "self.pk") in [(p.name, p.value) for p in by_handler[handler].properties]
    # A view that is no page method has no page of its own; its query's length (proven
    # text inside ``if terms:``) is all it says of the search.
    assert [(p.name, p.value) for p in by_handler["search"].properties] == [
        ("terms_length", "len(terms)")
    ]
