"""Statements planned into blocks of the original tree, applied in one transformation.

The kinds of edit (capture, identify, logout, exceptions) only plan: they record
statements to go before or after a ``Spot``. ``SpliceTransformer`` then rewrites each
touched block once, when libcst leaves it, so edits in nested blocks and at several
places of one handler never disturb each other. A one-line block that receives code
(``def f(): return x``) becomes an indented block.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from posthog_setup.analysis.bindings import Bindings, bindings, means_import
from posthog_setup.codemods.base import (
    ClientImport,
    NeededImport,
    add_imports,
    statement,
)
from posthog_setup.codemods.handlers import Positions, Spot
from posthog_setup.codemods.lines import Paired


@dataclass
class _Splice:
    """What surrounds one statement: code before, a replacement, code after, then a tail."""

    before: list[cst.BaseStatement] = field(default_factory=list)
    replacement: list[cst.BaseStatement] | None = None
    after: list[cst.BaseStatement] = field(default_factory=list)
    tail: list[cst.BaseStatement] = field(default_factory=list)


class Splices:
    """Planned insertions, keyed by the original block and the statement's index in it."""

    def __init__(self) -> None:
        self._blocks: dict[cst.BaseSuite, dict[int, _Splice]] = {}

    def __bool__(self) -> bool:
        return bool(self._blocks)

    def _at(self, spot: Spot) -> _Splice:
        return self._blocks.setdefault(spot.block, {}).setdefault(spot.index, _Splice())

    def insert(self, spot: Spot, statements: Sequence[cst.BaseStatement], *, before: bool) -> None:
        """Put ``statements`` right before or right after the statement at ``spot``."""
        splice = self._at(spot)
        (splice.before if before else splice.after).extend(statements)

    def replace(
        self,
        spot: Spot,
        statements: Sequence[cst.BaseStatement],
        tail: Sequence[cst.BaseStatement] = (),
    ) -> None:
        """Replace the statement at ``spot``; later ``insert(after)`` calls land before ``tail``."""
        splice = self._at(spot)
        splice.replacement = list(statements)
        splice.tail = list(tail)

    def replaced(self, spot: Spot) -> bool:
        splice = self._blocks.get(spot.block, {}).get(spot.index)
        return splice is not None and splice.replacement is not None

    def apply(self, original: cst.BaseSuite, updated: cst.BaseSuite) -> cst.BaseSuite:
        """``updated`` with the statements planned for ``original`` spliced in."""
        planned = self._blocks.get(original)
        if planned is None:
            return updated
        if isinstance(updated, cst.SimpleStatementSuite):
            # A one-line block: one line per small statement, without the semicolons.
            lines: list[cst.BaseStatement] = [
                cst.SimpleStatementLine(
                    body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]
                )
                for small in updated.body
            ]
        elif isinstance(updated, cst.IndentedBlock):
            lines = list(updated.body)
        else:
            return updated
        body: list[cst.BaseStatement] = []
        for index, line in enumerate(lines):
            splice = planned.get(index, _Splice())
            body += splice.before
            body += [line] if splice.replacement is None else splice.replacement
            body += splice.after
            body += splice.tail
        if isinstance(updated, cst.SimpleStatementSuite):
            return cst.IndentedBlock(header=updated.trailing_whitespace, body=body)
        return updated.with_changes(body=body)


_NO_BLOCKS = (cst.BaseExpression, cst.SimpleStatementLine, cst.Decorator, cst.Parameters)


class SpliceTransformer(cst.CSTTransformer):
    """Applies every planned splice in one pass over the tree."""

    def __init__(self, splices: Splices) -> None:
        super().__init__()
        self._splices = splices

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Blocks live in compound statements only; expressions, simple statement lines,
        # decorators and parameters (most of any tree) cannot hold one, so are not entered.
        if isinstance(node, _NO_BLOCKS):
            return False
        return super().on_visit(node)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.BaseSuite:
        return self._splices.apply(original_node, updated_node)

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.BaseSuite:
        return self._splices.apply(original_node, updated_node)


@dataclass
class FileEdit:
    """One file being edited: its tree, the planned splices and the imports they need.

    ``claimed`` remembers what this run already planned per handler (an event name,
    ``identify_context``), so two points asking for the same call insert it once.
    """

    module: cst.Module
    client: ClientImport
    paired: Paired
    splices: Splices = field(default_factory=Splices)
    imports: set[tuple[str, str, int]] = field(default_factory=set)
    claimed: set[tuple[int, str]] = field(default_factory=set)
    _module_bindings: Bindings | None = field(default=None, repr=False)

    @property
    def positions(self) -> Positions:
        return self.paired.positions

    @property
    def step(self) -> str:
        """The file's indentation unit."""
        return self.module.default_indent

    def statement(self, code: str) -> cst.BaseStatement:
        """One statement parsed in the file's own style."""
        return statement(code, self.module)

    def claim(self, node: cst.CSTNode, key: str) -> bool:
        """True the first time ``key`` is planned for ``node`` in this run."""
        if self.has_claimed(node, key):
            return False
        self.claimed.add((id(node), key))
        return True

    def has_claimed(self, node: cst.CSTNode, key: str) -> bool:
        """Was ``key`` planned for ``node`` in this run?"""
        return (id(node), key) in self.claimed

    def use_client(self) -> None:
        self.imports.add(self.client.imported)

    def use(self, module: str, name: str) -> None:
        self.imports.add((module, name, 0))

    def may_import(self, imports: Iterable[tuple[str, str]], function: cst.FunctionDef) -> bool:
        """Does each ``(module, name)`` mean that import where ``function`` reads it, once
        added? (An expression reading a name the code binds otherwise is left out, and so is
        one where the bindings cannot be read: the file's ast did not pair with its tree.)"""
        imports = list(imports)
        if not imports:
            return True
        tree, scope = self.paired.tree, self.paired.definitions.get(function)
        if tree is None or not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        if self._module_bindings is None:
            self._module_bindings = bindings(tree)
        known, local = self._module_bindings, bindings(scope)
        return all(means_import(known, local, module, name) for module, name in imports)

    def binds_client(self, function: cst.FunctionDef) -> bool:
        """Does ``function`` bind the client's name itself (a parameter or a local called
        ``posthog``)? A call inserted there would reach that, not the client."""
        scope = self.paired.definitions.get(function)
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        return self.client.name in bindings(scope)

    def transform(self) -> cst.Module:
        """The module with every splice applied and the needed imports added."""
        if not self.splices:
            return self.module
        updated = self.module.visit(SpliceTransformer(self.splices))
        # The client's module is the project's own, whatever it is called.
        own = None if self.client.module_default else self.client.imported
        needed = [
            NeededImport(*imported, local=imported == own) for imported in sorted(self.imports)
        ]
        return add_imports(updated, needed)
