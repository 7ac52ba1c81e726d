"""Properties from what the handler itself computed or is: its own tallies, the key of a
model whose method handles the request, objects a project service's annotated method
returned."""

from __future__ import annotations

import textwrap

from posthog_setup.plan.plan import build_plan
from tests.analysers import analyse_sources


def _properties(sources: dict[str, str]) -> dict[str, tuple[tuple[str, str, str], ...]]:
    analysis = analyse_sources({f: textwrap.dedent(s) for f, s in sources.items()})
    plan = build_plan(analysis, client_module="posthog_client.py")
    return {
        e.event: tuple((p.name, p.value, p.type) for p in e.properties)
        for e in plan.events
        if e.kind == "capture"
    }


TALLIES = """\
    from flask import Flask

    from app.db import db
    from app.models import Session

    app = Flask(__name__)


    @app.post("/sessions/revoke")
    def revoke_sessions():
        revoked_count = 0
        for session in Session.query.all():
            if session.stale:
                db.session.delete(session)
                revoked_count += 1
        db.session.commit()
        return {"revoked": revoked_count}


    @app.post("/sessions/prune")
    def prune_sessions():
        count = 0
        for session in Session.query.all():
            db.session.delete(session)
            count = count * 2
        db.session.commit()
        return {"ok": True}


    @app.post("/sessions/expire")
    def expire_sessions():
        total = 0
        for total, session in enumerate(Session.query.all()):
            db.session.delete(session)
        db.session.commit()
        return {"ok": True}


    @app.post("/sessions/close")
    def close_sessions():
        for session in Session.query.all():
            closed_count = 0
            db.session.delete(session)
            closed_count += 1
        db.session.commit()
        return {"ok": True}
"""


def test_a_counter_the_handler_keeps_is_a_property_only_while_it_is_a_plain_tally() -> None:
    events = _properties({"app/views.py": TALLIES})
    assert events["session_revoked"] == (("revoked_count", "revoked_count", "integer"),)
    # Rebound by other than ``+=`` / ``-=``, rebound by a loop, or not bound on every path
    # to the capture: no property.
    assert events["prune_created"] == ()
    assert events["expire_created"] == ()
    assert events["session_closed"] == ()
