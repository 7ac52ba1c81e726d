"""A project with no supported framework is named, changed nowhere, and ends with exit 2."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from posthog_setup.cli import main
from tests.workflow.test_edit import FIXTURES, tree

TORNADO_APP = """\
import tornado.web


class NotesHandler(tornado.web.RequestHandler):
    def post(self):
        self.write({"ok": True})


app = tornado.web.Application([(r"/notes", NotesHandler)])
"""


@pytest.fixture
def tornado_project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(TORNADO_APP)
    (tmp_path / "requirements.txt").write_text("tornado\n")
    return tmp_path


@pytest.mark.parametrize("command", [["begin"], ["edit", "--allow-dirty"], []])
def test_nothing_supported_changes_nothing_and_says_what_was_found(
    tornado_project: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(tornado_project)
    assert main([*command, str(tornado_project)]) == 2
    assert tree(tornado_project) == before
    err = capsys.readouterr().err
    assert "Tornado in app.py, not supported yet" in err
    assert "nothing was changed" in err
    assert "Traceback" not in err


def test_an_app_in_a_file_that_does_not_parse_is_named_as_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text(
        'from flask import Flask\napp = Flask(__name__)\n\n@app.post("/notes")\ndef note(:\n'
    )
    before = tree(tmp_path)
    assert main(["begin", str(tmp_path)]) == 2
    assert tree(tmp_path) == before
    err = capsys.readouterr().err
    # "No app" alone would send the reader looking for one: the app's file never parsed.
    assert "not read: app.py: syntax error (line 5)" in err
    assert "nothing was changed" in err


def test_a_framework_found_beside_a_supported_one_is_named_in_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "requirements.txt").write_text("flask\ntornado\n")
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """\
            from flask import Flask
            import tornado.web

            app = Flask(__name__)
            ws = tornado.web.Application([])


            @app.post("/notes")
            def create_note():
                db.session.commit()
                return "", 201
            """
        )
    )
    assert main(["begin", str(tmp_path)]) == 0
    assert "Tornado found (app.py): not supported yet, left alone" in capsys.readouterr().err


def test_django_ninja_is_analysed_and_named_in_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "ninja_notes"
    shutil.copytree(FIXTURES / "ninja_notes", project)
    assert main(["begin", str(project)]) == 0
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith("ninja-notes: Django, Django Ninja · ")
    assert "not supported yet" not in err
    assert "/api/notebooks/notes/{int:note_id}  PUT PATCH" in err
