"""A project that set PostHog up itself keeps its client: edited code sends through it.

Three ways a project sets its client up, each in a small project of our own: a client
bound to a module-level name (imported by edited code), the posthog module's own client
configured at start-up (edited code calls ``posthog.*``), and a client built inside a
function (nothing can import it: nothing is instrumented, and nobody gets a second
client). The first two are edited, checked by ``revise --check``, run again, and then
served against the mock host with the official SDK.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.mockhost import MockPostHogHost, RecordedEvent

ANALYTICS = """\
import os

from posthog import Posthog

analytics = Posthog(
    os.environ.get("SHOP_ANALYTICS_KEY", ""),
    host=os.environ.get("SHOP_ANALYTICS_HOST", "https://eu.i.posthog.com"),
    disabled=not os.environ.get("SHOP_ANALYTICS_KEY"),
)
"""

FACTORY_WITH_DEFAULT_CLIENT = """\
import os

import posthog
from flask import Flask


def create_app():
    app = Flask(__name__)
    posthog.project_api_key = os.environ.get("SHOP_ANALYTICS_KEY", "")
    posthog.host = os.environ.get("SHOP_ANALYTICS_HOST", "https://eu.i.posthog.com")

    from shop.views import bp

    app.register_blueprint(bp)
    return app
"""

FACTORY = """\
from flask import Flask


def create_app():
    app = Flask(__name__)

    from shop.views import bp

    app.register_blueprint(bp)
    return app
"""

VIEWS = """\
from flask import Blueprint, jsonify, request

bp = Blueprint("shop", __name__)
ORDERS = {}


@bp.post("/orders")
def create_order():
    order_id = len(ORDERS) + 1
    ORDERS[order_id] = request.get_json()["item"]
    return jsonify(id=order_id), 201


@bp.get("/orders")
def list_orders():
    return jsonify(sorted(ORDERS))
"""

SCRIPT = """\
import json

from shop import create_app

app = create_app()
answer = app.test_client().post("/orders", json={"item": "tea"})
FLUSH
print(json.dumps({"status": answer.status_code}))
"""


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "shop_app"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "requirements.txt").write_text("flask\nposthog\n", encoding="utf-8")
    return root


def served(root: Path, flush: str) -> tuple[int, list[RecordedEvent]]:
    """Post an order through the edited app, its client pointed at the mock host."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTHOG_")}
    with MockPostHogHost() as host:
        env |= {
            "PYTHONPATH": str(root),
            "SHOP_ANALYTICS_KEY": "phc_existing",
            "SHOP_ANALYTICS_HOST": host.url,
        }
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT.replace("FLUSH", flush)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        status = json.loads(done.stdout.splitlines()[-1])["status"]
        return status, host.events()


def edited_twice(root: Path) -> dict[str, str]:
    """Edit, check that nothing is left to fix, edit again; the Python files after."""
    assert main(["edit", "-q", str(root)]) == 0
    after = {str(p.relative_to(root)): p.read_text("utf-8") for p in root.rglob("*.py")}
    assert main(["revise", "--check", str(root)]) == 0
    assert main(["edit", "-q", str(root)]) == 0
    again = {str(p.relative_to(root)): p.read_text("utf-8") for p in root.rglob("*.py")}
    assert again == after
    return after


def test_a_module_level_client_is_imported_by_the_edited_code(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {"shop/__init__.py": FACTORY, "shop/analytics.py": ANALYTICS, "shop/views.py": VIEWS},
    )
    files = edited_twice(root)
    assert "shop/posthog_client.py" not in files
    assert files["shop/analytics.py"] == ANALYTICS
    assert "from shop.analytics import analytics" in files["shop/views.py"]
    assert 'analytics.capture("order_created"' in files["shop/views.py"]
    assert "PosthogFlaskIntegration(app, client=analytics)" in files["shop/__init__.py"]
    plan = json.loads((root / "posthog-events.json").read_text("utf-8"))["setup"]
    assert (plan["client_module"], plan["client_name"], plan["adopted"]) == (
        "shop/analytics.py",
        "analytics",
        "client",
    )

    status, events = served(root, "from shop.analytics import analytics\nanalytics.flush()")
    assert status == 201
    assert [e.event for e in events] == ["order_created"]


