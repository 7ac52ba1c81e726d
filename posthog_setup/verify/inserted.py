"""Routes the edit broke: ``$exception`` events raised through a line the tool inserted.

The lines come from git: what the working tree adds to ``HEAD`` (the edit, before it is
committed), or what one commit adds to another (the real-project check). An exception
whose stack passes through one of them is the tool's fault, whatever the test said.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from posthog_setup.mockhost.store import RecordedEvent

_HUNK = re.compile(r"\+(\d+)(?:,(\d+))?")


def added_lines(diff: str) -> dict[str, set[int]]:
    """Line numbers each file gains in a ``git diff -U0``, by path (new side)."""
    lines: dict[str, set[int]] = {}
    current = ""
    for line in diff.splitlines():
        if line.startswith("+++ "):
            current = line[6:] if line.startswith("+++ b/") else ""
        elif line.startswith("@@") and current:
            match = _HUNK.search(line)
            if match:
                start, count = int(match[1]), int(match[2] or 1)
                lines.setdefault(current, set()).update(range(start, start + count))
    return lines


def uncommitted_lines(root: Path) -> dict[str, set[int]]:
    """Lines the working tree adds to ``HEAD``, by path relative to ``root``; empty outside
    a git repository or when git is missing."""
    try:
        done = subprocess.run(
            ["git", "diff", "-U0", "--no-color", "--relative", "HEAD", "--", "."],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    return added_lines(done.stdout) if done.returncode == 0 else {}


def _frames(event: RecordedEvent) -> Iterator[tuple[str, Any]]:
    for exception in event.properties.get("$exception_list") or ():
        stack = (exception or {}).get("stacktrace") or {}
        for frame in stack.get("frames") or ():
            yield str(frame.get("abs_path") or frame.get("filename") or ""), frame.get("lineno")


def broken_routes(
    events: Iterable[RecordedEvent], root: Path, inserted: Mapping[str, set[int]]
) -> list[str]:
    """``file:line ExceptionType (METHOD /path)`` for each ``$exception`` raised through
    an inserted line, once each."""
    found: list[str] = []
    for event in events:
        if event.event != "$exception":
            continue
        for path, lineno in _frames(event):
            for file, lines in inserted.items():
                if (path == str(root / file) or path.endswith("/" + file)) and lineno in lines:
                    kind = (event.properties.get("$exception_list") or [{}])[0].get("type", "")
                    method = event.properties.get("$request_method")
                    request = event.properties.get("$request_path")
                    where = f" ({method} {request})" if method and request else ""
                    entry = f"{file}:{lineno} {kind}{where}"
                    if entry not in found:
                        found.append(entry)
    return sorted(found)
