"""edit: apply the plan: dependency, client module, framework hook-up, captures, env files.

Every edit is computed first, as data (``FileChange``), from the files as they are;
nothing is written until all of them succeeded and every changed Python file
still compiles. Then ``--diff`` prints, ``--check`` reports, and otherwise all
files are written as one transaction (``project.transaction``): all or none.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import re
import signal
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from posthog_setup.analysis.definitions import FileDefinitions
from posthog_setup.analysis.model import Analysis, AppObject, EnvSettings
from posthog_setup.codemods.changes import (
    ClientImport,
    EditError,
    FileChange,
    client_import,
)
from posthog_setup.codemods.placement import build_points
from posthog_setup.codemods.points import FilePoints
from posthog_setup.codemods.present import already_present
from posthog_setup.console import Console
from posthog_setup.exits import Exit
from posthog_setup.frameworks import registry
from posthog_setup.parallel import process_map
from posthog_setup.plan.plan import (
    PLAN_FILE,
    Plan,
    plan_to_json,
    receivers_file,
)
from posthog_setup.plan.sdk import oldest_python
from posthog_setup.project.cache import ResultCache, file_digest
from posthog_setup.project.discovery import tracked_by_git
from posthog_setup.project.files import SourceText, UnreadableFile, decode_source
from posthog_setup.project.python_version import python_below
from posthog_setup.project.syntax import compiled_tree
from posthog_setup.project.transaction import TransactionFailed, Write, commit_changes
from posthog_setup.project.versions import allows_at_least, declared_specifiers, hookup_blocker
from posthog_setup.workflow import render
from posthog_setup.workflow.begin import BeginResult, plan_at

if TYPE_CHECKING:
    from posthog_setup.templating import SettingsSource

DEFAULT_HOST = "https://us.i.posthog.com"


class EditRefused(Exception):
    """An input the edit cannot handle safely; nothing is written, the message says why."""


def _too_deep(path: str) -> EditRefused:
    return EditRefused(
        f"{path}: an expression is nested too deeply for the editor (libcst) to rewrite it; "
        "nothing was written (exclude the file in [tool.posthog-setup] or simplify it)"
    )


@dataclass
class _Workspace:
    """The files an edit run reads and the new content it proposes, by relative path."""

    root: Path
    originals: dict[str, bytes | None]
    proposed: dict[str, bytes]
    notes: list[str]
    #: content already known to compile, by path
    compiled: dict[str, bytes] = field(default_factory=dict)
    #: why each file is changed (what is missing there without the change), by path
    reasons: dict[str, list[str]] = field(default_factory=dict)

    def current(self, path: str) -> bytes | None:
        if path in self.proposed:
            return self.proposed[path]
        if path not in self.originals:
            target = self.root / path
            self.originals[path] = target.read_bytes() if target.is_file() else None
        return self.originals[path]

    def propose(self, path: str, data: bytes, reason: str) -> None:
        self.current(path)
        self.proposed[path] = data
        if reason not in self.reasons.setdefault(path, []):
            self.reasons[path].append(reason)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def edit_python(self, path: str, edit: Callable[[str], str], reason: str) -> None:
        _edit_python(self, path, edit, reason)

    def changes(self) -> list[FileChange]:
        return [
            FileChange(
                path, self.originals.get(path), data, reasons=tuple(self.reasons.get(path, ()))
            )
            for path, data in sorted(self.proposed.items())
            if self.originals.get(path) != data
        ]


def _edit_python(workspace: _Workspace, path: str, edit: Callable[[str], str], reason: str) -> None:
    """Apply ``edit(text) -> text`` to a Python file, keeping its encoding, BOM and newlines."""
    data = workspace.current(path)
    if data is None:
        workspace.notes.append(f"{path}: not found; left alone")
        return
    try:
        source = decode_source(data)
    except UnreadableFile as exc:
        workspace.notes.append(f"{path}: {exc}; left alone")
        return
    try:
        new_text = edit(source.text)
    except EditError as exc:
        workspace.notes.append(str(exc))
        return
    except RecursionError:
        raise _too_deep(path) from None
    if new_text != source.text:
        workspace.propose(path, source.encode(new_text), reason)


def _env_example(workspace: _Workspace, plan: Plan) -> None:
    path = ".env.example"
    data = workspace.current(path)
    try:
        text = data.decode("utf-8") if data is not None else ""
    except UnicodeDecodeError as exc:
        raise EditRefused(
            f"{path} is not valid UTF-8 (byte {exc.start}): save it as UTF-8 so the PostHog "
            "variables can be added; nothing was written"
        ) from None
    present = {
        line.split("=", 1)[0].strip()
        for line in text.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    missing = []
    if plan.setup.token_var not in present:
        missing.append(f"{plan.setup.token_var}=")
    if plan.setup.host_var not in present:
        missing.append(f"{plan.setup.host_var}={DEFAULT_HOST}")
    if not missing:
        return
    newline = "\r\n" if "\r\n" in text else "\n"
    block = ["# PostHog: the project token (Project settings) and the ingestion host.", *missing]
    if text and not text.endswith(("\n", "\r\n")):
        text += newline
    if text:
        text += newline
    workspace.propose(
        path,
        (text + newline.join(block) + newline).encode("utf-8"),
        f"does not document {plan.setup.token_var} and {plan.setup.host_var}",
    )


def _gitignore(workspace: _Workspace) -> None:
    path = ".gitignore"
    if (workspace.root / ".env").is_file() and tracked_by_git(workspace.root, ".env"):
        workspace.notes.append(
            ".env is tracked by git: ignoring it does not keep a token written there out of "
            "the repository; untrack it (`git rm --cached .env`) before you put the token in it."
        )
    data = workspace.current(path)
    text = data.decode("utf-8", "surrogateescape") if data is not None else ""
    if any(
        line.strip() in (".env", "/.env", ".env*", "*.env", ".env.*") for line in text.splitlines()
    ):
        return
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith(("\n", "\r\n")):
        text += newline
    workspace.propose(
        path, (text + ".env" + newline).encode("utf-8", "surrogateescape"), ".env is not ignored"
    )


def _uninstrumented(analysis: Analysis) -> bool:
    """Is there a change, a login or a server error the code does not report yet?"""
    return (
        any(r.mutating and not r.ignored and not r.captures for r in analysis.routes)
        or bool(analysis.auth_points)
        or any(h.server_error and not h.captures for h in analysis.error_handlers)
    )


def token_to_set(plan: Plan) -> str | None:
    """The variable people set after the edit: our client module's token, not the one of a
    client the project set up itself (it reads what it reads)."""
    return None if plan.setup.adopted else plan.setup.token_var


def unreachable_client(analysis: Analysis, plan: Plan) -> str:
    """Why nothing was instrumented: the project's client cannot be imported."""
    setup = next((s for s in analysis.client_setups if s.file == plan.setup.client_module), None)
    where = f"{setup.file}:{setup.line}" if setup is not None else plan.setup.client_module
    return (
        f"{where}: the project sets up its PostHog client inside a function, where edited code "
        "cannot import it, so nothing was instrumented (a second client would split the "
        "project's events): bind the client to a module-level name, or set client-module in "
        "[tool.posthog-setup], then run posthog-setup edit again"
    )


