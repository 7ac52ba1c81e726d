"""Properties from what a handler was given and built: the fields of a request's validated
body (pydantic models, msgspec structs) and objects a class's alternate constructor made."""

from __future__ import annotations

import textwrap

import pytest

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


FASTAPI_APP = """\
    from typing import Annotated, Optional

    from fastapi import Depends, FastAPI
    from pydantic import BaseModel, Field

    from shop.schemas import Basket, OrderIn, Settings

    app = FastAPI()
    ORDERS = []


    def settings() -> Settings:
        return Settings()


    @app.post("/orders")
    def create_order(order: OrderIn, config: Annotated[Settings, Depends(settings)]):
        ORDERS.append(order)
        return {"ok": True}


    @app.post("/baskets")
    def create_basket(basket: Optional[Basket] = None):
        ORDERS.append(basket)
        return {"ok": True}
"""

SCHEMAS = """\
    from typing import Annotated

    from pydantic import BaseModel, Field


    class Base(BaseModel):
        express: bool
        quantity: int


    class OrderIn(Base):
        email: str
        password: str
        coupon_code: str
        customer_name: str
        note: Annotated[str, Field(max_length=400)]
        items: list[str]
        gift_wrap: bool = False
        weight: float = 1.0
        comment: str | None = None
        tags: list[str] = None


    class Basket(BaseModel):
        items: list[str]


    class Settings(BaseModel):
        debug: bool = False
"""


def test_a_pydantic_bodys_flags_numbers_and_counts_are_properties_and_pii_is_not() -> None:
    found = _properties({"shop/app.py": FASTAPI_APP, "shop/schemas.py": SCHEMAS})
    # Flags first, then numbers, then counts and lengths; three at most. The field declared
    # on the base class counts; what may be None (``comment``, ``tags = None``) does not,
    # nor an email, a password, a code or a name (not even their lengths).
    assert found["order_created"] == (
        ("express", "order.express", "boolean"),
        ("gift_wrap", "order.gift_wrap", "boolean"),
        ("quantity", "order.quantity", "integer"),
    )
    # A body that may be None gives nothing; a dependency is no body.
    assert found["basket_created"] == ()


def test_counts_and_lengths_follow_flags_and_numbers() -> None:
    schemas = """\
        from pydantic import BaseModel


        class OrderIn(BaseModel):
            note: str
            items: list[str]
            email: str
    """
    app = FASTAPI_APP.replace("from shop.schemas import Basket, OrderIn, Settings", "")
    app = app.replace("config: Annotated[Settings, Depends(settings)]", "").replace(
        "-> Settings", ""
    )
    found = _properties(
        {
            "shop/app.py": "from shop.schemas import OrderIn\n" + textwrap.dedent(app),
            "shop/schemas.py": schemas,
        }
    )
    assert found["order_created"] == (
        ("item_count", "len(order.items)", "integer"),
        ("note_length", "len(order.note)", "integer"),
    )


LITESTAR_SCHEMA_BASE = """\
    import msgspec


    class Struct(msgspec.Struct):
        pass
"""

LITESTAR_SCHEMAS = """\
    import msgspec

    from shelf.lib.base import Struct


    class ShelfCreate(Struct):
        title: str
        public: bool
        labels: list[str] = []
        summary: str | msgspec.UnsetType | None = msgspec.UNSET


    class ShelfSettings:
        limit: int
"""

SHELF_MODEL = """\
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Shelf(Base):
        __tablename__ = "shelf"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str]
"""

LITESTAR_APP = """\
    from dataclasses import dataclass

    from litestar import Litestar, post
    from sqlalchemy.ext.asyncio import AsyncSession

    from shelf.domain.schemas import ShelfCreate
    from shelf.models import Shelf

    SHELVES = []


    @dataclass
    class Limits:
        strict: bool


    @post("/shelf")
    async def create_shelf(data: ShelfCreate, limits: Limits, db_session: AsyncSession) -> None:
        db_session.add(Shelf(title=data.title))
        await db_session.commit()


    app = Litestar(route_handlers=[create_shelf])
"""


