"""http.server and WSGI analysis: a route per path branch, the capture on the branch's
success path (never in a 4xx branch, never on a read), the user the handler reads."""

from __future__ import annotations

import pytest

from posthog_setup.analysis.model import Route
from posthog_setup.frameworks.stdlib.dispatch import regex_path
from tests.analysis.web_helpers import analyse_one

HANDLER = """
import re
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlparse


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        user_id = self.headers.get("X-User-Id")
        parsed = urlparse(self.path)
        if parsed.path == "/todos":
            self.db.execute("INSERT INTO todos (title) VALUES (?)", ("a",))
            self.db.commit()
            self.send_response(201)
            self.end_headers()
        elif parsed.path.startswith("/todos/"):
            self.send_error(404)
        elif parsed.path in ("/ping", "/pong"):
            self.send_response(200)
            self.end_headers()
        else:
            self.send_error(404)

    def do_DELETE(self):
        if match := re.match(r"^/notes/(\\d+)$", self.path):
            if not self.allowed():
                self.send_response(403)
                self.end_headers()
                return
            self.db.execute("DELETE FROM notes WHERE id = ?", (match.group(1),))
            self.send_response(204)
            self.end_headers()

    def do_GET(self):
        if self.path == "/todos":
            self.send_response(200)
"""

WSGI = """
def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    method = environ["REQUEST_METHOD"]
    if path == "/notes":
        if method == "POST":
            start_response("201 Created", [])
            return [b"made"]
        if method == "GET":
            start_response("200 OK", [])
            return [b"[]"]
    if path.startswith("/notes/") and method == "DELETE":
        start_response("400 Bad Request", [])
        return [b"no"]
    start_response("404 Not Found", [])
    return [b""]
"""


def _routes(source: str) -> dict[tuple[str, tuple[str, ...]], Route]:
    return {(r.path, r.methods): r for r in analyse_one(source).routes}


def test_each_path_branch_of_a_handler_method_is_a_route() -> None:
    routes = _routes(HANDLER)
    assert sorted(routes) == [
        ("/notes/<id>", ("DELETE",)),
        ("/ping", ("POST",)),
        ("/pong", ("POST",)),
        ("/todos", ("GET",)),
        ("/todos", ("POST",)),
        ("/todos/<id>", ("POST",)),
    ]


def test_the_capture_goes_after_the_branch_write_with_the_header_user() -> None:
    created = _routes(HANDLER)[("/todos", ("POST",))]
    assert created.mutating
    assert created.written == ("todos",)
    assert created.anchor is not None
    assert not created.anchor.before
    # after the commit, the last write of the branch
    assert created.anchor.line == HANDLER.splitlines().index("            self.db.commit()") + 1
    assert created.user_access is not None
    assert created.user_access.id_expression == "user_id"
    assert "user_id" in created.proven


def test_a_branch_that_answers_an_error_gets_no_capture() -> None:
    routes = _routes(HANDLER)
    assert routes[("/todos/<id>", ("POST",))].anchor is None
    # The write after a 403 that returns early is still captured, after the write.
    deleted = routes[("/notes/<id>", ("DELETE",))]
    assert deleted.written == ("notes",)
    assert deleted.anchor is not None


def test_a_read_branch_sends_nothing() -> None:
    assert not _routes(HANDLER)[("/todos", ("GET",))].mutating


def test_wsgi_branches_on_path_and_method() -> None:
    routes = _routes(WSGI)
    assert sorted(routes) == [
        ("/notes", ("GET",)),
        ("/notes", ("POST",)),
        ("/notes/<id>", ("DELETE",)),
    ]
    created = routes[("/notes", ("POST",))]
    assert created.anchor is not None
    assert created.anchor.before  # before start_response(201)
    # start_response("400 ...") first: an error answer, no capture
    assert routes[("/notes/<id>", ("DELETE",))].anchor is None


def test_only_module_level_wsgi_callables_of_plain_modules() -> None:
    framework = "from flask import Flask\napp = Flask(__name__)\n" + WSGI
    assert [a.kind for a in analyse_one(framework).apps] == ["flask.Flask"]
    method = "class Middleware:\n" + "\n".join(
        "    " + line for line in WSGI.replace("(environ", "(self, environ").splitlines()
    )
    assert analyse_one(method).apps == ()


@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        (r"^/todos/(\d+)$", "/todos/<id>"),
        (r"^/users/(?P<user_id>\w+)/notes/?$", "/users/<user_id>/notes"),
        (r"^/todos$", "/todos"),
        (r"^/(todos|notes)$", None),
        (r"todos.*", None),
    ],
)
def test_regex_paths(pattern: str, path: str | None) -> None:
    assert regex_path(pattern) == path


TABLES = """
from http.server import BaseHTTPRequestHandler


def create_note(environ, start_response):
    db.execute("INSERT INTO notes (body) VALUES (?)", ("a",))
    start_response("201 Created", [])
    return [b""]


def list_notes(environ, start_response):
    start_response("200 OK", [])
    return [b"[]"]


ROUTES = {("POST", "/notes"): create_note, ("GET", "/notes"): list_notes}


def application(environ, start_response):
    handler = ROUTES.get((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
    if handler is None:
        start_response("404 Not Found", [])
        return [b""]
    return handler(environ, start_response)


class Handler(BaseHTTPRequestHandler):
    def add_todo(self):
        self.store.add({"title": "a"})
        self.send_response(201)

    def clear_done(self):
        self.store.delete(done=True)
        self.send_response(204)

    routes = {"/todos": add_todo}

    def do_POST(self):
        extra = {"/todos/done": self.clear_done}
        action = self.routes.get(self.path) or extra.get(self.path)
        if action is None:
            self.send_error(404)
            return
        action(self)
"""


