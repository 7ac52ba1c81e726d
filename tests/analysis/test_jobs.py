"""Jobs analysis: entry points of scripts, argparse and click commands, Lambda-style
handlers; which of their runs write; the system id their events carry; web apps untouched."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis
from posthog_setup.frameworks.jobs.analysis import ENTRY
from posthog_setup.plan.plan import build_plan
from tests.analysis.web_helpers import analyse, analyse_one


def writes(analysis: Analysis) -> list[tuple[str, str, bool]]:
    """(file, handler, mutating) of every job handler."""
    return sorted(
        (r.handler.file, r.handler.qualname, r.mutating)
        for r in analysis.routes
        if r.framework == "jobs"
    )


def entries(analysis: Analysis) -> list[tuple[str, str]]:
    return sorted((a.name, a.prefix) for a in analysis.apps if a.kind == ENTRY)


def test_a_main_block_an_argparse_main_and_its_subcommands() -> None:
    analysis = analyse_one(
        """
        import argparse
        import json
        from pathlib import Path

        DATA = Path("todos.json")


        def save(todos):
            DATA.write_text(json.dumps(todos))


        def cmd_add(args):
            todos = json.loads(DATA.read_text())
            todos.append(args.text)
            save(todos)


        def cmd_list(args):
            for todo in json.loads(DATA.read_text()):
                print(todo)


        def banner():
            print("todos")


        def main():
            parser = argparse.ArgumentParser()
            sub = parser.add_subparsers(dest="command")
            sub.add_parser("add").add_argument("text")
            sub.add_parser("list")
            args = parser.parse_args()
            banner()
            if args.command == "add":
                cmd_add(args)
            else:
                cmd_list(args)


        if __name__ == "__main__":
            main()
        """,
        file="todo.py",
    )
    assert analysis.project.frameworks == ("jobs",)
    assert entries(analysis) == [("todo.main", "cron")]
    # The handlers it hands the parsed arguments to; ``banner`` is no handler, and main
    # writes only through them.
    assert writes(analysis) == [
        ("todo.py", "cmd_add", True),
        ("todo.py", "cmd_list", False),
        ("todo.py", "main", False),
    ]
    plan = build_plan(analysis, client_module="posthog_client.py")
    [event] = plan.events
    assert (event.event, event.handler, event.distinct_id) == (
        "todo_created",
        "cmd_add",
        '"cron:todo"',
    )
    assert [(p.name, p.value) for p in event.properties] == [("$process_person_profile", "False")]


def test_click_commands_are_entry_points_of_their_own() -> None:
    analysis = analyse_one(
        """
        import sqlite3

        import click


        @click.group()
        def cli():
            pass


        @cli.command()
        @click.argument("name")
        def archive_project(name):
            db = sqlite3.connect("projects.db")
            db.execute("UPDATE project SET archived = 1 WHERE name = ?", (name,))
            db.commit()


        @cli.command()
        def show():
            db = sqlite3.connect("projects.db")
            print(db.execute("SELECT name FROM project").fetchall())


        if __name__ == "__main__":
            cli()
        """,
        file="tools/projects.py",
    )
    # The group only dispatches: each command is a run of its own.
    assert entries(analysis) == [
        ("tools.projects.archive_project", "cron"),
        ("tools.projects.show", "cron"),
    ]
    assert ("tools/projects.py", "archive_project", True) in writes(analysis)
    assert ("tools/projects.py", "show", False) in writes(analysis)
    plan = build_plan(analysis, client_module="tools/posthog_client.py")
    assert [(e.event, e.distinct_id) for e in plan.events] == [
        ("project_archived", '"cron:tools.projects"')
    ]


def test_a_lambda_handler_is_found_by_its_signature() -> None:
    analysis = analyse_one(
        """
        import boto3

        table = boto3.resource("dynamodb").Table("orders")


        def handler(event, context):
            for record in event["Records"]:
                table.put_item(Item=record)
            table.update(Key={"id": event["id"]})
            return {"ok": True}
        """,
        file="orders/ingest.py",
    )
    assert entries(analysis) == [("orders.ingest.handler", "lambda")]
    plan = build_plan(analysis, client_module="orders/posthog_client.py")
    assert [(e.event, e.distinct_id) for e in plan.events] == [
        ("ingest_updated", '"lambda:orders.ingest"')
    ]


def test_an_existing_capture_through_a_helper_keeps_its_name() -> None:
    analysis = analyse_one(
        """
        import argparse

        from posthog import Posthog

        client = Posthog("phc_x")


        def track(posthog, event_name, properties=None):
            posthog.capture(distinct_id="me", event=event_name, properties=properties)


        def cmd_delete(args):
            with open("todos.txt", "w") as handle:
                handle.write("")
            track(client, "todos_cleared", {"count": 0})


        def main():
            args = argparse.ArgumentParser().parse_args()
            cmd_delete(args)


        if __name__ == "__main__":
            main()
        """,
        file="todo.py",
    )
    plan = build_plan(analysis, client_module="posthog_client.py")
    assert [e.event for e in plan.events] == ["todos_cleared"]


def test_a_script_that_only_reads_gets_no_event() -> None:
    analysis = analyse_one(
        """
        import sqlite3


        def main():
            db = sqlite3.connect("app.db")
            for row in db.execute("SELECT * FROM invoices"):
                print(row)


        if __name__ == "__main__":
            main()
        """,
        file="report.py",
    )
    assert entries(analysis) == [("report.main", "cron")]
    assert build_plan(analysis, client_module="posthog_client.py").events == ()


def test_a_web_project_keeps_its_scripts_out_of_the_plan() -> None:
    analysis = analyse(
        {
            "app.py": """
                from flask import Flask

                app = Flask(__name__)


                @app.post("/notes")
                def create_note():
                    db.session.commit()
                    return "", 201


                if __name__ == "__main__":
                    app.run()
            """,
            "scripts/seed.py": """
                import sqlite3


                def main():
                    db = sqlite3.connect("app.db")
                    db.execute("INSERT INTO note (body) VALUES ('x')")
                    db.commit()


                if __name__ == "__main__":
                    main()
            """,
        }
    )
    assert analysis.project.frameworks == ("flask",)
    assert entries(analysis) == []
    assert writes(analysis) == []


def test_a_module_importing_a_web_framework_has_no_entry_points() -> None:
    analysis = analyse_one(
        """
        from bottle import run


        def main():
            run(host="127.0.0.1", port=8080)


        if __name__ == "__main__":
            main()
        """
    )
    assert entries(analysis) == []


def test_a_project_of_an_unsupported_web_framework_is_no_job() -> None:
    analysis = analyse_one(
        """
        import tornado.ioloop
        import tornado.web


        def main():
            tornado.web.Application([]).listen(8888)
            tornado.ioloop.IOLoop.current().start()


        if __name__ == "__main__":
            main()
        """
    )
    assert analysis.project.frameworks == ()
    assert entries(analysis) == []


def test_celery_tasks_act_for_the_user_they_are_given() -> None:
    analysis = analyse(
        {
            "worker/app.py": """
                from celery import Celery

                app = Celery("worker")
            """,
            "worker/tasks.py": """
                from celery import shared_task

                from worker.app import app


                @app.task(bind=True)
                def refund_payment(self, payment_id, user_id):
                    db.execute("UPDATE payment SET refunded = 1 WHERE id = ?", (payment_id,))
                    db.commit()


                @shared_task
                def archive_invoices():
                    db.execute("UPDATE invoice SET archived = 1")
                    db.commit()


                @app.task
                def total():
                    return db.execute("SELECT SUM(amount) FROM payment").fetchone()


                @other.task
                def not_celery():
                    db.commit()
            """,
        }
    )
    assert entries(analysis) == [("worker.app.app", "celery")]
    assert writes(analysis) == [
        ("worker/tasks.py", "archive_invoices", True),
        ("worker/tasks.py", "refund_payment", True),
        ("worker/tasks.py", "total", False),
    ]
    plan = build_plan(analysis, client_module="worker/posthog_client.py")
    assert [(e.event, e.distinct_id, [p.name for p in e.properties]) for e in plan.events] == [
        ("invoice_archived", '"celery:worker.tasks"', ["$process_person_profile"]),
        ("payment_refunded", "user_id", []),
    ]


def test_lambda_handlers_by_the_names_their_parameters_usually_have() -> None:
    analysis = analyse_one(
        """
        def process(evt, ctx):
            return evt


        def lambda_handler(event, _context):
            return event


        def merge(left, right):
            return left
        """,
        file="fn.py",
    )
    assert entries(analysis) == [("fn.lambda_handler", "lambda"), ("fn.process", "lambda")]


def test_counts_of_what_the_run_built_or_changed() -> None:
    analysis = analyse_one(
        """
        import sqlite3


        def stale_ids(db):
            return [row[0] for row in db.execute("SELECT id FROM session")]


        def main():
            db = sqlite3.connect("app.db")
            expired = stale_ids(db)
            batches = []
            for batch in range(3):
                batches += [batch]
            cursor = db.execute("DELETE FROM session WHERE expired = 1")
            db.commit()
            pending = db.execute("SELECT id FROM task").fetchall()
            print(len(expired), len(batches), cursor.rowcount, len(pending))


        if __name__ == "__main__":
            main()
        """,
        file="cleanup.py",
    )
    [route] = [r for r in analysis.routes if r.mutating]
    # ``batches`` is rebound by ``+=``, ``pending`` is read after the capture: not counted.
    assert route.counts == (("expired_count", "len(expired)"), ("rows_changed", "cursor.rowcount"))
    [event] = build_plan(analysis, client_module="posthog_client.py").events
    assert [(p.name, p.value, p.type) for p in event.properties][:2] == [
        ("expired_count", "len(expired)", "integer"),
        ("rows_changed", "cursor.rowcount", "integer"),
    ]


def test_a_web_projects_celery_app_and_tasks_are_jobs_its_scripts_are_not() -> None:
    analysis = analyse(
        {
            "site/app.py": """
                from flask import Flask

                app = Flask(__name__)


                @app.post("/orders")
                def create_order():
                    db.session.commit()
                    return "", 201
            """,
            "site/worker.py": """
                from celery import Celery

                celery = Celery("site")
            """,
            "site/tasks.py": """
                from flask import current_app

                from site.worker import celery


                @celery.task
                def ship_order(order_id, user_id):
                    db.execute("UPDATE orders SET shipped = 1 WHERE id = ?", (order_id,))
                    db.commit()
            """,
            "scripts/seed.py": """
                import sqlite3


                def main():
                    sqlite3.connect("app.db").execute("INSERT INTO orders DEFAULT VALUES")


                if __name__ == "__main__":
                    main()
            """,
        }
    )
    assert analysis.project.frameworks == ("flask", "jobs")
    assert entries(analysis) == [("site.worker.celery", "celery")]
    assert writes(analysis) == [("site/tasks.py", "ship_order", True)]


def test_a_main_that_calls_its_commands_by_name_writes_nothing_of_its_own() -> None:
    # The command's write is the command's event; main dispatching to it sends none.
    analysis = analyse_one(
        """
        import argparse
        import sqlite3


        def cmd_add(args):
            db = sqlite3.connect("todo.db")
            db.execute("INSERT INTO todo (title) VALUES (?)", (args.title,))
            db.commit()


        def cmd_list(args):
            return sqlite3.connect("todo.db").execute("SELECT title FROM todo").fetchall()


        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("command")
            args = parser.parse_args()
            if args.command == "add":
                cmd_add(args)
            else:
                cmd_list(args)


        if __name__ == "__main__":
            main()
        """,
        "todo.py",
    )
    assert writes(analysis) == [
        ("todo.py", "cmd_add", True),
        ("todo.py", "cmd_list", False),
        ("todo.py", "main", False),
    ]
