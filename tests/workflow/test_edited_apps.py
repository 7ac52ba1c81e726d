"""The fixtures, edited by ``posthog-setup edit``, served and driven against the mock host.

Each fixture is copied, edited in-process, then run in a fresh interpreter (so its top-level
packages stay out of this process) with the framework's test client. The mock host runs
here and records what the edited app delivers; the app flushes its client before exiting.

The subprocess script reports every request's status (or the exception a request raised, so a
crash in one flow never hides the others) and the ids it learned, as one ``RESULT`` JSON line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from posthog_setup.cli import main
from posthog_setup.mockhost import MockPostHogHost, RecordedEvent

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TOKEN = "phc_test_token"
RESULT_PREFIX = "RESULT "
MISSING_TOKEN_WARNING = "POSTHOG_PROJECT_TOKEN variable required by PostHog is missing"
BOOM = "boom from the test route"

# Shared by every script: run one request, keep its status or the exception it raised.
_RECORD = """\
import json

statuses = {}


def record(name, call):
    try:
        response = call()
    except Exception as error:
        statuses[name] = f"raised {type(error).__name__}: {error}"
        return None
    statuses[name] = response.status_code
    return response


def boom():
    raise RuntimeError("boom from the test route")
"""

FLASK_SCRIPT = (
    _RECORD
    + """
from blog import create_app
from blog.extensions import db
from blog.models import Post, User
from blog.posthog_client import posthog_client

app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
app.add_url_rule("/boom", view_func=boom)
# Not testing mode, and no propagation: the app's own error handlers answer the failure.
app.testing = False
app.config["PROPAGATE_EXCEPTIONS"] = False
with app.app_context():
    db.create_all()

client = app.test_client()
account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
record("signup", lambda: client.post("/auth/signup", data=account))
record("logout", lambda: client.get("/auth/logout"))
record("login", lambda: client.post("/auth/login", data=account))
record("create", lambda: client.post("/posts/new", data={"title": "Hello", "body": "First"}))
with app.app_context():
    user = User.query.filter_by(username="ada").one()
    user_id, api_token = user.id, user.api_token
    post_ids = [post.id for post in Post.query.order_by(Post.id)]
bearer = {"Authorization": f"Bearer {api_token}"}
api = record("api_create", lambda: client.post("/api/v1/posts", json={"title": "API"}, headers=bearer))
if api is not None and api.status_code == 201:
    post_ids.append(api.get_json()["id"])
for method, path, data in [
    ("GET", "/posts/", None),
    ("GET", f"/posts/{post_ids[0]}", None),
    ("POST", "/posts/search", {"q": "Hel"}),
    ("GET", "/api/v1/posts", None),
]:
    record(f"read {method} {path}", lambda: client.open(path, method=method, data=data))
record("boom", lambda: client.get("/boom"))
posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, "user_id": str(user_id), "post_ids": post_ids}))
"""
)

RESTX_SCRIPT = (
    _RECORD
    + """
from flask_restx import Resource

from shelf import create_app
from shelf.api import books
from shelf.extensions import db
from shelf.models import Member
from shelf.posthog_client import posthog_client


class Boom(Resource):
    def get(self):
        boom()


# A resource of the API itself, so the failure goes through Flask-RESTX's error handling.
books.ns.add_resource(Boom, "/boom")
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
with app.app_context():
    db.create_all()

client = app.test_client()
account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
record("signup", lambda: client.post("/api/v1/auth/signup", json=account))
record("logout", lambda: client.post("/api/v1/auth/logout"))
record("login", lambda: client.post("/api/v1/auth/login", json=account))
book = record("book_create", lambda: client.post("/api/v1/books", json={"title": "Dune"}))
book_id = book.get_json()["id"]
record("book_update", lambda: client.patch(f"/api/v1/books/{book_id}", json={"author": "Herbert"}))
record("loan", lambda: client.post(f"/api/v1/books/{book_id}/loan"))
# Refused: the book is already on loan (409), the rating is out of range (400).
record("loan_again", lambda: client.post(f"/api/v1/books/{book_id}/loan"))
record("review_invalid", lambda: client.post(f"/api/v1/books/{book_id}/reviews", json={"rating": 9}))
review = {"rating": 5, "body": "Sand"}
record("review_create", lambda: client.post(f"/api/v1/books/{book_id}/reviews", json=review))
spare = record("spare_create", lambda: client.post("/api/v1/books", json={"title": "Emma"}))
spare_id = spare.get_json()["id"]
record("book_delete", lambda: client.delete(f"/api/v1/books/{spare_id}"))
for method, path, body in [
    ("GET", "/api/v1/books", None),
    ("GET", f"/api/v1/books/{book_id}", None),
    ("POST", "/api/v1/books/search", {"q": "Du"}),
    ("GET", f"/api/v1/books/{book_id}/reviews", None),
    ("GET", "/api/v1/auth/me", None),
]:
    record(f"read {method} {path}", lambda: client.open(path, method=method, json=body))
record("boom", lambda: client.get("/api/v1/books/boom"))
with app.app_context():
    user_id = Member.query.filter_by(username="ada").one().id
posthog_client.flush()
ids = {"created": [book_id, spare_id], "changed": [book_id], "deleted": [spare_id]}
print("RESULT " + json.dumps({"statuses": statuses, "user_id": str(user_id), **ids}))
"""
)

FASTAPI_SCRIPT = (
    _RECORD
    + """
from fastapi.testclient import TestClient

from tasks.main import app
from tasks.posthog_client import posthog_client

app.add_api_route("/boom", boom)
ids = {}
# raise_server_exceptions=False: the failing route answers 500 instead of raising here.
with TestClient(app, raise_server_exceptions=False) as client:
    account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
    signup = record("signup", lambda: client.post("/auth/signup", json=account))
    ids["user_id"] = str(signup.json()["id"])
    token = record("login", lambda: client.post("/auth/token", json=account)).json()
    auth = {"Authorization": "Bearer " + token["access_token"]}
    project = record(
        "project_create", lambda: client.post("/api/v1/projects", json={"name": "Home"}, headers=auth)
    )
    ids["project_ids"] = [project.json()["id"]]
    new_task = {"title": "Dishes", "project_id": ids["project_ids"][0]}
    task = record("task_create", lambda: client.post("/api/v1/tasks", json=new_task, headers=auth))
    ids["task_ids"] = [task.json()["id"]]
    ids["task_title_lengths"] = [len(new_task["title"])]
    for method, path, body in [
        ("GET", "/health", None),
        ("GET", "/api/v1/projects", None),
        ("GET", "/api/v1/tasks", None),
        ("GET", f"/api/v1/projects/{ids['project_ids'][0]}/tasks", None),
        ("POST", "/api/v1/tasks/search", {"text": "Dish"}),
    ]:
        record(
            f"read {method} {path}",
            lambda: client.request(method, path, json=body, headers=auth),
        )
    record("boom", lambda: client.get("/boom"))
    record("logout", lambda: client.post("/auth/logout", headers=auth))
    # Flushed inside the block: leaving it runs the lifespan, which shuts the client down.
    posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, **ids}))
