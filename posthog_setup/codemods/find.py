"""Finding nodes in a libcst tree with plain ``isinstance`` tests.

Not ``libcst.matchers``: that package defines a matcher class for every kind of node,
and importing it costs more than importing libcst itself, on every run that edits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import libcst as cst

Node = TypeVar("Node", bound=cst.CSTNode)


class _Finder(cst.CSTVisitor):
    def __init__(self, wanted: Callable[[cst.CSTNode], bool]) -> None:
        super().__init__()
        self.wanted = wanted
        self.found: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.wanted(node):
            self.found.append(node)
        return True


def find_all(
    tree: cst.CSTNode, kind: type[Node], where: Callable[[Node], bool] = lambda _: True
) -> list[Node]:
    """Every node of ``kind`` under ``tree`` (``tree`` itself included) for which ``where``
    holds, in source order."""
    finder = _Finder(lambda node: isinstance(node, kind) and where(node))
    tree.visit(finder)
    return [node for node in finder.found if isinstance(node, kind)]


def is_name(node: cst.CSTNode | None, *values: str) -> bool:
    """A bare name spelled as one of ``values``."""
    return isinstance(node, cst.Name) and node.value in values


def is_attribute(node: cst.CSTNode | None, *attrs: str, of: str | None = None) -> bool:
    """``<anything>.<attr>`` for one of ``attrs``; ``of``: on the bare name ``of`` only."""
    return (
        isinstance(node, cst.Attribute)
        and node.attr.value in attrs
        and (of is None or is_name(node.value, of))
    )


def is_method_call(node: cst.CSTNode | None, *methods: str, of: str | None = None) -> bool:
    """A call ``<anything>.<method>(...)`` for one of ``methods`` (``of``: on that name)."""
    return isinstance(node, cst.Call) and is_attribute(node.func, *methods, of=of)


def only_expression(stmt: cst.CSTNode) -> cst.BaseExpression | None:
    """The expression of a line that holds one expression statement and nothing else."""
    if (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
    ):
        return stmt.body[0].value
    return None


def assigns(stmt: cst.CSTNode, name: str, *, annotated: bool = False) -> bool:
    """A line that only assigns ``name = ...`` to one target (``annotated``: or
    ``name: T = ...``, with or without the value)."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if isinstance(small, cst.AnnAssign):
        return annotated and is_name(small.target, name)
    return (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and is_name(small.targets[0].target, name)
    )
