"""What the framework hook-ups share: finding the statement that creates the app,
inserting statements beside it, adding imports, and growing comma-separated lists.

The hook-ups locate nodes first and then apply every change in one pass with
:class:`StatementEdits`, so a located node is still the node that gets edited.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    PositionProvider,
    QualifiedName,
    QualifiedNameProvider,
)

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import (
    CLIENT_NAME,
    ClientImport,
    EditError,
    NeededImport,
    client_needed,
)
from posthog_setup.codemods.base import add_imports as base_add_imports
from posthog_setup.codemods.find import (
    find_all,
    is_attribute,
    is_method_call,
    is_name,
    only_expression,
)

Element = TypeVar("Element", cst.Element, cst.Arg)


def mentions(module: cst.Module, name: str) -> bool:
    """True if ``name`` appears anywhere in the module as a name or an attribute."""
    return bool(find_all(module, cst.Name, lambda node: node.value == name))


def calls_client_method(node: cst.CSTNode, method: str, client: str = CLIENT_NAME) -> bool:
    """True if ``<client>.<method>(...)`` is called anywhere under ``node``."""
    return bool(find_all(node, cst.Call, lambda call: is_method_call(call, method, of=client)))


def add_imports(
    module: cst.Module, client: ClientImport | None, *imports: tuple[str, str]
) -> cst.Module:
    """Add ``from <module> import <name>`` imports and the client import, where missing."""
    needed = [NeededImport(module_name, name) for module_name, name in imports]
    if client is not None:
        needed.append(client_needed(client))
    return base_add_imports(module, needed)


def qualified_names(wrapper: MetadataWrapper, node: cst.CSTNode) -> set[str]:
    """The qualified names ``node`` may refer to (``F`` -> ``flask.Flask``)."""
    found: object = wrapper.resolve(QualifiedNameProvider).get(node, set())
    if callable(found):  # libcst computes qualified names lazily
        found = found()
    return {qualified.name for qualified in cast(Collection[QualifiedName], found)}


@dataclass(frozen=True)
class AppCreation:
    """The statement ``<variable> = <Framework>(...)`` and the body it stands in."""

    statement: cst.SimpleStatementLine
    call: cst.Call
    variable: str
    #: the statements of the enclosing body (the module's or the factory's), in order
    siblings: tuple[cst.BaseStatement, ...]
    #: the factory function, or None at module level
    factory: cst.FunctionDef | None


def app_variable(app: AppObject) -> str:
    """The app's local variable name: the last part of its qualified name."""
    return app.name.rsplit(".", 1)[-1]


def _factory(module: cst.Module, qualname: str) -> cst.FunctionDef | None:
    """The function named by a dotted qualname (``create_app``, ``Factory.build``)."""
    body: Sequence[cst.BaseStatement] = module.body
    found: cst.FunctionDef | cst.ClassDef | None = None
    for part in qualname.split("."):
        if part == "<locals>":
            continue
        found = next(
            (
                stmt
                for stmt in body
                if isinstance(stmt, cst.FunctionDef | cst.ClassDef) and stmt.name.value == part
            ),
            None,
        )
        if found is None or not isinstance(found.body, cst.IndentedBlock):
            return None
        body = found.body.body
    return found if isinstance(found, cst.FunctionDef) else None