"""
)

STARLETTE_SCRIPT = (
    _RECORD
    + """
import os

os.environ["NOTES_DATABASE"] = ":memory:"

from starlette.testclient import TestClient

from notes.app import app
from notes.posthog_client import posthog_client

app.add_route("/boom", lambda request: boom())
ids = {"note_ids": []}
with TestClient(app, raise_server_exceptions=False) as client:
    account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
    signup = record("signup", lambda: client.post("/auth/signup", json=account))
    ids["user_id"] = str(signup.json()["id"])
    record("logout", lambda: client.post("/auth/logout"))
    record("login", lambda: client.post("/auth/login", json=account))
    note = record("create", lambda: client.post("/api/notes", json={"title": "Groceries"}))
    note_id = note.json()["id"]
    update = {"title": "Groceries", "body": "tea"}
    record("update", lambda: client.put(f"/api/notes/{note_id}", json=update))
    ids["note_ids"].append(note_id)
    record("pin", lambda: client.post(f"/api/notes/{note_id}/pin"))
    for method, path, body in [
        ("GET", "/health", None),
        ("GET", "/api/notes", None),
        ("GET", f"/api/notes/{note_id}", None),
        ("POST", "/api/notes/search", {"q": "Gro"}),
    ]:
        record(f"read {method} {path}", lambda: client.request(method, path, json=body))
    record("boom", lambda: client.get("/boom"))
    record("delete", lambda: client.delete(f"/api/notes/{note_id}"))
    posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, **ids}))
"""
)

QUART_SCRIPT = (
    _RECORD
    + """
import asyncio

from recipes import create_app
from recipes.posthog_client import posthog_client

app = create_app({"DATABASE": ":memory:"})
app.add_url_rule("/boom", view_func=boom)
# No propagation: Quart answers the failure with a 500 through the app's error handler.
app.config["PROPAGATE_EXCEPTIONS"] = False


async def arecord(name, call):
    try:
        response = await call()
    except Exception as error:
        statuses[name] = f"raised {type(error).__name__}: {error}"
        return None
    statuses[name] = response.status_code
    return response


async def flows():
    ids = {"recipe_ids": []}
    client = app.test_client()
    account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
    signup = await arecord("signup", lambda: client.post("/auth/signup", json=account))
    ids["user_id"] = str((await signup.get_json())["id"])
    await arecord("logout", lambda: client.post("/auth/logout"))
    await arecord("login", lambda: client.post("/auth/login", json=account))
    recipe = {"title": "Soup", "minutes": 30}
    created = await arecord("create", lambda: client.post("/api/recipes/", json=recipe))
    recipe_id = (await created.get_json())["id"]
    ids["recipe_ids"].append(recipe_id)
    path = f"/api/recipes/{recipe_id}"
    await arecord("update", lambda: client.put(path, json={"title": "Hot soup"}))
    comment = {"body": "Lovely"}
    await arecord("comment", lambda: client.post(f"{path}/comments", json=comment))
    for read in ["/health", "/api/recipes/", path, f"{path}/comments"]:
        await arecord(f"read GET {read}", lambda: client.get(read))
    await arecord("boom", lambda: client.get("/boom"))
    await arecord("delete", lambda: client.delete(path))
    return ids


ids = asyncio.run(flows())
posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, **ids}))
"""
)

LITESTAR_SCRIPT = (
    _RECORD
    + """
from litestar import get
from litestar.testing import TestClient

from shelf.app import create_app
from shelf.posthog_client import posthog_client


@get("/boom", exclude_from_auth=True, sync_to_thread=False)
def boom_route() -> None:
    boom()


app = create_app()
app.register(boom_route)
ids = {}
# raise_server_exceptions=False: the failing route answers 500 instead of raising here.
with TestClient(app=app, raise_server_exceptions=False) as client:
    account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
    signup = record("signup", lambda: client.post("/auth/signup", json=account))
    ids["user_id"] = str(signup.json()["id"])
    record("logout", lambda: client.post("/auth/logout"))
    record("login", lambda: client.post("/auth/login", json=account))
    shelf = record("shelf_create", lambda: client.post("/api/shelves", json={"name": "Summer"}))
    ids["shelf_ids"] = [shelf.json()["id"]]
    new_book = {"title": "Dune", "author": "Herbert", "shelf_id": ids["shelf_ids"][0]}
    book = record("book_create", lambda: client.post("/api/books", json=new_book))
    ids["book_ids"] = [book.json()["id"]]
    record("book_finish", lambda: client.put(f"/api/books/{ids['book_ids'][0]}/finish"))
    rename = {"name": "Winter"}
    record("shelf_rename", lambda: client.patch(f"/api/shelves/{ids['shelf_ids'][0]}", json=rename))
    for method, path, body in [
        ("GET", "/health", None),
        ("GET", "/api/shelves", None),
        ("GET", "/api/books", None),
        ("POST", "/api/books/search", {"text": "Du"}),
        # A 404 from the app's own handler: no write, and no $exception.
        ("DELETE", "/api/shelves/999", None),
    ]:
        record(f"read {method} {path}", lambda: client.request(method, path, json=body))
    record("boom", lambda: client.get("/boom"))
    record("shelf_delete", lambda: client.delete(f"/api/shelves/{ids['shelf_ids'][0]}"))
    # Flushed inside the block too: the events are sent whether or not shutdown runs.
    posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, **ids}))
"""
)

FALCON_SCRIPT = (
    _RECORD
    + """
import falcon.testing

from marks.app import create_app
from marks.posthog_client import posthog_client


class BoomResource:
    public = True

    def on_get(self, req, resp):
        boom()


app = create_app()
app.add_route("/boom", BoomResource())
client = falcon.testing.TestClient(app)
ids = {}
account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
signup = record("signup", lambda: client.simulate_post("/auth/signup", json=account))
ids["user_id"] = signup.json["id"]
# Falcon's test client keeps no cookies: each request carries the session it means.
signed_up = {"Cookie": f"marks_session={signup.cookies['marks_session'].value}"}
record("logout", lambda: client.simulate_post("/auth/logout", headers=signed_up))
login = record("login", lambda: client.simulate_post("/auth/login", json=account))
cookie = {"Cookie": f"marks_session={login.cookies['marks_session'].value}"}


def call(method, path, body=None):
    return client.simulate_request(method, path, json=body, headers=cookie)


