"""Control flow inside one handler: where a change succeeded, and what is safe to read there.

Two questions, answered on the stdlib ``ast`` of the handler:

- **Where** does a capture belong? On the path where the change succeeded: right after the
  statement that writes (lifted out of a loop, so it runs once), or, when no write call is
  recognisable, before the return that ends the action branch (``if form.validate_on_submit():``,
  ``if request.method == "POST":``). Never on the GET branch, never where validation failed,
  never after a ``raise`` or a ``return``. Where no such place exists there is no anchor, and
  no capture.
- **What** may the inserted code read there? Only what is proven: a name bound on every path
  to that point (parameters, assignments, imports, module-level names), or an attribute /
  subscript chain the handler itself evaluated on that path before it (``g.user["id"]`` once
  the handler has read ``g.user["id"]``). ``token.id`` is not proven just because ``token``
  exists: a capture without a property is better than a route that answers 500.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from posthog_setup.analysis.model import Anchor, AuthPoint, ClassFacts
from posthog_setup.analysis.names import child_nodes, spelled_as_class, walk

if TYPE_CHECKING:
    from posthog_setup.analysis.context import FileContext
    from posthog_setup.analysis.names import Scope

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

#: Calls whose truth means "the submitted data is valid": their branch is the action.
_VALIDATION_CALLS = frozenset(
    {"validate_on_submit", "is_valid", "validate", "is_submitted", "validate_form"}
)
_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_TERMINAL = (ast.Return, ast.Raise, ast.Continue, ast.Break)


@functools.lru_cache(maxsize=4096)
def parsed_expression(source: str) -> ast.expr | None:
    """``source`` parsed as one expression (None if it is not one), parsed once: a plan asks
    of the same few values (``post.id``, ``current_user.id``) for every event. The tree is
    shared: read it, never change it."""
    try:
        return ast.parse(source, mode="eval").body
    except SyntaxError:
        return None


@dataclass(frozen=True)
class Proof:
    """What is safe to read at one point of a handler.

    ``names`` are bound on every path to the point; ``chains`` are attribute, subscript and
    argument-less call expressions (as ``ast.unparse`` spells them, see ``chain_text``)
    already evaluated there.
    """

    names: frozenset[str] = frozenset()
    chains: frozenset[str] = frozenset()

    def proves(self, expression: str) -> bool:
        """True if evaluating ``expression`` here cannot fail where the handler did not."""
        node = parsed_expression(expression)
        return node is not None and self._safe(node)

    def _safe(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            return chain_text(node) in self.chains
        return False

    def facts(self) -> tuple[str, ...]:
        """The proof as sorted strings (chains after names), for the analysis record."""
        return (*sorted(self.names), *sorted(self.chains - self.names))

    @classmethod
    def of(cls, facts: Iterable[str]) -> Proof:
        """The proof of the recorded ``facts`` (see ``facts``). A handler's record is read
        for each of its events and properties: the same tuple gives the same (immutable)
        proof, built once."""
        if isinstance(facts, tuple) and cls is Proof:
            return _proof_of(facts)
        return cls._built(facts)

    @classmethod
    def _built(cls, facts: Iterable[str]) -> Proof:
        names: set[str] = set()
        chains: set[str] = set()
        for fact in facts:
            (names if fact.isidentifier() else chains).add(fact)
        return cls(frozenset(names), frozenset(chains))


@functools.lru_cache(maxsize=1024)
def _proof_of(facts: tuple[str, ...]) -> Proof:
    return Proof._built(facts)


# -- where a line sits --------------------------------------------------------------------


Level = tuple[Sequence[ast.stmt], int, ast.stmt]


def _blocks(stmt: ast.stmt) -> Iterator[tuple[str, list[ast.stmt]]]:
    """The blocks of a compound statement, each with what leads into it."""
    if isinstance(stmt, (ast.If, *_LOOPS)):
        yield "body", stmt.body
        yield "orelse", stmt.orelse
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        yield "body", stmt.body
    elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
        yield "body", stmt.body  # type: ignore[attr-defined]
        for handler in stmt.handlers:  # type: ignore[attr-defined]
            yield "handler", handler.body
        yield "orelse", stmt.orelse  # type: ignore[attr-defined]
        yield "finally", stmt.finalbody  # type: ignore[attr-defined]
    elif isinstance(stmt, ast.Match):
        for case in stmt.cases:
            yield "case", case.body


def spine(body: Sequence[ast.stmt], line: int) -> list[tuple[Sequence[ast.stmt], int, str]]:
    """The statements containing ``line``, outermost first: (block, index, how it was entered).

    Nested functions and classes are not entered: their code runs at another time.
    """
    for index, stmt in enumerate(body):
        end = stmt.end_lineno or stmt.lineno
        start = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
        if not start <= line <= end:
            continue
        here = [(body, index, "")]
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return here
        for how, block in _blocks(stmt):
            inner = spine(block, line)
            if inner:
                first_block, first_index, _ = inner[0]
                return [*here, (first_block, first_index, how), *inner[1:]]
        return here
    return []


# -- what is proven at a point ------------------------------------------------------------


class _Evaluated:
    """Names bound and chains evaluated, collected from code known to have run."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.chains: set[str] = set()

    def expression(self, node: ast.AST | None) -> None:
        """Record what evaluating ``node`` certainly evaluated (short-circuits respected)."""
        if node is None:
            return
        if isinstance(node, ast.BoolOp):
            self.expression(node.values[0])
            return
        if isinstance(node, ast.IfExp):
            self.expression(node.test)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp)):
            return
        if isinstance(node, ast.GeneratorExp):
            self.expression(node.generators[0].iter)
            return
        if isinstance(node, ast.NamedExpr):
            self.expression(node.value)
            self.forget([node.target.id])
            self.names.add(node.target.id)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            self.names.add(node.id)
            return
        chain = isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Load)
        call = isinstance(node, ast.Call) and not node.args and not node.keywords
        if chain or call:
            text = chain_text(node)  # type: ignore[arg-type]
            if text is not None:
                self.chains.add(text)
        for child in child_nodes(node):
            self.expression(child)

    def truthy(self, test: ast.expr) -> None:
        """A condition known to have been true: every operand of an ``and`` was evaluated."""
        self._held(test, ast.And, present=True)

    def falsy(self, test: ast.expr) -> None:
        """A condition known to have been false: every operand of an ``or`` was false."""
        self._held(test, ast.Or, present=False)

    def _held(self, test: ast.expr, joined: type[ast.boolop], *, present: bool) -> None:
        if isinstance(test, ast.BoolOp) and isinstance(test.op, joined):
            for value in test.values:
                self._held(value, joined, present=present)
            return
        self.expression(test)
        flag, held = test, present
        while isinstance(flag, ast.UnaryOp) and isinstance(flag.op, ast.Not):
            flag, held = flag.operand, not held
        if isinstance(flag, ast.Attribute):
            # ``if current_user.is_authenticated: return ...``: past it, the flag is false.
            text = chain_text(flag)
            if text is not None:
                self.chains.add(f"{text} is {'true' if held else 'false'}")
        name = _tested_name(test, present=present)
        if name:
            self.chains.add(f"{name} is not None")
            if _truth_test(test):
                self.chains.add(f"{name} is truthy")

    def target(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            self.forget([node.id])
            self.names.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                self.target(element)
        elif isinstance(node, ast.Starred):
            self.target(node.value)
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            # ``post.author = x`` reads ``post``; what it sets is not read back as proof.
            self.expression(node.value)

    def forget(self, names: Iterable[str]) -> None:
        """What was evaluated of ``names`` is not known of the values they are bound to now."""
        for name in names:
            self.chains = {c for c in self.chains if name not in c or not _mentions(c, name)}

    def statement(self, stmt: ast.stmt) -> None:
        """Record a statement that ran to completion."""
        if isinstance(stmt, ast.Assign):
            self.expression(stmt.value)
            for target in stmt.targets:
                self.target(target)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.expression(stmt.value)
                self.target(stmt.target)
        elif isinstance(stmt, ast.AugAssign):
            # ``x.count += 1`` reads its target before it writes it.
            self.expression(stmt.value)
            self.target(stmt.target)
            text = chain_text(stmt.target)
            if text is not None:
                self.chains.add(text)
        elif isinstance(stmt, ast.Expr):
            self.expression(stmt.value)
        elif isinstance(stmt, ast.Assert):
            self.truthy(stmt.test)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                if alias.name != "*":
                    self.names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.names.add(stmt.name)
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    self.forget([target.id])
                    self.names.discard(target.id)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self.expression(item.context_expr)
                if item.optional_vars is not None:
                    self.target(item.optional_vars)
            self.block(stmt.body)
        elif isinstance(stmt, ast.If):
            self.expression(stmt.test)
            if _terminates(stmt.body) and not stmt.orelse:
                # ``if user is None: raise ...``: past it, the test was false.
                self.falsy(stmt.test)
            self._branches([stmt.body, stmt.orelse])
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.expression(stmt.iter)
            self.forget(_bound_names([stmt]))
        elif isinstance(stmt, ast.While):
            self.expression(stmt.test)
            self.forget(_bound_names([stmt]))
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            handlers = stmt.handlers  # type: ignore[attr-defined]
            if all(_terminates(h.body) for h in handlers):
                # Past the try, its body (and else) ran to the end.
                self.block(stmt.body)  # type: ignore[attr-defined]
                self.block(stmt.orelse)  # type: ignore[attr-defined]
                self.forget(_bound_names(stmt.finalbody))  # type: ignore[attr-defined]
            else:
                self.forget(_bound_names([stmt]))
        elif isinstance(stmt, ast.Match):
            self.expression(stmt.subject)
            self.forget(_bound_names([stmt]))

    def block(self, body: Sequence[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def _branches(self, branches: Sequence[Sequence[ast.stmt]]) -> None:
        """Only what every branch that falls through binds is bound after an ``if``."""
        through = [b for b in branches if not _terminates(b)]
        if not through:
            return
        # Past the ``if``, a name bound on one way through may hold what it bound there.
        self.forget(_bound_names([s for branch in through for s in branch]))
        found = []
        for branch in through:
            inner = _Evaluated()
            inner.block(branch)
            found.append(inner)
        self.names |= set.intersection(*(f.names for f in found))
        self.chains |= set.intersection(*(f.chains for f in found))


def _mentions(chain: str, name: str) -> bool:
    """Does the evaluated ``chain`` (``user.email``, ``user is not None``) read ``name``?"""
    node = parsed_expression(chain)
    return node is None or any(isinstance(n, ast.Name) and n.id == name for n in walk(node))


def _truth_test(test: ast.expr) -> bool:
    """``user`` or ``not user`` (any number of ``not``): a test of truth, which rules out
    False as well as None; ``user is None`` rules out None only."""
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    return isinstance(test, ast.Name)


def _tested_name(test: ast.expr, *, present: bool) -> str | None:
    """The name a test proves is not None when it is ``present``-ly true (or false):
    ``user`` / ``user is not None`` when true, ``not user`` / ``user is None`` when false."""
    if isinstance(test, ast.Name):
        return test.id if present else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _tested_name(test.operand, present=not present)
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Name)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        if isinstance(test.ops[0], ast.IsNot):
            return test.left.id if present else None
        if isinstance(test.ops[0], ast.Is):
            return test.left.id if not present else None
    return None


def chain_text(node: ast.expr) -> str | None:
    """``a.b["c"].d()``, for names, attributes, constant subscripts and argument-less calls
    only; None for anything else. (Cheaper than unparse,
    which a proof would otherwise call on every chain of every handler.)"""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = chain_text(node.value)
        return None if base is None else f"{base}.{node.attr}"
    if isinstance(node, ast.Subscript):
        if not isinstance(node.slice, ast.Constant):
            return None
        base = chain_text(node.value)
        return None if base is None else f"{base}[{_literal(node.slice.value)}]"
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        base = chain_text(node.func)
        return None if base is None else f"{base}()"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "super"
        and len(node.args) == 2
        and not node.keywords
    ):
        return "super()"  # ``super(Cls, self)``, as Python 2 had it spelled
    return None


def _literal(value: object) -> str:
    """A subscript key as the inserted code spells it: a plain string in double quotes, as
    most projects (and Black) write them; anything else as ``repr`` has it."""
    if isinstance(value, str) and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return repr(value)


def _terminates(body: Sequence[ast.stmt]) -> bool:
    return (bool(body) and isinstance(body[-1], _TERMINAL)) or _aborts(body)


def deletes_user(func: FunctionNode, line: int, user: str) -> int | None:
    """The line of the statement at ``line``, or of the delete the commit at ``line``
    follows, that deletes the acting user (``user``, the expression its id is read from:
    ``request.user.pk``): ``request.user.delete()``, ``user.delete()`` of ``user =
    request.user``, ``db.session.delete(current_user)``, ``await session.delete(user)``.
    Past it, the user's key is gone (Django sets it to None; SQLAlchemy's deleted row
    cannot be read again). None where it does not."""
    path = spine(func.body, line)
    if not path:
        return None
    block, index, _ = path[-1]
    while index > 0 and _calls_method(block[index], "commit"):
        index -= 1  # ``db.session.delete(current_user)`` then ``db.session.commit()``
    call = _statement_call(block[index])
    if call is None or not (isinstance(call.func, ast.Attribute) and call.func.attr == "delete"):
        return None
    deleted = call.args[0] if len(call.args) == 1 else None if call.args else call.func.value
    if deleted is None:
        return None
    acting = user.rsplit(".", 1)[0] if "." in user else user
    named = chain_text(deleted)
    if named == acting:
        return block[index].lineno
    if not isinstance(deleted, ast.Name):
        return None
    bound = [
        node.value
        for node in _walk(func)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == deleted.id for t in node.targets)
    ]
    if bound and all(chain_text(value) == acting for value in bound):
        return block[index].lineno
    return None


