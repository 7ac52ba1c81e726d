"""Decoding and validation of ingestion requests, following PostHog's capture service.

The rules mirror ``rust/capture`` in PostHog's repository: the body may be gzip (found by its
magic bytes), form-encoded ``data=``, or plain JSON; the JSON is an array of events, a batch
envelope or a single event; one bad event rejects the whole request. Status codes and the
``code`` vocabulary of the error bodies are the ones real ingestion answers with.
"""

from __future__ import annotations

import json
import re
import uuid
import zlib
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn
from urllib.parse import parse_qs

BATCH_BODY_LIMIT = 20 * 1024 * 1024
"""Largest body (compressed or not) accepted on ``/batch``."""

EVENT_BODY_LIMIT = 2 * 1024 * 1024
"""Largest body accepted on the single-event routes (``/e``, ``/capture``, ...)."""

MAX_TOKEN_LENGTH = 64
MAX_DISTINCT_ID_LENGTH = 200

GZIP_MAGIC = b"\x1f\x8b\x08"
# The form every SDK sends; other spellings the uuid crate accepts go through uuid.UUID.
_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_GZIP_HINTS = frozenset({"gzip", "gzip-js"})


class IngestError(Exception):
    """A request that real ingestion would refuse, with the status and body it would send."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_body(self) -> bytes:
        """The JSON error body: ``{"status": ..., "code": ..., "error": ...}``."""
        payload = {"status": self.status, "code": self.code, "error": self.message}
        return json.dumps(payload).encode()


def _decoding_error(detail: str) -> NoReturn:
    raise IngestError(400, "request_decoding_error", f"failed to decode request: {detail}")


def _parsing_error(detail: str) -> NoReturn:
    raise IngestError(400, "request_parsing_error", f"failed to parse request: {detail}")


def payload_too_large(limit: int) -> IngestError:
    """The 413 answered when a body, before or after decompression, exceeds ``limit`` bytes."""
    return IngestError(413, "payload_too_large", f"maximum event size exceeded: {limit} bytes")


def body_read_timeout() -> IngestError:
    """The 408 answered when a client stops sending its body."""
    return IngestError(408, "body_read_timeout", "client stopped sending data")


class ValidEvent(NamedTuple):
    """One event that passed validation, with the fields ingestion derives from it."""

    event: str
    distinct_id: str
    uuid: str | None
    timestamp: str | None
    properties: dict[str, Any]
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class IngestRequest:
    """A validated request: the project token and its events, in the order sent."""

    token: str
    events: list[ValidEvent]


def gunzip_bounded(body: bytes, limit: int) -> bytes:
    """Inflate a gzip body, refusing (413) as soon as the output passes ``limit`` bytes.

    Inflating step by step with ``max_length`` keeps a gzip bomb from ever being expanded in
    memory: at most ``limit + 1`` bytes are produced before the request is refused.
    """
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    pieces: list[bytes] = []
    size = 0
    pending = body
    try:
        while not decompressor.eof:
            piece = decompressor.decompress(pending, limit - size + 1)
            pending = decompressor.unconsumed_tail
            if not piece and not pending:
                _decoding_error("gzip stream is truncated")
            size += len(piece)
            if size > limit:
                raise payload_too_large(limit)
            pieces.append(piece)
    except zlib.error as exc:
        _decoding_error(f"invalid gzip data ({exc})")
    return b"".join(pieces)


def decode_body(body: bytes, *, content_type: str, compression: str | None, limit: int) -> bytes:
    """Turn a request body into JSON text: un-gzip it, and unwrap a form's ``data`` field."""
    if body[:3] == GZIP_MAGIC or (compression in _GZIP_HINTS and body):
        body = gunzip_bounded(body, limit)
    if content_type.split(";", 1)[0].strip().lower() == _FORM_CONTENT_TYPE:
        body = form_data_field(body)
    if not body.strip():
        raise IngestError(400, "empty_payload", "request missing data payload")
    return body


def form_data_field(body: bytes) -> bytes:
    """The ``data`` field of a form-encoded body (empty when there is none)."""
    try:
        fields = parse_qs(body.decode("ascii"), keep_blank_values=True)
    except UnicodeDecodeError:
        _decoding_error("form body is not ASCII")
    values = fields.get("data")
    return values[0].encode() if values else b""


def _reject_constant(name: str) -> NoReturn:
    # Python's json module accepts NaN and Infinity; JSON (and serde) does not.
    _parsing_error(f"{name} is not valid JSON")


# A \uD800-\uDFFF escape: only then can a parsed string hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    # After parsing, an escaped pair has become one astral character, so any surrogate
    # code point left in a key or a string is a lone one.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            for key, inner in item.items():
                if _SURROGATE.search(key):
                    return True
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_json(text: bytes) -> Any:
    """Parse the decoded body; any syntax error is a 400.

    Like serde_json in real ingestion, the body must be valid UTF-8 and may not encode a
    lone surrogate, raw or as a ``\\u`` escape (Python's json module accepts both).
    """
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        _parsing_error(f"body is not valid UTF-8 ({exc.reason} at byte {exc.start})")
    try:
        parsed = json.loads(decoded, parse_constant=_reject_constant)
    except ValueError as exc:
        _parsing_error(str(exc))
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(parsed):
        _parsing_error("lone surrogate in a \\u escape")
    return parsed


