"""The project as it was before the edit: ``HEAD`` checked out in a temporary git worktree.

What fails on the edited tree is the edit's fault only if it did not fail before. To say
so, a check runs a second time on ``HEAD``, in a detached worktree under the system's
temporary folder. The user's working tree, index and stash are never touched; the
worktree is removed (and git's record of it pruned) however the check ends. Git's hooks
are off while it is made, so a ``post-checkout`` hook of the project does not run.

The files git ignores are the user's own set-up, which the edit does not change (a
``.env``, a ``local_settings.py``): HEAD's tree gets a copy of each, as small files, so
the app starts (or fails) as it would have before the edit. Folders git ignores whole (a
virtualenv, ``node_modules``, a cache) are left out.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Seconds git may take for each step (a checkout of a large repository included).
GIT_TIMEOUT = 300.0
_NO_HOOKS = ("-c", "core.hooksPath=/dev/null")


class BaselineUnavailable(Exception):
    """The unedited tree cannot be had; the message says why, for people."""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *_NO_HOOKS, *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as exc:
        raise BaselineUnavailable("git is not installed") from exc
    except (OSError, subprocess.SubprocessError) as exc:
        raise BaselineUnavailable(f"git did not answer: {exc}") from exc


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "no output")


@contextlib.contextmanager
def unedited_tree(root: Path) -> Iterator[Path]:
    """The project at ``root`` as ``HEAD`` has it: its folder inside a temporary worktree.

    Raises BaselineUnavailable (before yielding) when ``root`` is not in a git repository,
    the repository has no commit, or git cannot make the worktree.
    """
    inside = _git(root, "rev-parse", "--show-toplevel", "--show-prefix")
    if inside.returncode != 0:
        raise BaselineUnavailable("the project is not in a git repository")
    lines = inside.stdout.splitlines()
    top, prefix = Path(lines[0]), (lines[1] if len(lines) > 1 else "")
    if _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
        raise BaselineUnavailable("the repository has no commit yet")
    scratch = Path(tempfile.mkdtemp(prefix="posthog-setup-head-"))
    tree = scratch / "tree"
    try:
        added = _git(top, "worktree", "add", "--detach", "--quiet", str(tree), "HEAD")
        if added.returncode != 0:
            raise BaselineUnavailable(f"git could not check out HEAD: {_first_line(added.stderr)}")
        project = tree / prefix
        if not project.is_dir():
            raise BaselineUnavailable("HEAD does not have the project's folder yet")
        _copy_ignored(top, tree)
        yield project
    finally:
        if tree.exists():
            with contextlib.suppress(BaselineUnavailable):
                _git(top, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(scratch, ignore_errors=True)
        with contextlib.suppress(BaselineUnavailable):
            _git(top, "worktree", "prune")


#: The largest ignored file copied into HEAD's tree, and the most copied in all (bytes).
_LARGEST_COPIED = 1 << 20
_MOST_COPIED = 32 << 20


def _copy_ignored(top: Path, tree: Path) -> None:
    """Copy the files of the working tree at ``top`` that git ignores into ``tree``, except
    those in an ignored folder, and those too large to be configuration."""
    listed = _git(
        top, "ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z"
    )
    if listed.returncode != 0:
        return
    budget = _MOST_COPIED
    for name in listed.stdout.split("\0"):
        if not name or name.endswith("/"):
            continue
        source, target = top / name, tree / name
        try:
            size = source.stat().st_size
            if not source.is_file() or size > _LARGEST_COPIED or size > budget or target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        except OSError:
            continue
        budget -= size
