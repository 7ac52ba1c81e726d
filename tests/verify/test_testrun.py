"""Running a project's own test suite: detecting the runner, running it, reading failures."""

from __future__ import annotations

import os
import shlex
import sys
import textwrap
import time
import venv
from pathlib import Path

import pytest

from posthog_setup.verify.testrun import (
    PYTEST_OPTIONS,
    TAIL_LINES,
    TestRun,
    TestRunError,
    detect_test_command,
    failure_id,
    junit_failures,
    passed_from_text,
    run_project_tests,
)

#: An interpreter path detection should only repeat, never need to run.
PY = "/opt/project/bin/python"
PYTEST = (PY, "-m", "pytest", *PYTEST_OPTIONS)
DJANGO_MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_conf.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""


def make(root: Path, files: dict[str, str]) -> Path:
    """Write a small project: relative path -> text (dedented)."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def python_without_pytest(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real interpreter (a bare virtualenv) that cannot import pytest."""
    env_dir = tmp_path_factory.mktemp("bare") / "venv"
    venv.create(env_dir, with_pip=False, symlinks=os.name != "nt")
    scripts = env_dir / ("Scripts" if os.name == "nt" else "bin")
    return str(scripts / ("python.exe" if os.name == "nt" else "python"))


# -- detection --------------------------------------------------------------------------------


def test_a_django_project_runs_manage_py_test_even_with_pytest_configured(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "manage.py": DJANGO_MANAGE,
            "pyproject.toml": "[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = 'x'\n",
            "shop/tests.py": "",
        },
    )
    assert detect_test_command(tmp_path, PY) == ((PY, "manage.py", "test", "--noinput"), "django")


def test_a_manage_py_that_is_not_django_is_not_taken_for_django(tmp_path: Path) -> None:
    make(tmp_path, {"manage.py": "print('deploy tool')\n", "pytest.ini": "[pytest]\n"})
    assert detect_test_command(tmp_path, PY) == (PYTEST, "pytest")


