"""The live check: the project's client module, in a subprocess, sending to the mock host."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from posthog.version import VERSION

from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import Plan, SetupFacts, read_plan
from posthog_setup.verify.checks import FAIL, PASS, SKIP, TEST_TOKEN, VERIFY_DISTINCT_ID
from posthog_setup.verify.interpreter import Interpreter
from posthog_setup.verify.live import (
    LIVE_EVENT,
    LiveResult,
    import_target,
    install_hint,
    live_check,
    verification_env,
)

Copy = Callable[[str], Path]
CURRENT = Interpreter(sys.executable, "current", "the interpreter running the tests")


def check(root: Path, host: MockPostHogHost, **kwargs: object) -> LiveResult:
    plan = read_plan(root)
    assert plan is not None
    return live_check(root, plan, CURRENT, host, **kwargs)  # type: ignore[arg-type]


def client_module(root: Path) -> Path:
    [path] = root.glob("*/posthog_client.py")
    return path


def test_the_flask_client_module_delivers_an_event(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("flask_blog")
    result = check(root, mock_host)
    assert result.check.status == PASS, result.check.message
    version = sys.version.split()[0]
    assert result.check.message == (
        f"blog.posthog_client.posthog_client, imported by {sys.executable} (Python {version}, "
        f"posthog {VERSION}), delivered {LIVE_EVENT} to the mock host"
    )
    assert (result.module, result.client) == ("blog.posthog_client", "posthog_client")
    [event] = mock_host.events(event=LIVE_EVENT)
    assert (event.distinct_id, event.token) == (VERIFY_DISTINCT_ID, TEST_TOKEN)
    assert not list(root.rglob("__pycache__")), "the check must not write bytecode"


def test_a_module_that_raises_on_import_fails_with_the_exception(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("fastapi_tasks")
    path = client_module(root)
    path.write_text(path.read_text() + '\nraise RuntimeError("no PostHog for you")\n')
    result = check(root, mock_host)
    assert result.check.status == FAIL
    assert result.check.failures == (
        f"live: importing tasks.posthog_client with {sys.executable} failed: "
        "RuntimeError: no PostHog for you",
    )


def test_a_disabled_client_sends_nothing_and_fails(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("flask_blog")
    path = client_module(root)
    path.write_text(path.read_text().replace('"POSTHOG_PROJECT_TOKEN", ""', '"OTHER", ""'))
    result = check(root, mock_host, arrival_timeout=0.2)
    assert result.check.failures == (
        "live: blog.posthog_client.posthog_client sent nothing to the mock host: the client "
        "is disabled: it did not get a token from POSTHOG_PROJECT_TOKEN",
    )


def test_a_module_without_a_client_object_fails(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("fastapi_tasks")
    client_module(root).write_text("from posthog import Posthog\nimport posthog\n")
    assert check(root, mock_host).check.failures == (
        "live: tasks.posthog_client has no client object (an attribute with capture and flush)",
    )


def test_the_first_client_like_attribute_is_used(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("fastapi_tasks")
    client_module(root).write_text(
        "import os\nfrom posthog import Posthog\n\n"
        'analytics = Posthog(os.environ["POSTHOG_PROJECT_TOKEN"], '
        'host=os.environ["POSTHOG_HOST"])\n'
    )
    result = check(root, mock_host)
    assert (result.check.status, result.client) == (PASS, "analytics")


def test_without_posthog_installed_the_check_is_skipped(
    integrated: Copy, mock_host: MockPostHogHost, tmp_path: Path
) -> None:
    root = integrated("django_shop")
    # A "virtualenv" whose python has no site-packages, so posthog cannot be imported.
    python = root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    python.chmod(0o755)
    plan = read_plan(root)
    assert plan is not None
    interpreter = Interpreter(str(python), ".venv", "the project's virtualenv .venv/")
    result = live_check(root, plan, interpreter, mock_host)
    assert result.check.status == SKIP
    assert result.check.failures == ()
    assert result.check.message == ("posthog is not installed in .venv/bin/python: poetry install")
    assert mock_host.events() == []


def test_a_module_that_hangs_is_stopped(integrated: Copy, mock_host: MockPostHogHost) -> None:
    root = integrated("flask_blog")
    path = client_module(root)
    path.write_text("import time\ntime.sleep(30)\n" + path.read_text())
    result = check(root, mock_host, timeout=1.0)
    assert result.check.failures == (
        "live: importing blog.posthog_client and sending through it took over 1 s",
    )


def test_an_interpreter_that_cannot_run_fails(integrated: Copy, mock_host: MockPostHogHost) -> None:
    root = integrated("flask_blog")
    plan = read_plan(root)
    assert plan is not None
    missing = Interpreter(str(root / "nowhere" / "python"), ".venv", "")
    result = live_check(root, plan, missing, mock_host)
    assert result.check.failures == ("live: cannot run nowhere/python: No such file or directory",)


@pytest.mark.parametrize(
    ("files", "module", "entries"),
    [
        (["blog/__init__.py", "blog/posthog_client.py"], "blog.posthog_client", ["."]),
        (["posthog_client.py"], "posthog_client", ["."]),
        (
            ["src/app/__init__.py", "src/app/posthog_client.py"],
            "app.posthog_client",
            ["src", "."],
        ),
        (
            ["a/__init__.py", "a/b/__init__.py", "a/b/posthog_client.py"],
            "a.b.posthog_client",
            ["."],
        ),
        (
            ["backend/app/__init__.py", "backend/app/posthog_client.py"],
            "app.posthog_client",
            ["backend", "."],
        ),
        (["scripts/posthog_client.py"], "posthog_client", ["scripts", "."]),
    ],
)
def test_import_target(tmp_path: Path, files: list[str], module: str, entries: list[str]) -> None:
    for file in files:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text("")
    found_module, found_entries = import_target(tmp_path, files[-1])
    assert found_module == module
    assert found_entries == [str(tmp_path / e) if e != "." else str(tmp_path) for e in entries]


def plan_with(manager: str, manifest: str | None) -> Plan:
    return Plan(
        SetupFacts(("flask",), manager, manifest, "app/posthog_client.py", "PH_KEY", "PH_HOST"),
        (),
    )


def test_verification_env_points_the_client_at_the_host_and_keeps_loopback_direct() -> None:
    env = verification_env(
        plan_with("pip", None), "http://127.0.0.1:5000", base={"NO_PROXY": "corp.example"}
    )
    assert env == {
        "PH_KEY": TEST_TOKEN,
        "PH_HOST": "http://127.0.0.1:5000",
        "NO_PROXY": "corp.example,127.0.0.1,localhost,::1",
        "no_proxy": "corp.example,127.0.0.1,localhost,::1",
    }


@pytest.mark.parametrize(
    ("manager", "manifest", "hint"),
    [
        ("pip", "requirements/base.txt", "py -m pip install -r requirements/base.txt"),
        ("pip", "pyproject.toml", "py -m pip install -e ."),
        ("pip", None, "py -m pip install 'posthog>=7.66'"),
        ("uv", "pyproject.toml", "uv sync"),
        ("poetry", "pyproject.toml", "poetry install"),
        ("pipenv", "Pipfile", "pipenv install"),
    ],
)
def test_install_hint(manager: str, manifest: str | None, hint: str) -> None:
    assert install_hint(plan_with(manager, manifest), "py") == hint


def test_a_thread_left_running_by_the_module_does_not_hold_the_check(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("fastapi_tasks")
    path = client_module(root)
    path.write_text(
        path.read_text()
        + "\nimport threading, time\nthreading.Thread(target=time.sleep, args=(60,)).start()\n"
    )
    result = check(root, mock_host, timeout=20.0)
    assert result.check.status == PASS, result.check.message


def test_an_app_whose_dependencies_are_not_installed_is_skipped_with_the_install_command(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    # The package the client module lives in imports a library this interpreter lacks:
    # nothing the edit did, and a skip that says how to make the check run.
    root = integrated("flask_blog")
    init = root / "blog" / "__init__.py"
    init.write_text(init.read_text() + "\nimport flask_bootstrap_not_installed_here\n")
    result = check(root, mock_host)
    assert result.check.status == SKIP, result.check.message
    assert "flask_bootstrap_not_installed_here is not installed" in result.check.message
    assert "pip install -r requirements.txt" in result.check.message
    assert result.check.failures == ()


def test_a_missing_module_of_the_project_itself_still_fails(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("flask_blog")
    init = root / "blog" / "__init__.py"
    init.write_text(init.read_text() + "\nfrom blog import no_such_module\n")
    assert check(root, mock_host).check.status == FAIL
