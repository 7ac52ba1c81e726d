"""Django and Django REST framework: settings, urlpatterns, views, routers, auth and errors.

Each file is read on its own (``collect``): settings assignments (``settings``),
``urlpatterns`` entries and DRF router registrations (``urls``), and every function or
class that may serve as a view, with the facts of its body (``views``). ``link``
(``linking``) then walks the URL tree from ``ROOT_URLCONF`` through ``include()``
chains, binds each pattern to its view across modules, resolves project-local base
classes, and expands class-based views and viewsets into one route per method or action.

Every framework name is resolved through imports, so ``from django.urls import
path as p`` is still ``path`` and a local function named ``path`` is not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from posthog_setup.analysis import guards
from posthog_setup.analysis.context import FactsBuilder, FileContext, Linked
from posthog_setup.analysis.model import (
    Framework,
    ModuleFacts,
)
from posthog_setup.frameworks.django.common import MEMBERS_ONLY
from posthog_setup.frameworks.django.conventions import conventions as django_conventions
from posthog_setup.frameworks.django.linking import (
    Project,
    linked_apps,
    linked_auth_points,
    linked_error_handlers,
)
from posthog_setup.frameworks.django.model_methods import (
    NO_MODELS,
    ProjectModels,
    read_models,
    reads_models_file,
)
from posthog_setup.frameworks.django.receivers import identifying_receivers
from posthog_setup.frameworks.django.serializers import with_creations
from posthog_setup.frameworks.django.settings import collect_settings
from posthog_setup.frameworks.django.urls import UrlCollector
from posthog_setup.frameworks.django.views import ViewCollector, positional
from posthog_setup.frameworks.ninja import analysis as ninja

#: Words of a file that holds settings, URLs, views or middleware (``View`` also finds
#: ``ViewSet``); substring tests, many times faster than a regex of alternatives.
_WORDS = (
    "django",
    "rest_framework",
    "urlpatterns",
    "process_exception",
    "View",
    "ROOT_URLCONF",
    "INSTALLED_APPS",
    # Wagtail's form pages are served by Wagtail, declared as page models
    "AbstractForm",
    "AbstractEmailForm",
)


class DjangoAnalyser:
    """Django and Django REST framework."""

    name: Framework = "django"
    packages: tuple[str, ...] = ("django", "rest_framework", "ninja")
    app_kinds: tuple[str, ...] = ("django", "drf", "ninja")
    primary_kind = "django.project"
    spellings: Mapping[str, str] = {
        "django.urls.conf.": "django.urls.",
        "django.conf.urls.": "django.urls.",
        "django.views.generic.edit.": "django.views.generic.",
        "django.views.generic.base.": "django.views.generic.",
        "django.views.generic.list.": "django.views.generic.",
        "django.views.generic.detail.": "django.views.generic.",
        "django.conf.urls.url": "django.urls.re_path",
        "django.urls.url": "django.urls.re_path",
    }

    def __init__(self, models: ProjectModels = NO_MODELS) -> None:
        #: the project's model, manager and queryset methods (see ``model_methods``)
        self.models = models

    def reads(self, file: str) -> bool:
        """The modules that declare models, managers and querysets."""
        return reads_models_file(file)

    def for_project(self, texts: Mapping[str, str], python_files: Sequence[str]) -> DjangoAnalyser:
        """This analyser, told which methods of the project's models write."""
        from posthog_setup.analysis.engine import module_for_file, source_roots

        roots = source_roots(python_files)
        modules = {file: module_for_file(file, roots) for file in texts}
        return DjangoAnalyser(read_models(texts, modules))

    def wants(self, source: str) -> bool:
        """Could this file hold settings, URLs, views or middleware?"""
        return any(word in source for word in _WORDS) or ninja.wants(source)

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the settings, URL patterns, routers and views this file declares."""
        collect_settings(ctx, out)
        out.classes = with_creations(ctx, out.classes)
        if "user_logged_in" in ctx.source:
            out.auth_points.extend(identifying_receivers(ctx))
        urls = UrlCollector(ctx).collect(out)
        collector = ViewCollector(ctx, out, self.models)
        views = collector.collect()
        operations = ninja.collect(
            ctx, out, lambda func: collector.body(func, next(iter(positional(func)), None))
        )
        django_apps = any(a.kind in ("django.project", "drf.router") for a in out.apps)
        # A serializer or model form names its model, or authenticates: a registration
        # API's save is a signup, a login API's validated user a login, only where the
        # class says so (see ``linking._serializer_user``).
        serializers = any(c.model is not None or c.authenticates is not None for c in out.classes)
        # The project's own decorators that wrap a login requirement, for any view.
        protecting = guards.module_guards(ctx, MEMBERS_ONLY)
        out.login_guards.extend(protecting)
        if (
            out.django_settings
            or urls
            or views
            or django_apps
            or operations
            or serializers
            or protecting
        ):
            out.uses("django")

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Walk the URL tree and bind views, auth points and error handlers across modules."""
        project = Project(facts, self.models)
        roots = project.roots()
        for root in roots:
            project.walk(root, "", frozenset({root}))
        project.form_pages()
        operations, ninja_handlers = ninja.link(project.facts, project.mounted)
        return Linked(
            apps=linked_apps(project),
            routes=(*project.routes, *operations),
            auth_points=linked_auth_points(project),
            error_handlers=tuple(
                sorted(
                    (*linked_error_handlers(project, roots), *ninja_handlers),
                    key=lambda h: (h.handler.file, h.line),
                )
            ),
            settings=tuple(
                (mf.file, key, value) for mf in project.facts for key, value in mf.django_settings
            ),
            conventions=django_conventions,
        )


analyser = DjangoAnalyser()
