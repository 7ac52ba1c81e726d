"""Timing commands the way users run them: each a subprocess, interleaved with its floor.

The floor is one ``python -c`` that reads and ``ast.parse``-s every Python file the
tool reads, start-up included: the least any analysis of the project could cost. Each
pair runs the floor, then every command once, so a machine that speeds up or slows down
during the run moves both sides of each ratio alike. Ratios are printed as
min / median / max over the pairs; the median is the one a target is judged by.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import posthog_setup
from posthog_setup.project.discovery import project_files

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import generate_project

#: The tool of the interpreter running the benchmark, never a ``posthog_setup`` folder in
#: the working directory (``-I``: ``-m`` would import that first, and time other code).
TOOL = [sys.executable, "-I", "-m", "posthog_setup"]

_FLOOR = (
    "import ast, json, sys\n"
    "root, files = sys.argv[1], json.load(open(sys.argv[2]))\n"
    "for f in files:\n"
    "    with open(root + '/' + f, 'rb') as handle:\n"
    "        ast.parse(handle.read())\n"
)


@dataclass
class Leg:
    """One command to time: ``prepare(run_number)`` (untimed) returns its argv and the
    variables to add to the environment."""

    name: str
    prepare: Callable[[int], tuple[list[str], Mapping[str, str]]]
    target: float | None = None
    seconds: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)


def spread(values: Sequence[float], unit: str = "x") -> str:
    """``min / median / max`` of ``values``."""
    return " / ".join(
        f"{v:.2f}{unit}" for v in (min(values), statistics.median(values), max(values))
    )


def python_files(root: Path) -> list[str]:
    """The Python files the tool reads in ``root`` (relative paths)."""
    return [f for f in project_files(root) if f.endswith(".py")]


def run(argv: Sequence[str], env: Mapping[str, str] | None = None) -> float:
    """Seconds the command took; exits with its output if it failed."""
    start = time.perf_counter()
    done = subprocess.run(
        list(argv), env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return elapsed


def compile_tool() -> None:
    """Byte-compile the tool's own modules, as installing a wheel does: an editable
    install under ``PYTHONDONTWRITEBYTECODE`` (as CI sets it) would otherwise compile
    every module on every timed run, and the floor's stdlib modules are compiled."""
    compileall.compile_dir(Path(posthog_setup.__file__).parent, quiet=2)


def interleave(root: Path, legs: Sequence[Leg], pairs: int) -> list[float]:
    """Time the floor and every leg ``pairs`` times, interleaved, after one warm-up round;
    returns the floor's seconds and fills each leg's seconds and ratios."""
    compile_tool()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as listing:
        json.dump(python_files(root), listing)
    floor_argv = [sys.executable, "-c", _FLOOR, str(root), listing.name]
    floors = []
    try:
        for number in range(pairs + 1):
            floor = run(floor_argv)
            for leg in legs:
                argv, env = leg.prepare(number)
                seconds = run(argv, env)
                if number:
                    leg.seconds.append(seconds)
                    leg.ratios.append(seconds / floor)
            if number:
                floors.append(floor)
    finally:
        os.unlink(listing.name)
    return floors


def report(title: str, floors: Sequence[float], legs: Sequence[Leg]) -> bool:
    """Print the floor and each leg; True if every leg with a target met it (median)."""
    print(title)
    print(f"  {'ast.parse floor (one python -c)':<34} {spread(floors, ' s')}")
    met = True
    for leg in legs:
        verdict = ""
        if leg.target is not None:
            ok = statistics.median(leg.ratios) <= leg.target
            met = met and ok
            verdict = f"  target <= {leg.target:.1f}x: {'met' if ok else 'NOT met'}"
        print(f"  {leg.name:<34} {spread(leg.seconds, ' s')}")
        print(f"  {'':<34} {spread(leg.ratios)} the floor{verdict}")
    return met


def fresh_cache(scratch: Path) -> dict[str, str]:
    """The environment of a run with an empty result cache (a CI runner's first run), the
    cache a new folder in ``scratch``."""
    return {"POSTHOG_SETUP_CACHE_DIR": tempfile.mkdtemp(prefix="cache-", dir=scratch)}


def fresh_copy(pristine: Path, work: Path) -> Path:
    """``work``, replaced by a copy of ``pristine``."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work, symlinks=True)
    return work


def options(description: str, project_help: str) -> argparse.Namespace:
    """The benchmarks' options: ``--modules`` of a synthetic project, or ``--project``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--project", type=Path, help=project_help)
    return parser.parse_args()


def subject(options: argparse.Namespace, root: Path) -> str:
    """Make ``root`` a copy of ``--project`` or a synthetic project; says which."""
    if options.project is not None:
        fresh_copy(options.project, root)
        return f"{options.project}: {len(python_files(root))} Python files"
    return f"synthetic project: {generate_project(root, options.modules)} modules"
