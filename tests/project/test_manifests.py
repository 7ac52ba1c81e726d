"""The dependency manager and whether posthog is already required."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_setup.project.manifests import find_manifests


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@pytest.mark.parametrize(
    ("files", "manager", "kinds"),
    [
        ({"requirements.txt": "flask==3.0\n"}, "pip", ["requirements"]),
        (
            {"pyproject.toml": '[project]\nname="x"\ndependencies=["fastapi"]\n', "uv.lock": ""},
            "uv",
            ["pep621"],
        ),
        (
            {
                "pyproject.toml": '[tool.poetry]\nname="x"\n[tool.poetry.dependencies]\npython="^3.11"\ndjango="^5"\n'
            },
            "poetry",
            ["poetry"],
        ),
        (
            {"pyproject.toml": '[project]\nname="x"\ndependencies=["flask"]\n[tool.pdm]\n'},
            "pdm",
            ["pep621"],
        ),
        ({"Pipfile": '[packages]\nflask = "*"\n'}, "pipenv", ["pipfile"]),
        ({"setup.cfg": "[options]\ninstall_requires =\n    flask\n"}, "pip", ["setup.cfg"]),
        ({"setup.py": "setup(install_requires=['flask'])\n"}, "pip", ["setup.py"]),
    ],
)
def test_manager_and_manifest_kinds(
    tmp_path: Path, files: dict[str, str], manager: str, kinds: list[str]
) -> None:
    write(tmp_path, files)
    found_manager, manifests = find_manifests(tmp_path)
    assert found_manager == manager
    assert [m.kind for m in manifests] == kinds
    assert all(m.posthog_requirement is None for m in manifests)


def test_posthog_found_through_a_requirements_include(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "-r requirements/base.txt\nflask\n",
            "requirements/base.txt": "posthog>=3.0  # analytics\n",
        },
    )
    _, manifests = find_manifests(tmp_path)
    assert manifests[0].file == "requirements.txt"
    assert manifests[0].posthog_requirement == "posthog>=3.0"


def test_extension_less_requirements_files_are_manifests(tmp_path: Path) -> None:
    """``requirements/base`` and ``requirements/prod`` are requirements files too; a README
    or a script beside them is not."""
    write(
        tmp_path,
        {
            "requirements/base": "falcon>=3.1\n",
            "requirements/prod": "-r base\nposthog>=6.0\n",
            "requirements/README.md": "How to install\n",
            "requirements/compile.sh": "pip-compile\n",
        },
    )
    manager, manifests = find_manifests(tmp_path)
    assert manager == "pip"
    assert [(m.file, m.kind, m.posthog_requirement) for m in manifests] == [
        ("requirements/base", "requirements", None),
        ("requirements/prod", "requirements", "posthog>=6.0"),
    ]


@pytest.mark.parametrize(
    ("files", "requirement"),
    [
        (
            {"pyproject.toml": '[project]\nname="x"\ndependencies=["posthog>=7.66", "flask"]\n'},
            "posthog>=7.66",
        ),
        (
            {"pyproject.toml": '[tool.poetry.dependencies]\npython="^3.11"\nposthog="^6.0"\n'},
            "posthog ^6.0",
        ),
        ({"Pipfile": '[packages]\nposthog = "==5.4"\n'}, "posthog ==5.4"),
    ],
)
def test_existing_posthog_requirement(
    tmp_path: Path, files: dict[str, str], requirement: str
) -> None:
    write(tmp_path, files)
    _, manifests = find_manifests(tmp_path)
    assert manifests[0].posthog_requirement == requirement


def test_broken_toml_is_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project\nname=", "requirements.txt": "flask\n"})
    manager, manifests = find_manifests(tmp_path)
    assert manager == "pip"
    assert [m.file for m in manifests] == ["requirements.txt"]


def test_toml_reads_as_tomlkit_reads_it_and_fails_with_its_error() -> None:
    import datetime

    import tomlkit

    from posthog_setup.project.manifests import TomlError, parse_toml

    text = (
        '[project]\nname = "shop"\ndependencies = ["flask>=3", \'posthog\']\n'
        "[tool.poetry.dependencies]\npython = '^3.11'\nx = { version = \"1\", optional = true }\n"
        "[tool.other]\nwhen = 2024-01-02T03:04:05Z\nratio = inf\nn = 0x1F\nlines = '''\na\nb'''\n"
    )
    read = parse_toml(text)
    assert read == tomlkit.parse(text).unwrap()
    assert isinstance(read["tool"]["other"]["when"], datetime.datetime)
    read["project"]["name"] = "changed"  # a copy: the next reader sees the file
    assert parse_toml(text)["project"]["name"] == "shop"
    with pytest.raises(TomlError) as refused:
        parse_toml("name = \n")
    with pytest.raises(tomlkit.exceptions.ParseError) as kit:
        tomlkit.parse("name = \n")
    assert str(refused.value) == str(kit.value)


def test_a_uv_workspace_member_is_locked_by_the_workspace(tmp_path: Path) -> None:
    # uv locks a workspace once, at its root: a member's own folder has no uv.lock.
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname="mono"\n[tool.uv.workspace]\nmembers=["api"]\n',
            "uv.lock": "version = 1\n",
            "api/pyproject.toml": '[project]\nname="api"\ndependencies=["fastapi"]\n',
        },
    )
    (tmp_path / ".git").mkdir()
    assert find_manifests(tmp_path / "api")[0] == "uv"


def test_a_lock_above_the_repository_is_not_the_projects(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname="mono"\n[tool.uv.workspace]\nmembers=["*"]\n',
            "uv.lock": "version = 1\n",
            "api/pyproject.toml": '[project]\nname="api"\ndependencies=["fastapi"]\n',
        },
    )
    (tmp_path / "api" / ".git").mkdir()
    assert find_manifests(tmp_path / "api")[0] == "pip"
