"""The built wheel carries the templates and complete metadata; an installed tool renders them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(dist.glob("posthog_setup-*.whl"))


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return message_from_bytes(archive.read(name))


@pytest.mark.slow
def test_wheel_metadata_declares_the_licence_it_ships_and_no_dead_links(wheel: Path) -> None:
    metadata = _metadata(wheel)
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    with zipfile.ZipFile(wheel) as archive:
        licence = archive.read("posthog_setup-0.1.0.dist-info/licenses/LICENSE").decode()
    assert "MIT License" in licence
    assert "posthog-setup developers" in licence
    # There is no project homepage: no Project-URL or Home-page may point at one.
    assert metadata.get_all("Project-URL") is None
    assert metadata["Home-page"] is None
    for field in ("Name", "Version", "Summary", "Author", "Requires-Python"):
        assert metadata[field], field
    description = metadata.get_payload()
    assert isinstance(description, str)
    assert description.lstrip().startswith("# posthog-setup")
    # The floors the lowest-direct CI job proves, as users' resolvers will see them.
    requires = set(metadata.get_all("Requires-Dist") or [])
    assert {"tomlkit>=0.14", "click>=8.1.3", "jinja2>=3.1.2", "libcst>=1.8.4"} <= requires


@pytest.mark.slow
def test_wheel_ships_templates_and_renders_them_when_installed(wheel: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "posthog_setup/templates/posthog_client.py.j2" in names

    # The wheel alone goes into a folder of its own; its dependencies come from this test
    # environment's site-packages (tests install nothing from outside the machine).
    # ``-S`` keeps site's .pth files, and so this checkout's editable install, out of it.
    env_dir = tmp_path / "installed"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(env_dir),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    site_packages = next(p for p in sys.path if p.endswith("site-packages"))
    project = tmp_path / "project"
    shutil.copytree(ROOT / "fixtures" / "flask_blog", project)
    # Run from an unrelated folder so nothing can be imported from the checkout.
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment["PYTHONPATH"] = os.pathsep.join([str(env_dir), site_packages])
    python = sys.executable
    result = subprocess.run(
        [python, "-S", "-m", "posthog_setup", "begin", "--json", str(project)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    source = output["client_module"]["source"]
    assert 'os.environ.get("POSTHOG_PROJECT_TOKEN", "")' in source
    assert "enable_exception_autocapture=True" in source
    compile(source, "posthog_client.py", "exec")
    located = subprocess.run(
        [python, "-S", "-c", "import posthog_setup.templating as t; print(t.templates_dir())"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert located.stdout.strip().startswith(str(env_dir))
