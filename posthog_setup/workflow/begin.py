"""begin: analyse the project, write the event plan, change nothing else."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from posthog_setup.analysis.engine import analyse_project
from posthog_setup.analysis.model import Analysis
from posthog_setup.codemods.changes import DEFAULT_CLIENT
from posthog_setup.config import Config, ConfigError, load_config
from posthog_setup.console import Console
from posthog_setup.exits import Exit
from posthog_setup.frameworks import registry
from posthog_setup.plan.drift import Reconciled, reconcile
from posthog_setup.plan.plan import (
    ADOPTED_CLIENT,
    ADOPTED_MODULE,
    CLIENT_NAME,
    PLAN_FILE,
    Plan,
    PlanError,
    build_plan,
    plan_to_json,
    read_plan,
)
from posthog_setup.project.discovery import (
    NotAPythonProject,
    has_marker,
    is_test_file,
    owning_project,
    python_project_root,
)
from posthog_setup.project.transaction import TransactionFailed, Write, commit_changes
from posthog_setup.workflow import render

CLIENT_MODULE_NAME = "posthog_client.py"
#: The names our client module takes, in order, where the project has a module of its own
#: at the first (``posthog_client.py`` that keeps its own settings).
CLIENT_MODULE_NAMES = (CLIENT_MODULE_NAME, "posthog_analytics.py", "posthog_setup_client.py")


@dataclass(frozen=True)
class BeginResult:
    """What begin found and planned."""

    root: Path
    analysis: Analysis
    plan: Plan
    plan_changed: bool
    #: the plan as it was on disk, if there was one
    previous: Plan | None = None
    #: how the code and the previous plan differ (what revise reports)
    reconciled: Reconciled | None = None


def default_client_module(analysis: Analysis) -> str:
    """Where the client module goes: beside the app, inside its package."""
    primary = next(
        iter(registry.applications(analysis.apps)), analysis.apps[0] if analysis.apps else None
    )
    if primary is None:
        return CLIENT_MODULE_NAME
    distributions = {
        "/".join(r.handler.file.split("/")[:2])
        for r in analysis.routes
        if r.handler.file.startswith("src/") and r.handler.file.count("/") >= 2
    }
    if len(distributions) == 1 and not primary.file.startswith("src/"):
        # The routes are a package's under src/, its own distribution; the app beside it
        # (a demo, a host project) imports that package, never the other way round.
        return f"{distributions.pop()}/{CLIENT_MODULE_NAME}"
    folder = PurePosixPath(primary.file).parent
    if folder.name == "settings" and str(folder.parent) != ".":
        # Split settings (settings/base.py, settings/production.py): the project's package.
        folder = folder.parent
    return str(folder / CLIENT_MODULE_NAME) if str(folder) != "." else CLIENT_MODULE_NAME


def free_client_module(root: Path, analysis: Analysis, module: str) -> str:
    """``module``, else the first of our other names beside it, where the project already
    has a module (or package) of its own there: importing our client from it would fail."""
    ours = {s.file for s in analysis.client_setups if s.name == CLIENT_NAME}
    path = PurePosixPath(module)
    for name in CLIENT_MODULE_NAMES:
        candidate = str(path.with_name(name))
        stem = root / path.with_name(name.removesuffix(".py"))
        if candidate in ours or not ((root / candidate).is_file() or stem.is_dir()):
            return candidate
    return module


@dataclass(frozen=True)
class ClientChoice:
    """Which client edited code sends through (see ``choose_client``)."""

    module: str
    name: str = CLIENT_NAME
    #: "" for the tool's client module, else how the project set its own up (``SetupFacts``)
    adopted: str = ""


def choose_client(
    analysis: Analysis, default_module: str, configured: str | None = None
) -> ClientChoice:
    """The project's own client where it has one, else a client module of ours.

    A client bound to a module-level name (``analytics = Posthog(...)``) is imported
    from its module; the posthog module's own client, configured at start-up
    (``posthog.project_api_key = ...``), is called as ``posthog``. A client the project
    builds inside a function cannot be imported: edit then writes nothing that needs
    one, rather than set up a second (``name`` is ""). Tests' clients do not count. A
    ``configured`` client module is the one to use: the project's, if it binds a client.
    """
    own = [
        s
        for s in analysis.client_setups
        if not is_test_file(s.file)
        and not (s.name == CLIENT_NAME and PurePosixPath(s.file).name in CLIENT_MODULE_NAMES)
    ]
    if configured is not None:
        own = [s for s in own if s.file == configured and s.name]
        default_module = configured
    bound = sorted((s for s in own if s.name), key=lambda s: (s.file, s.line))
    default = [s for s in own if s.default]
    if bound:
        return ClientChoice(bound[0].file, bound[0].name or CLIENT_NAME, ADOPTED_CLIENT)
    if default:
        return ClientChoice(default[0].file, DEFAULT_CLIENT, ADOPTED_MODULE)
    if own:
        return ClientChoice(own[0].file, "", ADOPTED_CLIENT)
    return ClientChoice(default_module)


def plan_project(
    root: Path,
    config: Config,
    *,
    use_cache: bool = True,
    overlay: Mapping[str, bytes] | None = None,
) -> BeginResult:
    """Analyse ``root`` and build its plan, keeping names a person chose in the previous plan.

    The plan also keeps the events the code already sends by hand (see
    ``plan.drift``). ``overlay`` gives files' contents in place of the disk's.
    """
    analysis = analyse_project(
        root,
        registry.analysers(config.frameworks),
        exclude=config.exclude,
        use_cache=use_cache,
        max_file_kb=config.max_file_kb,
        overlay=overlay or {},
    )
    previous = read_plan(root)
    if previous is not None and config.client_module in (None, previous.setup.client_module):
        # The client is a choice made once: a later run keeps it.
        setup = previous.setup
        choice = ClientChoice(setup.client_module, setup.client_name, setup.adopted)
    else:
        module = free_client_module(root, analysis, default_client_module(analysis))
        choice = choose_client(analysis, module, config.client_module)
    fresh = build_plan(
        analysis,
        client_module=choice.module,
        client_name=choice.name,
        adopted=choice.adopted,
        style=config.event_style,
        token_var=config.token_var,
        host_var=config.host_var,
    )
    reconciled = reconcile(
        analysis,
        fresh,
        previous or dataclasses.replace(fresh, events=()),
        analysis.capture_sites,
        analysis.client_setups,
    )
    plan = reconciled.plan
    return BeginResult(root, analysis, plan, not plan.same_contract(previous), previous, reconciled)


def plan_at(path: Path, console: Console) -> BeginResult | None:
    """Find the project root at or above ``path`` and plan it; None after reporting an error."""
    try:
        root = python_project_root(path)
        result = plan_project(root, load_config(root))
        projects = nested_projects(root, result.analysis)
        if len(projects) > 1:
            console.error(several_projects(root, projects))
            return None
        if projects and projects[0] and not has_marker(root):
            # The only project is a folder below: its imports and manifest are its own.
            root = root / projects[0]
            console.info(f"The Python project here is {projects[0]}/: working there.")
            result = plan_project(root, load_config(root))
    except (ConfigError, PlanError, NotAPythonProject) as exc:
        console.error(str(exc))
        return None
    if not result.analysis.project.frameworks:
        console.error(nothing_supported(result.analysis))
        return None
    return result


def nested_projects(root: Path, analysis: Analysis) -> list[str]:
    """The projects (folders with a manifest of their own, "" for ``root``) the apps are
    in, where one of them is below ``root``; [] when every app is ``root``'s.

    A Lambda function's code folder is not counted: its handlers import the client from
    that folder, as Lambda runs them.
    """
    found = sorted({owning_project(root, app.file) for app in analysis.apps if not app.import_root})
    return [] if found in ([], [""]) else found


def several_projects(root: Path, projects: list[str]) -> str:
    """The one error for a folder whose apps belong to several projects."""
    names = ", ".join(f"{p or '.'}/" for p in projects)
    commands = " and ".join(f"`posthog-setup {root / p if p else root}`" for p in projects)
    top = (
        " (for the one at the top, list the others' folders under `exclude` in its "
        "[tool.posthog-setup])"
        if "" in projects
        else ""
    )
    return (
        f"{root} holds several Python projects, each with its own manifest ({names}); each "
        f"needs its own client and dependency: run {commands}{top}; nothing was changed"
    )


def nothing_supported(analysis: Analysis) -> str:
    """The one line for a project where no supported framework was found."""
    found = "; ".join(f"{name} in {file}" for name, file in analysis.unsupported)
    what = f"found {found}, not supported yet" if found else "found no web app or entry point"
    web = [f.title for f in registry.FRAMEWORKS if not getattr(f.analyser, "standalone", False)]
    others = [f.title for f in registry.FRAMEWORKS if getattr(f.analyser, "standalone", False)]
    supported = f"{', '.join(web[:-1])} or {web[-1]}" if len(web) > 1 else web[0]
    also = f" and no {' or '.join(others)}" if others else ""
    # An app in a file that does not parse is not found: say which files were not read.
    unread = [s for s in analysis.skipped if s.file.endswith(".py")]
    if unread:
        listed = "; ".join(f"{s.file}: {s.reason}" for s in unread[:3])
        more = f" and {len(unread) - 3} more" if len(unread) > 3 else ""
        what += f"; not read: {listed}{more}"
    return (
        f"no {supported} app{also} in {analysis.project.root or 'this project'} "
        f"({what}): nothing was changed"
    )


def write_plan(result: BeginResult) -> tuple[bool, str | None]:
    """Write ``posthog-events.json`` where it changed: (whether it did, why it could not)."""
    root = result.root
    text = plan_to_json(result.plan)
    plan_path = root / PLAN_FILE
    current = plan_path.read_text(encoding="utf-8") if plan_path.is_file() else None
    if current == text:
        return False, None
    try:
        commit_changes(root, [Write(PLAN_FILE, text.encode("utf-8"))])
    except TransactionFailed as exc:
        return False, str(exc)
    return True, None


def begin(result: BeginResult, *, console: Console, as_json: bool) -> int:
    """The begin stage on a planned project: write the plan, and say what was found."""
    wrote, error = write_plan(result)
    render.begin(console, result, wrote=wrote, error=error, as_json=as_json)
    return Exit.OK if error is None else Exit.ERROR


def run_begin(path: Path, *, console: Console, as_json: bool) -> int:
    """The begin stage from the command line: analyse, write ``posthog-events.json``, report."""
    result = plan_at(path, console)
    if result is None:
        return Exit.ERROR
    return begin(result, console=console, as_json=as_json)
