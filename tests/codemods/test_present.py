"""The ast check that a file already has every insertion point (``codemods.present``).

It stands in for the route codemods on a check with an empty cache, so whatever it
calls complete must be what the codemods leave alone, with no note; anything it is
unsure of it leaves to them.
"""

from __future__ import annotations

import ast
from pathlib import Path
from textwrap import dedent

import pytest

from posthog_setup.analysis.definitions import file_definitions
from posthog_setup.codemods.changes import client_import
from posthog_setup.codemods.placement import build_points
from posthog_setup.codemods.points import (
    CapturePoint,
    ExceptionPoint,
    IdentifyPoint,
    LogoutPoint,
)
from posthog_setup.codemods.present import already_present
from posthog_setup.codemods.routes import instrument_file_with_notes
from posthog_setup.config import load_config
from posthog_setup.workflow.begin import plan_project
from tests.codemods.helpers import CLIENT, FIXTURES, PATH, Point, file_points

CREATED = CapturePoint("create", 4, "post_created")


def _present(source: str, points: Point | list[Point]) -> bool:
    """``already_present``, checked against what the codemods do with the same file."""
    text = dedent(source)
    planned = file_points(points)
    found = already_present(text, planned, CLIENT.name)
    left_alone = instrument_file_with_notes(text, PATH, planned, CLIENT) == (text, [])
    if found:
        assert left_alone
    return found


SENT = """\
    from app.analytics import posthog_client


    @bp.post("/posts")
    def create(user):
        save()
        posthog_client.capture("post_created", distinct_id=str(user.id))
        return {}
    """


def test_a_handler_that_sends_its_event_is_complete() -> None:
    assert _present(SENT, CREATED)


def test_a_handler_that_sends_another_event_is_not() -> None:
    assert not _present(SENT, CapturePoint("create", 4, "post_published"))


def test_a_handler_moved_since_the_plan_is_still_found_by_its_name() -> None:
    assert _present("\n\n" + SENT, CREATED)


@pytest.mark.parametrize(
    "source",
    [
        # Not found: the codemods say so in a note.
        SENT.replace("def create", "def make"),
        # Marked ignored on its decorator or its def line: a note too.
        SENT.replace('@bp.post("/posts")', '@bp.post("/posts")  # posthog-setup: ignore'),
        SENT.replace("def create(user):", "def create(user):  # posthog-setup: ignore"),
        # A parameter called as the client: the codemods note they leave it alone.
        SENT.replace("def create(user):", "def create(user, posthog_client=None):"),
        # Two definitions of the name, neither at the planned line.
        "\n\n" + SENT + SENT.replace("from app.analytics import posthog_client", ""),
    ],
    ids=["not-found", "ignored-decorator", "ignored-def", "binds-client", "ambiguous"],
)
def test_what_the_codemods_note_is_left_to_them(source: str) -> None:
    assert not _present(source, CREATED)


def test_a_file_ast_cannot_read_is_left_to_the_codemods() -> None:
    assert not already_present(dedent(SENT) + "def broken(:\n", file_points(CREATED), "x")


def test_an_ignore_comment_for_another_rule_does_not_count() -> None:
    source = SENT.replace("def create(user):", "def create(user):  # posthog-setup: ignore[pii]")
    assert _present(source, CREATED)


def test_exception_identify_and_logout_points() -> None:
    source = """\
        import posthog
        from posthog import identify_context
        from app.analytics import posthog_client


        def login(user):
            login_user(user)
            identify_context(str(user.id))
            posthog_client.capture("user_logged_in", distinct_id=str(user.id))


        def logout():
            posthog_client.capture("user_logged_out")
            logout_user()


        def server_error(error):
            posthog_client.capture_exception(error)
            return "oops", 500
        """
    points: list[Point] = [
        IdentifyPoint("login", 6, 7, "user", "user.id", "user_logged_in"),
        LogoutPoint("logout", 11, 13, "user_logged_out"),
        ExceptionPoint("server_error", 16, "error"),
    ]
    assert _present(source, points)
    for sent, other in [
        ("identify_context(str(user.id))", "print(user.id)"),
        ('"user_logged_out"', '"user_left"'),
        (".capture_exception(error)", ".flush()"),
    ]:
        assert not _present(source.replace(sent, other), points)


