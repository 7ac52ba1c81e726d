"""revise on integrated projects after people changed them: each re-run scenario end to end."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from posthog_setup.analysis.model import Finding
from posthog_setup.cli import main
from posthog_setup.exits import Exit
from posthog_setup.workflow.revise import ReviseOutcome, inherit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CLEAN = "Nothing to do: the integration matches posthog-events.json."


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    """The flask_blog fixture as edit leaves it."""
    target = tmp_path / "blog_project"
    shutil.copytree(
        FIXTURES / "expected" / "flask_blog", target, ignore=shutil.ignore_patterns("__pycache__")
    )
    return target


def revise(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["revise", *args, str(project)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def plan(project: Path) -> dict[str, dict[str, object]]:
    data = json.loads((project / "posthog-events.json").read_text())
    return {e["event"]: e for e in data["events"]}


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


NEW_ROUTE = """

@bp.post("/<int:post_id>/pin")
@login_required
def pin(post_id: int) -> Any:
    post = _get_own_post(post_id)
    post.pinned = True
    db.session.commit()
    return {"pinned": True}
"""


def test_an_integrated_project_passes_the_check(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (blog / "posthog-events.json").read_bytes()
    code, out, err = revise(blog, capsys, "--check")
    assert (code, out) == (0, "")
    assert CLEAN in err
    assert (blog / "posthog-events.json").read_bytes() == before


def test_a_check_without_cache_decides_complete_files_by_the_analysis(
    blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the analysis read off each handler's file decides that it is complete: no file
    goes to the codemods, or is parsed a second time (a CI runner's first check)."""

    def refused(job: Any) -> None:
        raise AssertionError(f"{job.file} went to the codemods")

    monkeypatch.setattr("posthog_setup.workflow.edit._apply_route_job", refused)
    code, out, err = revise(blog, capsys, "--check", "--no-cache")
    assert (code, out) == (0, "")
    assert CLEAN in err


