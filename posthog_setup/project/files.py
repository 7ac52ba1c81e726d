"""Reading and writing a user's files without losing anything.

A source file is read as bytes and decoded by its PEP 263 declaration (BOM
included), so it can be written back byte for byte apart from the edit:
same encoding, same BOM, same line endings. Writing is ``project.transaction``'s.
"""

from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path


class UnreadableFile(Exception):
    """A file that cannot be read or decoded; the message says why, for people."""


@dataclass(frozen=True)
class SourceText:
    """A decoded source file and what it takes to write it back the same way."""

    text: str
    encoding: str
    bom: bool
    newline: str

    def encode(self, text: str) -> bytes:
        """``text`` (with ``\\n`` or original line endings) as bytes in the file's own form."""
        data = text.encode(self.encoding)
        if self.bom and not data.startswith(codecs.BOM_UTF8):
            data = codecs.BOM_UTF8 + data
        return data


def _newline_of(text: str) -> str:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    return "\r\n" if crlf > lf else "\n"


def decode_source(data: bytes) -> SourceText:
    """Decode Python source bytes by their declared encoding; raises UnreadableFile."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # Raised both for a bad declaration and for undeclared bytes that are not UTF-8.
        if "coding" not in data[:200].decode("latin-1"):
            encoding = "utf-8"
        else:
            raise UnreadableFile(f"bad encoding declaration: {exc.msg}") from exc
    bom = data.startswith(codecs.BOM_UTF8)
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not valid {encoding} (byte {exc.start})") from exc
    except LookupError as exc:
        raise UnreadableFile(f"unknown encoding {encoding!r}") from exc
    return SourceText(text=text, encoding=encoding, bom=bom, newline=_newline_of(text))


def read_source(path: Path) -> SourceText:
    """Read and decode a Python source file; raises UnreadableFile."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
    return decode_source(data)


def read_text_file(path: Path) -> str:
    """Read a non-Python text file (manifests, .env.example) as UTF-8; raises UnreadableFile."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not valid utf-8 (byte {exc.start})") from exc
