"""The project's interpreter, started early, importing what a check will need.

Most of a conclude check is importing third-party packages (Flask and SQLAlchemy, the
PostHog SDK: most of a small app's start), and the edit changes none of them. So a full
run (``posthog-setup PATH``) starts the checks' interpreters first thing, before its own
analysis: each imports the SDK at once, on the otherwise idle core. After begin, when the
plan says which modules each check starts from (the app's, the client module's), each is
told them and imports their packages too while edit and revise run here, then waits. The
check, when it runs, hands it its script; the project's own modules are imported only
then, as edited.

What is imported early, and nothing else: the SDK (the edited project imports it: its
client module does) and the top-level packages named by the module-level imports of the
start modules and of the project modules they import in turn. A project module is never
imported early, and neither is any module whose code lies inside the project, outside an
environment kept there. Where gevent or eventlet, whose patching must come first, is
among those packages, nothing more is imported; where any Python file of the project
names either, not even the SDK. A package that fails to import is left to the check,
which fails the same way. A check run with another interpreter or environment than the
warm process was prepared for, or after it has died, starts its own process, as before.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from subprocess import PIPE

from posthog_setup.project.discovery import PRUNED_DIRS
from posthog_setup.verify.environment import early_env

# Runs under the project's interpreter: standard library only, Python 3.8 syntax.
# argv[1]: [the packages to import at once, the folder names a project scan skips].
# stdin, line 1: [variables to set, variables to remove, start modules, roots, packages];
# line 2: [the check's script, its argument, its folder]. An empty line ends the process.
_BOOT = r"""
import ast, importlib, importlib.util, json, os, sys

ahead, pruned = json.loads(sys.argv[1])
root = os.path.realpath(os.getcwd())
BLOCKING = {"gevent", "eventlet"}


def project_file(module, roots):
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


def third_party(start, roots):
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
                file = project_file(prefix, roots)
                if file is not None:
                    inside = True
                    todo.append((file, prefix))
            if not inside and not level and parts[0] and parts[0] != "__future__":
                found.append(parts[0])
    return found


def mentions_blocking():
    # Any Python file of the project naming one, wherever it is imported from.
    for folder, folders, files in os.walk(root):
        folders[:] = [
            name
            for name in folders
            if name not in pruned
            and not name.endswith(".egg-info")
            and not os.path.isfile(os.path.join(folder, name, "pyvenv.cfg"))
        ]
        for name in files:
            if not name.endswith(".py"):
                continue
            try:
                with open(os.path.join(folder, name), "rb") as handle:
                    text = handle.read()
            except OSError:
                continue
            if any(word.encode() in text for word in BLOCKING):
                return True
    return False


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


def load(wanted):
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


def watched(wanted):
    # Load them, noting each variable of the environment read meanwhile.
    Environ = type(os.environ)
    plain = Environ.__getitem__
    read = set()

    def noting(self, key):
        read.add(key)
        return plain(self, key)

    Environ.__getitem__ = noting
    try:
        load(wanted)
    finally:
        Environ.__getitem__ = plain
    return read


read = watched(ahead) if ahead and not mentions_blocking() else set()

line = sys.stdin.readline()
if not line.strip():
    sys.exit(0)
changed, removed, start, roots, extra = json.loads(line)
# What was imported ahead read a variable that was still to be set or removed: the check
# gets an interpreter of its own, as if started for it.
fresh = bool(read & (set(changed) | set(removed)))
for name in removed:
    os.environ.pop(name, None)
os.environ.update(changed)
if not fresh:
    wanted = list(dict.fromkeys(extra + third_party(start, roots)))
    if not BLOCKING & set(wanted):
        load(wanted)

line = sys.stdin.readline()
if not line.strip():
    sys.exit(0)
