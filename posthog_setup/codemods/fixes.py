"""Safe fixes for the revise rules, and renaming the event of a capture call.

Each rule's record names its rewrites (``Rule.rewrite``); a rewrite changes only the
call, argument or attribute its finding points at (matched by line and column) and
leaves every other byte as it was. Each fix checks the code
again before it rewrites, so running it on its own output changes nothing:

- ``positional-capture``: ``capture(user, "event", props)`` becomes
  ``capture("event", distinct_id=user, properties=props)``;
- ``removed-identify``: ``client.identify(user, props)`` becomes
  ``client.set(distinct_id=user, properties=props)``;
- ``module-api-key``: ``posthog.api_key = ...`` becomes ``posthog.project_api_key = ...``
  and ``Posthog(api_key=...)`` becomes ``Posthog(project_api_key=...)``.

Arguments are moved between slots, but each slot keeps the separator and layout that
followed it, so a call laid out one argument per line stays that way.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from posthog_setup.analysis.model import Finding
from posthog_setup.analysis.rules.records import Rule, rule_for
from posthog_setup.analysis.rules.scan import (
    LEGACY_CAPTURE_ORDER,
    LEGACY_IDENTIFY_ORDER,
    ArgShape,
    keyword_layout,
)
from posthog_setup.codemods.base import EditError, parse_module
from posthog_setup.codemods.render import string_literal

_EQUAL = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
)

Position = tuple[int, int]
NodeT = TypeVar("NodeT", bound=cst.CSTNode)


def _shapes(call: cst.Call) -> list[ArgShape]:
    return [
        ArgShape(
            arg.keyword.value if arg.keyword is not None else None,
            arg.star if isinstance(arg.star, str) else "",
            isinstance(arg.value, cst.Name) and arg.value.value == "None",
        )
        for arg in call.args
    ]


def _trailing(arg: cst.Arg) -> cst.TrailingWhitespace | None:
    """The rest of the line after an argument and its comma, when a line break follows."""
    after = (
        arg.comma.whitespace_after if isinstance(arg.comma, cst.Comma) else arg.whitespace_after_arg
    )
    return after.first_line if isinstance(after, cst.ParenthesizedWhitespace) else None


def _with_trailing(arg: cst.Arg, trailing: cst.TrailingWhitespace) -> cst.Arg:
    comma = arg.comma
    if isinstance(comma, cst.Comma) and isinstance(
        comma.whitespace_after, cst.ParenthesizedWhitespace
    ):
        after = comma.whitespace_after.with_changes(first_line=trailing)
        return arg.with_changes(comma=comma.with_changes(whitespace_after=after))
    if isinstance(arg.whitespace_after_arg, cst.ParenthesizedWhitespace):
        return arg.with_changes(
            whitespace_after_arg=arg.whitespace_after_arg.with_changes(first_line=trailing)
        )
    return arg


class _Comments(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def visit_Comment(self, node: cst.Comment) -> None:
        self.found.append(node.value)


def _comments(args: Sequence[cst.Arg]) -> list[str]:
    collector = _Comments()
    for arg in args:
        arg.visit(collector)
    return sorted(collector.found)


def _rearranged(call: cst.Call, layout: Sequence[tuple[int, str | None]]) -> cst.Call:
    """``call`` with its arguments in ``layout`` order, passed by the keywords it names.

    Slot ``i`` of the new call keeps the comma and whitespace of slot ``i`` of the old one
    (the last slot, the old last's), so line breaks, indentation and a trailing comma stay;
    a comment at the end of an argument's line moves with the argument. A rewrite that
    would lose a comment is not made.
    """
    old = list(call.args)
    separators = [old[slot] if slot < len(layout) - 1 else old[-1] for slot in range(len(layout))]
    follow = all(
        _trailing(old[index]) is None or _trailing(separator) is not None
        for (index, _), separator in zip(layout, separators, strict=True)
    )
    arranged: list[cst.Arg] = []
    for (index, keyword), separator in zip(layout, separators, strict=True):
        arg = old[index]
        current = arg.keyword.value if arg.keyword is not None else None
        if keyword != current and keyword is not None:
            arg = arg.with_changes(keyword=cst.Name(keyword), equal=_EQUAL)
        arg = arg.with_changes(
            comma=separator.comma, whitespace_after_arg=separator.whitespace_after_arg
        )
        if follow and _trailing(separator) is not None:
            arg = _with_trailing(arg, _trailing(old[index]) or cst.TrailingWhitespace())
        arranged.append(arg)
    if _comments(arranged) != _comments(old):
        return call
    return call.with_changes(args=arranged)


@dataclass(frozen=True)
class Rewrite(Generic[NodeT]):
    """How one form of a rule's finding is fixed in place.

    ``anchor`` gives the part of a ``node`` that a finding points at (the called name of a
    call, the keyword of an argument), or None when the node is not of this form;
    ``rewrite`` returns the fixed node, or the node unchanged when the fix is not safe.
    """

    node: type[NodeT]
    anchor: Callable[[NodeT], cst.CSTNode | None]
    rewrite: Callable[[NodeT], NodeT]


def _called(method: str, *, on_attribute: bool = False) -> Callable[[cst.Call], cst.CSTNode | None]:
    """The anchor of a call of ``method``: its called name."""

    def anchor(call: cst.Call) -> cst.CSTNode | None:
        func = call.func
        name = func.attr if isinstance(func, cst.Attribute) else func
        if on_attribute and not isinstance(func, cst.Attribute):
            return None
        return name if isinstance(name, cst.Name) and name.value == method else None

    return anchor


def _keyword_capture(call: cst.Call) -> cst.Call:
    layout = keyword_layout(_shapes(call), LEGACY_CAPTURE_ORDER, stays="event", minimum=2)
    return call if layout is None else _rearranged(call, layout)


def _identify_as_set(call: cst.Call) -> cst.Call:
    layout = keyword_layout(_shapes(call), LEGACY_IDENTIFY_ORDER, stays=None, minimum=0)
    if layout is None or not isinstance(call.func, cst.Attribute):
        return call
    renamed = call.func.with_changes(attr=cst.Name("set"))
    return _rearranged(call.with_changes(func=renamed), layout)


def _api_key_attribute(node: cst.Attribute) -> cst.CSTNode | None:
    return node.attr if node.attr.value == "api_key" else None


def _api_key_argument(node: cst.Arg) -> cst.CSTNode | None:
    keyword = node.keyword
    return keyword if keyword is not None and keyword.value == "api_key" else None


#: ``capture(user, "event", props)`` -> ``capture("event", distinct_id=user, properties=props)``
POSITIONAL_CAPTURE: tuple[Rewrite[Any], ...] = (
    Rewrite(cst.Call, _called("capture"), _keyword_capture),
)
#: ``client.identify(user, props)`` -> ``client.set(distinct_id=user, properties=props)``
REMOVED_IDENTIFY: tuple[Rewrite[Any], ...] = (
    Rewrite(cst.Call, _called("identify", on_attribute=True), _identify_as_set),
)
#: ``posthog.api_key`` / ``Posthog(api_key=...)`` -> ``project_api_key``
MODULE_API_KEY: tuple[Rewrite[Any], ...] = (
    Rewrite(
        cst.Attribute,
        _api_key_attribute,
        lambda node: node.with_changes(attr=cst.Name("project_api_key")),
    ),
    Rewrite(
        cst.Arg,
        _api_key_argument,
        lambda node: node.with_changes(keyword=cst.Name("project_api_key")),
    ),
)


def rewrites_of(rule: Rule) -> tuple[Rewrite[Any], ...]:
    """The rewrites a rule's record names; empty when the rule has none."""
    if rule.rewrite is None:
        return ()
    module, _, name = rule.rewrite.partition(":")
    found: tuple[Rewrite[Any], ...] = getattr(importlib.import_module(module), name)
    return found


class _Fixer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, wanted: dict[Position, list[Rewrite[Any]]]) -> None:
        super().__init__()
        self.wanted = wanted
        self.forms = {r for found in wanted.values() for r in found}

    def on_leave(
        self, original_node: cst.CSTNodeT, updated_node: cst.CSTNodeT
    ) -> cst.CSTNodeT | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNodeT]:
        updated = updated_node
        for form in self.forms:
            if not isinstance(original_node, form.node):
                continue
            anchor = form.anchor(original_node)
            if anchor is None:
                continue
            start = self.get_metadata(PositionProvider, anchor).start
            if form in self.wanted.get((start.line, start.column + 1), ()):
                updated = form.rewrite(updated)
        return updated