made = record("bookmark_create", lambda: call("POST", "/bookmarks", {"url": "https://a.example"}))
ids["bookmark_ids"] = [made.json["id"]]
path = f"/bookmarks/{ids['bookmark_ids'][0]}"
record("bookmark_update", lambda: call("PATCH", path, {"title": "A", "archived": True}))
record("tag_create", lambda: call("POST", "/tags", {"name": "reading"}))
# A unique constraint answered 409 by the app's own handler: no write, no $exception.
record("tag_again", lambda: call("POST", "/tags", {"name": "reading"}))
record("bad_bookmark", lambda: call("POST", "/bookmarks", {"url": "ftp://x"}))
for method, target, body in [
    ("GET", "/health", None),
    ("GET", "/bookmarks", None),
    ("GET", path, None),
    ("POST", "/bookmarks/search", {"text": "A"}),
    # A 404 the app raises as falcon.HTTPNotFound: a 4xx, never an $exception.
    ("GET", "/bookmarks/999", None),
]:
    record(f"read {method} {target}", lambda: call(method, target, body))
# Logged in: the error goes out as the user.
record("boom", lambda: call("GET", "/boom"))
record("bookmark_delete", lambda: call("DELETE", path))
posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, **ids}))
"""
)

BOTTLE_SCRIPT = (
    _RECORD
    + """
from notes.main import application
from notes.posthog_client import posthog_client
from notes.web import app
from tests.client import Client

app.route("/boom", callback=boom)
client = Client(application)
ids = {}
account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
signup = record("signup", lambda: client.post("/signup", data=account))
ids["user_id"] = str(signup.json()["id"])
record("logout", lambda: client.get("/logout"))
record("login", lambda: client.post("/login", data=account))
new = {"title": "Hello", "body": "First"}
record("note_create", lambda: client.post("/notes/new", data=new))
record("note_invalid", lambda: client.post("/notes/new", data={"title": ""}))
record("note_pin", lambda: client.post("/notes/1/pin"))
ids["pinned_ids"] = [1]
created = record("api_create", lambda: client.post("/api/notes", json_body={"title": "Dune"}))
note_id = created.json()["id"]
rename = {"title": "Dune II"}
record("api_rename", lambda: client.put(f"/api/notes/{note_id}", json_body=rename))
ids["renamed_ids"] = [note_id]
feed = record("feed_create", lambda: client.post("/feeds/", json_body={"url": "https://x.test/"}))
ids["feed_ids"] = [feed.json()["id"]]
record("feed_archive", lambda: client.post(f"/feeds/{ids['feed_ids'][0]}/archive"))
for method, path in [
    ("GET", "/health"),
    ("GET", "/notes"),
    # The GET branch of the GET and POST route: a form, no note.
    ("GET", "/notes/new"),
    ("GET", "/notes/1"),
    ("POST", "/notes/search"),
    ("GET", "/api/notes"),
    ("GET", "/feeds/"),
    # abort(404): an answer, not an error, and no write.
    ("GET", "/notes/999"),
    ("DELETE", "/api/notes/999"),
]:
    record(f"read {method} {path}", lambda: client.request(method, path))
record("boom", lambda: client.get("/boom"))
record("api_delete", lambda: client.delete(f"/api/notes/{note_id}"))
# The old :note_id parameter reaches the handler as text.
ids["deleted_ids"] = [str(note_id)]
posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, **ids}))
"""
)

AIOHTTP_SCRIPT = (
    _RECORD
    + """
import asyncio

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from links.db import DB_KEY
from links.main import init_app
from links.posthog_client import posthog_client


async def boom_route(request):
    boom()


async def arecord(name, call):
    try:
        response = await call()
    except Exception as error:
        statuses[name] = f"raised {type(error).__name__}: {error}"
        return None
    statuses[name] = response.status
    return response


async def flows():
    ids = {}
    app = await init_app(":memory:")
    app.router.add_get("/boom", boom_route)
    async with TestClient(TestServer(app)) as client:
        account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
        signup = await arecord("signup", lambda: client.post("/auth/signup", json=account))
        ids["user_id"] = str((await signup.json())["id"])
        await arecord("logout", lambda: client.post("/auth/logout"))
        await arecord("login", lambda: client.post("/auth/login", json=account))
        # The browser SDK's headers: the request's events belong to its session.
        session = {"X-POSTHOG-SESSION-ID": "session-from-the-browser"}
        link = {"url": "https://example.org", "title": "Example"}
        created = await arecord(
            "create", lambda: client.post("/api/links", json=link, headers=session)
        )
        link_id = (await created.json())["id"]
        ids["link_ids"] = [str(link_id)]
        path = f"/api/links/{link_id}"
        await arecord("update", lambda: client.patch(path, json={"title": "An example"}))
        await arecord("note", lambda: client.post(f"{path}/notes", json={"body": "later"}))
        app[DB_KEY].execute("UPDATE users SET is_admin = 1")
        await arecord("archive", lambda: client.post(f"/admin/links/{link_id}/archive"))
        for method, read, body in [
            ("GET", "/health", None),
            ("GET", "/api/links", None),
            ("GET", path, None),
            ("GET", f"{path}/notes", None),
            ("POST", "/api/search", {"q": "ex"}),
            ("GET", "/admin/stats", None),
            # A 404 raised as web.HTTPNotFound: a client error, not an $exception.
            ("DELETE", "/api/links/999", None),
        ]:
            await arecord(
                f"read {method} {read}", lambda: client.request(method, read, json=body)
            )
        await arecord("boom", lambda: client.get("/boom"))
        await arecord("delete", lambda: client.delete(path))
    return ids


ids = asyncio.run(flows())
posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, **ids}))
"""
)

SANIC_SCRIPT = (
    _RECORD
    + """
import asyncio

from sanic_testing.testing import SanicASGITestClient

from tickets.app import app
from tickets.posthog_client import posthog_client


async def boom_route(request):
    boom()


app.add_route(boom_route, "/boom")


async def arecord(name, call):
    try:
        _, response = await call()
    except Exception as error:
        statuses[name] = f"raised {type(error).__name__}: {error}"
        return None
    statuses[name] = response.status
    return response


