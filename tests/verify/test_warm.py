"""The checks' interpreter, started before the edit: what it imports early, and that a
check handed to it runs as in a process of its own."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from posthog_setup.analysis.engine import analyse_project
from posthog_setup.analysis.model import AppObject
from posthog_setup.frameworks import registry
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import Plan, read_plan
from posthog_setup.verify.checks import PASS
from posthog_setup.verify.entry import (
    EntryResult,
    entry_check,
    find_entry_point,
    start_entry_check,
)
from posthog_setup.verify.environment import early_env
from posthog_setup.verify.interpreter import Interpreter
from posthog_setup.verify.live import live_check, subprocess_env
from posthog_setup.verify.warm import SDK, WarmPython, WarmStart, spawn, start_early
from posthog_setup.verify.warmup import warm_up

CURRENT = Interpreter(sys.executable, "current", "the interpreter running the tests")
#: A check's script that says which modules its process had before it ran.
_LOADED = "import json, sys\nprint(json.dumps(sorted(sys.modules)))\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder of third-party packages, outside the project, on the interpreter's path."""
    folder = tmp_path / "site"
    _write(
        folder,
        {
            "vendor_web/__init__.py": "from vendor_web import routing\n",
            "vendor_web/routing.py": "",
            "vendor_db.py": "",
            "vendor_unused.py": "",
            "vendor_broken.py": "raise RuntimeError('cannot start here')\n",
            "gevent/__init__.py": "",
        },
    )
    return folder


def _loaded(warm: WarmPython, root: Path) -> set[str]:
    """The modules ``warm``'s process holds when a check is handed to it."""
    process = warm.take(warm.python, warm.env, _LOADED, "", root)
    assert process is not None, "the warm process was not taken"
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    return set(json.loads(stdout))


def _env(site: Path, *more: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in (site, *more))}


def test_the_packages_the_app_imports_are_loaded_and_its_own_modules_are_not(
    tmp_path: Path, site: Path
) -> None:
    root = tmp_path / "project"
    _write(
        root,
        {
            "web/__init__.py": """\
                import vendor_web
                from . import views
                try:
                    import vendor_broken
                except RuntimeError:
                    vendor_broken = None
                """,
            "web/views.py": "from web.models import Item\n",
            "web/models.py": """\
                import vendor_db

                def later():
                    import vendor_unused
                """,
            "tools/report.py": "import vendor_unused\n",
        },
    )
    warm = WarmPython(sys.executable, root, _env(site), [("web/__init__.py", "web")])
    loaded = _loaded(warm, root)
    # Followed through the package's own imports: views, then models.
    assert {"vendor_web", "vendor_web.routing", "vendor_db"} <= loaded
    # Imported in a function, or only by a module the app never imports: not early.
    assert "vendor_unused" not in loaded
    # The project's own code runs only when the check imports it, as edited.
    assert not {"web", "web.views", "web.models"} & loaded
    # A package that fails is left to the check.
    assert "vendor_broken" not in loaded


def test_a_module_whose_code_lies_in_the_project_is_not_loaded_early(
    tmp_path: Path, site: Path
) -> None:
    """Reached through the path (an installed ``src/`` layout), it is still the project's."""
    root = tmp_path / "project"
    _write(root, {"app.py": "import shop\nimport vendor_db\n", "src/shop/__init__.py": ""})
    warm = WarmPython(sys.executable, root, _env(site, root / "src"), [("app.py", "app")])
    loaded = _loaded(warm, root)
    assert "vendor_db" in loaded
    assert "shop" not in loaded


def test_nothing_is_loaded_early_where_gevent_is_imported(tmp_path: Path, site: Path) -> None:
    """Its monkey-patching must come before everything else the app imports."""
    root = tmp_path / "project"
    _write(root, {"app.py": "import gevent\nimport vendor_db\n"})
    warm = WarmPython(sys.executable, root, _env(site), [("app.py", "app")])
    assert not {"vendor_db", "gevent"} & _loaded(warm, root)


def test_a_check_with_another_environment_gets_a_process_of_its_own(
    tmp_path: Path, site: Path
) -> None:
    root = tmp_path / "project"
    _write(root, {"app.py": "import vendor_db\n"})
    warm = WarmPython(sys.executable, root, _env(site), [("app.py", "app")])
    waiting = warm.process
    assert waiting is not None
    other = {**warm.env, "POSTHOG_HOST": "http://127.0.0.1:9"}
    process = spawn(sys.executable, _LOADED, "", cwd=root, env=other, warm=warm)
    stdout, _ = process.communicate(timeout=60)
    assert process is not waiting
    assert "vendor_db" not in json.loads(stdout)
    # The warm process, unused, has ended.
    assert waiting.poll() is not None