script, argument, folder = json.loads(line)
os.chdir(folder)
if fresh:
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-c", script, argument], dict(os.environ))
importlib.invalidate_caches()
sys.argv = ["-c", argument]
exec(compile(script, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
"""

#: What every check's process imports first, before the plan is known: the SDK, which
#: the edited project imports whatever else it does (its client module).
SDK = ("posthog",)


class WarmPython:
    """A project interpreter that imports a check's third-party packages, then waits for
    the check's script (``spawn``).

    It may start before the plan exists, to be told the rest later (``prepare``). Until
    then it imports only ``ahead`` (the SDK), and only where no Python file of the project
    names gevent or eventlet, whose patching must come first. It starts with the check's
    environment less the variables ``prepare`` may still set (the client's token and host,
    which the plan names); those are set before anything else is imported.
    """

    def __init__(
        self,
        python: str,
        root: Path,
        env: Mapping[str, str],
        start: Sequence[tuple[str, str]] | None = None,
        *,
        roots: Sequence[str] = ("",),
        extra: Sequence[str] = (),
        ahead: Sequence[str] = (),
    ) -> None:
        """Start ``python`` in ``root`` with ``env``, importing ``ahead`` at once; with
        ``start``, ``prepare`` it at once."""
        self.python = python
        self.root = root
        self.ahead = tuple(ahead)
        self.env: dict[str, str] = {}
        self.process: subprocess.Popen[str] | None = None
        self.prepared = False
        self._start(env)
        if start is not None:
            self.prepare(env, start, roots=roots, extra=extra)

    def _start(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        arguments = json.dumps([list(self.ahead), sorted(PRUNED_DIRS)])
        try:
            self.process = _python(self.python, _BOOT, arguments, self.root, self.env, PIPE)
        except OSError:
            self.process = None

    def prepare(
        self,
        env: Mapping[str, str],
        start: Sequence[tuple[str, str]],
        *,
        roots: Sequence[str] = ("",),
        extra: Sequence[str] = (),
        late: Collection[str] = (),
    ) -> None:
        """Have the process import what a check run with ``env`` will: the packages named
        by the module-level imports of ``start`` ((file relative to the root, module name)
        of the modules the check begins from) and of the project modules they import in
        turn, found under ``roots`` (folders relative to the root), and ``extra``.

        ``env`` may differ from the environment the process started with in the variables
        ``late`` names only; for any other difference the process is replaced by one
        started with ``env``."""
        changed = {k: v for k, v in env.items() if self.env.get(k) != v}
        removed = [k for k in self.env if k not in env]
        if self.prepared or not set(changed).union(removed) <= set(late):
            self.stop()
            self._start(env)
            changed, removed = {}, []
        self.env = dict(env)
        self.prepared = self._send([changed, removed, [*map(list, start)], [*roots], [*extra]])

    def _send(self, line: object) -> bool:
        """Write ``line`` to the waiting process; False (and the process ended) if it
        cannot take it."""
        process = self.process
        if process is None:
            return False
        assert process.stdin is not None
        try:
            if process.poll() is None:
                process.stdin.write(json.dumps(line) + "\n")
                process.stdin.flush()
                return True
        except OSError:
            pass
        self.stop()
        return False

    def take(
        self, python: str, env: Mapping[str, str], script: str, argument: str, cwd: Path
    ) -> subprocess.Popen[str] | None:
        """The waiting process running ``script`` with ``argument`` in ``cwd``, if it was
        prepared for ``python`` and ``env`` and still waits; None otherwise. Once taken,
        the process is the caller's."""
        if not self.prepared or python != self.python or dict(env) != self.env:
            self.stop()
            return None
        process = self.process
        if not self._send([script, argument, str(cwd.resolve())]):
            return None
        self.process = None
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


def start_early(root: Path, python: str) -> WarmPython:
    """The app import's interpreter, ``python`` in ``root``, started before the project is
    analysed: it imports the SDK, then waits for ``prepare``. (The live check's is started
    after begin, when the plan says whether that check runs at all.)"""
    return WarmPython(python, root, early_env(), ahead=SDK)
