"""Issue #22: never half-apply, never write what the repository plants, refuse hostile input.

Each test runs the real command on a copy of a fixture (or a generated project) and
checks the whole tree afterwards: exactly the old one or exactly the new one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from posthog_setup.cli import main
from posthog_setup.project import transaction
from posthog_setup.project.cache import CACHE_DIR_VAR
from tests.workflow.test_edit import copy_fixture, git, tree

# The synthetic project generator, imported the way the benchmark scripts import it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from synthetic import generate_project

PLAN = "posthog-events.json"


def edited_tree(tmp_path: Path, name: str = "flask_blog") -> dict[str, bytes]:
    reference = copy_fixture(name, tmp_path / "reference")
    assert main(["edit", "-q", str(reference)]) == 0
    return tree(reference)


def failing_at(real: Callable[..., Any], position: int) -> Callable[..., Any]:
    """``real``, failing on its ``position``-th call on one of the transaction's files."""
    calls = iter(range(10_000))

    def call(*args: Any) -> Any:
        if transaction.TEMP_MARK in str(args[0]) and next(calls) == position:
            raise OSError(28, "No space left on device")
        return real(*args)

    return call


def test_a_write_failure_at_every_position_leaves_the_old_tree_or_the_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    new = edited_tree(tmp_path)
    old = tree(copy_fixture("flask_blog", tmp_path / "old"))
    changed = [path for path in new if old.get(path) != new[path]]
    assert len(changed) >= 5
    for operation in ("open", "replace"):
        real = getattr(os, operation)
        for position in range(len(changed)):
            project = copy_fixture("flask_blog", tmp_path / f"{operation}{position}")
            capsys.readouterr()
            with monkeypatch.context() as patch:
                patch.setattr(transaction.os, operation, failing_at(real, position))
                assert main(["edit", "-q", str(project)]) == 2
            assert tree(project) == old, (operation, position)
            err = capsys.readouterr().err.strip()
            assert "\n" not in err
            assert "nothing was changed" in err
    # And the edited app itself still imports and builds.
    project = copy_fixture("flask_blog", tmp_path / "whole")
    assert main(["edit", "-q", str(project)]) == 0
    assert tree(project) == new
    subprocess.run(
        [sys.executable, "-c", "from blog import create_app; create_app()"],
        cwd=project,
        check=True,
        capture_output=True,
    )


_SLOW_WRITES = """\
import os, sys, time
from posthog_setup.cli import main
from posthog_setup.project import transaction

real_open, real_replace = os.open, os.replace
announced = set()

def announce(phase):
    if phase not in announced:
        announced.add(phase)
        sys.stderr.write(phase + "\\n")
        sys.stderr.flush()

def slow_open(path, *args, **kwargs):
    if transaction.TEMP_MARK in str(path):
        announce("STAGING")
        time.sleep(0.01)
    return real_open(path, *args, **kwargs)

def slow_replace(source, target):
    if transaction.TEMP_MARK in str(source):
        announce("COMMITTING")
        time.sleep(0.01)
    return real_replace(source, target)

transaction.os.open = slow_open
transaction.os.replace = slow_replace
sys.exit(main(["edit", "-q", sys.argv[1]]))
"""


@pytest.mark.parametrize("phase", ["STAGING", "COMMITTING"])
def test_sigint_during_the_write_phase_leaves_old_or_new_never_a_mix(
    tmp_path: Path, phase: str
) -> None:
    def generated(name: str) -> Path:
        root = tmp_path / name / "shop"  # the folder's name is the project's
        generate_project(root, 300)
        assert main(["begin", "-q", str(root)]) == 0
        return root

    reference = generated("reference")
    old = tree(reference)
    assert main(["edit", "-q", str(reference)]) == 0
    new = tree(reference)
    assert sum(old.get(path) != data for path, data in new.items()) >= 50

    project = generated("project")
    assert tree(project) == old
    env = {**os.environ, CACHE_DIR_VAR: str(tmp_path / "cache")}
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITES, str(project)],
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.strip() == phase:
            process.send_signal(signal.SIGINT)
            break
    rest = process.stderr.read()
    code = process.wait(timeout=120)
    assert code == 2, (seen, rest)
    after = tree(project)
    assert not [path for path in after if transaction.TEMP_MARK in path]
    if phase == "STAGING":
        assert after == old
        assert "stopped by SIGINT while writing; nothing was changed" in rest
    else:
        # Held until the commit ended: every file is new, then the run stops.
        assert after == new
        assert "stopped by SIGINT after the write: every file above was written" in rest


def test_nothing_to_do_ignores_unrelated_uncommitted_files(tmp_path: Path) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    assert main(["edit", "-q", str(project)]) == 0
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "integrated")
    (project / "notes.txt").write_text("untracked and unrelated\n")
    (project / "blog" / "models.py").write_text("# unrelated work in progress\n")
    assert main(["edit", str(project)]) == 0


