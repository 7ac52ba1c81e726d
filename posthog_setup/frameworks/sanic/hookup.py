"""Hook PostHog into a Sanic app: ``setup_posthog(app)`` right after it is created.

The SDK has no Sanic integration, so the hook-up is generated (``render_hookup``, from
``templates/sanic_hookup.py.j2``) into a module beside the client module, and called right
after the app is created (after the ``app.config`` lines that set it up), so its middleware
runs first for every request, before the project's own.
"""

from __future__ import annotations

from libcst.metadata import MetadataWrapper

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, NeededImport, add_imports, parse_module
from posthog_setup.codemods.base import statement as parse_statement
from posthog_setup.codemods.hookup_common import (
    StatementEdits,
    after_configuration,
    apply,
    find_app_creation,
    mentions,
)
from posthog_setup.frameworks.sanic.analysis import APP
from posthog_setup.templating import render

SETUP = "setup_posthog"


def render_hookup(client: ClientImport, user_id: str | None = None) -> str:
    """The source of the generated hook-up module, importing the client as ``client``;
    ``user_id``: how handlers read the user's id after ``request.ctx`` (``.user["id"]``)."""
    source = render("sanic_hookup.py.j2", client_import=client.generated_source(), user_id=user_id)
    return source.rstrip("\n") + "\n"


def hook_up_sanic(source: str, path: str, app: AppObject, hookup: ClientImport) -> str:
    """Call ``setup_posthog(app)`` (imported as ``hookup`` says) right after ``app`` is created.

    Returns ``source`` unchanged when the module already calls it. Raises EditError (naming
    ``path``) when the creation statement cannot be found.
    """
    module = parse_module(source, path)
    if mentions(module, SETUP):
        return source
    wrapper = MetadataWrapper(module)
    creation = find_app_creation(wrapper, app, APP, path)
    edits = StatementEdits()
    edits.insert_after(
        after_configuration(creation),
        parse_statement(f"{SETUP}({creation.variable})", wrapper.module),
    )
    edited = apply(wrapper.module, edits)
    return add_imports(
        edited, [NeededImport(hookup.module, SETUP, hookup.relative, local=True)]
    ).code