def test_an_unused_warm_process_ends_when_stopped(tmp_path: Path, site: Path) -> None:
    root = tmp_path / "project"
    _write(root, {"app.py": "import vendor_db\n"})
    warm = WarmPython(sys.executable, root, _env(site), [("app.py", "app")])
    waiting = warm.process
    assert waiting is not None
    warm.stop()
    assert waiting.poll() is not None


def _warmed(
    root: Path, host: MockPostHogHost, early: WarmPython | None = None
) -> tuple[Path, Plan, tuple[AppObject, ...], WarmStart]:
    """An integrated project's plan and apps, and the warm processes a full run starts
    (``early``: the app import's, started before the analysis)."""
    plan = read_plan(root)
    assert plan is not None
    apps = analyse_project(root, registry.analysers()).apps
    return root, plan, apps, warm_up(root, plan, apps, CURRENT, host.url, early=early)


def _checks_taken(
    root: Path, plan: Plan, apps: tuple[AppObject, ...], warm: WarmStart, host: MockPostHogHost
) -> EntryResult:
    """Run the live check and the app import on ``warm``'s processes: both are taken (not
    started anew) and pass. The app import's result."""
    assert warm.live is not None
    assert warm.app is not None
    live = live_check(root, plan, CURRENT, host, warm=warm.live)
    entry = start_entry_check(
        root, plan, CURRENT, host.url, find_entry_point(root, plan, apps), warm=warm.app
    ).result()
    assert warm.live.process is None
    assert warm.app.process is None
    assert live.check.status == PASS, live.check.message
    assert entry.check.status == PASS, entry.check.message
    return entry


def test_the_checks_handed_to_warm_processes_pass_as_before(
    integrated: Callable[[str], Path], mock_host: MockPostHogHost
) -> None:
    """The live check and the app import of an integrated Flask app, each run by a warm
    process started for it, say what they say in processes of their own."""
    root, plan, apps, warm = _warmed(integrated("flask_blog"), mock_host)
    entry = _checks_taken(root, plan, apps, warm, mock_host)
    fresh = entry_check(root, plan, CURRENT, mock_host.url, find_entry_point(root, plan, apps))
    assert fresh.check == entry.check
    assert warm.app is not None
    assert subprocess_env(plan, mock_host.url) == warm.app.env


def test_a_django_check_has_the_framework_loaded_and_none_of_the_project(
    integrated: Callable[[str], Path], mock_host: MockPostHogHost
) -> None:
    """``manage.py check`` imports Django's runner inside ``main()`` and reads apps from
    strings: the framework's record names what to load early, never the settings."""
    root, _, _, warm = _warmed(integrated("django_shop"), mock_host)
    assert warm.app is not None
    if warm.live is not None:
        warm.live.stop()
    loaded = _loaded(warm.app, root)
    assert {"django.core.management", "django.db.models", "django.urls"} <= loaded
    project = {"shop", "catalog", "accounts", "orders"}
    assert not {m for m in loaded if m.split(".")[0] in project}
    assert "django.contrib.auth.models" not in loaded


#: A check's script that says which modules its process had and what APP_TOKEN held.
_SEEN = (
    "import json, os, sys\nprint(json.dumps([sorted(sys.modules), os.environ.get('APP_TOKEN')]))\n"
)


def _seen(warm: WarmPython, root: Path) -> tuple[set[str], str | None]:
    """The modules ``warm``'s process holds when a check is handed to it, and the value
    of APP_TOKEN the check reads."""
    process = warm.take(warm.python, warm.env, _SEEN, "", root)
    assert process is not None, "the warm process was not taken"
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    modules, token = json.loads(stdout)
    return set(modules), token


