"""URL paths: joining prefixes and finding path parameters, for every framework's syntax."""

from __future__ import annotations

import re

# Flask <int:post_id>, Django <int:pk>, FastAPI {post_id} / {path:path}, regex (?P<pk>...).
_PARAMETER = re.compile(
    r"<(?:[^:<>]+:)?(?P<angle>\w+)>|\{(?P<brace>\w+)(?::[^}]*)?\}|\(\?P<(?P<regex>\w+)>"
)


def join_paths(*parts: str | None) -> str:
    """Join URL prefixes and a rule the way routers do: one slash between parts.

    >>> join_paths("/api", "/v1/", "posts/")
    '/api/v1/posts/'
    """
    joined = ""
    for piece in (p for p in parts if p):
        joined = f"{joined.rstrip('/')}/{piece.lstrip('/')}" if joined else piece
    return joined if joined.startswith("/") else "/" + joined


def regex_to_path(pattern: str) -> str:
    """A Django ``re_path`` regex as a readable path: ``^posts/(?P<pk>\\d+)/$`` -> ``posts/<pk>/``."""
    path = pattern.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", path)
    return path.replace("\\.", ".").replace("\\-", "-")


def path_parameters(path: str) -> tuple[str, ...]:
    """Names of the parameters in a path, in order."""
    names = []
    for match in _PARAMETER.finditer(path):
        name = match.group("angle") or match.group("brace") or match.group("regex")
        if name and name not in names:
            names.append(name)
    return tuple(names)
