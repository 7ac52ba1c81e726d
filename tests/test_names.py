"""Names resolve through imports and scopes, not by spelling."""

from __future__ import annotations

import ast
from textwrap import dedent

import pytest

from posthog_setup.analysis.names import (
    ModuleNames,
    Spellings,
    child_nodes,
    module_name_for,
    resolve_relative,
    walk,
)
from posthog_setup.frameworks import registry


def resolved_calls(
    source: str, module: str = "blog.routes", is_package: bool = False
) -> dict[int, str | None]:
    tree = ast.parse(dedent(source))
    spellings = Spellings({k: v for a in registry.analysers() for k, v in a.spellings.items()})
    names = ModuleNames(tree, module, is_package, spellings)
    return {
        node.lineno: names.resolve(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }


def test_aliased_import_resolves_to_the_framework_name() -> None:
    calls = resolved_calls(
        """\
        from flask import Flask as F
        app = F(__name__)
        """
    )
    assert calls == {2: "flask.Flask"}


def test_module_import_and_attribute_chain() -> None:
    calls = resolved_calls(
        """\
        import flask.views
        import fastapi as fa
        flask.views.MethodView()
        fa.APIRouter()
        """
    )
    assert calls == {3: "flask.views.MethodView", 4: "fastapi.APIRouter"}


def test_defining_module_is_mapped_to_the_public_name() -> None:
    calls = resolved_calls(
        """\
        from flask.app import Flask
        from fastapi.routing import APIRouter
        from django.conf.urls import url
        Flask()
        APIRouter()
        url()
        """
    )
    assert calls == {4: "flask.Flask", 5: "fastapi.APIRouter", 6: "django.urls.re_path"}


def test_local_shadows_the_import_inside_a_function() -> None:
    calls = resolved_calls(
        """\
        from flask import Blueprint

        def build(Blueprint):
            return Blueprint("x")

        Blueprint("y")
        """
    )
    assert calls == {4: "blog.routes.build.<locals>.Blueprint", 6: "flask.Blueprint"}


def test_rebinding_at_module_level_takes_the_latest_earlier_binding() -> None:
    calls = resolved_calls(
        """\
        from flask import Flask
        Flask()
        Flask = object
        Flask()
        """
    )
    assert calls == {2: "flask.Flask", 4: "blog.routes.Flask"}


def test_names_never_bound_do_not_resolve() -> None:
    assert resolved_calls("route('/x')\n") == {1: None}


def test_class_body_names_are_not_visible_in_methods() -> None:
    calls = resolved_calls(
        """\
        from flask import Flask
        class Views:
            Flask = dict
            def make(self):
                return Flask()
        """
    )
    assert calls == {5: "flask.Flask"}


def test_global_declaration_reaches_the_module_binding() -> None:
    calls = resolved_calls(
        """\
        from flask import Flask
        def init():
            global Flask
            return Flask()
        """
    )
    assert calls == {4: "flask.Flask"}


@pytest.mark.parametrize(
    ("module", "is_package", "level", "target", "expected"),
    [
        ("blog.routes", False, 1, "models", "blog.models"),
        ("blog", True, 1, "models", "blog.models"),
        ("blog.api.views", False, 2, "extensions", "blog.extensions"),
        ("blog.routes", False, 1, None, "blog"),
        ("blog.routes", False, 0, "flask", "flask"),
    ],
)
def test_relative_imports(
    module: str, is_package: bool, level: int, target: str | None, expected: str
) -> None:
    assert resolve_relative(module, is_package, level, target) == expected


def test_relative_import_resolves_to_project_module() -> None:
    calls = resolved_calls("from .models import Post\nPost()\n", module="blog.views")
    assert calls == {2: "blog.models.Post"}


def test_module_names_for_files() -> None:
    assert module_name_for("blog/__init__.py") == ("blog", True)
    assert module_name_for("blog/api/views.py") == ("blog.api.views", False)
    assert module_name_for("wsgi.py") == ("wsgi", False)


def _fixture_trees() -> list[ast.Module]:
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    trees = []
    for path in sorted(fixtures.rglob("*.py")):
        try:
            trees.append(ast.parse(path.read_bytes()))
        except SyntaxError:
            continue  # written for a newer Python, or broken on purpose
    return trees


_EVERY_LIST = """
def outer(a, *, b, c=1, **rest):
    global TOTAL
    seen = {**rest, "a": a}

    def inner():
        nonlocal seen
        return seen

    match a:
        case Point(x=0, y=other) | {"k": 1, **more}:
            return [b, c, other, more]
    return {**seen}
"""


def test_the_walk_and_the_children_are_the_standard_librarys() -> None:
    """Every node, in ``ast.walk``'s order, and each node's children as
    ``ast.iter_child_nodes`` gives them: over every file of the fixtures (new syntax
    included: match statements, type aliases where the running Python reads them)."""
    trees = [*_fixture_trees(), ast.parse(_EVERY_LIST)]
    assert len(trees) > 100
    for tree in trees:
        walked = walk(tree)
        assert walked == list(ast.walk(tree))
        for node in walked:
            assert child_nodes(node) == list(ast.iter_child_nodes(node))
