"""Every rule as one record: its id, what it means, how it is fixed, and examples.

A record is the single place a rule is described. The README's rule table is rendered
from the records (``rule_table``), revise reads whether and how a finding is fixed from
them, and one parametrised test runs every record's VALID and INVALID examples through
the detectors (and, for rules with a rewrite, through the fix).

Ignore comments (``# posthog-setup: ignore[rule, ...]``) name rules by id; a few older
spellings users may already have written are accepted as aliases (``ignored``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

#: Where a rule's findings come from: one file's code, or the plan compared with the code.
Source = Literal["file", "plan", "setup"]

#: ``# posthog-setup: ignore`` or ``# posthog-setup: ignore[missing-capture, pii-property]``
IGNORE_COMMENT = re.compile(r"#\s*posthog-setup:\s*ignore(?:\[(?P<rules>[^\]]*)\])?")

# Sample keys are built from pieces so that no key-shaped literal sits in this file.
_TOKEN = "phc_" + "a8Bc9dE0fG1hI2jK3lM4nO5pQ6rS7tU8vW9xY0zA1bC"
_PERSONAL = "phx_" + "Q7w8E9r0T1y2U3i4O5p6A7s8D9f0G1h2J3k4L5z6X7c"


#: The app the plan rules' examples start from: each example is this module as a person
#: changed it after ``posthog-events.json`` was made from it.
PLANNED_APP = """\
import os

from flask import Flask, request
from flask_login import login_user
from posthog import Posthog

from models import User

app = Flask(__name__)
posthog_client = Posthog(os.environ["POSTHOG_PROJECT_TOKEN"])


@app.post("/posts")
def create_post():
    return {"ok": True}


@app.get("/report")
def report():
    posthog_client.capture("report_viewed")
    return {}


@app.post("/login")
def login():
    user = User.query.filter_by(name=request.form["name"]).first()
    login_user(user)
    return {}


@app.errorhandler(500)
def server_error(error):
    return {"error": "server"}, 500
