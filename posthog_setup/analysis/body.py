"""What a handler's body shows: writes, counter-evidence, method branches, captures.

Shared by every framework: the mutating judgement rests on evidence in the
body (commits, saves, ORM writes, logout) and on counter-evidence (a token is
issued, credentials are checked, the handler only searches or previews), not
on the HTTP method alone. Each framework passes in how its handlers reach the
current user.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence

from posthog_setup.analysis import flow
from posthog_setup.analysis.context import FileContext, FunctionNode
from posthog_setup.analysis.model import Anchor, BodyFacts, Evidence, UserAccess, WriteBranch
from posthog_setup.analysis.names import child_nodes, spelled_as_class

#: Methods that write through a unit of work or ORM, whatever the receiver.
_STRONG_WRITES = {
    "commit": "commits the transaction",
    "save": "saves a model",
    "bulk_create": "creates rows",
    "bulk_update": "updates rows",
    "get_or_create": "may create a row",
    "update_or_create": "creates or updates a row",
    "insert_one": "inserts a document",
    "insert_many": "inserts documents",
    "update_one": "updates a document",
    "update_many": "updates documents",
    "delete_one": "deletes a document",
    "delete_many": "deletes documents",
    "replace_one": "replaces a document",
    "set_password": "changes a password",
}
#: Methods that write only on a session / manager / repository receiver.
_RECEIVER_WRITES = {
    "add": "adds to the session",
    "add_all": "adds to the session",
    "delete": "deletes",
    "merge": "merges into the session",
    "create": "creates",
    "update": "updates",
    "remove": "removes",
    "destroy": "destroys",
}
_WRITE_RECEIVERS = re.compile(
    r"(^|\.)(session|db|objects|repo|repository|store|crud|dao|collection|table|manager)s?$"
    r"|(_repo|_repository|_store|_crud|_session|_collection)$"
    r"|(^|\.)(crud|repo|dao)_\w+$",
    re.IGNORECASE,
)
_SQL_WRITE = re.compile(r"^\s*(insert|update|delete|replace|upsert|merge)\b", re.IGNORECASE)

#: Calls whose presence says "this POST answers a question, it changes nothing".
_TOKEN_CALLS = re.compile(
    r"(create|issue|generate|encode|make|sign)_?(access_|refresh_|jwt_|auth_)?token|jwt\.encode"
    r"|check_password|verify_password|check_password_hash|verify_token|decode_token|jwt\.decode",
    re.IGNORECASE,
)
_READ_ONLY_NAMES = re.compile(
    r"(^|_)(search|find|preview|validate|validation|check|verify|lookup|query|estimate|calculate"
    r"|quote|render|token|introspect|autocomplete|suggest|filter|convert|dry_run)(_|$)",
    re.IGNORECASE,
)


def dotted(node: ast.AST) -> str:
    """Source spelling of a ``Name`` / ``Attribute`` chain (``db.session``), else ''."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = dotted(node.func)
        return f"{inner}()" + ("." + ".".join(reversed(parts)) if parts else "") if inner else ""
    return ""


def walk_body(func: FunctionNode | ast.ClassDef) -> Iterator[ast.AST]:
    """Every node of a body, not descending into nested functions or classes."""
    return iter(_body_nodes(func))


