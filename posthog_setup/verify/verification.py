"""Every check of an integrated project, run in order against one mock host, as data.

Static checks first (they need no host), then the contract replay, the live check, the
app import and, when asked, the project's tests. Each planned event gets one verdict from all of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from posthog_setup.analysis.model import AppObject
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import Plan, PlannedEvent, PlannedExceptionCapture
from posthog_setup.project.discovery import project_files
from posthog_setup.project.manifests import declared_name
from posthog_setup.verify.checks import FAIL, PASS, SKIP, TEST_TOKEN, Check
from posthog_setup.verify.entry import (
    EntryResult,
    PendingEntryCheck,
    find_entry_point,
    start_entry_check,
)
from posthog_setup.verify.interpreter import Interpreter, find_interpreter
from posthog_setup.verify.live import LiveResult, import_target, live_check
from posthog_setup.verify.replay import ReplayResult, replay_contract
from posthog_setup.verify.static import StaticResult, check_static
from posthog_setup.verify.suite import SUITE_TIMEOUT, Echo, SuiteResult, run_suite
from posthog_setup.verify.warm import WarmStart

#: Files that show the project has a front end (which should send PostHog's tracing headers).
FRONT_END_SUFFIXES = (".html", ".jinja", ".jinja2", ".js", ".jsx", ".ts", ".tsx", ".vue", ".svelte")


@dataclass(frozen=True)
class EventVerification:
    """What the checks established about one planned event."""

    event: PlannedEvent
    location: str | None
    replayed: bool
    live: bool
    seen_in_tests: bool | None
    problem: str | None
    #: a login or signup whose code identifies nobody (see ``static.Site``)
    personless: bool = False

    @property
    def ok(self) -> bool:
        """True if no check found a problem with this event."""
        return self.problem is None

    @property
    def verified(self) -> str:
        """The report's Verified cell: how the event was verified, or ``✗`` and why not."""
        if self.problem is not None:
            return f"✗ {self.problem}"
        parts = ["replayed"] if self.replayed else []
        if self.live:
            parts.append("live")
        if self.seen_in_tests is True:
            parts.append("seen in tests")
        elif self.seen_in_tests is False:
            parts.append("not seen in tests")
        return ", ".join(parts)


@dataclass(frozen=True)
class HandlerVerification:
    """An error handler of the plan and where it calls ``capture_exception``."""

    capture: PlannedExceptionCapture
    location: str | None
    problem: str | None


@dataclass(frozen=True)
class NothingPlanned:
    """Why the plan holds no event, so that no verdict claims events that do not exist."""

    #: what the analysis found instead (``no routes of the Django app were found``)
    reason: str
    #: an app was found but none of its routes: the user should look, not only read
    warning: bool


@dataclass(frozen=True)
class Verification:
    """Everything ``conclude`` measured about one project."""

    root: Path
    plan: Plan
    project: str
    static: StaticResult
    replay: ReplayResult
    interpreter: Interpreter
    live: LiveResult
    entry: EntryResult
    suite: SuiteResult | None
    events: tuple[EventVerification, ...]
    handlers: tuple[HandlerVerification, ...]
    front_end: bool
    #: where the plan holds no event, why (None where it holds some)
    nothing_planned: NothingPlanned | None = None

    @property
    def checks(self) -> tuple[Check, ...]:
        """The checks in the order they ran."""
        checks = (self.static.check, self.replay.check, self.live.check, self.entry.check)
        return checks if self.suite is None else (*checks, self.suite.check)

    @property
    def failures(self) -> tuple[str, ...]:
        """One line per problem, in check order."""
        return tuple(failure for check in self.checks for failure in check.failures)

    @property
    def verified(self) -> bool:
        """True if no check failed (skipped checks do not fail verification)."""
        return not any(check.status == FAIL for check in self.checks)


def project_name(root: Path, plan: Plan) -> str:
    """The project's declared name, else its app package (where the client module is)."""
    declared = declared_name(root)
    if declared:
        return declared
    module, _ = import_target(root, plan.setup.client_module)
    return module.split(".")[0] if "." in module else root.name


def has_front_end(root: Path) -> bool:
    """True if the project serves pages or ships scripts (templates, JS, a package.json)."""
    return (root / "package.json").is_file() or bool(project_files(root, FRONT_END_SUFFIXES))


@contextlib.contextmanager
def _running(host: MockPostHogHost | None) -> Iterator[MockPostHogHost]:
    if host is not None:
        yield host
        return
    with MockPostHogHost() as started:
        yield started


