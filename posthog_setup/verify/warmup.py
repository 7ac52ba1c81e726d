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
from posthog_setup.verify.warm import SDK, WarmPython, WarmStart


def warm_up(
    root: Path,
    plan: Plan,
    apps: Sequence[AppObject],
    interpreter: Interpreter,
    host_url: str,
    *,
    token: str = TEST_TOKEN,
    early: WarmPython | None = None,
) -> WarmStart:
    """Have the project's interpreter import, for the live check and the app import, the
    third-party packages each check will need, now, before the edit is written (see
    ``posthog_setup.verify.warm``); ``apps``: the project's apps, as begin found them.
    ``early``: the app import's process started before the analysis, taken where it was
    started with ``interpreter`` in ``root`` (and ended where not).
    """
    env = subprocess_env(plan, host_url, token)
    late = (plan.setup.token_var, plan.setup.host_var)
    if early is not None and (early.python, early.root) != (interpreter.python, root):
        early.stop()
        early = None

    def prepared(
        warm: WarmPython | None,
        start: Sequence[tuple[str, str]],
        roots: Sequence[str] = ("",),
        extra: Sequence[str] = (),
    ) -> WarmPython:
        if warm is None:
            warm = WarmPython(interpreter.python, root, env, ahead=SDK)
        warm.prepare(env, start, roots=roots, extra=extra, late=late)
        return warm

    live = None
    if not (plan.setup.default_client or plan.setup.unreachable):
        # The client module may not exist yet (edit writes it): the SDK is what it imports.
        start = []
        if (root / plan.setup.client_module).is_file():
            module, _ = import_target(root, plan.setup.client_module)
            start.append((plan.setup.client_module, module))
        live = prepared(None, start, extra=["posthog"])
    starts = [(app.file, module_of(root, app.file)) for app in apps]
    roots = list(dict.fromkeys(["", *(entry for _, (_, path) in starts for entry in path)]))
    frameworks = (registry.by_app_kind(app.kind) for app in apps)
    own = [name for f in frameworks if f is not None for name in f.app_start.warm]
    app = prepared(
        early,
        [(file, module) for file, (module, _) in starts],
        roots,
        list(dict.fromkeys(own)),
    )
    return WarmStart(live, app)
