"""Adding posthog to each kind of manifest, in its own style, and leaving it alone when present."""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import pytest
import tomlkit

from posthog_setup.codemods.dependency import DependencyEdit, add_posthog_dependency
from posthog_setup.frameworks import registry
from posthog_setup.project.manifests import Manifest, find_manifests

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
OLD_PIN = "older than the code posthog-setup writes needs: posthog 7.66"


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def run(root: Path) -> DependencyEdit:
    """Add the Flask floor, without its comment: these tests are about each manifest's layout."""
    manager, manifests = find_manifests(root)
    return add_posthog_dependency(root, manager, manifests, requirement="posthog>=7.66")


def assert_edit(
    root: Path, files: dict[str, str | bytes], path: str, expected: str | bytes
) -> DependencyEdit:
    """One change to ``path`` with exactly ``expected``; a second run changes nothing."""
    write(root, files)
    edit = run(root)
    assert [change.path for change in edit.changes] == [path]
    change = edit.changes[0]
    assert change.before == (root / path).read_bytes()
    assert change.after == (expected if isinstance(expected, bytes) else expected.encode())
    assert change.notes == ()
    (root / path).write_bytes(change.after)
    again = run(root)
    assert again.changes == ()
    assert not any(OLD_PIN in note for note in again.notes)
    return edit


def assert_unchanged(root: Path, files: dict[str, str | bytes]) -> DependencyEdit:
    write(root, files)
    edit = run(root)
    assert edit.changes == ()
    return edit


# --- requirements files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "flask>=3.0\nrequests>=2\n",
            "flask>=3.0\nposthog>=7.66\nrequests>=2\n",
            id="sorted",
        ),
        pytest.param(
            "Django>=5\nPillow\nrequests\n",
            "Django>=5\nPillow\nposthog>=7.66\nrequests\n",
            id="sorted-case-insensitively",
        ),
        pytest.param("requests\n", "posthog>=7.66\nrequests\n", id="sorted-first"),
        pytest.param(
            "requests\nflask\n\n# optional extras\n",
            "requests\nflask\nposthog>=7.66\n\n# optional extras\n",
            id="unsorted-after-last-requirement",
        ),
        pytest.param(
            "flask\nrequests", "flask\nposthog>=7.66\nrequests", id="sorted-no-final-newline"
        ),
        pytest.param(
            "requests\nflask", "requests\nflask\nposthog>=7.66", id="unsorted-no-final-newline"
        ),
        pytest.param(
            "flask\r\nrequests\r\n", "flask\r\nposthog>=7.66\r\nrequests\r\n", id="crlf-sorted"
        ),
        pytest.param(
            "requests\r\nflask\r\n", "requests\r\nflask\r\nposthog>=7.66\r\n", id="crlf-unsorted"
        ),
        pytest.param(
            "--index-url https://pypi.org/simple\n# web\nflask  # the app\n",
            "--index-url https://pypi.org/simple\n# web\nflask  # the app\nposthog>=7.66\n",
            id="options-and-comments",
        ),
        pytest.param(
            "flask \\\n    >=3.0\nrequests\n",
            "flask \\\n    >=3.0\nposthog>=7.66\nrequests\n",
            id="continuation-line",
        ),
        pytest.param("", "posthog>=7.66\n", id="empty"),
    ],
)
def test_requirements_file(tmp_path: Path, before: str, after: str) -> None:
    edit = assert_edit(tmp_path, {"requirements.txt": before}, "requirements.txt", after)
    assert edit.notes == ()


def test_requirements_keeps_the_byte_order_mark(tmp_path: Path) -> None:
    bom = codecs.BOM_UTF8
    assert_edit(
        tmp_path,
        {"requirements.txt": bom + b"flask\n"},
        "requirements.txt",
        bom + b"flask\nposthog>=7.66\n",
    )


def test_frozen_requirements_get_a_range_and_a_note(tmp_path: Path) -> None:
    edit = assert_edit(
        tmp_path,
        {"requirements.txt": "flask==3.0.0\nrequests==2.31.0\n"},
        "requirements.txt",
        "flask==3.0.0\nposthog>=7.66\nrequests==2.31.0\n",
    )
    assert len(edit.notes) == 1
    assert edit.notes[0].startswith("requirements.txt pins every package with ==:")
    assert "lock workflow" in edit.notes[0]


def test_a_pin_posthogs_own_requirements_exclude_is_named(tmp_path: Path) -> None:
    """requests==2.31.0 installs beside posthog; typing-extensions==3.7.4.3 and
    backoff==1.8.0 do not (pip: ResolutionImpossible), and the note says which to raise."""
    pins = "backoff==1.8.0\nflask\nrequests==2.31.0\ntyping-extensions==3.7.4.3\n"
    edit = assert_edit(
        tmp_path,
        {"requirements.txt": pins},
        "requirements.txt",
        pins.replace("flask\n", "flask\nposthog>=7.66\n"),
    )
    assert edit.notes == (
        "requirements.txt pins backoff==1.8.0, and posthog needs backoff>=1.10.0: the file no "
        "longer installs; raise that pin.",
        "requirements.txt pins typing-extensions==3.7.4.3, and posthog needs "
        "typing-extensions>=4.2.0: the file no longer installs; raise that pin.",
    )


