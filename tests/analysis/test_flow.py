"""Control flow inside a handler: where a capture goes, and what is proven safe to read there."""

from __future__ import annotations

import ast
import textwrap
from typing import Any

import pytest

from posthog_setup.analysis import flow
from posthog_setup.analysis.context import FileContext
from posthog_setup.codemods.placement import build_points
from posthog_setup.frameworks import registry
from posthog_setup.plan.plan import build_plan
from tests.analysers import analyse_sources


def _func(source: str) -> flow.FunctionNode:
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    return node


def _anchor(source: str, change_line: int | None = None) -> tuple[int, bool] | None:
    anchor = flow.success_anchor(_func(source), change_line)
    return None if anchor is None else (anchor.line, anchor.before)


CHECKOUT = """\
def checkout(request, form, order):
    if form.is_valid():
        if form.use_default:
            address = Address.objects.filter(user=request.user).first()
            if address is None:
                return redirect("checkout")
            order.address = address
            order.save()
        else:
            address = Address(street=form.street)
            address.save()
            order.address = address
            order.save(){after}
        return redirect("payment")
    return redirect("checkout")
"""


@pytest.mark.parametrize(
    ("writes", "after", "anchor"),
    [
        # Each branch writes (or leaves): the change is captured once, after the ``if``.
        ((8, 11, 13), "", 3),
        # The first branch falls through without a write: only the one that wrote.
        ((11, 13), "", 13),
        # The last write's branch leaves the handler: its capture stays before it leaves.
        ((8, 11, 13), '\n            return redirect("paid")', 13),
    ],
)
def test_a_change_every_branch_makes_is_captured_past_the_branches(
    writes: tuple[int, ...], after: str, anchor: int
) -> None:
    found = flow.success_anchor(_func(CHECKOUT.format(after=after)), 13, writes)
    assert found is not None
    assert (found.line, found.before) == (anchor, False)


@pytest.mark.parametrize(
    ("handler", "anchor"),
    [
        # Every handler answers an error: the try's own return is the success.
        ("return Response(status=status.HTTP_404_NOT_FOUND)", (7, True)),
        # A handler that answers anything else: no success to tell.
        ("return Response(status=status.HTTP_200_OK)", None),
    ],
)
def test_the_end_of_an_action_is_never_in_an_except_handler(
    handler: str, anchor: tuple[int, bool] | None
) -> None:
    source = f"""\
    def post(self, request, key):
        found = DeviceSerializer(data=request.data)
        if found.is_valid():
            try:
                device = Device.objects.get(key=key)
                device.touch()
                return self.verify(device, found.data["code"])
            except Device.DoesNotExist:
                {handler}
        return Response(status=status.HTTP_400_BAD_REQUEST, data=found.errors)
    """
    assert _anchor(source) == anchor


def test_a_write_on_every_way_into_an_if_takes_the_capture_past_it() -> None:
    # The collect is made on every way in; the notice only when the author wants one.
    source = """\
    def collect(photo):
        photo.collectors.append(user)
        db.session.commit()
        if photo.author.wants_notices:
            notify(photo.author)
        return "collected"
    """
    found = flow.success_anchor(_func(source), 5, (3, 5))
    assert found is not None
    assert (found.line, found.before) == (4, False)
    # Nothing written before the ``if``: the capture stays with the write in it.
    found = flow.success_anchor(_func(source), 5, (5,))
    assert found is not None
    assert found.line == 5


def test_an_elif_is_not_a_place_to_capture_after() -> None:
    source = """\
    def save(kind, item):
        if kind == "a":
            log(item)
        elif kind == "b":
            item.save()
        else:
            item.archive()
            item.save()
        return item
    """
    found = flow.success_anchor(_func(source), 8, (5, 8))
    assert found is not None
    assert found.line == 8


def _proof(source: str, line: int, *, including: bool = False) -> flow.Proof:
    return flow.proof_at(_func(source), line, including=including)


# -- placement -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("guard", "line"),
    [
        ("if not user:\n            raise Conflict()", 3),
        ("if user is None:\n            return None", 3),
        ("if not user:\n            log(user)", 2),  # goes on: no guard
        ("if not account:\n            raise Conflict()", 2),  # another name
        ("if not user:\n            raise Conflict()\n        else:\n            pass", 2),
        ("if user is not None:\n            return user", 2),
    ],
)
def test_past_a_guard_that_leaves_when_nothing_was_made(guard: str, line: int) -> None:
    source = f"""\
    def signup(form):
        user = make_user(form)
        {guard}
        return token_for(user)
    """
    assert flow.past_guard(_func(source), 2, "user") == line


