"""URL paths: joining prefixes and finding path parameters, for every framework's syntax."""

from __future__ import annotations

import re

#: ``<...>`` (Flask, Django, Bottle, Sanic), ``{...}`` (FastAPI, Starlette, Django Ninja) and
#: regex groups ``(?P<name>...)``. A converter may take arguments (Flask's ``any(a, b)``), and
#: a Sanic / Bottle pattern may hold any text but the closing bracket.
_PARAMETER = re.compile(r"\(\?P<(?P<regex>\w+)>|<(?P<angle>[^<>]+)>|\{(?P<brace>[^{}]+)\}")
_NAME = re.compile(r"[A-Za-z_]\w*")

#: Converter and type names of every framework, in either position: Werkzeug (``string``,
#: ``int``, ``float``, ``path``, ``uuid``, ``any``, ``default``), Django and Django Ninja
#: (``str``, ``int``, ``slug``, ``uuid``, ``path``), Starlette (``str``, ``int``, ``float``,
#: ``uuid``, ``path``), Bottle (``int``, ``float``, ``path``, ``re``) and Sanic (``str``,
#: ``int``, ``float``, ``alpha``, ``slug``, ``path``, ``ymd``, ``uuid``, ``ext``, ``strorempty``).
CONVERTERS = frozenset(
    {
        "alpha",
        "any",
        "default",
        "ext",
        "float",
        "int",
        "path",
        "re",
        "slug",
        "str",
        "string",
        "strorempty",
        "uuid",
        "ymd",
    }
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


#: Converter names that are also common parameter names (``<path:path>``, ``<str:slug>``).
_NAME_LIKE_CONVERTERS = frozenset({"ext", "path", "slug"})


def _converter_rank(part: str) -> int:
    """2 for a converter that is never a parameter name (``int``, ``any(a, b)``), 1 for one
    that often is (``slug``, ``path``), 0 for anything else."""
    if "(" in part:
        return 2
    if part in _NAME_LIKE_CONVERTERS:
        return 1
    return 2 if part in CONVERTERS else 0


def _read_parameter(inside: str, *, name_first: bool) -> tuple[str, str] | None:
    """The parameter name inside one ``<...>`` or ``{...}``, and its converter ("" if none).

    Which side of the colon holds the name depends on the framework: Flask and Django
    write ``<int:id>`` and Django Ninja ``{int:id}`` (converter first); Bottle and Sanic
    write ``<id:int>`` and FastAPI / Starlette ``{id:int}`` (name first). The converter
    names tell them apart; where both sides could be either, the syntax's usual order
    (``name_first``) decides.
    """
    head, colon, rest = inside.partition(":")
    head, rest = head.strip(), rest.strip()
    if not colon:
        return (head, "") if _NAME.fullmatch(head) else None
    # A converter's arguments may hold colons: ``<regex("a:b"):name>``, name last.
    if "(" in head:
        converter, _, last = inside.rpartition(":")
        last = last.strip()
        return (last, converter.split("(", 1)[0].strip()) if _NAME.fullmatch(last) else None
    head_is_name = _NAME.fullmatch(head) is not None
    rest_is_name = _NAME.fullmatch(rest) is not None
    if not head_is_name:
        return (rest, head) if rest_is_name else None
    if not rest_is_name:
        # ``<id:re:[0-9]+>``, ``<id:[a-z]+>``, ``{id:\d+}``: the rest is a pattern.
        return head, rest.split(":", 1)[0]
    head_rank, rest_rank = _converter_rank(head), _converter_rank(rest)
    if head_rank != rest_rank:
        return (rest, head) if head_rank > rest_rank else (head, rest)
    return (head, rest) if name_first else (rest, head)


def path_converters(path: str) -> dict[str, str]:
    """Each parameter of a path, in order, with its converter or type ("" where none is given).

    >>> path_converters("/posts/<int:post_id>/c/{cid:int}/{int:n}/<slug:str>/{page}")
    {'post_id': 'int', 'cid': 'int', 'n': 'int', 'slug': 'str', 'page': ''}
    """
    found: dict[str, str] = {}
    for match in _PARAMETER.finditer(path):
        read: tuple[str, str] | None
        if match.group("regex"):
            read = (match.group("regex"), "")
        elif match.group("angle") is not None:
            read = _read_parameter(match.group("angle"), name_first=False)
        else:
            read = _read_parameter(match.group("brace"), name_first=True)
        if read is not None:
            found.setdefault(*read)
    return found


def path_parameters(path: str) -> tuple[str, ...]:
    """Names of the parameters in a path, in order, in any framework's syntax."""
    return tuple(path_converters(path))
