"""The web frameworks posthog-setup supports: one sub-package each, listed in ``registry``.

A framework is one folder: its analyser (apps, routes, auth, error handlers), what it
guarantees its handlers (``Conventions``), its hook-up codemod, how verification finds
that hook-up, and the version gates of both. ``base`` is the one protocol they implement.
"""