def test_a_write_an_if_tests_is_followed_into_the_branch_it_takes() -> None:
    source = """\
    def reset(token):
        user = find(token)
        if user.reset_password(token, "x"):
            flash("updated")
            return redirect("/login")
        else:
            return redirect("/")
    """
    assert _anchor(source, 3) == (4, True)
    # A negated test, a comparison: the body may be the failure, so past the statement.
    negated = source.replace("if user.reset", "if not user.reset")
    assert _anchor(negated, 3) == (3, False)
    compared = source.replace('"x"):', '"x") is None:')
    assert _anchor(compared, 3) == (3, False)
    # ``and`` joins the call to another test: its body is still the success.
    joined = source.replace("if user.reset", "if token and user.reset")
    assert _anchor(joined, 3) == (4, True)


def test_after_the_write() -> None:
    source = """\
    def create():
        post = Post(title="x")
        db.session.add(post)
        db.session.commit()
        return redirect("/")
    """
    assert _anchor(source, 4) == (4, False)


def test_a_write_in_a_loop_is_captured_once_after_the_loop() -> None:
    source = """\
    def import_all(rows):
        for row in rows:
            db.session.add(Row(row))
        db.session.commit()
    """
    assert _anchor(source, 3) == (2, False)


def test_a_write_in_an_except_handler_is_not_a_success() -> None:
    source = """\
    def create():
        try:
            do()
        except Error:
            db.session.commit()
            return "failed", 500
    """
    assert _anchor(source, 5) is None


def test_without_a_write_the_valid_branch_return_is_the_success() -> None:
    source = """\
    def reset_request():
        form = ResetForm()
        if form.validate_on_submit():
            send_reset(form.email.data)
            return redirect("/login")
        return render_template("reset.html", form=form)
    """
    assert _anchor(source) == (5, True)


def test_the_else_of_a_get_branch_is_the_action() -> None:
    source = """\
    def contact(request):
        if request.method == "GET":
            return render(request, "contact.html")
        else:
            send(request.POST)
            return redirect("/thanks")
    """
    assert _anchor(source) == (6, True)


@pytest.mark.parametrize(
    "source",
    [
        # Returns only inside branches, none an error: which one is success cannot be told.
        """\
        def ping(request):
            if check(request):
                return "ok"
            else:
                return "also ok"
        """,
        # A method branch with no mutating method in it and nothing after.
        """\
        def page(request):
            if request.method == "GET":
                return render(request, "page.html")
        """,
        # Ends by raising.
        """\
        def fail():
            raise Forbidden()
        """,
    ],
)
def test_no_anchor_where_success_cannot_be_told(source: str) -> None:
    assert _anchor(source) is None


# -- proof ---------------------------------------------------------------------------------


def test_a_chain_the_handler_read_is_proven_and_a_guess_is_not() -> None:
    source = """\
    def create():
        author = g.user["id"]
        token = make_token()
        db.session.commit()
    """
    proof = _proof(source, 4, including=True)
    assert proof.proves('g.user["id"]')
    assert proof.proves("token")
    assert not proof.proves("g.user.id")  # a sqlite3.Row has no attribute id
    assert not proof.proves("token.id")  # a str has none either


def test_only_names_bound_on_every_path_are_proven() -> None:
    source = """\
    def update(flag):
        if flag:
            a = 1
            b = 2
        else:
            a = 3
        db.session.commit()
    """
    proof = _proof(source, 7)
    assert proof.proves("a")
    assert proof.proves("flag")
    assert not proof.proves("b")


def test_short_circuits_and_branches_not_taken_prove_nothing() -> None:
    source = """\
    def edit(post):
        ok = post and post.author.id
        value = post.title if post else None
        db.session.commit()
    """
    proof = _proof(source, 4)
    assert not proof.proves("post.author.id")
    assert not proof.proves("post.title")


def test_a_terminating_none_check_proves_presence() -> None:
    source = """\
    def login(db):
        user = find_user(db)
        if user is None:
            raise Unauthorized()
        return issue(user)
    """
    assert "user is not None" in _proof(source, 5).chains


def test_a_try_whose_handlers_return_proves_its_body_ran() -> None:
    source = """\
    def create():
        try:
            post = Post.create(title=request.form["title"])
        except Invalid:
            return "bad", 400
        return jsonify(post.id)
    """
    proof = _proof(source, 6)
    assert proof.proves("post")
    assert proof.proves('request.form["title"]')


# -- the plan reads only what is proven ----------------------------------------------------