"""


def _changed(old: str, new: str, app: str = PLANNED_APP) -> str:
    """``app`` with ``old`` (which it must hold) replaced by ``new``."""
    assert old in app, old
    return app.replace(old, new)


_CAPTURED = _changed(
    "def create_post():\n", 'def create_post():\n    posthog_client.capture("post_created")\n'
)
_REPORT = '@app.get("/report")\ndef report():\n    posthog_client.capture("report_viewed")\n    return {}\n'
#: The app with a client whose exception autocapture is on: the Flask integration captures
#: each unhandled error before Flask calls the 500 handler.
_AUTOCAPTURE = _changed(
    'posthog_client = Posthog(os.environ["POSTHOG_PROJECT_TOKEN"])\n',
    'posthog_client = Posthog(os.environ["POSTHOG_PROJECT_TOKEN"], '
    "enable_exception_autocapture=True)\n",
)
_SERVER_ERROR_CAPTURED_DEF = (
    "def server_error(error):\n    posthog_client.capture_exception(error)\n"
)
_SERVER_ERROR_CAPTURED = _changed("def server_error(error):\n", _SERVER_ERROR_CAPTURED_DEF)


@dataclass(frozen=True)
class Invalid:
    """Code the rule flags; ``fixed`` is what its rewrite makes of it, if it has one."""

    code: str
    fixed: str | None = None


@dataclass(frozen=True)
class SdkGuard:
    """The rewrite needs a posthog of at least ``minimum``: where the project pins an older
    one, findings about ``spelling`` are left as they are, with ``reason`` as the note."""

    minimum: str
    spelling: str
    reason: str


@dataclass(frozen=True)
class Rule:
    """One rule.

    ``source`` says what the examples are: for ``file`` rules, one module; for ``plan``
    and ``setup`` rules, ``PLANNED_APP`` as changed after the plan was made from it.
    ``meaning`` and ``remedy`` are the README table's columns. ``fixable``: revise fixes
    its findings (each finding still says whether it can be fixed where it is).
    ``rewrite`` names the codemod that rewrites the flagged code in place, as
    ``module:attribute``: it is imported only when something is fixed, so the analysis
    never loads libcst. Rules fixable without a rewrite are fixed by edit's codemods or
    by updating the plan.
    """

    id: str
    source: Source
    meaning: str
    remedy: str
    fixable: bool = False
    rewrite: str | None = None
    sdk: SdkGuard | None = None
    #: other names an ignore comment may use for this rule
    aliases: tuple[str, ...] = ()
    valid: tuple[str, ...] = ()
    invalid: tuple[Invalid, ...] = ()


RULES: tuple[Rule, ...] = (
    Rule(
        "missing-capture",
        "plan",
        "a mutating route (new or planned) or a logout sends no event",
        "capture inserted, route added to the plan",
        fixable=True,
        aliases=("capture",),
        valid=(
            _CAPTURED,
            _changed(
                '@app.post("/posts")\n', '@app.post("/posts")  # posthog-setup: ignore[capture]\n'
            ),
        ),
        invalid=(
            Invalid(PLANNED_APP),
            Invalid(
                _CAPTURED
                + '\n\n@app.delete("/posts/<int:pk>")\ndef delete_post(pk):\n    return {}\n'
            ),
        ),
    ),
    Rule(
        "missing-identify",
        "plan",
        "a login or signup does not identify the user",
        "identify inserted",
        fixable=True,
        aliases=("identify",),
        valid=(
            _changed(
                "    login_user(user)\n",
                '    login_user(user)\n    posthog_client.capture("user_logged_in")\n',
            ),
            _changed(
                "    login_user(user)\n",
                '    posthog_client.capture("user_logged_in", distinct_id=str(user.id))\n'
                "    login_user(user)\n",
            ),
            _changed(
                '@app.post("/login")\n', '@app.post("/login")  # posthog-setup: ignore[identify]\n'
            ),
        ),
        invalid=(
            Invalid(PLANNED_APP),
            Invalid(_changed("    login_user(user)\n", "    login_user(user, remember=True)\n")),
        ),
    ),
    Rule(
        "missing-exception-capture",
        "plan",
        "a 5xx / `Exception` handler whose errors nothing else captures lacks `capture_exception`",
        "inserted",
        fixable=True,
        aliases=("exception",),
        valid=(
            _SERVER_ERROR_CAPTURED,
            _changed("@app.errorhandler(500)", "@app.errorhandler(404)"),
            _changed(
                "@app.errorhandler(500)\n", "@app.errorhandler(500)  # posthog-setup: ignore\n"
            ),
            _AUTOCAPTURE,
        ),
        invalid=(
            Invalid(PLANNED_APP),
            Invalid(
                _changed(
                    "def server_error(error):\n",
                    "def server_error(error):\n    app.logger.exception(error)\n",
                )
            ),
        ),
    ),
    Rule(
        "double-exception-capture",
        "plan",
        "an error handler captures errors the hook-up captured before it ran (a Flask 500 "
        "handler): each reaches PostHog twice",
        "reported",
        valid=(
            _AUTOCAPTURE,
            _SERVER_ERROR_CAPTURED,
            _changed(
                "@app.errorhandler(500)\n",
                "@app.errorhandler(500)  # posthog-setup: ignore[double-exception-capture]\n",
                _changed("def server_error(error):\n", _SERVER_ERROR_CAPTURED_DEF, _AUTOCAPTURE),
            ),
        ),
        invalid=(
            Invalid(
                _changed("def server_error(error):\n", _SERVER_ERROR_CAPTURED_DEF, _AUTOCAPTURE)
            ),
            Invalid(
                _changed(
                    "@app.errorhandler(500)",
                    "@app.errorhandler(werkzeug.exceptions.HTTPException)",
                    _changed(
                        "import os\n",
                        "import os\n\nimport werkzeug.exceptions\n",
                        _changed(
                            "def server_error(error):\n", _SERVER_ERROR_CAPTURED_DEF, _AUTOCAPTURE
                        ),
                    ),
                )
            ),
        ),
    ),
    Rule(
        "renamed-event",
        "plan",
        "you renamed an event in the plan; the code sends the old name",
        "the code follows the plan",
        fixable=True,
    ),
    Rule(
        "unplanned-event",
        "plan",
        "the code sends an event the plan does not list",
        "added to the plan; your code is not touched",
        fixable=True,
        valid=(
            PLANNED_APP,
            _changed(
                'posthog_client.capture("report_viewed")',
                'posthog_client.capture("$pageview")\n    posthog_client.capture("report_viewed")',
            ),
        ),
        invalid=(
            Invalid(
                _changed(
                    'posthog_client.capture("report_viewed")',
                    'posthog_client.capture("report_viewed")\n    posthog_client.capture("report_exported")',
                )
            ),
            Invalid(
                PLANNED_APP
                + '\n\n@app.get("/help")\ndef help_page():\n    posthog_client.capture("help_opened")\n    return {}\n'
            ),
        ),
    ),
    Rule(
        "stale-event",
        "plan",
        "a planned event's code is gone",
        "dropped from the plan",
        fixable=True,
        valid=(
            PLANNED_APP,
            _changed(
                _REPORT,
                "",
                _changed(
                    "def create_post():\n",
                    'def create_post():\n    posthog_client.capture("report_viewed")\n',
                ),
            ),
        ),
        invalid=(
            Invalid(_changed(_REPORT, "")),
            Invalid(_changed('    posthog_client.capture("report_viewed")\n', "")),
        ),
    ),
    Rule(
        "incomplete-setup",
        "setup",
        "dependency, client module, hook-up or env files missing",
        "what edit would do",
        fixable=True,
        invalid=(Invalid(PLANNED_APP),),
    ),
    Rule(
        "plan-outdated",
        "setup",
        "`posthog-events.json` is out of date",
        "rewritten",
        fixable=True,
    ),
    Rule(
        "second-client",
        "plan",
        "a second PostHog client is set up",
        "reported",
        valid=(
            PLANNED_APP,
            PLANNED_APP + "\n\ndef analytics():\n    return posthog_client\n",
        ),
        invalid=(
            Invalid(
                PLANNED_APP + '\nbackup_client = Posthog(os.environ["POSTHOG_PROJECT_TOKEN"])\n'
            ),
            Invalid(
                PLANNED_APP
                + '\nimport posthog\n\nposthog.project_api_key = os.environ["POSTHOG_PROJECT_TOKEN"]\n'
            ),
        ),
    ),
    Rule(
        "hardcoded-token",
        "file",
        "a `phc_` project token in the source, a config file (YAML, TOML, INI / CFG), an "
        "env sample (`.env.example`) or a notebook's code",
        "reported",
        valid=(
            'import os\nimport posthog\nclient = posthog.Posthog(os.environ["POSTHOG_PROJECT_TOKEN"])\n',
            'POSTHOG_TOKEN = "phc_your_project_token_here"\n',
            f'POSTHOG_TOKEN = "{_TOKEN}"  # posthog-setup: ignore[hardcoded-token]\n',
        ),
        invalid=(
            Invalid(f'import posthog\nclient = posthog.Posthog("{_TOKEN}")\n'),
            Invalid(f"# the dashboard token: {_TOKEN}\nPOSTHOG_TOKEN = None\n"),
        ),
    ),
    Rule(
        "personal-api-key",
        "file",
        "a `phx_` personal API key anywhere a `phc_` token is looked for",
        "reported (rotate the leaked key)",
        valid=(
            'import os\nPERSONAL_KEY = os.environ["POSTHOG_PERSONAL_API_KEY"]\n',
            'PERSONAL_KEY = "phx_your_personal_api_key"\n',
        ),
        invalid=(
            Invalid(f'import posthog\nposthog.personal_api_key = "{_PERSONAL}"\n'),
            Invalid(f'HEADERS = {{"Authorization": "Bearer {_PERSONAL}"}}\n'),
        ),
    ),
    Rule(
        "pii-property",
        "file",
        "an email, password, token... (or a whole request body) in capture properties, "
        "directly or through a local variable",
        "reported",
        aliases=("pii",),
        valid=(
            "from app.analytics import posthog_client\n\n"
            "def verify(user):\n"
            '    posthog_client.capture("email_verified", properties={"email_verified": True,'
            ' "plan": user.plan})\n',
            "from app.analytics import posthog_client\n\n"
            "def signup(user):\n"
            '    domain = user.email.split("@")[1]\n'
            '    posthog_client.capture("user_signed_up", properties={"email_domain": domain})\n',
            "from app.analytics import posthog_client\n\n"
            "def signup(user):\n"
            '    props = {"email": user.email}\n'
            '    posthog_client.capture("user_signed_up", properties={"plan": user.plan})\n',
        ),
        invalid=(
            Invalid(
                "from app.analytics import posthog_client\n\n"
                "def signup(user):\n"
                '    posthog_client.capture("user_signed_up", properties={"email": user.email})\n'
            ),
            Invalid(
                "from flask import request\n"
                "from app.analytics import posthog_client\n\n"
                "def create():\n"
                '    posthog_client.capture("post_created", properties=request.get_json())\n'
            ),
            Invalid(
                "from app.analytics import posthog_client\n\n"
                "def signup(user):\n"
                "    contact = user.email\n"
                '    props = {"plan": user.plan, "contact": contact}\n'
                '    posthog_client.capture("user_signed_up", properties=props)\n'
            ),
        ),
    ),
    Rule(
        "positional-capture",
        "file",
        "the pre-6.0 `capture(distinct_id, event)` form, which fails on posthog 6+",
        "rewritten to `capture(event, distinct_id=...)`",
        fixable=True,
        rewrite="posthog_setup.codemods.fixes:POSITIONAL_CAPTURE",
        valid=(
            "from app.analytics import posthog_client\n\n"
            "def create(user):\n"
            '    posthog_client.capture("post_created", distinct_id=str(user.id))\n',
            "import stripe\n\ndef charge(intent_id):\n"
            '    stripe.PaymentIntent.capture(intent_id, "eur")\n',
        ),
        invalid=(
            Invalid(
                "from app.analytics import posthog_client\n\n"
                "def create(user):\n"
                '    posthog_client.capture(user.id, "post_created", {"draft": False})\n',
                fixed="from app.analytics import posthog_client\n\n"
                "def create(user):\n"
                '    posthog_client.capture("post_created", distinct_id=user.id, '
                'properties={"draft": False})\n',
            ),
            Invalid(
                "from app.analytics import posthog_client\n\n"
                "def create(user, props):\n"
                '    posthog_client.capture("post_created", props, user.id)\n'
            ),
        ),
    ),
    Rule(
        "removed-identify",
        "file",
        "`identify()` / `page()` / `screen()`, removed in posthog 6.0",
        "`identify` rewritten to `set(...)`",
        fixable=True,
        rewrite="posthog_setup.codemods.fixes:REMOVED_IDENTIFY",
        valid=(
            "from app.analytics import posthog_client\n\n"
            "def login(user):\n"
            '    posthog_client.set(distinct_id=str(user.id), properties={"plan": user.plan})\n',
            "from app import auth\n\ndef login(user):\n    auth.identify(user)\n",
        ),
        invalid=(
            Invalid(
                "from app.analytics import posthog_client\n\n"
                "def login(user):\n"
                '    posthog_client.identify(user.id, {"plan": user.plan})\n',
                fixed="from app.analytics import posthog_client\n\n"
                "def login(user):\n"
                '    posthog_client.set(distinct_id=user.id, properties={"plan": user.plan})\n',
            ),
            Invalid(
                "from app.analytics import posthog_client\n\n"
                "def show(user, url):\n"
                "    posthog_client.page(user.id, url)\n"
            ),
        ),
    ),
    Rule(
        "module-api-key",
        "file",
        "`posthog.api_key = ...` or `Posthog(api_key=...)`",
        "`project_api_key`",
        fixable=True,
        rewrite="posthog_setup.codemods.fixes:MODULE_API_KEY",
        sdk=SdkGuard(
            "7.32",
            "posthog.api_key",
            "the project's posthog pin predates 7.32, where project_api_key took effect",
        ),
        valid=(
            'import os\nimport posthog\nposthog.project_api_key = os.environ["POSTHOG_KEY"]\n',
            'import os\nimport stripe\nstripe.api_key = os.environ["STRIPE_KEY"]\n',
        ),
        invalid=(
            Invalid(
                'import os\nimport posthog\nposthog.api_key = os.environ["POSTHOG_KEY"]\n',
                fixed='import os\nimport posthog\nposthog.project_api_key = os.environ["POSTHOG_KEY"]\n',
            ),
            Invalid(
                'import os\nfrom posthog import Posthog\nclient = Posthog(api_key=os.environ["K"])\n',
                fixed="import os\nfrom posthog import Posthog\n"
                'client = Posthog(project_api_key=os.environ["K"])\n',
            ),
        ),
    ),
    Rule(
        "flush-interval-zero",
        "file",
        "`flush_interval=0`, which makes the SDK's consumer spin",
        "reported (use `sync_mode=True`)",
        valid=(
            'import os\nfrom posthog import Posthog\nclient = Posthog(os.environ["K"], sync_mode=True)\n',
            'import os\nfrom posthog import Posthog\nclient = Posthog(os.environ["K"], flush_interval=0.5)\n',
        ),
        invalid=(
            Invalid(
                'import os\nfrom posthog import Posthog\nclient = Posthog(os.environ["K"], flush_interval=0)\n'
            ),
            Invalid(
                "import os\nimport posthog\n"
                'client = posthog.Client(os.environ["K"], flush_interval=0.0)\n'
            ),
        ),
    ),
    Rule(
        "capture-before-client",
        "file",
        "a capture at import time before the client exists, or through an unconfigured "
        "`posthog` module",
        "reported",
        valid=(
            "import os\nfrom posthog import Posthog\n"
            'posthog_client = Posthog(os.environ["K"])\n'
            'posthog_client.capture("app_started", distinct_id="server")\n',
            "import os\nimport posthog\n"
            'posthog.project_api_key = os.environ["K"]\n\n'
            "def create(user):\n"
            '    posthog.capture("post_created", distinct_id=str(user.id))\n',
        ),
        invalid=(
            Invalid(
                "import os\nfrom posthog import Posthog\n"
                'posthog_client.capture("app_started", distinct_id="server")\n'
                'posthog_client = Posthog(os.environ["K"])\n'
            ),
            Invalid(
                "import posthog\n\n"
                "def create(user):\n"
                '    posthog.capture("post_created", distinct_id=str(user.id))\n'
            ),
        ),
    ),
)

_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
_BY_NAME: dict[str, str] = {
    **{alias: rule.id for rule in RULES for alias in rule.aliases},
    **{rule.id: rule.id for rule in RULES},
}


def rule_for(rule_id: str) -> Rule:
    """The record of a rule id; KeyError for an unknown one."""
    return _BY_ID[rule_id]


def canonical(name: str) -> str:
    """The rule id a name in an ignore comment means (an alias's rule, else the name)."""
    return _BY_NAME.get(name, name)


def ignored(rule: str, line: str) -> bool:
    """True if an ignore comment on ``line`` switches ``rule`` off.

    ``# posthog-setup: ignore`` switches off every rule; ``ignore[a, b]`` the rules named,
    by id or by alias.
    """
    match = IGNORE_COMMENT.search(line)
    if match is None:
        return False
    named = {canonical(n.strip()) for n in (match.group("rules") or "").split(",") if n.strip()}
    return not named or canonical(rule) in named


def rule_table() -> str:
    """The README's rule table, one row per record."""
    rows = [
        "| Rule | What it means | Fix |",
        "| --- | --- | --- |",
        *(f"| `{rule.id}` | {rule.meaning} | {rule.remedy} |" for rule in RULES),
    ]
    return "\n".join(rows) + "\n"
