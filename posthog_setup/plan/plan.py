"""The event plan: the analysis made durable as ``posthog-events.json``.

People read and edit this file; revise checks the code against it. Events are
keyed by where they are sent from (file, handler, route, methods), so a name a
person changed in the file survives every later run. Ordering is stable (by
file, then line) so diffs of the plan stay small.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from posthog_setup import __version__
from posthog_setup.analysis.flow import Proof, parsed_expression
from posthog_setup.analysis.model import (
    DEFAULT_TOKEN_VAR,
    Analysis,
    Anchor,
    AuthPoint,
    ErrorHandler,
    Handler,
    Route,
    UserAccess,
)
from posthog_setup.analysis.paths import path_converters, path_parameters
from posthog_setup.analysis.rules.pii import PII_NAMES
from posthog_setup.plan.naming import (
    ACCOUNT_PARTS,
    NO_RESOURCE,
    event_name,
    format_event,
    name_parts,
    names_an_action,
    singular,
    snake,
)

PLAN_FILE = "posthog-events.json"
PLAN_VERSION = 1
DEFAULT_HOST_VAR = "POSTHOG_HOST"
_AUTH_DESCRIPTIONS = {
    "login": "A user logged in.",
    "signup": "A new user signed up.",
    "logout": "A user logged out.",
}
_AUTH_EVENTS = {
    "login": ("user", "logged_in"),
    "signup": ("user", "signed_up"),
    "logout": ("user", "logged_out"),
}


@dataclass(frozen=True)
class PlannedProperty:
    """An event property: its name, the handler expression that gives it, its JSON type."""

    name: str
    value: str
    type: str


@dataclass(frozen=True)
class PlannedEvent:
    """One event the integration sends, and where from."""

    event: str
    description: str
    kind: str
    file: str
    handler: str
    line: int
    route: str | None
    methods: tuple[str, ...]
    properties: tuple[PlannedProperty, ...] = ()
    distinct_id: str | None = None
    #: the event type a webhook's branch handles, where the handler has several
    outcome: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str, tuple[str, ...], str]:
        """Identity across runs: what a renamed event is matched by."""
        return (
            self.kind,
            self.file,
            self.handler,
            self.route or "",
            self.methods,
            self.outcome or "",
        )


@dataclass(frozen=True)
class PlannedExceptionCapture:
    """An existing error handler that gets ``capture_exception``."""

    file: str
    handler: str
    line: int
    handles: tuple[str, ...]


#: The name the tool's client module exports and edited code calls.
CLIENT_NAME = "posthog_client"
#: How the project set up the client edited code uses (``SetupFacts.adopted``).
ADOPTED_CLIENT = "client"
ADOPTED_MODULE = "module"


@dataclass(frozen=True)
class SetupFacts:
    """How the client is set up: the facts a reviewer checks once."""

    frameworks: tuple[str, ...]
    dependency_manager: str
    manifest: str | None
    client_module: str
    token_var: str = DEFAULT_TOKEN_VAR
    host_var: str = DEFAULT_HOST_VAR
    #: the name edited code calls the client by: the client module's ``posthog_client``, the
    #: project's own module-level client, or ``posthog`` for the posthog module's own client
    client_name: str = CLIENT_NAME
    #: the project set its client up itself (in ``client_module``), and edit uses that one
    #: and writes no client module of its own: ``ADOPTED_CLIENT`` (a client object, named
    #: ``client_name``; "" where nothing can import it) or ``ADOPTED_MODULE`` (the posthog
    #: module's own client); "" for the tool's client module
    adopted: str = ""

    @property
    def default_client(self) -> bool:
        """Edited code sends through the posthog module's own client (``posthog.capture``)."""
        return self.adopted == ADOPTED_MODULE

    @property
    def unreachable(self) -> bool:
        """The project's client is built where edited code cannot import it."""
        return self.adopted == ADOPTED_CLIENT and not self.client_name


@dataclass(frozen=True)
class Plan:
    """The analytics contract of the project."""

    setup: SetupFacts
    events: tuple[PlannedEvent, ...]
    exception_captures: tuple[PlannedExceptionCapture, ...] = field(default=())

    def same_contract(self, other: Plan | None) -> bool:
        """True if ``other`` says the same as this plan (line numbers, never stored, aside)."""
        if other is None:
            return False

        def unlined(plan: Plan) -> tuple[object, ...]:
            return (
                plan.setup,
                tuple(dataclasses.replace(e, line=0) for e in plan.events),
                tuple(dataclasses.replace(c, line=0) for c in plan.exception_captures),
            )

        return unlined(self) == unlined(other)


def _property_type(route_path: str, name: str, handler: Handler) -> str:
    annotation = dict(handler.annotations).get(name, "")
    converter = path_converters(route_path).get(name, "")
    if annotation in ("int", "uuid.UUID", "UUID") or converter == "int":
        return "integer" if annotation != "UUID" and annotation != "uuid.UUID" else "string"
    if annotation == "float" or converter == "float":
        return "number"
    if annotation == "bool":
        return "boolean"
    return "string"


#: A project's own helper that answers the logged-in user (``get_current_user()``).
_CURRENT_USER_HELPER = re.compile(r"^(get_)?(current|authed|logged_in|request)_user$")


def _project_current_user(route: Route | None) -> UserAccess | None:
    """The user a handler got from the project's own helper (``user = get_current_user()``):
    its id is read only where proven (the handler read ``user.id``, or the helper's return
    annotation declares it), like any other object's."""
    if route is None:
        return None
    for name, kind in route.typed:
        if _CURRENT_USER_HELPER.match(kind.rstrip("?").rsplit(".", 1)[-1]):
            return UserAccess("project.current_user", f"{name}.id", None)
    return None


def user_access(
    route: Route | None, handler: Handler, framework: str, analysis: Analysis
) -> UserAccess | None:
    """How the code reaches the user: as analysed, else through the framework (before or
    after the project's own current-user helper, as the framework's conventions say)."""
    if route is not None and route.user_access is not None:
        return route.user_access
    conventions = analysis.conventions(framework)
    framework_user = conventions.current_user(handler, analysis)
    if framework_user is not None and conventions.user_first:
        return framework_user
    return _project_current_user(route) or framework_user


def implicit_write(route: Route, analysis: Analysis) -> str | None:
    """The method to add where a class-based view writes implicitly, if the handler is the class."""
    return analysis.conventions(route.framework).implicit_write(route)


