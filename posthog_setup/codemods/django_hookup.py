"""Hook PostHog into a Django project: its middleware in settings, and login signals.

``posthog.integrations.django.PosthogContextMiddleware`` goes into ``MIDDLEWARE``
right after ``AuthenticationMiddleware``, because it reads ``request.user``.
``POSTHOG_MW_CLIENT = posthog_client`` points it at the project's client, and
importing the client in settings sets the client up when the app loads.

Where users log in through ``django.contrib.auth`` views or a package such as
allauth, no view of the project's own sees the login; :func:`django_auth_receivers`
renders a module that listens for the ``user_logged_in`` / ``user_logged_out``
signals instead.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from posthog_setup.codemods.base import (
    CLIENT_NAME,
    ClientImport,
    EditError,
    parse_module,
    statement,
)
from posthog_setup.codemods.hookup_common import StatementEdits, add_imports, apply, insert_element
from posthog_setup.templating import render

MIDDLEWARE_PATH = "posthog.integrations.django.PosthogContextMiddleware"
AUTHENTICATION_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
CLIENT_SETTING = "POSTHOG_MW_CLIENT"


def _setting(module: cst.Module, name: str) -> cst.SimpleStatementLine | None:
    """The module-level statement ``<name> = ...``, if there is one."""
    assignment = m.SimpleStatementLine(
        body=[
            m.Assign(targets=[m.AssignTarget(target=m.Name(name))])
            | m.AnnAssign(target=m.Name(name))
        ]
    )
    return next(
        (
            stmt
            for stmt in module.body
            if isinstance(stmt, cst.SimpleStatementLine) and m.matches(stmt, assignment)
        ),
        None,
    )


def _middleware_list(stmt: cst.SimpleStatementLine) -> cst.List | cst.Tuple | None:
    small = stmt.body[0]
    value = small.value if isinstance(small, cst.Assign | cst.AnnAssign) else None
    return value if isinstance(value, cst.List | cst.Tuple) else None


def _with_middleware(value: cst.List | cst.Tuple) -> cst.List | cst.Tuple | None:
    """The list with PostHog's middleware after AuthenticationMiddleware (or last), or
    None when it is already there."""
    strings = [
        element.value.evaluated_value if isinstance(element.value, cst.SimpleString) else None
        for element in value.elements
    ]
    if MIDDLEWARE_PATH in strings:
        return None
    index = (
        strings.index(AUTHENTICATION_MIDDLEWARE)
        if AUTHENTICATION_MIDDLEWARE in strings
        else len(strings) - 1
    )
    # Written in the quotes its neighbour uses.
    neighbour = value.elements[index].value if value.elements else None
    quote = neighbour.quote if isinstance(neighbour, cst.SimpleString) else '"'
    new = cst.Element(cst.SimpleString(f"{quote}{MIDDLEWARE_PATH}{quote}"))
    # hook_up_django has checked there is no starred element.
    plain = [element for element in value.elements if isinstance(element, cst.Element)]
    if isinstance(value, cst.List):
        elements, closing = insert_element(
            plain,
            index,
            new,
            value.lbracket.whitespace_after,
            value.rbracket.whitespace_before,
        )
        assert closing is not None
        return value.with_changes(
            elements=elements, rbracket=value.rbracket.with_changes(whitespace_before=closing)
        )
    if not value.lpar:
        # A bare tuple (``MIDDLEWARE = "a", "b"``) has no brackets to lay out by.
        elements, _ = insert_element(plain, index, new, cst.SimpleWhitespace(" "))
        return value.with_changes(elements=elements)
    elements, closing = insert_element(
        plain,
        index,
        new,
        value.lpar[0].whitespace_after,
        value.rpar[-1].whitespace_before,
    )
    assert closing is not None
    return value.with_changes(
        elements=elements,
        rpar=[*value.rpar[:-1], value.rpar[-1].with_changes(whitespace_before=closing)],
    )


def hook_up_django(settings_source: str, path: str, client: ClientImport) -> str:
    """Add PostHog's middleware to ``MIDDLEWARE`` and give it the project's client.

    Each part is skipped when the settings already have it, so a second run
    changes nothing. Raises EditError (naming ``path``) when the module has no
    ``MIDDLEWARE`` list or tuple to edit (built by concatenation, or set elsewhere).
    """
    module = parse_module(settings_source, path)
    middleware = _setting(module, "MIDDLEWARE")
    value = _middleware_list(middleware) if middleware is not None else None
    if middleware is None or value is None:
        raise EditError(f"{path}: no MIDDLEWARE list to add {MIDDLEWARE_PATH} to")
    if not all(isinstance(element, cst.Element) for element in value.elements):
        raise EditError(f"{path}: MIDDLEWARE unpacks another list; add {MIDDLEWARE_PATH} by hand")
    edits = StatementEdits()
    with_posthog = _with_middleware(value)
    if with_posthog is not None:
        edits.replace[value] = with_posthog
    needs_client = _setting(module, CLIENT_SETTING) is None
    if needs_client:
        setting = statement(f"{CLIENT_SETTING} = {CLIENT_NAME}", module)
        comment = "# PostHog's middleware reports the exceptions it captures through this client."
        edits.insert_after(
            middleware,
            setting.with_changes(
                leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(comment))]
            ),
        )
    if edits.empty:
        return settings_source
    edited = apply(module, edits)
    return add_imports(edited, client if needs_client else None).code


def django_auth_receivers(client: ClientImport) -> str:
    """The source of a module connecting PostHog to Django's login and logout signals.

    For projects whose users log in through ``django.contrib.auth`` views or a
    package such as allauth. Importing the module connects the receivers; their
    ``dispatch_uid`` keeps a second import from connecting them twice.
    """
    return render("django_auth_receivers.py.j2", client_import=client.source())
