"""Write evidence in a handler's body: what counts as a change of data, whatever the framework."""

from __future__ import annotations

import ast

import pytest

from posthog_setup.analysis.body import write_evidence


def _call(code: str) -> ast.Call:
    node = ast.parse(code, mode="eval").body
    assert isinstance(node, ast.Call)
    return node


@pytest.mark.parametrize(
    ("code", "writes"),
    [
        ("question.delete()", True),  # an ORM object deleting itself
        ("self.object.delete()", True),
        ("post.save()", True),
        ("db.session.delete(post)", True),
        ("Post.objects.filter(owner=u).delete()", True),
        ("cache.delete(key)", False),  # told what to delete: not the object itself
        ("requests.delete(url)", False),
        ("client.delete(url, timeout=3)", False),
        ("items.append(x)", False),
    ],
)
def test_write_evidence(code: str, writes: bool) -> None:
    found = write_evidence(_call(code))
    assert (found is not None and found.mutating) is writes
