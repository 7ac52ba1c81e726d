"""The revise fixes and the event rename, before and after, in the style of django-upgrade.

For every change case the helper checks once that the expected output compiles, that a
second run (with the findings detected again, and with the old findings) changes
nothing, and that the fixed code no longer has a fixable finding.
"""

from __future__ import annotations

import difflib
from textwrap import dedent

import pytest

from posthog_setup.analysis.context import FileContext
from posthog_setup.analysis.model import Finding
from posthog_setup.analysis.names import module_name_for
from posthog_setup.analysis.rules.scan import check_file
from posthog_setup.codemods.base import EditError
from posthog_setup.codemods.fixes import apply_fixes, rename_event

PATH = "app/views.py"


def findings(source: str, file: str = PATH) -> tuple[Finding, ...]:
    module, is_package = module_name_for(file)
    return check_file(FileContext.parse(file, module, is_package, source))


def fix(source: str) -> str:
    """``source`` with its own findings fixed."""
    return apply_fixes(source, PATH, findings(source))


def check_fixed(before: str, after: str, *, raw: bool = False) -> None:
    """``before`` becomes ``after``; ``raw`` skips dedenting (CRLF, tabs)."""
    if not raw:
        before, after = dedent(before), dedent(after)
    compile(after, PATH, "exec")
    result = fix(before)
    assert result == after, "\n".join(
        difflib.unified_diff(
            after.splitlines(), result.splitlines(), "expected", "result", lineterm=""
        )
    )
    assert fix(result) == result
    assert apply_fixes(result, PATH, findings(before)) == result
    assert [f for f in findings(result) if f.fixable] == []


def check_unfixed(before: str) -> None:
    """``before`` has findings but none a fix changes."""
    before = dedent(before)
    assert findings(before)
    assert fix(before) == before


# positional-capture


def test_positional_capture_two_arguments() -> None:
    check_fixed(
        """\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.capture(user.id, "signed_up")
        """,
        """\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.capture("signed_up", distinct_id=user.id)
        """,
    )


def test_positional_capture_with_properties_and_keywords_kept() -> None:
    check_fixed(
        """\
        import posthog

        def signup(user):
            posthog.capture('user-1', 'signed_up', {'plan': 'pro'}, send_feature_flags=True)
        """,
        """\
        import posthog

        def signup(user):
            posthog.capture('signed_up', distinct_id='user-1', properties={'plan': 'pro'}, send_feature_flags=True)
        """,
    )


def test_positional_capture_one_argument_per_line_keeps_layout_and_comments() -> None:
    check_fixed(
        """\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.capture(
                user.id,  # the new user
                "signed_up",
                {
                    "plan": user.plan,  # keep
                },
            )
        """,
        """\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.capture(
                "signed_up",
                distinct_id=user.id,  # the new user
                properties={
                    "plan": user.plan,  # keep
                },
            )
        """,
    )


def test_positional_capture_without_trailing_comma() -> None:
    check_fixed(
        """\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.capture(user.id,
                                   "signed_up")
        """,
        """\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.capture("signed_up",
                                   distinct_id=user.id)
        """,
    )


def test_positional_capture_drops_a_none_context_and_names_the_rest() -> None:
    check_fixed(
        """\
        from app.analytics import posthog_client

        def signup(user, when):
            posthog_client.capture(user.id, "a", {"k": 1}, None, when, "uuid-1", {"company": "c"})
            posthog_client.capture(user.id, "b", context=None)
        """,
        """\
        from app.analytics import posthog_client

        def signup(user, when):
            posthog_client.capture("a", distinct_id=user.id, properties={"k": 1}, timestamp=when, uuid="uuid-1", groups={"company": "c"})
            posthog_client.capture("b", distinct_id=user.id)
        """,
    )


def test_positional_capture_imported_module_function() -> None:
    check_fixed(
        """\
        from posthog import capture

        def signup(user):
            capture(user.id, "signed_up")
        """,
        """\
        from posthog import capture

        def signup(user):
            capture("signed_up", distinct_id=user.id)
        """,
    )


