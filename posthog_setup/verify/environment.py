"""The environment of a check run by the project's interpreter."""

from __future__ import annotations

import os
from collections.abc import Mapping

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_DEAD_PROXY = "http://127.0.0.1:9"


def check_env(client: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with ``client`` (the variables pointing the project's
    client at the mock host) set, no other PostHog settings, no bytecode written, and no
    way out but loopback."""
    env = {key: value for key, value in os.environ.items() if not key.upper().startswith("POSTHOG")}
    env.update(client)
    # Leave no __pycache__ folders behind in the user's project.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Anything but loopback goes to a closed local port: the check never reaches PostHog.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = _DEAD_PROXY
    return env


def early_env() -> dict[str, str]:
    """``check_env`` before the plan names the client's token and host variables: what a
    check's interpreter starts with ahead of the plan (see ``posthog_setup.verify.warm``)."""
    return check_env(no_proxy(os.environ))


def no_proxy(base: Mapping[str, str]) -> dict[str, str]:
    """``NO_PROXY`` (both spellings) as ``base`` has it, with loopback added."""
    hosts = [v for v in (base.get("NO_PROXY") or base.get("no_proxy") or "").split(",") if v]
    hosts += [host for host in _LOOPBACK if host not in hosts]
    joined = ",".join(hosts)
    return {"NO_PROXY": joined, "no_proxy": joined}
