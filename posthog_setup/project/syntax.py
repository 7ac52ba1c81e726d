"""Parsing Python source whatever Python runs the tool.

Every stage reads files with the standard library's ``ast``: fast, picklable, the tree
the analysis is written against. But ``ast`` knows only the running interpreter's
grammar, and a project may be written for a newer one (``type X = ...`` and
``def f[T]`` from 3.12, f-strings with nested quotes from 3.12, ``except A, B:`` from
3.14). Skipping such a file would lose the login route or the user dependency it holds.

So ``ast.parse`` runs first, and costs nothing more on a file it accepts. Only when it
refuses does libcst, which reads every construct up to Python 3.14, parse the file;
``lowering`` rewrites the newer constructs into older syntax on the same lines, and
``ast`` parses that. A file libcst cannot read either is a real syntax error, reported
as one.

The tree has one shape whatever the Python: a ``type`` statement is the assignment it
lowers to and type parameters are dropped, on the Pythons that read them natively too,
so that the analysis of a file does not depend on the interpreter that ran it.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

    from posthog_setup.project.lowering import Lowered

Version = tuple[int, int]

RUNNING: Version = (sys.version_info[0], sys.version_info[1])
#: A ``type`` statement or a generic ``def``/``class`` might be in the text (3.12+ only).
_TYPE_SYNTAX = re.compile(r"^[ \t]*type[ \t]|\b(?:def|class)[ \t]+\w+[ \t]*\[", re.MULTILINE)


@dataclass(frozen=True)
class Parsed:
    """A tree, and the newer constructs lowering rewrote to get it (empty: ``ast`` read it)."""

    tree: ast.Module
    #: each newer construct the file uses, with the first Python that reads it
    constructs: tuple[tuple[str, Version], ...] = ()
    #: the tree is ``ast.parse``'s own, untouched (no lowering, no type parameters taken out)
    plain: bool = False

    @property
    def needs(self) -> Version | None:
        """The oldest Python that reads the file, when lowering found newer syntax."""
        return max((v for _, v in self.constructs), default=None)


def parse_python(text: str, filename: str = "<unknown>") -> ast.Module:
    """The ast of ``text``; raises SyntaxError (or ValueError for NUL bytes) if no Python
    up to 3.14 accepts it."""
    return parse_any(text, filename).tree


def parse_any(text: str, filename: str = "<unknown>") -> Parsed:
    """``parse_python``, and the newer constructs it had to lower."""
    try:
        tree = ast.parse(text, filename=filename, type_comments=False)
    except SyntaxError as error:
        return _parse_newer(text, filename, error)
    if RUNNING >= (3, 12) and _TYPE_SYNTAX.search(text):
        return Parsed(_WithoutTypeParameters().visit(tree))
    return Parsed(tree, plain=True)


def _parse_newer(text: str, filename: str, error: SyntaxError) -> Parsed:
    """Parse with libcst, lower, and parse that with ``ast``; raises ``error`` for a real one."""
    import libcst as cst

    from posthog_setup.project.lowering import lower_source

    try:
        lowered = lower_source(text)
    except (cst.ParserSyntaxError, RecursionError):
        # Not a newer Python's syntax either: a real error, as the running Python words it
        # (libcst's own positions are less exact).
        raise error from None
    constructs = sorted(lowered.constructs.items(), key=lambda c: (c[1], c[0]))
    return Parsed(_tree_of(lowered, filename), tuple(constructs))


def lowered_tree(module: cst.Module, filename: str = "<unknown>") -> ast.Module:
    """The ast of an already parsed libcst module whose text ``ast`` refused (the edits)."""
    from posthog_setup.project.lowering import lower_module

    return _tree_of(lower_module(module), filename)


def _tree_of(lowered: Lowered, filename: str) -> ast.Module:
    tree = ast.parse(lowered.text, filename=filename, type_comments=False)
    if lowered.fields:
        tree = _Fields(lowered.fields, lowered.placeholder, filename).visit(tree)
    return tree


class _WithoutTypeParameters(ast.NodeTransformer):
    """The tree lowering gives: ``type X = Y`` as ``X = Y``, no type parameter lists."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if getattr(node, "type_params", None):
            setattr(node, "type_params", [])  # noqa: B010 (the field exists from 3.12)
        return super().generic_visit(node)

    def visit_TypeAlias(self, node: ast.AST) -> ast.AST:
        name = node.name  # type: ignore[attr-defined]
        target = ast.copy_location(ast.Name(id=name.id, ctx=ast.Store()), name)
        assign = ast.Assign(targets=[target], value=node.value)  # type: ignore[attr-defined]
        return self.generic_visit(ast.copy_location(assign, node))