@pytest.mark.parametrize(
    "files",
    [
        {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-x'\n"},
        {"pyproject.toml": "[tool.pytest]\nminversion = '9.0'\n"},
        {"pytest.ini": ""},
        {"tox.ini": "[tox]\nenvlist = py311\n\n[pytest]\ntestpaths = tests\n"},
        {"setup.cfg": "[metadata]\nname = app\n\n[tool:pytest]\ntestpaths = tests\n"},
        {"conftest.py": ""},
        {"tests/conftest.py": ""},
        {"requirements-dev.txt": "-r requirements.txt\npytest>=8  # tests\n"},
        {"requirements/test.txt": "pytest-django==4.8\n"},
        {"pyproject.toml": "[project]\nname = 'a'\n\n[dependency-groups]\ndev = ['pytest>=8']\n"},
        {
            "pyproject.toml": "[project]\nname = 'a'\n[project.optional-dependencies]\nt = ['PyTest']\n"
        },
        {"pyproject.toml": "[tool.poetry.group.dev.dependencies]\npytest = '^8.0'\n"},
        {"Pipfile": "[packages]\nflask = '*'\n\n[dev-packages]\npytest = '*'\n"},
        {"setup.cfg": "[options.extras_require]\ntest =\n    pytest\n    coverage\n"},
    ],
    ids=lambda files: ",".join(f"{k}:{v.splitlines()[0] if v else ''}" for k, v in files.items()),
)
def test_a_project_configured_for_pytest_runs_pytest(tmp_path: Path, files: dict[str, str]) -> None:
    # No test files and an interpreter that does not exist: the configuration alone decides.
    make(tmp_path, files)
    assert detect_test_command(tmp_path, PY) == (PYTEST, "pytest")


@pytest.mark.parametrize(
    "files",
    [
        {"pyproject.toml": "[tool.black]\nline-length = 100\n"},
        {"tox.ini": "[tox]\nenvlist = py311\n\n[testenv]\ncommands = pytest\n"},
        {"setup.cfg": "[metadata]\nname = pytest-free\n"},
        {"requirements.txt": "flask\n# pytest\npytestify-not-really\n"},
        {"src/conftest_helpers.py": ""},
    ],
)
def test_mentions_of_pytest_that_configure_nothing_do_not_count(
    tmp_path: Path, files: dict[str, str]
) -> None:
    make(tmp_path, {**files, "app.py": "print('hi')\n"})
    assert detect_test_command(tmp_path, PY) is None


@pytest.mark.parametrize("test_file", ["tests/test_views.py", "test_app.py", "app/views_test.py"])
def test_test_files_run_under_pytest_when_the_interpreter_has_it(
    tmp_path: Path, test_file: str
) -> None:
    make(tmp_path, {test_file: "def test_x():\n    pass\n", "app/__init__.py": ""})
    command = (sys.executable, "-m", "pytest", *PYTEST_OPTIONS)
    assert detect_test_command(tmp_path, sys.executable) == (command, "pytest")


@pytest.mark.parametrize(
    ("files", "start"),
    [
        ({"tests/test_views.py": ""}, ("-s", "tests")),
        ({"tests/__init__.py": "", "tests/test_views.py": ""}, ()),
        ({"test_app.py": ""}, ()),
        ({"tests/test_a.py": "", "pkg/test_b.py": ""}, ()),
    ],
)
def test_test_files_without_pytest_run_under_unittest(
    tmp_path: Path, files: dict[str, str], start: tuple[str, ...], python_without_pytest: str
) -> None:
    make(tmp_path, {**files, "app.py": ""})
    assert detect_test_command(tmp_path, python_without_pytest) == (
        (python_without_pytest, "-m", "unittest", "discover", *start),
        "unittest",
    )


def test_a_project_without_tests_has_no_runner(tmp_path: Path) -> None:
    make(tmp_path, {"app.py": "", "testing.md": "", "contest.py": "", ".venv/test_x.py": ""})
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    assert detect_test_command(tmp_path, sys.executable) is None


# -- reading failures from output lines --------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "runner", "expected"),
    [
        ("FAILED tests/test_a.py::test_b - assert 1 == 2", "pytest", "tests/test_a.py::test_b"),
        (
            "ERROR tests/test_a.py::TestC::test_d - RuntimeError",
            "pytest",
            "tests/test_a.py::TestC::test_d",
        ),
        ("ERROR tests/test_a.py - ModuleNotFoundError: x", "pytest", "tests/test_a.py"),
        ("FAILED t.py::test_p[a b - c] - AssertionError", "pytest", "t.py::test_p[a b - c]"),
        ("\x1b[31mFAILED\x1b[0m t.py::test_b - x", "pytest", "t.py::test_b"),
        ("FAILED (failures=1, errors=2)", "pytest", None),
        ("ERROR: file or directory not found: nope", "pytest", None),
        ("FAIL: test_b (pkg.tests.CaseTest.test_b)", "pytest", None),
        ("FAIL: test_b (pkg.tests.CaseTest.test_b)", "unittest", "pkg.tests.CaseTest.test_b"),
        ("ERROR: test_b (pkg.tests.CaseTest)", "django", "pkg.tests.CaseTest.test_b"),
        ("FAIL: test_b (pkg.tests.CaseTest.test_b) (i=2)", "unittest", "pkg.tests.CaseTest.test_b"),
        ("ERROR:django.request:Internal Server Error: /x/", "django", None),
        ("FAILED t.py::test_b - x", "unittest", None),
        ("FAILED t.py::test_b - x", "custom", "t.py::test_b"),
        ("ERROR: test_b (m.C.test_b)", "custom", "m.C.test_b"),
        ("FAILED (errors=1)", "custom", None),
    ],
)
def test_failure_lines(line: str, runner: str, expected: str | None) -> None:
    assert failure_id(line, runner) == expected


# -- running real suites -----------------------------------------------------------------------

PYTEST_SUITE = {
    "pytest.ini": "[pytest]\n",
    "tests/test_sample.py": """\
        import pytest


        @pytest.fixture
        def broken():
            raise RuntimeError("fixture broke")


        def test_passes():
            assert 1 + 1 == 2


        def test_fails():
            assert 1 + 1 == 3


        def test_errors(broken):
            pass
        """,
}

