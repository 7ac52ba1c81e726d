"""The analysis as the stages run it: with every registered framework's analyser."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from posthog_setup.analysis import engine
from posthog_setup.analysis.model import Analysis
from posthog_setup.frameworks import registry


def analyse_sources(sources: Mapping[str, str | bytes]) -> Analysis:
    """Analyse in-memory files with every registered framework."""
    return engine.analyse_sources(sources, registry.analysers())


def analyse_project(root: Path, **options: Any) -> Analysis:
    """Analyse the project at ``root`` with every registered framework."""
    return engine.analyse_project(root, registry.analysers(), **options)
