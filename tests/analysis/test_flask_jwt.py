"""flask-jwt-extended in the Flask analysis: who the user of a handler is, which token
calls are logins, and the key a login identifies with."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis
from tests.analysis.web_helpers import analyse, analyse_one

APP = """\
from flask import Flask, request
import flask_jwt_extended as fje
from flask_jwt_extended import create_access_token, jwt_required, get_jwt_identity

app = Flask(__name__)


@app.post("/token")
def token():
    user = User.query.filter_by(name=request.json["name"]).first()
    return {"token": create_access_token(identity=user.{key})}


@app.post("/items")
@fje.jwt_required()
def add_item():
    db.session.add(Item())
    db.session.commit()
    return "", 201


@app.post("/later")
@jwt_required(True)
def later():
    db.session.add(Item())
    db.session.commit()
    return "", 201


@app.post("/read-first")
def read_first():
    owner = get_jwt_identity()
    db.session.add(Item(owner=owner))
    db.session.commit()
    return "", 201
"""


def _users(analysis: Analysis) -> dict[str, tuple[str, bool] | None]:
    return {
        r.handler.qualname: (r.user_access.id_expression, r.user_access.contract)
        if r.user_access
        else None
        for r in analysis.routes
    }


def test_the_token_identity_is_the_user_where_a_token_is_required() -> None:
    users = _users(analyse_one(APP.replace("{key}", "id")))
    assert users["add_item"] == ("get_jwt_identity()", True)
    # optional=True (positionally): the identity may be None, so it is not a contract.
    assert users["later"] is None
    # Read by the handler itself: safe after it did, not anywhere.
    assert users["read_first"] == ("get_jwt_identity()", False)


def test_a_route_that_issues_a_token_is_a_login_keyed_by_its_identity() -> None:
    analysis = analyse_one(APP.replace("{key}", "id"))
    [point] = analysis.auth_points
    assert (point.kind, point.handler.qualname, point.user_expression) == ("login", "token", "user")
    assert analysis.conventions("flask").login_key(point) == "user.id"


REFRESH = """\
from flask import Flask
from flask_jwt_extended import create_access_token, get_jwt_identity, {guard}

app = Flask(__name__)


@app.post("/token/renew")
@{guard}
def renew():
    return {{"token": create_access_token(identity=get_jwt_identity())}}
"""


def test_a_route_that_renews_a_token_it_requires_logs_nobody_in() -> None:
    for guard in ("jwt_refresh_token_required", "fresh_jwt_required"):
        analysis = analyse_one(REFRESH.format(guard=guard))
        assert analysis.auth_points == ()
        assert _users(analysis)["renew"] == ("get_jwt_identity()", True)


def test_an_identity_that_reads_as_personal_data_is_no_key() -> None:
    analysis = analyse_one(APP.replace("{key}", "email"))
    [point] = analysis.auth_points
    assert analysis.conventions("flask").login_key(point) is None
    # Nor is the identity every event's distinct id.
    assert _users(analysis)["add_item"] is None


LOADED = """\
from flask import Flask, request
from flask_jwt_extended import JWTManager, create_access_token

app = Flask(__name__)
jwt = JWTManager(app)
{loader}

@app.post("/token")
def token():
    user = User.query.filter_by(name=request.json["name"]).first()
    return {{"token": create_access_token(identity=user)}}
"""


def test_an_identity_loader_keys_the_login_by_what_it_reads() -> None:
    decorated = LOADED.format(
        loader='@jwt.user_identity_loader\ndef identity(user):\n    """Key."""\n    return user.uuid\n'
    )
    [point] = analyse_one(decorated).auth_points
    # the token holds loader(user), which get_jwt_identity() answers on later requests
    assert (point.user_expression, point.key) == ("user", "user.uuid")


def test_an_identity_loader_registered_by_reference_in_another_module() -> None:
    analysis = analyse(
        {
            "app/keys.py": "from flask import current_app\n\ndef identity_of(user):\n    return str(user.id)\n",
            "app/main.py": LOADED.format(
                loader="from app.keys import identity_of\njwt.user_identity_loader(identity_of)\n"
            ),
        }
    )
    [point] = analysis.auth_points
    assert point.key == "user.id"


def test_an_identity_loader_we_cannot_read_keys_nothing() -> None:
    unreadable = LOADED.format(
        loader="@jwt.user_identity_loader\ndef identity(user):\n    return {'id': user.id}\n"
    )
    [point] = analyse_one(unreadable).auth_points
    # ``str(user)`` would not be the identity later requests carry: no key at all
    assert point.key is None


def test_without_a_loader_the_identity_is_the_key() -> None:
    [point] = analyse_one(LOADED.format(loader="")).auth_points
    assert point.key == "user"