def _client_module(workspace: _Workspace, analysis: Analysis, plan: Plan) -> None:
    path = plan.setup.client_module
    if plan.setup.adopted:
        return  # the project's own
    existing = workspace.current(path)
    if existing is None:
        from posthog_setup.templating import render_client_module  # jinja2: only to create it

        settings = _settings_source(analysis, plan)
        settings_files = None if settings else _settings_env_files(analysis, path)
        rendered = render_client_module(
            project_name=analysis.project.name,
            token_var=plan.setup.token_var,
            host_var=plan.setup.host_var,
            settings=settings,
            dotenv=settings_files == () or _in_package_of(path, analysis.dotenv_modules),
            decouple=settings_files is None and _in_package_of(path, analysis.decouple_modules),
            env_files=settings_files or (),
        )
        workspace.propose(path, rendered.encode("utf-8"), "the PostHog client module is missing")
    elif b"Posthog(" not in existing and b"posthog_client" not in existing:
        workspace.notes.append(
            f"{path}: exists and does not set up a PostHog client; choose another client-module"
        )


def _field_name(found: EnvSettings, variable: str) -> str:
    """The field that reads ``variable``, spelled as the class spells its fields."""
    return variable if found.upper or found.case_sensitive else variable.lower()


def _settings_source(analysis: Analysis, plan: Plan) -> SettingsSource | None:
    """The settings object a new client module can read its variables from, where the
    project keeps them in an env file only its settings read.

    Only a class edit declares both variables in (so their type is ours: ``str``), with a
    module-level instance, in the client module's own package, whose module imports
    nothing of that package (so importing it from the client module cannot close a loop).
    """
    token, host = plan.setup.token_var, plan.setup.host_var
    found = [
        s
        for s in analysis.env_settings
        if s.strict
        and s.instance
        and not s.declares(token)
        and not s.declares(host)
        and not s.env_prefix
    ]
    package = _package_of(plan.setup.client_module)
    if len(found) != 1 or not package or _import_root(analysis, plan.setup.client_module):
        return None
    (chosen,) = found
    if _package_of(chosen.file) != package or chosen.module.split(".")[0] != package:
        return None
    if not all(part.isidentifier() for part in chosen.module.split(".")):
        return None
    if package in chosen.imports or "." in chosen.imports:
        return None
    from posthog_setup.templating import SettingsSource  # jinja2: only to create the client

    return SettingsSource(
        chosen.module, chosen.instance, _field_name(chosen, token), _field_name(chosen, host)
    )


