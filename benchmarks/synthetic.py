"""A synthetic web project of N modules, for benchmarks.

Mixed frameworks, in the proportions of a real code base: per app package a
routes / views module, models, schemas or forms, services, utilities and a
test module, each of the size such modules usually have (60 to 250 lines).
About one module in six declares routes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

_FLASK_ROUTES = '''\
"""Routes of the {app} blueprint."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from .models import {Model}, {Model}Tag
from .services import {app}_summary, validate_{app}

log = logging.getLogger(__name__)
bp = Blueprint("{app}", __name__, url_prefix="/{app}s")


@bp.route("/")
def index():
    page = request.args.get("page", 1, type=int)
    items = {Model}.query.order_by({Model}.created_at.desc()).paginate(page=page, per_page=20)
    return render_template("{app}/index.html", items=items)


@bp.route("/<int:item_id>")
def show(item_id: int):
    item = db.get_or_404({Model}, item_id)
    return render_template("{app}/show.html", item=item, summary={app}_summary(item))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if request.method == "POST":
        errors = validate_{app}(request.form)
        if errors:
            return render_template("{app}/edit.html", errors=errors), 400
        item = {Model}(title=request.form["title"], owner_id=current_user.id)
        for name in request.form.getlist("tags"):
            item.tags.append({Model}Tag(name=name))
        db.session.add(item)
        db.session.commit()
        log.info("{app} %s created", item.id)
        return redirect(url_for("{app}.show", item_id=item.id))
    return render_template("{app}/edit.html")


