"""What the project already has: PostHog usage, env var names it reads, other monitoring."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from posthog_setup.analysis.body import is_capture_call
from posthog_setup.analysis.context import FactsBuilder, FileContext
from posthog_setup.analysis.model import CaptureCall, Monitoring

#: Cheap text test for files that may hold any of this.
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*POSTHOG[A-Z0-9_]*$|^POSTHOG[A-Z0-9_]*$")

#: Qualified call names that set up another monitoring tool.
_MONITORING_CALLS = {
    "sentry_sdk.init": "sentry",
    "statsd.StatsClient": "statsd",
    "statsd.TCPStatsClient": "statsd",
    "datadog.initialize": "datadog",
    "datadog.statsd": "datadog",
    "newrelic.agent.initialize": "newrelic",
    "opentelemetry.trace.set_tracer_provider": "opentelemetry",
    "prometheus_client.start_http_server": "prometheus",
}
_MONITORING_MODULES = (
    "sentry_sdk",
    "statsd",
    "datadog",
    "newrelic",
    "opentelemetry",
    "prometheus_client",
)


def wants(lowered: str) -> bool:
    """Could a file whose text, lower-cased, is ``lowered`` use PostHog or monitoring?
    (Substring tests: a case-insensitive regex costs a tenth of a parse.)"""
    return "posthog" in lowered or any(word in lowered for word in _MONITORING_MODULES)


_ENV_READERS = frozenset(
    {"os.getenv", "os.environ.get", "os.environ.setdefault", "environ.Env", "decouple.config"}
)


def _env_name(call: ast.Call, qualified: str) -> str | None:
    reads_env = qualified in _ENV_READERS or qualified.endswith(
        (".getenv", "environ.get", ".env", ".config")
    )
    first = call.args[0] if call.args else None
    if reads_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def _imports(nodes: Iterable[ast.AST]) -> Iterable[tuple[str, int]]:
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno


def collect(ctx: FileContext, out: FactsBuilder) -> None:
    """Record PostHog imports, capture calls, PostHog env vars and monitoring set-up."""
    monitored: set[str] = set()
    for module, line in _imports(ctx.nodes):  # the file's one shared walk
        top = module.split(".", 1)[0]
        if top == "posthog":
            out.posthog_imported = True
        elif top in _MONITORING_MODULES and top not in monitored:
            monitored.add(top)
            tool = "prometheus" if top == "prometheus_client" else top.removesuffix("_sdk")
            out.monitoring.append(Monitoring(tool, ctx.file, line, f"imports {module}"))
    for node in ctx.nodes:
        if isinstance(node, ast.Call):
            qualified = ctx.names.resolve(node.func) or ""
            called = _MONITORING_CALLS.get(qualified)
            if called is not None:
                out.monitoring.append(
                    Monitoring(called, ctx.file, node.lineno, f"calls {qualified}()")
                )
            name = _env_name(node, qualified)
            if name is not None and _ENV_NAME.match(name):
                out.env_vars.append(name)
            event = is_capture_call(node)
            if event is not None and out.posthog_imported:
                client = (
                    ast.unparse(node.func.value) if isinstance(node.func, ast.Attribute) else ""
                )
                positional = len(node.args) >= 2 and not any(
                    k.arg == "event" for k in node.keywords
                )
                out.captures.append(
                    CaptureCall(ctx.file, node.lineno, event or None, client, positional)
                )
        elif isinstance(node, ast.Subscript):
            target = ctx.names.resolve(node.value) or ""
            key = node.slice
            if (
                target == "os.environ"
                and isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and _ENV_NAME.match(key.value)
            ):
                out.env_vars.append(key.value)
