"""Flask-RESTX, Flask-RESTful and flask-smorest: owners, prefixes, resource classes, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posthog_setup.cli import main
from tests.analysers import analyse_project
from tests.analysis.web_helpers import (
    FIXTURES,
    analyse,
    analyse_one,
    route_rows,
    run_fixture_script,
)

# -- Flask-RESTX ------------------------------------------------------------------------


def test_blueprint_api_and_namespace_prefixes_combine() -> None:
    analysis = analyse(
        {
            "app/__init__.py": """
                from flask import Flask

                def create_app():
                    app = Flask(__name__)
                    from .api import bp
                    app.register_blueprint(bp)
                    return app
            """,
            "app/api/__init__.py": """
                from flask import Blueprint
                from flask_restx import Api

                from .todos import ns as todos
                from .notes import ns as notes

                bp = Blueprint("api", __name__, url_prefix="/api")
                api = Api(bp, prefix="/v1", doc=False)
                api.add_namespace(todos)
                api.add_namespace(notes, path="/memos")
            """,
            "app/api/todos.py": """
                from flask_restx import Namespace, Resource

                ns = Namespace("todos", description="Todo items")

                @ns.route("")
                class TodoList(Resource):
                    def get(self):
                        return []

                    @ns.expect(todo_model)
                    def post(self):
                        db.session.add(Todo())
                        db.session.commit()
                        return {}, 201

                @ns.route("/<int:todo_id>", "/by-id/<int:todo_id>")
                class TodoItem(Resource):
                    @ns.doc("delete a todo")
                    def delete(self, todo_id):
                        db.session.commit()
                        return "", 204
            """,
            "app/api/notes.py": """
                from flask_restx import Namespace, Resource

                ns = Namespace("notes", path="/notes")

                @ns.route("/")
                class NoteList(Resource):
                    def put(self):
                        db.session.commit()
            """,
        }
    )
    assert route_rows(analysis, "flask") == [
        ("/api/v1/memos/", ("PUT",), "NoteList.put", True),
        ("/api/v1/todos", ("GET",), "TodoList.get", False),
        ("/api/v1/todos", ("POST",), "TodoList.post", True),
        ("/api/v1/todos/<int:todo_id>", ("DELETE",), "TodoItem.delete", True),
        ("/api/v1/todos/by-id/<int:todo_id>", ("DELETE",), "TodoItem.delete", True),
    ]
    delete = next(r for r in analysis.routes if r.handler.name == "delete")
    assert delete.path_params == ("todo_id",)
    assert delete.view_kind == "Resource"
    assert analysis.unsupported == ()
    # The resource classes are owners only for linking: the app and blueprint are the apps.
    assert [(app.kind, app.extension) for app in analysis.apps] == [
        ("flask.Flask", None),
        ("flask.Blueprint", None),
        ("flask.Api", "Flask-RESTX"),
        ("flask.Namespace", "Flask-RESTX"),
        ("flask.Namespace", "Flask-RESTX"),
    ]


def test_api_on_the_app_with_init_app_and_a_namespace_made_by_the_api() -> None:
    analysis = analyse(
        {
            "service/api.py": """
                from flask_restx import Api, Resource

                api = Api(prefix="/api", doc=False)
                orders = api.namespace("orders", path="/order-book")

                @orders.route("/<string:ref>/cancel")
                class CancelOrder(Resource):
                    def post(self, ref):
                        db.session.commit()

                @api.route("/status")
                class Status(Resource):
                    def get(self):
                        return {}
            """,
            "service/app.py": """
                from flask import Flask

                from .api import api

                def create_app():
                    app = Flask(__name__)
                    api.init_app(app)
                    return app
            """,
        }
    )
    assert route_rows(analysis, "flask") == [
        ("/api/order-book/<string:ref>/cancel", ("POST",), "CancelOrder.post", True),
        ("/api/status", ("GET",), "Status.get", False),
    ]


def test_a_resource_class_defined_elsewhere_takes_every_path_it_is_added_at() -> None:
    analysis = analyse(
        {
            "shop/resources/carts.py": """
                from flask_restx import Resource

                class CartItems(Resource):
                    def post(self, cart_id):
                        db.session.commit()
                        return {}, 201

                class NeverAdded(Resource):
                    def post(self):
                        db.session.commit()
            """,
            "shop/resources/__init__.py": """
                from .carts import CartItems
            """,
            "shop/app.py": """
                from flask import Flask
                from flask_restx import Api

                from .resources import CartItems

                app = Flask(__name__)
                api = Api(app)
                api.add_resource(CartItems, "/carts/<int:cart_id>/items", "/c/<int:cart_id>/i")
            """,
        }
    )
    assert route_rows(analysis, "flask") == [
        ("/c/<int:cart_id>/i", ("POST",), "CartItems.post", True),
        ("/carts/<int:cart_id>/items", ("POST",), "CartItems.post", True),
    ]


def test_a_method_view_served_through_as_view_is_not_counted_twice() -> None:
    analysis = analyse_one(
        """
        from flask import Blueprint
        from flask.views import MethodView

        bp = Blueprint("items", __name__, url_prefix="/items")

        class ItemAPI(MethodView):
            def post(self):
                db.session.commit()

        bp.add_url_rule("/", view_func=ItemAPI.as_view("items"))
        """
    )
    assert route_rows(analysis, "flask") == [("/items/", ("POST",), "ItemAPI.post", True)]


def test_a_class_with_verb_methods_that_nothing_registers_is_no_route() -> None:
    analysis = analyse_one(
        """
        from flask import Flask
        from flask_restx import Resource

        from .base import Exporter

        app = Flask(__name__)

        class Draft(Resource):
            def post(self):
                db.session.commit()

        class CsvExport(Exporter):
            def delete(self):
                db.session.commit()
        """
    )
    assert route_rows(analysis, "flask") == []


def test_a_resource_named_for_a_query_changes_nothing() -> None:
    analysis = analyse_one(
        """
        from flask import Flask, request
        from flask_restx import Api, Resource

        app = Flask(__name__)
        api = Api(app)

        @api.route("/books/search")
        class BookSearch(Resource):
            def post(self):
                return {"books": find(request.json["q"])}

        @api.route("/books/reindex")
        class BookSearchIndex(Resource):
            def post(self):
                db.session.commit()
        """
    )
    assert route_rows(analysis, "flask") == [
        ("/books/search", ("POST",), "BookSearch.post", False),
        ("/books/reindex", ("POST",), "BookSearchIndex.post", True),
    ]


def test_error_handlers_on_the_api_and_a_namespace() -> None:
    analysis = analyse_one(
        """
        from flask import Flask
        from flask_restx import Api, Namespace
        from werkzeug.exceptions import HTTPException

        app = Flask(__name__)
        api = Api(app)
        ns = Namespace("things")
        api.add_namespace(ns)

        @api.errorhandler(HTTPException)
        def http_error(error):
            return {"message": error.description}, error.code

        @ns.errorhandler(KeyError)
        def missing(error):
            return {"message": "missing"}, 404

        @api.errorhandler(Exception)
        def unexpected(error):
            return {"message": "internal error"}, 500
        """
    )
    found = {h.handler.name: (h.handles, h.server_error) for h in analysis.error_handlers}
    # Flask-RESTX answers an unhandled error itself: an HTTPException handler never sees it.
    assert found == {
        "http_error": (("werkzeug.exceptions.HTTPException",), False),
        "missing": (("KeyError",), False),
        "unexpected": (("Exception",), True),
    }


def test_the_user_and_signup_in_resource_methods() -> None:
    analysis = analyse_one(
        """
        from flask import Flask, request
        from flask_login import current_user, login_user
        from flask_restx import Api, Resource

        app = Flask(__name__)
        api = Api(app)

        @api.route("/join")
        class Join(Resource):
            def post(self):
                member = Member(name=request.json["name"])
                db.session.add(member)
                db.session.commit()
                login_user(member)
                return {}, 201

        @api.route("/notes")
        class Notes(Resource):
            def post(self):
                db.session.add(Note(author_id=current_user.id))
                db.session.commit()
        """
    )
    [signup] = analysis.auth_points
    assert (signup.kind, signup.handler.qualname, signup.user_expression) == (
        "signup",
        "Join.post",
        "member",
    )
    notes = next(r for r in analysis.routes if r.handler.qualname == "Notes.post")
    assert notes.user_access is not None
    assert notes.user_access.kind == "flask_login.current_user"


# -- Flask-RESTful ----------------------------------------------------------------------


def test_flask_restful_prefix_add_resource_and_resource_decorator() -> None:
    analysis = analyse(
        {
            "todo/resources.py": """
                from flask_restful import Resource

                class TodoList(Resource):
                    def get(self):
                        return []

                    def post(self):
                        db.session.commit()
                        return {}, 201
            """,
            "todo/app.py": """
                from flask import Blueprint, Flask
                import flask_restful

                from .resources import TodoList

                app = Flask(__name__)
                bp = Blueprint("api", __name__, url_prefix="/api")
                api = flask_restful.Api(bp, "/v2")
                api.add_resource(TodoList, "/todos", endpoint="todos")

                @api.resource("/todos/<int:todo_id>")
                class Todo(flask_restful.Resource):
                    def delete(self, todo_id):
                        db.session.commit()

                app.register_blueprint(bp)
            """,
        }
    )
    assert route_rows(analysis, "flask") == [
        ("/api/v2/todos/<int:todo_id>", ("DELETE",), "Todo.delete", True),
        ("/api/v2/todos", ("GET",), "TodoList.get", False),
        ("/api/v2/todos", ("POST",), "TodoList.post", True),
    ]


# -- flask-smorest ----------------------------------------------------------------------


def test_smorest_blueprints_with_method_views_and_functions() -> None:
    analysis = analyse(
        {
            "pets/views.py": """
                from flask.views import MethodView
                from flask_smorest import Blueprint

                blp = Blueprint("pets", __name__, url_prefix="/pets", description="Pets")

                @blp.route("/")
                class Pets(MethodView):
                    @blp.response(200, PetSchema(many=True))
                    def get(self):
                        return Pet.query.all()

                    @blp.arguments(PetSchema)
                    @blp.response(201, PetSchema)
                    def post(self, new_pet):
                        pet = Pet(**new_pet)
                        db.session.add(pet)
                        db.session.commit()
                        return pet

                @blp.route("/<int:pet_id>/adopt", methods=["POST"])
                def adopt(pet_id):
                    db.session.commit()
                    return {}
            """,
            "pets/app.py": """
                from flask import Flask
                from flask_smorest import Api

                from .views import blp

                app = Flask(__name__)
                api = Api(app)
                api.register_blueprint(blp, url_prefix="/animals")
            """,
        }
    )
    # A url_prefix given at registration replaces the blueprint's own, as in Flask.
    assert route_rows(analysis, "flask") == [
        ("/animals/", ("GET",), "Pets.get", False),
        ("/animals/", ("POST",), "Pets.post", True),
        ("/animals/<int:pet_id>/adopt", ("POST",), "adopt", True),
    ]
    post = next(r for r in analysis.routes if r.handler.qualname == "Pets.post")
    assert post.handler.params == ("self", "new_pet")


@pytest.mark.parametrize(
    "decorator",
    ['@cache.route("/x")', '@resource("/x")', "@dataclass"],
    ids=["another object's route", "a bare function", "no call"],
)
def test_class_decorators_that_are_not_rest_routes(decorator: str) -> None:
    analysis = analyse_one(
        f"""
        from flask import Flask
        from flask_restx import Resource

        app = Flask(__name__)
        cache = Cache()

        {decorator}
        class Thing(Resource):
            def post(self):
                db.session.commit()
        """
    )
    assert route_rows(analysis, "flask") == []


# -- the fixture, against the URL map Flask-RESTX builds ----------------------------------


def test_fixture_routes_match_the_url_map_flask_restx_builds() -> None:
    analysis = analyse_project(FIXTURES / "flask_restx_shelf", use_cache=False)
    found = sorted({(r.path, m) for r in analysis.routes for m in r.methods if r.path != "/health"})
    output = run_fixture_script(
        "flask_restx_shelf",
        """
        import json
        from shelf import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
        rules = sorted(
            (rule.rule, method)
            for rule in app.url_map.iter_rules()
            # The API's own documentation endpoints are not the project's routes.
            if rule.endpoint.startswith("api.") and rule.endpoint not in ("api.root", "api.specs")
            for method in rule.methods - {"HEAD", "OPTIONS"}
        )
        print(json.dumps(rules))
        """,
    )
    built = [tuple(pair) for pair in json.loads(output.splitlines()[-1])]
    assert found == built
    mutating = sorted(
        (r.path, r.methods[0]) for r in analysis.routes if r.mutating and r.methods[0] != "GET"
    )
    # Logging in and searching change nothing; every other POST, PATCH and DELETE writes.
    assert mutating == [
        ("/api/v1/auth/logout", "POST"),
        ("/api/v1/auth/signup", "POST"),
        ("/api/v1/books", "POST"),
        ("/api/v1/books/<int:book_id>", "DELETE"),
        ("/api/v1/books/<int:book_id>", "PATCH"),
        ("/api/v1/books/<int:book_id>/loan", "POST"),
        ("/api/v1/books/<int:book_id>/reviews", "POST"),
    ]


# -- Flask-RESTful and flask-smorest, against the URL maps they build ---------------------

_RESTFUL_APP = {
    "todo/__init__.py": "",
    "todo/resources.py": """
        from flask_restful import Resource

        class TodoList(Resource):
            def get(self):
                return []

            def post(self):
                return {}, 201

        class TodoItem(Resource):
            def put(self, todo_id):
                return {}

            def delete(self, todo_id):
                return "", 204
    """,
    "todo/app.py": """
        from flask import Blueprint, Flask
        from flask_restful import Api

        from .resources import TodoItem, TodoList

        def create_app():
            app = Flask(__name__)
            bp = Blueprint("api", __name__, url_prefix="/api")
            api = Api(bp, "/v2")
            api.add_resource(TodoList, "/todos", "/tasks")
            api.add_resource(TodoItem, "/todos/<int:todo_id>")
            app.register_blueprint(bp)
            return app
    """,
}

_SMOREST_APP = {
    "pets/__init__.py": "",
    "pets/views.py": """
        from flask.views import MethodView
        from flask_smorest import Blueprint

        blp = Blueprint("pets", __name__, url_prefix="/pets")

        @blp.route("/")
        class Pets(MethodView):
            def get(self):
                return []

            def post(self):
                return {}

        @blp.route("/<int:pet_id>")
        class PetById(MethodView):
            def patch(self, pet_id):
                return {}

        @blp.route("/<int:pet_id>/adopt", methods=["POST"])
        def adopt(pet_id):
            return {}
    """,
    "pets/app.py": """
        from flask import Flask
        from flask_smorest import Api

        from .views import blp

        def create_app():
            app = Flask(__name__)
            app.config.update(API_TITLE="Pets", API_VERSION="1", OPENAPI_VERSION="3.0.2")
            api = Api(app)
            api.register_blueprint(blp, url_prefix="/animals")
            return app
    """,
}

_URL_MAP = """
import json, sys
sys.path.insert(0, ".")
module = __import__(sys.argv[1], fromlist=["create_app"])
app = module.create_app()
print(json.dumps(sorted(
    (rule.rule, method)
    for rule in app.url_map.iter_rules()
    if rule.endpoint != "static" and not rule.endpoint.startswith("api-docs")
    for method in rule.methods - {"HEAD", "OPTIONS"}
)))
"""


@pytest.mark.parametrize(
    ("sources", "module"),
    [(_RESTFUL_APP, "todo.app"), (_SMOREST_APP, "pets.app")],
    ids=["flask-restful", "flask-smorest"],
)
def test_routes_match_the_url_map_the_extension_builds(
    sources: dict[str, str], module: str, tmp_path: Path
) -> None:
    for file, text in sources.items():
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text(textwrap.dedent(text))
    done = subprocess.run(
        [sys.executable, "-c", _URL_MAP, module],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    built = [tuple(pair) for pair in json.loads(done.stdout.splitlines()[-1])]
    assert len(built) >= 4
    analysis = analyse(sources)
    assert sorted((r.path, m) for r in analysis.routes for m in r.methods) == built


def test_begin_names_the_extensions_it_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for file, text in {**_RESTFUL_APP, **_SMOREST_APP}.items():
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text(textwrap.dedent(text))
    (tmp_path / "requirements.txt").write_text("flask-restful\nflask-smorest\n")
    assert main(["begin", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "Flask (Flask-RESTful, flask-smorest) · pip" in err.splitlines()[0]
    assert "not supported yet" not in err
    assert "/animals/<int:pet_id>/adopt" in err


def test_flask_restplus_is_read_as_flask_restx_the_package_it_became() -> None:
    # The same API under its earlier name: an older project's whole API was invisible.
    analysis = analyse(
        {
            "shop/__init__.py": """
                from flask import Flask
                from flask_restplus import Api

                from shop.crates import ns

                app = Flask(__name__)
                api = Api(app, prefix="/api")
                api.add_namespace(ns)
            """,
            "shop/crates.py": """
                from flask_restplus import Namespace, Resource

                ns = Namespace("crates")

                @ns.route("/")
                class Crates(Resource):
                    def post(self):
                        db.session.add(Crate())
                        db.session.commit()
                        return {}, 201
            """,
        }
    )
    assert route_rows(analysis, "flask") == [("/api/crates/", ("POST",), "Crates.post", True)]
    assert [(app.kind, app.extension) for app in analysis.apps] == [
        ("flask.Flask", None),
        ("flask.Api", "Flask-RESTPlus"),
        ("flask.Namespace", "Flask-RESTPlus"),
    ]
