"""Which processes a full run starts ahead of conclude's checks, and with what (see
``posthog_setup.verify.warm``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from posthog_setup.analysis.model import AppObject
from posthog_setup.frameworks import registry
from posthog_setup.plan.plan import Plan
from posthog_setup.verify.checks import TEST_TOKEN
from posthog_setup.verify.interpreter import Interpreter
from posthog_setup.verify.live import import_target, module_of, subprocess_env
from posthog_setup.verify.warm import WarmPython, WarmStart


def warm_up(
    root: Path,
    plan: Plan,
    apps: Sequence[AppObject],
    interpreter: Interpreter,
    host_url: str,
    *,
    token: str = TEST_TOKEN,
) -> WarmStart:
    """Start the project's interpreter for the live check and the app import now, before
    the edit is written, each importing the third-party packages its check will need
    (see ``posthog_setup.verify.warm``); ``apps``: the project's apps, as begin found them.
    """
    env = subprocess_env(plan, host_url, token)
    live = None
    if not (plan.setup.default_client or plan.setup.unreachable):
        # The client module may not exist yet (edit writes it): the SDK is what it imports.
        start = []
        if (root / plan.setup.client_module).is_file():
            module, _ = import_target(root, plan.setup.client_module)
            start.append((plan.setup.client_module, module))
        live = WarmPython(interpreter.python, root, env, start, extra=["posthog"])
    starts = [(app.file, module_of(root, app.file)) for app in apps]
    roots = list(dict.fromkeys(["", *(entry for _, (_, path) in starts for entry in path)]))
    frameworks = (registry.by_app_kind(app.kind) for app in apps)
    own = [name for f in frameworks if f is not None for name in f.app_start.warm]
    app = WarmPython(
        interpreter.python,
        root,
        env,
        [(file, module) for file, (module, _) in starts],
        roots=roots,
        extra=list(dict.fromkeys(own)),
    )
    return WarmStart(live, app)