def plan_handler(route: Route, analysis: Analysis) -> str:
    """The handler an event is filed under: for a view whose write is implicit, its class.

    The edit may add ``form_valid`` or ``perform_update`` to the class; the plan names
    the class either way, so the event keeps its identity (and any rename) across runs.
    """
    return analysis.conventions(route.framework).filed_under(route)


class RouteIndex:
    """The analysed routes by the file and handler the plan files their events under."""

    def __init__(self, analysis: Analysis) -> None:
        self._routes: dict[tuple[str, str], list[Route]] = {}
        for route in analysis.routes:
            key = (route.handler.file, plan_handler(route, analysis))
            self._routes.setdefault(key, []).append(route)

    def find(self, event: PlannedEvent) -> Route | None:
        """The route an event is sent from (a hand-written event may name no route or methods)."""
        for route in self._routes.get((event.file, event.handler), ()):
            if (event.route is None or route.path == event.route) and (
                not event.methods or event_methods(route) == event.methods
            ):
                return route
        return None


def names_pii(param: str) -> bool:
    """Does a parameter's name hold a PII word, whole (``client_ip``; not ``recipe_id``)?"""
    words = param.lower().split("_")
    return any(
        PII_NAMES.fullmatch("_".join(words[start:end]))
        for start in range(len(words))
        for end in range(start + 1, len(words) + 1)
    )


#: Words of a path that serves a link mailed or handed to one person (a confirmation, a
#: password reset, an invitation): what its parameters carry is that person's secret.
_ONE_TIME_LINK = re.compile(
    r"confirm|verif|reset|activat|invit|magic|unsubscribe|callback|token|sign_?in|login",
    re.IGNORECASE,
)


#: A parameter named as a record's key (``invitation_id``, ``pk``, ``slug``): an identifier.
_KEY_NAME = re.compile(r"(^|_)(id|pk|slug)$", re.IGNORECASE)


#: Words of a parameter's own name that say its value is signed, encoded or a code to
#: keep (``<signed_payload>``, ``<uidb64>``, ``<otp_code>``): a secret wherever it is. A
#: ``code`` alone or of a login's kind only (``<country_code>`` is data); never ``key``
#: (``<config_key>`` names a setting; an ``api_key`` is PII's already).
_SECRET_PARAM = re.compile(
    r"(^|_)(signed|signature|payload|hash|digest|hmac|nonce|otp|uidb64|b64|jwt|encrypted"
    r"|cipher)(_|$)"
    r"|^((auth|otp|verification|verify|reset|confirm|confirmation|invite|invitation|access"
    r"|activation|magic|login|mfa)_)?code$",
    re.IGNORECASE,
)


def _link_secret(route_path: str, param: str, param_type: str) -> bool:
    """Whether a path parameter is a secret: named as one (``<signed_payload>``), or a
    one-time link's (neither a number nor named as a record's key, on a path whose fixed
    words name such a link: ``/confirm/<data>``)."""
    if _SECRET_PARAM.search(param):
        return True
    if param_type == "integer" or _KEY_NAME.search(param):
        return False
    fixed = [
        part
        for part in re.split(r"[/.]", route_path)
        if part and not any(mark in part for mark in "<{(:")
    ]
    return any(_ONE_TIME_LINK.search(part) for part in fixed)


def _plural_of(word: str, noun: str) -> bool:
    """Whether ``word`` is ``noun`` or a plural of it, by any English suffix rule, however
    its words are joined (``bookinstances`` of ``book_instance``)."""
    word, noun = word.replace("_", ""), noun.replace("_", "")
    stem = noun[:-1]
    forms = {noun, noun + "s", noun + "es", stem + "ies", stem + "ves", noun[:-2] + "ves"}
    return word in forms


def _keyed_resource(path: str, param: str, noun: str) -> str:
    """What a bare ``id`` / ``pk`` parameter keys: the resource the path names right before
    it (``/posts/<int:id>/comments/`` keys a post, whatever the event's noun), else the
    event's noun (``/edit/<int:id>`` names an action)."""
    segments = path.strip("/").split("/")
    for index, segment in enumerate(segments):
        if param not in path_parameters(segment):
            continue
        before = segments[index - 1] if index > 0 else ""
        named = snake(before) if before and not path_parameters(before) else ""
        if not named or NO_RESOURCE.match(named):
            break
        plural = singular(named) != named
        # ``/edit/<id>`` and ``/disable/<id>`` say what is done, not to what.
        if plural or not names_an_action(named):
            resource = singular(named)
            if resource.isidentifier():
                return noun if _plural_of(named, noun) else resource
        break
    return noun


#: A short key parameter: the first letters of what it keys, then ``id`` or ``pk``
#: (``cid``, ``pid``, ``fpk``).
_SHORT_ID = re.compile(r"([a-z]{1,3})_?(?:id|pk)")


def _path_properties(route: Route, noun: str, analysis: Analysis) -> list[PlannedProperty]:
    found = []
    conventions = analysis.conventions(route.framework)
    looked_up_by = dict(route.lookup_keys)
    for param in path_parameters(route.path):
        kind = _property_type(route.path, param, route.handler)
        if names_pii(param) or _link_secret(route.path, param, kind):
            continue
        short = _SHORT_ID.fullmatch(param)
        looked_up = looked_up_by.get(param)
        if looked_up is not None and (param in ("id", "pk") or short):
            # What the handler looks up by it says what it keys, whatever the path says
            # (``/book/<pk>/renew`` with ``get_object_or_404(BookInstance, pk=pk)``).
            name = f"{singular(snake(looked_up.rsplit('.', 1)[-1]))}_id"
        elif param in ("id", "pk"):
            name = f"{_keyed_resource(route.path, param, noun)}_id"
        elif (
            short
            and (keyed := _keyed_resource(route.path, param, noun)) != param
            and keyed.startswith(short.group(1))
        ):
            # ``/comments/<cid>``: the comment's id, as every other id is named.
            name = f"{keyed}_id"
        else:
            # ``<int:quiz_pk>`` is the quiz's id, as every other id is named; a short one
            # that keys nothing the path names (``<spk>``) keeps its own name.
            name = param if short else re.sub(r"(?<=[a-z0-9])_?pk$", "_id", param)
        if param in route.handler.params:
            value = param
        else:
            read = conventions.url_value(route.handler, param)
            if read is None:
                continue
            value = read
        found.append(PlannedProperty(name, value, kind))
    return found


