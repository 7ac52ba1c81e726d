"""Running a project's own test suite, and reading which tests failed from its output.

``conclude --run-tests`` runs the suite with the environment pointed at the mock host; this
module finds the command, runs it and reports the outcome as data.

The runner is detected from what the project declares, first match wins:

1. Django: a ``manage.py`` at the root that calls ``execute_from_command_line`` runs
   ``python manage.py test --noinput``.
2. pytest, configured: ``[tool.pytest.ini_options]`` or ``[tool.pytest]`` in
   ``pyproject.toml``, a ``pytest.ini`` / ``.pytest.ini`` / ``pytest.toml``, ``[pytest]`` in
   ``tox.ini``, ``[tool:pytest]`` in ``setup.cfg``, a ``conftest.py`` at the root or in
   ``tests/``, or ``pytest`` (or a ``pytest-*`` plugin) among the declared dependencies
   (requirements files, ``pyproject.toml``, ``Pipfile``, ``setup.cfg``).
3. pytest, available: test files (``test_*.py``, ``*_test.py``, ``tests.py`` or anything under
   ``tests/`` or ``test/``) and a ``python`` that can import pytest.
4. unittest: test files and nothing else: ``python -m unittest discover``.

No test files and none of the above: no runner (``None``).

Which tests failed is read from a structured report, not from the text, wherever one can
be had: pytest (detected, or a custom command that runs pytest) writes ``--junit-xml``;
unittest and Django's runner run with ``result_collector``, which records ``TestCase``
ids as JSON, except where the project sets its own ``TEST_RUNNER`` (replacing it could
change how its suite runs). Other custom commands, and any run whose report is missing
or unreadable (the runner crashed first, a plugin swallowed the option), are read from
the text as before.
"""

from __future__ import annotations

import configparser
import dataclasses
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from posthog_setup.project.discovery import project_files
from posthog_setup.project.files import UnreadableFile, read_text_file
from posthog_setup.project.manifests import requirement_names

#: Options added to a detected pytest run: quiet, a short summary of failures and errors
#: (what the failed tests are read from), and no ``.pytest_cache`` left in the project.
PYTEST_OPTIONS = ("-q", "-rfE", "-p", "no:cacheprovider")

#: Lines of output kept for the report.
TAIL_LINES = 40

#: How long to wait for the output to end once the command has exited (or been killed).
_DRAIN_SECONDS = 5.0

_TEST_FOLDERS = ("tests", "test")
_TEST_FILE_PATTERNS = ("test_*.py", "*_test.py", "tests.py")
_REQUIREMENTS_GLOB = (
    "requirements*.txt",
    "requirements/*.txt",
    "requirements*.in",
    "requirements/*.in",
)

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: pytest's short summary: ``FAILED tests/test_x.py::test_y[param] - AssertionError: ...``.
#: An id starts with a path (not ``(``, as unittest's ``FAILED (failures=1)`` does) and may
#: hold spaces inside its parameter brackets; the message after `` - `` is dropped.
_PYTEST_FAILURE = re.compile(r"^(?:FAILED|ERROR) (?P<id>[^\s(]\S*?(?:\[.*?\])?)(?: - .*)?$")
#: unittest (and Django's runner): ``FAIL: test_y (pkg.module.Case.test_y)``; before
#: Python 3.11 the parentheses hold the class only: ``(pkg.module.Case)``.
_UNITTEST_FAILURE = re.compile(r"^(?:FAIL|ERROR): (?P<name>\S+) \((?P<where>[\w.]+)\)")
_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$", re.MULTILINE)


@dataclass(frozen=True)
class TestRun:
    """The outcome of one run of a project's test suite."""

    __test__ = False  # not a pytest test class, whatever its name

    command: tuple[str, ...]
    runner: str  # "pytest" | "unittest" | "django" | "custom"
    returncode: int
    failed: tuple[str, ...]  # tests that failed or errored, in output order, once each
    output_tail: str  # the last lines of stdout and stderr together
    timed_out: bool = False
    #: Where ``failed`` was read from: "junit-xml", "collector" or "text".
    failures_from: str = "text"
    #: How many tests passed, where the report or the runner's summary line says.
    passed_count: int | None = None
    #: Every test that ran, where a report lists them (None: read from the text).
    tests: tuple[str, ...] | None = None

    @property
    def passed(self) -> bool:
        """The command exited with 0 within its time."""
        return self.returncode == 0 and not self.timed_out