def _plan(source: str) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    analysis = analyse_sources({"app.py": textwrap.dedent(source)})
    plan = build_plan(analysis, client_module="posthog_client.py")
    return {e.event: (e.distinct_id, tuple(p.value for p in e.properties)) for e in plan.events}


def test_a_row_user_is_read_as_the_handler_reads_it() -> None:
    plan = _plan(
        """\
        from flask import Flask, g
        app = Flask(__name__)

        @app.post("/posts")
        def create_post():
            db.execute("INSERT INTO post (author_id) VALUES (?)", (g.user["id"],))
            db.commit()
            return redirect("/")
        """
    )
    assert plan["post_created"][0] == 'g.user["id"]'


def test_no_id_is_guessed_on_a_dict_but_a_model_that_declares_one_is_read() -> None:
    plan = _plan(
        """\
        from flask import Flask, jsonify
        from sqlalchemy.orm import Mapped, mapped_column
        app = Flask(__name__)

        class Post(Base):
            id: Mapped[int] = mapped_column(primary_key=True)

        @app.post("/notes")
        def create_note():
            note = {"id": 1}
            db.session.add(note)
            db.session.commit()
            return jsonify(note)

        @app.post("/posts")
        def create_post():
            post = Post()
            db.session.add(post)
            db.session.commit()
            return jsonify({})
        """
    )
    assert plan["note_created"][1] == ()
    assert plan["post_created"][1] == ("post.id",)


def test_a_final_if_else_with_one_success_return_is_the_success() -> None:
    source = """\
    def import_csv():
        ok = load(request.files["csv"])
        if ok is True:
            return redirect("/admin")
        else:
            return jsonify(ok), 500
    """
    assert _anchor(source) == (4, True)


@pytest.mark.parametrize(
    ("error", "success"),
    [
        # Django Ninja answers (status, body): the status comes first.
        ('return 409, {"detail": "taken"}', "return 201, account"),
        ('return {"detail": "taken"}, 409', "return account, 201"),
    ],
)
def test_the_error_status_is_read_first_or_second_in_a_returned_pair(
    error: str, success: str
) -> None:
    source = f"""\
    def register(request, payload):
        account = enrol(payload)
        if account.duplicate:
            {error}
        else:
            {success}
    """
    assert _anchor(source) == (6, True)


def test_a_pair_of_two_successes_is_not_an_error() -> None:
    source = """\
    def register(request, payload):
        if payload.again:
            return 200, payload
        else:
            return 201, payload
    """
    assert _anchor(source) is None


def test_a_final_if_else_with_two_successes_cannot_be_told_apart() -> None:
    source = """\
    def toggle():
        if flag():
            return redirect("/on")
        else:
            return redirect("/off")
    """
    assert _anchor(source) is None


def test_a_final_try_whose_handlers_answer_errors_succeeds_in_its_body() -> None:
    source = """\
    def vote(request):
        if is_owner(request):
            return JsonResponse({"message": "no"})
        try:
            update_votes(request.POST["id"])
            return JsonResponse({"votes": 1})
        except IntegrityError:
            return JsonResponse({"status": "false"}, status=500)
    """
    assert _anchor(source) == (6, True)


@pytest.mark.parametrize(
    ("source", "toggles"),
    [
        ("def like(request):\n    news.switch_like(request.user)\n", "like"),
        ("def toggle_follow(request, pk):\n    do(pk)\n", "follow"),
        ("def flip(request):\n    item.toggle()\n", ""),
        ("def like(request):\n    news.likes.add(request.user)\n", None),
        ("def save(request):\n    switchboard.connect()\n", None),
    ],
)
def test_what_a_handler_toggles(source: str, toggles: str | None) -> None:
    func = ast.parse(source).body[0]
    assert isinstance(func, ast.FunctionDef)
    assert flow.toggled(func) == toggles