_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@functools.lru_cache(maxsize=64)
def _body_nodes(func: FunctionNode | ast.ClassDef) -> tuple[ast.AST, ...]:
    """``walk_body``'s nodes, walked once: the framework analysers, the body scan and the
    capture-wrapper search each ask about the same handlers."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, _NESTED):
            continue
        stack.extend(reversed(child_nodes(node)))
    return tuple(found)


def _string_arg(call: ast.Call, index: int = 0, keyword: str | None = None) -> str | None:
    if keyword is not None:
        for kw in call.keywords:
            if kw.arg == keyword and isinstance(kw.value, ast.Constant):
                return kw.value.value if isinstance(kw.value.value, str) else None
    if len(call.args) > index:
        arg = call.args[index]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
    return None


def write_evidence(call: ast.Call) -> Evidence | None:
    """Evidence that a call writes data, or None."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    method = func.attr
    receiver = dotted(func.value)
    line = call.lineno
    spelled = f"{receiver}.{method}()" if receiver else f".{method}()"
    if method in _STRONG_WRITES:
        if method == "set_password" and spelled_as_class(receiver):
            # ``User.set_password(raw)``: a class's own (static) helper that hashes a text
            # and answers it; a user's ``user.set_password(raw)`` changes the account.
            return None
        if method == "save" and _no_commit(call):
            # ``form.save(commit=False)`` builds the object and writes nothing (Django's
            # forms and DRF-style helpers alike): a preview, or a save still to come.
            return None
        return Evidence("write", f"{spelled} {_STRONG_WRITES[method]}", line, True)
    if method == "delete" and receiver and not call.args and not call.keywords:
        # ``question.delete()``: an object deleting itself (an ORM row); a cache's or an
        # HTTP client's ``delete`` is told what to delete.
        return Evidence("write", f"{spelled} deletes", line, True)
    if (
        method == "create"
        and isinstance(func.value, (ast.Name, ast.Attribute))
        and spelled_as_class(receiver)
    ):
        # ``Item.create(...)``: a model's own create makes and saves one (peewee's,
        # Tortoise's, a CRUD mixin's).
        return Evidence("write", f"{spelled} creates a {receiver.rsplit('.', 1)[-1]}", line, True)
    if method in _RECEIVER_WRITES and receiver:
        base = receiver.removesuffix("()")
        if _WRITE_RECEIVERS.search(base) or (
            isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Attribute)
            and func.value.func.attr in ("filter", "exclude", "all", "filter_by", "where")
        ):
            return Evidence("write", f"{spelled} {_RECEIVER_WRITES[method]}", line, True)
    if method in ("execute", "executemany"):
        sql = _string_arg(call)
        if sql is not None and _SQL_WRITE.match(sql):
            return Evidence("write", f"{spelled} runs {sql.split()[0].upper()}", line, True)
    return None


def _no_commit(call: ast.Call) -> bool:
    """``save(commit=False)``: a literal false ``commit``."""
    return any(
        k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in call.keywords
    )


def _helper_write(ctx: FileContext, call: ast.Call, handlers: frozenset[str]) -> Evidence | None:
    """A call to a function of the same module that writes (``extract_keywords(review)``),
    unless that function is a handler of its own (see ``scan_body``)."""
    func = call.func
    # Most calls are to imported names: the module's own are known without a walk.
    if not isinstance(func, ast.Name) or func.id not in ctx.function_names:
        return None
    if func.id in handlers:
        return None
    if func.id not in ctx.writing_functions:
        return None
    return Evidence("write", f"{func.id}() {ctx.writing_functions[func.id]}", call.lineno, True)


def writing_functions(tree: ast.Module) -> dict[str, str]:
    """Top-level functions of a module that write, by name, each with what it writes: a
    write of its own (``keyword.save()``), or a call to another such function."""
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    writes: dict[str, str] = {}
    calls: dict[str, set[str]] = {}
    for name, func in functions.items():
        for node in walk_body(func):
            if not isinstance(node, ast.Call):
                continue
            found = write_evidence(node)
            if found is not None and found.mutating:
                writes.setdefault(name, f"writes ({found.detail})")
            elif isinstance(node.func, ast.Name) and node.func.id in functions:
                calls.setdefault(name, set()).add(node.func.id)
    changed = True
    while changed:
        changed = False
        for name, callees in calls.items():
            callee = next((c for c in sorted(callees) if c in writes), None)
            if name not in writes and callee is not None:
                writes[name] = f"calls {callee}(), which writes"
                changed = True
    return writes


def _builds_response(value: ast.expr) -> bool:
    """``HttpResponse(...)``, ``StreamingHttpResponse(...)``, ``Response(...)``: the answer."""
    if not isinstance(value, ast.Call):
        return False
    name = dotted(value.func).rsplit(".", 1)[-1]
    return name.endswith("Response")


def _saved_into_response(call: ast.Call, responses: set[str]) -> Evidence | None:
    """``workbook.save(response)``: a document written into the handler's own response (an
    export, a download) is sent back, not stored."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("save", "write")):
        return None
    first = call.args[0] if call.args else None
    if not (isinstance(first, ast.Name) and first.id in responses):
        return None
    detail = f"{dotted(func)}({first.id}) writes a document into the response"
    return Evidence("read-only", detail, call.lineno, False)


def method_branch(test: ast.AST) -> tuple[str, ...]:
    """Methods a condition like ``request.method == "POST"`` tests for (not ``!=``)."""
    values, negated = flow.compared_methods(test)
    return () if negated else values


def called_name(call: ast.Call) -> str | None:
    """The name a call calls: ``capture`` for ``client.capture(...)`` and ``capture(...)``."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def is_capture_call(call: ast.Call) -> str | None:
    """The event name of an existing ``<client>.capture("event", ...)`` call ('' if not literal)."""
    if called_name(call) != "capture":
        return None
    event = _string_arg(call, 0, "event")
    if event is None and len(call.args) >= 2:
        # Pre-6.0 form capture(distinct_id, "event").
        event = _string_arg(call, 1)
    return event if event is not None else ""


