"""Where, in one file, the route codemods insert code: plain data built from the plan.

Handlers are found by qualified name and ``def`` line (the pair survives decorators,
nesting and methods). Lines refer to the file as analysed; codemods locate the
statement that contains a line, so an edit earlier in the same run does not move
the target (all points of a file are applied in one pass).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CapturePoint:
    """``posthog_client.capture(event, distinct_id=..., properties={...})`` in a handler.

    Placement: after the statement containing ``after_line`` (the commit / save /
    create call) when given, else before the statement containing ``before_line``
    (the return that ends the successful branch) when given, else before the
    handler's last ``return``, else at the end of the body. ``distinct_id`` is the expression of the user's primary
    key (wrapped in ``str()`` by the codemod); ``guard`` is true when the user is
    known (``current_user.is_authenticated``): with a guard, the id is sent only
    then and left to the request context otherwise. ``override`` names a method to
    add to a class-based view whose write is implicit (``form_valid``,
    ``perform_create``, ``perform_update``, ``perform_destroy``).
    """

    handler: str
    handler_line: int
    event: str
    properties: tuple[tuple[str, str], ...] = ()
    distinct_id: str | None = None
    guard: str | None = None
    after_line: int | None = None
    before_line: int | None = None
    override: str | None = None
    #: ``from <module> import <name>`` the id expressions need (``flask_login.current_user``)
    imports: tuple[tuple[str, str], ...] = ()
    #: the analysis found the handler sending the event already, maybe through a function
    #: of the project's own that it hands the name to
    sent: bool = False


@dataclass(frozen=True)
class IdentifyPoint:
    """After a login or signup call: bind the identity, set person properties, capture.

    ``user`` is the expression of the user object at ``call_line`` and
    ``user_id`` the expression of its key proven safe to read there (``user.pk``,
    ``user.get_id()``), or None: then only the event is captured, with no identity.
    ``person_properties`` are attributes of the user the handler already reads
    (``email``, ``username``); only these go on the person, never on an event.
    ``before`` puts the statements before the one containing ``call_line``: for a
    token login, the user is known once the token is issued, which is the return.
    """

    handler: str
    handler_line: int
    call_line: int
    user: str
    user_id: str | None
    event: str
    person_properties: tuple[str, ...] = ()
    before: bool = False
    #: the class view's write hook to identify in (added when the class has none)
    override: str | None = None
    #: a library token view's login: the user as read from the ``serializer`` its ``post``
    #: validated (``serializer.user``), which a ``get_serializer`` added beside it keeps
    kept: str | None = None
    #: the project's own code binds the identity already (a receiver of the signal the
    #: login sends): only the event is captured, for the user's id
    identified: bool = False
    #: ``from <module> import <name>`` the user's reading needs (``kept``)
    imports: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class LogoutPoint:
    """Before a logout call: capture ``user_logged_out`` while the user is still known."""

    handler: str
    handler_line: int
    call_line: int
    event: str
    distinct_id: str | None = None
    guard: str | None = None
    imports: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ExceptionPoint:
    """First thing in an error handler: ``posthog_client.capture_exception(error)``.

    ``error`` is the parameter holding the exception; None captures the exception
    being handled (``capture_exception()`` reads ``sys.exc_info()``).
    """

    handler: str
    handler_line: int
    error: str | None
    #: the class (qualified) of the client errors the handler is also given, which the
    #: capture skips below 500 (werkzeug's ``HTTPException``)
    client_errors: str | None = None


@dataclass(frozen=True)
class FilePoints:
    """Everything the route codemods insert into one file."""

    path: str
    captures: tuple[CapturePoint, ...] = field(default=())
    identifies: tuple[IdentifyPoint, ...] = field(default=())
    logouts: tuple[LogoutPoint, ...] = field(default=())
    exceptions: tuple[ExceptionPoint, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.captures or self.identifies or self.logouts or self.exceptions)
