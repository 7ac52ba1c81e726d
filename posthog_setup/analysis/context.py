"""What a framework analyser gets for one file, and what it gives back."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar, cast, runtime_checkable

from posthog_setup.analysis.model import (
    PLAIN_CONVENTIONS,
    AppObject,
    AuthPoint,
    CaptureCall,
    ClassFacts,
    Conventions,
    DjangoView,
    EndpointRef,
    ErrorHandler,
    Framework,
    Handler,
    HelperCall,
    LocalRoute,
    ModuleFacts,
    Monitoring,
    Registration,
    Route,
    RouterRegistration,
    SessionClear,
    SessionWrite,
    UnhandledCapture,
    UrlPattern,
)
from posthog_setup.analysis.names import ModuleNames, Spellings, walk
from posthog_setup.analysis.rules.records import IGNORE_COMMENT, ignored
from posthog_setup.project.syntax import parse_any

if TYPE_CHECKING:
    from posthog_setup.analysis.routing import FileScan

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
T = TypeVar("T")


_LINE_END = re.compile(r"(\r\n|\r|\n)")


@functools.lru_cache(maxsize=8)
def _spellings(analysers: tuple[FrameworkAnalyser, ...]) -> Spellings:
    """The public spellings of every analyser's names, built once per set of analysers."""
    return Spellings({k: v for a in analysers for k, v in a.spellings.items()})