def _settings_env_files(analysis: Analysis, client: str) -> tuple[str, ...] | None:
    """The env files the settings classes of the client module's package read, for a client
    that cannot read a settings object (no module-level instance, a prefix, an import
    loop): pydantic-settings keeps their lines out of ``os.environ``, so the client reads
    them itself, with python-dotenv (which pydantic-settings requires). None where no such
    class is there; () where one reads a file not written as a literal (the client then
    reads the nearest .env)."""
    found = [
        s
        for s in analysis.env_settings
        if _package_of(s.file) == _package_of(client)
        and (not s.dotenv_optional or _has_dotenv(analysis))
    ]
    if not found:
        return None
    if not all(s.env_files for s in found):
        return ()
    return tuple(dict.fromkeys(f for s in found for f in s.env_files))


def _has_dotenv(analysis: Analysis) -> bool:
    """Does the project install python-dotenv (declares it, or imports it on import)?"""
    root = Path(analysis.project.root)
    return bool(analysis.dotenv_modules or declared_specifiers(root, "python-dotenv"))


def _in_package_of(path: str, modules: Sequence[str]) -> bool:
    """Is one of ``modules`` in the top-level package of ``path`` (never a top-level module)?"""
    return any(_package_of(module) == _package_of(path) != "" for module in modules)


def _package_of(path: str) -> str:
    """The top-level package a project file belongs to ("" for a top-level module)."""
    parts = path.split("/")
    if parts[0] == "src" and len(parts) > 2:
        parts = parts[1:]
    return parts[0] if len(parts) > 1 else ""


def _settings_fields(workspace: _Workspace, analysis: Analysis, plan: Plan) -> None:
    """Declare the client module's variables in each settings class that reads an env
    file and would refuse them there (pydantic-settings forbids undeclared inputs)."""
    for found in analysis.env_settings:
        if not found.strict:
            continue
        variables = [
            v for v in (plan.setup.token_var, plan.setup.host_var) if not found.declares(v)
        ]
        if not variables:
            continue
        lines = [
            f"# Declared so that {plan.setup.client_module}'s variables are accepted in the env file.",
            *(f'{_field_name(found, v)}: str = ""' for v in variables),
        ]
        workspace.edit_python(
            found.file,
            functools.partial(_declare_in_class, path=found.file, cls=found.name, lines=lines),
            f"{found.name} would refuse {' and '.join(variables)} in its env file",
        )