def test_an_untracked_file_the_edit_would_change_is_dirty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "rm", "-q", "--cached", "blog/posts.py")
    git(project, "commit", "-q", "-m", "without posts")
    before = tree(project)
    assert main(["edit", str(project)]) == 2
    assert "blog/posts.py" in capsys.readouterr().err
    assert tree(project) == before
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert "posthog_client.capture(" in (project / "blog" / "posts.py").read_text()


@pytest.mark.parametrize("client_module", ["../x.py", "/tmp/x.py", "blog/../../x.py", "a b/c.py"])
@pytest.mark.parametrize("source", ["config", "plan"])
def test_a_client_module_outside_the_project_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], client_module: str, source: str
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    if source == "config":
        (project / "pyproject.toml").write_text(
            f'[tool.posthog-setup]\nclient-module = "{client_module}"\n'
        )
    else:
        assert main(["begin", "-q", str(project)]) == 0
        plan = json.loads((project / PLAN).read_text())
        plan["setup"]["client_module"] = client_module
        (project / PLAN).write_text(json.dumps(plan))
    before = tree(project)
    assert main(["edit", "-q", str(project)]) == 2
    err = capsys.readouterr().err.strip()
    assert "client" in err
    assert "\n" not in err
    assert tree(project) == before
    assert not (tmp_path / "x.py").exists()


def test_a_project_name_cannot_inject_code_into_the_client_module(tmp_path: Path) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    name = 'x"""\nimport os; os.system("touch PWNED")\n"""\\'
    (project / "pyproject.toml").write_text(
        f"[project]\nname = {json.dumps(name)}\nversion = '1'\ndependencies = ['flask']\n"
    )
    assert main(["edit", "-q", str(project)]) == 0
    client = (project / "blog" / "posthog_client.py").read_text()
    module = compile(client, "posthog_client.py", "exec")
    import ast

    tree_ = ast.parse(client)
    assert ast.get_docstring(tree_) is not None
    assert name in (ast.get_docstring(tree_) or "")
    assert "os.system" not in {n.id for n in ast.walk(tree_) if isinstance(n, ast.Name)}
    assert all(
        not (isinstance(n, ast.Attribute) and n.attr == "system") for n in ast.walk(tree_)
    ), module


def _plan_with(project: Path, change: Callable[[dict[str, Any]], None]) -> None:
    assert main(["begin", "-q", str(project)]) == 0
    plan = json.loads((project / PLAN).read_text())
    change(plan)
    (project / PLAN).write_text(json.dumps(plan, ensure_ascii=True))


PLAN_DEFECTS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "empty name": (lambda p: p["events"][0].update(event=" "), "events[0].event is empty"),
    "duplicate entry": (lambda p: p["events"].append(dict(p["events"][0])), "duplicates events[0]"),
    "wrong type": (
        lambda p: p["events"][1].update(methods="POST"),
        "events[1].methods must be a list",
    ),
    "number as name": (
        lambda p: p["events"][0].update(event=7),
        "events[0].event must be a string",
    ),
    "unknown key": (
        lambda p: p["events"][2].update(colour="red"),
        "events[2] has unknown key 'colour'",
    ),
    "top-level list": (lambda p: p.clear(), "missing 'setup'"),
    "lone surrogate": (
        lambda p: p["events"][0].update(event="a\ud800"),
        "events[0].event holds a lone surrogate",
    ),
    "code in a property": (
        lambda p: p["events"][0]["properties"].append(
            {"name": "x", "value": "__import__('os').system('id')"}
        ),
        "must be a plain reference",
    ),
    "setup not an object": (lambda p: p.update(setup=[]), "setup must be an object"),
}