class TestRunError(Exception):
    """The suite could not be run at all: no runner found, or the command cannot start."""

    __test__ = False


# -- detection ------------------------------------------------------------------------------


def detect_test_command(root: Path, python: str) -> tuple[tuple[str, ...], str] | None:
    """The command that runs the project's tests and its runner name, or None when it has none.

    ``python`` is the project's interpreter; the order is the module docstring's.
    """
    if _is_django_project(root):
        return (python, "manage.py", "test", "--noinput"), "django"
    pytest_command = (python, "-m", "pytest", *PYTEST_OPTIONS)
    if _pytest_configured(root):
        return pytest_command, "pytest"
    tests = _test_files(root)
    if not tests:
        return None
    if _can_import(python, root, "pytest"):
        return pytest_command, "pytest"
    return (python, "-m", "unittest", "discover", *_unittest_start(root, tests)), "unittest"


def _read(path: Path) -> str | None:
    try:
        return read_text_file(path) if path.is_file() else None
    except UnreadableFile:
        return None


def _is_django_project(root: Path) -> bool:
    text = _read(root / "manage.py")
    return text is not None and "execute_from_command_line" in text


def _load_toml(path: Path) -> dict[str, Any]:
    text = _read(path)
    if text is None:
        return {}
    try:
        return tomlkit.parse(text).unwrap()
    except tomlkit.exceptions.ParseError:
        return {}


def _has_section(path: Path, section: str) -> bool:
    text = _read(path)
    return text is not None and any(
        match.group("name").strip() == section for match in _SECTION.finditer(text)
    )


def _pytest_configured(root: Path) -> bool:
    if any((root / name).is_file() for name in ("pytest.ini", ".pytest.ini", "pytest.toml")):
        return True
    pytest_table = _load_toml(root / "pyproject.toml").get("tool", {}).get("pytest")
    if isinstance(pytest_table, dict):
        return True
    if _has_section(root / "tox.ini", "pytest") or _has_section(root / "setup.cfg", "tool:pytest"):
        return True
    conftests = [root / "conftest.py", *(root / folder / "conftest.py" for folder in _TEST_FOLDERS)]
    if any(path.is_file() for path in conftests):
        return True
    return any(_is_pytest(name) for name in declared_dependencies(root))


def _is_pytest(name: str) -> bool:
    canonical = canonicalize_name(name)
    return canonical == "pytest" or canonical.startswith("pytest-")


def declared_dependencies(root: Path) -> set[str]:
    """Names of every package the project's manifests declare, runtime and development alike."""
    names: set[str] = set()
    for pattern in _REQUIREMENTS_GLOB:
        for path in root.glob(pattern):
            text = _read(path)
            if text is not None:
                names.update(req.name for _, req in requirement_names(text.splitlines()))
    names.update(_pyproject_dependencies(_load_toml(root / "pyproject.toml")))
    pipfile = _load_toml(root / "Pipfile")
    for table in ("packages", "dev-packages"):
        names.update(_table_keys(pipfile.get(table)))
    names.update(_setup_cfg_dependencies(root / "setup.cfg"))
    return names


def _table_keys(table: object) -> Iterator[str]:
    if isinstance(table, dict):
        yield from (str(key) for key in table)


def _requirement_list(items: object) -> Iterator[str]:
    if not isinstance(items, list):
        return
    for item in items:
        if isinstance(item, str):
            try:
                yield Requirement(item).name
            except InvalidRequirement:
                continue


def _pyproject_dependencies(data: dict[str, Any]) -> Iterator[str]:
    project = data.get("project", {})
    yield from _requirement_list(project.get("dependencies"))
    for extra in (project.get("optional-dependencies") or {}).values():
        yield from _requirement_list(extra)
    for group in (data.get("dependency-groups") or {}).values():
        yield from _requirement_list(group)
    tool = data.get("tool", {})
    yield from _requirement_list(tool.get("uv", {}).get("dev-dependencies"))
    for group in (tool.get("pdm", {}).get("dev-dependencies") or {}).values():
        yield from _requirement_list(group)
    poetry = tool.get("poetry", {})
    yield from _table_keys(poetry.get("dependencies"))
    yield from _table_keys(poetry.get("dev-dependencies"))
    for group in (poetry.get("group") or {}).values():
        if isinstance(group, dict):
            yield from _table_keys(group.get("dependencies"))


