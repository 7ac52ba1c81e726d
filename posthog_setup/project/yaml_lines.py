"""A small reader for the block mappings of a YAML file: keys, nested mappings, plain and
quoted scalars; nothing else.

Deployment files (``serverless.yml``, a SAM ``template.yaml``) name a handler in a few keys
of nested mappings. Reading those needs no YAML library: indentation gives the nesting, a
comment starts at ``#`` after a space, and a value is a plain or quoted scalar. What this
reader does not model is left out of the result, never guessed at: sequences (``- item``)
with what they hold, block scalars (``|``, ``>``), flow collections (``{...}``, ``[...]``),
aliases, and tagged values (CloudFormation's ``!Sub``, ``!Ref``...). A key whose value is
left out maps to ``None``. Only the first document of a file is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: A mapping read from YAML: each value a string, a nested mapping, or None (not read).
YamlMapping = dict[str, "str | YamlMapping | None"]

_KEY = re.compile(
    r"""(?x)
    (?: "(?P<double>(?:[^"\\]|\\.)*)"      # "quoted key"
      | '(?P<single>(?:[^']|'')*)'         # 'quoted key'
      | (?P<plain>[^\s\-?:,\[\]{}#&*!|>'"%@`][^#]*?|-[^\s#][^#]*?)
    )
    [ \t]*:(?:[ \t]+(?P<value>.*))?$
    """
)
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "/": "/", "0": "\0"}


@dataclass
class _Level:
    """An open mapping: where its keys stand, once its first key is read."""

    mapping: YamlMapping
    #: the indentation of the key that opened it (-1 for the document)
    parent: int
    indent: int | None = None
    children: list[str] = field(default_factory=list)


def _strip_comment(text: str) -> str:
    """A plain value without its comment: ``#`` at the start or after a space."""
    if text.startswith("#"):
        return ""
    match = re.search(r"[ \t]#", text)
    return (text[: match.start()] if match else text).rstrip()


def _double_quoted(text: str) -> str | None:
    """The value of a ``"..."`` scalar that closes on its line, escapes read."""
    out: list[str] = []
    index = 1
    while index < len(text):
        char = text[index]
        if char == '"':
            rest = text[index + 1 :].strip()
            return "".join(out) if not rest or rest.startswith("#") else None
        if char == "\\":
            if index + 1 >= len(text) or text[index + 1] not in _ESCAPES:
                return None
            out.append(_ESCAPES[text[index + 1]])
            index += 2
            continue
        out.append(char)
        index += 1
    return None


def _single_quoted(text: str) -> str | None:
    """The value of a ``'...'`` scalar that closes on its line (``''`` is a quote)."""
    out: list[str] = []
    index = 1
    while index < len(text):
        char = text[index]
        if char == "'":
            if text[index + 1 : index + 2] == "'":
                out.append("'")
                index += 2
                continue
            rest = text[index + 1 :].strip()
            return "".join(out) if not rest or rest.startswith("#") else None
        out.append(char)
        index += 1
    return None


def _without_anchor(text: str) -> str:
    """A value without the anchor that names it (``&defaults``): the value is still the
    value."""
    if not text.startswith("&"):
        return text
    return text.partition(" ")[2].strip()


def _scalar(text: str) -> str | None:
    """A value written on its key's line: the string, or None where it is something this
    reader leaves out (a tag, an alias, a flow collection, a block scalar)."""
    if text.startswith('"'):
        return _double_quoted(text)
    if text.startswith("'"):
        return _single_quoted(text)
    if not text or text[0] in "!*[{|>%@`":
        return None
    value = _strip_comment(text)
    return value or None


def _key(match: re.Match[str]) -> str:
    if match.group("double") is not None:
        return _double_quoted('"' + match.group("double") + '"') or match.group("double")
    if match.group("single") is not None:
        return match.group("single").replace("''", "'")
    return match.group("plain").strip()


def read_yaml_mappings(text: str) -> YamlMapping | None:
    """The block mappings of the first document in ``text``; None where its indentation is
    not YAML's (tabs, a key out of line with its siblings)."""
    root: YamlMapping = {}
    levels = [_Level(root, -1, indent=0)]
    #: lines indented deeper than this belong to something left out (a sequence item, a
    #: block scalar, a value continued on the next lines)
    skip_deeper: int | None = None
    started = False
    for raw in text.removeprefix("\ufeff").splitlines():
        line = raw.rstrip()
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if stripped.startswith("\t"):
            return None
        if indent == 0 and stripped.startswith(("---", "...")):
            if started:
                break
            continue
        if indent == 0 and stripped.startswith("%"):
            continue  # a directive (%YAML 1.2)
        if skip_deeper is not None:
            if indent > skip_deeper:
                continue
            skip_deeper = None
        started = True
        if stripped == "-" or stripped.startswith("- "):
            skip_deeper = indent
            continue
        match = _KEY.match(stripped)
        if match is None:
            # A line this reader does not model (a complex key, a stray scalar): it and
            # what it holds are left out.
            skip_deeper = indent
            continue
        while len(levels) > 1:
            level = levels[-1]
            if level.indent is None and indent > level.parent:
                break
            if level.indent is not None and indent >= level.indent:
                break
            levels.pop()
        level = levels[-1]
        if level.indent is None:
            level.indent = indent
        if indent != level.indent:
            return None
        key = _key(match)
        value = _without_anchor((match.group("value") or "").strip())
        if not value or value.startswith("#"):
            child: YamlMapping = {}
            level.mapping[key] = child
            levels.append(_Level(child, indent))
            continue
        level.mapping[key] = _scalar(value)
        skip_deeper = indent
    return root


def mapping_at(data: YamlMapping | None, *keys: str) -> YamlMapping:
    """The nested mapping under ``keys``; empty where there is none."""
    current: object = data or {}
    for key in keys:
        current = current.get(key) if isinstance(current, dict) else None
    return current if isinstance(current, dict) else {}


def string_at(data: YamlMapping | None, *keys: str) -> str | None:
    """The string under ``keys``; None where there is none, or something else is there."""
    if not keys:
        return None
    value = mapping_at(data, *keys[:-1]).get(keys[-1])
    return value if isinstance(value, str) else None