COMPILED = """\
#
# This file is autogenerated by pip-compile with Python 3.12
# by the following command:
#
#    pip-compile requirements.in
#
flask==3.0.0 \\
    --hash=sha256:aaaa
    # via -r requirements.in
itsdangerous==2.1.2 \\
    --hash=sha256:bbbb
    # via flask
werkzeug==3.0.1 \\
    --hash=sha256:cccc
    # via flask
"""


def test_pip_compile_edits_the_in_file(tmp_path: Path) -> None:
    edit = assert_edit(
        tmp_path,
        {"requirements.txt": COMPILED, "requirements.in": "flask\nsqlalchemy\n"},
        "requirements.in",
        "flask\nposthog>=7.66\nsqlalchemy\n",
    )
    assert edit.notes == (
        "requirements.txt is generated from requirements.in: posthog was added to "
        "requirements.in; re-run `pip-compile requirements.in` to update requirements.txt.",
    )
    assert (tmp_path / "requirements.txt").read_text() == COMPILED


def test_pip_compile_without_in_file_edits_the_output(tmp_path: Path) -> None:
    expected = COMPILED.replace(
        "    # via flask\nwerkzeug", "    # via flask\nposthog>=7.66\nwerkzeug", 1
    )
    edit = assert_edit(tmp_path, {"requirements.txt": COMPILED}, "requirements.txt", expected)
    assert len(edit.notes) == 1
    assert "generated by pip-compile and requirements.in does not exist" in edit.notes[0]


def test_uv_compiled_requirements_name_the_uv_command(tmp_path: Path) -> None:
    compiled = (
        "# This file was autogenerated by uv via the following command:\n"
        "#    uv pip compile requirements.in -o requirements.txt\n"
        "flask==3.0.0\n"
        "    # via -r requirements.in\n"
    )
    edit = assert_edit(
        tmp_path,
        {"requirements.txt": compiled, "requirements.in": "flask\n"},
        "requirements.in",
        "flask\nposthog>=7.66\n",
    )
    assert "re-run `uv pip compile requirements.in -o requirements.txt`" in edit.notes[0]


def test_include_edits_the_runtime_file_it_reads(tmp_path: Path) -> None:
    """``requirements.txt`` reads ``requirements/base.txt``, as ``requirements/dev.txt`` does:
    there posthog reaches both."""
    edit = assert_edit(
        tmp_path,
        {
            "requirements.txt": "-r requirements/base.txt\n",
            "requirements/base.txt": "flask\n",
            "requirements/dev.txt": "-r base.txt\npytest\n",
        },
        "requirements/base.txt",
        "flask\nposthog>=7.66\n",
    )
    assert edit.notes == (
        "posthog goes in requirements/base.txt, which requirements.txt includes.",
    )


def test_runtime_requirements_preferred_to_dev_file_that_includes_them(tmp_path: Path) -> None:
    assert_edit(
        tmp_path,
        {"requirements-dev.txt": "-r requirements.txt\npytest\n", "requirements.txt": "flask\n"},
        "requirements.txt",
        "flask\nposthog>=7.66\n",
    )


def test_requirements_folder_prefers_base_to_dev(tmp_path: Path) -> None:
    assert_edit(
        tmp_path,
        {"requirements/dev.txt": "-r base.txt\npytest\n", "requirements/base.txt": "flask\n"},
        "requirements/base.txt",
        "flask\nposthog>=7.66\n",
    )


def test_requirements_already_required_through_an_include(tmp_path: Path) -> None:
    edit = assert_unchanged(
        tmp_path,
        {
            "requirements.txt": "-r requirements/base.txt\n",
            "requirements/base.txt": "flask\nposthog>=7.70\n",
        },
    )
    assert edit.notes == ()


@pytest.mark.parametrize(
    ("pin", "shown"),
    [
        ("posthog==6.1", "posthog==6.1"),
        ("posthog<7", "posthog<7"),
        ("posthog>=5,<7.66  # old API", "posthog<7.66,>=5"),
        ("posthog[sentry]==6.1; python_version >= '3.9'", "posthog[sentry]==6.1"),
    ],
)
def test_requirements_old_pin_is_reported_not_changed(tmp_path: Path, pin: str, shown: str) -> None:
    edit = assert_unchanged(tmp_path, {"requirements.txt": f"flask\n{pin}\n"})
    assert edit.notes == (
        f"requirements.txt pins {shown}, older than the code posthog-setup writes needs: "
        "posthog 7.66. Raise it to >=7.66 by hand; posthog-setup does not change "
        "existing pins.",
    )


