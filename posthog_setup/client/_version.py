"""The library name and version reported in every event's ``$lib`` / ``$lib_version``."""

from __future__ import annotations

from importlib import metadata

LIB_NAME = "posthog-setup-python"


def _installed_version() -> str:
    # The client stands alone, so it reads the distribution's metadata rather than
    # importing the parent package; a source checkout without metadata still works.
    try:
        return metadata.version("posthog-setup")
    except metadata.PackageNotFoundError:
        return "0.0.0"


LIB_VERSION = _installed_version()