def capture_wrappers(tree: ast.Module) -> dict[str, tuple[int, str]]:
    """Top-level functions of a module that capture the event their caller names: by name,
    the position and name of the parameter holding the event (``track_event(client,
    event_name, properties)`` calling ``client.capture(event=event_name, ...)``)."""
    found: dict[str, tuple[int, str]] = {}
    for func in tree.body:
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
        for node in walk_body(func):
            if not (isinstance(node, ast.Call) and is_capture_call(node) == ""):
                continue
            values = [k.value for k in node.keywords if k.arg == "event"] + node.args[:1]
            event = next((v.id for v in values if isinstance(v, ast.Name)), None)
            if event in params:
                found[func.name] = (params.index(event), event)
    return found


def wrapped_event(call: ast.Call, wrappers: Mapping[str, tuple[int, str]]) -> str | None:
    """The event a call to one of ``wrappers`` sends, where it is literal."""
    if not isinstance(call.func, ast.Name) or call.func.id not in wrappers:
        return None
    index, keyword = wrappers[call.func.id]
    values = [k.value for k in call.keywords if k.arg == keyword]
    values += call.args[index : index + 1]
    return next(
        (v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)),
        None,
    )


def reads_as_query(name: str) -> bool:
    """True if a handler or view name reads as a query (``search``, ``ValidateCouponView``)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return _READ_ONLY_NAMES.search(snake) is not None


UserFinder = Callable[[FileContext, FunctionNode | ast.ClassDef, ast.AST], UserAccess | None]


def scan_body(
    ctx: FileContext,
    func: FunctionNode | ast.ClassDef,
    find_user: UserFinder | None = None,
    *,
    logout_calls: frozenset[str] = frozenset(),
    handlers: frozenset[str] = frozenset(),
    injected: Sequence[tuple[str, str]] = (),
) -> BodyFacts:
    """Collect the facts of one handler body.

    ``find_user`` is asked about each node until it recognises how the body reaches
    the current user; ``logout_calls`` are qualified names whose call ends a session
    (itself a change of state, so a GET logout is mutating). ``handlers`` are functions
    of the module that are handlers of their own: what a call to one writes is its write,
    not this handler's (a command a ``main`` dispatches to). ``injected`` types parameters
    the framework fills with what a project function returns (FastAPI's
    ``user=Depends(get_current_user)``), by that function's qualified name.
    """
    evidence: list[Evidence] = []
    user: UserAccess | None = None
    change_line: int | None = None
    bound: list[str] = []
    captures: list[str] = []
    captures_exception = False
    branches: list[str] = []
    responses: set[str] = set()
    returned: list[ast.expr | None] = []
    scope = ctx.names.scope_for_def(func)
    for node in walk_body(func):
        if user is None and find_user is not None:
            user = find_user(ctx, func, node)
        if isinstance(node, ast.Call):
            into = _saved_into_response(node, responses)
            if into is not None:
                evidence.append(into)
                continue
            found = write_evidence(node) or _helper_write(ctx, node, handlers)
            if found is not None:
                evidence.append(found)
                change_line = node.lineno
                continue
            event = is_capture_call(node)
            if event is None and ctx.capture_wrappers:
                event = wrapped_event(node, ctx.capture_wrappers)
            if event is not None:
                captures.append(event)
                continue
            if called_name(node) == "capture_exception":
                captures_exception = True
                continue
            qualified = ctx.names.resolve(node.func, scope) or ""
            if qualified in logout_calls:
                evidence.append(
                    Evidence("logout", f"{dotted(node.func)}() ends the session", node.lineno, True)
                )
                continue
            spelled = dotted(node.func)
            if _TOKEN_CALLS.search(spelled) or _TOKEN_CALLS.search(qualified):
                evidence.append(
                    Evidence(
                        "read-only",
                        f"{spelled}() checks credentials or issues a token",
                        node.lineno,
                        False,
                    )
                )
        elif isinstance(node, ast.Return):
            returned.append(node.value)
        elif isinstance(node, (ast.If, ast.IfExp, ast.While)):
            branches.extend(m for m in method_branch(node.test) if m not in branches)
        elif isinstance(node, ast.Assign):
            bound.extend(t.id for t in node.targets if isinstance(t, ast.Name))
            if _builds_response(node.value):
                responses.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif (
            isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name)
        ) or (
            isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension))
            and isinstance(node.target, ast.Name)
        ):
            bound.append(node.target.id)
    name = func.name
    if not any(e.mutating for e in evidence) and _READ_ONLY_NAMES.search(name):
        evidence.append(
            Evidence("read-only", f"handler name {name!r} reads as a query", func.lineno, False)
        )
    facts = BodyFacts(
        evidence=tuple(evidence),
        user_access=user,
        change_line=change_line,
        locals=tuple(dict.fromkeys(bound)),
        captures=tuple(captures),
        captures_exception=captures_exception,
        method_branches=tuple(branches),
        ignored=ctx.is_ignored(func),
        # A results page records the search made on it: the search is what was done.
        renders_page=bool(returned)
        and all(_renders_page(value) for value in returned)
        and not _SEARCH.search(name),
    )
    return settle(ctx, func, facts, injected)


_SEARCH = re.compile(r"(^|_)search(_|$)", re.IGNORECASE)
#: Calls that answer with a page made from a template.
_PAGE_RENDERS = frozenset(
    {
        "render_template",
        "render",
        "render_to_response",
        "TemplateResponse",
        "render_template_string",
    }
)


def _renders_page(value: ast.expr | None) -> bool:
    """``render_template("page.html", ...)``, ``render(request, ...)``,
    ``templates.TemplateResponse(...)``, awaited or not."""
    if isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    called = value.func
    name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
    return name in _PAGE_RENDERS


def settle(
    ctx: FileContext,
    func: FunctionNode | ast.ClassDef,
    facts: BodyFacts,
    injected: Sequence[tuple[str, str]] = (),
) -> BodyFacts:
    """``facts`` with where a capture goes and what is proven there, from the change line.

    A class (a view whose write is implicit) has no statement of its own to anchor to.
    """
    if isinstance(func, ast.ClassDef):
        return dataclasses.replace(facts, anchor=None, proven=(), typed=())
    typed = _with_injected(flow.typed_names(ctx, func), facts, injected)
    written = flow.written_models(ctx, func, typed)
    facts = dataclasses.replace(
        facts,
        typed=typed,
        written=written,
        lookup_keys=flow.lookup_keys(ctx, func),
        toggles=flow.toggled(func),
        existing_change=flow.existing_change(func),
        outcomes=flow.event_type_branches(func),
    )
    if not any(e.mutating for e in facts.evidence):
        # What it calls may write: the link follows the calls into the project's code.
        from posthog_setup.analysis.reach import handler_calls

        qualname = ctx.names.qualname_of(func)
        owner = None
        if "." in qualname and "<locals>" not in qualname:
            owner = f"{ctx.module}.{qualname.rsplit('.', 1)[0]}"
        facts = dataclasses.replace(facts, calls=handler_calls(ctx, func, owner))
    writes = [e.line for e in facts.evidence if e.kind == "write" and e.mutating]
    if not facts.outcomes:
        facts = dataclasses.replace(facts, branches=_write_branches(ctx, func, facts, writes))
    anchor = _anchor(func, facts.change_line, writes, facts.user_access)
    if anchor is None:
        return dataclasses.replace(facts, anchor=None, proven=())
    proof = flow.proof_at(func, anchor.line, including=not anchor.before, globals_=ctx.module_names)
    proven = proof.facts()
    # What the capture reads is typed as it is bound there: after ``user = create_user()``
    # that user, not the lookup above it that found none.
    typed = _with_injected(
        flow.typed_at(ctx, func, anchor.line, including=not anchor.before), facts, injected
    )
    if anchor.before and _returns_parent_call(func, anchor.line):
        # ``return super().form_valid(form)``: the edit splits it and captures after the
        # parent's call, which has then run.
        proven = (*proven, f"super().{func.name}")
    counted = {name for name, _ in facts.counts}
    counts = facts.counts + tuple(
        (name, value)
        for name, value in (*flow.tallies(func, proof), *flow.text_lengths(func, proof))
        if name not in counted
    )
    return dataclasses.replace(facts, anchor=anchor, proven=proven, typed=typed, counts=counts)


def _with_injected(
    typed: tuple[tuple[str, str], ...], facts: BodyFacts, injected: Sequence[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    """``typed`` with the parameters the framework passed in, where the body never binds
    them again."""
    if not injected:
        return typed
    known = {name for name, _ in typed} | set(facts.locals)
    return tuple(sorted([*typed, *((n, k) for n, k in injected if n not in known)]))


def _anchor(
    func: FunctionNode, change_line: int | None, writes: Sequence[int], access: UserAccess | None
) -> Anchor | None:
    """Where the capture of the change made at ``change_line`` goes (see
    ``flow.success_anchor``), before the write where it deletes the acting user."""
    anchor = flow.success_anchor(func, change_line, writes)
    if anchor is None or anchor.before or access is None:
        return anchor
    deleted = flow.deletes_user(func, anchor.line, access.id_expression)
    if deleted is not None:
        # The account the event is sent for is gone past its delete: sent just before.
        return Anchor(deleted, True, "before the acting user is deleted")
    return anchor


def _write_branches(
    ctx: FileContext, func: FunctionNode, facts: BodyFacts, writes: Sequence[int]
) -> tuple[WriteBranch, ...]:
    """Each way through the handler that ends its action with writes of its own (see
    ``flow.write_ways``), with where its capture goes and what it writes; none where one
    of them has nowhere safe, or two share a place."""
    branches: list[WriteBranch] = []
    for lines, own in flow.write_ways(func, writes):
        anchor = _anchor(func, own[-1], own, facts.user_access)
        if anchor is None:
            return ()
        proof = flow.proof_at(
            func, anchor.line, including=not anchor.before, globals_=ctx.module_names
        )
        branches.append(
            WriteBranch(
                writes=own,
                anchor=anchor,
                proven=proof.facts(),
                written=flow.written_models(ctx, func, facts.typed, within=lines),
                existing_change=flow.existing_change(func, within=lines),
            )
        )
    if len({b.anchor for b in branches}) < len(branches):
        return ()
    return tuple(branches)


def _returns_parent_call(func: FunctionNode, line: int) -> bool:
    """Is the statement at ``line`` ``return super().<func's own name>(...)``?"""
    for stmt in walk_body(func):
        if isinstance(stmt, ast.Return) and stmt.lineno == line:
            value = stmt.value
            return (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Attribute)
                and value.func.attr == func.name
                and isinstance(value.func.value, ast.Call)
                and isinstance(value.func.value.func, ast.Name)
                and value.func.value.func.id == "super"
            )
    return False


