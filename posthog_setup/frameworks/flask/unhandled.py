"""What captures the errors Flask answers with a 500 before its 500 handler runs.

Flask's ``handle_exception`` sends ``got_request_exception`` with the error no handler
caught, and only then calls the handler of 500 / ``InternalServerError`` (with an
``InternalServerError`` wrapping the error; a handler of ``HTTPException`` gets it too).
The hook-up's ``PosthogFlaskIntegration`` captures in that signal, and so does a receiver
of it that calls ``capture_exception``: a capture in such a handler would send each
server error twice. A handler of ``Exception`` is different: Flask calls it instead of
sending the signal, so it keeps its capture.

The handler is left to the hook-up only where one captures: an integration or receiver
already in the project, or the integration edit adds to the app it found (which rests on
the declared Flask version and on the client's exception autocapture: the analysis
checks both against the project).
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable, Sequence

from posthog_setup.analysis.context import FileContext
from posthog_setup.analysis.model import (
    AppObject,
    ErrorHandler,
    HookupCapture,
    UnhandledCapture,
    UnhandledCaptureKind,
)
from posthog_setup.analysis.routing import RouteFile, call_arg, calls_capture_exception
from posthog_setup.project.versions import VersionGate

INTEGRATION_NAME = "PosthogFlaskIntegration"
INTEGRATION = f"posthog.integrations.flask.{INTEGRATION_NAME}"
SIGNALS = frozenset({"flask.got_request_exception", "flask.signals.got_request_exception"})
#: The Flask the hook-up runs on: edit leaves it out where the project declares an older one.
HOOKUP_GATE = VersionGate(
    "flask",
    "2.3",
    "PosthogFlaskIntegration needs Flask's signals, which need blinker: a Flask "
    "dependency only from 2.3",
    enabler="blinker",
)
#: Why a handler Flask calls after the integration captured its error gets no capture.
BY_INTEGRATION = "the Flask integration captures each error before Flask calls this handler"
_CAPTURE_OPTION = "capture_exceptions"
_HTTP_EXCEPTION = "werkzeug.exceptions.HTTPException"


def after_signal(target: str) -> bool:
    """Does Flask call a handler of ``target`` with the errors it sent
    ``got_request_exception`` for (as the ``InternalServerError`` it answers them with)?"""
    return (
        target == "500"
        or target.rsplit(".", 1)[-1] == "InternalServerError"
        or target == _HTTP_EXCEPTION
    )


def collect(ctx: FileContext, file: RouteFile) -> list[UnhandledCapture]:
    """The integrations set up in one file and its receivers of ``got_request_exception``
    that call ``capture_exception``."""
    found = []
    for node in ctx.nodes:
        if not isinstance(node, ast.Call):
            continue
        scope = ctx.names.scope_of(node)
        if ctx.names.resolve(node.func, scope) == INTEGRATION:
            client = call_arg(node, None, "client")
            found.append(
                UnhandledCapture(
                    "flask",
                    ctx.file,
                    node.lineno,
                    INTEGRATION_NAME,
                    _integration(node),
                    # Without a client it captures through the posthog module's own.
                    "posthog" if client is None else ctx.names.resolve(client, scope) or "",
                )
            )
        elif _signal_method(ctx, node.func, "connect"):
            receiver = file.function(call_arg(node, 0, "receiver"), scope)
            if receiver is not None and calls_capture_exception(receiver):
                found.append(_receiver(ctx, receiver.name, node.lineno))
    for func in file.functions.values():
        scope = ctx.names.scope_of(func)
        for decorator in func.decorator_list:
            method = decorator.func if isinstance(decorator, ast.Call) else decorator
            if _signal_method(ctx, method, "connect", "connect_via") and calls_capture_exception(
                func
            ):
                found.append(_receiver(ctx, func.name, decorator.lineno))
    return found


def _integration(call: ast.Call) -> UnhandledCaptureKind:
    """How ``PosthogFlaskIntegration(...)`` captures: ``capture_exceptions`` left out or
    None follows the client's exception autocapture."""
    if any(k.arg is None for k in call.keywords):
        return "unknown"
    option = next((k.value for k in call.keywords if k.arg == _CAPTURE_OPTION), None)
    if option is None or (isinstance(option, ast.Constant) and option.value is None):
        return "autocapture"
    if isinstance(option, ast.Constant) and isinstance(option.value, bool):
        return "always" if option.value else "never"
    return "unknown"


def _signal_method(ctx: FileContext, node: ast.expr, *methods: str) -> bool:
    """Is ``node`` ``got_request_exception.<method>`` for one of ``methods``?"""
    return (
        isinstance(node, ast.Attribute)
        and node.attr in methods
        and ctx.names.resolve(node.value, ctx.names.scope_of(node)) in SIGNALS
    )


def _receiver(ctx: FileContext, name: str, line: int) -> UnhandledCapture:
    return UnhandledCapture("flask", ctx.file, line, name, "always")


def hookup_capture(
    apps: Sequence[AppObject], existing: Sequence[UnhandledCapture]
) -> HookupCapture | None:
    """How the errors no handler caught are captured before Flask's 500 handlers run, if
    they are: by the project's own capture, or by the integration edit adds to its app."""
    for capture in existing:
        if capture.captures == "always":
            reason = (
                BY_INTEGRATION
                if capture.what == INTEGRATION_NAME
                else f"{capture.what} in {capture.file}, a receiver of got_request_exception, "
                "captures each error before Flask calls this handler"
            )
            return HookupCapture(reason)
    if existing:
        # Edit adds no second integration beside the project's: it captures as it is set up.
        clients = {c.client for c in existing}
        if all(c.captures == "autocapture" for c in existing) and len(clients) == 1:
            return HookupCapture(BY_INTEGRATION, autocapture=True, client=clients.pop())
        return None
    if not any(app.kind == "flask.Flask" for app in apps):
        return None  # no app to hook up: nothing captures before the handler
    return HookupCapture(BY_INTEGRATION, to_add=True, gate=HOOKUP_GATE, autocapture=True)


def left_to_hookup(
    handlers: Iterable[ErrorHandler], capture: HookupCapture | None
) -> tuple[ErrorHandler, ...]:
    """``handlers``, each that Flask calls after the signal marked as captured first by
    ``capture`` (where something captures there)."""
    if capture is None:
        return tuple(handlers)
    return tuple(
        dataclasses.replace(h, captured_first=capture) if h.after_hookup else h for h in handlers
    )
