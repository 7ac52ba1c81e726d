"""App import: the edited app, started the way its own entry point starts it, in the
project's interpreter, with the client pointed at the mock host.

Which entry point comes from the analysis (its app objects and factories) and from how
each framework's record says its app is started (``AppStart``):

- A project script, where the framework names one (``manage.py check``).
- A factory (``create_app``) is called once: with the plain values (literals) the project's
  own tests pass it, else those a module-level call in the project passes (``wsgi.py``),
  else with no arguments when it needs none, else the module that calls it at import
  time (``main.py``'s ``app = create_application(...)``) is imported. A coroutine
  factory is awaited, where the framework takes one.
- An app object made at module level: its module is imported.
- Apps that are only defined, never started by an import (a job's entry point, a request
  handler class): the module of each is imported, and nothing in it is called.

Nothing is served and no job runs: a module that calls its entry point when imported is
not imported, and binding a socket during the check stops it (a skip, naming the line).
A failure names the exception and the project line it was raised from. A missing
third-party module is a skip with the install command, never a failure. So is an app
that fails the same way before the edit (``HEAD``, in a temporary worktree): whatever
stops it, the edit did not.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from posthog_setup.analysis.model import AppObject
from posthog_setup.analysis.names import ModuleNames, module_name_for
from posthog_setup.frameworks import registry
from posthog_setup.frameworks.base import AppStart, ProjectScript
from posthog_setup.plan.plan import Plan
from posthog_setup.project.discovery import is_test_file, project_files
from posthog_setup.project.files import UnreadableFile, read_text_file
from posthog_setup.project.syntax import parse_python
from posthog_setup.verify.baseline import BaselineUnavailable, unedited_tree
from posthog_setup.verify.checks import FAIL, PASS, SKIP, TEST_TOKEN, Check
from posthog_setup.verify.inserted import uncommitted_lines
from posthog_setup.verify.interpreter import Interpreter
from posthog_setup.verify.live import (
    install_hint,
    module_of,
    project_module,
    subprocess_env,
)
from posthog_setup.verify.warm import WarmPython, spawn

#: Seconds the app may take to start (a factory may run migrations).
ENTRY_TIMEOUT = 120.0
_RESULT = "POSTHOG_SETUP_ENTRY_RESULT "
#: Module names a project's entry point is usually given (``wsgi.py``, ``main.py``).
_ENTRY_NAMES = ("wsgi", "asgi", "main", "app", "application", "server", "run")
#: Modules (and entry points) named in a line before "and N more".
_LISTED = 4
#: Lines of ``manage.py check`` errors quoted in a failure.
_QUOTED_ERRORS = 3

# Runs under the project's interpreter: standard library only, Python 3.8 syntax.
_SCRIPT = r"""
import ast, importlib, json, os, runpy, sys, traceback

kind, targets, factory, args, path_entries, arguments, awaits = json.loads(sys.argv[1])
root = os.path.realpath(os.getcwd())
for entry in reversed(path_entries):
    sys.path.insert(0, os.path.join(root, entry))
SKIPPED = (".venv", "venv", "env", ".tox", "node_modules")


class Serving(BaseException):
    # Not an Exception: the app's own `except Exception` must not swallow it.
    pass


import socket

bind = socket.socket.bind


def bind_ephemeral(self, address):
    # Port 0 is a probe (urllib3 binds one to see whether IPv6 works); a port is a server.
    if isinstance(address, tuple) and len(address) > 1 and address[1] != 0:
        raise Serving("it binds port %s" % (address[1],))
    return bind(self, address)


def refuse(*args, **kwargs):
    raise Serving("it listens on a socket")


# The check starts the app, never serves it: no port is bound, no socket listens.
socket.socket.bind = bind_ephemeral
socket.socket.listen = refuse


