"""The exit codes of every command, defined once.

0: nothing failed (skipped checks included). 1: something needs the user: changes to make
(``--check``), problems left, a verification that failed. 2: the tool could not run (bad
input, an unusable project, an interrupted write).
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """A command's exit code."""

    OK = 0
    PROBLEMS = 1
    ERROR = 2
