"""Run a script against an edited project in a fresh interpreter, with the mock PostHog host
as its host: what it printed last, and what the host received."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.mockhost.store import RecordedEvent


def serve(project: Path, script: str, token: str) -> tuple[str, list[RecordedEvent]]:
    """Run ``script`` with ``project`` importable and the client pointed at a mock host
    (none of the caller's own ``POSTHOG_*`` settings leak in); it must succeed."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTHOG_")}
    with MockPostHogHost() as host:
        env |= {"PYTHONPATH": str(project), "POSTHOG_HOST": host.url}
        env["POSTHOG_PROJECT_TOKEN"] = token
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        events = host.events()
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1], events