def _object_property(
    route: Route, noun: str, verb: str, classes: Analysis, acting: str | None = None
) -> list[PlannedProperty]:
    """``post_id`` of the object the route created or acted on: a ``post`` local, or a local
    holding an instance of the noun's class (``posted = News.objects.create(...)`` for
    ``news_created``), where its key is proven readable at the capture (see
    ``analysis.flow``): never a guess at an attribute. Never the ``acting`` user's object
    (``current_user`` of ``current_user.id``): the event's distinct id says who acted, and
    the user an admin creates is not the admin. Not for a deletion: a deleted object's key
    is gone (Django sets it to None)."""
    if verb == "deleted":
        return []
    holders = [noun] if noun in route.locals else []
    holders += [
        name
        for name, kind in route.typed
        if name != noun
        and snake(classes.instance_class(kind).rstrip("?").rsplit(".", 1)[-1]) == noun
    ]
    holders = [h for h in holders if not _read_from(acting, h)]
    proof = Proof.of(route.proven)
    for name in holders:
        key = _proven_key(name, proof, route, classes)
        if key is not None:
            return [PlannedProperty(f"{noun}_id", key, "integer")]
    return []


def _read_from(expression: str | None, name: str) -> bool:
    """Is ``expression`` (the acting user's id: ``current_user.id``) read off ``name``?"""
    return expression is not None and expression.startswith((f"{name}.", f"{name}["))


def _proven_key(name: str, proof: Proof, route: Route, classes: Analysis) -> str | None:
    """``name.pk`` / ``name.id``, the first key attribute proven readable at the capture;
    never of an object the handler deleted on the way there (``pin.delete()``: Django sets
    its key to None)."""
    if f"{name}.delete()" in route.proven:
        return None
    for attribute in classes.conventions(route.framework).key_attributes:
        if provable(f"{name}.{attribute}", proof, route.typed, classes):
            return f"{name}.{attribute}"
    return None


#: At most this many ids of other objects the handler loaded (a parent, a target).
_RELATED_IDS = 2


def _related_properties(
    route: Route, noun: str, classes: Analysis, users: Iterable[str | None]
) -> list[PlannedProperty]:
    """``review_id`` of the other project objects the handler loaded or built on the way
    (the review a keyword is added to, the team an invitation is for), where their key is
    proven readable at the capture, as ``_object_property`` proves it. Never the acting
    user (the event's distinct id says who), never another object of the event's own kind
    (a deleted one's key is gone), never a kind whose name reads as PII (a session)."""
    proof = Proof.of(route.proven)
    found: list[PlannedProperty] = []
    for name, kind in route.typed:
        short = classes.instance_class(kind).rstrip("?").rsplit(".", 1)[-1]
        if not short[:1].isupper():
            continue  # what a function answered: its name is no noun
        if kind.rstrip("?").rsplit(".", 1)[-1].startswith("current_"):
            continue  # what a current-user accessor answered: the acting user
        related = singular(snake(short))
        if not related or related == noun or name == noun or names_pii(related):
            continue
        if route.existing_change == "deleted" and short in route.written:
            continue  # what the handler deleted (an unstarred repo's star): its key is gone
        if name.startswith("current_") or any(_read_from(who, name) for who in users):
            continue  # the acting user (or the acting whatever): the distinct id says who
        key = _proven_key(name, proof, route, classes)
        if key is None or any(p.name == f"{related}_id" for p in found):
            continue
        found.append(PlannedProperty(f"{related}_id", key, "integer"))
        if len(found) == _RELATED_IDS:
            break
    return found


#: At most this many properties from the fields of a request's validated body.
_BODY_FIELDS = 3
#: Fields whose value is a secret or a one-time code whatever their type (``otp``, ``pin``),
#: numbered or not (``new_password1``): not even a password's length is sent.
_SECRET_FIELD = re.compile(
    r"(^|_)(code|otp|pin|key|hash|salt|signature|nonce|cvc|ssn|name)s?\d*$"
    r"|(^|_)(pass|password|passwd|pwd|passphrase|secret|token|credential)s?(_|\d|$)",
    re.IGNORECASE,
)
#: An annotation whose value a framework does not validate against it (a dependency), or
#: that lets it be None.
_UNVALIDATED = re.compile(r"\b(None|Optional|Depends|Security|Provide|Inject|Dependency)\b")
#: The order body fields are taken in: flags and numbers before lengths.
_SHAPE_ORDER = {"bool": 0, "int": 1, "float": 1, "list": 2, "str": 3}


def _body_properties(route: Route, classes: Analysis) -> list[PlannedProperty]:
    """Properties from the fields of a handler parameter the framework validated against a
    schema of the project (a pydantic model, a msgspec struct): flags and
    numbers as they are, the count of a list, the length of text; never a field whose name
    reads as PII or a secret (an email's length is still the email's). Safe by
    construction: the parameter is bound at the capture, and the schema declares the field
    with a type that is never None."""
    proof = Proof.of(route.proven)
    annotations = dict(route.handler.annotations)
    found: list[tuple[int, PlannedProperty]] = []
    for name, kind in route.typed:
        annotation = annotations.get(name)
        if (
            name not in route.handler.params
            or annotation is None
            or _UNVALIDATED.search(annotation)
            or name not in proof.names
        ):
            continue
        for field_name, shape in classes.fields_of(kind):
            if names_pii(field_name) or _SECRET_FIELD.search(field_name):
                continue
            value = f"{name}.{field_name}"
            if shape == "bool":
                prop = PlannedProperty(field_name, value, "boolean")
            elif shape in ("int", "float"):
                prop = PlannedProperty(field_name, value, "integer" if shape == "int" else "number")
            elif shape == "list":
                prop = PlannedProperty(
                    f"{singular(field_name) or field_name}_count", f"len({value})", "integer"
                )
            else:
                prop = PlannedProperty(f"{field_name}_length", f"len({value})", "integer")
            found.append((_SHAPE_ORDER[shape], prop))
    found.sort(key=lambda item: item[0])
    return [prop for _, prop in found[:_BODY_FIELDS]]


#: The JSON type of each serializer field shape's value.
_SERIALIZER_TYPES = {"bool": "boolean", "int": "integer", "float": "number", "choice": "string"}