async def flows():
    ids = {}
    client = SanicASGITestClient(app)
    account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
    signup = await arecord("signup", lambda: client.post("/auth/signup", json=account))
    ids["user_id"] = str(signup.json["id"])
    # The session cookie, sent on every later request as a browser would.
    client.cookies.set("tickets_sid", signup.cookies["tickets_sid"])
    await arecord("logout", lambda: client.post("/auth/logout"))
    await arecord("login", lambda: client.post("/auth/login", json=account))
    # The browser SDK's headers: the request's events belong to its session.
    session = {"X-POSTHOG-SESSION-ID": "session-from-the-browser"}
    board = await arecord(
        "board_create",
        lambda: client.post("/v1/boards/", json={"name": "Ops"}, headers=session),
    )
    board_id = board.json["id"]
    await arecord(
        "board_again", lambda: client.post("/v1/boards/", json={"name": "Ops"})
    )
    await arecord(
        "board_rename",
        lambda: client.patch(f"/v1/boards/{board_id}", json={"name": "Infra"}),
    )
    ticket = await arecord(
        "ticket_create",
        lambda: client.post(
            "/tickets", json={"title": "Disk full", "board_id": board_id}
        ),
    )
    ticket_id = ticket.json["id"]
    await arecord("ticket_invalid", lambda: client.post("/tickets", json={}))
    await arecord(
        "ticket_close",
        lambda: client.put(f"/tickets/{ticket_id}", json={"status": "closed"}),
    )
    await arecord(
        "comment",
        lambda: client.post(
            f"/api/tickets/{ticket_id}/comments", json={"body": "Done"}
        ),
    )
    for method, path, body in [
        ("GET", "/health", None),
        ("GET", "/v1/boards/", None),
        ("GET", "/tickets", None),
        ("GET", f"/tickets/{ticket_id}", None),
        ("GET", f"/api/tickets/{ticket_id}/comments", None),
        ("POST", "/api/search/", {"q": "Disk"}),
        # A NotFound: a client error, not an $exception.
        ("GET", "/tickets/999", None),
        ("PATCH", "/v1/boards/999", {"name": "x"}),
    ]:
        await arecord(
            f"read {method} {path}",
            lambda: client.request(method, path, json=body),
        )
    await arecord("boom", lambda: client.get("/boom"))
    await arecord("ticket_delete", lambda: client.delete(f"/tickets/{ticket_id}"))
    await arecord("board_delete", lambda: client.delete(f"/v1/boards/{board_id}"))
    ids["board_ids"] = [board_id]
    ids["ticket_ids"] = [ticket_id]
    return ids


ids = asyncio.run(flows())
posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, **ids}))
"""
)

DJANGO_SCRIPT = (
    _RECORD
    + """
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "shop.settings"
os.environ["SHOP_DATABASE"] = ":memory:"
# DEBUG off: the project's handler500 answers the failure, not the technical 500 page.
os.environ["DJANGO_DEBUG"] = "0"

import django

django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import path

import shop.urls
from catalog.models import Product
from shop.posthog_client import posthog_client

call_command("migrate", verbosity=0)
# Before the first request, so the URL resolver is built with it.
shop.urls.urlpatterns.append(path("boom/", lambda request: boom()))

client = Client(raise_request_exception=False)
password = "a-long-passphrase-for-tests"
signup = {"username": "ada", "email": "ada@example.com", "password1": password, "password2": password}
record("signup", lambda: client.post("/accounts/signup/", signup))
user_id = str(get_user_model().objects.get(username="ada").pk)
record("logout", lambda: client.get("/accounts/logout/"))
record("login", lambda: client.post("/accounts/login/", {"username": "ada", "password": password}))
product = {"name": "Teapot", "slug": "teapot", "description": "", "price": "12.50", "stock": 3}
record("product_create", lambda: client.post("/shop/products/new/", product))
record("review", lambda: client.post("/shop/products/teapot/", {"rating": 5, "body": "Lovely"}))
record("order_create", lambda: client.post("/api/orders/", {}, content_type="application/json"))
items = {"items": [{"product": Product.objects.get(slug="teapot").pk, "quantity": 1}]}
record("checkout", lambda: client.post("/api/checkout/", items, content_type="application/json"))
record("sold_out", lambda: client.post("/shop/products/teapot/sold-out/"))
for method, path, data in [
    ("GET", "/shop/", None),
    ("GET", "/shop/products/teapot/", None),
    ("POST", "/shop/search/", {"q": "tea"}),
    ("POST", "/shop/products/teapot/availability/", None),
    ("GET", "/api/orders/", None),
    ("GET", "/api/products/", None),
]:
    call = client.get if method == "GET" else client.post
    record(f"read {method} {path}", lambda: call(path, data))
record("boom", lambda: client.get("/boom/"))
posthog_client.flush()
print("RESULT " + json.dumps({"statuses": statuses, "user_id": user_id, "slugs": ["teapot"]}))
"""
)

NINJA_SCRIPT = (
    _RECORD
    + """
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "notebook.settings"
os.environ["NOTES_DATABASE"] = ":memory:"
os.environ["NOTEBOOK_LIMIT"] = "2"
# DEBUG off: the API's own exception handlers answer the failure.
os.environ["DJANGO_DEBUG"] = "0"

import django

django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from notebook.api import api
from notebook.posthog_client import posthog_client

call_command("migrate", verbosity=0)


def failing_operation(request):
    boom()


# Before the first request, so the API's URLs are built with it.
api.get("/boom", auth=None)(failing_operation)

client = Client(raise_request_exception=False)
JSON = "application/json"
account = {"username": "ada", "email": "ada@example.com", "password": "a-long-passphrase"}
record("signup", lambda: client.post("/api/accounts/signup", account, content_type=JSON))
user_id = str(get_user_model().objects.get(username="ada").pk)
record("logout", lambda: client.post("/api/accounts/logout"))
record("login", lambda: client.post("/api/accounts/login", account, content_type=JSON))
notebook_ids = []
for title in ("Ideas", "Scratch"):
    created = record(
        f"notebook_create {title}",
        lambda: client.post("/api/notebooks/", {"title": title}, content_type=JSON),
    )
    if created is not None and created.status_code == 201:
        notebook_ids.append(created.json()["id"])
# The account keeps two notebooks at most: the third is refused with a 409.
record("over_limit", lambda: client.post("/api/notebooks/", {"title": "More"}, content_type=JSON))
new_note = {"notebook_id": notebook_ids[0], "body": "Tea", "pinned": False}
note = record("note_create", lambda: client.post("/api/notebooks/notes", new_note, content_type=JSON))
note_id = note.json()["id"]
edited = {**new_note, "body": "Green tea", "pinned": True}
record(
    "note_edit",
    lambda: client.patch(f"/api/notebooks/notes/{note_id}", edited, content_type=JSON),
)
record("notebook_delete", lambda: client.delete(f"/api/notebooks/{notebook_ids[1]}"))
for method, path, data in [
    ("GET", "/api/version", None),
    ("GET", "/api/accounts/me", None),
    ("GET", "/api/notebooks/", None),
    ("GET", f"/api/notebooks/{notebook_ids[0]}", None),
    ("GET", "/api/notebooks/999", None),
    ("GET", f"/api/notebooks/notes?notebook_id={notebook_ids[0]}", None),
    ("POST", "/api/notebooks/notes/search", {"text": "tea"}),
]:
    call = client.get if method == "GET" else client.post
    record(f"read {method} {path}", lambda: call(path, data, content_type=JSON))
record("boom", lambda: client.get("/api/boom"))
posthog_client.flush()
print(
    "RESULT "
    + json.dumps(
        {
            "statuses": statuses,
            "user_id": user_id,
            "notebook_ids": notebook_ids,
            "deleted_ids": notebook_ids[1:],
            "note_ids": [note_id],
        }
    )
)
"""
)


@dataclass(frozen=True)
class Scenario:
    """One fixture's flows and what the edited app must deliver for them."""

    fixture: str
    script: str
    #: every request's normal status; ``read METHOD PATH`` keys are the read-only requests
    statuses: Mapping[str, int]
    #: exactly the events the flows send, by name and count
    events: Mapping[str, int]
    #: events of mutating routes, which carry the logged-in user's id as distinct_id
    user_events: tuple[str, ...]
    #: (event, property, result key): the property's values, in order, are the result's list
    properties: tuple[tuple[str, str, str], ...] = ()
    #: the person properties ``$set`` right before user_signed_up / user_logged_in, if any
    signup_person: Mapping[str, str] | None = None
    login_person: Mapping[str, str] | None = None
    boom_path: str = "/boom"


