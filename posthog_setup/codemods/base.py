"""What every edit shares: file changes as data, libcst parsing in the file's own style,
and how a module imports the project's PostHog client.

An edit never writes: it returns ``FileChange`` records (the bytes before and after),
and the edit workflow decides whether to write them, print a diff or only check.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
import libcst.helpers

from posthog_setup.codemods.changes import (
    ClientImport,
    EditError,
    FileChange,
    client_import,
    module_of,
)
from posthog_setup.plan.plan import CLIENT_NAME

__all__ = [
    "CLIENT_NAME",
    "ClientImport",
    "EditError",
    "FileChange",
    "client_import",
    "client_needed",
    "module_of",
]


def parse_module(source: str, path: str) -> cst.Module:
    """Parse with libcst; raises EditError naming the file and line on a syntax error."""
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise EditError(f"{path}: cannot parse (line {exc.raw_line}): {exc.message}") from exc


def statement(code: str, module: cst.Module) -> cst.BaseStatement:
    """One statement, parsed with the module's own indentation and newline style."""
    return cst.parse_statement(code, config=module.config_for_parsing)


# -- imports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NeededImport:
    """``from <module> import <name>`` with ``relative`` leading dots; ``import <module>`` when
    ``name`` is empty."""

    module: str
    name: str
    relative: int = 0
    #: a module of the project (one the tool generates), whatever its name
    local: bool = False

    @property
    def bound(self) -> str:
        """The name the import binds in the importing module."""
        return self.name or self.module.split(".", 1)[0]

    def source(self) -> str:
        if not self.name:
            return f"import {self.module}"
        return f"from {'.' * self.relative}{self.module} import {self.name}"


class _Uses(cst.CSTVisitor):
    """Is ``name`` read where a statement runs as the module is imported (not in the body
    of a function or lambda it defines, which runs later)?"""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_Name(self, node: cst.Name) -> bool:
        self.found = self.found or node.value == self.name
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for part in (*node.decorators, node.params, node.returns):
            if part is not None:
                part.visit(self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        node.params.visit(self)
        return False

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False


def _first_use(body: Sequence[cst.BaseStatement], name: str) -> int | None:
    """The index of the first statement of ``body`` that reads ``name`` as it runs, where
    an import follows it (the only place a use can be above where an import would go):
    the statements after the last import are never walked."""
    imports = [
        index
        for index, stmt in enumerate(body)
        if isinstance(stmt, cst.SimpleStatementLine)
        and any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in stmt.body)
    ]
    for index, stmt in enumerate(body[: imports[-1] if imports else 0]):
        uses = _Uses(name)
        stmt.visit(uses)
        if uses.found:
            return index
    return None


def _drop_below_use(body: list[cst.BaseStatement], item: NeededImport) -> bool:
    """Take ``item``'s top-level import out of ``body`` where it comes after the first
    statement that reads its name as the module runs; whether it did."""
    limit = _first_use(body, item.bound)
    if limit is None:
        return False
    for index in range(limit + 1, len(body)):
        stmt = body[index]
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        node = stmt.body[0]
        if (
            item.name
            and isinstance(node, cst.ImportFrom)
            and not isinstance(node.names, cst.ImportStar)
        ):
            dotted = cst.helpers.get_full_name_for_node(node.module) if node.module else ""
            if dotted != item.module or len(node.relative) != item.relative:
                continue
            kept = [
                a for a in node.names if not (a.asname is None and a.evaluated_name == item.name)
            ]
            if len(kept) == len(node.names):
                continue
            if kept:
                last = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                body[index] = stmt.with_changes(body=[node.with_changes(names=[*kept[:-1], last])])
            else:
                del body[index]
            return True
        names = (
            [cst.helpers.get_full_name_for_node(a.name) for a in node.names]
            if isinstance(node, cst.Import)
            else []
        )
        if not item.name and names == [item.module]:
            del body[index]
            return True
    return False