@pytest.mark.parametrize("pin", ["posthog", "posthog>=6", "posthog~=7.0", "posthog==7.*"])
def test_requirements_pin_that_reaches_the_integrations(tmp_path: Path, pin: str) -> None:
    assert assert_unchanged(tmp_path, {"requirements.txt": f"{pin}\n"}).notes == ()


# --- PEP 621 pyproject ----------------------------------------------------------------------


def pep621(dependencies: str, tail: str = "") -> str:
    return f'[project]\nname = "app"\nversion = "1.0"\ndependencies = {dependencies}\n{tail}'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            '[\n    "flask>=3",\n    "requests",\n]',
            '[\n    "flask>=3",\n    "posthog>=7.66",\n    "requests",\n]',
            id="multi-line-sorted",
        ),
        pytest.param(
            '[\n    "requests",\n    "flask>=3",\n]',
            '[\n    "requests",\n    "flask>=3",\n    "posthog>=7.66",\n]',
            id="multi-line-unsorted",
        ),
        pytest.param(
            '[\n  "requests",\n  "flask"\n]',
            '[\n  "requests",\n  "flask",\n  "posthog>=7.66"\n]',
            id="multi-line-no-trailing-comma",
        ),
        pytest.param(
            '["flask>=3", "requests"]',
            '["flask>=3", "posthog>=7.66", "requests"]',
            id="one-line-sorted",
        ),
        pytest.param(
            '["requests", "flask>=3"]',
            '["requests", "flask>=3", "posthog>=7.66"]',
            id="one-line-unsorted",
        ),
        pytest.param('["requests"]', '["posthog>=7.66", "requests"]', id="one-line-sorted-first"),
        pytest.param(
            '[ "requests", "flask", ]',
            '[ "requests", "flask", "posthog>=7.66", ]',
            id="one-line-trailing-comma",
        ),
        pytest.param(
            '[\n    "requests",\n    "flask"  # web\n]',
            '[\n    "requests",\n    "flask",  # web\n    "posthog>=7.66"\n]',
            id="comment-after-last-no-trailing-comma",
        ),
        pytest.param(
            "[\n    'requests',\n    'flask',  # web\n]",
            "[\n    'requests',\n    'flask',  # web\n    'posthog>=7.66',\n]",
            id="literal-strings-and-comment",
        ),
    ],
)
def test_pep621(tmp_path: Path, before: str, after: str) -> None:
    edit = assert_edit(
        tmp_path,
        {"pyproject.toml": pep621(before, '\n[tool.hatch.build]\npackages = ["app"]\n')},
        "pyproject.toml",
        pep621(after, '\n[tool.hatch.build]\npackages = ["app"]\n'),
    )
    assert edit.notes == ()


def test_pep621_crlf(tmp_path: Path) -> None:
    before = pep621('[\n    "requests",\n]').replace("\n", "\r\n")
    after = pep621('[\n    "posthog>=7.66",\n    "requests",\n]').replace("\n", "\r\n")
    assert_edit(tmp_path, {"pyproject.toml": before}, "pyproject.toml", after)


@pytest.mark.parametrize(
    ("tool", "lock", "command"),
    [("[tool.uv]\n", "uv.lock", "uv lock"), ("[tool.pdm]\n", "pdm.lock", "pdm lock")],
)
def test_pep621_lock_file_is_left_to_the_manager(
    tmp_path: Path, tool: str, lock: str, command: str
) -> None:
    edit = assert_edit(
        tmp_path,
        {"pyproject.toml": pep621('["flask"]', tool), lock: "# lock\n"},
        "pyproject.toml",
        pep621('["flask", "posthog>=7.66"]', tool),
    )
    assert edit.notes == (
        f"pyproject.toml: run `{command}` to refresh the lock file (posthog-setup does not "
        "edit lock files).",
    )
    assert (tmp_path / lock).read_text() == "# lock\n"


def test_pep621_never_written_reformatted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dumps = tomlkit.dumps

    def reformatting_dumps(document: tomlkit.TOMLDocument) -> str:
        return dumps(document).replace('", "', '","')

    monkeypatch.setattr(tomlkit, "dumps", reformatting_dumps)
    edit = assert_unchanged(tmp_path, {"pyproject.toml": pep621('["requests", "flask"]')})
    assert edit.notes == (
        "pyproject.toml: posthog could not be added without reformatting the file; "
        "add posthog>=7.66 to it by hand.",
    )


def test_pep621_old_pin(tmp_path: Path) -> None:
    edit = assert_unchanged(tmp_path, {"pyproject.toml": pep621('["flask", "posthog>=3,<6"]')})
    assert len(edit.notes) == 1
    assert edit.notes[0].startswith("pyproject.toml pins posthog<6,>=3, older than")


def test_pep621_already_required(tmp_path: Path) -> None:
    edit = assert_unchanged(tmp_path, {"pyproject.toml": pep621('["flask", "posthog>=7.70"]')})
    assert edit.notes == ()


