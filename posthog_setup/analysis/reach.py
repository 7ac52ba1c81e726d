"""Writes a handler reaches through the project's own functions and methods.

A handler whose body shows no write of its own may still write through a helper of
another module (``set_config(...)``), a service method (``users_service.verify_email(...)``,
whose body calls ``self.update(...)``) or a method its receivers share
(``chal_class.solve(...)``). Each parsed module lists its functions with what they write
and call (``project_functions``); each such handler lists the calls it makes
(``handler_calls``), with where its capture would go; the link follows the calls a few
levels deep (``ProjectCode``) and decides:

- a call that reaches a write is the handler's write, placed after that call;
- a handler of a mutating method none of whose calls can reach a write, and that
  stores nothing itself, changes nothing: it only renders, sends mail, returns a file,
  a link or a code.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import io
import re
import sys
from collections.abc import Iterable, Iterator, Sequence

from posthog_setup.analysis import flow
from posthog_setup.analysis.body import called_name, walk_body, write_evidence
from posthog_setup.analysis.context import FileContext, FunctionNode
from posthog_setup.analysis.model import CalledCode, Evidence, ModuleFacts, ProjectFunction, Route
from posthog_setup.analysis.names import Scope, spelled_as_class
from posthog_setup.analysis.paths import path_parameters

#: Methods an inherited repository or service (advanced-alchemy's, a generic CRUD base)
#: writes with when a project class calls them on ``self`` without defining them.
INHERITED_WRITES = frozenset(
    {
        "create",
        "create_many",
        "update",
        "update_many",
        "upsert",
        "upsert_many",
        "delete",
        "delete_many",
        "delete_where",
        "add",
        "add_many",
    }
)
#: The logged-in user of a login library: the project's user object.
_CURRENT_USERS = ("flask_login.current_user.", "flask_login.utils.current_user.")
#: How many calls deep a write is followed.
_DEPTH = 4
#: At most this many calls of one handler get a placement of their own.
_MAX_CALLS = 64
UNKNOWN = "?"
#: A library method named for a change (``objects.create_user``, ``get_or_upsert``); a
#: bare ``remove`` is a list's or a set's.
_WRITE_WORD = re.compile(
    r"(^|_)(create|update|delete|insert|upsert|save|add|bulk|enqueue|store|put|register"
    r"|assign|grant|revoke|mark|increment|decrement|persist|flush|upload|session|login|logout"
    r"|remove(?!$)|destroy|purge|archive|publish|(un)?(subscribe|follow|favou?rite))"
    r"(_|$)"
)
#: A write reached through these keeps a login's or a refresh's tokens: bookkeeping of
#: credentials, not a change a product team counts.
_CREDENTIAL = re.compile(r"(refresh|access|jwt|auth|session)_?tokens?", re.IGNORECASE)
#: Calls that send PostHog events or identities.
_POSTHOG_CALLS = frozenset({"capture", "capture_exception", "identify", "identify_context"})
#: Methods that change a container in place.
_CONTAINER_CHANGES = frozenset(
    {"append", "extend", "insert", "setdefault", "pop", "remove", "discard", "clear"}
)
_CACHE = re.compile(r"(^|_)cache$", re.IGNORECASE)
#: Methods of builtin values (containers, strings, files): a call of one on a receiver of
#: unknown type is not taken for a project method of the same name.
_BUILTIN_METHODS = frozenset(
    name
    for kind in (dict, list, set, str, bytes, io.BytesIO, io.StringIO, io.BufferedReader)
    for name in dir(kind)
    if not name.startswith("_")
)
_MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_UPDATE_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
#: Fixed words of a path that serves a link mailed to one person, who acts by following it
#: (confirm an address, activate an account, accept an invitation, unsubscribe): a GET is
#: the only request such a link makes, so what its handler's calls write is its action.
_ACTION_LINK = re.compile(r"confirm|verif|activat|invit|unsubscribe|magic", re.IGNORECASE)


#: A path parameter that carries a signed token: only a link handed to one person has one.
_TOKEN_PARAMETER = re.compile(r"(^|_)(token|signature|uidb64)$", re.IGNORECASE)


def action_link(path: str) -> bool:
    """Is ``path`` a link followed to act: a fixed word says so (``/confirm/<key>``), or it
    carries a token (``/change-email/<token>``)?"""
    return any(
        _ACTION_LINK.search(part)
        for part in re.split(r"[/.]", path)
        if part and not any(mark in part for mark in "<{(:")
    ) or any(_TOKEN_PARAMETER.search(name) for name in path_parameters(path))


def _stored_names(func: FunctionNode) -> set[str]:
    """Names the function binds itself (assignments, loops, withs, imports, nested defs)."""
    found: set[str] = set()
    for node in walk_body(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name.split(".")[0]) for a in node.names)
    return found


def _target(
    ctx: FileContext,
    call: ast.Call,
    locals_: set[str],
    typed: dict[str, str],
    owner: str | None,
    looked_up: set[str],
    scope: Scope,
) -> str | None:
    """``call`` in ``CalledCode.target`` form; None for a call that cannot reach the
    project's code (a builtin, a value the handler computed)."""
    func = call.func
    name = called_name(call)
    if name in _POSTHOG_CALLS:
        return None  # an event sent, not a change stored
    if isinstance(func, ast.Attribute) and func.attr in _CONTAINER_CHANGES:
        root: ast.expr = func.value
        while isinstance(root, (ast.Subscript, ast.Attribute)):
            root = root.value
        if not (isinstance(root, ast.Name) and root.id in locals_) and not _is_session(
            ctx, root, scope
        ):
            # ``request.app["notes"].append(...)``: a store held beyond the call.
            return UNKNOWN
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        receiver = func.value.id
        if receiver in ("self", "cls") and owner is not None:
            return f"t:{owner}.{func.attr}"
        if receiver in typed:
            return f"t:{typed[receiver]}.{func.attr}"
        if receiver in locals_:
            return f"m:{func.attr}"
    if isinstance(func, ast.Name) and func.id in locals_:
        if func.id in typed:
            # ``register = Registration()`` then ``register(data)``: its ``__call__``.
            return f"t:{typed[func.id]}.__call__"
        # A function the body looked up in a table (``loaders[kind]``) may be any of the
        # table's; one another call returned was judged with that call.
        return UNKNOWN if func.id in looked_up else None
    if isinstance(func, ast.Call):
        # ``Approve(user_id)()``: a use case the project's class builds runs its
        # ``__call__``; ``factory()(...)``: the factory's call is judged on its own.
        built = func.func
        if isinstance(built, (ast.Name, ast.Attribute)):
            cls = _class_named(ctx.names.resolve(built, scope))
            if cls is not None:
                return f"t:{cls}.__call__"
        return None
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return UNKNOWN
    qualified = ctx.names.resolve(func, scope)
    if qualified is None:
        # A builtin, or a name the module never binds (a star import's): unknown then.
        base: ast.expr = func
        while isinstance(base, ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name):
            # A method of what another call returned (``query.filter_by(...).first()``).
            return f"m:{func.attr}" if isinstance(func, ast.Attribute) else None
        return None if hasattr(builtins, base.id) else UNKNOWN
    if "<locals>" in qualified or qualified.startswith(_CURRENT_USERS):
        # An attribute chain on a local or parameter of unknown type, or on the logged-in
        # user, an instance of the project's user class (``current_user.collect(photo)``).
        return f"m:{func.attr}" if isinstance(func, ast.Attribute) else None
    return f"q:{qualified}"