def _live_blocked(static: StaticResult, plan: Plan) -> str | None:
    """Why the live check must not run: a client that ignores the host variable would send
    to PostHog itself."""
    if plan.setup.default_client or plan.setup.unreachable:
        return None  # set up as the app starts: the live check says so itself
    if static.client_reads is not None and plan.setup.host_var not in static.client_reads:
        whose = "the project's client module" if plan.setup.adopted else "the client module"
        return (
            f"{whose} does not read {plan.setup.host_var}, so it cannot be pointed "
            "at the mock host" + ("" if plan.setup.adopted else " (see the static checks)")
        )
    return None


def _event_verdicts(
    plan: Plan,
    static: StaticResult,
    replay: ReplayResult,
    live: LiveResult,
    suite: SuiteResult | None,
) -> tuple[EventVerification, ...]:
    verdicts = []
    for event, site, delivery in zip(plan.events, static.events, replay.events, strict=True):
        problem = site.problem or delivery.reason
        verdicts.append(
            EventVerification(
                event=event,
                location=site.location,
                replayed=delivery.accepted,
                live=live.check.status == PASS and site.location is not None,
                seen_in_tests=None if suite is None else event.event in suite.seen,
                problem=problem,
                personless=site.personless,
            )
        )
    return tuple(verdicts)


def verify_project(
    root: Path,
    plan: Plan,
    *,
    run_tests: str | None = None,
    host: MockPostHogHost | None = None,
    interpreter: Interpreter | None = None,
    token: str = TEST_TOKEN,
    test_timeout: float | None = None,
    echo: Echo | None = None,
    apps: Callable[[], Sequence[AppObject]] = tuple,
    meanwhile: Callable[[], object] = tuple,
    warm: WarmStart | None = None,
) -> Verification:
    """Run every check; ``run_tests`` None skips the tests, "" detects the runner.

    ``host`` is a running mock host to use (one is started on loopback otherwise);
    ``interpreter`` overrides the discovery of the project's Python; ``echo`` gets each
    line of the tests' output as it comes; ``apps`` gives the app objects and factories
    the analysis finds (asked only when the app is started); ``meanwhile`` is called once,
    while the app starts in its own process where it does (conclude loads its report's
    renderer then); ``warm`` holds processes started for the live check and the app
    import ahead of time (see ``warm_up``).
    """
    warm = warm or WarmStart()
    static = check_static(root, plan)
    found = interpreter or find_interpreter(root, manager=plan.setup.dependency_manager)
    blocked = _live_blocked(static, plan)
    with _running(host) as mock:

        def start_app() -> PendingEntryCheck:
            if blocked is not None and not plan.setup.adopted:
                return PendingEntryCheck(EntryResult(Check("app", "App import", SKIP, blocked)))
            # The project's own client may read its settings rather than our variables;
            # what it would send elsewhere meets a dead proxy (see ``subprocess_env``).
            entry_point = find_entry_point(root, plan, apps())
            return start_entry_check(
                root, plan, found, mock.url, entry_point, token=token, warm=warm.app
            )

        # The app starts in its own process while the contract is replayed and the live
        # check runs: none reads what another sends the host (the replay reads its own
        # distinct id's events, the live check its run's, the app check none).
        starting = start_app()
        try:
            replay = replay_contract(plan, mock, token=token)
            meanwhile()
            if blocked is not None:
                module, _ = import_target(root, plan.setup.client_module)
                live = LiveResult(Check("live", "Live check", SKIP, blocked), module)
            else:
                live = live_check(root, plan, found, mock, token=token, warm=warm.live)
            entry = starting.result()
        finally:
            starting.cancel()
        suite = (
            run_suite(
                root,
                plan,
                found,
                mock,
                run_tests or None,
                token=token,
                echo=echo,
                timeout=test_timeout or SUITE_TIMEOUT,
            )
            if run_tests is not None
            else None
        )
    handlers = tuple(
        HandlerVerification(capture, site.location, site.problem)
        for capture, site in zip(plan.exception_captures, static.handlers, strict=True)
    )
    return Verification(
        root=root,
        plan=plan,
        project=project_name(root, plan),
        static=static,
        replay=replay,
        interpreter=found,
        live=live,
        entry=entry,
        suite=suite,
        events=_event_verdicts(plan, static, replay, live, suite),
        handlers=handlers,
        front_end=has_front_end(root),
    )
