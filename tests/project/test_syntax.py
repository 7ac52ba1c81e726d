"""Parsing files written for a newer Python than the one running the tests.

Each newer construct is parsed through the lowering when the running ``ast`` refuses it
(natively, then shaped the same way, when it does not), and must give the tree of the
same code written in older syntax on the same lines: same nodes, same line numbers.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from posthog_setup.project.lowering import lower_source
from posthog_setup.project.python_version import DeclaredPython, declared_python, oldest_allowed
from posthog_setup.project.syntax import (
    NewerThanProject,
    compiled_tree,
    parse_any,
    parse_python,
)

RUNNING = sys.version_info[:2]

# (newer source, the same program in syntax every supported Python reads, oldest Python
# that reads the newer source)
EQUIVALENT = [
    pytest.param(
        "try:\n    pass\nexcept A, B:\n    pass\n",
        "try:\n    pass\nexcept (A, B):\n    pass\n",
        (3, 14),
        id="pep758-except",
    ),
    pytest.param(
        "def f[\n    T: int = str,\n    *Ts,\n    **P,\n](x: T) -> T:\n    return x\n",
        "def f(\n\n\n\nx: T) -> T:\n    return x\n",
        (3, 13),
        id="pep695-def-with-pep696-defaults",
    ),
    pytest.param(
        "async def f[T](x: T):\n    return [y async for y in x]\n",
        "async def f(x: T):\n    return [y async for y in x]\n",
        (3, 12),
        id="pep695-async-def",
    ),
    pytest.param(
        "class C[\n    T,\n]:\n    x = 1\nclass D[T](Base, metaclass=M):\n    y = 2\n",
        "class C(\n\n):\n    x = 1\nclass D(Base, metaclass=M):\n    y = 2\n",
        (3, 12),
        id="pep695-class",
    ),
    pytest.param(
        "type X[T] = list[T]\ntype Y = int; z = 3\n",
        "X = list[T]\nY = int; z = 3\n",
        (3, 12),
        id="pep695-type-statement",
    ),
    pytest.param(
        "type Z[\n    T = int,\n] = dict[str, T]\nw = 1\n",
        "Z = (\n\ndict[str, T])\nw = 1\n",
        (3, 13),
        id="pep695-multiline-type-statement",
    ),
    pytest.param(
        'a = f"{d["k"]!r:>{w["n"]}} {x = }"\n',
        "a = f\"{d['k']!r:>{w['n']}} {x = }\"\n",
        (3, 12),
        id="pep701-nested-quotes",
    ),
    pytest.param(
        'a = f"{f"{f"{x}"}"}"\n',
        "a = f\"\"\"{f'''{f'{x}'}'''}\"\"\"\n",
        (3, 12),
        id="pep701-nested-f-strings",
    ),
    pytest.param(
        'c = f"{\n    x  # the x\n    + 1\n}"\nd = 1\n',
        'c = f"""{\n    x\n    + 1\n}"""\nd = 1\n',
        (3, 12),
        id="pep701-multiline-field-with-comment",
    ),
    pytest.param(
        'e = t"{x} {y!r}"\n',
        'e = f"{x} {y!r}"\n',
        (3, 14),
        id="pep750-template-string",
    ),
]


def _shape(tree: ast.AST) -> tuple[str, list[tuple[str, int, int | None]]]:
    """The tree without positions, and where each statement starts and ends."""
    lines = [
        (type(node).__name__, node.lineno, node.end_lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt)
    ]
    return ast.dump(tree, include_attributes=False), lines


@pytest.mark.parametrize(("newer", "older", "needs"), EQUIVALENT)
def test_newer_syntax_gives_the_tree_of_the_older_spelling(
    newer: str, older: str, needs: tuple[int, int]
) -> None:
    parsed = parse_any(newer, "new.py")
    assert _shape(parsed.tree) == _shape(ast.parse(older))
    if needs > RUNNING:
        assert parsed.needs == needs
    # Lowering keeps every line where it was.
    assert lower_source(newer).text.count("\n") == newer.count("\n")


def test_a_backslash_in_an_f_string_field_keeps_its_expression() -> None:
    tree = parse_python('b = f"{"\\n".join(xs)}"\n')
    value = tree.body[0].value  # type: ignore[attr-defined]
    assert isinstance(value, ast.JoinedStr)
    field = value.values[0]
    assert isinstance(field, ast.FormattedValue)
    expected = ast.parse('"\\n".join(xs)', mode="eval").body
    assert ast.dump(field.value) == ast.dump(expected)


def test_a_grafted_field_is_on_its_own_line() -> None:
    tree = parse_python('x = 1\nc = f"{\n    a  # first\n    + b\n}"\n')
    names = {n.id: n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert names == {"x": 1, "c": 2, "a": 3, "b": 4}


def test_except_star_and_star_expressions_parse_on_every_python() -> None:
    tree = parse_python(
        "try:\n    pass\nexcept* ValueError, TypeError:\n    pass\n"
        "a = b[*c]\ndef g(*args: *Ts): ...\n"
    )
    assert [type(s).__name__ for s in tree.body][1:] == ["Assign", "FunctionDef"]
    assert [s.lineno for s in tree.body] == [1, 5, 6]


def test_syntax_every_supported_python_reads_is_parsed_natively() -> None:
    source = (
        "match point:\n    case (0, y) if (z := y):\n        pass\n"
        "async def f():\n    return [x async for x in g()]\n"
        "with (open(a) as b, open(c) as d):\n    pass\n"
    )
    assert parse_any(source).constructs == ()


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("def f(:\n    pass\n", id="broken-def"),
        pytest.param("type X = int\nx = = 1\n", id="error-after-newer-syntax"),
        pytest.param("try:\n    pass\nexcept A, B as e:\n    pass\n", id="pep758-with-as"),
        pytest.param('s = f"{x!z}"\n', id="bad-conversion"),
        pytest.param("class C[T]:\n    return 1\n", id="newer-syntax-return-outside"),
    ],
)
def test_a_real_syntax_error_is_still_one(source: str) -> None:
    with pytest.raises(SyntaxError):
        compiled_tree(source, "broken.py")


def test_a_file_is_judged_by_the_projects_python() -> None:
    source = 'type UserId = int\nname = f"{user["name"]}"\n'
    assert isinstance(compiled_tree(source, "m.py", (3, 12)), ast.Module)
    with pytest.raises(NewerThanProject, match=r"Python 3\.12 .*the project's Python is 3\.11"):
        compiled_tree(source, "m.py", (3, 11))
    with pytest.raises(NewerThanProject, match=r"3\.13"):
        compiled_tree("try:\n    pass\nexcept A, B:\n    pass\n", "m.py", (3, 13))
    # Syntax the running Python reads but the project's does not, found by the grammar.
    with pytest.raises(NewerThanProject, match=r"3\.9"):
        compiled_tree("match x:\n    case _:\n        pass\n", "m.py", (3, 9))


def test_no_declared_python_accepts_any_python_up_to_314() -> None:
    assert isinstance(compiled_tree("try:\n    pass\nexcept A, B:\n    pass\n", "m.py"), ast.Module)


@pytest.mark.parametrize(
    ("specifier", "expected"),
    [
        (">=3.12", (3, 12)),
        ("~=3.11", (3, 11)),
        (">=3.10,<4", (3, 10)),
        ("==3.12.*", (3, 12)),
        ("^3.13", (3, 13)),
        ("<3", None),
        ("not a specifier", None),
    ],
)
def test_oldest_allowed(specifier: str, expected: tuple[int, int] | None) -> None:
    assert oldest_allowed(specifier) == expected


def test_declared_python_sources_in_order(tmp_path: Path) -> None:
    assert declared_python(tmp_path) is None
    (tmp_path / "runtime.txt").write_text("python-3.11.9\n")
    assert declared_python(tmp_path) == DeclaredPython((3, 11), "runtime.txt")
    (tmp_path / ".python-version").write_text("3.13.1\n3.12\n")
    assert declared_python(tmp_path) == DeclaredPython((3, 12), ".python-version")
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.10"\n')
    assert declared_python(tmp_path) == DeclaredPython((3, 10), "pyproject.toml")
