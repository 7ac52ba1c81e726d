"""Messages for people: stderr, colour only on a terminal and never under NO_COLOR."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TextIO

import click


def _wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass
class Console:
    """Where the workflow speaks: info and warnings on stderr, data on stdout."""

    quiet: bool = False
    verbose: bool = False
    err: TextIO = field(default_factory=lambda: sys.stderr)
    out: TextIO = field(default_factory=lambda: sys.stdout)
    colour: bool = False
    _progress_shown: bool = field(default=False, init=False, repr=False)

    @classmethod
    def for_terminal(cls, *, quiet: bool = False, verbose: bool = False) -> Console:
        """A console on the process's own streams."""
        return cls(quiet=quiet, verbose=verbose, colour=_wants_colour(sys.stderr))

    @property
    def interactive(self) -> bool:
        """True when stderr is a terminal (progress bars are shown only then)."""
        isatty = getattr(self.err, "isatty", None)
        return bool(isatty and isatty()) and not self.quiet

    def progress(self, message: str) -> None:
        """A transient status line for long runs; the next message replaces it.

        Shown only on a colour terminal: never when stderr is not a TTY, under
        NO_COLOR (which asks for plain output) or under --quiet.
        """
        if not (self.colour and self.interactive):
            return
        self.err.write("\r\x1b[K" + message)
        self.err.flush()
        self._progress_shown = True

    def clear_progress(self) -> None:
        """Erase the progress line, if one is showing."""
        if self._progress_shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._progress_shown = False

    def _style(self, text: str, **styles: object) -> str:
        return click.style(text, **styles) if self.colour else text  # type: ignore[arg-type]

    def info(self, message: str) -> None:
        self.clear_progress()
        if not self.quiet:
            click.echo(message, file=self.err)

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            self.clear_progress()
            click.echo(message, file=self.err)

    def success(self, message: str) -> None:
        self.clear_progress()
        if not self.quiet:
            click.echo(self._style(message, fg="green"), file=self.err)

    def warn(self, message: str) -> None:
        self.clear_progress()
        if not self.quiet:
            click.echo(self._style("warning: ", fg="yellow", bold=True) + message, file=self.err)

    def error(self, message: str) -> None:
        self.clear_progress()
        click.echo(self._style("error: ", fg="red", bold=True) + message, file=self.err)

    def data(self, text: str) -> None:
        """Machine output (JSON, diffs) on stdout.

        Surrogate escapes (bytes of a file that is not UTF-8, in a diff) are written
        as the original bytes.
        """
        if any("\udc80" <= char <= "\udcff" for char in text):
            click.echo(text.encode("utf-8", "surrogateescape"), file=self.out)
        else:
            click.echo(text, file=self.out)
