"""New imports go where isort and Ruff would put them, never twice."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import libcst as cst
import pytest

from posthog_setup.codemods.base import NeededImport, add_imports
from posthog_setup.codemods.changes import ClientImport, client_import, module_of

CLIENT = NeededImport("app.posthog_client", "posthog_client")


def added(source: str, *needed: NeededImport) -> str:
    result = add_imports(cst.parse_module(dedent(source)), needed).code
    # Adding the same imports again changes nothing.
    assert add_imports(cst.parse_module(result), needed).code == result
    return result


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "from flask_login import login_required, login_user\n",
            "from flask_login import current_user, login_required, login_user\n",
        ),
        (
            "from flask_login import logout_user, login_required\n",
            "from flask_login import logout_user, login_required, current_user\n",
        ),
        (
            "from flask_login import (\n    login_required,\n    logout_user,\n)\n",
            "from flask_login import (\n    current_user,\n    login_required,\n    logout_user,\n)\n",
        ),
        (
            "from flask_login import LoginManager, login_user\n",
            "from flask_login import LoginManager, current_user, login_user\n",
        ),
        (
            "from flask_login import LoginManager\n",
            "from flask_login import LoginManager, current_user\n",
        ),
        (
            "from flask_login import AUTH_HEADER, login_user\n",
            "from flask_login import AUTH_HEADER, current_user, login_user\n",
        ),
        (
            "from flask_login import current_app, LoginManager\n",
            "from flask_login import current_app, current_user, LoginManager\n",
        ),
    ],
    ids=[
        "sorted line",
        "unsorted line",
        "parenthesised",
        "classes first",
        "after a class",
        "constants first",
        "alphabetical, not by type",
    ],
)
def test_a_name_joins_the_existing_from_import(before: str, after: str) -> None:
    assert added(before, NeededImport("flask_login", "current_user")) == after


def test_third_party_and_first_party_blocks() -> None:
    assert added(
        """\
        import logging

        from flask import Flask
        from sqlalchemy import select

        from .models import Post
        """,
        NeededImport("posthog.integrations.flask", "PosthogFlaskIntegration"),
        CLIENT,
    ) == dedent(
        """\
        import logging

        from flask import Flask
        from posthog.integrations.flask import PosthogFlaskIntegration
        from sqlalchemy import select

        from app.posthog_client import posthog_client

        from .models import Post
        """
    )


def test_a_missing_standard_library_block_opens_before_third_party() -> None:
    assert added("from django.shortcuts import render\n", NeededImport("sys", "")) == (
        "import sys\n\nfrom django.shortcuts import render\n"
    )


def test_relative_client_joins_the_relative_block_in_order() -> None:
    assert added(
        "from .extensions import db\nfrom .models import Post\n",
        NeededImport("posthog_client", "posthog_client", relative=1),
    ) == (
        "from .extensions import db\nfrom .models import Post\nfrom .posthog_client import posthog_client\n"
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "from ..models import Book\nfrom . import books\nfrom .reviews import ReviewList\n",
            "from ..models import Book\nfrom ..posthog_client import posthog_client\n"
            "from . import books\nfrom .reviews import ReviewList\n",
        ),
        (
            "from . import books\n",
            "from ..posthog_client import posthog_client\nfrom . import books\n",
        ),
        (
            "from ...core import db\nfrom ..models import Book\n",
            "from ...core import db\nfrom ..models import Book\n"
            "from ..posthog_client import posthog_client\n",
        ),
    ],
    ids=["between parent and own package", "before own package", "after a further parent"],
)
def test_relative_imports_go_furthest_first(before: str, after: str) -> None:
    # Ruff's and isort's default: ``from ..x`` before ``from . import y`` and ``from .z``.
    assert added(before, NeededImport("posthog_client", "posthog_client", relative=2)) == after


def test_an_import_goes_above_the_first_statement_that_uses_it_as_the_module_runs() -> None:
    """A package that imports its routes at the end (against a circular import) and uses
    the client right after the app is made: the import goes above that use."""
    assert added(
        """\
        from flask import Flask

        from config import Config

        app = Flask(__name__)
        PosthogFlaskIntegration(app, client=posthog_client)

        from app import models, routes
        """,
        NeededImport("posthog.integrations.flask", "PosthogFlaskIntegration"),
        CLIENT,
    ) == dedent(
        """\
        from flask import Flask

        from config import Config
        from posthog.integrations.flask import PosthogFlaskIntegration

        from app.posthog_client import posthog_client

        app = Flask(__name__)
        PosthogFlaskIntegration(app, client=posthog_client)

        from app import models, routes
        """
    )


def test_an_import_an_earlier_edit_put_below_a_new_use_moves_above_it() -> None:
    # The captures' edit imported the client with the project's own imports, at the end;
    # the hook-up then used it as the module runs: the import moves above that use.
    assert added(
        """\
        from flask import Flask
        from posthog.integrations.flask import PosthogFlaskIntegration

        app = Flask(__name__)
        PosthogFlaskIntegration(app, client=posthog_client)

        from app import models
        from app.posthog_client import Helper, posthog_client
        """,
        NeededImport("posthog.integrations.flask", "PosthogFlaskIntegration"),
        CLIENT,
    ) == dedent(
        """\
        from flask import Flask
        from posthog.integrations.flask import PosthogFlaskIntegration

        from app.posthog_client import posthog_client

        app = Flask(__name__)
        PosthogFlaskIntegration(app, client=posthog_client)

        from app import models
        from app.posthog_client import Helper
        """
    )


def test_a_use_in_a_function_body_leaves_the_import_among_all_the_imports() -> None:
    source = """\
        from flask import Flask

        def create_app():
            app = Flask(__name__)
            PosthogFlaskIntegration(app, client=posthog_client)
            return app

        from app import models
        """
    assert added(source, CLIENT).endswith(
        "from app import models\nfrom app.posthog_client import posthog_client\n"
    )


def test_a_module_that_uses_the_name_before_any_import_gets_it_at_the_top() -> None:
    assert added(
        """\
        posthog_client.capture("started")
        import os
        """,
        CLIENT,
    ) == dedent(
        """\
        from app.posthog_client import posthog_client

        posthog_client.capture("started")
        import os
        """
    )


def test_already_imported_is_left_alone() -> None:
    source = "from .posthog_client import posthog_client\nimport sys\n"
    assert (
        added(source, NeededImport("posthog_client", "posthog_client", 1), NeededImport("sys", ""))
        == source
    )


# -- how a module imports the client ---------------------------------------------------------


def test_client_import_under_a_source_folder_that_is_no_package(tmp_path: Path) -> None:
    """``src/py/app`` is installed as ``app`` (``src/py`` holds the package): the client
    is imported the way the package imports itself, not as ``py.app``."""
    for folder in ("src/py/app/server", "src/lib/tools"):
        (tmp_path / folder).mkdir(parents=True)
    for package in ("src/py/app", "src/py/app/server"):
        (tmp_path / package / "__init__.py").write_text("")
    found = client_import(
        "src/py/app/server/asgi.py",
        "src/py/app/server/posthog_client.py",
        relative=False,
        root=tmp_path,
    )
    assert found == ClientImport("app.server.posthog_client")
    # Without the project to look at, ``src`` alone is the import root, as before.
    assert client_import(
        "src/py/app/asgi.py", "src/py/app/posthog_client.py", relative=False
    ) == ClientImport("py.app.posthog_client")
    # Folders without packages below them are left as they are (namespace packages).
    assert module_of("src/lib/tools/run.py", tmp_path) == ("lib.tools.run", False)
    # So is a namespace package with modules of its own above a regular package.
    (tmp_path / "src/ns/api").mkdir(parents=True)
    (tmp_path / "src/ns/main.py").write_text("")
    (tmp_path / "src/ns/api/__init__.py").write_text("")
    assert module_of("src/ns/api/routes.py", tmp_path) == ("ns.api.routes", False)


def test_client_import_where_src_is_a_package_of_its_own(tmp_path: Path) -> None:
    """``src/__init__.py``: the project imports ``src.config``, so the client is
    ``src.posthog_client`` (a bare ``posthog_client`` would not import)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src/__init__.py").write_text("")
    found = client_import("src/main.py", "src/posthog_client.py", relative=False, root=tmp_path)
    assert found == ClientImport("src.posthog_client")
    assert module_of("src/__init__.py", tmp_path) == ("src", True)
    # Without the package's marker, ``src`` is the folder on ``sys.path``.
    (tmp_path / "src/__init__.py").unlink()
    assert module_of("src/main.py", tmp_path) == ("main", False)


