"""The app import check: the edited app started the way its entry point starts it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import Plan, SetupFacts, read_plan
from posthog_setup.verify.checks import FAIL, PASS, SKIP
from posthog_setup.verify.entry import (
    EntryPoint,
    EntryResult,
    entry_check,
    find_entry_point,
)
from posthog_setup.verify.interpreter import Interpreter
from tests.analysers import analyse_project

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CURRENT = Interpreter(sys.executable, "current", "the interpreter running the tests")


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def edited_repo(name: str, tmp_path: Path) -> Path:
    """The fixture as committed before the edit, with the edited tree in the working tree
    (what `posthog-setup edit` leaves for review)."""
    root = tmp_path / name
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(FIXTURES / name, root, ignore=ignore)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "before")
    shutil.copytree(FIXTURES / "expected" / name, root, ignore=ignore, dirs_exist_ok=True)
    return root


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def run_check(root: Path, host: MockPostHogHost) -> EntryResult:
    plan = read_plan(root)
    assert plan is not None
    entry = find_entry_point(root, plan, analyse_project(root).apps)
    return entry_check(root, plan, CURRENT, host.url, entry)


def test_the_flask_factory_is_called_as_the_wsgi_module_calls_it(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    root = edited_repo("flask_blog", tmp_path)
    result = run_check(root, mock_host)
    assert result.check.status == PASS, result.check.message
    assert result.check.message == (
        f"called blog.create_app() (as wsgi.py:5 calls it) in {sys.executable} with the client "
        "pointed at the mock host"
    )
    assert not list(root.rglob("__pycache__"))
    assert not (root / "blog.db").exists()


def test_a_factory_raising_on_an_inserted_line_fails_naming_it(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    root = edited_repo("flask_blog", tmp_path)
    replace(
        root / "blog" / "__init__.py",
        "PosthogFlaskIntegration(app, client=posthog_client, capture_exceptions=False)",
        "PosthogFlaskIntegration(app, client=posthog_client.not_an_attribute, capture_exceptions=False)",
    )
    result = run_check(root, mock_host)
    assert result.check.status == FAIL
    assert result.check.failures == (
        "app: blog.create_app() failed: AttributeError: 'Posthog' object has no attribute "
        "'not_an_attribute' at blog/__init__.py:35, a line posthog-setup inserted: the edit "
        "broke the app's start-up; run `git diff` on that line and report it",
    )


def test_a_django_settings_ordering_mistake_fails_naming_the_line(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    root = edited_repo("django_shop", tmp_path)
    settings = root / "shop" / "settings.py"
    # The setting moved above the function it names: NameError when Django reads settings.
    replace(settings, "\nPOSTHOG_MW_TAG_MAP = posthog_properties_without_email\n", "\n")
    replace(
        settings,
        "POSTHOG_MW_CAPTURE_EXCEPTIONS = False\n",
        "POSTHOG_MW_CAPTURE_EXCEPTIONS = False\n"
        "POSTHOG_MW_TAG_MAP = posthog_properties_without_email\n",
    )
    result = run_check(root, mock_host)
    assert result.check.status == FAIL
    assert result.check.failures == (
        "app: manage.py check failed: NameError: name 'posthog_properties_without_email' is "
        "not defined at shop/settings.py:43, a line posthog-setup inserted: the edit broke "
        "the app's start-up; run `git diff` on that line and report it",
    )


def test_a_failure_outside_a_git_repository_is_named_too(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    root = tmp_path / "fastapi_tasks"
    shutil.copytree(FIXTURES / "expected" / "fastapi_tasks", root)
    replace(root / "tasks" / "main.py", "app.add_middleware(", "app.add_middlewares(")
    result = run_check(root, mock_host)
    assert result.check.failures == (
        f"app: import tasks.main failed with {sys.executable}: AttributeError: 'FastAPI' "
        "object has no attribute 'add_middlewares' at tasks/main.py:30",
    )


def test_a_failure_the_unedited_app_has_too_is_a_skip(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    root = tmp_path / "django_shop"
    shutil.copytree(FIXTURES / "django_shop", root)
    settings = root / "shop" / "settings.py"
    # Settings that need a variable this environment does not set: not the edit's doing.
    missing = 'SHOP_REGION = __import__("os").environ["SHOP_REGION_NOT_SET"]\n'
    settings.write_text(settings.read_text() + missing)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "before")
    shutil.copytree(FIXTURES / "expected" / "django_shop", root, dirs_exist_ok=True)
    settings.write_text(settings.read_text() + missing)
    result = run_check(root, mock_host)
    assert result.check.status == SKIP, result.check.failures
    assert result.check.message == (
        "manage.py check fails without the edit too (KeyError: 'SHOP_REGION_NOT_SET' at "
        "shop/settings.py:106): fix that, then run `posthog-setup conclude`"
    )
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=root, capture_output=True, text=True, check=True
    )
    assert len(worktrees.stdout.splitlines()) == 1, "the temporary worktree is left behind"


def test_missing_third_party_dependencies_are_a_skip_with_the_install_command(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    root = edited_repo("flask_blog", tmp_path)
    init = root / "blog" / "__init__.py"
    init.write_text(init.read_text() + "\nimport flask_caching_not_installed_here\n")
    result = run_check(root, mock_host)
    assert result.check.status == SKIP
    assert result.check.message == (
        f"{sys.executable} lacks the app's dependencies (flask_caching_not_installed_here is "
        f"not installed): {sys.executable} -m pip install -r requirements.txt"
    )


# -- choosing the entry point ----------------------------------------------------------------

PLAN = Plan(SetupFacts(("flask",), "pip", "requirements.txt", "site/posthog_client.py"), ())
FACTORY = AppObject(
    "flask.Flask", "site.create_app.<locals>.app", "site/__init__.py", 5, "create_app"
)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                "tests/conftest.py": "from site import create_app\n\napp = create_app('testing')\n",
                "wsgi.py": "import os\nfrom site import create_app\n\n"
                "app = create_app(os.getenv('SITE_CONFIG') or 'default')\n",
            },
            EntryPoint(
                "call",
                "site",
                ".",
                (".",),
                "create_app",
                "'testing'",
                "as tests/conftest.py:3 calls it",
            ),
            id="the-tests-config-first",
        ),
        pytest.param(
            {
                "tests/conftest.py": "from site import create_app\n\n\n"
                "def app(path):\n    return create_app(path)\n",
                "wsgi.py": "import os\nimport site as s\n\n"
                "app = s.create_app(os.getenv('SITE_CONFIG') or 'default')\n",
            },
            EntryPoint(
                "call", "site", ".", (".",), "create_app", "'default'", "as wsgi.py:4 calls it"
            ),
            id="the-entry-modules-fallback",
        ),
        pytest.param(
            {
                "export.py": "from site import create_app\n\napp = create_app('export')\n",
                "wsgi.py": "from site import create_app\n\napp = create_app('production')\n",
            },
            EntryPoint(
                "call", "site", ".", (".",), "create_app", "'production'", "as wsgi.py:3 calls it"
            ),
            id="the-wsgi-module-before-other-scripts",
        ),
        pytest.param(
            {"manage.py": "from site import create_app as make\n\napp = make(config=None)\n"},
            EntryPoint(
                "call", "site", ".", (".",), "create_app", "config=None", "as manage.py:3 calls it"
            ),
            id="an-alias",
        ),
        pytest.param(
            {
                "main.py": "from site import create_app\nfrom site.config import settings\n\n"
                "app = create_app(settings)\n",
                "populate.py": "from site import create_app\nfrom site.config import settings\n\n"
                "app = create_app(settings)\n",
            },
            EntryPoint(
                "import", "main", ".", (".",), because="it calls create_app() when imported"
            ),
            id="the-entry-module-imported",
        ),
    ],
)
def test_the_factory_call_comes_from_the_project(
    tmp_path: Path, files: dict[str, str], expected: EntryPoint
) -> None:
    write(tmp_path, {"site/__init__.py": "def create_app(config):\n    return config\n", **files})
    assert find_entry_point(tmp_path, PLAN, [FACTORY]) == expected


def test_a_factory_without_required_arguments_is_called_with_none(tmp_path: Path) -> None:
    write(
        tmp_path, {"site/__init__.py": "def create_app(config=None, *, debug=False):\n    pass\n"}
    )
    entry = find_entry_point(tmp_path, PLAN, [FACTORY])
    assert isinstance(entry, EntryPoint)
    assert (entry.description, entry.because) == (
        "called site.create_app()",
        "it needs no arguments",
    )


def test_a_factory_nobody_calls_with_plain_values_is_a_skip(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "site/__init__.py": "def create_app(config):\n    pass\n",
            "tests/conftest.py": "from site import create_app\n\n\n"
            "def app(c):\n    return create_app(c)\n",
            # Another package's factory of the same name is not this one.
            "other/__init__.py": "def create_app(config):\n    pass\n",
            "other/wsgi.py": "from other import create_app\n\napp = create_app('x')\n",
        },
    )
    assert find_entry_point(tmp_path, PLAN, [FACTORY]) == (
        "site.create_app() needs arguments, and the project passes it none that are plain "
        "values: `posthog-setup conclude --run-tests` starts it the way your tests do"
    )


def test_django_system_check_errors_are_quoted(tmp_path: Path, mock_host: MockPostHogHost) -> None:
    root = tmp_path / "django_shop"
    shutil.copytree(FIXTURES / "expected" / "django_shop", root)
    # The admin needs the messages framework: `manage.py check` reports admin.E406.
    replace(root / "shop" / "settings.py", '    "django.contrib.messages",\n', "")
    [failure] = run_check(root, mock_host).check.failures
    assert failure.startswith(
        f"app: manage.py check failed with {sys.executable}: it exited with status 1: "
        "?: (admin.E406) 'django.contrib.messages' must be in INSTALLED_APPS"
    )


def test_a_different_failure_before_the_edit_does_not_excuse_this_one(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    root = tmp_path / "flask_blog"
    shutil.copytree(FIXTURES / "flask_blog", root)
    unset = '\nimport os\n\nos.environ["BLOG_REGION_NOT_SET"]\n'
    init = root / "blog" / "__init__.py"
    init.write_text(init.read_text() + unset)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "before")
    shutil.copytree(FIXTURES / "expected" / "flask_blog", root, dirs_exist_ok=True)
    init.write_text(init.read_text() + unset)
    # A change that makes an unchanged line raise, before the KeyError HEAD stops at.
    replace(
        root / "blog" / "extensions.py",
        "from flask_sqlalchemy import SQLAlchemy\n",
        "from flask_sqlalchemy import SQLAlchemy\n\nSQLAlchemy = None\n",
    )
    result = run_check(root, mock_host)
    assert result.check.failures == (
        # It fails before the factory is called: importing its module.
        f"app: import blog failed with {sys.executable}: TypeError: 'NoneType' object "
        "is not callable at blog/extensions.py:8",
    )


def test_a_web_app_is_started_before_the_jobs_beside_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "manage.py": "from django.core.management import execute_from_command_line\n",
            "shop/__init__.py": "",
            "shop/celery.py": "from celery import Celery\n\napp = Celery('shop')\n",
        },
    )
    celery = AppObject("jobs.entry", "shop.celery.app", "shop/celery.py", 3, prefix="celery")
    settings = AppObject("django.project", "shop.settings", "shop/settings.py", 1)
    entry = find_entry_point(tmp_path, PLAN, [celery, settings])
    assert isinstance(entry, EntryPoint)
    assert entry.description == "ran manage.py check"
    # Without the script that starts it, the jobs are what is left to import.
    (tmp_path / "manage.py").unlink()
    entry = find_entry_point(tmp_path, PLAN, [celery, settings])
    assert isinstance(entry, EntryPoint)
    assert (entry.description, entry.because) == (
        "imported shop.celery",
        "it defines the entry point app, not run",
    )


def test_a_coroutine_factory_is_awaited_only_where_the_framework_takes_one(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"site/__init__.py": "async def create_app():\n    pass\n"})
    aiohttp_app = AppObject(
        "aiohttp.Application", "site.create_app.<locals>.app", "site/__init__.py", 2, "create_app"
    )
    entry = find_entry_point(tmp_path, PLAN, [aiohttp_app])
    assert isinstance(entry, EntryPoint)
    assert (entry.description, entry.subject) == (
        "called and awaited site.create_app()",
        "await site.create_app()",
    )
    assert find_entry_point(tmp_path, PLAN, [FACTORY]) == (
        "site.create_app() is a coroutine function, and Flask takes no app from one: the "
        "check cannot start it"
    )


def test_an_app_made_in_a_test_module_is_not_the_apps_entry_point(tmp_path: Path) -> None:
    in_tests = AppObject("flask.Flask", "tests.conftest.app", "tests/conftest.py", 3)
    assert find_entry_point(tmp_path, PLAN, [in_tests]) == (
        "the analysis found no app object to start"
    )


def test_many_jobs_are_each_imported_and_named_in_one_line(tmp_path: Path) -> None:
    scripts = "abcdef"
    write(tmp_path, {f"jobs/{s}.py": "def main():\n    pass\n" for s in scripts})
    write(tmp_path, {"jobs/__init__.py": "", "tests/test_a.py": "def main():\n    pass\n"})
    apps = [AppObject("jobs.entry", f"jobs.{s}.main", f"jobs/{s}.py", 1) for s in scripts]
    apps.append(AppObject("jobs.entry", "tests.test_a.main", "tests/test_a.py", 1))
    entry = find_entry_point(tmp_path, PLAN, apps)
    assert isinstance(entry, EntryPoint)
    assert (entry.target, entry.more) == (
        "jobs.a",
        ("jobs.b", "jobs.c", "jobs.d", "jobs.e", "jobs.f"),
    )
    assert (entry.description, entry.because) == (
        "imported jobs.a, jobs.b, jobs.c, jobs.d, and 2 more",
        "they define the entry points main, main, main, main, and 2 more; nothing in them was run",
    )


@pytest.mark.parametrize(
    ("source", "serving"),
    [
        pytest.param(
            "from aiohttp import web\n\n\ndef init():\n    return web.Application()\n\n\n"
            "web.run_app(init())\n",
            "web.run_app at site/__init__.py:8",
            id="run-app-at-the-top",
        ),
        pytest.param(
            "from aiohttp.web import Application, run_app as serve\n\n\n"
            "def init():\n    return Application()\n\n\nserve(init())\n",
            "serve at site/__init__.py:8",
            id="an-alias",
        ),
        pytest.param(
            "from aiohttp import web\n\n\ndef init():\n    return web.Application()\n\n\n"
            'if __name__ == "__main__":\n    web.run_app(init())\n',
            None,
            id="under-the-main-guard",
        ),
        pytest.param(
            "def init():\n    return None\n\n\ndef run_app(app):\n    pass\n\n\nrun_app(init())\n",
            None,
            id="a-function-of-the-same-name",
        ),
    ],
)
def test_a_module_that_serves_its_app_when_imported_is_not_imported(
    tmp_path: Path, source: str, serving: str | None
) -> None:
    write(tmp_path, {"site/__init__.py": source})
    app = AppObject("aiohttp.Application", "site.init.<locals>.app", "site/__init__.py", 5, "init")
    entry = find_entry_point(tmp_path, PLAN, [app])
    if serving is None:
        assert isinstance(entry, EntryPoint)
        assert entry.description == "called site.init()"
    else:
        assert entry == (
            f"site serves the app when imported ({serving}), and the check never serves: call "
            'it only under `if __name__ == "__main__":` to have the app checked'
        )


def test_an_entry_module_that_serves_when_imported_is_not_imported(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "site/__init__.py": "def create_app(settings):\n    return settings\n",
            "main.py": "import uvicorn\n\nfrom site import create_app\nfrom site.config import "
            "settings\n\napp = create_app(settings)\nuvicorn.run(app)\n",
        },
    )
    app = AppObject(
        "fastapi.FastAPI", "site.create_app.<locals>.app", "site/__init__.py", 2, "create_app"
    )
    assert find_entry_point(tmp_path, PLAN, [app]) == (
        "main serves the app when imported (uvicorn.run at main.py:7), and the check never "
        'serves: call it only under `if __name__ == "__main__":` to have the app checked'
    )
