"""The FastAPI analyser: routes, routers and prefixes, dependencies, exception handlers, auth."""

from __future__ import annotations

import pytest

from posthog_setup.analysis.model import UserAccess
from posthog_setup.frameworks.fastapi.analysis import analyser
from posthog_setup.plan.plan import build_plan
from tests.analysers import analyse_project
from tests.analysis.web_helpers import (
    FIXTURES,
    analyse,
    analyse_one,
    route_rows,
    run_fixture_script,
)

DEPENDS_USER = UserAccess("fastapi.Depends", "user.id", None)

# -- routes -------------------------------------------------------------------------------


def test_verb_decorators_api_route_and_add_api_route() -> None:
    analysis = analyse_one(
        """
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/items")
        async def list_items():
            return []

        @app.post("/items")
        async def create_item():
            return {}

        @app.put("/items/{item_id}")
        def replace_item(item_id: int):
            return {}

        @app.patch("/items/{item_id}")
        def update_item(item_id: int):
            return {}

        @app.delete("/items/{item_id}")
        def delete_item(item_id: int):
            return None

        @app.api_route("/items/{item_id}/star", methods=["POST", "put"])
        def star(item_id: int):
            return {}

        @app.api_route("/ping")
        def ping():
            return "pong"

        def archive(item_id: int):
            return {}

        app.add_api_route("/items/{item_id}/archive", archive, methods=["POST"], name="archive-item")
        """
    )
    assert route_rows(analysis, "fastapi") == [
        ("/items", ("GET",), "list_items", False),
        ("/items", ("POST",), "create_item", True),
        ("/items/{item_id}", ("PUT",), "replace_item", True),
        ("/items/{item_id}", ("PATCH",), "update_item", True),
        ("/items/{item_id}", ("DELETE",), "delete_item", True),
        ("/items/{item_id}/star", ("POST", "PUT"), "star", True),
        ("/ping", ("GET",), "ping", False),
        ("/items/{item_id}/archive", ("POST",), "archive", True),
    ]
    assert analysis.routes[0].handler.is_async
    assert analysis.routes[2].path_params == ("item_id",)
    assert analysis.routes[-1].name == "archive-item"


@pytest.mark.parametrize(
    "header",
    [
        "from fastapi import APIRouter as Router\nrouter = Router()",
        "import fastapi\nrouter = fastapi.APIRouter()",
        "from fastapi.routing import APIRouter\nrouter = APIRouter()",
    ],
)
def test_aliased_imports_are_resolved(header: str) -> None:
    source = header + '\n\n@router.post("/things")\nasync def create():\n    return {}\n'
    assert route_rows(analyse_one(source), "fastapi") == [("/things", ("POST",), "create", True)]


@pytest.mark.parametrize(
    "source",
    [
        # A decorator that only looks like a route.
        """
        from fastapi import FastAPI
        from aiocache import Cache

        app = FastAPI()
        cache = Cache()

        @cache.get("/x")
        async def cached():
            return {}
        """,
        # A local shadows the module's app.
        """
        from fastapi import FastAPI
        from tools import Registry

        app = FastAPI()

        def install():
            app = Registry()

            @app.post("/x")
            async def view():
                return {}
        """,
        # A commented-out route.
        """
        from fastapi import FastAPI

        app = FastAPI()

        # @app.post("/old")
        async def old():
            return {}
        """,
        # `app` is a Flask app: its routes are Flask's, not FastAPI's.
        """
        from flask import Flask

        app = Flask(__name__)

        @app.post("/x")
        def view():
            return ""
        """,
        # A dict's get is not a route, even as a decorator-shaped call.
        """
        from fastapi import FastAPI

        handlers = {}
        app = FastAPI()

        @handlers.get("/x")
        def view():
            return {}
        """,
    ],
    ids=["look-alike", "shadowed", "commented-out", "flask-app", "dict"],
)
def test_no_route(source: str) -> None:
    assert route_rows(analyse_one(source), "fastapi") == []


def test_wants_is_a_cheap_text_test() -> None:
    assert analyser.wants("from fastapi import FastAPI")
    assert analyser.wants('@router.api_route("/x")')
    assert not analyser.wants("value = mapping.get('x')\n")


