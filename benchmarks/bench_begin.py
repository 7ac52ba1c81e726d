"""begin's and edit's wall time on a synthetic project, as ratios to ast.parse of every file.

The floor is reading and ``ast.parse``-ing every Python file of the project,
one after the other, measured in the same run: the least any analysis of the
whole project could cost. Targets at 2,000 modules: begin <= 3x the floor,
edit (on a fresh copy each time) <= 5x.

    python benchmarks/bench_begin.py [--modules 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import ast
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import generate_project

from posthog_setup.console import Console
from posthog_setup.plan.plan import PLAN_FILE
from posthog_setup.workflow.begin import run_begin
from posthog_setup.workflow.edit import run_edit


def parse_floor(root: Path) -> float:
    """Seconds to read and ast.parse every Python file under root (one core)."""
    files = sorted(root.rglob("*.py"))
    start = time.perf_counter()
    for path in files:
        ast.parse(path.read_bytes())
    return time.perf_counter() - start


def begin_time(root: Path) -> float:
    """Seconds for a full begin run (analysis, plan, summary), from a cold plan file."""
    (root / PLAN_FILE).unlink(missing_ok=True)
    console = Console(quiet=True, err=io.StringIO(), out=io.StringIO())
    start = time.perf_counter()
    code = run_begin(root, console=console, as_json=False)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"begin failed with exit code {code}")
    return elapsed


def edit_time(pristine: Path, work: Path) -> tuple[float, int]:
    """Seconds for a full edit of a fresh copy of the project, and the files it changed."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work)
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
        begin_time(root)
        floors = [parse_floor(root) for _ in range(args.repeat)]
        begins = [begin_time(root) for _ in range(args.repeat)]
        plan_events = (root / PLAN_FILE).read_text().count('"event":')
        (root / PLAN_FILE).unlink()
        work = Path(temp) / "edited"
        edits = [edit_time(root, work) for _ in range(args.repeat)]
    floor, begin = min(floors), min(begins)
    edit, changed = min(edits)
    print(f"synthetic project: {count} modules, {lines} lines, {plan_events} planned events")
    print(f"ast.parse floor : {floor * 1000:8.1f} ms  (best of {args.repeat})")
    print(f"begin           : {begin * 1000:8.1f} ms  (best of {args.repeat})")
    print(
        f"edit            : {edit * 1000:8.1f} ms  (best of {args.repeat}, {changed} files written)"
    )
    print(f"ratio begin / floor: {begin / floor:.2f}x  (target <= 3.0x)")
    print(f"ratio edit / floor : {edit / floor:.2f}x  (target <= 5.0x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