# -- the methods that reach the capture ----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "methods"),
    [
        (
            """\
            def confirm(token=None):
                if token and request.method == "GET":
                    account = Account.query.filter_by(token=token).first_or_404()
                    account.confirmed = True
                    db.session.commit()
                    return redirect("/")
                if request.method == "POST":
                    send_again()
                return render_template("confirm.html")
            """,
            5,
            ("GET",),
        ),
        (
            """\
            def edit(pk):
                if request.method == "GET":
                    return render_template("edit.html")
                db.session.commit()
                return redirect("/")
            """,
            4,
            ("DELETE", "OPTIONS", "HEAD", "PATCH", "POST", "PUT"),
        ),
        (
            """\
            def edit(pk):
                if request.method != "POST":
                    return render_template("edit.html")
                db.session.commit()
            """,
            4,
            ("POST",),
        ),
        (
            """\
            def vote(pk):
                if request.method == "GET":
                    return render_template("vote.html")
                elif request.method == "DELETE":
                    Vote.query.filter_by(id=pk).delete()
                else:
                    db.session.add(Vote(pk))
                db.session.commit()
            """,
            5,
            ("DELETE",),
        ),
        (
            """\
            def vote(pk):
                if request.method == "GET":
                    return render_template("vote.html")
                elif request.method == "DELETE":
                    Vote.query.filter_by(id=pk).delete()
                else:
                    db.session.add(Vote(pk))
            """,
            7,
            ("HEAD", "OPTIONS", "PATCH", "POST", "PUT"),
        ),
    ],
)
def test_the_methods_that_reach_a_line(source: str, line: int, methods: tuple[str, ...]) -> None:
    assert flow.reaching_methods(_func(source), line) == tuple(sorted(methods))


@pytest.mark.parametrize(
    "source",
    [
        """\
        def create():
            db.session.add(Post())
            db.session.commit()
        """,
        """\
        def create():
            if form.validate_on_submit():
                db.session.commit()
        """,
        """\
        def create():
            if request.method == "POST" or preview:
                db.session.commit()
        """,
    ],
)
def test_no_method_test_narrows_nothing(source: str) -> None:
    assert flow.reaching_methods(_func(source), 3) == ()


def test_a_write_on_the_get_branch_of_a_get_post_view_is_sent_for_get() -> None:
    analysis = analyse_sources(
        {
            "app.py": textwrap.dedent(
                """\
                from flask import Flask, redirect, render_template, request
                from flask_sqlalchemy import SQLAlchemy

                app = Flask(__name__)
                db = SQLAlchemy(app)


                class Account(db.Model):
                    id = db.Column(db.Integer, primary_key=True)


                @app.route("/confirm/<token>", methods=["GET", "POST"])
                def confirm(token):
                    if request.method == "GET":
                        account = Account.query.filter_by(token=token).first_or_404()
                        account.confirmed = True
                        db.session.commit()
                        return redirect("/")
                    send_again()
                    return render_template("confirm.html")


                @app.route("/notes", methods=["GET", "POST"])
                def notes():
                    if request.method == "POST":
                        db.session.add(Note())
                        db.session.commit()
                    return render_template("notes.html")
                """
            )
        }
    )
    plan = build_plan(analysis, client_module="posthog_client.py")
    methods = {e.handler: (e.methods, e.description) for e in plan.events}
    assert methods["confirm"][0] == ("GET",)
    assert "(GET /confirm/<token>)" in methods["confirm"][1]
    assert methods["notes"][0] == ("POST",)


def test_the_ids_of_other_objects_the_handler_loaded_are_properties_where_proven() -> None:
    plan = _plan(
        """\
        from flask import Flask, redirect, request
        from flask_sqlalchemy import SQLAlchemy

        app = Flask(__name__)
        db = SQLAlchemy(app)


        class Board(db.Model):
            id = db.Column(db.Integer, primary_key=True)


        class Card(db.Model):
            id = db.Column(db.Integer, primary_key=True)


        class Session(db.Model):
            id = db.Column(db.Integer, primary_key=True)


        @app.post("/cards")
        def add_card():
            board = Board.query.filter_by(slug=request.form["board"]).first_or_404()
            visit = Session.query.filter_by(key=request.form["visit"]).first_or_404()
            card = Card(board=board, visit=visit)
            db.session.add(card)
            db.session.commit()
            return redirect("/")


        @app.post("/pins")
        def pin_card():
            board = Board.query.filter_by(slug=request.form["board"]).first()
            card = Card(board=board)
            db.session.add(card)
            db.session.commit()
            return redirect("/")
        """
    )
    # The board is proven (first_or_404 answers it or raises); a session's key reads as PII.
    assert plan["card_created"][1] == ("card.id", "board.id")
    # first() may answer None and nothing used it: its id is no property.
    assert plan["card_pinned"][1] == ("card.id",)