@dataclass
class Run:
    """What one run of a scenario's script reported, and what the mock host received."""

    result: dict[str, Any]
    events: list[RecordedEvent]
    stderr: str
    statuses: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.statuses = self.result["statuses"]

    @property
    def user_id(self) -> str:
        return str(self.result["user_id"])

    def named(self, event: str) -> list[RecordedEvent]:
        return [item for item in self.events if item.event == event]

    def person_set_before(self, event: str) -> RecordedEvent | None:
        """The ``$set`` sent right before the only ``event``, if that is what precedes it.

        The edited code calls ``set`` and then ``capture`` in the same request; one client
        queue and one consumer keep them in that order on the wire.
        """
        [index] = [i for i, item in enumerate(self.events) if item.event == event]
        previous = self.events[index - 1] if index > 0 else None
        return previous if previous is not None and previous.event == "$set" else None

    def describe(self) -> str:
        """The received events, one a line, for assertion messages."""
        lines = [
            f"  {item.event} distinct_id={item.distinct_id}"
            f" {item.properties.get('$request_method')} {item.properties.get('$request_path')}"
            + (f" $set={person_properties(item)}" if item.event == "$set" else "")
            for item in self.events
        ]
        return "received events:\n" + ("\n".join(lines) or "  (none)")


def person_properties(item: RecordedEvent) -> dict[str, Any]:
    """The properties a ``$set`` puts on the person, less the SDK's ``$``-prefixed ones.

    Inside a request the SDK adds the request context (``$current_url``, ``$ip``,
    ``$context_tags`` and so on) to ``$set``; what the edited code sets is the rest.
    """
    return {key: value for key, value in item.raw.get("$set", {}).items() if key[:1] != "$"}


