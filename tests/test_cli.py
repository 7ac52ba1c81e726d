"""The command line, called in-process: exit codes, streams and files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posthog_setup import __version__
from posthog_setup.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    project = tmp_path / "flask_blog"
    shutil.copytree(FIXTURES / "flask_blog", project)
    return project


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"posthog-setup, version {__version__}"


@pytest.mark.parametrize(
    "command", [[], ["begin"], ["edit"], ["revise"], ["conclude"], ["mock-host"]]
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    assert "Usage:" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "posthog_setup", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "begin" in result.stdout


def test_begin_writes_only_the_plan(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(blog)
    assert main(["begin", str(blog)]) == 0
    after = snapshot(blog)
    assert set(after) - set(before) == {"posthog-events.json"}
    assert {k: v for k, v in after.items() if k != "posthog-events.json"} == before
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "post_created" in captured.err
    assert "Wrote posthog-events.json" in captured.err
    plan = json.loads((blog / "posthog-events.json").read_text())
    assert "post_created" in {e["event"] for e in plan["events"]}


def test_begin_twice_gives_the_same_plan(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["begin", str(blog)]) == 0
    first = (blog / "posthog-events.json").read_bytes()
    assert main(["begin", str(blog)]) == 0
    assert (blog / "posthog-events.json").read_bytes() == first
    assert "Unchanged: posthog-events.json" in capsys.readouterr().err


def test_begin_keeps_a_renamed_event(blog: Path) -> None:
    assert main(["begin", str(blog)]) == 0
    plan_path = blog / "posthog-events.json"
    plan = json.loads(plan_path.read_text())
    original = plan["events"][0]["event"]
    plan["events"][0]["event"] = "renamed_by_a_person"
    plan_path.write_text(json.dumps(plan, indent=2))
    assert main(["begin", str(blog)]) == 0
    names = [e["event"] for e in json.loads(plan_path.read_text())["events"]]
    assert "renamed_by_a_person" in names
    assert original not in names or names.count(original) < len(names)


def test_begin_json_is_complete(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["begin", "--json", str(blog)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"root", "analysis", "plan", "client_module"}
    analysis = data["analysis"]
    assert set(analysis) >= {
        "project",
        "apps",
        "routes",
        "auth_points",
        "error_handlers",
        "existing",
        "monitoring",
        "skipped",
    }
    assert analysis["project"]["frameworks"] == ["flask"]
    assert all(
        {"path", "methods", "handler", "mutating", "evidence"} <= set(r) for r in analysis["routes"]
    )


def test_unparseable_and_undecodable_files_are_skipped_and_listed(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (blog / "blog" / "broken.py").write_text("from flask import Blueprint\ndef oops(:\n")
    (blog / "blog" / "latin.py").write_bytes(b"from flask import Blueprint\nname = '\xe9'\n")
    assert main(["begin", str(blog)]) == 0
    err = capsys.readouterr().err
    assert "skipped blog/broken.py: syntax error (line 2)" in err
    assert "skipped blog/latin.py: not valid utf-8" in err


def test_bad_config_is_a_clear_error_without_traceback(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (blog / "pyproject.toml").write_text('[tool.posthog-setup]\nevent-style = "LOUD"\n')
    assert main(["begin", str(blog)]) == 2
    err = capsys.readouterr().err
    assert "event-style must be one of" in err
    assert "Traceback" not in err
    assert not (blog / "posthog-events.json").exists()


def test_corrupt_plan_is_a_clear_error(blog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (blog / "posthog-events.json").write_text("{not json")
    assert main(["begin", str(blog)]) == 2
    assert "posthog-events.json is not valid JSON" in capsys.readouterr().err
    assert (blog / "posthog-events.json").read_text() == "{not json"


def test_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["begin", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_bare_command_runs_every_stage_and_ends_with_a_summary(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(blog)]) == 0
    err = capsys.readouterr().err
    stages = [
        "Wrote posthog-events.json",
        "Edited 9 files.",
        "Nothing to do: the integration matches posthog-events.json.",
        "Verified 9 events. Wrote posthog-setup-report.md.",
        "Summary",
    ]
    positions = [err.index(marker) for marker in stages]
    assert positions == sorted(positions)
    summary = err[err.index("Summary") :].splitlines()
    assert summary[1].startswith("  changed   9 files: .env.example, .gitignore, blog/__init__.py")
    assert summary[3] == "  revise    no problems left"
    assert summary[4].startswith("  verified  9 planned events against a local mock PostHog host")
    assert summary[5] == f"  report    {blog / 'posthog-setup-report.md'}"
    assert (blog / "posthog-setup-report.md").is_file()

    assert main([str(blog)]) == 0
    assert "  changed   nothing: the integration was already in place" in capsys.readouterr().err


def test_run_tests_before_the_path_still_takes_the_path(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-q", str(blog)]) == 0
    assert main(["conclude", "--json", "--run-tests", str(blog)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tests"]["command"].endswith(" -m pytest -q -rfE -p no:cacheprovider")
    assert data["tests"]["failed"] == []
