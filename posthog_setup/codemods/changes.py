"""Edits as data, and how a module imports the client: what the workflow needs from the
codemods without loading libcst (a no-op check must not pay for it).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from posthog_setup.plan.plan import CLIENT_NAME


@dataclass(frozen=True)
class FileChange:
    """One file's new content, or a reason it was left alone.

    ``before`` is None for a file the edit creates. ``after`` equal to ``before``
    means nothing to do. ``notes`` are messages for people (an old pin, a
    handler that could not be instrumented), each already naming the file.
    """

    path: str
    before: bytes | None
    after: bytes
    notes: tuple[str, ...] = ()
    #: why the run changes the file, each as what is missing there without the change
    reasons: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.before != self.after


class EditError(Exception):
    """An edit that cannot be applied to one file; the message says why, for people."""


#: The client's name where edited code sends through the posthog module's own client.
DEFAULT_CLIENT = "posthog"


@dataclass(frozen=True)
class ClientImport:
    """How one module imports the client: ``from <module> import posthog_client``, the
    project's own client by its name, or ``import posthog`` for the module's own client.

    ``relative`` is the number of leading dots (0 for an absolute import).
    """

    module: str
    relative: int = 0
    #: the name edited code calls the client by
    name: str = CLIENT_NAME

    @property
    def module_default(self) -> bool:
        """The posthog module's own client: ``posthog.capture(...)``."""
        return self.module == self.name == DEFAULT_CLIENT

    @property
    def imported(self) -> tuple[str, str, int]:
        """``(module, name, dots)`` of the import (name "" for ``import posthog``)."""
        return self.module, "" if self.module_default else self.name, self.relative

    @property
    def keyword(self) -> str:
        """``client=<name>`` for an integration, or "" where the integration's own default
        (the posthog module's client) is the one."""
        return "" if self.module_default else f"client={self.name}"

    def arguments(self, *args: str) -> str:
        """An integration's arguments: ``args`` with ``client=<name>`` after the positional
        ones (``app, client=posthog_client, capture_exceptions=False``)."""
        positional = [a for a in args if "=" not in a]
        keywords = [a for a in args if "=" in a]
        return ", ".join([*positional, *filter(None, [self.keyword]), *keywords])

    def generated_source(self) -> str:
        """The import for a module the tool generates, which calls the client
        ``posthog_client`` whatever the project calls it."""
        if self.name == CLIENT_NAME:
            return self.source()
        return f"{self.source()} as {CLIENT_NAME}"

    def source(self) -> str:
        if self.module_default:
            return f"import {DEFAULT_CLIENT}"
        dots = "." * self.relative
        return f"from {dots}{self.module} import {self.name}"


def _django_folder(root: Path, parts: list[str]) -> int:
    """How many leading ``parts`` name the deepest folder below ``root`` holding a Django
    ``manage.py`` that is not a package itself (0 if none holds the module)."""
    for depth in range(len(parts) - 1, 0, -1):
        folder = root.joinpath(*parts[:depth])
        if (folder / "manage.py").is_file() and not (folder / "__init__.py").is_file():
            return depth
    return 0


def module_of(path: str, root: Path | None = None) -> tuple[str, bool]:
    """Dotted module name of a project-relative ``.py`` path, and whether it is a package.

    Under a folder holding a Django ``manage.py`` (given the project ``root``) the import
    root is that folder. Under ``src/`` the import root is ``src``, or (given ``root``) the first
    folder below it that holds the module's top package: ``src/py/app/x.py`` is ``app.x``
    when ``src/py`` is a folder of packages (no ``__init__.py``, no module of its own; a
    folder with modules is a namespace package, imported by its name). A ``src`` that is
    a package itself (given ``root``: it has an ``__init__.py``) is imported by its name,
    ``src.main``, as the analysis names its modules.
    """
    parts = list(PurePosixPath(path).with_suffix("").parts)
    django = _django_folder(root, parts) if root is not None else 0
    if django:
        # ``manage.py`` runs from its folder: modules there import from it.
        parts = parts[django:]
    elif (
        parts
        and parts[0] == "src"
        and not (root is not None and (root / "src/__init__.py").is_file())
    ):
        parts = parts[1:]
        folder = root / "src" if root is not None else None
        while (
            folder is not None
            and len(parts) > 2
            and not (folder / parts[0] / "__init__.py").is_file()
            and (folder / parts[0] / parts[1] / "__init__.py").is_file()
            and not any((folder / parts[0]).glob("*.py"))
        ):
            folder = folder / parts[0]
            parts = parts[1:]
    is_package = bool(parts) and parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def client_import(
    importing_file: str,
    client_module_file: str,
    *,
    relative: bool,
    root: Path | None = None,
    name: str = CLIENT_NAME,
    import_root: str = "",
    module_default: bool = False,
) -> ClientImport:
    """The import of the client ``name`` from ``importing_file``, absolute or relative.

    Relative only where both files share a package and the importing module already
    imports that way; otherwise absolute (always valid once the package is importable).
    Under an ``import_root`` (the folder a runtime puts first on ``sys.path``, such as a
    Lambda function's code folder, holding both files) module names start there. With
    ``module_default`` the client is the posthog module's own: ``import posthog``.
    """
    if module_default:
        return ClientImport(DEFAULT_CLIENT, name=DEFAULT_CLIENT)
    if import_root and client_module_file.startswith(import_root + "/"):
        inner = client_module_file[len(import_root) + 1 :]
        return ClientImport(module_of(inner)[0], name=name)
    if root is not None and _script_folder(root, importing_file, client_module_file):
        return ClientImport(PurePosixPath(client_module_file).stem, name=name)
    target, _ = module_of(client_module_file, root)
    source, is_package = module_of(importing_file, root)
    if relative:
        package = source.split(".") if is_package else source.split(".")[:-1]
        target_parts = target.split(".")
        common = 0
        while (
            common < min(len(package), len(target_parts) - 1)
            and package[common] == target_parts[common]
        ):
            common += 1
        if common > 0:
            level = len(package) - common + 1
            return ClientImport(".".join(target_parts[common:]), level, name)
    return ClientImport(target, name=name)


#: A module that runs itself: a ``__main__`` guard, or a server started at module level.
_RUNS_ITSELF = re.compile(r"^(if __name__ ?== ?['\"]__main__['\"]|[\w.]*\.run(_app)?\()", re.M)


def _script_folder(root: Path, importing_file: str, client_module_file: str) -> bool:
    """Is the client module beside ``importing_file`` in a folder of scripts?

    A folder that is no package (no ``__init__.py``), holds a module that runs itself,
    and that none of its modules imports by the folder's name: its scripts run with
    their own folder on ``sys.path``, so they import the client by its bare name, as the
    verification does.
    """
    folder = PurePosixPath(importing_file).parent
    if str(folder) in ("", ".") or PurePosixPath(client_module_file).parent != folder:
        return False
    return _runs_scripts(root / folder)


@functools.lru_cache(maxsize=64)
def _runs_scripts(path: Path) -> bool:
    if (path / "__init__.py").is_file():
        return False
    by_name = re.compile(rf"^\s*(from|import)\s+{re.escape(path.name)}[.\s]", re.M)
    runs = False
    for module in sorted(path.glob("*.py")):
        try:
            text = module.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if by_name.search(text):
            return False
        runs = runs or _RUNS_ITSELF.search(text) is not None
    return runs