def _statement_call(stmt: ast.stmt) -> ast.Call | None:
    """The call a statement is, awaited or not (``x.delete()``, ``await s.delete(x)``)."""
    if not isinstance(stmt, ast.Expr):
        return None
    value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
    return value if isinstance(value, ast.Call) else None


def _calls_method(stmt: ast.stmt, method: str) -> bool:
    call = _statement_call(stmt)
    return call is not None and isinstance(call.func, ast.Attribute) and call.func.attr == method


def _refreshes(stmt: ast.stmt) -> bool:
    """``session.refresh(obj)`` or ``await session.refresh(obj)``, alone on its line."""
    return _calls_method(stmt, "refresh")


def _past_branches(
    path: Sequence[tuple[Sequence[ast.stmt], int, str]], writes: Collection[int]
) -> ast.If | None:
    """The outermost ``if`` around the write at the end of ``path`` past which every path
    that arrives has written: the write's own branch runs on to its end, and each other
    branch either leaves the handler or writes on every way through it, or a write before
    the ``if`` has on every way into it (``if
    use_default: order.address = saved; order.save()`` / ``else: address.save();
    order.address = address; order.save()``). Captured after the branch that wrote last, a
    change made through the other one sent nothing. None where there is no such ``if``,
    or where the last one is an ``elif`` (whose line is its parent's too)."""
    joined: ast.If | None = None
    level = len(path) - 1
    while level > 0 and writes:
        block, _, how = path[level]
        outer, index, _ = path[level - 1]
        parent = outer[index]
        if not (isinstance(parent, ast.If) and how in ("body", "orelse")):
            break
        other = parent.orelse if how == "body" else parent.body
        # Every way into the ``if`` has written already (``current_user.collect(photo)``,
        # then ``if ...: push_notification(...)``): whatever the other branch does.
        written = _writes_throughout(outer[:index], writes)
        if _terminates(block) or not (
            written or (parent.orelse and (_terminates(other) or _writes_throughout(other, writes)))
        ):
            break
        joined = parent
        level -= 1
    if joined is not None and level > 0:
        outer, index, _ = path[level - 1]
        parent = outer[index]
        if _is_elif(parent, joined):
            return None  # after an ``elif`` is after its whole chain
    return joined


def _is_elif(parent: ast.stmt, stmt: ast.If) -> bool:
    """Is ``stmt`` the ``elif`` of ``parent`` (not an ``if`` alone in its ``else``)?"""
    return (
        isinstance(parent, ast.If)
        and parent.orelse == [stmt]
        and stmt.col_offset == parent.col_offset
    )


def _writes_throughout(block: Sequence[ast.stmt], writes: Collection[int]) -> bool:
    """Does every way through ``block`` that runs to its end pass a write (a simple
    statement on one of the ``writes`` lines, or an ``if`` each of whose branches leaves
    or writes throughout)?"""
    for stmt in block:
        if isinstance(stmt, _TERMINAL):
            return True
        if isinstance(stmt, ast.If):
            if stmt.orelse and all(
                _terminates(b) or _writes_throughout(b, writes) for b in (stmt.body, stmt.orelse)
            ):
                return True
            continue
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            if _writes_throughout(stmt.body, writes):
                return True
            continue
        if isinstance(stmt, _SIMPLE) and any(
            stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno) for line in writes
        ):
            return True
    return _terminates(block)


#: Statements that run whole once reached: no branch, loop or handler inside them.
_SIMPLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Delete)


def _tests_success(stmt: ast.If, line: int) -> bool:
    """Does the ``if``'s test hold ``line``, above its body, and take the body on the
    call's success: the call itself, or one of the terms ``and`` joins (never ``not``,
    a comparison or ``or``, whose body may be the failure: ``if x.save() is None:``)."""
    test = stmt.test
    terms = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    return line < stmt.body[0].lineno and any(
        isinstance(term, ast.Call) and term.lineno <= line <= (term.end_lineno or term.lineno)
        for term in terms
    )


def past_guard(func: FunctionNode, line: int, name: str) -> int:
    """The line to place after for what the statement at ``line`` bound to ``name``: that
    statement's, or the guard right after it that leaves when it failed (``if not user:
    raise ...``, ``if user is None: return ...``), so only a user that was made is told of.
    """
    path = spine(func.body, line)
    if not path:
        return line
    block, index, _ = path[-1]
    found = block[index].lineno
    for stmt in block[index + 1 :]:
        if not (
            isinstance(stmt, ast.If)
            and not stmt.orelse
            and _fails(stmt.test, name)
            and _terminates(stmt.body)
        ):
            break
        found = stmt.lineno
    return found


def _fails(test: ast.expr, name: str) -> bool:
    """``not name`` or ``name is None``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return isinstance(test.operand, ast.Name) and test.operand.id == name
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == name
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    )


def _aborts(body: Sequence[ast.stmt]) -> bool:
    """A block ending in ``abort(...)``-style calls that never return (Flask, Werkzeug)."""
    if not body or not isinstance(body[-1], ast.Expr):
        return False
    call = body[-1].value
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id in ("abort", "raise_for_status")
    )


def parameters(func: FunctionNode) -> list[str]:
    args = func.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return names


def module_names(tree: ast.Module) -> frozenset[str]:
    """Names a module binds at its top level (imports, definitions, assignments)."""
    found = _Evaluated()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                found.target(target)
        elif isinstance(stmt, (ast.If, ast.Try)):
            continue
        else:
            found.statement(stmt)
    return frozenset(found.names)


@functools.lru_cache(maxsize=32)
def _walk(func: FunctionNode) -> tuple[ast.AST, ...]:
    """Every node of a function, walked once for the several questions asked of it."""
    return tuple(walk(func))


@functools.lru_cache(maxsize=32)
def local_names(func: FunctionNode) -> frozenset[str]:
    """Names the function assigns anywhere: they shadow module-level names everywhere in it."""
    found: set[str] = set()
    for node in _walk(func):
        if node is func:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name.split(".")[0]) for a in node.names)
    return frozenset(found)


def proof_at(
    func: FunctionNode, line: int, *, including: bool, globals_: frozenset[str] = frozenset()
) -> Proof:
    """What is safe to read at the statement holding ``line``: before it, or after it."""
    known = _Evaluated()
    known.names.update(parameters(func))
    known.names.update(globals_ - local_names(func))
    path = spine(func.body, line)
    for depth, (block, index, how) in enumerate(path):
        if depth:
            parent = path[depth - 1][0][path[depth - 1][1]]
            _entered(known, parent, how, block)
        known.block(block[:index])
    if path and including:
        block, index, _ = path[-1]
        stmt = block[index]
        if not isinstance(stmt, (ast.If, *_LOOPS, ast.Try, ast.Match)):
            known.statement(stmt)
    return Proof(frozenset(known.names), frozenset(known.chains))


def _entered(known: _Evaluated, parent: ast.stmt, how: str, block: Sequence[ast.stmt]) -> None:
    """What entering ``block`` of ``parent`` tells: a test that held, a target bound."""
    if isinstance(parent, ast.If):
        if how == "body":
            known.truthy(parent.test)
        else:
            known.expression(parent.test)
    elif isinstance(parent, (ast.For, ast.AsyncFor)):
        known.expression(parent.iter)
        known.forget(_bound_names([parent]))
        if how == "body":
            known.target(parent.target)
    elif isinstance(parent, ast.While):
        known.forget(_bound_names([parent]))
        if how == "body":
            known.truthy(parent.test)
        else:
            known.expression(parent.test)
    elif isinstance(parent, (ast.With, ast.AsyncWith)):
        for item in parent.items:
            known.expression(item.context_expr)
            if item.optional_vars is not None:
                known.target(item.optional_vars)
    elif isinstance(parent, ast.Try) or type(parent).__name__ == "TryStar":
        if how in ("handler", "finally"):
            known.forget(_bound_names([parent]))
        if how == "orelse":
            known.block(parent.body)  # type: ignore[attr-defined]
        elif how == "handler":
            for handler in parent.handlers:  # type: ignore[attr-defined]
                if handler.body is block and handler.name:
                    known.names.add(handler.name)
    elif isinstance(parent, ast.Match):
        known.expression(parent.subject)


# -- which binding of a local reaches a point ---------------------------------------------


#: Where a name gets its value: an ``ast.arg``, an ``ast.Name`` stored or deleted, an
#: imported alias, a ``def`` or ``class``, an ``except ... as`` or a match pattern.
Bindings = dict[str, frozenset[ast.AST]]


def reaching_bindings(func: FunctionNode, line: int, *, including: bool) -> Bindings:
    """For each local bound above the statement holding ``line`` (or by it, where
    ``including``), the bindings that can reach it: the last one above it on each way
    there. A branch that leaves the handler (``if user: raise ...``) takes its bindings
    with it; a loop the point is in, a ``try`` left half-way, a ``match``, reach with
    every binding they hold."""
    reaching: Bindings = {}
    args = func.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            reaching[arg.arg] = frozenset({arg})
    path = spine(func.body, line)
    for depth, (block, index, how) in enumerate(path):
        if depth:
            parent = path[depth - 1][0][path[depth - 1][1]]
            _enter_bindings(reaching, parent, how, block)
        _run_bindings(reaching, block[:index])
    if path and including:
        block, index, _ = path[-1]
        stmt = block[index]
        if not isinstance(stmt, (ast.If, *_LOOPS, ast.Try, ast.Match)):
            _run_bindings(reaching, [stmt])
    return reaching


def _bound_in(nodes: Iterable[ast.AST]) -> Iterator[tuple[str, ast.AST]]:
    """(name, binding) of every binding in ``nodes`` of the function's own scope: not
    inside a nested function, class, lambda or comprehension (bar its first iterable and
    its ``:=``), whose names are their own."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            yield node.id, node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name, node
            stack.extend(node.decorator_list)
            continue
        elif isinstance(node, ast.Lambda):
            continue
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            # ``[y := f(x) for x in xs]`` binds ``y`` out here, its ``x`` in there.
            yield from (
                (inner.target.id, inner.target)
                for inner in walk(node)
                if isinstance(inner, ast.NamedExpr)
            )
            stack.append(node.generators[0].iter)
            continue
        elif isinstance(node, ast.alias) and node.name != "*":
            yield (node.asname or node.name.split(".")[0]), node
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            yield node.name, node
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield node.rest, node
        stack.extend(child_nodes(node))


