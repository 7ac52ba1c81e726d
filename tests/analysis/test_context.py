"""FileContext's shared reads of one file: each is what the stdlib would answer."""

from __future__ import annotations

import ast

from hypothesis import given
from hypothesis import strategies as st

from posthog_setup.analysis.context import FileContext

_PIECES = st.sampled_from(
    [
        "x = 1",
        "y = 'é' + \"ü\"",
        "f(a,\n  b)",
        "def g(q):\n    return q['k']",
        "z = (1 +\r\n     2)",
        "w = [\r 3]",
        "# a comment \x0c with a form feed",
        "s = '\u2028' ; t = 2",
        "class C:\n    v: int = 3",
        "",
    ]
)
_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@given(st.lists(st.tuples(_PIECES, _ENDS), min_size=1, max_size=6), st.booleans())
def test_a_segment_is_the_stdlib_source_segment(
    pieces: list[tuple[str, str]], trailing_end: bool
) -> None:
    source = "".join(p + e for p, e in pieces)
    if not trailing_end:
        source = source.rstrip("\r\n")
    try:
        ctx = FileContext.parse("m.py", "m", False, source)
    except SyntaxError:
        return
    for node in ast.walk(ctx.tree):
        assert ctx.segment(node) == ast.get_source_segment(source, node)


def test_mentions_is_a_text_test_asked_once() -> None:
    ctx = FileContext.parse("m.py", "m", False, "import flask_httpauth\n")
    assert ctx.mentions("flask_httpauth")
    assert not ctx.mentions("flask_jwt_extended")
    ctx.source = ""  # the answer was kept
    assert ctx.mentions("flask_httpauth")