# -- prefixes ---------------------------------------------------------------------------------


def test_include_router_prefixes_concatenate_across_files() -> None:
    analysis = analyse(
        {
            "svc/main.py": """
                from fastapi import FastAPI
                from svc.api import api_router
                from svc import health

                app = FastAPI()
                app.include_router(api_router, prefix="/api")
                app.include_router(health.router)
                """,
            "svc/api.py": """
                from fastapi import APIRouter
                from .users import router as users_router

                api_router = APIRouter(prefix="/v1")
                api_router.include_router(users_router, prefix="/accounts")
                """,
            "svc/users.py": """
                from fastapi import APIRouter

                router = APIRouter(prefix="/users")

                @router.get("")
                async def list_users():
                    return []

                @router.post("/")
                async def create_user():
                    return {}
                """,
            "svc/health.py": """
                from fastapi import APIRouter

                router = APIRouter()

                @router.get("/health")
                def health():
                    return {}
                """,
        }
    )
    assert route_rows(analysis, "fastapi") == [
        ("/health", ("GET",), "health", False),
        ("/api/v1/accounts/users", ("GET",), "list_users", False),
        ("/api/v1/accounts/users/", ("POST",), "create_user", True),
    ]
    assert [app.name for app in analysis.apps] == [
        "svc.api.api_router",
        "svc.health.router",
        "svc.main.app",
        "svc.users.router",
    ]


def test_router_included_twice_gives_one_route_per_mount() -> None:
    analysis = analyse_one(
        """
        from fastapi import APIRouter, FastAPI

        router = APIRouter(prefix="/items")

        @router.post("")
        def create():
            return {}

        app = FastAPI()
        app.include_router(router, prefix="/v1")
        app.include_router(router, prefix="/v2")
        """
    )
    assert [r.path for r in analysis.routes] == ["/v1/items", "/v2/items"]


# -- dependencies and the current user ----------------------------------------------------------


def test_user_access_through_dependencies() -> None:
    analysis = analyse_one(
        """
        from typing import Annotated

        from fastapi import Depends, FastAPI, Security
        from .deps import get_current_user, current_active_user, get_db

        app = FastAPI()
        CurrentUser = Annotated[dict, Depends(get_current_user)]

        @app.post("/a")
        def a(user=Depends(get_current_user)):
            return {}

        @app.post("/b")
        def b(user: Annotated[dict, Security(current_active_user, scopes=["me"])]):
            return {}

        @app.post("/c")
        def c(user: CurrentUser):
            return {}

        @app.post("/d")
        def d(db=Depends(get_db)):
            return {}

        @app.post("/e")
        def e(user=get_current_user):
            return {}
        """
    )
    # Declared a dict (the token's claims): its id, read only where it is a dict holding one.
    claims = UserAccess(
        "fastapi.Depends",
        'user.get("id")',
        'isinstance(user, dict) and user.get("id") is not None',
        contract=True,
    )
    assert [r.user_access for r in analysis.routes] == [DEPENDS_USER, claims, claims, None, None]


# -- auth points -----------------------------------------------------------------------------------


def test_token_login_is_a_login_point_but_not_a_mutating_route() -> None:
    analysis = analyse_one(
        """
        from typing import Annotated

        from fastapi import Depends, FastAPI
        from fastapi.security import OAuth2PasswordRequestForm
        from .security import authenticate_user, create_access_token

        app = FastAPI()

        @app.post("/token")
        async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
            user = await authenticate_user(form.username, form.password)
            if not user:
                raise ValueError("bad credentials")
            return {"access_token": create_access_token(user.id)}
        """
    )
    assert route_rows(analysis, "fastapi") == [("/token", ("POST",), "login", False)]
    [point] = analysis.auth_points
    # The user is known once the token is issued: after the check, at the return.
    assert (point.kind, point.line, point.call, point.user_expression, point.mechanism) == (
        "login",
        15,
        "create_access_token",
        "user",
        "token",
    )


def _only_point(source: str) -> tuple[str, int, str, str | None]:
    """The one auth point of a module: its kind, line, call and user."""
    [point] = analyse_one(source).auth_points
    return (point.kind, point.line, point.call, point.user_expression)


