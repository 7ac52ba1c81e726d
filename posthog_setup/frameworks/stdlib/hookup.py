"""Hook PostHog into the standard library's servers, through modules generated beside the
client module (the SDK has no integration for either).

- An ``http.server`` request handler class gets ``PosthogRequestContext`` first among its
  bases (``templates/http_server_context.py.j2``), and the file's ``serve_forever()`` call
  a ``finally`` that flushes the client when the server stops.
- A WSGI callable is wrapped right after its definition:
  ``application = PosthogWSGIMiddleware(application)`` (``templates/wsgi_middleware.py.j2``).
"""

from __future__ import annotations

import libcst as cst

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
from posthog_setup.codemods.find import assigns, find_all, is_method_call, is_name, only_expression
from posthog_setup.codemods.hookup_common import StatementEdits, apply, calls_client_method
from posthog_setup.templating import render

MIXIN = "PosthogRequestContext"
MIDDLEWARE = "PosthogWSGIMiddleware"
MIXIN_MODULE = "posthog_http_server.py"
MIDDLEWARE_MODULE = "posthog_wsgi.py"


def render_module(template: str, client: ClientImport) -> str:
    """The source of a generated module that imports the client as ``client`` says."""
    return render(template, client_import=client.generated_source()).rstrip("\n") + "\n"


def generated_import(module_file: str, client: ClientImport) -> ClientImport:
    """How a module imports a generated module, given how it imports the client module."""
    package = client.module.rpartition(".")[0]
    name = module_file.removesuffix(".py")
    return ClientImport(f"{package}.{name}" if package else name, client.relative)


def _local(app: AppObject) -> str:
    return app.name.rpartition(".")[2]


def _serving(module: cst.Module) -> list[cst.SimpleStatementLine]:
    """Statements that call ``<server>.serve_forever()``, wherever they are."""
    return find_all(
        module,
        cst.SimpleStatementLine,
        lambda line: is_method_call(only_expression(line), "serve_forever"),
    )


class _AddBase(cst.CSTTransformer):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.done = False

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        if original_node.name.value != self.name or self.done:
            return updated_node
        self.done = True
        first = cst.Arg(
            cst.Name(MIXIN), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
        return updated_node.with_changes(bases=[first, *updated_node.bases])


def _flush_after(module: cst.Module, serving: cst.SimpleStatementLine, client: str) -> cst.Try:
    """``try: <serving> finally: posthog_client.flush()``: what was queued is sent when the
    server stops (Ctrl-C, ``shutdown()``)."""
    wrapped = statement(f"try:\n    pass\nfinally:\n    {client}.flush()\n", module)
    assert isinstance(wrapped, cst.Try)
    body = wrapped.body.with_changes(body=[serving.with_changes(leading_lines=())])
    return wrapped.with_changes(body=body, leading_lines=serving.leading_lines)


def hook_up_http_server(
    source: str, path: str, app: AppObject, client: ClientImport, mixin: ClientImport
) -> str:
    """Put ``PosthogRequestContext`` first among the handler class's bases, and flush the
    client after the file's ``serve_forever()``. A second run changes nothing."""
    module = parse_module(source, path)
    name = _local(app)
    imports: list[NeededImport] = []
    if not find_all(
        module,
        cst.ClassDef,
        lambda c: c.name.value == name and bool(c.bases) and is_name(c.bases[0].value, MIXIN),
    ):
        adding = _AddBase(name)
        module = module.visit(adding)
        if not adding.done:
            raise EditError(f"{path}: cannot find the request handler class {name}")
        imports.append(NeededImport(mixin.module, MIXIN, mixin.relative, local=True))
    if not calls_client_method(module, "flush", client.name) and not calls_client_method(
        module, "shutdown", client.name
    ):
        edits = StatementEdits()
        for serving in _serving(module):
            edits.replace[serving] = _flush_after(module, serving, client.name)
        if not edits.empty:
            module = apply(module, edits)
            imports.append(client_needed(client))
    return add_imports(module, imports).code if imports else module.code


def _defines(stmt: cst.BaseStatement, name: str) -> bool:
    """``def name(...)`` or ``name = ...`` (an instance of an application class)."""
    if isinstance(stmt, cst.FunctionDef):
        return stmt.name.value == name
    return assigns(stmt, name)


def hook_up_wsgi(source: str, path: str, app: AppObject, middleware: ClientImport) -> str:
    """Wrap the WSGI callable right after its definition (a function, or the statement
    that makes an instance of an application class). A second run changes nothing."""
    module = parse_module(source, path)
    if find_all(module, cst.Call, lambda call: is_name(call.func, MIDDLEWARE)):
        return source
    name = _local(app)
    definition = next(
        (s for s in reversed(module.body) if _defines(s, name)),
        None,
    )
    if definition is None:
        raise EditError(f"{path}: cannot find the WSGI application {name} at module level")
    edits = StatementEdits()
    wrap = statement(f"{name} = {MIDDLEWARE}({name})", module)
    # Spaced from a function as the module's own top-level definitions are.
    blank = [cst.EmptyLine()] * (2 if isinstance(definition, cst.FunctionDef) else 1)
    edits.insert_after(definition, wrap.with_changes(leading_lines=blank))
    module = apply(module, edits)
    needed = [NeededImport(middleware.module, MIDDLEWARE, middleware.relative, local=True)]
    return add_imports(module, needed).code
