"""The same project is analysed and edited byte for byte the same under Python 3.10 and 3.13.

``fixtures/newer_syntax`` is a FastAPI project written for Python 3.14: its user
dependency, login route and note routes use ``except A, B:``, type parameters (with
defaults), ``type`` statements, PEP 701 f-strings and t-strings. Neither 3.10 nor 3.13
reads all of it, and 3.13 reads more of it than 3.10 (``routers/profile.py`` it reads
itself); the tool must not care.

Each interpreter runs the tool from this checkout, with the tool's runtime dependencies
installed once per interpreter (``pip install --target``) from a local wheelhouse named by
``POSTHOG_SETUP_INTERPRETER_WHEELS`` (``.ci/run`` fills it with each interpreter's
``pip download``): tests never reach outside this machine. Without it, or without an
interpreter, the test is skipped, saying why.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import tomlkit

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "newer_syntax"
#: Interpreters compared: the oldest supported, and the newest here.
MINORS = ("3.10", "3.13")


def _interpreter(minor: str) -> str | None:
    found = sorted(
        glob.glob(os.path.expanduser(f"~/.pyenv/versions/{minor}.*/bin/python")),
        key=lambda p: [int(x) for x in Path(p).parents[1].name.split(".") if x.isdigit()],
    )
    return found[-1] if found else shutil.which(f"python{minor}")


def _runtime_dependencies() -> list[str]:
    document = tomlkit.parse((ROOT / "pyproject.toml").read_text(encoding="utf-8")).unwrap()
    return [str(d) for d in document["project"]["dependencies"]]


WHEELS_VAR = "POSTHOG_SETUP_INTERPRETER_WHEELS"


@pytest.fixture(scope="session")
def interpreters(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[str, str]]:
    """Each available interpreter and a folder holding the tool's dependencies for it."""
    wheels = os.environ.get(WHEELS_VAR)
    if not wheels:
        pytest.skip(
            f"set {WHEELS_VAR} to a folder of wheels for Python {' and '.join(MINORS)} "
            "(`python3.X -m pip download -d DIR <the runtime dependencies>`, as .ci/run does): "
            "tests install nothing from outside this machine"
        )
    found: dict[str, tuple[str, str]] = {}
    missing = []
    requirements = _runtime_dependencies()
    cache = getattr(request.config, "cache", None)
    for minor in MINORS:
        python = _interpreter(minor)
        if python is None:
            missing.append(minor)
            continue
        key = hashlib.blake2b(f"{python}:{requirements}".encode(), digest_size=8).hexdigest()
        name = f"interpreter-deps-{minor}-{key}"
        target = cache.mkdir(name) if cache is not None else tmp_path_factory.mktemp(name)
        done = target / ".installed"
        if not done.exists():
            installed = subprocess.run(
                [
                    python,
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--no-index",
                    "--find-links",
                    wheels,
                    "--target",
                    str(target),
                    *requirements,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if installed.returncode != 0:
                pytest.skip(
                    f"cannot install the tool's dependencies for Python {minor}: "
                    f"{installed.stderr.strip()[-300:]}"
                )
            done.write_text("ok\n", encoding="utf-8")
        found[minor] = (python, str(target))
    if len(found) < 2:
        pytest.skip(f"needs Python {' and '.join(MINORS)}; not installed: {', '.join(missing)}")
    return found


def _run(
    python: str, dependencies: str, args: list[str], cwd: Path, cache: Path
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), dependencies])
    environment["POSTHOG_SETUP_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [python, "-m", "posthog_setup", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.slow
def test_begin_edit_and_revise_agree_on_every_interpreter(
    interpreters: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    # The same path each time: the JSON names the project root.
    project = tmp_path / "project"
    outputs: dict[str, str] = {}
    edited: dict[str, dict[str, bytes]] = {}
    for minor, (python, dependencies) in interpreters.items():
        shutil.rmtree(project, ignore_errors=True)
        shutil.copytree(FIXTURE, project)
        cache = tmp_path / f"cache-{minor}"
        begun = _run(python, dependencies, ["begin", "--json", str(project)], tmp_path, cache)
        assert begun.returncode == 0, f"Python {minor}: {begun.stderr}"
        outputs[minor] = begun.stdout
        done = _run(python, dependencies, ["edit", "--allow-dirty", str(project)], tmp_path, cache)
        assert done.returncode == 0, f"Python {minor}: {done.stderr}"
        edited[minor] = _tree(project)
        # revise re-reads the edited files: nothing left to fix, on either Python.
        checked = _run(python, dependencies, ["revise", "--check", str(project)], tmp_path, cache)
        assert checked.returncode == 0, f"Python {minor}: {checked.stdout}{checked.stderr}"

    first, *others = MINORS
    for minor in others:
        assert outputs[minor] == outputs[first], f"begin --json differs on {minor} and {first}"
        assert edited[minor] == edited[first], f"edit differs on {minor} and {first}"

    analysis = json.loads(outputs[first])
    assert analysis["analysis"]["skipped"] == []
    routes = {(r["path"], r["handler"]["qualname"]) for r in analysis["analysis"]["routes"]}
    assert ("/auth/token", "login_for_access_token") in routes
    assert ("/api/notes/{note_id}", "rename_note") in routes
    kinds = {p["kind"] for p in analysis["analysis"]["auth_points"]}
    assert kinds == {"login", "signup", "logout"}
    events = {e["event"]: e for e in analysis["plan"]["events"]}
    # ``type Owner = Annotated[User, Depends(get_current_user)]`` is followed like ``=``.
    assert events["note_created"]["distinct_id"] == "current_user.id"
    # The same in a file 3.13 reads itself: its tree is shaped like the lowered one; what
    # it writes through the alias is the User the alias stands for.
    assert events["user_updated"]["distinct_id"] == "me.id"
    # Every edited file holds its captures, and still means 3.14 syntax.
    routes_file = edited[first]["notes/routers/notes.py"].decode()
    assert '"note_created"' in routes_file
    assert "except* ValueError, TypeError:" in routes_file