def test_scripts_in_a_folder_that_is_no_package_import_the_client_by_its_name(
    tmp_path: Path,
) -> None:
    """Scripts run with their own folder on ``sys.path``: ``python examples/server.py``
    imports a module beside it by its bare name, never as ``examples.x``."""
    scripts = tmp_path / "examples"
    scripts.mkdir()
    (scripts / "server.py").write_text("from aiohttp import web\n\nweb.run_app(app)\n")
    (scripts / "chat.py").write_text('if __name__ == "__main__":\n    main()\n')
    found = client_import(
        "examples/server.py", "examples/posthog_client.py", relative=False, root=tmp_path
    )
    assert found == ClientImport("posthog_client")
    # A folder whose modules import it by its name is used as a (namespace) package.
    package = tmp_path / "service"
    package.mkdir()
    (package / "main.py").write_text(
        'from service.routes import x\n\nif __name__ == "__main__":\n    x()\n'
    )
    assert client_import(
        "service/main.py", "service/posthog_client.py", relative=False, root=tmp_path
    ) == ClientImport("service.posthog_client")
    # So is a folder of modules none of which runs itself.
    library = tmp_path / "library"
    library.mkdir()
    (library / "views.py").write_text("def index(request):\n    return None\n")
    assert client_import(
        "library/views.py", "library/posthog_client.py", relative=False, root=tmp_path
    ) == ClientImport("library.posthog_client")