MEMBERS_FACTORY = FACTORY.replace(
    "from flask import Flask\n", "from flask import Flask\nfrom flask_login import LoginManager\n"
).replace("    app = Flask(__name__)\n", "    app = Flask(__name__)\n    LoginManager(app)\n")

MEMBERS_VIEWS = VIEWS.replace(
    "from flask import Blueprint, jsonify, request\n",
    "from flask import Blueprint, jsonify, request\nfrom flask_login import current_user\n",
).replace('request.get_json()["item"]', '(current_user.get_id(), request.get_json()["item"])')


@pytest.mark.parametrize("autocapture", [False, True])
def test_errors_go_through_a_receiver_only_where_the_client_autocaptures_them(
    tmp_path: Path, autocapture: bool
) -> None:
    """The integration captures unhandled errors only with exception autocapture on; its
    receiver that sends them as the logged-in user must capture no more than it would."""
    analytics = (
        ANALYTICS.replace("    disabled=", "    enable_exception_autocapture=True,\n    disabled=")
        if autocapture
        else ANALYTICS
    )
    root = project(
        tmp_path,
        {
            "shop/__init__.py": MEMBERS_FACTORY,
            "shop/analytics.py": analytics,
            "shop/views.py": MEMBERS_VIEWS,
        },
    )
    app = edited_twice(root)["shop/__init__.py"]
    if autocapture:
        assert "PosthogFlaskIntegration(app, client=analytics, capture_exceptions=False)" in app
        assert "got_request_exception.connect(capture_server_error, app)" in app
    else:
        assert "PosthogFlaskIntegration(app, client=analytics)\n" in app
        assert "got_request_exception" not in app


def test_the_posthog_module_client_configured_at_start_up_is_called_as_posthog(
    tmp_path: Path,
) -> None:
    root = project(
        tmp_path, {"shop/__init__.py": FACTORY_WITH_DEFAULT_CLIENT, "shop/views.py": VIEWS}
    )
    files = edited_twice(root)
    assert "shop/posthog_client.py" not in files
    assert "import posthog\n" in files["shop/views.py"]
    assert 'posthog.capture("order_created"' in files["shop/views.py"]
    assert "posthog_client" not in "".join(files.values())
    # The integration reports through the posthog module's client: it is given none.
    assert "PosthogFlaskIntegration(app)\n" in files["shop/__init__.py"]

    status, events = served(root, "import posthog\nposthog.flush()")
    assert status == 201
    assert [e.event for e in events] == ["order_created"]


TODO_CLI = '''\
"""Keeps a list of things to do in a JSON file."""

import argparse
import json
import os

from posthog import Posthog

STORE = "todo.json"


def make_client():
    key = os.environ.get("TODO_ANALYTICS_KEY")
    return Posthog(key, host="https://eu.i.posthog.com") if key else None


def track(client, event_name, properties=None):
    if client:
        client.capture(event_name, distinct_id="cli", properties=properties or {})


def load():
    if not os.path.exists(STORE):
        return []
    with open(STORE, encoding="utf-8") as stream:
        return json.load(stream)


def save(items):
    with open(STORE, "w", encoding="utf-8") as stream:
        json.dump(items, stream)


def cmd_add(text, client):
    items = load()
    items.append(text)
    save(items)
    track(client, "item_added", {"count": len(items)})


def cmd_clear(args, client):
    save([])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["add", "clear"])
    parser.add_argument("text", nargs="?")
    args = parser.parse_args()
    client = make_client()
    if args.command == "add":
        cmd_add(args.text, client)
    else:
        cmd_clear(args, client)


if __name__ == "__main__":
    main()
'''


