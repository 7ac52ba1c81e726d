"""Rewriting syntax newer than the running Python into older syntax on the same lines.

``syntax.parse_python`` comes here only after the running interpreter's ``ast`` has
rejected a file. libcst reads every construct up to Python 3.14; each construct the
running Python lacks is rewritten into older syntax that keeps the same names and
expressions, and every statement on the line it started on, so that ``ast`` can parse
the result and the line numbers the analysis reports are the file's own:

- ``except A, B:`` (3.14) -> ``except (A, B):``
- ``def f[T](x: T)`` / ``class C[T]`` (3.12, defaults 3.13) -> the type parameters
  dropped; ``type X = Y`` (3.12) -> ``X = Y``. Newlines of a multi-line parameter list
  move into the next parenthesis, so later lines keep their numbers.
- f-strings only 3.12 reads (the outer quote, a backslash or a comment inside a
  replacement field, PEP 701) -> the same f-string with a placeholder name in each
  field; ``syntax`` parses each field's expression on its own and puts it back in the
  tree, which is then the tree Python 3.12 builds.
- ``t"..."`` (3.14) -> ``f"..."``; ``except*`` (3.11, on 3.10) -> ``except``;
  ``a[*b]`` (3.11) -> ``a[(*b,)]``; ``*args: *Ts`` (3.11) -> ``*args: Ts``.

Only this module and the edits import libcst; analysing a file the running Python
reads never loads it.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

Version = tuple[int, int]

#: Placeholder names start with this, lengthened until the file holds no such name.
PLACEHOLDER = "_posthog_setup_field_"
_EMPTY = cst.Module(body=[])


@dataclass
class Lowered:
    """The lowered text, what each placeholder stands for, and the syntax the file uses."""

    text: str
    placeholder: str = PLACEHOLDER
    #: placeholder name -> the source of the expression it replaced (itself lowered)
    fields: dict[str, str] = field(default_factory=dict)
    #: the newer constructs the file uses, each with the first Python that reads it
    constructs: dict[str, Version] = field(default_factory=dict)

    @property
    def needs(self) -> Version:
        """The oldest Python whose grammar accepts every construct of the file."""
        return max(self.constructs.values(), default=(3, 0))


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


def _newlines(*parts: cst.CSTNode | cst.MaybeSentinel | None) -> int:
    return sum(_code(p).count("\n") for p in parts if isinstance(p, cst.CSTNode))


def _with_newlines(
    whitespace: cst.BaseParenthesizableWhitespace, count: int
) -> cst.BaseParenthesizableWhitespace:
    """``whitespace`` just inside a parenthesis, with ``count`` more line breaks."""
    if count == 0:
        return whitespace
    blank = [cst.EmptyLine(indent=False)]
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.with_changes(empty_lines=blank * count + list(whitespace.empty_lines))
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=blank * (count - 1),
        indent=False,
        last_line=whitespace
        if isinstance(whitespace, cst.SimpleWhitespace)
        else cst.SimpleWhitespace(""),
    )


def _opening(count: int) -> cst.LeftParen:
    return cst.LeftParen(whitespace_after=_with_newlines(cst.SimpleWhitespace(""), count))


class _Lowering(cst.CSTTransformer):
    def __init__(self, running: Version, placeholder: str) -> None:
        super().__init__()
        self.running = running
        self.placeholder = placeholder
        self.fields: dict[str, str] = {}
        self.constructs: dict[str, Version] = {}
        self._counter = itertools.count()

    def _uses(self, construct: str, version: Version) -> bool:
        """Record the construct; True if the running Python lacks it (so it is rewritten)."""
        self.constructs[construct] = version
        return self.running < version

    # except A, B:  and  except* ...
    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        return updated_node.with_changes(type=self._parenthesized(updated_node.type))

    def leave_ExceptStarHandler(
        self, original_node: cst.ExceptStarHandler, updated_node: cst.ExceptStarHandler
    ) -> cst.ExceptStarHandler:
        return updated_node.with_changes(type=self._parenthesized(updated_node.type))

    def _parenthesized(self, caught: cst.BaseExpression | None) -> cst.BaseExpression | None:
        if not isinstance(caught, cst.Tuple) or caught.lpar:
            return caught
        if not self._uses("except without parentheses", (3, 14)):
            return caught
        return caught.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

    def leave_TryStar(
        self, original_node: cst.TryStar, updated_node: cst.TryStar
    ) -> cst.TryStar | cst.Try:
        if not self._uses("except*", (3, 11)):
            return updated_node
        handlers = [
            cst.ExceptHandler(
                body=h.body,
                type=h.type,
                name=h.name,
                leading_lines=h.leading_lines,
                whitespace_after_except=h.whitespace_after_star,
                whitespace_before_colon=h.whitespace_before_colon,
            )
            for h in updated_node.handlers
        ]
        return cst.Try(
            body=updated_node.body,
            handlers=handlers,
            orelse=updated_node.orelse,
            finalbody=updated_node.finalbody,
            leading_lines=updated_node.leading_lines,
            whitespace_before_colon=updated_node.whitespace_before_colon,
        )

    # Type parameters and type aliases
    def _type_parameters(self, parameters: cst.TypeParameters) -> None:
        self._uses("type parameters", (3, 12))
        if any(p.default is not None for p in parameters.params):
            self._uses("type parameter defaults", (3, 13))

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        parameters = updated_node.type_parameters
        if parameters is None:
            return updated_node
        self._type_parameters(parameters)
        count = _newlines(parameters, updated_node.whitespace_after_type_parameters)
        return updated_node.with_changes(
            type_parameters=None,
            whitespace_after_type_parameters=cst.SimpleWhitespace(""),
            whitespace_before_params=_with_newlines(updated_node.whitespace_before_params, count),
        )

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        parameters = updated_node.type_parameters
        if parameters is None:
            return updated_node
        self._type_parameters(parameters)
        count = _newlines(parameters, updated_node.whitespace_after_type_parameters)
        changes: dict[str, object] = {
            "type_parameters": None,
            "whitespace_after_type_parameters": cst.SimpleWhitespace(""),
        }
        if count:
            if isinstance(updated_node.lpar, cst.LeftParen):
                lpar = updated_node.lpar
                changes["lpar"] = lpar.with_changes(
                    whitespace_after=_with_newlines(lpar.whitespace_after, count)
                )
            else:
                changes["lpar"] = _opening(count)
                changes["rpar"] = cst.RightParen()
        return updated_node.with_changes(**changes)

    def leave_TypeAlias(
        self, original_node: cst.TypeAlias, updated_node: cst.TypeAlias
    ) -> cst.Assign:
        self._uses("type statement", (3, 12))
        if updated_node.type_parameters is not None:
            self._type_parameters(updated_node.type_parameters)
        count = _newlines(
            updated_node.whitespace_after_type,
            updated_node.type_parameters,
            updated_node.whitespace_after_type_parameters,
        )
        value = updated_node.value
        if count:
            value = value.with_changes(
                lpar=[_opening(count), *value.lpar], rpar=[*value.rpar, cst.RightParen()]
            )
        return cst.Assign(
            targets=[
                cst.AssignTarget(
                    target=updated_node.name,
                    whitespace_before_equal=cst.SimpleWhitespace(" "),
                    whitespace_after_equal=updated_node.whitespace_after_equals,
                )
            ],
            value=value,
            semicolon=updated_node.semicolon,
        )

    # Star expressions in subscripts and annotations (PEP 646)
    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.Subscript:
        elements = updated_node.slice
        starred = any(isinstance(e.slice, cst.Index) and e.slice.star for e in elements)
        if not starred or not all(isinstance(e.slice, cst.Index) for e in elements):
            return updated_node
        if not self._uses("star expression in a subscript", (3, 11)):
            return updated_node
        items: list[cst.BaseElement] = []
        for element in elements:
            index = element.slice
            assert isinstance(index, cst.Index)
            comma = element.comma if isinstance(element.comma, cst.Comma) else cst.Comma()
            if index.star:
                items.append(cst.StarredElement(index.value, comma=comma))
            else:
                items.append(cst.Element(index.value, comma=comma))
        packed = cst.Tuple(items, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return updated_node.with_changes(slice=[cst.SubscriptElement(cst.Index(packed))])

    def leave_Annotation(
        self, original_node: cst.Annotation, updated_node: cst.Annotation
    ) -> cst.Annotation:
        inner = updated_node.annotation
        if not isinstance(inner, cst.StarredElement):
            return updated_node
        if not self._uses("star annotation", (3, 11)):
            return updated_node
        return updated_node.with_changes(annotation=inner.value)

    # Template strings and f-strings
    def leave_TemplatedString(
        self, original_node: cst.TemplatedString, updated_node: cst.TemplatedString
    ) -> cst.BaseExpression:
        self._uses("template string", (3, 14))
        prefix = updated_node.start.rstrip("'\"")
        quote = updated_node.start[len(prefix) :]
        code = _code(updated_node)
        renamed = (
            prefix.replace("t", "f").replace("T", "f") + quote + code[len(updated_node.start) :]
        )
        formatted = cst.parse_expression(renamed)
        assert isinstance(formatted, cst.FormattedString)
        return self.leave_FormattedString(formatted, formatted)

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.BaseExpression:
        quote: str = updated_node.quote
        expressions = _expressions(updated_node.parts)
        codes = [_code(e) for e in expressions]
        newer = any(
            "\\" in c or "#" in c or quote in c or (len(quote) == 1 and "\n" in c) for c in codes
        )
        if not newer or not self._uses("f-string with quotes, backslashes or comments", (3, 12)):
            return updated_node
        multiline = any("\n" in c for c in codes)
        if multiline and len(quote) == 1:
            quote = quote * 3
        body = "".join(self._part(p) for p in updated_node.parts)
        lowered = cst.parse_expression(f"{updated_node.prefix}{quote}{body}{quote}")
        return lowered.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)

    def _part(self, part: cst.BaseFormattedStringContent) -> str:
        if isinstance(part, cst.FormattedStringText):
            return part.value
        assert isinstance(part, cst.FormattedStringExpression)
        name = f"{self.placeholder}{next(self._counter)}"
        before = _code(part.whitespace_before_expression)
        expression = _code(part.expression)
        after = _code(part.whitespace_after_expression)
        self.fields[name] = expression
        text = "{" + "\n" * before.count("\n") + name
        if isinstance(part.equal, cst.AssignEqual):
            # The debug form's text ("x = ") is part of the value: keep the spacing.
            text = "{" + before + name + after + _code(part.equal)
        else:
            text += "\n" * (expression.count("\n") + after.count("\n"))
        if part.conversion:
            text += "!" + part.conversion
        if part.format_spec is not None:
            text += ":" + "".join(self._part(p) for p in part.format_spec)
        return text + "}"


def _expressions(parts: Sequence[cst.BaseFormattedStringContent]) -> list[cst.CSTNode]:
    """Every replacement field's expression and whitespace, format specs included."""
    found: list[cst.CSTNode] = []
    for part in parts:
        if isinstance(part, cst.FormattedStringExpression):
            found.extend(
                [
                    part.whitespace_before_expression,
                    part.expression,
                    part.whitespace_after_expression,
                ]
            )
            if part.format_spec is not None:
                found.extend(_expressions(part.format_spec))
    return found


def lower_module(module: cst.Module, running: Version | None = None) -> Lowered:
    """``module``'s text with the syntax ``running`` (default: this Python) lacks rewritten."""
    target = running or (sys.version_info[0], sys.version_info[1])
    placeholder = PLACEHOLDER
    while placeholder in module.code:
        placeholder += "_"
    lowering = _Lowering(target, placeholder)
    lowered = module.visit(lowering)
    return Lowered(lowered.code, placeholder, lowering.fields, lowering.constructs)


def lower_source(text: str, running: Version | None = None) -> Lowered:
    """Parse ``text`` with libcst and lower it; raises ``libcst.ParserSyntaxError``."""
    return lower_module(cst.parse_module(text), running)
