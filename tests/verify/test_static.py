"""The static checks on integrated fixtures and on broken variants of them."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from posthog_setup.plan.plan import read_plan
from posthog_setup.verify.checks import FAIL, PASS
from posthog_setup.verify.static import (
    StaticResult,
    check_static,
    documented_vars,
    env_reads,
)

Copy = Callable[[str], Path]


def run(root: Path) -> StaticResult:
    plan = read_plan(root)
    assert plan is not None
    return check_static(root, plan)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_flask_fixture_passes_with_every_capture_located(integrated: Copy) -> None:
    result = run(integrated("flask_blog"))
    assert result.check.status == PASS
    assert result.check.failures == ()
    assert [site.location for site in result.events] == [
        "blog/api/v1.py:43",
        "blog/auth.py:55",
        "blog/auth.py:64",
        "blog/auth.py:39",
        "blog/posts.py:116",
        "blog/posts.py:87",
        "blog/posts.py:72",
        "blog/posts.py:101",
        "blog/posts.py:55",
    ]
    assert [site.location for site in result.handlers] == ["blog/errors.py:32"]
    assert result.hookups == (("PosthogFlaskIntegration", "blog/__init__.py:35"),)
    assert result.touched == (
        "blog/__init__.py",
        "blog/api/v1.py",
        "blog/auth.py",
        "blog/errors.py",
        "blog/posthog_client.py",
        "blog/posts.py",
    )
    assert result.client_reads == ("POSTHOG_PROJECT_TOKEN", "POSTHOG_HOST")
    assert result.check.message == (
        "6 of 6 touched files compile; 9 of 9 events and 1 of 1 error handlers found in the "
        "code; the client module reads POSTHOG_PROJECT_TOKEN and POSTHOG_HOST, as .env.example "
        "documents; hook-up: PosthogFlaskIntegration at blog/__init__.py:35"
    )


def test_django_fixture_locates_methods_of_planned_classes(integrated: Copy) -> None:
    root = integrated("django_shop")
    plan = read_plan(root)
    assert plan is not None
    result = check_static(root, plan)
    assert result.check.status == PASS
    located = {
        (e.event, e.handler, e.methods): s.location
        for e, s in zip(plan.events, result.events, strict=True)
    }
    # ProductCreateView captures in form_valid; both PUT and PATCH reach perform_update.
    assert located[("product_created", "ProductCreateView", ("POST",))] == "catalog/views.py:77"
    assert located[("order_updated", "OrderViewSet", ("PUT",))] == "orders/views.py:45"
    assert located[("order_updated", "OrderViewSet", ("PATCH",))] == "orders/views.py:45"
    assert result.hookups == (("PosthogContextMiddleware", "shop/settings.py:33"),)
    # DRF's exception handler, handler500 and a process_exception that returns None all
    # answer after Django's got_request_exception, which the generated receiver hears
    assert result.handlers == ()


def test_a_client_reading_another_token_variable_fails(integrated: Copy) -> None:
    root = integrated("flask_blog")
    replace(
        root / "blog/posthog_client.py",
        'os.environ.get("POSTHOG_PROJECT_TOKEN", "")',
        'os.environ.get("POSTHOG_API_KEY", "")',
    )
    result = run(root)
    assert result.check.status == FAIL
    assert result.check.failures == (
        "blog/posthog_client.py:16: the client module reads POSTHOG_API_KEY, but "
        "posthog-events.json and .env.example document POSTHOG_PROJECT_TOKEN: set it to read "
        "POSTHOG_PROJECT_TOKEN, or rename the variable in both",
    )
    assert "the client module reads" not in result.check.message


def test_a_client_reading_no_host_and_an_undocumented_variable_fail(integrated: Copy) -> None:
    root = integrated("fastapi_tasks")
    replace(
        root / "tasks/posthog_client.py",
        'os.environ.get("POSTHOG_HOST", "").strip() or ',
        "",
    )
    (root / ".env.example").write_text("# PostHog\nPOSTHOG_HOST=https://us.i.posthog.com\n")
    result = run(root)
    assert result.check.failures == (
        "tasks/posthog_client.py: the client module does not read the host from POSTHOG_HOST "
        "(no os.environ / os.getenv read of it)",
        ".env.example does not document POSTHOG_PROJECT_TOKEN",
    )
    assert result.client_reads == ("POSTHOG_PROJECT_TOKEN",)


def test_a_missing_env_example_fails(integrated: Copy) -> None:
    root = integrated("fastapi_tasks")
    (root / ".env.example").unlink()
    assert run(root).check.failures == (
        ".env.example is missing: it should document POSTHOG_PROJECT_TOKEN and POSTHOG_HOST",
    )


def test_an_empty_event_name_fails_with_its_line(integrated: Copy) -> None:
    root = integrated("flask_blog")
    replace(root / "blog/posts.py", '"post_liked"', '""')
    result = run(root)
    assert result.check.failures == (
        "blog/posts.py: planned event 'post_liked' is not captured in the code "
        '(no capture("post_liked", ...) in like); the plan and the code disagree: '
        "run posthog-setup revise",
        "blog/posts.py:101: capture with an empty event name (PostHog rejects the whole batch "
        "it is in)",
    )
    assert result.events[7].location is None
    assert result.events[7].problem == "no capture of 'post_liked' in like"


def test_a_planned_event_without_a_capture_fails(integrated: Copy) -> None:
    root = integrated("flask_blog")
    plan_path = root / "posthog-events.json"
    data = json.loads(plan_path.read_text())
    data["events"].append({**data["events"][-1], "event": "post_archived", "handler": "archive"})
    plan_path.write_text(json.dumps(data))
    result = run(root)
    assert result.check.failures == (
        "blog/posts.py: planned event 'post_archived' is not captured in the code "
        '(no capture("post_archived", ...) in archive); the plan and the code disagree: '
        "run posthog-setup revise",
    )
    assert result.events[-1].location is None


def test_a_capture_moved_out_of_its_handler_is_still_found_in_its_file(integrated: Copy) -> None:
    root = integrated("flask_blog")
    posts = root / "blog/posts.py"
    posts.write_text(posts.read_text() + '\n\ndef helper():\n    posthog_client.capture("x")\n')
    plan_path = root / "posthog-events.json"
    data = json.loads(plan_path.read_text())
    data["events"].append({**data["events"][-1], "event": "x", "handler": "elsewhere"})
    plan_path.write_text(json.dumps(data))
    result = run(root)
    assert result.check.status == PASS
    assert result.events[-1].location == f"blog/posts.py:{len(posts.read_text().splitlines())}"


def test_a_touched_file_that_does_not_compile_fails(integrated: Copy) -> None:
    root = integrated("flask_blog")
    replace(root / "blog/auth.py", "def logout() -> Any:", "def logout() -> Any\n")
    result = run(root)
    assert result.check.failures[0].startswith("blog/auth.py:")
    assert "does not compile" in result.check.failures[0]
    # Its events cannot be located, but only the compile error is reported for them.
    assert len(result.check.failures) == 1
    assert result.events[1].location is None
    assert result.events[1].problem is not None
    assert result.events[1].problem.startswith("blog/auth.py: does not compile: ")


def test_a_compile_error_beyond_parsing_is_found(integrated: Copy) -> None:
    root = integrated("flask_blog")
    wsgi = root / "wsgi.py"
    # Parses, but does not compile: a return outside any function, in a touched file.
    wsgi.write_text(wsgi.read_text() + "\n# posthog\nreturn None\n")
    lines = len(wsgi.read_text().splitlines())
    assert run(root).check.failures == (
        f"wsgi.py:{lines}: does not compile: 'return' outside function",
    )


def test_missing_planned_files_and_client_module_fail(integrated: Copy) -> None:
    root = integrated("flask_blog")
    (root / "blog/errors.py").unlink()
    (root / "blog/posthog_client.py").unlink()
    result = run(root)
    assert result.check.failures == (
        "blog/errors.py: file not found (the plan has 1 error handler in it)",
        "blog/posthog_client.py: the client module is missing (run posthog-setup edit, or set "
        "client-module in [tool.posthog-setup] to where the client is set up)",
    )
    assert result.client_reads is None
    assert [h.problem for h in result.handlers] == ["blog/errors.py: file not found"]


def test_a_missing_hookup_and_a_misplaced_middleware_fail(integrated: Copy) -> None:
    flask = integrated("flask_blog")
    replace(
        flask / "blog/__init__.py",
        "    PosthogFlaskIntegration(app, client=posthog_client, capture_exceptions=False)\n",
        "",
    )
    assert run(flask).check.failures == (
        "no PosthogFlaskIntegration hook-up found for flask: requests are not tied to users "
        "and sessions (run posthog-setup edit)",
    )
    django = integrated("django_shop")
    settings = django / "shop/settings.py"
    replace(settings, '    "posthog.integrations.django.PosthogContextMiddleware",\n', "")
    replace(
        settings,
        '    "django.contrib.auth.middleware.AuthenticationMiddleware",\n',
        '    "posthog.integrations.django.PosthogContextMiddleware",\n'
        '    "django.contrib.auth.middleware.AuthenticationMiddleware",\n',
    )
    [failure] = run(django).check.failures
    assert failure.startswith("shop/settings.py:")
    assert failure.endswith(
        ": PosthogContextMiddleware comes before AuthenticationMiddleware, so it cannot see "
        "the logged-in user: move it after"
    )


def test_non_literal_event_names_are_listed_unchecked(integrated: Copy) -> None:
    root = integrated("flask_blog")
    posts = root / "blog/posts.py"
    posts.write_text(
        posts.read_text() + "\n\ndef helper(name):\n    posthog_client.capture(name)\n"
    )
    result = run(root)
    assert result.check.status == PASS
    assert result.unchecked == (f"blog/posts.py:{len(posts.read_text().splitlines())}",)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('import os\nos.environ.get("A")\nos.getenv("B", "x")', [("A", 2), ("B", 3)]),
        ('from os import environ, getenv\nenviron["C"]\ngetenv("D")', [("C", 2), ("D", 3)]),
        ('import os\nos.environ.setdefault("E", "1")\nname = "F"\nos.getenv(name)', [("E", 2)]),
        ('env = Env()\nenv("G")\nconfig("H", default="")', [("G", 2), ("H", 3)]),
    ],
)
def test_env_reads(source: str, expected: list[tuple[str, int]]) -> None:
    assert env_reads(ast.parse(source)) == expected


def test_documented_vars(tmp_path: Path) -> None:
    assert documented_vars(tmp_path) is None
    (tmp_path / ".env.example").write_text(
        "# POSTHOG_OLD=\nexport POSTHOG_HOST=https://us.i.posthog.com\n"
        "  POSTHOG_PROJECT_TOKEN =\nnot a line\n"
    )
    assert documented_vars(tmp_path) == {"POSTHOG_HOST", "POSTHOG_PROJECT_TOKEN"}


def test_the_project_tests_are_not_touched_files(integrated: Copy) -> None:
    root = integrated("flask_blog")
    (root / "tests").mkdir(exist_ok=True)
    # A test of the integration's own behaviour, broken or not, is not the integration.
    (root / "tests" / "test_posthog_names.py").write_text(
        'posthog_client.capture("")\ndef broken(:\n'
    )
    result = run(root)
    assert result.check.status == PASS
    assert not any(path.startswith("tests/") for path in result.touched)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "app.add_middleware(PosthogASGIMiddleware, client=posthog_client)",
            "app.add_middleware(asgi.PosthogASGIMiddleware, client=posthog_client)",
        ),
        (
            "app.add_middleware(PosthogASGIMiddleware, client=posthog_client)",
            "app = PosthogASGIMiddleware(app, client=posthog_client)",
        ),
        (
            "app.add_middleware(PosthogASGIMiddleware, client=posthog_client)",
            "middleware = [Middleware(PosthogASGIMiddleware, client=posthog_client)]",
        ),
    ],
)
def test_asgi_hookup_forms(integrated: Copy, old: str, new: str) -> None:
    root = integrated("fastapi_tasks")
    replace(root / "tasks/main.py", old, new)
    assert run(root).hookups == (("PosthogASGIMiddleware", "tasks/main.py:30"),)


def test_django_middleware_added_by_insert_is_found(integrated: Copy) -> None:
    root = integrated("django_shop")
    settings = root / "shop/settings.py"
    replace(settings, '    "posthog.integrations.django.PosthogContextMiddleware",\n', "")
    settings.write_text(
        settings.read_text()
        + '\nMIDDLEWARE.insert(8, "posthog.integrations.django.PosthogContextMiddleware")\n'
    )
    result = run(root)
    assert result.check.status == PASS
    line = len(settings.read_text().splitlines())
    assert result.hookups == (("PosthogContextMiddleware", f"shop/settings.py:{line}"),)


NEWER_ROUTE = '\n\ntype ProjectId = int\n\n\ndef _label[T](project: T) -> str:\n    return f"{project["name"]}"\n'


@pytest.mark.parametrize(
    ("requires", "failing"),
    [(">=3.12", False), (">=3.14", False), (">=3.10", True), (">=3.11", True)],
)
def test_a_touched_file_is_judged_by_the_projects_python(
    integrated: Copy, requires: str, failing: bool
) -> None:
    # The same file passes or fails by the project's requires-python, whatever Python runs.
    root = integrated("fastapi_tasks")
    projects = root / "tasks/routers/projects.py"
    projects.write_text(projects.read_text() + NEWER_ROUTE)
    replace(
        root / "pyproject.toml", 'requires-python = ">=3.10"', f'requires-python = "{requires}"'
    )
    failures = run(root).check.failures
    if failing:
        assert len(failures) == 1
        assert failures[0].startswith("tasks/routers/projects.py")
        assert "not valid for the project's Python" in failures[0]
        assert "(declared in pyproject.toml)" in failures[0]
    else:
        assert failures == ()


def test_syntax_newer_than_the_projects_python_declared_in_python_version(integrated: Copy) -> None:
    root = integrated("fastapi_tasks")
    replace(root / "pyproject.toml", 'requires-python = ">=3.10"\n', "")
    (root / ".python-version").write_text("3.13\n")
    projects = root / "tasks/routers/projects.py"
    projects.write_text(
        projects.read_text() + "\ntry:\n    pass\nexcept KeyError, ValueError:\n    pass\n"
    )
    (failure,) = run(root).check.failures
    assert "not valid for the project's Python" in failure
    assert "(declared in .python-version)" in failure
    (root / ".python-version").write_text("3.14\n")
    assert run(root).check.failures == ()


def test_an_error_handler_defined_in_a_factory_is_found_by_its_qualname(tmp_path: Path) -> None:
    from posthog_setup.cli import main

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "__init__.py").write_text(
        "from flask import Flask\n\n\n"
        "def create_app():\n"
        "    app = Flask(__name__)\n\n"
        "    @app.errorhandler(Exception)\n"
        "    def server_error(error):\n"
        '        return "sorry", 500\n\n'
        "    return app\n",
        encoding="utf-8",
    )
    (tmp_path / "requirements.txt").write_text("flask\n", encoding="utf-8")
    assert main(["edit", "-q", str(tmp_path)]) == 0
    result = run(tmp_path)
    [capture] = read_plan(tmp_path).exception_captures  # type: ignore[union-attr]
    assert capture.handler == "create_app.<locals>.server_error"
    [site] = result.handlers
    assert site.location is not None, site.problem
    assert result.check.status == PASS
