"""Where a file sets up a PostHog client: a ``Posthog(...)`` instance or the module-level key."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from posthog_setup.analysis.context import FileContext

_CONSTRUCTORS = frozenset({"posthog.Posthog", "posthog.Client", "posthog.client.Client"})
_MODULE_KEYS = frozenset({"posthog.api_key", "posthog.project_api_key"})


@dataclass(frozen=True)
class ClientSetup:
    """One place a PostHog client is configured."""

    file: str
    line: int
    col: int
    how: str  # "Posthog(...)" or "posthog.project_api_key = ..."


def client_setups(ctx: FileContext) -> tuple[ClientSetup, ...]:
    """Every client construction and module-level key assignment in the file."""
    found: list[ClientSetup] = []
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.Call):
            name = ctx.names.resolve(node.func)
            if name in _CONSTRUCTORS:
                found.append(
                    ClientSetup(ctx.file, node.lineno, node.col_offset + 1, f"{name}(...)")
                )
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and ctx.names.resolve(target) in _MODULE_KEYS:
                    found.append(
                        ClientSetup(
                            ctx.file,
                            node.lineno,
                            node.col_offset + 1,
                            f"{ast.unparse(target)} = ...",
                        )
                    )
    return tuple(sorted(found, key=lambda s: (s.line, s.col)))