def _declare_in_class(text: str, *, path: str, cls: str, lines: Sequence[str]) -> str:
    """``text`` with ``lines`` added at the end of the body of class ``cls``."""
    try:
        tree = compiled_tree(text, path)
    except (SyntaxError, ValueError):
        return text
    node = next((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls), None)
    if node is None or node.body[0].lineno == node.lineno:
        return text  # gone, or a one-line class: nothing safe to add to
    indent = " " * node.body[0].col_offset
    end = node.body[-1].end_lineno or node.body[-1].lineno
    source_lines = text.splitlines(keepends=True)
    newline = "\r\n" if source_lines[0].endswith("\r\n") else "\n"
    if not source_lines[end - 1].endswith(("\n", "\r")):
        source_lines[end - 1] += newline
    added = [f"{indent}{line}{newline}" for line in lines]
    return "".join([*source_lines[:end], *added, *source_lines[end:]])


_RELATIVE_IMPORT = re.compile(rb"^from \.", re.MULTILINE)


def _relative_style(workspace: _Workspace, path: str) -> bool:
    """Does the file import project code relatively? (A text test: no second parse.)"""
    data = workspace.current(path)
    return data is not None and _RELATIVE_IMPORT.search(data) is not None


def _hook_up(
    workspace: _Workspace,
    app: AppObject,
    plan: Plan,
    analysis: Analysis,
    cache: ResultCache | None = None,
) -> None:
    """The framework hook-up in the app's file. A file whose content the same hook-up left
    unchanged before is known by its digest: a no-op check then loads no libcst at all.
    What that hook-up noted (why it left the file as it is: a framework version that lacks
    what it needs) is kept with the verdict and said again."""
    data = workspace.current(app.file)
    receivers = receivers_file(plan.setup.client_module)
    framework = registry.by_app_kind(app.kind)
    gate = framework.version_gate if framework is not None else None
    # Everything the hook-up reads besides the file: the declared framework version (which
    # can leave the integration out), the receivers it writes, the auth events they send,
    # the extensions the project's apps use, and the project's own context middlewares.
    key = (
        f"hookup:{app.kind}:{app.name}:{app.factory}:{app.file}:{app.import_root}:"
        f"{plan.setup.client_module}:"
        f"{plan.setup.client_name}:{plan.setup.adopted}:{plan.setup.default_client}:"
        f"{_import_root(analysis, app.file)}:{sorted(c.name for c in analysis.own_contexts)}:"
        f"{sorted({a.extension for a in analysis.apps if a.extension})}:"
        f"{sorted(e.kind for e in plan.events if e.file == receivers)}:"
        f"{workspace.current(receivers) is not None}:{hookup_blocker(workspace.root, gate)}:"
        f"{file_digest(data) if data is not None else ''}"
    )
    known = cache.get(key) if cache is not None and data is not None else None
    if isinstance(known, tuple):
        for note in known:
            workspace.note(note)
        return
    proposed_before, notes_before = dict(workspace.proposed), len(workspace.notes)
    _hook_up_uncached(workspace, app, plan, analysis)
    if cache is not None and data is not None and workspace.proposed == proposed_before:
        cache.put(key, tuple(workspace.notes[notes_before:]))


def _import_root(analysis: Analysis, file: str) -> str:
    """The folder a runtime imports ``file`` from, where that is not the project's root (a
    Lambda function's code folder)."""
    roots = [r for r in analysis.import_roots if file.startswith(r + "/")]
    return max(roots, key=len, default="")


def _client_outside_code_folder(analysis: Analysis, plan: Plan, file: str) -> str | None:
    """Why ``file`` cannot import the client where it runs, if it cannot: its runtime
    imports from a folder that does not hold the client module."""
    root = _import_root(analysis, file)
    if not root or plan.setup.default_client or plan.setup.client_module.startswith(root + "/"):
        return None
    return (
        f"{file}: left as it is: its deployment runs it from {root}/, which does not hold the "
        f"client module {plan.setup.client_module}; set client-module in [tool.posthog-setup] "
        f"to a path under {root}/ (each deployed folder needs a client module of its own)"
    )


