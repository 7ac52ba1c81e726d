"""Static checks: the touched files compile, the client module reads the documented
environment variables, and the plan and the code agree.

Touched files are the ones the plan names (events, error handlers, the client module)
and every project file that mentions PostHog (hook-ups, settings, imports of the client).
Each is read once, parsed once and compiled from its tree. A file is judged by the
Python the project declares (``requires-python``, ``.python-version``, ``runtime.txt``),
not by the one running the tool: 3.12 syntax in a 3.12 project compiles.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from posthog_setup.analysis.body import (
    called_name,
    capture_wrappers,
    dotted,
    is_capture_call,
    wrapped_event,
)
from posthog_setup.analysis.names import ModuleNames
from posthog_setup.analysis.rules.scan import own_contexts
from posthog_setup.frameworks import registry
from posthog_setup.plan.plan import Plan, PlannedEvent, PlannedExceptionCapture
from posthog_setup.project.discovery import is_test_file, project_files
from posthog_setup.project.files import UnreadableFile, decode_source, read_text_file
from posthog_setup.project.python_version import DeclaredPython, declared_python
from posthog_setup.project.syntax import NewerThanProject, compiled_tree
from posthog_setup.project.versions import hookup_blocker
from posthog_setup.verify.checks import Check, outcome

ENV_EXAMPLE = ".env.example"
_NOT_FOUND = "file not found"

#: Calls that read one environment variable named by their first argument.
_ENV_GETTERS = ("environ.get", "getenv", "environ.setdefault", "environ.pop")
_ENV_LIBRARIES = frozenset({"env", "env.str", "config"})


@dataclass(frozen=True)
class Site:
    """Where the code does something the plan asks for (``None`` location: nowhere)."""

    location: str | None
    problem: str | None = None
    #: a login or signup sent with no person: its capture names none, and nothing in its
    #: function identifies one
    personless: bool = False


@dataclass(frozen=True)
class _Call:
    line: int
    scope: str
    node: ast.Call


@dataclass(frozen=True)
class _ParsedFile:
    path: str
    tree: ast.Module
    calls: tuple[_Call, ...]

    @functools.cached_property
    def wrappers(self) -> dict[str, tuple[int, str]]:
        """The module's own functions that capture the event their caller names."""
        return capture_wrappers(self.tree)

    def sends(self, call: ast.Call) -> str | None:
        """The event ``call`` captures ('' if not literal), directly or through a wrapper."""
        found = is_capture_call(call)
        return found if found is not None else wrapped_event(call, self.wrappers)


@dataclass(frozen=True)
class StaticResult:
    """The static check and what it located, in the plan's order."""

    check: Check
    events: tuple[Site, ...]
    handlers: tuple[Site, ...]
    #: (hook, file:line) of each framework's hook-up that was found
    hookups: tuple[tuple[str, str], ...]
    touched: tuple[str, ...]
    unchecked: tuple[str, ...]
    skipped: tuple[str, ...]
    #: environment variables the client module reads (None if it cannot be read)
    client_reads: tuple[str, ...] | None = None


