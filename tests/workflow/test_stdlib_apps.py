"""The standard library fixtures (an ``http.server`` todo API and a plain WSGI notes app),
edited by ``posthog-setup edit``, served on 127.0.0.1 in a thread and driven with urllib
against the mock host, with the official SDK.

The scripts run in a fresh interpreter (see ``test_edited_apps``); each request's status, or
the exception it raised, is reported in one ``RESULT`` JSON line.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from posthog_setup.cli import main
from tests.workflow.test_edited_apps import (
    BOOM,
    FIXTURES,
    MISSING_TOKEN_WARNING,
    Run,
    _edited_copy,
    _run,
)

USER = "ada-7"
SESSION = "session-from-the-browser"

# Shared by both scripts: one request through urllib (no proxies), its status kept.
_CLIENT = """\
import json
import threading
import urllib.error
import urllib.request

statuses = {}
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(name, method, path, body=None, user="ada-7", headers=None):
    sent = dict(headers or {})
    if user:
        sent["X-User-Id"] = user
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=sent)
    try:
        with opener.open(request, timeout=10) as response:
            statuses[name] = response.status
            text = response.read()
            try:
                return json.loads(text) if text else None
            except ValueError:
                return text.decode("utf-8")
    except urllib.error.HTTPError as error:
        statuses[name] = error.code
    except Exception as error:
        statuses[name] = f"raised {type(error).__name__}"
    return None
"""

HTTP_SERVER_SCRIPT = (
    """
import os
import threading

os.environ["TODOS_DATABASE"] = "todos.sqlite3"
if os.path.exists("todos.sqlite3"):
    os.remove("todos.sqlite3")

from todos import db, server
from todos.posthog_client import posthog_client


class TestHandler(server.TodoHandler):
    def do_GET(self):
        if self.path == "/boom":
            raise RuntimeError("boom from the test route")
        if self.path == "/gone":
            raise BrokenPipeError("the client went away")
        super().do_GET()

    def log_message(self, format, *args):
        pass


db.create_schema()
httpd = server.ThreadingHTTPServer(("127.0.0.1", 0), TestHandler)
httpd.handle_error = lambda request, address: None
threading.Thread(target=httpd.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{httpd.server_address[1]}"
"""
    + _CLIENT
    + """
session = {"X-POSTHOG-SESSION-ID": "session-from-the-browser"}
todo = call("create", "POST", "/todos", {"title": "Write"}, headers=session)
todo_id = todo["id"]
call("create_anonymous", "POST", "/todos", {"title": "Read"}, user=None)
call("create_invalid", "POST", "/todos", {"title": ""})
call("note", "POST", f"/todos/{todo_id}/notes", {"body": "soon"})
call("note_missing", "POST", "/todos/999/notes", {"body": "never"})
call("rename", "PUT", f"/todos/{todo_id}", {"title": "Write more"})
call("rename_missing", "PUT", "/todos/999", {"title": "x"})
call("complete", "PATCH", f"/todos/{todo_id}")
call("nowhere", "POST", "/nowhere", {})
for path in ("/health", "/todos", f"/todos/{todo_id}", "/todos/999"):
    call(f"read GET {path}", "GET", path)
call("boom", "GET", "/boom")
call("gone", "GET", "/gone")
call("delete", "DELETE", f"/todos/{todo_id}")
call("delete_again", "DELETE", f"/todos/{todo_id}")
httpd.shutdown()
posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, "user_id": "ada-7", "todo_id": todo_id}))
"""
)

WSGI_SCRIPT = (
    """
import os
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

os.environ["NOTES_DATABASE"] = "notes.sqlite3"
if os.path.exists("notes.sqlite3"):
    os.remove("notes.sqlite3")

from notes import app
from notes.posthog_client import posthog_client

# Behind the middleware the edit added, a route that fails.
inner = app.application.app


def stream(environ, start_response, fail):
    start_response("200 OK", [("Content-Type", "text/plain")])
    # Produced while the server iterates the body, after the application has returned.
    posthog_client.capture("chunk_streamed")
    if fail:
        raise RuntimeError("boom while streaming")
    yield b"one"
    yield b"two"


