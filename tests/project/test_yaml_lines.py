"""The block-mapping YAML reader: what it reads, and what it leaves out rather than guess."""

from __future__ import annotations

import textwrap

import pytest

from posthog_setup.project.yaml_lines import (
    YamlMapping,
    mapping_at,
    read_yaml_mappings,
    string_at,
)


def read(text: str) -> YamlMapping | None:
    return read_yaml_mappings(textwrap.dedent(text))


def test_nested_mappings_plain_and_quoted_scalars_and_comments() -> None:
    data = read(
        """
        # a comment
        service: orders   # trailing comment
        url: http://example.invalid/#fragment
        provider:
          name: aws
          "quoted key": "a \\"b\\" # c"  # comment
          'single': 'it''s'
        functions:

          ingest:
            handler: orders/ingest.main
        """
    )
    assert data == {
        "service": "orders",
        "url": "http://example.invalid/#fragment",
        "provider": {"name": "aws", "quoted key": 'a "b" # c', "single": "it's"},
        "functions": {"ingest": {"handler": "orders/ingest.main"}},
    }


def test_sequences_block_scalars_flows_tags_and_aliases_are_left_out() -> None:
    data = read(
        """
        events:
          - sqs:
              handler: not.this
          - http
        policies:
        - name: x
          handler: nor.this
        description: |
          handler: nor.that
        flow: {handler: no}
        list: [a, b]
        tagged: !Sub "${Prefix}.handler"
        tagged_block: !If
          - cond
          - handler
        alias: *defaults
        anchored: &defaults
          runtime: python3.12
        continued: first line
          handler: second line
        after: yes
        """
    )
    assert data == {
        "events": {},
        "policies": {},
        "description": None,
        "flow": None,
        "list": None,
        "tagged": None,
        "tagged_block": None,
        "alias": None,
        "anchored": {"runtime": "python3.12"},
        "continued": "first line",
        "after": "yes",
    }


@pytest.mark.parametrize(
    "text",
    [
        "functions:\n\tingest: x\n",
        "a:\n    b: 1\n  c: 2\n",
    ],
    ids=["tab", "out-of-line"],
)
def test_indentation_that_is_not_yamls_reads_as_nothing(text: str) -> None:
    assert read_yaml_mappings(text) is None


def test_only_the_first_document_is_read() -> None:
    data = read_yaml_mappings("%YAML 1.2\n---\na: 1\n...\n---\nb: 2\n")
    assert data == {"a": "1"}


def test_lookups_of_missing_or_other_values_find_nothing() -> None:
    data = read("a:\n  b: text\n  c:\n    d: 1\n")
    assert string_at(data, "a", "b") == "text"
    assert string_at(data, "a", "c") is None
    assert string_at(data, "a", "b", "x") is None
    assert mapping_at(data, "a", "c") == {"d": "1"}
    assert mapping_at(data, "a", "b") == {}
    assert mapping_at(None, "a") == {}
    assert string_at(data) is None


def test_an_unclosed_quote_is_no_value() -> None:
    assert read_yaml_mappings('a: "open\nb: 1\n') == {"a": None, "b": "1"}
