"""The source text of the calls the route codemods insert, laid out as a person would.

A call stays on one line when it fits in ``MAX_LINE`` columns at the indentation it
will sit at; otherwise it gets one argument per line and a trailing comma (and a
dict argument that still does not fit gets one item per line), indented with the
file's own indent. The text is then parsed with the module's config, never spliced.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass

#: Lines the codemods write are at most this wide (tabs counted as four columns).
MAX_LINE = 100


@dataclass(frozen=True)
class DictArg:
    """A keyword argument whose value is a dict literal: ``properties={"post_id": post.id}``.

    ``items`` pairs each key (a plain string, quoted when rendered) with a Python expression.
    """

    keyword: str
    items: tuple[tuple[str, str], ...]

    def inline(self) -> str:
        pairs = ", ".join(f"{string_literal(key)}: {value}" for key, value in self.items)
        return f"{self.keyword}={{{pairs}}}"

    def split(self, step: str) -> str:
        lines = [f"{self.keyword}={{"]
        lines += [f"{step}{string_literal(key)}: {value}," for key, value in self.items]
        lines.append("}")
        return "\n".join(lines)


Argument = str | DictArg


def string_literal(text: str) -> str:
    """A double-quoted Python string literal for ``text`` (JSON escapes are valid Python)."""
    return json.dumps(text, ensure_ascii=False)


def width(indent: str) -> int:
    """Columns an indentation string takes."""
    return len(indent.expandtabs(4))


def call_source(func: str, args: Sequence[Argument], *, indent: str, step: str) -> str:
    """``func(args...)`` as one statement's text, relative to column 0.

    ``indent`` is where the statement will sit (it decides whether the call fits on
    one line); ``step`` is the file's indentation unit, used for continuation lines.
    """
    rendered = [arg.inline() if isinstance(arg, DictArg) else arg for arg in args]
    one_line = f"{func}({', '.join(rendered)})"
    if width(indent) + len(one_line) <= MAX_LINE:
        return one_line
    lines = [f"{func}("]
    for arg, text in zip(args, rendered, strict=True):
        if isinstance(arg, DictArg) and width(indent + step) + len(text) + 1 > MAX_LINE:
            text = arg.split(step).replace("\n", "\n" + step)
        lines.append(f"{step}{text},")
    lines.append(")")
    return "\n".join(lines)


def as_text(expression: str) -> str:
    """``str(<expression>)``, where it is not text already (ids are sent as text)."""
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return f"str({expression})"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return expression
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "str"
        and len(node.args) == 1
        and not node.keywords
    ):
        return expression
    return f"str({expression})"


def distinct_id_argument(expression: str | None, guard: str | None) -> list[Argument]:
    """The ``distinct_id=`` argument, or nothing when the request context supplies the id.

    With a guard the id is sent only when the user is known, otherwise left to the context.
    """
    if expression is None:
        return []
    value = as_text(expression)
    if guard is not None:
        value = f"{value} if {guard} else None"
    return [f"distinct_id={value}"]


def indented(code: str, step: str) -> str:
    """Every non-empty line of ``code`` moved one indentation step to the right."""
    return "\n".join(f"{step}{line}" if line else line for line in code.split("\n"))
