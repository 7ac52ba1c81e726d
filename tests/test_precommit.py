"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit in a temporary repository.

The hook definitions are read from the file users install from; only the
environment differs: ``language: system`` with this interpreter's own
``posthog-setup``, because installing the package into a fresh virtualenv
would need the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.workflow.test_revise import NEW_ROUTE

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "fixtures" / "expected" / "flask_blog"


def _hooks() -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return hooks


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository holding an integrated project and a config using both hooks."""
    root = tmp_path / "blog"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__"))
    command = Path(sys.executable).parent / "posthog-setup"
    assert command.is_file(), command
    local = []
    for hook in _hooks():
        entry = hook["entry"].replace("posthog-setup", str(command), 1)
        local.append({**hook, "entry": entry, "language": "system"})
    config = {"repos": [{"repo": "local", "hooks": local}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    return root


def _pre_commit(root: Path, hook: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--all-files", "--color=never"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_hook_file_defines_a_check_and_a_fix_hook_run_serially() -> None:
    hooks = {h["id"]: h for h in _hooks()}
    assert sorted(hooks) == ["posthog-setup-check", "posthog-setup-fix"]
    assert hooks["posthog-setup-check"]["entry"] == "posthog-setup revise --check"
    assert hooks["posthog-setup-fix"]["entry"] == "posthog-setup revise"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["require_serial"] is True
        assert hook["pass_filenames"] is False


def test_check_fails_on_a_new_route_and_fix_instruments_it(project: Path, tmp_path: Path) -> None:
    assert _pre_commit(project, "posthog-setup-check", tmp_path).returncode == 0

    posts = project / "blog" / "posts.py"
    posts.write_text(posts.read_text() + NEW_ROUTE)
    _git(project, "add", "blog/posts.py")

    check = _pre_commit(project, "posthog-setup-check", tmp_path)
    assert check.returncode == 1, check.stdout
    assert "missing-capture new mutating route POST /posts/<int:post_id>/pin (pin)" in check.stdout

    fix = _pre_commit(project, "posthog-setup-fix", tmp_path)
    assert fix.returncode == 1, fix.stdout  # pre-commit fails a hook that changed files
    assert "files were modified by this hook" in fix.stdout
    assert '        "post_pinned",\n' in posts.read_text()

    for hook in ("posthog-setup-check", "posthog-setup-fix"):
        after = _pre_commit(project, hook, tmp_path)
        assert after.returncode == 0, after.stdout