def test_a_password_check_in_a_condition_logs_in_at_the_token_issued_after_it() -> None:
    """``if not user.check_password(...): raise`` guards the rest: the user has logged in
    once the token is issued below it, never at the check (a wrong password reaches it)."""
    source = """
        from fastapi import Body, FastAPI, HTTPException
        from .repo import find_user
        from .tokens import create_token_for_user

        app = FastAPI()

        @app.post("/users/login")
        async def login(credentials: dict = Body(...)):
            user = await find_user(credentials["email"])
            if not user.check_password(credentials["password"]):
                raise HTTPException(status_code=400)
            token = create_token_for_user(user, "secret")
            return {"token": token}
        """
    assert _only_point(source) == ("login", 13, "create_token_for_user", "user")


def test_a_signup_answering_with_a_token_is_a_signup_told_of_past_its_guard() -> None:
    """``/signup`` taking a password form and issuing a token creates the user: a signup,
    known once the check that it was made (``if not user: raise``) has passed."""
    source = """
        from fastapi import Depends, FastAPI, HTTPException
        from fastapi.security import OAuth2PasswordRequestForm
        from .accounts import create_token, sign_up_new_user

        app = FastAPI()

        @app.post("/signup")
        async def signup(form: OAuth2PasswordRequestForm = Depends()):
            user = sign_up_new_user(form.username, form.password)
            if not user:
                raise HTTPException(status_code=409)
            return {"access_token": create_token(data={"sub": user.email})}
        """
    assert _only_point(source) == ("signup", 11, "sign_up_new_user", "user")


def test_password_form_alone_marks_a_token_login() -> None:
    analysis = analyse_one(
        """
        from fastapi import Depends, FastAPI
        from fastapi.security import OAuth2PasswordRequestForm
        from .tokens import issue_token

        app = FastAPI()

        @app.post("/token")
        def token(form: OAuth2PasswordRequestForm = Depends()):
            return {"access_token": issue_token(form.username)}
        """
    )
    assert [(p.kind, p.line, p.call) for p in analysis.auth_points] == [
        ("login", 10, "issue_token")
    ]


def test_an_annotated_password_form_marks_a_token_login_of_the_user_it_is_made_of() -> None:
    analysis = analyse_one(
        """
        from typing import Annotated

        from fastapi import Depends, FastAPI
        from fastapi.security import OAuth2PasswordRequestForm
        from .db import User, get_db
        from .tokens import create_access_token

        app = FastAPI()

        @app.post("/token")
        def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], db=Depends(get_db)):
            user = db.query(User).filter(User.username == form.username).first()
            if not user or not user.verify(form.password):
                raise ValueError("bad credentials")
            access_token = create_access_token(data={"sub": user.username})
            return {"access_token": access_token}
        """
    )
    # The form is the type ``Annotated`` annotates; the user, the one local the token reads.
    assert [(p.kind, p.line, p.call, p.user_expression) for p in analysis.auth_points] == [
        ("login", 16, "create_access_token", "user")
    ]


def test_signup_and_logout_points() -> None:
    analysis = analyse_one(
        """
        from fastapi import Depends, FastAPI
        from .db import Account, get_db, repo
        from .deps import get_current_user

        app = FastAPI()

        @app.post("/accounts")
        def open_account(body: dict, db=Depends(get_db)):
            account = Account(**body)
            db.add(account)
            db.commit()
            return account

        @app.post("/projects")
        def create_project(body: dict, db=Depends(get_db)):
            project = Project(**body)
            db.add(project)
            db.commit()
            return project

        @app.post("/auth/logout")
        async def logout(user=Depends(get_current_user)):
            await repo.revoke_sessions(user.id)
            return None
        """
    )
    points = [
        (p.kind, p.handler.qualname, p.line, p.call, p.user_expression)
        for p in analysis.auth_points
    ]
    assert points == [
        ("signup", "open_account", 12, "Account", "account"),
        ("logout", "logout", 24, "repo.revoke_sessions", "user"),
    ]