def with_boom(environ, start_response):
    if environ["PATH_INFO"] == "/boom":
        raise RuntimeError("boom from the test route")
    if environ["PATH_INFO"].startswith("/stream"):
        return stream(environ, start_response, environ["PATH_INFO"] == "/stream-boom")
    return inner(environ, start_response)


app.application.app = with_boom


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


httpd = make_server("127.0.0.1", 0, app.application, handler_class=QuietHandler)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{httpd.server_address[1]}"
"""
    + _CLIENT
    + """
note = call("create", "POST", "/notes", {"body": "Hello"}, headers={"X-POSTHOG-SESSION-ID": "session-from-the-browser"})
note_id = note["id"]
call("create_invalid", "POST", "/notes", {"body": ""})
call("read GET /notes", "GET", "/notes")
call("read GET /nowhere", "GET", "/nowhere")
call("boom", "GET", "/boom")
call("stream", "GET", "/stream", headers={"X-POSTHOG-SESSION-ID": "streaming-session"})
call("stream_boom", "GET", "/stream-boom")
call("delete_missing", "DELETE", "/notes/999")
call("delete", "DELETE", f"/notes/{note_id}")
httpd.shutdown()
posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, "user_id": "ada-7", "note_id": note_id}))
"""
)

HTTP_STATUSES = {
    "create": 201,
    "create_anonymous": 201,
    "create_invalid": 400,
    "note": 201,
    "note_missing": 404,
    "rename": 200,
    "rename_missing": 404,
    "complete": 200,
    "nowhere": 404,
    "read GET /health": 200,
    "read GET /todos": 200,
    "read GET /todos/1": 200,
    "read GET /todos/999": 404,
    # http.server answers nothing for a request that raised: it closes the connection.
    "boom": "raised RemoteDisconnected",
    # A client that hung up: the server's own problem to log, not an error to report.
    "gone": "raised RemoteDisconnected",
    "delete": 204,
    "delete_again": 404,
}
WSGI_STATUSES = {
    "create": 201,
    "create_invalid": 400,
    "read GET /notes": 200,
    "read GET /nowhere": 404,
    "boom": 500,
    "stream": 200,
    # wsgiref answers 500 when the body fails before its first chunk
    "stream_boom": 500,
    "delete_missing": 404,
    "delete": 204,
}
HTTP_EVENTS = {
    "todo_created": 2,
    "note_created": 1,
    "todo_updated": 1,
    "todo_completed": 1,
    "todo_deleted": 1,
    "$exception": 1,
}
WSGI_EVENTS = {"note_created": 1, "note_deleted": 1, "chunk_streamed": 2, "$exception": 2}
SCRIPTS = {"http_todos": HTTP_SERVER_SCRIPT, "wsgi_notes": WSGI_SCRIPT}


class StdlibRuns:
    """Each fixture is edited once and run once per token mode, on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._projects: dict[str, Path] = {}
        self._runs: dict[tuple[str, bool], Run] = {}

    def run(self, name: str, *, token: bool) -> Run:
        if name not in self._projects:
            self._projects[name] = _edited_copy(name, self.root)
        if (name, token) not in self._runs:
            self._runs[name, token] = _run(self._projects[name], SCRIPTS[name], token=token)
        return self._runs[name, token]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> StdlibRuns:
    return StdlibRuns(tmp_path_factory.mktemp("stdlib_apps"))


@pytest.mark.parametrize(
    ("name", "statuses"), [("http_todos", HTTP_STATUSES), ("wsgi_notes", WSGI_STATUSES)]
)
def test_every_request_answers_as_before(
    runs: StdlibRuns, name: str, statuses: dict[str, object]
) -> None:
    """The edited server answers every request as the unedited one would."""
    run = runs.run(name, token=True)
    assert run.statuses == statuses, run.stderr


