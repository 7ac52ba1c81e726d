"""Personal or secret data in event properties: which keys name it, which values hold it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from posthog_setup.analysis.body import dotted
from posthog_setup.analysis.names import child_nodes

#: Property names never sent as event properties: they identify people or grant access.
PII_NAMES = re.compile(
    r"pass(word)?|passwd|secret|token|api_?key|auth|credential|session|cookie|e_?mail|phone|"
    r"tele?phone|cell_?phone|mobile|fax|"
    r"address|ssn|card|cvv|iban|birth|first_?name|last_?name|full_?name|username|ip",
    re.IGNORECASE,
)
#: Attributes (and methods) of a request object that are its whole body.
_REQUEST_BODIES = frozenset({"json", "get_json", "form", "POST", "data", "values"})
_REQUEST_NAMES = frozenset({"request", "req"})
#: Key words that make a PII-sounding key a flag, a count or a kind rather than the data.
_NOT_PII_LAST = re.compile(
    r"at|count|len(gth)?|type|kind|domain|provider|method|verified|confirmed|enabled|changed"
    r"|updated|reset|present|valid|required|strength|expired|expires|status|ids?"
)
_NOT_PII_FIRST = frozenset({"is", "has", "num", "n"})


def pii_word(key: str) -> str | None:
    """The PII word a property key holds (``email`` in ``user_email``), or None.

    Keys are split into words (snake, kebab, dotted or camel case) and each run of up to
    three words is tested whole against PII_NAMES, so ``ip`` does not match ``description``.
    Keys that only say something about the data (``email_verified``, ``password_changed_at``,
    ``has_email``) and PostHog's own ``$`` properties are not PII.
    """
    if key.startswith("$"):
        return None
    words = re.findall(r"[a-z0-9]+", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower())
    if not words or _NOT_PII_LAST.fullmatch(words[-1]) or words[0] in _NOT_PII_FIRST:
        return None
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + 3) + 1):
            for joined in ("_".join(words[start:end]), "".join(words[start:end])):
                if PII_NAMES.fullmatch(joined):
                    return joined
    return None


def whole_request(expr: ast.expr) -> bool:
    """True for ``request.json``, ``await request.json()``, ``dict(request.form)`` and the like."""
    node: ast.expr = expr
    for _ in range(3):
        if isinstance(node, ast.Await):
            node = node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "dict"
            and len(node.args) == 1
        ):
            node = node.args[0]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("to_dict", "dict", "copy")
        ):
            node = node.func.value
        elif isinstance(node, ast.Call):
            node = node.func
    return (
        isinstance(node, ast.Attribute)
        and node.attr in _REQUEST_BODIES
        and dotted(node.value).rsplit(".", 1)[-1] in _REQUEST_NAMES
    )


#: Calls that pass a value through unchanged, as far as what it holds is concerned.
_SAME_VALUE_FUNCTIONS = frozenset({"str"})
_SAME_VALUE_METHODS = frozenset({"lower", "upper", "strip", "casefold", "title"})
#: How many assignments a value is followed through (``a = user.email; b = a``).
_FOLLOW_DEPTH = 4


#: A dict item: its key (None for ``**other``), its value, the line its names are read at.
Item = tuple[ast.expr | None, ast.expr, int]


@dataclass(frozen=True)
class PiiHit:
    """One place a capture's properties send personal or secret data."""

    node: ast.expr
    message: str


class LocalValues:
    """The assignments of one function body (or module), to follow a name to its value.

    Flow-insensitive within the body but ordered by line: the value a name holds at a
    call is its last plain assignment on an earlier line. Nested functions and classes
    are not entered (their names are theirs).
    """

    def __init__(self, body: Sequence[ast.stmt]) -> None:
        self.bound: dict[str, list[tuple[int, ast.expr]]] = {}
        #: items added to a dict name later: ``d["k"] = v`` and ``d.update(...)``
        self.added: dict[str, list[tuple[int, ast.expr | None, ast.expr]]] = {}
        for node in _walk_body(body):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.bound.setdefault(target.id, []).append((node.lineno, node.value))
                    elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                        self.added.setdefault(target.value.id, []).append(
                            (node.lineno, target.slice, node.value)
                        )
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "update"
                and isinstance(node.func.value, ast.Name)
            ):
                name = node.func.value.id
                for arg in node.args:
                    self.added.setdefault(name, []).append((node.lineno, None, arg))
                for keyword in node.keywords:
                    key = _keyword_key(keyword)
                    self.added.setdefault(name, []).append((node.lineno, key, keyword.value))

    def value_of(self, name: str, line: int) -> ast.expr | None:
        """What ``name`` was last assigned before ``line``; None if it was not."""
        earlier = [(at, value) for at, value in self.bound.get(name, ()) if at < line]
        return max(earlier, key=lambda pair: pair[0])[1] if earlier else None

    def added_to(self, name: str, since: int, line: int) -> list[Item]:
        """Items put into dict ``name`` after its assignment on ``since``, before ``line``."""
        return [
            (key, value, at) for at, key, value in self.added.get(name, ()) if since <= at < line
        ]

    def line_of(self, name: str, line: int) -> int:
        earlier = [at for at, _ in self.bound.get(name, ()) if at < line]
        return max(earlier) if earlier else 0


