"""The project's tests after the edit, compared with a run on HEAD's tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.plan.plan import read_plan
from posthog_setup.verify.checks import FAIL, PASS, SKIP
from posthog_setup.verify.interpreter import Interpreter
from posthog_setup.verify.suite import SuiteResult, run_suite

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CURRENT = Interpreter(sys.executable, "current", "the interpreter running the tests")
KNOWN_FAILURE = "def test_known_failure():\n    assert 1 == 2\n"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def blog_repo(tmp_path: Path) -> Path:
    """flask_blog and a test that always fails, committed; the edit in the working tree."""
    root = tmp_path / "flask_blog"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(FIXTURES / "flask_blog", root, ignore=ignore)
    (root / "tests" / "test_known.py").write_text(KNOWN_FAILURE)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "before")
    shutil.copytree(FIXTURES / "expected" / "flask_blog", root, ignore=ignore, dirs_exist_ok=True)
    return root


def suite(root: Path, host: MockPostHogHost, echoed: list[str] | None = None) -> SuiteResult:
    plan = read_plan(root)
    assert plan is not None
    command = f"{sys.executable} -m pytest -q -p no:cacheprovider tests"
    return run_suite(
        root, plan, CURRENT, host, command, echo=None if echoed is None else echoed.append
    )


def test_a_test_the_edit_broke_is_named_and_one_failing_before_is_not_held_against_it(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    root = blog_repo(tmp_path)
    posts = root / "blog" / "posts.py"
    # An inserted expression the handler cannot read, as an unsafe edit would write it.
    posts.write_text(
        posts.read_text().replace('"comment_id": comment.id}', '"words": comment.word_count}')
    )
    status = git(root, "status", "--porcelain")
    result = suite(root, mock_host)
    assert result.check.status == FAIL
    assert result.broke == ("tests/test_posts.py::test_like_and_comment",)
    assert result.comparison is not None
    assert result.comparison.failing_both == ("tests/test_known.py::test_known_failure",)
    failures = result.check.failures
    assert failures[-1] == (
        "tests: tests/test_posts.py::test_like_and_comment failed after the edit and passed "
        "before it"
    )
    assert (
        "AttributeError (POST /posts/1/comments), through a line posthog-setup inserted"
        in (failures[0])
    )
    assert not any("test_known_failure" in failure for failure in failures)
    passed_after = result.passed
    assert passed_after is not None
    assert result.check.message.endswith(
        f"; {passed_after} tests passed; before the edit (HEAD) {passed_after + 1} passed; "
        "1 test failed before the edit too, not counted against it: "
        "tests/test_known.py::test_known_failure"
    )
    # The user's tree is as it was, and the temporary worktree is gone.
    assert git(root, "status", "--porcelain") == status
    assert len(git(root, "worktree", "list").splitlines()) == 1


def test_an_edit_that_breaks_nothing_passes_with_the_counts(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    root = blog_repo(tmp_path)
    echoed: list[str] = []
    result = suite(root, mock_host, echoed)
    assert result.check.status == PASS, result.check.failures
    assert result.broke == ()
    assert result.passed is not None
    assert result.passed > 0
    assert f"before the edit (HEAD) {result.passed} passed" in result.check.message
    # The known failure fails both times: the edit broke nothing, but nothing says "passed".
    assert " failed only tests that failed before the edit too; " in result.check.message
    assert " passed;" not in result.check.message.split("; ")[0]
    # Both runs' output went by as it came, the comparison announced between them.
    marker = next(i for i, line in enumerate(echoed) if "the unedited tree (HEAD)" in line)
    assert any("1 failed" in line for line in echoed[:marker])
    assert any("1 failed" in line for line in echoed[marker:])


def test_outside_git_the_comparison_is_skipped_and_every_failure_counts(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    root = tmp_path / "flask_blog"
    shutil.copytree(FIXTURES / "expected" / "flask_blog", root)
    (root / "tests" / "test_known.py").write_text(KNOWN_FAILURE)
    result = suite(root, mock_host)
    assert result.check.failures == ("tests: tests/test_known.py::test_known_failure failed",)
    assert result.check.message.endswith(
        "; no comparison with the unedited tree: the project is not in a git repository"
    )


def test_a_suite_that_runs_no_test_is_skipped_not_failed(
    tmp_path: Path, mock_host: MockPostHogHost
) -> None:
    # A tests folder with helpers only: pytest collects nothing and exits with status 5.
    root = blog_repo(tmp_path)
    for test in (root / "tests").glob("test_*.py"):
        test.unlink()
    result = suite(root, mock_host)
    assert result.check.status == SKIP, result.check.failures
    assert result.check.failures == ()
    assert "ran no test" in result.check.message