SCENARIOS = {
    "flask_blog": Scenario(
        fixture="flask_blog",
        script=FLASK_SCRIPT,
        statuses={
            "signup": 302,
            "logout": 302,
            "login": 302,
            "create": 302,
            "api_create": 201,
            "read GET /posts/": 200,
            "read GET /posts/1": 200,
            "read POST /posts/search": 200,
            "read GET /api/v1/posts": 200,
            "boom": 500,
        },
        events={
            "$set": 2,
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "post_created": 2,
            "$exception": 1,
        },
        user_events=("post_created",),
        properties=(("post_created", "post_id", "post_ids"),),
        # The User model declares email and username: both are proven readable on the
        # user a signup builds and on the user login_user() was given.
        signup_person={"email": "ada@example.com", "username": "ada"},
        login_person={"email": "ada@example.com", "username": "ada"},
    ),
    "flask_restx_shelf": Scenario(
        fixture="flask_restx_shelf",
        script=RESTX_SCRIPT,
        statuses={
            "signup": 201,
            "logout": 204,
            "login": 200,
            "book_create": 201,
            "book_update": 200,
            "loan": 200,
            "loan_again": 409,
            "review_invalid": 400,
            "review_create": 201,
            "spare_create": 201,
            "book_delete": 204,
            "read GET /api/v1/books": 200,
            "read GET /api/v1/books/1": 200,
            "read POST /api/v1/books/search": 200,
            "read GET /api/v1/books/1/reviews": 200,
            "read GET /api/v1/auth/me": 200,
            "boom": 500,
        },
        events={
            "$set": 2,
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "book_created": 2,
            "book_updated": 1,
            "loan_created": 1,
            "review_created": 1,
            "book_deleted": 1,
            "$exception": 1,
        },
        user_events=(
            "book_created",
            "book_updated",
            "loan_created",
            "review_created",
            "book_deleted",
        ),
        properties=(
            ("book_created", "book_id", "created"),
            ("book_updated", "book_id", "changed"),
            ("loan_created", "book_id", "changed"),
            ("review_created", "book_id", "changed"),
            ("book_deleted", "book_id", "deleted"),
        ),
        signup_person={"email": "ada@example.com", "username": "ada"},
        login_person={"email": "ada@example.com", "username": "ada"},
        boom_path="/api/v1/books/boom",
    ),
    "fastapi_tasks": Scenario(
        fixture="fastapi_tasks",
        script=FASTAPI_SCRIPT,
        statuses={
            "signup": 201,
            "login": 200,
            "project_create": 201,
            "task_create": 201,
            "read GET /health": 200,
            "read GET /api/v1/projects": 200,
            "read GET /api/v1/tasks": 200,
            "read GET /api/v1/projects/1/tasks": 200,
            "read POST /api/v1/tasks/search": 200,
            "boom": 500,
            "logout": 204,
        },
        events={
            "$set": 2,
            "user_signed_up": 1,
            "user_logged_in": 1,
            "project_created": 1,
            "task_created": 1,
            "$exception": 1,
            "user_logged_out": 1,
        },
        user_events=("project_created", "task_created"),
        properties=(
            ("project_created", "project_id", "project_ids"),
            ("task_created", "task_id", "task_ids"),
            # From the validated body: its project's id, the length of its title.
            ("task_created", "project_id", "project_ids"),
            ("task_created", "title_length", "task_title_lengths"),
        ),
        signup_person={"email": "ada@example.com", "username": "ada"},
        # authenticate_user() is annotated to return the User model (or None, ruled out
        # before the token is issued), which declares both.
        login_person={"email": "ada@example.com", "username": "ada"},
    ),
    "starlette_notes": Scenario(
        fixture="starlette_notes",
        script=STARLETTE_SCRIPT,
        statuses={
            "signup": 201,
            "logout": 204,
            "login": 200,
            "create": 201,
            "update": 200,
            "pin": 200,
            "read GET /health": 200,
            "read GET /api/notes": 200,
            "read GET /api/notes/1": 200,
            "read POST /api/notes/search": 200,
            "boom": 500,
            "delete": 204,
        },
        events={
            "$set": 2,
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "note_created": 1,
            "note_updated": 1,
            "note_pinned": 1,
            "note_deleted": 1,
            "$exception": 1,
        },
        user_events=("note_created", "note_updated", "note_pinned", "note_deleted"),
        # The path parameter, read from request.path_params as Starlette matched it.
        properties=(
            ("note_updated", "note_id", "note_ids"),
            ("note_pinned", "note_id", "note_ids"),
            ("note_deleted", "note_id", "note_ids"),
        ),
        # The User dataclass declares email and username, on the user each handler builds.
        signup_person={"email": "ada@example.com", "username": "ada"},
        login_person={"email": "ada@example.com", "username": "ada"},
    ),
    "quart_recipes": Scenario(
        fixture="quart_recipes",
        script=QUART_SCRIPT,
        statuses={
            "signup": 201,
            "logout": 204,
            "login": 200,
            "create": 201,
            "update": 200,
            "comment": 201,
            "read GET /health": 200,
            "read GET /api/recipes/": 200,
            "read GET /api/recipes/1": 200,
            "read GET /api/recipes/1/comments": 200,
            "boom": 500,
            "delete": 204,
        },
        events={
            "$set": 2,
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "recipe_created": 1,
            "recipe_updated": 1,
            "comment_created": 1,
            "recipe_deleted": 1,
            "$exception": 1,
        },
        user_events=("recipe_created", "recipe_updated", "comment_created", "recipe_deleted"),
        properties=(
            ("recipe_updated", "recipe_id", "recipe_ids"),
            ("comment_created", "recipe_id", "recipe_ids"),
            ("recipe_deleted", "recipe_id", "recipe_ids"),
        ),
        # The signup builds a User, whose dataclass declares email and username; the login's
        # user comes from User.from_row(), a classmethod that always answers a new User.
        signup_person={"email": "ada@example.com", "username": "ada"},
        login_person={"email": "ada@example.com", "username": "ada"},
    ),
    "litestar_shelf": Scenario(
        fixture="litestar_shelf",
        script=LITESTAR_SCRIPT,
        statuses={
            "signup": 201,
            "logout": 200,
            "login": 200,
            "shelf_create": 201,
            "book_create": 201,
            "book_finish": 201,
            "shelf_rename": 200,
            "read GET /health": 200,
            "read GET /api/shelves": 200,
            "read GET /api/books": 200,
            "read POST /api/books/search": 201,
            "read DELETE /api/shelves/999": 404,
            "boom": 500,
            "shelf_delete": 204,
        },
        events={
            "$set": 2,
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "shelf_created": 1,
            "book_created": 1,
            "book_finished": 1,
            "shelf_renamed": 1,
            "shelf_deleted": 1,
            # Answered by the app's own 500 handler, which captures it; the after_exception
            # hook leaves it to that handler.
            "$exception": 1,
        },
        user_events=(
            "shelf_created",
            "book_created",
            "book_finished",
            "shelf_renamed",
            "shelf_deleted",
        ),
        properties=(
            ("book_finished", "book_id", "book_ids"),
            ("shelf_renamed", "shelf_id", "shelf_ids"),
            ("shelf_deleted", "shelf_id", "shelf_ids"),
        ),
        # The User dataclass declares both; signup and login read the user they got.
        signup_person={"email": "ada@example.com", "username": "ada"},
        login_person={"email": "ada@example.com", "username": "ada"},
    ),
    "aiohttp_links": Scenario(
        fixture="aiohttp_links",
        script=AIOHTTP_SCRIPT,
        statuses={
            "signup": 201,
            "logout": 204,
            "login": 200,
            "create": 201,
            "update": 200,
            "note": 201,
            "archive": 200,
            "read GET /health": 200,
            "read GET /api/links": 200,
            "read GET /api/links/1": 200,
            "read GET /api/links/1/notes": 200,
            "read POST /api/search": 200,
            "read GET /admin/stats": 200,
            "read DELETE /api/links/999": 404,
            "boom": 500,
            "delete": 204,
        },
        events={
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "link_created": 1,
            "link_updated": 1,
            "note_created": 1,
            "link_archived": 1,
            "link_deleted": 1,
            # Captured by the generated middleware before the app's error middleware
            # answers 500; the 404 sends none.
            "$exception": 1,
        },
        user_events=(
            "link_created",
            "link_updated",
            "note_created",
            "link_archived",
            "link_deleted",
        ),
        # The path parameter, as aiohttp matched it (a string).
        properties=(
            ("link_updated", "link_id", "link_ids"),
            ("note_created", "link_id", "link_ids"),
            ("link_archived", "link_id", "link_ids"),
            ("link_deleted", "link_id", "link_ids"),
        ),
    ),
    "sanic_tickets": Scenario(
        fixture="sanic_tickets",
        script=SANIC_SCRIPT,
        statuses={
            "signup": 201,
            "logout": 204,
            "login": 200,
            "board_create": 201,
            "board_again": 409,
            "board_rename": 200,
            "ticket_create": 201,
            "ticket_invalid": 400,
            "ticket_close": 200,
            "comment": 201,
            "read GET /health": 200,
            "read GET /v1/boards/": 200,
            "read GET /tickets": 200,
            "read GET /tickets/1": 200,
            "read GET /api/tickets/1/comments": 200,
            "read POST /api/search/": 200,
            "read GET /tickets/999": 404,
            "read PATCH /v1/boards/999": 404,
            "boom": 500,
            "ticket_delete": 204,
            "board_delete": 204,
        },
        # The refused board (409), the invalid ticket (400) and the missing ones (404) send
        # nothing: a SanicException below 500 is an answer, not a change or a server error.
        events={
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "board_created": 1,
            "board_renamed": 1,
            "ticket_created": 1,
            "ticket_updated": 1,
            "comment_created": 1,
            "ticket_deleted": 1,
            "board_deleted": 1,
            # Captured by the generated response middleware once Sanic answered 500.
            "$exception": 1,
        },
        # Sent as the user the handlers read off request.ctx, or (where a handler does not
        # read it) as the user the generated middleware put on the request's context.
        user_events=(
            "board_created",
            "board_renamed",
            "ticket_created",
            "ticket_updated",
            "comment_created",
            "ticket_deleted",
            "board_deleted",
        ),
        properties=(
            ("board_renamed", "board_id", "board_ids"),
            ("board_deleted", "board_id", "board_ids"),
            ("ticket_updated", "ticket_id", "ticket_ids"),
            ("comment_created", "ticket_id", "ticket_ids"),
            ("ticket_deleted", "ticket_id", "ticket_ids"),
        ),
        # The handlers read neither the new user's email nor its username.
        signup_person=None,
        login_person=None,
    ),
    "django_shop": Scenario(
        fixture="django_shop",
        script=DJANGO_SCRIPT,
        statuses={
            "signup": 302,
            "logout": 302,
            "login": 302,
            "product_create": 302,
            "review": 302,
            "order_create": 201,
            "checkout": 201,
            "sold_out": 302,
            "read GET /shop/": 200,
            "read GET /shop/products/teapot/": 200,
            "read POST /shop/search/": 200,
            "read POST /shop/products/teapot/availability/": 200,
            "read GET /api/orders/": 200,
            "read GET /api/products/": 200,
            "boom": 500,
        },
        events={
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "product_created": 1,
            "review_created": 1,
            "order_created": 1,
            "order_checked_out": 1,
            "product_marked_sold_out": 1,
            "$exception": 1,
        },
        user_events=(
            "product_created",
            "review_created",
            "order_created",
            "order_checked_out",
            "product_marked_sold_out",
        ),
        properties=(("review_created", "slug", "slugs"),),
        # The login and signup views read no email or username: nothing goes on the person.
        signup_person=None,
        login_person=None,
        boom_path="/boom/",
    ),
    "ninja_notes": Scenario(
        fixture="ninja_notes",
        script=NINJA_SCRIPT,
        statuses={
            "signup": 201,
            "logout": 204,
            "login": 200,
            "notebook_create Ideas": 201,
            "notebook_create Scratch": 201,
            "over_limit": 409,
            "note_create": 201,
            "note_edit": 200,
            "notebook_delete": 204,
            "read GET /api/version": 200,
            "read GET /api/accounts/me": 200,
            "read GET /api/notebooks/": 200,
            "read GET /api/notebooks/1": 200,
            "read GET /api/notebooks/999": 404,
            "read GET /api/notebooks/notes?notebook_id=1": 200,
            "read POST /api/notebooks/notes/search": 200,
            "boom": 500,
        },
        # The refused notebook (409) and the missing one (404) send nothing: neither is a
        # change, and neither is a server error.
        events={
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "notebook_created": 2,
            "note_created": 1,
            "note_updated": 1,
            "notebook_deleted": 1,
            "$exception": 1,
        },
        user_events=("notebook_created", "note_created", "note_updated", "notebook_deleted"),
        properties=(
            ("notebook_created", "notebook_id", "notebook_ids"),
            ("notebook_deleted", "notebook_id", "deleted_ids"),
            ("note_created", "note_id", "note_ids"),
            ("note_updated", "note_id", "note_ids"),
        ),
        # The handlers read neither the new user's email nor its username.
        signup_person=None,
        login_person=None,
        boom_path="/api/boom",
    ),
    "falcon_bookmarks": Scenario(
        fixture="falcon_bookmarks",
        script=FALCON_SCRIPT,
        statuses={
            "signup": 201,
            "logout": 204,
            "login": 200,
            "bookmark_create": 201,
            "bookmark_update": 200,
            "tag_create": 201,
            "tag_again": 409,
            "bad_bookmark": 400,
            "read GET /health": 200,
            "read GET /bookmarks": 200,
            "read GET /bookmarks/1": 200,
            "read POST /bookmarks/search": 200,
            "read GET /bookmarks/999": 404,
            "boom": 500,
            "bookmark_delete": 204,
        },
        events={
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "bookmark_created": 1,
            "bookmark_updated": 1,
            "tag_created": 1,
            "bookmark_deleted": 1,
            # Sent by the generated Exception handler; the 409, 400 and 404 send none.
            "$exception": 1,
        },
        user_events=("bookmark_created", "bookmark_updated", "tag_created", "bookmark_deleted"),
        # The URL field, given to the responder as a keyword argument.
        properties=(
            ("bookmark_updated", "bookmark_id", "bookmark_ids"),
            ("bookmark_deleted", "bookmark_id", "bookmark_ids"),
        ),
        # The responders read neither the new user's email nor its username.
        signup_person=None,
        login_person=None,
    ),
    "bottle_notes": Scenario(
        fixture="bottle_notes",
        script=BOTTLE_SCRIPT,
        statuses={
            "signup": 201,
            "logout": 303,
            "login": 303,
            "note_create": 303,
            "note_invalid": 400,
            "note_pin": 303,
            "api_create": 201,
            "api_rename": 200,
            "feed_create": 201,
            "feed_archive": 200,
            "read GET /health": 200,
            "read GET /notes": 200,
            "read GET /notes/new": 200,
            "read GET /notes/1": 200,
            "read POST /notes/search": 200,
            "read GET /api/notes": 200,
            "read GET /feeds/": 200,
            "read GET /notes/999": 404,
            "read DELETE /api/notes/999": 404,
            "boom": 500,
            "api_delete": 204,
        },
        # The invalid note (400) and the missing ones (404) send nothing: abort() answers,
        # it is neither a change nor a server error.
        events={
            "$set": 2,
            "user_signed_up": 1,
            "user_logged_out": 1,
            "user_logged_in": 1,
            "note_created": 2,
            "note_pinned": 1,
            "note_renamed": 1,
            "feed_created": 1,
            "feed_archived": 1,
            "note_deleted": 1,
            # Captured by the plugin; the app's 500 page only renders it.
            "$exception": 1,
        },
        user_events=(
            "note_created",
            "note_pinned",
            "note_renamed",
            "feed_created",
            "feed_archived",
            "note_deleted",
        ),
        properties=(
            ("note_pinned", "note_id", "pinned_ids"),
            ("note_renamed", "note_id", "renamed_ids"),
            ("feed_archived", "feed_id", "feed_ids"),
            ("note_deleted", "note_id", "deleted_ids"),
        ),
        # The signup builds the User dataclass, which declares both; the login's user is
        # what the project's find_user is annotated to return: that dataclass too.
        signup_person={"email": "ada@example.com", "username": "ada"},
        login_person={"email": "ada@example.com", "username": "ada"},
    ),
}
NAMES = list(SCENARIOS)