UNITTEST_SUITE = """\
    import unittest


    class SampleTest(unittest.TestCase):
        def test_passes(self):
            self.assertEqual(1 + 1, 2)

        def test_fails(self):
            self.assertEqual(1 + 1, 3)

        def test_errors(self):
            raise RuntimeError("boom")
    """


def test_a_pytest_suite(tmp_path: Path) -> None:
    make(tmp_path, PYTEST_SUITE)
    run = run_project_tests(tmp_path, sys.executable, {}, None)
    assert run.runner == "pytest"
    assert run.command == (sys.executable, "-m", "pytest", *PYTEST_OPTIONS)
    assert run.returncode == 1
    assert not run.passed
    assert not run.timed_out
    # -rfE lists failures, then errors.
    assert run.failed == ("tests/test_sample.py::test_fails", "tests/test_sample.py::test_errors")
    assert "1 failed, 1 passed, 1 error" in run.output_tail
    assert not (tmp_path / ".pytest_cache").exists()
    assert not list(tmp_path.rglob("__pycache__"))


def test_a_passing_pytest_suite(tmp_path: Path) -> None:
    make(tmp_path, {"pytest.ini": "[pytest]\n", "test_ok.py": "def test_ok():\n    pass\n"})
    run = run_project_tests(tmp_path, sys.executable, {}, None)
    assert (run.returncode, run.failed, run.passed) == (0, (), True)
    assert "1 passed" in run.output_tail


def test_a_unittest_suite(tmp_path: Path, python_without_pytest: str) -> None:
    make(tmp_path, {"tests/test_sample.py": UNITTEST_SUITE})
    run = run_project_tests(tmp_path, python_without_pytest, {}, None)
    assert run.runner == "unittest"
    assert run.returncode == 1
    assert not run.passed
    # unittest prints errors before failures.
    assert run.failed == ("test_sample.SampleTest.test_errors", "test_sample.SampleTest.test_fails")
    assert "FAILED (failures=1, errors=1)" in run.output_tail


def test_a_django_suite(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "manage.py": DJANGO_MANAGE,
            "site_conf/__init__.py": "",
            "site_conf/settings.py": """\
                SECRET_KEY = "test"
                INSTALLED_APPS = ["shelf"]
                DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
                USE_TZ = True
                """,
            "shelf/__init__.py": "",
            "shelf/tests.py": UNITTEST_SUITE.replace(
                "import unittest", "from django import test"
            ).replace("unittest.TestCase", "test.SimpleTestCase"),
        },
    )
    run = run_project_tests(tmp_path, sys.executable, {}, None)
    assert run.runner == "django"
    assert run.command == (sys.executable, "manage.py", "test", "--noinput")
    assert run.returncode == 1
    assert run.failed == ("shelf.tests.SampleTest.test_errors", "shelf.tests.SampleTest.test_fails")
    assert "Ran 3 tests" in run.output_tail


@pytest.mark.parametrize(
    ("command", "failed"),
    [
        (
            "{python} -m unittest discover -s tests",
            ("test_sample.SampleTest.test_errors", "test_sample.SampleTest.test_fails"),
        ),
        (
            "{python} -m pytest -q -rfE -p no:cacheprovider tests/test_pytest_style.py",
            ("tests/test_pytest_style.py::test_fails",),
        ),
    ],
)
def test_a_custom_command_runs_as_given(
    tmp_path: Path, command: str, failed: tuple[str, ...]
) -> None:
    make(
        tmp_path,
        {
            "tests/test_sample.py": UNITTEST_SUITE,
            "tests/test_pytest_style.py": "def test_fails():\n    assert False\n",
        },
    )
    given = command.format(python=shlex.quote(sys.executable))
    run = run_project_tests(tmp_path, sys.executable, {}, given)
    assert run.runner == "custom"
    assert run.command == tuple(shlex.split(given))
    assert run.returncode == 1
    assert run.failed == failed


def test_custom_output_is_read_with_both_parsers_and_ids_kept_once(tmp_path: Path) -> None:
    script = (
        "print('FAILED a.py::test_one - x'); print('FAIL: test_two (m.C.test_two)');"
        "print('FAILED a.py::test_one - x'); print('FAILED (failures=2)')"
    )
    run = run_project_tests(
        tmp_path, sys.executable, {}, shlex.join([sys.executable, "-c", script])
    )
    assert run.returncode == 0
    assert run.passed
    assert run.failed == ("a.py::test_one", "m.C.test_two")


