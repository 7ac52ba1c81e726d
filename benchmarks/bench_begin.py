"""begin's and edit's wall time as commands, as ratios to a floor that parses every file.

Each leg runs ``posthog-setup`` as a subprocess, as users run it, interleaved with the
floor (see ``timing.py``): begin with an empty result cache, and edit on a fresh copy
after an untimed begin, as in the README's flow. Targets at 2,000 synthetic modules
(median): begin <= 3x the floor, edit after begin <= 5x. ``--project`` times a copy of a
real project instead.

    python benchmarks/bench_begin.py [--modules 2000] [--pairs 5] [--project PATH]
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import TOOL, Leg, fresh_cache, fresh_copy, interleave, options, report, run, subject

from posthog_setup.plan.plan import PLAN_FILE


def main() -> int:
    args = options(__doc__.splitlines()[0], "a real project to time (copied first)")
    with tempfile.TemporaryDirectory() as temp:
        scratch = Path(temp)
        root = scratch / "project"
        title = subject(args, root)
        work = scratch / "edited"

        def begin(_: int) -> tuple[list[str], Mapping[str, str]]:
            (root / PLAN_FILE).unlink(missing_ok=True)
            return [*TOOL, "begin", str(root)], fresh_cache(scratch)

        def edit(_: int) -> tuple[list[str], Mapping[str, str]]:
            fresh_copy(root, work)
            (work / PLAN_FILE).unlink(missing_ok=True)
            cache = fresh_cache(scratch)
            run([*TOOL, "begin", str(work)], cache)
            return [*TOOL, "edit", "--allow-dirty", str(work)], cache

        legs = [
            Leg("begin (empty cache)", begin, target=3.0),
            Leg("edit after begin (fresh copy)", edit, target=5.0),
        ]
        floors = interleave(root, legs, args.pairs)
    met = report(f"{title}; {args.pairs} interleaved pairs, seconds and ratios", floors, legs)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
