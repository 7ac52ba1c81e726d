"""`posthog-setup conclude` starts each framework's edited app the way its record says:
factories called (and awaited), module-level apps imported, jobs and request handlers
imported and never run; nothing is served."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posthog_setup.cli import main

EXPECTED = Path(__file__).resolve().parents[2] / "fixtures" / "expected"
FIXTURES = EXPECTED.parent
PASSED = f" in {sys.executable} with the client pointed at the mock host"

#: What the app import check says it started, for each fixture of a framework.
STARTED = {
    "aiohttp_links": "called and awaited links.main.init_app(':memory:') "
    "(as tests/test_links.py:11 calls it)",
    "bottle_notes": "imported notes.api (it creates api)",
    "falcon_bookmarks": "called marks.app.create_app() (it needs no arguments)",
    "litestar_shelf": "called shelf.app.create_app() (as tests/conftest.py:15 calls it)",
    "quart_recipes": "called recipes.create_app({'DATABASE': ':memory:', 'TESTING': True}) "
    "(as tests/test_recipes.py:10 calls it)",
    "sanic_tickets": "imported tickets.app (it creates app)",
    "starlette_notes": "imported notes.app (it creates app)",
    "wsgi_notes": "imported notes.app (it creates application)",
    "http_todos": "imported todos.server (it defines the request handler TodoHandler, not run)",
    "jobs_billing": "imported billing.close_invoices, billing.payments, billing.report (they "
    "define the entry points main, handler, main; nothing in them was run)",
    "celery_orders": "imported orders.worker (it defines the entry point app, not run)",
}


@pytest.fixture(autouse=True)
def no_active_virtualenv(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixtures have no virtualenv: the checks run with this interpreter."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def edited_repo(name: str, tmp_path: Path) -> Path:
    """The fixture committed before the edit, the edited tree in the working tree."""
    root = tmp_path / name
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(FIXTURES / name, root, ignore=ignore)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "before")
    shutil.copytree(EXPECTED / name, root, ignore=ignore, dirs_exist_ok=True)
    return root


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def app_check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    code = main(["conclude", "--json", str(root)])
    data = json.loads(capsys.readouterr().out)
    [check] = [c for c in data["checks"] if c["name"] == "app"]
    return code, check


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if ".git" not in p.parts}


@pytest.mark.parametrize("name", list(STARTED))
def test_each_frameworks_app_is_started(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / name
    shutil.copytree(EXPECTED / name, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = files(root)
    code, check = app_check(root, capsys)
    assert (check["status"], check["message"]) == ("pass", STARTED[name] + PASSED)
    assert code == 0
    # Nothing the app would make when it runs (a database, bytecode) was left behind.
    assert files(root) - before == {"posthog-setup-report.md"}


def test_a_job_is_imported_and_never_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = edited_repo("jobs_billing", tmp_path)
    # Were an entry point run, it would leave this file behind, whatever it then did.
    for job, entry in (("report", "def main():"), ("payments", "def handler(event, context):")):
        replace(
            root / "billing" / f"{job}.py",
            entry,
            f"{entry}\n    open('{job}-ran', 'w').close()",
        )
    code, check = app_check(root, capsys)
    assert check["status"] == "pass", check
    assert code == 0
    assert not list(root.glob("*-ran"))
    assert not (root / "billing.sqlite3").exists()


def test_a_job_that_runs_when_imported_is_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = edited_repo("jobs_billing", tmp_path)
    # A module that runs its handler when imported: importing it would run the job.
    payments = root / "billing" / "payments.py"
    payments.write_text(payments.read_text() + '\n\nhandler({"Records": []}, None)\n')
    code, check = app_check(root, capsys)
    assert check["message"] == (
        "imported billing.close_invoices, billing.report (they define the entry points "
        "main, main; nothing in them was run; not imported: billing.payments calls handler() "
        "when imported)" + PASSED
    )
    assert code == 0
    assert not (root / "billing.sqlite3").exists()


def test_a_server_started_on_import_is_never_served(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = edited_repo("http_todos", tmp_path)
    server = root / "todos" / "server.py"
    replace(server, 'if __name__ == "__main__":\n    run()', "run(port=8765)")
    line = (
        server.read_text()
        .splitlines()
        .index("    server = ThreadingHTTPServer((host, port), TodoHandler)")
    )
    code, check = app_check(root, capsys)
    assert (check["status"], check["message"]) == (
        "skip",
        f"import todos.server would serve: it binds port 8765 at todos/server.py:{line + 1}; "
        'the check never serves: start the server only under `if __name__ == "__main__":` '
        "to have the app checked",
    )
    assert code == 0


def test_an_inserted_line_that_raises_in_a_coroutine_factory_fails_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = edited_repo("aiohttp_links", tmp_path)
    replace(
        root / "links" / "main.py",
        "app.on_cleanup.append(posthog_cleanup)",
        "app.on_cleanup.append(posthog_cleanup.flush)",
    )
    assert main(["conclude", str(root)]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: app: await links.main.init_app(':memory:') failed: AttributeError: 'function' "
        "object has no attribute 'flush' at links/main.py:23, a line posthog-setup inserted: "
        "the edit broke the app's start-up; run `git diff` on that line and report it",
    ]


def test_a_module_level_app_that_raises_on_import_fails_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = edited_repo("starlette_notes", tmp_path)
    replace(
        root / "notes" / "app.py",
        "Middleware(PosthogASGIMiddleware, client=posthog_client)",
        "Middleware(PosthogASGIMiddleware, client=posthog_client.missing_client)",
    )
    assert main(["conclude", str(root)]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: app: import notes.app failed: AttributeError: 'Posthog' object has no "
        "attribute 'missing_client' at notes/app.py:54, a line posthog-setup inserted: the "
        "edit broke the app's start-up; run `git diff` on that line and report it",
    ]
