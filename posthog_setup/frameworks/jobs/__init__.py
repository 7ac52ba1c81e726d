"""Jobs: scripts, command-line tools (argparse, click, typer, console scripts) and Lambda
handlers (those the deployment names, else those with a handler's signature).

Supported where a project has no web app. The hook-up wraps each entry point's run in a
``try`` that reports an exception (with the job's system id) and raises it again, and
flushes the client in ``finally``, so a script's events are sent before it exits and a warm
serverless container keeps its module-level client across invocations. It uses
``capture_exception`` with ``distinct_id`` and ``properties``, as posthog 7.66 has them.
A Celery app gets the SDK's ``PosthogCeleryIntegration`` (posthog 7.15 and later), and its
tasks' captures the user id a task is given (``user_id``), else the job's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from posthog_setup.analysis.context import FrameworkAnalyser
from posthog_setup.frameworks.base import AppStart, CodemodHookup, calls_to
from posthog_setup.frameworks.jobs.analysis import analyser
from posthog_setup.plan.sdk import SdkFloor


class Jobs(CodemodHookup):
    """Scripts, command-line tools and serverless handlers, for the registry."""

    name = "jobs"
    title = "scripts, CLIs and serverless handlers"
    analyser: FrameworkAnalyser = analyser
    sdk_floor = SdkFloor("7.66", "capture_exception(error, distinct_id=..., properties=...)")
    hookup_name = "capture_exception"
    codemod = "posthog_setup.frameworks.jobs.hookup:hook_up_entry"
    # Each entry point is a program of its own: imported, never run.
    app_start = AppStart(calls=False, noun="entry point")

    def find_hookups(self, path: str, tree: ast.Module) -> Iterator[tuple[int, str | None]]:
        """Entry points report through ``capture_exception``; a Celery app through the
        SDK's integration."""
        lines = {*calls_to(tree, self.hookup_name), *calls_to(tree, "PosthogCeleryIntegration")}
        for line in sorted(lines):
            yield line, None


framework = Jobs()