@pytest.mark.parametrize(
    ("name", "events"), [("http_todos", HTTP_EVENTS), ("wsgi_notes", WSGI_EVENTS)]
)
def test_only_the_writing_branches_send_events(
    runs: StdlibRuns, name: str, events: dict[str, int]
) -> None:
    """One event per successful write; none from reads, 400s or 404s; one $exception."""
    run = runs.run(name, token=True)
    assert Counter(item.event for item in run.events) == Counter(events), run.describe()
    reads = {tuple(key.split(" ")[1:]) for key in run.statuses if key.startswith("read ")}
    from_reads = [
        item
        for item in run.events
        if (item.properties.get("$request_method"), item.properties.get("$request_path")) in reads
    ]
    assert from_reads == [], run.describe()


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_events_carry_the_user_the_handler_reads(runs: StdlibRuns, name: str) -> None:
    """Events of a request with the user's header go out as that user; one without it
    is not sent as a made-up user such as "None"."""
    run = runs.run(name, token=True)
    captured = [item for item in run.events if item.event not in ("$exception", "chunk_streamed")]
    as_user = [item for item in captured if item.distinct_id == USER]
    others = [item for item in captured if item.distinct_id != USER]
    assert len(as_user) == len(captured) - (1 if name == "http_todos" else 0), run.describe()
    assert all(item.distinct_id not in ("None", "", None) for item in others), run.describe()


def test_path_ids_the_handler_reads_go_on_its_events(runs: StdlibRuns) -> None:
    """``todo_id = int(...)`` read out of the path, then written: the event carries it."""
    run = runs.run("http_todos", token=True)
    for event in ("note_created", "todo_updated", "todo_deleted"):
        values = [item.properties.get("todo_id") for item in run.named(event)]
        assert values == [run.result["todo_id"]], f"{event}\n{run.describe()}"
    run = runs.run("wsgi_notes", token=True)
    deleted = [item.properties.get("note_id") for item in run.named("note_deleted")]
    assert deleted == [run.result["note_id"]], run.describe()


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_request_context_reads_the_session_header(runs: StdlibRuns, name: str) -> None:
    """The request that sent X-POSTHOG-SESSION-ID puts its created event in that session."""
    run = runs.run(name, token=True)
    created = [item for item in run.events if item.event.endswith("_created")]
    sessions = [item.properties.get("$session_id") for item in created]
    assert sessions[0] == SESSION, run.describe()
    assert all(session is None for session in sessions[1:]), run.describe()


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_unhandled_error_sends_one_exception(runs: StdlibRuns, name: str) -> None:
    """The route that raises sends exactly one $exception naming the error, with its path."""
    run = runs.run(name, token=True)
    exceptions = [e for e in run.named("$exception") if e.properties["$request_path"] == "/boom"]
    assert len(exceptions) == 1, run.describe()
    listed = [(e.get("type"), e.get("value")) for e in exceptions[0].properties["$exception_list"]]
    assert listed == [("RuntimeError", BOOM)], run.describe()


def test_a_lazy_wsgi_body_is_produced_in_the_request_context(runs: StdlibRuns) -> None:
    """Events and errors of a body the application yields after it returned belong to the
    request: its path, its session, one $exception for the failure."""
    run = runs.run("wsgi_notes", token=True)
    streamed = {
        str(item.properties.get("$request_path")): item for item in run.named("chunk_streamed")
    }
    assert sorted(streamed) == ["/stream", "/stream-boom"], run.describe()
    assert streamed["/stream"].properties.get("$session_id") == "streaming-session"
    failed = [e for e in run.named("$exception") if e.properties["$request_path"] == "/stream-boom"]
    assert len(failed) == 1, run.describe()


@pytest.mark.parametrize(
    ("name", "statuses"), [("http_todos", HTTP_STATUSES), ("wsgi_notes", WSGI_STATUSES)]
)
def test_without_token_nothing_is_sent(
    runs: StdlibRuns, name: str, statuses: dict[str, object]
) -> None:
    """Without a token every request still answers, and the mock host receives nothing."""
    run = runs.run(name, token=False)
    assert run.statuses == statuses, run.stderr
    assert MISSING_TOKEN_WARNING in run.stderr
    assert run.events == [], run.describe()


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_the_edited_tree_checks_clean_and_concludes(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once edited, revise finds nothing missing (each branch's capture is found in its
    branch) and conclude verifies the plan."""
    root = tmp_path / name
    shutil.copytree(FIXTURES / "expected" / name, root)
    assert main(["revise", "--check", str(root)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["conclude", "--json", str(root)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verified"] is True
    statuses = {check["name"]: check["status"] for check in data["checks"]}
    assert statuses["static"] == statuses["replay"] == statuses["live"] == "pass"
