"""The real-project check's own logic, on a tiny git repository made here."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from posthog_setup.mockhost.store import RecordedEvent

ROOT = Path(__file__).resolve().parents[2]


def _load_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus", ROOT / "benchmarks" / "corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus"] = module
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()

APP = """\
from flask import Flask, jsonify, request

app = Flask(__name__)
NOTES = []


@app.post("/notes")
def create_note():
    note = {"id": len(NOTES) + 1, "text": request.json["text"]}
    NOTES.append(note)
    return jsonify(note), 201


@app.get("/notes")
def list_notes():
    return jsonify(NOTES)
"""

TESTS = """\
import unittest

from app import app


class NotesTest(unittest.TestCase):
    def test_create(self):
        client = app.test_client()
        self.assertEqual(client.post("/notes", json={"text": "hi"}).status_code, 201)

    def test_list(self):
        self.assertEqual(app.test_client().get("/notes").status_code, 200)
"""

LABELS = """\
[[route]]
file = "app.py"
handler = "create_note"
methods = ["POST"]
mutating = true

[[route]]
file = "app.py"
handler = "list_notes"
methods = ["GET"]
"""


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _event(name: str, **properties: object) -> RecordedEvent:
    return RecordedEvent(
        seq=0,
        received_at=0.0,
        path="/batch/",
        token="phc_x",
        event=name,
        distinct_id="d",
        uuid=None,
        timestamp=None,
        properties=dict(properties),
        raw={},
    )


@pytest.mark.parametrize(
    ("output", "counts"),
    [
        ("==== 3 passed, 1 skipped in 0.20s ====", (3, 0)),
        ("==== 2 failed, 5 passed, 1 error in 1.00s ====", (5, 3)),
        ("4 failed, 90 passed, 137 warnings in 4.21s\n", (90, 4)),
        ("Ran 4 tests in 0.010s\n\nOK\n", (4, 0)),
        ("Ran 4 tests in 0.010s\n\nFAILED (failures=1, errors=1)\n", (2, 2)),
        ("Ran 5 tests in 0.010s\n\nOK (skipped=2)\n", (3, 0)),
        ("Traceback (most recent call last):\nImportError: no module", None),
    ],
)
def test_reads_pytest_and_unittest_summaries(output: str, counts: tuple[int, int] | None) -> None:
    assert corpus.parse_test_counts(output) == counts


def test_an_exception_through_an_inserted_line_is_a_broken_route(tmp_path: Path) -> None:
    frame = {"abs_path": str(tmp_path / "app.py"), "lineno": 12}
    other = {"abs_path": str(tmp_path / "app.py"), "lineno": 30}
    events = [
        _event(
            "$exception",
            **{"$exception_list": [{"type": "KeyError", "stacktrace": {"frames": [frame]}}]},
        ),
        _event(
            "$exception",
            **{"$exception_list": [{"type": "ValueError", "stacktrace": {"frames": [other]}}]},
        ),
    ]
    assert corpus.broken_frames(events, tmp_path, {"app.py": {11, 12}}) == ["app.py:12 KeyError"]


def test_write_events_from_get_requests_and_personless_events_are_counted() -> None:
    plan = [
        corpus.PlannedEvent("note_created", "capture", "app.py", "create_note", ("POST",), None, 1),
        corpus.PlannedEvent("user_followed", "capture", "app.py", "follow", ("GET",), None, 0),
    ]
    events = [
        _event("note_created", **{"$request_method": "GET", "note_id": 1}),
        _event("note_created", **{"$request_method": "POST", "$process_person_profile": False}),
        _event("user_followed", **{"$request_method": "GET", "email": "a@b.c"}),
        _event("unrelated", **{"$request_method": "GET"}),
    ]
    score = corpus.score_events(plan, events)
    assert (score.planned, score.seen, score.received) == (2, 2, 4)
    assert score.get_writes == 1  # a GET-only route that writes is not counted
    assert score.anonymous == 1
    assert score.email == 1
    assert score.with_properties == 2


def test_exceptions_of_client_errors_are_counted_apart() -> None:
    def exception(kind: str) -> RecordedEvent:
        return _event("$exception", **{"$exception_list": [{"type": kind}]})

    events = [
        exception("Http404"),
        exception("werkzeug.exceptions.NotFound"),
        exception("KeyError"),
    ]
    score = corpus.score_events([], events)
    assert (score.exceptions, score.client_errors) == (3, 2)


@pytest.mark.parametrize(
    ("event", "why"),
    [
        ("post_created", None),
        ("password_reset_requested", None),
        ("item_created", "item_created (filler: item)"),
        ("auth_generate_completed", "auth_generate_completed (filler: auth, generate)"),
        ("list_action_created", "list_action_created (filler: action, list)"),
        ("data_extraction_created", None),
        ("reset_password_request_reset", "reset_password_request_reset (repeats: reset)"),
    ],
)
def test_poor_event_names_say_why(event: str, why: str | None) -> None:
    assert corpus.poor_name(event) == why


def test_labels_give_recall_precision_and_identify_coverage() -> None:
    labels = corpus.Labels(
        routes=(
            corpus.RouteLabel("a.py", "create", ("POST",), mutating=True),
            corpus.RouteLabel("a.py", "ItemViewSet", ("DELETE",), mutating=True),
            corpus.RouteLabel("a.py", "search", ("POST",), mutating=False),
            corpus.RouteLabel("a.py", "login", ("POST",), mutating=True, auth="login"),
        ),
        auth=("signup",),
        error_handlers=(),
    )
    plan = [
        corpus.PlannedEvent("thing_created", "capture", "a.py", "create", ("POST",), None, 0),
        corpus.PlannedEvent("search_done", "capture", "a.py", "search", ("POST",), None, 0),
        corpus.PlannedEvent("x_made", "capture", "b.py", "other", ("POST",), None, 0),
        corpus.PlannedEvent("user_logged_in", "login", "a.py", "login", ("POST",), None, 0),
    ]
    score = corpus.score_labels(plan, labels)
    assert (score.recall, score.precision, score.identify) == (0.5, pytest.approx(1 / 3), 0.5)
    assert score.unlabelled_captures == 1
    assert "a.py:ItemViewSet" in score.missed


def test_compare_names_what_changed_per_project() -> None:
    old = [{"name": "p", "broken": ["app.py:3 KeyError"], "recall": 0.5}, {"name": "q"}]
    new = [{"name": "p", "broken": [], "recall": 1.0}, {"name": "q"}, {"name": "r"}]
    report = corpus.compare(old, new)
    assert "- p: broken 1 -> 0; recall 0.5 -> 1.0; broken fixed: app.py:3 KeyError" in report
    assert "- q: unchanged" in report
    assert "- r: new" in report


def test_a_missing_clone_says_how_to_get_it(tmp_path: Path) -> None:
    project = corpus.Project(name="p", repo="someone/thing", commit="abc123")
    row = corpus.check_project(project, tmp_path, tmp_path / "work", tmp_path / "cache")
    assert row.status.startswith("missing clone: git clone https://github.com/someone/thing ")
    assert "checkout abc123" in row.status
    assert "| p | missing clone" in corpus.markdown_table([row])


@pytest.mark.slow
def test_whole_check_on_a_tiny_repository(tmp_path: Path) -> None:
    clone = tmp_path / "clones" / "me+notes" / "repo"
    clone.mkdir(parents=True)
    (clone / "app.py").write_text(APP)
    (clone / "test_app.py").write_text(TESTS)
    (clone / "requirements.txt").write_text("flask\n")
    _git(clone, "init", "-q")
    _git(clone, "add", "-A")
    _git(clone, "commit", "-qm", "notes")
    commit = _git(clone, "rev-parse", "HEAD").strip()
    (tmp_path / "corpus.toml").write_text(
        textwrap.dedent(f"""\
        [[project]]
        name = "notes"
        repo = "me/notes"
        commit = "{commit}"
        import = "python -c 'import app'"
        test = "python -m unittest -v"
        """)
    )
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "notes.toml").write_text(LABELS)
    [project] = corpus.load_projects(tmp_path / "corpus.toml")

    row = corpus.check_project(
        project, tmp_path / "clones", tmp_path / "work", tmp_path / "cache", labels, use_venv=False
    )

    assert row.status == "ok", row.log
    assert row.exit is not None
    assert row.idempotent is True
    assert row.parse_errors == []
    assert row.import_before is True
    assert row.tests_before == (2, 0)
    assert row.tests_after is not None
    assert sum(row.tests_after) == 2
    assert row.planned == 1
    assert (row.recall, row.precision) == (1.0, 1.0)
    # The copy is back at the edited commit: the tool's changes are there, nothing else.
    work = tmp_path / "work" / "notes"
    assert "posthog_client" in (work / "app.py").read_text()
    assert _git(work, "status", "--porcelain") == ""
    # The tests either passed after the edit, or the harness names the inserted line that broke.
    assert row.tests_after == (2, 0) or row.broken
    assert json.loads(json.dumps(corpus.row_json(row)))["name"] == "notes"


def test_captures_the_project_sent_before_the_run_are_not_scored_as_the_runs() -> None:
    labels = corpus.Labels(
        routes=(corpus.RouteLabel("a.py", "create", ("POST",), mutating=True),),
        auth=(),
        error_handlers=(),
    )
    plan = [
        corpus.PlannedEvent("thing_created", "capture", "a.py", "create", ("POST",), None, 1),
        corpus.PlannedEvent("page_viewed", "capture", "a.py", "show", (), None, 0),
    ]
    before = {"a.py": "def show():\n    posthog.capture('page_viewed', distinct_id='x')\n"}
    marked = corpus.mark_existing(plan, lambda file: before.get(file, ""))
    assert [e.existing for e in marked] == [False, True]
    assert corpus.score_labels(plan, labels).precision == 0.5
    score = corpus.score_labels(marked, labels)
    assert (score.precision, score.wrong) == (1.0, [])