def _calls(tree: ast.Module) -> list[_Call]:
    """Every call with the qualified name of the def or class around it ('' at module level),
    spelled as Python spells ``__qualname__`` (``create_app.<locals>.page_not_found``)."""
    found: list[_Call] = []

    def visit(node: ast.AST, scope: str, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                outer = f"{scope}.<locals>" if in_function else scope
                name = f"{outer}.{child.name}" if outer else child.name
                visit(child, name, not isinstance(child, ast.ClassDef))
                continue
            if isinstance(child, ast.Call):
                found.append(_Call(child.lineno, scope, child))
            visit(child, scope, in_function)

    visit(tree, "", False)
    return found


def _event_argument(call: ast.Call) -> ast.expr | None:
    """The expression giving a capture's event name, in either call form."""
    for keyword in call.keywords:
        if keyword.arg == "event":
            return keyword.value
    if not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first
    # Pre-6.0 form capture(distinct_id, "event").
    if len(call.args) >= 2:
        return call.args[1]
    return first


def _in_scope(scope: str, handler: str) -> bool:
    return scope == handler or scope.startswith(handler + ".")


def _parse(
    root: Path, path: str, python: DeclaredPython | None = None
) -> tuple[_ParsedFile | None, str | None]:
    """The parsed file, or why it cannot be used (missing, unreadable, does not compile for
    the project's Python, or for any Python when the project declares none)."""
    target = root / path
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        return None, f"{path}: file not found"
    except OSError as exc:
        return None, f"{path}: cannot read: {exc.strerror or exc}"
    try:
        text = decode_source(data).text
    except UnreadableFile as exc:
        return None, f"{path}: {exc}"
    try:
        tree = compiled_tree(text, path, python.version if python is not None else None)
    except NewerThanProject as exc:
        where = f":{exc.lineno}" if exc.lineno else ""
        declared = f" (declared in {python.source})" if python is not None else ""
        return None, f"{path}{where}: not valid for the project's Python: {exc.msg}{declared}"
    except SyntaxError as exc:
        return None, f"{path}:{exc.lineno or 0}: does not compile: {exc.msg}"
    except ValueError as exc:
        return None, f"{path}: does not compile: {exc}"
    return _ParsedFile(path, tree, tuple(_calls(tree))), None


def _mentions_posthog(root: Path, skipped: list[str]) -> list[str]:
    """Project files (tests aside) that mention PostHog: imports, hook-ups, settings."""
    found = []
    for path in project_files(root):
        if is_test_file(path):
            continue
        try:
            data = (root / path).read_bytes()
        except OSError as exc:
            skipped.append(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        if b"posthog" in data.lower():
            found.append(path)
    return found


def env_reads(tree: ast.Module) -> list[tuple[str, int]]:
    """Names of environment variables a module reads, with their lines, in source order."""
    reads = []
    for node in ast.walk(tree):
        name: ast.expr | None = None
        if isinstance(node, ast.Call) and node.args:
            spelled = dotted(node.func)
            if spelled.endswith(_ENV_GETTERS) or spelled in _ENV_LIBRARIES:
                name = node.args[0]
        elif isinstance(node, ast.Subscript) and dotted(node.value).endswith("environ"):
            name = node.slice
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            reads.append((name.value, name.lineno))
    return sorted(reads, key=lambda item: item[1])


def documented_vars(root: Path) -> set[str] | None:
    """Variables ``.env.example`` assigns (commented-out lines aside); None if it is missing."""
    path = root / ENV_EXAMPLE
    if not path.is_file():
        return None
    try:
        text = read_text_file(path)
    except UnreadableFile:
        return set()
    names = set()
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        if "=" in stripped and not stripped.startswith("#"):
            names.add(stripped.split("=", 1)[0].strip())
    return names


def _looks_like(name: str, kind: str) -> bool:
    upper = name.upper()
    if kind == "token":
        return upper.endswith(("TOKEN", "KEY")) and "PERSONAL" not in upper
    return upper.endswith(("HOST", "URL"))


def _client_failures(root: Path, plan: Plan, client: _ParsedFile | None) -> list[str]:
    """The client module reads the plan's variables, and ``.env.example`` documents them.
    A client the project set up itself reads what it reads (settings, say): its own."""
    setup = plan.setup
    if setup.adopted:
        return []
    path = setup.client_module
    failures = []
    documented = documented_vars(root)
    if client is not None:
        reads = env_reads(client.tree)
        read_names = {name for name, _ in reads}
        for var, kind in ((setup.token_var, "token"), (setup.host_var, "host")):
            if var in read_names:
                continue
            others = [
                (name, line)
                for name, line in reads
                if name not in (setup.token_var, setup.host_var) and _looks_like(name, kind)
            ]
            if others:
                name, line = others[0]
                failures.append(
                    f"{path}:{line}: the client module reads {name}, but posthog-events.json "
                    f"and {ENV_EXAMPLE} document {var}: set it to read {var}, or rename the "
                    f"variable in both"
                )
            else:
                failures.append(
                    f"{path}: the client module does not read the {kind} from {var} "
                    "(no os.environ / os.getenv read of it)"
                )
    if documented is None:
        failures.append(
            f"{ENV_EXAMPLE} is missing: it should document {setup.token_var} and {setup.host_var}"
        )
    else:
        for var in (setup.token_var, setup.host_var):
            if var not in documented:
                failures.append(f"{ENV_EXAMPLE} does not document {var}")
    return failures


def _event_site(event: PlannedEvent, parsed: _ParsedFile) -> tuple[Site, str | None]:
    """Where the planned event is captured: in its handler first, else anywhere in its file."""
    named = [c for c in parsed.calls if event.event and parsed.sends(c.node) == event.event]
    in_handler = [c for c in named if _in_scope(c.scope, event.handler)]
    chosen = in_handler or named
    if chosen:
        found = chosen[0]
        personless = event.kind in ("login", "signup") and not (
            any(k.arg == "distinct_id" for k in found.node.keywords)
            or any(
                called_name(c.node) == "identify_context" and c.scope == found.scope
                for c in parsed.calls
            )
        )
        return Site(f"{event.file}:{found.line}", personless=personless), None
    return Site(None, f"no capture of '{event.event}' in {event.handler}"), (
        f"{event.file}: planned event '{event.event}' is not captured in the code "
        f'(no capture("{event.event}", ...) in {event.handler}); the plan and the code '
        "disagree: run posthog-setup revise"
    )


def _handler_site(capture: PlannedExceptionCapture, parsed: _ParsedFile) -> tuple[Site, str | None]:
    """Where the planned error handler calls ``capture_exception``."""
    calls = [c for c in parsed.calls if called_name(c.node) == "capture_exception"]
    in_handler = [c for c in calls if _in_scope(c.scope, capture.handler)]
    if in_handler:
        return Site(f"{capture.file}:{in_handler[0].line}"), None
    return Site(None, f"no capture_exception in {capture.handler}"), (
        f"{capture.file}: error handler {capture.handler} does not call capture_exception"
    )


def _empty_names(parsed: _ParsedFile) -> Iterator[str]:
    for call in parsed.calls:
        if is_capture_call(call.node) is None:
            continue
        argument = _event_argument(call.node)
        if (
            isinstance(argument, ast.Constant)
            and isinstance(argument.value, str)
            and not argument.value.strip()
        ):
            yield (
                f"{parsed.path}:{call.line}: capture with an empty event name "
                "(PostHog rejects the whole batch it is in)"
            )


def _non_literal_names(parsed: _ParsedFile) -> Iterator[str]:
    for call in parsed.calls:
        if is_capture_call(call.node) == "":
            argument = _event_argument(call.node)
            if argument is not None and not isinstance(argument, ast.Constant):
                yield f"{parsed.path}:{call.line}"


def _hookups(
    root: Path, plan: Plan, files: Collection[_ParsedFile]
) -> tuple[list[tuple[str, str]], list[str]]:
    """Where each planned framework is hooked up, and the failures (missing, misplaced).

    A hook-up edit leaves out on purpose (the project's framework version cannot run it,
    or the project's client cannot be imported) is not expected.
    """
    frameworks = [f for f in map(registry.get, plan.setup.frameworks) if f is not None]
    found: dict[str, str] = {}
    failures = []
    for parsed in files:
        for framework in frameworks:
            for line, problem in framework.find_hookups(parsed.path, parsed.tree):
                if problem is not None:
                    failures.append(f"{parsed.path}:{line}: {problem}")
                else:
                    found.setdefault(framework.name, f"{parsed.path}:{line}")
    hookups: list[tuple[str, str]] = []
    own: list[tuple[str, str]] | None = None
    for framework in frameworks:
        hook = framework.hookup_name
        if framework.name in found:
            hookups.append((hook, found[framework.name]))
            continue
        if own is None:
            # A middleware of the project's own that opens the request context (edit
            # adds none beside it).
            own = [
                (f"{name} (the project's own)", f"{parsed.path}:{line}")
                for parsed in files
                for line, name in own_contexts(parsed.tree, ModuleNames(parsed.tree, ""))
            ]
        if own:
            hookups.extend(h for h in own if h not in hookups)
        elif hookup_blocker(root, framework.version_gate) is None and not plan.setup.unreachable:
            failures.append(
                f"no {hook} hook-up found for {framework.name}: requests are not tied to "
                "users and sessions (run posthog-setup edit)"
            )
    return hookups, failures


def _unusable_file_failure(plan: Plan, path: str, problem: str) -> str:
    if not problem.endswith(_NOT_FOUND):
        return problem
    if path == plan.setup.client_module:
        return (
            f"{path}: the client module is missing (run posthog-setup edit, or set "
            "client-module in [tool.posthog-setup] to where the client is set up)"
        )
    events = sum(1 for e in plan.events if e.file == path)
    handlers = sum(1 for c in plan.exception_captures if c.file == path)
    planned = [
        f"{count} {noun}{'s' * (count != 1)}"
        for count, noun in ((events, "event"), (handlers, "error handler"))
        if count
    ]
    return f"{path}: file not found (the plan has {' and '.join(planned)} in it)"


def check_static(root: Path, plan: Plan) -> StaticResult:
    """Compile the touched files and check that the plan, the client setup and the code agree."""
    skipped: list[str] = []
    planned = (
        {e.file for e in plan.events}
        | {c.file for c in plan.exception_captures}
        | {plan.setup.client_module}
    )
    touched = sorted(planned | set(_mentions_posthog(root, skipped)))
    parsed: dict[str, _ParsedFile] = {}
    failures: list[str] = []
    unusable: dict[str, str] = {}
    python = declared_python(root)
    for path in touched:
        result, problem = _parse(root, path, python)
        if result is not None:
            parsed[path] = result
        elif problem is not None:
            unusable[path] = problem.partition(": ")[2]
            failures.append(_unusable_file_failure(plan, path, problem))

    client = parsed.get(plan.setup.client_module)
    client_failures = _client_failures(root, plan, client)
    failures.extend(client_failures)
    hookups, hookup_failures = _hookups(root, plan, parsed.values())
    failures.extend(hookup_failures)

    event_sites = []
    for event in plan.events:
        file = parsed.get(event.file)
        if file is None:
            event_sites.append(Site(None, f"{event.file}: {unusable[event.file]}"))
            continue
        site, failure = _event_site(event, file)
        event_sites.append(site)
        if failure is not None:
            failures.append(failure)
    handler_sites = []
    for capture in plan.exception_captures:
        file = parsed.get(capture.file)
        if file is None:
            handler_sites.append(Site(None, f"{capture.file}: {unusable[capture.file]}"))
            continue
        site, failure = _handler_site(capture, file)
        handler_sites.append(site)
        if failure is not None:
            failures.append(failure)
    unchecked: list[str] = []
    for file in parsed.values():
        failures.extend(_empty_names(file))
        unchecked.extend(_non_literal_names(file))

    located = sum(1 for s in event_sites if s.location is not None)
    handled = sum(1 for s in handler_sites if s.location is not None)
    message = (
        f"{len(parsed)} of {len(touched)} touched files compile; "
        f"{located} of {len(plan.events)} events and {handled} of "
        f"{len(plan.exception_captures)} error handlers found in the code"
    )
    if plan.setup.adopted:
        message += f"; the project's own client, set up in {plan.setup.client_module}"
        if plan.setup.unreachable:
            message += " inside a function, where edited code cannot import it: nothing added"
    elif not client_failures:
        message += (
            f"; the client module reads {plan.setup.token_var} and {plan.setup.host_var}, "
            f"as {ENV_EXAMPLE} documents"
        )
    if hookups:
        message += "; hook-up: " + ", ".join(f"{hook} at {where}" for hook, where in hookups)
    return StaticResult(
        check=outcome("static", "Static checks", message, failures),
        events=tuple(event_sites),
        handlers=tuple(handler_sites),
        hookups=tuple(hookups),
        touched=tuple(touched),
        unchecked=tuple(unchecked),
        skipped=tuple(skipped),
        client_reads=tuple(name for name, _ in env_reads(client.tree)) if client else None,
    )