def _hook_up_uncached(
    workspace: _Workspace, app: AppObject, plan: Plan, analysis: Analysis
) -> None:
    framework = registry.by_app_kind(app.kind)
    if framework is None:
        return
    data = workspace.current(app.file) or b""
    own = next(
        (c for c in analysis.own_contexts if re.search(rb"\b%s\b" % c.name.encode(), data)),
        None,
    )
    if own is not None:
        # The project opens PostHog's request context itself: one is enough.
        return
    unreachable = _client_outside_code_folder(analysis, plan, app.file)
    if unreachable is not None:
        workspace.note(unreachable)
        return
    client = client_import(
        app.file,
        plan.setup.client_module,
        relative=_relative_style(workspace, app.file),
        root=workspace.root,
        name=plan.setup.client_name,
        import_root=_import_root(analysis, app.file),
        module_default=plan.setup.default_client,
    )
    framework.hook_up(workspace, app, plan, client, analysis)


@dataclass(frozen=True)
class _RouteJob:
    """One file's route edits, as sent to a worker process."""

    file: str
    text: str
    points: FilePoints
    client: ClientImport


def _apply_route_job(job: _RouteJob) -> tuple[str | None, list[str], str | None]:
    """The edited text (None if the file cannot be edited), notes for people, and why the
    edited text does not compile (None when it does: checked here, on the worker's core)."""
    if already_present(job.text, job.points, job.client.name):
        # Every point is there already (read off ast): no libcst parse, and on a check
        # with an empty cache no libcst import at all.
        return job.text, [], None
    from posthog_setup.codemods.routes import instrument_file_with_notes

    try:
        new_text, notes = instrument_file_with_notes(job.text, job.file, job.points, job.client)
    except EditError as exc:
        return None, [str(exc)], None
    except RecursionError:
        raise _too_deep(job.file) from None
    return new_text, notes, _compile_error(new_text, job.file) if new_text != job.text else None


def _compile_error(text: str, path: str) -> str | None:
    try:
        try:
            compile(text, path, "exec", dont_inherit=True)
        except SyntaxError:
            # Syntax newer than the running Python is not an error: read it the other way.
            compiled_tree(text, path)
    except (SyntaxError, ValueError) as exc:
        return f"{path}: {exc}"
    return None


#: Files of route edits below which one process is faster than a pool.
_PARALLEL_ROUTE_FILES = 40


def _job_key(job: _RouteJob) -> str:
    # repr, not pickle: the key must depend on values only, never on object sharing.
    return file_digest(repr((job.file, job.text, job.points, job.client)).encode())


def _route_edits(
    workspace: _Workspace, analysis: Analysis, plan: Plan, cache: ResultCache | None
) -> None:
    decoded: dict[str, SourceText] = {}
    for file in {e.file for e in plan.events} | {c.file for c in plan.exception_captures}:
        data = workspace.current(file)
        if data is not None:
            with contextlib.suppress(UnreadableFile):
                decoded[file] = decode_source(data)
    jobs = [
        _RouteJob(
            file,
            decoded[file].text,
            points,
            client_import(
                file,
                plan.setup.client_module,
                relative=_relative_style(workspace, file),
                root=workspace.root,
                name=plan.setup.client_name,
                import_root=_import_root(analysis, file),
                module_default=plan.setup.default_client,
            ),
        )
        for file, points in build_points(analysis, plan).items()
        if file in decoded and _client_outside_code_folder(analysis, plan, file) is None
    ]
    # A file whose text and insertion points are as on a run that changed nothing is
    # left alone without parsing it again (revise on an unchanged project).
    keys = {job.file: _job_key(job) for job in jobs} if cache is not None else {}
    unchanged = {job.file: cache.get(keys[job.file]) for job in jobs} if cache is not None else {}
    for notes in unchanged.values():
        if notes is not None:
            workspace.notes.extend(notes)
    jobs = [job for job in jobs if unchanged.get(job.file) is None]
    # A file complete by the definitions the analysis read off this very text needs no
    # parse at all (an integrated project's check); the others go to the codemods.
    read = dict(analysis.definitions)
    complete: list[_RouteJob] = []
    rest: list[_RouteJob] = []
    for job in jobs:
        (complete if _complete_as_analysed(job, read.get(job.file)) else rest).append(job)
    jobs = rest
    if len(jobs) >= _PARALLEL_ROUTE_FILES and any(j.client.name not in j.text for j in jobs):
        # Files the codemods must edit (they do not even name the client): load libcst
        # once, here, so forked workers start with it instead of each importing it again.
        # A check of complete files needs none of it.
        import posthog_setup.codemods.routes  # noqa: F401
    results = process_map(_apply_route_job, jobs, min_items=_PARALLEL_ROUTE_FILES)
    if cache is not None:
        for job in complete:
            cache.put(keys[job.file], ())
    for job, (new_text, notes, broken) in zip(jobs, results, strict=True):
        workspace.notes.extend(notes)
        if cache is not None and (new_text is None or new_text == job.text):
            cache.put(keys[job.file], tuple(notes))
        if new_text is not None and new_text != job.text:
            data = decoded[job.file].encode(new_text)
            workspace.propose(job.file, data, _missing(job.points))
            if broken is None:
                workspace.compiled[job.file] = data


