"""From the plan and the analysis to insertion points, file by file.

The plan says what to send (names a person may have changed); the analysis says
where the code is now (handlers, lines, how each reaches the current user).
"""

from __future__ import annotations

from collections import defaultdict

from posthog_setup.analysis.flow import Proof
from posthog_setup.analysis.model import TOKEN_VIEW, VIEW_HOOK, Analysis, AuthPoint, UserAccess
from posthog_setup.codemods.points import (
    CapturePoint,
    ExceptionPoint,
    FilePoints,
    IdentifyPoint,
    LogoutPoint,
)
from posthog_setup.plan.plan import (
    Plan,
    RouteIndex,
    anonymous_here,
    branch_routes,
    implicit_write,
    provable,
    proven_user_id,
    user_access,
)

#: Attributes of a user that may go on the person (never on an event), where proven readable.
_PERSON_ATTRIBUTES = ("email", "username", "name")


def _imports(access: UserAccess | None) -> tuple[tuple[str, str], ...]:
    return (access.requires,) if access is not None and access.requires else ()


def _person_properties(point: AuthPoint, user: str, classes: Analysis) -> tuple[str, ...]:
    """Attributes of the user proven readable (only these go on the person, never on events)."""
    proof = Proof.of(point.proven)
    return tuple(
        a for a in _PERSON_ATTRIBUTES if provable(f"{user}.{a}", proof, point.typed, classes)
    )


def identity(point: AuthPoint, classes: Analysis) -> str | None:
    """The key of the user who just logged in or signed up, where it is safe to read.

    Where the framework's own login call reads the user's key, that key is safe (see
    ``Conventions.login_key``); any other user object needs its id read on the way.
    """
    user = point.user_expression
    if not user:
        return None
    conventions = classes.conventions(point.framework)
    key = conventions.login_key(point)
    if key is not None:
        return key
    # The user the framework guarantees the handler, where the login's user is that one
    # (a token handed out to the user an HTTP Basic guard already proved).
    guaranteed = conventions.current_user(point.handler, classes)
    if (
        guaranteed is not None
        and guaranteed.contract
        and guaranteed.guard is None
        and (guaranteed.id_expression == user or guaranteed.id_expression.startswith(f"{user}."))
    ):
        return guaranteed.id_expression
    access = UserAccess("local", f"{user}.id")
    return proven_user_id(access, point.proven, point.typed, classes)[0]


def _override(point: AuthPoint) -> str | None:
    """The class view's method identify goes in: its write hook for a signup it saves,
    ``post`` for a library token view's login."""
    if point.mechanism == VIEW_HOOK:
        return point.call
    return "post" if point.mechanism == TOKEN_VIEW else None


def build_points(analysis: Analysis, plan: Plan) -> dict[str, FilePoints]:
    """Insertion points per file; what they read is what the analysis proved readable."""
    captures: dict[str, list[CapturePoint]] = defaultdict(list)
    identifies: dict[str, list[IdentifyPoint]] = defaultdict(list)
    logouts: dict[str, list[LogoutPoint]] = defaultdict(list)
    exceptions: dict[str, list[ExceptionPoint]] = defaultdict(list)
    index = RouteIndex(analysis)
    for event in plan.events:
        if event.kind != "capture" or event.route is None:
            continue
        route = index.find(event)
        if route is None or route.ignored:
            continue
        access = user_access(route, route.handler, route.framework, analysis)
        way = branch_routes(route).get(event.outcome) if event.outcome else None
        if way is not None:
            # One way through a handler whose ways write different kinds of things.
            route = way
        anonymous = access is not None and anonymous_here(access, route.proven)
        if anonymous:
            # Nobody is logged in there: the person is the user the plan names, if any.
            anchor = route.anchor
            distinct_id, guard = event.distinct_id, None
        elif event.outcome is None or way is not None:
            anchor = route.anchor
            distinct_id, guard = proven_user_id(access, route.proven, route.typed, analysis)
            if event.distinct_id is None:
                # The plan sends it as nobody: a signup or a login whose user it never saw
                # (the request's user is the visitor before it).
                distinct_id, guard = None, None
        else:
            # A webhook's branch for one event type: the user only by contract.
            anchor = dict(route.outcomes).get(event.outcome)
            if anchor is None:
                continue
            distinct_id, guard = proven_user_id(access, (), (), analysis)
        captures[route.handler.file].append(
            CapturePoint(
                handler=route.handler.qualname,
                handler_line=route.handler.line,
                event=event.event,
                properties=tuple((p.name, p.value) for p in event.properties),
                distinct_id=distinct_id,
                guard=guard,
                after_line=anchor.line if anchor and not anchor.before else None,
                before_line=anchor.line if anchor and anchor.before else None,
                override=implicit_write(route, analysis),
                imports=_imports(access) if distinct_id and not anonymous else (),
                sent=event.event in route.captures,
            )
        )
    names = {(e.kind, e.file, e.handler): e.event for e in plan.events}
    # Routes that log in through one helper share its code: written there once.
    written: set[tuple[str, str, int]] = set()
    for point in analysis.auth_points:
        auth_event = names.get((point.kind, point.handler.file, point.handler.qualname))
        if auth_event is None or point.mechanism.endswith("signals"):
            continue
        file = point.handler.file
        if point.kind == "logout":
            route = next(
                (
                    r
                    for r in analysis.routes
                    if r.handler.file == file and r.handler.qualname == point.handler.qualname
                ),
                None,
            )
            access = user_access(route, point.handler, point.framework, analysis)
            distinct_id, guard = proven_user_id(access, point.proven, point.typed, analysis)
            logouts[file].append(
                LogoutPoint(
                    point.handler.qualname,
                    point.handler.line,
                    point.line,
                    auth_event,
                    distinct_id,
                    guard,
                    _imports(access) if distinct_id else (),
                )
            )
        else:
            # A login or signup whose user the analysis cannot name still sends its event
            # (the plan lists it): with no identity, as where the user's id is unproven.
            where = point.code_in
            if (where.file, where.qualname, point.line) in written:
                continue
            written.add((where.file, where.qualname, point.line))
            identifies[where.file].append(
                IdentifyPoint(
                    where.qualname,
                    where.line,
                    point.line,
                    point.user_expression or "",
                    identity(point, analysis),
                    auth_event,
                    _person_properties(point, point.user_expression, analysis)
                    if point.user_expression
                    else (),
                    before=point.kind == "login" and point.mechanism == "token",
                    override=_override(point),
                    kept=point.user_expression if point.mechanism == TOKEN_VIEW else None,
                    identified=point.identified_by is not None,
                    imports=point.imports,
                )
            )
    planned_handlers = {(c.file, c.handler) for c in plan.exception_captures}
    for handler in analysis.error_handlers:
        if (
            handler.server_error
            and (handler.handler.file, handler.handler.qualname) in planned_handlers
        ):
            exceptions[handler.handler.file].append(
                ExceptionPoint(
                    handler.handler.qualname,
                    handler.handler.line,
                    handler.error_param,
                    handler.client_errors,
                )
            )
    files = sorted(set(captures) | set(identifies) | set(logouts) | set(exceptions))
    return {
        file: FilePoints(
            file,
            tuple(captures[file]),
            tuple(identifies[file]),
            tuple(logouts[file]),
            tuple(exceptions[file]),
        )
        for file in files
    }