def test_an_anonymous_post_that_creates_a_user_through_a_crud_object_is_a_signup() -> None:
    analysis = analyse_one(
        """
        from typing import Annotated
        from fastapi import APIRouter, Depends
        from .crud import crud_users
        from .deps import get_current_superuser
        from .schemas import UserCreateInternal, UserRead

        router = APIRouter()

        @router.post("/user")
        async def write_user(user: UserCreateInternal, db=Depends(get_db)):
            internal = UserCreateInternal(**user.model_dump())
            created: UserRead = await crud_users.create(db=db, object=internal)
            return created

        @router.post("/admin/users")
        async def add_user(
            body: dict, admin: Annotated[dict, Depends(get_current_superuser)], db=Depends(get_db)
        ):
            created = await crud_users.create(db=db, object=body)
            return created
        """
    )
    # The user the write answers, not the schema built on the way; an admin adding a
    # user (logged in, through a current-user dependency) signs nobody up.
    assert [(p.kind, p.handler.qualname, p.user_expression) for p in analysis.auth_points] == [
        ("signup", "write_user", "created")
    ]


def test_a_session_cookie_login_and_a_signup_through_a_model_method() -> None:
    analysis = analyse_one(
        """
        from typing import Annotated
        from fastapi import APIRouter, Form
        from fastapi.responses import RedirectResponse
        from .models import User
        from .sessions import create_session_token

        router = APIRouter()

        @router.post("/login")
        def login(email: Annotated[str, Form()], password: Annotated[str, Form()]):
            user = User.authenticate(email, password)
            if user is None:
                return RedirectResponse("/login", status_code=302)
            response = RedirectResponse("/", status_code=302)
            response.set_cookie("session", create_session_token(user.id))
            return response

        @router.post("/signup")
        def signup(email: Annotated[str, Form()], password: Annotated[str, Form()]):
            user = User.create_user(email=email, password=password)
            response = RedirectResponse("/", status_code=302)
            response.set_cookie("session", create_session_token(user.id))
            return response
        """
    )
    # A signup that shows no write of its own (the model's method writes) is still one:
    # the handler's name says so and it builds the user.
    assert [(p.kind, p.handler.qualname, p.user_expression) for p in analysis.auth_points] == [
        ("login", "login", "user"),
        ("signup", "signup", "user"),
    ]


def test_post_that_only_checks_a_token_is_not_mutating() -> None:
    analysis = analyse_one(
        """
        from fastapi import FastAPI
        from .security import verify_token

        app = FastAPI()

        @app.post("/introspect")
        def introspect(token: str):
            return {"active": verify_token(token)}
        """
    )
    assert route_rows(analysis, "fastapi") == [("/introspect", ("POST",), "introspect", False)]
    assert analysis.auth_points == ()


# -- exception handlers --------------------------------------------------------------------------------


def test_exception_handlers() -> None:
    analysis = analyse_one(
        """
        from fastapi import FastAPI, HTTPException, Request, status

        app = FastAPI()

        class QuotaExceeded(Exception):
            pass

        @app.exception_handler(QuotaExceeded)
        async def quota(request: Request, exc: QuotaExceeded):
            return None

        @app.exception_handler(Exception)
        async def crash(request: Request, error: Exception):
            return None

        @app.exception_handler(HTTPException)
        async def http_error(request, exc):
            return None

        @app.exception_handler(500)
        async def five_hundred(request, exc):
            return None

        async def unavailable(request, exc):
            return None

        app.add_exception_handler(status.HTTP_503_SERVICE_UNAVAILABLE, unavailable)
        """
    )
    found = [
        (h.handler.qualname, h.handles, h.server_error, h.error_param)
        for h in analysis.error_handlers
    ]
    assert found == [
        ("quota", ("app.QuotaExceeded",), False, "exc"),
        ("crash", ("Exception",), True, "error"),
        ("http_error", ("fastapi.HTTPException",), False, "exc"),
        ("five_hundred", ("500",), True, "exc"),
        ("unavailable", ("fastapi.status.HTTP_503_SERVICE_UNAVAILABLE",), True, "exc"),
    ]


# -- the fastapi_tasks fixture, in full -----------------------------------------------------------------

TASKS = FIXTURES / "fastapi_tasks"


