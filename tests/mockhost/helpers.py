"""Request builders and a raw-socket client shared by the mock host's tests."""

from __future__ import annotations

import socket
from collections.abc import Mapping

TOKEN = "phc_mocktesttoken"


def event(
    name: str = "signed_up", distinct_id: object = "user-1", **fields: object
) -> dict[str, object]:
    """A minimal valid event, as a test's starting point."""
    return {"event": name, "distinct_id": distinct_id, "properties": {"plan": "pro"}, **fields}


def batch(*events: Mapping[str, object], token: str = TOKEN) -> dict[str, object]:
    """A batch envelope like posthog-python sends to /batch/."""
    return {"api_key": token, "batch": list(events), "historical_migration": False}


def raw_request(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Send bytes over a fresh connection and return everything the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(request)
        chunks = []
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                break
        return b"".join(chunks)


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False