def client_needed(client: ClientImport) -> NeededImport:
    """The client's import; its module is the project's own, whatever it is called."""
    return NeededImport(*client.imported, local=not client.module_default)


def _imported(module: cst.Module) -> set[tuple[str, str, int]]:
    """``(module, name, dots)`` of every top-level import (name "" for ``import module``)."""
    found = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if alias.asname is None:
                        found.add((cst.helpers.get_full_name_for_node(alias.name) or "", "", 0))
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                dotted = cst.helpers.get_full_name_for_node(small.module) if small.module else ""
                for alias in small.names:
                    if alias.asname is None:
                        name = cst.helpers.get_full_name_for_node(alias.name) or ""
                        found.add((dotted or "", name, len(small.relative)))
    return found


def _import_group(stmt: cst.BaseStatement, local_tops: frozenset[str]) -> tuple[int, str] | None:
    """(group, sort key) of a top-level import.

    Groups as isort and Ruff have them: 0 ``__future__``, 1 standard library, 2 third
    party, 3 first party (the project's own absolute imports), 4 relative imports.

    Within a group, ``import x`` lines sort before ``from x import`` lines, as isort and
    Ruff order them by default.
    """
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    node = stmt.body[0]
    if isinstance(node, cst.ImportFrom):
        name = (cst.helpers.get_full_name_for_node(node.module) if node.module else "") or ""
        if node.relative:
            # Furthest first, as Ruff and isort order them: ``..x`` before ``.`` and ``.y``.
            return 4, f"1{99 - len(node.relative):02d}{name}"
        kind = "1"
    elif isinstance(node, cst.Import):
        name = cst.helpers.get_full_name_for_node(node.names[0].name) or ""
        kind = "0"
    else:
        return None
    top = name.split(".", 1)[0]
    if top == "__future__":
        return 0, kind + name
    if top in sys.stdlib_module_names:
        return 1, kind + name
    return (3 if top in local_tops else 2), kind + name


_BLANK = (cst.EmptyLine(),)


def _insert_import(
    body: list[cst.BaseStatement],
    new: cst.SimpleStatementLine,
    local_tops: frozenset[str],
    limit: int | None = None,
) -> bool:
    """Insert ``new`` among the top-level imports above ``body[limit]`` in isort order;
    False if there are none."""
    key = _import_group(new, local_tops)
    assert key is not None
    groups = [
        (i, g)
        for i, g in ((i, _import_group(s, local_tops)) for i, s in enumerate(body[:limit]))
        if g
    ]
    if not groups:
        return False
    same = [(i, g) for i, g in groups if g[0] == key[0]]
    if same:
        later = next((i for i, g in same if g[1].lower() > key[1].lower()), None)
        if later is None:
            body.insert(same[-1][0] + 1, new.with_changes(leading_lines=()))
            return True
        anchor = cast_line(body[later])
        # A blank line opening the block stays at the top of the block.
        body[later] = anchor.with_changes(leading_lines=())
        body.insert(later, new.with_changes(leading_lines=anchor.leading_lines))
        return True
    following = next((i for i, g in groups if g[0] > key[0]), None)
    if following is not None:
        anchor = cast_line(body[following])
        body[following] = anchor.with_changes(leading_lines=_BLANK)
        body.insert(following, new.with_changes(leading_lines=anchor.leading_lines))
        return True
    body.insert(groups[-1][0] + 1, new.with_changes(leading_lines=_BLANK))
    return True


def _by_type(name: str) -> tuple[int, str]:
    """Ruff's and isort's default order of imported names: constants, classes, the rest,
    each alphabetically."""
    if name.isupper() and len(name) > 1:
        return 0, name.lower()
    return (1 if name[:1].isupper() else 2), name.lower()


def _alphabetically(name: str) -> tuple[int, str]:
    return 0, name.lower()