def _bound_names(nodes: Iterable[ast.AST]) -> set[str]:
    return {name for name, _ in _bound_in(nodes)}


def _rebind(reaching: Bindings, nodes: Iterable[ast.AST]) -> None:
    """``nodes`` ran once, in full: each name they bind has their binding of it (two
    bindings of one name in one statement both reach, as the order is not read)."""
    bound: dict[str, set[ast.AST]] = {}
    for name, binding in _bound_in(nodes):
        bound.setdefault(name, set()).add(binding)
    for name, bindings in bound.items():
        reaching[name] = frozenset(bindings)


def _add_bindings(reaching: Bindings, nodes: Iterable[ast.AST]) -> None:
    """``nodes`` may have run, in part or several times: their bindings reach as well."""
    for name, binding in _bound_in(nodes):
        reaching[name] = reaching.get(name, frozenset()) | {binding}


def _run_bindings(reaching: Bindings, block: Sequence[ast.stmt]) -> None:
    """The statements of ``block`` ran, one after another, to its end."""
    for stmt in block:
        if isinstance(stmt, ast.If):
            _add_bindings(reaching, [stmt.test])  # an ``and`` may have stopped short
            through = [b for b in (stmt.body, stmt.orelse) if not _terminates(b)]
            ways = []
            for branch in through:
                way = dict(reaching)
                _run_bindings(way, branch)
                ways.append(way)
            if ways:
                reaching.clear()
                for way in ways:
                    for name, bindings in way.items():
                        reaching[name] = reaching.get(name, frozenset()) | bindings
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            _rebind(reaching, stmt.items)
            _run_bindings(reaching, stmt.body)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            handlers = stmt.handlers  # type: ignore[attr-defined]
            if all(_terminates(h.body) for h in handlers):
                # Past the try, its body (and else) ran to the end.
                _run_bindings(reaching, stmt.body)  # type: ignore[attr-defined]
                _run_bindings(reaching, stmt.orelse)  # type: ignore[attr-defined]
            else:
                _add_bindings(reaching, [*stmt.body, *handlers, *stmt.orelse])  # type: ignore[attr-defined]
            _run_bindings(reaching, stmt.finalbody)  # type: ignore[attr-defined]
        elif isinstance(stmt, (*_LOOPS, ast.Match)):
            _add_bindings(reaching, [stmt])
        else:
            _rebind(reaching, [stmt])


def _enter_bindings(
    reaching: Bindings, parent: ast.stmt, how: str, block: Sequence[ast.stmt]
) -> None:
    """What entering ``block`` of ``parent`` binds, and what may reach from a way round."""
    if isinstance(parent, ast.If):
        _add_bindings(reaching, [parent.test])  # an ``and`` may have stopped short
    elif isinstance(parent, _LOOPS):
        # Each way round may bring any binding of the loop back to the top of its body.
        _add_bindings(reaching, [parent])
    elif isinstance(parent, (ast.With, ast.AsyncWith)):
        _rebind(reaching, parent.items)
    elif isinstance(parent, ast.Try) or type(parent).__name__ == "TryStar":
        body = parent.body  # type: ignore[attr-defined]
        if how == "orelse":
            _run_bindings(reaching, body)
        elif how == "handler":
            _add_bindings(reaching, body)
            for handler in parent.handlers:  # type: ignore[attr-defined]
                if handler.body is block and handler.name:
                    reaching[handler.name] = frozenset({handler})
        elif how == "finally":
            handlers = parent.handlers  # type: ignore[attr-defined]
            _add_bindings(reaching, [*body, *handlers, *parent.orelse])  # type: ignore[attr-defined]
    elif isinstance(parent, ast.Match):
        _rebind(reaching, [parent.subject])
        case = next(c for c in parent.cases if c.body is block)
        _rebind(reaching, [case.pattern])
        if case.guard is not None:
            _add_bindings(reaching, [case.guard])


# -- where the capture goes ---------------------------------------------------------------


def compared_methods(test: ast.AST) -> tuple[tuple[str, ...], bool]:
    """The methods a ``request.method == "POST"`` / ``in (...)`` test names, and whether it
    negates them (``!=``, ``not in``); ``((), False)`` for any other condition."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return (), False
    left, right = test.left, test.comparators[0]
    if isinstance(right, ast.Attribute) and right.attr == "method":
        left, right = right, left
    if not (isinstance(left, ast.Attribute) and left.attr == "method"):
        return (), False
    op = test.ops[0]
    elements = right.elts if isinstance(right, (ast.Tuple, ast.List, ast.Set)) else [right]
    if isinstance(op, (ast.Eq, ast.NotEq)) and not isinstance(right, ast.Constant):
        return (), False
    if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, ast.Constant):
        return (), False
    values = tuple(
        e.value.upper()
        for e in elements
        if isinstance(e, ast.Constant) and isinstance(e.value, str)
    )
    if isinstance(op, (ast.Eq, ast.In)):
        return values, False
    if isinstance(op, (ast.NotEq, ast.NotIn)):
        return values, True
    return (), False


def _method_test(test: ast.expr) -> tuple[str, ...]:
    """Methods a test accepts (a negated test: the mutating methods it does not name)."""
    values, negated = compared_methods(test)
    return tuple(sorted(_MUTATING - set(values))) if negated and values else values


def _validates(test: ast.expr) -> bool:
    """``form.validate_on_submit()``, ``serializer.is_valid()`` (possibly within an ``and``)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_validates(v) for v in test.values)
    return (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr in _VALIDATION_CALLS
    )


def _action_branch(body: Sequence[ast.stmt]) -> list[ast.stmt] | bool | None:
    """The block where a submitted change is handled.

    False when the handler has no such branch; None when it branches on the method or on
    validation but the branch cannot be told apart (then there is no safe place).
    """
    for stmt in body:
        if not isinstance(stmt, ast.If):
            continue
        methods = _method_test(stmt.test)
        if methods:
            if set(methods) & _MUTATING:
                return _action_branch(stmt.body) or stmt.body
            if stmt.orelse:
                return _action_branch(stmt.orelse) or stmt.orelse
            # ``if request.method == "GET": return render(...)``, the action follows.
            return _action_branch(body[body.index(stmt) + 1 :]) or None
        if _validates(stmt.test):
            return stmt.body
    return False


def _last_return(block: Sequence[ast.stmt]) -> ast.Return | None:
    for stmt in reversed(block):
        if isinstance(stmt, ast.Return):
            return stmt
    return None


#: Every method a handler's ``request.method`` tests can tell apart.
_ALL_METHODS = frozenset({"GET", "HEAD", "OPTIONS", *_MUTATING})


def _narrowed(test: ast.expr, allowed: frozenset[str], *, entered: bool) -> frozenset[str]:
    """``allowed`` once a method test was passed (``entered``) or failed; each test of an
    ``and`` holds where it passed (``request.method == "POST" and form.is_valid()``)."""
    if entered and isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        for value in test.values:
            allowed = _narrowed(value, allowed, entered=True)
        return allowed
    values, negated = compared_methods(test)
    if not values:
        return allowed
    named = frozenset(values)
    return allowed & (named if entered != negated else _ALL_METHODS - named)


def reaching_methods(func: FunctionNode, line: int) -> tuple[str, ...]:
    """The methods whose requests reach ``line`` of ``func``, where the handler tests
    ``request.method`` on the way (the body or ``else`` of such a test, or after an
    ``if request.method == "GET": return ...``); () where nothing narrows them."""
    path = spine(func.body, line)
    allowed = _ALL_METHODS
    for depth, (block, index, how) in enumerate(path):
        if depth and how in ("body", "orelse"):
            outer, outer_index, _ = path[depth - 1]
            parent = outer[outer_index]
            if isinstance(parent, ast.If):
                allowed = _narrowed(parent.test, allowed, entered=how == "body")
        for earlier in block[:index]:
            if isinstance(earlier, ast.If) and not earlier.orelse and _terminates(earlier.body):
                allowed = _narrowed(earlier.test, allowed, entered=False)
    return () if allowed == _ALL_METHODS else tuple(sorted(allowed))


def success_anchor(
    func: FunctionNode, change_line: int | None, writes: Collection[int] = ()
) -> Anchor | None:
    """Where the capture for a change made by ``func`` goes, or None where nowhere is safe;
    with the methods that reach it, where the handler's method tests narrow them.
    ``writes``: the lines of all its writes, by which a change made in every branch of an
    ``if`` is captured once, after it (see ``_past_branches``)."""
    anchor = _success_anchor(func, change_line, writes)
    if anchor is None:
        return None
    methods = reaching_methods(func, anchor.line)
    return dataclasses.replace(anchor, methods=methods) if methods else anchor


#: A way through a handler: the lines it spans (first, last) and the lines of its writes.
Way = tuple[tuple[int, int], tuple[int, ...]]


def write_ways(func: FunctionNode, writes: Collection[int]) -> tuple[Way, ...]:
    """The ways through ``func`` that each end its action with writes of their own: the
    branches of an ``if`` / ``elif`` / ``else`` of which two at least write, where nothing
    writes before it nor past it (``if vote.dir == 1: ... db.add(vote) ... else: ...
    votes.delete()``), or an ``if`` whose body writes and returns and the code after it,
    which writes too.
    The first such ``if``, outermost first; never one in a loop or an error handler, nor
    a ``request.method`` test (its branches are the methods' own). A branch that writes
    nothing (a 404) is no way of the action. () where there is no such ``if``."""

    def within(first: int, last: int) -> tuple[int, ...]:
        return tuple(sorted(line for line in writes if first <= line <= last))

    def span(block: Sequence[ast.stmt]) -> tuple[int, int]:
        return block[0].lineno, block[-1].end_lineno or block[-1].lineno

    def split(stmt: ast.If) -> tuple[Way, ...]:
        end = stmt.end_lineno or stmt.lineno
        later = tuple(sorted(line for line in writes if line > end))
        if any(line < stmt.lineno for line in writes):
            # The action is made before the branches (a field saved, then its lookup
            # values added or removed): what they write follows it up.
            return ()
        ways: list[Way] = []
        if stmt.orelse:
            if later:
                return ()  # the action ends past the branches, with a write they share
            node = stmt
            while True:
                ways.append((span(node.body), within(*span(node.body))))
                inner = node.orelse[0] if len(node.orelse) == 1 else None
                if isinstance(inner, ast.If) and _is_elif(node, inner):
                    node = inner
                    continue
                if node.orelse:
                    ways.append((span(node.orelse), within(*span(node.orelse))))
                break
        elif isinstance(stmt.body[-1], ast.Return) and later:
            last = func.end_lineno or end
            ways = [(span(stmt.body), within(*span(stmt.body))), ((end + 1, last), later)]
        ways = [way for way in ways if way[1]]
        return tuple(ways) if len(ways) >= 2 else ()

    def search(block: Sequence[ast.stmt]) -> tuple[Way, ...]:
        for stmt in block:
            if isinstance(stmt, ast.If) and not compared_methods(stmt.test)[0]:
                found = split(stmt)
                if found:
                    return found
            if isinstance(stmt, _LOOPS):
                continue
            for how, inner in _blocks(stmt):
                found = search(inner) if how not in ("handler", "finally") else ()
                if found:
                    return found
        return ()

    return search(func.body) if len(writes) > 1 else ()


