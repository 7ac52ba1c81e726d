"""Writing a run's changes as one transaction: every file is new, or every file is as it was.

A run that edits ten files and fails at the seventh (disk full, a read-only folder,
Ctrl-C) must not leave six files importing a client module that was never created.
So the new content of every file is first *staged* in a temporary file beside its
target; only when all are staged are they *committed*, each by a rename over its
target. An original is kept as a hard link until the commit is over, so that a
failure during the commit puts every renamed file back, inode, mode and all.
SIGINT and SIGTERM arriving during the commit are held until it ends, then
handed to the caller; arriving while staging, they stop the run with nothing changed.

The only thing a crash (SIGKILL, power cut) can leave behind is temporary files
with ``TEMP_MARK`` in their names; the next run removes them from the folders it
writes in. Targets are written through symlinks that stay inside the project;
any other symlinked target is left alone with a note.
"""

from __future__ import annotations

import contextlib
import os as os  # re-exported: the tests fault-inject through transaction.os
import secrets
import signal
import stat
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

#: In the name of every temporary file the transaction makes (and only theirs).
TEMP_MARK = ".posthog-setup~"
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TransactionFailed(Exception):
    """Nothing was changed, and the message (one line, for people) says why.

    ``signal_number`` is set when the run was stopped by SIGINT or SIGTERM.
    """

    def __init__(self, message: str, signal_number: int | None = None) -> None:
        super().__init__(message)
        self.signal_number = signal_number


@dataclass(frozen=True)
class Write:
    """New content for one file, by its path relative to the project root."""

    path: str
    data: bytes


@dataclass(frozen=True)
class Committed:
    """What a transaction wrote, and the targets it left alone (with the reason)."""

    written: list[str]
    notes: list[str]
    #: SIGINT or SIGTERM held during the commit: the caller stops once it has said so
    held_signal: int | None = None


