"""A FastAPI signup whose handler builds the request for a user (a schema, a use case)
and hands it to the call that makes the user: the event is sent once that call has made
one, never where the request was only built, and an admin registering anything signs
nobody up."""

from __future__ import annotations

from pathlib import Path

from tests.workflow.edits import edited, written

ROUTES = """\
    from fastapi import APIRouter, Depends, HTTPException

    from shop.schemas import BookIn, UserCreate
    from shop.services import accounts, books
    from shop.use_cases import Registration
    from shop.security import require_admin

    router = APIRouter()


    @router.post("/signup")
    async def signup(body: dict):
        try:
            request = UserCreate(**body)
            created = await accounts.create_user(request)
        except ValueError as exc:
            raise HTTPException(400, str(exc))
        return {"id": created.id}


    @router.post("/users/register")
    async def register_user(body: dict):
        registration = Registration()
        return await registration(body)


    @router.post("/books/register")
    async def register_book(data: BookIn, admin=Depends(require_admin)):
        return await books.add(data)
    """


def test_a_signup_is_sent_where_the_user_was_made_not_where_it_was_asked_for(
    tmp_path: Path,
) -> None:
    project = written(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/main.py": "from fastapi import FastAPI\nfrom shop.routes import router\n"
            "app = FastAPI()\napp.include_router(router)\n",
            "shop/routes.py": ROUTES,
            "requirements.txt": "fastapi>=0.100\n",
        },
    )
    routes = edited(project, "shop/routes.py")
    signup, register, book = (
        routes.split("async def signup", 1)[1].split("async def register_user", 1)[0],
        routes.split("async def register_user", 1)[1].split("async def register_book", 1)[0],
        routes.split("async def register_book", 1)[1],
    )
    # Past the call that made the user: a refused one raises before it.
    made = "created = await accounts.create_user(request)\n"
    assert signup.index(made) < signup.index('"user_signed_up"')
    # The returned call made it: split, so the event runs before the return.
    assert (
        "result = await registration(body)\n"
        '    posthog_client.capture("user_signed_up")\n'
        "    return result\n"
    ) in register
    # An admin's dependency: registering a book is no signup; its event follows the
    # awaited call the handler returns.
    assert "user_signed_up" not in book
    assert (
        "result = await books.add(data)\n"
        '    posthog_client.capture("book_registered")\n'
        "    return result\n"
    ) in book
