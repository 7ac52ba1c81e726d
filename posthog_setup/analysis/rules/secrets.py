"""PostHog keys written where they do not belong: code, config files, env samples, notebooks.

A project token (``phc_``) or a personal API key (``phx_``) is found by its shape and
told apart from placeholders (``phc_your_project_token``). Python files are scanned as
part of their rules pass; the other files a repository commits with its code (YAML,
TOML, INI / CFG, ``.env`` samples such as ``.env.example``, and the code cells of
Jupyter notebooks) are scanned here. A real ``.env`` is where the key belongs and is
never read. A finding gives the place and never the key itself.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from posthog_setup.analysis.model import DEFAULT_TOKEN_VAR, Finding
from posthog_setup.analysis.rules.records import ignored

#: ``phc_``/``phx_`` followed by what a key is made of; real keys have 43 characters after it.
KEY = re.compile(r"(?<![A-Za-z0-9_-])(?P<kind>ph[cx])_(?P<body>[A-Za-z0-9_-]{20,})")
_PLACEHOLDER_WORDS = re.compile(
    r"your|example|placeholder|dummy|fake|sample|xxxx|test|token|api_?key", re.IGNORECASE
)
LINE_BREAK = re.compile(r"\r\n|\r|\n")

#: Config files scanned besides Python: what a repository commits beside its code.
CONFIG_SUFFIXES = (".yaml", ".yml", ".toml", ".ini", ".cfg")
NOTEBOOK_SUFFIX = ".ipynb"
#: Env files meant to be committed: ``.env.example``, ``.env.sample``, ``env.template``...
_ENV_SAMPLE = re.compile(
    r"\.?env(\.[\w-]+)*\.(example|sample|template|tmpl|dist|defaults)|(example|sample)\.env",
    re.IGNORECASE,
)

_RULES = {"phc": "hardcoded-token", "phx": "personal-api-key"}


def looks_like_key(body: str) -> bool:
    """True for a random key body; False for ``your_project_api_key_here`` and the like."""
    classes = sum(
        (
            any(c.isdigit() for c in body),
            any(c.islower() for c in body),
            any(c.isupper() for c in body),
        )
    )
    return (
        classes >= 2
        and len(set(body)) >= 10
        and not _PLACEHOLDER_WORDS.search(body)
        and _longest_run(body) < 6
    )


def _longest_run(text: str) -> int:
    """Length of the longest run of consecutive characters (``abcdef``, ``0123``)."""
    longest = run = 1
    for before, after in itertools.pairwise(text):
        run = run + 1 if ord(after) == ord(before) + 1 else 1
        longest = max(longest, run)
    return longest


@dataclass(frozen=True)
class KeyHit:
    """A key in a text: its rule, its 1-based line and column, and the key itself."""

    rule: str
    line: int
    col: int
    key: str


def key_hits(text: str) -> Iterator[KeyHit]:
    """The project tokens and personal API keys in ``text``, comments included."""
    if "phc_" not in text and "phx_" not in text:
        return
    line_starts = [0, *(m.end() for m in LINE_BREAK.finditer(text))]
    line = 0
    for match in KEY.finditer(text):
        if not looks_like_key(match.group("body")):
            continue
        while line + 1 < len(line_starts) and line_starts[line + 1] <= match.start():
            line += 1
        col = match.start() - line_starts[line] + 1
        yield KeyHit(_RULES[match.group("kind")], line + 1, col, match.group(0))


def key_message(rule: str, where: str) -> str:
    """The finding's message for a key found in ``where`` ("the source", "this file"...)."""
    if rule == "hardcoded-token":
        return (
            f"A PostHog project token is written in {where}; read it from the environment "
            f'instead (os.environ["{DEFAULT_TOKEN_VAR}"]).'
        )
    return (
        f"A PostHog personal API key (phx_) is in {where}: it is a secret with access to "
        "your PostHog account. Revoke it in PostHog, create a new one, and read it from the "
        "environment; never commit it."
    )


def is_scanned_for_keys(file: str) -> bool:
    """True for the non-Python files whose keys are looked for (never a real ``.env``)."""
    name = PurePosixPath(file).name
    lowered = name.lower()
    return (
        lowered.endswith(CONFIG_SUFFIXES)
        or lowered.endswith(NOTEBOOK_SUFFIX)
        or _ENV_SAMPLE.fullmatch(name) is not None
    )


def file_key_findings(file: str, data: bytes) -> tuple[Finding, ...]:
    """The keys in one config file, env sample or notebook, as findings; ignore comments
    (``# posthog-setup: ignore[hardcoded-token]``) on a key's line are respected."""
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    if "phc_" not in text and "phx_" not in text:
        return ()
    if file.lower().endswith(NOTEBOOK_SUFFIX):
        found = _notebook_findings(file, text)
    else:
        lines = LINE_BREAK.split(text)
        found = [
            Finding(hit.rule, file, hit.line, hit.col, key_message(hit.rule, "this file"))
            for hit in key_hits(text)
            if not ignored(hit.rule, lines[hit.line - 1])
        ]
    return tuple(sorted(found, key=lambda f: (f.line, f.col, f.rule)))


def _code_cells(text: str) -> list[str] | None:
    """The sources of a notebook's code cells; None when it is not a notebook's JSON."""
    try:
        notebook = json.loads(text)
    except ValueError:
        return None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return None
    sources: list[str] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            sources.append("")
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(part for part in source if isinstance(part, str))
        sources.append(source if isinstance(source, str) else "")
    return sources


def _notebook_findings(file: str, text: str) -> list[Finding]:
    """Keys in the code cells, at the line of the notebook file that holds each one."""
    cells = _code_cells(text)
    if cells is None:
        return []
    found: list[Finding] = []
    used: dict[str, int] = {}
    for number, source in enumerate(cells, start=1):
        lines = LINE_BREAK.split(source)
        for hit in key_hits(source):
            if ignored(hit.rule, lines[hit.line - 1]):
                continue
            # The key's characters need no JSON escaping, so it stands as is in the file.
            start = text.find(hit.key, used.get(hit.key, 0))
            used[hit.key] = start + len(hit.key) if start >= 0 else len(text)
            line = text.count("\n", 0, start) + 1 if start >= 0 else 1
            col = start - text.rfind("\n", 0, start) if start >= 0 else 1
            where = f"code cell {number} of this notebook (its line {hit.line})"
            found.append(Finding(hit.rule, file, line, col, key_message(hit.rule, where)))
    return found
