"""begin: analyse the project, write the event plan, change nothing else."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from posthog_setup.analysis.engine import analyse_project
from posthog_setup.analysis.model import Analysis
from posthog_setup.config import Config, ConfigError, load_config
from posthog_setup.console import Console
from posthog_setup.exits import Exit
from posthog_setup.frameworks import registry
from posthog_setup.plan.drift import Reconciled, reconcile
from posthog_setup.plan.plan import (
    PLAN_FILE,
    RECEIVERS,
    Plan,
    PlanError,
    build_plan,
    event_methods,
    plan_to_json,
    read_plan,
    receivers_file,
)
from posthog_setup.project.discovery import NotAPythonProject, python_project_root
from posthog_setup.project.transaction import TransactionFailed, Write, commit_changes

CLIENT_MODULE_NAME = "posthog_client.py"


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
    folder = PurePosixPath(primary.file).parent
    return str(folder / CLIENT_MODULE_NAME) if str(folder) != "." else CLIENT_MODULE_NAME


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
        overlay=overlay or {},
    )
    previous = read_plan(root)
    fresh = build_plan(
        analysis,
        client_module=config.client_module
        or (previous.setup.client_module if previous else default_client_module(analysis)),
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


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_table(result: BeginResult) -> str:
    """The human summary: the project, its routes and what will be captured."""
    analysis, plan = result.analysis, result.plan
    project = analysis.project
    frameworks = registry.titles(project.frameworks, analysis.apps) or "no supported framework"
    manifest = plan.setup.manifest or "no manifest"
    lines = [
        f"{project.name}: {frameworks} · {project.dependency_manager} ({manifest}) · "
        f"{analysis.files_scanned} files, {analysis.files_analysed} analysed, {len(analysis.skipped)} skipped",
        "",
    ]
    events_by_route = {(e.file, e.handler, e.route, e.methods): e.event for e in plan.events}
    rows = [("Route", "Methods", "Handler", "Mutates", "Event")]
    for route in analysis.routes:
        key = (route.handler.file, route.handler.qualname, route.path, event_methods(route))
        event = events_by_route.get(key, "")
        if route.mutating and not event and not route.ignored and route.anchor is None:
            # No statement on the success path to capture at: nothing is planned there.
            event = "(no success path)"
        mutates = "yes" if route.mutating else "no"
        if route.ignored:
            mutates += " (ignored)"
        rows.append(
            (
                route.path,
                " ".join(route.methods),
                f"{route.handler.file}:{route.handler.line} {route.handler.qualname}",
                mutates,
                event,
            )
        )
    if len(rows) > 1:
        widths = [
            min(max(len(r[i]) for r in rows), cap) for i, cap in enumerate((40, 18, 56, 13, 28))
        ]
        for index, row in enumerate(rows):
            lines.append(
                "  "
                + "  ".join(_cell(c, w).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )
            if index == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
    else:
        lines.append("  No routes found.")
    for framework, file in analysis.unsupported:
        lines.append(f"  {framework} found ({file}): not supported yet, left alone")
    lines.append("")
    receivers = receivers_file(plan.setup.client_module)
    for point in analysis.auth_points:
        signal = point.mechanism.endswith("signals")
        event = next(
            (
                e.event
                for e in plan.events
                if e.kind == point.kind
                and (e.file, e.handler)
                == (
                    (receivers, RECEIVERS[point.kind])
                    if signal
                    else (point.handler.file, point.handler.qualname)
                )
            ),
            "",
        )
        via = f" (a signal receiver in {receivers})" if signal and event else ""
        lines.append(
            f"  {point.kind:<7} {point.handler.file}:{point.line} {point.call} -> {event}{via}"
        )
    for handler in analysis.error_handlers:
        action = "capture_exception" if handler.server_error else "left alone (not a server error)"
        lines.append(
            f"  errors  {handler.handler.file}:{handler.line} {', '.join(handler.handles)} -> {action}"
        )
    existing = analysis.existing
    if existing.in_manifests or existing.imported_in or existing.captures:
        style = f", naming style {existing.naming_style}" if existing.naming_style else ""
        lines.append(
            f"  PostHog already present: {len(existing.captures)} capture call(s) in {len(existing.imported_in)} file(s){style}"
            + (f"; required in {', '.join(existing.in_manifests)}" if existing.in_manifests else "")
        )
    for tool in analysis.monitoring:
        lines.append(f"  beside  {tool.tool} ({tool.file}:{tool.line}, {tool.detail})")
    for skipped in analysis.skipped:
        lines.append(f"  skipped {skipped.file}: {skipped.reason}")
    return "\n".join(lines).rstrip() + "\n"


def analysis_json(result: BeginResult) -> str:
    """The whole analysis and plan as JSON."""
    setup = result.plan.setup
    data: dict[str, Any] = {
        "root": str(result.root),
        "analysis": asdict(result.analysis),
        "plan": json.loads(plan_to_json(result.plan)),
        "client_module": {
            "path": setup.client_module,
            "source": _client_source(
                project_name=result.analysis.project.name,
                token_var=setup.token_var,
                host_var=setup.host_var,
            ),
        },
    }
    return json.dumps(data, indent=2, default=str)


def _client_source(*, project_name: str, token_var: str, host_var: str) -> str:
    from posthog_setup.templating import render_client_module  # jinja2, only for --json

    return render_client_module(project_name=project_name, token_var=token_var, host_var=host_var)


def plan_at(path: Path, console: Console) -> BeginResult | None:
    """Find the project root at or above ``path`` and plan it; None after reporting an error."""
    try:
        root = python_project_root(path)
        result = plan_project(root, load_config(root))
    except (ConfigError, PlanError, NotAPythonProject) as exc:
        console.error(str(exc))
        return None
    if not result.analysis.project.frameworks:
        console.error(nothing_supported(result.analysis))
        return None
    return result


def nothing_supported(analysis: Analysis) -> str:
    """The one line for a project where no supported framework was found."""
    found = "; ".join(f"{name} in {file}" for name, file in analysis.unsupported)
    what = f"found {found}, not supported yet" if found else "found no web app"
    titles = [f.title for f in registry.FRAMEWORKS]
    supported = f"{', '.join(titles[:-1])} or {titles[-1]}" if len(titles) > 1 else titles[0]
    return (
        f"no {supported} app in {analysis.project.root or 'this project'} "
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
    if error is not None:
        console.error(error)
        return Exit.ERROR
    if as_json:
        console.data(analysis_json(result))
    console.info(summary_table(result))
    verb = "Wrote" if wrote else "Unchanged:"
    events = len(result.plan.events)
    handlers = len(result.plan.exception_captures)
    console.success(
        f"{verb} {PLAN_FILE} ({events} event{'s' * (events != 1)}, "
        f"{handlers} exception handler{'s' * (handlers != 1)})."
    )
    return Exit.OK


def run_begin(path: Path, *, console: Console, as_json: bool) -> int:
    """The begin stage from the command line: analyse, write ``posthog-events.json``, report."""
    result = plan_at(path, console)
    if result is None:
        return Exit.ERROR
    return begin(result, console=console, as_json=as_json)
