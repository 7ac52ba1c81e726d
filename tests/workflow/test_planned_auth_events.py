"""Every login and signup the plan lists is sent by the edited code: one whose user the
analysis cannot name is captured with no identity, never planned and left out (conclude's
static check then failed on the tool's own edit)."""

from __future__ import annotations

import json
from pathlib import Path

from posthog_setup.cli import main
from posthog_setup.plan.plan import read_plan
from posthog_setup.verify.static import check_static

APP = """\
from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordRequestForm

from .tokens import issue_token

app = FastAPI()


@app.post("/token")
def token(form: OAuth2PasswordRequestForm = Depends()):
    return {"access_token": issue_token(form.username)}
"""


def test_a_login_with_no_user_to_name_is_still_sent(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "tokens.py").write_text("def issue_token(name):\n    return name\n")
    (tmp_path / "app" / "main.py").write_text(APP)
    assert main(["edit", "-q", str(tmp_path)]) == 0
    plan = json.loads((tmp_path / "posthog-events.json").read_text())
    assert [(e["event"], e["kind"]) for e in plan["events"]] == [("user_logged_in", "login")]
    edited = (tmp_path / "app" / "main.py").read_text()
    assert '    posthog_client.capture("user_logged_in")\n    return {"access_token"' in edited
    assert "identify_context" not in edited
    assert main(["edit", "-q", "--allow-dirty", str(tmp_path)]) == 0
    assert (tmp_path / "app" / "main.py").read_text() == edited
    assert main(["revise", "--check", str(tmp_path)]) == 0
    # Conclude's static check finds every planned event in the code.
    plan_read = read_plan(tmp_path)
    assert plan_read is not None
    assert check_static(tmp_path, plan_read).check.failures == ()