def _setup_cfg_dependencies(path: Path) -> Iterator[str]:
    text = _read(path)
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    lists = [
        parser.get("options", "install_requires", fallback=""),
        parser.get("options", "tests_require", fallback=""),
    ]
    if parser.has_section("options.extras_require"):
        lists.extend(value for _, value in parser.items("options.extras_require"))
    for value in lists:
        yield from _requirement_list([line.strip() for line in value.splitlines() if line.strip()])


def is_test_module(relative: str) -> bool:
    """Is ``relative`` (a POSIX path in the project) where a test runner looks for tests:
    anything in a top-level ``tests/`` folder, or a file named like a test module? Narrower
    than the project's own test files (``discovery.is_test_file``): tests in a nested
    ``app/tests/`` folder are found through their names."""
    parts = relative.split("/")
    if parts[0] in _TEST_FOLDERS and len(parts) > 1:
        return True
    return any(fnmatch.fnmatchcase(parts[-1], pattern) for pattern in _TEST_FILE_PATTERNS)


def _test_files(root: Path) -> list[str]:
    return [f for f in project_files(root) if is_test_module(f)]


def _unittest_start(root: Path, tests: Iterable[str]) -> tuple[str, ...]:
    """``-s tests`` when every test lives in a ``tests/`` folder discovery could not enter.

    unittest only descends into packages; a plain folder has to be the start directory.
    """
    folders = {relative.split("/")[0] for relative in tests}
    if len(folders) == 1:
        (folder,) = folders
        if folder in _TEST_FOLDERS and not (root / folder / "__init__.py").is_file():
            return ("-s", folder)
    return ()