def report(**data):
    # Then leave at once: a thread or exit hook the app started must not hold the process.
    sys.stdout.write("\n" + "POSTHOG_SETUP_ENTRY_RESULT " + json.dumps(data) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def own(path):
    path = os.path.realpath(path)
    if not path.startswith(root + os.sep) or not os.path.isfile(path):
        return None
    relative = os.path.relpath(path, root)
    parts = relative.split(os.sep)
    if parts[0] in SKIPPED or "site-packages" in parts or "dist-packages" in parts:
        return None
    return "/".join(parts)


def where(error):
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        path = own(frame.filename)
        if path is not None:
            found = "%s:%s" % (path, frame.lineno)
    if isinstance(error, SyntaxError) and error.filename and own(error.filename):
        found = "%s:%s" % (own(error.filename), error.lineno)
    return found


def missing(error):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ImportError) and getattr(error, "name", None):
            return error.name
        error = error.__cause__ or error.__context__
    return None


def call_arguments():
    call = ast.parse("f(%s)" % args, mode="eval").body
    positional = [ast.literal_eval(node) for node in call.args]
    named = dict((k.arg, ast.literal_eval(k.value)) for k in call.keywords)
    return positional, named


step = "import"
try:
    if kind == "script":
        sys.argv = [targets[0]] + arguments
        runpy.run_path(targets[0], run_name="__main__")
    else:
        for target in targets:
            # Never the command line of this check: a module that reads it sees none.
            sys.argv = [target]
            module = importlib.import_module(target)
        if factory:
            step = "call"
            positional, named = call_arguments()
            made = getattr(module, factory)(*positional, **named)
            if awaits and hasattr(made, "__await__"):
                import asyncio

                async def wait():
                    return await made

                asyncio.run(wait())
except SystemExit as exit:
    if exit.code not in (0, None):
        report(stage="exit", code=str(exit.code))
except Serving as error:
    report(stage="serve", error=str(error), where=where(error), step=step)
except BaseException as error:
    line = traceback.format_exception_only(type(error), error)[-1].strip()
    report(stage="error", error=line, where=where(error), missing=missing(error), step=step)