def test_output_tail_keeps_the_last_lines_of_stdout_and_stderr(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "for i in range(100):\n"
        "    print(f'line {i}', file=sys.stderr if i % 2 else sys.stdout, flush=True)\n"
        "sys.exit(3)"
    )
    run = run_project_tests(
        tmp_path, sys.executable, {}, shlex.join([sys.executable, "-c", script])
    )
    assert run.returncode == 3
    assert run.output_tail.splitlines() == [f"line {i}" for i in range(100 - TAIL_LINES, 100)]


def test_env_is_added_to_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTHOG_HOST", raising=False)
    monkeypatch.setenv("INHERITED_SETTING", "kept")
    make(
        tmp_path,
        {
            "pytest.ini": "[pytest]\n",
            "test_env.py": """\
                import os


                def test_points_at_the_mock_host():
                    assert os.environ.get("POSTHOG_HOST") == "http://127.0.0.1:9"
                    assert os.environ["INHERITED_SETTING"] == "kept"
                    assert os.environ["PYTHONDONTWRITEBYTECODE"] == "1"
                """,
        },
    )
    with_host = run_project_tests(
        tmp_path, sys.executable, {"POSTHOG_HOST": "http://127.0.0.1:9"}, None
    )
    assert with_host.passed, with_host.output_tail
    without = run_project_tests(tmp_path, sys.executable, {}, None)
    assert without.failed == ("test_env.py::test_points_at_the_mock_host",)


def test_stdin_is_closed(tmp_path: Path) -> None:
    script = "import sys; print(repr(sys.stdin.read()))"
    run = run_project_tests(
        tmp_path, sys.executable, {}, shlex.join([sys.executable, "-c", script])
    )
    assert run.output_tail == "''"


def _gone(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return True
    # A killed process its new parent has not reaped yet is as good as gone.
    return stat.read_text().split(")")[-1].split()[0] == "Z"


def test_a_suite_past_its_time_is_killed_with_what_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    run = run_project_tests(
        tmp_path, sys.executable, {}, shlex.join([sys.executable, "-c", script]), timeout=1.0
    )
    elapsed = time.monotonic() - started
    assert run.timed_out
    assert not run.passed
    assert run.output_tail == "started"
    # The grandchild held the output open: only killing the whole group ends the run this soon.
    assert elapsed < 4.0
    if sys.platform.startswith("linux"):
        pid = int(pid_file.read_text())
        deadline = time.monotonic() + 2.0
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(pid)


def test_no_detectable_runner_is_an_error(tmp_path: Path) -> None:
    make(tmp_path, {"app.py": ""})
    with pytest.raises(TestRunError, match="no test suite found in"):
        run_project_tests(tmp_path, sys.executable, {}, None)


def test_a_command_that_cannot_start_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(
        TestRunError, match=r"cannot run no-such-test-runner-x --fast in .*: No such"
    ):
        run_project_tests(tmp_path, sys.executable, {}, "no-such-test-runner-x --fast")


def test_a_missing_interpreter_is_an_error(tmp_path: Path) -> None:
    make(tmp_path, {"manage.py": DJANGO_MANAGE})
    missing = str(tmp_path / "no-venv" / "bin" / "python")
    with pytest.raises(TestRunError, match=r"manage\.py test"):
        run_project_tests(tmp_path, missing, {}, None)


@pytest.mark.parametrize(("command", "message"), [("", "empty"), ("pytest 'tests", "cannot read")])
def test_an_unreadable_command_is_an_error(tmp_path: Path, command: str, message: str) -> None:
    with pytest.raises(TestRunError, match=message):
        run_project_tests(tmp_path, sys.executable, {}, command)


def test_passed_needs_exit_zero_in_time() -> None:
    run = TestRun(command=("x",), runner="custom", returncode=0, failed=(), output_tail="")
    assert run.passed
    assert not TestRun(("x",), "custom", 0, (), "", timed_out=True).passed
    assert not TestRun(("x",), "custom", 5, (), "").passed


# -- structured reports: junit XML for pytest, the result collector for unittest / Django ------

# A passing test that prints what a text scraper would take for a failure.
GHOST_PYTEST = """\
    import sys


    def test_prints_a_ghost():
        sys.__stdout__.write("FAILED tests/test_ghost.py::test_ghost - x\\n")
        sys.__stdout__.flush()
    """

GHOST_UNITTEST = """\
    import sys
    import unittest


    class GhostTest(unittest.TestCase):
        def test_prints_a_ghost(self):
            sys.__stdout__.write("FAIL: test_ghost (test_ghost.GhostTest.test_ghost)\\n")
            sys.__stdout__.flush()

        def test_sub(self):
            for i in range(3):
                with self.subTest(i=i):
                    self.assertLess(i, 1)
    """


def test_pytest_failures_come_from_junit_xml(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            **PYTEST_SUITE,
            "tests/test_ghost.py": GHOST_PYTEST,
            "tests/test_classes.py": """\
                import pytest


                class TestShelf:
                    @pytest.mark.parametrize("title", ["a b - c", "d"])
                    def test_title(self, title):
                        assert title == "d"
                """,
        },
    )
    run = run_project_tests(tmp_path, sys.executable, {}, None)
    assert run.failures_from == "junit-xml"
    assert run.command == (sys.executable, "-m", "pytest", *PYTEST_OPTIONS)
    assert run.failed == (
        "tests/test_classes.py::TestShelf::test_title[a b - c]",
        "tests/test_sample.py::test_fails",
        "tests/test_sample.py::test_errors",
    )
    # The ghost line would fool a text scraper; the report does not list it.
    assert failure_id("FAILED tests/test_ghost.py::test_ghost - x", "pytest") is not None
    assert not list(tmp_path.rglob("*.xml"))