def test_a_receiver_that_identifies_itself_needs_only_the_event() -> None:
    # The project's own receiver identifies; the codemods add only the event there.
    source = """\
        import posthog


        def bind_person(sender, request, user, **kwargs):
            posthog.identify_context(str(user.pk))
        """
    point = IdentifyPoint("bind_person", 4, 5, "user", "user.pk", "user_logged_in", identified=True)
    assert not _present(source, point)
    sent = source.replace(
        "str(user.pk))\n",
        'str(user.pk))\n            posthog_client.capture("user_logged_in")\n',
    )
    assert _present(sent, point)


CLASS_VIEW = """\
    from app.analytics import posthog_client


    class PostCreate(CreateView):
        model = Post

        def form_valid(self, form):
            response = super().form_valid(form)
            posthog_client.capture("post_created")
            return response
    """


def test_a_class_view_with_its_override_is_complete() -> None:
    point = CapturePoint("PostCreate", 4, "post_created", override="form_valid")
    assert _present(CLASS_VIEW, point)
    assert not _present(CLASS_VIEW.replace('"post_created"', '"other"'), point)


def test_a_class_without_an_override_to_add_is_left_to_the_codemods() -> None:
    # The codemods note that a class is not a function.
    assert not _present(CLASS_VIEW, CapturePoint("PostCreate", 4, "post_created"))


def test_an_identify_in_the_class_views_write_hook() -> None:
    source = """\
        from posthog import identify_context


        class SignUp(CreateView):
            def form_valid(self, form):
                response = super().form_valid(form)
                identify_context(str(self.object.pk))
                return response
        """
    point = IdentifyPoint(
        "SignUp", 4, 6, "self.object", "self.object.pk", "user_signed_up", override="form_valid"
    )
    assert _present(source, point)
    assert not _present(source.replace("def form_valid", "def post"), point)


def _integrated() -> list[Path]:
    return sorted(p for p in (FIXTURES / "expected").iterdir() if p.is_dir())


@pytest.mark.parametrize("project", _integrated(), ids=lambda p: p.name)
def test_the_edited_fixtures_agree_with_the_codemods(project: Path) -> None:
    """On every integrated fixture: what the ast check calls complete is left alone, and
    it decides every file but a library token view's (whose identify it leaves to them)."""
    result = plan_project(project, load_config(project), use_cache=False)
    read = dict(result.analysis.definitions)
    undecided = []
    for file, points in build_points(result.analysis, result.plan).items():
        text = (project / file).read_text(encoding="utf-8")
        # The analysis read the handlers' definitions off this text already, as a fresh
        # parse reads them: edit decides by those, without parsing the file again.
        assert read[file].of(text) == file_definitions(ast.parse(text), text).items
        assert read[file].of(text + "\n") is None
        client = client_import(
            file,
            result.plan.setup.client_module,
            relative=False,
            root=project,
            name=result.plan.setup.client_name,
        )
        if already_present(text, points, client.name):
            assert instrument_file_with_notes(text, file, points, client) == (text, [])
        else:
            undecided.append(file)
    kept = {
        file
        for file, points in build_points(result.analysis, result.plan).items()
        if any(p.kept for p in points.identifies)
    }
    assert set(undecided) == kept


_FLASK_APP = """\
from flask import Flask
{imports}

app = Flask(__name__)
{hookup}
"""


@pytest.mark.parametrize(
    ("imports", "hookup", "shown"),
    [
        (
            "from posthog.integrations.flask import PosthogFlaskIntegration",
            "PosthogFlaskIntegration(app, client=posthog_client)",
            True,
        ),
        ("import posthog.integrations.flask as ph", "ph.PosthogFlaskIntegration(app)", True),
        ("", "# PosthogFlaskIntegration(app) is for later", False),
        ("", 'NAME = "PosthogFlaskIntegration"', False),
        ("", "", False),
        # Not ASCII: ast and libcst could spell an identifier differently; libcst decides.
        ("from posthog.integrations.flask import PosthogFlaskIntegration", "# café", False),
        ("", "PosthogFlaskIntegration(app,", False),  # does not parse
    ],
)
def test_an_integration_named_off_ast_is_one_libcst_finds(
    imports: str, hookup: str, shown: bool
) -> None:
    """The Flask hook-up stops where the module mentions the integration: shown off ast
    only where libcst's test says the same."""
    from posthog_setup.codemods.hookup_common import mentions
    from posthog_setup.codemods.present import names_identifier

    text = _FLASK_APP.format(imports=imports, hookup=hookup)
    assert names_identifier(text, "PosthogFlaskIntegration") is shown
    if shown:
        from posthog_setup.codemods.base import parse_module

        assert mentions(parse_module(text, "app.py"), "PosthogFlaskIntegration")