@dataclass
class FileContext:
    """One parsed file: its text, tree and name resolver."""

    file: str
    module: str
    is_package: bool
    source: str
    tree: ast.Module
    names: ModuleNames
    #: every analysed framework's packages, by framework (see ``FrameworkAnalyser.packages``)
    framework_packages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``tree`` is what ``ast.parse`` reads of ``source``, as it reads it
    plain: bool = False
    lines: list[str] = field(init=False)
    _mentioned: dict[str, bool] = field(init=False, default_factory=dict, repr=False, compare=False)
    #: answers worked out once per node and asked again (see ``remembered``)
    _remembered: dict[tuple[str, ast.AST], object] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.lines = self.source.splitlines()

    def mentions(self, text: str) -> bool:
        """Does ``text`` occur in the source? Asked once per text: a per-node test (is the
        module using a package at all?) would otherwise search the whole file at each."""
        found = self._mentioned.get(text)
        if found is None:
            found = self._mentioned[text] = text in self.source
        return found

    def remembered(self, question: str, node: ast.AST, answer: Callable[[], T]) -> T:
        """``answer()``, worked out the first time ``question`` is asked of ``node`` (a
        handler's bindings, the guard on its decorators): several passes over one handler
        ask the same, some of them at every node of its body."""
        key = (question, node)
        if key in self._remembered:
            return cast(T, self._remembered[key])
        found = self._remembered[key] = answer()
        return found

    def segment(self, node: ast.AST) -> str | None:
        """``ast.get_source_segment(self.source, node)``, off lines split once: the stdlib
        splits the whole source at every call."""
        first: int | None = getattr(node, "lineno", None)
        last: int | None = getattr(node, "end_lineno", None)
        start: int | None = getattr(node, "col_offset", None)
        end: int | None = getattr(node, "end_col_offset", None)
        if first is None or last is None or start is None or end is None:
            return None
        first, last = first - 1, last - 1
        lines = self._segment_lines
        if last >= len(lines) or first < 0:
            return ast.get_source_segment(self.source, node)
        if first == last:
            return lines[first].encode()[start:end].decode()
        head = lines[first].encode()[start:].decode()
        tail = lines[last].encode()[:end].decode()
        return "".join([head, *lines[first + 1 : last], tail])

    @functools.cached_property
    def _segment_lines(self) -> list[str]:
        """The source's lines with their ends, split only at ``\r\n``, ``\r`` and ``\n``
        (as ``ast.get_source_segment`` splits, unlike ``str.splitlines``)."""
        parts = _LINE_END.split(self.source)
        lines = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]
        if parts[-1]:
            lines.append(parts[-1])
        return lines

    @classmethod
    def parse(
        cls,
        file: str,
        module: str,
        is_package: bool,
        source: str,
        analysers: Sequence[FrameworkAnalyser] = (),
    ) -> FileContext:
        """Parse ``source``, whatever Python up to 3.14 it is written for; raises SyntaxError
        (or ValueError for NUL bytes) if none accepts it. Names resolve with the public
        spellings of the ``analysers``' frameworks."""
        parsed = parse_any(source, file)
        names = ModuleNames(parsed.tree, module, is_package, _spellings(tuple(analysers)))
        packages = {a.name: a.packages for a in analysers}
        return cls(file, module, is_package, source, parsed.tree, names, packages, parsed.plain)

    @functools.cached_property
    def nodes(self) -> tuple[ast.AST, ...]:
        """Every node of the tree, in ``ast.walk`` order: one walk, shared by every reader."""
        return tuple(walk(self.tree))

    @functools.cached_property
    def route_scan(self) -> FileScan:
        """The definitions and name bindings every framework's ``RouteFile`` reads."""
        from posthog_setup.analysis.routing import scan_file

        return scan_file(self)

    @functools.cached_property
    def module_names(self) -> frozenset[str]:
        """Names bound at the module's top level: safe to read in any of its functions."""
        from posthog_setup.analysis.flow import module_names

        return module_names(self.tree)

    @functools.cached_property
    def function_names(self) -> frozenset[str]:
        """The names of the module's own top-level functions."""
        return frozenset(
            node.name
            for node in self.tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        )

    @functools.cached_property
    def writing_functions(self) -> dict[str, str]:
        """The module's own top-level functions that write data (themselves or through
        another of them), each with what it writes."""
        from posthog_setup.analysis.body import writing_functions

        return writing_functions(self.tree)

    @functools.cached_property
    def capture_wrappers(self) -> dict[str, tuple[int, str]]:
        """The module's own functions that capture the event their caller names."""
        if "capture" not in self.source:
            return {}
        from posthog_setup.analysis.body import capture_wrappers

        return capture_wrappers(self.tree)

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def is_ignored(self, node: ast.AST, rule: str = "missing-capture") -> bool:
        """True if an ignore comment on the node's first line(s) (or its decorators') covers ``rule``."""
        return any(ignored(rule, line) for line in self.header_lines(node))

    def header_lines(self, node: ast.AST) -> list[str]:
        """A node's first line; for a definition, its decorator lines through the line
        before its body."""
        first = getattr(node, "lineno", 0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([first, *(d.lineno for d in node.decorator_list)])
            last = node.body[0].lineno - 1 if node.body else node.lineno
        else:
            last = first
        return [self.line(n) for n in range(first, max(first, last) + 1)]

    def handler(self, node: FunctionNode | ast.ClassDef) -> Handler:
        """The Handler record of a function, method or (for implicit actions) a class."""
        decorators = node.decorator_list
        docstring = ast.get_docstring(node) if not isinstance(node, ast.ClassDef) else None
        params: tuple[str, ...] = ()
        annotations: tuple[tuple[str, str], ...] = ()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            arguments = [*a.posonlyargs, *a.args, *a.kwonlyargs]
            params = tuple(arg.arg for arg in arguments)
            annotations = tuple(
                (arg.arg, ast.unparse(arg.annotation))
                for arg in arguments
                if arg.annotation is not None
            )
        return Handler(
            module=self.module,
            file=self.file,
            qualname=self.names.qualname_of(node),
            line=node.lineno,
            end_line=node.end_lineno or node.lineno,
            decorator_line=min([node.lineno, *(d.lineno for d in decorators)]),
            is_async=isinstance(node, ast.AsyncFunctionDef),
            params=params,
            docstring=docstring.splitlines()[0] if docstring else None,
            annotations=annotations,
            ignore_comments=tuple(
                m.group(0) for line in self.header_lines(node) if (m := IGNORE_COMMENT.search(line))
            ),
        )

    def qualified(self, local_name: str) -> str:
        """A module-level definition's qualified name."""
        return f"{self.module}.{local_name}" if self.module else local_name


@dataclass
class FactsBuilder:
    """Mutable collector that framework analysers append to; frozen into ModuleFacts."""

    file: str
    module: str
    frameworks: list[Framework] = field(default_factory=list)
    apps: list[AppObject] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    routes: list[LocalRoute] = field(default_factory=list)
    endpoints: list[LocalRoute] = field(default_factory=list)
    endpoint_refs: list[EndpointRef] = field(default_factory=list)
    auth_points: list[AuthPoint] = field(default_factory=list)
    error_handlers: list[ErrorHandler] = field(default_factory=list)
    unhandled_captures: list[UnhandledCapture] = field(default_factory=list)
    urlpatterns: list[UrlPattern] = field(default_factory=list)
    django_views: list[DjangoView] = field(default_factory=list)
    router_registrations: list[RouterRegistration] = field(default_factory=list)
    django_settings: list[tuple[str, str]] = field(default_factory=list)
    captures: list[CaptureCall] = field(default_factory=list)
    env_vars: list[str] = field(default_factory=list)
    monitoring: list[Monitoring] = field(default_factory=list)
    app_handed_to: list[str] = field(default_factory=list)
    posthog_imported: bool = False
    classes: list[ClassFacts] = field(default_factory=list)
    returns: list[tuple[str, str]] = field(default_factory=list)
    session_writes: list[SessionWrite] = field(default_factory=list)
    session_clears: list[SessionClear] = field(default_factory=list)
    helper_calls: list[HelperCall] = field(default_factory=list)
    user_aliases: list[str] = field(default_factory=list)
    assigned: list[tuple[str, str]] = field(default_factory=list)
    login_guards: list[tuple[str, str]] = field(default_factory=list)

    def uses(self, framework: Framework) -> None:
        if framework not in self.frameworks:
            self.frameworks.append(framework)

    def freeze(self) -> ModuleFacts:
        return ModuleFacts(
            file=self.file,
            module=self.module,
            frameworks=tuple(self.frameworks),
            apps=tuple(self.apps),
            registrations=tuple(self.registrations),
            routes=tuple(self.routes),
            endpoints=tuple(self.endpoints),
            endpoint_refs=tuple(self.endpoint_refs),
            auth_points=tuple(self.auth_points),
            error_handlers=tuple(self.error_handlers),
            unhandled_captures=tuple(self.unhandled_captures),
            urlpatterns=tuple(self.urlpatterns),
            django_views=tuple(self.django_views),
            router_registrations=tuple(self.router_registrations),
            django_settings=tuple(self.django_settings),
            captures=tuple(self.captures),
            env_vars=tuple(sorted(set(self.env_vars))),
            monitoring=tuple(self.monitoring),
            app_handed_to=tuple(dict.fromkeys(self.app_handed_to)),
            posthog_imported=self.posthog_imported,
            classes=tuple(self.classes),
            returns=tuple(self.returns),
            session_writes=tuple(self.session_writes),
            session_clears=tuple(self.session_clears),
            helper_calls=tuple(self.helper_calls),
            user_aliases=tuple(self.user_aliases),
            assigned=tuple(self.assigned),
            login_guards=tuple(self.login_guards),
        )


@dataclass(frozen=True)
class Linked:
    """What one framework contributes to the project once all files are linked."""

    apps: tuple[AppObject, ...] = ()
    routes: tuple[Route, ...] = ()
    auth_points: tuple[AuthPoint, ...] = ()
    error_handlers: tuple[ErrorHandler, ...] = ()
    settings: tuple[tuple[str, str, str], ...] = ()
    #: what the framework guarantees this project's handlers, for the plan
    conventions: Conventions = PLAIN_CONVENTIONS


class FrameworkAnalyser(Protocol):
    """One framework's analysis: a cheap text test, a per-file pass and a project-wide link."""

    name: Framework
    #: top-level packages whose import means a file belongs to this framework
    packages: tuple[str, ...]
    #: what the ``kind`` of this framework's apps starts with (``flask`` for ``flask.Flask``)
    app_kinds: tuple[str, ...]
    #: the kind of the application itself (``flask.Flask``), where the hook-up goes
    primary_kind: str
    #: public spellings of names the framework's packages re-export: full names, and module
    #: prefixes ending in ``.`` (``{"flask.app.": "flask."}``)
    spellings: Mapping[str, str]

    def wants(self, source: str) -> bool:
        """Cheap text test: could this file hold anything of this framework?"""
        ...

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record what this file declares."""
        ...

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Resolve prefixes, includes and registrations across the project's files."""
        ...


@runtime_checkable
class ReadsProjectFiles(Protocol):
    """An analyser that also reads a few of the project's other files (its configuration),
    once per project, before any of its Python files is analysed."""

    def reads(self, file: str) -> bool:
        """Is ``file`` (relative, posix) one this analyser reads?"""
        ...

    def for_project(
        self, texts: Mapping[str, str], python_files: Sequence[str]
    ) -> FrameworkAnalyser:
        """This analyser, told what ``texts`` (each file it reads, by relative path) say of
        the project whose Python files are ``python_files``. The result depends on these
        two alone (the engine caches it by their content), and pickles."""
        ...
