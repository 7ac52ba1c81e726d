"""Personal or secret data in event properties: which keys name it, which values hold it."""

from __future__ import annotations

import ast
import re

from posthog_setup.analysis.body import dotted

#: Property names never sent as event properties: they identify people or grant access.
PII_NAMES = re.compile(
    r"pass(word)?|passwd|secret|token|api_?key|auth|credential|session|cookie|e_?mail|phone|"
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
