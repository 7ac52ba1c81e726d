"""The jobs hook-up: each entry point's run wrapped to report, re-raise and flush."""

from __future__ import annotations

import textwrap

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, EditError
from posthog_setup.frameworks.jobs.analysis import ENTRY
from posthog_setup.frameworks.jobs.hookup import hook_up_entry

CLIENT = ClientImport("jobs.posthog_client")
MAIN = AppObject(ENTRY, "jobs.nightly.main", "jobs/nightly.py", 1, prefix="cron")
HANDLER = AppObject(ENTRY, "jobs.nightly.handler", "jobs/nightly.py", 1, prefix="lambda")


def check(before: str, after: str, app: AppObject = MAIN) -> None:
    """``before`` (dedented) becomes ``after`` (dedented), which compiles, and a second run
    leaves it alone."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    assert hook_up_entry(before, app.file, app, CLIENT) == after
    compile(after, "<expected>", "exec")
    assert hook_up_entry(after, app.file, app, CLIENT) == after


def test_the_run_is_wrapped_after_the_docstring() -> None:
    check(
        '''\
        import sqlite3


        def main():
            """Close what is overdue."""
            db = sqlite3.connect("x.db")  # the shared database
            db.commit()
            return 0
        ''',
        '''\
        import sqlite3

        from jobs.posthog_client import posthog_client


        def main():
            """Close what is overdue."""
            try:
                db = sqlite3.connect("x.db")  # the shared database
                db.commit()
                return 0
            except Exception as error:
                posthog_client.capture_exception(
                    error,
                    distinct_id="cron:jobs.nightly",
                    properties={"$process_person_profile": False},
                )
                raise
            finally:
                posthog_client.flush()
        ''',
    )


def test_a_one_line_handler_and_a_name_already_taken() -> None:
    check(
        """\
        error = "unused"
        def handler(event, context): return error
        """,
        """\
        from jobs.posthog_client import posthog_client

        error = "unused"
        def handler(event, context):
            try:
                return error
            except Exception as error_2:
                posthog_client.capture_exception(
                    error_2,
                    distinct_id="lambda:jobs.nightly",
                    properties={"$process_person_profile": False},
                )
                raise
            finally:
                posthog_client.flush()
        """,
        HANDLER,
    )


@pytest.mark.parametrize(
    "source",
    [
        # The project reports and flushes already, with its own client.
        """\
        def main():
            client = make_client()
            try:
                work()
            except Exception as e:
                client.capture_exception(e)
                raise
            finally:
                client.shutdown()
        """,
        # Only a docstring: no run to wrap.
        '''\
        def main():
            """Nothing yet."""
        ''',
    ],
)
def test_no_change(source: str) -> None:
    source = textwrap.dedent(source)
    assert hook_up_entry(source, MAIN.file, MAIN, CLIENT) == source


def test_a_missing_entry_point_is_an_edit_error() -> None:
    with pytest.raises(EditError, match=r"jobs/nightly\.py: cannot find the entry point"):
        hook_up_entry("def other():\n    pass\n", MAIN.file, MAIN, CLIENT)


CELERY = AppObject(ENTRY, "worker.app.app", "worker/app.py", 3, prefix="celery")


def test_a_celery_app_is_instrumented_after_its_configuration() -> None:
    check(
        """\
        from celery import Celery as C

        app = C("worker")
        app.config["broker_url"] = "memory://"
        app.autodiscover_tasks()
        """,
        """\
        from celery import Celery as C
        from posthog.integrations.celery import PosthogCeleryIntegration

        from jobs.posthog_client import posthog_client

        app = C("worker")
        app.config["broker_url"] = "memory://"
        PosthogCeleryIntegration(client=posthog_client).instrument()
        app.autodiscover_tasks()
        """,
        CELERY,
    )


def test_a_celery_app_that_is_not_there_is_an_edit_error() -> None:
    with pytest.raises(EditError, match=r"cannot find `app = celery\.Celery\(\.\.\.\)`"):
        hook_up_entry("app = make()\n", CELERY.file, CELERY, CLIENT)