def _serializer_properties(route: Route, classes: Analysis) -> list[PlannedProperty]:
    """Properties from the fields a DRF serializer the handler built declares, read from
    its ``validated_data`` where ``is_valid()`` has run on every path to the capture (before
    it, reading ``validated_data`` raises): flags, numbers and declared choices as they
    are, the length of text (not of a key's) and the count of a list (a field that may
    validate to None is never measured). Read with ``.get``, so a field left out of the data gives None or 0,
    never an error. Never a field whose name reads as PII or a secret."""
    proof = Proof.of(route.proven)
    declared = dict(classes.serializer_fields)
    found: list[tuple[int, PlannedProperty]] = []
    for name, kind in route.typed:
        fields = declared.get(kind)
        if not fields or name not in proof.names or f"{name}.is_valid" not in proof.chains:
            continue
        data = f"{name}.validated_data"
        for field_name, shape in fields:
            if names_pii(field_name) or _SECRET_FIELD.search(field_name):
                continue
            if shape in _SERIALIZER_TYPES:
                prop = PlannedProperty(
                    field_name, f'{data}.get("{field_name}")', _SERIALIZER_TYPES[shape]
                )
                order = 0 if shape == "bool" else 1
            elif shape == "list":
                counted = singular(field_name) or field_name
                value = f'len({data}.get("{field_name}", ""))'
                prop, order = PlannedProperty(f"{counted}_count", value, "integer"), 2
            elif _KEY_NAME.search(field_name):
                continue  # a key's length says nothing
            else:
                value = f'len({data}.get("{field_name}", ""))'
                prop, order = PlannedProperty(f"{field_name}_length", value, "integer"), 3
            found.append((order, prop))
    found.sort(key=lambda item: item[0])
    return [prop for _, prop in found[:_BODY_FIELDS]]


def provable(
    expression: str,
    proof: Proof,
    typed: Iterable[tuple[str, str]] = (),
    classes: Analysis | None = None,
) -> bool:
    """Is ``expression`` safe to read where ``proof`` holds?

    Proven outright (see ``analysis.flow``), or an attribute the object's class declares:
    ``post.id`` where the handler built ``post = Post(...)`` and the project's ``Post``
    (or one of its bases) declares ``id``.
    """
    if proof.proves(expression):
        return True
    node = parsed_expression(expression)
    if node is None:
        return False
    if classes is None or not isinstance(node, ast.Attribute):
        return False
    owner = node.value
    if not isinstance(owner, ast.Name) or owner.id not in proof.names:
        return False
    kind = dict(typed).get(owner.id)
    if kind is None:
        return False
    attributes = classes.attributes_of(kind)
    if node.attr not in attributes:
        return False
    if "!" in attributes:
        # A value that may be False too: a truth test rules it out, or an attribute read
        # that False has not got (``user.email``; never ``user.real``).
        return any(
            c == f"{owner.id} is truthy"
            or (
                c.startswith(f"{owner.id}.")
                and re.split(r"[.(\[]", c[len(owner.id) + 1 :])[0] not in _BOOL_ATTRIBUTES
            )
            for c in proof.chains
        )
    # A value that may be None is known not to be once the handler has used it.
    return "?" not in attributes or any(
        c.startswith((f"{owner.id}.", f"{owner.id}[")) or c == f"{owner.id} is not None"
        for c in proof.chains
    )


#: What False can be asked for without an error: reading one proves nothing of a value
#: that may be False.
_BOOL_ATTRIBUTES = frozenset(dir(False))


#: The attributes a user's id is kept in, in the order they are looked for.
_ID_ATTRIBUTES = ("id", "pk", "user_id", "uid")
_ID_KEYS = re.compile(r"""(\.|\[['"])(id|pk|uid|user_id|id_)(['"]\])?$""")


def proven_user_id(
    access: UserAccess | None,
    proven: Iterable[str],
    typed: Iterable[tuple[str, str]] = (),
    classes: Analysis | None = None,
) -> tuple[str | None, str | None]:
    """The user id expression (and its guard) that is safe to read, else (None, None).

    A framework's contract (Django's ``request.user.pk`` under ``is_authenticated``,
    flask-login's ``current_user.get_id()``) is safe anywhere; any other user object only
    through an id the handler itself has read on the way (``g.user["id"]``), or where the
    user is kept in a request-wide attribute (``g.current_user``) that every assignment of
    the project types as one class declaring the id's attribute: then under the guard
    that it is there at all (``g.get("current_user") is not None``), which also holds
    in a request that never set it.
    """
    if access is None:
        return None, None
    if access.contract:
        return access.id_expression, access.guard
    proof = Proof.of(proven)
    guard = access.guard if access.guard is None or proof.proves(access.guard) else None
    if provable(access.id_expression, proof, typed, classes):
        return access.id_expression, guard
    base = access.id_expression.rsplit(".", 1)[0]
    for key in _ID_ATTRIBUTES:
        # A user class whose id is not ``id`` (``user_id``, ``uid``): the one it declares.
        if base.isidentifier() and provable(f"{base}.{key}", proof, typed, classes):
            return f"{base}.{key}", guard
    for chain in sorted(proof.chains):
        rest = chain[len(base) :]
        if chain.startswith(base) and rest[:1] in ".[" and _ID_KEYS.fullmatch(rest):
            return chain, guard
    if access.kept_in and access.present and classes is not None:
        key = access.id_expression.rsplit(".", 1)[-1]
        if key in classes.attributes_of(access.kept_in):
            return access.id_expression, access.present
    return None, None


def anonymous_here(access: UserAccess, proven: Iterable[str]) -> bool:
    """Is nobody logged in where ``proven`` holds: the handler left earlier for a
    logged-in user (``if current_user.is_authenticated: return redirect(...)``)?"""
    if access.guard is None or not access.guard.endswith(".is_authenticated"):
        return False
    user = access.guard.removesuffix(".is_authenticated")
    facts = set(proven)
    return f"{access.guard} is false" in facts or f"{user}.is_anonymous is true" in facts


def _outcome_events(
    route: Route, style: str, analysis: Analysis, access: UserAccess | None
) -> list[PlannedEvent]:
    """One event per event type a webhook's branches handle (``invoice.payment_failed`` ->
    ``invoice_payment_failed``), with what is safe anywhere in the handler: its path's
    values and a user only by the framework's contract."""
    properties = tuple(_path_properties(route, "", analysis))
    distinct_id = proven_user_id(access, (), (), analysis)[0]
    methods = event_methods(route)
    where = f"{'/'.join(methods)} {route.path}"
    events = []
    for kind, _ in route.outcomes:
        *noun, verb = re.split(r"[._]", kind)
        events.append(
            PlannedEvent(
                event=format_event("_".join(noun), verb, style),
                description=f"{_article(kind)} {kind} event was handled ({where}).",
                kind="capture",
                file=route.handler.file,
                handler=plan_handler(route, analysis),
                line=route.handler.line,
                route=route.path,
                methods=methods,
                properties=properties,
                distinct_id=distinct_id,
                outcome=kind,
            )
        )
    return events


