"""Before/after checks for the route codemods, in the style of django-upgrade's tests.

Every expected output must compile, and running the edit a second time on it (with
the same points) must change nothing: both are checked here, once, for every case.
"""

from __future__ import annotations

import difflib
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
