"""A FastAPI project whose users sign up and log in through fastapi-users' own routers.

No route of the project sees the login: the library's auth router awaits the user
manager's ``on_after_login`` once the credentials are proved, so that hook is where the
user becomes known (added to the project's manager when it has none).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.mockhost import MockPostHogHost

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

SCRIPT = """\
from fastapi.testclient import TestClient

from app.main import app
from app.posthog_client import posthog_client

with TestClient(app) as client:
    signed_up = client.post(
        "/auth/register", json={"email": "ada@example.com", "password": "pw-for-tests"}
    )
    assert signed_up.status_code == 201, signed_up.text
    wrong = client.post("/auth/login", data={"username": "ada@example.com", "password": "no"})
    assert wrong.status_code == 400, wrong.text
    logged_in = client.post(
        "/auth/login", data={"username": "ada@example.com", "password": "pw-for-tests"}
    )
    assert logged_in.status_code == 200, logged_in.text
posthog_client.flush()
print(signed_up.json()["id"])
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The fastapi_members fixture, as its authors wrote it."""
    target = tmp_path / "fastapi_members"
    shutil.copytree(FIXTURES / "fastapi_members", target)
    return target


def _auth_events(root: Path) -> list[tuple[str, str, str]]:
    plan = json.loads((root / "posthog-events.json").read_text())
    return sorted((e["kind"], e["file"], e["handler"]) for e in plan["events"])


def test_the_manager_gets_a_login_hook_beside_its_register_hook(project: Path) -> None:
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert _auth_events(project) == [
        ("login", "app/users.py", "MemberManager"),
        ("signup", "app/users.py", "MemberManager.on_after_register"),
    ]
    users = (project / "app" / "users.py").read_text()
    compile(users, "users.py", "exec")
    assert (
        "    async def on_after_login(self, user, *args, **kwargs):\n"
        "        await super().on_after_login(user, *args, **kwargs)\n"
        "        identify_context(str(user.id))\n"
        '        posthog_client.capture("user_logged_in", distinct_id=str(user.id))\n'
    ) in users
    assert main(["edit", "--check", "-q", "--allow-dirty", str(project)]) == 0
    assert main(["revise", "--check", "-q", str(project)]) == 0


def test_a_login_hook_of_the_project_is_identified_at_its_end(project: Path) -> None:
    users = project / "app" / "users.py"
    users.write_text(
        users.read_text().replace(
            '        print("registered", member.id)\n',
            '        print("registered", member.id)\n\n'
            "    async def on_after_login(self, member, request=None, response=None):\n"
            '        print("in", member.id)\n',
        )
    )
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    edited = users.read_text()
    assert edited.count("def on_after_login") == 1
    assert (
        '        print("in", member.id)\n'
        "        identify_context(str(member.id))\n"
        '        posthog_client.capture("user_logged_in", distinct_id=str(member.id))\n'
    ) in edited
    assert main(["edit", "--check", "-q", "--allow-dirty", str(project)]) == 0


def test_before_the_login_hook_existed_the_login_is_left_alone_and_named(project: Path) -> None:
    (project / "requirements.txt").write_text("fastapi>=0.110\nfastapi-users==10.1.5\n")
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert [e[0] for e in _auth_events(project)] == ["signup"]
    assert "on_after_login" not in (project / "app" / "users.py").read_text()


@pytest.mark.slow
def test_a_login_through_the_librarys_router_is_identified(tmp_path: Path) -> None:
    project = tmp_path / "fastapi_members"
    shutil.copytree(FIXTURES / "expected" / "fastapi_members", project)
    with MockPostHogHost() as host:
        env = {**os.environ, "POSTHOG_HOST": host.url, "POSTHOG_PROJECT_TOKEN": "phc_test"}
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        member_id = done.stdout.split()[-1]
        # One login (the failed attempt sends nothing), as the member; one signup.
        [logged_in] = host.wait_for(1, event="user_logged_in")
        [signed_up] = host.wait_for(1, event="user_signed_up")
        assert logged_in.distinct_id == signed_up.distinct_id == member_id
        assert all("email" not in e.properties for e in host.events())
