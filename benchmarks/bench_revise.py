"""``revise --check`` on an integrated project, as a command, as a ratio to a floor that
parses every file.

A copy of the project is integrated first (begin and edit), then checked once to fill
the result cache, as a pre-commit hook has it on the commit before. Two legs run
interleaved with the floor (see ``timing.py``): the no-op check with that cache (target
<= 1.0x, median) and the same check with an empty cache, a CI runner's first (target
<= 3.0x). ``--project`` checks a copy of a real project instead of the synthetic one.

    python benchmarks/bench_revise.py [--modules 2000] [--pairs 5] [--project PATH]
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import TOOL, Leg, fresh_cache, interleave, options, report, run, subject


def main() -> int:
    args = options(__doc__.splitlines()[0], "a real project to check (copied first)")
    with tempfile.TemporaryDirectory() as temp:
        scratch = Path(temp)
        root = scratch / "project"
        title = subject(args, root) + ", integrated"
        warm = fresh_cache(scratch)
        run([*TOOL, "begin", str(root)], warm)
        run([*TOOL, "edit", "--allow-dirty", str(root)], warm)
        check = [*TOOL, "revise", "--check", str(root)]
        run(check, warm)

        def with_cache(_: int) -> tuple[list[str], Mapping[str, str]]:
            return check, warm

        def without_cache(_: int) -> tuple[list[str], Mapping[str, str]]:
            return check, fresh_cache(scratch)

        legs = [
            Leg("no-op revise --check (cache)", with_cache, target=1.0),
            Leg("revise --check (empty cache)", without_cache, target=3.0),
        ]
        floors = interleave(root, legs, args.pairs)
    met = report(f"{title}; {args.pairs} interleaved pairs, seconds and ratios", floors, legs)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