def test_fastapi_tasks_fixture_analysis() -> None:
    analysis = analyse_project(TASKS)
    assert analysis.project.frameworks == ("fastapi",)
    assert [(a.kind, a.name, a.file, a.line, a.prefix) for a in analysis.apps] == [
        ("fastapi.FastAPI", "tasks.main.app", "tasks/main.py", 26, ""),
        ("fastapi.APIRouter", "tasks.routers.api_router", "tasks/routers/__init__.py", 7, ""),
        ("fastapi.APIRouter", "tasks.routers.auth.router", "tasks/routers/auth.py", 16, "/auth"),
        (
            "fastapi.APIRouter",
            "tasks.routers.projects.router",
            "tasks/routers/projects.py",
            14,
            "/projects",
        ),
        ("fastapi.APIRouter", "tasks.routers.tasks.router", "tasks/routers/tasks.py", 16, "/tasks"),
    ]
    routes = [
        (r.handler.file, r.path, r.methods, r.handler.qualname, r.mutating) for r in analysis.routes
    ]
    assert routes == [
        ("tasks/main.py", "/health", ("GET",), "health", False),
        ("tasks/routers/auth.py", "/auth/token", ("POST",), "login_for_access_token", False),
        ("tasks/routers/auth.py", "/auth/signup", ("POST",), "signup", True),
        ("tasks/routers/auth.py", "/auth/logout", ("POST",), "logout", True),
        ("tasks/routers/projects.py", "/api/v1/projects", ("GET",), "list_projects", False),
        ("tasks/routers/projects.py", "/api/v1/projects", ("POST",), "create_project", True),
        (
            "tasks/routers/projects.py",
            "/api/v1/projects/{project_id}",
            ("GET",),
            "get_project",
            False,
        ),
        (
            "tasks/routers/projects.py",
            "/api/v1/projects/{project_id}",
            ("DELETE",),
            "delete_project",
            True,
        ),
        (
            "tasks/routers/projects.py",
            "/api/v1/projects/{project_id}/tasks",
            ("GET",),
            "list_project_tasks",
            False,
        ),
        ("tasks/routers/tasks.py", "/api/v1/tasks", ("GET",), "list_tasks", False),
        ("tasks/routers/tasks.py", "/api/v1/tasks", ("POST",), "create_task", True),
        ("tasks/routers/tasks.py", "/api/v1/tasks/{task_id}", ("GET",), "get_task", False),
        ("tasks/routers/tasks.py", "/api/v1/tasks/{task_id}", ("PATCH",), "update_task", True),
        ("tasks/routers/tasks.py", "/api/v1/tasks/{task_id}", ("DELETE",), "delete_task", True),
        ("tasks/routers/tasks.py", "/api/v1/tasks/search", ("POST",), "search_tasks", False),
        (
            "tasks/routers/tasks.py",
            "/api/v1/tasks/{task_id}/complete",
            ("POST", "PUT"),
            "complete_task",
            True,
        ),
        (
            "tasks/routers/tasks.py",
            "/api/v1/tasks/{task_id}/archive",
            ("POST",),
            "archive_task",
            True,
        ),
    ]
    users = {r.handler.qualname: r.user_access for r in analysis.routes}
    assert users["create_task"] == DEPENDS_USER  # through the file's CurrentUser alias
    assert users["create_project"] == DEPENDS_USER
    assert users["logout"] == UserAccess("fastapi.Depends", "current_user.id", None)
    assert users["signup"] is None
    assert users["health"] is None
    points = [
        (p.kind, p.handler.file, p.handler.qualname, p.line, p.user_expression)
        for p in analysis.auth_points
    ]
    assert points == [
        ("login", "tasks/routers/auth.py", "login_for_access_token", 30, "user"),
        ("signup", "tasks/routers/auth.py", "signup", 41, "user"),
        ("logout", "tasks/routers/auth.py", "logout", 51, "current_user"),
    ]
    handlers = [
        (h.handler.qualname, h.handles, h.line, h.server_error, h.error_param)
        for h in analysis.error_handlers
    ]
    assert handlers == [
        ("not_found_handler", ("tasks.errors.NotFoundError",), 36, False, "exc"),
        ("unhandled_error_handler", ("Exception",), 46, True, "exc"),
    ]


