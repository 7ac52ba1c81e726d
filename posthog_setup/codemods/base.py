"""What every edit shares: file changes as data, libcst parsing in the file's own style,
and how a module imports the project's PostHog client.

An edit never writes: it returns ``FileChange`` records (the bytes before and after),
and the edit workflow decides whether to write them, print a diff or only check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import libcst as cst

#: The name the client module exports and edited code calls.
CLIENT_NAME = "posthog_client"


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

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class Skipped:
    """A file an edit could not touch, and why (it does not parse, it is not readable)."""

    path: str
    reason: str


class EditError(Exception):
    """An edit that cannot be applied to one file; the message says why, for people."""


def parse_module(source: str, path: str) -> cst.Module:
    """Parse with libcst; raises EditError naming the file and line on a syntax error."""
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise EditError(f"{path}: cannot parse (line {exc.raw_line}): {exc.message}") from exc


def statement(code: str, module: cst.Module) -> cst.BaseStatement:
    """One statement, parsed with the module's own indentation and newline style."""
    return cst.parse_statement(code, config=module.config_for_parsing)


@dataclass(frozen=True)
class ClientImport:
    """How one module imports the client: ``from <module> import posthog_client``.

    ``relative`` is the number of leading dots (0 for an absolute import).
    """

    module: str
    relative: int = 0

    def source(self) -> str:
        dots = "." * self.relative
        return f"from {dots}{self.module} import {CLIENT_NAME}"


def module_of(path: str) -> tuple[str, bool]:
    """Dotted module name of a project-relative ``.py`` path, and whether it is a package."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    is_package = bool(parts) and parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def uses_relative_imports(module: cst.Module) -> bool:
    """True if the module imports project code with ``from . import`` style imports."""
    return any(
        isinstance(small, cst.ImportFrom) and small.relative
        for stmt in module.body
        if isinstance(stmt, cst.SimpleStatementLine)
        for small in stmt.body
    )


def client_import(importing_file: str, client_module_file: str, *, relative: bool) -> ClientImport:
    """The import of the client module from ``importing_file``, absolute or relative.

    Relative only where both files share a package and the importing module already
    imports that way; otherwise absolute (always valid once the package is importable).
    """
    target, _ = module_of(client_module_file)
    source, is_package = module_of(importing_file)
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
            return ClientImport(".".join(target_parts[common:]), level)
    return ClientImport(target)
