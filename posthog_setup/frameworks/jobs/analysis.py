"""Jobs: scripts, command-line tools and serverless handlers, where no web app serves requests.

An entry point is where one run of the job starts: the functions an
``if __name__ == "__main__":`` block calls, click and typer commands, a function that
builds an ``argparse.ArgumentParser``, console scripts (``[project.scripts]``), and AWS
Lambda handlers: those a deployment names (serverless.yml, a SAM template, a Dockerfile on
a Lambda image; see ``declared``), else those with a handler's signature
``def handler(event, context)``. Each is an app (its hook-up catches, reports and re-raises
what the run raises, and flushes the client before the run ends); what an entry point
dispatches to (a sub-command function it calls, or ``set_defaults(func=...)``) and the entry
point itself are the handlers whose writes are captured.

A job acts for nobody: its events carry a system id (``cron:<module>`` for a script,
``lambda:<module>`` for a handler) and make no person profile.

Files that import a web framework are left to that framework; the engine links jobs only in
a project where no web app was found (see ``JobsAnalyser.standalone``).
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Mapping, Sequence

from posthog_setup.analysis.body import (
    dotted,
    scan_body,
    settle,
    walk_body,
    wrapped_event,
    write_evidence,
)
from posthog_setup.analysis.context import FactsBuilder, FileContext, FunctionNode, Linked
from posthog_setup.analysis.flow import Proof
from posthog_setup.analysis.model import (
    AppObject,
    BodyFacts,
    Evidence,
    Framework,
    LocalRoute,
    ModuleFacts,
    UserAccess,
)
from posthog_setup.analysis.routing import imports_another_framework, linked_route
from posthog_setup.frameworks.jobs.declared import (
    NO_DECLARED_ENTRIES,
    DeclaredEntries,
    declared_entries,
    reads_entry_config,
)
from posthog_setup.plan.naming import names_action

#: The kind of an entry point; its ``prefix`` says what runs it: ``CRON`` (a script or a
#: command), ``LAMBDA`` (a serverless handler) or ``CELERY`` (a Celery app, whose tasks
#: its workers run).
ENTRY = "jobs.entry"
CRON = "cron"
LAMBDA = "lambda"
CELERY = "celery"
_CELERY_APP = "celery.Celery"
_SHARED_TASK = "celery.shared_task"
#: the owner of ``@shared_task`` tasks: the project's Celery app, once linked
_SHARED = "<celery shared task>"
#: the task parameter that names the user a task acts for
_USER_PARAM = "user_id"
#: Handlers of a job run once per process run: "RUN" stands where a web route has methods.
RUN = "RUN"

_WORDS = ("__main__", "argparse", "shared_task")
_PACKAGE_WORD = re.compile(r"\b(click|typer|celery)\b")
_LAMBDA_SIGNATURE = re.compile(r"def \w+\(\s*(event|evt)\s*,\s*_?(context|ctx|lambda_context)?\b")
_COMMAND_PACKAGES = ("click", "typer")
_ARGUMENT_PARSER = "argparse.ArgumentParser"
#: Calls that write a file: ``path.write_text(...)``, ``json.dump(data, f)``.
_FILE_WRITES = frozenset({"write_text", "write_bytes", "dump", "writerow", "writerows"})
#: Entry point names that say nothing of the job: its module's name says what it does.
_SQL_VERBS = {"INSERT": "add", "UPDATE": "update", "DELETE": "delete", "REPLACE": "update"}
_COMMAND_PREFIX = re.compile(r"^(cmd|command|do|handle)_(?=\w)")
_GENERIC_NAMES = frozenset({"main", "run", "cli", "handler", "lambda_handler", "entry", "job"})


def system_id(kind: str, module: str) -> str:
    """The distinct id of a job's events: ``cron:<module>`` or ``lambda:<module>``."""
    return f"{kind}:{module}"


def system_access(kind: str, module: str) -> UserAccess:
    """The job's own id, a literal: safe anywhere, and no person's."""
    literal = '"' + system_id(kind, module).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return UserAccess("jobs.system", literal, contract=True, system=True)


#: How Lambda-style handlers name their two parameters: the event, then the runtime context.
_EVENT_PARAMS = frozenset({"event", "evt"})
_CONTEXT_PARAMS = frozenset({"context", "ctx", "_context", "_ctx", "lambda_context", "_"})


