"""Django settings: ROOT_URLCONF, MIDDLEWARE, INSTALLED_APPS and the error-handler
settings, read from module-level assignments (also under ``if`` / ``try``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from posthog_setup.analysis.context import FactsBuilder, FileContext
from posthog_setup.analysis.model import (
    AppObject,
)
from posthog_setup.frameworks.django.common import literal_string, literal_strings


def module_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, including those under ``if`` / ``try`` (``if DEBUG: ...``)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from module_statements(stmt.body)
            yield from module_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for part in (stmt.body, stmt.orelse, stmt.finalbody):
                yield from module_statements(part)


def assigned_name(stmt: ast.stmt) -> tuple[str, ast.expr, bool] | None:
    """``NAME = value`` / ``NAME: T = value`` / ``NAME += value`` -> (name, value, augmented)."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            return target.id, stmt.value, False
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        if isinstance(stmt.target, ast.Name):
            return stmt.target.id, stmt.value, False
    elif (
        isinstance(stmt, ast.AugAssign)
        and isinstance(stmt.op, ast.Add)
        and isinstance(stmt.target, ast.Name)
    ):
        return stmt.target.id, stmt.value, True
    return None


def collect_settings(ctx: FileContext, out: FactsBuilder) -> None:
    """Settings a later stage needs: the urlconf, middleware order, apps, auth and DRF hooks."""
    found: dict[str, str] = {}
    middleware: list[str] = []
    apps: list[str] = []
    first_line = 0
    #: module-level lists of strings by name, for ``INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS``
    lists: dict[str, list[str]] = {}

    def expand(value: ast.expr) -> list[str]:
        if isinstance(value, ast.Name):
            return list(lists.get(value.id, ()))
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            return expand(value.left) + expand(value.right)
        return list(literal_strings(value))

    for stmt in module_statements(ctx.tree.body):
        assigned = assigned_name(stmt)
        if assigned is None:
            continue
        name, value, augmented = assigned
        if isinstance(value, (ast.List, ast.Tuple, ast.BinOp, ast.Name)):
            lists[name] = ([*lists.get(name, ())] if augmented else []) + expand(value)
        if name in ("MIDDLEWARE", "INSTALLED_APPS"):
            items = middleware if name == "MIDDLEWARE" else apps
            if not augmented:
                items.clear()
            items.extend(expand(value))
            found[name] = ",".join(items)
            found.setdefault(f"{name}:line", str(stmt.lineno))
        elif name in ("ROOT_URLCONF", "AUTH_USER_MODEL", "LOGIN_URL"):
            text = literal_string(value)
            if text is not None:
                found[name] = text
        elif name == "REST_FRAMEWORK" and isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values, strict=True):
                handler = literal_string(item)
                if literal_string(key) == "EXCEPTION_HANDLER" and handler is not None:
                    found["REST_FRAMEWORK.EXCEPTION_HANDLER"] = handler
        elif name == "REST_AUTH":
            found["REST_AUTH.SESSION_LOGIN"] = _session_login(value)
        else:
            continue
        if name in ("ROOT_URLCONF", "INSTALLED_APPS") and not first_line:
            first_line = stmt.lineno
    if "MIDDLEWARE" in found:
        position = next(
            (i for i, m in enumerate(middleware) if m.endswith(".AuthenticationMiddleware")), None
        )
        if position is not None:
            found["AUTHENTICATION_MIDDLEWARE_INDEX"] = str(position)
    if "INSTALLED_APPS" in found:
        found["REST_FRAMEWORK_INSTALLED"] = str("rest_framework" in apps).lower()
        found["ALLAUTH_INSTALLED"] = str(any(a.split(".")[0] == "allauth" for a in apps)).lower()
    out.django_settings.extend(found.items())
    if first_line:
        out.apps.append(AppObject("django.project", ctx.module, ctx.file, first_line))


def _session_login(value: ast.expr) -> str:
    """dj-rest-auth's ``REST_AUTH["SESSION_LOGIN"]`` as ``true`` / ``false`` (on by
    default), or ``unknown`` where the settings compute it."""
    if not isinstance(value, ast.Dict):
        return "unknown"
    for key, item in zip(value.keys, value.values, strict=True):
        if key is None:
            return "unknown"  # ``**defaults``: the key may be in there
        if literal_string(key) == "SESSION_LOGIN":
            if isinstance(item, ast.Constant) and isinstance(item.value, bool):
                return str(item.value).lower()
            return "unknown"
    return "true"