def _walk_body(body: Sequence[ast.stmt]) -> Iterator[ast.AST]:
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        yield node
        for child in child_nodes(node):
            if not isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
            ):
                todo.append(child)


def _keyword_key(keyword: ast.keyword) -> ast.expr | None:
    """A keyword argument's name as a dict key where the keyword stands (None for ``**``)."""
    if keyword.arg is None:
        return None
    return ast.copy_location(ast.Constant(keyword.arg), keyword)


def _key_text(key: ast.expr | None) -> str | None:
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def _held_word(value: ast.expr, line: int, values: LocalValues, depth: int = 0) -> str | None:
    """The PII word naming what ``value`` holds (``user.email``, ``form["password"]``,
    a local assigned one), or None."""
    node = value
    while True:
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Name)
                and func.id in _SAME_VALUE_FUNCTIONS
                and len(node.args) == 1
            ):
                node = node.args[0]
                continue
            if (
                isinstance(func, ast.Attribute)
                and func.attr in _SAME_VALUE_METHODS
                and not node.args
            ):
                node = func.value
                continue
            if isinstance(func, ast.Attribute) and func.attr == "get" and node.args:
                return _word_of(_key_text(node.args[0]))
            return None
        break
    if isinstance(node, ast.Attribute):
        return _word_of(node.attr)
    if isinstance(node, ast.Subscript):
        return _word_of(_key_text(node.slice))
    if isinstance(node, ast.JoinedStr):
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                word = _held_word(part.value, line, values, depth)
                if word is not None:
                    return word
        return None
    if isinstance(node, ast.Name):
        assigned = values.value_of(node.id, line)
        if assigned is None:
            return _word_of(node.id)
        if depth < _FOLLOW_DEPTH:
            return _held_word(assigned, values.line_of(node.id, line), values, depth + 1)
    return None


def _word_of(name: str | None) -> str | None:
    return pii_word(name) if name else None


def _dict_items(properties: ast.expr, line: int, values: LocalValues, depth: int) -> list[Item]:
    """The items of the dict ``properties`` is at ``line`` (a literal, ``dict(...)``, or a
    local bound to one and added to before ``line``), each with the line its names are
    read at; empty when unknown."""
    if isinstance(properties, ast.Dict):
        return [(k, v, line) for k, v in zip(properties.keys, properties.values, strict=True)]
    if (
        isinstance(properties, ast.Call)
        and isinstance(properties.func, ast.Name)
        and properties.func.id == "dict"
        and not properties.args
    ):
        return [(_keyword_key(k), k.value, line) for k in properties.keywords]
    if isinstance(properties, ast.Name) and depth < _FOLLOW_DEPTH:
        assigned = values.value_of(properties.id, line)
        if assigned is None:
            return []
        since = values.line_of(properties.id, line)
        return [
            *_dict_items(assigned, since, values, depth + 1),
            *values.added_to(properties.id, since, line),
        ]
    return []


def pii_in_properties(
    properties: ast.expr, line: int, values: LocalValues, depth: int = 0
) -> list[PiiHit]:
    """Where the ``properties`` of a capture on ``line`` send personal or secret data: keys
    that name it, values that hold it, or the whole request body, also through locals."""
    request = properties
    if isinstance(properties, ast.Name):
        request = values.value_of(properties.id, line) or properties
    if whole_request(request):
        via = "" if request is properties else f" (which is {ast.unparse(request)})"
        return [
            PiiHit(
                properties,
                f"properties={ast.unparse(properties)}{via} sends the whole request body to "
                "PostHog, with any password, token or personal data in it; pass only the "
                "fields the event needs.",
            )
        ]
    hits: list[PiiHit] = []
    for key, value, at in _dict_items(properties, line, values, depth):
        text = _key_text(key)
        if key is None:
            if depth < _FOLLOW_DEPTH:
                hits += pii_in_properties(value, at, values, depth + 1)
            continue
        if text is None or text.startswith("$"):
            # PostHog's own properties ($ip, $current_url) are meant to be sent.
            continue
        word = pii_word(text)
        if word is not None:
            hits.append(
                PiiHit(
                    key,
                    f'Event property "{text}" looks like personal or secret data ({word}); '
                    "leave it out of event properties: person details such as an email belong "
                    "in set(properties=...), secrets never leave the server.",
                )
            )
            continue
        held = _held_word(value, at, values)
        if held is not None:
            hits.append(
                PiiHit(
                    value,
                    f'Event property "{text}" sends {ast.unparse(value)}, personal or secret '
                    f"data ({held}); leave it out of event properties: person details such as "
                    "an email belong in set(properties=...), secrets never leave the server.",
                )
            )
    return hits