def _complete_as_analysed(job: _RouteJob, read: FileDefinitions | None) -> bool:
    """Does the job's file have every point already, by the definitions the analysis read
    off the same text? False where it read none (or another text): then the codemods see."""
    definitions = read.of(job.text) if read is not None else None
    return definitions is not None and already_present(
        job.text, job.points, job.client.name, definitions
    )


def _missing(points: FilePoints) -> str:
    """What a file's route edits add, as what is missing without them."""
    events = [
        *(p.event for p in points.captures),
        *(p.event for p in points.identifies),
        *(p.event for p in points.logouts),
    ]
    missing = [f"{', '.join(dict.fromkeys(events))} not sent"] if events else []
    if points.exceptions:
        missing.append("server errors not captured")
    return "; ".join(missing) or "part of the integration is missing here"


def _dependency(workspace: _Workspace, root: Path, analysis: Analysis) -> None:
    floor = registry.sdk_floor(analysis.project.frameworks)
    declared = [m.posthog_requirement for m in analysis.project.manifests if m.posthog_requirement]
    if declared and all(allows_at_least(r, floor.version) for r in declared):
        # Already required at a version the generated code works with: nothing to add,
        # and no manifest editor (libcst, tomlkit) to load for it.
        return
    from posthog_setup.codemods.dependency import add_posthog_dependency

    edit = add_posthog_dependency(
        root,
        analysis.project.dependency_manager,
        analysis.project.manifests,
        requirement=floor.requirement,
        reason=floor.reason,
    )
    for change in edit.changes:
        workspace.current(change.path)
        workspace.propose(change.path, change.after, "posthog is not declared as a dependency")
    workspace.notes.extend(edit.notes)


def _plan_file(workspace: _Workspace, result: BeginResult, cache: ResultCache | None) -> None:
    """Write the plan, unless the file on disk already is its canonical text.

    The file holds what was read as ``result.previous``; if that is the plan and the
    cache knows these bytes as canonical output, serialising again is skipped.
    """
    current = workspace.current(PLAN_FILE)
    key = f"plan:{file_digest(current)}" if current is not None else None
    if (
        cache is not None
        and key is not None
        and result.plan.same_contract(result.previous)
        and cache.get(key) is not None
    ):
        return
    text = plan_to_json(result.plan).encode("utf-8")
    workspace.propose(PLAN_FILE, text, f"{PLAN_FILE} is out of date")
    if cache is not None and key is not None and text == current:
        cache.put(key, True)


@dataclass(frozen=True)
class ProposedEdit:
    """What an edit run would write: the changes, notes for people, and any change that
    would not compile (an internal error: then nothing may be written)."""

    changes: list[FileChange]
    notes: list[str]
    uncompilable: list[str]


