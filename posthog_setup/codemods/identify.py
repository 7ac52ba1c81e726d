"""Identify on login and signup, right after the call that logs the user in
(or right before the token is returned, for token logins).

Three statements: bind the identity to the request context, put the person
properties on the person (the only place an email may go), and capture the event::

    identify_context(str(user.id))
    posthog_client.set(distinct_id=str(user.id), properties={"email": user.email})
    posthog_client.capture("user_logged_in", distinct_id=str(user.id))
"""

from __future__ import annotations

import re

import libcst as cst

from posthog_setup.analysis.bindings import bindings, means_import
from posthog_setup.codemods.capture import (
    RESPONSE,
    RESULT,
    add_override,
    existing_method,
    free_name,
    split_return,
)
from posthog_setup.codemods.handlers import (
    Definition,
    FoundHandler,
    Spot,
    body_end,
    branch_taken,
    handler_statement,
    is_super_call,
    last_return,
    returned,
)
from posthog_setup.codemods.points import IdentifyPoint
from posthog_setup.codemods.render import (
    DictArg,
    as_text,
    call_source,
    indented,
    string_literal,
)
from posthog_setup.codemods.splice import FileEdit

#: Ignore-comment rule that switches identify insertion off.
RULE = "missing-identify"
IDENTIFY = "identify_context"
#: The SDK module that exports ``identify_context``.
SDK_MODULE = "posthog"
#: Where the ``get_serializer`` added to a library token view keeps the serializer its
#: ``post`` validates, for the ``post`` added beside it.
KEPT_SERIALIZER = "login_serializer"


def describe(point: IdentifyPoint) -> str:
    """What a note says was not inserted."""
    return f"identify and capture of {point.event}"


def plan_identify(point: IdentifyPoint, handler: FoundHandler, site: FileEdit) -> str | None:
    """Plan the identify statements; returns why they cannot go in, if they cannot."""
    # A handler may log in on two ways (a returning user, a new one): each call is
    # identified where it is; a second run finds the handler identifying and adds none.
    if not point.identified and (
        handler.definition.calls_named(IDENTIFY)
        or not site.claim(handler.node, f"{IDENTIFY} at {point.call_line}")
    ):
        return None
    spot = handler_statement(
        handler, point.call_line, site.step, site.positions, after=not point.before
    )
    if spot is None:
        return f"has no statement at line {point.call_line}"
    before = point.before
    taken = (
        None
        if before
        else branch_taken(spot, point.call_line + handler.offset, site.step, site.positions)
    )
    if taken is not None:
        spot, before = taken, True
    sends = f"{IDENTIFY} sends {point.event}"
    if point.event in handler.definition.captured_events():
        event = False
    elif site.claim(handler.node, point.event):
        event = site.claim(handler.node, sends)
    else:
        # Sent on another way of the handler by an identify too: this way sends its own.
        event = site.has_claimed(handler.node, sends)
    sources = _sources(point, spot.indent, site, with_event=event)
    if not sources:
        return None
    result = None if before else returned(spot.node)
    if result is not None and result.value is not None:
        # ``return await register(data)``: code after it would never run.
        split_return(spot, result, free_name(handler.node, RESULT), site)
    site.splices.insert(spot, [site.statement(code) for code in sources], before=before)
    _use(point, sources, site)
    return None


def plan_override(
    point: IdentifyPoint, cls: Definition, hook: Definition | None, site: FileEdit
) -> str | None:
    """Identify in a class view's write hook (``perform_create``): at the end of ``hook``
    where the class has it (the object is saved there), else in the hook added to call the
    parent's and then identify."""
    assert point.override is not None
    assert isinstance(cls.node, cst.ClassDef)
    if hook is not None:
        definition = hook
        method = definition.node
        assert isinstance(method, cst.FunctionDef)
        handler = FoundHandler(definition, method)
        if definition.calls_named(IDENTIFY) or not site.claim(method, IDENTIFY):
            return None
        spot = last_return(handler)
        before = spot is not None
        spot = spot or body_end(method, definition.body_indent)
        event = point.event not in definition.captured_events()
        sources = _sources(point, spot.indent, site, with_event=event)
        site.splices.insert(spot, [site.statement(code) for code in sources], before=before)
        _use(point, sources, site)
        return None
    if not site.claim(cls.node, f"def {point.override}"):
        return None
    sources = _sources(point, cls.body_indent + site.step, site, with_event=True)
    add_override(cls, point.override, sources, site)
    _use(point, sources, site)
    return None


def _sources(point: IdentifyPoint, indent: str, site: FileEdit, *, with_event: bool) -> list[str]:
    """``identify_context``, the person's properties and the event, laid out at ``indent``."""
    step, client = site.step, site.client.name
    sources = []
    user_id = as_text(point.user_id) if point.user_id is not None else None
    # Where the project's own code binds the identity, only the event is added.
    binds = user_id is not None and not point.identified
    if binds:
        assert user_id is not None
        sources.append(call_source(IDENTIFY, [user_id], indent=indent, step=step))
    if point.person_properties and binds:
        properties = tuple((name, f"{point.user}.{name}") for name in point.person_properties)
        sources.append(
            call_source(
                f"{client}.set",
                [f"distinct_id={user_id}", DictArg("properties", properties)],
                indent=indent,
                step=step,
            )
        )
    if with_event:
        sources.append(
            call_source(
                f"{client}.capture",
                [string_literal(point.event)]
                + ([f"distinct_id={user_id}"] if user_id is not None else []),
                indent=indent,
                step=step,
            )
        )
    return sources