def judge_mutating(
    methods: tuple[str, ...], body: BodyFacts, *, implicit: Evidence | None = None
) -> tuple[bool, tuple[Evidence, ...]]:
    """Does a route change data? The answer and the evidence it rests on.

    Writes in the body (or an implicit write of a generic view) decide yes, whatever the
    method, but in a page view (only GET reaches it, every answer is a rendered page, and
    it deletes nothing), whose writes are the page's own bookkeeping. Without them, a
    mutating method decides yes unless the body shows it only checks credentials, issues
    a token or searches.
    """
    evidence = list(body.evidence)
    if implicit is not None:
        evidence.insert(0, implicit)
    writes = [e for e in evidence if e.mutating]
    mutating_methods = [m for m in methods if m in ("POST", "PUT", "PATCH", "DELETE")]
    if (
        writes
        and body.renders_page
        and methods
        and not mutating_methods
        and not any(e.detail.endswith("deletes") for e in writes)
    ):
        # A page view that keeps records of its own (a last-read time, a row made on first
        # visit): a person opened a page, nothing was done to the data.
        page = Evidence(
            "read-only",
            "a page view: every request is answered with a rendered page, and no method "
            "but GET reaches it",
            0,
            False,
        )
        return False, (*evidence, page)
    if writes:
        return True, tuple(evidence)
    if not mutating_methods:
        return False, tuple(evidence)
    against = [e for e in evidence if not e.mutating]
    method_evidence = Evidence("method", f"{'/'.join(mutating_methods)} request", 0, not against)
    return not against, (method_evidence, *evidence)
