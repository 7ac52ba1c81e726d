"""The detectors of the file rules: integration mistakes one Python file shows, and the
capture calls it makes. What each rule is (its id, meaning, fix, examples) is its record
in ``records``; keys (``secrets``) and personal data (``pii``) have modules of their own.

Every rule reads the stdlib ast of one ``FileContext``. Names are resolved through the
file's scopes, so ``import posthog as ph`` is still the posthog module. A call counts as
PostHog's only when its receiver plausibly is: the posthog module, an object this file
builds with ``Posthog(...)`` / ``Client(...)``, or a name that says posthog. That keeps
``payment_intent.capture()`` and ``stripe.PaymentIntent.capture(id)`` out.

One rule needs the whole project (module-level ``posthog.capture`` with nothing that sets
``posthog.project_api_key``): each file records its share in ``FileRuleFacts``, a frozen
value of strings, ints and tuples that pickles and caches, and ``project_findings``
combines them.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from posthog_setup.analysis.body import called_name, dotted, is_capture_call
from posthog_setup.analysis.context import FileContext
from posthog_setup.analysis.model import CaptureSite, ClientSetup, Finding, OwnContext
from posthog_setup.analysis.names import ModuleNames
from posthog_setup.analysis.rules.pii import LocalValues, pii_in_properties
from posthog_setup.analysis.rules.records import ignored
from posthog_setup.analysis.rules.secrets import LINE_BREAK, key_hits, key_message


@dataclass(frozen=True)
class FileRuleFacts:
    """What one file gives the rules: its findings and capture sites, and its share of the
    project-wide check.

    ``default_client_calls`` are the file's calls through the posthog module's own client
    (``posthog.capture(...)``), as findings that hold only if nothing in the project
    configures that client; ``configures_default_client`` is True when this file does
    (``posthog.project_api_key = ...``, ``posthog.api_key = ...``, ``posthog.default_client = ...``).
    """

    file: str
    findings: tuple[Finding, ...]
    sites: tuple[CaptureSite, ...]
    default_client_calls: tuple[Finding, ...]
    configures_default_client: bool
    #: where the file sets up a client (for the project-wide second-client check)
    setups: tuple[ClientSetup, ...] = ()
    #: the file's own middlewares that open PostHog's request context
    own_contexts: tuple[OwnContext, ...] = ()


#: Cheap text test: a file that fails it cannot produce any finding or capture site.
WANTS = re.compile(r"posthog|ph[cx]_", re.IGNORECASE)


def wants(lowered: str) -> bool:
    """``WANTS`` for a lower-cased text, as substring tests (many times faster)."""
    return "posthog" in lowered or "phc_" in lowered or "phx_" in lowered


#: The classes whose instances are PostHog clients.
CLIENT_CLASSES = frozenset(
    {
        "posthog.Posthog",
        "posthog.Client",
        "posthog.client.Client",
        "posthog.client.Posthog",
        "posthog.AsyncPosthog",
        "posthog.AsyncClient",
        "posthog.async_client.AsyncPosthog",
        "posthog.async_client.AsyncClient",
    }
)

#: Argument order of the pre-6.0 ``capture`` and ``identify``, whose arguments were positional.
LEGACY_CAPTURE_ORDER = (
    "distinct_id",
    "event",
    "properties",
    "context",
    "timestamp",
    "uuid",
    "groups",
)
LEGACY_IDENTIFY_ORDER = (
    "distinct_id",
    "properties",
    "context",
    "timestamp",
    "uuid",
    "disable_geoip",
)

#: The client's option (and the posthog module's setting) that captures unhandled errors.
AUTOCAPTURE = "enable_exception_autocapture"
#: Module attributes whose assignment configures the posthog module's own client.
_MODULE_CLIENT_SETTINGS = frozenset({"api_key", "project_api_key", "default_client"})
#: Module functions that send through the posthog module's own client.
_DEFAULT_CLIENT_SENDS = frozenset(
    {"capture", "capture_exception", "set", "set_once", "alias", "group_identify"}
)
#: Calls that need a client that already exists when they run at import time.
_IMPORT_TIME_SENDS = frozenset({"capture", "capture_exception", "set", "set_once"})
_REMOVED_CALLS = {
    "identify": "use set(distinct_id=..., properties=...) to set person properties",
    "page": 'send capture("$pageview", properties={"$current_url": url}) instead',
    "screen": 'send capture("$screen", properties={"$screen_name": name}) instead',
}
_WATCHED_CALLS = frozenset({*_DEFAULT_CLIENT_SENDS, *_IMPORT_TIME_SENDS, *_REMOVED_CALLS})


@dataclass(frozen=True)
class ArgShape:
    """What a rewrite needs to know of one call argument.

    ``keyword`` is None for a positional argument; ``star`` is ``""``, ``"*"`` or ``"**"``;
    ``is_none`` is True for a literal ``None``.
    """

    keyword: str | None
    star: str
    is_none: bool


def keyword_layout(
    shapes: Sequence[ArgShape], order: Sequence[str], *, stays: str | None, minimum: int
) -> tuple[tuple[int, str | None], ...] | None:
    """The arguments of a legacy positional call rewritten to keywords, or None if unsafe.

    Each pair is (index of the old argument, the keyword it is passed by, None for
    positional or ``**``). ``order`` names the legacy positional parameters; the one named
    ``stays`` (the event) stays positional and goes first. A ``context`` argument, which
    no longer exists, is dropped when it is a literal None and makes the call unsafe
    otherwise, as do ``*args``, a keyword given twice, or fewer than ``minimum`` positional
    arguments.
    """
    if any(shape.star == "*" for shape in shapes):
        return None
    positional = [i for i, s in enumerate(shapes) if s.keyword is None and not s.star]
    if not minimum <= len(positional) <= len(order):
        return None
    named = {s.keyword for s in shapes if s.keyword is not None}
    head: list[tuple[int, str | None]] = []
    tail: list[tuple[int, str | None]] = []
    for name, index in zip(order, positional, strict=False):
        if name == "context":
            if not shapes[index].is_none:
                return None
            continue
        if name in named:
            return None
        if name == stays:
            head.append((index, None))
        else:
            tail.append((index, name))
    if stays is not None and not head:
        return None
    for index, shape in enumerate(shapes):
        if shape.keyword == "context":
            if not shape.is_none:
                return None
            continue
        if shape.keyword is not None or shape.star == "**":
            tail.append((index, shape.keyword))
    return (*head, *tail)


def _ast_shapes(call: ast.Call) -> list[ArgShape]:
    shapes = [
        ArgShape(None, "*" if isinstance(arg, ast.Starred) else "", _is_none(arg))
        for arg in call.args
    ]
    shapes += [
        ArgShape(kw.arg, "" if kw.arg is not None else "**", _is_none(kw.value))
        for kw in call.keywords
    ]
    return shapes


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _turned_on(call: ast.Call, option: str) -> bool:
    """Does ``call`` pass ``option=True``?"""
    return any(k.arg == option and _is_true(k.value) for k in call.keywords)


def _is_str(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(
        node, ast.JoinedStr
    )


def _is_legacy_capture(call: ast.Call) -> bool:
    """True for ``capture(distinct_id, event, ...)``; False for ``capture("event", props)``.

    A string literal first followed by something that is not one reads as the 6.0 form
    with extra positional arguments, which has no safe rewrite.
    """
    first, second = call.args[0], call.args[1]
    return not (_is_str(first) and not _is_str(second))


def _legacy_arguments(call: ast.Call) -> dict[str, ast.expr]:
    """Keyword name -> argument of a capture call, reading positionals the pre-6.0 way."""
    found = {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    if len(positional) >= 2 and _is_legacy_capture(call):
        for name, arg in zip(LEGACY_CAPTURE_ORDER, positional, strict=False):
            found.setdefault(name, arg)
    elif positional:
        found.setdefault("event", positional[0])
        if len(positional) >= 2 and isinstance(positional[1], ast.Dict):
            found.setdefault("properties", positional[1])
    return found


#: Where PostHog's request context is opened.
_NEW_CONTEXT = frozenset({"posthog.new_context", "posthog.contexts.new_context"})
#: The parameter a function middleware passes the request on with.
_MIDDLEWARE_PARAMS = frozenset({"call_next", "get_response", "handler"})


def own_contexts(tree: ast.Module, names: ModuleNames) -> list[tuple[int, str]]:
    """The module's own middlewares that open PostHog's request context: classes with a
    ``with new_context():`` in a method, and functions that pass the request on
    (``call_next``, ``get_response``) inside one. A handler that opens a context around
    its own capture is no middleware."""
    found = []
    for node in tree.body:
        if not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        middleware = isinstance(node, ast.ClassDef) or any(
            a.arg in _MIDDLEWARE_PARAMS for a in [*node.args.args, *node.args.kwonlyargs]
        )
        if middleware and any(
            isinstance(inner, (ast.With, ast.AsyncWith))
            and any(
                isinstance(item.context_expr, ast.Call)
                and names.resolve(item.context_expr.func) in _NEW_CONTEXT
                for item in inner.items
            )
            for inner in ast.walk(node)
        ):
            found.append((node.lineno, node.name))
    return found


class _FileScan:
    """One pass over one file that produces everything ``FileRuleFacts`` holds."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.lines = LINE_BREAK.split(ctx.source)
        self.findings: list[Finding] = []
        self.default_calls: list[Finding] = []
        self.sites: list[CaptureSite] = []
        self.setups: list[ClientSetup] = []
        self.configures = False
        #: qualified names bound to a client (``app.analytics.client``)
        self.clients: set[str] = set()
        #: attribute spellings assigned a client (``self.client``)
        self.client_attributes: set[str] = set()
        #: each function's (and the module's) assignments, for following values
        self.locals: dict[ast.AST, LocalValues] = {}
        #: constructor calls bound to a module-level name, by the call's id
        self.module_clients: dict[int, str] = {}
        #: the file turns the posthog module's exception autocapture on
        self.module_autocapture = False

    # -- positions and findings ------------------------------------------------------

    def column(self, line: int, byte_offset: int) -> int:
        """1-based character column of an ast (UTF-8 byte) offset."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1

    def start(self, node: ast.expr | ast.keyword) -> tuple[int, int]:
        return node.lineno, self.column(node.lineno, node.col_offset)

    def name_position(self, call: ast.Call) -> tuple[int, int]:
        """Where the called name is: ``capture`` in ``posthog_client.capture(...)``."""
        func = call.func
        if isinstance(func, ast.Attribute) and func.end_lineno and func.end_col_offset:
            offset = func.end_col_offset - len(func.attr.encode("utf-8"))
            return func.end_lineno, self.column(func.end_lineno, offset)
        return self.start(func)

    def ignored(self, rule: str, *lines: int) -> bool:
        return any(
            ignored(rule, self.lines[number - 1])
            for number in lines
            if 0 < number <= len(self.lines)
        )

    def add(
        self,
        rule: str,
        where: tuple[int, int],
        message: str,
        *,
        fixable: bool = False,
        anchor: int | None = None,
        into: list[Finding] | None = None,
    ) -> None:
        """Record a finding unless an ignore comment on its line (or ``anchor``) covers it."""
        line, col = where
        if self.ignored(rule, line, *(() if anchor is None else (anchor,))):
            return
        target = self.findings if into is None else into
        target.append(Finding(rule, self.ctx.file, line, col, message, fixable))

    # -- the scan --------------------------------------------------------------------

    def run(self) -> FileRuleFacts:
        self.scan_keys()
        if "posthog" in self.ctx.source.lower():
            calls: list[ast.Call] = []
            assignments: list[ast.Assign | ast.AnnAssign] = []
            functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
            for node in self.ctx.nodes:
                if isinstance(node, ast.Call):
                    calls.append(node)
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    assignments.append(node)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    functions.append(node)
            self.collect_clients(assignments, functions)
            for call in calls:
                self.check_call(call)
            for assignment in assignments:
                self.check_assignment(assignment)
        order = sorted(self.findings, key=lambda f: (f.line, f.col, f.rule))
        if self.module_autocapture:
            # ``posthog.enable_exception_autocapture = True`` beside the key: the module's
            # own client captures unhandled errors.
            self.setups = [
                dataclasses.replace(s, exception_autocapture=True) if s.default else s
                for s in self.setups
            ]
        return FileRuleFacts(
            file=self.ctx.file,
            findings=tuple(order),
            sites=tuple(sorted(self.sites, key=lambda s: s.line)),
            default_client_calls=tuple(sorted(self.default_calls, key=lambda f: (f.line, f.col))),
            configures_default_client=self.configures,
            setups=tuple(sorted(self.setups, key=lambda s: (s.line, s.col))),
            own_contexts=tuple(
                OwnContext(self.ctx.file, line, name)
                for line, name in own_contexts(self.ctx.tree, self.ctx.names)
            )
            if "new_context" in self.ctx.source
            else (),
        )

    def scan_keys(self) -> None:
        """Project tokens and personal API keys anywhere in the text, comments included."""
        for hit in key_hits(self.ctx.source):
            self.add(hit.rule, (hit.line, hit.col), key_message(hit.rule, "the source"))

    def collect_clients(
        self,
        assignments: Sequence[ast.Assign | ast.AnnAssign],
        functions: Sequence[ast.FunctionDef | ast.AsyncFunctionDef],
    ) -> None:
        """Names and attributes this file assigns a ``Posthog(...)`` / ``Client(...)``, and
        parameters annotated as one (``def track(client: Posthog)``)."""
        names = self.ctx.names
        top_level = {id(node) for node in self.ctx.tree.body}
        for node in assignments:
            if not (
                isinstance(node.value, ast.Call)
                and names.resolve(node.value.func) in CLIENT_CLASSES
            ):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if id(node) in top_level and len(targets) == 1 and isinstance(targets[0], ast.Name):
                self.module_clients[id(node.value)] = targets[0].id
            for target in targets:
                if isinstance(target, ast.Name):
                    qualified = names.resolve(target)
                    if qualified is not None:
                        self.clients.add(qualified)
                elif isinstance(target, ast.Attribute):
                    self.client_attributes.add(dotted(target))
        for function in functions:
            arguments = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
            for arg in arguments:
                annotation = arg.annotation
                if annotation is None:
                    continue
                if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                    try:
                        annotation = ast.parse(annotation.value, mode="eval").body
                    except SyntaxError:
                        continue
                scope = names.scope_for_def(function)
                if names.resolve(annotation, scope.parent) in CLIENT_CLASSES:
                    self.clients.add(f"{scope.qualname}.<locals>.{arg.arg}")

    def receiver(self, call: ast.Call) -> str | None:
        """``"module"`` for the posthog module's own functions, ``"client"`` for a plausible
        PostHog client, None for anything else."""
        names = self.ctx.names
        func = call.func
        if isinstance(func, ast.Name):
            called = names.resolve(func) or ""
            return "module" if called.count(".") == 1 and called.startswith("posthog.") else None
        if not isinstance(func, ast.Attribute):
            return None
        value = func.value
        qualified = names.resolve(value)
        if qualified == "posthog":
            return "module"
        spelled = dotted(value)
        # What the name is, or where it is imported from: not the function it is local to.
        named = (qualified or "").rsplit(".", 1)[-1]
        imported = names.imports.get(spelled.split(".", 1)[0], "")
        if (
            qualified in self.clients
            or spelled in self.client_attributes
            or "posthog" in f"{spelled} {named} {imported}".lower()
        ):
            return "client"
        return None

    def check_call(self, call: ast.Call) -> None:
        names = self.ctx.names
        constructed = names.resolve(call.func)
        if constructed in CLIENT_CLASSES:
            line, col = self.start(call)
            name = self.module_clients.get(id(call))
            self.setups.append(
                ClientSetup(
                    self.ctx.file,
                    line,
                    col,
                    f"{constructed}(...)",
                    name=name,
                    exception_autocapture=_turned_on(call, AUTOCAPTURE),
                )
            )
            self.check_constructor(call)
        if (
            isinstance(call.func, ast.Name)
            and call.func.id == "setattr"
            and len(call.args) >= 2
            and names.resolve(call.args[0]) == "posthog"
            and isinstance(call.args[1], ast.Constant)
            and call.args[1].value in _MODULE_CLIENT_SETTINGS
        ):
            self.configures = True
        method = called_name(call)
        if method not in _WATCHED_CALLS:
            return
        kind = self.receiver(call)
        if kind is None:
            return
        if method == "capture" and is_capture_call(call) is not None:
            self.check_capture(call)
        if method in ("capture", "capture_exception"):
            self.check_properties(call)
        if method in _REMOVED_CALLS:
            self.check_removed(call, method)
        if method in _IMPORT_TIME_SENDS:
            self.check_import_time(call, method)
        if kind == "module" and method in _DEFAULT_CLIENT_SENDS:
            self.add(
                "capture-before-client",
                self.name_position(call),
                f"posthog.{method}() sends through the posthog module's own client, but nothing "
                "in the project sets posthog.project_api_key, so it is disabled and sends "
                "nothing; set posthog.project_api_key (and posthog.host) at start-up, or send "
                "through a Posthog(...) client.",
                anchor=call.lineno,
                into=self.default_calls,
            )

    def check_constructor(self, call: ast.Call) -> None:
        for keyword in call.keywords:
            if keyword.arg == "api_key":
                self.add(
                    "module-api-key",
                    self.start(keyword),
                    "Posthog() has no api_key= argument since posthog 6.0 (the call raises "
                    "TypeError); pass the key as project_api_key= or as the first argument.",
                    fixable=True,
                    anchor=call.lineno,
                )
            elif (
                keyword.arg == "flush_interval"
                and isinstance(keyword.value, ast.Constant)
                and type(keyword.value.value) in (int, float)
                and keyword.value.value == 0
            ):
                self.add(
                    "flush-interval-zero",
                    self.start(keyword),
                    "flush_interval=0 makes the client's consumer thread spin on a CPU core and "
                    "send only on flush(); use sync_mode=True to send each event at once, or a "
                    "small positive interval such as flush_interval=0.05.",
                    anchor=call.lineno,
                )

    def check_assignment(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr == AUTOCAPTURE
                and self.ctx.names.resolve(target.value) == "posthog"
            ):
                self.module_autocapture = node.value is not None and _is_true(node.value)
            if not (
                isinstance(target, ast.Attribute)
                and target.attr in _MODULE_CLIENT_SETTINGS
                and self.ctx.names.resolve(target.value) == "posthog"
            ):
                continue
            self.configures = True
            if target.attr in ("api_key", "project_api_key"):
                line, col = node.lineno, self.column(node.lineno, node.col_offset)
                how = f"{ast.unparse(target)} = ..."
                self.setups.append(ClientSetup(self.ctx.file, line, col, how, default=True))
            if target.attr == "api_key" and target.end_lineno and target.end_col_offset:
                line = target.end_lineno
                self.add(
                    "module-api-key",
                    (line, self.column(line, target.end_col_offset - len("api_key"))),
                    "posthog.api_key is a deprecated legacy alias since posthog 7.32; set "
                    "posthog.project_api_key instead.",
                    fixable=True,
                    anchor=node.lineno,
                )

    def check_capture(self, call: ast.Call) -> None:
        arguments = _legacy_arguments(call)
        event_node = arguments.get("event")
        event: str | None = None
        if isinstance(event_node, ast.Constant) and isinstance(event_node.value, str):
            event = event_node.value
        properties = arguments.get("properties")
        keys: tuple[str, ...] = ()
        known = properties is None or _is_none_constant(properties)
        if isinstance(properties, ast.Dict):
            keys = tuple(
                k.value
                for k in properties.keys
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            )
            known = len(keys) == len(properties.keys)
        if any(kw.arg is None for kw in call.keywords) or any(
            isinstance(a, ast.Starred) for a in call.args
        ):
            known = False  # ``**extra`` may hold properties
        self.sites.append(
            CaptureSite(
                file=self.ctx.file,
                line=call.lineno,
                event=event or None,
                handler=self.handler_of(call),
                client=ast.unparse(call.func.value)
                if isinstance(call.func, ast.Attribute)
                else "posthog",
                property_keys=keys,
                properties_known=known,
            )
        )
        if len(call.args) < 2:
            return
        spelled = ast.unparse(call.func)
        if _is_legacy_capture(call):
            layout = keyword_layout(
                _ast_shapes(call), LEGACY_CAPTURE_ORDER, stays="event", minimum=2
            )
            message = (
                f"{spelled}() passes distinct_id positionally, the pre-6.0 form: since posthog "
                "6.0 only the event name is positional, so the call fails and no event is sent; "
                'write capture("event", distinct_id=..., properties=...).'
            )
        else:
            layout = None
            message = (
                f"{spelled}() passes more than the event name positionally: since posthog 6.0 "
                "the call fails and no event is sent; pass distinct_id=, properties= and the "
                "rest by keyword."
            )
        self.add(
            "positional-capture",
            self.name_position(call),
            message,
            fixable=layout is not None,
            anchor=call.lineno,
        )

    def check_properties(self, call: ast.Call) -> None:
        properties = _legacy_arguments(call).get("properties")
        if properties is None:
            return
        for hit in pii_in_properties(properties, call.lineno, self.local_values(call)):
            self.add("pii-property", self.start(hit.node), hit.message, anchor=call.lineno)

    def local_values(self, node: ast.AST) -> LocalValues:
        """The assignments of the function (or module) whose code holds ``node``."""
        owner: ast.AST = self.ctx.tree
        for ancestor in self.ctx.names.ancestors(node):
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                owner = ancestor
                break
        found = self.locals.get(owner)
        if found is None:
            body = (
                owner.body
                if isinstance(owner, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef))
                else []
            )
            found = self.locals[owner] = LocalValues(body)
        return found

    def check_removed(self, call: ast.Call, method: str) -> None:
        fixable = (
            method == "identify"
            and isinstance(call.func, ast.Attribute)
            and keyword_layout(_ast_shapes(call), LEGACY_IDENTIFY_ORDER, stays=None, minimum=0)
            is not None
        )
        self.add(
            "removed-identify",
            self.name_position(call),
            f"{ast.unparse(call.func)}() was removed in posthog 6.0 (an AttributeError, or an "
            f"error swallowed by the client, and nothing is sent); {_REMOVED_CALLS[method]}.",
            fixable=fixable,
            anchor=call.lineno,
        )

    def check_import_time(self, call: ast.Call, method: str) -> None:
        """A send at import time through a module-level name bound only later (or never)."""
        func = call.func
        receiver = func.value if isinstance(func, ast.Attribute) else func
        if not isinstance(receiver, ast.Name):
            return
        names = self.ctx.names
        if names.scope_of(call) is not names.module_scope:
            return
        bindings = names.module_scope.bindings.get(receiver.id, [])
        if any(b.line <= call.lineno for b in bindings):
            return
        if bindings:
            later = min(b.line for b in bindings)
            why = f"before {receiver.id} is assigned on line {later}; move the call below it"
        elif self.has_star_import():
            return
        else:
            why = f"and {receiver.id} is not defined in this module; import or create it first"
        self.add(
            "capture-before-client",
            self.start(receiver),
            f"{ast.unparse(func)}() runs at import time {why}, or move it into a function.",
            anchor=call.lineno,
        )

    def has_star_import(self) -> bool:
        return any(
            isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
            for node in self.ctx.tree.body
        )

    def handler_of(self, node: ast.AST) -> str | None:
        """Qualname of the function or method a node is in; None at module level."""
        for ancestor in self.ctx.names.ancestors(node):
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return self.ctx.names.qualname_of(ancestor)
        return None


def file_rule_facts(ctx: FileContext) -> FileRuleFacts:
    """Findings, capture sites and the project-wide share of one file, in one pass."""
    if not WANTS.search(ctx.source):
        return FileRuleFacts(ctx.file, (), (), (), False)
    return _FileScan(ctx).run()


def check_file(ctx: FileContext) -> tuple[Finding, ...]:
    """The findings of one file, sorted by (line, col, rule); ignore comments respected."""
    return file_rule_facts(ctx).findings


def capture_sites(ctx: FileContext) -> tuple[CaptureSite, ...]:
    """The PostHog capture calls of one file, in line order."""
    return file_rule_facts(ctx).sites


def project_findings(per_file: Mapping[str, FileRuleFacts]) -> tuple[Finding, ...]:
    """Findings that need the whole project: module-client sends when nothing configures it.

    Only these are returned; each file's own findings are in its ``FileRuleFacts``.
    """
    facts = list(per_file.values())
    if any(f.configures_default_client for f in facts):
        return ()
    found: Iterator[Finding] = (call for f in facts for call in f.default_client_calls)
    return tuple(sorted(found, key=lambda f: (f.file, f.line, f.col, f.rule)))


def _is_none_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
