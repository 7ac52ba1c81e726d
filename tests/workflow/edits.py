"""Small projects written from sources in a test, and one module of them after ``edit``."""

from __future__ import annotations

import textwrap
from pathlib import Path

from posthog_setup.cli import main


def written(root: Path, files: dict[str, str]) -> Path:
    """``root`` with each of ``files`` (relative path -> dedented source) written in it."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def edited(project: Path, module: str) -> str:
    """``module`` after ``edit``; it compiles, and a second run and the check agree."""
    assert main(["edit", "-q", str(project)]) == 0
    text = (project / module).read_text(encoding="utf-8")
    compile(text, module, "exec")
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert (project / module).read_text(encoding="utf-8") == text
    assert main(["revise", "--check", str(project)]) == 0
    return text
