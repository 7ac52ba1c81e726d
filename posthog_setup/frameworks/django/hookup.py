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

import re

import libcst as cst

from posthog_setup.codemods.base import (
    ClientImport,
    EditError,
    parse_module,
    statement,
)
from posthog_setup.codemods.find import assigns
from posthog_setup.codemods.hookup_common import StatementEdits, add_imports, apply, insert_element
from posthog_setup.templating import render

MIDDLEWARE_PATH = "posthog.integrations.django.PosthogContextMiddleware"
AUTHENTICATION_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
CLIENT_SETTING = "POSTHOG_MW_CLIENT"
CAPTURE_SETTING = "POSTHOG_MW_CAPTURE_EXCEPTIONS"
#: The SDK's hook for the properties its middleware adds (``POSTHOG_MW_PROPERTIES_MAP`` from
#: 7.79, which still reads this older name).
TAG_MAP_SETTING = "POSTHOG_MW_TAG_MAP"
PROPERTIES_MAP = "POSTHOG_MW_PROPERTIES_MAP"
WITHOUT_EMAIL = "posthog_properties_without_email"


def _setting(module: cst.Module, name: str) -> cst.SimpleStatementLine | None:
    """The module-level statement ``<name> = ...``, if there is one."""
    return next(
        (
            stmt
            for stmt in module.body
            if isinstance(stmt, cst.SimpleStatementLine) and assigns(stmt, name, annotated=True)
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


def hook_up_django(
    settings_source: str,
    path: str,
    client: ClientImport,
    receivers: str | None = None,
    *,
    with_middleware: bool = True,
    with_client: bool = True,
) -> str:
    """Add PostHog's middleware to ``MIDDLEWARE`` and give it the project's client.

    The middleware tags every event of a request with the user's email: the settings
    drop it (``POSTHOG_MW_TAG_MAP``, a name every supported SDK reads), because an email
    belongs on the person, never on an event. ``receivers``, the dotted module of the
    auth signal receivers, is imported so that they are connected when the app loads.
    Without ``with_middleware`` (the project's Django cannot run it) only that import is added.
    Without ``with_client`` (the project's own client, set up where settings must not import
    it) the middleware reports through the posthog module's client.

    Each part is skipped when the settings already have it, so a second run
    changes nothing. Raises EditError (naming ``path``) when the module has no
    ``MIDDLEWARE`` list or tuple to edit (built by concatenation, or set elsewhere).
    """
    module = parse_module(settings_source, path)
    if not with_middleware:
        if receivers is None or _imports_module(module, receivers):
            return settings_source
        return _import_receivers(module, receivers).code
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
    needs_client = with_client and _setting(module, CLIENT_SETTING) is None
    if needs_client:
        setting = statement(f"{CLIENT_SETTING} = {client.name}", module)
        comment = (
            "# PostHog's middleware ties each request's events to its user through this client."
        )
        edits.insert_after(
            middleware,
            setting.with_changes(
                leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(comment))]
            ),
        )
    if _setting(module, CAPTURE_SETTING) is None:
        # Server errors reach PostHog through the got_request_exception receiver, which
        # Django sends for uncaught exceptions only; the middleware would capture the
        # Http404 and PermissionDenied that Django turns into 404 and 403 too.
        comment = "# Server errors are captured once, by a receiver; never a 404 or a 403."
        edits.insert_after(
            _setting(module, CLIENT_SETTING) or middleware,
            statement(f"{CAPTURE_SETTING} = False", module).with_changes(
                leading_lines=[cst.EmptyLine(comment=cst.Comment(comment))]
            ),
        )
    anchor = _setting(module, CLIENT_SETTING) or middleware
    if _setting(module, TAG_MAP_SETTING) is None and _setting(module, PROPERTIES_MAP) is None:
        code = (
            f"def {WITHOUT_EMAIL}(properties):\n"
            "    # PostHog's middleware tags each event with the user's email: it belongs on "
            "the person.\n"
            '    return {key: value for key, value in properties.items() if key != "email"}\n'
        )
        function = statement(code, module)
        assert isinstance(function, cst.FunctionDef)
        edits.insert_after(
            anchor,
            function.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()]),
        )
        edits.insert_after(
            anchor,
            statement(f"{TAG_MAP_SETTING} = {WITHOUT_EMAIL}", module).with_changes(
                leading_lines=[cst.EmptyLine(), cst.EmptyLine()]
            ),
        )
    if edits.empty and (receivers is None or _imports_module(module, receivers)):
        return settings_source
    edited = add_imports(apply(module, edits), client if needs_client else None)
    if needs_client and (
        not _bound_before_use(edited.code, client) or _env_loaded_after_import(edited.code, client)
    ):
        # The file's imports sit below its settings (or it has none where isort would put
        # one), or the settings load an env file below them (``environ.Env.read_env()``,
        # ``load_dotenv()``), whose token the client reads when it is imported: the import
        # goes right above the setting that uses it.
        edited = _client_import_above_setting(apply(module, edits), client)
    if receivers is not None and not _imports_module(edited, receivers):
        edited = _import_receivers(edited, receivers)
    return edited.code