def test_fastapi_tasks_fixture_runs() -> None:
    output = run_fixture_script(
        "fastapi_tasks",
        """
        import warnings
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
        from tasks.main import app

        with TestClient(app) as client:
            user = {"username": "ada", "email": "ada@example.com", "password": "secret"}
            print(client.post("/auth/signup", json=user).status_code)
            token = client.post("/auth/token", json=user).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            project = client.post("/api/v1/projects", json={"name": "Home"}, headers=auth).json()
            task = {"title": "Dishes", "project_id": project["id"]}
            print(client.post("/api/v1/tasks", json=task, headers=auth).status_code)
            print(client.put("/api/v1/tasks/1/complete", headers=auth).json()["done"])
            print(client.post("/api/v1/tasks/search", json={"text": "Dish"}, headers=auth).status_code)
            print(client.get("/api/v1/tasks/99", headers=auth).status_code)
            print(client.post("/auth/logout", headers=auth).status_code)
            print(client.get("/api/v1/tasks", headers=auth).status_code)
        """,
    )
    assert output.split() == ["201", "201", "True", "200", "404", "204", "401"]


def test_a_user_alias_imported_from_another_module_gives_the_handler_its_user() -> None:
    analysis = analyse(
        {
            "app/models.py": """
            class User:
                id: int
                name: str
            """,
            "app/deps.py": """
            from typing import Annotated
            from fastapi import Depends
            from .models import User

            def get_current_user() -> User: ...
            def get_session(): ...

            CurrentUser = Annotated[User, Depends(get_current_user)]
            SessionDep = Annotated[object, Depends(get_session)]
            """,
            "app/main.py": """
            from fastapi import FastAPI
            from .deps import CurrentUser, SessionDep

            app = FastAPI()

            @app.post("/notes")
            def add_note(session: SessionDep, me: CurrentUser):
                session.commit()
                return {}

            @app.post("/pings")
            def ping(session: SessionDep):
                session.commit()
                return {}
            """,
        }
    )
    assert {r.handler.qualname: r.user_access for r in analysis.routes} == {
        "add_note": UserAccess("fastapi.Depends", "me.id", None),
        # a dependency that is not a user's gives none
        "ping": None,
    }
    events = {
        e.handler: e.distinct_id
        for e in build_plan(analysis, client_module="app/posthog_client.py").events
    }
    # ``id`` is declared by the class the alias annotates: the event carries the user.
    assert events == {"add_note": "me.id", "ping": None}


def test_a_login_through_a_project_module_function_knows_its_user() -> None:
    analysis = analyse(
        {
            "app/models.py": """
            class User:
                id: int
                is_active: bool
            """,
            "app/crud.py": """
            from .models import User

            def authenticate(*, email: str, password: str) -> User | None: ...
            """,
            "app/login.py": """
            from typing import Annotated
            from fastapi import APIRouter, Depends, HTTPException
            from fastapi.security import OAuth2PasswordRequestForm
            from app import crud
            from app.security import create_access_token

            router = APIRouter()

            @router.post("/login/access-token")
            def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
                user = crud.authenticate(email=form.username, password=form.password)
                if not user:
                    raise HTTPException(status_code=400)
                return {"access_token": create_access_token(user.id)}
            """,
        }
    )
    [point] = analysis.auth_points
    kind = dict(point.typed)["user"]
    # the function's annotation says a User or None; the handler's check rules out None
    assert kind == "app.crud.authenticate"
    assert {"id", "?"} <= analysis.attributes_of(kind)