def _route_event(
    route: Route, analysis: Analysis, access: UserAccess | None, event: str
) -> PlannedEvent:
    """The event ``event`` of a mutating route, with what is safe to read at its anchor."""
    noun, verb = name_parts(route)
    properties = _path_properties(route, noun, analysis)
    properties += [
        p
        for p in _object_property(
            route, noun, verb, analysis, access.id_expression if access else None
        )
        if p.name not in {q.name for q in properties}
    ]
    saved = analysis.conventions(route.framework).saved_object(route)
    if (
        saved is not None
        and verb != "deleted"
        # A password or an email is the account's: no ``email_id`` of the user's row.
        and noun not in ACCOUNT_PARTS
        and f"{noun}_id" not in {q.name for q in properties}
    ):
        properties.append(PlannedProperty(f"{noun}_id", f"{saved}.pk", "integer"))
    own = analysis.conventions(route.framework).own_key(route, analysis)
    if own is not None and own[0] not in {q.name for q in properties}:
        properties.append(PlannedProperty(own[0], own[1], "integer"))
    properties += [
        PlannedProperty(name, value, "integer")
        for name, value in route.counts
        if name not in {q.name for q in properties}
    ]
    distinct_id = proven_user_id(access, route.proven, route.typed, analysis)[0]
    properties += [
        p
        for p in _related_properties(
            route, noun, analysis, (distinct_id, access.id_expression if access else None)
        )
        if p.name not in {q.name for q in properties}
        and p.value not in {q.value for q in properties}
    ]
    properties += [
        p
        for p in (*_body_properties(route, analysis), *_serializer_properties(route, analysis))
        if p.name not in {q.name for q in properties}
    ]
    if verb in ("signed_up", "logged_in"):
        # A signup or a login the analysis saw no user of (an INSERT, a serializer that
        # answers a token): the request's user, if anyone is logged in, is the visitor
        # before it, not who signed up or logged in.
        distinct_id = None
    if access is not None and anonymous_here(access, route.proven):
        # Only a visitor nobody is logged in as gets here (a password reset): the user
        # the event is about is its person, never the always-absent current user.
        person = next((p for p in properties if p.name == "user_id"), None)
        distinct_id = person.value if person is not None else None
        properties = [p for p in properties if p is not person]
    if access is not None and access.system:
        # Sent for a process, not a person: no person profile for it.
        properties.append(PlannedProperty("$process_person_profile", "False", "boolean"))
    return PlannedEvent(
        event=event,
        description=_description(noun, verb, route),
        kind="capture",
        file=route.handler.file,
        handler=plan_handler(route, analysis),
        line=route.handler.line,
        route=route.path,
        methods=event_methods(route),
        properties=tuple(properties),
        distinct_id=distinct_id,
    )


def branch_routes(route: Route) -> dict[str, Route]:
    """The route as each way through its handler sees it (see ``WriteBranch``: only its
    own writes, its own anchor and what is proven there), by the name its event is made
    from (``vote_created``, ``vote_deleted``), where the ways' writes are of different
    kinds: each event's verb its own. Else none: the ways make one kind of change (an
    address picked or a new one saved), sent as one event (see ``flow._past_branches``)."""
    if not route.branches or route.outcomes:
        return {}
    ways: dict[str, Route] = {}
    verbs: set[str] = set()
    for branch in route.branches:
        way = dataclasses.replace(
            route,
            evidence=tuple(
                e for e in route.evidence if e.kind != "write" or e.line in branch.writes
            ),
            change_line=branch.writes[-1],
            anchor=branch.anchor,
            proven=branch.proven,
            written=branch.written,
            existing_change=branch.existing_change,
            # Each way is one outcome: neither is the toggle the handler's name may say.
            toggles=None,
            counts=(),
            branches=(),
        )
        noun, verb = name_parts(way)
        ways[format_event(noun, verb)] = way
        verbs.add(verb)
    if len(ways) < len(route.branches) or len(verbs) < len(ways):
        return {}
    return ways


def _branch_events(
    route: Route, style: str, analysis: Analysis, access: UserAccess | None
) -> list[PlannedEvent]:
    """One event per way through a handler whose ways write different kinds of things
    (see ``branch_routes``), each filed under the route's methods."""
    methods = event_methods(route)
    return [
        dataclasses.replace(
            _route_event(way, analysis, access, event_name(way, style)),
            methods=methods,
            outcome=key,
        )
        for key, way in branch_routes(route).items()
    ]


def _description(noun: str, verb: str, route: Route) -> str:
    methods = "/".join(event_methods(route))
    subject = noun.replace("_", " ")
    # A job's run has no path: the function that ran says where.
    where = f"{methods} {route.path}" if route.path else f"in a run of {route.handler.qualname}"
    return f"{_article(subject)} {subject} was {verb.replace('_', ' ')} ({where})."


#: Words spelled with a vowel that start with a consonant sound (``a user``, ``a unit``,
#: ``a one-time link``) and with an h that is not sounded (``an hour``).
_YOU_SOUND = re.compile(r"^(?:uni|u(?!n)[bcdfgjklmpqrstvz][aeiou]|url|eu|ewe|one\b|once)")
_SILENT_H = re.compile(r"^(?:hour|honest|honou?r|heir)")


def _article(words: str) -> str:
    """``A`` or ``An``, as ``words`` sound."""
    return "An" if _vowel_sound(words) else "A"


def _vowel_sound(words: str) -> bool:
    """Does ``words`` start with a vowel sound, so that it takes ``an``?"""
    lowered = words.lower()
    if _SILENT_H.match(lowered):
        return True
    return lowered[:1] in ("a", "e", "i", "o", "u") and not _YOU_SOUND.match(lowered)


#: What a handler proves it called when a form or payload was valid.
_VALIDATED = ("is_valid()", "validate_on_submit()", "validate()", "is_submitted()")
#: What a handler reads of a request's body: it expects one (a POST), a GET has none.
_POSTED = re.compile(r"\brequest\.(POST|FILES|body|data|json|form)\b")


def event_methods(route: Route) -> tuple[str, ...]:
    """The methods an event is sent for: those that reach the capture, where the handler's
    method tests say (a write on the GET branch of a GET/POST view is sent for GET), else
    the mutating ones of the route."""
    if route.anchor is not None and route.anchor.methods:
        reached = tuple(m for m in route.methods if m in route.anchor.methods)
        if reached:
            return reached
    if (
        route.anchor is not None
        and not route.anchor.before
        and "GET" in route.methods
        and route.handler.class_name is None
        and any(e.kind == "write" for e in route.evidence)
        and not any(fact.endswith(_VALIDATED) or _POSTED.search(fact) for fact in route.proven)
    ):
        # A function whose write no method test or validation guards writes for a GET
        # too (a "mark as read" link); a class view's hook runs for its POST only.
        return route.methods
    mutating = tuple(m for m in route.methods if m in ("POST", "PUT", "PATCH", "DELETE"))
    return mutating or route.methods


