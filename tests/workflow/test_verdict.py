"""revise's kept clean verdict: trusted while no file the check could read has changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.workflow import revise as revise_module
from posthog_setup.workflow.verdict import NOTHING_TO_DO, look, project_stamp

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SETTLED = time.time_ns() - 60_000_000_000


def _settle(root: Path) -> None:
    """Every file as if last changed a minute ago (so its time and size are trusted)."""
    for folder, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(folder, name), ns=(SETTLED, SETTLED))


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    """The flask_blog fixture as edit leaves it, settled."""
    target = tmp_path / "blog_project"
    shutil.copytree(
        FIXTURES / "expected" / "flask_blog", target, ignore=shutil.ignore_patterns("__pycache__")
    )
    _settle(target)
    return target


def _check(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The check's exit code and everything it printed."""
    code = main(["revise", "--check", *args, str(project)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _full_runs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every full revise from now on (the kept verdict skips them)."""
    runs: list[Path] = []
    real = revise_module.revise_stage

    def recorded(
        path: Path, *, write: bool, use_cache: bool, stamp: str | None = None
    ) -> revise_module.ReviseOutcome:
        runs.append(path)
        return real(path, write=write, use_cache=use_cache, stamp=stamp)

    monkeypatch.setattr(revise_module, "revise_stage", recorded)
    return runs


def test_an_unchanged_project_is_not_checked_again(
    blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = _full_runs(monkeypatch)
    assert _check(blog, capsys) == (0, f"{NOTHING_TO_DO}\n")
    assert len(runs) == 1
    assert look(blog).warnings == []
    assert _check(blog, capsys) == (0, f"{NOTHING_TO_DO}\n")
    assert len(runs) == 1


def test_a_changed_file_is_checked_in_full_and_its_finding_reported(
    blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _check(blog, capsys)[0] == 0
    runs = _full_runs(monkeypatch)
    posts = blog / "blog" / "posts.py"
    posts.write_text(
        posts.read_text()
        + '\n\n@bp.post("/<int:post_id>/pin")\ndef pin(post_id: int) -> Any:\n'
        + "    post = _get_own_post(post_id)\n    post.pinned = True\n"
        + '    db.session.commit()\n    return {"pinned": True}\n'
    )
    _settle(blog)
    code, printed = _check(blog, capsys)
    assert (code, len(runs)) == (1, 1)
    assert "missing-capture new mutating route POST /posts/<int:post_id>/pin" in printed
    assert look(blog).warnings is None


def test_a_file_changed_just_now_leaves_no_stamp(blog: Path) -> None:
    """Within the two seconds after a change, a second change in the same clock tick of a
    coarse file system could keep both time and size: the check runs in full."""
    assert project_stamp(blog) is not None
    os.utime(blog / "blog" / "posts.py")
    assert project_stamp(blog) is None


def test_the_stamp_covers_files_git_ignores_that_the_check_reads(
    tmp_path: Path, blog: Path
) -> None:
    """A local ``.python-version`` (often ignored) decides which Python the edits must
    run on; a ``requirements/`` file is read by pattern: changing either is a change."""
    subprocess.run(["git", "init", "-q", str(blog)], check=True)
    (blog / ".gitignore").write_text(".python-version\nrequirements/\n")
    (blog / ".python-version").write_text("3.12\n")
    (blog / "requirements").mkdir()
    (blog / "requirements" / "prod.txt").write_text("flask\n")
    _settle(blog)
    before = project_stamp(blog)
    for changed, text in ((".python-version", "3.9\n"), ("requirements/prod.txt", "flask<2\n")):
        (blog / changed).write_text(text)
        _settle(blog)
        after = project_stamp(blog)
        assert after is not None
        assert after != before
        before = after


def test_only_a_clean_verdict_is_kept(
    blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (blog / "posthog-events.json").write_text(
        (blog / "posthog-events.json").read_text().replace("post_created", "post_made")
    )
    _settle(blog)
    runs = _full_runs(monkeypatch)
    assert _check(blog, capsys)[0] == 1
    assert _check(blog, capsys)[0] == 1
    assert len(runs) == 2
    assert look(blog).warnings is None


def test_a_clean_verdict_gives_its_warnings_again(
    blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the check skips (it does not parse) is said on every check, kept or not."""
    (blog / "blog" / "legacy.py").write_text("from flask import Blueprint\n\ndef broken(:\n")
    _settle(blog)
    code, first = _check(blog, capsys)
    assert code == 0
    assert "skipped blog/legacy.py" in first
    runs = _full_runs(monkeypatch)
    assert _check(blog, capsys) == (0, first)
    assert runs == []


@pytest.mark.parametrize("option", ["--json", "--no-cache"])
def test_json_and_no_cache_always_run_in_full(
    option: str, blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _check(blog, capsys)[0] == 0
    runs = _full_runs(monkeypatch)
    assert _check(blog, capsys, option)[0] == 0
    assert len(runs) == 1