def test_a_msgspec_struct_under_a_source_root_reexported_by_its_package() -> None:
    # ``src/`` is on the path: the app imports ``shelf.domain.schemas.ShelfCreate`` (the
    # package re-exports it from ``_shelf``), its base ``shelf.lib.base.Struct``.
    found = _properties(
        {
            "src/shelf/lib/__init__.py": "",
            "src/shelf/lib/base.py": LITESTAR_SCHEMA_BASE,
            "src/shelf/domain/__init__.py": "",
            "src/shelf/domain/schemas/__init__.py": "from ._shelf import ShelfCreate\n",
            "src/shelf/domain/schemas/_shelf.py": LITESTAR_SCHEMAS,
            "src/shelf/__init__.py": "",
            "src/shelf/app.py": LITESTAR_APP,
            "src/shelf/models.py": SHELF_MODEL,
        }
    )
    # A dataclass the framework injects is nobody's body: nothing of ``limits``.
    assert found["shelf_created"] == (
        ("public", "data.public", "boolean"),
        ("label_count", "len(data.labels)", "integer"),
        ("title_length", "len(data.title)", "integer"),
    )


def test_two_project_classes_of_one_name_are_never_guessed_between() -> None:
    other = "import msgspec\n\n\nclass ShelfCreate(msgspec.Struct):\n    secret_flag: bool\n"
    found = _properties(
        {
            "src/shelf/lib/__init__.py": "",
            "src/shelf/lib/base.py": LITESTAR_SCHEMA_BASE,
            "src/shelf/domain/__init__.py": "",
            "src/shelf/domain/schemas/__init__.py": "from ._shelf import ShelfCreate\n",
            "src/shelf/domain/schemas/_shelf.py": LITESTAR_SCHEMAS,
            "src/shelf/legacy.py": other,
            "src/shelf/__init__.py": "",
            "src/shelf/app.py": LITESTAR_APP,
            "src/shelf/models.py": SHELF_MODEL,
        }
    )
    assert found["shelf_created"] == ()


@pytest.mark.parametrize(
    ("field", "annotation", "sent"),
    [
        ("archived", "bool", ("archived", "payload.archived", "boolean")),
        ("rating", "int", ("rating", "payload.rating", "integer")),
        ("score", "Annotated[float, Field(ge=0)]", ("score", "payload.score", "number")),
        (
            "attachments",
            "tuple[str, ...]",
            ("attachment_count", "len(payload.attachments)", "integer"),
        ),
        ("body", "str", ("body_length", "len(payload.body)", "integer")),
        ("archived", "bool | None", None),
        ("rating", "Optional[int]", None),
        ("body", "str = Field(default=None)", None),
        ("api_key", "str", None),
        ("phone_number", "str", None),
        ("display_name", "str", None),
        ("otp", "int", None),
        ("session_token", "str", None),
        ("created", "datetime", None),
    ],
)
def test_which_schema_fields_become_properties(
    field: str, annotation: str, sent: tuple[str, str, str] | None
) -> None:
    source = f"""\
        from datetime import datetime
        from typing import Annotated, Optional

        from fastapi import FastAPI
        from pydantic import BaseModel, Field

        app = FastAPI()
        NOTES = []


        class NoteIn(BaseModel):
            {field}: {annotation}


        @app.post("/notes")
        def create_note(payload: NoteIn):
            NOTES.append(payload)
            return None
    """
    found = _properties({"notes/api.py": source})
    assert found["note_created"] == (() if sent is None else (sent,))


def test_a_handler_that_rebinds_its_body_param_gets_none_of_its_fields() -> None:
    source = """\
        from fastapi import FastAPI
        from pydantic import BaseModel

        app = FastAPI()
        NOTES = []


        class NoteIn(BaseModel):
            pinned: bool


        @app.post("/notes")
        def create_note(note: NoteIn):
            note = NOTES.pop() if NOTES else note
            NOTES.append(note)
            return None
    """
    assert _properties({"app.py": source})["note_created"] == ()


def test_an_object_a_classs_alternate_constructor_built_gives_its_key() -> None:
    source = """\
        from flask import Flask, request
        from flask_sqlalchemy import SQLAlchemy

        app = Flask(__name__)
        db = SQLAlchemy(app)


        class Comment(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            body = db.Column(db.Text)

            @staticmethod
            def from_json(data):
                body = data.get("body")
                if not body:
                    raise ValueError("no body")
                return Comment(body=body)

            @staticmethod
            def maybe_from_json(data):
                if data.get("body"):
                    return Comment(body=data["body"])


        @app.post("/comments")
        def new_comment():
            comment = Comment.from_json(request.json)
            db.session.add(comment)
            db.session.commit()
            return {}, 201


        @app.post("/drafts")
        def new_draft():
            draft = Comment.maybe_from_json(request.json)
            db.session.add(draft)
            db.session.commit()
            return {}, 201
    """
    found = _properties({"app.py": source})
    assert found["comment_created"] == (("comment_id", "comment.id", "integer"),)
    # It may fall off its end (None): nothing is read of what it answered.
    assert found["draft_created"] == ()
