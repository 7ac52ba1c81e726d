"""The Celery fixture, edited by ``posthog-setup edit``, its tasks run as a worker runs them.

Tasks run eagerly in one fresh interpreter (Celery's own signals fire as in a worker) against
the mock host with the official SDK; the process ends with ``os._exit`` after one
``flush()``, as a worker's pool flushes its client when it stops.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.mockhost import MockPostHogHost, RecordedEvent

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TOKEN = "phc_test_token"

SCRIPT = """
import json, os
from orders.worker import app
from orders import tasks
from orders.posthog_client import posthog_client

results = {
    "shipped": tasks.ship_order.delay(1, 7).get(),
    "missing": tasks.ship_order.delay(99, 7).state,
    "pruned": tasks.prune_carts.delay("2024-01-01").state,
    "count": tasks.count_orders.delay().get(),
}
posthog_client.flush()
print("RESULT " + json.dumps(results), flush=True)
os._exit(0)
"""


def _run(project: Path, db: Path, *, token: bool) -> tuple[dict[str, object], list[RecordedEvent]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTHOG_")}
    env.update(PYTHONPATH=str(project), ORDERS_DB=str(db), ORDERS_EAGER="1")
    with MockPostHogHost() as host:
        env["POSTHOG_HOST"] = host.url
        if token:
            env["POSTHOG_PROJECT_TOKEN"] = TOKEN
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        events = host.events()
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    return json.loads(line.removeprefix("RESULT ")), events


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("celery") / "celery_orders"
    shutil.copytree(FIXTURES / "celery_orders", root, ignore=shutil.ignore_patterns("__pycache__"))
    assert main(["edit", "-q", str(root)]) == 0
    return root


def _database(tmp_path: Path) -> Path:
    db = tmp_path / "orders.sqlite3"
    connection = sqlite3.connect(db)
    connection.executescript(
        """
        CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,
                             status TEXT NOT NULL DEFAULT 'placed');
        CREATE TABLE carts (id INTEGER PRIMARY KEY, updated_on TEXT NOT NULL);
        INSERT INTO orders (id, user_id) VALUES (1, 7);
        INSERT INTO carts (updated_on) VALUES ('2023-06-01'), ('2025-01-01');
        """
    )
    connection.commit()
    connection.close()
    return db


def test_tasks_send_their_events_and_failures(project: Path, tmp_path: Path) -> None:
    db = _database(tmp_path)
    results, events = _run(project, db, token=True)
    assert results == {"shipped": 1, "missing": "FAILURE", "pruned": "SUCCESS", "count": 1}
    ours = [e for e in events if not e.event.startswith("celery task ")]
    # The task given a user id acts for that user; the others for the job.
    assert [(e.event, e.distinct_id) for e in ours if e.event != "$exception"] == [
        ("order_shipped", "7"),
        ("cart_deleted", "celery:orders.tasks"),
    ]
    [pruned] = [e for e in ours if e.event == "cart_deleted"]
    assert pruned.properties["$process_person_profile"] is False
    # The failed task is reported once, by the SDK's integration, with the task's name.
    [failure] = [e for e in ours if e.event == "$exception"]
    assert failure.properties["$exception_list"][0]["type"] == "LookupError"
    assert failure.properties["celery_task_name"] == "orders.tasks.ship_order"
    # The read-only task sends nothing of ours.
    assert all(e.properties.get("celery_task_name") != "orders.tasks.count_orders" for e in ours)
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM carts").fetchone() == (1,)


def test_without_a_token_nothing_is_sent(project: Path, tmp_path: Path) -> None:
    results, events = _run(project, _database(tmp_path), token=False)
    assert results["shipped"] == 1
    assert events == []