def _root_name(node: ast.expr) -> str | None:
    """The name an expression reads from: ``args`` in ``args.text`` or ``args["text"]``."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_lambda_handler(func: FunctionNode) -> bool:
    """``def handler(event, context)`` (or ``evt, ctx``, ``event, _context``)."""
    params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
    return len(params) == 2 and params[0] in _EVENT_PARAMS and params[1] in _CONTEXT_PARAMS


def _main_block(tree: ast.Module) -> list[ast.stmt]:
    """The body of ``if __name__ == "__main__":`` at the module's top level."""
    for stmt in tree.body:
        test = stmt.test if isinstance(stmt, ast.If) else None
        if (
            isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name)
            and test.left.id == "__name__"
            and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__"
        ):
            assert isinstance(stmt, ast.If)
            return stmt.body
    return []


class JobsAnalyser:
    """Finds entry points of scripts, command-line tools and serverless handlers."""

    name: Framework = "jobs"
    packages: tuple[str, ...] = ()
    app_kinds: tuple[str, ...] = ("jobs",)
    primary_kind = ENTRY
    spellings: Mapping[str, str] = {}
    #: linked in full only where no web framework found an app or a route; beside one, only
    #: its Celery apps and tasks (see ``link_beside_web``)
    standalone = True

    def __init__(self, declared: DeclaredEntries = NO_DECLARED_ENTRIES) -> None:
        #: the entry points the project's configuration names
        self.declared = declared
        names = "|".join(sorted(declared.names))
        self._declared_text = re.compile(rf"def[ \t]+({names})\b") if names else None

    def reads(self, file: str) -> bool:
        """The files that name entry points: deployment files and packaging manifests."""
        return reads_entry_config(file)

    def for_project(self, texts: Mapping[str, str], python_files: Sequence[str]) -> JobsAnalyser:
        """This analyser, with the entry points the configuration ``texts`` name."""
        return JobsAnalyser(declared_entries(texts, python_files))

    def wants(self, source: str) -> bool:
        """Could this file hold an entry point? (A text test; false positives are fine.)"""
        # Literals first: a regex of alternatives costs a tenth of a parse on every file.
        wanted = (
            any(word in source for word in _WORDS)
            or (
                ("click" in source or "typer" in source or "celery" in source)
                and _PACKAGE_WORD.search(source) is not None
            )
            or (
                ("event" in source or "evt" in source)
                and _LAMBDA_SIGNATURE.search(source) is not None
            )
        )
        if wanted:
            return True
        return self._declared_text is not None and self._declared_text.search(source) is not None

    def collect(self, ctx: FileContext, out: FactsBuilder) -> None:
        """Record the entry points of one file and the handlers they run (only its Celery
        app and tasks where the file belongs to a web framework: its scripts are not jobs)."""
        if imports_another_framework(ctx, self.name):
            _JobsFile(ctx, out, self.declared).celery()
            return
        _JobsFile(ctx, out, self.declared).collect()

    def link_beside_web(self, facts: Sequence[ModuleFacts]) -> Linked:
        """The Celery apps and their tasks of a project that has a web app: its workers run
        tasks as jobs do; its scripts and commands are the web app's tools, left alone."""
        celery_apps = {
            a.name for m in facts for a in m.apps if a.kind == ENTRY and a.prefix == CELERY
        }
        kept = [
            dataclasses.replace(
                module,
                apps=tuple(a for a in module.apps if a.name in celery_apps),
                routes=tuple(r for r in module.routes if r.owner in {*celery_apps, _SHARED}),
            )
            for module in facts
        ]
        return self.link(kept)

    def link(self, facts: Sequence[ModuleFacts]) -> Linked:
        """Each handler under the entry point that runs it."""
        apps = sorted(
            (app for module in facts for app in module.apps if app.kind == ENTRY),
            key=lambda app: (app.file, app.line),
        )
        owners = {app.name: app for app in apps}
        celery = next((app for app in apps if app.prefix == CELERY), None)
        if celery is not None:
            owners[_SHARED] = celery
        routes = []
        for module in facts:
            for local in module.routes:
                owner = owners.get(local.owner)
                if local.framework == self.name and owner is not None:
                    routes.append(linked_route(local, owner, local.path))
        routes.sort(key=lambda r: (r.handler.file, r.handler.line))
        return Linked(apps=tuple(apps), routes=tuple(routes))


