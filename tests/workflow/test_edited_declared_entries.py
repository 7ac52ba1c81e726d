"""Entry points named only in configuration, edited by ``posthog-setup edit`` and run as
their runtime runs them: a serverless.yml handler invoked again and again in one warm
process, and a ``[project.scripts]`` console script run once.

Each run is a fresh interpreter against the mock host with the official SDK, ended with
``os._exit`` (which skips ``atexit``): whatever arrives was sent by the edited code's own
``flush()``.
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

# A warm container: the module imported once, its handler invoked again and again with
# what Lambda passes (the event, then a runtime context object).
UPLOADS_SCRIPT = """
import json, os
from uploads import listing, record

class Runtime:
    def get_remaining_time_in_millis(self):
        return 900

def created(*keys):
    return {"Records": [
        {"s3": {"bucket": {"name": "incoming"}, "object": {"key": k, "size": 5}}} for k in keys
    ]}

results = [
    record.record_uploads(created("a.png"), Runtime()),
    record.record_uploads(created("b.png", "c.png"), Runtime()),
]
try:
    record.record_uploads({"Records": [{"s3": {}}]}, Runtime())
except KeyError:
    results.append("raised")
results.append(record.record_uploads(created("d.png"), Runtime()))
results.append(json.loads(listing.recent({"queryStringParameters": {"limit": "2"}}, None)["body"]))
print("RESULT " + json.dumps(results), flush=True)
os._exit(0)
"""

# What the console script pip writes does, `sys.exit(reorder_low_stock())`, with an exit
# that skips atexit.
REORDER_SCRIPT = """
import os, sys
from inventory.reorder import reorder_low_stock
sys.argv = ["reorder", *sys.argv[1:]]
try:
    code = reorder_low_stock()
except BaseException as error:
    print(f"FAILED {type(error).__name__}", flush=True)
    os._exit(3)
os._exit(code)
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    events: list[RecordedEvent]

    def named(self, event: str) -> list[RecordedEvent]:
        return [e for e in self.events if e.event == event]


def _run(
    project: Path, script: str, args: list[str], env: dict[str, str], *, path: str = "."
) -> Run:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POSTHOG_")}
    environment.update(env)
    environment["PYTHONPATH"] = str(project / path)
    with MockPostHogHost() as host:
        environment["POSTHOG_HOST"] = host.url
        environment["POSTHOG_PROJECT_TOKEN"] = TOKEN
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        events = host.events()
    return Run(done.returncode, done.stdout, done.stderr, events)


def _edited(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp(name) / name
    shutil.copytree(FIXTURES / name, root, ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["edit", "-q", str(root)]) == 0
    return root


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _edited("serverless_uploads", tmp_path_factory)


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _edited("inventory_cli", tmp_path_factory)


def test_the_handler_serverless_yml_names_sends_each_invocations_event(
    uploads: Path, tmp_path: Path
) -> None:
    db = tmp_path / "uploads.sqlite3"
    run = _run(uploads, UPLOADS_SCRIPT, [], {"UPLOADS_DB": str(db)})
    assert run.returncode == 0, run.stderr
    [line] = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")]
    assert json.loads(line.removeprefix("RESULT ")) == [
        {"recorded": 1, "remaining_ms": 900},
        {"recorded": 2, "remaining_ms": 900},
        "raised",
        {"recorded": 1, "remaining_ms": 900},
        [
            {"bucket": "incoming", "key": "d.png", "size": 5},
            {"bucket": "incoming", "key": "c.png", "size": 5},
        ],
    ]
    # Each successful invocation flushed its own event before it returned, and the failed
    # one did not close the client the next invocation used.
    recorded = run.named("upload_created")
    assert [e.properties["recorded_count"] for e in recorded] == [1, 2, 1]
    assert {e.distinct_id for e in recorded} == {"lambda:uploads.record"}
    assert all(e.properties["$process_person_profile"] is False for e in recorded)
    [exception] = run.named("$exception")
    assert exception.distinct_id == "lambda:uploads.record"
    assert exception.properties["$exception_list"][0]["type"] == "KeyError"
    # The listing only reads: no event of its own.
    assert sorted({e.event for e in run.events}) == ["$exception", "upload_created"]
    count = sqlite3.connect(db).execute("SELECT COUNT(*) FROM uploads").fetchone()[0]
    assert count == 4


def test_the_handler_no_function_runs_is_left_as_it_was(uploads: Path) -> None:
    original = (FIXTURES / "serverless_uploads" / "uploads" / "backfill.py").read_text()
    assert (uploads / "uploads" / "backfill.py").read_text() == original


def _levels(path: Path) -> None:
    path.write_text(
        json.dumps(
            {
                "bolts": {"count": 3, "reorder_at": 5},
                "nuts": {"count": 50, "reorder_at": 5},
                "washers": {"count": 0, "reorder_at": 10},
            }
        )
    )


def test_the_console_script_sends_its_event_as_the_job_before_it_exits(
    inventory: Path, tmp_path: Path
) -> None:
    levels = tmp_path / "inventory.json"
    _levels(levels)
    run = _run(inventory, REORDER_SCRIPT, ["20"], {"INVENTORY_FILE": str(levels)}, path="src")
    assert run.returncode == 0, run.stderr
    assert "reordered 2 items" in run.stdout
    [event] = run.named("low_stock_reordered")
    assert event.distinct_id == "cron:inventory.reorder"
    assert event.properties["low_count"] == 2
    assert event.properties["$process_person_profile"] is False
    assert [e.event for e in run.events] == ["low_stock_reordered"]
    counts = {name: item["count"] for name, item in json.loads(levels.read_text()).items()}
    assert counts == {"bolts": 23, "nuts": 50, "washers": 20}


def test_a_console_script_run_with_nothing_to_do_sends_nothing(
    inventory: Path, tmp_path: Path
) -> None:
    levels = tmp_path / "inventory.json"
    levels.write_text(json.dumps({"nuts": {"count": 50, "reorder_at": 5}}))
    run = _run(inventory, REORDER_SCRIPT, [], {"INVENTORY_FILE": str(levels)}, path="src")
    assert run.returncode == 0, run.stderr
    assert "nothing to reorder" in run.stdout
    assert run.events == []


def test_a_failing_console_script_reports_its_exception_and_still_fails(
    inventory: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-file.json"
    run = _run(inventory, REORDER_SCRIPT, [], {"INVENTORY_FILE": str(missing)}, path="src")
    assert run.returncode == 3, run.stderr
    assert "FAILED FileNotFoundError" in run.stdout
    [exception] = run.named("$exception")
    assert exception.distinct_id == "cron:inventory.reorder"
    assert exception.properties["$exception_list"][0]["type"] == "FileNotFoundError"
    assert run.named("low_stock_reordered") == []
