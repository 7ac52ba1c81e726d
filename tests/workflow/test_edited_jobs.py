"""The jobs fixture, edited by ``posthog-setup edit``, run as cron and Lambda would run it.

Each run is a fresh interpreter against the mock host with the official SDK. The processes
end with ``os._exit``, which skips ``atexit``: whatever arrives was sent by the edited
code's own ``flush()``, before the run ended.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.mockhost import MockPostHogHost, RecordedEvent

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TOKEN = "phc_test_token"
CRON_ID = "cron:billing.close_invoices"
LAMBDA_ID = "lambda:billing.payments"

# The nightly run, as cron starts it, then an exit that skips atexit.
CLOSE_SCRIPT = """
import os, sys
from billing import close_invoices
try:
    code = close_invoices.main(sys.argv[1:])
except BaseException as error:
    print(f"FAILED {type(error).__name__}", flush=True)
    os._exit(3)
os._exit(code)
"""

# A warm container: the module is imported once and its handler invoked again and again.
LAMBDA_SCRIPT = """
import json, os
from billing import payments

def message(invoice_id, cents):
    return {"body": json.dumps({"invoice_id": invoice_id, "amount_cents": cents})}

results = [
    payments.handler({"Records": [message(1, 1200)]}, None),
    payments.handler({"Records": [message(2, 500), message(3, 700)]}, None),
]
try:
    payments.handler({"Records": [{"body": "not json"}]}, None)
except ValueError:
    results.append("raised")
results.append(payments.handler({"Records": [message(3, 700)]}, None))
print("RESULT " + json.dumps(results), flush=True)
os._exit(0)
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    events: list[RecordedEvent]

    def named(self, event: str) -> list[RecordedEvent]:
        return [e for e in self.events if e.event == event]


def _seed(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.executescript(
        """
        CREATE TABLE invoices (
            id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount_cents INTEGER NOT NULL,
            due_on TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open'
        );
        CREATE TABLE payments (
            id INTEGER PRIMARY KEY, invoice_id INTEGER NOT NULL, amount_cents INTEGER NOT NULL
        );
        """
    )
    connection.executemany(
        "INSERT INTO invoices (customer, amount_cents, due_on) VALUES (?, ?, ?)",
        [
            ("acme", 1200, "2024-01-01"),
            ("globex", 500, "2024-02-01"),
            ("initech", 700, "2099-01-01"),
        ],
    )
    connection.commit()
    connection.close()


def _run(project: Path, script: str, args: list[str], *, token: bool, db: Path) -> Run:
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTHOG_")}
    env["PYTHONPATH"] = str(project)
    env["BILLING_DB"] = str(db)
    with MockPostHogHost() as host:
        env["POSTHOG_HOST"] = host.url
        if token:
            env["POSTHOG_PROJECT_TOKEN"] = TOKEN
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        events = host.events()
    return Run(done.returncode, done.stdout, done.stderr, events)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("jobs") / "jobs_billing"
    shutil.copytree(FIXTURES / "jobs_billing", root, ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["edit", "-q", str(root)]) == 0
    return root


def _database(tmp_path: Path) -> Path:
    db = tmp_path / "billing.sqlite3"
    _seed(db)
    return db


def test_the_nightly_run_sends_its_event_as_the_job_before_it_exits(
    project: Path, tmp_path: Path
) -> None:
    db = _database(tmp_path)
    run = _run(project, CLOSE_SCRIPT, ["--db", str(db), "--today", "2024-05-01"], token=True, db=db)
    assert run.returncode == 0, run.stderr
    assert "closed 2 invoices" in run.stdout
    [event] = run.named("invoice_closed")
    assert event.distinct_id == CRON_ID
    assert event.properties["$process_person_profile"] is False
    # How many invoices the run closed: the length of the list it built.
    assert event.properties["closed_count"] == 2
    assert [e.event for e in run.events] == ["invoice_closed"]


def test_a_run_that_closes_nothing_sends_nothing(project: Path, tmp_path: Path) -> None:
    db = _database(tmp_path)
    run = _run(project, CLOSE_SCRIPT, ["--db", str(db), "--today", "2000-01-01"], token=True, db=db)
    assert run.returncode == 0, run.stderr
    assert "nothing to close" in run.stdout
    assert run.events == []


def test_a_failing_run_reports_one_exception_and_still_fails(project: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "billing.sqlite3"
    run = _run(project, CLOSE_SCRIPT, ["--db", str(missing)], token=True, db=missing)
    # The exception reached the caller: the job failed as it did before the edit.
    assert run.returncode == 3, run.stderr
    assert "FAILED OperationalError" in run.stdout
    [exception] = run.named("$exception")
    assert exception.distinct_id == CRON_ID
    assert exception.properties["$process_person_profile"] is False
    assert exception.properties["$exception_list"][0]["type"] == "OperationalError"
    assert run.named("invoice_closed") == []


def test_the_script_run_from_the_command_line_fails_with_its_exit_code(
    project: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "billing.sqlite3"
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTHOG_")}
    env["PYTHONPATH"] = str(project)
    done = subprocess.run(
        [sys.executable, "-m", "billing.close_invoices", "--db", str(missing)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "OperationalError" in done.stderr


def test_a_warm_lambda_sends_each_invocations_event_and_keeps_its_client(
    project: Path, tmp_path: Path
) -> None:
    db = _database(tmp_path)
    run = _run(project, LAMBDA_SCRIPT, [], token=True, db=db)
    assert run.returncode == 0, run.stderr
    [line] = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")]
    assert json.loads(line.removeprefix("RESULT ")) == [
        {"recorded": 1},
        {"recorded": 2},
        "raised",
        {"recorded": 1},
    ]
    # Three successful invocations, each flushed before it returned; the fourth came after
    # a failed one, so the client was not shut down by it.
    payments = run.named("payment_created")
    assert len(payments) == 3
    assert {e.distinct_id for e in payments} == {LAMBDA_ID}
    assert all(e.properties["$process_person_profile"] is False for e in payments)
    [exception] = run.named("$exception")
    assert exception.distinct_id == LAMBDA_ID
    assert exception.properties["$exception_list"][0]["type"] == "JSONDecodeError"
    statuses = dict(sqlite3.connect(db).execute("SELECT id, status FROM invoices"))
    assert statuses == {1: "paid", 2: "paid", 3: "paid"}


@pytest.mark.parametrize(
    ("script", "args"),
    [(CLOSE_SCRIPT, ["--today", "2024-05-01"]), (LAMBDA_SCRIPT, [])],
    ids=["cron", "lambda"],
)
def test_without_a_token_nothing_is_sent_and_the_jobs_run(
    project: Path, tmp_path: Path, script: str, args: list[str]
) -> None:
    db = _database(tmp_path)
    run = _run(project, script, ["--db", str(db), *args] if args else [], token=False, db=db)
    assert run.returncode == 0, run.stderr
    assert run.events == []
    assert "POSTHOG_PROJECT_TOKEN variable required by PostHog is missing" in run.stderr