def _assigned_call(stmt: cst.BaseStatement, variable: str) -> cst.Call | None:
    """The call in ``<variable> = call(...)`` (or an annotated assignment), else None."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Assign):
        targets = [target.target for target in small.targets]
        value: cst.BaseExpression | None = small.value
    elif isinstance(small, cst.AnnAssign):
        targets = [small.target]
        value = small.value
    else:
        return None
    if not any(is_name(target, variable) for target in targets):
        return None
    return value if isinstance(value, cst.Call) else None


def find_app_creation(
    wrapper: MetadataWrapper, app: AppObject, framework_class: str, path: str
) -> AppCreation:
    """Locate the statement that creates ``app``, at module level or in its factory.

    The call is recognised by what it resolves to (``framework_class``, so an
    aliased import still counts) or, for subclasses the analysis already
    recognised, by the line the analysis recorded.
    """
    module = wrapper.module
    variable = app_variable(app)
    factory = None
    siblings: Sequence[cst.BaseStatement] = module.body
    if app.factory:
        factory = _factory(module, app.factory)
        if factory is None:
            raise EditError(f"{path}: cannot find the app factory {app.factory}()")
        assert isinstance(factory.body, cst.IndentedBlock)
        siblings = factory.body.body
    positions = wrapper.resolve(PositionProvider)
    for stmt in siblings:
        call = _assigned_call(stmt, variable)
        if call is None:
            continue
        assert isinstance(stmt, cst.SimpleStatementLine)
        if (
            framework_class in qualified_names(wrapper, call.func)
            or positions[stmt].start.line == app.line
        ):
            return AppCreation(stmt, call, variable, tuple(siblings), factory)
    where = f"in {app.factory}()" if app.factory else "at module level"
    raise EditError(f"{path}: cannot find `{variable} = {framework_class}(...)` {where}")


def _configures(stmt: cst.BaseStatement, variable: str) -> bool:
    """True for a statement that only sets the app's config (``app.config.from_mapping(...)``,
    ``app.config["X"] = 1``, or an ``if`` whose branches hold only such lines)."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return _only_config(stmt.body, variable)
    if isinstance(stmt, cst.If):
        branches: list[cst.BaseSuite] = [stmt.body]
        if isinstance(stmt.orelse, cst.Else):
            branches.append(stmt.orelse.body)
        elif isinstance(stmt.orelse, cst.If) and not _configures(stmt.orelse, variable):
            return False
        return all(
            all(_configures(inner, variable) for inner in branch.body)
            if isinstance(branch, cst.IndentedBlock)
            else isinstance(branch, cst.SimpleStatementSuite)
            and _only_config(branch.body, variable)
            for branch in branches
        )
    return False


def _only_config(smalls: Sequence[cst.BaseSmallStatement], variable: str) -> bool:
    return all(
        find_all(small, cst.Attribute, lambda node: is_attribute(node, "config", of=variable))
        for small in smalls
    )


def after_configuration(creation: AppCreation) -> cst.BaseStatement:
    """The last statement of the app's creation and the ``app.config`` lines right after it:
    where a hook-up that reads the configuration goes."""
    anchor: cst.BaseStatement = creation.statement
    following = creation.siblings[creation.siblings.index(creation.statement) + 1 :]
    for stmt in following:
        if not _configures(stmt, creation.variable):
            break
        anchor = stmt
    return anchor


def define_before_app(
    edits: StatementEdits, module: cst.Module, creation: AppCreation, function: cst.BaseStatement
) -> None:
    """Define a module-level ``function`` right before the app (or its factory), two blank
    lines around it; the app's own leading comment stays with the app."""
    top = creation.factory or creation.statement
    blank = [cst.EmptyLine(indent=False)] * 2
    if creation.factory is None:
        function = function.with_changes(leading_lines=creation.statement.leading_lines)
        edits.replace[creation.statement] = creation.statement.with_changes(leading_lines=blank)
    else:
        function = function.with_changes(leading_lines=blank)
    edits.insert_before(top, function)


def free_name(module: cst.Module, name: str) -> str:
    """``name``, or ``posthog_<name>`` where the module already uses ``name``."""
    return name if not mentions(module, name) else f"posthog_{name}"


def is_method_call_on(stmt: cst.BaseStatement, variable: str, method: str) -> bool:
    """True for a statement ``<variable>.<method>(...)`` (``app.register_blueprint(...)``)."""
    return is_method_call(only_expression(stmt), method, of=variable)