def _success_anchor(
    func: FunctionNode, change_line: int | None, writes: Collection[int] = ()
) -> Anchor | None:
    if change_line is not None:
        path = spine(func.body, change_line)
        if not path:
            return None
        # Out of loops: the change happened once the loop is done.
        for depth, (outer, index, _) in enumerate(path):
            stmt = outer[index]
            if isinstance(stmt, _LOOPS) and depth < len(path) - 1:
                return Anchor(stmt.lineno, False, "after the loop that writes")
        inner, index, how = path[-1]
        stmt = inner[index]
        if how in ("handler", "finally"):
            return None
        if isinstance(stmt, ast.Raise):
            return None
        if isinstance(stmt, ast.If) and _tests_success(stmt, change_line):
            # ``if user.reset_password(...):`` whose branches both return: past the
            # statement is never reached, the branch the write's success takes is.
            return Anchor(stmt.body[0].lineno, True, "first in the branch the write takes")
        joined = _past_branches(path, writes)
        if joined is not None:
            return Anchor(joined.lineno, False, "after the branches that each write")
        # ``await session.commit()`` then ``await session.refresh(user)``: an async
        # session expires what it committed, and reading ``user.id`` before the refresh
        # loads it lazily, which an async session refuses (MissingGreenlet).
        while index + 1 < len(inner) and _refreshes(inner[index + 1]):
            index += 1
        return Anchor(inner[index].lineno, False, "after the write")
    branch = _action_branch(func.body)
    if branch is None:
        return None
    block: Sequence[ast.stmt] = func.body if branch is False or branch is True else branch
    if not block:
        return None
    ending = _last_return(block)
    if ending is not None and isinstance(ending.value, ast.Await):
        # ``return await books.add(data)``: the awaited call is the action (seen or not);
        # the event follows it (the edit splits the return), so a refused one sends none.
        return Anchor(ending.lineno, False, "after the awaited call it returns")
    if ending is not None:
        return Anchor(ending.lineno, True, "before the success return")
    last = block[-1]
    if isinstance(last, ast.Raise | ast.Continue | ast.Break) or _aborts(block):
        return None
    if isinstance(last, ast.Try) or type(last).__name__ == "TryStar":
        # Its end may be a handler's: the success is the try's own return, where every
        # handler answers an error, or nowhere that can be told.
        success = _only_success_return(last)
        if success is None:
            return None
        return Anchor(success.lineno, True, "before the only success return")
    if branch is False and any(isinstance(s, ast.Return) for s in _walk(func)):
        # Returns only inside branches: the success is the one branch of a final if/else
        # that does not answer an error (``return jsonify(errors), 400``, ``abort(403)``).
        success = _only_success_return(last)
        if success is None:
            return None
        return Anchor(success.lineno, True, "before the only success return")
    return Anchor(last.end_lineno or last.lineno, False, "at the end of the action")


#: Calls whose result is an error response, by name.
_ERROR_RESPONSES = re.compile(
    r"^(abort|HttpResponse(BadRequest|Forbidden|NotFound|NotAllowed|Gone|ServerError)|bad_request|not_found|forbidden)$"
)


def _is_error_return(stmt: ast.stmt) -> bool:
    """``return x, 400``, ``return 400, x``, ``return Response(..., status=500)``, ``abort(404)``-like."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        called = stmt.value.func
        name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
        return bool(_ERROR_RESPONSES.match(name))
    if isinstance(stmt, ast.Raise):
        return True
    if not isinstance(stmt, ast.Return) or stmt.value is None:
        return False
    value = stmt.value
    if isinstance(value, ast.Tuple) and len(value.elts) >= 2:
        # ``return body, 400`` (Flask) or ``return 400, body`` (Django Ninja: status first).
        return any(
            isinstance(status, ast.Constant)
            and isinstance(status.value, int)
            and not isinstance(status.value, bool)
            and status.value >= 400
            for status in value.elts[:2]
        )
    if isinstance(value, ast.Call):
        called = value.func
        name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
        if _ERROR_RESPONSES.match(name):
            return True
        for keyword in value.keywords:
            if keyword.arg not in ("status", "status_code"):
                continue
            if isinstance(keyword.value, ast.Constant):
                code = keyword.value.value
                return isinstance(code, int) and code >= 400
            # ``status=status.HTTP_404_NOT_FOUND`` (DRF, Starlette, FastAPI), ``HTTPStatus.X``
            spelled = chain_text(keyword.value) or ""
            return bool(_ERROR_STATUS_NAME.match(spelled.rsplit(".", 1)[-1]))
    return False


#: A named HTTP status that is an error, told by the number its name carries
#: (``status.HTTP_404_NOT_FOUND``).
_ERROR_STATUS_NAME = re.compile(r"^HTTP_[45]\d\d(_|$)")


def _only_success_return(stmt: ast.stmt) -> ast.Return | None:
    """The one success ``return`` of a final ``if``/``else`` whose other branches all end
    in an error, or of a final ``try`` whose handlers all do; None otherwise."""
    if isinstance(stmt, ast.Try) and stmt.body and not stmt.orelse and not stmt.finalbody:
        ending = stmt.body[-1]
        handlers_fail = all(h.body and _is_error_return(h.body[-1]) for h in stmt.handlers)
        if handlers_fail and isinstance(ending, ast.Return) and not _is_error_return(ending):
            return ending
        return None
    if not isinstance(stmt, ast.If) or not stmt.orelse:
        return None
    branches: list[list[ast.stmt]] = []
    node: ast.stmt = stmt
    while isinstance(node, ast.If):
        branches.append(node.body)
        if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
            node = node.orelse[0]
        else:
            branches.append(node.orelse)
            break
    endings = [branch[-1] for branch in branches if branch]
    if len(endings) != len(branches):
        return None
    successes = [e for e in endings if not _is_error_return(e)]
    if len(successes) != 1 or not isinstance(successes[0], ast.Return):
        return None
    return successes[0]


# -- login, signup and logout points ------------------------------------------------------


def functions_by_line(tree: ast.Module) -> dict[int, FunctionNode]:
    """Every function and method of a module by the line of its ``def``."""
    return {
        node.lineno: node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def prove_auth_points(ctx: FileContext, points: Sequence[AuthPoint]) -> list[AuthPoint]:
    """Each point with what is proven where its code goes: after a login or signup call
    (before it, for token logins), before a logout call."""
    functions = functions_by_line(ctx.tree)
    globals_ = ctx.module_names
    proved = []
    for point in points:
        func = functions.get(point.code_in.line)
        if func is None:
            proved.append(point)
            continue
        # As ``codemods.placement`` places it: a FastAPI signup is a "token" point too,
        # and its identify goes after the call that made the user.
        token_login = point.kind == "login" and point.mechanism == "token"
        after = point.kind != "logout" and not token_login
        proof = proof_at(func, point.line, including=after, globals_=globals_)
        typed = typed_at(ctx, func, point.line, including=after)
        proved.append(dataclasses.replace(point, proven=proof.facts(), typed=typed))
    return proved


# -- what objects are ---------------------------------------------------------------------


def _annotated_class(node: ast.expr | None) -> ast.expr | None:
    """``User`` out of ``User``, ``Annotated[User, ...]``, ``Optional[User]``, ``User | None``."""
    if node is None:
        return None
    if isinstance(node, ast.Subscript):
        head = (
            node.value.attr
            if isinstance(node.value, ast.Attribute)
            else getattr(node.value, "id", "")
        )
        inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
        return _annotated_class(inner) if head in ("Annotated", "Optional") else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        if isinstance(node.right, ast.Constant) and node.right.value is None:
            return _annotated_class(node.left)
        return None
    return node if isinstance(node, (ast.Name, ast.Attribute)) else None


def typed_names(ctx: FileContext, func: FunctionNode) -> tuple[tuple[str, str], ...]:
    """(name, qualified class) for parameters annotated with a class and for locals built
    by calling one (``post = Post(...)``); names bound more than one way are left out
    (``typed_at`` types them where one binding reaches)."""
    return _binding_kinds(ctx, func).typed


@dataclass(frozen=True)
class _Kinds:
    """What each typed binding of a function's locals holds (``""``: not known)."""

    #: A parameter's ``ast.arg`` or a ``name = value`` target's ``ast.Name``, to its kind.
    of_binding: Mapping[ast.AST, str]
    #: (name, kind) of the names every binding of which is of one known kind.
    typed: tuple[tuple[str, str], ...]


def _binding_kinds(ctx: FileContext, func: FunctionNode) -> _Kinds:
    # Several questions of one handler (its typed names, and again at its capture) ask it.
    return ctx.remembered("binding kinds", func, lambda: _kinds_of(ctx, func))


def _kinds_of(ctx: FileContext, func: FunctionNode) -> _Kinds:
    scope = ctx.names.scope_for_def(func)
    of_binding: dict[ast.AST, str] = {}
    found: dict[str, set[str]] = {}
    args = func.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        cls = _annotated_class(arg.annotation)
        qualified = ctx.names.resolve(cls) if cls is not None else None
        if qualified:
            found.setdefault(arg.arg, set()).add(qualified)
            of_binding[arg] = qualified
    received: list[tuple[ast.Name, str, str]] = []
    for node in _walk(func):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            continue
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        kind = _built_by(ctx, value, scope) or _nested_class_built(ctx, func, value)
        if isinstance(value, ast.Call) and any(
            k.arg == "many" and not (isinstance(k.value, ast.Constant) and not k.value.value)
            for k in value.keywords
        ):
            kind = None  # ``Serializer(data, many=True)`` builds a list serializer instead
        receiver = _method_receiver(value)
        if kind is None and receiver is not None:
            received.append((target, *receiver))
            continue
        found.setdefault(target.id, set()).add(kind or "")
        of_binding[target] = kind or ""
    # ``file = uploads.create()`` where ``uploads`` is an instance of a project class: the
    # result of that class's method (what its annotation returns; see ``instance_class``).
    for target, owner, method in received:
        kinds = found.get(owner, set())
        kind = next(iter(kinds)) if len(kinds) == 1 and owner != target.id else ""
        kind = f"{kind}.{method}" if kind and not kind.endswith("?") else ""
        found.setdefault(target.id, set()).add(kind)
        of_binding[target] = kind
    typed = tuple(
        sorted(
            (name, next(iter(kinds)))
            for name, kinds in found.items()
            if len(kinds) == 1 and "" not in kinds
        )
    )
    return _Kinds(of_binding, typed)


#: Keywords of a lookup that take a record's key (``get_object_or_404(Post, pk=pk)``,
#: ``Post.objects.get(id=id)``, ``Post.query.filter_by(id=id)``).
_KEY_KEYWORDS = frozenset({"pk", "id"})
#: Lookups that take the key as their only argument (SQLAlchemy's ``Post.query.get(id)``).
_KEY_METHODS = frozenset({"get", "get_or_404"})


def lookup_keys(ctx: FileContext, func: FunctionNode) -> tuple[tuple[str, str], ...]:
    """(parameter, qualified model) for each parameter the handler looks a model up by, as
    its key: ``get_object_or_404(BookInstance, pk=pk)``, ``Post.objects.get(id=id)``,
    ``Post.query.get_or_404(id)``, ``Post.query.filter_by(id=id).first()``. A parameter
    used as the key of two models keys neither."""
    params = {a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
    scope = ctx.names.scope_for_def(func)
    found: dict[str, set[str]] = {}
    seen: set[ast.AST] = set()
    for node in _walk(func):
        if not isinstance(node, ast.Call) or node in seen:
            continue
        chain = _call_chain(node)
        seen.update(chain)
        keys = {k for call in chain for k in _key_arguments(call, params)}
        if not keys:
            continue
        # The outermost call that answers a model: ``.first()`` of a filter, ``.get(...)``
        # of ``.get(...).delete()``.
        model = next(filter(None, (_model_answered(ctx, call, scope) for call in chain)), None)
        if model is None:
            continue
        for key in keys:
            found.setdefault(key, set()).add(model)
    return tuple(
        sorted((key, next(iter(models))) for key, models in found.items() if len(models) == 1)
    )


def _model_answered(ctx: FileContext, call: ast.Call, scope: object) -> str | None:
    """The class ``call`` answers an instance of, where that is a class (named as one)."""
    model = (_built_by(ctx, call, scope) or "").rstrip("?")
    if not model or ".<locals>." in model or not spelled_as_class(model):
        return None
    return model


def _call_chain(call: ast.Call) -> list[ast.Call]:
    """``call`` and the calls it is made on: ``filter_by(...)`` of ``....filter_by(...).first()``."""
    chain = [call]
    node: ast.expr = call.func
    while isinstance(node, (ast.Attribute, ast.Call)):
        if isinstance(node, ast.Call):
            chain.append(node)
            node = node.func
        else:
            node = node.value
    return chain


def _key_arguments(call: ast.Call, params: Collection[str]) -> Iterator[str]:
    """The parameters ``call`` passes as a record's key."""
    for keyword in call.keywords:
        if (
            keyword.arg in _KEY_KEYWORDS
            and isinstance(keyword.value, ast.Name)
            and keyword.value.id in params
        ):
            yield keyword.value.id
    if (
        isinstance(call.func, ast.Attribute)
        and call.func.attr in _KEY_METHODS
        and len(call.args) == 1
        and not call.keywords
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id in params
    ):
        yield call.args[0].id


def typed_at(
    ctx: FileContext, func: FunctionNode, line: int, *, including: bool
) -> tuple[tuple[str, str], ...]:
    """``typed_names`` at the statement holding ``line`` (before it, or after it): a local
    bound above it is typed by the bindings that can reach it (see ``reaching_bindings``),
    so ``user`` is the created user after ``user = create_user(...)`` even where a lookup
    bound it first (and left the handler when it found one). Where bindings of different
    kinds, or one of no known kind, can reach the point, the name is not typed there."""
    kinds = _binding_kinds(ctx, func)
    typed = dict(kinds.typed)
    for name, reaching in reaching_bindings(func, line, including=including).items():
        found = {kinds.of_binding.get(binding, "") for binding in reaching}
        if len(found) == 1 and "" not in found:
            typed[name] = found.pop()
        else:
            typed.pop(name, None)
    return tuple(sorted(typed.items()))


def _nested_class_built(ctx: FileContext, func: FunctionNode, value: ast.expr) -> str | None:
    """``Outer.Inner`` where a method of module-level class ``Outer`` calls
    ``self.Inner(...)`` and ``Outer`` itself declares the class ``Inner`` (a view's own
    input serializer)."""
    if not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == "self"
    ):
        return None
    owner = ctx.names.qualname_of(func).rpartition(".")[0]
    for stmt in ctx.tree.body:
        if (
            isinstance(stmt, ast.ClassDef)
            and stmt.name == owner
            and any(
                isinstance(inner, ast.ClassDef) and inner.name == value.func.attr
                for inner in stmt.body
            )
        ):
            return ctx.qualified(f"{owner}.{value.func.attr}")
    return None