def test_what_sqlalchemy_2_queries_and_project_functions_answer() -> None:
    analysis = analyse_sources(
        {
            "app.py": textwrap.dedent(
                """\
                import sqlalchemy as sa
                from flask import Flask, request
                from sqlmodel import select
                from . import crud
                from .models import User

                app = Flask(__name__)

                @app.post("/a")
                def a():
                    one = db.session.scalar(sa.select(User).where(User.name == "x"))
                    two = db.session.execute(sa.select(User).filter_by(id=1)).scalar_one()
                    three = db.session.scalars(sa.select(User)).first()
                    four = session.exec(select(User).where(User.id == 1)).first()
                    five = db.session.execute(sa.select(User).limit(1)).scalars().one()
                    row = db.session.execute(sa.select(User)).first()
                    pair = db.session.scalar(sa.select(User, User.name))
                    made = crud.create_user(name="x")
                    data = request.get_json()
                    db.session.commit()
                    return ""
                """
            )
        }
    )
    [route] = analysis.routes
    typed = dict(route.typed)
    assert {name: typed.get(name) for name in ("one", "two", "three", "four", "five")} == {
        "one": "models.User?",
        "two": "models.User",
        "three": "models.User?",
        "four": "models.User?",
        "five": "models.User",
    }
    # A row is not an instance; a select of two entities answers no one model.
    assert (typed.get("row"), typed.get("pair")) == (None, None)
    # a project function's result is what its annotation says, settled by the analysis
    assert typed["made"] == "crud.create_user"
    assert typed.get("data") in (None, "flask.request.get_json")


def test_a_bare_id_parameter_is_named_for_the_resource_the_path_names_before_it() -> None:
    analysis = analyse_sources(
        {
            "app.py": textwrap.dedent(
                """\
        from flask import Flask, redirect

        from .models import Comment, Note

        app = Flask(__name__)


        @app.post("/posts/<int:id>/comments/")
        def comment(id):
            db.session.add(Comment(post_id=id))
            db.session.commit()
            return redirect("/")


        @app.put("/api/<int:id>")
        def update(id):
            note = Note(id=id)
            db.session.add(note)
            db.session.commit()
            return redirect("/")


        @app.post("/edit/<int:id>")
        def edit(id):
            note = Note(id=id)
            db.session.add(note)
            db.session.commit()
            return redirect("/")


        @app.post("/post/<int:id>")
        def post(id):
            db.session.add(Comment(post_id=id))
            db.session.commit()
            return redirect("/")
        """
            )
        }
    )
    plan = {
        e.handler: tuple((p.name, p.value) for p in e.properties)
        for e in build_plan(analysis, client_module="posthog_client.py").events
    }
    # the id keys the post the comment is on, not a comment
    assert plan["comment"] == (("post_id", "id"),)
    # where no resource precedes it, or an action does, the event's own noun
    assert plan["update"] == (("note_id", "id"),)
    assert plan["edit"] == (("note_id", "id"),)
    # a resource named in the singular keys the same
    assert plan["post"] == (("post_id", "id"),)


@pytest.mark.parametrize(
    ("source", "change"),
    [
        # fields set on what it looked up, then committed: changed
        (
            "def edit(id):\n    post = Post.query.get_or_404(id)\n    post.title = 'x'\n"
            "    db.session.commit()\n",
            "updated",
        ),
        # the request's user exists
        (
            "def rename(request):\n    request.user.first_name = 'x'\n    request.user.save()\n",
            "updated",
        ),
        # an object of the module (an imported current user), which no request makes
        (
            "def settings():\n    current_user.about = 'x'\n    db.session.commit()\n",
            "updated",
        ),
        (
            "def drop(request, pk):\n    note = Note.objects.get(pk=pk)\n    note.delete()\n",
            "deleted",
        ),
        # anything made here, created through a manager or a session, or run as SQL: unknown
        ("def make(request):\n    note = Note(title='x')\n    note.save()\n", None),
        ("def make(request):\n    Note.objects.create(title='x')\n", None),
        ("def make(request):\n    form = NoteForm(request.POST)\n    form.save()\n", None),
        (
            "def both(id):\n    post = Post.query.get(id)\n    db.session.add(Tag(post=post))\n"
            "    db.session.commit()\n",
            None,
        ),
        # bound here some other way (``with ... as``, a walrus): not known to exist
        (
            "def make():\n    with Note.draft() as note:\n        note.title = 'x'\n"
            "    db.session.commit()\n",
            None,
        ),
        ("def raw(id):\n    db.execute('UPDATE post SET x = 1')\n    db.commit()\n", None),
        ("def nothing(request):\n    return None\n", None),
    ],
)
def test_what_a_handler_does_to_objects_it_looked_up(source: str, change: str | None) -> None:
    assert flow.existing_change(_func(source)) == change


