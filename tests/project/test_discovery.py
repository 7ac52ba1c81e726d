"""Which files are walked, and where the project root is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from posthog_setup.project.discovery import find_project_root, is_test_file, project_files


def make_tree(root: Path) -> None:
    for name in [
        "app/__init__.py",
        "app/views.py",
        "app/migrations/0001_initial.py",
        "node_modules/pkg/x.py",
        ".venv/lib/site.py",
        "myenv/lib/thing.py",
        "build/lib/app/views.py",
        "generated/out.py",
        "notes.txt",
    ]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    (root / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / ".gitignore").write_text("generated/\n")
    (root / "requirements.txt").write_text("flask\n")


EXPECTED = ["app/__init__.py", "app/views.py"]


def test_walk_without_git_prunes_and_honours_gitignore(tmp_path: Path) -> None:
    make_tree(tmp_path)
    assert project_files(tmp_path) == EXPECTED


def test_walk_without_git_asks_the_ignore_patterns_only_of_wanted_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project's assets (stylesheets, images, notes) are most of its files: matching each
    against .gitignore cost more than walking them."""
    import pathspec

    make_tree(tmp_path)
    asked: list[str] = []
    original = pathspec.GitIgnoreSpec.match_file

    def counting(self: pathspec.GitIgnoreSpec, file: str, *args: object) -> bool:
        asked.append(file)
        return bool(original(self, file, *args))  # type: ignore[arg-type]

    monkeypatch.setattr(pathspec.GitIgnoreSpec, "match_file", counting)
    assert project_files(tmp_path) == EXPECTED
    assert "notes.txt" not in asked
    assert ".gitignore" not in asked


def test_walk_in_a_git_checkout_asks_git(tmp_path: Path) -> None:
    make_tree(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    # Tracked files under a pruned folder stay out all the same.
    subprocess.run(["git", "-C", str(tmp_path), "add", "-f", "build/lib/app/views.py"], check=True)
    assert project_files(tmp_path) == EXPECTED


@pytest.mark.parametrize(
    "marker", ["manage.py", "pyproject.toml", "setup.py", "requirements-dev.txt"]
)
def test_root_is_the_nearest_folder_with_a_marker(tmp_path: Path, marker: str) -> None:
    (tmp_path / marker).write_text("")
    inner = tmp_path / "app" / "api"
    inner.mkdir(parents=True)
    assert find_project_root(inner) == tmp_path


def test_root_without_any_marker_is_the_given_folder(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    inner = tmp_path / "src"
    inner.mkdir()
    assert find_project_root(inner) == inner


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/conftest.py", True),
        ("blog/tests/helpers.py", True),
        ("test_events.py", True),
        ("blog/posts_test.py", True),
        ("orders/tests.py", True),
        ("conftest.py", True),
        ("shop/testing/factories.py", True),
        ("blog/posts.py", False),
        ("blog/testing_utils.py", False),
        ("contest/views.py", False),
    ],
)
def test_is_test_file(path: str, expected: bool) -> None:
    assert is_test_file(path) is expected