def _use(point: IdentifyPoint, sources: list[str], site: FileEdit) -> None:
    """The imports the statements need."""
    if point.identified:
        site.use_client()
        return
    if point.user_id is not None:
        site.use(SDK_MODULE, IDENTIFY)
    if point.user_id is None or len(sources) > 1:
        site.use_client()


def plan_token_login(
    point: IdentifyPoint, cls: Definition, post: Definition | None, site: FileEdit
) -> str | None:
    """A project's subclass of a library token view (DRF's ``ObtainAuthToken``, simplejwt's
    ``TokenObtainPairView``): the library's ``post`` validates a serializer it keeps to
    itself, so ``get_serializer`` is overridden to keep it, and the user it proved is
    identified once ``post`` answers with a success: in the class's own ``post``, right
    after it keeps the library's response, or in the ``post`` added to call it."""
    assert point.kept is not None
    assert isinstance(cls.node, cst.ClassDef)
    if cls.calls_named(IDENTIFY):
        return None  # identified by an earlier run
    # Older releases answer with what names the user (their token): nothing is kept then.
    keeps = re.search(r"\bserializer\b", point.kept) is not None
    if keeps and existing_method(cls, "get_serializer") is not None:
        return "has its own get_serializer()"
    clash = _bound_otherwise(point.imports, site)
    if clash is not None:
        return f"is in a module that binds {clash} otherwise"
    if not site.claim(cls.node, "def post"):
        return None
    step = site.step
    if post is not None:
        method = post.node
        assert isinstance(method, cst.FunctionDef)
        kept = _parent_response(method, post.body_indent)
        if kept is None:
            return "has its own post() that does not keep the library's response"
        spot, response = kept
        identified = _token_identify(point, response, spot.indent, site, method)
        site.splices.insert(spot, [site.statement(code) for code in identified], before=False)
        methods = [_keep_serializer(step)] if keeps else []
    else:
        identified = _token_identify(point, RESPONSE, cls.body_indent + step, site)
        methods = [
            *([_keep_serializer(step)] if keeps else []),
            "\n".join(
                [
                    "def post(self, request, *args, **kwargs):",
                    f"{step}{RESPONSE} = super().post(request, *args, **kwargs)",
                    *(indented(code, step) for code in identified),
                    f"{step}return {RESPONSE}",
                ]
            ),
        ]
    added = [
        site.statement(code + "\n").with_changes(leading_lines=[cst.EmptyLine(indent=False)])
        for code in methods
    ]
    if added:
        site.splices.insert(body_end(cls.node, cls.body_indent), added, before=False)
    site.use(SDK_MODULE, IDENTIFY)
    site.use_client()
    for module, name in point.imports:
        site.use(module, name)
    return None


def _bound_otherwise(imports: tuple[tuple[str, str], ...], site: FileEdit) -> str | None:
    """The first name of ``imports`` the module binds to something else (or cannot tell)."""
    if not imports:
        return None
    tree = site.paired.tree
    known = bindings(tree) if tree is not None else None
    for module, name in imports:
        if known is None or not means_import(known, {}, module, name):
            return name
    return None


def _parent_response(method: cst.FunctionDef, indent: str) -> tuple[Spot, str] | None:
    """The top-level ``response = super().post(...)`` of ``method``, and its local."""
    block = method.body
    for index, stmt in enumerate(block.body):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        assign = stmt.body[0]
        if (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and is_super_call(assign.value, method.name.value)
        ):
            return Spot(block, index, indent), assign.targets[0].target.value
    return None


def _keep_serializer(step: str) -> str:
    """``get_serializer``, keeping the serializer the library's ``post`` validates."""
    return "\n".join(
        [
            "def get_serializer(self, *args, **kwargs):",
            f"{step}# Kept for post(): it holds the user the credentials proved.",
            f"{step}self.{KEPT_SERIALIZER} = super().get_serializer(*args, **kwargs)",
            f"{step}return self.{KEPT_SERIALIZER}",
        ]
    )


def _token_identify(
    point: IdentifyPoint,
    response: str,
    indent: str,
    site: FileEdit,
    method: cst.FunctionDef | None = None,
) -> list[str]:
    """The identify of a token login, run when ``response`` is a success, for ``indent``;
    its locals are names ``method`` (the project's own post) never uses."""
    assert point.kept is not None
    step, client = site.step, site.client.name

    def local(name: str) -> str:
        return free_name(method, name) if method is not None else name

    user, distinct_id, email = local("user"), local("distinct_id"), local("email")
    inner = indent + step
    # The serializer the library's post() names ``serializer`` is the one kept; its
    # ``response`` is the one the post answers with.
    read = re.sub(r"\bserializer\b", f"self.{KEPT_SERIALIZER}", point.kept)
    read = re.sub(r"\bresponse\b", response, read)
    person = call_source(
        f"{client}.set",
        [f"distinct_id={distinct_id}", DictArg("properties", (("email", email),))],
        indent=inner + step,
        step=step,
    )
    event = call_source(
        f"{client}.capture",
        [string_literal(point.event), f"distinct_id={distinct_id}"],
        indent=inner,
        step=step,
    )
    lines = [
        f"{distinct_id} = str({user}.pk)",
        f"{IDENTIFY}({distinct_id})",
        f'{email} = getattr({user}, "email", None)',
        f"if {email}:",
        indented(person, step),
        event,
    ]
    body = "\n".join(indented(code, step) for code in lines)
    # A library whose post() does not read the user itself may keep none (a serializer of
    # the project's that is not the library's).
    maybe_none = f"{user} is not None and " if read.startswith("getattr(") else ""
    condition = f"if {maybe_none}200 <= {response}.status_code < 300:"
    return [f"{user} = {read}", f"{condition}\n{body}"]