def test_positional_capture_crlf() -> None:
    check_fixed(
        "import posthog\r\n\r\ndef f(u):\r\n    posthog.capture(\r\n        u,\r\n        'x',\r\n    )\r\n",
        "import posthog\r\n\r\ndef f(u):\r\n    posthog.capture(\r\n        'x',\r\n        distinct_id=u,\r\n    )\r\n",
        raw=True,
    )


def test_positional_capture_with_tabs() -> None:
    check_fixed(
        "import posthog\n\ndef f(u):\n\tposthog.capture(u, 'x')\n",
        "import posthog\n\ndef f(u):\n\tposthog.capture('x', distinct_id=u)\n",
        raw=True,
    )


@pytest.mark.parametrize(
    "call",
    [
        'posthog_client.capture(user.id, "b", {}, ctx)',
        "posthog_client.capture(user.id, *args)",
        'posthog_client.capture(user.id, "c", distinct_id=user.id)',
        'posthog_client.capture("d", {"plan": "pro"})',
    ],
)
def test_positional_capture_left_alone_when_unsafe(call: str) -> None:
    check_unfixed(
        f"""\
        from app.analytics import posthog_client

        def send(user, args, ctx):
            {call}
        """
    )


def test_a_rewrite_that_would_lose_a_comment_is_not_made() -> None:
    before = dedent(
        """\
        from app.analytics import posthog_client

        def send(user):
            posthog_client.capture(user.id, "a", {}, None,  # no context
                                   when)
        """
    )
    assert [(f.rule, f.fixable) for f in findings(before)] == [("positional-capture", True)]
    assert fix(before) == before


# removed-identify


def test_identify_becomes_set() -> None:
    check_fixed(
        """\
        import posthog
        from app.analytics import posthog_client

        def login(user, when):
            posthog.identify(user.id, {"plan": user.plan})
            posthog_client.identify(distinct_id=user.id, properties={"plan": user.plan})
            posthog_client.identify(user.id, {"plan": user.plan}, None, when)
            posthog_client.identify(
                user.id,
                {"plan": user.plan},
            )
        """,
        """\
        import posthog
        from app.analytics import posthog_client

        def login(user, when):
            posthog.set(distinct_id=user.id, properties={"plan": user.plan})
            posthog_client.set(distinct_id=user.id, properties={"plan": user.plan})
            posthog_client.set(distinct_id=user.id, properties={"plan": user.plan}, timestamp=when)
            posthog_client.set(
                distinct_id=user.id,
                properties={"plan": user.plan},
            )
        """,
    )


def test_identify_page_and_screen_left_alone_when_unsafe() -> None:
    check_unfixed(
        """\
        from posthog import identify
        from app.analytics import posthog_client

        def login(user, url, ctx):
            identify(user.id)
            posthog_client.identify(user.id, {}, ctx)
            posthog_client.page(user.id, url)
            posthog_client.screen(user.id, "home")
        """
    )


# module-api-key


def test_module_api_key_becomes_project_api_key() -> None:
    check_fixed(
        """\
        import os

        import posthog as ph
        from posthog import Posthog

        ph.api_key = os.environ["POSTHOG_PROJECT_TOKEN"]  # the token
        client = Posthog(api_key=KEY, host="https://eu.i.posthog.com")
        other = Posthog(
            api_key = KEY,
        )
        """,
        """\
        import os

        import posthog as ph
        from posthog import Posthog

        ph.project_api_key = os.environ["POSTHOG_PROJECT_TOKEN"]  # the token
        client = Posthog(project_api_key=KEY, host="https://eu.i.posthog.com")
        other = Posthog(
            project_api_key = KEY,
        )
        """,
    )


def test_look_alike_api_keys_are_not_renamed() -> None:
    source = dedent(
        """\
        import posthog
        import stripe

        stripe.api_key = KEY
        posthog.api_key = KEY
        client = Other(api_key=KEY)
        """
    )
    assert fix(source) == source.replace("posthog.api_key", "posthog.project_api_key")


# Several fixes, unfixable findings, other files.