def _method_receiver(value: ast.expr) -> tuple[str, str] | None:
    """(receiver, method) of ``receiver.method(...)`` on a plain name, else None."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and isinstance(value.func.value, ast.Name)
    ):
        return value.func.value.id, value.func.attr
    return None


#: Query methods that may answer None (the object is then unproven until the handler uses it).
_MAYBE_NONE = frozenset(
    {"first", "get", "one_or_none", "scalar", "scalar_one_or_none", "get_or_none"}
)
#: Query methods that answer an object or raise.
_ALWAYS = frozenset(
    {"one", "scalar_one", "create", "create_user", "get_or_404", "first_or_404", "one_or_404"}
)


def _built_by(ctx: FileContext, value: ast.expr, scope: object) -> str | None:
    """What a value is: a class it constructs (``Post(...)``), a function whose result it is
    (``authenticate_user(...)``, typed by that function's annotation), or a model it queries
    (``User.query.filter_by(...).first()``; ``?`` marks a value that may be None)."""
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    if isinstance(func, ast.Name):
        called = ctx.names.resolve(func, scope)  # type: ignore[arg-type]
        if called and called.endswith("get_object_or_404") and value.args:
            # Django's shortcut answers an instance of its first argument, or raises 404.
            return ctx.names.resolve(value.args[0], scope)  # type: ignore[arg-type]
        return called
    if not isinstance(func, ast.Attribute):
        return None
    method = func.attr
    selected = _selected(ctx, value, scope)  # type: ignore[arg-type]
    if selected is not None:
        return selected
    if method in _ALTERNATE_CONSTRUCTORS:
        # ``Item.model_validate(data)`` builds an Item, as ``Item(...)`` does; so does a
        # model's own ``Item.create(...)`` (peewee's, Tortoise's, a CRUD mixin's).
        owner = _class_called(ctx, func, scope)  # type: ignore[arg-type]
        if owner is not None:
            return owner
    # ``models.Post(...)`` builds a Post; ``crud.create_user(...)`` answers what that project
    # function's annotation says (``request.get_json()`` resolves to no project function).
    called = ctx.names.resolve(func, scope)  # type: ignore[arg-type]
    if called is not None and ".<locals>." in called:
        called = None  # a method of a local value (``request.data.get``) says nothing
    if method not in _MAYBE_NONE and method not in _ALWAYS:
        return called
    # Walk down the query chain to the model: ``X.query...``, ``X.objects...``, ``db.query(X)``.
    node: ast.expr = func.value
    while True:
        if isinstance(node, ast.Call):
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr in ("query", "get")
                and node.args
            ):
                model = ctx.names.resolve(node.args[0], scope)  # type: ignore[arg-type]
                break
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in ("query", "objects") and isinstance(
                node.value, (ast.Name, ast.Attribute)
            ):
                model = ctx.names.resolve(node.value, scope)  # type: ignore[arg-type]
                if node.attr == "objects" and method == "get":
                    method = "one"  # a Django manager's get() raises, it never answers None
                break
            node = node.value
        else:
            return called
    if model is None:
        return called
    return model + ("?" if method in _MAYBE_NONE else "")


#: Class methods of pydantic (and SQLModel) models that answer an instance of the class.
_ALTERNATE_CONSTRUCTORS = frozenset(
    {"model_validate", "model_validate_json", "model_construct", "parse_obj", "from_orm", "create"}
)
#: SQLAlchemy's (and SQLModel's) ``select``, by qualified name.
_SELECT = frozenset(
    {"sqlalchemy.select", "sqlalchemy.sql.select", "sqlalchemy.future.select", "sqlmodel.select"}
)
#: Methods that answer the single entity of a one-entity select, or None where marked.
_SCALAR = {"scalar": "?", "scalar_one_or_none": "?", "scalar_one": ""}
_SCALARS_ROW = {"first": "?", "one_or_none": "?", "one": ""}


def _selected(ctx: FileContext, value: ast.Call, scope: Scope) -> str | None:
    """The model a SQLAlchemy 2.0 style query answers one instance of: ``session.scalar(
    select(User)...)``, ``session.execute(select(User)...).scalar_one()``, ``session.scalars(
    select(User)...).first()``, SQLModel's ``session.exec(select(User)...).first()``. Rows
    (``session.execute(select(User)).first()``) are not instances and answer nothing."""
    func = value.func
    if not isinstance(func, ast.Attribute):
        return None
    method = func.attr
    if method in _SCALAR and value.args:
        # ``session.scalar(select(User))``, or ``session.execute(select(User)).scalar()``
        source: ast.expr | None = value.args[0]
    elif method in _SCALAR:
        source = _source_of(func.value, ("execute", "exec"))
    elif method in _SCALARS_ROW:
        source = _source_of(func.value, ("scalars", "exec"))
        mark = _SCALARS_ROW[method]
        if source is None and isinstance(func.value, ast.Call):
            # ``session.execute(select(User)).scalars().first()``
            inner = func.value.func
            if isinstance(inner, ast.Attribute) and inner.attr == "scalars":
                source = _source_of(inner.value, ("execute",))
        model = _select_model(ctx, source, scope)
        return model + mark if model else None
    else:
        return None
    model = _select_model(ctx, source, scope)
    return model + _SCALAR[method] if model else None


def _source_of(node: ast.expr, methods: tuple[str, ...]) -> ast.expr | None:
    """The statement of ``<session>.<method>(statement)`` for one of ``methods``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in methods
        and node.args
    ):
        return node.args[0]
    return None


def _select_model(ctx: FileContext, statement: ast.expr | None, scope: Scope) -> str | None:
    """``X`` of a one-entity ``select(X)``, through ``.where(...)`` / ``.filter_by(...)``:
    SQLAlchemy's, the one Flask-SQLAlchemy's object lends (``db.select(X)``), or a model
    class's own (``X.select()``, as alchemical's and peewee's models have)."""
    node = statement
    while isinstance(node, ast.Call):
        if ctx.names.resolve_call(node, scope) in _SELECT:
            if len(node.args) != 1 or node.keywords:
                return None
            return ctx.names.resolve(node.args[0], scope)
        if not isinstance(node.func, ast.Attribute):
            return None
        if node.func.attr == "select" and not node.keywords:
            selected = node.args[0] if len(node.args) == 1 else node.func.value
            model = ctx.names.resolve(selected, scope) if len(node.args) <= 1 else None
            return model if model and spelled_as_class(model) else None
        node = node.func.value  # ``select(X).where(...).limit(1)`` down to ``select(X)``
    return None


#: Django's model form and DRF's model serializers: ``save()`` answers the instance of the
#: ``Meta.model`` it created or updated, never None.
MODEL_SAVING_BASES = frozenset(
    {
        "django.forms.ModelForm",
        "django.forms.models.ModelForm",
        "rest_framework.serializers.ModelSerializer",
        "rest_framework.serializers.HyperlinkedModelSerializer",
    }
)
#: The methods through which a subclass could make ``save()`` answer something else.
_SAVING_METHODS = frozenset({"save", "create", "update"})


def _saved_model(ctx: FileContext, cls: ast.ClassDef) -> str | None:
    """The model whose instance the class's ``save()`` answers (``folder = form.save()``
    holds a ``Folder``): only for a class whose every base is one of the library's model
    forms and serializers, that overrides none of ``save``, ``create`` and ``update`` (an
    override, its own or a mixin's, may answer anything), and whose ``Meta`` names a model."""
    bases = [ctx.names.resolve(b) for b in cls.bases]
    if not bases or not all(b in MODEL_SAVING_BASES for b in bases):
        return None
    if any(
        isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in _SAVING_METHODS
        for item in cls.body
    ):
        return None
    return _meta_model(ctx, cls)


def _alternate_constructors(cls: ast.ClassDef) -> list[str]:
    """The class's static and class methods that always answer a new instance of it
    (``return Post(body=body)``, ``return cls(...)``) or raise: every ``return`` builds
    one, and the body ends in a ``return`` or a ``raise``, so it never answers None."""
    found = []
    for item in cls.body:
        if not isinstance(item, ast.FunctionDef) or not item.body:
            continue
        kinds = {d.id for d in item.decorator_list if isinstance(d, ast.Name)}
        builders = {cls.name} | ({"cls"} if "classmethod" in kinds else set())
        if not kinds & {"staticmethod", "classmethod"}:
            continue
        if not isinstance(item.body[-1], (ast.Return, ast.Raise)):
            continue
        returns = [n for n in _walk(item) if isinstance(n, ast.Return)]
        if returns and all(
            isinstance(r.value, ast.Call)
            and isinstance(r.value.func, ast.Name)
            and r.value.func.id in builders
            for r in returns
        ):
            found.append(item.name)
    return found


def value_kind(
    ctx: FileContext,
    value: ast.expr,
    func: FunctionNode | None,
    typed: dict[str, str] | None = None,
) -> str | None:
    """What a value in ``func`` (None: at module level) is, as its locals are typed: a
    local typed by ``typed_names`` (``typed``, where the caller has them), or what
    ``_built_by`` says a call builds or queries (a class, ``?`` where it may be None) or
    whose result it is (a function); else None."""
    if isinstance(value, ast.Name):
        if func is None:
            return None
        return (typed if typed is not None else dict(typed_names(ctx, func))).get(value.id)
    if isinstance(value, ast.Call):
        scope = ctx.names.scope_for_def(func) if func is not None else None
        return _built_by(ctx, value, scope)
    return None


#: What ``ModuleFacts.assigned`` records for an assigned ``None``.
ASSIGNED_NONE = "None"


