"""The edit stage on whole projects: golden trees, idempotence, --diff, --check, the dirty guard."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from posthog_setup.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NAMES = [
    "flask_blog",
    "fastapi_tasks",
    "django_shop",
    "ninja_notes",
    "starlette_notes",
    "quart_recipes",
    "litestar_shelf",
    "flask_restx_shelf",
    "falcon_bookmarks",
    "bottle_notes",
    "aiohttp_links",
    "jobs_billing",
    "serverless_uploads",
    "inventory_cli",
    "celery_orders",
    "sanic_tickets",
    "http_todos",
    "wsgi_notes",
    "drf_tokens",
    "flask_httpauth_notes",
    "django_staff_desk",
    "fastapi_members",
]


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root (caches aside), by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".git" not in p.parts
    }


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.mark.parametrize("name", NAMES)
def test_edit_produces_the_expected_tree_and_is_idempotent(name: str, tmp_path: Path) -> None:
    project = copy_fixture(name, tmp_path)
    assert main(["edit", "-q", str(project)]) == 0
    edited = tree(project)
    expected = tree(FIXTURES / "expected" / name)
    assert sorted(edited) == sorted(expected)
    for path, content in expected.items():
        assert edited[path] == content, f"{path} differs from fixtures/expected/{name}/{path}"
    for path, content in edited.items():
        if path.endswith(".py"):
            compile(content, path, "exec", dont_inherit=True)
    # A second run finds nothing to do and changes nothing.
    assert main(["edit", "--check", str(project)]) == 0
    assert main(["edit", "-q", str(project)]) == 0
    assert tree(project) == edited


def test_check_reports_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    before = tree(project)
    assert main(["edit", "--check", str(project)]) == 1
    assert tree(project) == before
    err = capsys.readouterr().err
    assert "would change blog/posts.py" in err
    assert "would create blog/posthog_client.py" in err


def test_diff_prints_an_applicable_patch_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_fixture("fastapi_tasks", tmp_path)
    before = tree(project)
    assert main(["edit", "--diff", str(project)]) == 0
    assert tree(project) == before
    patch = capsys.readouterr().out
    assert "+app.add_middleware(PosthogASGIMiddleware, client=posthog_client)" in patch
    # The patch applies with git and gives exactly what edit writes.
    (tmp_path / "change.patch").write_text(patch + "\n")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    subprocess.run(["git", "-C", str(project), "apply", str(tmp_path / "change.patch")], check=True)
    assert tree(project) == tree(FIXTURES / "expected" / "fastapi_tasks")


def git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


def test_dirty_files_are_refused_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "start")
    posts = project / "blog" / "posts.py"
    posts.write_text(posts.read_text() + "\n# work in progress\n")
    before = tree(project)
    assert main(["edit", str(project)]) == 2
    assert "blog/posts.py" in capsys.readouterr().err
    assert tree(project) == before
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert "posthog_client.capture(" in posts.read_text()
    assert posts.read_text().endswith("# work in progress\n")


def test_existing_hand_written_client_module_is_kept(tmp_path: Path) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    client = project / "blog" / "posthog_client.py"
    hand_written = 'from posthog import Posthog\n\nposthog_client = Posthog("x", host="https://eu.i.posthog.com")\n'
    client.write_text(hand_written)
    assert main(["edit", "-q", str(project)]) == 0
    assert client.read_text() == hand_written


def test_env_example_is_appended_once(tmp_path: Path) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    (project / ".env.example").write_text(
        "SECRET_KEY=change-me\nPOSTHOG_HOST=https://eu.i.posthog.com\n"
    )
    (project / ".gitignore").write_text("*.pyc\n.env\n")
    assert main(["edit", "-q", str(project)]) == 0
    assert (project / ".env.example").read_text() == (
        "SECRET_KEY=change-me\nPOSTHOG_HOST=https://eu.i.posthog.com\n\n"
        "# PostHog: the project token (Project settings) and the ingestion host.\n"
        "POSTHOG_PROJECT_TOKEN=\n"
    )
    assert (project / ".gitignore").read_text() == "*.pyc\n.env\n"


def test_a_file_that_does_not_parse_is_skipped_and_the_rest_edited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    (project / "blog" / "broken.py").write_text("from flask import Blueprint\ndef oops(:\n")
    assert main(["edit", str(project)]) == 0
    err = capsys.readouterr().err
    assert "skipped blog/broken.py: syntax error (line 2)" in err
    assert (
        project / "blog" / "broken.py"
    ).read_text() == "from flask import Blueprint\ndef oops(:\n"
    assert "posthog_client.capture(" in (project / "blog" / "posts.py").read_text()


def test_a_file_above_the_size_limit_is_skipped_unread_and_the_limit_is_a_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    posts = project / "blog" / "posts.py"
    # The same routes, padded past 500 KB with generated data.
    original = posts.read_text() + '\nBLOB = "' + "0" * 510_000 + '"\n'
    posts.write_text(original)
    assert main(["edit", str(project)]) == 0
    err = capsys.readouterr().err
    assert "skipped blog/posts.py: larger than 500 KB" in err
    assert posts.read_text() == original
    # Raised in the project's settings, the file is read and edited again.
    with (project / "pyproject.toml").open("a") as settings:
        settings.write("\n[tool.posthog-setup]\nmax-file-kb = 1000\n")
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert "posthog_client.capture(" in posts.read_text()


def test_crlf_and_bom_survive_the_edit(tmp_path: Path) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    posts = project / "blog" / "posts.py"
    original = posts.read_bytes()
    posts.write_bytes(b"\xef\xbb\xbf" + original.replace(b"\n", b"\r\n"))
    assert main(["edit", "-q", str(project)]) == 0
    edited = posts.read_bytes()
    assert edited.startswith(b"\xef\xbb\xbf")
    assert b"posthog_client.capture(" in edited
    assert edited.count(b"\n") == edited.count(b"\r\n")
    expected = (FIXTURES / "expected" / "flask_blog" / "blog" / "posts.py").read_bytes()
    assert edited == b"\xef\xbb\xbf" + expected.replace(b"\n", b"\r\n")


def test_an_edit_that_would_not_compile_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import posthog_setup.codemods.routes as routes

    def broken(source: str, path: str, points: object, client: object) -> tuple[str, list[str]]:
        return source + "\ndef oops(:\n", []

    monkeypatch.setattr(routes, "instrument_file_with_notes", broken)
    project = copy_fixture("flask_blog", tmp_path)
    before = tree(project)
    assert main(["edit", str(project)]) == 2
    err = capsys.readouterr().err
    assert "internal error: the edit would not compile: blog/posts.py" in err
    assert "nothing was written" in err
    assert tree(project) == before


@pytest.mark.parametrize(
    "fixture", ["flask_blog", "fastapi_tasks", "django_shop", "aiohttp_links", "http_todos"]
)
def test_an_edit_loads_no_matchers(tmp_path: Path, fixture: str) -> None:
    """The edits find nodes with plain isinstance tests: libcst.matchers (one matcher class
    per kind of node, more to import than libcst itself) and libcst.codemod, which
    imports it, are loaded by no hook-up or route edit."""
    import os
    import sys

    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root, ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import sys\n"
        "from posthog_setup.cli import main\n"
        f"print(main(['begin', '-q', {str(root)!r}]), main(['edit', '-q', '--allow-dirty', "
        f"{str(root)!r}]))\n"
        "print('libcst' in sys.modules, sorted(m for m in ('libcst.matchers', 'libcst.codemod')"
        " if m in sys.modules))\n"
    )
    env = {**os.environ, "POSTHOG_SETUP_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[:2] == ["0 0", "True []"]
    assert (root / "posthog-events.json").is_file()