def test_what_a_user_alias_and_a_model_validate_write_names_the_event() -> None:
    analysis = analyse(
        {
            "app/models.py": """
            from sqlmodel import SQLModel

            class User(SQLModel, table=True):
                id: int
                name: str

            class Note(SQLModel, table=True):
                id: int
                text: str
            """,
            "app/deps.py": """
            from typing import Annotated
            from fastapi import Depends
            from .models import User

            def get_current_user() -> User: ...

            CurrentUser = Annotated[User, Depends(get_current_user)]
            """,
            "app/main.py": """
            from fastapi import FastAPI
            from .deps import CurrentUser
            from .models import Note
            from .db import session

            app = FastAPI()

            @app.patch("/me")
            def update_me(me: CurrentUser, name: str):
                me.name = name
                session.add(me)
                session.commit()
                return me

            @app.post("/notes")
            def add_note(me: CurrentUser, body: dict):
                note = Note.model_validate(body)
                session.add(note)
                session.commit()
                return note
            """,
        }
    )
    plan = build_plan(analysis, client_module="app/posthog_client.py")
    events = {e.handler: (e.event, tuple(p.value for p in e.properties)) for e in plan.events}
    # The object written through the alias is a User: the acting user, whose id is the
    # event's distinct id, not a property; the note built by model_validate is a Note,
    # whose declared id is safe to send.
    assert events == {
        "update_me": ("user_updated", ()),
        "add_note": ("note_created", ("note.id",)),
    }


# -- who makes an account: a stranger signing up, or someone logged in ------------------

MEMBER_DEPS = """
from typing import Annotated

from fastapi import Depends, HTTPException

from club.models import Member


def get_current_member(token: str) -> Member:
    member = Member.find(token)
    if member is None:
        raise HTTPException(status_code=401)
    return member


def get_current_admin(member: Annotated[Member, Depends(get_current_member)]) -> Member:
    if not member.is_admin:
        raise HTTPException(status_code=403)
    return member


def get_member_store() -> "MemberStore":
    return MemberStore()


CurrentMember = Annotated[Member, Depends(get_current_member)]
"""
MEMBER_ROUTES = """
from typing import Annotated

from fastapi import APIRouter, Depends

from club import crud
from club.deps import CurrentMember, get_current_admin, get_current_member
from club.models import Member

router = APIRouter()


@router.post("/members/register")
def register_member(body: dict):
    member = crud.create_user(body)
    return member


@router.post("/admin/members", dependencies=[Depends(get_current_admin)])
def add_member(body: dict):
    member = crud.create_user(body)
    return member


@router.post("/team/register")
def register_teammate(body: dict, inviter: CurrentMember):
    member = crud.create_user(body)
    return member


@router.post("/desk/signup")
def signup_at_desk(body: dict, clerk: Member = Depends(get_current_member)):
    member = crud.create_user(body)
    return member
"""


def test_a_user_made_by_someone_logged_in_is_no_signup() -> None:
    analysis = analyse(
        {
            "club/__init__.py": "",
            "club/deps.py": MEMBER_DEPS,
            "club/routes.py": MEMBER_ROUTES,
            "club/main.py": (
                "from fastapi import FastAPI\nfrom club.routes import router\n\n"
                "app = FastAPI()\napp.include_router(router)\n"
            ),
        }
    )
    # Named for registering or not, a route that needs a logged-in member makes someone
    # else's account.
    signups = [p.handler.qualname for p in analysis.auth_points if p.kind == "signup"]
    assert signups == ["register_member"]
    guarded = {r.handler.qualname: r.members_only for r in analysis.routes}
    # A route's own dependency on a function answering a member (never None, raising
    # otherwise), an alias of another module declaring one, a parameter declaring one.
    assert guarded == {
        "register_member": None,
        "add_member": "depends on get_current_admin",
        "register_teammate": "depends on get_current_member",
        "signup_at_desk": "depends on get_current_member",
    }


def test_the_request_s_user_is_sent_where_the_handler_read_its_id_first() -> None:
    analysis = analyse_one(
        """
        from fastapi import FastAPI, Request
        from .tasks import tasks

        app = FastAPI()

        @app.post("/tasks")
        async def add_task(body: dict, request: Request):
            task = await tasks.add(body, author_id=request.user.id)
            tasks.session.commit()
            return task

        @app.post("/drafts")
        async def add_draft(body: dict, request: Request):
            if request.user.is_authenticated:
                tasks.session.commit()
            return {}
        """
    )
    events = {
        e.handler: e.distinct_id
        for e in build_plan(analysis, client_module="app/posthog_client.py").events
    }
    # Starlette's authentication middleware sets ``request.user``; without it reading it
    # raises, and an anonymous user has no id: only the id the handler read itself.
    assert events == {"add_task": "request.user.id", "add_draft": None}