def apply_fixes(text: str, file: str, findings: Sequence[Finding]) -> str:
    """``text`` with every fixable finding of ``file`` fixed; the rest of it byte for byte.

    Each finding is fixed by the rewrites its rule's record names. Raises EditError when
    the file cannot be parsed.
    """
    wanted: dict[Position, list[Rewrite[Any]]] = {}
    for finding in findings:
        if finding.fixable and finding.file == file:
            forms = rewrites_of(rule_for(finding.rule))
            if forms:
                wanted.setdefault((finding.line, finding.col), []).extend(forms)
    if not wanted:
        return text
    module = parse_module(text, file)
    return MetadataWrapper(module).visit(_Fixer(wanted)).code


class _EventLiterals(cst.CSTVisitor):
    """The event-name string literals of the capture calls that start on one line."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.found: list[cst.SimpleString] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, cst.Attribute) else func
        if not (isinstance(name, cst.Name) and name.value == "capture"):
            return
        position = self.get_metadata(PositionProvider, node).start
        if self.line not in (position.line, self.get_metadata(PositionProvider, name).start.line):
            return
        keyword = [
            a.value for a in node.args if a.keyword is not None and a.keyword.value == "event"
        ]
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        # The event is the first positional argument, or the second in the pre-6.0 form.
        for value in [*keyword, *positional[:2]]:
            if isinstance(value, cst.SimpleString):
                self.found.append(value)


def _literal_like(original: cst.SimpleString, value: str) -> str:
    """A literal for ``value`` with the prefix and quotes of ``original`` where they can hold it."""
    prefix, quote = original.prefix, original.quote
    body = value
    if "r" not in prefix.lower():
        body = value.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0])
    candidate = f"{prefix}{quote}{body}{quote}"
    try:
        fits = ast.literal_eval(candidate) == value
    except (SyntaxError, ValueError):
        fits = False
    return candidate if fits else string_literal(value)


def rename_event(text: str, file: str, line: int, old: str, new: str) -> str:
    """Rename the literal event of the capture call starting on ``line`` from ``old`` to ``new``.

    Keeps the literal's quotes and prefix. A call that already sends ``new`` is left as it
    is; EditError if no capture call on that line sends ``old`` (or the file does not parse).
    """
    module = parse_module(text, file)
    wrapper = MetadataWrapper(module)
    finder = _EventLiterals(line)
    wrapper.visit(finder)
    for literal in finder.found:
        if literal.evaluated_value == old:
            renamed = literal.with_changes(value=_literal_like(literal, new))
            updated = wrapper.module.deep_replace(literal, renamed)
            assert isinstance(updated, cst.Module)
            return updated.code
    if any(literal.evaluated_value == new for literal in finder.found):
        return text
    raise EditError(f'{file}:{line}: no capture call of "{old}" starts on this line')
