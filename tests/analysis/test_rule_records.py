"""The rule records: every record's examples, the README table, one rule vocabulary."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import posthog_setup
from posthog_setup.analysis.model import Finding
from posthog_setup.analysis.rules.records import (
    PLANNED_APP,
    RULES,
    Invalid,
    Rule,
    canonical,
    ignored,
    rule_table,
)
from posthog_setup.cli import main
from posthog_setup.codemods.fixes import apply_fixes, rewrites_of
from posthog_setup.config import load_config
from posthog_setup.workflow.revise import revise
from tests.analysers import analyse_sources

FILE = "app/views.py"
FILE_RULES = [rule for rule in RULES if rule.source == "file"]
PLAN_RULES = [rule for rule in RULES if rule.source != "file"]


def findings_of(rule: Rule, code: str) -> list[Finding]:
    """The findings of ``rule`` in a one-module project holding ``code``."""
    return [f for f in analyse_sources({FILE: code}).findings if f.rule == rule.id]


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        pytest.param(rule, code, id=f"{rule.id}-valid-{n}")
        for rule in FILE_RULES
        for n, code in enumerate(rule.valid)
    ],
)
def test_valid_examples_are_not_flagged(rule: Rule, code: str) -> None:
    compile(code, FILE, "exec")
    assert findings_of(rule, code) == []


@pytest.mark.parametrize(
    ("rule", "example"),
    [
        pytest.param(rule, example, id=f"{rule.id}-invalid-{n}")
        for rule in FILE_RULES
        for n, example in enumerate(rule.invalid)
    ],
)
def test_invalid_examples_are_flagged_and_fixed(rule: Rule, example: Invalid) -> None:
    compile(example.code, FILE, "exec")
    found = findings_of(rule, example.code)
    assert found, f"{rule.id} does not flag its INVALID example"
    fixed = apply_fixes(example.code, FILE, found)
    if example.fixed is None:
        assert fixed == example.code
        return
    assert fixed == example.fixed
    compile(fixed, FILE, "exec")
    assert not [f for f in findings_of(rule, fixed) if f.fixable]
    assert apply_fixes(fixed, FILE, findings_of(rule, fixed)) == fixed


def revise_findings(rule: Rule, code: str, root: Path) -> list[Finding]:
    """The findings of ``rule`` once ``PLANNED_APP``, planned by begin, has become ``code``."""
    root.mkdir()
    (root / "requirements.txt").write_text("flask\n")
    (root / "app.py").write_text(PLANNED_APP)
    assert main(["begin", "--quiet", str(root)]) == 0
    (root / "app.py").write_text(code)
    result = revise(root, load_config(root), use_cache=False)
    return [f for f in result.findings if f.rule == rule.id]


@pytest.mark.parametrize(
    ("rule", "code", "flagged"),
    [
        *(
            pytest.param(rule, code, False, id=f"{rule.id}-valid-{n}")
            for rule in PLAN_RULES
            for n, code in enumerate(rule.valid)
        ),
        *(
            pytest.param(rule, example.code, True, id=f"{rule.id}-invalid-{n}")
            for rule in PLAN_RULES
            for n, example in enumerate(rule.invalid)
        ),
    ],
)
def test_plan_rule_examples(rule: Rule, code: str, flagged: bool, tmp_path: Path) -> None:
    compile(code, "app.py", "exec")
    assert bool(revise_findings(rule, code, tmp_path / "project")) is flagged


#: Rules whose examples cannot be one changed module; the workflow tests cover them.
WITHOUT_EXAMPLES = {
    "renamed-event": "a person renames the event in posthog-events.json, not in the code",
    "plan-outdated": "a person edits posthog-events.json, not the code",
}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_each_rule_has_examples_both_ways(rule: Rule) -> None:
    if rule.id in WITHOUT_EXAMPLES:
        assert not rule.valid
        assert not rule.invalid
        return
    assert len(rule.invalid) >= 1
    if rule.id != "incomplete-setup":  # a complete set-up is edit's whole output
        assert len(rule.valid) >= 2
        assert len(rule.invalid) >= 2
    if rule.rewrite is not None:
        assert any(example.fixed is not None for example in rule.invalid)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_a_rewrite_belongs_to_a_fixable_rule_and_resolves(rule: Rule) -> None:
    if rule.rewrite is None:
        assert rewrites_of(rule) == ()
        return
    assert rule.fixable
    assert rewrites_of(rule)


def test_ids_and_aliases_are_one_vocabulary() -> None:
    ids = [rule.id for rule in RULES]
    aliases = [alias for rule in RULES for alias in rule.aliases]
    assert len(set(ids)) == len(ids)
    assert len(set(aliases)) == len(aliases)
    assert not set(ids) & set(aliases)
    assert canonical("capture") == "missing-capture"
    assert canonical("pii") == "pii-property"
    assert canonical("pii-property") == "pii-property"


def _rule_ids_in_code() -> set[str]:
    """Rule ids the package passes to ``Finding(...)``, the rules' ``self.add(...)`` or
    their tables, or names as an ignore ``RULE``."""
    found: set[str] = set()
    for path in Path(posthog_setup.__file__).parent.rglob("*.py"):
        if path.name == "records.py":
            continue
        adds = path.parent.name == "rules"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value: ast.expr | None = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "Finding" or (adds and name == "add"):
                    value = node.args[0]
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "RULE" for t in node.targets
            ):
                value = node.value
            elif adds and isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                # a table from what is found to the rule reporting it
                found.update(
                    v.value
                    for v in node.value.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str) and "-" in v.value
                )
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(value.value)
    return found


def test_every_rule_the_code_reports_is_a_record() -> None:
    used = _rule_ids_in_code()
    assert "hardcoded-token" in used
    assert "missing-capture" in used
    assert used <= {rule.id for rule in RULES}


def test_readme_rule_table_is_rendered_from_the_records() -> None:
    readme = (Path(posthog_setup.__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert rule_table() in readme
    assert rule_table().count("\n| `") == len(RULES)


@pytest.mark.parametrize(
    ("rule", "line", "expected"),
    [
        ("pii-property", "x = 1  # posthog-setup: ignore", True),
        ("pii-property", "x = 1  # posthog-setup: ignore[pii]", True),
        ("pii-property", "x = 1  # posthog-setup: ignore[pii-property]", True),
        ("pii-property", "x = 1  #posthog-setup:ignore[ hardcoded-token , pii ]", True),
        ("pii-property", "x = 1  # posthog-setup: ignore[hardcoded-token]", False),
        ("missing-capture", "def f():  # posthog-setup: ignore[capture]", True),
        ("missing-capture", "def f():  # posthog-setup: ignore[missing-capture]", True),
        ("missing-identify", "def f():  # posthog-setup: ignore[identify]", True),
        ("missing-identify", "def f():  # posthog-setup: ignore[capture]", False),
        ("missing-exception-capture", "def f():  # posthog-setup: ignore[exception]", True),
        ("hardcoded-token", "x = 1  # posthog-setup: ignore[]", True),
        ("hardcoded-token", "x = 1  # ignore[hardcoded-token]", False),
        ("hardcoded-token", "x = 1", False),
    ],
)
def test_ignored(rule: str, line: str, expected: bool) -> None:
    assert ignored(rule, line) is expected


def test_the_short_pii_name_silences_a_pii_finding() -> None:
    code = (
        "from app.analytics import posthog_client\n\n"
        "def signup(user):\n"
        '    posthog_client.capture("signed_up", properties={"email": user.email})'
        "  # posthog-setup: ignore[pii]\n"
        '    posthog_client.capture("signed_up", properties={"email": user.email})\n'
    )
    pii = next(rule for rule in RULES if rule.id == "pii-property")
    assert [f.line for f in findings_of(pii, code)] == [5]


def test_the_short_capture_name_still_marks_a_route_ignored() -> None:
    code = (
        "from flask import Flask\n\napp = Flask(__name__)\n\n"
        '@app.post("/posts")  # posthog-setup: ignore[capture]\n'
        "def create():\n    return {}\n\n"
        '@app.post("/likes")  # posthog-setup: ignore[missing-capture]\n'
        "def like():\n    return {}\n\n"
        '@app.post("/tags")  # posthog-setup: ignore[pii]\n'
        "def tag():\n    return {}\n"
    )
    routes = analyse_sources({"app.py": code}).routes
    assert {r.handler.name: r.ignored for r in routes} == {
        "create": True,
        "like": True,
        "tag": False,
    }
