"""Analyse a project: files on disk -> per-file facts (in parallel) -> linked Analysis.

Most files of a web project declare no route, app or PostHog call. A cheap
text test picks the files that might; only those are parsed. Files are read,
tested and parsed in worker processes (both cores), each returning plain
``ModuleFacts`` that the framework analysers then link across files.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from posthog_setup.analysis import existing, flow, reach, settings
from posthog_setup.analysis.context import (
    FactsBuilder,
    FileContext,
    FrameworkAnalyser,
    Linked,
    ReadsProjectFiles,
)
from posthog_setup.analysis.definitions import FileDefinitions, file_definitions
from posthog_setup.analysis.model import (
    Analysis,
    AppObject,
    AuthPoint,
    CaptureCall,
    CaptureSite,
    ClassFacts,
    ClientSetup,
    Conventions,
    EnvSettings,
    ErrorHandler,
    ExistingPostHog,
    Framework,
    ModuleFacts,
    ProjectInfo,
    Route,
    SkippedFile,
)
from posthog_setup.analysis.names import module_name_for
from posthog_setup.analysis.routing import SIGNUP_WORDS
from posthog_setup.analysis.rules import scan as rules
from posthog_setup.analysis.rules import secrets
from posthog_setup.analysis.rules.scan import FileRuleFacts
from posthog_setup.parallel import balanced_chunks, worker_pool
from posthog_setup.parallel import workers as default_workers
from posthog_setup.project.cache import ResultCache, file_digest, file_stamp
from posthog_setup.project.discovery import exclusion_spec, is_test_file, project_files
from posthog_setup.project.files import UnreadableFile, decode_source
from posthog_setup.project.manifests import declared_name, find_manifests
from posthog_setup.project.versions import VersionGate, hookup_blocker

#: Below this many files the pool costs more than it saves.
_PARALLEL_THRESHOLD = 150


@dataclass(frozen=True)
class FileResult:
    """What happened to one file: facts, nothing of interest, or skipped with a reason."""

    file: str
    facts: ModuleFacts | None = None
    skipped: SkippedFile | None = None
    #: what revise's rules see in the file (mistakes, capture calls, client set-ups)
    lint: FileRuleFacts | None = None
    #: web frameworks the file imports that the tool does not support yet
    unsupported: tuple[str, ...] = ()
    #: settings classes that would refuse the PostHog variables in their env file
    env_settings: tuple[EnvSettings, ...] = ()
    #: the file imports python-dotenv at its top
    dotenv: bool = False
    #: the file imports python-decouple at its top
    decouple: bool = False


def module_for_file(relative: str, source_roots: Sequence[str] = ()) -> tuple[str, bool]:
    """The importable module name of a project file: relative to the deepest of the
    ``source_roots`` (folders the app's runtime puts on ``sys.path``: ``src``, a Django
    project's folder) that holds it, else to the project's root."""
    held = [r for r in source_roots if relative.startswith(r + "/")]
    if held:
        relative = relative[len(max(held, key=len)) + 1 :]
    return module_name_for(relative)


#: Text of a module that declares models (its classes prove attributes like ``post.id``) or
#: functions that find users (their return annotations type the user a login gets).
_MODEL_WORDS = ("column", "mapped[", "models.model", "basemodel", "sqlmodel")
_MODEL_CLASS = re.compile(r"\b(column|mapped_column|mapped\[|models\.model|basemodel|sqlmodel)\b")
_USER_FUNCTION = re.compile(r"def \w*(user|auth|login)\w*\(")
_SCHEMA_WORDS = ("struct)", "struct,", "schema)")
_KEY_FIELD = re.compile(r"\n[ \t]+(id|pk)[ \t]*[:=]")


def _model_hint(lowered: str) -> bool:
    """Could the file (lower-cased) declare a model, a user helper or a keyed class? (In
    steps, each with a literal to look for: one case-insensitive regex of alternatives
    cost a tenth of a parse.)"""
    return bool(
        (any(word in lowered for word in _MODEL_WORDS) and _MODEL_CLASS.search(lowered))
        or _USER_FUNCTION.search(lowered)
        or _KEY_FIELD.search(lowered)
        # a schema a handler's body is validated against (a msgspec struct, a ninja schema)
        or any(word in lowered for word in _SCHEMA_WORDS)
    )


#: Text of a module whose functions may write (a handler elsewhere may call them).
_WRITE_WORDS = ("commit(", "save(", ".add(", "execute(", ".create(", ".update(", ".delete(")


#: Files above this size are not analysed (``max-file-kb`` in ``[tool.posthog-setup]``).
MAX_FILE_KB = 500

#: Web frameworks found by their imports but not supported yet, by the module imported.
UNSUPPORTED = {
    "aiohttp": "aiohttp",
    "sanic": "Sanic",
    "falcon": "Falcon",
    "bottle": "Bottle",
    "tornado": "Tornado",
    "pyramid": "Pyramid",
}
_UNSUPPORTED_IMPORT = re.compile(
    r"^[ \t]*(?:from|import)[ \t]+(" + "|".join(UNSUPPORTED) + r")\b", re.MULTILINE
)


def analyse_text(
    file: str,
    text: str,
    analysers: Sequence[FrameworkAnalyser],
    *,
    source_roots: Sequence[str] = (),
) -> FileResult:
    """Analyse one decoded file; the text test runs first, parsing only when it passes."""
    result = _analyse_text(file, text, analysers, source_roots=source_roots)
    if not any(name in text for name in UNSUPPORTED):
        return result
    found = tuple(dict.fromkeys(m.group(1) for m in _UNSUPPORTED_IMPORT.finditer(text)))
    return dataclasses.replace(result, unsupported=found) if found else result


def _analyse_text(
    file: str,
    text: str,
    analysers: Sequence[FrameworkAnalyser],
    *,
    source_roots: Sequence[str] = (),
) -> FileResult:
    # A test module is no part of the product: the link drops its apps and routes, and no
    # handler calls its functions. Only what the project holds as a whole is read of it
    # (PostHog use, other monitoring, the rules, settings classes).
    product = not is_test_file(file)
    wanted = [a for a in analysers if a.wants(text)] if product else []
    lowered = text.lower()
    wants_existing = existing.wants(lowered)
    wants_rules = rules.wants(lowered)
    wants_models = product and _model_hint(lowered)
    wants_settings = settings.wants(text)
    wants_dotenv = "dotenv" in text
    wants_decouple = "decouple" in text
    wants_writes = product and any(word in text for word in _WRITE_WORDS)
    if not (
        wanted
        or wants_existing
        or wants_rules
        or wants_models
        or wants_settings
        or wants_dotenv
        or wants_decouple
        or wants_writes
    ):
        return FileResult(file)
    module, is_package = module_for_file(file, source_roots)
    try:
        ctx = FileContext.parse(file, module, is_package, text, analysers)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return FileResult(file, skipped=SkippedFile(file, f"syntax error{where}: {exc.msg}"))
    except (ValueError, RecursionError, MemoryError) as exc:
        return FileResult(file, skipped=SkippedFile(file, f"cannot parse: {exc}"))
    out = FactsBuilder(file, module)
    if product:
        # Read before the analysers: Django's asks what its serializers prove.
        out.classes = list(flow.class_facts(ctx))
        for analyser in wanted:
            analyser.collect(ctx, out)
        if out.auth_points:
            out.auth_points = flow.prove_auth_points(ctx, out.auth_points)
        out.returns = [*out.returns, *flow.function_returns(ctx)]
    if wants_existing:
        existing.collect(ctx, out)
    lint = rules.file_rule_facts(ctx) if wants_rules else None
    env_settings = settings.collect(ctx) if wants_settings else ()
    dotenv = wants_dotenv and settings.imports_at_top(ctx, "dotenv")
    decouple = wants_decouple and settings.imports_at_top(ctx, "decouple")
    facts = dataclasses.replace(
        out.freeze(),
        functions=reach.project_functions(ctx) if product else (),
        definitions=_handler_definitions(ctx, out),
    )
    return FileResult(
        file, facts=facts, lint=lint, env_settings=env_settings, dotenv=dotenv, decouple=decouple
    )


def _handler_definitions(ctx: FileContext, out: FactsBuilder) -> FileDefinitions | None:
    """The file's definitions as the route codemods read them, where it declares handlers
    (the points edit checks are on handlers) and its tree is ``ast.parse``'s own."""
    declares = out.routes or out.endpoints or out.auth_points or out.error_handlers
    if not (ctx.plain and (declares or out.django_views)):
        return None
    return file_definitions(ctx.tree, ctx.source)


def _analyse_data(
    file: str, data: bytes, analysers: Sequence[FrameworkAnalyser], source_roots: Sequence[str]
) -> FileResult:
    if not file.endswith(".py"):
        return _key_scan(file, data)
    try:
        text = decode_source(data).text
    except UnreadableFile as exc:
        return FileResult(file, skipped=SkippedFile(file, str(exc)))
    return analyse_text(file, text, analysers, source_roots=source_roots)


def _key_scan(file: str, data: bytes) -> FileResult:
    """A config file, env sample or notebook: only the keys written in it."""
    findings = secrets.file_key_findings(file, data)
    if not findings:
        return FileResult(file)
    return FileResult(file, lint=FileRuleFacts(file, findings, (), (), False))


def _analyse_paths(
    root: str,
    files: Sequence[str],
    analysers: Sequence[FrameworkAnalyser],
    source_roots: Sequence[str],
) -> list[tuple[str, FileResult]]:
    """Each file's content digest and result (digest ``""`` if it cannot be read)."""
    results = []
    base = Path(root)
    for file in files:
        try:
            data = (base / file).read_bytes()
        except OSError as exc:
            reason = f"cannot read: {exc.strerror or exc}"
            results.append(("", FileResult(file, skipped=SkippedFile(file, reason))))
            continue
        results.append((file_digest(data), _analyse_data(file, data, analysers, source_roots)))
    return results


#: What the analysis workers of one pool share, given once when each starts (``fork``
#: hands it over without pickling): the root, the analysers and the source roots.
_SHARED: tuple[str, Sequence[FrameworkAnalyser], Sequence[str]] | None = None


def _share(root: str, analysers: Sequence[FrameworkAnalyser], source_roots: Sequence[str]) -> None:
    global _SHARED
    _SHARED = (root, analysers, source_roots)


def _analyse_chunk(files: Sequence[str]) -> list[tuple[str, FileResult]]:
    assert _SHARED is not None, "a worker of _analyse_uncached's pool"
    root, analysers, source_roots = _SHARED
    return _analyse_paths(root, files, analysers, source_roots)


def _sizes(root: Path, files: Sequence[str]) -> list[int]:
    """Each file's size (0 where it cannot be read): what its analysis costs, roughly."""
    sizes = []
    for file in files:
        try:
            sizes.append(os.stat(root / file).st_size)
        except OSError:
            sizes.append(0)
    return sizes


def _analyse_uncached(
    root: Path,
    files: Sequence[str],
    analysers: Sequence[FrameworkAnalyser],
    jobs: int | None,
    source_roots: Sequence[str],
) -> list[tuple[str, FileResult]]:
    workers = jobs or default_workers()
    if workers <= 1 or len(files) < _PARALLEL_THRESHOLD:
        return _analyse_paths(str(root), files, analysers, source_roots)
    chunks = balanced_chunks(files, _sizes(root, files), workers)
    with worker_pool(workers, _share, (str(root), analysers, source_roots)) as pool:
        return [result for part in pool.map(_analyse_chunk, chunks) for result in part]


def analyse_files(
    root: Path,
    files: Sequence[str],
    analysers: Sequence[FrameworkAnalyser],
    *,
    jobs: int | None = None,
    source_roots: Sequence[str] = (),
    cache: ResultCache | None = None,
    overlay: Mapping[str, bytes] | None = None,
) -> list[FileResult]:
    """Analyse ``files`` (relative to ``root``), on every core when there are enough of them.

    With a ``cache``, a file whose bytes hash to a stored digest is not parsed again, and
    one whose modification time and size are those stored with that digest is not even
    read (see ``file_stamp``). Files in ``overlay`` are analysed from the bytes given
    there, not from the disk.
    """
    known: dict[str, FileResult] = {}
    if overlay:
        for file in files:
            if file in overlay:
                known[file] = _analyse_data(file, overlay[file], analysers, source_roots)
    todo: list[str] = [file for file in files if file not in known]
    stamps: dict[str, tuple[int, int] | None] = {}
    if cache is not None:
        base = str(root)
        started = time.time_ns()
        for file in todo:
            stamps[file] = file_stamp(os.path.join(base, file), started)
    if cache is not None and len(cache):
        todo = []
        for file in files:
            if file in known:
                continue
            stored = cache.get(file)
            stamp = stamps.get(file)
            if stored is not None and stamp is not None and stored[2] == stamp:
                known[file] = stored[1]
                continue
            try:
                with open(os.path.join(base, file), "rb") as handle:
                    data = handle.read()
            except OSError:
                todo.append(file)
                continue
            digest = file_digest(data)
            if stored is not None and stored[0] == digest:
                known[file] = stored[1]
                cache.put(file, (digest, stored[1], stamp))
            else:
                todo.append(file)
    for digest, result in _analyse_uncached(root, todo, analysers, jobs, source_roots):
        known[result.file] = result
        if cache is not None and digest:
            cache.put(result.file, (digest, result, stamps.get(result.file)))
    return [known[file] for file in files]


def own_facts(facts: ModuleFacts, analyser: FrameworkAnalyser) -> ModuleFacts:
    """A file's facts as one framework's link sees them: its own apps, routes and handlers."""
    framework = analyser.name
    return dataclasses.replace(
        facts,
        apps=tuple(a for a in facts.apps if a.kind.split(".", 1)[0] in analyser.app_kinds),
        routes=tuple(r for r in facts.routes if r.framework == framework),
        auth_points=tuple(p for p in facts.auth_points if p.framework == framework),
        error_handlers=tuple(h for h in facts.error_handlers if h.framework == framework),
        unhandled_captures=tuple(c for c in facts.unhandled_captures if c.framework == framework),
    )


_STYLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("snake_case", re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")),
    ("Title Case", re.compile(r"^[A-Z][a-z0-9]*( [A-Z][a-z0-9]*)+$")),
    ("noun verb", re.compile(r"^[a-z][a-z0-9]*( [a-z0-9]+)+$")),
    ("camelCase", re.compile(r"^[a-z]+([A-Z][a-z0-9]*)+$")),
    ("kebab-case", re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")),
)


def naming_style(events: Iterable[str]) -> str | None:
    """The naming style most of the project's own event names follow, if any."""
    counts: dict[str, int] = {}
    for event in events:
        if event.startswith("$"):
            continue
        for style, pattern in _STYLE_PATTERNS:
            if pattern.match(event):
                counts[style] = counts.get(style, 0) + 1
                break
    if not counts:
        return None
    return max(sorted(counts), key=lambda s: counts[s])


def _app_package(apps: Sequence[AppObject], facts: Sequence[ModuleFacts]) -> str:
    """The package that holds the application, where new modules belong (``apps``: the
    applications themselves, not their blueprints or routers)."""
    for app in apps:
        module = next((f.module for f in facts if f.file == app.file), "")
        package_file = app.file.endswith("__init__.py")
        parts = module.split(".")
        return module if package_file else ".".join(parts[:-1])
    return ""


def link(
    root: Path | None, results: Sequence[FileResult], analysers: Sequence[FrameworkAnalyser]
) -> Analysis:
    """Link per-file results into the project's Analysis."""
    facts = [r.facts for r in results if r.facts is not None]
    # A test's own app (``app = Flask(...)`` in a test module) is not the project's: it
    # gets no hook-up, and the client module never lives beside it.
    product = [f for f in facts if not is_test_file(f.file)]
    skipped = tuple(r.skipped for r in results if r.skipped is not None)
    linked: list[Linked] = []
    frameworks: list[Framework] = []
    conventions: list[tuple[Framework, Conventions]] = []
    for analyser in analysers:
        mine = [own_facts(f, analyser) for f in product if analyser.name in f.frameworks]
        # A standalone kind (scripts and jobs) only where no web app was found, supported
        # or not.
        standalone = getattr(analyser, "standalone", False)
        if not mine:
            continue
        if standalone and (frameworks or _unsupported(results, analysers)):
            beside = getattr(analyser, "link_beside_web", None)
            if beside is None:
                continue
            part = beside(mine)
        else:
            part = analyser.link(mine)
        linked.append(part)
        conventions.append((analyser.name, part.conventions))
        if part.apps or part.routes:
            frameworks.append(analyser.name)
    apps = tuple(a for part in linked for a in part.apps)
    applications = [a for a in apps if a.kind in {an.primary_kind for an in analysers}]
    manager, manifests = find_manifests(root) if root is not None else ("pip", ())
    captures: tuple[CaptureCall, ...] = tuple(c for f in facts for c in f.captures)
    existing_posthog = ExistingPostHog(
        in_manifests=tuple(m.file for m in manifests if m.posthog_requirement),
        imported_in=tuple(f.file for f in facts if f.posthog_imported),
        captures=captures,
        naming_style=naming_style(c.event for c in captures if c.event),
        env_vars=tuple(sorted({v for f in facts for v in f.env_vars})),
    )
    project = ProjectInfo(
        root=str(root) if root is not None else "",
        name=_project_name(root, applications, facts),
        frameworks=tuple(frameworks),
        dependency_manager=manager,
        manifests=manifests,
        app_package=_app_package(applications, facts),
    )
    # A handler's writes through the project's own functions, in any module, decide too.
    code = reach.ProjectCode.of(facts)
    signs_in = {(p.handler.file, p.handler.qualname) for part in linked for p in part.auth_points}
    routes = _written_as_classes(
        [
            code.judged(r, signs_in=(r.handler.file, r.handler.qualname) in signs_in)
            for part in linked
            for r in part.routes
        ],
        (r for f in facts for r in f.returns),
    )
    lints = [r.lint for r in results if r.lint is not None]
    returns = [r for f in facts for r in f.returns]
    classes = [c for f in facts for c in f.classes]
    assigned = [a for f in facts for a in f.assigned]
    findings = [f for lint in lints for f in lint.findings]
    findings += rules.project_findings({lint.file: lint for lint in lints})
    sites = tuple(s for lint in lints for s in lint.sites)
    setups = tuple(s for lint in lints for s in lint.setups)
    own_contexts = tuple(c for lint in lints for c in lint.own_contexts)
    return Analysis(
        project=project,
        findings=tuple(sorted(findings, key=lambda f: (f.file, f.line, f.col, f.rule))),
        capture_sites=sites,
        client_setups=setups,
        own_contexts=own_contexts,
        env_settings=tuple(s for r in results for s in r.env_settings),
        dotenv_modules=tuple(r.file for r in results if r.dotenv and not is_test_file(r.file)),
        decouple_modules=tuple(r.file for r in results if r.decouple and not is_test_file(r.file)),
        apps=apps,
        routes=_hooks_within_declared_versions(root, routes, sites),
        auth_points=_within_declared_versions(
            root,
            _with_created_users(routes, [p for part in linked for p in part.auth_points], classes),
        ),
        error_handlers=_left_to_hookups(
            root,
            [h for part in linked for h in part.error_handlers],
            setups,
            bool(own_contexts),
            {f.file: f.module for f in facts},
        ),
        existing=existing_posthog,
        monitoring=tuple(m for f in facts for m in f.monitoring),
        app_handed_to=_libraries_given_apps(product),
        skipped=skipped,
        files_scanned=sum(1 for r in results if r.file.endswith(".py")),
        files_analysed=len(facts),
        django_settings=tuple(s for part in linked for s in part.settings),
        unsupported=_unsupported(results, analysers),
        framework_conventions=tuple(conventions),
        definitions=tuple((f.file, f.definitions) for f in facts if f.definitions is not None),
        class_attributes=flow.with_returns(
            flow.class_attributes(c for f in facts for c in f.classes),
            [*returns, *flow.assigned_types(assigned, returns, classes)],
        ),
        schema_fields=flow.schema_fields(c for f in facts for c in f.classes),
        returns=tuple(sorted({r for f in facts for r in f.returns})),
        serializer_fields=flow.serializer_fields(c for f in facts for c in f.classes),
    )


def _written_as_classes(routes: Sequence[Route], returns: Iterable[tuple[str, str]]) -> list[Route]:
    """``routes``, each object written through a type alias (``current_user: CurrentUser``
    with ``CurrentUser = Annotated[User, ...]`` in another module) named by the class the
    alias stands for: the event is a ``user_updated``, not a ``current_user_updated``."""
    aliases = {name: cls.rstrip("?") for name, cls in returns}
    settled = []
    for route in routes:
        renamed = {}
        for _, kind in route.typed:
            target = aliases.get(kind.rstrip("?"))
            short = kind.rstrip("?").rsplit(".", 1)[-1]
            if target is not None and short in route.written:
                renamed[short] = target.rsplit(".", 1)[-1]
        if renamed:
            written = dict.fromkeys(renamed.get(w, w) for w in route.written)
            route = dataclasses.replace(route, written=tuple(written))
        settled.append(route)
    return settled


#: What a signup creates: the class of the written object says it is a person's account.
_ACCOUNT_CLASS = re.compile(r"user|account|member|customer|person|profile", re.IGNORECASE)
#: The account people log in as (``get_user_model()``, ``User``, ``Account``, ``Member``).
_LOGIN_ACCOUNT = re.compile(r"user|account|member", re.IGNORECASE)
#: What validates or shows an account, not the account: a serializer's save makes the
#: user, but the serializer is no user (it has no key).
_NO_ACCOUNT = re.compile(r"(Serializer|Form|Schema)$")


def _libraries_given_apps(facts: Sequence[ModuleFacts]) -> tuple[tuple[str, str], ...]:
    """(file, function) for each function outside the project an app is handed to."""
    modules = {f.module for f in facts}
    return tuple(
        (f.file, called)
        for f in facts
        for called in f.app_handed_to
        if not any(called.startswith(f"{m}.") for m in modules)
    )


def _hooks_within_declared_versions(
    root: Path | None, routes: Sequence[Route], sites: Sequence[CaptureSite]
) -> tuple[Route, ...]:
    """``routes``, each whose default write hook is newer than the release the project
    declares given the hook that release calls instead, and what the class's own method
    of that name captures (it is the route's write: the edit puts the capture there)."""
    found = []
    for route in routes:
        if root is not None and route.older_hook is not None and route.hook is None:
            package, minimum, older = route.older_hook
            gate = VersionGate(package, minimum, f"the write hook is {older}() before {minimum}")
            if hookup_blocker(root, gate) is not None:
                method = f"{route.handler.qualname}.{older}"
                sent = tuple(
                    s.event or ""
                    for s in sites
                    if s.file == route.handler.file and s.handler == method
                )
                route = dataclasses.replace(route, hook=older, captures=route.captures + sent)
        found.append(route)
    return tuple(found)


def _left_to_hookups(
    root: Path | None,
    handlers: Sequence[ErrorHandler],
    setups: Sequence[ClientSetup],
    own_context: bool,
    modules: Mapping[str, str],
) -> tuple[ErrorHandler, ...]:
    """``handlers``, each whose server errors the hook-up captures before it runs left
    without a capture of its own (one server error, one ``$exception``), where the hook-up
    does capture them: not where edit leaves it out (a declared framework version it cannot
    run on, the project's own request context) or the client it captures through leaves
    exception autocapture off (every client of the project's code must turn it on: the
    generated client does)."""
    settled = []
    for handler in handlers:
        first = handler.captured_first
        if first is not None:
            captures = (
                not first.autocapture or _autocaptures(first.client, setups, modules)
            ) and not (
                first.to_add
                and (own_context or (root is not None and hookup_blocker(root, first.gate)))
            )
            handler = (
                dataclasses.replace(handler, server_error=False)
                if captures
                else dataclasses.replace(handler, captured_first=None)
            )
        settled.append(handler)
    return tuple(settled)


def hookup_autocaptures(setups: Sequence[ClientSetup]) -> bool:
    """Does the client edit gives a hook-up turn exception autocapture on (the hook-up
    captures unhandled errors only then; see ``_autocaptures``)?"""
    return _autocaptures(None, setups, {})


def _autocaptures(
    client: str | None, setups: Sequence[ClientSetup], modules: Mapping[str, str]
) -> bool:
    """Does ``client`` (see ``HookupCapture.client``) turn exception autocapture on? For the
    one edit gives the hook-up (None), or one not found, every client the project sets up
    must: the generated client does."""
    own = [s for s in setups if not is_test_file(s.file)]
    if client == "posthog":
        # The posthog module's own client autocaptures only where the project turns it on.
        return any(s.default for s in own) and all(
            s.exception_autocapture for s in own if s.default
        )
    named = [s for s in own if s.name and f"{modules.get(s.file)}.{s.name}" == client]
    return all(s.exception_autocapture for s in named or own)


def _within_declared_versions(
    root: Path | None, points: Sequence[AuthPoint]
) -> tuple[AuthPoint, ...]:
    """``points``, those whose edit relies on a release the project does not declare
    (a library's hook added later) read the way older releases allow, or else left
    untracked, with why."""
    found = []
    for point in points:
        if root is not None and point.needs is not None and point.untracked is None:
            package, minimum = point.needs
            reason = f"identifying this {point.kind} needs {package} {minimum} or later"
            gate = VersionGate(package, minimum, reason)
            blocked = hookup_blocker(root, gate)
            if blocked is not None and point.older is not None:
                point = point.older
            elif blocked is not None:
                point = dataclasses.replace(point, untracked=blocked)
        found.append(point)
    return tuple(found)


def _with_created_users(
    routes: Sequence[Route], points: Sequence[AuthPoint], classes: Sequence[ClassFacts] = ()
) -> tuple[AuthPoint, ...]:
    """``points``, plus a signup for each route that creates an account and logs nobody in
    (a registration confirmed by email): what it writes first is an account class the
    handler built (``user = User(...)``), and a stranger may use it (on a route only
    logged-in users reach, the account is made by someone else, an admin: an ordinary
    capture, sent as them). Its name or path says signup, or it is a POST that reads no
    current user in a project people log in to (``POST /users`` of an API whose tokens
    are had by logging in: who else makes an account there but the one it is for). The
    user becomes known where the write succeeded. A model form's save makes the account
    its ``Meta`` names (``user = form.save()``)."""
    covered = {(p.handler.file, p.handler.qualname) for p in points}
    logins = any(p.kind == "login" for p in points)
    # A model form's save answers its model's instance; a serializer's is proven by the
    # Django link, which reads its ``create``. Only a form of the account people log in
    # as: a profile's key is not the user's.
    account_savers = {
        c.qualname: c.model
        for c in classes
        if c.model is not None
        and c.qualname.endswith("Form")
        and _LOGIN_ACCOUNT.search(c.model.rsplit(".", 1)[-1])
    }
    found = list(points)
    for route in routes:
        key = (route.handler.file, route.handler.qualname)
        anchor = route.anchor
        if (
            key in covered
            or not route.mutating
            or route.ignored
            or route.members_only is not None
            or anchor is None
            or anchor.before
            or not route.written
        ):
            continue
        if not SIGNUP_WORDS.search(f"{route.handler.name} {route.path}") and not (
            logins
            and route.user_access is None
            and "POST" in route.methods
            # made here, not an account it looked up and changed (an email confirmed)
            and route.existing_change is None
        ):
            continue
        user = _created_account(route, account_savers)
        if user is None:
            continue
        covered.add(key)
        found.append(
            AuthPoint(
                "signup",
                route.framework,
                route.handler,
                anchor.line,
                route.written[0],
                user,
                "created",
                proven=route.proven,
                typed=route.typed,
            )
        )
    return tuple(found)


def _created_account(route: Route, account_savers: Mapping[str, str]) -> str | None:
    """The local holding the account the route wrote first: an instance of the account
    class (``user = User(...)``), or what a saver of accounts answered (``user =
    form.save()``), never the form or serializer itself (it has no key)."""
    written = route.written[0]
    for name, kind in route.typed:
        kind = kind.rstrip("?")
        if _NO_ACCOUNT.search(written):
            owner, _, method = kind.rpartition(".")
            if method == "save" and owner.rsplit(".", 1)[-1] == written and owner in account_savers:
                return name
        elif kind.rsplit(".", 1)[-1] == written and _ACCOUNT_CLASS.search(written):
            return name
    return None


def _unsupported(
    results: Sequence[FileResult], supported: Sequence[FrameworkAnalyser]
) -> tuple[tuple[str, str], ...]:
    """(framework, the first file importing it) for each unsupported web framework found.

    A package of an analysed framework (Starlette under FastAPI too) is never unsupported,
    so ``UNSUPPORTED`` need not change when a framework is added; tests and examples that
    import a framework do not make the project use it.
    """
    own = {package for analyser in supported for package in analyser.packages}
    found: dict[str, str] = {}
    for result in sorted(results, key=lambda r: r.file):
        for module in result.unsupported:
            if module in own:
                continue
            found.setdefault(UNSUPPORTED[module], result.file)
    return tuple(sorted(found.items()))


def _project_name(
    root: Path | None, apps: Sequence[AppObject], facts: Sequence[ModuleFacts]
) -> str:
    """What the project calls itself: its declared name, else its app package, else its folder.

    Never the folder alone when there is better: output must not depend on where the
    project happens to be checked out.
    """
    declared = declared_name(root) if root is not None else None
    if declared:
        return declared
    package = _app_package(apps, facts)
    if package:
        return package.split(".", 1)[0]
    return root.name if root is not None else ""


def source_roots(files: Sequence[str]) -> tuple[str, ...]:
    """The folders of the project's Python ``files`` that the app's runtime puts on
    ``sys.path``: ``src`` of a src layout, and the folder of a Django project's
    ``manage.py`` (which runs from there), where neither is a package itself."""
    roots = []
    present = set(files)
    if any(f.startswith("src/") for f in files) and "src/__init__.py" not in present:
        roots.append("src")
    for file in files:
        folder, _, name = file.rpartition("/")
        if name == "manage.py" and folder and f"{folder}/__init__.py" not in present:
            roots.append(folder)
    return tuple(sorted(set(roots)))


def analyse_project(
    root: Path,
    analysers: Sequence[FrameworkAnalyser],
    *,
    jobs: int | None = None,
    exclude: Sequence[str] = (),
    use_cache: bool = True,
    overlay: Mapping[str, bytes] | None = None,
    max_file_kb: int = MAX_FILE_KB,
) -> Analysis:
    """Analyse every Python file of the project at ``root``.

    Per-file results are cached by content (see ``posthog_setup.project.cache``)
    unless ``use_cache`` is false. A file larger than ``max_file_kb`` (a generated module,
    a data dump) is listed as skipped, unread: nobody writes routes that long, and its
    edit would cost minutes and gigabytes.
    """
    readers = [a for a in analysers if isinstance(a, ReadsProjectFiles)]
    files = project_files(
        root, also=lambda f: secrets.is_scanned_for_keys(f) or any(r.reads(f) for r in readers)
    )
    if exclude:
        excluded = exclusion_spec(exclude)
        files = [f for f in files if not excluded.match_file(f)]
    too_big = _too_big(root, files, max_file_kb, overlay or {})
    files = [f for f in files if f not in too_big]
    configured = ResultCache.open(root, "configured") if use_cache else None
    analysers, read_digest = for_project(
        analysers, files, lambda f: _read_text(root, f, overlay or {}), cache=configured
    )
    if configured is not None:
        configured.save()
    files = [f for f in files if f.endswith(".py") or secrets.is_scanned_for_keys(f)]
    roots = source_roots([f for f in files if f.endswith(".py")])
    salt = f"{roots}:{','.join(a.name for a in analysers)}"
    if read_digest:
        # What the analysers read of the configuration decides what they find in a file.
        salt += f":{read_digest}"
    cache = ResultCache.open(root, "analysis", salt=salt) if use_cache else None
    results = analyse_files(
        root, files, analysers, jobs=jobs, source_roots=roots, cache=cache, overlay=overlay
    )
    if cache is not None:
        cache.save()
    results += [FileResult(f, skipped=SkippedFile(f, reason)) for f, reason in too_big.items()]
    return link(root, results, analysers)


def _read_text(root: Path, file: str, overlay: Mapping[str, bytes]) -> str | None:
    """The text of a project file (from ``overlay`` where given); None if unreadable."""
    try:
        data = overlay[file] if file in overlay else (root / file).read_bytes()
    except OSError:
        return None
    return data.decode("utf-8", "replace").removeprefix("\ufeff")


def for_project(
    analysers: Sequence[FrameworkAnalyser],
    files: Sequence[str],
    read: Callable[[str], str | None],
    *,
    cache: ResultCache | None = None,
) -> tuple[list[FrameworkAnalyser], str]:
    """The analysers, each that reads configuration (``ReadsProjectFiles``) told what the
    project's says, and a digest of all they read ("" for nothing). Each file is read once;
    a test's configuration is not the project's.

    A configured analyser depends only on what it read and on the project's Python files,
    so ``cache`` keeps it under a digest of both: an unchanged project's models modules
    (the Django analyser parses and binds each) are not read into classes again."""
    texts: dict[str, str] = {}
    configured: list[FrameworkAnalyser] = []
    python_files = [f for f in files if f.endswith(".py")]
    listing = file_digest("\0".join(python_files).encode()) if cache is not None else ""
    for analyser in analysers:
        if not isinstance(analyser, ReadsProjectFiles):
            configured.append(analyser)
            continue
        mine: dict[str, str] = {}
        for file in files:
            if is_test_file(file) or not analyser.reads(file):
                continue
            if file not in texts:
                text = read(file)
                if text is None:
                    continue
                texts[file] = text
            mine[file] = texts[file]
        if not mine:
            configured.append(analyser)
            continue
        key = ""
        if cache is not None:
            read_key = "\0".join(f"{f}\0{mine[f]}" for f in sorted(mine))
            key = f"{analyser.name}:{listing}:{file_digest(read_key.encode())}"
            known = cache.get(key)
            if known is not None:
                configured.append(known)
                continue
        made = analyser.for_project(mine, python_files)
        if cache is not None:
            cache.put(key, made)
        configured.append(made)
    if not texts:
        return configured, ""
    digest = file_digest("\0".join(f"{f}\0{texts[f]}" for f in sorted(texts)).encode())
    return configured, digest


def _too_big(
    root: Path, files: Sequence[str], max_kb: int, overlay: Mapping[str, bytes]
) -> dict[str, str]:
    """The files larger than ``max_kb`` kilobytes, each with why it is skipped."""
    found = {}
    for file in files:
        try:
            size = len(overlay[file]) if file in overlay else (root / file).stat().st_size
        except OSError:
            continue  # unreadable: the analysis says so
        if size > max_kb * 1000:
            found[file] = (
                f"larger than {max_kb} KB ({size // 1000} KB): left alone "
                "(raise max-file-kb in [tool.posthog-setup] to analyse it)"
            )
    return found


def analyse_sources(
    sources: Mapping[str, str | bytes], analysers: Sequence[FrameworkAnalyser]
) -> Analysis:
    """Analyse in-memory files (relative posix path -> source), as a project with no manifests."""
    texts = {
        file: content if isinstance(content, str) else content.decode("utf-8", "replace")
        for file, content in sources.items()
    }
    analysers, _ = for_project(analysers, sorted(sources), texts.get)
    roots = source_roots([f for f in sources if f.endswith(".py")])
    results = []
    for file in sorted(sources):
        content = sources[file]
        if isinstance(content, str) and not file.endswith(".py"):
            content = content.encode("utf-8")
        if isinstance(content, bytes):
            results.append(_analyse_data(file, content, analysers, roots))
        else:
            results.append(analyse_text(file, content, analysers, source_roots=roots))
    return link(None, results, analysers)