def test_a_class_the_handler_picks_into_a_local_names_nothing_written() -> None:
    analysis = analyse_sources(
        {
            "app.py": textwrap.dedent(
                """\
        from flask import Flask, request

        from .models import ChallengeTopics, db

        app = Flask(__name__)


        @app.delete("/topics")
        def delete_topic():
            if request.args.get("type") == "challenge":
                Model = ChallengeTopics
            else:
                return {"success": False}, 400
            topic = Model.query.filter_by(id=1).first_or_404()
            db.session.delete(topic)
            db.session.commit()
            return {"success": True}
        """
            )
        }
    )
    (route,) = analysis.routes
    assert "Model" not in route.written
    (event,) = build_plan(analysis, client_module="posthog_client.py").events
    assert event.event == "topic_deleted"


def test_a_table_named_like_a_local_is_still_the_table_written() -> None:
    analysis = analyse_sources(
        {
            "app.py": textwrap.dedent(
                """\
        from flask import Flask, redirect

        from .db import get_db, get_post

        app = Flask(__name__)


        @app.route("/<int:id>/update", methods=("GET", "POST"))
        def update(id):
            post = get_post(id)
            db = get_db()
            db.execute("UPDATE post SET title = ? WHERE id = ?", ("x", id))
            db.commit()
            return redirect("/")
        """
            )
        }
    )
    (route,) = analysis.routes
    assert route.written == ("post",)
    (event,) = build_plan(analysis, client_module="posthog_client.py").events
    assert (event.event, [(p.name, p.value) for p in event.properties]) == (
        "post_updated",
        [("post_id", "id")],
    )


def test_a_pk_path_parameter_is_sent_as_an_id() -> None:
    analysis = analyse_sources(
        {
            "app.py": textwrap.dedent(
                """\
        from flask import Flask, redirect

        from .models import Question, db

        app = Flask(__name__)


        @app.post("/quizzes/<int:quiz_pk>/questions/")
        def add_question(quiz_pk):
            db.session.add(Question(quiz_id=quiz_pk))
            db.session.commit()
            return redirect("/")
        """
            )
        }
    )
    (event,) = build_plan(analysis, client_module="posthog_client.py").events
    assert [(p.name, p.value) for p in event.properties] == [("quiz_id", "quiz_pk")]


# -- what an unannotated function returns ---------------------------------------------------


def _function_returns(source: str, module: str) -> tuple[tuple[str, str], ...]:
    ctx = FileContext.parse(
        f"{module.replace('.', '/')}.py", module, False, source, registry.analysers()
    )
    return flow.function_returns(ctx)


def test_an_unannotated_function_returns_the_one_class_every_return_gives() -> None:
    returns = dict(
        _function_returns(
            textwrap.dedent(
                """\
                class Member(Model):
                    id = Column(Integer)

                    @classmethod
                    def newest(cls):
                        return Member.query.order_by(Member.id).first()

                    def name(self):
                        return Member()


                def build(key):
                    member = Member(id=key)
                    return member


                def find(key):
                    if key:
                        return Member.query.get(key)


                def either(key):
                    if key:
                        return Member()
                    return Visitor()


                def made(key):
                    return {"id": key}


                def rows(keys):
                    for key in keys:
                        yield Member(id=key)


                def nothing():
                    pass


                def if_given(key):
                    return Member.query.get(key) if key else None


                def or_visitor(key):
                    return Member() if key else Visitor()


                def authenticate(name, password):
                    member = Member.query.filter_by(name=name).first()
                    if not member:
                        return False
                    if not member.check(password):
                        return False
                    return member
                """
            ),
            "app.models",
        )
    )
    # A False answer: only a truth test rules it out (``!``).
    assert returns["app.models.authenticate"] == "app.models.Member!"
    assert returns["app.models.Member.newest"] == "app.models.Member?"
    assert returns["app.models.build"] == "app.models.Member"
    assert returns["app.models.find"] == "app.models.Member?"  # it may end without a return
    # ``X if test else None``: an X, or None
    assert returns["app.models.if_given"] == "app.models.Member?"
    for untyped in ("Member.name", "either", "made", "rows", "nothing", "or_visitor"):
        assert f"app.models.{untyped}" not in returns


@pytest.mark.parametrize(
    ("guard", "identified"),
    [
        ("if not member:\n        raise Unauthorized()", True),
        # ``is None`` leaves the False the function may answer.
        ("if member is None:\n        raise Unauthorized()", False),
    ],
)
def test_a_login_through_a_function_that_may_answer_false_needs_a_truth_test(
    guard: str, identified: bool
) -> None:
    analysis = analyse_sources(
        {
            "app/__init__.py": "",
            "app/models.py": """\
class Member(Model):
    id = Column(Integer)
    name = Column(String)


def authenticate(name, password):
    member = Member.query.filter_by(name=name).first()
    if not member or not member.check(password):
        return False
    return member
""",
            "app/main.py": f"""\
from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordRequestForm

from .models import authenticate

app = FastAPI()


@app.post("/token")
def login(form: OAuth2PasswordRequestForm = Depends()):
    member = authenticate(form.username, form.password)
    {guard}
    return {{"access_token": create_access_token(data={{"sub": str(member.id)}})}}
""",
        }
    )
    plan = build_plan(analysis, client_module="app/posthog_client.py")
    (login,) = build_points(analysis, plan)["app/main.py"].identifies
    assert (login.user_id == "member.id") is identified


