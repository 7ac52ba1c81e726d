"""``posthog-setup [PATH]``: every stage in order, then a short summary of the whole run."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from posthog_setup.console import Console
from posthog_setup.exits import Exit
from posthog_setup.project.discovery import find_project_root
from posthog_setup.verify.interpreter import early_interpreter, named_interpreter
from posthog_setup.verify.warm import WarmPython, start_early

if TYPE_CHECKING:
    from posthog_setup.mockhost import MockPostHogHost
    from posthog_setup.verify.interpreter import Interpreter
    from posthog_setup.verify.warm import WarmStart
    from posthog_setup.workflow.begin import BeginResult


def _started_early(path: Path, python: Path | None) -> WarmPython | None:
    """The app import's interpreter, started before anything else where it is already
    known which it is: it imports the SDK on the other core while the analysis runs here
    (see ``posthog_setup.verify.warm``)."""
    root = find_project_root(path)
    interpreter = named_interpreter(python) or early_interpreter(root)
    return None if interpreter is None else start_early(root, interpreter.python)


@contextlib.contextmanager
def _checks_started(
    planned: BeginResult, python: Path | None, early: WarmPython | None
) -> Iterator[tuple[MockPostHogHost, Interpreter, WarmStart]]:
    """The mock host, and conclude's checks' interpreters told now what their checks
    start from: they import those modules' third-party packages on the other core while
    edit and revise run here (see ``warm_up``); whatever no check took is ended on the
    way out."""
    from posthog_setup.mockhost import MockPostHogHost
    from posthog_setup.verify.interpreter import find_interpreter
    from posthog_setup.verify.warmup import warm_up

    with MockPostHogHost() as host:
        interpreter = named_interpreter(python) or find_interpreter(
            planned.root, manager=planned.plan.setup.dependency_manager
        )
        warm = warm_up(
            planned.root,
            planned.plan,
            planned.analysis.apps,
            interpreter,
            host.url,
            early=early,
        )
        try:
            yield host, interpreter, warm
        finally:
            warm.stop()


def run_all(
    path: Path,
    *,
    console: Console,
    allow_dirty: bool,
    run_tests: str | None = None,
    python: Path | None = None,
    test_timeout: float | None = None,
) -> int:
    """begin, edit, revise and conclude; stops at the first stage that cannot run.

    The project is analysed once for begin and edit (revise reads the edited files
    again). The exit code is the worst of the stages': 0 when nothing failed (skipped
    checks included), 1 if revise left problems or the verification failed, 2 on an
    error. ``run_tests``, ``python`` and ``test_timeout`` are conclude's options.
    """
    early = _started_early(path, python)
    try:
        return _run(
            path,
            early,
            console,
            allow_dirty,
            run_tests=run_tests,
            python=python,
            test_timeout=test_timeout,
        )
    finally:
        if early is not None:
            early.stop()


def _run(
    path: Path,
    early: WarmPython | None,
    console: Console,
    allow_dirty: bool,
    *,
    run_tests: str | None,
    python: Path | None,
    test_timeout: float | None,
) -> int:
    # Loaded only now, after the checks' interpreters have started.
    from posthog_setup.workflow.begin import begin, plan_at

    console.progress("[1/4] begin: analysing the project")
    planned = plan_at(path, console)
    if planned is None:
        return Exit.ERROR
    code = begin(planned, console=console, as_json=False)
    if code != Exit.OK:
        return code
    with _checks_started(planned, python, early) as (host, interpreter, warm):
        # Loaded only now, after the checks' interpreters have started.
        from posthog_setup.workflow import render
        from posthog_setup.workflow.conclude import conclude_at, show
        from posthog_setup.workflow.edit import edit, raise_held, token_to_set
        from posthog_setup.workflow.revise import inherit, revise_stage

        console.progress("[2/4] edit: applying the plan")
        edited = edit(planned, preview=False, check=False, allow_dirty=allow_dirty)
        render.edit(console, edited, diff=False, token_var=token_to_set(planned.plan))
        if edited.written is not None:
            raise_held(edited.written)
        if edited.code != Exit.OK:
            return edited.code
        console.progress("[3/4] revise: checking the result")
        # What revise only reports (a second client, a doubled capture) in the code as it
        # was is the project's to change, as are the file rules' findings there.
        reported = planned.reconciled.findings if planned.reconciled is not None else ()
        revised = inherit(
            revise_stage(planned.root, write=True, use_cache=True),
            [*planned.analysis.findings, *(f for f in reported if not f.fixable)],
        )
        render.revise(console, revised, diff=False, as_json=False)
        if revised.written is not None:
            raise_held(revised.written)
        if revised.code == Exit.ERROR:
            return revised.code
        console.progress("[4/4] conclude: verifying against a local mock host")
        concluded = conclude_at(
            planned.root,
            console=console,
            run_tests=run_tests,
            python=python,
            test_timeout=test_timeout,
            host=host,
            interpreter=interpreter,
            warm=warm,
        )
        code = Exit.ERROR if concluded is None else show(concluded, console=console, as_json=False)
        written = [
            *(edited.written.paths if edited.written else ()),
            *(revised.written.paths if revised.written else ()),
        ]
        console.info(
            "\n".join(
                render.summary(
                    sorted(set(written)), revised.code, concluded, path, len(revised.inherited)
                )
            )
        )
        return max(revised.code, code)
