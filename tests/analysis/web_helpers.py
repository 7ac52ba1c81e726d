"""Shared helpers for the Flask and FastAPI analysis tests: run the engine, tabulate results."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

from posthog_setup.analysis.model import Analysis, Framework
from tests.analysers import analyse_sources

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

RouteRow = tuple[str, tuple[str, ...], str, bool]


def analyse(sources: Mapping[str, str]) -> Analysis:
    """Analyse dedented in-memory sources (relative posix path -> source) with the engine."""
    return analyse_sources({file: textwrap.dedent(text) for file, text in sources.items()})


def analyse_one(source: str, file: str = "app.py") -> Analysis:
    """Analyse a single module."""
    return analyse({file: source})


def route_rows(analysis: Analysis, framework: Framework) -> list[RouteRow]:
    """(path, methods, handler qualname, mutating) of each route of one framework."""
    return [
        (r.path, r.methods, r.handler.qualname, r.mutating)
        for r in analysis.routes
        if r.framework == framework
    ]


def run_fixture_script(fixture: str, script: str) -> str:
    """Run ``script`` with the fixture project as working directory, in a fresh interpreter.

    A subprocess keeps the fixture's top-level packages out of this process's modules.
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=FIXTURES / fixture,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