# --- poetry ---------------------------------------------------------------------------------

POETRY = """\
[tool.poetry]
name = "app"

[tool.poetry.dependencies]
python = "^3.10"
django = { version = "^5.0", extras = ["argon2"] }  # web
{posthog}
[tool.poetry.group.dev.dependencies]
pytest = "^8.0"
"""


def test_poetry_inserts_before_the_dev_group(tmp_path: Path) -> None:
    edit = assert_edit(
        tmp_path,
        {"pyproject.toml": POETRY.replace("{posthog}\n", "\n")},
        "pyproject.toml",
        POETRY.replace("{posthog}", 'posthog = ">=7.66"\n'),
    )
    assert edit.notes == (
        "pyproject.toml: run `poetry lock` to refresh the lock file (posthog-setup does not "
        "edit lock files).",
    )


def test_poetry_legacy_dev_dependencies_and_indentation(tmp_path: Path) -> None:
    before = (
        "[tool.poetry.dependencies]\r\n"
        '  python = "^3.10"\r\n'
        '  flask = "^3.0"\r\n'
        "[tool.poetry.dev-dependencies]\r\n"
        'pytest = "^8.0"\r\n'
    )
    after = before.replace('  flask = "^3.0"\r\n', '  flask = "^3.0"\r\n  posthog = ">=7.66"\r\n')
    assert_edit(tmp_path, {"pyproject.toml": before}, "pyproject.toml", after)


def test_poetry_no_final_newline(tmp_path: Path) -> None:
    before = '[tool.poetry.dependencies]\npython = "^3.10"'
    after = '[tool.poetry.dependencies]\npython = "^3.10"\nposthog = ">=7.66"'
    assert_edit(tmp_path, {"pyproject.toml": before}, "pyproject.toml", after)


@pytest.mark.parametrize(
    ("spec", "old"),
    [
        ('"^6.0"', True),
        ('"6.1"', True),
        ('"~7.3"', True),
        ('"^7.0"', False),
        ('"*"', False),
        ('{ version = "^6.2", extras = ["sentry"] }', True),
        ('">=6,<8"', False),
    ],
)
def test_poetry_existing_posthog(tmp_path: Path, spec: str, old: bool) -> None:
    edit = assert_unchanged(
        tmp_path, {"pyproject.toml": POETRY.replace("{posthog}", f"posthog = {spec}\n")}
    )
    assert bool(edit.notes) is old
    assert all(note.startswith("pyproject.toml pins posthog ") for note in edit.notes)


# --- Pipfile --------------------------------------------------------------------------------

PIPFILE = """\
[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
flask = "*"
{posthog}
[dev-packages]
pytest = "*"
"""


def test_pipfile(tmp_path: Path) -> None:
    edit = assert_edit(
        tmp_path,
        {"Pipfile": PIPFILE.replace("{posthog}\n", "\n")},
        "Pipfile",
        PIPFILE.replace("{posthog}", 'posthog = ">=7.66"\n'),
    )
    assert edit.notes == (
        "Pipfile: run `pipenv lock` to refresh the lock file (posthog-setup does not edit "
        "lock files).",
    )


def test_pipfile_old_pin(tmp_path: Path) -> None:
    edit = assert_unchanged(
        tmp_path, {"Pipfile": PIPFILE.replace("{posthog}", 'posthog = "==6.1"\n')}
    )
    assert len(edit.notes) == 1
    assert edit.notes[0].startswith("Pipfile pins posthog ==6.1, older than")


def test_pipfile_already_required(tmp_path: Path) -> None:
    edit = assert_unchanged(tmp_path, {"Pipfile": PIPFILE.replace("{posthog}", 'posthog = "*"\n')})
    assert edit.notes == ()


# --- setup.cfg ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "install_requires =\n  requests\n  flask\n",
            "install_requires =\n  requests\n  flask\n  posthog>=7.66\n",
            id="unsorted",
        ),
        pytest.param(
            "install_requires =\n    flask>=3\n    requests\n",
            "install_requires =\n    flask>=3\n    posthog>=7.66\n    requests\n",
            id="sorted",
        ),
        pytest.param(
            "install_requires = flask\n",
            "install_requires = flask\n    posthog>=7.66\n",
            id="one-line",
        ),
    ],
)
def test_setup_cfg(tmp_path: Path, before: str, after: str) -> None:
    head = "[metadata]\nname = app\n\n[options]\npackages = find:\n"
    tail = "python_requires = >=3.10\n\n[options.extras_require]\ndev =\n    pytest\n"
    assert_edit(tmp_path, {"setup.cfg": head + before + tail}, "setup.cfg", head + after + tail)


def test_setup_cfg_colon_and_no_final_newline(tmp_path: Path) -> None:
    assert_edit(
        tmp_path,
        {"setup.cfg": "[options]\ninstall_requires:\n\tflask"},
        "setup.cfg",
        "[options]\ninstall_requires:\n\tflask\n\tposthog>=7.66",
    )