def assigned_types(
    assigned: Iterable[tuple[str, str]],
    returns: Iterable[tuple[str, str]],
    classes: Iterable[ClassFacts],
) -> tuple[tuple[str, str], ...]:
    """(attribute, class it holds, ``?``-marked) for each attribute of a request-wide object
    (Flask's ``g.user``) whose every assignment in the project is None or an instance of one
    and the same project class: a value built or queried from it, a local typed so, or the
    result of a function that returns it (annotated, or read off its returns, see
    ``function_returns``). One assignment of another class (an ``AnonymousUser()``) or of
    a value not known, a deletion, or a store by a name not known (``<object>.*``) types
    nothing. What such an attribute holds may always be None: a request may never set it.
    """
    known = {c.qualname for c in classes}
    results = dict(returns)
    found: dict[str, set[str]] = {}
    for attribute, value in assigned:
        if value == ASSIGNED_NONE:
            found.setdefault(attribute, set())
            continue
        kind = results.get(value, value).rstrip("?") if value else ""
        found.setdefault(attribute, set()).add(kind if kind in known else "")
    unknown = {a.removesuffix("*") for a, kinds in found.items() if a.endswith(".*")}
    return tuple(
        sorted(
            (attribute, f"{kinds.pop()}?")
            for attribute, kinds in found.items()
            if len(kinds) == 1
            and "" not in kinds
            and not any(attribute.startswith(prefix) for prefix in unknown)
        )
    )


def _static_or_class(func: ast.FunctionDef) -> bool:
    return any(
        isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod")
        for d in func.decorator_list
    )


def _own_nodes(func: FunctionNode) -> Iterator[ast.AST]:
    """Every node of a function's body, not descending into nested functions or classes
    (their ``return`` statements are theirs)."""
    stack: list[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(reversed(child_nodes(node)))


def _inferred_result(ctx: FileContext, func: ast.FunctionDef) -> str | None:
    """The class an unannotated function (a module function, a static or class method)
    answers, read off its ``return`` statements: each returns None (``return``, ``return
    None``) or a value typed as one and the same class, as a handler's locals are typed
    (``return User.query.get(key)``, ``return user`` of ``user = User(...)``; a call of
    another function is typed by that function's name, which is no class). ``?`` marks a
    result that may be None: a ``return None``, a value that may be None, or a body that
    can end without a ``return``. A return of anything else (an expression, a value of
    another or unknown type), a generator (``yield``) or no value-returning ``return`` at
    all types nothing."""
    kinds: set[str] = set()
    maybe_none = not _terminates(func.body)
    maybe_false = False
    typed: dict[str, str] | None = None
    for node in _own_nodes(func):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return None
        if not isinstance(node, ast.Return):
            continue
        value = node.value
        if isinstance(value, ast.IfExp) and _is_none(value.orelse):
            # ``return User.check(token) if token else None``: the one, or None.
            value, maybe_none = value.body, True
        if value is None or _is_none(value):
            maybe_none = True
            continue
        if isinstance(value, ast.Constant) and value.value is False:
            # ``if not user: return False`` (an ``authenticate_user`` as FastAPI's tutorial
            # writes it): the one, or a falsy non-instance only a truth test rules out.
            maybe_false = True
            continue
        if isinstance(value, ast.Name) and typed is None:
            typed = dict(typed_names(ctx, func))
        kind = value_kind(ctx, value, func, typed)
        if not kind:
            return None
        maybe_none = maybe_none or kind.endswith("?")
        kinds.add(kind.rstrip("?"))
    if len(kinds) != 1:
        return None
    return kinds.pop() + ("!" if maybe_false else "?" if maybe_none else "")


def _is_none(value: ast.expr) -> bool:
    return isinstance(value, ast.Constant) and value.value is None


def function_returns(ctx: FileContext) -> tuple[tuple[str, str], ...]:
    """(function, class it returns) for the module's functions annotated with a class, and
    for unannotated ones whose returns say (see ``_inferred_result``); ``?`` marks ``X |
    None``, ``Optional[X]`` and a result that may be None. Only a project class counts as
    what a function returns (``with_returns``): a name that is not one types nothing."""
    found = []
    for stmt in ctx.tree.body:
        if type(stmt).__name__ == "TypeAlias":
            # ``type Me = Annotated[User, ...]`` (3.12+), read like the assignment below.
            stmt = ast.Assign(targets=[stmt.name], value=stmt.value)  # type: ignore[attr-defined]
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            # ``CurrentUser = Annotated[User, Depends(get_current_user)]``: an alias of User.
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            cls = _annotated_class(stmt.value) if isinstance(stmt.value, ast.Subscript) else None
            qualified = ctx.names.resolve(cls) if cls is not None else None
            if qualified and len(targets) == 1 and isinstance(targets[0], ast.Name):
                found.append((ctx.qualified(targets[0].id), qualified))
            continue
        if isinstance(stmt, ast.ClassDef):
            builders = _alternate_constructors(stmt)
            found += [
                (ctx.qualified(f"{stmt.name}.{name}"), ctx.qualified(stmt.name))
                for name in builders
            ]
            saved = _saved_model(ctx, stmt)
            if saved is not None:
                found.append((ctx.qualified(f"{stmt.name}.save"), saved))
            # A method annotated with the class it answers (``def create(self) -> File``).
            annotated = [
                (ctx.qualified(f"{stmt.name}.{method.name}"), returned)
                for method in stmt.body
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef))
                and method.name not in builders
                and (returned := _returned_class(ctx, method)) is not None
            ]
            found += annotated
            said = {name for name, _ in annotated}
            found += [
                (method_name, result)
                for item in stmt.body
                if isinstance(item, ast.FunctionDef)
                and item.name not in builders
                and (method_name := ctx.qualified(f"{stmt.name}.{item.name}")) not in said
                and _static_or_class(item)
                and (result := _inferred_result(ctx, item)) is not None
            ]
            continue
        if isinstance(stmt, ast.FunctionDef) and stmt.returns is None:
            result = _inferred_result(ctx, stmt)
            if result is not None:
                found.append((ctx.qualified(stmt.name), result))
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            returned = _returned_class(ctx, stmt)
            if returned is not None:
                found.append((ctx.qualified(stmt.name), returned))
    return tuple(found)


def _returned_class(ctx: FileContext, func: FunctionNode) -> str | None:
    """The class ``func`` is annotated to return (``X?`` for ``X | None``), or None."""
    if func.returns is None:
        return None
    cls = _annotated_class(func.returns)
    qualified = ctx.names.resolve(cls) if cls is not None else None
    if not qualified:
        return None
    optional = ast.unparse(func.returns) != ast.unparse(cls)  # type: ignore[arg-type]
    return qualified + ("?" if optional else "")


def class_facts(ctx: FileContext) -> tuple[ClassFacts, ...]:
    """The module-level classes of a file, and the classes nested in them (a view's
    ``InputSerializer``), with their bases and declared attributes."""
    classes = []
    nested = [
        (f"{stmt.name}.{inner.name}", inner)
        for stmt in ctx.tree.body
        if isinstance(stmt, ast.ClassDef)
        for inner in stmt.body
        if isinstance(inner, ast.ClassDef)
    ]
    tops = [(stmt.name, stmt) for stmt in ctx.tree.body if isinstance(stmt, ast.ClassDef)]
    for name, stmt in [*tops, *nested]:
        bases = tuple(ctx.names.resolve(b) or ast.unparse(b) for b in stmt.bases)
        attributes: list[str] = []
        fields: list[tuple[str, str]] = []
        for item in stmt.body:
            if isinstance(item, ast.Assign):
                attributes += [t.id for t in item.targets if isinstance(t, ast.Name)]
                declared = _serializer_field(ctx, item)
                if declared is not None:
                    fields.append(declared)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                attributes.append(item.target.id)
                shape = _field_shape(item.annotation)
                if shape is not None and not (shape in _SIZED and _defaults_to_none(item.value)):
                    fields.append((item.target.id, shape))
            elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(d, ast.Name) and d.id in ("property", "cached_property")
                for d in item.decorator_list
            ):
                attributes.append(item.name)
        classes.append(
            ClassFacts(
                ctx.qualified(name),
                bases,
                tuple(attributes),
                tuple(fields),
                _meta_model(ctx, stmt),
                _authenticated_key(ctx, stmt) if "authenticate" in ctx.source else None,
            )
        )
    return tuple(classes)


_AUTHENTICATE = "django.contrib.auth.authenticate"


def _authenticated_key(ctx: FileContext, cls: ast.ClassDef) -> str | None:
    """``"user"`` where the class's ``validate(self, attrs)`` binds a name once, to
    ``authenticate(...)``, raises where it is None (``if not user: raise ...``), stores it
    as ``attrs["user"]`` after that check, and returns ``attrs``: the validated data then
    holds an authenticated user under that key."""
    method = next(
        (
            s
            for s in cls.body
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "validate"
        ),
        None,
    )
    if method is None or len(method.args.args) != 2:
        return None
    data = method.args.args[1].arg
    authenticated = authenticated_users(ctx, method)
    user: str | None = None
    refused_at: int | None = None
    key: str | None = None
    for stmt in method.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id in authenticated
        ):
            user = stmt.targets[0].id
        elif user is not None and isinstance(stmt, ast.If) and _refuses_none(stmt, user):
            refused_at = stmt.lineno
        elif (
            refused_at is not None
            and isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.value, ast.Name)
            and stmt.value.id == user
        ):
            target = stmt.targets[0]
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == data
                and isinstance(target.slice, ast.Constant)
                and isinstance(target.slice.value, str)
            ):
                key = target.slice.value
        elif isinstance(stmt, ast.Return):
            returns_data = isinstance(stmt.value, ast.Name) and stmt.value.id == data
            if key is not None and returns_data and user is not None:
                return key
            return None
    return None


def authenticated_users(ctx: FileContext, func: FunctionNode) -> frozenset[str]:
    """The names ``func`` binds once only, to ``django.contrib.auth.authenticate(...)``:
    each holds the user it proved, or None."""
    scope = ctx.names.scope_for_def(func)
    bound: dict[str, int] = {}
    authenticated: set[str] = set()
    for node in _walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound[node.id] = bound.get(node.id, 0) + 1
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and ctx.names.resolve(node.value.func, scope) == _AUTHENTICATE
        ):
            authenticated.add(node.targets[0].id)
    return frozenset(name for name in authenticated if bound.get(name) == 1)


def _refuses_none(stmt: ast.If, name: str) -> bool:
    """``if not user: raise ...`` / ``if user is None: raise ...`` (``or`` more tests)."""
    test = stmt.test
    tests = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else [test]
    refuses = any(_fails(t, name) for t in tests)
    return refuses and bool(stmt.body) and isinstance(stmt.body[-1], ast.Raise)


def _meta_model(ctx: FileContext, cls: ast.ClassDef) -> str | None:
    """The qualified model a class's ``Meta`` names (``model = User``), if it names one."""
    for inner in cls.body:
        if not (isinstance(inner, ast.ClassDef) and inner.name == "Meta"):
            continue
        for stmt in inner.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "model" for t in stmt.targets
            ):
                return _model_reference(ctx, stmt.value)
    return None


def _model_reference(ctx: FileContext, value: ast.expr) -> str | None:
    """``User`` / ``models.User`` -> its qualified name; ``get_user_model()``, or a
    module-level name bound to that call, -> the factory's."""
    if isinstance(value, ast.Name):
        bound: ast.expr | None = None
        for stmt in ctx.tree.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == value.id for t in stmt.targets
            ):
                bound = stmt.value
        if isinstance(bound, ast.Call):
            value = bound
    if isinstance(value, ast.Call):
        return ctx.names.resolve(value.func)
    return ctx.names.resolve(value)


#: Django REST framework's serializer bases: what ``is_valid()`` checks against the fields
#: the class declares.
SERIALIZER_BASES = frozenset(
    {
        "rest_framework.serializers.Serializer",
        "rest_framework.serializers.ModelSerializer",
        "rest_framework.serializers.HyperlinkedModelSerializer",
    }
)
#: The value a DRF field validates to (``choice``: one of the values the code declares).
#: Fields of personal or free-form values (``EmailField``, ``URLField``, ``IPAddressField``,
#: ``JSONField``) and of values JSON cannot carry as they are (``DecimalField``, dates) are
#: left out.
_DRF_FIELD_SHAPES = {
    "BooleanField": "bool",
    "NullBooleanField": "bool",
    "IntegerField": "int",
    "FloatField": "float",
    "ChoiceField": "choice",
    "CharField": "str",
    "SlugField": "str",
    "RegexField": "str",
    "ListField": "list",
    "MultipleChoiceField": "list",
}


