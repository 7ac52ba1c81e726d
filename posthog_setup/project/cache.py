"""A content-hash cache of per-file results, kept outside the user's project.

Re-running the tool on an unchanged project (revise in a pre-commit hook, edit
right after begin) should cost little more than reading the files. Each file's
result is stored under a digest of its bytes; a file whose bytes are unchanged
is not parsed again.

The cache lives in the user's cache directory (``$POSTHOG_SETUP_CACHE_DIR``, else
``$XDG_CACHE_HOME/posthog-setup``, else ``~/.cache/posthog-setup``), one folder
per project root, never inside the project: a cache is loaded with ``pickle``,
and a repository someone else wrote must not be able to plant one. Entries are
salted with a digest of the code that produced them, so a new version of the
tool never reads an old one's results. A cache that cannot be read or written is
ignored: it only ever saves time.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import posthog_setup

CACHE_DIR_VAR = "POSTHOG_SETUP_CACHE_DIR"
#: Bump to discard every existing cache when the stored layout changes.
_FORMAT = 1


def file_digest(data: bytes) -> str:
    """The key of a file's content."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def cache_home() -> Path:
    """The folder that holds every project's cache."""
    explicit = os.environ.get(CACHE_DIR_VAR)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "posthog-setup"


def _parser_versions() -> str:
    """What else decides a file's tree: the running Python's ``ast`` (its grammar and
    positions change even in patch releases) and libcst, which reads what ``ast`` cannot."""
    libcst = importlib.util.find_spec("libcst")
    installed = b""
    if libcst is not None and libcst.origin is not None:
        with contextlib.suppress(OSError):
            installed = Path(libcst.origin).with_name("_version.py").read_bytes()
    libcst_digest = hashlib.blake2b(installed, digest_size=8).hexdigest()
    return f"{sys.implementation.name}:{sys.version_info[:3]}:libcst={libcst_digest}"


@cache
def code_fingerprint() -> str:
    """A digest of this installation's own source and parsers: results of other code are
    never reused."""
    package = Path(posthog_setup.__file__).parent
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{_FORMAT}:{_parser_versions()}".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


#: How long after its last change a file's time and size are trusted to stand for its
#: bytes: a file written within the same clock tick as the run that read it (a coarse
#: file system's timestamps) could change again without either moving.
_SETTLED_NS = 2_000_000_000


def file_stamp(path: str, now_ns: int) -> tuple[int, int] | None:
    """``(mtime_ns, size)`` of the file at ``path``, the key its content is trusted under
    without reading it; None where that cannot be trusted: the file is unreadable, or it
    changed less than two seconds before ``now_ns`` (git's "racily clean" rule: such a
    file is hashed again next time)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if now_ns - stat.st_mtime_ns < _SETTLED_NS:
        return None
    return stat.st_mtime_ns, stat.st_size


class ResultCache:
    """Results by key, loaded from and saved to one file of a project's cache folder."""

    def __init__(self, path: Path | None, entries: dict[str, Any] | None = None) -> None:
        self.path = path
        self._entries: dict[str, Any] = entries or {}
        self._used: set[str] = set()
        self._dirty = False

    @classmethod
    def disabled(cls) -> ResultCache:
        """A cache that remembers nothing (``--no-cache``)."""
        return cls(None)

    @classmethod
    def open(cls, root: Path, name: str, salt: str = "") -> ResultCache:
        """The cache ``name`` of the project at ``root`` (empty if absent or unreadable)."""
        project = hashlib.blake2b(str(root.resolve()).encode(), digest_size=12).hexdigest()
        key = hashlib.blake2b(f"{code_fingerprint()}:{salt}".encode(), digest_size=8).hexdigest()
        path = cache_home() / project / f"{name}-{key}.pickle"
        try:
            with path.open("rb") as stream:
                entries = pickle.load(stream)
        except Exception:
            # Truncated by a killed run, a full disk, a bad sector: unpickling garbage
            # raises almost anything. A cache only saves time: start an empty one.
            entries = {}
        if not isinstance(entries, dict):
            entries = {}
        return cls(path, entries)

    def get(self, key: str) -> Any | None:
        found = self._entries.get(key)
        if found is not None:
            self._used.add(key)
        return found

    def put(self, key: str, value: Any) -> None:
        if self.path is None:
            return
        self._entries[key] = value
        self._used.add(key)
        self._dirty = True

    def save(self) -> None:
        """Write the cache, keeping only entries this run used (so it never grows stale)."""
        if self.path is None:
            return
        if not self._dirty and self._used == set(self._entries):
            return
        kept = {k: v for k, v in self._entries.items() if k in self._used}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _tag(self.path.parent.parent)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as stream:
                    pickle.dump(kept, stream, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            return
        self._entries = kept
        self._dirty = False

    def __len__(self) -> int:
        return len(self._entries)


def _tag(folder: Path) -> None:
    """Mark the cache folder for backup tools (https://bford.info/cachedir/)."""
    tag = folder / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(
            "Signature: 8a477f597d28d172789f06886806bc55\n"
            "# This file is a cache directory tag created by posthog-setup.\n",
            encoding="utf-8",
        )
