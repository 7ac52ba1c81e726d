"""From the plan and the analysis to insertion points, file by file.

The plan says what to send (names a person may have changed); the analysis says
where the code is now (handlers, lines, how each reaches the current user).
"""

from __future__ import annotations

import re
from collections import defaultdict

from posthog_setup.analysis.model import Analysis, AuthPoint, Route, UserAccess
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
    user_access,
    uses_flask_login,
)

#: Where a class-based view's implicit write can be observed, by action.
_VIEWSET_OVERRIDES = {
    "create": "perform_create",
    "update": "perform_update",
    "partial_update": "perform_update",
    "destroy": "perform_destroy",
}
_PERSON_ATTRIBUTES = ("email", "username")
_FORM_VIEWS = frozenset({"CreateView", "UpdateView", "DeleteView", "FormView"})


def _is_class_handler(route: Route) -> bool:
    return "." not in route.handler.qualname and route.handler.name[:1].isupper()


def _override(route: Route) -> str | None:
    """The method to add where a class-based view writes implicitly, if the handler is the class."""
    if not _is_class_handler(route):
        return None
    if route.view_kind in _FORM_VIEWS:
        return "form_valid"
    return _VIEWSET_OVERRIDES.get(route.action or "")


def _imports(access: UserAccess | None) -> tuple[tuple[str, str], ...]:
    return (access.requires,) if access is not None and access.requires else ()


def _person_properties(lines: list[str], point: AuthPoint) -> tuple[str, ...]:
    """Attributes of the user the handler already reads (only these go on the person)."""
    body = "\n".join(lines[point.handler.line - 1 : point.handler.end_line])
    return tuple(a for a in _PERSON_ATTRIBUTES if re.search(rf"\b{a}\b", body))


def build_points(analysis: Analysis, plan: Plan, sources: dict[str, str]) -> dict[str, FilePoints]:
    """Insertion points per file. ``sources`` maps files to their text (for person properties)."""
    flask_login = uses_flask_login(analysis)
    captures: dict[str, list[CapturePoint]] = defaultdict(list)
    identifies: dict[str, list[IdentifyPoint]] = defaultdict(list)
    logouts: dict[str, list[LogoutPoint]] = defaultdict(list)
    exceptions: dict[str, list[ExceptionPoint]] = defaultdict(list)
    index = RouteIndex(analysis.routes)
    for event in plan.events:
        if event.kind != "capture" or event.route is None:
            continue
        route = index.find(event)
        if route is None or route.ignored:
            continue
        access = user_access(route, route.handler, route.framework, flask_login=flask_login)
        captures[route.handler.file].append(
            CapturePoint(
                handler=route.handler.qualname,
                handler_line=route.handler.line,
                event=event.event,
                properties=tuple((p.name, p.value) for p in event.properties),
                distinct_id=access.id_expression if access else None,
                guard=access.guard if access else None,
                after_line=route.change_line,
                override=_override(route),
                imports=_imports(access),
            )
        )
    names = {(e.kind, e.file, e.handler): e.event for e in plan.events}
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
            access = user_access(route, point.handler, point.framework, flask_login=flask_login)
            logouts[file].append(
                LogoutPoint(
                    point.handler.qualname,
                    point.handler.line,
                    point.line,
                    auth_event,
                    access.id_expression if access else None,
                    access.guard if access else None,
                    _imports(access),
                )
            )
        elif point.user_expression:
            identifies[file].append(
                IdentifyPoint(
                    point.handler.qualname,
                    point.handler.line,
                    point.line,
                    point.user_expression,
                    "pk" if point.framework == "django" else "id",
                    auth_event,
                    _person_properties(sources.get(file, "").splitlines(), point),
                    before=point.kind == "login" and point.mechanism == "token",
                )
            )
    planned_handlers = {(c.file, c.handler) for c in plan.exception_captures}
    for handler in analysis.error_handlers:
        if (
            handler.server_error
            and (handler.handler.file, handler.handler.qualname) in planned_handlers
        ):
            exceptions[handler.handler.file].append(
                ExceptionPoint(handler.handler.qualname, handler.handler.line, handler.error_param)
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