def test_setup_cfg_semicolon_list_is_left_alone(tmp_path: Path) -> None:
    edit = assert_unchanged(
        tmp_path, {"setup.cfg": "[options]\ninstall_requires = flask; requests\n"}
    )
    assert edit.notes == (
        "setup.cfg: install_requires is one line separated by semicolons; add posthog>=7.66 "
        "to it by hand.",
    )


def test_setup_cfg_crlf(tmp_path: Path) -> None:
    before = "[options]\r\ninstall_requires =\r\n    requests\r\n"
    after = "[options]\r\ninstall_requires =\r\n    posthog>=7.66\r\n    requests\r\n"
    assert_edit(tmp_path, {"setup.cfg": before}, "setup.cfg", after)


def test_setup_cfg_old_pin(tmp_path: Path) -> None:
    edit = assert_unchanged(
        tmp_path, {"setup.cfg": "[options]\ninstall_requires =\n    flask\n    posthog<7\n"}
    )
    assert len(edit.notes) == 1
    assert edit.notes[0].startswith("setup.cfg pins posthog<7, older than")


# --- setup.py -------------------------------------------------------------------------------


def setup_py(install_requires: str) -> str:
    return (
        "from setuptools import find_packages, setup\n\n"
        "setup(\n"
        '    name="app",\n'
        "    packages=find_packages(),\n"
        f"    install_requires={install_requires},\n"
        ")\n"
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            '[\n        "requests",\n        "flask",\n    ]',
            '[\n        "requests",\n        "flask",\n        "posthog>=7.66",\n    ]',
            id="multi-line-trailing-comma",
        ),
        pytest.param(
            '[\n        "flask",\n    ]',
            '[\n        "flask",\n        "posthog>=7.66",\n    ]',
            id="multi-line-one-item",
        ),
        pytest.param(
            '[\n        "flask",\n        "requests",\n    ]',
            '[\n        "flask",\n        "posthog>=7.66",\n        "requests",\n    ]',
            id="multi-line-sorted",
        ),
        pytest.param(
            '[\n        "requests",\n        "flask"  # web\n    ]',
            '[\n        "requests",\n        "flask",  # web\n        "posthog>=7.66"\n    ]',
            id="multi-line-no-trailing-comma-with-comment",
        ),
        pytest.param(
            '[\n        "requests",\n        "flask",  # web\n    ]',
            '[\n        "requests",\n        "flask",  # web\n        "posthog>=7.66",\n    ]',
            id="comment-on-last-item",
        ),
        pytest.param(
            "['requests', 'flask']", "['requests', 'flask', 'posthog>=7.66']", id="one-line"
        ),
        pytest.param(
            '["flask", "requests"]', '["flask", "posthog>=7.66", "requests"]', id="one-line-sorted"
        ),
        pytest.param("[]", '["posthog>=7.66"]', id="empty"),
    ],
)
def test_setup_py(tmp_path: Path, before: str, after: str) -> None:
    edit = assert_edit(tmp_path, {"setup.py": setup_py(before)}, "setup.py", setup_py(after))
    assert edit.notes == ()


def test_setup_py_crlf(tmp_path: Path) -> None:
    before = setup_py('[\n        "requests",\n    ]').replace("\n", "\r\n")
    after = setup_py('[\n        "posthog>=7.66",\n        "requests",\n    ]').replace(
        "\n", "\r\n"
    )
    assert_edit(tmp_path, {"setup.py": before}, "setup.py", after)


def test_setup_py_keeps_its_encoding(tmp_path: Path) -> None:
    head = "# -*- coding: latin-1 -*-\n# Caf\u00e9 app\nimport setuptools\n\n"
    before = head + 'setuptools.setup(install_requires=["flask"])\n'
    after = head + 'setuptools.setup(install_requires=["flask", "posthog>=7.66"])\n'
    assert_edit(
        tmp_path, {"setup.py": before.encode("latin-1")}, "setup.py", after.encode("latin-1")
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param(
            'from setuptools import setup\nREQUIRES = ["flask"]\nsetup(install_requires=REQUIRES)\n',
            "setup.py: install_requires is not a list literal",
            id="not-a-list-literal",
        ),
        pytest.param(
            'from setuptools import setup\nsetup(name="app")\n',
            "setup.py: setup() has no install_requires argument",
            id="no-install-requires",
        ),
        pytest.param(
            'def setup(**kwargs): ...\nsetup(install_requires=["flask"])\n',
            "setup.py: no setup() call found",
            id="not-setuptools",
        ),
    ],
)
def test_setup_py_left_alone(tmp_path: Path, source: str, reason: str) -> None:
    edit = assert_unchanged(tmp_path, {"setup.py": source})
    assert edit.notes == (f"{reason}; add posthog>=7.66 to it by hand.",)