def test_a_client_built_inside_a_function_gets_no_second_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "todo"
    root.mkdir()
    (root / "todo.py").write_text(TODO_CLI, encoding="utf-8")
    (root / "requirements.txt").write_text("posthog\n", encoding="utf-8")
    assert main(["edit", str(root)]) == 0
    out = capsys.readouterr()
    # Nothing can import the client: no code changes, and the reason is given.
    assert (root / "todo.py").read_text("utf-8") == TODO_CLI
    assert not (root / "posthog_client.py").exists()
    assert "todo.py:14: the project sets up its PostHog client inside a function" in out.err
    plan = json.loads((root / "posthog-events.json").read_text("utf-8"))
    # The event a wrapper sends is the project's, kept; the clear command sends none.
    assert [e["event"] for e in plan["events"]] == ["item_added"]
    assert main(["conclude", str(root)]) == 0
    report = capsys.readouterr().err
    assert "1 of 1 events" in report
    assert "the project's own client, set up in todo.py inside a function" in report


OWN_MIDDLEWARE = """\
from posthog import identify_context, new_context


class AnalyticsContext:
    \"\"\"Ties each request's events to its user.\"\"\"

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        with new_context():
            user = scope.get("headers", {})
            if user:
                identify_context("someone")
            await self.app(scope, receive, send)
"""

FASTAPI_APP = """\
import os

import posthog
from fastapi import FastAPI

from shop.context import AnalyticsContext

posthog.project_api_key = os.environ.get("SHOP_ANALYTICS_KEY", "")

app = FastAPI()
app.add_middleware(AnalyticsContext)
ORDERS = []


@app.post("/orders")
def create_order(item: str):
    ORDERS.append(item)
    return {"id": len(ORDERS)}
"""


def test_a_middleware_of_the_project_that_opens_the_context_is_its_hook_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(
        tmp_path,
        {"shop/__init__.py": "", "shop/context.py": OWN_MIDDLEWARE, "shop/main.py": FASTAPI_APP},
    )
    files = edited_twice(root)
    # No second request context beside the project's own: the SDK's middleware is left out.
    assert "PosthogASGIMiddleware" not in files["shop/main.py"]
    assert 'posthog.capture("order_created"' in files["shop/main.py"]
    capsys.readouterr()
    main(["conclude", str(root)])
    report = capsys.readouterr().err
    assert "hook-up: AnalyticsContext (the project's own) at shop/context.py:4" in report
    assert "no PosthogASGIMiddleware hook-up" not in report


VIEWS_WITH_A_LOCAL_POSTHOG = """\
from flask import Blueprint, jsonify, request

bp = Blueprint("shop", __name__)
ORDERS = {}


@bp.post("/orders")
def create_order(posthog=None):
    order_id = len(ORDERS) + 1
    ORDERS[order_id] = request.get_json()["item"]
    return jsonify(id=order_id), 201


@bp.delete("/orders/<int:order_id>")
def delete_order(order_id):
    ORDERS.pop(order_id, None)
    return "", 204
"""


def test_a_handler_that_binds_the_client_name_itself_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(
        tmp_path,
        {
            "shop/__init__.py": FACTORY_WITH_DEFAULT_CLIENT,
            "shop/views.py": VIEWS_WITH_A_LOCAL_POSTHOG,
        },
    )
    assert main(["edit", str(root)]) == 0
    views = (root / "shop" / "views.py").read_text("utf-8")
    # ``posthog`` in create_order is its own parameter: posthog.capture there would call it.
    create = views[views.index("def create_order") : views.index("def delete_order")]
    assert "capture" not in create
    assert 'posthog.capture("order_deleted"' in views
    assert "binds the name posthog itself" in capsys.readouterr().err


def test_a_client_object_called_posthog_is_imported_not_taken_for_the_module(
    tmp_path: Path,
) -> None:
    # ``posthog = Posthog(...)``: the name of the package, bound to the project's client.
    analytics = ANALYTICS.replace("analytics = Posthog(", "posthog = Posthog(")
    root = project(
        tmp_path,
        {"shop/__init__.py": FACTORY, "shop/analytics.py": analytics, "shop/views.py": VIEWS},
    )
    files = edited_twice(root)
    assert "from shop.analytics import posthog\n" in files["shop/views.py"]
    assert 'posthog.capture("order_created"' in files["shop/views.py"]
    assert "PosthogFlaskIntegration(app, client=posthog)" in files["shop/__init__.py"]

    status, events = served(root, "from shop.analytics import posthog\nposthog.flush()")
    assert status == 201
    assert [e.event for e in events] == ["order_created"]