@dataclass
class StatementEdits(cst.CSTTransformer):
    """Insert statements before or after located statements, and replace located nodes.

    Keys are nodes of the tree being transformed (identity, not equality), so
    nodes found before the pass are the ones edited.
    """

    before: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)
    after: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)
    replace: dict[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    def insert_after(self, anchor: cst.CSTNode, *statements: cst.BaseStatement) -> None:
        self.after.setdefault(anchor, []).extend(statements)

    def insert_before(self, anchor: cst.CSTNode, *statements: cst.BaseStatement) -> None:
        self.before.setdefault(anchor, []).extend(statements)

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        if original_node in self.replace:
            return self.replace[original_node]
        if isinstance(original_node, cst.Module | cst.IndentedBlock) and isinstance(
            updated_node, cst.Module | cst.IndentedBlock
        ):
            body: list[cst.BaseStatement] = []
            for original, updated in zip(original_node.body, updated_node.body, strict=True):
                body.extend(self.before.get(original, ()))
                body.append(updated)
                body.extend(self.after.get(original, ()))
            return updated_node.with_changes(body=body)
        return updated_node

    @property
    def empty(self) -> bool:
        return not (self.before or self.after or self.replace)


def apply(module: cst.Module, edits: StatementEdits) -> cst.Module:
    """The module with ``edits`` applied (the module itself when there are none)."""
    return module if edits.empty else module.visit(edits)


def as_block(suite: cst.BaseSuite) -> cst.IndentedBlock:
    """A suite as an indented block: a one-line body (``: pass``) spread over lines."""
    if isinstance(suite, cst.IndentedBlock):
        return suite
    assert isinstance(suite, cst.SimpleStatementSuite)
    lines = [
        cst.SimpleStatementLine(body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])
        for small in suite.body
    ]
    return cst.IndentedBlock(body=lines, header=suite.trailing_whitespace)


def block_of(function: cst.FunctionDef) -> cst.FunctionDef:
    """``function`` with a one-line body (``def f(): pass``) spread over indented lines."""
    return function.with_changes(body=as_block(function.body))


# -- comma-separated lists ---------------------------------------------------------------


def _plain_separator(comma: cst.Comma) -> cst.Comma:
    """A copy of a separator without the comment or blank lines it may carry."""
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):
        after = after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
    return comma.with_changes(whitespace_after=after)


def insert_element(
    elements: Sequence[Element],
    index: int,
    new: Element,
    opening: cst.BaseParenthesizableWhitespace,
    closing: cst.BaseParenthesizableWhitespace | None = None,
) -> tuple[list[Element], cst.BaseParenthesizableWhitespace | None]:
    """``elements`` with ``new`` inserted after ``elements[index]`` in the list's own layout.

    The separator between existing elements is reused, so a one-per-line list gets
    one more line with the same indentation, and a trailing comma stays trailing.
    ``opening`` is the whitespace after the opening bracket (the layout of a
    one-element list); ``closing`` the whitespace before a list's closing bracket,
    where libcst keeps the last element's comment. Returns the elements and the
    new closing whitespace.
    """
    items = list(elements)
    if not items:
        return [new], closing
    separator = next(
        (_plain_separator(item.comma) for item in items[:-1] if isinstance(item.comma, cst.Comma)),
        cst.Comma(
            whitespace_after=opening
            if isinstance(opening, cst.ParenthesizedWhitespace)
            else cst.SimpleWhitespace(" ")
        ),
    )
    anchor = items[index]
    if index < len(items) - 1:
        comma = anchor.comma
        items.insert(
            index + 1,
            new.with_changes(comma=_plain_separator(comma))
            if isinstance(comma, cst.Comma)
            else new,
        )
        return items, closing
    # After the last element: the new one inherits the trailing comma (if any), and
    # the old last element keeps its own comment on its own line.
    next_line = separator.whitespace_after
    items.append(new.with_changes(comma=anchor.comma))
    if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(
        next_line, cst.ParenthesizedWhitespace
    ):
        line_end = closing.with_changes(indent=next_line.indent, last_line=next_line.last_line)
        items[index] = anchor.with_changes(comma=cst.Comma(whitespace_after=line_end))
        return items, closing.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
    trailing = anchor.comma
    line_end_after = trailing.whitespace_after if isinstance(trailing, cst.Comma) else None
    if isinstance(line_end_after, cst.ParenthesizedWhitespace) and isinstance(
        next_line, cst.ParenthesizedWhitespace
    ):
        # A call keeps the last line's end in the trailing comma.
        assert isinstance(trailing, cst.Comma)
        own = line_end_after.with_changes(indent=next_line.indent, last_line=next_line.last_line)
        items[index] = anchor.with_changes(comma=trailing.with_changes(whitespace_after=own))
        items[-1] = new.with_changes(comma=_plain_separator(trailing))
    else:
        items[index] = anchor.with_changes(comma=separator)
    return items, closing


