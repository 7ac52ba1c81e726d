"""Routes of code that dispatches on the request path itself: one handler, one route per branch.

A ``BaseHTTPRequestHandler.do_POST`` or a plain WSGI callable has no router: it tests the
path (``if self.path == "/todos":``, ``elif path.startswith("/todos/"):``,
``parsed = urlparse(self.path)`` then ``parsed.path == ...``, ``re.match(r"^/todos/(\\d+)$",
path)``) and, in WSGI, the method (``environ["REQUEST_METHOD"] == "POST"``). Each branch
that names a path is a route of its own; what the branch writes, where its success answer
starts and what is proven there are the branch's, not the whole function's.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from posthog_setup.analysis import flow
from posthog_setup.analysis.body import is_capture_call, write_evidence
from posthog_setup.analysis.context import FileContext, FunctionNode
from posthog_setup.analysis.model import Anchor, BodyFacts, Evidence, UserAccess

#: Is this expression the request path, or the request method? (given the tainted names)
Probe = Callable[[ast.expr], bool]

_MUTATING = ("POST", "PUT", "PATCH", "DELETE")
#: a regex group standing for one path segment: ``(\d+)``, ``([^/]+)``, ``(?P<id>\w+)``
_GROUP = re.compile(r"\((?:\?P<(\w+)>)?[^()]*\)")


@dataclass(frozen=True)
class Branch:
    """One path branch: the path it answers, the methods (None: the handler's own), its
    statements and the line of its test."""

    path: str
    methods: tuple[str, ...] | None
    block: tuple[ast.stmt, ...]
    line: int
    #: locals the branch's own statements read out of the path (``todo_id = int(...)``)
    from_path: tuple[str, ...] = ()

    def named(self, proven: Sequence[str]) -> str:
        """The path with its ``<id>`` named after the local the branch reads it into,
        where that local is proven readable (``proven``) where the capture goes."""
        if "<id>" not in self.path:
            return self.path
        name = next((n for n in self.from_path if n in proven), None)
        return self.path.replace("<id>", f"<{name}>", 1) if name else self.path


class Tainted:
    """Names a function derives from a request value (``path = self.path.rstrip("/")``,
    ``parsed = urlparse(self.path)``), so that tests on them are tests on that value."""

    def __init__(self, func: FunctionNode, source: Probe) -> None:
        self.source = source
        self.names: set[str] = set()
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and self._derived(node.value):
                for target in node.targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            self.names.add(name.id)
            elif isinstance(node, ast.NamedExpr) and self._derived(node.value):
                self.names.add(node.target.id)

    def read_into(self, block: Sequence[ast.stmt]) -> tuple[str, ...]:
        """Locals a block's own statements assign from the value (``todo_id =
        int(path.rsplit("/", 1)[1])``, ``note_id = int(match.group(1))``)."""
        return tuple(
            stmt.targets[0].id
            for stmt in block
            if isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and self._derived(stmt.value)
        )

    def _derived(self, value: ast.expr) -> bool:
        return any(
            (isinstance(node, ast.expr) and self.source(node))
            or (isinstance(node, ast.Name) and node.id in self.names)
            for node in ast.walk(value)
        )

    def holds(self, node: ast.expr) -> bool:
        """Is ``node`` the value itself (or a name, or ``.path`` of a name, derived from it)?"""
        if self.source(node):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.Attribute) and node.attr == "path":
            return self.holds(node.value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # ``path.rstrip("/")``, ``urlparse(self.path).path``
            return node.func.attr in ("rstrip", "lower", "strip") and self.holds(node.func.value)
        if isinstance(node, ast.Call) and node.args:
            return getattr(node.func, "id", "") in ("urlparse", "urlsplit") and self.holds(
                node.args[0]
            )
        return False


def _strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        if len(values) == len(node.elts) and all(isinstance(v, str) for v in values):
            return [str(v) for v in values]
    return None


def _prefix_path(prefix: str) -> str:
    """``/todos/`` tested as a prefix: the route of one todo, ``/todos/<id>``."""
    return f"{prefix.rstrip('/')}/<id>"


def regex_path(pattern: str) -> str | None:
    """``^/todos/(\\d+)$`` -> ``/todos/<id>``; None for a pattern that is not a plain path."""
    body = pattern.removeprefix("^").removesuffix("$").removesuffix("/?")
    if any("|" in group.group(0) for group in _GROUP.finditer(body)):
        return None  # ``(todos|notes)``: several paths, not one segment
    names: list[str] = []

    def group(match: re.Match[str]) -> str:
        names.append(match.group(1) or "id")
        return f"<{names[-1]}>"

    path = _GROUP.sub(group, body)
    if not path.startswith("/") or re.search(r"[\\\[\](){}*+?|^$]", path):
        return None
    return path


def tested_paths(test: ast.expr, path: Tainted) -> list[str]:
    """The paths a condition accepts: ``path == "/a"``, ``path in ("/a", "/b")``,
    ``path.startswith("/a/")``, ``re.match(r"^/a/(\\d+)$", path)``; [] for anything else."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        if isinstance(op, ast.Eq):
            for subject, other in ((left, right), (right, left)):
                if path.holds(subject) and isinstance(other, ast.Constant):
                    return _strings(other) or []
        if isinstance(op, ast.In) and path.holds(left):
            return _strings(right) or []
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute):
        if test.func.attr == "startswith" and path.holds(test.func.value) and test.args:
            return [_prefix_path(p) for p in _strings(test.args[0]) or []]
        if test.func.attr in ("match", "fullmatch") and len(test.args) == 2:
            pattern = _strings(test.args[0])
            if pattern and path.holds(test.args[1]):
                found = regex_path(pattern[0])
                return [found] if found else []
    if isinstance(test, ast.NamedExpr):
        return tested_paths(test.value, path)
    return []


