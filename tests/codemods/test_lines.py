"""Line ranges read off ast agree with libcst's PositionProvider wherever they are defined."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from posthog_setup.codemods.lines import line_positions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

AWKWARD = dedent(
    '''\
    """Module docstring."""
    import os; import sys
    x = (
        1,
        2,
    )


    @decorator
    @other(
        arg=1,
    )
    async def handler(
        request,
    ):
        """Doc."""
        if a: b(); c()
        elif d:
            pass
        else:
            try:
                e()
            except ValueError as error:
                f(error)
            except (KeyError, TypeError):
                pass
            else:
                g()
            finally:
                h()
        for i in range(3):
            continue
        else:
            pass
        while False:
            break
        async with lock() as held, other():
            await held
        match x:
            case (1, _):
                pass
            case _:
                pass
        return 1


    class View(Base):
        def get(self): return 1

        def post(self):
            try:
                pass
            except* OSError:
                pass
    '''
)


def assert_agrees(source: str) -> int:
    """Every range line_positions gives equals PositionProvider's lines; returns how many."""
    module = cst.parse_module(source)
    ours = line_positions(module, source)
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    for node, where in ours.items():
        expected = theirs[node]
        assert (where.start.line, where.end.line) == (expected.start.line, expected.end.line), (
            f"{type(node).__name__} at line {expected.start.line}"
        )
    return len(ours)


def test_awkward_constructs_agree() -> None:
    assert assert_agrees(AWKWARD) > 40


@pytest.mark.parametrize(
    "path",
    sorted(p for p in FIXTURES.rglob("*.py") if "__pycache__" not in p.parts),
    ids=lambda p: p.relative_to(FIXTURES).as_posix(),
)
def test_every_fixture_file_agrees(path: Path) -> None:
    assert_agrees(path.read_text(encoding="utf-8"))


def test_source_ast_cannot_read_falls_back_to_position_provider() -> None:
    # Parsed by libcst (3.12 type statement) but not by the ast of an older interpreter;
    # either way the ranges are there.
    source = "x = 1\ndef f():\n    return x\n"
    module = cst.parse_module(source)
    positions = line_positions(module, source + "\n)")  # ast fails on this text
    assert positions[module.body[1]].start.line == 2
