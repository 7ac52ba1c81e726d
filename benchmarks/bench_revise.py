"""A no-op ``revise --check`` on an unchanged, integrated project, as a ratio to ast.parse.

The floor is reading and ``ast.parse``-ing every Python file of the project, one
after the other, in the same run. The synthetic project is integrated first
(begin and edit), then checked once to fill the result cache, as a pre-commit
hook would have on the commit before. Target at 2,000 modules: <= 1.0x. The
first check, with an empty cache, is printed beside it.

    python benchmarks/bench_revise.py [--modules 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_begin import fresh_cache, parse_floor
from synthetic import generate_project

from posthog_setup.console import Console
from posthog_setup.workflow.begin import run_begin
from posthog_setup.workflow.edit import run_edit
from posthog_setup.workflow.revise import run_revise


def check_time(root: Path) -> float:
    """Seconds for ``revise --check``; it must find nothing to do."""
    err, out = io.StringIO(), io.StringIO()
    console = Console(quiet=False, err=err, out=out)
    start = time.perf_counter()
    code = run_revise(root, console=console, check=True, diff=False, as_json=False, use_cache=True)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"revise --check found work ({code}):\n{out.getvalue()}{err.getvalue()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "project"
        count = generate_project(root, args.modules)
        quiet = Console(quiet=True, err=io.StringIO(), out=io.StringIO())
        run_begin(root, console=quiet, as_json=False)
        run_edit(root, console=quiet, diff=False, check=False, allow_dirty=True)
        fresh_cache()
        cold = check_time(root)
        parse_floor(root)
        floors = [parse_floor(root) for _ in range(args.repeat)]
        checks = [check_time(root) for _ in range(args.repeat)]
    floor, check = min(floors), min(checks)
    best = f"best of {args.repeat}"
    print(f"synthetic project: {count} modules, integrated")
    print(f"ast.parse floor           : {floor * 1000:8.1f} ms  ({best})")
    print(f"revise --check, no-op      : {check * 1000:8.1f} ms  ({best})")
    print(f"revise --check, cold cache : {cold * 1000:8.1f} ms  (once)")
    print(f"ratio no-op check / floor  : {check / floor:.2f}x  (target <= 1.0x)")
    print(f"ratio cold check / floor   : {cold / floor:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
