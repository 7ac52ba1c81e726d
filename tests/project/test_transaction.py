"""A run's writes are one transaction: every file new, or every file as it was."""

from __future__ import annotations

import os
import signal
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from posthog_setup.project import transaction
from posthog_setup.project.transaction import (
    TEMP_MARK,
    TransactionFailed,
    Write,
    commit_changes,
)


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every entry under root: content (None for folders) and mode."""
    found: dict[str, tuple[bytes | None, int]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        found[path.relative_to(root).as_posix()] = (content, stat.S_IMODE(info.st_mode))
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_bytes(b"from .views import bp\n")
    (root / "app" / "views.py").write_bytes(b"bp = 1\n")
    (root / "run.sh").write_bytes(b"#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    return root


WRITES = [
    Write("app/__init__.py", b"from .views import bp\nfrom .client import c\n"),
    Write("app/client.py", b"c = 1\n"),
    Write("app/sub/deep/new.py", b"n = 1\n"),
    Write("app/views.py", b"bp = 2\n"),
    Write("run.sh", b"#!/bin/sh\necho\n"),
]


def expected_new(old: dict[str, tuple[bytes | None, int]]) -> dict[str, bytes | None]:
    new = {path: content for path, (content, _) in old.items()}
    new.update({"app/sub": None, "app/sub/deep": None})
    new.update({w.path: w.data for w in WRITES})
    return new


def test_every_file_is_written_with_the_right_mode(project: Path) -> None:
    before = snapshot(project)
    old = os.umask(0o027)
    try:
        committed = commit_changes(project, WRITES)
    finally:
        os.umask(old)
    assert committed.written == [w.path for w in WRITES]
    after = snapshot(project)
    assert {p: c for p, (c, _) in after.items()} == expected_new(before)
    # Created files and folders get what the umask gives; edited files keep their mode.
    assert after["app/client.py"][1] == 0o640
    assert after["app/sub"][1] == 0o750
    assert after["run.sh"][1] == 0o755
    assert not [p for p in after if TEMP_MARK in p]


def failing_at(real: Callable[..., Any], position: int, error: BaseException) -> Callable[..., Any]:
    calls = iter(range(10_000))

    def call(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == position:
            raise error
        return real(*args, **kwargs)

    return call


def no_hard_links(*args: Any) -> None:
    raise OSError(1, "Operation not permitted")


@pytest.mark.parametrize("position", range(len(WRITES)))
@pytest.mark.parametrize("where", ["open", "replace", "replace without hard links"])
def test_a_failure_anywhere_leaves_the_old_tree_exactly(
    project: Path, monkeypatch: pytest.MonkeyPatch, position: int, where: str
) -> None:
    before = snapshot(project)
    if where == "replace without hard links":
        # The originals are then kept in memory and written back.
        monkeypatch.setattr(transaction.os, "link", no_hard_links)
        where = "replace"
    full = OSError(28, "No space left on device")
    monkeypatch.setattr(transaction.os, where, failing_at(getattr(os, where), position, full))
    with pytest.raises(TransactionFailed, match=r"No space left on device.*nothing was changed"):
        commit_changes(project, WRITES)
    monkeypatch.undo()
    assert snapshot(project) == before


@pytest.mark.parametrize("position", range(len(WRITES)))
def test_ctrl_c_while_staging_changes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch, position: int
) -> None:
    before = snapshot(project)

    def interrupted() -> None:
        signal.raise_signal(signal.SIGINT)
        raise AssertionError("the signal handler should have stopped the run")

    calls = iter(range(100))
    real_open = os.open

    def open_then_signal(*args: Any) -> Any:
        if next(calls) == position:
            interrupted()
        return real_open(*args)

    monkeypatch.setattr(transaction.os, "open", open_then_signal)
    with pytest.raises(TransactionFailed, match="stopped by SIGINT") as caught:
        commit_changes(project, WRITES)
    assert caught.value.signal_number == signal.SIGINT
    monkeypatch.undo()
    assert snapshot(project) == before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("position", range(len(WRITES)))
def test_a_signal_during_the_commit_waits_until_every_file_is_written(
    project: Path, monkeypatch: pytest.MonkeyPatch, position: int
) -> None:
    before = snapshot(project)
    calls = iter(range(100))
    real_replace = os.replace

    def replace_then_signal(*args: Any) -> Any:
        if next(calls) == position:
            signal.raise_signal(signal.SIGINT)
        return real_replace(*args)

    monkeypatch.setattr(transaction.os, "replace", replace_then_signal)
    committed = commit_changes(project, WRITES)
    assert committed.held_signal == signal.SIGINT
    monkeypatch.undo()
    assert {p: c for p, (c, _) in snapshot(project).items()} == expected_new(before)


def test_a_directory_where_a_file_should_be_is_refused_before_writing(project: Path) -> None:
    (project / "app" / "client.py").mkdir()
    before = snapshot(project)
    with pytest.raises(TransactionFailed, match=r"app/client.py: it is a directory"):
        commit_changes(project, WRITES)
    assert snapshot(project) == before


def test_a_read_only_file_is_refused_not_replaced(project: Path) -> None:
    (project / "app" / "views.py").chmod(0o444)
    before = snapshot(project)
    with pytest.raises(TransactionFailed, match=r"app/views.py is read-only"):
        commit_changes(project, WRITES)
    assert snapshot(project) == before


def test_an_unwritable_folder_is_refused_before_writing(project: Path) -> None:
    (project / "app").chmod(0o555)
    try:
        if os.access(project / "app", os.W_OK):
            pytest.skip("running as root: nothing is read-only")
        before = snapshot(project)
        with pytest.raises(TransactionFailed, match="not writable; nothing was written"):
            commit_changes(project, WRITES)
        assert snapshot(project) == before
    finally:
        (project / "app").chmod(0o755)


def test_stale_temporary_files_of_a_killed_run_are_removed(project: Path) -> None:
    stale = [
        project / "app" / f".views.py{TEMP_MARK}dead.tmp",
        project / f".run.sh{TEMP_MARK}0.bak",
    ]
    for path in stale:
        path.write_bytes(b"half")
    unrelated = project / "app" / ".views.py.swp"
    unrelated.write_bytes(b"editor")
    commit_changes(project, WRITES)
    assert not any(path.exists() for path in stale)
    assert unrelated.exists()


def test_symlinks_inside_the_project_are_written_through(project: Path) -> None:
    (project / "app" / "real_views.py").write_bytes(b"real = 1\n")
    (project / "app" / "views.py").unlink()
    (project / "app" / "views.py").symlink_to("real_views.py")
    commit_changes(project, [Write("app/views.py", b"bp = 3\n")])
    assert (project / "app" / "views.py").is_symlink()
    assert (project / "app" / "real_views.py").read_bytes() == b"bp = 3\n"


def test_symlinks_leaving_the_project_are_left_alone_with_a_note(
    project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.py"
    outside.write_bytes(b"secret = 1\n")
    (project / "app" / "views.py").unlink()
    (project / "app" / "views.py").symlink_to(outside)
    (project / "linked").symlink_to(tmp_path, target_is_directory=True)
    committed = commit_changes(
        project,
        [
            Write("app/views.py", b"bp = 3\n"),
            Write("linked/planted.py", b"x = 1\n"),
            Write("run.sh", b"ok\n"),
        ],
    )
    assert outside.read_bytes() == b"secret = 1\n"
    assert not (tmp_path / "planted.py").exists()
    assert committed.written == ["run.sh"]
    assert committed.notes == [
        "app/views.py: a symlink to a file outside the project; left alone",
        "linked/planted.py: a symlink to a file outside the project; left alone",
    ]


@pytest.fixture(autouse=True)
def _handlers_restored() -> Iterator[None]:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    yield
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
