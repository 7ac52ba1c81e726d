"""HEAD's tree in a temporary worktree: never the user's tree, always cleaned up."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from posthog_setup.verify.baseline import BaselineUnavailable, unedited_tree


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def repository(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text("before\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "before")
    return root


def test_the_project_folder_as_head_has_it_and_nothing_left_behind(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo")
    (root / "app" / "main.py").write_text("after\n")
    (root / "app" / "new.py").write_text("untracked\n")
    git(root, "add", "app/new.py")
    status = git(root, "status", "--porcelain")
    with unedited_tree(root / "app") as before:
        assert (before / "main.py").read_text() == "before\n"
        assert not (before / "new.py").exists()
        scratch = before.parent.parent
    assert not scratch.exists()
    assert git(root, "status", "--porcelain") == status
    assert (root / "app" / "main.py").read_text() == "after\n"
    assert len(git(root, "worktree", "list").splitlines()) == 1


def test_the_users_ignored_set_up_is_copied_but_not_ignored_folders(tmp_path: Path) -> None:
    """A ``.env`` git ignores is the user's, read by the app before and after the edit."""
    root = repository(tmp_path / "repo")
    (root / ".gitignore").write_text(".env\n*.local.py\nbig.bin\ncache/\n")
    git(root, "add", ".gitignore")
    git(root, "commit", "-qm", "ignore")
    (root / ".env").write_text("SECRET_KEY=x\n")
    (root / "app" / "settings.local.py").write_text("DEBUG = True\n")
    (root / "big.bin").write_bytes(b"0" * (2 << 20))
    (root / "cache").mkdir()
    (root / "cache" / "entry").write_text("kept out\n")
    with unedited_tree(root) as before:
        assert (before / ".env").read_text() == "SECRET_KEY=x\n"
        assert (before / "app" / "settings.local.py").read_text() == "DEBUG = True\n"
        assert not (before / "big.bin").exists()
        assert not (before / "cache").exists()
    assert len(git(root, "worktree", "list").splitlines()) == 1


def test_cleaned_up_when_the_check_raises(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo")
    with pytest.raises(RuntimeError), unedited_tree(root) as before:
        raise RuntimeError(str(before))
    assert len(git(root, "worktree", "list").splitlines()) == 1


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("none", "the project is not in a git repository"),
        ("empty", "the repository has no commit yet"),
        ("uncommitted", "HEAD does not have the project's folder yet"),
    ],
)
def test_why_there_is_no_unedited_tree(tmp_path: Path, setup: str, reason: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    if setup == "empty":
        git(root, "init", "-q")
    elif setup == "uncommitted":
        repository(root)
        (root / "newapp").mkdir()
        root = root / "newapp"
    with pytest.raises(BaselineUnavailable, match=reason), unedited_tree(root):
        pass
    if setup == "uncommitted":
        assert len(git(root, "worktree", "list").splitlines()) == 1
