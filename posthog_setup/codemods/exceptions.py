"""``posthog_client.capture_exception(error)`` first in each existing server-error handler."""

from __future__ import annotations

import textwrap

from posthog_setup.codemods.handlers import FoundHandler, body_start
from posthog_setup.codemods.points import ExceptionPoint
from posthog_setup.codemods.render import call_source
from posthog_setup.codemods.splice import FileEdit

#: Ignore-comment rule that switches exception capture off.
RULE = "missing-exception-capture"
CAPTURE_EXCEPTION = "capture_exception"


def describe(point: ExceptionPoint) -> str:
    """What a note says was not inserted."""
    return CAPTURE_EXCEPTION


def plan_exception(point: ExceptionPoint, handler: FoundHandler, site: FileEdit) -> None:
    """Plan the capture as the handler's first statement, after any docstring."""
    if handler.definition.calls_named(CAPTURE_EXCEPTION) or not site.claim(
        handler.node, CAPTURE_EXCEPTION
    ):
        return
    spot, before = body_start(handler)
    # Without a parameter holding the error, pass the exception being handled: the
    # client's capture_exception takes it as an argument, and the instance (not None)
    # lets the SDK skip an exception that a middleware already captured.
    args = [point.error] if point.error is not None else ["sys.exc_info()[1]"]
    if point.error is None:
        site.use("sys", "")
    func = f"{site.client.name}.{CAPTURE_EXCEPTION}"
    if point.client_errors is not None and point.error is not None:
        # A 404 or a 400 the handler is also given is no server error: only those
        # that answer 500 or more are captured.
        module = point.client_errors.rpartition(".")[0]
        site.use(module, "")
        error = point.error
        call = call_source(func, args, indent=spot.indent + site.step, step=site.step)
        code = (
            f"if not isinstance({error}, {point.client_errors}) or ({error}.code or 500) >= 500:\n"
            + textwrap.indent(call, site.step)
        )
    else:
        code = call_source(func, args, indent=spot.indent, step=site.step)
    site.splices.insert(spot, [site.statement(code)], before=before)
    site.use_client()
