"""The project's interpreter, started early, importing what a check will need.

A full run (``posthog-setup PATH``) knows after begin which interpreter conclude's
checks run in and which modules they start from (the app's, the client module's).
Most of such a check is importing third-party packages (Flask and SQLAlchemy, the
PostHog SDK: half a second of a small app's run), and the edit changes none of them.
So the run starts the interpreter right after begin: it imports those packages on the
otherwise idle core while edit and revise run here, then waits. The check, when it
runs, hands it its script; the project's own modules are imported only then, as
edited.

What is imported early, and nothing else: the top-level packages named by the
module-level imports of the start modules and of the project modules they import in
turn (a project module is never imported early, and neither is any module whose code
lies inside the project, outside an environment kept there); nothing at all where gevent or eventlet, whose patching must
come first, is among them. A package that fails to import is left to the check, which
fails the same way. A check run with another interpreter or environment than the warm
process was started with, or after it has died, starts its own process, as before.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

# Runs under the project's interpreter: standard library only, Python 3.8 syntax.
_BOOT = r"""
import ast, importlib, importlib.util, json, os, sys

start, roots, extra = json.loads(sys.argv[1])
root = os.path.realpath(os.getcwd())
BLOCKING = {"gevent", "eventlet"}


def project_file(module):
    parts = module.split(".")
    for base in roots:
        folder = os.path.join(root, base, *parts)
        for candidate in (folder + ".py", os.path.join(folder, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


def imports(tree):
    for node in tree.body:
        if isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                for inner in block:
                    yield inner
        else:
            yield node


def names(path, package):
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except Exception:
        return
    for node in imports(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - node.level + 1] if node.level > 1 else parts
                base = ".".join(p for p in parts + [base] if p)
            yield base, node.level
            for alias in node.names:
                yield base + "." + alias.name, node.level


def third_party():
    found, seen = [], set()
    todo = [(os.path.join(root, file), module) for file, module in start]
    while todo:
        path, module = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        for name, level in names(path, package):
            parts = name.split(".")
            inside = False
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                file = project_file(prefix)
                if file is not None:
                    inside = True
                    todo.append((file, prefix))
            if not inside and not level and parts[0] and parts[0] != "__future__":
                found.append(parts[0])
    return found


def project_code(place):
    # Under the project, and not in an environment kept there (a .venv of its own).
    place = os.path.realpath(place)
    environment = os.path.realpath(sys.prefix) + os.sep
    return place.startswith(root + os.sep) and not place.startswith(environment)


def outside(name):
    try:
        spec = importlib.util.find_spec(name)
    except BaseException:
        return False
    if spec is None:
        return False
    places = [spec.origin] if spec.origin else []
    places += list(spec.submodule_search_locations or [])
    return not any(project_code(p) for p in places if p)


wanted = list(dict.fromkeys(extra + third_party()))
if not BLOCKING & set(wanted):
    stdlib = getattr(sys, "stdlib_module_names", ())
    for name in wanted:
        if name in sys.modules or name in stdlib or not outside(name):
            continue
        try:
            importlib.import_module(name)
        except KeyboardInterrupt:
            raise
        except BaseException:
            pass

line = sys.stdin.readline()
if not line.strip():
    sys.exit(0)
script, argument, folder = json.loads(line)
os.chdir(folder)
importlib.invalidate_caches()
sys.argv = ["-c", argument]
exec(compile(script, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
"""


class WarmPython:
    """A project interpreter that imports a check's third-party packages, then waits for
    the check's script (``spawn``)."""

    def __init__(
        self,
        python: str,
        root: Path,
        env: Mapping[str, str],
        start: Sequence[tuple[str, str]],
        *,
        roots: Sequence[str] = ("",),
        extra: Sequence[str] = (),
    ) -> None:
        """Start ``python`` in ``root`` with ``env``; ``start`` holds (file relative to
        ``root``, module name) of the modules the check begins from, ``roots`` the
        folders (relative) the project's modules are imported from, ``extra`` packages
        to import whatever the modules say."""
        self.python = python
        self.env = dict(env)
        self.process: subprocess.Popen[str] | None
        arguments = json.dumps([list(map(list, start)), list(roots), list(extra)])
        try:
            self.process = _python(python, _BOOT, arguments, root, self.env, subprocess.PIPE)
        except OSError:
            self.process = None

    def take(
        self, python: str, env: Mapping[str, str], script: str, argument: str, cwd: Path
    ) -> subprocess.Popen[str] | None:
        """The waiting process running ``script`` with ``argument`` in ``cwd``, if it was
        started with ``python`` and ``env`` and still waits; None otherwise. Once taken,
        the process is the caller's."""
        process, self.process = self.process, None
        if process is None:
            return None
        if python != self.python or dict(env) != self.env or process.poll() is not None:
            _end(process)
            return None
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps([script, argument, str(cwd.resolve())]) + "\n")
            process.stdin.flush()
        except OSError:
            _end(process)
            return None
        return process

    def stop(self) -> None:
        """End the process if nothing took it."""
        process, self.process = self.process, None
        if process is not None:
            _end(process)


def _end(process: subprocess.Popen[str]) -> None:
    """Stop a process no check took: it has only imported third-party packages, so it
    is killed at once rather than waited for (a run refused by edit ends promptly)."""
    if process.poll() is None:
        process.kill()
    process.communicate()


def spawn(
    python: str,
    script: str,
    argument: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    warm: WarmPython | None = None,
) -> subprocess.Popen[str]:
    """``python -c script argument`` in ``cwd`` with ``env``: the warm process where it
    fits, else a new one. Raises OSError if ``python`` cannot run."""
    if warm is not None:
        taken = warm.take(python, env, script, argument, cwd)
        if taken is not None:
            return taken
    return _python(python, script, argument, cwd, env, subprocess.DEVNULL)


def _python(
    python: str, script: str, argument: str, cwd: Path, env: Mapping[str, str], stdin: int
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [python, "-c", script, argument],
        cwd=cwd,
        env=dict(env),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )


class WarmStart:
    """The warm processes of one run's checks: the live check's and the app import's
    (either None where that check will not run)."""

    def __init__(self, live: WarmPython | None = None, app: WarmPython | None = None) -> None:
        self.live = live
        self.app = app

    def stop(self) -> None:
        """End whichever process no check took."""
        for warm in (self.live, self.app):
            if warm is not None:
                warm.stop()
