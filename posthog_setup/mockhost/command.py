"""``posthog-setup mock-host``: run the mock host in the foreground until Ctrl-C."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

from posthog_setup.exits import Exit
from posthog_setup.mockhost.server import MockPostHogHost
from posthog_setup.mockhost.store import Rejection


def _print_rejection(rejection: Rejection) -> None:
    # The app's SDK swallows these 4xx answers; the terminal is where they become visible.
    print(rejection.describe(), file=sys.stderr, flush=True)


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8010,
    record: Path | None = None,
    *,
    quiet: bool = False,
    verbose: bool = False,
) -> int:
    """Serve until interrupted; return the process exit code (0 on Ctrl-C, 2 if unable to bind).

    ``quiet`` prints only the listening line and errors; ``verbose`` adds a line per request.
    """
    mock = MockPostHogHost(host, port, record=record, on_rejected=_print_rejection)
    try:
        server = mock.bind()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            reason = f"port {port} is already in use (choose another with --port)"
        else:
            reason = exc.strerror or str(exc)
        print(f"error: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        mock.stop()
        return Exit.ERROR

    server.log_requests = verbose and not quiet
    # The URL is what scripts need, so it is printed even under --quiet.
    print(f"Mock PostHog host listening on {mock.url}", flush=True)
    if not quiet:
        print(f"Set POSTHOG_HOST={mock.url}", flush=True)
        print(f"Live events page: {mock.url}/  (Ctrl-C to stop)", flush=True)
        if record is not None:
            print(f"Recording accepted events to {record}", flush=True)
        if host not in ("127.0.0.1", "localhost", "::1"):
            print(
                f"warning: listening on {host}, not only on loopback", file=sys.stderr, flush=True
            )
    try:
        mock.serve_forever()
    except KeyboardInterrupt:
        if not quiet:
            print("Mock PostHog host stopped.", file=sys.stderr, flush=True)
    finally:
        mock.stop()
    return Exit.OK