#: Where logins, logouts and signups that Django's auth machinery performs are captured:
#: signal receivers in a module beside the client module, one function per kind.
RECEIVERS_MODULE = "posthog_receivers.py"
RECEIVERS = {
    "login": "capture_user_logged_in",
    "logout": "capture_user_logged_out",
    "signup": "capture_user_signed_up",
}


def beside_client(client_module: str, file_name: str) -> str:
    """The path of a module the tool generates (``file_name``), beside the client module."""
    folder = client_module.rpartition("/")[0]
    return f"{folder}/{file_name}" if folder else file_name


def receivers_file(client_module: str) -> str:
    """The receivers module's path, beside the client module."""
    return beside_client(client_module, RECEIVERS_MODULE)


def _auth_event(
    point: AuthPoint,
    style: str,
    routes: Iterable[Route],
    *,
    classes: Analysis,
    client_module: str,
) -> PlannedEvent:
    noun, verb = _AUTH_EVENTS[point.kind]
    if point.mechanism.endswith("signals"):
        # No view of the project sees it: the receiver edit writes is where it is sent.
        return PlannedEvent(
            event=format_event(noun, verb, style),
            description=_AUTH_DESCRIPTIONS[point.kind],
            kind=point.kind,
            file=receivers_file(client_module),
            handler=RECEIVERS[point.kind],
            line=0,
            route=None,
            methods=(),
        )
    route = next(
        (
            r
            for r in routes
            if r.handler.file == point.handler.file
            and point.handler.qualname in (r.handler.qualname, plan_handler(r, classes))
        ),
        None,
    )
    return PlannedEvent(
        event=format_event(noun, verb, style),
        description=_AUTH_DESCRIPTIONS[point.kind],
        kind=point.kind,
        file=point.handler.file,
        handler=point.handler.qualname,
        line=point.line,
        route=route.path if route else None,
        methods=event_methods(route) if route else (),
        properties=(),
        distinct_id=_logout_distinct_id(point, route, classes),
    )


def _logout_distinct_id(point: AuthPoint, route: Route | None, classes: Analysis) -> str | None:
    """Who logs out (known until the logout call); logins and signups bind their own id."""
    if point.kind != "logout":
        return None
    access = user_access(route, point.handler, point.framework, classes)
    return proven_user_id(access, point.proven, point.typed, classes)[0]


def _one_capture_per_spot(events: list[PlannedEvent]) -> list[PlannedEvent]:
    """``events``, those that one capture in a handler several routes serve sends (the
    same event at the same line) each with what that capture can send on every route:
    the properties they all have, and the person where it is the same (``blog_id`` of
    ``/blog/<blog_id>/edit`` is no value on ``/blog/create``, which the handler serves too)."""
    spots: dict[tuple[str, str, int, str], list[int]] = {}
    for index, event in enumerate(events):
        if event.kind == "capture" and event.outcome is None:
            spots.setdefault((event.file, event.handler, event.line, event.event), []).append(index)
    shared = list(events)
    for indexes in spots.values():
        if len(indexes) < 2:
            continue
        group = [events[i] for i in indexes]
        common = tuple(p for p in group[0].properties if all(p in e.properties for e in group))
        people = {e.distinct_id for e in group}
        person = people.pop() if len(people) == 1 else None
        for i in indexes:
            shared[i] = dataclasses.replace(events[i], properties=common, distinct_id=person)
    return shared


def build_plan(
    analysis: Analysis,
    *,
    client_module: str,
    client_name: str = CLIENT_NAME,
    adopted: str = "",
    style: str | None = None,
    token_var: str | None = None,
    host_var: str | None = None,
) -> Plan:
    """The plan for a fresh integration of the analysed project.

    Where the project has a client edited code cannot import (``client_name`` ""), the
    plan keeps only what the code already sends: nothing new could be sent.
    """
    style = style or analysis.existing.naming_style or "snake_case"
    auth_handlers = {(p.handler.file, p.handler.qualname) for p in analysis.auth_points}
    events: list[PlannedEvent] = []
    shared: dict[tuple[str, str, str | None, Anchor | None], str] = {}
    for route in analysis.routes:
        if not route.mutating or route.ignored:
            continue
        if (route.handler.file, route.handler.qualname) in auth_handlers or (
            route.handler.file,
            plan_handler(route, analysis),
        ) in auth_handlers:
            continue
        if route.anchor is None and not implicit_write(route, analysis):
            # No statement on the success path to capture at (see ``analysis.flow``).
            continue
        access = user_access(route, route.handler, route.framework, analysis)
        # A name the code already sends is the project's own: the plan adopts it. A handler
        # several routes serve has one body, where one capture goes at one place: every
        # route's event there takes the name its first route has (``/ping/<key>`` and
        # ``/ping/<key>/start``); a dispatcher's routes each have a branch of their own.
        spot = (route.handler.file, route.handler.qualname, route.action, route.anchor)
        sent = next((c for c in route.captures if c), None) or (
            shared.get(spot) if route.anchor is not None else None
        )
        if sent is None and not client_name:
            continue
        outcomes = _outcome_events(route, style, analysis, access) if route.outcomes else []
        if outcomes and (sent is None or sent in {e.event for e in outcomes}):
            # A webhook: one event per event type it handles, never one for them all.
            events += outcomes
            continue
        ways = _branch_events(route, style, analysis, access)
        if ways and (not route.captures or set(route.captures) & {e.event for e in ways}):
            # Ways that end the action with different writes (a toggle's create and
            # delete): each sends its own event, never one named from the other.
            events += ways
            continue
        events.append(
            _route_event(
                route, analysis, access, shared.setdefault(spot, sent or event_name(route, style))
            )
        )
    events = _one_capture_per_spot(events)
    identities: set[tuple[str, str, str | None, tuple[str, ...], str]] = set()
    for point in analysis.auth_points:
        if not client_name or point.untracked is not None:
            continue
        made = _auth_event(
            point, style, analysis.routes, classes=analysis, client_module=client_module
        )
        # One handler may log in (or sign up) on two ways (an OAuth callback's new and
        # returning users): the plan lists the handler's event once.
        place = (made.file, made.handler, made.route, made.methods, made.kind)
        if place not in identities:
            identities.add(place)
            events.append(made)
    # Ordered by what identifies an event, never by line: edits move lines.
    events.sort(key=lambda e: (e.file, e.route or "", e.methods, e.kind, e.handler, e.event))
    captures = tuple(
        _exception_capture(h)
        for h in analysis.error_handlers
        if h.server_error and (client_name or h.captures)
    )
    manifest = analysis.project.manifests[0] if analysis.project.manifests else None
    env = analysis.existing.env_vars
    return Plan(
        setup=SetupFacts(
            frameworks=analysis.project.frameworks,
            dependency_manager=analysis.project.dependency_manager,
            manifest=manifest.file if manifest else None,
            client_module=client_module,
            token_var=token_var
            or _existing_var(env, ("TOKEN", "API_KEY", "KEY"))
            or DEFAULT_TOKEN_VAR,
            host_var=host_var or _existing_var(env, ("HOST",)) or DEFAULT_HOST_VAR,
            client_name=client_name,
            adopted=adopted,
        ),
        events=tuple(events),
        exception_captures=tuple(sorted(captures, key=lambda c: (c.file, c.handler))),
    )


