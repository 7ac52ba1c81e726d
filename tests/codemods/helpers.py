"""Before/after checks for the route codemods, in the style of django-upgrade's tests.

Every expected output must compile, and running the edit a second time on it (with
the same points) must change nothing: both are checked here, once, for every case.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from textwrap import dedent

from posthog_setup.codemods.base import ClientImport
from posthog_setup.codemods.points import (
    CapturePoint,
    ExceptionPoint,
    FilePoints,
    IdentifyPoint,
    LogoutPoint,
)
from posthog_setup.codemods.present import already_present
from posthog_setup.codemods.routes import instrument_file, instrument_file_with_notes
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.templating import render_client_module

Point = CapturePoint | IdentifyPoint | LogoutPoint | ExceptionPoint

PATH = "app/views.py"
CLIENT = ClientImport("app.analytics")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def file_points(points: Point | Sequence[Point], path: str = PATH) -> FilePoints:
    """The points of one file, sorted by kind."""
    items = [points] if isinstance(points, Point) else list(points)
    return FilePoints(
        path,
        captures=tuple(p for p in items if isinstance(p, CapturePoint)),
        identifies=tuple(p for p in items if isinstance(p, IdentifyPoint)),
        logouts=tuple(p for p in items if isinstance(p, LogoutPoint)),
        exceptions=tuple(p for p in items if isinstance(p, ExceptionPoint)),
    )


def check_idempotent(result: str, points: FilePoints, client: ClientImport, path: str) -> None:
    """A second run on the edited source changes nothing."""
    assert instrument_file(result, path, points, client) == result
    check_present_agrees(result, points, client, path)


def check_present_agrees(source: str, points: FilePoints, client: ClientImport, path: str) -> None:
    """Where the ast check (``already_present``) says a file is complete, the codemods leave
    it as it is without a note (a check with an empty cache then skips them)."""
    if already_present(source, points, client.name):
        assert instrument_file_with_notes(source, path, points, client) == (source, [])


def check_transformed(
    before: str,
    points: Point | Sequence[Point],
    after: str,
    *,
    client: ClientImport = CLIENT,
    raw: bool = False,
) -> list[str]:
    """``before`` becomes ``after``; returns the notes. ``raw`` skips dedenting (CRLF, tabs)."""
    if not raw:
        before, after = dedent(before), dedent(after)
    compile(after, PATH, "exec")
    planned = file_points(points)
    result, notes = instrument_file_with_notes(before, PATH, planned, client)
    assert result == after, "\n".join(
        difflib.unified_diff(
            after.splitlines(), result.splitlines(), "expected", "result", lineterm=""
        )
    )
    assert not already_present(before, planned, client.name)
    check_idempotent(result, planned, client, PATH)
    return notes


def check_noop(
    before: str, points: Point | Sequence[Point], *, client: ClientImport = CLIENT
) -> list[str]:
    """``before`` is left exactly as it is; returns the notes."""
    before = dedent(before)
    result, notes = instrument_file_with_notes(before, PATH, file_points(points), client)
    assert result == before
    check_present_agrees(before, file_points(points), client, PATH)
    return notes


def fixture_source(relative: str) -> str:
    """The text of a fixture project file, e.g. ``flask_blog/blog/posts.py``."""
    return (FIXTURES / relative).read_text(encoding="utf-8")


def line_after(source: str, anchor: str) -> str:
    """The stripped line that follows the first line containing ``anchor``."""
    lines = source.splitlines()
    index = next(i for i, line in enumerate(lines) if anchor in line)
    return lines[index + 1].strip()


def line_before(source: str, anchor: str) -> str:
    """The stripped line that precedes the first line containing ``anchor``."""
    lines = source.splitlines()
    index = next(i for i, line in enumerate(lines) if anchor in line)
    return lines[index - 1].strip()


def serve_edited(
    tmp_path: Path, module: str, source: str, script: str
) -> tuple[list[str], list[tuple[str, str]]]:
    """Run ``script`` beside the edited ``module`` (its name, its source) and a generated
    client module pointed at a mock host; what it printed, by word, and the events the host
    received, as (name, distinct id). The script's last event is ``after``."""
    (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
    client = render_client_module(
        project_name=module, token_var="POSTHOG_PROJECT_TOKEN", host_var="POSTHOG_HOST"
    )
    (tmp_path / "posthog_client.py").write_text(client, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTHOG_")}
    with MockPostHogHost() as host:
        env |= {
            "PYTHONPATH": str(tmp_path),
            "POSTHOG_PROJECT_TOKEN": "phc_served",
            "POSTHOG_HOST": host.url,
        }
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        host.wait_for(1, timeout=10, event="after")
        return result.stdout.split(), [(e.event, e.distinct_id) for e in host.events()]