@pytest.fixture
def early_site(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``site`` on the path of every interpreter started from now on, with an SDK."""
    _write(site, {"posthog/__init__.py": "from posthog import client\n", "posthog/client.py": ""})
    monkeypatch.setenv("PYTHONPATH", str(site))
    return site


def test_a_process_started_before_the_plan_has_the_sdk_then_the_plans_packages(
    tmp_path: Path, early_site: Path
) -> None:
    root = tmp_path / "project"
    _write(root, {"app.py": "import vendor_db\n"})
    early = start_early(root, sys.executable)
    env = {**early_env(), "APP_TOKEN": "phc_test"}
    early.prepare(env, [("app.py", "app")], late=["APP_TOKEN"])
    modules, token = _seen(early, root)
    assert {"posthog", "posthog.client", "vendor_db"} <= modules
    assert "app" not in modules
    # The variable the plan named was set before the check ran.
    assert token == "phc_test"


def test_nothing_is_imported_ahead_where_a_project_file_names_gevent(
    tmp_path: Path, early_site: Path
) -> None:
    """Even a file the app does not import: the SDK could not be imported after its
    patching if some start-up path of the project patches first."""
    root = tmp_path / "project"
    _write(root, {"app.py": "import vendor_db\n", "serve.py": "from gevent import monkey\n"})
    warm = WarmPython(sys.executable, root, early_env(), ahead=SDK)
    warm.prepare(early_env(), [("app.py", "app")])
    modules, _ = _seen(warm, root)
    assert "posthog" not in modules
    # What the app itself imports has no gevent: that is still imported early.
    assert "vendor_db" in modules


def test_a_package_imported_ahead_that_reads_a_late_variable_leaves_the_check_a_fresh_start(
    tmp_path: Path, site: Path
) -> None:
    """Imported before the variable was set, it may hold what it read: the check runs
    in an interpreter of its own, as if no process had been started ahead."""
    _write(site, {"vendor_sdk.py": "import os\nTOKEN = os.environ.get('APP_TOKEN')\n"})
    root = tmp_path / "project"
    _write(root, {"app.py": "import vendor_db\n"})
    env = _env(site)
    env.pop("APP_TOKEN", None)
    warm = WarmPython(sys.executable, root, env, ahead=["vendor_sdk"])
    warm.prepare({**env, "APP_TOKEN": "phc_test"}, [("app.py", "app")], late=["APP_TOKEN"])
    modules, token = _seen(warm, root)
    assert not {"vendor_sdk", "vendor_db"} & modules
    assert token == "phc_test"


def test_a_package_imported_ahead_that_reads_no_late_variable_is_kept(
    tmp_path: Path, site: Path
) -> None:
    _write(site, {"vendor_sdk.py": "import os\nHOME = os.environ.get('HOME')\n"})
    root = tmp_path / "project"
    _write(root, {"app.py": "import vendor_db\n"})
    env = _env(site)
    warm = WarmPython(sys.executable, root, env, ahead=["vendor_sdk"])
    warm.prepare({**env, "APP_TOKEN": "phc_test"}, [("app.py", "app")], late=["APP_TOKEN"])
    modules, token = _seen(warm, root)
    assert {"vendor_sdk", "vendor_db"} <= modules
    assert token == "phc_test"


def test_an_environment_that_differs_in_more_than_the_late_variables_gets_a_new_process(
    tmp_path: Path, site: Path
) -> None:
    """A variable read as the interpreter starts (PYTHONPATH) cannot be set afterwards."""
    more = tmp_path / "more"
    _write(more, {"vendor_more.py": ""})
    root = tmp_path / "project"
    _write(root, {"app.py": "import vendor_db\nimport vendor_more\n"})
    warm = WarmPython(sys.executable, root, _env(site), ahead=["vendor_db"])
    waiting = warm.process
    assert waiting is not None
    warm.prepare(_env(site, more), [("app.py", "app")], late=["APP_TOKEN"])
    assert warm.process is not waiting
    assert waiting.wait(timeout=60) is not None
    assert {"vendor_db", "vendor_more"} <= _loaded(warm, root)


def test_a_process_not_yet_told_its_start_modules_takes_no_check(
    tmp_path: Path, site: Path
) -> None:
    root = tmp_path / "project"
    _write(root, {"app.py": ""})
    warm = WarmPython(sys.executable, root, _env(site), ahead=["vendor_db"])
    waiting = warm.process
    assert waiting is not None
    process = spawn(sys.executable, _LOADED, "", cwd=root, env=warm.env, warm=warm)
    stdout, _ = process.communicate(timeout=60)
    assert process is not waiting
    assert "vendor_db" not in json.loads(stdout)
    assert waiting.poll() is not None


def test_the_full_run_starts_the_app_imports_interpreter_before_the_analysis(
    integrated: Callable[[str], Path], mock_host: MockPostHogHost
) -> None:
    """The process started ahead is the one the app import is handed, and the checks
    pass as in processes of their own."""
    root = integrated("flask_blog")
    early = start_early(root, CURRENT.python)
    root, plan, apps, warm = _warmed(root, mock_host, early)
    assert warm.app is early
    _checks_taken(root, plan, apps, warm, mock_host)


def test_processes_started_with_another_interpreter_are_ended(
    integrated: Callable[[str], Path], mock_host: MockPostHogHost, tmp_path: Path
) -> None:
    root = integrated("flask_blog")
    early = start_early(tmp_path, CURRENT.python)
    waiting = early.process
    assert waiting is not None
    plan = read_plan(root)
    assert plan is not None
    warm = warm_up(root, plan, (), CURRENT, mock_host.url, early=early)
    assert warm.app is not early
    assert waiting.wait(timeout=60) is not None
    warm.stop()