def compute_changes(
    root: Path,
    result: BeginResult,
    *,
    cache: ResultCache | None = None,
    base: Mapping[str, bytes] | None = None,
) -> ProposedEdit:
    """Every file the edit would change, and notes for people; writes nothing.

    ``cache`` remembers files whose route edits changed nothing, by content;
    ``base`` holds changes already made (by revise's fixes) to build on.
    """
    if not result.plan.setup.adopted:
        shadow = _shadowed_sdk(root, result.plan.setup.client_module)
        if shadow is not None:
            raise EditRefused(
                f"{shadow} hides the posthog package from the client module (its `from posthog "
                "import Posthog` would import it instead): rename it, then run edit again; "
                "nothing was written"
            )
    workspace = _Workspace(root, {}, {}, [])
    old_python = _old_python(root, result.analysis)
    if old_python is not None:
        workspace.notes.append(old_python)
    for path, data in (base or {}).items():
        workspace.propose(path, data, "flagged calls to fix")
    analysis, plan = result.analysis, result.plan
    if not plan.setup.unreachable:
        # Route edits first: they locate handlers by the analysed line numbers.
        _route_edits(workspace, analysis, plan, cache)
        for app in registry.applications(analysis.apps):
            _hook_up(workspace, app, plan, analysis, cache)
        _client_module(workspace, analysis, plan)
        if not plan.setup.adopted:
            _settings_fields(workspace, analysis, plan)
    elif _uninstrumented(analysis):
        workspace.notes.append(unreachable_client(analysis, plan))
    _dependency(workspace, root, analysis)
    if not plan.setup.adopted:
        # The variables our client module reads; the project's own client reads its own.
        _env_example(workspace, plan)
        _gitignore(workspace)
    _plan_file(workspace, result, cache)
    changes = workspace.changes()
    return ProposedEdit(changes, workspace.notes, _uncompilable(changes, workspace.compiled))


def _shadowed_sdk(root: Path, client_module: str) -> str | None:
    """The project's own ``posthog`` module or package, if one sits where the client
    module's imports start (the folder above its packages): it would be imported in place
    of the SDK."""
    folder = PurePosixPath(client_module).parent
    while str(folder) != "." and (root / folder / "__init__.py").is_file():
        folder = folder.parent
    for candidate in (folder / "posthog.py", folder / "posthog"):
        if (root / candidate).exists():
            return str(candidate)
    return None


#: Dependency managers that lock for every Python the project allows.
_LOCKERS = frozenset({"uv", "poetry", "pdm"})


def _old_python(root: Path, analysis: Analysis) -> str | None:
    """Why the dependency cannot install where the project says it runs, if it cannot.

    Said, not refused: such a declaration is often older than the Python the app really
    runs on (a Heroku ``runtime.txt`` nobody updated), and the reader knows which.
    """
    floor = registry.sdk_floor(analysis.project.frameworks)
    needed = oldest_python(floor)
    found = python_below(root, needed, locked=analysis.project.dependency_manager in _LOCKERS)
    if found is None:
        return None
    if found.locked:
        return (
            f"{found.source} allows Python {found.version[0]}.{found.version[1]}, and its lock "
            f"is resolved for every Python it allows: posthog {floor.version} or later, which "
            f"the integration needs, installs only on Python {needed[0]}.{needed[1]} or later, "
            f"so the lock fails; raise the project's Python to {needed[0]}.{needed[1]}+"
        )
    return (
        f"{found.source} says Python {found.version[0]}.{found.version[1]}: posthog "
        f"{floor.version} or later, which the integration needs, installs only on Python "
        f"{needed[0]}.{needed[1]} or later; where the app runs on that Python, move it to "
        f"{needed[0]}.{needed[1]}+ (or correct {found.source})"
    )


def _uncompilable(changes: Sequence[FileChange], compiled: dict[str, bytes]) -> list[str]:
    """Changed Python files that would not compile (those already checked are skipped)."""
    broken = []
    for change in changes:
        if not change.path.endswith(".py") or compiled.get(change.path) == change.after:
            continue
        try:
            error = _compile_error(decode_source(change.after).text, change.path)
        except UnreadableFile as exc:
            error = f"{change.path}: {exc}"
        if error is not None:
            broken.append(error)
    return broken


def _dirty(root: Path, paths: Sequence[str]) -> list[str]:
    """Files among ``paths`` with uncommitted changes or not in git at all (untracked).

    Exactly ``paths`` are checked: with none, nothing is (a bare pathspec would mean
    the whole repository). Outside a git checkout nothing is dirty.
    """
    if not paths:
        return []
    try:
        result = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "status",
                "--porcelain",
                "-z",
                "--untracked-files=all",
                "--",
                *(f":(literal){path}" for path in paths),
            ],
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if result.returncode != 0:
        return []
    entries = iter(result.stdout.decode("utf-8", "surrogateescape").split("\0"))
    dirty = []
    for entry in entries:
        if not entry:
            continue
        dirty.append(entry[3:])
        if entry[0] in "RC":
            next(entries, None)  # a rename's or copy's source path follows
    return sorted(dirty)