def test_several_fixes_in_one_file_and_unfixable_ones_kept() -> None:
    check_fixed(
        """\
        import posthog
        from posthog import Posthog

        posthog.api_key = KEY
        client = Posthog(api_key=KEY, flush_interval=0)

        def signup(user, request):
            client.capture(user.id, "signed_up", {"email": user.email})
            posthog.identify(user.id, {"name": user.name}); client.capture(user.id, "x")
            client.capture("y", distinct_id=user.id, properties=request.json)
        """,
        """\
        import posthog
        from posthog import Posthog

        posthog.project_api_key = KEY
        client = Posthog(project_api_key=KEY, flush_interval=0)

        def signup(user, request):
            client.capture("signed_up", distinct_id=user.id, properties={"email": user.email})
            posthog.set(distinct_id=user.id, properties={"name": user.name}); client.capture("x", distinct_id=user.id)
            client.capture("y", distinct_id=user.id, properties=request.json)
        """,
    )


def test_only_the_findings_of_this_file_and_position_apply() -> None:
    source = dedent(
        """\
        import posthog

        def f(u):
            posthog.capture(u, "x")
        """
    )
    (finding,) = findings(source)
    other_file = Finding(finding.rule, "app/other.py", finding.line, finding.col, "", True)
    other_place = Finding(finding.rule, PATH, finding.line, finding.col + 1, "", True)
    not_fixable = Finding(finding.rule, PATH, finding.line, finding.col, "", False)
    assert apply_fixes(source, PATH, [other_file, other_place, not_fixable]) == source
    assert apply_fixes(source, PATH, [finding]) != source


def test_unparsable_file_raises_edit_error() -> None:
    finding = Finding("positional-capture", PATH, 1, 9, "", True)
    with pytest.raises(EditError, match=r"^app/views\.py: cannot parse"):
        apply_fixes("posthog.capture(u, 'x'\n", PATH, [finding])


def test_no_fixable_findings_returns_the_text_unchanged() -> None:
    assert apply_fixes("not python (", PATH, []) == "not python ("


# rename_event


RENAMED = """\
from app.analytics import posthog_client

def signup(user):
    posthog_client.capture('signed_up', distinct_id=user.id)
    posthog_client.capture(event="signed_up", distinct_id=user.id)
    posthog_client.capture(
        user.id,
        "signed_up",
    )
    posthog_client.capture("other", distinct_id=user.id); posthog_client.capture("signed_up")
"""


@pytest.mark.parametrize(
    ("line", "expected_line", "expected"),
    [
        (4, 4, "    posthog_client.capture('user_signed_up', distinct_id=user.id)"),
        (5, 5, '    posthog_client.capture(event="user_signed_up", distinct_id=user.id)'),
        (6, 8, '        "user_signed_up",'),
        (
            10,
            10,
            '    posthog_client.capture("other", distinct_id=user.id); '
            'posthog_client.capture("user_signed_up")',
        ),
    ],
)
def test_rename_event(line: int, expected_line: int, expected: str) -> None:
    result = rename_event(RENAMED, PATH, line, "signed_up", "user_signed_up")
    before, after = RENAMED.splitlines(), result.splitlines()
    assert after[expected_line - 1] == expected
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [
        expected_line - 1
    ]
    assert rename_event(result, PATH, line, "signed_up", "user_signed_up") == result


def test_rename_event_keeps_prefix_and_escapes_the_quote() -> None:
    source = "posthog.capture(u'signed_up')\nposthog.capture('x')\n"
    assert rename_event(source, PATH, 1, "signed_up", "user's signup") == (
        "posthog.capture(u'user\\'s signup')\nposthog.capture('x')\n"
    )


def test_rename_event_crlf() -> None:
    source = "import posthog\r\nposthog.capture(\r\n    'a',\r\n)\r\n"
    assert (
        rename_event(source, PATH, 2, "a", "b")
        == "import posthog\r\nposthog.capture(\r\n    'b',\r\n)\r\n"
    )


@pytest.mark.parametrize(
    ("line", "old"),
    [(4, "other"), (3, "signed_up"), (99, "signed_up")],
)
def test_rename_event_without_such_call(line: int, old: str) -> None:
    with pytest.raises(EditError, match=rf'^app/views\.py:{line}: no capture call of "{old}"'):
        rename_event(RENAMED, PATH, line, old, "new_name")


def test_rename_event_unparsable() -> None:
    with pytest.raises(EditError, match="cannot parse"):
        rename_event("posthog.capture('a'\n", PATH, 1, "a", "b")
