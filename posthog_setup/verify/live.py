"""Live check: the project's own client module, imported by the project's own interpreter,
delivers an event to the mock host.

A small script runs in a subprocess (cwd the project root, the module's import root first on
``sys.path``) with the host and token variables pointed at the mock host. It imports
``posthog``, then the client module, finds the client object in it, captures
``posthog_setup_verified``, flushes and shuts down, and prints one result line. Whether the
event arrived is then read from the mock host.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from posthog_setup.frameworks import registry
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import Plan
from posthog_setup.verify.checks import FAIL, PASS, SKIP, TEST_TOKEN, VERIFY_DISTINCT_ID, Check
from posthog_setup.verify.environment import check_env, no_proxy
from posthog_setup.verify.interpreter import Interpreter
from posthog_setup.verify.warm import WarmPython, spawn

LIVE_EVENT = "posthog_setup_verified"
#: Seconds the subprocess may take to import the module, send, flush and shut down.
LIVE_TIMEOUT = 60.0
#: Seconds to wait for the event at the host after the subprocess has exited.
ARRIVAL_TIMEOUT = 5.0
_RESULT = "POSTHOG_SETUP_LIVE_RESULT "

# Runs under the project's interpreter: standard library only, Python 3.8 syntax.
_SCRIPT = r"""
import importlib, inspect, json, os, sys, traceback

module_name, client_name, path_entries, event, distinct_id, run_id = json.loads(sys.argv[1])
for entry in reversed(path_entries):
    sys.path.insert(0, entry)


