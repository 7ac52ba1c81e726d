"""Source files are decoded by their declaration and written back in their own form, atomically."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from posthog_setup.project.files import UnreadableFile, decode_source, read_source


def test_utf8_with_bom_and_crlf_round_trips() -> None:
    data = codecs.BOM_UTF8 + "x = 'é'\r\ny = 2\r\n".encode()
    source = decode_source(data)
    assert source.bom
    assert source.newline == "\r\n"
    assert source.encoding == "utf-8"
    assert source.encode(source.text) == data


def test_declared_latin1_is_decoded_and_encoded_back() -> None:
    data = "# -*- coding: latin-1 -*-\nname = 'café'\n".encode("latin-1")
    source = decode_source(data)
    assert "café" in source.text
    assert source.encode(source.text) == data


def test_invalid_bytes_for_the_declared_encoding_are_reported() -> None:
    with pytest.raises(UnreadableFile, match="not valid utf-8"):
        decode_source(b"x = '\xff\xfe'\n")


def test_unknown_encoding_declaration_is_reported() -> None:
    with pytest.raises(UnreadableFile):
        decode_source(b"# -*- coding: klingon -*-\nx = 1\n")


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="cannot read"):
        read_source(tmp_path / "missing.py")
