"""posthog-setup-report.md: the whole report for a fixture, and its parts in other outcomes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from posthog.version import VERSION

from posthog_setup.mockhost import Fault, MockPostHogHost
from posthog_setup.verify.interpreter import Interpreter
from posthog_setup.verify.report import REPORT_FILE, cell
from posthog_setup.workflow.conclude import ConcludeResult, conclude

Copy = Callable[[str], Path]
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(autouse=True)
def no_active_virtualenv(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixtures have no virtualenv: the live check uses this interpreter."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


def normalised(text: str) -> str:
    """The report with this machine's interpreter and versions as placeholders."""
    return (
        text.replace(sys.executable, "{python}")
        .replace(f"Python {sys.version.split()[0]}", "Python {python_version}")
        .replace(f"posthog {VERSION}", "posthog {posthog_version}")
    )


def report_of(result: ConcludeResult) -> str:
    return result.report_path.read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    """The body of one ``## title`` section."""
    start = text.index(f"## {title}\n") + len(title) + 4
    end = text.find("\n## ", start)
    return text[start : end if end != -1 else len(text)].strip("\n")


def test_the_flask_report_is_exactly_the_golden_one(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("flask_blog")
    result = conclude(root, host=mock_host)
    assert result.report_path == root / REPORT_FILE
    assert result.report_changed
    golden = (GOLDEN / "flask_blog-report.md").read_text(encoding="utf-8")
    assert normalised(report_of(result)) == golden


def test_a_tracked_env_file_is_not_said_to_stay_out_of_git(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("flask_blog")
    (root / ".env").write_text("FLASK_DEBUG=1\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-f", ".env"], cwd=root, check=True)
    text = section(report_of(conclude(root, host=mock_host)), "Environment variables")
    assert "`.env` stays out of git" not in text
    assert "`.env` is tracked by git here" in text
    assert "`git rm --cached .env`" in text


def test_events_sent_without_a_person_are_named(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    """A reviewer sees which events go out without a user before merging, not only in the
    plan's ``"distinct_id": null``."""
    summary = section(report_of(conclude(integrated("sanic_tickets"), host=mock_host)), "Summary")
    (line,) = [line for line in summary.splitlines() if "Sent without a person" in line]
    assert line.endswith(": `board_deleted`, `board_renamed`, `ticket_deleted`, `ticket_updated`")
    flask = section(report_of(conclude(integrated("flask_blog"), host=mock_host)), "Summary")
    assert "Sent without a person" not in flask


def test_the_report_is_the_same_on_every_run(integrated: Copy, mock_host: MockPostHogHost) -> None:
    root = integrated("fastapi_tasks")
    first = report_of(conclude(root, host=mock_host))
    again = conclude(root, host=mock_host)
    assert not again.report_changed
    assert report_of(again) == first
    assert "127.0.0.1:" not in first  # no port, no date: nothing per run


def test_a_front_end_adds_the_tracing_headers_item(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    django = section(
        report_of(conclude(integrated("django_shop"), host=mock_host)), "Verify before merging"
    )
    assert (
        "- [ ] The project has a front end: if it runs posthog-js, send the "
        "`X-POSTHOG-DISTINCT-ID` and `X-POSTHOG-SESSION-ID` headers with requests to this back "
        "end, so front-end and back-end events join the same person and session."
    ) in django.splitlines()
    assert (
        "- [ ] Install the dependencies so `posthog` is present wherever the app runs "
        "(`pyproject.toml` lists it): `poetry install`." in django.splitlines()
    )
    fastapi = report_of(conclude(integrated("fastapi_tasks"), host=mock_host))
    assert "X-POSTHOG-DISTINCT-ID" not in fastapi


def test_a_failed_verification_lists_the_problems_and_marks_the_events(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("flask_blog")
    posts = root / "blog/posts.py"
    posts.write_text(posts.read_text().replace('"post_liked"', '"post_likedd"'))
    mock_host.inject(Fault(400))
    text = report_of(conclude(root, host=mock_host))
    assert text.splitlines()[2] == (
        "**Not verified**: static checks, contract replay failed. Fix the problems below and "
        "run it again."
    )
    assert section(text, "Problems to fix").splitlines() == [
        "- blog/posts.py: planned event 'post_liked' is not captured in the code "
        '(no capture("post_liked", ...) in like); the plan and the code disagree: run '
        "posthog-setup revise",
        "- replay: 'post_created' was rejected by the mock host: HTTP 400 injected_fault: "
        "Bad Request",
    ]
    events = section(text, "Events").splitlines()
    assert (
        "| `post_created` | A post was created (POST /api/v1/posts). | `blog/api/v1.py:43` | "
        "✗ rejected by the mock host: HTTP 400 injected_fault: Bad Request |"
    ) in events
    assert (
        "| `post_liked` | A post was liked (POST /posts/<int:post_id>/like). | — | "
        "✗ no capture of 'post_liked' in like |"
    ) in events
    checklist = section(text, "Verify before merging").splitlines()
    assert checklist[0] == (
        "- [ ] Fix the problems listed above, then run `posthog-setup conclude` again."
    )
    assert "- Verification: **failed**, 2 problems (listed below)" in text.splitlines()


def test_a_skipped_live_check_is_explained(integrated: Copy, mock_host: MockPostHogHost) -> None:
    root = integrated("flask_blog")
    python = root / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    python.chmod(0o755)
    result = conclude(root, host=mock_host)
    assert result.verified
    text = report_of(result)
    assert section(text, "Skipped").splitlines()[0] == (
        "- Live check: posthog is not installed in venv/bin/python: "
        "venv/bin/python -m pip install -r requirements.txt"
    )
    assert "| Live check | skipped | posthog is not installed in venv/bin/python:" in text
    assert (
        "- Python for the live check: `venv/bin/python`, the project's virtualenv venv/"
    ) in text.splitlines()
    # Without the live check an event is only "replayed".
    assert "| `blog/posts.py:55` | replayed |" in text


def test_the_tests_column_and_checklist_after_a_test_run(
    integrated: Copy, mock_host: MockPostHogHost
) -> None:
    root = integrated("flask_blog")
    (root / "test_events.py").write_text(
        "from blog.posthog_client import posthog_client\n\n\n"
        "def test_create():\n"
        '    posthog_client.capture("post_created", distinct_id="u1")\n'
        "    posthog_client.flush()\n"
    )
    command = f"{sys.executable} -m pytest -q -p no:cacheprovider test_events.py"
    result = conclude(
        root,
        host=mock_host,
        run_tests=command,
        interpreter=Interpreter(sys.executable, "current", "the test interpreter"),
    )
    assert result.verified, result.failures
    text = report_of(result)
    assert "| `blog/posts.py:55` | replayed, live, seen in tests |" in text
    assert "| `blog/posts.py:101` | replayed, live, not seen in tests |" in text
    assert (
        f"- [x] The test suite passes with the client pointed at the mock host (`{command}`)."
    ) in text.splitlines()
    assert (
        "- Not triggered by the tests (no test reaches their capture): `comment_created`, "
        "`post_deleted`, `post_liked`, `post_updated`, `user_logged_in`, `user_logged_out`, "
        "`user_signed_up`."
    ) in text.splitlines()
    assert (
        "- seen in tests: the project's test suite, run against the mock host, sent the event."
    ) in text.splitlines()


def test_cell_escapes_pipes_and_newlines() -> None:
    assert cell("a | b\nc") == "a \\| b c"


KEYLESS = """\
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
READERS: dict[str, "Reader"] = {}


class Reader(BaseModel):
    nickname: str


class Join(BaseModel):
    nickname: str


@app.post("/readers")
def join(body: Join) -> dict[str, str]:
    reader = Reader(nickname=body.nickname)
    READERS[reader.nickname] = reader
    return {"nickname": reader.nickname}
"""


def test_a_signup_that_identifies_nobody_is_named_by_begin_and_the_report(
    tmp_path: Path, mock_host: MockPostHogHost, capsys: pytest.CaptureFixture[str]
) -> None:
    """A user with no key the analysis can read (no ``id``) is sent as nobody: begin says
    so beside the signup, and the report lists it, never implying it was identified."""
    from posthog_setup.cli import main

    root = tmp_path / "readers"
    (root / "club").mkdir(parents=True)
    (root / "club" / "__init__.py").write_text("")
    (root / "club" / "main.py").write_text(KEYLESS)
    (root / "requirements.txt").write_text("fastapi\n")
    assert main(["begin", str(root)]) == 0
    (line,) = [line for line in capsys.readouterr().err.splitlines() if "signup" in line]
    assert line.endswith(
        "-> user_signed_up (sent without a person: no key of the user is proven readable there)"
    )
    assert main(["edit", "--allow-dirty", str(root)]) == 0
    summary = section(report_of(conclude(root, host=mock_host)), "Summary")
    assert "Logins and signups that identify nobody" in summary
    assert summary.count("`user_signed_up`") == 1
