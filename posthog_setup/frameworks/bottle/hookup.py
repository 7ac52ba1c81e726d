"""Hook PostHog into a Bottle app: ``app.install(PosthogBottlePlugin(posthog_client))``.

The SDK has no Bottle integration, so the plugin is generated (``render_plugin``, from
``templates/bottle_plugin.py.j2``) into a module beside the client module. It is installed
right after the app is created (after the ``app.config`` lines that set it up), so it
wraps every route the app has or gets. The default app, whose routes a module declares
with the bare ``@route`` / ``@post``, installs it with ``bottle.install(...)`` after the
module's imports. Events are flushed when the process exits: the client module shuts the
client down then.
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
from posthog_setup.codemods.hookup_common import (
    AppCreation,
    StatementEdits,
    after_configuration,
    app_variable,
    apply,
    find_app_creation,
    mentions,
)
from posthog_setup.frameworks.bottle.analysis import APP, DEFAULT_APP, DEFAULT_CALLS
from posthog_setup.templating import render

PLUGIN = "PosthogBottlePlugin"


def render_plugin() -> str:
    """The source of the generated plugin module."""
    return render("bottle_plugin.py.j2").rstrip("\n") + "\n"


def _last_import(module: cst.Module, path: str) -> cst.BaseStatement:
    """The module's last top-level import before its first definition: where the default
    app's hook-up goes, before any route is declared."""
    found = None
    for stmt in module.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            break
        if isinstance(stmt, cst.SimpleStatementLine) and any(
            isinstance(small, (cst.Import, cst.ImportFrom)) for small in stmt.body
        ):
            found = stmt
    if found is None:
        raise EditError(
            f"{path}: no import of bottle before the routes to install the plugin after"
        )
    return found


def _app_creation(wrapper: MetadataWrapper, app: AppObject, path: str) -> AppCreation:
    """``app = Bottle()``, or ``app = default_app()`` naming the default app."""
    for maker in (APP, *DEFAULT_CALLS):
        try:
            return find_app_creation(wrapper, app, maker, path)
        except EditError:
            continue
    raise EditError(f"{path}: cannot find `{app_variable(app)} = Bottle()` at module level")


def hook_up_bottle(
    source: str, path: str, app: AppObject, client: ClientImport, plugin: ClientImport
) -> str:
    """Install the plugin (imported as ``plugin`` says) on ``app`` right after it is created.

    Returns ``source`` unchanged when the module already mentions the plugin. Raises
    EditError (naming ``path``) when the creation statement cannot be found.
    """
    module = parse_module(source, path)
    if mentions(module, PLUGIN):
        return source
    installed = f"{PLUGIN}({client.name})"
    imports = [NeededImport(plugin.module, PLUGIN, plugin.relative, local=True)]
    edits = StatementEdits()
    if app.name == DEFAULT_APP:
        anchor = _last_import(module, path)
        install = statement(f"install({installed})", module)
        # A line apart from the imports, as the module's own statements are.
        edits.insert_after(anchor, install.with_changes(leading_lines=[cst.EmptyLine()]))
        imports.append(NeededImport("bottle", "install"))
        edited = apply(module, edits)
    else:
        wrapper = MetadataWrapper(module)
        creation = _app_creation(wrapper, app, path)
        anchor = after_configuration(creation)
        edits.insert_after(
            anchor, statement(f"{creation.variable}.install({installed})", wrapper.module)
        )
        edited = apply(wrapper.module, edits)
    imports.append(client_needed(client))
    return add_imports(edited, imports).code