def validate_token(token: str) -> str:
    """Check a project token the way the capture edge does; return it unchanged if valid."""
    reason = None
    if not token.strip():
        reason = "empty"
    elif len(token) > MAX_TOKEN_LENGTH:
        reason = "too_long"
    elif not token.isascii():
        reason = "not_ascii"
    elif "\0" in token:
        reason = "null_byte"
    elif token.startswith("phx_"):
        reason = "personal_api_key"
    if reason is not None:
        raise IngestError(403, "ingest_key_unknown", f"API key is not valid: {reason}")
    return token


def _token_of(event: dict[str, Any]) -> str | None:
    # Ingestion reads the token from `token` (aliases `$token`, `api_key`) or properties.token.
    for key in ("token", "$token", "api_key"):
        value = event.get(key)
        if value is not None:
            break
    else:
        properties = event.get("properties")
        value = properties.get("token") if isinstance(properties, dict) else None
    if value is None or isinstance(value, str):
        return value
    _parsing_error("token must be a string")


def _distinct_id_text(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = str(value)
    elif value is None:
        text = ""
    else:
        text = json.dumps(value, separators=(",", ":"))
    if not text.strip():
        raise IngestError(400, "missing_distinct_id", "event submitted without a distinct_id")
    return text[:MAX_DISTINCT_ID_LENGTH]


def validate_event(raw: Any) -> ValidEvent:
    """Validate one event and derive its distinct id; raise :class:`IngestError` if invalid."""
    if not isinstance(raw, dict):
        _parsing_error("an event must be a JSON object")
    name = raw.get("event")
    if not isinstance(name, str):
        _parsing_error("missing field `event`" if name is None else "`event` must be a string")
    if not name:
        raise IngestError(400, "missing_event_name", "event submitted with an empty event name")

    properties = raw.get("properties")
    if properties is None:
        properties = {}
    elif not isinstance(properties, dict):
        _parsing_error("`properties` must be an object")

    distinct_id = raw.get("distinct_id")
    if distinct_id is None:
        distinct_id = raw.get("$distinct_id")
        if distinct_id is None:
            distinct_id = properties.get("distinct_id")

    event_uuid = raw.get("uuid")
    if event_uuid == "":
        event_uuid = None
    elif event_uuid is not None:
        if not isinstance(event_uuid, str):
            _parsing_error("`uuid` must be a string")
        if _CANONICAL_UUID.fullmatch(event_uuid) is None:
            try:
                uuid.UUID(event_uuid)
            except ValueError:
                _parsing_error(f"invalid uuid {event_uuid!r}")

    timestamp = raw.get("timestamp")
    if timestamp is not None and not isinstance(timestamp, str):
        _parsing_error("`timestamp` must be a string")

    if distinct_id.__class__ is str and distinct_id.strip():
        # The common case, a non-blank string, is handled inline; other values are stringified.
        if len(distinct_id) > MAX_DISTINCT_ID_LENGTH:
            distinct_id = distinct_id[:MAX_DISTINCT_ID_LENGTH]
    else:
        distinct_id = _distinct_id_text(distinct_id)
    return ValidEvent(name, distinct_id, event_uuid, timestamp, properties, raw)


def _common_token(events: list[Any]) -> str:
    # As in ingestion, an event without a token next to one with a token counts as a
    # disagreement: the request could not be routed to a single project.
    if not all(isinstance(event, dict) for event in events):
        _parsing_error("an event must be a JSON object")
    tokens = {_token_of(event) for event in events}
    if len(tokens) > 1:
        raise IngestError(
            400, "unroutable_events", "batch submitted with inconsistent api_key values"
        )
    token = tokens.pop()
    if token is None:
        raise IngestError(401, "ingest_key_required", "event submitted without an api_key")
    return token


def validate_payload(payload: Any) -> IngestRequest:
    """Validate a parsed payload: an array of events, a batch envelope or a single event."""
    if isinstance(payload, list):
        raw_events: list[Any] = payload
        if not raw_events:
            raise IngestError(400, "empty_batch", "request holds no event")
        token = _common_token(raw_events)
    elif isinstance(payload, dict) and isinstance(payload.get("batch"), list):
        raw_events = payload["batch"]
        if not raw_events:
            raise IngestError(400, "empty_batch", "request holds no event")
        envelope_token = payload.get("api_key")
        if envelope_token is None:
            envelope_token = payload.get("token")
        if envelope_token is None:
            token = _common_token(raw_events)
        elif isinstance(envelope_token, str):
            token = envelope_token
        else:
            _parsing_error("api_key must be a string")
    elif isinstance(payload, dict):
        raw_events = [payload]
        found = _token_of(payload)
        if found is None:
            raise IngestError(401, "ingest_key_required", "event submitted without an api_key")
        token = found
    else:
        _parsing_error("expected an event, an array of events or a batch")
    validate_token(token)
    return IngestRequest(token=token, events=[validate_event(event) for event in raw_events])


def parse_request(
    body: bytes, *, content_type: str, compression: str | None, limit: int
) -> IngestRequest:
    """Decode, parse and validate one ingestion request body in a single pass."""
    text = decode_body(body, content_type=content_type, compression=compression, limit=limit)
    return validate_payload(parse_json(text))