def test_a_handler_local_from_an_unannotated_function_is_typed_by_it() -> None:
    analysis = analyse_sources(
        {
            "app.py": textwrap.dedent(
                """\
                from flask import Flask
                app = Flask(__name__)

                class Post(Model):
                    id = Column(Integer)

                def new_post(title):
                    post = Post(title=title)
                    db.session.add(post)
                    return post

                @app.post("/posts")
                def create_post():
                    post = new_post("x")
                    db.session.commit()
                    return ""
                """
            )
        }
    )
    assert "id" in analysis.attributes_of("app.new_post")
    assert "?" not in analysis.attributes_of("app.new_post")


def test_a_proof_parses_each_expression_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan asks whether the same few values are proven for every event."""
    flow.parsed_expression.cache_clear()
    parsed: list[str] = []
    original = ast.parse

    def counting(source: str, *args: Any, **kwargs: Any) -> Any:
        parsed.append(source)
        return original(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    proof = flow.Proof.of(["post", "post.author"])
    assert all(proof.proves("post.id") is False for _ in range(3))
    assert all(proof.proves("post.author") for _ in range(3))
    assert not proof.proves("post.")
    assert parsed == ["post.id", "post.author", "post."]


def test_a_recorded_proof_is_built_once_per_record() -> None:
    """A handler's record is read for each of its events and properties."""
    record = ("post", "post.author", "request.user")
    proof = flow.Proof.of(record)
    assert flow.Proof.of(tuple(record)) is proof
    assert proof == flow.Proof.of(list(record))
    assert proof.names == frozenset({"post"})
    assert proof.chains == frozenset({"post.author", "request.user"})


# -- a webhook's outcomes -------------------------------------------------------------------


def test_each_event_type_a_webhook_tests_for_is_an_outcome_with_its_own_place() -> None:
    source = """\
    def hook(request):
        event = parse(request.body)
        kind = event.get("type")
        if kind == "invoice.paid":
            mark_paid(event)
        elif event["type"] == "customer.subscription.deleted":
            cancel(event)
            return ok()
        elif event.type == "not an event type":
            pass
        match event["type"]:
            case "payment_intent.succeeded":
                fulfil(event)
        return ok()
    """
    outcomes = {kind: (a.line, a.before) for kind, a in flow.event_type_branches(_func(source))}
    assert outcomes == {
        "invoice.paid": (5, False),  # after the branch's last statement
        "customer.subscription.deleted": (8, True),  # before the return that leaves it
        "payment_intent.succeeded": (13, False),
    }


def test_one_type_test_is_a_guard_not_a_webhook() -> None:
    source = """\
    def hook(request):
        if request.json["type"] == "url_verification":
            return challenge(request)
        save(request.json)
        return ok()
    """
    assert flow.event_type_branches(_func(source)) == ()


# -- a name bound again ----------------------------------------------------------------------

REBOUND = """\
from app.models import User


def register(session, data, flag, items):
    user = session.query(User).filter_by(email=data.email).first()
    {guard}
    {rebind}
    session.add(user)
    return user
"""


def _typed_user(guard: str, rebind: str, line: int = 8) -> str | None:
    source = REBOUND.format(guard=guard, rebind=rebind)
    ctx = FileContext.parse("app/views.py", "app.views", False, source, registry.analysers())
    func = ctx.tree.body[-1]
    assert isinstance(func, ast.FunctionDef)
    return dict(flow.typed_at(ctx, func, line, including=False)).get("user")


