"""A SAM function whose code is a folder of its own (``CodeUri: orders/``): Lambda imports
the handler's module from that folder, so the edited handler imports the client by its
bare name from a client module there. Run as Lambda runs it, with only that folder on
``sys.path``, against the mock host with the official SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from posthog_setup.cli import main
from posthog_setup.mockhost import MockPostHogHost

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  RecordOrderFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: orders/
      Handler: app.record_order
      Runtime: python3.11
"""

HANDLER = """\
import json
import sqlite3

from storage import connect


def record_order(payload, runtime):
    order = json.loads(payload["body"])
    with connect() as db:
        db.execute("INSERT INTO orders (item) VALUES (?)", (order["item"],))
    return {"statusCode": 201, "body": json.dumps({"item": order["item"]})}
"""

STORAGE = """\
import os
import sqlite3


def connect():
    db = sqlite3.connect(os.environ["ORDERS_DB"])
    db.execute("CREATE TABLE IF NOT EXISTS orders (item TEXT)")
    return db
"""

# A warm container: the module imported once from the code folder, invoked twice.
INVOKE = """
import json, os
import app
for item in ("tea", "cake"):
    app.record_order({"body": json.dumps({"item": item})}, None)
print("RESULT done", flush=True)
os._exit(0)
"""


def test_the_handler_imports_the_client_from_its_own_code_folder(tmp_path: Path) -> None:
    root = tmp_path / "orders_service"
    (root / "orders").mkdir(parents=True)
    (root / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    (root / "orders" / "app.py").write_text(HANDLER, encoding="utf-8")
    (root / "orders" / "storage.py").write_text(STORAGE, encoding="utf-8")
    (root / "orders" / "requirements.txt").write_text("posthog\n", encoding="utf-8")
    (root / "requirements.txt").write_text("posthog\n", encoding="utf-8")
    assert main(["edit", "-q", str(root)]) == 0
    edited = (root / "orders" / "app.py").read_text("utf-8")
    assert "from posthog_client import posthog_client" in edited
    assert (root / "orders" / "posthog_client.py").is_file()

    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTHOG_")}
    with MockPostHogHost() as host:
        env |= {
            # What Lambda puts on the path: the code folder, never the repository.
            "PYTHONPATH": str(root / "orders"),
            "POSTHOG_HOST": host.url,
            "POSTHOG_PROJECT_TOKEN": "phc_code_folder",
            "ORDERS_DB": str(tmp_path / "orders.db"),
        }
        done = subprocess.run(
            [sys.executable, "-c", INVOKE],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "RESULT done" in done.stdout
        events = host.events()
    named = [e for e in events if e.event != "$exception"]
    assert len(named) == 2, [e.event for e in events]
    assert all(e.distinct_id == "lambda:orders.app" for e in named)
    assert {e.event for e in named} == {"order_created"}
    assert json.loads(json.dumps(named[0].properties))["$process_person_profile"] is False