def test_setup_py_that_does_not_parse(tmp_path: Path) -> None:
    edit = assert_unchanged(tmp_path, {"setup.py": "setup(install_requires=[\n"})
    assert len(edit.notes) == 1
    assert edit.notes[0].startswith("setup.py: cannot parse")


def test_setup_py_old_pin(tmp_path: Path) -> None:
    edit = assert_unchanged(tmp_path, {"setup.py": setup_py('["flask", "posthog==5.4.0"]')})
    assert len(edit.notes) == 1
    assert edit.notes[0].startswith("setup.py pins posthog==5.4.0, older than")


# --- choosing the manifest ------------------------------------------------------------------


def test_no_manifest_creates_nothing(tmp_path: Path) -> None:
    edit = assert_unchanged(tmp_path, {"app.py": "print('hi')\n"})
    assert edit.notes == (
        "No dependency manifest found: add posthog>=7.66 to the project's dependencies.",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]


def test_pyproject_is_edited_before_requirements(tmp_path: Path) -> None:
    assert_edit(
        tmp_path,
        {"pyproject.toml": pep621('["flask"]'), "requirements.txt": "flask\n"},
        "pyproject.toml",
        pep621('["flask", "posthog>=7.66"]'),
    )


def test_posthog_in_any_manifest_counts(tmp_path: Path) -> None:
    edit = assert_unchanged(
        tmp_path,
        {"pyproject.toml": pep621('["flask"]'), "requirements.txt": "posthog==6.0\n"},
    )
    assert len(edit.notes) == 1
    assert edit.notes[0].startswith("requirements.txt pins posthog==6.0")


@pytest.mark.parametrize(
    ("kind", "requirement", "old"),
    [
        ("poetry", "posthog ^6.0", True),
        ("poetry", "posthog ^0.9", True),
        ("poetry", "posthog ~7.66", False),
        ("poetry", "posthog ^6.0 || ^7.0", False),
        ("pipfile", "posthog {'version': '==6.1'}", True),
        ("pipfile", "posthog {'git': 'https://github.com/PostHog/posthog-python'}", False),
        ("requirements", "posthog!=7.66", False),
        ("requirements", "posthog>7.66,<7.67", False),
        ("requirements", "posthog==7.65.9", True),
    ],
)
def test_which_pins_predate_the_integrations(
    tmp_path: Path, kind: str, requirement: str, old: bool
) -> None:
    edit = add_posthog_dependency(
        tmp_path, "pip", [Manifest("m", kind, requirement)], requirement="posthog>=7.66"
    )
    assert edit.changes == ()
    assert bool(edit.notes) is old


@pytest.mark.parametrize(
    ("file", "kind", "content"),
    [
        ("requirements.txt", "requirements", "flask\nPostHog>=7.66\n"),
        ("pyproject.toml", "pep621", pep621('["flask", "posthog"]')),
        ("pyproject.toml", "poetry", POETRY.replace("{posthog}", 'posthog = ">=7.66"\n')),
        ("Pipfile", "pipfile", PIPFILE.replace("{posthog}", 'posthog = "*"\n')),
        ("setup.cfg", "setup.cfg", "[options]\ninstall_requires =\n    Posthog\n"),
        ("setup.py", "setup.py", setup_py('["posthog"]')),
    ],
)
def test_manifest_that_names_posthog_is_never_given_a_second(
    tmp_path: Path, file: str, kind: str, content: str
) -> None:
    write(tmp_path, {file: content})
    edit = add_posthog_dependency(tmp_path, "pip", [Manifest(file, kind, None)])
    assert edit == DependencyEdit((), ())


# --- the fixture projects -------------------------------------------------------------------