def _edited_copy(name: str, root: Path) -> Path:
    """A copy of the fixture under ``root``, edited by ``posthog-setup edit``."""
    project = root / name
    shutil.copytree(
        FIXTURES / name,
        project,
        ignore=shutil.ignore_patterns("__pycache__", "*.db", "*.sqlite3"),
    )
    assert main(["edit", "-q", str(project)]) == 0
    return project


def _run(project: Path, script: str, *, token: bool) -> Run:
    """Run ``script`` in the edited project against a fresh mock host, with or without a token.

    The host's address is given either way, so a client that sent without a token would be
    caught; once the process exits it has flushed, so everything it sent has arrived.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTHOG_")}
    env["PYTHONPATH"] = str(project)
    with MockPostHogHost() as host:
        env["POSTHOG_HOST"] = host.url
        if token:
            env["POSTHOG_PROJECT_TOKEN"] = TOKEN
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        events = host.events()
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    assert lines, f"the script reported nothing\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return Run(json.loads(lines[-1].removeprefix(RESULT_PREFIX)), events, done.stderr)


class Runs:
    """Each fixture is edited once and run once per token mode, on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._projects: dict[str, Path] = {}
        self._runs: dict[tuple[str, bool], Run] = {}

    def run(self, name: str, *, token: bool) -> Run:
        """The run of fixture ``name`` with or without a token, made on first request."""
        if name not in self._projects:
            self._projects[name] = _edited_copy(name, self.root)
        if (name, token) not in self._runs:
            self._runs[name, token] = _run(
                self._projects[name], SCENARIOS[name].script, token=token
            )
        return self._runs[name, token]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """The module's runs, shared by its tests."""
    return Runs(tmp_path_factory.mktemp("edited_apps"))


# -- with a token ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_flow_answers_normally(runs: Runs, name: str) -> None:
    """With the integration on, every request answers as the unedited app would."""
    run = runs.run(name, token=True)
    assert run.statuses == SCENARIOS[name].statuses, run.stderr