def _extend_from_import(
    body: list[cst.BaseStatement], item: NeededImport, limit: int | None = None
) -> bool:
    """Add ``item.name`` to an existing ``from <module> import ...`` line above
    ``body[limit]``; False if there is none.

    The name goes at its place when the names are sorted (by type, as Ruff and isort sort
    them, or alphabetically; else last), with the separators the line already uses, so a
    parenthesised import stays one per line.
    """
    for index, stmt in enumerate(body[:limit]):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        node = stmt.body[0]
        if (
            not isinstance(node, cst.ImportFrom)
            or isinstance(node.names, cst.ImportStar)
            or len(node.relative) != item.relative
            or (cst.helpers.get_full_name_for_node(node.module) if node.module else "")
            != item.module
        ):
            continue
        names = list(node.names)
        spelled = [cst.helpers.get_full_name_for_node(a.name) or "" for a in names]
        between = next(
            (a.comma for a in names[:-1] if isinstance(a.comma, cst.Comma)),
            cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
        )
        alias = cst.ImportAlias(name=cst.Name(item.name))
        position = len(names)
        for order in (_by_type, _alphabetically):
            keys = [order(name) for name in spelled]
            if keys == sorted(keys):
                new = order(item.name)
                position = next((i for i, k in enumerate(keys) if k > new), len(names))
                break
        if position == len(names):
            last = names[-1]
            names[-1] = last.with_changes(comma=between)
            names.append(alias.with_changes(comma=last.comma))
        else:
            names.insert(position, alias.with_changes(comma=between))
        body[index] = stmt.with_changes(body=[node.with_changes(names=names)])
        return True
    return False


def add_imports(module: cst.Module, needed: Sequence[NeededImport]) -> cst.Module:
    """Add the imports that are missing, each in the file's own group, in order.

    A name from a module the file already imports from joins that line. A new import
    joins its block (standard library, third party, local) at its alphabetical place,
    as isort and Ruff order them; a block the file lacks is
    opened, with a blank line, where it belongs. A file with no imports at all is
    left to libcst's AddImportsVisitor (after the docstring and ``__future__``).
    """
    body: list[cst.BaseStatement] = list(module.body)
    # An import an earlier edit added below a use made since (the captures' import with
    # the project's own, then a hook-up run as the module is imported) moves above it.
    moved = [n for n in needed if _drop_below_use(body, n)]
    if moved:
        module = module.with_changes(body=body)
    present = _imported(module)
    missing = [n for n in needed if (n.module, n.name, n.relative) not in present]
    if not missing:
        return module
    # The client module is the project's own, so its package is local whatever its name;
    # so is a module generated beside it (a framework's plugin).
    local_tops = frozenset(
        n.module.split(".", 1)[0]
        for n in needed
        if (n.name == CLIENT_NAME or n.local) and not n.relative
    )
    leftovers = []
    for item in missing:
        # Above the first statement that uses the name as the module runs (the hook-up
        # after ``app = Flask(...)``), whatever the file imports further down (``from app
        # import routes`` at the end of a package, against circular imports).
        limit = _first_use(body, item.bound)
        if item.name and _extend_from_import(body, item, limit):
            continue
        new = cast_line(cst.parse_statement(item.source(), config=module.config_for_parsing))
        if not _insert_import(body, new, local_tops, limit):
            # No import above that use: libcst's visitor opens the block at the top.
            leftovers.append(item)
    updated = module.with_changes(body=body)
    if leftovers:
        # Only here: libcst.codemod imports libcst.matchers, which costs more than libcst.
        from libcst.codemod import CodemodContext
        from libcst.codemod.visitors import AddImportsVisitor

        context = CodemodContext()
        for item in leftovers:
            AddImportsVisitor.add_needed_import(
                context, item.module, item.name or None, relative=item.relative
            )
        updated = AddImportsVisitor(context).transform_module(updated)
    return updated


def cast_line(stmt: cst.BaseStatement) -> cst.SimpleStatementLine:
    """A parsed import statement, as the simple statement line it is."""
    assert isinstance(stmt, cst.SimpleStatementLine)
    return stmt