def copy_fixture(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return root


def test_flask_blog_fixture(tmp_path: Path) -> None:
    root = copy_fixture("flask_blog", tmp_path)
    edit = assert_edit(
        root,
        {},
        "requirements.txt",
        "flask>=3.0\nflask-login>=0.6.3\nflask-sqlalchemy>=3.1\nposthog>=7.66\n",
    )
    assert edit.notes == ()


def test_fastapi_tasks_fixture(tmp_path: Path) -> None:
    root = copy_fixture("fastapi_tasks", tmp_path)
    before = (root / "pyproject.toml").read_text()
    expected = before.replace(
        '    "sqlalchemy>=2.0",\n]', '    "sqlalchemy>=2.0",\n    "posthog>=7.66",\n]'
    )
    assert expected != before
    edit = assert_edit(root, {}, "pyproject.toml", expected)
    assert edit.notes == (
        "pyproject.toml: run `uv lock` to refresh the lock file (posthog-setup does not edit "
        "lock files).",
    )


def test_django_shop_fixture(tmp_path: Path) -> None:
    root = copy_fixture("django_shop", tmp_path)
    before = (root / "pyproject.toml").read_text()
    expected = before.replace(
        'djangorestframework = "^3.15"\n', 'djangorestframework = "^3.15"\nposthog = ">=7.66"\n'
    )
    assert expected != before
    edit = assert_edit(root, {}, "pyproject.toml", expected)
    assert edit.notes == (
        "pyproject.toml: run `poetry lock` to refresh the lock file (posthog-setup does not "
        "edit lock files).",
    )


# --- the floor per framework, and why, beside the pin ----------------------------------------

WHY = "7.71 is the first whose PosthogASGIMiddleware reads the X-POSTHOG-* headers"


@pytest.mark.parametrize(
    ("frameworks", "requirement"),
    [
        ((), "posthog>=6.0"),
        (("django",), "posthog>=6.0.4"),
        (("flask",), "posthog>=7.66"),
        (("fastapi",), "posthog>=7.71"),
        (("django", "flask"), "posthog>=7.66"),
        (("flask", "fastapi"), "posthog>=7.71"),
    ],
)
def test_the_floor_is_the_highest_any_framework_needs(
    frameworks: tuple[str, ...], requirement: str
) -> None:
    floor = registry.sdk_floor(frameworks)
    assert floor.requirement == requirement
    assert floor.reason.startswith(requirement.removeprefix("posthog>=") + " is the first")


@pytest.mark.parametrize(
    ("files", "path", "expected"),
    [
        pytest.param(
            {"requirements.txt": "flask\nrequests\n"},
            "requirements.txt",
            f"flask\nposthog>=7.71  # {WHY}\nrequests\n",
            id="requirements",
        ),
        pytest.param(
            {"pyproject.toml": pep621('[\n    "flask",\n    "requests",\n]')},
            "pyproject.toml",
            pep621(f'[\n    "flask",\n    "posthog>=7.71",  # {WHY}\n    "requests",\n]'),
            id="pep621-multi-line",
        ),
        pytest.param(
            {"pyproject.toml": pep621('[\n    "flask",\n    "requests"\n]')},
            "pyproject.toml",
            pep621(f'[\n    "flask",\n    "posthog>=7.71",  # {WHY}\n    "requests"\n]'),
            id="pep621-no-trailing-comma",
        ),
        # No line of its own: the pin goes in without a comment rather than reformatting.
        pytest.param(
            {"pyproject.toml": pep621('["flask", "requests"]')},
            "pyproject.toml",
            pep621('["flask", "posthog>=7.71", "requests"]'),
            id="pep621-one-line",
        ),
        pytest.param(
            {"pyproject.toml": POETRY.replace("{posthog}\n", "\n")},
            "pyproject.toml",
            POETRY.replace("{posthog}", f'posthog = ">=7.71"  # {WHY}\n'),
            id="poetry",
        ),
        pytest.param(
            {"Pipfile": '[packages]\nflask = "*"\n'},
            "Pipfile",
            f'[packages]\nflask = "*"\nposthog = ">=7.71"  # {WHY}\n',
            id="pipfile",
        ),
        # setup.cfg values have no comment syntax setuptools reads back reliably.
        pytest.param(
            {"setup.cfg": "[options]\ninstall_requires =\n    flask\n"},
            "setup.cfg",
            "[options]\ninstall_requires =\n    flask\n    posthog>=7.71\n",
            id="setup-cfg",
        ),
    ],
)
def test_the_pin_carries_its_reason_where_the_manifest_has_comments(
    tmp_path: Path, files: dict[str, str | bytes], path: str, expected: str
) -> None:
    write(tmp_path, files)
    manager, manifests = find_manifests(tmp_path)
    floor = registry.sdk_floor(("fastapi",))
    edit = add_posthog_dependency(tmp_path, manager, manifests, floor.requirement, floor.reason)
    assert [change.path for change in edit.changes] == [path]
    assert edit.changes[0].after.decode() == expected
    (tmp_path / path).write_bytes(edit.changes[0].after)
    again = add_posthog_dependency(tmp_path, *find_manifests(tmp_path), floor.requirement, WHY)
    assert again.changes == ()
    assert again.notes == () or "lock" in again.notes[0]


def test_an_old_pin_note_says_why_the_floor(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "posthog==7.66.0\n"})
    manager, manifests = find_manifests(tmp_path)
    floor = registry.sdk_floor(("fastapi",))
    edit = add_posthog_dependency(tmp_path, manager, manifests, floor.requirement, floor.reason)
    assert edit.notes == (
        "requirements.txt pins posthog==7.66.0, older than the code posthog-setup writes "
        f"needs: posthog 7.71 ({WHY}). Raise it to >=7.71 by hand; posthog-setup does not "
        "change existing pins.",
    )


# --- where the project is installed from ----------------------------------------------------

PYPROJECT = '[project]\nname = "notes"\nversion = "1"\ndependencies = ["flask"]\n'


def test_a_dockerfile_installing_requirements_wins_over_pyproject(tmp_path: Path) -> None:
    edit = assert_edit(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT,
            "requirements.txt": "flask\n",
            "Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n",
        },
        "requirements.txt",
        "flask\nposthog>=7.66\n",
    )
    assert edit.notes == (
        "posthog goes in requirements.txt: Dockerfile:3 installs from requirements.txt.",
    )


