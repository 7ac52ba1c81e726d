"""Joining URL prefixes and finding path parameters."""

from __future__ import annotations

import pytest

from posthog_setup.analysis.paths import join_paths, path_parameters, regex_to_path


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


def test_regex_to_path() -> None:
    assert regex_to_path(r"^posts/(?P<pk>\d+)/$") == "posts/<pk>/"
