"""The one protocol a supported web framework implements, and what its hook-up is given.

Everything framework-specific lives in the framework's own sub-package; the stages
(analysis engine, plan, edit, verification) only ever see these members.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from posthog_setup.analysis.body import called_name, dotted
from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.analysis.model import Analysis, AppObject
from posthog_setup.plan.sdk import SdkFloor
from posthog_setup.project.versions import VersionGate

if TYPE_CHECKING:
    from posthog_setup.codemods.changes import ClientImport
    from posthog_setup.plan.plan import Plan


class Workspace(Protocol):
    """The files of one edit run, as a hook-up sees them."""

    root: Path

    def current(self, path: str) -> bytes | None:
        """The file's content as proposed so far (None: it does not exist)."""
        ...

    def propose(self, path: str, data: bytes, reason: str) -> None:
        """Write ``data`` to ``path`` when the run commits; ``reason`` says what is missing
        there without it."""
        ...

    def note(self, text: str) -> None:
        """Tell the person something about the edit."""
        ...

    def edit_python(self, path: str, edit: Callable[[str], str], reason: str) -> None:
        """Apply ``edit(text) -> text`` to a Python file, keeping its encoding and newlines."""
        ...


@dataclass(frozen=True)
class ProjectScript:
    """A script of the project that starts the app, run instead of importing it: the
    shallowest file called ``name`` whose text holds ``marker``, given ``arguments``."""

    name: str
    marker: str
    arguments: tuple[str, ...]


@dataclass(frozen=True)
class AppStart:
    """How conclude starts a framework's app to see that the edited code still imports,
    without serving a request, binding a port or running a job."""

    #: False: only import the module that defines each app (a job's entry point, a request
    #: handler class), never call what it defines; True: start the app as its entry point
    #: does (its module imported, its factory called once)
    calls: bool = True
    #: the factory may be a coroutine function, whose result is awaited once
    awaits: bool = False
    #: the project script run instead (``manage.py check``), where there is one
    script: ProjectScript | None = None
    #: what the app object is, as people read it (``app``, ``entry point``)
    noun: str = "app"
    #: functions that serve an app (``aiohttp.web.run_app``): a module that calls one when
    #: imported is not imported, as the server would run the app's start-up hooks before
    #: the check could stop it at its socket
    serves: tuple[str, ...] = ()
    #: the framework's own modules the start imports whatever the project's say, each
    #: importable before the app is configured: a full run loads them ahead (see
    #: ``posthog_setup.verify.warm``)
    warm: tuple[str, ...] = ()


#: The usual start: a module-level app's module imported, a factory called once.
START_APP = AppStart()
#: An ASGI app's start: uvicorn.run would run the app's lifespan before it binds.
START_ASGI_APP = AppStart(serves=("uvicorn.run",))


class WebFramework(Protocol):
    """A supported web framework."""

    #: the name used in plans, config and the analysis (``flask``)
    name: str
    #: how people write it (``Flask``)
    title: str
    #: extensions served through this framework's hook-up, by app kind, and their titles
    extensions: Mapping[str, str]
    analyser: FrameworkAnalyser
    #: the posthog release its hook-up needs
    sdk_floor: SdkFloor
    #: the framework version the SDK's hook-up needs, where an older one is in use
    version_gate: VersionGate | None
    #: what the hook-up is called in code and in reports (``PosthogFlaskIntegration``)
    hookup_name: str
    #: how conclude starts the app to check that it imports
    app_start: AppStart

    def hook_up(
        self,
        workspace: Workspace,
        app: AppObject,
        plan: Plan,
        client: ClientImport,
        analysis: Analysis,
    ) -> None:
        """Connect PostHog to ``app`` (a ``analyser.primary_kind`` app) in the workspace;
        ``analysis`` is the project's (its other apps, the extensions they use)."""
        ...

    def find_hookups(self, path: str, tree: ast.Module) -> Iterator[tuple[int, str | None]]:
        """Lines of a module where the hook-up is, each with a problem (None: well placed)."""
        ...


#: Why a hook-up edit changes the app's file (see ``Workspace.propose``).
HOOKUP_MISSING = "the PostHog hook-up of the app is missing"
#: The SDK's ASGI middleware ships in 7.66 but ignores the ``X-POSTHOG-DISTINCT-ID`` /
#: ``X-POSTHOG-SESSION-ID`` headers unless told to trust them; 7.71 reads them by default
#: (on 7.66 ``$session_id`` stays empty).
ASGI_FLOOR = SdkFloor(
    "7.71", "7.71 is the first whose PosthogASGIMiddleware reads the X-POSTHOG-* headers"
)


class CodemodHookup:
    """The usual framework record: the hook-up is one codemod of the app's file, found where
    the code calls ``hookup_name`` (or passes it as a class)."""

    extensions: Mapping[str, str] = {}
    version_gate: VersionGate | None = None
    hookup_name: str
    app_start: AppStart = START_APP
    #: ``module:function`` of the codemod ``(text, path, app, client, **options) -> text``
    #: (``codemod_options``), imported only to edit (it needs libcst)
    codemod: str

    def hook_up(
        self,
        workspace: Workspace,
        app: AppObject,
        plan: Plan,
        client: ClientImport,
        analysis: Analysis,
    ) -> None:
        module, _, name = self.codemod.partition(":")
        edit = getattr(importlib.import_module(module), name)
        options = self.codemod_options(workspace, analysis)
        workspace.edit_python(
            app.file,
            lambda text: str(edit(text, app.file, app, client, **options)),
            HOOKUP_MISSING,
        )

    def codemod_options(self, workspace: Workspace, analysis: Analysis) -> Mapping[str, object]:
        """Keyword arguments the codemod takes from the project beyond the app's file (what
        its declared release allows): none by default."""
        return {}

    def find_hookups(self, path: str, tree: ast.Module) -> Iterator[tuple[int, str | None]]:
        for line in calls_to(tree, self.hookup_name):
            yield line, None


def calls_to(tree: ast.Module, name: str) -> Iterator[int]:
    """Lines where ``name`` is called, or passed as a class (``add_middleware(name, ...)``,
    ``Middleware(name)``)."""
    lines = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        names = {called_name(node)} | {dotted(a).rpartition(".")[2] for a in node.args[:1]}
        if name in names:
            lines.add(node.lineno)
    yield from sorted(lines)


def generated_client(workspace: Workspace, plan: Plan, path: str) -> ClientImport:
    """How a module the tool generates at ``path`` imports the project's client."""
    from posthog_setup.codemods.changes import client_import  # no libcst

    return client_import(
        path,
        plan.setup.client_module,
        relative=False,
        root=workspace.root,
        name=plan.setup.client_name,
        module_default=plan.setup.default_client,
    )