def test_route_tables_route_each_entry_to_the_function_it_names() -> None:
    analysis = analyse_one(TABLES)
    rows = sorted((r.path, r.methods, r.handler.qualname, r.mutating) for r in analysis.routes)
    assert rows == [
        ("/notes", ("GET",), "list_notes", False),
        ("/notes", ("POST",), "create_note", True),
        ("/todos", ("POST",), "Handler.add_todo", True),
        ("/todos/done", ("POST",), "Handler.clear_done", True),
    ]
    # The functions the table names are routes of the application, not applications.
    assert [(a.kind, a.name) for a in analysis.apps] == [
        ("http.server.handler", "app.Handler"),
        ("wsgi.application", "app.application"),
    ]


def test_an_instance_of_a_wsgi_class_is_the_application() -> None:
    analysis = analyse_one(
        """
        class Notes:
            def __call__(self, env, start):
                if env["PATH_INFO"] == "/notes" and env["REQUEST_METHOD"] == "POST":
                    return self.create(env, start)
                start("404 Not Found", [])
                return [b""]

            def create(self, env, start):
                self.db.commit()
                start("201 Created", [])
                return [b""]


        app = Notes()
        """
    )
    assert [(a.kind, a.name) for a in analysis.apps] == [("wsgi.application", "app.app")]
    [route] = analysis.routes
    assert (route.path, route.methods, route.handler.qualname) == (
        "/notes",
        ("POST",),
        "Notes.create",
    )
    assert route.mutating
    assert route.anchor is not None


def test_a_path_parameter_is_named_after_the_local_it_is_read_into() -> None:
    routes = _routes(
        """
        from http.server import BaseHTTPRequestHandler


        class Handler(BaseHTTPRequestHandler):
            def do_DELETE(self):
                if self.path.startswith("/todos/"):
                    todo_id = int(self.path.rsplit("/", 1)[1])
                    self.db.execute("DELETE FROM todos WHERE id = ?", (todo_id,))
                    self.send_response(204)
                elif self.path.startswith("/notes/"):
                    self.db.execute("DELETE FROM notes WHERE id = ?", (self.path[7:],))
                    note_id = int(self.path[7:])
                    self.send_response(204)
        """
    )
    # The local read before the write is proven at the capture; the one read after is not.
    assert sorted(routes) == [("/notes/<id>", ("DELETE",)), ("/todos/<todo_id>", ("DELETE",))]


def test_a_middleware_handing_every_request_on_is_not_an_application() -> None:
    analysis = analyse_one(
        """
        from blog.wsgi import app as blog


        class Prefixed:
            def __init__(self, app):
                self.app = app

            def __call__(self, environ, start_response):
                environ["SCRIPT_NAME"] = "/blog"
                return self.app(environ, start_response)


        def passthrough(environ, start_response):
            return blog(environ, start_response)


        application = Prefixed(blog)
        """
    )
    assert analysis.apps == ()


HANDED_ON = """
from http.server import BaseHTTPRequestHandler


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.handle_post()

    def do_PUT(self):
        self.answer()

    def do_DELETE(self):
        self.answer()

    def do_PATCH(self):
        self.log_request(200)

    def handle_post(self):
        if self.path == "/messages":
            self.db.execute("INSERT INTO messages (body) VALUES ('hi')")
            self.send_response(201)

    def answer(self):
        if self.path == "/messages":
            self.db.execute("DELETE FROM messages")
            self.send_response(204)
"""


def test_a_method_one_do_method_hands_the_request_to_is_where_it_dispatches() -> None:
    routes = _routes(HANDED_ON)
    created = routes[("/messages", ("POST",))]
    assert created.handler.qualname == "Handler.handle_post"
    assert created.written == ("messages",)
    # Shared by PUT and DELETE: a capture there would run for both; each is one route at
    # "/" that shows no write of its own.
    assert not routes[("/", ("PUT",))].mutating
    assert not routes[("/", ("DELETE",))].mutating
    # Answers every path and writes nothing: no event to name.
    assert not routes[("/", ("PATCH",))].mutating


def test_a_match_on_the_path_gives_a_route_per_case() -> None:
    routes = _routes(
        """
        def application(environ, start_response):
            match environ["PATH_INFO"]:
                case "/notes" | "/memos":
                    if environ["REQUEST_METHOD"] == "POST":
                        db.execute("INSERT INTO notes (body) VALUES ('a')")
                        start_response("201 Created", [])
                        return [b""]
                case "/health":
                    start_response("200 OK", [])
                    return [b"ok"]
                case _:
                    start_response("404 Not Found", [])
                    return [b""]
        """
    )
    assert sorted(routes) == [
        ("/health", ("GET",)),
        ("/memos", ("POST",)),
        ("/notes", ("POST",)),
    ]
    assert routes[("/notes", ("POST",))].anchor is not None
