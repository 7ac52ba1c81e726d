"""Event records: stamping on capture, and turning them into wire JSON off the hot path."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import json
import math
import os
import threading
import time
import uuid as uuid_module
from collections.abc import Mapping
from typing import Any, NamedTuple

from ._version import LIB_NAME, LIB_VERSION

MAX_EVENT_BYTES = 900 * 1024
"""An event whose JSON is larger than this is dropped (the official SDK's limit)."""

_UTC = dt.timezone.utc


class EventRecord(NamedTuple):
    """What ``capture`` queues: cheap to build, serialised later by the sender.

    ``timestamp`` is either seconds since the epoch (the capture time, formatted
    later) or an already normalised ISO-8601 UTC string.
    """

    event: str
    distinct_id: str
    properties: Mapping[str, Any] | None
    timestamp: float | str
    uuid: str
    person_set: Mapping[str, Any] | None = None


def normalize_timestamp(value: dt.datetime | dt.date | str) -> str:
    """Return ``value`` as an ISO-8601 string in UTC; naive datetimes are taken as UTC."""
    if isinstance(value, str):
        text = value.strip()
        # datetime.fromisoformat accepts a trailing "Z" only from Python 3.11.
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        value = dt.datetime.fromisoformat(text)
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=_UTC).isoformat()
    return value.astimezone(_UTC).isoformat()


_second_cache: tuple[int, str] = (-1, "")


def format_epoch(seconds: float) -> str:
    """Return epoch ``seconds`` as an ISO-8601 UTC string with microseconds."""
    global _second_cache
    whole = int(seconds // 1)
    micros = round((seconds - whole) * 1_000_000)
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    # Events come in bursts within the same second; format the date part once.
    cached_second, prefix = _second_cache
    if cached_second != whole:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second_cache = (whole, prefix)
    return f"{prefix}.{micros:06d}+00:00"


def now_iso() -> str:
    """Return the current time as an ISO-8601 UTC string."""
    return dt.datetime.now(_UTC).isoformat()


def checked_uuid(value: object) -> str:
    """Return ``value`` as a canonical UUID string; raise ValueError if it is not one."""
    if isinstance(value, uuid_module.UUID):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"uuid must be a UUID or a string, not {type(value).__name__}")
    return str(uuid_module.UUID(value))


class UuidSource:
    """Random (version 4) UUID strings, reading the OS's randomness in blocks.

    One ``os.urandom`` call per 256 UUIDs instead of one per UUID; the block is
    discarded in a forked child so parent and child never hand out the same bytes.
    """

    _BLOCK = 16 * 256
    # Index by the high nibble of byte 8; the variant bits become 10xx.
    _VARIANT = "89ab89ab89ab89ab"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._block = b""
        self._offset = 0

    def discard(self) -> None:
        """Forget buffered randomness (called in a forked child)."""
        self._lock = threading.Lock()
        self._block = b""
        self._offset = 0

    def new(self) -> str:
        """Return a fresh random UUID string."""
        with self._lock:
            offset = self._offset
            if offset >= len(self._block):
                self._block = os.urandom(self._BLOCK)
                offset = 0
            self._offset = offset + 16
            digits = self._block[offset : offset + 16].hex()
        return (
            f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-"
            f"{self._VARIANT[int(digits[16], 16)]}{digits[17:20]}-{digits[20:]}"
        )


def _json_default(value: object) -> object:
    # Mirrors the official SDK: datetimes and UUIDs become ISO/canonical strings.
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid_module.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return dict(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


_encoder = json.JSONEncoder(
    separators=(",", ":"), allow_nan=False, ensure_ascii=False, default=_json_default
)
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
# JSONEncoder.encode builds a new C encoder on every call; build it once. Without a
# markers dict a cycle surfaces as RecursionError, which the slow path handles.
_c_encode = (
    None
    if _c_make_encoder is None
    else _c_make_encoder(
        None, _json_default, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )
)


def _encode(value: object) -> str:
    if _c_encode is None:  # pragma: no cover - interpreters without the C accelerator
        return _encoder.encode(value)
    return "".join(_c_encode(value, 0))


_MAX_DEPTH = 64


def _sanitize(value: object, path: frozenset[int] = frozenset()) -> object:
    # The slow path, taken only when the fast encoder refuses: non-finite floats
    # become null (as in the official SDK) and cycles or absurd nesting are cut off.
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if id(value) in path or len(path) > _MAX_DEPTH:
        return None
    inner = path | {id(value)}
    if isinstance(value, Mapping):
        return {str(key): _sanitize(item, inner) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_sanitize(item, inner) for item in value]
    return _sanitize(_json_default(value), inner)


def to_message(record: EventRecord) -> dict[str, Any]:
    """Return the wire message for ``record`` (a new dict; the record is not changed)."""
    properties = dict(record.properties) if record.properties else {}
    properties["$lib"] = LIB_NAME
    properties["$lib_version"] = LIB_VERSION
    timestamp = record.timestamp
    message: dict[str, Any] = {
        "event": record.event,
        "distinct_id": record.distinct_id,
        "properties": properties,
        "timestamp": timestamp if isinstance(timestamp, str) else format_epoch(timestamp),
        "uuid": record.uuid,
    }
    if record.person_set is not None:
        message["$set"] = record.person_set
    return message


def encode_message(message: Mapping[str, Any]) -> bytes:
    """Return the compact UTF-8 JSON for one message; raise ValueError if impossible."""
    try:
        text = _encode(message)
    except (ValueError, RecursionError):
        text = _encode(_sanitize(message))
    # "replace" keeps lone surrogates from turning into invalid UTF-8 on the wire.
    return text.encode("utf-8", "replace")


def encode_record(record: EventRecord) -> bytes:
    """Return the compact UTF-8 JSON for one record."""
    return encode_message(to_message(record))


def encode_event(
    event: str,
    distinct_id: str,
    properties: Mapping[str, Any] | None,
    timestamp: float | str,
    uuid: str,
    person_set: Mapping[str, Any] | None = None,
) -> bytes:
    """Return the wire JSON of one event, as ``capture`` queues it.

    Queuing the encoded bytes rather than the caller's objects keeps a queued event to
    about a third of the memory, and later changes to the caller's dicts cannot leak in.
    """
    return encode_record(EventRecord(event, distinct_id, properties, timestamp, uuid, person_set))