@dataclass(frozen=True)
class Written:
    """What one transaction wrote (see ``project.transaction``)."""

    paths: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: why the write stopped: nothing was written, or (after a signal) only ``paths``
    error: str | None = None
    #: a signal that arrived during the write, to raise again once it is reported
    signal_number: int | None = None


def write_all(root: Path, changes: Sequence[FileChange]) -> Written:
    """Write ``changes`` as one transaction."""
    try:
        committed = commit_changes(root, [Write(c.path, c.after) for c in changes])
    except TransactionFailed as exc:
        return Written(error=str(exc), signal_number=exc.signal_number)
    done = set(committed.written)
    paths = tuple(c.path for c in changes if c.path in done)
    if committed.held_signal is None:
        return Written(paths, tuple(committed.notes))
    name = signal.Signals(committed.held_signal).name
    stopped = f"stopped by {name} after the write: every file above was written"
    return Written(paths, tuple(committed.notes), stopped, committed.held_signal)


def raise_held(written: Written) -> None:
    """Terminate as the SIGTERM that interrupted the write would have (once it is reported)."""
    if written.signal_number == signal.SIGTERM:
        signal.raise_signal(signal.SIGTERM)


@dataclass(frozen=True)
class EditOutcome:
    """What the edit stage did, or (``preview``: ``--check`` / ``--diff``) would do."""

    code: Exit
    #: why the edit could not run at all
    refused: str | None = None
    #: changes that would not compile (an internal error: nothing is written)
    uncompilable: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    changes: tuple[FileChange, ...] = ()
    preview: bool = False
    #: files with uncommitted changes the edit would overwrite (nothing is written)
    dirty: tuple[str, ...] = ()
    written: Written | None = None

    @property
    def code_changes(self) -> list[FileChange]:
        """The changes beyond the plan file."""
        return [c for c in self.changes if c.path != PLAN_FILE]


def edit(result: BeginResult, *, preview: bool, check: bool, allow_dirty: bool) -> EditOutcome:
    """The edit stage on a planned project: compute the changes and (unless ``preview``)
    write them as one transaction. ``check`` makes pending changes exit 1."""
    root = result.root
    cache = ResultCache.open(root, "edits")
    try:
        proposed = compute_changes(root, result, cache=cache)
    except EditRefused as exc:
        return EditOutcome(Exit.ERROR, refused=str(exc))
    cache.save()
    if proposed.uncompilable:
        return EditOutcome(Exit.ERROR, uncompilable=tuple(proposed.uncompilable))
    changes = tuple(proposed.changes)
    warnings = (
        *(f"skipped {s.file}: {s.reason}" for s in result.analysis.skipped),
        *proposed.notes,
    )
    outcome = EditOutcome(Exit.OK, warnings=warnings, changes=changes, preview=preview)
    if preview:
        pending = check and bool(outcome.code_changes)
        return dataclasses.replace(outcome, code=Exit.PROBLEMS if pending else Exit.OK)
    if not allow_dirty:
        edited = [c.path for c in changes if c.before is not None and c.path != PLAN_FILE]
        dirty = _dirty(root, edited)
        if dirty:
            return dataclasses.replace(outcome, code=Exit.ERROR, dirty=tuple(dirty))
    written = write_all(root, changes)
    code = Exit.OK if written.error is None else Exit.ERROR
    return dataclasses.replace(outcome, code=code, written=written)


def run_edit(
    path: Path,
    *,
    console: Console,
    diff: bool,
    check: bool,
    allow_dirty: bool,
) -> int:
    """The edit stage from the command line."""
    result = plan_at(path, console)
    if result is None:
        return Exit.ERROR
    outcome = edit(result, preview=diff or check, check=check, allow_dirty=allow_dirty)
    render.edit(console, outcome, diff=diff, token_var=token_to_set(result.plan))
    if outcome.written is not None:
        raise_held(outcome.written)
    return outcome.code