class _Fields(ast.NodeTransformer):
    """Put each f-string field's own expression back where lowering left a placeholder."""

    def __init__(self, fields: dict[str, str], placeholder: str, filename: str) -> None:
        self.fields = fields
        self.placeholder = placeholder
        self.filename = filename

    def visit_Name(self, node: ast.Name) -> ast.AST:
        source = self.fields.get(node.id)
        if source is None:
            return node
        # Parenthesised, the expression may span lines and hold comments, as in a field.
        expression = ast.parse(f"({source}\n)", filename=self.filename, mode="eval").body
        for child in ast.walk(expression):
            _shift(child, node.lineno - 1, node.col_offset - 1)
        grafted: ast.AST = self.visit(expression)
        return grafted

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        # The text of a debug field (``{x=}``) names the expression.
        if isinstance(node.value, str) and self.placeholder in node.value:
            value = node.value
            for name, source in self.fields.items():
                value = value.replace(name, source)
            node.value = value
        return node


def _shift(node: ast.AST, lines: int, columns: int) -> None:
    """Move a node parsed on its own to where its placeholder stood."""
    first = getattr(node, "lineno", None)
    if first is None:
        return
    if first == 1:
        node.col_offset += columns  # type: ignore[attr-defined]
    end = getattr(node, "end_lineno", None)
    if end == 1 and getattr(node, "end_col_offset", None) is not None:
        node.end_col_offset += columns  # type: ignore[attr-defined]
    node.lineno = first + lines  # type: ignore[attr-defined]
    if end is not None:
        node.end_lineno = end + lines  # type: ignore[attr-defined]


class NewerThanProject(SyntaxError):
    """Valid Python, but not for the Python the project declares."""


def _dotted(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def compiled_tree(text: str, filename: str, target: Version | None = None) -> ast.Module:
    """The tree of ``text`` once it is known to compile, for ``target`` when given, else
    for some Python up to 3.14; raises SyntaxError (``NewerThanProject`` when only a Python
    newer than ``target`` reads it) or ValueError.

    The verdict does not depend on the Python running the tool: syntax it lacks is read
    through the lowering, and syntax it has but ``target`` lacks is caught by parsing
    again as ``target`` (``feature_version``, which knows the grammar's versions).
    """
    parsed = parse_any(text, filename)
    # Compiling finds what parsing alone does not (a misplaced return, say).
    compile(parsed.tree, filename, "exec", dont_inherit=True)
    if target is None:
        return parsed.tree
    needs = parsed.needs
    if needs is not None and needs > target:
        uses = ", ".join(name for name, version in parsed.constructs if version > target)
        raise NewerThanProject(
            f"uses syntax of Python {_dotted(needs)} ({uses}); the project's Python is "
            f"{_dotted(target)}"
        )
    if needs is None and target < RUNNING:
        try:
            ast.parse(text, filename=filename, feature_version=max(target, (3, 7)))
        except SyntaxError as older:
            raise NewerThanProject(
                f"{older.msg}; the project's Python is {_dotted(target)}",
                (filename, older.lineno, older.offset, older.text),
            ) from None
    return parsed.tree
