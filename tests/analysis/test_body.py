"""Write evidence in a handler's body: what counts as a change of data, whatever the framework."""

from __future__ import annotations

import ast

import pytest

from posthog_setup.analysis.body import write_evidence


def _call(code: str) -> ast.Call:
    node = ast.parse(code, mode="eval").body
    assert isinstance(node, ast.Call)
    return node


@pytest.mark.parametrize(
    ("code", "writes"),
    [
        ("question.delete()", True),  # an ORM object deleting itself
        ("self.object.delete()", True),
        ("post.save()", True),
        ("db.session.delete(post)", True),
        ("Post.objects.filter(owner=u).delete()", True),
        ("cache.delete(key)", False),  # told what to delete: not the object itself
        ("requests.delete(url)", False),
        ("client.delete(url, timeout=3)", False),
        ("items.append(x)", False),
        ("form.save(commit=False)", False),  # builds the object, writes nothing
        ("form.save(commit=True)", True),
        ("member.set_password(raw)", True),  # the account's password changes
        ("Member.set_password(raw)", False),  # a class's helper that hashes a text
    ],
)
def test_write_evidence(code: str, writes: bool) -> None:
    found = write_evidence(_call(code))
    assert (found is not None and found.mutating) is writes


def test_functions_of_the_module_that_write_are_known_through_calls() -> None:
    from posthog_setup.analysis.body import writing_functions

    tree = ast.parse(
        "def save_keywords(review, terms):\n"
        "    for term in terms:\n"
        "        Keyword(review=review, term=term).save()\n"
        "def import_keywords(review):\n"
        "    return save_keywords(review, review.terms)\n"
        "def describe(review):\n"
        "    return review.title\n"
        "def loop_a():\n"
        "    loop_b()\n"
        "def loop_b():\n"
        "    loop_a()\n"
    )
    assert writing_functions(tree) == {
        "save_keywords": "writes (Keyword().save() saves a model)",
        "import_keywords": "calls save_keywords(), which writes",
    }


def test_a_handler_calling_a_writing_function_of_its_module_writes_there() -> None:
    from tests.analysis.web_helpers import analyse_one

    analysis = analyse_one(
        """
        from flask import Flask
        app = Flask(__name__)

        def add_tags(post, names):
            for name in names:
                db.session.add(Tag(post=post, name=name))

        def title_of(post):
            return post.title

        @app.post("/posts/<int:pid>/tags")
        def tag_post(pid):
            post = Post.query.get_or_404(pid)
            add_tags(post, ["a"])
            db.session.flush()
            return "ok"

        @app.post("/posts/<int:pid>/title")
        def post_title(pid):
            return title_of(Post.query.get_or_404(pid))
        """
    )
    routes = {r.handler.qualname: r for r in analysis.routes}
    assert next(e.detail for e in routes["tag_post"].evidence if e.kind == "write").startswith(
        "add_tags() writes"
    )
    assert not any(e.kind == "write" for e in routes["post_title"].evidence)


def test_a_document_saved_into_the_response_is_sent_back_not_stored() -> None:
    from tests.analysis.web_helpers import analyse_one

    analysis = analyse_one(
        """
        from flask import Flask, Response
        app = Flask(__name__)

        @app.post("/reports/export")
        def export_report():
            book = Workbook()
            response = Response(mimetype="application/vnd.ms-excel")
            book.save(response)
            return response

        @app.post("/reports/archive")
        def archive_report():
            report = Report.query.get_or_404(1)
            response = Response("done")
            report.save()
            return response

        @app.post("/reports/upload")
        def upload_report():
            book = Workbook()
            book.save(storage_path)
            db.session.commit()
            return "ok"
        """
    )
    routes = {r.handler.qualname: r for r in analysis.routes}
    assert not routes["export_report"].mutating
    assert any("into the response" in e.detail for e in routes["export_report"].evidence)
    assert routes["archive_report"].mutating  # a response nearby does not make a save read-only
    assert routes["upload_report"].mutating
