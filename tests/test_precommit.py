"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit in a temporary repository.

The hook definitions are read from the file users install from; only the
environment differs: ``language: system`` with this interpreter's own
``posthog-setup``, because installing the package into a fresh virtualenv
would need the network.
"""

from __future__ import annotations

import os
import re
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


# --- what users paste: the README's configurations ------------------------------------------


def _readme_configs() -> list[dict[str, Any]]:
    """The YAML blocks of the README's pre-commit section, parsed."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### pre-commit\n") : readme.index("### conclude\n")]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    return [yaml.safe_load(block) for block in blocks]


def _git_tags() -> set[str]:
    result = subprocess.run(
        ["git", "-C", str(REPO), "tag", "--list"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.skip("not a git checkout: the tags cannot be listed")
    return set(result.stdout.split())


def _commit_exists(rev: str) -> bool:
    result = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{rev}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def test_readme_rev_is_a_commit_sha_or_a_tag_that_exists() -> None:
    remote = [c for c in _readme_configs() if c["repos"][0]["repo"] != "local"]
    assert len(remote) == 1
    rev = remote[0]["repos"][0]["rev"]
    assert isinstance(rev, str), rev  # YAML reads an all-digit SHA as a number
    if not re.fullmatch(r"[0-9a-f]{40}", rev):
        assert rev in _git_tags(), f"README's rev: {rev} is not a tag of this repository"
    else:
        _git_tags()  # skips outside a git checkout
        assert _commit_exists(rev), f"README's rev: {rev} is not a commit of this repository"
    assert {h["id"] for h in remote[0]["repos"][0]["hooks"]} <= {h["id"] for h in _hooks()}


def test_readme_local_form_is_the_published_hook_with_its_dependency_pinned() -> None:
    local = [c for c in _readme_configs() if c["repos"][0]["repo"] == "local"]
    assert len(local) == 1
    [hook] = local[0]["repos"][0]["hooks"]
    published = {h["id"]: h for h in _hooks()}[hook["id"]]
    for key in ("name", "entry", "language", "pass_filenames", "require_serial", "files"):
        assert hook[key] == published[key], key
    [dependency] = hook["additional_dependencies"]
    pinned = re.fullmatch(r"posthog-setup @ git\+\S+@([0-9a-f]{40})", dependency)
    assert pinned is not None, dependency
    _git_tags()  # skips outside a git checkout
    assert _commit_exists(pinned.group(1))


def test_the_changelog_has_a_heading_for_the_declared_version() -> None:
    version = re.search(r'^version = "(.+)"$', (REPO / "pyproject.toml").read_text(), re.M)
    assert version is not None
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert f"\n## {version.group(1)}\n" in changelog
    assert "\n## Unreleased\n" in changelog


# Building a `language: python` hook environment pip-installs posthog-setup's dependencies
# (libcst, jinja2, click, ...). Tests never reach beyond this machine, so it runs only
# against a local wheelhouse: `pip download -d DIR hatchling .` once (the build backend
# too), then POSTHOG_SETUP_WHEELHOUSE=DIR.
WHEELHOUSE = os.environ.get("POSTHOG_SETUP_WHEELHOUSE")


@pytest.mark.slow
@pytest.mark.skipif(
    not WHEELHOUSE,
    reason="building the hook's own Python environment needs posthog-setup's dependencies "
    "from PyPI, and tests do not reach outside this machine; set POSTHOG_SETUP_WHEELHOUSE "
    "to a folder from `pip download -d DIR hatchling .` to run it offline",
)
def test_try_repo_builds_the_hooks_environment_from_a_local_clone(
    project: Path, tmp_path: Path
) -> None:
    clone = tmp_path / "posthog-setup-clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "NO_COLOR": "1",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(WHEELHOUSE),
    }
    # The environment is built from the clone (language: python), not this interpreter.
    (project / ".pre-commit-config.yaml").unlink()
    _git(project, "commit", "-qam", "no local hooks")
    posts = project / "blog" / "posts.py"
    posts.write_text(posts.read_text() + NEW_ROUTE)
    _git(project, "add", "blog/posts.py")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(clone),
            "posthog-setup-check",
            "--all-files",
            "--color=never",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "missing-capture new mutating route POST /posts/<int:post_id>/pin" in result.stdout
