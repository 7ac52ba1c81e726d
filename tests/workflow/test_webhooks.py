"""A webhook sends one event per event type it handles, from that type's branch, never one
event for all of them; a second run and the pre-commit check find nothing to do."""

from __future__ import annotations

import json
from pathlib import Path

from posthog_setup.cli import main

APP = """\
import json

from flask import Flask, request

from billing.models import Subscription, db

app = Flask(__name__)


@app.post("/webhooks/billing")
def billing_webhook():
    event = json.loads(request.data)
    if event["type"] == "customer.subscription.deleted":
        sub = Subscription.query.get(event["data"]["id"])
        sub.active = False
        db.session.commit()
    elif event["type"] == "invoice.payment_failed":
        sub = Subscription.query.get(event["data"]["subscription"])
        sub.past_due = True
        db.session.commit()
        return "", 202
    return "", 200
"""
MODELS = """\
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Subscription(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    active = db.Column(db.Boolean)
    past_due = db.Column(db.Boolean)
"""


def test_a_webhook_sends_one_event_per_event_type_from_its_branch(tmp_path: Path) -> None:
    project = tmp_path / "site"
    (project / "billing").mkdir(parents=True)
    (project / "billing" / "__init__.py").write_text("", encoding="utf-8")
    (project / "billing" / "app.py").write_text(APP, encoding="utf-8")
    (project / "billing" / "models.py").write_text(MODELS, encoding="utf-8")
    (project / "requirements.txt").write_text("flask\nflask-sqlalchemy\n", encoding="utf-8")
    assert main(["edit", "-q", str(project)]) == 0

    edited = (project / "billing" / "app.py").read_text(encoding="utf-8")
    deleted = edited.index('posthog_client.capture("customer_subscription_deleted")')
    failed = edited.index('posthog_client.capture("invoice_payment_failed")')
    # each in its own branch: after that branch's commit, before its return
    assert edited.index("sub.active = False") < deleted < edited.index("elif event")
    assert edited.index("sub.past_due = True") < failed < edited.index('return "", 202')
    assert edited.count("posthog_client.capture(") == 2
    compile(edited, "app.py", "exec")

    plan = json.loads((project / "posthog-events.json").read_text(encoding="utf-8"))
    assert [(e["event"], e["outcome"]) for e in plan["events"]] == [
        ("customer_subscription_deleted", "customer.subscription.deleted"),
        ("invoice_payment_failed", "invoice.payment_failed"),
    ]
    assert main(["edit", "--check", str(project)]) == 0
    assert main(["revise", "--check", str(project)]) == 0