def tested_methods(test: ast.expr, method: Tainted | None) -> tuple[str, ...]:
    """The methods a condition accepts: ``method == "POST"``, ``method in ("PUT", "PATCH")``."""
    if method is None or not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return ()
    left, right, op = test.left, test.comparators[0], test.ops[0]
    if isinstance(op, ast.Eq) and method.holds(right):
        left, right = right, left
    if isinstance(op, (ast.Eq, ast.In)) and method.holds(left):
        return tuple(m.upper() for m in _strings(right) or [])
    return ()


def _conditions(test: ast.expr) -> list[ast.expr]:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [c for value in test.values for c in _conditions(value)]
    return [test]


def _split(
    test: ast.expr, path: Tainted, method: Tainted | None
) -> tuple[list[str], tuple[str, ...]]:
    paths: list[str] = []
    methods: tuple[str, ...] = ()
    for condition in _conditions(test):
        paths = paths or tested_paths(condition, path)
        methods = methods or tested_methods(condition, method)
    return paths, methods


def _if_chain(stmt: ast.If) -> Iterator[tuple[ast.expr, list[ast.stmt]]]:
    """The ``if`` / ``elif`` tests of a chain, each with its block."""
    node: ast.stmt = stmt
    while isinstance(node, ast.If):
        yield node.test, node.body
        if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
            node = node.orelse[0]
        else:
            break


def path_branches(
    body: Sequence[ast.stmt],
    path: Tainted,
    method: Tainted | None = None,
    *,
    within: str | None = None,
    methods: tuple[str, ...] | None = None,
) -> list[Branch]:
    """Every branch of ``body`` that answers a path (and, where tested, a method)."""
    found: list[Branch] = []
    for stmt in body:
        if isinstance(stmt, ast.If):
            for test, block in _if_chain(stmt):
                paths, tested = _split(test, path, method)
                if paths and within is None:
                    for each in paths:
                        inner = path_branches(
                            block, path, method, within=each, methods=tested or methods
                        )
                        whole = Branch(
                            each,
                            tested or methods,
                            tuple(block),
                            test.lineno,
                            path.read_into(block),
                        )
                        # What the outer branch read out of the path, its inner ones have.
                        inner = [
                            dataclasses.replace(b, from_path=(*b.from_path, *whole.from_path))
                            for b in inner
                        ]
                        found.extend(inner or [whole])
                elif tested and within is not None:
                    found.append(
                        Branch(within, tested, tuple(block), test.lineno, path.read_into(block))
                    )
                elif not paths:
                    found.extend(
                        path_branches(block, path, method, within=within, methods=tested or methods)
                    )
        elif isinstance(stmt, ast.Match) and within is None and path.holds(stmt.subject):
            # ``match path:`` with ``case "/todos":`` / ``case "/a" | "/b":``
            for case in stmt.cases:
                for each in _case_paths(case.pattern):
                    inner = path_branches(case.body, path, method, within=each, methods=methods)
                    whole = Branch(
                        each,
                        methods,
                        tuple(case.body),
                        case.pattern.lineno,
                        path.read_into(case.body),
                    )
                    found.extend(inner or [whole])
        elif isinstance(stmt, (ast.With, ast.AsyncWith, ast.Try)):
            found.extend(path_branches(stmt.body, path, method, within=within, methods=methods))
    return found


