"""The http.server and WSGI hook-ups: before/after cases; the generated modules run in the
fixtures' runtime tests (tests/workflow/test_stdlib_apps.py)."""

from __future__ import annotations

import textwrap

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, EditError
from posthog_setup.frameworks.stdlib.analysis import HANDLER, WSGI_APP
from posthog_setup.frameworks.stdlib.hookup import (
    MIDDLEWARE_MODULE,
    MIXIN_MODULE,
    generated_import,
    hook_up_http_server,
    hook_up_wsgi,
)

CLIENT = ClientImport("myapp.posthog_client")


def _http(source: str, name: str = "Handler") -> str:
    app = AppObject(HANDLER, f"myapp.server.{name}", "myapp/server.py", 0)
    mixin = generated_import(MIXIN_MODULE, CLIENT)
    return hook_up_http_server(source, app.file, app, CLIENT, mixin)


def _wsgi(source: str, name: str = "application") -> str:
    app = AppObject(WSGI_APP, f"myapp.app.{name}", "myapp/app.py", 0)
    return hook_up_wsgi(source, app.file, app, generated_import(MIDDLEWARE_MODULE, CLIENT))


def check(edit: object, before: str, after: str) -> None:
    """``before`` (dedented) becomes exactly ``after`` (dedented), which compiles and a
    second run leaves alone."""
    assert callable(edit)
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    assert edit(before) == after
    compile(after, "<expected>", "exec")
    assert edit(after) == after


def test_the_request_context_goes_first_and_the_server_flushes_when_it_stops() -> None:
    check(
        _http,
        """\
        from http.server import BaseHTTPRequestHandler, HTTPServer


        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.send_response(201)


        def main():
            server = HTTPServer(("127.0.0.1", 8000), Handler)
            server.serve_forever()
        """,
        """\
        from http.server import BaseHTTPRequestHandler, HTTPServer

        from myapp.posthog_client import posthog_client
        from myapp.posthog_http_server import PosthogRequestContext


        class Handler(PosthogRequestContext, BaseHTTPRequestHandler):
            def do_POST(self):
                self.send_response(201)


        def main():
            server = HTTPServer(("127.0.0.1", 8000), Handler)
            try:
                server.serve_forever()
            finally:
                posthog_client.flush()
        """,
    )


def test_a_server_started_elsewhere_gets_only_the_base() -> None:
    check(
        _http,
        """\
        import http.server


        class Handler(http.server.SimpleHTTPRequestHandler):
            pass
        """,
        """\
        import http.server

        from myapp.posthog_http_server import PosthogRequestContext


        class Handler(PosthogRequestContext, http.server.SimpleHTTPRequestHandler):
            pass
        """,
    )


def test_a_missing_handler_class_is_an_error_naming_the_file() -> None:
    with pytest.raises(EditError, match=r"myapp/server\.py: .*Handler"):
        _http("x = 1\n")


def test_the_wsgi_callable_is_wrapped_right_after_its_definition() -> None:
    check(
        _wsgi,
        """\
        import os


        def application(environ, start_response):
            start_response("200 OK", [])
            return [b""]


        if __name__ == "__main__":
            from wsgiref.simple_server import make_server

            make_server("127.0.0.1", 8000, application).serve_forever()
        """,
        """\
        import os

        from myapp.posthog_wsgi import PosthogWSGIMiddleware


        def application(environ, start_response):
            start_response("200 OK", [])
            return [b""]


        application = PosthogWSGIMiddleware(application)


        if __name__ == "__main__":
            from wsgiref.simple_server import make_server

            make_server("127.0.0.1", 8000, application).serve_forever()
        """,
    )


def test_an_instance_of_an_application_class_is_wrapped_where_it_is_made() -> None:
    check(
        lambda source: _wsgi(source, "app"),
        """\
        import os


        class App:
            def __call__(self, environ, start_response):
                return []


        app = App()
        """,
        """\
        import os

        from myapp.posthog_wsgi import PosthogWSGIMiddleware


        class App:
            def __call__(self, environ, start_response):
                return []


        app = App()

        app = PosthogWSGIMiddleware(app)
        """,
    )
