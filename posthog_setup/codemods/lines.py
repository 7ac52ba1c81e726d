"""Line ranges of libcst statements, read off the standard library's ast.

The route codemods need the first and last line of statements, of function and
class names and of decorators, to find what the plan points at. libcst's
PositionProvider computes them with a full code generation pass, which costs
several times the edit itself; ``ast`` has them already, for about the price
of one parse. The two trees have the same statements in the same order, so
they are paired structurally; syntax newer than the running interpreter is
lowered first, on the same lines (``project.lowering``). Where they ever
disagree, the caller falls back to PositionProvider.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

from posthog_setup.project.syntax import lowered_tree

Positions = dict[cst.CSTNode, CodeRange]
#: libcst ``def``/``class`` nodes and the ast nodes of the same definitions
AstDefinitions = dict[cst.CSTNode, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]
#: ``try`` statements as ast has them (``try``/``except*`` is its own node from 3.11).
_TRY_STATEMENTS: tuple[type[ast.Try], ...] = (
    (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)
)


class _Mismatch(Exception):
    """The ast and libcst trees do not pair up."""


class _Out(dict[cst.CSTNode, CodeRange]):
    """Positions, plus the definitions paired on the way."""

    def __init__(self) -> None:
        super().__init__()
        self.definitions: AstDefinitions = {}


@dataclass(frozen=True)
class Paired:
    """A libcst module's statement positions and the ast tree they were read from: its
    definitions paired with libcst's (all empty when the trees did not pair up)."""

    positions: Positions
    definitions: AstDefinitions
    tree: ast.Module | None


def _range(start: int, end: int | None) -> CodeRange:
    return CodeRange(CodePosition(start, 0), CodePosition(end or start, 0))


def _block(
    body: Sequence[cst.BaseStatement | cst.BaseSmallStatement],
    statements: Sequence[ast.stmt],
    out: Positions,
) -> None:
    index = 0
    for node in body:
        if isinstance(node, cst.SimpleStatementLine):
            group = statements[index : index + len(node.body)]
            if len(group) != len(node.body):
                raise _Mismatch
            index += len(group)
            out[node] = _range(group[0].lineno, max(s.end_lineno or s.lineno for s in group))
            for small, stmt in zip(node.body, group, strict=True):
                out[small] = _range(stmt.lineno, stmt.end_lineno)
        elif isinstance(node, cst.BaseSmallStatement):
            # A statement of a one-line suite (``if ok: a(); b()``).
            if index >= len(statements):
                raise _Mismatch
            out[node] = _range(statements[index].lineno, statements[index].end_lineno)
            index += 1
        else:
            if index >= len(statements):
                raise _Mismatch
            _compound(node, statements[index], out)
            index += 1
    if index != len(statements):
        raise _Mismatch


def _suite(suite: cst.BaseSuite, statements: Sequence[ast.stmt], out: Positions) -> None:
    _block(suite.body, statements, out)


def _orelse(
    orelse: cst.If | cst.Else | None, statements: Sequence[ast.stmt], out: Positions
) -> None:
    if isinstance(orelse, cst.If):
        if len(statements) != 1:
            raise _Mismatch
        _compound(orelse, statements[0], out)
    elif isinstance(orelse, cst.Else):
        _suite(orelse.body, statements, out)
    elif statements:
        raise _Mismatch


def _compound(node: cst.BaseStatement, stmt: ast.stmt, out: Positions) -> None:
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            raise _Mismatch
        if isinstance(out, _Out):
            out.definitions[node] = stmt
        if len(node.decorators) != len(stmt.decorator_list):
            raise _Mismatch
        # As PositionProvider has it: a definition starts at ``def``/``class``, after its
        # decorators, which have ranges of their own.
        out[node] = _range(stmt.lineno, stmt.end_lineno)
        out[node.name] = _range(stmt.lineno, stmt.lineno)
        for decorator, expr in zip(node.decorators, stmt.decorator_list, strict=True):
            out[decorator] = _range(expr.lineno, expr.end_lineno)
        _suite(node.body, stmt.body, out)
        return
    out[node] = _range(stmt.lineno, stmt.end_lineno)
    if (
        (isinstance(node, cst.If) and isinstance(stmt, ast.If))
        or (isinstance(node, cst.For) and isinstance(stmt, (ast.For, ast.AsyncFor)))
        or (isinstance(node, cst.While) and isinstance(stmt, ast.While))
    ):
        _suite(node.body, stmt.body, out)
        _orelse(node.orelse, stmt.orelse, out)
    elif isinstance(node, cst.With) and isinstance(stmt, (ast.With, ast.AsyncWith)):
        _suite(node.body, stmt.body, out)
    elif isinstance(node, (cst.Try, cst.TryStar)) and isinstance(stmt, _TRY_STATEMENTS):
        _suite(node.body, stmt.body, out)
        handlers: Sequence[cst.ExceptHandler | cst.ExceptStarHandler] = node.handlers
        if len(handlers) != len(stmt.handlers):
            raise _Mismatch
        for handler, ast_handler in zip(handlers, stmt.handlers, strict=True):
            out[handler] = _range(ast_handler.lineno, ast_handler.end_lineno)
            _suite(handler.body, ast_handler.body, out)
        _orelse(node.orelse, stmt.orelse, out)
        if node.finalbody is not None:
            _suite(node.finalbody.body, stmt.finalbody, out)
        elif stmt.finalbody:
            raise _Mismatch
    elif isinstance(node, cst.Match) and isinstance(stmt, ast.Match):
        if len(node.cases) != len(stmt.cases):
            raise _Mismatch
        for case, ast_case in zip(node.cases, stmt.cases, strict=True):
            _suite(case.body, ast_case.body, out)
    else:
        raise _Mismatch


def line_positions(module: cst.Module, source: str) -> Positions:
    """Start and end lines of every statement, def name and decorator of ``module``.

    Columns are not computed (always 0). Falls back to libcst's PositionProvider
    when the source does not parse with ``ast`` or the trees do not pair up.
    """
    return paired_positions(module, source).positions


def paired_positions(module: cst.Module, source: str) -> Paired:
    """``line_positions``, with the ast tree and each definition's node in it."""
    out = _Out()
    try:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            tree = lowered_tree(module)
        _block(module.body, tree.body, out)
    except (SyntaxError, ValueError, _Mismatch):
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        return Paired(dict(wrapper.resolve(PositionProvider)), {}, None)
    return Paired(dict(out), out.definitions, tree)