class _JobsFile:
    """The entry points of one file."""

    def __init__(
        self, ctx: FileContext, out: FactsBuilder, declared: DeclaredEntries = NO_DECLARED_ENTRIES
    ) -> None:
        self.ctx = ctx
        self.out = out
        self.declared = declared
        self.functions: dict[str, FunctionNode] = {
            stmt.name: stmt
            for stmt in ctx.tree.body
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        self._writes: dict[str, int | None] = {}

    def collect(self) -> None:
        entries: dict[str, str] = {}
        lambdas = self.declared.lambdas_in(self.ctx.file)
        scripts = self.declared.scripts_in(self.ctx.file)
        # Where a deployment names the handlers, the names decide, not the parameters.
        by_signature = not self.declared.names_handlers_of(self.ctx.file)
        for name, func in self.functions.items():
            if name in lambdas or (by_signature and _is_lambda_handler(func)):
                entries[name] = LAMBDA
            elif (
                self._is_command(func)
                or self._builds_parser(func)
                # A console script's function is one run; a click group it names only
                # dispatches to its commands, each a run of its own.
                or (name in scripts and not self._is_group(func))
            ):
                entries[name] = CRON
        for stmt in _main_block(self.ctx.tree):
            for node in ast.walk(stmt):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    called = node.func.id
                    if (
                        called in self.functions
                        and called not in entries
                        and not self._is_group(self.functions[called])
                    ):
                        entries[called] = CRON
        self.celery()
        if not entries:
            return
        self.out.uses("jobs")
        seen: set[str] = set()
        for name, kind in entries.items():
            func = self.functions[name]
            app = self.ctx.qualified(name)
            root = self.declared.code_root_of(self.ctx.file) if kind == LAMBDA else ""
            self.out.apps.append(
                AppObject(ENTRY, app, self.ctx.file, func.lineno, prefix=kind, import_root=root)
            )
            access = system_access(kind, self.ctx.module)
            dispatched = self._dispatched(func)
            for handler in [name, *dispatched]:
                if handler in seen or (handler != name and handler in entries):
                    continue
                seen.add(handler)
                target = self.functions[handler]
                self.out.routes.append(
                    LocalRoute(
                        framework="jobs",
                        owner=app,
                        path="",
                        methods=(RUN,),
                        handler=self.ctx.handler(target),
                        line=target.lineno,
                        body=self._body(
                            target,
                            access,
                            frozenset(dispatched) if handler == name else frozenset(),
                        ),
                        name=handler,
                        action=self._action(handler),
                    )
                )

    def celery(self) -> None:
        """Celery apps made at module level, and the tasks of this module (``@app.task``,
        ``@shared_task``): a task acts for the user whose id it is given (``user_id``),
        else for the job."""
        for stmt in self.ctx.tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and self.ctx.names.resolve_call(stmt.value) == _CELERY_APP
            ):
                self.out.uses("jobs")
                name = self.ctx.qualified(stmt.targets[0].id)
                self.out.apps.append(
                    AppObject(ENTRY, name, self.ctx.file, stmt.lineno, prefix=CELERY)
                )
        for name, func in self.functions.items():
            owner = next((o for d in func.decorator_list if (o := self._task_owner(d))), None)
            if owner is None:
                continue
            self.out.uses("jobs")
            params = [a.arg for a in [*func.args.posonlyargs, *func.args.args]]
            access = (
                UserAccess("jobs.task_user", _USER_PARAM, contract=True)
                if _USER_PARAM in params
                else system_access(CELERY, self.ctx.module)
            )
            self.out.routes.append(
                LocalRoute(
                    framework="jobs",
                    owner=owner,
                    path="",
                    methods=(RUN,),
                    handler=self.ctx.handler(func),
                    line=func.lineno,
                    body=self._body(func, access),
                    name=name,
                    action=self._action(name),
                )
            )

    def _task_owner(self, decorator: ast.expr) -> str | None:
        """The Celery app a task decorator registers with: ``@app.task`` / ``@app.task(...)``
        (the app's qualified name) or ``@shared_task`` (the project's app, once linked)."""
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if self.ctx.names.resolve(target) == _SHARED_TASK:
            return _SHARED
        if isinstance(target, ast.Attribute) and target.attr == "task":
            return self.ctx.names.resolve(target.value)
        return None

    def _action(self, handler: str) -> str | None:
        """What the job does, for its event's name: ``close_invoices`` for the ``main`` of
        ``billing/close_invoices.py``, ``add_todo`` for ``cmd_add`` in ``todo.py``; None
        where the handler's own name says it."""
        stem = self.ctx.module.rpartition(".")[2]
        if stem in _GENERIC_NAMES or stem == "__init__":
            stem = ""
        if handler in _GENERIC_NAMES:
            if stem and "_" not in stem:
                # ``payments.handler``: the module names what it writes, the first SQL write
                # how (an INSERT adds).
                verb = self._sql_verb(self.functions[handler])
                return f"{verb}_{stem}" if verb else stem
            return stem or None
        command = _COMMAND_PREFIX.match(handler)
        if command is None:
            # ``record_order``: a word names do not know, then what it is about; a job has no
            # HTTP method to say how, its first SQL write does (an INSERT adds).
            first, _, about = handler.partition("_")
            if not about or names_action(first):
                return None
            verb = self._sql_verb(self.functions[handler])
            return f"{verb}_{about}" if verb else None
        rest = handler[command.end() :]
        # ``cmd_add``: a verb alone; the module names what it adds.
        return f"{rest}_{stem}" if "_" not in rest and stem else rest

    def _sql_verb(self, func: FunctionNode) -> str | None:
        """``add`` / ``update`` / ``delete`` for the first SQL write the function runs."""
        for node in walk_body(func):
            found = write_evidence(node) if isinstance(node, ast.Call) else None
            if found is not None and " runs " in found.detail:
                keyword = found.detail.rsplit(" ", 1)[-1]
                return _SQL_VERBS.get(keyword)
        return None

    def _is_command(self, func: FunctionNode) -> bool:
        """``@click.command()``, ``@cli.command()``, ``@app.command()`` (typer)."""
        for decorator in func.decorator_list:
            call = decorator.func if isinstance(decorator, ast.Call) else decorator
            qualified = self.ctx.names.resolve(call) or ""
            if qualified.split(".", 1)[0] in _COMMAND_PACKAGES and qualified.endswith("command"):
                return True
            if (
                isinstance(call, ast.Attribute)
                and call.attr == "command"
                and self._made_by_command_package(call.value)
            ):
                return True
        return False

    def _is_group(self, func: FunctionNode) -> bool:
        """``@click.group()``: it only dispatches; each of its commands is a run of its own."""
        return any(
            (self.ctx.names.resolve(d.func if isinstance(d, ast.Call) else d) or "").endswith(
                "group"
            )
            for d in func.decorator_list
        )

    def _made_by_command_package(self, node: ast.expr) -> bool:
        """``cli`` of ``@cli.command()`` where ``cli`` is a click group or a typer app."""
        if not isinstance(node, ast.Name):
            return False
        for stmt in self.ctx.tree.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in stmt.targets
            ):
                made = self.ctx.names.resolve_call(stmt.value) or ""
                return made.split(".", 1)[0] in _COMMAND_PACKAGES
        func = self.functions.get(node.id)
        return func is not None and any(
            (self.ctx.names.resolve(d.func if isinstance(d, ast.Call) else d) or "").split(".")[0]
            in _COMMAND_PACKAGES
            for d in func.decorator_list
        )

    def _builds_parser(self, func: FunctionNode) -> bool:
        return any(
            isinstance(node, ast.Call) and self.ctx.names.resolve_call(node) == _ARGUMENT_PARSER
            for node in walk_body(func)
        )

    def _dispatched(self, func: FunctionNode) -> list[str]:
        """Functions of this module the entry point hands the run to: called with what it
        was given (its parameters, the parsed ``args``), or ``set_defaults(func=...)``."""
        given = {a.arg for a in [*func.args.posonlyargs, *func.args.args]}
        for node in walk_body(func):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr in ("parse_args", "parse_known_args")
            ):
                given |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        found: list[str] = []
        for node in walk_body(func):
            if not isinstance(node, ast.Call):
                continue
            names = []
            if isinstance(node.func, ast.Name) and any(
                _root_name(a) in given for a in [*node.args, *(k.value for k in node.keywords)]
            ):
                names.append(node.func.id)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "set_defaults":
                names += [k.value.id for k in node.keywords if isinstance(k.value, ast.Name)]
            for name in names:
                if name in self.functions and name not in found:
                    found.append(name)
        return found

    def _write_line(self, name: str, depth: int = 0) -> int | None:
        """The first line where a function of this module writes (itself, or through another
        one it calls), if it does; ``None`` when it only reads."""
        if name in self._writes:
            return self._writes[name]
        self._writes[name] = None  # a recursive call is no write of its own
        func = self.functions[name]
        line = None
        for node in walk_body(func):
            if isinstance(node, ast.Call) and (
                write_evidence(node) is not None or self._file_write(node) is not None
            ):
                line = node.lineno
                break
        self._writes[name] = line
        return line

    def _file_write(self, call: ast.Call) -> Evidence | None:
        """``path.write_text(...)``, ``json.dump(...)``, ``open(path, "w")``."""
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in _FILE_WRITES:
            return Evidence("write", f"{dotted(func)}() writes a file", call.lineno, True)
        if isinstance(func, ast.Name) and func.id == "open" and len(call.args) > 1:
            mode = call.args[1]
            text = mode.value if isinstance(mode, ast.Constant) else None
            if isinstance(text, str) and set(text) & set("wax+"):
                return Evidence("write", "open() for writing", call.lineno, True)
        return None

    def _body(
        self, func: FunctionNode, access: UserAccess, skip: frozenset[str] = frozenset()
    ) -> BodyFacts:
        """The handler's body, with writes made through files or the module's own helpers
        (``save_todos(data)``, never those in ``skip``: handlers of their own) as evidence
        too; the job's system id as its user."""
        # A call to one of the module's functions that writes through the ORM or SQL is
        # evidence already (``scan_body``); only those that write files are added here.
        body = scan_body(self.ctx, func, handlers=skip | {func.name})
        evidence = list(body.evidence)
        change_line = body.change_line
        captures = list(body.captures)
        for node in walk_body(func):
            if not isinstance(node, ast.Call) or write_evidence(node) is not None:
                continue
            if wrapped_event(node, self.ctx.capture_wrappers) is not None:
                continue  # a capture: scan_body has it
            found = self._file_write(node)
            if (
                found is None
                and isinstance(node.func, ast.Name)
                and node.func.id in self.functions
                and node.func.id != func.name
                and node.func.id not in skip
                and node.func.id not in self.ctx.writing_functions
                and self._write_line(node.func.id) is not None
            ):
                found = Evidence("write", f"{node.func.id}() writes", node.lineno, True)
            if found is not None:
                evidence.append(found)
                change_line = max(change_line or 0, node.lineno)
        body = dataclasses.replace(
            body,
            evidence=tuple(evidence),
            change_line=change_line,
            user_access=access,
            captures=tuple(captures),
        )
        body = settle(self.ctx, func, body)
        return dataclasses.replace(body, counts=self._counts(func, body))

    def _counts(self, func: FunctionNode, body: BodyFacts) -> tuple[tuple[str, str], ...]:
        """Counts of what the run did, where safe to read at the capture: ``len(x)`` of a
        list the handler built (every assignment to ``x`` a list), ``cursor.rowcount`` of a
        write it ran and kept the cursor of."""
        if body.anchor is None:
            return ()
        bound = Proof.of(body.proven).names
        values: dict[str, list[ast.expr]] = {}
        plain: set[ast.Name] = set()
        for node in walk_body(func):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        plain.add(target)
                        values.setdefault(target.id, []).append(node.value)
        for node in walk_body(func):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node not in plain:
                # Bound another way (a loop, unpacking, ``+=``): what it holds is not known.
                values.setdefault(node.id, []).append(ast.Constant(None))
        counts: list[tuple[str, str]] = []
        for name, assigned in values.items():
            if name not in bound:
                continue
            if all(self._is_list(value) for value in assigned):
                label = name if name.endswith("count") else f"{name}_count"
                counts.append((label, f"len({name})"))
            elif len(assigned) == 1 and self._is_write_cursor(assigned[0]):
                counts.append(("rows_changed", f"{name}.rowcount"))
        return tuple(counts[:2])

    def _is_list(self, value: ast.expr) -> bool:
        """A list: a literal or comprehension, ``list(...)`` / ``sorted(...)``, a cursor's
        ``fetchall()``, or a function of this module that only returns those."""
        if isinstance(value, (ast.List, ast.ListComp)):
            return True
        if not isinstance(value, ast.Call):
            return False
        if isinstance(value.func, ast.Attribute):
            return value.func.attr == "fetchall"
        if not isinstance(value.func, ast.Name):
            return False
        if value.func.id in ("list", "sorted") and self.ctx.names.resolve(value.func) is None:
            return True
        func = self.functions.get(value.func.id)
        if func is None:
            return False
        returns = [n.value for n in walk_body(func) if isinstance(n, ast.Return)]
        return bool(returns) and all(
            r is not None and isinstance(r, (ast.List, ast.ListComp)) for r in returns
        )

    def _is_write_cursor(self, value: ast.expr) -> bool:
        """``db.execute("UPDATE ...")``: the cursor of a write, whose rowcount is its rows."""
        return (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr in ("execute", "executemany")
            and write_evidence(value) is not None
        )


analyser = JobsAnalyser()