class _Stopped(BaseException):
    """A signal arrived while staging."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number


@dataclass
class _Staged:
    path: str
    target: Path
    temp: Path
    existed: bool
    #: a hard link to the original, while the commit runs (None: linking not supported)
    backup: Path | None = None
    #: the original's bytes and mode, where no hard link could be made
    original: tuple[bytes, int] | None = None
    renamed: bool = False


@dataclass
class _SignalGuard:
    """Turns SIGINT/SIGTERM into ``_Stopped`` while staging, and holds them while committing."""

    deferring: bool = False
    pending: list[int] = field(default_factory=list)
    previous: dict[int, object] = field(default_factory=dict)

    def _handle(self, signal_number: int, frame: FrameType | None) -> None:
        if self.deferring:
            self.pending.append(signal_number)
        else:
            raise _Stopped(signal_number)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        # Handlers can only be set from the main thread; elsewhere signals stay as they are.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        for number in _SIGNALS:
            self.previous[number] = signal.signal(number, self._handle)
        try:
            yield
        finally:
            for signum, handler in self.previous.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]


def _temp_name(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}{TEMP_MARK}{secrets.token_hex(4)}.{kind}")


def remove_stale_temps(folders: Sequence[Path]) -> list[Path]:
    """Remove temporary files an interrupted earlier run left in ``folders``."""
    removed = []
    for folder in dict.fromkeys(folders):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if TEMP_MARK in entry.name and entry.name.endswith((".tmp", ".bak")):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _resolve_target(root: Path, real_root: Path, path: str) -> tuple[Path | None, str | None]:
    """The file to write for ``path``, or None and why it is left alone / refused."""
    given = root / path
    real = given.resolve()
    if not _inside(real, real_root):
        return None, f"{path}: a symlink to a file outside the project; left alone"
    return real, None


def _check_target(path: str, real: Path) -> None:
    """Refuse, before anything is written, a target that cannot be replaced by a file."""
    try:
        info = os.lstat(real)
    except FileNotFoundError:
        parent = real.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise TransactionFailed(
                f"cannot create {path}: {parent.name} is not a folder; nothing was written"
            ) from None
        if not os.access(parent, os.W_OK | os.X_OK):
            raise TransactionFailed(
                f"cannot create {path}: the folder is not writable; nothing was written"
            ) from None
        return
    if stat.S_ISDIR(info.st_mode):
        raise TransactionFailed(
            f"cannot write {path}: it is a directory, where a file should be; nothing was written"
        )
    if not stat.S_ISREG(info.st_mode):
        raise TransactionFailed(f"cannot write {path}: not a regular file; nothing was written")
    # Mode bits as well as access(): root may write anything, but a file someone made
    # read-only is a file they do not want rewritten.
    if not info.st_mode & 0o222 or not os.access(real, os.W_OK):
        raise TransactionFailed(
            f"{path} is read-only: make it writable to let posthog-setup edit it; nothing was written"
        )
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise TransactionFailed(
            f"cannot write {path}: its folder is not writable; nothing was written"
        )


def _make_folders(folder: Path, created: list[Path]) -> None:
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        os.mkdir(path)  # mode 0o777 less the umask, as mkdir(1) would
        created.append(path)


def _stage(item: Write, target: Path, created: list[Path]) -> _Staged:
    _make_folders(target.parent, created)
    existed = target.exists()
    temp = _temp_name(target, "tmp")
    # 0o666 less the umask for a new file (what an editor's write gives it); an
    # edited file keeps its own mode (set below, before anything is renamed).
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    staged = _Staged(item.path, target, temp, existed)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(item.data)
        if existed:
            mode = stat.S_IMODE(os.stat(target).st_mode)
            os.chmod(temp, mode)
            backup = _temp_name(target, "bak")
            try:
                os.link(target, backup)
                staged.backup = backup
            except OSError:
                staged.original = (target.read_bytes(), mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return staged


def _restore(staged: _Staged) -> None:
    if not staged.existed:
        os.unlink(staged.target)
    elif staged.backup is not None:
        os.replace(staged.backup, staged.target)
    elif staged.original is not None:
        data, mode = staged.original
        temp = _temp_name(staged.target, "tmp")
        temp.write_bytes(data)
        os.chmod(temp, mode)
        os.replace(temp, staged.target)


def _roll_back(staged: Sequence[_Staged], created: Sequence[Path]) -> list[str]:
    """Put back every renamed file, remove every temporary file; the paths not restored."""
    failed = []
    for item in reversed(staged):
        if item.renamed:
            try:
                _restore(item)
            except OSError:
                failed.append(item.path)
        for temp in (item.temp, item.backup):
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            os.rmdir(folder)
    return failed


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


def commit_changes(root: Path, writes: Sequence[Write]) -> Committed:
    """Write every change or none; raises TransactionFailed (nothing changed) on failure.

    A signal held during the commit is returned (``held_signal``) for the caller
    to act on once every file is written.
    """
    real_root = root.resolve()
    targets: list[tuple[Write, Path]] = []
    notes: list[str] = []
    seen: set[Path] = set()
    for item in writes:
        real, note = _resolve_target(root, real_root, item.path)
        if real is None or real in seen:
            notes.append(
                note or f"{item.path}: a symlink to another file this run edits; left alone"
            )
            continue
        seen.add(real)
        _check_target(item.path, real)
        targets.append((item, real))
    remove_stale_temps([real.parent for _, real in targets])
    guard = _SignalGuard()
    staged: list[_Staged] = []
    created: list[Path] = []
    current = ""
    with guard.installed():
        try:
            for item, real in targets:
                current = item.path
                staged.append(_stage(item, real, created))
            guard.deferring = True
            for entry in staged:
                current = entry.path
                os.replace(entry.temp, entry.target)
                entry.renamed = True
            for entry in staged:
                if entry.backup is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.backup)
        except BaseException as exc:
            guard.deferring = True  # a second Ctrl-C must not stop the roll-back
            renamed = sum(entry.renamed for entry in staged)
            failed = _roll_back(staged, created)
            raise _failure(exc, current, renamed, failed) from exc
    held = guard.pending[0] if guard.pending else None
    return Committed([item.path for item, _ in targets], notes, held)


def _failure(exc: BaseException, path: str, renamed: int, failed: list[str]) -> TransactionFailed:
    if failed:
        return TransactionFailed(
            f"writing {path} failed ({_describe(exc)}) and {', '.join(failed)} could not be "
            "restored: check them with `git diff`"
        )
    restored = f"; the {renamed} file{'s' * (renamed != 1)} already written were restored" * (
        renamed > 0
    )
    if isinstance(exc, _Stopped):
        name = signal.Signals(exc.signal_number).name
        return TransactionFailed(
            f"stopped by {name} while writing{restored}; nothing was changed", exc.signal_number
        )
    if isinstance(exc, KeyboardInterrupt):
        return TransactionFailed(
            f"interrupted while writing{restored}; nothing was changed", signal.SIGINT
        )
    return TransactionFailed(
        f"cannot write {path}: {_describe(exc)}{restored}; nothing was changed"
    )