def report(**data):
    # Then leave at once: a thread or exit hook the module started must not hold the process.
    sys.stdout.write("\n" + "POSTHOG_SETUP_LIVE_RESULT " + json.dumps(data) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def last_line(error):
    return traceback.format_exception_only(type(error), error)[-1].strip()


def usable(value):
    if inspect.ismodule(value) or inspect.isclass(value) or inspect.isroutine(value):
        return False
    return callable(getattr(value, "capture", None)) and callable(getattr(value, "flush", None))


info = {"python": sys.version.split()[0]}
try:
    import posthog
except BaseException as error:
    report(stage="posthog", error=last_line(error), **info)
info["posthog"] = str(getattr(posthog, "VERSION", None) or getattr(posthog, "__version__", "?"))
try:
    module = importlib.import_module(module_name)
except BaseException as error:
    missing = getattr(error, "name", None) if isinstance(error, ImportError) else None
    report(stage="import", error=last_line(error), missing=missing, **info)
names = [name for name, value in vars(module).items() if usable(value)]
if client_name in names:
    names.insert(0, client_name)
if not names:
    report(stage="client", error="no client object (an attribute with capture and flush)", **info)
name = names[0]
client = getattr(module, name)
info["client"] = name
info["disabled"] = bool(getattr(client, "disabled", False))
properties = {"posthog_setup_run": run_id}
try:
    try:
        client.capture(event, distinct_id=distinct_id, properties=properties)
    except TypeError:
        # Clients with the pre-6.0 signature capture(distinct_id, event, properties).
        client.capture(distinct_id, event, properties)
    client.flush()
    shutdown = getattr(client, "shutdown", None)
    if callable(shutdown):
        shutdown()
except BaseException as error:
    report(stage="send", error=last_line(error), **info)
report(stage="sent", **info)
"""


def project_module(root: Path, dotted: str) -> bool:
    """Is ``dotted`` (its top-level package) a module of the project itself?"""
    top = dotted.split(".", 1)[0]
    return any(
        (base / top).is_dir() or (base / f"{top}.py").is_file() for base in (root, root / "src")
    )


@dataclass(frozen=True)
class LiveResult:
    """The live check, with what the subprocess said about its interpreter and client."""

    check: Check
    module: str
    python_version: str | None = None
    posthog_version: str | None = None
    client: str | None = None


def import_target(root: Path, client_module: str) -> tuple[str, list[str]]:
    """The client module's dotted name and the ``sys.path`` entries that import it.

    The import root is the first folder above the module that is not a package (so
    ``src/app/posthog_client.py`` imports as ``app.posthog_client`` from ``src``); the
    project root follows it, for the absolute imports the package may make.
    """
    parts = list(PurePosixPath(client_module).with_suffix("").parts)
    folder = root.joinpath(*parts[:-1])
    while folder != root and (folder / "__init__.py").is_file():
        folder = folder.parent
    depth = len(folder.relative_to(root).parts)
    module = ".".join(parts[depth:])
    entries = [str(folder)] if folder == root else [str(folder), str(root)]
    return module, entries


def module_of(root: Path, relative: str) -> tuple[str, tuple[str, ...]]:
    """The dotted name of the module in ``relative`` (a package by its own name) and its
    ``sys.path`` entries, relative to ``root``."""
    module, entries = import_target(root, relative)
    module = module.removesuffix(".__init__")
    return module, tuple(Path(entry).relative_to(root).as_posix() for entry in entries)


def verification_env(
    plan: Plan, host_url: str, token: str = TEST_TOKEN, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Variables that point the project's client at the mock host: its token and host, and
    loopback kept off any proxy in the environment."""
    return {
        plan.setup.token_var: token,
        plan.setup.host_var: host_url,
        **no_proxy(os.environ if base is None else base),
    }


def subprocess_env(plan: Plan, host_url: str, token: str = TEST_TOKEN) -> dict[str, str]:
    """This process's environment for a check run by the project's interpreter: the client
    pointed at the mock host, no other PostHog settings, no bytecode written, no way out."""
    return check_env(verification_env(plan, host_url, token))


def install_hint(plan: Plan, python: str) -> str:
    """The command that installs the project's dependencies, posthog among them."""
    setup = plan.setup
    manifest = setup.manifest or ""
    commands = {
        "poetry": "poetry install",
        "uv": "uv sync",
        "pdm": "pdm install",
        "pipenv": "pipenv install",
        "hatch": "hatch env create",
    }
    if setup.dependency_manager in commands:
        return commands[setup.dependency_manager]
    if manifest.endswith(".txt"):
        return f"{python} -m pip install -r {manifest}"
    if manifest in ("pyproject.toml", "setup.py", "setup.cfg"):
        return f"{python} -m pip install -e ."
    return f"{python} -m pip install '{registry.sdk_floor(setup.frameworks).requirement}'"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _result_line(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(_RESULT):
            try:
                data = json.loads(line[len(_RESULT) :])
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None


def _arrived(host: MockPostHogHost, since: int, run_id: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        for item in host.store.events(event=LIVE_EVENT, since=since):
            if item.properties.get("posthog_setup_run") == run_id:
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def live_check(
    root: Path,
    plan: Plan,
    interpreter: Interpreter,
    host: MockPostHogHost,
    *,
    token: str = TEST_TOKEN,
    timeout: float = LIVE_TIMEOUT,
    arrival_timeout: float = ARRIVAL_TIMEOUT,
    warm: WarmPython | None = None,
) -> LiveResult:
    """Import the client module under the project's interpreter (``warm``'s process, where
    it fits) and send one event through it."""
    module, entries = import_target(root, plan.setup.client_module)
    python = interpreter.display(root)

    def result(status: str, message: str, data: Mapping[str, Any] | None = None) -> LiveResult:
        data = data or {}
        failures = (f"live: {message}",) if status == FAIL else ()
        return LiveResult(
            Check("live", "Live check", status, message, failures),
            module,
            data.get("python"),
            data.get("posthog"),
            data.get("client"),
        )

    if not (root / plan.setup.client_module).is_file():
        return result(SKIP, f"the client module {plan.setup.client_module} is missing")
    if plan.setup.default_client or plan.setup.unreachable:
        # Set up when the app starts (or inside a function): importing the module alone
        # configures nothing to send through.
        how = (
            "configures posthog's own client" if plan.setup.default_client else "builds its client"
        )
        return result(
            SKIP,
            f"{plan.setup.client_module} {how} as the app starts, not on import: the app "
            "import and the project's tests send through it (`posthog-setup conclude "
            "--run-tests`)",
        )
    run_id = uuid.uuid4().hex
    env = subprocess_env(plan, host.url, token)
    arguments = json.dumps(
        [module, plan.setup.client_name, entries, LIVE_EVENT, VERIFY_DISTINCT_ID, run_id]
    )
    since = host.store.last_seq
    try:
        process = spawn(interpreter.python, _SCRIPT, arguments, cwd=root, env=env, warm=warm)
    except OSError as exc:
        return result(FAIL, f"cannot run {python}: {exc.strerror or exc}")
    with process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return result(
                FAIL, f"importing {module} and sending through it took over {timeout:g} s"
            )
    data = _result_line(stdout)
    if data is None:
        return result(
            FAIL, f"{python} exited with status {process.returncode}: {_last_line(stderr)}"
        )
    stage, error = data.get("stage"), data.get("error")
    if stage == "posthog":
        return result(
            SKIP,
            f"posthog is not installed in {python}: {install_hint(plan, python)}",
            data,
        )
    if stage == "import":
        missing = str(data.get("missing") or "")
        if missing and not project_module(root, missing):
            # The app's own dependencies are not installed there: nothing the edit did.
            return result(
                SKIP,
                f"{python} lacks the app's dependencies ({missing} is not installed): "
                f"{install_hint(plan, python)}",
                data,
            )
        return result(FAIL, f"importing {module} with {python} failed: {error}", data)
    if stage == "client":
        return result(FAIL, f"{module} has {error}", data)
    client = f"{module}.{data.get('client')}"
    if stage == "send":
        return result(FAIL, f"sending through {client} failed: {error}", data)
    # A disabled client sends nothing: there is nothing to wait for.
    if not _arrived(host, since, run_id, 0.0 if data.get("disabled") else arrival_timeout):
        if data.get("disabled"):
            why = f"the client is disabled: it did not get a token from {plan.setup.token_var}"
        else:
            why = f"no {LIVE_EVENT} event arrived within {arrival_timeout:g} s"
        return result(FAIL, f"{client} sent nothing to the mock host: {why}", data)
    return result(
        PASS,
        f"{client}, imported by {python} (Python {data.get('python')}, posthog "
        f"{data.get('posthog')}), delivered {LIVE_EVENT} to the mock host",
        data,
    )