def _can_import(python: str, root: Path, module: str) -> bool:
    """Can ``python``, started in ``root``, import ``module``? (Found, not imported.)"""
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec(sys.argv[1]) is None)"
    try:
        result = subprocess.run(
            [python, "-c", probe, module],
            cwd=root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


# -- reading the output ----------------------------------------------------------------------


def _unittest_id(name: str, where: str) -> str:
    # 3.11+ prints ``(module.Class.test_name)``, older versions ``(module.Class)``.
    return where if where.endswith(f".{name}") else f"{where}.{name}"


def failure_id(line: str, runner: str) -> str | None:
    """The test a line of ``runner``'s output reports as failed or errored, if it does."""
    line = _ANSI_ESCAPE.sub("", line).rstrip()
    if runner in ("pytest", "custom"):
        match = _PYTEST_FAILURE.match(line)
        if match:
            return match.group("id")
    if runner in ("unittest", "django", "custom"):
        match = _UNITTEST_FAILURE.match(line)
        if match:
            return _unittest_id(match.group("name"), match.group("where"))
    return None


#: pytest's last line (``3 failed, 12 passed in 0.52s``) and unittest's ``Ran 15 tests``
#: and ``FAILED (failures=1, errors=2)``.
_PYTEST_PASSED = re.compile(r"\b(\d+) passed\b")
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in ")
_UNITTEST_FAILED = re.compile(r"\b(?:failures|errors|unexpected successes)=(\d+)")

#: Receives each line of a run's output as it comes (to show it on a terminal).
Echo = Callable[[str], None]


def passed_from_text(lines: Iterable[str], runner: str) -> int | None:
    """How many tests passed, from the summary lines pytest or unittest print last."""
    passed: int | None = None
    ran: int | None = None
    bad = 0
    for raw in lines:
        line = _ANSI_ESCAPE.sub("", raw).strip()
        if runner in ("pytest", "custom") and (match := _PYTEST_PASSED.search(line)):
            passed = int(match[1])
        if runner in ("unittest", "django", "custom"):
            if match := _UNITTEST_RAN.match(line):
                ran, bad = int(match[1]), 0
            elif ran is not None and line.startswith(("FAILED (", "OK")):
                bad = sum(int(n) for n in _UNITTEST_FAILED.findall(line))
                skipped = re.search(r"\bskipped=(\d+)", line)
                bad += int(skipped[1]) if skipped else 0
                passed = max(ran - bad, 0)
    return passed


class _OutputReader:
    """Reads the combined output to its end: failures as they appear, and the last lines."""

    def __init__(self, runner: str, echo: Echo | None = None) -> None:
        self.runner = runner
        self.echo = echo
        self.failed: dict[str, None] = {}
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)

    def consume(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if self.echo is not None:
                self.echo(line)
            self.tail.append(line)
            found = failure_id(line, self.runner)
            if found is not None:
                self.failed.setdefault(found)


# -- running ----------------------------------------------------------------------------------


def _command_of(root: Path, python: str, command: str | None) -> tuple[tuple[str, ...], str]:
    if command is None:
        detected = detect_test_command(root, python)
        if detected is None:
            raise TestRunError(
                f"no test suite found in {root}: no Django manage.py, no pytest configuration"
                " and no test files; pass the command that runs the tests"
            )
        return detected
    try:
        parts = tuple(shlex.split(command, posix=os.name != "nt"))
    except ValueError as exc:
        raise TestRunError(f"cannot read the test command {command!r}: {exc}") from exc
    if not parts:
        raise TestRunError("the test command is empty")
    return parts, "custom"


# -- structured reports --------------------------------------------------------------------

_COLLECTOR_MODULE = "_posthog_setup_result_collector"
#: pytest's exit status for a command line it cannot use.
_PYTEST_USAGE_ERROR = 4
_TEST_RUNNER_SETTING = re.compile(r"^\s*TEST_RUNNER\s*=", re.MULTILINE)


@dataclass(frozen=True)
class ReportedTests:
    """What a structured report says: the tests that failed or errored, and all that ran."""

    failed: tuple[str, ...]
    tests: tuple[str, ...] | None = None
    passed: int | None = None


#: Reads the report a run left; None when it left none readable.
ReportReader = Callable[[], "ReportedTests | None"]


@dataclass(frozen=True)
class _Reporting:
    """How one run reports: the argv and environment to run it with, and how to read it."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    read: ReportReader | None = None
    source: str = "text"


def _runs_pytest(argv: tuple[str, ...]) -> bool:
    program = Path(argv[0]).name
    return program in ("pytest", "py.test") or argv[1:3] == ("-m", "pytest")


def _sets_test_runner(root: Path) -> bool:
    """A ``TEST_RUNNER = ...`` in the project's Python files (its settings)."""
    return any(
        (text := _read(root / name)) is not None and _TEST_RUNNER_SETTING.search(text)
        for name in project_files(root)
    )


def _structured_reporting(
    argv: tuple[str, ...], runner: str, root: Path, scratch: Path
) -> _Reporting:
    if runner in ("pytest", "custom") and _runs_pytest(argv):
        report = scratch / "junit.xml"
        # xunit1 adds each test's file, which turns classname and name back into node ids.
        extra = (f"--junit-xml={report}", "-o", "junit_family=xunit1")
        return _Reporting((*argv, *extra), {}, lambda: junit_tests(report), "junit-xml")
    collectable = runner == "unittest" or (runner == "django" and not _sets_test_runner(root))
    if not collectable:
        return _Reporting(argv, {})
    shutil.copyfile(
        Path(__file__).with_name("result_collector.py"), scratch / f"{_COLLECTOR_MODULE}.py"
    )
    results = scratch / "results.json"
    path = os.pathsep.join(p for p in (str(scratch), os.environ.get("PYTHONPATH", "")) if p)
    env = {"PYTHONPATH": path, "POSTHOG_SETUP_RESULTS": str(results)}
    if runner == "unittest":
        # `python -m unittest discover ...` becomes `python -m <collector> discover ...`.
        run = (argv[0], "-m", _COLLECTOR_MODULE, *argv[3:])
    else:
        run = (*argv, "--testrunner", f"{_COLLECTOR_MODULE}.DjangoRunner")
    return _Reporting(run, env, lambda: collected_tests(results), "collector")


def _pytest_node_id(case: ElementTree.Element) -> str:
    """``tests/test_x.py::Class::test_y[p]`` from an xunit1 ``<testcase>``."""
    name = case.get("name", "")
    classname = case.get("classname", "")
    file = case.get("file")
    if not file:
        # A collection error: the module alone, named like a dotted classname.
        return f"{classname}::{name}" if classname else name.replace(".", "/") + ".py"
    file = file.replace("\\", "/")
    module = file.removesuffix(".py").replace("/", ".")
    classes = classname[len(module) + 1 :].split(".") if classname.startswith(module + ".") else []
    return "::".join([file, *classes, name])


def junit_tests(report: Path) -> ReportedTests | None:
    """The tests of a pytest ``--junit-xml`` report, as node ids, once each; None when the
    report is missing or unreadable."""
    try:
        tree = ElementTree.parse(report)
    except (OSError, ElementTree.ParseError):
        return None
    failed: dict[str, None] = {}
    tests: dict[str, None] = {}
    passed = 0
    for case in tree.iter("testcase"):
        node = _pytest_node_id(case)
        tests.setdefault(node)
        if case.find("failure") is not None or case.find("error") is not None:
            failed.setdefault(node)
        elif case.find("skipped") is None:
            passed += 1
    return ReportedTests(tuple(failed), tuple(tests), passed)


def junit_failures(report: Path) -> tuple[str, ...] | None:
    """The failed or errored tests of a pytest ``--junit-xml`` report, as node ids, once each."""
    found = junit_tests(report)
    return None if found is None else found.failed


def _strings(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return tuple(value)


def collected_tests(results: Path) -> ReportedTests | None:
    """What ``result_collector`` wrote, or None if it wrote nothing readable."""
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        failed = _strings(data)
        return None if failed is None else ReportedTests(failed)
    failed, tests = _strings(data.get("failed")), _strings(data.get("tests"))
    passed = data.get("passed")
    if failed is None or tests is None or not isinstance(passed, int):
        return None
    return ReportedTests(failed, tests, passed)


def collected_failures(results: Path) -> tuple[str, ...] | None:
    """The failed ids ``result_collector`` wrote, or None if it wrote nothing readable."""
    found = collected_tests(results)
    return None if found is None else found.failed


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the command and whatever it started (its own session on POSIX)."""
    if os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            pass  # no such group left: at least the command itself
    process.kill()


def run_project_tests(
    root: Path,
    python: str,
    env: Mapping[str, str],
    command: str | None,
    *,
    timeout: float = 900.0,
    echo: Echo | None = None,
) -> TestRun:
    """Run the project's tests in ``root`` with ``env`` added to this process's environment.

    ``command`` is a shell-like string run as given (runner "custom"); None detects the
    runner. Failing tests are an outcome, not an error: TestRunError is raised only when no
    runner is found or the command cannot be started. ``echo`` gets each line of output
    as it comes; all of it is read for the result too.
    """
    argv, runner = _command_of(root, python, command)
    with tempfile.TemporaryDirectory(prefix="posthog-setup-tests-") as scratch:
        reporting = _structured_reporting(argv, runner, root, Path(scratch))
        run = _run(root, reporting.argv, runner, {**env, **reporting.env}, timeout, echo)
        structured = reporting.read() if reporting.read is not None else None
    if structured is None and reporting.argv != argv and run.returncode == _PYTEST_USAGE_ERROR:
        # pytest refused the added options (the junitxml plugin disabled, say): as given.
        run = _run(root, argv, runner, env, timeout, echo)
    if structured is None:
        return dataclasses.replace(run, command=argv)
    return dataclasses.replace(
        run,
        command=argv,
        failed=structured.failed,
        failures_from=reporting.source,
        passed_count=structured.passed if structured.passed is not None else run.passed_count,
        tests=structured.tests,
    )


def _run(
    root: Path,
    argv: tuple[str, ...],
    runner: str,
    env: Mapping[str, str],
    timeout: float,
    echo: Echo | None = None,
) -> TestRun:
    """Run ``argv``, reading the failures from its text as it goes."""
    run_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env}
    try:
        process = subprocess.Popen(
            argv,
            cwd=root,
            env=run_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own session, so a timeout can stop everything the suite started.
            start_new_session=os.name == "posix",
        )
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise TestRunError(f"cannot run {shlex.join(argv)} in {root}: {reason}") from exc
    reader = _OutputReader(runner, echo)
    assert process.stdout is not None
    thread = threading.Thread(target=reader.consume, args=(process.stdout,), daemon=True)
    thread.start()
    timed_out = False
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process)
        returncode = process.wait()
    thread.join(_DRAIN_SECONDS)
    if thread.is_alive():
        # Something the suite started still holds the output open after the command ended.
        _kill_group(process)
        thread.join(_DRAIN_SECONDS)
    if not thread.is_alive():
        process.stdout.close()
    return TestRun(
        command=argv,
        runner=runner,
        returncode=returncode,
        failed=tuple(reader.failed),
        output_tail="\n".join(reader.tail),
        timed_out=timed_out,
        passed_count=passed_from_text(reader.tail, runner),
    )