def _serializer_field(ctx: FileContext, item: ast.Assign) -> tuple[str, str] | None:
    """(field, shape) of ``flag = serializers.BooleanField(...)`` in a class body; None for
    anything else, and for a text or list field that may validate to None
    (``allow_null=True``, ``default=None``): its length could not be read."""
    value = item.value
    if not (
        len(item.targets) == 1
        and isinstance(item.targets[0], ast.Name)
        and isinstance(value, ast.Call)
        and isinstance(value.func, (ast.Name, ast.Attribute))
    ):
        return None
    called = ctx.names.resolve(value.func) or ""
    module, _, kind = called.rpartition(".")
    if module not in ("rest_framework.serializers", "rest_framework.fields"):
        return None
    shape = _DRF_FIELD_SHAPES.get(kind)
    if shape is None:
        return None
    options = {k.arg: k.value for k in value.keywords if k.arg}
    if "source" in options or "read_only" in options:
        return None  # held under another key, or never validated
    allows_null = options.get("allow_null")
    never_null = allows_null is None or (
        isinstance(allows_null, ast.Constant) and allows_null.value is False
    )
    if shape in _SIZED and (not never_null or _defaults_to_none(value)):
        return None
    return item.targets[0].id, shape


def serializer_fields(
    classes: Iterable[ClassFacts],
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Every project class that is a DRF serializer (through the project's own bases too)
    with the fields it declares, inherited: what ``validated_data`` holds once
    ``is_valid()`` has run."""
    by_name = {c.qualname: c for c in classes}
    return _inherited_fields(by_name, by_name.get, SERIALIZER_BASES)


#: The plain types a schema field's value is known to have (``list`` for any collection).
_FIELD_SHAPES = {
    "bool": "bool",
    "int": "int",
    "float": "float",
    "str": "str",
    **dict.fromkeys(
        ("list", "List", "set", "Set", "frozenset", "FrozenSet", "tuple", "Tuple", "Sequence"),
        "list",
    ),
}
#: Shapes whose length is read: a None default would make ``len`` fail.
_SIZED = frozenset({"list", "str"})
#: Bases whose subclasses validate their annotated fields when a request's body is decoded
#: into them (a dataclass is left out: nothing checks what a hand-built one holds).
_SCHEMA_BASES = frozenset(
    {"pydantic.BaseModel", "pydantic.main.BaseModel", "msgspec.Struct", "ninja.Schema"}
)


def _field_shape(annotation: ast.expr) -> str | None:
    """``bool`` of ``flag: bool``, ``list`` of ``tags: list[str]``; None for anything that
    may be None (``str | None``, ``Optional[int]``) or is not a plain type."""
    if isinstance(annotation, ast.Name):
        return _FIELD_SHAPES.get(annotation.id)
    if not isinstance(annotation, ast.Subscript):
        return None
    head = annotation.value
    name = head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", "")
    if name == "Annotated" and isinstance(annotation.slice, ast.Tuple):
        return _field_shape(annotation.slice.elts[0])
    return "list" if _FIELD_SHAPES.get(name) == "list" else None


def _defaults_to_none(value: ast.expr | None) -> bool:
    """``= None``, ``= Field(None)``, ``= Field(default=None)``: a default of None."""
    if isinstance(value, ast.Call):
        candidates = [*value.args[:1], *(k.value for k in value.keywords if k.arg == "default")]
        return any(_defaults_to_none(c) for c in candidates)
    return isinstance(value, ast.Constant) and value.value is None


def schema_fields(
    classes: Iterable[ClassFacts],
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Every project class that validates its fields (a pydantic model, a msgspec struct;
    through the project's own bases too) with its fields' shapes, inherited."""
    by_name = {c.qualname: c for c in classes}
    # A base imported by the name another source root gives its module (``app.lib.X`` for
    # ``py.app.lib.X``): the one class whose full name ends so.
    by_suffix: dict[str, list[str]] = {}
    for qualname in by_name:
        parts = qualname.split(".")
        for start in range(1, len(parts) - 1):
            by_suffix.setdefault(".".join(parts[start:]), []).append(qualname)

    def find(name: str) -> ClassFacts | None:
        if name in by_name:
            return by_name[name]
        found = by_suffix.get(name, [])
        return by_name[found[0]] if len(found) == 1 else None

    return _inherited_fields(by_name, find, _SCHEMA_BASES)


def _inherited_fields(
    by_name: Mapping[str, ClassFacts],
    find: Callable[[str], ClassFacts | None],
    roots: Collection[str],
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Each class of ``by_name`` that derives from one of ``roots`` (through the project's
    own bases, which ``find`` looks up) with the fields it declares and inherits; a field
    an inheriting class redeclares has only its own shape."""

    def derives(name: str, seen: frozenset[str]) -> bool:
        cls = find(name)
        if cls is None or name in seen:
            return name in roots
        return any(derives(b, seen | {name}) for b in cls.bases)

    def collect(name: str, seen: frozenset[str]) -> dict[str, str]:
        cls = find(name)
        if cls is None or name in seen:
            return {}
        found: dict[str, str] = {}
        for base in reversed(cls.bases):
            found.update(collect(base, seen | {name}))
        for attribute in cls.attributes:
            found.pop(attribute, None)  # redeclared: only its own shape counts
        found.update(cls.fields)
        return found

    return tuple(
        sorted(
            (name, tuple(sorted(collect(name, frozenset()).items())))
            for name in by_name
            if derives(name, frozenset())
        )
    )


#: Bases whose instances always have ``pk`` (Django models, whatever their fields).
_DJANGO_MODELS = ("django.db.models.Model", "django.db.models.base.Model")


def class_attributes(classes: Iterable[ClassFacts]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every project class with the attributes its instances are known to have, inherited
    from the project's own bases; Django models also have ``pk``."""
    by_name = {c.qualname: c for c in classes}

    def collect(name: str, seen: frozenset[str]) -> set[str]:
        cls = by_name.get(name)
        if cls is None or name in seen:
            return (
                {"pk"}
                if name in _DJANGO_MODELS or name.startswith("django.contrib.auth.models.Abstract")
                else set()
            )
        found = set(cls.attributes)
        for base in cls.bases:
            found |= collect(base, seen | {name})
        return found

    return tuple(sorted((name, tuple(sorted(collect(name, frozenset())))) for name in by_name))


def with_returns(
    attributes: tuple[tuple[str, tuple[str, ...]], ...], returns: Iterable[tuple[str, str]]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Class attributes plus, for each function returning a project class, ``f()`` -> the
    attributes of what it returns (with ``?`` among them when it may return None, and
    ``!`` too when it may return False: see ``_inferred_result``)."""
    by_name = dict(attributes)
    extra = []
    for function, cls in returns:
        known = by_name.get(cls.rstrip("?!"))
        if known is not None:
            marks = {"?"} if cls.endswith("?") else {"?", "!"} if cls.endswith("!") else set()
            extra.append((f"{function}()", tuple(sorted({*known, *marks}))))
    return tuple(sorted([*attributes, *extra]))


_SQL_TABLE = re.compile(
    r"^\s*(?:insert\s+(?:or\s+\w+\s+)?into|update|delete\s+from|replace\s+into)\s+[`\"\[]?(\w+)",
    re.IGNORECASE,
)
_ADDING = frozenset({"add", "add_all", "merge", "delete", "insert", "remove"})
_SESSION = re.compile(r"(^|\.|_)(session|db|repo|repository|store|uow)s?$", re.IGNORECASE)


#: What a Django manager or queryset writes with (``Post.objects.filter(...).update(...)``).
_MANAGER_WRITES = frozenset(
    {"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "update",
     "delete"}
)  # fmt: skip


def _managed_model(ctx: FileContext, receiver: ast.expr, scope: Scope) -> str | None:
    """The model whose manager a call chain starts from: ``Post.objects.filter(...)`` is
    Post's; ``review.article_set.filter(...)`` is the reverse relation to the model named
    ``article`` in lower case (Django's default ``<model>_set``), where this module binds
    a class of that name."""
    node = receiver
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Call):
            node = node.func
            continue
        if node.attr == "objects":
            return ctx.names.resolve(node.value, scope)
        if node.attr.endswith("_set") and len(node.attr) > 4:
            related = node.attr[:-4]
            bound = ctx.names.module_scope.bindings
            return next((name for name in bound if name.lower() == related), None)
        node = node.value
    return None


def _class_called(ctx: FileContext, func: ast.Attribute, scope: Scope) -> str | None:
    """The class ``func`` is a method of, where it is called on one by name (``Item.create``,
    ``models.Item.model_validate``): a name spelled as classes are."""
    if not isinstance(func.value, (ast.Name, ast.Attribute)):
        return None
    owner = ctx.names.resolve(func.value, scope)
    return owner if owner and spelled_as_class(owner) else None


def written_models(
    ctx: FileContext,
    func: FunctionNode,
    typed: Sequence[tuple[str, str]],
    within: tuple[int, int] | None = None,
) -> tuple[str, ...]:
    """What the handler writes, in order: the class of each object it adds, saves or
    deletes (``db.session.add(post)`` with ``post = Post(...)``), each model whose manager
    or query writes (``Post.objects.create``, ``votes.delete()`` of ``votes =
    db.query(Vote).filter(...)``), each table an SQL statement writes (``INSERT INTO
    post``), else each object whose attributes it sets. Names as the project spells them;
    the event is named after the first. ``within``: only the writes on those lines (first,
    last), one way through the handler (see ``write_ways``)."""
    kinds = {name: kind.rstrip("?") for name, kind in typed}
    scope = ctx.names.scope_for_def(func)
    found: list[str] = []

    own = local_names(func)

    def add(name: str | None, *, table: bool = False) -> None:
        short = name.rsplit(".", 1)[-1] if name else ""
        # A class (a model) by its spelling, or a table; never a function whose result it
        # is, nor a local the handler binds (``Model = ChallengeTopics``: which one is
        # the handler's choice at run time).
        if not table and (name in own or (name and "<locals>." in name)):
            return
        if short and (table or short[:1].isupper()) and short not in found:
            found.append(short)

    def kind_of(name: str, node: ast.stmt | ast.expr) -> str | None:
        if name in kinds or name not in own:
            return kinds.get(name)
        # Bound more than one way: as the binding that reaches this statement types it
        # (``user = User(...)`` past ``user = find(...)``; ``if user: return ...``).
        kind = dict(typed_at(ctx, func, node.lineno, including=False)).get(name)
        return kind.rstrip("?") if kind else None

    changed: list[str] = []
    for node in _walk(func):
        if within is not None and not _on_lines(node, within):
            continue
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            changed += [
                kind
                for t in targets
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                for kind in [kind_of(t.value.id, node)]
                if kind
            ]
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method, receiver = node.func.attr, node.func.value
        if method in ("execute", "executemany") and node.args:
            sql = node.args[0]
            if isinstance(sql, ast.Constant) and isinstance(sql.value, str):
                match = _SQL_TABLE.match(sql.value)
                add(match.group(1) if match else None, table=True)
            continue
        if (
            method in _ADDING
            and node.args
            and isinstance(node.args[0], ast.Name)
            and _SESSION.search(ast.unparse(receiver))
        ):
            # ``db.session.add(post)``; not ``workbook.save(response)``.
            add(kind_of(node.args[0].id, node))
        elif method in ("save", "delete") and not node.args and isinstance(receiver, ast.Name):
            query = _query_bound(func, receiver.id) if receiver.id not in kinds else None
            add(
                kind_of(receiver.id, node) or (_queried_model(ctx, query, scope) if query else None)
            )
        elif method in _MANAGER_WRITES:
            # ``Item.create(...)``: a model's own create makes and saves one (peewee's,
            # Tortoise's, a CRUD mixin's).
            made = _class_called(ctx, node.func, scope) if method == "create" else None
            add(_managed_model(ctx, receiver, scope) or made)
    if not found:
        # Nothing added, saved or deleted by name: the object whose fields it sets before
        # the commit (``account.confirmed = True``) is what it writes.
        for kind in changed:
            add(kind)
    return tuple(found)


#: Calls that narrow a query to stored rows (``db.query(Vote).filter(...)``): what the
#: query then deletes or updates exists.
_QUERIES = frozenset({"filter", "filter_by", "where", "exclude", "query"})


def _query_bound(func: FunctionNode, name: str) -> ast.Call | None:
    """The query ``name`` is bound to, where every assignment of it in ``func`` binds one
    (``votes = db.query(Vote).filter(...)``)."""
    values = [
        node.value
        for node in _walk(func)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    ]
    if len(values) != 1 or not isinstance(values[0], ast.Call):
        return None
    return values[0] if _called(values[0]) in _QUERIES else None


def _queried_model(ctx: FileContext, query: ast.Call, scope: Scope) -> str | None:
    """The model a query bound to a name selects: a manager's (see ``_managed_model``), or
    the class SQLAlchemy's ``session.query(Vote)`` starts from."""
    node: ast.expr = query
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Call):
            called = node.func
            if isinstance(called, ast.Attribute) and called.attr == "query" and node.args:
                return ctx.names.resolve(node.args[0], scope)
            node = called
            continue
        node = node.value
    return _managed_model(ctx, query, scope)


def _on_lines(node: ast.AST, lines: tuple[int, int]) -> bool:
    """Does ``node`` start on one of ``lines`` (first, last)?"""
    line = getattr(node, "lineno", None)
    return line is not None and lines[0] <= line <= lines[1]


#: Calls that look a stored object up rather than make one (``get_object_or_404(...)``,
#: ``Post.objects.get(...)``, ``Post.query.get_or_404(...)``, ``....first()``).
_LOOKUPS = frozenset(
    {"get", "get_object_or_404", "get_or_404", "first_or_404", "first", "last", "one",
     "one_or_none", "scalar_one", "scalar_one_or_none", "latest", "earliest"}
)  # fmt: skip
#: Calls that store a new object (an ORM manager's, a session's).
_CREATING = frozenset({"create", "bulk_create", "get_or_create", "update_or_create", "add",
                       "add_all", "insert", "insert_one", "insert_many"})  # fmt: skip


def existing_change(func: FunctionNode, within: tuple[int, int] | None = None) -> str | None:
    """What the handler does to stored objects where it makes none: ``"deleted"`` where
    every write deletes, ``"updated"`` where every object it saves (or sets fields of
    before a commit) is one it looked up (``post = get_object_or_404(...)``, a loop over
    a query, the request's user, an object of the module such as an imported current user)
    or a query it updates in place; None where it creates anything, runs SQL, or saves
    what it made (a form's ``save()`` may create). ``within``: only the writes on those
    lines (first, last), one way through the handler (see ``write_ways``)."""
    looked_up: set[str] = set()
    made: set[str] = set()
    saved: list[str] = []
    set_fields: list[str] = []
    kinds: set[str] = set()
    committed = False
    for node in _walk(func):
        if isinstance(node, ast.Assign):
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            if isinstance(node.value, ast.Call) and _called(node.value) in _LOOKUPS | _QUERIES:
                looked_up |= names
            else:
                made |= names
            if within is not None and not _on_lines(node, within):
                continue
            set_fields += [
                t.value.id
                for t in node.targets
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
            ]
        elif isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
            looked_up.add(node.target.id)
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if within is not None and not _on_lines(node, within):
            continue
        method, receiver = node.func.attr, node.func.value
        if method in _CREATING or method in ("execute", "executemany"):
            return None
        if method == "commit":
            committed = True
        elif method in ("save", "delete") and not node.args:
            if isinstance(receiver, ast.Name):
                saved.append(receiver.id)
            elif not _of_a_parameter(receiver, func):
                return None
            kinds.add(method)
        elif (
            within is not None
            and method == "delete"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)
            and _SESSION.search(ast.unparse(receiver))
        ):
            # ``db.session.delete(star)``: the session deletes the object it is given. Told
            # only of one way through a handler (an unstar beside the star), where the
            # way's own write is all its event can be named from; a whole handler keeps
            # the name its path and method give (a loop pruning sessions stays a prune).
            saved.append(node.args[0].id)
            kinds.add("delete")
        elif method == "update" and isinstance(receiver, ast.Call):
            kinds.add("save")  # ``....filter(...).update(...)``: rows changed in place
    if committed and not kinds:
        # ``post.title = ...`` then ``db.session.commit()``: the object was changed.
        saved += set_fields
        if set_fields:
            kinds.add("save")
    if not kinds:
        return None
    # A name the handler never binds (nor takes) is the module's: no request made it.
    bound = {*parameters(func)} | {
        node.id
        for node in _walk(func)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    if any(name in made or (name not in looked_up and name in bound) for name in saved):
        return None
    return "deleted" if kinds == {"delete"} else "updated"


def _of_a_parameter(node: ast.expr, func: FunctionNode) -> bool:
    """Is ``node`` an attribute of a parameter (``request.user``): an object that exists?"""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in parameters(func) and node.id != "self"


#: What a webhook's event types look like: ``customer.subscription.deleted``,
#: ``invoice.payment_failed``, ``order_created`` (two words at least, lower case).
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9]*(?:[._][a-z0-9]+)+$")
#: Keys and attributes a delivered event names its type by.
_TYPE_KEYS = frozenset({"type", "event", "event_type", "topic"})


def event_type_branches(func: FunctionNode) -> tuple[tuple[str, Anchor], ...]:
    """A webhook's outcomes: each branch of the handler that tests the delivered event's type
    against a literal (``if event["type"] == "invoice.paid":``, ``elif event.type == ...``,
    ``case "invoice.paid":``, or a local read from one of those), with where a capture of
    that outcome goes: after the branch's last statement, or before it where it leaves
    (a return, a raise). Two such branches at least, else none: one test is a guard."""
    typed_locals = {
        target.id
        for node in _walk(func)
        if isinstance(node, ast.Assign) and _reads_event_type(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def tests_type(node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in typed_locals
        return _reads_event_type(node)

    found: dict[str, Anchor] = {}
    for node in _walk(func):
        branches: list[tuple[str, list[ast.stmt]]] = []
        if isinstance(node, ast.If):
            test = node.test
            if (
                isinstance(test, ast.Compare)
                and len(test.ops) == 1
                and isinstance(test.ops[0], ast.Eq)
                and tests_type(test.left)
                and isinstance(test.comparators[0], ast.Constant)
                and isinstance(test.comparators[0].value, str)
            ):
                branches.append((test.comparators[0].value, node.body))
        elif isinstance(node, ast.Match) and tests_type(node.subject):
            for case in node.cases:
                pattern = case.pattern
                value = pattern.value if isinstance(pattern, ast.MatchValue) else None
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    branches.append((value.value, case.body))
        for kind, body in branches:
            if not _EVENT_TYPE.match(kind) or kind in found or not body:
                continue
            last = body[-1]
            leaves = isinstance(last, (ast.Return, ast.Raise, ast.Continue, ast.Break))
            found[kind] = Anchor(last.lineno, leaves, f"in the branch for {kind}")
    if len(found) < 2:
        return ()
    return tuple(sorted(found.items(), key=lambda item: item[1].line))


def _reads_event_type(node: ast.expr) -> bool:
    """``event["type"]``, ``event.get("type")``, ``event.type``: a delivered event's type."""
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and key.value in _TYPE_KEYS
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return (
            node.func.attr == "get"
            and bool(node.args)
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in _TYPE_KEYS
        )
    return isinstance(node, ast.Attribute) and node.attr in _TYPE_KEYS


_TOGGLE = re.compile(r"^(?:toggle|switch|flip)(?:_(\w+))?$")


def toggled(func: FunctionNode) -> str | None:
    """What the handler switches on or off, by the name of what it calls or its own name:
    ``news.switch_like(user)`` -> ``like``, ``def toggle_follow`` -> ``follow``, a bare
    ``toggle()`` -> "". One call serves two opposite outcomes, so no event may claim one."""
    for name in (func.name, *(_called(node) for node in _walk(func) if isinstance(node, ast.Call))):
        match = _TOGGLE.match(name)
        if match:
            return match.group(1) or ""
    return None


def _called(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


#: A local named as a tally: ``revoked_count``, ``count``, ``total``, ``num_sent``, ``n_rows``.
_TALLY_NAME = re.compile(r"(^|_)(count|total|num|number)(_|$)|^n_", re.IGNORECASE)


def tallies(func: FunctionNode, proof: Proof) -> tuple[tuple[str, str], ...]:
    """(property, local) for the handler's own counters bound where ``proof`` holds: a local
    named as a count, bound once to an integer literal (``revoked_count = 0``) and
    otherwise only changed by ``+=`` / ``-=``. Reading a bound local never raises, and its
    value is a number: adding anything else to an integer fails in the handler first."""
    literal: dict[str, int] = {}
    allowed: dict[str, int] = {}
    stores: dict[str, int] = {}
    declared: set[str] = set()
    for node in _walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if (
                len(targets) == 1
                and isinstance(targets[0], ast.Name)
                and isinstance(value, ast.Constant)
                and type(value.value) is int
            ):
                literal[targets[0].id] = literal.get(targets[0].id, 0) + 1
        elif (
            isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.op, (ast.Add, ast.Sub))
        ):
            allowed[node.target.id] = allowed.get(node.target.id, 0) + 1
    return tuple(
        (name, name)
        for name in sorted(literal)
        if literal[name] == 1
        and stores.get(name, 0) == 1 + allowed.get(name, 0)
        and name not in declared
        and name in proof.names
        and _TALLY_NAME.search(name)
    )


#: Request attributes whose ``.get(key)`` answers the text a client sent, or None: Django's
#: ``request.GET`` / ``request.POST``, Flask's and Quart's ``request.args`` / ``form`` /
#: ``values``, Starlette's ``request.query_params``.
_TEXT_INPUTS = frozenset({"GET", "POST", "args", "form", "values", "query_params"})
#: Keys of a request's text that are secrets or personal whatever their length says.
_SECRET_KEY = re.compile(r"pass|token|secret|code|otp|pin|key|sig|nonce", re.IGNORECASE)


def text_lengths(func: FunctionNode, proof: Proof) -> tuple[tuple[str, str], ...]:
    """(``<local>_length``, ``len(<local>)``) for each local bound once to a text the
    request sent (``q = request.GET.get("q")``, no default or a None or text one), where
    ``proof`` shows it is not None (``if q:``): the text of a query string or a form is a
    ``str`` then, so ``len`` cannot fail. Only its length: the text is the person's own
    words. Never for a key or local whose name reads as PII or a secret."""
    from posthog_setup.analysis.rules.pii import PII_NAMES

    stores: dict[str, int] = {}
    reads: dict[str, str] = {}
    for node in _walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores[node.id] = stores.get(node.id, 0) + 1
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            continue
        key = _request_text_key(node.value)
        if key is not None:
            reads[node.targets[0].id] = key
    found = []
    for name, key in sorted(reads.items()):
        words = {*name.lower().split("_"), *key.lower().split("_"), name.lower(), key.lower()}
        if any(PII_NAMES.fullmatch(w) or _SECRET_KEY.search(w) for w in words):
            continue
        if stores.get(name) == 1 and f"{name} is not None" in proof.chains:
            found.append((f"{name}_length", f"len({name})"))
    return tuple(found)


def _request_text_key(value: ast.expr) -> str | None:
    """``"q"`` of ``request.GET.get("q")`` / ``request.args.get("q", "")`` (a request's
    text), else None."""
    if not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "get"
        and not value.keywords
        and 1 <= len(value.args) <= 2
    ):
        return None
    source = value.func.value
    if not (
        isinstance(source, ast.Attribute)
        and source.attr in _TEXT_INPUTS
        and (
            (isinstance(source.value, ast.Name) and source.value.id == "request")
            or (
                isinstance(source.value, ast.Attribute)
                and source.value.attr == "request"
                and isinstance(source.value.value, ast.Name)
                and source.value.value.id == "self"
            )
        )
    ):
        return None
    key = value.args[0]
    if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return None
    if len(value.args) == 2:
        default = value.args[1]
        if not (isinstance(default, ast.Constant) and isinstance(default.value, (str, type(None)))):
            return None
    return key.value