def _existing_var(env_vars: Iterable[str], suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        for name in sorted(env_vars):
            if name.startswith("POSTHOG") and name.endswith(suffix) and "PERSONAL" not in name:
                return name
    return None


def _exception_capture(handler: ErrorHandler) -> PlannedExceptionCapture:
    return PlannedExceptionCapture(
        handler.handler.file, handler.handler.qualname, handler.line, handler.handles
    )


# -- JSON --------------------------------------------------------------------------


def plan_to_json(plan: Plan) -> str:
    """The plan as the text of ``posthog-events.json`` (stable keys and order).

    Line numbers stay out of the file: every edit moves them, and the plan is a
    contract reviewed in diffs. Events are found by file and handler.
    """
    setup = asdict(plan.setup)
    setup["frameworks"] = list(plan.setup.frameworks)
    if not plan.setup.adopted:
        # The tool's own client module: nothing to say beyond where it is.
        del setup["client_name"], setup["adopted"]
    data: dict[str, Any] = {
        "version": PLAN_VERSION,
        "generator": f"posthog-setup {__version__}",
        "setup": setup,
        "events": [
            {
                "event": e.event,
                "description": e.description,
                "kind": e.kind,
                "file": e.file,
                "handler": e.handler,
                "route": e.route,
                "methods": list(e.methods),
                "properties": [asdict(p) for p in e.properties],
                "distinct_id": e.distinct_id,
                **({"outcome": e.outcome} if e.outcome else {}),
            }
            for e in plan.events
        ],
        "exception_captures": [
            {"file": c.file, "handler": c.handler, "handles": list(c.handles)}
            for c in plan.exception_captures
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class PlanError(Exception):
    """``posthog-events.json`` exists but cannot be used; the message says why."""


_CLIENT_MODULE_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def client_module_problem(value: str) -> str | None:
    """Why ``value`` cannot be the client module's path, or None when it can.

    It must be a relative ``.py`` path inside the project whose parts are Python
    identifiers: the tool writes the file there and imports it by that name.
    """
    if "\\" in value or value.startswith("/") or re.match(r"[A-Za-z]:", value):
        return f"must be a path relative to the project root, not {value!r}"
    parts = value.split("/")
    if not value.endswith(".py") or any(p in ("", ".", "..") for p in parts):
        return f"must be a path to a .py file, relative to the project root, not {value!r}"
    if not all(_CLIENT_MODULE_PART.match(p) for p in [*parts[:-1], parts[-1][:-3]]):
        return f"must be an importable module path (identifiers separated by /), not {value!r}"
    return None


_SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    # key: (JSON type(s), required)
    "plan": {
        "version": (int, False),
        "generator": (str, False),
        "setup": (dict, True),
        "events": (list, True),
        "exception_captures": (list, False),
    },
    "setup": {
        "frameworks": (list, True),
        "dependency_manager": (str, True),
        "manifest": ((str, type(None)), False),
        "client_module": (str, True),
        "token_var": (str, False),
        "host_var": (str, False),
        "client_name": (str, False),
        "adopted": (str, False),
    },
    "event": {
        "event": (str, True),
        "description": (str, False),
        "kind": (str, False),
        "file": (str, True),
        "handler": (str, True),
        "line": (int, False),
        "route": ((str, type(None)), False),
        "methods": (list, False),
        "properties": (list, False),
        "distinct_id": ((str, type(None)), False),
        "outcome": ((str, type(None)), False),
    },
    "property": {"name": (str, True), "value": (str, True), "type": (str, False)},
    "exception_capture": {
        "file": (str, True),
        "handler": (str, True),
        "line": (int, False),
        "handles": (list, False),
    },
}
_JSON_NAMES = {dict: "an object", list: "a list", str: "a string", int: "a whole number"}
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _type_name(expected: type | tuple[type, ...]) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(_JSON_NAMES.get(k, "null") for k in kinds)


def _check_object(value: object, schema: str, where: str) -> dict[str, Any]:
    """``value`` as a JSON object of the ``schema`` shape; raises PlanError naming ``where``."""
    if not isinstance(value, dict):
        raise PlanError(f"{PLAN_FILE}: {where} must be an object")
    fields = _SCHEMA[schema]
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise PlanError(
            f"{PLAN_FILE}: {where} has unknown key {unknown[0]!r} (known: {', '.join(fields)})"
        )
    for key, (expected, required) in fields.items():
        if key not in value:
            if required:
                raise PlanError(f"{PLAN_FILE}: {where} is missing {key!r}")
            continue
        item = value[key]
        # bool is an int to Python, never to a person writing JSON
        if isinstance(item, bool) or not isinstance(item, expected):
            raise PlanError(f"{PLAN_FILE}: {where}.{key} must be {_type_name(expected)}")
        strings = [item] if isinstance(item, str) else []
        if isinstance(item, list) and schema != "plan" and key != "properties":
            if not all(isinstance(v, str) for v in item):
                raise PlanError(f"{PLAN_FILE}: {where}.{key} must be a list of strings")
            strings = item
        if any(_SURROGATE.search(text) for text in strings):
            raise PlanError(
                f"{PLAN_FILE}: {where}.{key} holds a lone surrogate (a \\ud800-\\udfff escape "
                "that is not half of a pair): it is not text"
            )
    return value


@functools.lru_cache(maxsize=4096)
def _is_reference(source: str) -> bool:
    """True for a plain reference (``post.id``, ``self.kwargs["pk"]``, ``user.get_id()``): the only
    code the plan may hold, since it is inserted into the project's handlers as written."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    allowed = (ast.Expression, ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Load)
    # An argument-less method call (``current_user.get_id()``) is a reference too, and so is
    # the length of one (``len(closed)``) and a mapping's value by a constant key
    # (``serializer.validated_data.get("public", False)``).
    return all(
        isinstance(node, allowed)
        or (isinstance(node, ast.Call) and not node.args and not node.keywords)
        or _is_length(node)
        or _is_keyed_get(node)
        for node in ast.walk(tree)
    )


def _is_keyed_get(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and 1 <= len(node.args) <= 2
        and all(isinstance(a, ast.Constant) for a in node.args)
        and not node.keywords
    )


def _is_length(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "len"
        and len(node.args) == 1
        and not node.keywords
    )


def _validated(data: object) -> dict[str, Any]:
    """The plan's JSON, checked for shape, types and meaning, each problem with its place."""
    plan = _check_object(data, "plan", "the top level")
    setup = _check_object(plan["setup"], "setup", "setup")
    problem = client_module_problem(setup["client_module"])
    if problem:
        raise PlanError(f"{PLAN_FILE}: setup.client_module {problem}")
    name = setup.get("client_name", CLIENT_NAME)
    if not (name.isidentifier() or (name == "" and setup.get("adopted") == ADOPTED_CLIENT)):
        raise PlanError(f"{PLAN_FILE}: setup.client_name must be a Python name, not {name!r}")
    if setup.get("adopted", "") not in ("", ADOPTED_CLIENT, ADOPTED_MODULE):
        raise PlanError(
            f"{PLAN_FILE}: setup.adopted must be {ADOPTED_CLIENT!r} or {ADOPTED_MODULE!r}, "
            f"not {setup['adopted']!r}"
        )
    for key in ("token_var", "host_var"):
        if key in setup and not _ENV_VAR.match(setup[key]):
            raise PlanError(
                f"{PLAN_FILE}: setup.{key} must be an environment variable name, not {setup[key]!r}"
            )
    places: dict[tuple[object, ...], str] = {}
    for index, raw in enumerate(plan["events"]):
        where = f"events[{index}]"
        event = _check_object(raw, "event", where)
        if not event["event"].strip():
            raise PlanError(f"{PLAN_FILE}: {where}.event is empty")
        for number, prop in enumerate(event.get("properties", ())):
            _check_object(prop, "property", f"{where}.properties[{number}]")
            # A property of a hand-written capture has no expression of ours: "".
            if prop["value"] and not _is_reference(prop["value"]):
                raise PlanError(
                    f"{PLAN_FILE}: {where}.properties[{number}].value must be a plain reference "
                    f'such as post.id or self.kwargs["pk"], not {prop["value"]!r}'
                )
        if event.get("distinct_id") is not None and not _is_reference(event["distinct_id"]):
            raise PlanError(
                f"{PLAN_FILE}: {where}.distinct_id must be a plain reference such as "
                f"current_user.id, not {event['distinct_id']!r}"
            )
        place = (
            event["file"],
            event["handler"],
            event.get("route"),
            tuple(event.get("methods", ())),
            event.get("kind", "capture"),
            event.get("outcome"),
        )
        if place in places:
            raise PlanError(
                f"{PLAN_FILE}: {where} ({event['event']!r}) duplicates {places[place]}: "
                "the same handler and route are listed twice"
            )
        places[place] = f"events[{index}]"
    for index, raw in enumerate(plan.get("exception_captures", ())):
        _check_object(raw, "exception_capture", f"exception_captures[{index}]")
    return plan


def plan_from_json(text: str) -> Plan:
    """Read ``posthog-events.json``; raises PlanError with a readable reason and its place."""
    try:
        data = _validated(json.loads(text))
    except json.JSONDecodeError as exc:
        raise PlanError(f"{PLAN_FILE} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    except RecursionError:
        raise PlanError(f"{PLAN_FILE} is nested too deeply to be a plan") from None
    setup = data["setup"]
    return Plan(
        setup=SetupFacts(
            frameworks=tuple(setup["frameworks"]),
            dependency_manager=setup["dependency_manager"],
            manifest=setup.get("manifest"),
            client_module=setup["client_module"],
            token_var=setup.get("token_var", DEFAULT_TOKEN_VAR),
            host_var=setup.get("host_var", DEFAULT_HOST_VAR),
            client_name=setup.get("client_name", CLIENT_NAME),
            adopted=setup.get("adopted", ""),
        ),
        events=tuple(
            PlannedEvent(
                event=e["event"],
                description=e.get("description", ""),
                kind=e.get("kind", "capture"),
                file=e["file"],
                handler=e["handler"],
                line=e.get("line", 0),
                route=e.get("route"),
                methods=tuple(e.get("methods", ())),
                properties=tuple(
                    PlannedProperty(p["name"], p["value"], p.get("type", "string"))
                    for p in e.get("properties", ())
                ),
                distinct_id=e.get("distinct_id"),
                outcome=e.get("outcome"),
            )
            for e in data["events"]
        ),
        exception_captures=tuple(
            PlannedExceptionCapture(
                c["file"], c["handler"], c.get("line", 0), tuple(c.get("handles", ()))
            )
            for c in data.get("exception_captures", ())
        ),
    )


def plans_below(root: Path) -> str:
    """Where plans are in the folders just below ``root``, as a hint for a command run one
    level too high ("" when there are none)."""
    found = sorted(
        path.parent.relative_to(root).as_posix()
        for pattern in (f"*/{PLAN_FILE}", f"*/*/{PLAN_FILE}")
        for path in root.glob(pattern)
    )
    if not found:
        return ""
    return f" ({', '.join(f'{f}/' for f in found)} {'has one' if len(found) == 1 else 'have one'}: point the command there)"


def read_plan(root: Path) -> Plan | None:
    """The project's plan, or None if there is none; raises PlanError if it is unusable."""
    path = root / PLAN_FILE
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"cannot read {PLAN_FILE}: {exc}") from exc
    return plan_from_json(text)


def merge_names(fresh: Plan, previous: Plan | None) -> Plan:
    """``fresh`` with every event a person renamed in ``previous`` keeping its new name."""
    if previous is None:
        return fresh
    names = {e.key: e for e in previous.events}
    events = []
    for event in fresh.events:
        old = names.get(event.key)
        if old is not None and (old.event, old.description) != (event.event, event.description):
            # The name and description are the person's: both survive every later run.
            event = dataclasses.replace(event, event=old.event, description=old.description)
        events.append(event)
    return Plan(
        setup=fresh.setup, events=tuple(events), exception_captures=fresh.exception_captures
    )
