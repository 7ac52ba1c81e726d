"""The contract replay against the mock host: what it sends, and refusals tied to events."""

from __future__ import annotations

from pathlib import Path

from posthog_setup.mockhost import Fault, MockPostHogHost
from posthog_setup.plan.plan import Plan, PlannedEvent, PlannedProperty, SetupFacts, read_plan
from posthog_setup.verify.checks import FAIL, PASS, TEST_TOKEN, VERIFY_DISTINCT_ID
from posthog_setup.verify.replay import Delivery, host_reason, replay_contract

EXPECTED = Path(__file__).resolve().parents[2] / "fixtures" / "expected"


def planned(name: str, *properties: tuple[str, str]) -> PlannedEvent:
    return PlannedEvent(
        event=name,
        description="",
        kind="capture",
        file="app.py",
        handler="handler",
        line=1,
        route="/x",
        methods=("POST",),
        properties=tuple(PlannedProperty(n, n, t) for n, t in properties),
    )


def plan_of(*events: PlannedEvent) -> Plan:
    return Plan(SetupFacts(("flask",), "pip", None, "app/posthog_client.py"), events)


def test_every_planned_event_identify_and_exception_arrive_with_typed_properties(
    mock_host: MockPostHogHost,
) -> None:
    plan = plan_of(
        planned("post_created", ("post_id", "integer"), ("score", "number")),
        planned("post_flagged", ("public", "boolean"), ("slug", "string"), ("odd", "unknown")),
    )
    result = replay_contract(plan, mock_host)
    assert result.check.status == PASS
    assert result.check.message == (
        "2 of 2 planned events, a sample identify and a sample exception accepted by the mock host"
    )
    assert result.events == (Delivery("post_created", True), Delivery("post_flagged", True))
    stored = mock_host.events(distinct_id=VERIFY_DISTINCT_ID)
    assert [e.event for e in stored] == ["post_created", "post_flagged", "$identify", "$exception"]
    assert {e.token for e in stored} == {TEST_TOKEN}
    created, flagged, identify, exception = stored
    assert {k: v for k, v in created.properties.items() if not k.startswith("$")} == {
        "post_id": 1,
        "score": 1.5,
    }
    assert {k: v for k, v in flagged.properties.items() if not k.startswith("$")} == {
        "public": True,
        "slug": "example",
        "odd": "example",
    }
    assert identify.raw["$set"] == {
        "email": "posthog-setup-verify@example.com",
        "name": "posthog-setup verify",
    }
    [error] = exception.properties["$exception_list"]
    assert error["type"] == "RuntimeError"
    assert error["value"] == "a sample exception sent by posthog-setup conclude"


def test_the_fixture_plans_replay_cleanly(mock_host: MockPostHogHost) -> None:
    for name in ("flask_blog", "fastapi_tasks", "django_shop"):
        plan = read_plan(EXPECTED / name)
        assert plan is not None
        result = replay_contract(plan, mock_host)
        assert result.check.failures == (), name
        assert len(result.events) == len(plan.events)


def test_a_refused_request_names_its_event_and_the_host_reason(
    mock_host: MockPostHogHost,
) -> None:
    mock_host.inject(Fault(200), Fault(400))
    result = replay_contract(plan_of(planned("first"), planned("second")), mock_host)
    assert result.check.status == FAIL
    assert result.events == (
        Delivery("first", True),
        Delivery(
            "second", False, "rejected by the mock host: HTTP 400 injected_fault: Bad Request"
        ),
    )
    assert result.check.failures == (
        "replay: 'second' was rejected by the mock host: HTTP 400 injected_fault: Bad Request",
    )
    assert result.check.message == (
        "1 of 2 planned events, a sample identify and a sample exception accepted by the mock host"
    )


def test_a_personal_api_key_is_refused_for_every_event(mock_host: MockPostHogHost) -> None:
    result = replay_contract(plan_of(planned("post_created")), mock_host, token="phx_personal")
    reason = "rejected by the mock host: HTTP 403 ingest_key_unknown: API key is not valid: personal_api_key"
    assert result.check.failures == (
        f"replay: 'post_created' was {reason}",
        f"replay: '$identify' was {reason}",
        f"replay: '$exception' was {reason}",
    )
    assert result.check.message == (
        "0 of 1 planned events, no sample identify and no sample exception accepted by the mock host"
    )
    assert mock_host.events() == []


def test_an_empty_planned_name_is_refused_before_sending(mock_host: MockPostHogHost) -> None:
    result = replay_contract(plan_of(planned("")), mock_host)
    assert result.check.failures == (
        "replay: '' was refused by the client before sending: event must be a non-empty string",
    )


def test_an_unreachable_host_is_a_delivery_failure(mock_host: MockPostHogHost) -> None:
    closed = MockPostHogHost()
    closed.start()
    closed.stop()  # its port is now closed
    result = replay_contract(plan_of(planned("post_created")), closed, timeout=1.0)
    assert result.check.status == FAIL
    assert result.events[0].reason is not None
    assert result.events[0].reason.startswith(
        "not delivered: 1 events not delivered: network error"
    )


def test_host_reason() -> None:
    assert host_reason(400, '{"status": 400, "code": "empty_batch", "error": "no event"}') == (
        "HTTP 400 empty_batch: no event"
    )
    assert host_reason(502, "<html>bad gateway</html>") == "HTTP 502"
