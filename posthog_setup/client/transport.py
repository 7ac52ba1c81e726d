"""How a batch body reaches the server: a small protocol and a requests-based default."""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import requests
from requests.adapters import HTTPAdapter


@dataclass(frozen=True)
class TransportResponse:
    """The part of an HTTP response the delivery logic looks at."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """Return the value of header ``name``, matched case-insensitively."""
        value = self.headers.get(name)
        if value is not None:
            return value
        wanted = name.lower()
        for key, candidate in self.headers.items():
            if key.lower() == wanted:
                return candidate
        return None


class Transport(Protocol):
    """Sends one request; raises on network errors, returns the response otherwise."""

    def send(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> TransportResponse:
        """POST ``body`` to ``url`` and return the response status and headers."""
        ...


class RequestsTransport:
    """The default transport: one keep-alive ``requests.Session`` per process."""

    def __init__(self, pool_size: int = 4) -> None:
        self._pool_size = pool_size
        self._proxies: dict[str, dict[str, str]] = {}
        self._session = self._new_session()
        # A session's pooled sockets are shared with a forked child; the child must
        # open its own connections or the two processes interleave bytes on one socket.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _renew_session(ref))

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # With trust_env, requests re-reads proxy variables and ~/.netrc on every call,
        # which costs more than the request itself on loopback. The environment is read
        # once per URL instead (see _proxies_for), and the CA bundle once here.
        session.trust_env = False
        session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self._pool_size, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def send(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> TransportResponse:
        """POST ``body`` to ``url`` and return the response status and headers."""
        response = self._session.post(
            url,
            data=body,
            headers=dict(headers),
            timeout=timeout,
            proxies=self._proxies_for(url),
        )
        # Reading the body hands the connection back to the pool for reuse.
        _ = response.content
        return TransportResponse(response.status_code, dict(response.headers))

    def _proxies_for(self, url: str) -> dict[str, str]:
        proxies = self._proxies.get(url)
        if proxies is None:
            # Honours HTTP(S)_PROXY and NO_PROXY as requests itself would.
            proxies = self._proxies[url] = dict(requests.utils.get_environ_proxies(url))
        return proxies

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()


def _renew_session(ref: weakref.ref[RequestsTransport]) -> None:
    transport = ref()
    if transport is not None:
        transport._session = transport._new_session()
