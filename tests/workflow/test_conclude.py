"""`posthog-setup conclude` end to end on the integrated fixtures, and on broken setups."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.mockhost import Fault, MockPostHogHost
from posthog_setup.workflow.conclude import conclude
from posthog_setup.workflow.render import summary_lines

EXPECTED = Path(__file__).resolve().parents[2] / "fixtures" / "expected"
FIXTURES = EXPECTED.parent

#: Where each fixture captures its planned events, in the plan's order.
LOCATIONS = {
    "flask_blog": [
        ("post_created", "blog/api/v1.py:43"),
        ("user_logged_in", "blog/auth.py:55"),
        ("user_logged_out", "blog/auth.py:64"),
        ("user_signed_up", "blog/auth.py:39"),
        ("comment_created", "blog/posts.py:116"),
        ("post_deleted", "blog/posts.py:87"),
        ("post_updated", "blog/posts.py:72"),
        ("post_liked", "blog/posts.py:101"),
        ("post_created", "blog/posts.py:55"),
    ],
    "fastapi_tasks": [
        ("user_logged_out", "tasks/routers/auth.py:65"),
        ("user_signed_up", "tasks/routers/auth.py:55"),
        ("user_logged_in", "tasks/routers/auth.py:37"),
        ("project_created", "tasks/routers/projects.py:39"),
        ("project_deleted", "tasks/routers/projects.py:60"),
        ("task_created", "tasks/routers/tasks.py:43"),
        ("task_deleted", "tasks/routers/tasks.py:80"),
        ("task_updated", "tasks/routers/tasks.py:68"),
        ("task_archived", "tasks/routers/tasks.py:112"),
        ("task_completed", "tasks/routers/tasks.py:100"),
    ],
    "django_shop": [
        ("user_logged_in", "accounts/views.py:21"),
        ("user_logged_out", "accounts/views.py:45"),
        ("user_signed_up", "accounts/views.py:35"),
        ("review_created", "catalog/views.py:31"),
        ("product_deleted", "catalog/views.py:105"),
        ("product_updated", "catalog/views.py:91"),
        ("product_marked_sold_out", "catalog/views.py:47"),
        ("product_created", "catalog/views.py:77"),
        ("order_checked_out", "orders/views.py:115"),
        ("order_created", "orders/views.py:29"),
        ("order_deleted", "orders/views.py:37"),
        ("order_updated", "orders/views.py:45"),
        ("order_updated", "orders/views.py:45"),
        ("shipment_canceled", "orders/views.py:70"),
    ],
}
#: How each fixture's app is started by the app import check.
ENTRY_POINTS = {
    "flask_blog": "called blog.create_app() (as wsgi.py:5 calls it) in ",
    "fastapi_tasks": "imported tasks.main (it creates app) in ",
    "django_shop": "ran manage.py check in ",
}
CLIENT_MODULES = {
    "flask_blog": "blog.posthog_client",
    "fastapi_tasks": "tasks.posthog_client",
    "django_shop": "shop.posthog_client",
}


@pytest.fixture(autouse=True)
def no_active_virtualenv(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixtures have no virtualenv: the live check must fall back to this interpreter."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


@pytest.fixture(scope="module")
def host() -> Iterator[MockPostHogHost]:
    with MockPostHogHost() as started:
        yield started


def integrated(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(EXPECTED / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize("name", list(LOCATIONS))
def test_each_integrated_fixture_is_verified(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated(name, tmp_path)
    assert main(["conclude", "--json", str(root)]) == 0
    captured = capsys.readouterr()
    events = len(LOCATIONS[name])
    assert errors(captured.err) == []
    assert captured.err.splitlines()[-1] == (
        f"Verified {events} events. Wrote posthog-setup-report.md."
    )
    data = json.loads(captured.out)
    assert data["verified"] is True
    assert data["report"] == str(root / "posthog-setup-report.md")
    assert [(c["name"], c["status"]) for c in data["checks"]] == [
        ("static", "pass"),
        ("replay", "pass"),
        ("live", "pass"),
        ("app", "pass"),
    ]
    assert data["checks"][3]["message"].startswith(ENTRY_POINTS[name])
    assert data["failures"] == []
    # No virtualenv in the fixture: the live check ran with the interpreter running the tests.
    assert data["interpreter"]["python"] == sys.executable
    assert data["interpreter"]["source"] == "current"
    live = data["checks"][2]["message"]
    assert live.startswith(f"{CLIENT_MODULES[name]}.posthog_client, imported by {sys.executable}")
    assert [(e["event"], e["location"], e["verified"], e["status"]) for e in data["events"]] == [
        (event, location, "replayed, live", "pass") for event, location in LOCATIONS[name]
    ]
    assert all(h["status"] == "pass" and h["location"] for h in data["exception_handlers"])

    report = (root / "posthog-setup-report.md").read_text()
    lines = report.splitlines()
    for event, location in LOCATIONS[name]:
        assert any(
            line.startswith(f"| `{event}` | ")
            and line.endswith(f" | `{location}` | replayed, live |")
            for line in lines
        ), f"no row for {event} at {location}"
    assert "| `POSTHOG_PROJECT_TOKEN` | The project token, which starts with `phc_`" in report
    assert (
        "| `POSTHOG_HOST` | `https://us.i.posthog.com` (the default, US Cloud); "
        "`https://eu.i.posthog.com` for EU Cloud, or the URL of a self-hosted instance. |"
    ) in lines
    assert "## Verify before merging" in lines
    assert (
        "- [ ] Review the diff (`git diff`): the client module, the framework hook-up and "
        "each capture. A capture belongs after the change it records, and no event property "
        "may carry personal data (emails, names, tokens): an email or a username goes on the "
        "person, as login and signup set it (`posthog_client.set`)." in lines
    )
    assert (
        "- [ ] Set `POSTHOG_PROJECT_TOKEN` in every environment the app runs in (deployments, "
        "staging, CI), and `POSTHOG_HOST` outside US Cloud."
    ) in lines
    assert not list(root.rglob("__pycache__"))


def test_the_stage_output_and_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = integrated("fastapi_tasks", tmp_path)
    assert main(["conclude", str(root)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("  Static checks    pass  5 of 5 touched files compile;")
    assert err[1] == (
        "  Contract replay  pass  10 of 10 planned events, a sample identify and a sample "
        "exception accepted by the mock host"
    )
    assert err[2].startswith("  Live check       pass  tasks.posthog_client.posthog_client")
    assert err[3].startswith("  App import       pass  imported tasks.main (it creates app) in")
    assert err[4] == "Verified 10 events. Wrote posthog-setup-report.md."
    assert main(["conclude", "-q", str(root)]) == 0
    assert capsys.readouterr().err == ""
    assert main(["conclude", "-v", str(root)]) == 0
    verbose = capsys.readouterr().err
    assert "  Project tests    not run (--run-tests runs them)" in verbose.splitlines()
    assert (
        "    task_archived                tasks/routers/tasks.py:112       replayed, live"
        in verbose.splitlines()
    )
    assert verbose.splitlines()[-1] == "Verified 10 events. Unchanged: posthog-setup-report.md."


def test_a_client_reading_another_variable_than_documented_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated("flask_blog", tmp_path)
    replace(
        root / "blog/posthog_client.py",
        'os.environ.get("POSTHOG_PROJECT_TOKEN", "")',
        'os.environ.get("POSTHOG_KEY", "")',
    )
    assert main(["conclude", str(root)]) == 1
    err = capsys.readouterr().err
    assert errors(err) == [
        "error: blog/posthog_client.py:16: the client module reads POSTHOG_KEY, but "
        "posthog-events.json and .env.example document POSTHOG_PROJECT_TOKEN: set it to read "
        "POSTHOG_PROJECT_TOKEN, or rename the variable in both",
        "error: live: blog.posthog_client.posthog_client sent nothing to the mock host: the "
        "client is disabled: it did not get a token from POSTHOG_PROJECT_TOKEN",
    ]
    assert err.splitlines()[-1] == (
        "Verification failed: 2 problems. Wrote posthog-setup-report.md."
    )


def test_an_empty_event_name_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = integrated("django_shop", tmp_path)
    replace(root / "orders/views.py", '"shipment_canceled"', '""')
    assert main(["conclude", str(root)]) == 1
    assert errors(capsys.readouterr().err) == [
        "error: orders/views.py: planned event 'shipment_canceled' is not captured in the code "
        '(no capture("shipment_canceled", ...) in ShipmentViewSet.cancel); the plan and the '
        "code disagree: run posthog-setup revise",
        "error: orders/views.py:70: capture with an empty event name (PostHog rejects the "
        "whole batch it is in)",
    ]


def test_a_client_module_that_raises_on_import_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated("django_shop", tmp_path)
    client = root / "shop/posthog_client.py"
    client.write_text(client.read_text() + '\nraise ImportError("settings are not ready")\n')
    assert main(["conclude", "--json", str(root)]) == 1
    captured = capsys.readouterr()
    assert errors(captured.err) == [
        f"error: live: importing shop.posthog_client with {sys.executable} failed: "
        "ImportError: settings are not ready",
        f"error: app: manage.py check failed with {sys.executable}: ImportError: settings "
        "are not ready at shop/posthog_client.py:34",
    ]
    data = json.loads(captured.out)
    assert data["verified"] is False
    assert [(c["name"], c["status"]) for c in data["checks"]] == [
        ("static", "pass"),
        ("replay", "pass"),
        ("live", "fail"),
        ("app", "fail"),
    ]
    # The live check failed, so no event is claimed as verified live.
    assert {e["verified"] for e in data["events"]} == {"replayed"}


def test_a_planned_event_with_no_capture_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated("fastapi_tasks", tmp_path)
    plan_path = root / "posthog-events.json"
    plan = json.loads(plan_path.read_text())
    plan["events"].append(
        {
            "event": "task_exported",
            "description": "A task was exported.",
            "kind": "capture",
            "file": "tasks/routers/tasks.py",
            "handler": "export_task",
            "route": "/api/v1/tasks/{task_id}/export",
            "methods": ["POST"],
            "properties": [{"name": "task_id", "value": "task_id", "type": "integer"}],
            "distinct_id": None,
        }
    )
    plan_path.write_text(json.dumps(plan, indent=2))
    assert main(["conclude", "--json", str(root)]) == 1
    captured = capsys.readouterr()
    assert errors(captured.err) == [
        "error: tasks/routers/tasks.py: planned event 'task_exported' is not captured in the "
        'code (no capture("task_exported", ...) in export_task); the plan and the code '
        "disagree: run posthog-setup revise",
    ]
    [exported] = [e for e in json.loads(captured.out)["events"] if e["event"] == "task_exported"]
    assert exported["status"] == "fail"
    assert exported["location"] is None
    assert exported["verified"] == "✗ no capture of 'task_exported' in export_task"


def test_a_host_that_rejects_fails_naming_the_event(tmp_path: Path, host: MockPostHogHost) -> None:
    root = integrated("flask_blog", tmp_path)
    host.inject(Fault(200), Fault(503))
    result = conclude(root, host=host)
    assert not result.verified
    assert result.failures == (
        "replay: 'user_logged_in' was rejected by the mock host: HTTP 503 injected_fault: "
        "Service Unavailable",
    )
    events = {e.event.event: e for e in result.verification.events}
    assert events["user_logged_in"].verified == (
        "✗ rejected by the mock host: HTTP 503 injected_fault: Service Unavailable"
    )
    assert events["user_signed_up"].verified == "replayed, live"


def test_summary_lines(tmp_path: Path, host: MockPostHogHost) -> None:
    root = integrated("flask_blog", tmp_path)
    result = conclude(root, host=host)
    assert summary_lines(result) == [
        "conclude: verified for blog: 9 events, 1 error handler",
        "checks: static checks passed, contract replay passed, live check passed, "
        "app import passed, project tests not run",
        "failures: none",
        f"report: {root / 'posthog-setup-report.md'}",
    ]
    (root / "blog/posts.py").unlink()
    failed = summary_lines(conclude(root, host=host))
    assert failed[0] == "conclude: verification failed for blog: 9 events, 1 error handler"
    assert failed[1].startswith("checks: static checks failed, contract replay passed")
    assert failed[2] == "failures: 2"  # the file is missing, and the app cannot start


def test_a_failing_test_suite_fails_verification(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated("flask_blog", tmp_path)
    (root / "test_events.py").write_text(
        "from blog.posthog_client import posthog_client\n\n\n"
        "def test_like():\n"
        '    posthog_client.capture("post_liked", distinct_id="u1")\n'
        "    posthog_client.flush()\n\n\n"
        "def test_broken():\n"
        "    assert 1 == 2\n"
    )
    command = f"{sys.executable} -m pytest -q -p no:cacheprovider test_events.py"
    assert main(["conclude", "--json", "--run-tests", command, str(root)]) == 1
    captured = capsys.readouterr()
    assert errors(captured.err) == ["error: tests: test_events.py::test_broken failed"]
    data = json.loads(captured.out)
    assert data["checks"][4]["status"] == "fail"
    assert data["checks"][4]["message"] == (
        f"{command} (custom) failed; 1 of 8 planned event names seen at the mock host during "
        "the run; 1 test passed; no comparison with the unedited tree: the project is not in a "
        "git repository"
    )
    assert data["tests"]["failed"] == ["test_events.py::test_broken"]
    verdicts = {e["event"]: e["seen_in_tests"] for e in data["events"]}
    assert verdicts["post_liked"] is True
    assert verdicts["post_updated"] is False


def test_a_test_command_that_cannot_start_is_a_failed_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated("fastapi_tasks", tmp_path)
    command = str(tmp_path / "no-such-runner")
    assert main(["conclude", str(root), "--run-tests", command]) == 1
    assert errors(capsys.readouterr().err) == [
        f"error: tests: cannot run {command} in {root}: No such file or directory"
    ]


def test_without_a_plan_it_says_to_run_begin_and_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    assert main(["conclude", str(tmp_path)]) == 2
    assert errors(capsys.readouterr().err) == [
        f"error: no posthog-events.json in {tmp_path.resolve()}: run `posthog-setup begin` and "
        "`posthog-setup edit` first (or `posthog-setup` for every stage)"
    ]
    assert not (tmp_path / "posthog-setup-report.md").exists()


def test_an_unreadable_plan_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated("flask_blog", tmp_path)
    (root / "posthog-events.json").write_text("{not json")
    assert main(["conclude", str(root)]) == 2
    assert errors(capsys.readouterr().err) == [
        "error: posthog-events.json is not valid JSON (line 1: Expecting property name "
        "enclosed in double quotes)"
    ]


def test_a_report_that_cannot_be_written_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated("fastapi_tasks", tmp_path)
    (root / "posthog-setup-report.md").mkdir()
    assert main(["conclude", "-q", str(root)]) == 2
    assert errors(capsys.readouterr().err) == [
        "error: cannot write posthog-setup-report.md: it is a directory, where a file should "
        "be; nothing was written"
    ]


def test_where_none_of_the_projects_code_ran_nothing_is_said_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An interpreter without the SDK and Flask: the live check and the app import are
    skipped, so what passed is static and the replay, and the last line says so."""
    root = integrated("flask_blog", tmp_path)
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    assert main(["conclude", "--env", str(bare / "bin" / "python"), str(root)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line.split()[:2] for line in err[2:4]] == [["Live", "check"], ["App", "import"]]
    assert all("  skip  " in line for line in err[2:4])
    assert err[-1] == (
        "Checked 9 events: in the code and accepted by the mock host; the project's own code "
        "did not run (see skipped). Wrote posthog-setup-report.md."
    )


def test_a_client_that_ignores_the_host_variable_is_never_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated("flask_blog", tmp_path)
    # Run, this client would send to PostHog itself: the live check must not run it.
    replace(
        root / "blog/posthog_client.py",
        'os.environ.get("POSTHOG_HOST", "").strip() or ',
        "",
    )
    marker = root / "imported"
    client = root / "blog/posthog_client.py"
    client.write_text(client.read_text() + f"\nopen({str(marker)!r}, 'w').close()\n")
    assert main(["conclude", "--json", str(root)]) == 1
    captured = capsys.readouterr()
    assert errors(captured.err) == [
        "error: blog/posthog_client.py: the client module does not read the host from "
        "POSTHOG_HOST (no os.environ / os.getenv read of it)"
    ]
    live = json.loads(captured.out)["checks"][2]
    assert (live["status"], live["message"]) == (
        "skip",
        "the client module does not read POSTHOG_HOST, so it cannot be pointed at the mock "
        "host (see the static checks)",
    )
    assert not marker.exists()


def test_run_tests_detects_the_runner_and_reports_each_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated("flask_blog", tmp_path)
    shutil.rmtree(root / "tests", ignore_errors=True)  # only the suite written here
    (root / "tests").mkdir()
    (root / "tests" / "test_signup.py").write_text(
        "from blog import create_app\n"
        "from blog.extensions import db\n"
        "from blog.posthog_client import posthog_client\n\n\n"
        "def test_signup_and_login():\n"
        '    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})\n'
        "    with app.app_context():\n"
        "        db.create_all()\n"
        "    client = app.test_client()\n"
        '    account = {"username": "ada", "email": "ada@example.com", "password": "pw"}\n'
        '    assert client.post("/auth/signup", data=account).status_code == 302\n'
        '    assert client.get("/auth/logout").status_code == 302\n'
        '    assert client.post("/auth/login", data=account).status_code == 302\n'
        "    posthog_client.flush()\n"
    )
    assert main(["conclude", "--json", str(root), "--run-tests"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    tests = data["checks"][4]
    assert tests["status"] == "pass"
    assert tests["message"] == (
        f"{sys.executable} -m pytest -q -rfE -p no:cacheprovider (pytest) passed; 3 of 8 "
        "planned event names seen at the mock host during the run; 1 test passed; no "
        "comparison with the unedited tree: the project is not in a git repository"
    )
    seen = [e["event"] for e in data["events"] if e["seen_in_tests"]]
    assert seen == ["user_logged_in", "user_logged_out", "user_signed_up"]
    assert {e["verified"] for e in data["events"] if e["event"] in seen} == {
        "replayed, live, seen in tests"
    }
    assert data["tests"]["failed"] == []
    assert (data["tests"]["passed"], data["tests"]["broke"]) == (1, [])
    assert data["tests"]["before_the_edit"] == {
        "compared": False,
        "skipped": "the project is not in a git repository",
        "passed": None,
        "failing_before_too": [],
    }
    # The app is started with the plain values the project's own test passes the factory.
    assert data["app"] == {
        "started_by": "called blog.create_app({'TESTING': True, "
        "'SQLALCHEMY_DATABASE_URI': 'sqlite://'})",
        "why": "as tests/test_signup.py:7 calls it",
    }
    assert not list(root.rglob("__pycache__"))


def test_run_tests_names_a_route_the_edit_broke(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An inserted expression the handler cannot read makes the route answer 500: the run
    fails and names the inserted line, whatever the tests asserted."""
    root = tmp_path / "flask_blog"
    shutil.copytree(FIXTURES / "flask_blog", root, ignore=shutil.ignore_patterns("__pycache__"))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "blog"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
            cwd=root,
            check=True,
            capture_output=True,
        )
    assert main(["edit", "-q", "--allow-dirty", str(root)]) == 0
    # An inserted expression the handler cannot read, as an unsafe edit would write it.
    replace(
        root / "blog" / "posts.py",
        'properties={"post_id": post_id, "comment_id": comment.id},',
        'properties={"post_id": post_id, "words": comment.word_count},',
    )
    (root / "tests" / "test_broken.py").write_text(
        "from blog import create_app\n"
        "from blog.extensions import db\n"
        "from blog.posthog_client import posthog_client\n\n\n"
        "def test_comment_page_answers():\n"
        '    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})\n'
        "    with app.app_context():\n"
        "        db.create_all()\n"
        "    client = app.test_client()\n"
        '    account = {"username": "ada", "email": "ada@example.com", "password": "pw"}\n'
        '    client.post("/auth/signup", data=account)\n'
        '    client.post("/posts/new", data={"title": "t", "body": "b"})\n'
        "    # The test does not look at the status: only the mock host sees the error.\n"
        '    client.post("/posts/1/comments", data={"body": "hi"})\n'
        "    posthog_client.flush()\n"
    )
    assert (
        main(
            [
                "conclude",
                str(root),
                "--run-tests",
                f"{sys.executable} -m pytest -q tests/test_broken.py",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "AttributeError (POST /posts/1/comments), through a line posthog-setup inserted" in err


def test_env_names_the_interpreter_and_timeout_bounds_the_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = integrated("flask_blog", tmp_path)
    assert main(["conclude", "--json", "--env", sys.executable, str(root)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["interpreter"]["python"] == sys.executable
    assert data["interpreter"]["source"] == "--env"
    slow = f"{sys.executable} -c 'import time; time.sleep(30)'"
    assert main(["conclude", str(root), "--run-tests", slow, "--timeout", "2"]) == 1
    assert "did not finish within 2 s" in capsys.readouterr().err
