"""Reading posthog-events.json back: what a hand-written capture adopted into the plan holds."""

from __future__ import annotations

import json

from posthog_setup.plan.plan import plan_from_json


def test_a_hand_written_capture_property_without_an_expression_is_accepted() -> None:
    # The plan adopts events the code already sends; their properties are the project's own
    # code, so the plan records no expression for them (value ""). That must not be an error.
    text = json.dumps(
        {
            "version": 1,
            "setup": {
                "frameworks": ["flask"],
                "dependency_manager": "pip",
                "manifest": "requirements.txt",
                "client_module": "app/posthog_client.py",
            },
            "events": [
                {
                    "event": "burrito_considered",
                    "description": "",
                    "kind": "capture",
                    "file": "app/routes.py",
                    "handler": "consider",
                    "route": "/consider",
                    "methods": ["POST"],
                    "properties": [{"name": "total", "value": "", "type": "string"}],
                    "distinct_id": None,
                }
            ],
            "exception_captures": [],
        }
    )
    [event] = plan_from_json(text).events
    assert event.properties[0].value == ""
