"""The pure parts: backoff, Retry-After parsing, size splitting, timestamps, uuids."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import time
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posthog_setup.client import ClientStats, RetryPolicy
from posthog_setup.client.delivery import is_retryable, parse_retry_after, split_by_size
from posthog_setup.client.events import UuidSource, format_epoch, normalize_timestamp


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(retry_count=10, backoff_base=0.5, backoff_cap=4.0)
    for retry, step in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (8, 4.0)]:
        delays = [policy.delay(retry, None) for _ in range(200)]
        assert all(step / 2 <= delay <= step for delay in delays)
        assert len(set(delays)) > 1


def test_retry_after_is_a_floor_and_is_capped() -> None:
    policy = RetryPolicy(backoff_base=0.01, retry_after_cap=30.0)
    assert policy.delay(0, 2.0) == 2.0
    assert policy.delay(0, 3600.0) == 30.0
    assert policy.delay(0, 0.0) <= 0.01


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 20, usegmt=True)
    seconds = parse_retry_after(later)
    assert seconds is not None
    assert 18 <= seconds <= 21


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        *[(status, True) for status in (500, 503, 408, 429, 204, 301)],
        *[(status, False) for status in (400, 401, 403, 404, 413)],
    ],
)
def test_retryable_statuses(status: int, retry: bool) -> None:
    assert is_retryable(status) is retry


@given(st.lists(st.integers(min_value=1, max_value=300), max_size=60))
def test_split_by_size_keeps_order_and_respects_the_limit(sizes: list[int]) -> None:
    events = [bytes([65 + i % 26]) * size for i, size in enumerate(sizes)]
    chunks = split_by_size(events, limit=1024)
    assert [event for chunk in chunks for event in chunk] == events
    for chunk in chunks:
        assert chunk
        assert len(chunk) == 1 or 512 + sum(len(e) + 1 for e in chunk) <= 1024


@given(
    st.datetimes(
        min_value=dt.datetime(1971, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.timezones() | st.just(dt.timezone(dt.timedelta(hours=-7, minutes=-30))),
    )
)
def test_aware_timestamps_keep_their_instant_in_utc(moment: dt.datetime) -> None:
    converted = dt.datetime.fromisoformat(normalize_timestamp(moment))
    assert converted.utcoffset() == dt.timedelta(0)
    # Compared as instants: PEP 495 makes == across zones False for times in a DST gap.
    assert converted.timestamp() == moment.timestamp()


@given(st.floats(min_value=0, max_value=7_000_000_000, allow_nan=False))
def test_format_epoch_matches_datetime(seconds: float) -> None:
    expected = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    assert dt.datetime.fromisoformat(format_epoch(seconds)) == expected


def test_invalid_timestamp_text_is_rejected() -> None:
    with pytest.raises(ValueError, match="yesterday"):
        normalize_timestamp("yesterday")


def test_uuid_source_makes_unique_version_4_uuids() -> None:
    source = UuidSource()
    made = [source.new() for _ in range(5000)]
    assert len(set(made)) == len(made)
    for text in made[:300]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_stats_snapshot_is_frozen() -> None:
    stats = ClientStats(captured=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.captured = 2  # type: ignore[misc]
