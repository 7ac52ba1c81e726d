"""conclude: verify the integration against a local mock host and write the report.

Static checks, the contract replay and the live check always run; ``--run-tests`` adds the
project's own test suite. Exit 0 when verified, 1 when a check failed (one line per
problem on stderr), 2 when there is no plan to verify or the run itself failed. A plan
with no event is verified for what it holds (the client, the hook-up) and never said to
have verified events: the last line says why there are none.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

from posthog_setup.analysis.engine import analyse_project
from posthog_setup.analysis.model import Analysis
from posthog_setup.config import Config, ConfigError, load_config
from posthog_setup.console import Console
from posthog_setup.exits import Exit
from posthog_setup.frameworks import registry
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import PLAN_FILE, Plan, PlanError, plans_below, read_plan
from posthog_setup.project.discovery import NotAPythonProject, python_project_root
from posthog_setup.project.transaction import TransactionFailed, Write, commit_changes
from posthog_setup.verify.checks import TEST_TOKEN
from posthog_setup.verify.interpreter import Interpreter, named_interpreter
from posthog_setup.verify.suite import Echo
from posthog_setup.verify.verification import NothingPlanned, Verification, verify_project
from posthog_setup.verify.warm import WarmStart
from posthog_setup.workflow import render


class ConcludeError(Exception):
    """There is nothing to verify (no usable plan); the message says what to do."""


@dataclass(frozen=True)
class ConcludeResult:
    """What conclude verified and where the report is."""

    verification: Verification
    report_path: Path
    report_changed: bool

    @property
    def verified(self) -> bool:
        """True if no check failed."""
        return self.verification.verified

    @property
    def failures(self) -> tuple[str, ...]:
        """One line per problem."""
        return self.verification.failures


def conclude(
    root: Path,
    *,
    run_tests: str | None = None,
    host: MockPostHogHost | None = None,
    interpreter: Interpreter | None = None,
    token: str = TEST_TOKEN,
    test_timeout: float | None = None,
    echo: Echo | None = None,
    warm: WarmStart | None = None,
) -> ConcludeResult:
    """Verify the project at ``root`` and write ``posthog-setup-report.md``.

    ``run_tests``: None leaves the tests alone, "" runs the detected runner, anything else
    is the command. ``host`` reuses a running mock host; ``interpreter`` overrides the
    discovery of the project's Python; ``echo`` gets the tests' output as it comes (else
    nothing is printed); ``warm``: the checks' processes, started ahead (a full run's).
    Raises ConcludeError when there is no usable plan.
    """
    try:
        plan = read_plan(root)
    except PlanError as exc:
        raise ConcludeError(str(exc)) from exc
    if plan is None:
        raise ConcludeError(
            f"no {PLAN_FILE} in {root}{plans_below(root)}: run `posthog-setup begin` and "
            "`posthog-setup edit` first (or `posthog-setup` for every stage)"
        )
    analysis = functools.cache(lambda: _analyse(root))
    verification = verify_project(
        root,
        plan,
        run_tests=run_tests,
        host=host,
        interpreter=interpreter,
        token=token,
        test_timeout=test_timeout,
        echo=echo,
        apps=lambda: analysis().apps,
        meanwhile=_load_report,
        warm=warm,
    )
    if not plan.events:
        verification = dataclasses.replace(
            verification, nothing_planned=nothing_planned(plan, analysis())
        )
    from posthog_setup.verify.report import REPORT_FILE, render_report

    text = render_report(verification)
    path = root / REPORT_FILE
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current != text:
        try:
            commit_changes(root, [Write(REPORT_FILE, text.encode("utf-8"))])
        except TransactionFailed as exc:
            raise ConcludeError(str(exc)) from exc
    return ConcludeResult(verification, path, current != text)


def _load_report() -> None:
    """Load what renders the report (jinja2, the template): done while the app starts in a
    process of its own, on this otherwise idle core."""
    from posthog_setup.verify.report import prepare_report

    prepare_report()


def _analyse(root: Path) -> Analysis:
    """The project as the analysis finds it: its app objects and factories, its routes."""
    try:
        config = load_config(root)
    except ConfigError:
        config = Config()
    analysers = registry.analysers(config.frameworks)
    return analyse_project(root, analysers, exclude=config.exclude, max_file_kb=config.max_file_kb)


def _counted(count: int, word: str) -> str:
    return f"the one {word}" if count == 1 else f"the {count} {word}s"


#: The methods a route takes data to store with.
_WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def nothing_planned(plan: Plan, analysis: Analysis) -> NothingPlanned | None:
    """Why ``plan`` holds no event, from what the analysis finds; None where it holds some.

    A web app with no route found is a warning: the app is there, so its routes are most
    likely built in a way the analysis does not read; so are routes that take POST, PUT,
    PATCH or DELETE where no write was found behind any. Routes that change no data, or a
    script with nothing to capture, are not.
    """
    if plan.events:
        return None
    web = registry.web(plan.setup.frameworks)
    kind = "route" if web else "entry point"
    routes = [r for r in analysis.routes if not web or r.framework in web]
    if not routes:
        where = " and ".join(registry.title(name) for name in web)
        found = f"no routes of the {where} app were found" if web else "no entry points were found"
        return NothingPlanned(found, warning=bool(web))
    writing = sum(1 for r in routes if r.mutating)
    asking = sum(1 for r in routes if set(r.methods) & _WRITING_METHODS)
    if not writing and asking:
        # Routes that take writes, none seen to make one: they most likely write through
        # code the analysis cannot follow (an injected service, a container).
        return NothingPlanned(
            f"{_counted(asking, kind)} found accept{'s' * (asking == 1)} POST, PUT, PATCH "
            "or DELETE, but no change of data was found behind "
            f"{'it' if asking == 1 else 'them'}",
            warning=True,
        )
    if not writing:
        return NothingPlanned(
            f"{_counted(len(routes), kind)} found change{'s' * (len(routes) == 1)} no data",
            warning=False,
        )
    return NothingPlanned(
        f"{PLAN_FILE} plans no event for {_counted(writing, kind)} found that change"
        f"{'s' * (writing == 1)} data",
        warning=False,
    )


def conclude_at(
    path: Path,
    *,
    console: Console,
    run_tests: str | None,
    python: Path | None = None,
    test_timeout: float | None = None,
    host: MockPostHogHost | None = None,
    interpreter: Interpreter | None = None,
    warm: WarmStart | None = None,
) -> ConcludeResult | None:
    """The conclude stage on the project at or above ``path``; None after saying why it
    could not run. A full run gives the mock host, the interpreter and the checks'
    processes it started ahead of time (``host``, ``interpreter``, ``warm``)."""
    try:
        root = python_project_root(path)
        return conclude(
            root,
            run_tests=run_tests,
            host=host,
            interpreter=interpreter or named_interpreter(python),
            test_timeout=test_timeout,
            echo=None if console.quiet else console.info,
            warm=warm,
        )
    except (ConcludeError, NotAPythonProject) as exc:
        console.error(str(exc))
    except OSError as exc:
        console.error(f"cannot verify: {exc}")
    return None


def show(result: ConcludeResult, *, console: Console, as_json: bool) -> int:
    """Say what conclude verified; the exit code it means."""
    render.conclude(console, result, as_json=as_json)
    return Exit.OK if result.verified else Exit.PROBLEMS


def run_conclude(
    path: Path,
    *,
    console: Console,
    as_json: bool,
    run_tests: str | None,
    python: Path | None = None,
    test_timeout: float | None = None,
) -> int:
    """The conclude stage from the command line: verify, write the report, say the outcome."""
    result = conclude_at(
        path, console=console, run_tests=run_tests, python=python, test_timeout=test_timeout
    )
    if result is None:
        return Exit.ERROR
    return show(result, console=console, as_json=as_json)
