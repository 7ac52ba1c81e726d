"""Where a project keeps its variables: settings classes that read a ``.env`` file and
refuse variables they do not declare, and modules that load one with python-dotenv.

A pydantic-settings ``BaseSettings`` class that reads an env file (``env_file=".env"``)
forbids extra inputs unless told otherwise: once a user adds ``POSTHOG_PROJECT_TOKEN`` to
that file, as the client module asks, the app stops at start-up with "Extra inputs are not
permitted". Edit declares the PostHog variables in each such class; this module finds them.

A module that imports python-dotenv at its top proves the package installed where it
runs: a client module of the same package can read ``.env`` itself when the project loads
it later than the client reads its variables (``load_dotenv()`` inside an app factory).
"""

from __future__ import annotations

import ast

from posthog_setup.analysis.context import FileContext
from posthog_setup.analysis.model import EnvSettings

#: The base classes whose dotenv source rejects undeclared variables (pydantic v1's
#: ``pydantic.BaseSettings`` only ever reads the fields it declares).
_STRICT_BASES = frozenset({"pydantic_settings.BaseSettings", "pydantic_settings.main.BaseSettings"})
#: pydantic v1's, whose env file is read through an inner ``class Config``.
_V1_BASES = frozenset({"pydantic.BaseSettings", "pydantic.env_settings.BaseSettings"})
_CONFIG_CALLS = frozenset({"pydantic_settings.SettingsConfigDict", "dict"})


def wants(text: str) -> bool:
    """The text test: only a file naming both can hold such a class."""
    return "BaseSettings" in text and "env_file" in text


def collect(ctx: FileContext) -> tuple[EnvSettings, ...]:
    """Every top-level or nested settings class of the file that reads an env file: those
    that refuse what they do not declare need the declarations; every one keeps its file's
    lines out of the environment, where the client module looks first."""
    found = []
    for node in ctx.nodes:
        if not isinstance(node, ast.ClassDef) or not node.body:
            continue
        bases = {ctx.names.resolve(base) for base in node.bases}
        v1 = bool(bases & _V1_BASES)
        if bases & _STRICT_BASES:
            config = _config(ctx, node)
            strict = config is not None and _literal(config.get("extra")) not in ("ignore", "allow")
        elif v1:
            # pydantic v1 looks its fields up in the env file and never sees the rest.
            config, strict = _v1_config(node), False
        else:
            continue
        if config is None or not _reads_env_file(config):
            continue
        prefix = _literal(config.get("env_prefix"))
        fields = [
            item.target.id
            for item in node.body
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
        ]
        last = node.body[-1]
        found.append(
            EnvSettings(
                file=ctx.file,
                name=node.name,
                line=node.lineno,
                end_line=last.end_lineno or last.lineno,
                indent=" " * node.body[0].col_offset,
                fields=tuple(f.lower() for f in fields),
                env_prefix=prefix if isinstance(prefix, str) else "",
                case_sensitive=_literal(config.get("case_sensitive")) is True,
                upper=bool(fields) and sum(f.isupper() for f in fields) * 2 > len(fields),
                module=ctx.module,
                instance=_instance(ctx.tree, node.name),
                imports=_imported_packages(ctx),
                env_files=_env_files(config["env_file"]),
                strict=strict,
                dotenv_optional=v1,
            )
        )
    return tuple(found)


def _imported_packages(ctx: FileContext) -> tuple[str, ...]:
    """The top-level packages the module imports, anywhere in it ("." for relative)."""
    found: dict[str, None] = {}
    for node in ctx.nodes:
        if isinstance(node, ast.ImportFrom):
            found[(node.module or "").split(".")[0] if not node.level else "."] = None
        elif isinstance(node, ast.Import):
            found.update((alias.name.split(".")[0], None) for alias in node.names)
    return tuple(found)


def _instance(tree: ast.Module, name: str) -> str:
    """The module-level name bound once to ``name()`` (no arguments), if there is one."""
    bound = [
        node.targets[0].id
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == name
        and not node.value.args
        and not node.value.keywords
    ]
    assigned = [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    ]
    return bound[0] if len(bound) == 1 and assigned.count(bound[0]) == 1 else ""


def _config(ctx: FileContext, node: ast.ClassDef) -> dict[str, ast.expr] | None:
    """The class's own settings: ``model_config = SettingsConfigDict(...)`` (or a dict)."""
    for item in node.body:
        if not isinstance(item, ast.Assign | ast.AnnAssign) or item.value is None:
            continue
        targets = item.targets if isinstance(item, ast.Assign) else [item.target]
        if not any(isinstance(t, ast.Name) and t.id == "model_config" for t in targets):
            continue
        value = item.value
        if isinstance(value, ast.Call) and ctx.names.resolve(value.func) in _CONFIG_CALLS:
            if any(k.arg is None for k in value.keywords):
                return None  # ``**base``: what it holds is not known here
            return {k.arg: k.value for k in value.keywords if k.arg is not None}
        if isinstance(value, ast.Dict) and all(isinstance(k, ast.Constant) for k in value.keys):
            return {
                k.value: v
                for k, v in zip(value.keys, value.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
        return None
    return None


def _v1_config(node: ast.ClassDef) -> dict[str, ast.expr] | None:
    """pydantic v1's settings: the assignments of the class's inner ``class Config``."""
    for item in node.body:
        if isinstance(item, ast.ClassDef) and item.name == "Config":
            return {
                target.id: stmt.value
                for stmt in item.body
                if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None
                for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                if isinstance(target, ast.Name)
            }
    return None


def _reads_env_file(config: dict[str, ast.expr]) -> bool:
    value = config.get("env_file")
    return value is not None and not (isinstance(value, ast.Constant) and value.value is None)


def _env_files(value: ast.expr) -> tuple[str, ...]:
    """``env_file=".env"`` or ``(".env", ".env.prod")``: the files, where all are literals."""
    items = value.elts if isinstance(value, ast.Tuple | ast.List) else [value]
    files = tuple(_literal(item) for item in items)
    if not files or not all(isinstance(f, str) and f for f in files):
        return ()
    return tuple(str(f) for f in files)


def _literal(node: ast.expr | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def imports_at_top(ctx: FileContext, package: str) -> bool:
    """Whether the module imports ``package`` (python-dotenv's ``dotenv``, python-decouple's
    ``decouple``) at its top level: run on import, so installed wherever the app runs."""
    for node in ctx.tree.body:
        if isinstance(node, ast.ImportFrom) and not node.level and node.module == package:
            return True
        if isinstance(node, ast.Import) and any(a.name == package for a in node.names):
            return True
    return False
