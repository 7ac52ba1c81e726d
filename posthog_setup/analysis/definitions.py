"""The functions and classes of a file as the route codemods find them: what each calls,
the events it captures, the names it binds and the ignore comments of its header.

These are the facts by which edit decides, without libcst, that a handler already sends
what the plan asks (``posthog_setup.codemods.present``). The analysis reads them off the
tree it has already parsed for every file that declares handlers, so an integrated
project's check does not parse those files a second time; the codemods read them off a
fresh parse of a file the analysis did not see as it is now.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from posthog_setup.analysis.bindings import bindings
from posthog_setup.analysis.body import called_name
from posthog_setup.analysis.names import child_nodes
from posthog_setup.analysis.rules.records import ignored
from posthog_setup.project.cache import file_digest

#: The ignore-comment rules of the insertion points (as ``capture.RULE`` and its siblings).
CAPTURE_RULE = "missing-capture"
IDENTIFY_RULE = "missing-identify"
EXCEPTION_RULE = "missing-exception-capture"
_POINT_RULES = (CAPTURE_RULE, IDENTIFY_RULE, EXCEPTION_RULE)


@dataclass(frozen=True)
class CallSummary:
    """What a definition calls, collected from its ast node in one cheap walk."""

    names: frozenset[str]
    events: frozenset[str]

    @classmethod
    def of(cls, node: ast.AST) -> CallSummary:
        return _Summaries().of(node)


def _ast_event(call: ast.Call) -> str | None:
    """As ``captured_events`` reads it: ``event=`` first, else the first two positionals."""
    keyword = [k.value for k in call.keywords if k.arg == "event"]
    positional = [a for a in call.args if not isinstance(a, ast.Starred)][:2]
    for value in (*keyword, *positional):
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
    return None


@dataclass(frozen=True)
class Definition:
    """A ``def`` or ``class`` of a file, named as the codemods name it."""

    #: dotted, without ``<locals>``
    qualname: str
    #: the line of ``def`` / ``class``
    line: int
    is_class: bool
    calls: CallSummary
    #: the names a function binds itself (nothing for a class)
    bound: frozenset[str]
    #: the insertion points' rules an ignore comment of the header (its decorator lines
    #: through the first line of its body) turns off
    ignores: frozenset[str]
    #: a class's methods (the first of each name, as the codemods find them) and the
    #: names each calls
    methods: tuple[tuple[str, frozenset[str]], ...] = ()

    def method_calls(self, name: str) -> frozenset[str] | None:
        """The names the class's method ``name`` calls; None if it has no such method."""
        return next((calls for method, calls in self.methods if method == name), None)


@dataclass(frozen=True)
class FileDefinitions:
    """Every definition of one text of a file, in source order, and that text's digest."""

    digest: str
    items: tuple[Definition, ...]

    def of(self, text: str) -> tuple[Definition, ...] | None:
        """The definitions, if they were read off ``text``."""
        return self.items if text_digest(text) == self.digest else None


def text_digest(text: str) -> str:
    return file_digest(text.encode("utf-8", "surrogatepass"))


def file_definitions(tree: ast.Module, text: str) -> FileDefinitions:
    """The definitions of ``text``, whose ast is ``tree`` (as ``ast.parse`` reads it)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return FileDefinitions(text_digest(text), tuple(_definitions(tree, lines)))


_DEFINITION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
DefinitionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _definitions(tree: ast.Module, lines: Sequence[str]) -> Iterator[Definition]:
    summaries = _Summaries()

    def walk(body: Sequence[ast.stmt], names: tuple[str, ...]) -> Iterator[Definition]:
        for stmt in body:
            if isinstance(stmt, _DEFINITION_TYPES):
                qualname = (*names, stmt.name)
                yield _definition(stmt, ".".join(qualname), lines, summaries)
                yield from walk(stmt.body, qualname)
            else:
                for block in _blocks(stmt):
                    yield from walk(block, names)

    yield from walk(tree.body, ())


class _Summaries:
    """``CallSummary.of`` each definition of a file, each node visited once: a definition's
    summary is that of its own nodes joined with those of the definitions nested in it."""

    def __init__(self) -> None:
        self._known: dict[ast.AST, CallSummary] = {}

    def of(self, node: ast.AST) -> CallSummary:
        known = self._known.get(node)
        if known is not None:
            return known
        names: set[str] = set()
        events: set[str] = set()
        stack: list[ast.AST] = [node]
        while stack:
            current = stack.pop()
            if current is not node and isinstance(current, _DEFINITION_TYPES):
                inner = self.of(current)
                names.update(inner.names)
                events.update(inner.events)
                continue
            if type(current) is ast.Call:
                name = called_name(current)
                if name is not None:
                    names.add(name)
                    if name == "capture":
                        event = _ast_event(current)
                        if event is not None:
                            events.add(event)
            stack.extend(child_nodes(current))
        summary = self._known[node] = CallSummary(frozenset(names), frozenset(events))
        return summary


def _definition(
    node: DefinitionNode, qualname: str, lines: Sequence[str], summaries: _Summaries
) -> Definition:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    last = max(node.lineno, node.body[0].lineno)
    header = [line for line in lines[first - 1 : last] if "#" in line]
    ignores = frozenset(
        rule for rule in _POINT_RULES if any(ignored(rule, line) for line in header)
    )
    if isinstance(node, ast.ClassDef):
        methods: dict[str, frozenset[str]] = {}
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods.setdefault(stmt.name, summaries.of(stmt).names)
        return Definition(
            qualname,
            node.lineno,
            True,
            summaries.of(node),
            frozenset(),
            ignores,
            tuple(methods.items()),
        )
    return Definition(
        qualname, node.lineno, False, summaries.of(node), frozenset(bindings(node)), ignores
    )


def _blocks(stmt: ast.stmt) -> Iterator[Sequence[ast.stmt]]:
    """The statement lists of a compound statement that is not a definition."""
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body
    for case in getattr(stmt, "cases", ()):
        yield case.body
