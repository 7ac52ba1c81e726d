"""Joining URL prefixes and finding path parameters."""

from __future__ import annotations

import pytest

from posthog_setup.analysis.paths import (
    join_paths,
    path_converters,
    path_parameters,
    regex_to_path,
)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("/api", "/v1/", "posts/"), "/api/v1/posts/"),
        (("/posts", "/"), "/posts/"),
        (("", "/x"), "/x"),
        (("/a/", ""), "/a/"),
        (("api/", "posts/<int:pk>/"), "/api/posts/<int:pk>/"),
        ((None, "/"), "/"),
        (("", ""), "/"),
    ],
)
def test_join_paths(parts: tuple[str | None, ...], expected: str) -> None:
    assert join_paths(*parts) == expected


def test_path_parameters_of_every_syntax() -> None:
    assert path_parameters("/posts/<int:post_id>/c/{cid}/(?P<pk>\\d+)/<slug>") == (
        "post_id",
        "cid",
        "pk",
        "slug",
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # Flask / Werkzeug: converter first, arguments allowed.
        ("/posts/<int:post_id>", ("post_id",)),
        ("/files/<path:subpath>", ("subpath",)),
        ("/<string:lang>/<uuid:ref>", ("lang", "ref")),
        ("/<any(about, help):page>", ("page",)),
        ('/<regex("[a-z]{3}:x"):code>', ("code",)),
        ("/<float:ratio>/<default:rest>", ("ratio", "rest")),
        # Django path(): converter first.
        ("articles/<int:year>/<slug:slug>/", ("year", "slug")),
        ("<str:slug>/", ("slug",)),
        ("<path:path>", ("path",)),
        # Django re_path, with a quantifier that is not a parameter.
        (r"^archive/(?P<year>[0-9]{4})/(?P<pk>\d+)/$", ("year", "pk")),
        (r"^archive/\d{4}/$", ()),
        # FastAPI / Starlette: name first.
        ("/items/{item_id}", ("item_id",)),
        ("/items/{item_id:int}", ("item_id",)),
        ("/files/{file_path:path}", ("file_path",)),
        ("/u/{ref:uuid}/{ratio:float}", ("ref", "ratio")),
        # Django Ninja: converter first in braces, or a bare name.
        ("/events/{int:event_id}", ("event_id",)),
        ("/events/{id}", ("id",)),
        ("/pages/{path:rest}", ("rest",)),
        ("/tags/{slug:slug}", ("slug",)),
        # Bottle / Sanic: name first in angle brackets, a type or a pattern after it.
        ("/users/<user_id:int>", ("user_id",)),
        ("/users/<name>", ("name",)),
        ("/tags/<slug:str>", ("slug",)),
        ("/files/<name:ext>", ("name",)),
        ("/days/<day:ymd>/<code:re:[a-z]+>", ("day", "code")),
        ("/items/<sku:[A-Z]{3}\\d+>", ("sku",)),
        # Falcon / aiohttp style patterns in braces.
        (r"/orders/{order_id:\d+}", ("order_id",)),
        # Mixed: a Django include prefix over a Ninja router's path.
        ("/teams/<int:team>/api/{int:member}", ("team", "member")),
        # Repeated names are listed once.
        ("/<id>/{id}", ("id",)),
    ],
)
def test_path_parameters_read_each_framework(path: str, expected: tuple[str, ...]) -> None:
    assert path_parameters(path) == expected


def test_regex_to_path() -> None:
    assert regex_to_path(r"^posts/(?P<pk>\d+)/$") == "posts/<pk>/"


def test_path_converters_name_each_parameters_type() -> None:
    assert path_converters("/a/<int:a>/{b:float}/{int:c}/<d:int>/{e}/<re('x'):f>/<g:[a-z]+>") == {
        "a": "int",
        "b": "float",
        "c": "int",
        "d": "int",
        "e": "",
        "f": "re",
        "g": "[a-z]+",
    }
