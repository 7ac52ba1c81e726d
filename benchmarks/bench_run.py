"""The full run, ``posthog-setup PATH`` (begin, edit, revise and conclude), as a command:
its wall time on a small real app, and its ratio to a floor that parses every file.

Each timed run works on a fresh copy of ``--project`` made a git repository with a clean
tree (as a user runs it on a checkout), with an empty result cache (a first run), and is
interleaved with the floor (see ``timing.py``). Conclude imports the app in the Python
that runs the tool unless the project has a virtualenv of its own: install the app's
dependencies there (or give ``--python``) for its app import to pass. Target: the median
run <= 1.0 s on the smallest apps. Without ``--project`` a synthetic project is timed,
which has no app to import. ``--app-start`` also times the app's own start command in the
copy each run left, for reference: no run can take less than the app takes to start.

    python benchmarks/bench_run.py --project PATH [--pairs 5] [--python PYTHON]
        [--app-start "python manage.py check"]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import generate_project
from timing import TOOL, Leg, fresh_cache, fresh_copy, interleave, python_files, report

#: Seconds a full run of a small app should take at most (median).
TARGET_SECONDS = 1.0

#: The copy gets a history of its own: one commit of what the project holds.
_NOT_COPIED = shutil.ignore_patterns(".git")

_GIT = [
    "git",
    "-c",
    "user.name=bench",
    "-c",
    "user.email=bench@localhost",
    "-c",
    "commit.gpgsign=false",
]


def committed(root: Path) -> None:
    """Make ``root`` a git repository with everything committed: a clean tree."""
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run([*_GIT, "-C", str(root), *step], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a real app to run on (copied first)")
    parser.add_argument("--modules", type=int, default=200, help="synthetic modules otherwise")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--python", help="the app's Python, for conclude (--env)")
    parser.add_argument(
        "--app-start",
        help="the app's own start command (`python manage.py check`), timed after each run "
        "in the copy it left, for reference: the part of a run that is the app's, not ours",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        scratch = Path(temp)
        pristine = scratch / "pristine"
        if args.project is not None:
            shutil.copytree(args.project, pristine, symlinks=True, ignore=_NOT_COPIED)
            title = f"{args.project}: {len(python_files(pristine))} Python files"
        else:
            title = f"synthetic project: {generate_project(pristine, args.modules)} modules"
        committed(pristine)
        work = scratch / "run"
        extra = ["--env", args.python] if args.python else []

        def full_run(_: int) -> tuple[list[str], Mapping[str, str]]:
            fresh_copy(pristine, work)
            return [*TOOL, str(work), *extra], fresh_cache(scratch)

        leg = Leg("posthog-setup PATH (fresh copy)", full_run)
        legs = [leg]
        if args.app_start:
            start = ["sh", "-c", f"cd '{work}' && {args.app_start}"]
            legs.append(Leg("the app's own start (reference)", lambda _: (start, {})))
        floors = interleave(pristine, legs, args.pairs)
    report(f"{title}; {args.pairs} interleaved pairs, seconds and ratios", floors, legs)
    median = statistics.median(leg.seconds)
    met = median <= TARGET_SECONDS
    print(
        f"  {'full run, median':<34} {median:.2f} s  "
        f"target <= {TARGET_SECONDS:.1f} s: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