def _import_and_setting(
    code: str, client: ClientImport
) -> tuple[list[str], int | None, int | None]:
    """The settings' lines, with the line of the client's import and of
    ``POSTHOG_MW_CLIENT = posthog_client`` (None where there is none)."""
    lines = code.splitlines()
    imported = next((i for i, line in enumerate(lines) if line.startswith(client.source())), None)
    used = next(
        (i for i, line in enumerate(lines) if line.startswith(f"{CLIENT_SETTING} = ")), None
    )
    return lines, imported, used


def _bound_before_use(code: str, client: ClientImport) -> bool:
    """Is the client imported on a line above ``POSTHOG_MW_CLIENT = posthog_client``?"""
    _, imported, used = _import_and_setting(code, client)
    return imported is not None and used is not None and imported < used


#: Calls that load an env file into the process's environment.
_LOADS_ENV = re.compile(r"\b(read_env|load_dotenv)\(")


def _env_loaded_after_import(code: str, client: ClientImport) -> bool:
    """Does the settings module load an env file below the client's import?"""
    lines, imported, used = _import_and_setting(code, client)
    if imported is None or used is None:
        return False
    return any(
        _LOADS_ENV.search(line) and not line.lstrip().startswith("#")
        for line in lines[imported:used]
    )


def _client_import_above_setting(module: cst.Module, client: ClientImport) -> cst.Module:
    setting = _setting(module, CLIENT_SETTING)
    assert setting is not None
    edits = StatementEdits()
    edits.replace[setting] = setting.with_changes(leading_lines=[])
    edits.insert_before(
        setting,
        statement(f"{client.source()}  # noqa: E402", module).with_changes(
            leading_lines=setting.leading_lines
        ),
    )
    return apply(module, edits)


def _import_receivers(module: cst.Module, receivers: str) -> cst.Module:
    """The receivers' import after the last PostHog setting, where it connects them at load."""
    anchor = (
        _setting(module, TAG_MAP_SETTING)
        or _setting(module, CAPTURE_SETTING)
        or _setting(module, CLIENT_SETTING)
        or _setting(module, "MIDDLEWARE")
    )
    if anchor is None:
        raise EditError(f"no MIDDLEWARE setting to import {receivers} after")
    comment = (
        "# Connects PostHog's receivers: server errors, and logins Django's auth views handle."
    )
    edits = StatementEdits()
    edits.insert_after(
        anchor,
        statement(f"import {receivers}  # noqa: E402, F401", module).with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(comment))]
        ),
    )
    following = list(module.body)[list(module.body).index(anchor) + 1 :]
    if following and not following[0].leading_lines:
        # Keep the setting after it a blank line away, as it was from the anchor.
        edits.replace[following[0]] = following[0].with_changes(leading_lines=[cst.EmptyLine()])
    return apply(module, edits)


def _imports_module(module: cst.Module, dotted: str) -> bool:
    """Does the module already import ``dotted`` (in any form)?"""
    leaf = dotted.rsplit(".", 1)[-1]
    return leaf in module.code


def django_auth_receivers(client: ClientImport, events: dict[str, str]) -> str:
    """The source of a module connecting PostHog to Django's auth signals, for each kind of ``events``.

    For projects whose users log in through ``django.contrib.auth`` views or a
    package such as allauth (signup: allauth's ``user_signed_up``). Only the kinds
    no view of the project handles itself are connected: a login view calling
    ``login()`` also sends the signal, and one login must be one event. ``events``
    maps each kind to connect to its event name in the plan.
    """
    source = render(
        "django_auth_receivers.py.j2",
        client_import=client.generated_source(),
        login=events.get("login"),
        logout=events.get("logout"),
        signup=events.get("signup"),
    )
    return source.rstrip("\n") + "\n"
