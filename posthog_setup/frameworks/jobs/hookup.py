"""Hook PostHog into a job's entry point: one ``try`` around the run.

::

    def main():
        try:
            ...  # the run, as it was
        except Exception as error:
            posthog_client.capture_exception(error, distinct_id="cron:jobs.close", ...)
            raise
        finally:
            posthog_client.flush()

The exception is reported and raised again, so the process still fails as before; the
events of the run are sent before the entry point returns, whether the process exits right
after (a script) or stays warm for the next invocation (a Lambda handler): never by atexit
alone, and never a ``shutdown()`` that a second invocation would find closed.

A Celery app gets ``PosthogCeleryIntegration(client=posthog_client).instrument()`` right
after it is made: the SDK reports each task's exception from Celery's signals.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import (
    ClientImport,
    EditError,
    NeededImport,
    add_imports,
    client_needed,
    parse_module,
    statement,
)
from posthog_setup.codemods.capture import free_name
from posthog_setup.codemods.find import find_all, is_method_call
from posthog_setup.codemods.hookup_common import (
    StatementEdits,
    after_configuration,
    apply,
    as_block,
    calls_client_method,
    find_app_creation,
    mentions,
)
from posthog_setup.codemods.render import DictArg, call_source, indented, string_literal
from posthog_setup.frameworks.jobs.analysis import CELERY, system_id

#: The SDK's Celery integration (posthog 7.15 and later).
CELERY_INTEGRATION = "PosthogCeleryIntegration"
#: What the run's exception is called in the inserted ``except`` clause, unless taken.
ERROR = "error"


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _reports_and_flushes(function: cst.FunctionDef) -> bool:
    """Does the function already report its exceptions and send its events in a ``finally``
    (with our client or the project's own)?"""

    class Finder(cst.CSTVisitor):
        captures = False
        flushes = False

        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "capture_exception":
                self.captures = True

        def visit_Finally(self, node: cst.Finally) -> None:
            calls = find_all(node, cst.Call, lambda call: is_method_call(call, "flush", "shutdown"))
            if calls:
                self.flushes = True

    finder = Finder()
    function.visit(finder)
    return finder.captures and finder.flushes


def _wrapped(
    function: cst.FunctionDef, module: cst.Module, distinct_id: str, client: str
) -> cst.FunctionDef:
    """``function`` with its run in the ``try``; ``function`` itself when it has none."""
    original = function
    function = function.with_changes(body=as_block(function.body))
    block = function.body
    assert isinstance(block, cst.IndentedBlock)
    statements = list(block.body)
    head = statements[:1] if statements and _is_docstring(statements[0]) else []
    run = statements[len(head) :]
    if not run:
        return original
    error = free_name(function, ERROR)
    step = module.default_indent
    report = call_source(
        f"{client}.capture_exception",
        [
            error,
            f"distinct_id={string_literal(distinct_id)}",
            DictArg("properties", (("$process_person_profile", "False"),)),
        ],
        indent=step * 2,
        step=step,
    )
    template = statement(
        "\n".join(
            [
                "try:",
                f"{step}pass",
                f"except Exception as {error}:",
                indented(report, step),
                f"{step}raise",
                "finally:",
                f"{step}{client}.flush()",
                "",
            ]
        ),
        module,
    )
    assert isinstance(template, cst.Try)
    body = block.with_changes(body=run, header=cst.TrailingWhitespace())
    wrapped = template.with_changes(body=body)
    return function.with_changes(body=block.with_changes(body=[*head, wrapped]))


def hook_up_celery(source: str, path: str, app: AppObject, client: ClientImport) -> str:
    """``PosthogCeleryIntegration(client=posthog_client).instrument()`` right after the Celery
    app is made and configured: the SDK's signal handlers then capture each task's
    exception (and its start, success and failure) in every worker that imports the app.
    Returns ``source`` unchanged where the module already mentions the integration."""
    module = parse_module(source, path)
    if mentions(module, CELERY_INTEGRATION):
        return source
    wrapper = MetadataWrapper(module)
    creation = find_app_creation(wrapper, app, "celery.Celery", path)
    edits = StatementEdits()
    edits.insert_after(
        after_configuration(creation),
        statement(f"{CELERY_INTEGRATION}({client.arguments()}).instrument()", wrapper.module),
    )
    needed = [
        NeededImport("posthog.integrations.celery", CELERY_INTEGRATION),
        client_needed(client),
    ]
    return add_imports(apply(wrapper.module, edits), needed).code


def hook_up_entry(source: str, path: str, app: AppObject, client: ClientImport) -> str:
    """Wrap the entry point ``app`` names (a module-level function) in the reporting and
    flushing ``try``; a Celery app gets the SDK's integration instead (see
    ``hook_up_celery``). Returns ``source`` unchanged where the function already reports
    its exceptions and flushes in a ``finally``; raises EditError when it cannot be found."""
    if app.prefix == CELERY:
        return hook_up_celery(source, path, app, client)
    module = parse_module(source, path)
    owner, _, name = app.name.rpartition(".")
    distinct_id = system_id(app.prefix, owner)
    edited: list[cst.BaseStatement] = []
    found = False
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name and not found:
            found = True
            done = calls_client_method(stmt, "flush", client.name) and calls_client_method(
                stmt, "capture_exception", client.name
            )
            if done or _reports_and_flushes(stmt):
                return source
            wrapped = _wrapped(stmt, module, distinct_id, client.name)
            if wrapped is stmt:
                return source
            stmt = wrapped
        edited.append(stmt)
    if not found:
        raise EditError(f"{path}: cannot find the entry point `def {name}(...)` at module level")
    result = module.with_changes(body=edited)
    needed = [client_needed(client)]
    return add_imports(result, needed).code