@pytest.mark.parametrize("name", NAMES)
def test_mutating_routes_send_their_event_as_the_user(runs: Runs, name: str) -> None:
    """Each mutating route sends its planned event, as the logged-in user, with its ids."""
    scenario, run = SCENARIOS[name], runs.run(name, token=True)
    for event in scenario.user_events:
        sent = run.named(event)
        assert len(sent) == scenario.events[event], f"{event}\n{run.describe()}"
        assert {item.distinct_id for item in sent} == {run.user_id}, (
            f"{event} not sent as user {run.user_id}\n{run.describe()}"
        )
    for event, prop, key in scenario.properties:
        values = [item.properties.get(prop) for item in run.named(event)]
        assert values == run.result[key], f"{event}.{prop}\n{run.describe()}"


@pytest.mark.parametrize("name", NAMES)
def test_login_identifies_the_user(runs: Runs, name: str) -> None:
    """Login sends user_logged_in as the user, after a $set of what the handler reads."""
    scenario, run = SCENARIOS[name], runs.run(name, token=True)
    [login] = run.named("user_logged_in")
    assert login.distinct_id == run.user_id, run.describe()
    person = run.person_set_before("user_logged_in")
    if scenario.login_person is None:
        assert person is None, run.describe()
    else:
        assert person is not None, f"no $set before user_logged_in\n{run.describe()}"
        assert person.distinct_id == run.user_id, run.describe()
        assert person_properties(person) == scenario.login_person, run.describe()


@pytest.mark.parametrize("name", NAMES)
def test_signup_identifies_the_user(runs: Runs, name: str) -> None:
    """Signup sends user_signed_up as the new user, after a $set of what the handler reads."""
    scenario, run = SCENARIOS[name], runs.run(name, token=True)
    [signup] = run.named("user_signed_up")
    assert signup.distinct_id == run.user_id, run.describe()
    person = run.person_set_before("user_signed_up")
    if scenario.signup_person is None:
        assert person is None, run.describe()
    else:
        assert person is not None, f"no $set before user_signed_up\n{run.describe()}"
        assert person.distinct_id == run.user_id, run.describe()
        assert person_properties(person) == scenario.signup_person, run.describe()


@pytest.mark.parametrize("name", NAMES)
def test_logout_sends_user_logged_out_as_the_user(runs: Runs, name: str) -> None:
    """Logout sends user_logged_out, as the user who is logging out."""
    run = runs.run(name, token=True)
    [logout] = run.named("user_logged_out")
    # Captured before the session ends so that it is still the user's event; an anonymous
    # id here would leave it off the person who logged out.
    assert logout.distinct_id == run.user_id, run.describe()


@pytest.mark.parametrize("name", NAMES)
def test_unhandled_error_sends_one_exception(runs: Runs, name: str) -> None:
    """A route that raises answers 500 and sends one $exception naming the RuntimeError."""
    scenario, run = SCENARIOS[name], runs.run(name, token=True)
    assert run.statuses["boom"] == 500, run.stderr
    exceptions = run.named("$exception")
    # One error, one report: a second capture of the same error would count it twice.
    assert len(exceptions) == 1, run.describe()
    [exception] = exceptions
    assert exception.properties["$request_path"] == scenario.boom_path, run.describe()
    listed = [(e.get("type"), e.get("value")) for e in exception.properties["$exception_list"]]
    assert listed == [("RuntimeError", BOOM)], run.describe()


@pytest.mark.parametrize("name", NAMES)
def test_only_the_planned_events_are_sent(runs: Runs, name: str) -> None:
    """Exactly the planned events arrive, and none from the read-only requests."""
    scenario, run = SCENARIOS[name], runs.run(name, token=True)
    # Compared exactly, with nothing ignored: the SDK sends no events of its own in these
    # flows ($feature_flag_called follows only a flag evaluation, and these apps evaluate
    # none), so anything beyond the plan is something the edited code sent.
    assert Counter(item.event for item in run.events) == Counter(scenario.events), run.describe()
    reads = {tuple(key.split(" ")[1:]) for key in scenario.statuses if key.startswith("read ")}
    assert reads, "the scenario makes read-only requests"
    from_reads = [
        item
        for item in run.events
        if (item.properties.get("$request_method"), item.properties.get("$request_path")) in reads
    ]
    assert from_reads == [], f"sent by read-only requests: {from_reads}\n{run.describe()}"


def test_falcon_server_errors_carry_the_logged_in_user(runs: Runs) -> None:
    """The generated Exception handler sends the error as the user the responders read
    off ``req.context``."""
    run = runs.run("falcon_bookmarks", token=True)
    [exception] = run.named("$exception")
    assert exception.distinct_id == run.user_id, run.describe()


# -- without a token ---------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_without_token_every_flow_answers_normally(runs: Runs, name: str) -> None:
    """Without a token the client is disabled with a warning; every request still answers."""
    run = runs.run(name, token=False)
    assert run.statuses == SCENARIOS[name].statuses, run.stderr
    assert MISSING_TOKEN_WARNING in run.stderr


@pytest.mark.parametrize("name", NAMES)
def test_without_token_nothing_is_sent(runs: Runs, name: str) -> None:
    """Without a token the reachable mock host receives nothing at all."""
    run = runs.run(name, token=False)
    assert run.events == [], run.describe()


# -- aiohttp: the generated middleware ----------------------------------------------------


def test_sanic_server_error_carries_the_logged_in_user(runs: Runs) -> None:
    """The generated middleware sends the failure as the user the handlers read off
    ``request.ctx``, and with the request's path."""
    run = runs.run("sanic_tickets", token=True)
    [exception] = run.named("$exception")
    assert exception.distinct_id == run.user_id, run.describe()


def test_sanic_request_context_reads_the_session_header(runs: Runs) -> None:
    """Events of a request that sends X-POSTHOG-SESSION-ID belong to that session; the
    context of one request does not leak into the next."""
    run = runs.run("sanic_tickets", token=True)
    [board] = run.named("board_created")
    assert board.properties.get("$session_id") == "session-from-the-browser", run.describe()
    [ticket] = run.named("ticket_created")
    assert "$session_id" not in ticket.properties, run.describe()


def test_aiohttp_server_error_carries_the_logged_in_user(runs: Runs) -> None:
    """The middleware captures the failure as the user aiohttp_security knows."""
    run = runs.run("aiohttp_links", token=True)
    [exception] = run.named("$exception")
    assert exception.distinct_id == run.user_id, run.describe()


def test_aiohttp_request_context_reads_the_session_header(runs: Runs) -> None:
    """An event of a request that sent X-POSTHOG-SESSION-ID belongs to that session; the
    others carry none."""
    run = runs.run("aiohttp_links", token=True)
    [created] = run.named("link_created")
    assert created.properties.get("$session_id") == "session-from-the-browser", run.describe()
    [updated] = run.named("link_updated")
    assert "$session_id" not in updated.properties, run.describe()
