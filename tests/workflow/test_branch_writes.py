"""A change made in each branch of an ``if`` is captured once, after it: captured after
the branch that writes last, the change the other branch makes sent nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path

from posthog_setup.cli import main

APP = """\
from flask import Flask, redirect, request
from flask_login import current_user, login_required
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class Address(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    street = db.Column(db.String)


class Order(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    address_id = db.Column(db.Integer)


@app.post("/orders/<int:order_id>/address")
@login_required
def set_address(order_id):
    order = db.get_or_404(Order, order_id)
    if request.form.get("saved"):
        address = db.session.get(Address, int(request.form["saved"]))
        if address is None:
            return redirect("/checkout")
        order.address_id = address.id
        db.session.commit()
    else:
        address = Address(street=request.form["street"])
        db.session.add(address)
        db.session.flush()
        order.address_id = address.id
        db.session.commit()
    return redirect(f"/orders/{order_id}/pay")
"""


def test_a_change_each_branch_makes_is_captured_after_the_branches(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    (project / "requirements.txt").write_text("flask\nflask-login\nflask-sqlalchemy\n")
    (project / "app.py").write_text(textwrap.dedent(APP))
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    lines = (project / "app.py").read_text().splitlines()
    captures = [i for i, line in enumerate(lines) if "posthog_client.capture(" in line]
    assert len(captures) == 1
    # Right after the if/else, at the handler's own indentation, before the success return.
    before = lines[captures[0] - 1]
    assert before == "        db.session.commit()"
    assert lines[captures[0]].startswith("    posthog_client.capture(")
    assert 'return redirect(f"/orders/{order_id}/pay")' in "\n".join(lines[captures[0] :])
    assert main(["revise", "--check", str(project)]) == 0