def test_a_custom_pytest_command_gets_junit_xml_too(tmp_path: Path) -> None:
    make(
        tmp_path,
        {"tests/test_ghost.py": GHOST_PYTEST, "tests/test_f.py": "def test_f():\n    assert 0\n"},
    )
    given = f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider tests"
    run = run_project_tests(tmp_path, sys.executable, {}, given)
    assert (run.runner, run.failures_from) == ("custom", "junit-xml")
    assert run.command == tuple(shlex.split(given))
    assert run.failed == ("tests/test_f.py::test_f",)


def test_without_a_junit_report_pytest_falls_back_to_the_text(tmp_path: Path) -> None:
    make(tmp_path, {"tests/test_f.py": "def test_f():\n    assert 0\n"})
    # The junitxml plugin disabled: pytest refuses --junit-xml (exit 4), so the command
    # runs again as given and its text is read.
    given = f"{shlex.quote(sys.executable)} -m pytest -q -rfE -p no:junitxml -p no:cacheprovider"
    run = run_project_tests(tmp_path, sys.executable, {}, given)
    assert run.failures_from == "text"
    assert run.returncode == 1
    assert run.failed == ("tests/test_f.py::test_f",)


def test_unittest_failures_come_from_the_collector(
    tmp_path: Path, python_without_pytest: str
) -> None:
    make(tmp_path, {"tests/test_sample.py": UNITTEST_SUITE, "tests/test_ghost.py": GHOST_UNITTEST})
    run = run_project_tests(tmp_path, python_without_pytest, {}, None)
    assert (run.runner, run.failures_from) == ("unittest", "collector")
    assert run.command[:4] == (python_without_pytest, "-m", "unittest", "discover")
    assert run.failed == (
        "test_ghost.GhostTest.test_sub",
        "test_sample.SampleTest.test_errors",
        "test_sample.SampleTest.test_fails",
    )
    assert "FAIL: test_ghost (test_ghost.GhostTest.test_ghost)" in run.output_tail
    assert "FAILED (failures=3, errors=1)" in run.output_tail
    # test_passes, and GhostTest's passing test: every test that ran is listed.
    assert run.passed_count == 2
    assert run.tests is not None
    assert "test_sample.SampleTest.test_passes" in run.tests


