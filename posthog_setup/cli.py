"""The command line: parse options, call the workflow, print its results.

Exit codes follow Ruff and Black: 0 done or nothing to do, 1 changes needed under
``--check`` or verification failed, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from posthog_setup import __version__
from posthog_setup.console import Console
from posthog_setup.exits import Exit

F = TypeVar("F", bound=Callable[..., Any])


_CONTEXT = {"help_option_names": ["-h", "--help"]}
_GROUP_FLAGS = ("--help", "-h", "--version")
_VERBOSITY_FLAGS = ("-q", "--quiet", "-v", "--verbose")
#: The bare form's command, named only inside this module: no message shows the name.
_BARE = "run"


class _WorkflowGroup(click.Group):
    """A group whose bare form ``posthog-setup [PATH]`` runs all four stages."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.resilient_parsing and not args:
            # Shell completion of the first word: offer the commands.
            return super().parse_args(ctx, args)
        if args and args[0] in _GROUP_FLAGS:
            return super().parse_args(ctx, args)
        index = _first_word(args, self._value_options(ctx))
        word = args[index] if index is not None else None
        if word is not None and index is not None and word in self.commands:
            leading = args[:index]
            if all(flag in _VERBOSITY_FLAGS for flag in leading):
                # `posthog-setup -q begin PATH`, as `ruff -q check` works.
                return super().parse_args(ctx, [word, *leading, *args[index + 1 :]])
        elif word is not None and not Path(word).exists() and not ctx.resilient_parsing:
            self._fail_unknown_command(ctx, word)
        return super().parse_args(ctx, [_BARE, *args])

    def _value_options(self, ctx: click.Context) -> set[str]:
        """The bare form's options that take a value (``--timeout 300``)."""
        return {
            opt
            for param in self.commands[_BARE].get_params(ctx)
            if isinstance(param, click.Option) and not param.is_flag
            for opt in param.opts
        }

    def _fail_unknown_command(self, ctx: click.Context, word: str) -> None:
        """``posthog-setup begn``: a mistyped command, not a missing folder."""
        import difflib  # only for a mistyped command

        names = [name for name, command in self.commands.items() if not command.hidden]
        close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
        if close:
            ctx.fail(f"No such command {word!r}. Did you mean {close[0]!r}?")
        if "/" not in word and "\\" not in word:
            ctx.fail(f"No such command or folder {word!r}. Commands: {', '.join(sorted(names))}.")

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] [PATH]")
        formatter.write_usage(ctx.command_path, "COMMAND [ARGS]...", prefix="       ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        bare = self.commands[_BARE]
        rows = [
            record
            for param in bare.get_params(ctx)
            if isinstance(param, click.Option)
            and "--help" not in param.opts
            and (record := param.get_help_record(ctx)) is not None
        ]
        with formatter.section(f"Options of `{ctx.command_path} [PATH]`"):
            formatter.write_dl(rows)
        super().format_options(ctx, formatter)


def _first_word(args: Sequence[str], value_options: set[str]) -> int | None:
    """The index of the first argument that is neither an option nor an option's value."""
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
            if not arg.startswith("-"):
                continue
        if arg.startswith("-"):
            skip = arg in value_options
            continue
        return index
    return None


class _BareCommand(click.Command):
    """The command behind ``posthog-setup [PATH]``: usage and errors name the tool alone."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if parent is not None:
            info_name = parent.find_root().info_name
        return super().make_context(info_name, args, parent=None, **extra)


def _path_argument() -> Callable[[F], F]:
    return click.argument(
        "path",
        default=".",
        type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path),
    )


def _verbosity_options(func: F) -> F:
    func = click.option("-q", "--quiet", is_flag=True, help="Print only errors.")(func)
    func = click.option("-v", "--verbose", is_flag=True, help="Print more detail.")(func)
    return func


@click.group(cls=_WorkflowGroup, context_settings=_CONTEXT)
@click.version_option(__version__, "--version", prog_name="posthog-setup")
def cli() -> None:
    """Add PostHog product analytics to a Flask, FastAPI or Django project.

    Run `posthog-setup [PATH]` for every stage in order (begin, edit, revise,
    conclude), or one stage alone with `posthog-setup STAGE [PATH]`.
    """


@cli.command("begin")
@_path_argument()
@click.option("--json", "as_json", is_flag=True, help="Print the whole analysis as JSON on stdout.")
@_verbosity_options
def begin_command(path: Path, as_json: bool, quiet: bool, verbose: bool) -> int:
    """Analyse the project and write the event plan (posthog-events.json). Changes nothing else."""
    from posthog_setup.workflow.begin import run_begin

    console = Console.for_terminal(quiet=quiet, verbose=verbose)
    return run_begin(path, console=console, as_json=as_json)


@cli.command("edit")
@_path_argument()
@click.option(
    "--diff", is_flag=True, help="Print the changes as a unified diff on stdout; write nothing."
)
@click.option("--check", is_flag=True, help="Exit 1 if anything would change; write nothing.")
@click.option("--allow-dirty", is_flag=True, help="Edit files that have uncommitted changes.")
@_verbosity_options
def edit_command(
    path: Path, diff: bool, check: bool, allow_dirty: bool, quiet: bool, verbose: bool
) -> int:
    """Apply the plan: dependency, client module, framework hook-up, captures and env files."""
    from posthog_setup.workflow.edit import run_edit

    console = Console.for_terminal(quiet=quiet, verbose=verbose)
    return run_edit(path, console=console, diff=diff, check=check, allow_dirty=allow_dirty)


@cli.command("revise")
@_path_argument()
@click.option(
    "--check", is_flag=True, help="Exit 1 if anything needs fixing or changing; write nothing."
)
@click.option(
    "--diff", is_flag=True, help="Print the fixes as a unified diff on stdout; write nothing."
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON on stdout.")
@click.option("--no-cache", is_flag=True, help="Analyse every file again; ignore the cache.")
@_verbosity_options
def revise_command(
    path: Path, check: bool, diff: bool, as_json: bool, no_cache: bool, quiet: bool, verbose: bool
) -> int:
    """Re-check an integrated project: drift from the plan and integration mistakes; fix the safe ones."""
    console = Console.for_terminal(quiet=quiet, verbose=verbose)
    stamp = None
    if not (as_json or no_cache):
        from posthog_setup.workflow.verdict import NOTHING_TO_DO, look

        stamp, warnings = look(path)
        if warnings is not None:
            # The pre-commit hook's usual case: not one file changed since a clean check.
            for line in warnings:
                console.warn(line)
            console.success(NOTHING_TO_DO)
            return Exit.OK
    from posthog_setup.workflow.revise import run_revise

    return run_revise(
        path,
        console=console,
        check=check,
        diff=diff,
        as_json=as_json,
        use_cache=not no_cache,
        stamp=stamp,
    )


def _verification_options(func: F) -> F:
    """--run-tests, --env and --timeout: for conclude and for every stage in order."""
    func = click.option(
        "--timeout",
        "test_timeout",
        type=click.FloatRange(min=1),
        help="Seconds the test suite may take, each time (default 900).",
    )(func)
    func = click.option(
        "--env",
        "python",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="The project's Python interpreter (found from .venv, $VIRTUAL_ENV, poetry... "
        "otherwise).",
    )(func)
    func = click.option(
        "--run-tests",
        "run_tests",
        is_flag=False,
        flag_value="",
        default=None,
        metavar="[CMD]",
        help="Also test the project with its own suite (CMD, or the detected runner) against "
        "the mock host, and HEAD's tree the same way, to compare.",
    )(func)
    return func


def _tests_and_path(run_tests: str | None, path: Path) -> tuple[str | None, Path]:
    """``--run-tests PATH``: the optional value took the path."""
    if run_tests and path == Path(".") and Path(run_tests).is_dir():
        return "", Path(run_tests)
    return run_tests, path


@cli.command("conclude")
@_path_argument()
@click.option("--json", "as_json", is_flag=True, help="Print the verification summary as JSON.")
@_verification_options
@_verbosity_options
def conclude_command(
    path: Path,
    as_json: bool,
    run_tests: str | None,
    python: Path | None,
    test_timeout: float | None,
    quiet: bool,
    verbose: bool,
) -> int:
    """Verify the integration against a local mock host and write posthog-setup-report.md."""
    from posthog_setup.workflow.conclude import run_conclude

    run_tests, path = _tests_and_path(run_tests, path)
    console = Console.for_terminal(quiet=quiet, verbose=verbose)
    return run_conclude(
        path,
        console=console,
        as_json=as_json,
        run_tests=run_tests,
        python=python,
        test_timeout=test_timeout,
    )


@cli.command(_BARE, cls=_BareCommand, hidden=True, context_settings=_CONTEXT)
@_path_argument()
@click.option("--allow-dirty", is_flag=True, help="Edit files that have uncommitted changes.")
@_verification_options
@_verbosity_options
def run_command(
    path: Path,
    allow_dirty: bool,
    run_tests: str | None,
    python: Path | None,
    test_timeout: float | None,
    quiet: bool,
    verbose: bool,
) -> int:
    """Run every stage in order: begin, edit, revise and conclude."""
    from posthog_setup.workflow.run import run_all

    run_tests, path = _tests_and_path(run_tests, path)
    console = Console.for_terminal(quiet=quiet, verbose=verbose)
    return run_all(
        path,
        console=console,
        allow_dirty=allow_dirty,
        run_tests=run_tests,
        python=python,
        test_timeout=test_timeout,
    )


@cli.command("mock-host")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8010, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--record",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also append every accepted event to FILE as JSON lines.",
)
@_verbosity_options
def mock_host_command(host: str, port: int, record: Path | None, quiet: bool, verbose: bool) -> int:
    """Run a local mock PostHog ingestion host that validates and records events."""
    from posthog_setup.mockhost.command import serve_forever

    return serve_forever(host=host, port=port, record=record, quiet=quiet, verbose=verbose)


#: The cyclic collector's thresholds during a run (Python's default is 700, 10, 10). A run
#: allocates millions of short-lived objects (syntax trees, cached results unpickled by the
#: thousand), nearly none of them in reference cycles: at the default, the collector ran
#: hundreds of times over every live object, about a sixth of a pre-commit check.
RUN_GC_THRESHOLDS = (200_000, 30, 30)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    before = gc.get_threshold()
    gc.set_threshold(*RUN_GC_THRESHOLDS)
    try:
        return _main(argv)
    finally:
        gc.set_threshold(*before)


def _main(argv: Sequence[str] | None) -> int:
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="posthog-setup",
            standalone_mode=False,
        )
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return Exit.ERROR
    except click.Abort:
        click.echo("Aborted.", err=True)
        return Exit.ERROR
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return Exit.ERROR
    except RecursionError:
        click.echo("error: the input is nested too deeply to process", err=True)
        return Exit.ERROR
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if os.environ.get("POSTHOG_SETUP_DEBUG"):
            raise
        click.echo(
            f"error: internal error ({type(exc).__name__}: {exc}); nothing more was written. "
            "Set POSTHOG_SETUP_DEBUG=1 for the traceback and please report it.",
            err=True,
        )
        return Exit.ERROR
    if isinstance(result, int):
        return result
    return Exit.OK


def entry() -> NoReturn:
    """The console script and ``python -m posthog_setup``: ``main``, then an exit that does
    not tear the interpreter down.

    By the end of a run the process holds libcst's node classes and tens of thousands of
    other objects; freeing them one by one at exit took a tenth of a second of a one-second
    run. Nothing needs that teardown: every file the run wrote is closed, and the stages
    have ended their threads, pools and child processes. Only the output is flushed (mypy
    exits the same way); under a tracer or profiler the exit is the usual one.
    """
    code = main()
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)  # a tracer or profiler (coverage, cProfile) writes its data at exit
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe: nothing more can be said.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