def _is_session(ctx: FileContext, root: ast.expr, scope: Scope) -> bool:
    """Is ``root`` a web framework's per-user session (``flask.session``)? Its changes
    are the visitor's state, not stored data (a login is judged as a login)."""
    if not isinstance(root, ast.Name):
        return False
    qualified = ctx.names.resolve(root, scope) or ""
    package, _, name = qualified.partition(".")
    frameworks = {p for packages in ctx.framework_packages.values() for p in packages}
    return name.rsplit(".", 1)[-1] == "session" and package in frameworks


def _stores_outside(ctx: FileContext, node: ast.AST, locals_: set[str], scope: Scope) -> bool:
    """``STORE[key] = value`` / ``obj.attr = value`` on something the function did not
    build itself (a module-level store, an object it was handed)."""
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    for target in targets:
        if not isinstance(target, (ast.Subscript, ast.Attribute)):
            continue
        root: ast.expr = target
        while isinstance(root, (ast.Subscript, ast.Attribute)):
            root = root.value
        if not (isinstance(root, ast.Name) and root.id in locals_) and not _is_session(
            ctx, root, scope
        ):
            return True
    return False


def _calls(
    ctx: FileContext, func: FunctionNode, owner: str | None, *, handler: bool = True
) -> Iterator[tuple[int, str]]:
    """(line, target) of each call in ``func`` that may reach the project's code (of a
    helper, only its parameters' annotations type its receivers: cheaper, and enough)."""
    locals_ = _stored_names(func)
    typed = dict(flow.typed_names(ctx, func)) if handler else _annotated(ctx, func)
    scope = ctx.names.scope_for_def(func)
    if handler:
        typed = {**_annotated_instances(ctx, func, scope), **typed}
    looked_up = {
        t.id
        for node in walk_body(func)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    for node in walk_body(func):
        if isinstance(node, ast.Call):
            target = _target(ctx, node, locals_, typed, owner, looked_up, scope)
            if target is not None:
                yield node.lineno, target
        elif _stores_outside(ctx, node, locals_, scope):
            yield getattr(node, "lineno", func.lineno), UNKNOWN


def _annotated_instances(ctx: FileContext, func: FunctionNode, scope: Scope) -> dict[str, str]:
    """Locals bound once, with an annotation, to an instance the project's class builds
    (``approve: Approve = Approve(user_id)``): by that class."""
    bound: dict[str, list[str | None]] = {}
    for node in walk_body(func):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            value = node.value
            cls = None
            if isinstance(value, ast.Call) and isinstance(value.func, (ast.Name, ast.Attribute)):
                cls = _class_named(ctx.names.resolve(value.func, scope))
            bound.setdefault(node.target.id, []).append(cls)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(None)
    return {
        name: kinds[0] for name, kinds in bound.items() if len(kinds) == 1 and kinds[0] is not None
    }


def _class_named(qualified: str | None) -> str | None:
    """``qualified`` where it names a class (capitalised, by convention) of a module, not
    one a function defines."""
    if qualified and spelled_as_class(qualified) and "<locals>" not in qualified:
        return qualified
    return None


def _annotated(ctx: FileContext, func: FunctionNode) -> dict[str, str]:
    """Parameters annotated with a plain name or dotted class, by the class's qualified name."""
    found = {}
    args = func.args
    scope = ctx.names.scope_of(func)
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if isinstance(arg.annotation, (ast.Name, ast.Attribute)):
            qualified = ctx.names.resolve(arg.annotation, scope)
            if qualified:
                found[arg.arg] = qualified
    return found


def project_functions(ctx: FileContext) -> tuple[ProjectFunction, ...]:
    """The module's top-level functions and its classes' methods, each with what it
    writes itself and what it calls."""
    found: list[ProjectFunction] = []
    module = ctx.module
    for node in ctx.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(_function(ctx, node, f"{module}.{node.name}", None, frozenset()))
        elif isinstance(node, ast.ClassDef):
            owner = f"{module}.{node.name}"
            defined = frozenset(
                item.name
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            )
            inherits = frozenset() if not node.bases else INHERITED_WRITES - defined
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.append(_function(ctx, item, f"{owner}.{item.name}", owner, inherits))
    return tuple(found)


def _function(
    ctx: FileContext,
    func: FunctionNode,
    name: str,
    owner: str | None,
    inherited: frozenset[str],
) -> ProjectFunction:
    writes: str | None = None
    for node in walk_body(func):
        if not isinstance(node, ast.Call):
            continue
        evidence = write_evidence(node)
        if evidence is not None and evidence.mutating:
            writes = evidence.detail
            break
        called = node.func
        if (
            isinstance(called, ast.Attribute)
            and isinstance(called.value, ast.Name)
            and called.value.id == "self"
            and called.attr in inherited
        ):
            writes = f"self.{called.attr}() writes through the class it inherits"
            break
    calls: tuple[str, ...] = ()
    if writes is None:
        calls = tuple(dict.fromkeys(t for _, t in _calls(ctx, func, owner, handler=False)))
    return ProjectFunction(name, writes, calls, method=owner is not None)


def handler_calls(
    ctx: FileContext, func: FunctionNode, owner: str | None
) -> tuple[CalledCode, ...]:
    """The calls of a handler that shows no write of its own, each with where a capture
    after it would go and what is proven there."""
    lines: dict[int, list[str]] = {}
    for line, target in _calls(ctx, func, owner):
        lines.setdefault(line, []).append(target)
    found: list[CalledCode] = []
    libraries = {
        *sys.stdlib_module_names,
        *(p for ps in ctx.framework_packages.values() for p in ps),
    }
    placed = 0
    proofs: dict[tuple[int, bool], tuple[str, ...]] = {}
    for line, targets in sorted(lines.items()):
        anchor = proven = None
        # Only a call that may run the project's code can be a write to place after.
        own = [t for t in targets if not _library_call(t, libraries)]
        if own and placed < _MAX_CALLS and UNKNOWN not in targets:
            placed += 1
            anchor = flow.success_anchor(func, line)
            if anchor is not None:
                # Many calls share one anchor (before the success return): one proof each.
                key = (anchor.line, anchor.before)
                if key not in proofs:
                    proofs[key] = flow.proof_at(
                        func, anchor.line, including=not anchor.before, globals_=ctx.module_names
                    ).facts()
                proven = proofs[key]
        for target in dict.fromkeys(targets):
            found.append(CalledCode(line, target, anchor, proven or ()))
    return tuple(found)


def _library_call(target: str, libraries: set[str]) -> bool:
    """Is ``target`` a call into the standard library or a web framework, or a method
    builtin values have?"""
    kind, _, name = target.partition(":")
    if kind == "m":
        return name in _BUILTIN_METHODS
    return kind == "q" and name.split(".", 1)[0] in libraries


class ProjectCode:
    """The project's functions, linked: which calls reach a write, which cannot."""

    def __init__(self, functions: Iterable[ProjectFunction], modules: Iterable[str]) -> None:
        self.by_name: dict[str, ProjectFunction] = {}
        self.by_tail: dict[str, list[ProjectFunction]] = {}
        self.by_short: dict[str, list[ProjectFunction]] = {}
        self.by_method: dict[str, list[ProjectFunction]] = {}
        self.classes: set[str] = set()
        for function in functions:
            self.by_name[function.name] = function
            parts = function.name.split(".")
            # A module named from another root than its imports use (``src.app.x``
            # imported as ``app.x``) is found by the end of its name.
            for start in range(1, len(parts) - 1):
                self.by_tail.setdefault(".".join(parts[start:]), []).append(function)
            short = ".".join(parts[-2:]) if function.method else parts[-1]
            self.by_short.setdefault(short, []).append(function)
            if function.method:
                self.by_method.setdefault(parts[-1], []).append(function)
                self.classes.update(_tails(function.name.rsplit(".", 1)[0]))
        self.modules: set[str] = set()
        for module in modules:
            self.modules.update(_tails(module))
        self._writes: dict[str, str | None] = {}
        self._may: dict[str, bool] = {}

    @classmethod
    def of(cls, facts: Sequence[ModuleFacts]) -> ProjectCode:
        return cls((f for m in facts for f in m.functions), (m.module for m in facts if m.module))

    def _named(self, name: str) -> ProjectFunction | None:
        exact = self.by_name.get(name)
        if exact is not None:
            return exact
        tails = self.by_tail.get(name, [])
        return tails[0] if len(tails) == 1 else None

    def _resolve(self, target: str) -> list[ProjectFunction] | None:
        """The project functions a call may run; [] for none of the project's (a library's),
        None where it cannot be told."""
        if target == UNKNOWN:
            return None
        kind, _, name = target.partition(":")
        if kind == "m":
            # A method builtin values have too (``read``, ``update``) says nothing of the
            # receiver's class.
            return [] if name in _BUILTIN_METHODS else list(self.by_method.get(name, []))
        found = self._named(name)
        if found is not None:
            return [found]
        parts = name.split(".")
        if kind == "t":
            if ".".join(parts[:-1]) in self.classes:
                return []  # a method the project's class inherits (see ``_inherited``)
            # Not a class of the project's (a function that returns one): type unknown.
            return self._resolve(f"m:{parts[-1]}")
        held = self._module_parts(parts)
        if not held:
            return []  # a library's
        # A name imported through a package's re-export.
        for size in (2, 1):
            shorts = self.by_short.get(".".join(parts[-size:]), [])
            if len(shorts) == 1 and (size == 2) == shorts[0].method:
                return shorts
        if any(p[:1].isupper() for p in parts[held:]):
            return []  # an attribute of a project class it does not define: inherited
        if held < len(parts) - 1:
            # A method of an object the module holds (``mailer.send``); a cache's changes
            # no stored data.
            if _CACHE.search(parts[held]):
                return []
            return self._resolve(f"m:{parts[-1]}")
        return None

    def _held_object(self, target: str) -> bool:
        """Is ``target`` a method of an object a module holds (``mailer.send``), whose
        class is not known?"""
        kind, _, name = target.partition(":")
        if kind != "q" or self._named(name) is not None:
            return False
        parts = name.split(".")
        held = self._module_parts(parts)
        return 0 < held < len(parts) - 1 and not any(p[:1].isupper() for p in parts[held:])

    def _module_parts(self, parts: Sequence[str]) -> int:
        """How many leading ``parts`` of a dotted name name one of the project's modules
        (0: none, a library's name)."""
        return max(
            (k for k in range(1, len(parts)) if ".".join(parts[:k]) in self.modules), default=0
        )

    def _inherited(self, target: str) -> str | None:
        """``roles_service.get_or_upsert(...)``: a project class's method it inherits from a
        library base, named for a change."""
        kind, _, name = target.partition(":")
        if kind != "t" or self._named(name) is not None:
            return None
        owner, _, method = name.rpartition(".")
        if owner in self.classes and _WRITE_WORD.search(method):
            return f"{method}() writes through the class it inherits"
        return None

    def writes(self, target: str, depth: int = 0) -> str | None:
        """What a call reaches that writes, or None."""
        inherited = self._inherited(target)
        if inherited is not None:
            return inherited
        found = self._resolve(target)
        if not found:
            return None
        if target.startswith("m:") and not all(self._function_writes(f, depth) for f in found):
            return None
        for function in found:
            detail = self._function_writes(function, depth)
            if detail is not None:
                return detail
        return None

    def _function_writes(self, function: ProjectFunction, depth: int) -> str | None:
        if function.name in self._writes:
            return self._writes[function.name]
        self._writes[function.name] = None  # a cycle writes nothing new
        detail = function.writes
        if detail is None and depth < _DEPTH:
            for call in function.calls:
                reached = self.writes(call, depth + 1)
                if reached is not None:
                    detail = f"calls {_spelled(call)}(), which {_lowered(reached)}"
                    break
        self._writes[function.name] = detail
        return detail

    def may_write(self, target: str, depth: int = 0) -> bool:
        """Could a call reach a write the analysis cannot see?"""
        found = self._resolve(target)
        if found is None:
            return True
        parts = target.partition(":")[2].split(".")
        if not found or self._held_object(target):
            # A library's, or a method of an object a module holds, which is only guessed
            # to be the project's method of that name (``queries.update_article`` of a
            # query loader, beside the repository's own ``update_article``): one named for
            # a change may make it (``objects.create_user``), unless it is a cache's.
            if len(parts) > 1 and _CACHE.search(parts[-2]):
                return False
            if _WRITE_WORD.search(parts[-1]) is not None:
                return True
            if not found:
                return False
        return any(self._function_may_write(f, depth) for f in found)

    def _function_may_write(self, function: ProjectFunction, depth: int) -> bool:
        if function.name in self._may:
            return self._may[function.name]
        self._may[function.name] = False
        result = function.writes is not None or depth >= _DEPTH
        if not result:
            result = any(self.may_write(call, depth + 1) for call in function.calls)
        self._may[function.name] = result
        return result

    def judged(self, route: Route, *, signs_in: bool = False) -> Route:
        """``route`` with the writes its calls reach, or judged read-only where none can
        (never a login, signup or logout: ``signs_in``). A GET's calls are followed only
        where its path is a link followed to act (``/confirm/<token>``): what a page view
        writes on the way (a view count, a last-seen time) is no action of its visitor."""
        if route.ignored or not (set(route.methods) & _MUTATING_METHODS or action_link(route.path)):
            return route
        if any(e.mutating and e.kind != "method" for e in route.evidence):
            return route
        own = f"t:{route.handler.module}.{route.handler.qualname.rsplit('.', 1)[0]}."
        reached = [(c, self.writes(c.target)) for c in route.calls]
        writes = [
            (c, detail)
            for c, detail in reached
            if detail is not None
            and not _CREDENTIAL.search(f"{c.target} {detail}")
            # A framework's analyser that judged the handler read-only has followed the
            # methods of the handler's own class already (shared by two verbs, say).
            and (route.mutating or not c.target.startswith(own))
        ]
        if not writes and (
            (route.mutating and route.anchor is None)
            or (not route.mutating and not set(route.methods) - _UPDATE_METHODS)
        ):
            # Calls named for a change that may write through code the analysis cannot read
            # (``users_repo.update_user`` running a loaded SQL query): the change, where
            # nothing else says where it succeeded, or where a PUT / PATCH / DELETE (never
            # a login) was taken for read-only only because it issues a token too.
            writes = [
                (c, "writes, by its name, through code the analysis cannot read")
                for c in route.calls
                if _WRITE_WORD.search(c.target.partition(":")[2].rsplit(".", 1)[-1])
                and not _CREDENTIAL.search(c.target)
                and self.may_write(c.target)
            ]
        if writes:
            evidence = tuple(
                Evidence("write", f"{_spelled(c.target)}() {_lowered(d)}", c.line, True)
                for c, d in writes
            )
            last = max(writes, key=lambda w: w[0].line)[0]
            return dataclasses.replace(
                route,
                mutating=True,
                evidence=(*route.evidence, *evidence),
                change_line=last.line,
                anchor=last.anchor,
                proven=last.proven,
            )
        # A body that calls nothing at all is not one the analysis has seen (or is a stub).
        if (
            not route.mutating
            or signs_in
            or not route.calls
            or any(self.may_write(c.target) for c in route.calls)
        ):
            return route
        reason = Evidence(
            "read-only",
            "stores nothing, and none of the project's code it calls writes",
            route.handler.line,
            False,
        )
        evidence = tuple(
            dataclasses.replace(e, mutating=False) if e.kind == "method" else e
            for e in route.evidence
        )
        return dataclasses.replace(route, mutating=False, evidence=(*evidence, reason))


def _spelled(target: str) -> str:
    """A call target as people read it: ``set_config``, ``UserService.verify_email``."""
    kind, _, name = target.partition(":")
    parts = name.split(".")
    return parts[-1] if kind in ("q", "m") else ".".join(parts[-2:])


def _lowered(detail: str) -> str:
    """Evidence detail as the end of a sentence (``writes (...)``)."""
    if detail.startswith(("calls ", "writes")):
        return detail
    return f"writes ({detail})"


def _tails(name: str) -> list[str]:
    """``a.b.c``, ``b.c`` and ``c``: a dotted name and each end of it."""
    parts = name.split(".")
    return [".".join(parts[start:]) for start in range(len(parts))]