def _case_paths(pattern: ast.pattern) -> list[str]:
    if isinstance(pattern, ast.MatchValue):
        return _strings(pattern.value) or []
    if isinstance(pattern, ast.MatchOr):
        return [p for each in pattern.patterns for p in _case_paths(each)]
    return []


# -- what one branch does -------------------------------------------------------------


def _calls(block: Sequence[ast.stmt]) -> Iterator[ast.Call]:
    for stmt in block:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                yield node


def _status(node: ast.expr | None) -> int | None:
    """The status a literal names: ``201``, ``"201 Created"``, ``HTTPStatus.CREATED``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        digits = node.value.split(" ", 1)[0]
        return int(digits) if digits.isdigit() else None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        from http import HTTPStatus

        member = getattr(HTTPStatus, node.attr, None)
        return int(member) if member is not None else None
    return None


#: calls that start an answer: the status is their first argument
_ANSWERS = frozenset({"send_response", "start_response", "send_error"})


def answer_status(stmt: ast.stmt) -> int | None:
    """The status a statement answers with (``self.send_response(201)``,
    ``start_response("400 Bad Request", ...)``, ``self.send_error(404)``), if it answers."""
    value = stmt.value if isinstance(stmt, (ast.Expr, ast.Return)) else None
    if isinstance(value, ast.Call) and isinstance(value.func, (ast.Attribute, ast.Name)):
        name = value.func.attr if isinstance(value.func, ast.Attribute) else value.func.id
        if name in _ANSWERS and value.args:
            status = _status(value.args[0])
            return 500 if status is None and name == "send_error" else status
    return None


def _first_answer(block: Sequence[ast.stmt]) -> ast.stmt | None:
    """The first statement of ``block`` itself that answers (not one inside an ``if``)."""
    for stmt in block:
        if answer_status(stmt) is not None:
            return stmt
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Call):
            # ``return self._json(201, todo)``: a helper that answers
            return stmt
    return None


def branch_anchor(func: FunctionNode, branch: Branch, change_line: int | None) -> Anchor | None:
    """Where a branch's capture goes: after its write, else before its success answer;
    None where the branch answers an error first, or nothing is safe."""
    first, last = branch.block[0].lineno, branch.block[-1].end_lineno or branch.block[-1].lineno
    if change_line is not None:
        anchor = flow.success_anchor(func, change_line)
        if anchor is not None and first <= anchor.line <= last:
            return anchor
        return None
    answer = _first_answer(branch.block)
    if answer is None:
        return None
    status = answer_status(answer)
    if status is not None and status >= 400:
        return None
    return Anchor(answer.lineno, True, "before the success answer")


_SQL_WRITE_TABLE = re.compile(
    r"^\s*(?:insert\s+(?:or\s+\w+\s+)?into|replace\s+into|update|delete\s+from)\s+[`\"\[]?(\w+)",
    re.IGNORECASE,
)


def _written_table(call: ast.Call) -> str | None:
    """The table an ``execute("INSERT INTO notes ...")`` writes."""
    if isinstance(call.func, ast.Attribute) and call.func.attr in ("execute", "executemany"):
        sql = call.args[0] if call.args else None
        if isinstance(sql, ast.Constant) and isinstance(sql.value, str):
            match = _SQL_WRITE_TABLE.match(sql.value)
            return match.group(1) if match else None
    return None


def branch_facts(
    ctx: FileContext,
    func: FunctionNode,
    branch: Branch,
    user: UserAccess | None,
    written: Sequence[str],
) -> BodyFacts:
    """The facts of one branch: its writes, where its capture goes and what is proven there.

    ``written`` are the tables and models the whole function writes; the branch keeps
    those its own code names.
    """
    evidence: list[Evidence] = []
    change_line: int | None = None
    captures: list[str] = []
    for call in _calls(branch.block):
        found = write_evidence(call)
        if found is not None:
            evidence.append(found)
            change_line = call.lineno
        event = is_capture_call(call)
        if event is not None:
            captures.append(event)
    text = "\n".join(ast.unparse(s) for s in branch.block)
    # The tables the branch's own SQL writes, then the models of the function it names.
    own = tuple(
        dict.fromkeys(
            [
                *(table for call in _calls(branch.block) if (table := _written_table(call))),
                *(w for w in written if w[:1].isupper() and re.search(rf"\b{w}\b", text)),
            ]
        )
    )
    facts = BodyFacts(
        evidence=tuple(evidence),
        user_access=user,
        change_line=change_line,
        locals=tuple(
            dict.fromkeys(
                t.id
                for s in branch.block
                for n in ast.walk(s)
                if isinstance(n, ast.Assign)
                for t in n.targets
                if isinstance(t, ast.Name)
            )
        ),
        ignored=ctx.is_ignored(func),
        captures=tuple(captures),
        written=own,
        typed=flow.typed_names(ctx, func),
    )
    anchor = branch_anchor(func, branch, change_line)
    if anchor is None:
        return facts
    proof = flow.proof_at(func, anchor.line, including=not anchor.before, globals_=ctx.module_names)
    typed = flow.typed_at(ctx, func, anchor.line, including=not anchor.before)
    return dataclasses.replace(facts, anchor=anchor, proven=proof.facts(), typed=typed)


# -- a table of routes ------------------------------------------------------------------


@dataclass(frozen=True)
class TableEntry:
    """``"/todos": self.create_todo`` in a dict the handler looks the path up in (or
    ``("POST", "/todos"): create_todo``, keyed by method and path)."""

    path: str
    methods: tuple[str, ...] | None
    target: ast.expr
    line: int


def route_tables(scopes: Sequence[Sequence[ast.stmt]]) -> dict[str, ast.Dict]:
    """Dict literals bound to names in these blocks (the module's, the class's, the
    function's), by name; a later block's binding wins."""
    tables: dict[str, ast.Dict] = {}
    for block in scopes:
        for stmt in block:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Dict)
            ):
                tables[stmt.targets[0].id] = stmt.value
    return tables


def _key(node: ast.expr | None) -> tuple[str, tuple[str, ...] | None] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, None
    if isinstance(node, ast.Tuple) and len(node.elts) == 2:
        method, path = (e.value if isinstance(e, ast.Constant) else None for e in node.elts)
        if isinstance(method, str) and isinstance(path, str):
            return path, (method.upper(),)
    return None


def table_routes(
    func: FunctionNode,
    tables: Mapping[str, ast.Dict],
    path: Tainted,
    method: Tainted | None = None,
) -> list[TableEntry]:
    """The entries of the route tables ``func`` looks the request's path up in:
    ``ROUTES.get(path)``, ``self.routes[self.path]``, ``ROUTES.get((method, path))``."""
    found: list[TableEntry] = []
    seen: set[str] = set()
    for node in ast.walk(func):
        looked_up: ast.expr | None = None
        key: ast.expr | None = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            if node.func.attr == "get":
                looked_up, key = node.func.value, node.args[0]
        elif isinstance(node, ast.Subscript):
            looked_up, key = node.value, node.slice
        if looked_up is None or key is None:
            continue
        name = looked_up.attr if isinstance(looked_up, ast.Attribute) else None
        name = looked_up.id if isinstance(looked_up, ast.Name) else name
        table = tables.get(name or "")
        by_path = path.holds(key)
        by_both = (
            isinstance(key, ast.Tuple)
            and len(key.elts) == 2
            and method is not None
            and method.holds(key.elts[0])
            and path.holds(key.elts[1])
        )
        if table is None or not (by_path or by_both) or name in seen:
            continue
        seen.add(name or "")
        for entry_key, value in zip(table.keys, table.values, strict=True):
            parsed = _key(entry_key)
            if parsed is not None:
                found.append(TableEntry(parsed[0], parsed[1], value, value.lineno))
    return found
