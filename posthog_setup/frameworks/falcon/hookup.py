"""Hook PostHog into a Falcon app (WSGI or ASGI), where the app is created.

The SDK has no Falcon integration, so two small pieces are written beside the app,
rendered from ``templates/falcon_hookup.py.j2`` (coroutines for a ``falcon.asgi.App``):

- ``PosthogMiddleware``, first in ``falcon.App(middleware=[...])``: each request runs in a
  PostHog context of its own, read from the ``X-POSTHOG-*`` headers and tagged with the
  request's URL, method and path;
- ``capture_server_error``, added with ``app.add_error_handler(Exception, ...)`` right
  after the app is created: it sends the error and answers 500 as Falcon does. Falcon
  picks the handler of an error's most specific class, so the ``HTTPError`` the app
  raises on purpose never reaches it. Where the app has its own ``Exception`` handler,
  that one is left to capture (the plan puts ``capture_exception`` first in it).

Events still queued when the process exits are sent by the client module's own
``atexit`` shutdown, as for the other WSGI apps.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import (
    ClientImport,
    EditError,
    parse_module,
    statement,
)
from posthog_setup.codemods.find import find_all, is_attribute, is_method_call, is_name
from posthog_setup.codemods.hookup_common import (
    AppCreation,
    StatementEdits,
    add_imports,
    after_configuration,
    apply,
    find_app_creation,
    keyword_arg,
    mentions,
    qualified_names,
    with_list_element,
)
from posthog_setup.frameworks.falcon.analysis import GENERATED_HANDLER
from posthog_setup.templating import render

MIDDLEWARE = "PosthogMiddleware"
HANDLER = GENERATED_HANDLER
#: the context variable that holds a request's PostHog context between its two hooks
SCOPE = "POSTHOG_REQUEST_CONTEXT"
_ASGI = frozenset({"falcon.asgi.App", "falcon.asgi.app.App"})
#: what an app is created with: the WSGI app, its name before 3.0, the ASGI app
_APPS = ("falcon.App", "falcon.API", "falcon.asgi.App")
_CONTEXT_FUNCTIONS = ("identify_context", "new_context", "set_context_session", "tag")


def _is_exception_handler(node: cst.CSTNode, variable: str) -> bool:
    """``<app>.add_error_handler(Exception, ...)``: the app answers every error itself."""

    def handles_exception(call: cst.Call) -> bool:
        if not is_method_call(call, "add_error_handler", of=variable) or not call.args:
            return False
        first = call.args[0].value
        return is_name(first, "Exception") or is_attribute(first, "Exception")

    return bool(find_all(node, cst.Call, handles_exception))


def _find_creation(wrapper: MetadataWrapper, app: AppObject, path: str) -> AppCreation:
    """The statement that creates ``app`` with one of Falcon's app classes."""
    for name in _APPS[:-1]:
        try:
            return find_app_creation(wrapper, app, name, path)
        except EditError:
            continue
    return find_app_creation(wrapper, app, _APPS[-1], path)


def _with_middleware(call: cst.Call) -> cst.Call:
    """``call`` with ``PosthogMiddleware()`` first among its middleware. Falcon takes one
    object or a list: an object built right there (``AuthMiddleware()``) joins a new list."""
    existing = keyword_arg(call, "middleware")
    code = f"{MIDDLEWARE}()"
    if existing is None and any(arg.star == "**" for arg in call.args):
        # The mapping may hold middleware too: a second one would fail the call.
        raise EditError(
            f"the app takes its settings from a ** mapping; add {MIDDLEWARE}() first in its "
            "middleware by hand"
        )
    if existing is not None and _single_object(existing.value):
        single = cst.List(
            elements=[
                cst.Element(
                    cst.parse_expression(code),
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                ),
                cst.Element(existing.value),
            ]
        )
        args = [arg.with_changes(value=single) if arg is existing else arg for arg in call.args]
        return call.with_changes(args=args)
    return with_list_element(call, "middleware", code, first=True)


def _single_object(value: cst.BaseExpression) -> bool:
    """A middleware object built in place: a call of a class (capitalised by convention)."""
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    return isinstance(name, str) and name[:1].isupper()


def hook_up_falcon(
    source: str, path: str, app: AppObject, client: ClientImport, user_id: str | None = None
) -> str:
    """Give ``app`` the PostHog middleware and the server-error handler.

    ``user_id`` is how the app's responders read the user's id off ``req.context``
    (``.user.id``): the handler then sends each error as that user, where there is one.

    Each part is skipped when the module already has it (the middleware or the handler is
    mentioned; the app has its own ``Exception`` handler), so a second run changes nothing.
    Raises EditError (naming ``path``) when the app's creation cannot be found.
    """
    module = parse_module(source, path)
    wrapper = MetadataWrapper(module)
    creation = _find_creation(wrapper, app, path)
    module = wrapper.module
    asgi = bool(qualified_names(wrapper, creation.call.func) & _ASGI)
    add_middleware = not mentions(module, MIDDLEWARE)
    add_handler = not mentions(module, HANDLER) and not _is_exception_handler(
        module, creation.variable
    )
    if not add_middleware and not add_handler:
        return source
    edits = StatementEdits()
    imports: list[tuple[str, str]] = []
    if add_middleware:
        try:
            with_middleware = _with_middleware(creation.call)
        except EditError as error:
            raise EditError(f"{path}: {error}") from None
        edited = creation.statement.deep_replace(creation.call, with_middleware)
        assert isinstance(edited, cst.SimpleStatementLine)
        edits.replace[creation.statement] = edited
        imports += [("contextlib", "ExitStack"), ("contextvars", "ContextVar")]
        imports += [("posthog.contexts", name) for name in _CONTEXT_FUNCTIONS]
    if add_handler:
        line = f"{creation.variable}.add_error_handler(Exception, {HANDLER})"
        edits.insert_after(after_configuration(creation), statement(line, module))
        imports.append(("falcon", "HTTPInternalServerError"))
        imports.append(("logging", "getLogger") if asgi else ("traceback", "format_exc"))
    imports.append(("typing", "Any"))
    generated = cst.parse_module(
        render(
            "falcon_hookup.py.j2",
            middleware=MIDDLEWARE,
            scope=SCOPE,
            handler=HANDLER,
            client=client.name,
            asgi=asgi,
            user_id=user_id,
        ),
        config=module.config_for_parsing,
    ).body
    definitions = [
        d
        for d in generated
        if (isinstance(d, cst.FunctionDef) and add_handler)
        or (not isinstance(d, cst.FunctionDef) and add_middleware)
    ]
    holder: cst.BaseStatement = creation.factory or creation.statement
    blank = [cst.EmptyLine(indent=False)] * 2
    edits.insert_before(holder, *(d.with_changes(leading_lines=blank) for d in definitions))
    if holder is creation.statement:
        # The app's statement follows the definitions, with its comments, two lines below.
        comments = [line for line in creation.statement.leading_lines if line.comment]
        current = edits.replace.get(holder, holder)
        assert isinstance(current, cst.SimpleStatementLine)
        edits.replace[holder] = current.with_changes(leading_lines=blank + comments)
    return add_imports(apply(module, edits), client, *imports).code
