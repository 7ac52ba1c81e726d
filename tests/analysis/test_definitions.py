"""A file's definitions as the route codemods read them (``analysis.definitions``)."""

from __future__ import annotations

import ast
from pathlib import Path
from textwrap import dedent

from posthog_setup.analysis.bindings import bindings
from posthog_setup.analysis.definitions import CallSummary, file_definitions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _fixture_sources() -> list[str]:
    sources = []
    for path in sorted(FIXTURES.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        try:
            ast.parse(text)
        except SyntaxError:
            continue  # written for a newer Python, or broken on purpose
        sources.append(text)
    return sources


def _walked(node: ast.AST) -> CallSummary:
    """What a plain walk of ``node`` alone finds it calls and captures (literal events)."""
    names: set[str] = set()
    events: set[str] = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name is None:
            continue
        names.add(name)
        if name == "capture":
            given = [k.value for k in call.keywords if k.arg == "event"]
            given += [a for a in call.args if not isinstance(a, ast.Starred)][:2]
            texts = [v.value for v in given if isinstance(v, ast.Constant)]
            events.update([t for t in texts if isinstance(t, str)][:1])
    return CallSummary(frozenset(names), frozenset(events))


def test_each_definition_is_read_as_a_walk_of_it_alone_reads_it() -> None:
    """What each function and class calls and captures (nested definitions included, each
    node visited once) and the names a function binds: over every fixture file, the same
    as reading the definition by itself."""
    checked = 0
    for text in _fixture_sources():
        tree = ast.parse(text)
        nodes = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
        read = file_definitions(tree, text).items
        by_line = {(d.line, d.qualname.rsplit(".", 1)[-1]): d for d in read}
        assert len(read) == len(nodes)
        for node in nodes:
            definition = by_line[(node.lineno, node.name)]
            assert definition.calls == _walked(node) == CallSummary.of(node)
            if isinstance(node, ast.ClassDef):
                assert definition.is_class
                assert not definition.bound
            else:
                assert definition.bound == frozenset(bindings(node))
            checked += 1
    assert checked > 500


def test_names_lines_methods_and_ignore_comments() -> None:
    text = dedent(
        """\
        class PostView(View):
            def post(self):
                client.capture("post_created")

            def post(self):  # a second one: the codemods find the first
                identify_context("x")

            @property
            def helper(self):
                def inner():
                    posthog_client.capture(event="inner_done")
                return inner

        @bp.route("/x")  # posthog-setup: ignore[missing-capture]
        def view(client):
            return render()
        """
    )
    read = file_definitions(ast.parse(text), text)
    named = {d.qualname: d for d in read.items}
    assert list(named) == [
        "PostView",
        "PostView.post",
        "PostView.helper",
        "PostView.helper.inner",
        "view",
    ]
    view = named["PostView"]
    assert view.calls.events == {"post_created", "inner_done"}
    assert view.method_calls("post") == frozenset({"capture"})
    assert view.method_calls("put") is None
    assert named["view"].ignores == {"missing-capture"}
    assert named["view"].bound == {"client"}
    assert named["PostView.helper"].calls.events == {"inner_done"}
    assert read.of(text) == read.items
    assert read.of(text.replace("render()", "render(1)")) is None
