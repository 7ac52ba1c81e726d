"""The command line, called in-process: exit codes, streams and files."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posthog_setup import __version__
from posthog_setup.cli import cli, main
from posthog_setup.console import Console

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


def test_the_command_exits_with_its_code_and_all_it_printed(blog: Path) -> None:
    """The command ends without the interpreter's teardown (``cli.entry``): what it wrote
    to a pipe, block-buffered, still arrives whole, and its exit code is the command's."""
    command = [sys.executable, "-m", "posthog_setup", "begin", "--json"]
    result = subprocess.run([*command, str(blog)], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "post_created" in {e["event"] for e in json.loads(result.stdout)["plan"]["events"]}
    refused = subprocess.run(
        [*command, str(blog / "app.py")], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
    assert "app.py" in refused.stderr


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


@pytest.mark.parametrize("fixture", ["django_shop", "flask_blog", "starlette_notes"])
def test_begin_json_holds_data_only(
    fixture: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / fixture
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / fixture, project)
    assert main(["begin", "--json", str(project)]) == 0
    # No object's repr: it names a memory address, so the output would change run to run.
    assert " object at 0x" not in capsys.readouterr().out


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
    assert summary[4:10] == [
        "  verified  the edited files compile, and every planned capture is in the code",
        "            9 planned events accepted by a local mock PostHog host",
        f"            imported: blog.posthog_client, by {sys.executable}, delivered an event",
        "            app: called blog.create_app() (as wsgi.py:5 calls it)",
        f"  skipped   project tests: not run: `posthog-setup conclude --run-tests {blog}`",
        f"  report    {blog / 'posthog-setup-report.md'}",
    ]
    assert (blog / "posthog-setup-report.md").is_file()

    assert main([str(blog)]) == 0
    assert "  changed   nothing: the integration was already in place" in capsys.readouterr().err


def test_the_full_run_with_tests_compares_with_head_and_says_how_it_verified(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "blog"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
            cwd=blog,
            check=True,
            capture_output=True,
        )
    assert main(["--run-tests", "--timeout", "300", str(blog)]) == 0
    err = capsys.readouterr().err
    # The tests' own output went by before the verdict, once per run.
    streamed = [
        "-- the project's tests, with the client pointed at the mock host (at most 300 s):",
        "-- the same tests on the unedited tree (HEAD), to compare: ",
        "Verified 9 events.",
        "Summary",
    ]
    positions = [err.index(marker) for marker in streamed]
    assert positions == sorted(positions)
    assert err.count("8 passed in ") == 2
    summary = err[err.index("Summary") :].splitlines()
    assert summary[8] == (
        "            tests run: 8 tests passed (8 before the edit); events seen: 8 of 8 planned"
    )
    assert summary[9] == f"  report    {blog / 'posthog-setup-report.md'}"
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=blog, capture_output=True, text=True, check=True
    )
    assert len(worktrees.stdout.splitlines()) == 1


def test_run_tests_before_the_path_still_takes_the_path(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-q", str(blog)]) == 0
    assert main(["conclude", "--json", "--run-tests", str(blog)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tests"]["command"].endswith(" -m pytest -q -rfE -p no:cacheprovider")
    assert data["tests"]["failed"] == []


# --- command-line habits of ruff / black users ---------------------------------------------


@pytest.mark.parametrize("name", ["begin", "edit", "revise", "conclude", "mock-host", "run"])
def test_every_command_takes_quiet_and_verbose(name: str) -> None:
    options = {opt for param in cli.commands[name].params for opt in param.opts}
    assert {"-q", "--quiet", "-v", "--verbose"} <= options


def test_quiet_before_the_command_works_as_after_it(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-q", "begin", str(blog)]) == 0
    assert capsys.readouterr().err == ""
    assert (blog / "posthog-events.json").is_file()


def test_help_shows_the_bare_forms_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: posthog-setup [OPTIONS] [PATH]\n")
    bare = out[out.index("Options of `posthog-setup [PATH]`:") : out.index("\nOptions:")]
    for option in ("--allow-dirty", "-q, --quiet", "-v, --verbose"):
        assert option in bare
    assert "run" not in out.split()


@pytest.mark.parametrize(
    "argv",
    [["--allow-dirt", "{blog}"], ["{blog}", "--bogus"], ["{blog}", "extra", "args"]],
)
def test_errors_of_the_bare_form_never_name_the_hidden_command(
    blog: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([a.format(blog=blog) for a in argv]) == 2
    err = capsys.readouterr().err
    assert "Usage: posthog-setup [OPTIONS] [PATH]" in err
    # click 8.1 names the first help option (-h), later releases --help.
    assert re.search(r"Try 'posthog-setup (-h|--help)' for help\.", err)
    assert "run" not in err.replace(str(blog), "").split()


def test_bare_path_help_does_not_name_the_hidden_command(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(blog), "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: posthog-setup [OPTIONS] [PATH]")
    assert "posthog-setup run" not in out


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("begn", "No such command 'begn'. Did you mean 'begin'?"),
        ("revsie", "No such command 'revsie'. Did you mean 'revise'?"),
        ("mockhost", "No such command 'mockhost'. Did you mean 'mock-host'?"),
        ("frobnicate", "No such command or folder 'frobnicate'. Commands: begin, conclude,"),
    ],
)
def test_a_mistyped_command_is_named_as_such(
    word: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([word]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "does not exist" not in err
    assert "run" not in err.split()
    assert list(tmp_path.iterdir()) == []


def test_a_folder_named_like_a_command_typo_is_still_a_path(
    blog: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(blog.parent)
    blog.rename(blog.parent / "begn")
    assert main(["-q", "begn"]) == 0


def _completion(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "posthog-setup"
    if not script.is_file():
        pytest.skip(f"no posthog-setup console script beside {sys.executable} (not installed)")
    return subprocess.run(
        [str(script)], env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def test_shell_completion_script_and_candidates() -> None:
    source = _completion({"_POSTHOG_SETUP_COMPLETE": "bash_source"})
    assert source.returncode == 0, source.stderr
    assert "_posthog_setup_completion()" in source.stdout
    assert "complete -o nosort -F _posthog_setup_completion posthog-setup" in source.stdout

    words = {"_POSTHOG_SETUP_COMPLETE": "bash_complete", "COMP_CWORD": "1"}
    first = _completion({**words, "COMP_WORDS": "posthog-setup "})
    assert first.stdout.split() == [
        "plain,begin",
        "plain,conclude",
        "plain,edit",
        "plain,mock-host",
        "plain,revise",
    ]
    option = _completion({**words, "COMP_WORDS": "posthog-setup begin --j", "COMP_CWORD": "2"})
    assert option.stdout.split() == ["plain,--json"]


@pytest.mark.parametrize("command", [[], ["begin"], ["edit"], ["revise"], ["conclude"]])
def test_a_folder_that_is_not_a_python_project_is_refused(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.md").write_text("buy milk\n")
    assert main([*command, str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path} is not a Python project" in err
    assert "nothing was written" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["notes", "todo.md"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "colour", "quiet", "shown"),
    [
        (_Terminal, True, False, True),
        (_Terminal, False, False, False),  # NO_COLOR
        (_Terminal, True, True, False),  # --quiet
        (io.StringIO, True, False, False),  # not a terminal
    ],
)
def test_progress_line_only_on_a_colour_terminal(
    stream: type[io.StringIO], colour: bool, quiet: bool, shown: bool
) -> None:
    err = stream()
    console = Console(quiet=quiet, err=err, colour=colour)
    console.progress("[1/4] begin: analysing the project")
    console.info("Wrote posthog-events.json")
    text = err.getvalue()
    assert ("[1/4] begin" in text) is shown
    assert ("\r" in text) is shown
    if shown:
        # The next message erases the progress line before it is printed.
        assert text.endswith("\r\x1b[KWrote posthog-events.json\n")


def test_for_terminal_has_no_progress_under_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys, "stderr", terminal)
    console = Console.for_terminal()
    console.progress("[1/4] begin")
    assert terminal.getvalue() == ""
    monkeypatch.delenv("NO_COLOR")
    Console.for_terminal().progress("[1/4] begin")
    assert terminal.getvalue() == "\r\x1b[K[1/4] begin"


def test_findings_in_the_projects_own_code_are_reported_but_do_not_fail_the_full_run(
    blog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The project's own capture, there before the run, sends a username as an event
    # property through a module client nothing configures: the pre-commit check flags
    # both; the full run shows them and leaves them.
    (blog / "blog" / "audit.py").write_text(
        "import posthog\n\n\n"
        "def record_export(username: str) -> None:\n"
        '    posthog.capture("report_exported", distinct_id=username, '
        'properties={"username": username})\n'
    )
    assert main([str(blog)]) == 0
    captured = capsys.readouterr()
    assert "2 findings in the project's own code, there before this run" in captured.err
    assert "pii-property" in captured.out
    assert "capture-before-client" in captured.out
    summary = captured.err[captured.err.index("Summary") :].splitlines()
    assert summary[3:5] == [
        "  revise    no problems left",
        "            2 findings in the project's own code, listed above, left to you",
    ]
    assert 'properties={"username": username}' in (blog / "blog" / "audit.py").read_text()

    assert main(["revise", "--check", str(blog)]) == 1
    assert "blog/audit.py:5:" in capsys.readouterr().out


def test_a_capture_an_earlier_edit_put_in_a_500_handler_is_reported_but_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Edited before Flask's 500 handlers were left to the integration, which captures
    # each server error before Flask calls them: the run says so and changes nothing.
    blog = tmp_path / "flask_blog"
    shutil.copytree(FIXTURES / "expected" / "flask_blog", blog)
    errors = blog / "blog" / "errors.py"
    doubled = errors.read_text().replace(
        "def internal_error(error: Exception) -> Any:\n",
        "def internal_error(error: Exception) -> Any:\n    posthog_client.capture_exception(error)\n",
    )
    errors.write_text(doubled)
    assert main([str(blog)]) == 0
    captured = capsys.readouterr()
    assert "blog/errors.py:22:1: double-exception-capture" in captured.out
    assert "1 finding in the project's own code, there before this run" in captured.err
    assert errors.read_text() == doubled
    assert main(["revise", "--check", str(blog)]) == 1


def test_begin_shows_a_class_views_event_on_the_row_of_its_hook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "django_shop"
    shutil.copytree(FIXTURES / "django_shop", project)
    assert main(["begin", str(project)]) == 0
    table = capsys.readouterr().err
    # ProductCreateView's form_valid is its route's handler; the event is filed under the class.
    [row] = [line for line in table.splitlines() if "ProductCreateView.form_valid" in line]
    assert row.rstrip().endswith("product_created"), table


def test_a_run_collects_cycles_rarely_and_restores_the_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run's objects are syntax trees and results, nearly none in cycles: the collector
    runs rarely during it, and as the caller had it afterwards (tests call ``main``)."""
    import gc

    from posthog_setup import cli as cli_module

    seen: list[tuple[int, int, int]] = []

    def recording(*args: object, **kwargs: object) -> int:
        seen.append(gc.get_threshold())
        raise RuntimeError("boom")

    before = gc.get_threshold()
    monkeypatch.setattr(cli_module.cli, "main", recording)
    assert main(["begin", "."]) != 0
    assert seen == [cli_module.RUN_GC_THRESHOLDS]
    assert seen[0][0] > before[0]
    assert gc.get_threshold() == before