@pytest.mark.parametrize(
    ("guard", "rebind", "kind"),
    [
        # The lookup's branch leaves: past the new binding, the name is the new user.
        ("if user:\n        raise Conflict()", "user = User(email=data.email)", "app.models.User"),
        # Its branch goes on, but the name is bound again on every way past it.
        ("if user:\n        log(user)", "user = User(email=data.email)", "app.models.User"),
        # Bound again on one way only: the lookup's user (None, or found) reaches too.
        ("pass", "if flag:\n        user = User(email=data.email)", None),
        (
            "pass",
            "if flag:\n        user = User()\n    else:\n        user = User()",
            "app.models.User",
        ),
        ("pass", "for item in items:\n        user = User(email=item)", None),
        ("pass", "try:\n        user = User()\n    except KeyError:\n        pass", None),
        (
            "pass",
            "try:\n        user = User()\n    except KeyError:\n        raise",
            "app.models.User",
        ),
        ("pass", "user, created = pair()", None),
    ],
)
def test_a_name_is_typed_by_the_binding_that_reaches_the_point(
    guard: str, rebind: str, kind: str | None
) -> None:
    line = REBOUND.format(guard=guard, rebind=rebind).splitlines().index("    session.add(user)")
    assert _typed_user(guard, rebind, line + 1) == kind


def test_above_the_new_binding_the_name_is_still_the_lookup() -> None:
    # Between the guard and the creation: the lookup's user, which may be None.
    kind = _typed_user("if user:\n        raise Conflict()", "user = User()", line=7)
    assert kind == "app.models.User?"


def test_a_loop_brings_a_later_binding_back_to_the_top_of_its_body() -> None:
    source = """\
    from app.models import User


    def invite(emails):
        user = User(email="first")
        for email in emails:
            notify(user)
            user = make(email)
    """
    ctx = FileContext.parse(
        "app/views.py", "app.views", False, textwrap.dedent(source), registry.analysers()
    )
    func = ctx.tree.body[-1]
    assert isinstance(func, ast.FunctionDef)
    assert "user" not in dict(flow.typed_at(ctx, func, 7, including=False))


def test_what_was_read_of_a_name_is_forgotten_once_it_is_bound_again() -> None:
    source = """\
    def register(data):
        user = find(data)
        if user is None:
            raise Missing()
        log(user.email)
        user = make(data)
        save(user)
        for item in data.items:
            item.owner = user.email
            user = other(item)
        done(user)
    """
    after_rebinding = _proof(source, 7)
    assert after_rebinding.proves("user")
    assert not after_rebinding.proves("user.email")
    assert "user is not None" not in after_rebinding.chains
    before_rebinding = _proof(source, 6)
    assert before_rebinding.proves("user.email")
    # Read in the loop, then bound again in it: past the loop, not known of the last one.
    assert not _proof(source, 11).proves("user.email")


def test_a_capture_after_a_commit_waits_for_the_refresh_that_follows_it() -> None:
    # An async session expires what it committed: ``user.id`` read before the refresh
    # would load it lazily, which an async session refuses.
    source = """\
    async def register(session, data):
        user = User(**data)
        session.add(user)
        await session.commit()
        await session.refresh(user)
        return user
    """
    found = flow.success_anchor(_func(source), 4, (3, 4))
    assert found is not None
    assert (found.line, found.before) == (5, False)


# -- what a handler looks up by its parameters -----------------------------------------


def _lookup_keys(body: str) -> tuple[tuple[str, str], ...]:
    source = (
        "from django.shortcuts import get_object_or_404\n"
        "from depot.models import Crate, ShelfSlot, db\n\n\n"
        "def restock(request, pk, id, cid, note):\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
    )
    ctx = FileContext.parse("depot/views.py", "depot.views", False, source, registry.analysers())
    func = next(n for n in ctx.tree.body if isinstance(n, ast.FunctionDef))
    return flow.lookup_keys(ctx, func)


@pytest.mark.parametrize(
    ("body", "keys"),
    [
        ("slot = get_object_or_404(ShelfSlot, pk=pk)\n", (("pk", "depot.models.ShelfSlot"),)),
        ("ShelfSlot.objects.get(id=id).delete()\n", (("id", "depot.models.ShelfSlot"),)),
        (
            "crate = Crate.query.filter_by(id=cid).first()\nslot = ShelfSlot.query.get_or_404(pk)\n",
            (("cid", "depot.models.Crate"), ("pk", "depot.models.ShelfSlot")),
        ),
        # the key of two models keys neither
        (
            "a = Crate.objects.get(pk=pk)\nb = ShelfSlot.objects.get(pk=pk)\n",
            (),
        ),
        # not a key, not a model, not a parameter
        ("slot = ShelfSlot.objects.get(note=note)\n", ()),
        ("value = request.GET.get(pk)\n", ()),
        ("other = 3\nslot = ShelfSlot.objects.get(pk=other)\n", ()),
    ],
)
def test_a_parameter_a_model_is_looked_up_by_keys_that_model(
    body: str, keys: tuple[tuple[str, str], ...]
) -> None:
    assert _lookup_keys(body) == keys