def test_a_new_route_fails_the_check_and_the_fix_instruments_it(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = blog / "blog" / "posts.py"
    append(posts, NEW_ROUTE)
    line = posts.read_text().splitlines().index("def pin(post_id: int) -> Any:") + 1

    code, out, err = revise(blog, capsys, "--check")
    assert code == 1
    assert out.splitlines() == [
        f"blog/posts.py:{line}:1: missing-capture new mutating route POST /posts/<int:post_id>/pin"
        " (pin) sends no event; planned as 'post_pinned' [fixable]"
    ]
    assert "1 problem; 1 fixable with `posthog-setup revise`." in err
    assert "post_pinned" not in plan(blog)

    code, out, err = revise(blog, capsys)
    assert code == 0
    assert "Fixed 2 problems" in err or "Fixed 1 problem" in err
    text = posts.read_text()
    assert (
        "    db.session.commit()\n"
        "    posthog_client.capture(\n"
        '        "post_pinned",\n'
        "        distinct_id=str(current_user.get_id()) if current_user.is_authenticated else None,\n"
        '        properties={"post_id": post_id},\n'
        "    )\n"
        '    return {"pinned": True}\n'
    ) in text
    assert plan(blog)["post_pinned"]["route"] == "/posts/<int:post_id>/pin"

    assert revise(blog, capsys, "--check")[:2] == (0, "")


def test_a_rename_in_the_plan_is_carried_to_the_code_never_reverted(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_path = blog / "posthog-events.json"
    plan_path.write_text(plan_path.read_text().replace('"post_liked"', '"post_upvoted"'))
    posts = blog / "blog" / "posts.py"
    line = posts.read_text().splitlines().index('        "post_liked",') + 1

    code, out, _ = revise(blog, capsys, "--check")
    assert code == 1
    assert out.splitlines() == [
        f"blog/posts.py:{line - 1}:1: renamed-event sends 'post_liked', renamed to 'post_upvoted'"
        " in posthog-events.json [fixable]"
    ]
    assert revise(blog, capsys)[0] == 0
    assert '        "post_upvoted",\n' in posts.read_text()
    assert '"post_liked"' not in posts.read_text()
    assert "post_upvoted" in plan(blog)
    assert "post_liked" not in plan(blog)
    assert revise(blog, capsys, "--check")[:2] == (0, "")


def test_a_deleted_handler_drops_its_event_from_the_plan(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = blog / "blog" / "posts.py"
    text = posts.read_text()
    start = text.index('@bp.post("/<int:post_id>/like")')
    end = text.index('@bp.post("/<int:post_id>/comments")')
    posts.write_text(text[:start] + text[end:])

    code, out, _ = revise(blog, capsys, "--check")
    assert code == 1
    assert out.splitlines() == [
        "posthog-events.json:1:1: stale-event planned event 'post_liked' (blog/posts.py, like)"
        " is sent nowhere any more; it will be dropped from the plan [fixable]"
    ]
    assert revise(blog, capsys)[0] == 0
    assert "post_liked" not in plan(blog)
    assert revise(blog, capsys, "--check")[:2] == (0, "")


def test_hand_edited_properties_are_kept(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    posts = blog / "blog" / "posts.py"
    edited = posts.read_text().replace(
        'properties={"post_id": post_id},\n    )\n    return {"likes": post.likes}',
        'properties={"post_id": post_id, "likes": post.likes},\n    )\n'
        '    return {"likes": post.likes}',
    )
    posts.write_text(edited)
    assert revise(blog, capsys, "--check")[:2] == (0, "")
    assert revise(blog, capsys)[0] == 0
    assert posts.read_text() == edited


def test_a_500_handler_that_captures_what_the_integration_captured_is_reported_not_changed(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 500 handler an earlier edit gave a capture: Flask calls it after the integration
    captured the error. The call is reported, never removed (it may be the project's own)."""
    errors = blog / "blog" / "errors.py"
    doubled = errors.read_text().replace(
        "def internal_error(error: Exception) -> Any:\n",
        "def internal_error(error: Exception) -> Any:\n    posthog_client.capture_exception(error)\n",
    )
    errors.write_text(doubled)
    code, out, _ = revise(blog, capsys, "--check")
    assert code == 1
    assert out.splitlines() == [
        "blog/errors.py:22:1: double-exception-capture error handler internal_error calls "
        "capture_exception, but capture_server_error in blog/__init__.py, a receiver of "
        "got_request_exception, captures each error before Flask calls this handler: each "
        "server error reaches PostHog twice; remove the call"
    ]
    assert revise(blog, capsys)[0] == 1
    assert errors.read_text() == doubled


def test_a_client_without_exception_autocapture_gives_the_500_handler_its_capture(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The integration captures through the client's exception autocapture: with it off,
    the 500 handler is where a server error is seen."""
    # The integration capturing itself, as an app without Flask-Login has it.
    app = blog / "blog" / "__init__.py"
    app.write_text(
        app.read_text().replace(
            "PosthogFlaskIntegration(app, client=posthog_client, capture_exceptions=False)\n"
            "    got_request_exception.connect(capture_server_error, app)\n",
            "PosthogFlaskIntegration(app, client=posthog_client)\n",
        )
    )
    client = blog / "blog" / "posthog_client.py"
    client.write_text(client.read_text().replace("    enable_exception_autocapture=True,\n", ""))
    code, out, _ = revise(blog, capsys, "--check")
    assert code == 1
    assert (
        "blog/errors.py:22:1: missing-exception-capture error handler internal_error does not "
        "call capture_exception [fixable]"
    ) in out.splitlines()
    revise(blog, capsys)
    assert (
        "def internal_error(error: Exception) -> Any:\n    posthog_client.capture_exception(error)\n"
        in (blog / "blog" / "errors.py").read_text()
    )


def test_a_hand_written_client_is_kept_and_a_second_one_is_reported(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = blog / "blog" / "posthog_client.py"
    own = (
        '"""Our PostHog client."""\n\nimport os\n\nfrom posthog import Posthog\n\n'
        'posthog_client = Posthog(os.environ.get("POSTHOG_PROJECT_TOKEN", ""), '
        'host=os.environ.get("POSTHOG_HOST"), sync_mode=True, '
        "enable_exception_autocapture=True)\n"
    )
    client.write_text(own)
    assert revise(blog, capsys, "--check")[:2] == (0, "")
    assert revise(blog, capsys)[0] == 0
    assert client.read_text() == own

    jobs = blog / "blog" / "jobs.py"
    jobs.write_text(
        "import os\n\nimport posthog\n\n"
        'client = posthog.Posthog(os.environ["POSTHOG_PROJECT_TOKEN"])\n'
    )
    code, out, _ = revise(blog, capsys, "--check")
    assert code == 1
    assert out.splitlines() == [
        "blog/jobs.py:5:10: second-client a second PostHog client is set up here"
        " (posthog.Posthog(...)); the project's client is in blog/posthog_client.py:"
        " import it instead"
    ]
    assert revise(blog, capsys)[0] == 1


def test_a_file_with_a_syntax_error_is_skipped_and_the_rest_checked(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = "from flask import Blueprint\n\ndef oops(:\n    pass\n"
    (blog / "blog" / "broken.py").write_text(broken)
    append(blog / "blog" / "posts.py", NEW_ROUTE)
    code, out, err = revise(blog, capsys, "--check")
    assert code == 1
    assert "skipped blog/broken.py: syntax error (line 3)" in err
    assert "missing-capture new mutating route POST /posts/<int:post_id>/pin" in out
    assert revise(blog, capsys)[0] == 0
    assert (blog / "blog" / "broken.py").read_text() == broken


def test_mistakes_are_reported_with_rule_and_place_and_safe_ones_fixed(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (blog / "blog" / "legacy.py").write_text(
        "from .posthog_client import posthog_client\n\n\n"
        "def record(user_id):\n"
        '    posthog_client.capture(user_id, "legacy_event")\n'
    )
    (blog / "blog" / "settings.py").write_text(
        'POSTHOG_KEY = "phc_Xk29fLq8ZpR4tW7vNb3mYc6HdJ1sGe5aUo0iKy2Tr9Q"\n'
        'OTHER = "phc_Pq81sLm2Zx7Vb4Nc9Rt6Yw3Ke5Hj0Ga2Df8Su1Io7U"  # posthog-setup: ignore[hardcoded-token]\n'
    )
    code, out, _ = revise(blog, capsys, "--check")
    assert code == 1
    lines = out.splitlines()
    assert any(
        line.startswith("blog/legacy.py:5:20: positional-capture ") and line.endswith("[fixable]")
        for line in lines
    ), lines
    assert any(line.startswith("blog/settings.py:1:16: hardcoded-token ") for line in lines), lines
    assert not any(line.startswith("blog/settings.py:2:") for line in lines), lines

    code, out, _ = revise(blog, capsys)
    assert code == 1  # the token cannot be fixed safely
    assert (
        (blog / "blog" / "legacy.py")
        .read_text()
        .endswith('    posthog_client.capture("legacy_event", distinct_id=user_id)\n')
    )
    assert [line.split(" ")[1] for line in out.splitlines()] == ["hardcoded-token"]
    assert plan(blog)["legacy_event"]["handler"] == "record"


def test_json_output(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    append(blog / "blog" / "posts.py", NEW_ROUTE)
    code, out, _ = revise(blog, capsys, "--check", "--json")
    assert code == 1
    data = json.loads(out)
    assert [(f["rule"], f["file"], f["fixable"], f["fixed"]) for f in data["findings"]] == [
        ("missing-capture", "blog/posts.py", True, False)
    ]
    assert data["changes"] == ["blog/posts.py", "posthog-events.json"]
    assert data["written"] is False


def test_diff_prints_the_fix_and_writes_nothing(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    append(blog / "blog" / "posts.py", NEW_ROUTE)
    before = (blog / "blog" / "posts.py").read_text()
    code, out, _ = revise(blog, capsys, "--diff")
    assert code == 1
    assert '+        "post_pinned",\n' in out
    assert (blog / "blog" / "posts.py").read_text() == before


def test_config_excludes_are_honoured(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (blog / "scripts").mkdir()
    (blog / "scripts" / "seed.py").write_text(
        'KEY = "phc_Mn3Bv8Cx1Zl6Kj4Hg9Fd2Sa7Qw5Er0Ty3Ui8Op1As6D"\n'
    )
    assert revise(blog, capsys, "--check")[0] == 1
    (blog / "pyproject.toml").write_text('[tool.posthog-setup]\nexclude = ["scripts/*"]\n')
    assert revise(blog, capsys, "--check")[:2] == (0, "")


def test_without_a_plan_revise_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "blog"
    shutil.copytree(FIXTURES / "flask_blog", project)
    code, out, err = revise(project, capsys, "--check")
    assert (code, out) == (2, "")
    assert "no posthog-events.json" in err
    assert "run `posthog-setup`" in err


def test_the_cache_does_not_change_the_answer(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    append(blog / "blog" / "posts.py", NEW_ROUTE)
    cached = revise(blog, capsys, "--check")
    assert revise(blog, capsys, "--check") == cached
    assert revise(blog, capsys, "--check", "--no-cache") == cached


def test_an_ignored_handler_is_left_alone(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    route = NEW_ROUTE.replace(
        "def pin(post_id: int) -> Any:",
        "def pin(post_id: int) -> Any:  # posthog-setup: ignore[missing-capture]",
    )
    append(blog / "blog" / "posts.py", route)
    assert revise(blog, capsys, "--check")[:2] == (0, "")


MODULE_KEY = (
    'import os\n\nimport posthog\n\nposthog.api_key = os.environ.get("POSTHOG_PROJECT_TOKEN", "")\n'
)


def test_the_module_key_is_renamed_where_the_pin_allows_it(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = blog / "blog" / "tracking.py"
    setup.write_text(MODULE_KEY)
    revise(blog, capsys)
    assert setup.read_text() == MODULE_KEY.replace("posthog.api_key", "posthog.project_api_key")


def test_the_module_key_is_kept_under_a_pin_older_than_7_32(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = blog / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("posthog>=7.66", "posthog==7.20.0"))
    setup = blog / "blog" / "tracking.py"
    setup.write_text(MODULE_KEY)
    code, out, err = revise(blog, capsys)
    assert code == 1
    assert setup.read_text() == MODULE_KEY
    assert "posthog.api_key kept: the project's posthog pin predates 7.32" in err
    assert "blog/tracking.py:5:" in out
    assert "module-api-key" in out


@pytest.mark.parametrize("fixture", ["flask_blog", "falcon_bookmarks"])
def test_a_no_op_check_with_a_warm_cache_loads_no_editor(tmp_path: Path, fixture: str) -> None:
    """The pre-commit path: nothing to fix, nothing changed since the last check, so neither
    libcst nor jinja2 is imported (they are most of what a check would cost), nor what only
    a worker pool or the client's delivery needs, nor tomlkit where the standard library
    reads the project's pyproject.toml."""
    import os
    import subprocess
    import sys

    root = tmp_path / "project"
    shutil.copytree(
        Path(__file__).resolve().parents[2] / "fixtures" / "expected" / fixture,
        root,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    editors = ["libcst", "jinja2", "requests", "concurrent.futures.process", "multiprocessing"]
    if sys.version_info >= (3, 11):
        editors.append("tomlkit")
    script = (
        "import sys\n"
        "from posthog_setup.cli import main\n"
        f"print(main(['revise', '--check', '-q', {str(root)!r}]))\n"
        f"print(sorted(m for m in {editors!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "POSTHOG_SETUP_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout.split("\n")[:2]
        for _ in range(2)
    ]
    assert runs[0][0] == runs[1][0] == "0"
    assert runs[1][1] == "[]"


def test_the_cached_hook_up_verdict_is_renewed_when_what_it_writes_is_gone(
    tmp_path: Path,
) -> None:
    """A settings file the hook-up left alone is remembered by its digest, but the receivers
    module the hook-up writes beside it is part of the verdict: deleting it is found."""
    root = tmp_path / "shop"
    shutil.copytree(
        Path(__file__).resolve().parents[2] / "fixtures" / "expected" / "django_shop",
        root,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    assert main(["revise", "--check", "-q", str(root)]) == 0
    assert main(["revise", "--check", "-q", str(root)]) == 0  # from the cache
    (root / "shop" / "posthog_receivers.py").unlink()
    assert main(["revise", "--check", "-q", str(root)]) == 1


def test_a_hook_up_left_out_for_the_declared_version_is_cached_with_its_note(
    blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hook-up that leaves the app's file alone and says why (a Flask without the signals
    it needs) is a verdict like any other: the next check repeats the note, unrun."""
    from posthog_setup.frameworks import flask

    requirements = blog / "requirements.txt"
    requirements.write_text(re.sub(r"(?im)^flask\b.*$", "Flask==2.1.3", requirements.read_text()))
    first = revise(blog, capsys, "--check")
    assert "PosthogFlaskIntegration not added" in first[2]
    calls: list[str] = []
    original = flask.Flask.hook_up

    def counting(self: flask.Flask, workspace: Any, app: Any, *args: Any) -> None:
        calls.append(app.file)
        original(self, workspace, app, *args)

    monkeypatch.setattr(flask.Flask, "hook_up", counting)
    assert revise(blog, capsys, "--check") == first
    assert calls == []


def test_a_class_view_keeps_its_plan_once_edit_adds_form_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Edit adds ``form_valid`` to a generic view whose model the analysis cannot see: the
    # plan's names must read the same from the class before and from its method after,
    # or the very next ``revise --check`` (a pre-commit hook) fails.
    project = tmp_path / "notes"
    (project / "notes").mkdir(parents=True)
    (project / "manage.py").write_text("import os\n")
    (project / "requirements.txt").write_text("django>=4.2\n")
    (project / "notes" / "__init__.py").write_text("")
    (project / "notes" / "settings.py").write_text(
        'ROOT_URLCONF = "notes.urls"\nINSTALLED_APPS = ["notes"]\n'
        'MIDDLEWARE = ["django.contrib.auth.middleware.AuthenticationMiddleware"]\n'
    )
    (project / "notes" / "urls.py").write_text(
        "from django.urls import path\n\nfrom . import views\n\n"
        "urlpatterns = [\n"
        '    path("<int:pk>/edit/", views.NoteUpdate.as_view()),\n'
        '    path("<int:pk>/delete/", views.NoteDelete.as_view()),\n'
        "]\n"
    )
    (project / "notes" / "views.py").write_text(
        "from django.views.generic import DeleteView, UpdateView\n\n"
        "from elsewhere import Note\n\n\n"
        "class NoteUpdate(UpdateView):\n    model = Note\n    fields = ['title']\n\n\n"
        "class NoteDelete(DeleteView):\n    model = Note\n"
    )
    assert main(["begin", str(project)]) == 0
    assert main(["edit", "--allow-dirty", str(project)]) == 0
    assert "def form_valid" in (project / "notes" / "views.py").read_text()
    capsys.readouterr()
    assert main(["revise", "--check", str(project)]) == 0, capsys.readouterr()


def test_a_finding_the_project_had_before_is_inherited_once_per_occurrence() -> None:
    def pii(line: int) -> Finding:
        return Finding("pii-property", "app/views.py", line, 4, 'Event property "username"')

    before = [pii(10)]
    # The edit moved the old finding to line 12 and a second, new one is at line 30.
    outcome = ReviseOutcome(Exit.PROBLEMS, remaining=(pii(12), pii(30)))
    inherited = inherit(outcome, before)
    assert inherited.inherited == (pii(12),)
    assert inherited.code == Exit.PROBLEMS
    assert inherit(ReviseOutcome(Exit.PROBLEMS, remaining=(pii(12),)), before).code == Exit.OK
    assert inherit(ReviseOutcome(Exit.PROBLEMS, remaining=(pii(12),)), []).code == Exit.PROBLEMS


def test_a_cold_check_reports_what_a_warm_one_does(
    blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check with an empty cache (a CI runner) decides complete files off ast alone; on a
    drifted project it must report exactly what a warm check and an uncached one report."""
    posts = blog / "blog" / "posts.py"
    append(posts, NEW_ROUTE)
    text = posts.read_text()
    # A capture taken out of one handler, a second client bound in another.
    start = text.index('    posthog_client.capture(\n        "post_liked"')
    end = text.index("    )\n", start) + len("    )\n")
    posts.write_text(text[:start] + text[end:])
    errors = blog / "blog" / "errors.py"
    errors.write_text(
        errors.read_text().replace(
            "def unexpected_error(error: Exception) -> Any:\n",
            "def unexpected_error(error: Exception, posthog_client: object = None) -> Any:\n",
        )
    )
    planned = json.loads((blog / "posthog-events.json").read_text())
    for event in planned["events"]:
        if event["event"] == "comment_created":
            event["event"] = "comment_added"
    (blog / "posthog-events.json").write_text(json.dumps(planned, indent=2) + "\n")

    monkeypatch.setenv("POSTHOG_SETUP_CACHE_DIR", str(blog.parent / "empty-cache"))
    cold = revise(blog, capsys, "--check")
    warm = revise(blog, capsys, "--check")
    uncached = revise(blog, capsys, "--check", "--no-cache")
    assert cold == warm == uncached
    code, out, _ = cold
    assert code == 1
    rules = {line.split()[1] for line in out.splitlines()}
    assert {"missing-capture", "renamed-event"} <= rules
    assert "binds the name posthog_client itself" in cold[2]
    assert any((blog.parent / "empty-cache").iterdir())  # the cold check filled it


def test_a_cold_check_of_a_hooked_up_flask_app_loads_no_libcst(tmp_path: Path) -> None:
    """With an empty cache (a CI runner), the Flask hook-up is found off ast: the check
    of an integrated project parses nothing with libcst, and reports what a warm one does."""
    import os
    import subprocess
    import sys

    root = tmp_path / "blog"
    shutil.copytree(
        Path(__file__).resolve().parents[2] / "fixtures" / "expected" / "flask_blog",
        root,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    script = (
        "import sys\n"
        "from posthog_setup.cli import main\n"
        f"print(main(['revise', '--check', '-q', {str(root)!r}]))\n"
        "print('libcst' in sys.modules)\n"
    )
    env = {**os.environ, "POSTHOG_SETUP_CACHE_DIR": str(tmp_path / "cache")}
    cold, warm = (
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout.split("\n")[:2]
        for _ in range(2)
    )
    assert cold == warm == ["0", "False"]


def test_a_cold_check_of_an_integrated_project_edits_no_route_file(
    blog: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every handler already sends what the plan asks: the ast check says so, and the
    route codemods (a libcst parse of each file) are never run."""
    import posthog_setup.codemods.routes

    def refuse(*args: object) -> None:
        raise AssertionError("the route codemods ran on a complete file")

    monkeypatch.setattr(posthog_setup.codemods.routes, "instrument_file_with_notes", refuse)
    monkeypatch.setenv("POSTHOG_SETUP_CACHE_DIR", str(blog.parent / "empty-cache"))
    code, out, err = revise(blog, capsys, "--check")
    assert (code, out) == (0, "")
    assert CLEAN in err
