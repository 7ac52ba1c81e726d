"""begin's and edit's wall time on a synthetic project, as ratios to ast.parse of every file.

The floor is reading and ``ast.parse``-ing every Python file of the project,
one after the other, measured in the same run: the least any analysis of the
whole project could cost. Targets at 2,000 modules: begin <= 3x the floor,
edit (on a fresh copy each time, after begin as in the README's flow) <= 5x.
Each run gets its own empty result cache, so nothing carries over between runs.

    python benchmarks/bench_begin.py [--modules 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import generate_project

from posthog_setup.console import Console
from posthog_setup.plan.plan import PLAN_FILE
from posthog_setup.project.cache import CACHE_DIR_VAR
from posthog_setup.workflow.begin import run_begin
from posthog_setup.workflow.edit import run_edit


def parse_floor(root: Path) -> float:
    """Seconds to read and ast.parse every Python file under root (one core)."""
    files = sorted(root.rglob("*.py"))
    start = time.perf_counter()
    for path in files:
        ast.parse(path.read_bytes())
    return time.perf_counter() - start


def fresh_cache() -> None:
    """Point the tool's result cache at a new, empty folder (a cold run)."""
    os.environ[CACHE_DIR_VAR] = tempfile.mkdtemp(prefix="posthog-setup-bench-cache-")


def begin_time(root: Path, *, cold: bool) -> float:
    """Seconds for a full begin run (analysis, plan, summary), from a cold plan file."""
    (root / PLAN_FILE).unlink(missing_ok=True)
    if cold:
        fresh_cache()
    console = Console(quiet=True, err=io.StringIO(), out=io.StringIO())
    start = time.perf_counter()
    code = run_begin(root, console=console, as_json=False)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"begin failed with exit code {code}")
    return elapsed


def edit_time(pristine: Path, work: Path, *, after_begin: bool) -> tuple[float, int]:
    """Seconds for a full edit of a fresh copy of the project, and the files it changed.

    ``after_begin``: begin ran on the copy first (untimed), as in the README's flow,
    so the edit finds the analysis cached; otherwise the cache starts empty.
    """
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work)
    fresh_cache()
    quiet = Console(quiet=True, err=io.StringIO(), out=io.StringIO())
    if after_begin:
        run_begin(work, console=quiet, as_json=False)
    err = io.StringIO()
    console = Console(quiet=False, err=err, out=io.StringIO())
    start = time.perf_counter()
    code = run_edit(work, console=console, diff=False, check=False, allow_dirty=True)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"edit failed with exit code {code}:\n{err.getvalue()}")
    return elapsed, err.getvalue().count("\nedited ") + err.getvalue().count("\ncreated ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "project"
        count = generate_project(root, args.modules)
        lines = sum(p.read_text().count("\n") for p in root.rglob("*.py"))
        # Warm the file cache and the interpreter before measuring either side.
        parse_floor(root)
        begin_time(root, cold=True)
        floors = [parse_floor(root) for _ in range(args.repeat)]
        begins = [begin_time(root, cold=True) for _ in range(args.repeat)]
        plan_events = (root / PLAN_FILE).read_text().count('"event":')
        (root / PLAN_FILE).unlink()
        work = Path(temp) / "edited"
        cold_edits = [edit_time(root, work, after_begin=False) for _ in range(args.repeat)]
        edits = [edit_time(root, work, after_begin=True) for _ in range(args.repeat)]
    floor, begin = min(floors), min(begins)
    cold_edit, _ = min(cold_edits)
    edit, changed = min(edits)
    best = f"best of {args.repeat}"
    print(f"synthetic project: {count} modules, {lines} lines, {plan_events} planned events")
    print(f"ast.parse floor     : {floor * 1000:8.1f} ms  ({best})")
    print(f"begin (cold cache)  : {begin * 1000:8.1f} ms  ({best})")
    print(f"edit after begin    : {edit * 1000:8.1f} ms  ({best}, {changed} files written)")
    print(f"edit (cold cache)   : {cold_edit * 1000:8.1f} ms  ({best})")
    print(f"ratio begin / floor            : {begin / floor:.2f}x  (target <= 3.0x)")
    print(f"ratio edit after begin / floor : {edit / floor:.2f}x  (target <= 5.0x)")
    print(f"ratio edit, cold cache / floor : {cold_edit / floor:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
