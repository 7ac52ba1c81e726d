"""``revise --check`` on an integrated project, as a command, as a ratio to a floor that
parses every file.

A copy of the project is integrated first (begin and edit), then checked once to fill
the result cache, as a pre-commit hook has it on the commit before. Three legs run
interleaved with the floor (see ``timing.py``): the no-op check with that cache (target
<= 1.0x, median), the same check with an empty cache, a CI runner's first (target
<= 3.0x), and, for the record, the check of a commit that changed one route module
(on a second copy with its own cache, so the no-op leg stays a no-op). ``--project``
checks a copy of a real project instead of the synthetic one.

    python benchmarks/bench_revise.py [--modules 2000] [--pairs 5] [--project PATH]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import (
    TOOL,
    Leg,
    fresh_cache,
    fresh_copy,
    interleave,
    options,
    python_files,
    report,
    run,
    subject,
)


def _a_route_module(root: Path) -> str:
    """A module that declares routes (the first, by name), the file a commit changes."""
    for file in python_files(root):
        text = (root / file).read_text(encoding="utf-8", errors="replace")
        if ".route(" in text or ".post(" in text or "urlpatterns" in text:
            return file
    return python_files(root)[0]


def main() -> int:
    args = options(__doc__.splitlines()[0], "a real project to check (copied first)")
    with tempfile.TemporaryDirectory() as temp:
        scratch = Path(temp)
        root = scratch / "project"
        title = subject(args, root) + ", integrated"
        warm = fresh_cache(scratch)
        run([*TOOL, "begin", str(root)], warm)
        run([*TOOL, "edit", "--allow-dirty", str(root)], warm)
        # A commit comes well after the edit: the files have settled (a file changed within
        # two seconds is never trusted by its time and size).
        time.sleep(2.1)
        check = [*TOOL, "revise", "--check", str(root)]
        run(check, warm)
        changed_root = fresh_copy(root, scratch / "changed")
        changed_cache = fresh_cache(scratch)
        changed_check = [*TOOL, "revise", "--check", str(changed_root)]
        run(changed_check, changed_cache)
        module = changed_root / _a_route_module(changed_root)

        def with_cache(_: int) -> tuple[list[str], Mapping[str, str]]:
            return check, warm

        def without_cache(_: int) -> tuple[list[str], Mapping[str, str]]:
            return check, fresh_cache(scratch)

        def one_changed(number: int) -> tuple[list[str], Mapping[str, str]]:
            with module.open("a", encoding="utf-8") as stream:
                stream.write(f"# changed in commit {number}\n")
            return changed_check, changed_cache

        legs = [
            Leg("no-op revise --check (cache)", with_cache, target=1.0),
            Leg("revise --check (empty cache)", without_cache, target=3.0),
            Leg("revise --check, one module changed", one_changed),
        ]
        floors = interleave(root, legs, args.pairs)
    met = report(f"{title}; {args.pairs} interleaved pairs, seconds and ratios", floors, legs)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