def appended(value: cst.List, element: cst.Element) -> cst.List:
    """The list literal with ``element`` last, in the list's own layout (one line or one
    element per line; its elements are plain ``Element`` s)."""
    plain = [e for e in value.elements if isinstance(e, cst.Element)]
    if not plain:
        return value.with_changes(elements=[element])
    items, closing = insert_element(
        plain,
        len(plain) - 1,
        element,
        value.lbracket.whitespace_after,
        value.rbracket.whitespace_before,
    )
    grown = value.with_changes(elements=items)
    if closing is not None:
        grown = grown.with_changes(rbracket=value.rbracket.with_changes(whitespace_before=closing))
    return grown


def bound_before_app(creation: AppCreation, name: str) -> cst.BaseExpression | None:
    """The value last assigned to ``name`` before the app is created, in the same body
    (``middleware = [...]`` then ``App(middleware=middleware)``)."""
    found: cst.BaseExpression | None = None
    for stmt in creation.siblings:
        if stmt is creation.statement:
            return found
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            small = stmt.body[0]
            targets = (
                [t.target for t in small.targets]
                if isinstance(small, cst.Assign)
                else [small.target]
                if isinstance(small, cst.AnnAssign)
                else []
            )
            if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                found = getattr(small, "value", None)
    return found


def keyword_arg(call: cst.Call, name: str) -> cst.Arg | None:
    """The argument ``call`` is given as ``name=``, if any."""
    return next((arg for arg in call.args if arg.keyword and arg.keyword.value == name), None)


def with_list_element(call: cst.Call, keyword: str, code: str, *, first: bool) -> cst.Call:
    """``call`` with ``code`` in the list given as ``keyword=`` (the list made if missing),
    first or last; a value that is not a list literal is kept behind it (``[new, *value]``)."""
    element = cst.Element(value=cst.parse_expression(code))
    existing = keyword_arg(call, keyword)
    if existing is None:
        new_arg = cst.Arg(
            keyword=cst.Name(keyword),
            value=cst.List(elements=[element]),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        )
        if not call.args:
            return call.with_changes(args=[new_arg])
        args, _ = insert_element(
            call.args, len(call.args) - 1, new_arg, call.whitespace_before_args
        )
        return call.with_changes(args=args)
    value = existing.value
    plain = (
        [e for e in value.elements if isinstance(e, cst.Element)]
        if isinstance(value, cst.List)
        else []
    )
    if isinstance(value, cst.List) and len(plain) == len(value.elements):
        if not plain:
            replaced: cst.BaseExpression = value.with_changes(elements=[element])
        elif first:
            # Before the first element: the new one takes the first one's place in the layout.
            head = plain[0]
            items, closing = insert_element(
                plain,
                0,
                head,
                value.lbracket.whitespace_after,
                value.rbracket.whitespace_before,
            )
            items[0] = element.with_changes(comma=items[0].comma)
            replaced = value.with_changes(
                elements=items, rbracket=value.rbracket.with_changes(whitespace_before=closing)
            )
        else:
            replaced = appended(value, element)
    else:
        spread = cst.StarredElement(value=value)
        parts = [element, spread] if first else [spread, element]
        replaced = cst.List(
            elements=[
                parts[0].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                parts[1],
            ]
        )
    args = [arg.with_changes(value=replaced) if arg is existing else arg for arg in call.args]
    return call.with_changes(args=args)


def statements(codes: Iterable[str], module: cst.Module) -> list[cst.BaseStatement]:
    """Several statements, each parsed in the module's own style."""
    return [cst.parse_statement(code, config=module.config_for_parsing) for code in codes]