report(stage="ok")
"""


@dataclass(frozen=True)
class EntryPoint:
    """How the app is started: ``kind`` "script" (a project script run with
    ``arguments``: ``manage.py check``), "call" (a factory called with ``args``, plain
    values as source) or "import" (a module imported, then ``more``)."""

    kind: str
    #: the dotted module, or the script's path relative to ``folder``
    target: str
    #: the folder (relative to the project root) the app is started in
    folder: str = "."
    #: ``sys.path`` entries relative to ``folder``
    path: tuple[str, ...] = (".",)
    factory: str | None = None
    args: str = ""
    #: why these arguments (``as tests/conftest.py:12 calls it``)
    because: str = ""
    #: the script's command-line arguments
    arguments: tuple[str, ...] = ()
    #: further modules imported after ``target`` (each job's)
    more: tuple[str, ...] = ()
    #: the factory is a coroutine function: what it returns is awaited
    awaits: bool = False

    @property
    def description(self) -> str:
        """What was run, as people read it: ``called blog.create_app()``, ``ran manage.py
        check``, ``imported tasks.main``."""
        if self.kind == "script":
            script = str(PurePosixPath(self.folder) / self.target)
            return " ".join(["ran", script, *self.arguments])
        if self.kind == "call":
            verb = "called and awaited" if self.awaits else "called"
            return f"{verb} {self.target}.{self.factory}({self.args})"
        return "imported " + _listed([self.target, *self.more])

    @property
    def subject(self) -> str:
        """What was run, as a failure names it: ``blog.create_app()``, ``manage.py check``,
        ``import tasks.main``."""
        if self.kind == "script":
            return " ".join([str(PurePosixPath(self.folder) / self.target), *self.arguments])
        if self.kind == "call":
            verb = "await " if self.awaits else ""
            return f"{verb}{self.target}.{self.factory}({self.args})"
        return "import " + _listed([self.target, *self.more])


@dataclass(frozen=True)
class EntryResult:
    """The app import check, and the entry point it used (None when none was found)."""

    check: Check
    entry: EntryPoint | None = None


# -- finding the entry point ---------------------------------------------------------------


def _read_tree(root: Path, relative: str) -> ast.Module | None:
    try:
        return parse_python(read_text_file(root / relative), relative)
    except (UnreadableFile, SyntaxError, ValueError, RecursionError):
        return None


def _same_module(found: str, wanted: str) -> bool:
    """``app.core.setup`` and ``src.app.core.setup`` name one module from two import roots."""
    return found == wanted or found.endswith("." + wanted) or wanted.endswith("." + found)


def _absolute(module: str | None, level: int, importer: str) -> str:
    if level == 0:
        return module or ""
    package = importer.split(".")[:-level] if level <= importer.count(".") else []
    return ".".join([*package, *([module] if module else [])])


def _factory_names(tree: ast.Module, importer: str, module: str, factory: str) -> set[str]:
    """Names under which ``tree`` can call ``module.factory``: its imports of it, or of
    its module (``blog.create_app`` after ``import blog``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(node.module, node.level, importer)
            for alias in node.names:
                if alias.name == factory and _same_module(source, module):
                    names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _same_module(alias.name, module):
                    names.add(f"{alias.asname or alias.name}.{factory}")
    return names


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _plain(node: ast.expr) -> str | None:
    """The source of a value that is the same wherever it is read: a literal, or the
    literal fallback of ``os.getenv("X") or "default"``."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        node = node.values[-1]
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return ast.unparse(node)


def _plain_arguments(call: ast.Call) -> str | None:
    parts: list[str] = []
    for argument in call.args:
        value = None if isinstance(argument, ast.Starred) else _plain(argument)
        if value is None:
            return None
        parts.append(value)
    for keyword in call.keywords:
        value = _plain(keyword.value) if keyword.arg is not None else None
        if value is None:
            return None
        parts.append(f"{keyword.arg}={value}")
    return ", ".join(parts)


@dataclass(frozen=True)
class _FactoryCall:
    file: str
    line: int
    args: str | None  # None: not plain values
    module_level: bool


def _factory_calls(root: Path, module: str, factory: str) -> Iterator[_FactoryCall]:
    """Every call of ``module.factory`` in the project, resolved through imports."""
    for relative in project_files(root):
        try:
            if factory not in read_text_file(root / relative):
                continue
        except UnreadableFile:
            continue
        tree = _read_tree(root, relative)
        if tree is None:
            continue
        importer, _ = module_of(root, relative)
        names = _factory_names(tree, importer, module, factory)
        if _same_module(importer, module):
            names.add(factory)
        if not names:
            continue
        top_level = {
            id(stmt.value)
            for stmt in tree.body
            if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.Expr)
            and isinstance(stmt.value, ast.Call)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _dotted(node.func) in names:
                yield _FactoryCall(
                    relative, node.lineno, _plain_arguments(node), id(node) in top_level
                )


def _factory_def(
    root: Path, app: AppObject, factory: str
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    tree = _read_tree(root, app.file)
    for stmt in tree.body if tree is not None else ():
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == factory:
            return stmt
    return None


def _needs_no_arguments(definition: ast.FunctionDef | ast.AsyncFunctionDef | None) -> bool:
    if definition is None:
        return False
    args = definition.args
    positional = len(args.posonlyargs) + len(args.args)
    return positional == len(args.defaults) and all(
        default is not None for default in args.kw_defaults
    )


def _entry_rank(call: _FactoryCall) -> tuple[bool, int, str]:
    stem = PurePosixPath(call.file).stem
    return (stem not in _ENTRY_NAMES, call.file.count("/"), call.file)


def _factory_entry(
    root: Path, app: AppObject, factory: str, start: AppStart, title: str
) -> EntryPoint | str:
    module, path = module_of(root, app.file)
    definition = _factory_def(root, app, factory)
    awaits = isinstance(definition, ast.AsyncFunctionDef)
    if awaits and not start.awaits:
        return (
            f"{module}.{factory}() is a coroutine function, and {title} takes no app from "
            "one: the check cannot start it"
        )
    calls = sorted(_factory_calls(root, module, factory), key=lambda c: (c.file, c.line))

    def call(args: str, because: str) -> EntryPoint:
        return EntryPoint("call", module, ".", path, factory, args, because, awaits=awaits)

    # Entry modules (wsgi.py, main.py) before other scripts that happen to build the app.
    plain = sorted((c for c in calls if c.args is not None), key=_entry_rank)
    for from_tests in (True, False):
        for found in plain:
            if is_test_file(found.file) == from_tests and (from_tests or found.module_level):
                return call(found.args or "", f"as {found.file}:{found.line} calls it")
    if _needs_no_arguments(definition):
        return call("", "it needs no arguments")
    importers = sorted(
        (c for c in calls if c.module_level and not is_test_file(c.file)), key=_entry_rank
    )
    if importers:
        importer, entries = module_of(root, importers[0].file)
        serving = _serves_when_imported(root, importers[0].file, start.serves)
        if serving is not None:
            return _serves_message(importer, serving)
        return EntryPoint(
            "import", importer, ".", entries, because=f"it calls {factory}() when imported"
        )
    return (
        f"{module}.{factory}() needs arguments, and the project passes it none that are plain "
        "values: `posthog-setup conclude --run-tests` starts it the way your tests do"
    )


def _project_script(root: Path, script: ProjectScript) -> str | None:
    candidates = [f for f in project_files(root) if PurePosixPath(f).name == script.name]
    for relative in sorted(candidates, key=lambda f: (f.count("/"), f)):
        try:
            if script.marker in read_text_file(root / relative):
                return relative
        except UnreadableFile:
            continue
    return None


def _start_of(app: AppObject) -> tuple[AppStart, str] | None:
    """How ``app`` is started, and its framework's title; None when it is not an
    application (a blueprint, a router)."""
    framework = registry.by_app_kind(app.kind)
    return None if framework is None else (framework.app_start, framework.title)


def _start_order(start: AppStart) -> int:
    """A project script first, then apps that start, then what is only imported (jobs
    beside a web app are the web app's workers)."""
    return 0 if start.script is not None else 1 if start.calls else 2


def _startable(apps: Sequence[AppObject], plan: Plan) -> list[tuple[AppObject, AppStart, str]]:
    """The applications, the one the client module belongs to first: a project script's,
    then the one in the client module's top folder, shallowest first."""
    top = PurePosixPath(plan.setup.client_module).parts[0]
    found = []
    for app in apps:
        start = _start_of(app)
        if start is not None and not is_test_file(app.file):
            found.append((app, *start))
    return sorted(
        found,
        key=lambda f: (
            _start_order(f[1]),
            PurePosixPath(f[0].file).parts[0] != top,
            f[0].file.count("/"),
            f[0].file,
            f[0].line,
        ),
    )


def _import_time_calls(tree: ast.Module) -> Iterator[ast.Call]:
    """The calls a module makes when imported: at its top level, outside definitions and
    ``if __name__ == ...``."""
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(stmt, ast.If) and "__name__" in {
            n.id for n in ast.walk(stmt.test) if isinstance(n, ast.Name)
        }:
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                yield node


def _runs_when_imported(tree: ast.Module, name: str) -> bool:
    """Does the module call ``name`` when imported?"""
    return any(_dotted(call.func) == name for call in _import_time_calls(tree))


def _serves_when_imported(root: Path, relative: str, serves: Sequence[str]) -> str | None:
    """Where the module calls one of ``serves`` when imported (``web.run_app at
    app.py:40``), resolved through its imports; None when it does not."""
    tree = _read_tree(root, relative) if serves else None
    if tree is None:
        return None
    module, is_package = module_name_for(relative)
    names = ModuleNames(tree, module, is_package)
    for call in _import_time_calls(tree):
        if names.resolve_call(call) in serves:
            return f"{_dotted(call.func) or 'it'} at {relative}:{call.lineno}"
    return None


def _listed(items: Sequence[str], limit: int = _LISTED) -> str:
    """``a, b, c``, or ``a, b, c, d, and 3 more``."""
    shown = ", ".join(items[:limit])
    return shown + (f", and {len(items) - limit} more" if len(items) > limit else "")


def _serves_message(module: str, serving: str) -> str:
    return (
        f"{module} serves the app when imported ({serving}), and the check never serves: "
        'call it only under `if __name__ == "__main__":` to have the app checked'
    )


def _import_only_entry(
    root: Path, apps: Sequence[AppObject], kind: str, noun: str
) -> EntryPoint | str:
    """Each module that defines an app of ``kind`` imported, none that runs it on import."""
    modules: dict[str, str] = {}  # dotted name: its file
    names: list[str] = []
    path: list[str] = []
    refused: list[str] = []
    for app in sorted((a for a in apps if a.kind == kind), key=lambda a: (a.file, a.line)):
        module, entries = module_of(root, app.file)
        if is_test_file(app.file) or modules.get(module, app.file) != app.file:
            # A test's, or another file that imports under the same name: not this one.
            continue
        name = app.name.rsplit(".", 1)[-1]
        tree = _read_tree(root, app.file)
        if tree is not None and _runs_when_imported(tree, name):
            refused.append(f"{module} calls {name}() when imported")
            continue
        modules[module] = app.file
        names.append(name)
        path += [entry for entry in entries if entry not in path]
    if not modules:
        if not refused:
            return f"the analysis found no {noun} outside the tests"
        return (
            f"{'; '.join(refused)}, so importing it would run the {noun}: put the call under "
            '`if __name__ == "__main__":` to have it checked'
        )
    what = (
        f"it defines the {noun} {names[0]}"
        if len(names) == 1
        else f"they define the {noun}s {_listed(names)}"
    )
    because = f"{what}; nothing in them was run" if len(modules) > 1 else f"{what}, not run"
    if refused:
        because += "; not imported: " + _listed(refused)
    first, *more = modules
    return EntryPoint("import", first, ".", tuple(path), because=because, more=tuple(more))


def _distribution_roots(root: Path, folder: str) -> tuple[str, ...]:
    """The project's ``src`` folder, relative to ``folder``, for a script outside it: the
    project's own distribution there is importable once installed, as a developer has it."""
    source = root / "src"
    if folder.split("/")[0] == "src" or not source.is_dir() or (source / "__init__.py").is_file():
        return ()
    return (os.path.relpath(source, root / folder),)


def find_entry_point(root: Path, plan: Plan, apps: Sequence[AppObject]) -> EntryPoint | str:
    """How the app starts, or why it cannot be started here (for a skip)."""
    startable = _startable(apps, plan)
    if not startable:
        return "the analysis found no app object to start"
    unstarted: str | None = None
    for _, start, title in startable:
        if start.script is None:
            break
        script = _project_script(root, start.script)
        if script is not None:
            parent = PurePosixPath(script).parent.as_posix()
            target = PurePosixPath(script).name
            entries = (".", *_distribution_roots(root, parent))
            return EntryPoint("script", target, parent, entries, arguments=start.script.arguments)
        unstarted = unstarted or (
            f"no {start.script.name} calls {start.script.marker}, so {title} cannot be started"
        )
    rest = [found for found in startable if found[1].script is None]
    if not rest:
        return unstarted or "the analysis found no app object to start"
    app, start, title = rest[0]
    if not start.calls:
        return _import_only_entry(root, apps, app.kind, start.noun)
    serving = _serves_when_imported(root, app.file, start.serves)
    if serving is not None:
        return _serves_message(module_of(root, app.file)[0], serving)
    if app.factory is not None:
        return _factory_entry(root, app, app.factory, start, title)
    module, path = module_of(root, app.file)
    return EntryPoint(
        "import", module, ".", path, because=f"it creates {app.name.rsplit('.', 1)[-1]}"
    )


# -- starting it ---------------------------------------------------------------------------


_TITLE = "App import"


@dataclass(frozen=True)
class _Started:
    """What the subprocess said (``data``), or why it said nothing (``problem``)."""

    data: Mapping[str, Any]
    problem: str | None = None
    stderr: str = ""


class _Starting:
    """The app starting in its own process; ``finish()`` waits for what it said."""

    def __init__(
        self,
        root: Path,
        entry: EntryPoint,
        python: str,
        env: Mapping[str, str],
        timeout: float,
        warm: WarmPython | None = None,
    ) -> None:
        arguments = json.dumps(
            [
                entry.kind,
                [entry.target, *entry.more],
                entry.factory,
                entry.args,
                entry.path,
                entry.arguments,
                entry.awaits,
            ]
        )
        self.python = python
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.process: subprocess.Popen[str] | None = None
        self.failed: _Started | None = None
        try:
            self.process = spawn(
                python, _SCRIPT, arguments, cwd=root / entry.folder, env=env, warm=warm
            )
        except OSError as exc:
            self.failed = _Started({}, f"cannot run {python}: {exc.strerror or exc}")

    def finish(self) -> _Started:
        """What the app's process said, once it has ended (killed at the deadline)."""
        if self.process is None:
            assert self.failed is not None
            return self.failed
        with self.process as process:
            try:
                stdout, stderr = process.communicate(
                    timeout=max(0.0, self.deadline - time.monotonic())
                )
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                return _Started({}, f"it did not finish within {self.timeout:g} s")
        return _said(stdout, stderr, process.returncode, self.python)

    def stop(self) -> None:
        """Kill the process, if it runs, and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def _said(stdout: str, stderr: str, returncode: int, python: str) -> _Started:
    for line in reversed(stdout.splitlines()):
        if line.startswith(_RESULT):
            try:
                data = json.loads(line[len(_RESULT) :])
            except ValueError:
                break
            if isinstance(data, dict):
                return _Started(data, None, stderr)
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else "no output"
    return _Started({}, f"{python} exited with status {returncode}: {last}")


def _start(
    root: Path, entry: EntryPoint, python: str, env: Mapping[str, str], timeout: float
) -> _Started:
    return _Starting(root, entry, python, env, timeout).finish()


def _check_errors(stderr: str) -> str:
    """The first errors ``manage.py check`` printed."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if ": (" in line and ".E" in line]
    quoted = errors[:_QUOTED_ERRORS] or lines[-1:] or ["no output"]
    more = len(errors) - _QUOTED_ERRORS
    return "; ".join(quoted) + (f"; and {more} more" if more > 0 else "")


def _problem(started: _Started, entry: EntryPoint) -> str | None:
    """What went wrong, in one line, or None when the app started."""
    if started.problem is not None:
        return started.problem
    stage = started.data.get("stage")
    if stage == "ok":
        return None
    if stage == "exit":
        return f"it exited with status {started.data.get('code')}: {_check_errors(started.stderr)}"
    where = started.data.get("where")
    at = f" at {where}" if where else ""
    return f"{started.data.get('error')}{at}"


def _inserted_at(root: Path, where: object) -> bool:
    if not isinstance(where, str) or ":" not in where:
        return False
    file, _, line = where.rpartition(":")
    return line.isdigit() and int(line) in uncommitted_lines(root).get(file, set())


def entry_check(
    root: Path,
    plan: Plan,
    interpreter: Interpreter,
    host_url: str,
    entry: EntryPoint | str,
    *,
    token: str = TEST_TOKEN,
    timeout: float = ENTRY_TIMEOUT,
    compare: bool = True,
) -> EntryResult:
    """Start the app through ``entry`` (a string: why it cannot be) in ``interpreter``.

    ``compare``: when it fails, start ``HEAD``'s app too; failing there as well, it is
    not the edit's doing and the check is skipped.
    """
    return start_entry_check(
        root, plan, interpreter, host_url, entry, token=token, timeout=timeout, compare=compare
    ).result()


def start_entry_check(
    root: Path,
    plan: Plan,
    interpreter: Interpreter,
    host_url: str,
    entry: EntryPoint | str,
    *,
    token: str = TEST_TOKEN,
    timeout: float = ENTRY_TIMEOUT,
    compare: bool = True,
    warm: WarmPython | None = None,
) -> PendingEntryCheck:
    """``entry_check``, begun: the app starts in its own process now (``warm``'s, where
    it fits), other work can run meanwhile, and ``result()`` waits for it and judges what
    it said."""
    if isinstance(entry, str):
        return PendingEntryCheck(EntryResult(Check("app", _TITLE, SKIP, entry)))
    env = subprocess_env(plan, host_url, token)
    starting = _Starting(root, entry, interpreter.python, env, timeout, warm)
    return PendingEntryCheck(
        lambda: _judged(root, plan, interpreter, entry, env, timeout, compare, starting.finish()),
        starting,
    )


class PendingEntryCheck:
    """An app check under way (or a verdict known without starting anything)."""

    def __init__(
        self,
        verdict: EntryResult | Callable[[], EntryResult],
        starting: _Starting | None = None,
    ) -> None:
        self._verdict = verdict
        self._starting = starting

    def result(self) -> EntryResult:
        """The check's result, once the app's process has ended."""
        if callable(self._verdict):
            self._verdict = self._verdict()
        return self._verdict

    def cancel(self) -> None:
        """Stop the app's process if it is still running (nothing after ``result()``)."""
        if self._starting is not None and not isinstance(self._verdict, EntryResult):
            self._starting.stop()


def _judged(
    root: Path,
    plan: Plan,
    interpreter: Interpreter,
    entry: EntryPoint,
    env: Mapping[str, str],
    timeout: float,
    compare: bool,
    started: _Started,
) -> EntryResult:
    """The check's verdict on what the app's process said."""
    title = _TITLE
    python = interpreter.display(root)
    problem = _problem(started, entry)
    how = f"{entry.description}" + (f" ({entry.because})" if entry.because else "")
    if problem is None:
        message = f"{how} in {python} with the client pointed at the mock host"
        return EntryResult(Check("app", title, PASS, message), entry)
    where = started.data.get("where")
    subject = entry.subject
    if entry.kind == "call" and started.data.get("step") == "import":
        # Before the factory was called: its module failed to import.
        subject = f"import {entry.target}"
    if started.data.get("stage") == "serve":
        message = (
            f"{subject} would serve: {started.data.get('error')}"
            + (f" at {where}" if where else "")
            + "; the check never serves: start the server only under "
            '`if __name__ == "__main__":` to have the app checked'
        )
        return EntryResult(Check("app", title, SKIP, message), entry)
    missing = str(started.data.get("missing") or "")
    if (
        missing
        and not project_module(root / entry.folder, missing)
        and not project_module(root, missing)
    ):
        message = (
            f"{python} lacks the app's dependencies ({missing} is not installed): "
            f"{install_hint(plan, python)}"
        )
        return EntryResult(Check("app", title, SKIP, message), entry)
    if _inserted_at(root, where):
        failure = (
            f"app: {subject} failed: {problem}, a line posthog-setup inserted: the "
            "edit broke the app's start-up; run `git diff` on that line and report it"
        )
        return EntryResult(Check("app", title, FAIL, f"{subject} failed", (failure,)), entry)
    if compare and _fails_before_the_edit(root, entry, interpreter.python, env, timeout, started):
        message = (
            f"{subject} fails without the edit too ({problem}): fix that, then run "
            "`posthog-setup conclude`"
        )
        return EntryResult(Check("app", title, SKIP, message), entry)
    failure = f"app: {subject} failed with {python}: {problem}"
    return EntryResult(Check("app", title, FAIL, f"{subject} failed", (failure,)), entry)


def _failure_kind(started: _Started) -> str:
    """The exception's type (``KeyError``), ``exit`` or the reason nothing was reported."""
    if started.problem is not None:
        return started.problem
    error = str(started.data.get("error") or "")
    return error.split(":", 1)[0] if started.data.get("stage") == "error" else "exit"


def _fails_before_the_edit(
    root: Path,
    entry: EntryPoint,
    python: str,
    env: Mapping[str, str],
    timeout: float,
    after: _Started,
) -> bool:
    """Does ``HEAD``'s app fail to start the same way (the same exception type)? False
    where there is no ``HEAD`` to start."""
    try:
        with unedited_tree(root) as before:
            started = _start(before, entry, python, env, timeout)
    except BaselineUnavailable:
        return False
    return _problem(started, entry) is not None and _failure_kind(started) == _failure_kind(after)