@bp.route("/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit(item_id: int):
    item = db.get_or_404({Model}, item_id)
    if item.owner_id != current_user.id:
        abort(403)
    if request.method == "POST":
        item.title = request.form["title"]
        db.session.commit()
        return redirect(url_for("{app}.show", item_id=item.id))
    return render_template("{app}/edit.html", item=item)


@bp.post("/<int:item_id>/delete")
@login_required
def delete(item_id: int):
    item = db.get_or_404({Model}, item_id)
    db.session.delete(item)
    db.session.commit()
    return redirect(url_for("{app}.index"))


@bp.post("/<int:item_id>/archive")
@login_required
def archive(item_id: int):
    item = db.get_or_404({Model}, item_id)
    item.archived = True
    db.session.commit()
    return jsonify(archived=True)


@bp.post("/search")
def search():
    q = request.form.get("q", "")
    results = {Model}.query.filter({Model}.title.ilike(f"%{{q}}%")).limit(50).all()
    return jsonify([r.to_dict() for r in results])
'''

_FASTAPI_ROUTES = '''\
"""API routes for {app}s."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy.orm import Session

from ..deps import get_current_user, get_db
from .models import {Model}
from .schemas import {Model}Create, {Model}Out, {Model}Update

router = APIRouter(prefix="/{app}s", tags=["{app}s"])


@router.get("/", response_model=list[{Model}Out])
async def list_{app}s(db: Session = Depends(get_db), limit: int = 50):
    return db.query({Model}).limit(limit).all()


@router.get("/{{item_id}}", response_model={Model}Out)
async def get_{app}(item_id: int, db: Session = Depends(get_db)):
    item = db.get({Model}, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="not found")
    return item


@router.post("/", response_model={Model}Out, status_code=status.HTTP_201_CREATED)
async def create_{app}(
    payload: {Model}Create, db: Session = Depends(get_db), user=Depends(get_current_user)
):
    item = {Model}(**payload.model_dump(), owner_id=user.id)
    db.add(item)
    db.commit()
    db.refresh(item)
    return item


@router.patch("/{{item_id}}", response_model={Model}Out)
async def update_{app}(
    item_id: int, payload: {Model}Update, db: Session = Depends(get_db), user=Depends(get_current_user)
):
    item = db.get({Model}, item_id)
    if item is None or item.owner_id != user.id:
        raise HTTPException(status_code=404, detail="not found")
    for key, value in payload.model_dump(exclude_unset=True).items():
        setattr(item, key, value)
    db.commit()
    return item


@router.delete("/{{item_id}}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_{app}(item_id: int, db: Session = Depends(get_db), user=Depends(get_current_user)):
    item = db.get({Model}, item_id)
    if item is not None and item.owner_id == user.id:
        db.delete(item)
        db.commit()


@router.post("/search", response_model=list[{Model}Out])
async def search_{app}s(q: str, db: Session = Depends(get_db)):
    return db.query({Model}).filter({Model}.title.contains(q)).limit(20).all()
'''

_DJANGO_VIEWS = '''\
"""Views of the {app} app."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.generic import CreateView, DeleteView, DetailView, ListView, UpdateView

from .forms import {Model}Form
from .models import {Model}


class {Model}List(ListView):
    model = {Model}
    paginate_by = 20


class {Model}Detail(DetailView):
    model = {Model}


class {Model}Create(CreateView):
    model = {Model}
    form_class = {Model}Form
    success_url = reverse_lazy("{app}:list")


class {Model}Update(UpdateView):
    model = {Model}
    form_class = {Model}Form
    success_url = reverse_lazy("{app}:list")


class {Model}Delete(DeleteView):
    model = {Model}
    success_url = reverse_lazy("{app}:list")


@login_required
def star(request, pk):
    item = get_object_or_404({Model}, pk=pk)
    if request.method == "POST":
        item.stars += 1
        item.save(update_fields=["stars"])
        return redirect("{app}:detail", pk=pk)
    return render(request, "{app}/star.html", {{"item": item}})
'''

_DJANGO_URLS = """\
from django.urls import path

from . import views

app_name = "{app}"
urlpatterns = [
    path("", views.{Model}List.as_view(), name="list"),
    path("<int:pk>/", views.{Model}Detail.as_view(), name="detail"),
    path("new/", views.{Model}Create.as_view(), name="create"),
    path("<int:pk>/edit/", views.{Model}Update.as_view(), name="update"),
    path("<int:pk>/delete/", views.{Model}Delete.as_view(), name="delete"),
    path("<int:pk>/star/", views.star, name="star"),
]
"""

_MODELS = '''\
"""Data model of {app}s."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal


class {Model}Status(enum.Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


@dataclass
class {Model}Tag:
    name: str
    colour: str = "grey"

    def label(self) -> str:
        return self.name.replace("-", " ").title()


@dataclass
class {Model}:
    id: int
    title: str
    owner_id: int
    status: {Model}Status = {Model}Status.DRAFT
    price: Decimal = Decimal("0")
    stars: int = 0
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    tags: list[{Model}Tag] = field(default_factory=list)

    @property
    def is_public(self) -> bool:
        return self.status is {Model}Status.ACTIVE

    def to_dict(self) -> dict[str, object]:
        return {{
            "id": self.id,
            "title": self.title,
            "owner_id": self.owner_id,
            "status": self.status.value,
            "price": str(self.price),
            "stars": self.stars,
            "created_at": self.created_at.isoformat(),
            "tags": [t.name for t in self.tags],
        }}

    def with_tag(self, name: str) -> "{Model}":
        if any(t.name == name for t in self.tags):
            return self
        self.tags.append({Model}Tag(name))
        return self

    def discounted(self, percent: int) -> Decimal:
        if not 0 <= percent <= 100:
            raise ValueError("percent must be between 0 and 100")
        return (self.price * (100 - percent) / 100).quantize(Decimal("0.01"))
'''

_SERVICES = '''\
"""Business rules for {app}s, kept apart from the web layer."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal

TITLE = re.compile(r"^[\\w .,!?'-]{{3,120}}$")
BANNED = frozenset({{"spam", "scam", "free money"}})


def validate_{app}(form: Mapping[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {{}}
    title = form.get("title", "").strip()
    if not title:
        errors["title"] = "A title is required."
    elif not TITLE.match(title):
        errors["title"] = "Titles are 3 to 120 letters, digits or punctuation."
    elif any(word in title.lower() for word in BANNED):
        errors["title"] = "That title is not allowed."
    price = form.get("price", "0")
    try:
        if Decimal(price) < 0:
            errors["price"] = "Prices cannot be negative."
    except ArithmeticError:
        errors["price"] = "Not a number."
    return errors


def {app}_summary(item: object) -> str:
    title = getattr(item, "title", "")
    tags = getattr(item, "tags", [])
    words = len(title.split())
    return f"{{title}} ({{words}} words, {{len(tags)}} tags)"


def top_tags(items: Iterable[object], limit: int = 10) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for item in items:
        for tag in getattr(item, "tags", []):
            counts[getattr(tag, "name", str(tag))] += 1
    return counts.most_common(limit)


def price_bands(prices: Iterable[Decimal], width: Decimal = Decimal("10")) -> dict[str, int]:
    bands: dict[str, int] = {{}}
    for price in prices:
        low = (price // width) * width
        key = f"{{low}}-{{low + width}}"
        bands[key] = bands.get(key, 0) + 1
    return dict(sorted(bands.items(), key=lambda kv: Decimal(kv[0].split("-")[0])))


def merge_duplicates(items: list[dict[str, object]]) -> list[dict[str, object]]:
    seen: dict[str, dict[str, object]] = {{}}
    for item in items:
        key = str(item.get("title", "")).casefold()
        if key in seen:
            existing = seen[key]
            existing["stars"] = int(existing.get("stars", 0)) + int(item.get("stars", 0))  # type: ignore[call-overload]
        else:
            seen[key] = dict(item)
    return list(seen.values())


class {Model}Ranker:
    """Orders {app}s for the front page."""

    def __init__(self, weight_stars: float = 1.0, weight_age: float = 0.1) -> None:
        self.weight_stars = weight_stars
        self.weight_age = weight_age

    def score(self, stars: int, age_days: float) -> float:
        return self.weight_stars * stars - self.weight_age * age_days

    def rank(self, rows: Iterable[tuple[str, int, float]]) -> list[str]:
        scored = [(self.score(stars, age), title) for title, stars, age in rows]
        return [title for _, title in sorted(scored, reverse=True)]
'''

_TESTS = '''\
"""Tests of {app} rules."""
from __future__ import annotations

from decimal import Decimal

import pytest

from .services import {Model}Ranker, price_bands, validate_{app}


def test_title_required():
    assert validate_{app}({{"title": ""}}) == {{"title": "A title is required."}}


def test_banned_title():
    assert "title" in validate_{app}({{"title": "free money now"}})


@pytest.mark.parametrize("price", ["-1", "-0.01"])
def test_negative_price(price):
    assert validate_{app}({{"title": "A fine title", "price": price}})["price"]


def test_bands():
    assert price_bands([Decimal("1"), Decimal("12"), Decimal("15")]) == {{"0-10": 1, "10-20": 2}}


def test_ranker_prefers_stars():
    ranker = {Model}Ranker()
    assert ranker.rank([("a", 1, 0.0), ("b", 5, 0.0)]) == ["b", "a"]
'''


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def generate_project(root: Path, modules: int) -> int:
    """Write a synthetic project of about ``modules`` modules under ``root``; returns the count."""
    root.mkdir(parents=True, exist_ok=True)
    _write(root / "requirements.txt", "flask\nflask-login\nfastapi\ndjango\n")
    _write(root / "app" / "__init__.py", "")
    _write(root / "app" / "extensions.py", "db = None\n")
    _write(
        root / "app" / "deps.py",
        "def get_db():\n    yield None\n\n\ndef get_current_user():\n    return None\n",
    )
    written = 4
    index = 0
    kinds = ("flask", "fastapi", "django")
    while written < modules:
        kind = kinds[index % len(kinds)]
        app = f"{kind[:3]}{index}"
        model = f"Item{index}"
        package = root / "app" / app
        fill = {"app": app, "Model": model}
        files = {
            "__init__.py": "",
            "models.py": _MODELS,
            "services.py": _SERVICES,
            "test_services.py": _TESTS,
        }
        if kind == "flask":
            files["routes.py"] = _FLASK_ROUTES
        elif kind == "fastapi":
            files["routes.py"] = _FASTAPI_ROUTES
        else:
            files["views.py"] = _DJANGO_VIEWS
            files["urls.py"] = _DJANGO_URLS
        for name, template in files.items():
            if written >= modules:
                break
            _write(package / name, template.format(**fill) if template else "")
            written += 1
        index += 1
    return written