def test_a_project_installed_as_a_package_gets_it_in_pyproject(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT,
            "requirements.txt": "flask==3.0.0\n",
            ".github/workflows/deploy.yml": "jobs:\n  d:\n    steps:\n      - run: uv sync\n",
        },
    )
    edit = run(tmp_path)
    assert [c.path for c in edit.changes] == ["pyproject.toml"]
    assert edit.notes == (
        "posthog goes in pyproject.toml: .github/workflows/deploy.yml:4 installs from "
        "pyproject.toml.",
    )


def test_an_install_of_development_requirements_is_no_evidence(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "requirements-dev.txt": "-r requirements.txt\npytest\n",
            "Makefile": "dev:\n\tpip install -r requirements-dev.txt\n",
        },
    )
    edit = run(tmp_path)
    assert [c.path for c in edit.changes] == ["requirements.txt"]
    assert edit.notes == ()


def test_the_base_every_environment_includes_gets_it(tmp_path: Path) -> None:
    edit = assert_edit(
        tmp_path,
        {
            "requirements/base.txt": "django\n",
            "requirements/local.txt": "-r base.txt\ndjango-debug-toolbar\n",
            "requirements/production.txt": "-r ./base.txt\ngunicorn\n",
            "compose/production/django/Dockerfile": "RUN pip install -r requirements/production.txt\n",
            "Dockerfile": "FROM python:3.12\nRUN pip install -r requirements/production.txt\n",
        },
        "requirements/base.txt",
        "django\nposthog>=7.66\n",
    )
    assert edit.notes == (
        "posthog goes in requirements/base.txt: Dockerfile:2 installs from "
        "requirements/production.txt, which includes requirements/base.txt.",
    )


# --- pipenv beside pip ------------------------------------------------------------------------

PIPENV_AND_PIP: dict[str, str | bytes] = {
    "Pipfile": '[packages]\nflask = "*"\n',
    "requirements.txt": "flask\n",
}


def _applied_twice(root: Path) -> DependencyEdit:
    """The edit, written; a second run changes nothing."""
    edit = run(root)
    for change in edit.changes:
        (root / change.path).write_bytes(change.after)
    assert run(root).changes == ()
    return edit


def test_a_pipfile_beside_requirements_gets_posthog_in_both(tmp_path: Path) -> None:
    write(tmp_path, PIPENV_AND_PIP)
    edit = _applied_twice(tmp_path)
    assert [c.path for c in edit.changes] == ["Pipfile", "requirements.txt"]
    assert (tmp_path / "Pipfile").read_text() == '[packages]\nflask = "*"\nposthog = ">=7.66"\n'
    assert (tmp_path / "requirements.txt").read_text() == "flask\nposthog>=7.66\n"
    assert edit.notes == (
        "Pipfile: run `pipenv lock` to refresh the lock file (posthog-setup does not edit "
        "lock files).",
        "posthog also goes in requirements.txt: the project installs with pip as well as pipenv.",
    )


def test_requirements_a_readme_installs_from_and_the_pipfile_beside_them(tmp_path: Path) -> None:
    readme = (
        "Install:\n\n    pip install -r requirements.txt\n\nor with Pipenv:\n\n    pipenv install\n"
    )
    write(tmp_path, {**PIPENV_AND_PIP, "README.md": readme})
    edit = _applied_twice(tmp_path)
    assert [c.path for c in edit.changes] == ["requirements.txt", "Pipfile"]
    assert edit.notes[:2] == (
        "posthog goes in requirements.txt: README.md:3 installs from requirements.txt.",
        "posthog also goes in Pipfile: the project installs with pipenv as well as pip.",
    )


def test_a_pipfile_and_a_requirements_folder_get_the_runtime_file_they_share(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "Pipfile": '[packages]\nflask = "*"\n',
            "requirements.txt": "# for the platform\n-r requirements/prod.txt",
            "requirements/prod.txt": "flask\n",
            "requirements/dev.txt": "-r prod.txt\npytest\n",
        },
    )
    edit = _applied_twice(tmp_path)
    assert [c.path for c in edit.changes] == ["Pipfile", "requirements/prod.txt"]
    assert (tmp_path / "requirements/prod.txt").read_text() == "flask\nposthog>=7.66\n"
    assert "posthog goes in requirements/prod.txt, which requirements.txt includes." in edit.notes


def test_a_pipfile_beside_development_requirements_only_is_the_one_edited(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"Pipfile": '[packages]\nflask = "*"\n', "requirements-dev.txt": "pytest\n"})
    assert [c.path for c in _applied_twice(tmp_path).changes] == ["Pipfile"]


def test_posthog_in_the_pipfile_already_leaves_the_requirements_alone(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"Pipfile": '[packages]\nflask = "*"\nposthog = "*"\n', "requirements.txt": "flask\n"},
    )
    assert run(tmp_path).changes == ()