@pytest.mark.parametrize("defect", sorted(PLAN_DEFECTS))
def test_a_bad_plan_is_reported_with_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], defect: str
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    change, message = PLAN_DEFECTS[defect]
    _plan_with(project, change)
    before = tree(project)
    capsys.readouterr()
    for command in ("begin", "edit"):
        assert main([command, "-q", str(project)]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err
        assert "\n" not in err
    assert tree(project) == before


def test_hand_edited_descriptions_survive_begin_and_edit(tmp_path: Path) -> None:
    project = copy_fixture("flask_blog", tmp_path)

    def describe(plan: dict[str, Any]) -> None:
        plan["events"][0]["description"] = "Written by a person."

    _plan_with(project, describe)
    assert main(["begin", "-q", str(project)]) == 0
    assert main(["edit", "-q", str(project)]) == 0
    plan = json.loads((project / PLAN).read_text())
    assert plan["events"][0]["description"] == "Written by a person."


def run_refused(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    before = tree(project)
    capsys.readouterr()
    assert main([*args, str(project)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "Traceback" not in err
    assert tree(project) == before
    return err


def test_a_non_utf8_env_example_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    (project / ".env.example").write_bytes(b"SECRET=caf\xe9\n")
    assert ".env.example is not valid UTF-8 (byte 10)" in run_refused(project, capsys, "edit")


def test_an_expression_too_deep_for_libcst_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    posts = project / "blog" / "posts.py"
    posts.write_text(posts.read_text() + "TOTAL = " + " + ".join(["1"] * 600) + "\n")
    err = run_refused(project, capsys, "edit")
    assert "blog/posts.py: an expression is nested too deeply" in err


@pytest.mark.parametrize("where", ["blog/posthog_client.py", ".env.example", PLAN])
def test_a_directory_where_a_file_should_be_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    (project / where).mkdir()
    command = "begin" if where == PLAN else "edit"
    assert f"{where}: it is a directory" in run_refused(project, capsys, command)


def test_a_read_only_file_is_refused_not_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    (project / "blog" / "posts.py").chmod(0o444)
    assert "blog/posts.py is read-only" in run_refused(project, capsys, "edit")


def test_an_unwritable_project_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_fixture("flask_blog", tmp_path)

    def denied(*args: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    # Root may write anywhere, so the refusal is forced where the temporary files are made.
    monkeypatch.setattr(transaction.os, "open", denied)
    assert "Permission denied; nothing was changed" in run_refused(project, capsys, "edit")


def test_a_corrupted_cache_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_VAR, str(cache))
    project = copy_fixture("flask_blog", tmp_path)
    assert main(["begin", "-q", str(project)]) == 0
    pickles = list(cache.rglob("*.pickle"))
    assert pickles
    for number, path in enumerate(pickles):
        path.write_bytes([b"", b"\x80\x05garbage", b"\x80\x04K\x01."][number % 3])
    assert main(["edit", "-q", str(project)]) == 0
    assert "posthog_client.capture(" in (project / "blog" / "posts.py").read_text()


def test_diff_of_a_latin1_file_applies_with_git(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    project = copy_fixture("flask_blog", tmp_path)
    posts = project / "blog" / "posts.py"
    # A latin-1 comment beside every line the edit touches: the hunks' context has it.
    body = posts.read_bytes().replace(
        b"db.session.commit()\n", b"db.session.commit()  # Caf\xe9 posts\n"
    )
    posts.write_bytes(b"# -*- coding: latin-1 -*-\n" + body)
    assert main(["begin", "-q", str(project)]) == 0
    capsysbinary.readouterr()
    assert main(["edit", "--diff", str(project)]) == 0
    patch = capsysbinary.readouterr().out
    assert b"Caf\xe9" in patch
    (tmp_path / "change.patch").write_bytes(patch)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    subprocess.run(["git", "-C", str(project), "apply", str(tmp_path / "change.patch")], check=True)
    edited = posts.read_bytes()
    assert b"Caf\xe9 posts" in edited
    assert b"posthog_client.capture(" in edited


def test_a_module_of_the_project_where_the_client_module_would_go_is_left_alone(
    tmp_path: Path,
) -> None:
    """Importing our client from the project's own ``posthog_client.py`` would fail on
    import: the client goes in a module of another name, and a second run keeps it."""
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "posthog_client.py").write_text('API_KEY_NAME = "analytics"\n')
    (tmp_path / "app.py").write_text(
        "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
        '@app.post("/notes")\ndef create_note():\n    db.session.commit()\n    return "", 201\n'
    )
    assert main(["edit", "-q", str(tmp_path)]) == 0
    assert (tmp_path / "posthog_client.py").read_text() == 'API_KEY_NAME = "analytics"\n'
    assert "posthog_client = Posthog(" in (tmp_path / "posthog_analytics.py").read_text()
    assert "from posthog_analytics import posthog_client" in (tmp_path / "app.py").read_text()
    edited = tree(tmp_path)
    (tmp_path / PLAN).unlink()
    assert main(["edit", "-q", "--allow-dirty", str(tmp_path)]) == 0
    assert tree(tmp_path) == edited


@pytest.mark.parametrize("shadow", ["posthog.py", "posthog/__init__.py"])
def test_a_posthog_module_of_the_project_that_hides_the_sdk_is_refused(
    tmp_path: Path, shadow: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / shadow).parent.mkdir(exist_ok=True)
    (tmp_path / shadow).write_text("def track(event):\n    print(event)\n")
    (tmp_path / "app.py").write_text(
        "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
        '@app.post("/notes")\ndef create_note():\n    db.session.commit()\n    return "", 201\n'
    )
    before = tree(tmp_path)
    assert main(["edit", "-q", str(tmp_path)]) == 2
    # The plan begin wrote, and nothing else: the client would have imported the project's.
    assert {k: v for k, v in tree(tmp_path).items() if k != PLAN} == before
    err = capsys.readouterr().err
    assert f"{shadow.split('/')[0]} hides the posthog package" in err
    assert "nothing was written" in err
