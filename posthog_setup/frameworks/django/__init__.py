"""Django and Django REST framework: settings, URL trees, views and viewsets, auth, errors.

The hook-up goes into settings: the SDK's ``PosthogContextMiddleware`` after Django's
``AuthenticationMiddleware`` (it reads ``request.user``), configured through
``POSTHOG_MW_*`` settings (``POSTHOG_MW_CLIENT`` is read from posthog 6.0.4; its own
exception capture is turned off, since server errors go through the project's client
from a ``got_request_exception`` receiver), and the import of a generated receivers
module for server errors and the logins that happen in library views. The middleware
reads ``request.headers``: Django 2.2+.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import Analysis, AppObject
from posthog_setup.frameworks.base import (
    HOOKUP_MISSING,
    AppStart,
    ProjectScript,
    Workspace,
    generated_client,
)
from posthog_setup.frameworks.django.analysis import analyser
from posthog_setup.plan.plan import RECEIVERS, RECEIVERS_MODULE, receivers_file
from posthog_setup.plan.sdk import SdkFloor
from posthog_setup.project.versions import VersionGate, hookup_blocker

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan

_MIDDLEWARE = "posthog.integrations.django.PosthogContextMiddleware"
_AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


class Django:
    """Django, for the registry."""

    name = "django"
    title = "Django"
    extensions: Mapping[str, str] = {"ninja.NinjaAPI": "Django Ninja"}
    analyser: FrameworkAnalyser = analyser
    sdk_floor = SdkFloor(
        "6.0.4", "6.0.4 is the first whose Django middleware reads the POSTHOG_MW_CLIENT setting"
    )
    version_gate: VersionGate | None = VersionGate(
        "django", "2.2", "PostHog's Django middleware reads request.headers (Django 2.2+)"
    )
    hookup_name = "PosthogContextMiddleware"
    # The system check loads the settings, the apps and the URLconf, and serves nothing.
    app_start = AppStart(
        script=ProjectScript("manage.py", "execute_from_command_line", ("check",)),
        # manage.py imports its runner inside main(), and settings name apps as strings:
        # what `check` loads of Django itself, none of which reads the settings on import.
        warm=(
            "django.core.management",
            "django.db.models",
            "django.urls",
            "django.http",
            "django.shortcuts",
            "django.forms",
            "django.template",
            "django.views.generic",
        ),
    )

    def hook_up(
        self,
        workspace: Workspace,
        app: AppObject,
        plan: Plan,
        client: ClientImport,
        analysis: Analysis,
    ) -> None:
        from posthog_setup.frameworks.django.hookup import hook_up_django  # libcst

        settings = workspace.current(app.file) or b""
        if self.hookup_name.encode() in settings and RECEIVERS_MODULE.encode()[:-3] not in settings:
            # The project hooked PostHog up itself: its settings are its own.
            return
        projects = {a.file for a in analysis.apps if a.kind == app.kind} - {app.file}
        if _inherits_middleware(settings, app.file, projects):
            # ``from .base import *`` then at most ``MIDDLEWARE += [...]``: the hook-up is the
            # base's, and so is the receivers' import.
            return
        receivers = _auth_receivers(workspace, plan)
        blocker = hookup_blocker(workspace.root, self.version_gate)
        if blocker is not None:
            workspace.note(
                f"{app.file}: PosthogContextMiddleware not added: {blocker}; the captures "
                "still send the user's id, but requests are not tied to sessions"
            )
        workspace.edit_python(
            app.file,
            lambda text: hook_up_django(
                text,
                app.file,
                client,
                receivers,
                with_middleware=blocker is None,
                with_client=not plan.setup.adopted,
            ),
            HOOKUP_MISSING,
        )

    def find_hookups(self, path: str, tree: ast.Module) -> Iterator[tuple[int, str | None]]:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value == _MIDDLEWARE:
                # In the list itself, or MIDDLEWARE.insert(...) / +=.
                yield node.lineno, None
            if not isinstance(node, (ast.List, ast.Tuple)):
                continue
            strings = [
                e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else None
                for e in node.elts
            ]
            if _MIDDLEWARE not in strings:
                continue
            index = strings.index(_MIDDLEWARE)
            if _AUTH_MIDDLEWARE in strings and strings.index(_AUTH_MIDDLEWARE) > index:
                yield (
                    node.elts[index].lineno,
                    (
                        "PosthogContextMiddleware comes before AuthenticationMiddleware, so it "
                        "cannot see the logged-in user: move it after"
                    ),
                )


def _auth_receivers(workspace: Workspace, plan: Plan) -> str:
    """Write the signal receivers (server errors, and the logins the plan sends from
    them); their dotted module, for settings to import."""
    from posthog_setup.codemods.changes import module_of
    from posthog_setup.frameworks.django.hookup import django_auth_receivers

    path = receivers_file(plan.setup.client_module)
    events = {e.kind: e.event for e in plan.events if e.file == path and e.kind in RECEIVERS}
    client = generated_client(workspace, plan, path)
    if workspace.current(path) is None:
        workspace.propose(
            path,
            django_auth_receivers(client, events).encode("utf-8"),
            "the receivers of server errors and library logins are missing",
        )
    return module_of(path, workspace.root)[0]


framework = Django()


def _inherits_middleware(settings: bytes, file: str, others: set[str]) -> bool:
    """Does the settings module (its text, its path) take ``MIDDLEWARE`` from another of
    the project's settings modules (``others``, by path): it star-imports one and never
    sets ``MIDDLEWARE`` itself, at most adds to it (``MIDDLEWARE += [...]``)?"""
    try:
        tree = ast.parse(settings)
    except (SyntaxError, ValueError):
        return False
    sets = any(
        isinstance(stmt, (ast.Assign, ast.AnnAssign))
        and any(
            isinstance(t, ast.Name) and t.id == "MIDDLEWARE"
            for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
        )
        for stmt in tree.body
    )
    if sets:
        return False
    folder = file.rsplit("/", 1)[0] if "/" in file else ""
    for stmt in tree.body:
        if not (isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names)):
            continue
        parts = (stmt.module or "").split(".") if stmt.module else []
        if stmt.level:
            base = folder.split("/") if folder else []
            base = base[: len(base) - (stmt.level - 1)] if stmt.level > 1 else base
            stem = "/".join([*base, *parts])
            if {f"{stem}.py", f"{stem}/__init__.py"} & others:
                return True
        elif parts:
            stem = "/".join(parts)
            if any(
                o == f"{stem}.py" or o.endswith((f"/{stem}.py", f"/{stem}/__init__.py"))
                for o in others
            ):
                return True
    return False