DJANGO_SITE = {
    "manage.py": DJANGO_MANAGE,
    "site_conf/__init__.py": "",
    "site_conf/settings.py": """\
        SECRET_KEY = "test"
        INSTALLED_APPS = ["shelf"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
        USE_TZ = True
        """,
    "shelf/__init__.py": "",
    "shelf/tests.py": GHOST_UNITTEST.replace("import unittest", "from django import test")
    .replace("unittest.TestCase", "test.SimpleTestCase")
    .replace("test_ghost.GhostTest", "shelf.tests.GhostTest"),
}


def test_django_failures_come_from_the_collector(tmp_path: Path) -> None:
    make(tmp_path, DJANGO_SITE)
    run = run_project_tests(tmp_path, sys.executable, {}, None)
    assert (run.runner, run.failures_from) == ("django", "collector")
    assert run.command == (sys.executable, "manage.py", "test", "--noinput")
    assert run.failed == ("shelf.tests.GhostTest.test_sub",)
    assert "FAIL: test_ghost (shelf.tests.GhostTest.test_ghost)" in run.output_tail


def test_a_django_project_with_its_own_test_runner_is_read_from_the_text(tmp_path: Path) -> None:
    settings = DJANGO_SITE["site_conf/settings.py"]
    make(
        tmp_path,
        {
            **DJANGO_SITE,
            "site_conf/settings.py": settings
            + 'TEST_RUNNER = "django.test.runner.DiscoverRunner"\n',
        },
    )
    run = run_project_tests(tmp_path, sys.executable, {}, None)
    assert run.failures_from == "text"
    # The text scraper is fooled by the ghost line: why the collector is preferred.
    assert "shelf.tests.GhostTest.test_ghost" in run.failed


def test_junit_node_ids(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite>
        <testcase classname="tests.test_a" name="test_ok" file="tests/test_a.py"/>
        <testcase classname="tests.test_a" name="test_f[x-1]" file="tests/test_a.py">
          <failure message="no"/></testcase>
        <testcase classname="tests.test_a.TestC.TestD" name="test_e" file="tests/test_a.py">
          <error message="setup"/></testcase>
        <testcase classname="tests.test_a.TestC.TestD" name="test_e" file="tests/test_a.py">
          <error message="teardown"/></testcase>
        <testcase classname="tests.test_a" name="test_skip" file="tests/test_a.py">
          <skipped/></testcase>
        <testcase classname="" name="tests.test_broken"><error message="collection"/></testcase>
        </testsuite></testsuites>"""
    )
    assert junit_failures(report) == (
        "tests/test_a.py::test_f[x-1]",
        "tests/test_a.py::TestC::TestD::test_e",
        "tests/test_broken.py",
    )
    report.write_text("<testsuites><testcase")
    assert junit_failures(report) is None
    assert junit_failures(tmp_path / "missing.xml") is None


def test_a_pytest_run_counts_what_passed_and_streams_its_output(tmp_path: Path) -> None:
    make(tmp_path, PYTEST_SUITE)
    lines: list[str] = []
    run = run_project_tests(tmp_path, sys.executable, {}, None, echo=lines.append)
    assert run.failures_from == "junit-xml"
    assert run.passed_count == 1
    assert run.tests == (
        "tests/test_sample.py::test_passes",
        "tests/test_sample.py::test_fails",
        "tests/test_sample.py::test_errors",
    )
    # Every line went by as it came, and the tail kept for the report is the same text.
    assert lines[-len(run.output_tail.splitlines()) :] == run.output_tail.splitlines()
    assert any("1 passed" in line for line in lines)


@pytest.mark.parametrize(
    ("lines", "runner", "passed"),
    [
        (["2 failed, 14 passed, 1 skipped in 0.52s"], "pytest", 14),
        (["\x1b[32m3 passed\x1b[0m in 0.1s"], "custom", 3),
        (["Ran 12 tests in 0.004s", "", "FAILED (failures=2, errors=1, skipped=1)"], "django", 8),
        (["Ran 5 tests in 0.004s", "", "OK"], "unittest", 5),
        (["Ran 5 tests in 0.004s", "", "OK (skipped=2)"], "unittest", 3),
        (["collected 0 items / 1 error"], "pytest", None),
    ],
)
def test_the_pass_count_from_the_summary_line(
    lines: list[str], runner: str, passed: int | None
) -> None:
    assert passed_from_text(lines, runner) == passed
