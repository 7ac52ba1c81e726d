"""The per-file revise rules: what each flags, where, and what it leaves alone."""

from __future__ import annotations

import pickle
from textwrap import dedent

import pytest

from posthog_setup.analysis.context import FileContext
from posthog_setup.analysis.model import CaptureSite, ClientSetup, Finding
from posthog_setup.analysis.names import module_name_for
from posthog_setup.analysis.rules.pii import pii_word
from posthog_setup.analysis.rules.scan import (
    WANTS,
    FileRuleFacts,
    capture_sites,
    check_file,
    file_rule_facts,
    project_findings,
)

PATH = "app/views.py"
#: Shaped like a real project token: phc_ and 43 random characters.
TOKEN = "phc_a8Bc9dE0fG1hI2jK3lM4nO5pQ6rS7tU8vW9xY0zA1bC"
PERSONAL = "phx_Q7w8E9r0T1y2U3i4O5p6A7s8D9f0G1h2J3k4L5z6X7c"

Row = tuple[str, int, int, bool]


def parsed(source: str, file: str = PATH) -> FileContext:
    module, is_package = module_name_for(file)
    return FileContext.parse(file, module, is_package, source)


def rows(source: str, file: str = PATH) -> list[Row]:
    """(rule, line, col, fixable) of each finding of dedented ``source``."""
    return [(f.rule, f.line, f.col, f.fixable) for f in check_file(parsed(dedent(source), file))]


def check_flags(source: str, expected: list[Row]) -> None:
    assert rows(source) == expected


def check_clean(source: str) -> None:
    assert rows(source) == []


def only(source: str) -> Finding:
    """The one finding of ``source``."""
    (finding,) = check_file(parsed(dedent(source)))
    return finding


def test_wants_is_a_cheap_text_test() -> None:
    assert WANTS.search("import posthog")
    assert WANTS.search("from app.analytics import posthog_client")
    assert WANTS.search(f'KEY = "{TOKEN}"')
    assert WANTS.search(f'KEY = "{PERSONAL}"')
    assert not WANTS.search("import stripe\nintent.capture()\n")


def test_a_file_without_posthog_has_nothing() -> None:
    facts = file_rule_facts(parsed("import stripe\nstripe.PaymentIntent.capture(pid, 'x')\n"))
    assert facts == FileRuleFacts(PATH, (), (), (), False)


# hardcoded-token


def test_token_in_a_string_literal() -> None:
    check_flags(
        f"""\
        from posthog import Posthog

        client = Posthog("{TOKEN}", host="https://eu.i.posthog.com")
        """,
        [("hardcoded-token", 3, 19, False)],
    )


def test_token_message_names_the_environment_variable() -> None:
    finding = only(f'KEY = "{TOKEN}"\n')
    assert finding == Finding(
        "hardcoded-token",
        PATH,
        1,
        8,
        "A PostHog project token is written in the source; read it from the environment "
        'instead (os.environ["POSTHOG_PROJECT_TOKEN"]).',
    )


def test_token_in_an_f_string_a_default_argument_and_a_comment() -> None:
    check_flags(
        f"""\
        URL = f"https://app.posthog.com/api?token={TOKEN}&x={{x}}"

        def make(key="{TOKEN}"):
            return key
        # old key: {TOKEN}
        """,
        [
            ("hardcoded-token", 1, 43, False),
            ("hardcoded-token", 3, 15, False),
            ("hardcoded-token", 5, 12, False),
        ],
    )


def test_token_column_counts_characters_not_bytes() -> None:
    check_flags(f'ÉTIQUETTE = "é" + "{TOKEN}"\n', [("hardcoded-token", 1, 20, False)])


@pytest.mark.parametrize(
    "placeholder",
    [
        "phc_...",
        "phc_xxx",
        "phc_your_project_api_key_here",
        "phc_YOUR_PROJECT_TOKEN_GOES_HERE",
        "phc_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "phc_abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq",
        "phc_test1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZabc",
        "phc_1234567890",
        "phc_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "phc_Zq0123456789aBcDeFgHiJkLmNoP",
    ],
)
def test_placeholders_are_not_tokens(placeholder: str) -> None:
    check_clean(
        f'''\
        """Set POSTHOG_PROJECT_TOKEN (it looks like {placeholder})."""
        import os

        # e.g. {placeholder}
        TOKEN = os.environ.get("POSTHOG_PROJECT_TOKEN", "{placeholder}")
        '''
    )


def test_token_inside_a_longer_word_is_not_a_token() -> None:
    check_clean(f'NAME = "xphc_{TOKEN[4:]}"\n')


def test_token_ignore_comments() -> None:
    check_flags(
        f"""\
        A = "{TOKEN}"  # posthog-setup: ignore
        B = "{TOKEN}"  # posthog-setup: ignore[hardcoded-token]
        C = "{TOKEN}"  # posthog-setup: ignore[pii-property, hardcoded-token]
        D = "{TOKEN}"  # posthog-setup: ignore[pii-property]
        """,
        [("hardcoded-token", 4, 6, False)],
    )


# personal-api-key


def test_personal_api_key() -> None:
    source = f"""\
        from posthog import Posthog

        client = Posthog(
            TOKEN,
            personal_api_key="{PERSONAL}",
        )
        """
    check_flags(source, [("personal-api-key", 5, 23, False)])
    message = only(source).message
    assert "secret" in message
    assert "Revoke it" in message
    assert "never commit it" in message


def test_personal_api_key_placeholder_and_ignore() -> None:
    check_clean(
        f"""\
        PERSONAL = "phx_your_personal_api_key"
        OTHER = "{PERSONAL}"  # posthog-setup: ignore[personal-api-key]
        """
    )


# pii-property


def test_pii_keys_of_a_capture_properties_dict() -> None:
    check_flags(
        """\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.capture(
                "signed_up",
                distinct_id=user.id,
                properties={
                    "plan": user.plan,
                    "email": user.email,
                    "userPassword": user.password,
                    "ip_address": user.ip,
                    "first_name": user.first_name,
                    "description": user.bio,
                    "subscription_plan": user.plan,
                    "email_verified": user.verified,
                    "has_password": True,
                    "password_changed_at": user.changed,
                    "$ip": user.ip,
                },
            )
        """,
        [
            ("pii-property", 9, 13, False),
            ("pii-property", 10, 13, False),
            ("pii-property", 11, 13, False),
            ("pii-property", 12, 13, False),
        ],
    )


def test_pii_message_names_the_key() -> None:
    finding = only(
        """\
        import posthog
        posthog.capture("x", distinct_id="u", properties={"user_email": e})  # posthog-setup: ignore[capture-before-client]
        """
    )
    assert finding.message == (
        'Event property "user_email" looks like personal or secret data (email); leave it '
        "out of event properties: person details such as an email belong in "
        "set(properties=...), secrets never leave the server."
    )


def test_pii_in_set_and_set_once_is_where_person_data_belongs() -> None:
    check_clean(
        """\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.set(distinct_id=user.id, properties={"email": user.email})
            posthog_client.set_once(distinct_id=user.id, properties={"first_name": user.name})
            posthog_client.capture("signed_up", distinct_id=user.id, properties={"$set": {"email": user.email}})
        """
    )


def test_pii_in_capture_exception_properties() -> None:
    check_flags(
        """\
        from app.analytics import posthog_client

        def fail(exc, user):
            posthog_client.capture_exception(exc, properties={"phone": user.phone})
        """,
        [("pii-property", 4, 55, False)],
    )


def test_pii_not_flagged_on_other_receivers() -> None:
    check_clean(
        """\
        import posthog
        from app import segment

        def signup(user):
            segment.capture("signed_up", properties={"email": user.email})
            tracker.capture("signed_up", properties={"email": user.email})
        """
    )


@pytest.mark.parametrize(
    "value",
    [
        "request.json",
        "request.form",
        "request.POST",
        "request.data",
        "self.request.data",
        "request.get_json()",
        "request.get_json(silent=True)",
        "await request.json()",
        "dict(await request.form())",
        "request.form.to_dict()",
    ],
)
def test_whole_request_body_as_properties(value: str) -> None:
    check_flags(
        f"""\
        from app.analytics import posthog_client

        async def signup(request):
            posthog_client.capture("signed_up", distinct_id="u", properties={value})
        """,
        [("pii-property", 4, 69, False)],
    )


def test_whole_request_message() -> None:
    finding = only(
        """\
        from app.analytics import posthog_client

        def signup(request):
            posthog_client.capture("signed_up", distinct_id="u", properties=request.json)
        """
    )
    assert finding.message == (
        "properties=request.json sends the whole request body to PostHog, with any password, "
        "token or personal data in it; pass only the fields the event needs."
    )


def test_fields_of_a_request_are_not_the_whole_body() -> None:
    check_clean(
        """\
        from app.analytics import posthog_client

        def signup(request, payload):
            posthog_client.capture("a", distinct_id="u", properties={"plan": request.json["plan"]})
            posthog_client.capture("b", distinct_id="u", properties=payload)
            posthog_client.capture("c", distinct_id="u", properties=request.args.get("x"))
        """
    )


_PII_HEAD = "from flask import request\nfrom app.analytics import posthog_client\n\n"


@pytest.mark.parametrize(
    ("body", "line", "snippet"),
    [
        pytest.param(
            'e = user.email\nposthog_client.capture("x", properties={"contact": e})',
            6,
            "e}",
            id="a local holding an attribute",
        ),
        pytest.param(
            'e = user.email\nposthog_client.capture("x", properties={"email": e})',
            6,
            '"email": e',
            id="a local under a pii key: the key is reported",
        ),
        pytest.param(
            'props = {"email": user.email}\nposthog_client.capture("x", properties=props)',
            5,
            '"email"',
            id="a dict bound to a local",
        ),
        pytest.param(
            "props = dict(plan=user.plan, phone=user.phone)\n"
            'posthog_client.capture("x", properties=props)',
            5,
            "phone=",
            id="dict() bound to a local",
        ),
        pytest.param(
            'props = {"plan": user.plan}\nprops["who"] = user.username\n'
            'posthog_client.capture("x", properties=props)',
            6,
            "user.username",
            id="an item added to the local dict",
        ),
        pytest.param(
            'props = {}\nprops.update(secret=form["password"])\n'
            'posthog_client.capture("x", properties=props)',
            6,
            "secret=",
            id="update() of the local dict",
        ),
        pytest.param(
            'a = request.form.get("email")\nb = a.lower()\n'
            'posthog_client.capture("x", properties={"who": b})',
            7,
            "b}",
            id="two locals deep",
        ),
        pytest.param(
            'data = request.get_json()\nposthog_client.capture("x", properties=data)',
            6,
            "data)",
            id="the request body through a local",
        ),
        pytest.param(
            'base = {"token": user.api_token}\n'
            'posthog_client.capture("x", properties={**base, "plan": user.plan})',
            5,
            '"token"',
            id="a local spread into the properties",
        ),
        pytest.param(
            'posthog_client.capture("x", properties={"who": f"{user.email}"})',
            5,
            'f"{user.email}"',
            id="an f-string of an email",
        ),
        pytest.param(
            'posthog_client.capture("x", properties={"who": str(user.email)})',
            5,
            "str(user.email)",
            id="str() of an email",
        ),
    ],
)
def test_pii_followed_through_locals(body: str, line: int, snippet: str) -> None:
    lines = "".join(f"    {text}\n" for text in body.splitlines())
    source = f"{_PII_HEAD}def signup(user, form):\n{lines}"
    found = [f for f in check_file(parsed(source)) if f.rule == "pii-property"]
    assert len(found) == 1
    assert found[0].line == line
    assert source.splitlines()[line - 1][found[0].col - 1 :].startswith(snippet)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            'props = {"email": user.email}\nposthog_client.capture("x", properties={"plan": 1})',
            id="an unused local dict",
        ),
        pytest.param(
            'n = len(user.email)\nposthog_client.capture("x", properties={"email_length": n})',
            id="a count of an email",
        ),
        pytest.param(
            'domain = user.email.split("@")[1]\n'
            'posthog_client.capture("x", properties={"domain": domain})',
            id="the domain of an email",
        ),
        pytest.param(
            'e = user.email\ne = user.plan\nposthog_client.capture("x", properties={"p": e})',
            id="a local assigned again before the call",
        ),
        pytest.param(
            'posthog_client.capture("x", properties={"verified": user.email_verified})',
            id="a flag about an email",
        ),
        pytest.param(
            'posthog_client.capture("x", properties={"$ip": user.ip})',
            id="posthog's own property",
        ),
        pytest.param(
            'props = {"plan": user.plan}\nposthog_client.capture("x", properties=props)\n'
            'props["email"] = user.email',
            id="an item added after the call",
        ),
        pytest.param(
            "def inner():\n        e = user.email\n"
            'e = user.plan\nposthog_client.capture("x", properties={"p": e})',
            id="a nested function's own local",
        ),
    ],
)
def test_pii_through_locals_not_flagged(body: str) -> None:
    lines = "".join(f"    {text}\n" for text in body.splitlines())
    source = f"{_PII_HEAD}def signup(user, form):\n{lines}"
    assert [f for f in check_file(parsed(source)) if f.rule == "pii-property"] == []


def test_pii_ignore_comment_on_the_call_covers_keys_on_later_lines() -> None:
    check_flags(
        """\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.capture(  # posthog-setup: ignore[pii-property]
                "signed_up",
                properties={"email": user.email},
            )
            posthog_client.capture(
                "signed_up",
                properties={"email": user.email},  # posthog-setup: ignore
            )
            posthog_client.capture(  # posthog-setup: ignore[positional-capture]
                "signed_up",
                properties={"email": user.email},
            )
        """,
        [("pii-property", 14, 21, False)],
    )


@pytest.mark.parametrize(
    ("key", "word"),
    [
        ("email", "email"),
        ("user_email", "email"),
        ("userEmail", "email"),
        ("e-mail", "e_mail"),
        ("password", "password"),
        ("api_key", "api_key"),
        ("ip", "ip"),
        ("user.phone", "phone"),
        ("last_name", "last_name"),
        ("description", None),
        ("zip_code", None),
        ("shipping_method", None),
        ("author_id", None),
        ("email_count", None),
        ("is_email", None),
        ("$session_id", None),
    ],
)
def test_pii_word(key: str, word: str | None) -> None:
    assert pii_word(key) == word


# positional-capture


def test_positional_capture_on_a_client_name() -> None:
    source = """\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.capture(user.id, "signed_up")
        """
    check_flags(source, [("positional-capture", 4, 20, True)])
    assert only(source).message == (
        "posthog_client.capture() passes distinct_id positionally, the pre-6.0 form: since "
        "posthog 6.0 only the event name is positional, so the call fails and no event is "
        'sent; write capture("event", distinct_id=..., properties=...).'
    )


def test_positional_capture_on_the_module_and_an_imported_function() -> None:
    check_flags(
        """\
        import posthog as ph
        from posthog import capture

        posthog_settings = {}

        def signup(user):
            ph.capture("user-1", "signed_up", {"plan": "pro"})
            capture(user.id, "signed_up")
        """,
        [("positional-capture", 7, 8, True), ("positional-capture", 8, 5, True)],
    )


def test_positional_capture_on_instances_built_in_the_file() -> None:
    check_flags(
        """\
        from posthog import Client, Posthog

        ph = Posthog("key")

        class Tracker:
            def __init__(self):
                self.client = Client("key")

            def track(self, user):
                self.client.capture(user.id, "tracked")
                ph.capture(user.id, "tracked")

        def send(client: Posthog, other: "Posthog", user):
            client.capture(user.id, "sent")
            other.capture(user.id, "sent")
        """,
        [
            ("positional-capture", 10, 21, True),
            ("positional-capture", 11, 12, True),
            ("positional-capture", 14, 12, True),
            ("positional-capture", 15, 11, True),
        ],
    )


def test_positional_capture_fixability() -> None:
    check_flags(
        """\
        from app.analytics import posthog_client

        def send(user, args, ctx, when):
            posthog_client.capture(user.id, "a", {}, None, when)
            posthog_client.capture(user.id, "b", {}, ctx)
            posthog_client.capture(user.id, *args)
            posthog_client.capture(user.id, "c", distinct_id=user.id)
            posthog_client.capture("d", {"plan": "pro"})
            posthog_client.capture(user.id, "e", {}, None, when, "uuid", {"company": 1}, True)
            posthog_client.capture(user.id, EVENT, context=None)
        """,
        [
            ("positional-capture", 4, 20, True),
            ("positional-capture", 5, 20, False),
            ("positional-capture", 6, 20, False),
            ("positional-capture", 7, 20, False),
            ("positional-capture", 8, 20, False),
            ("positional-capture", 9, 20, False),
            ("positional-capture", 10, 20, True),
        ],
    )


def test_event_first_with_more_positionals_has_its_own_message() -> None:
    finding = only(
        """\
        from app.analytics import posthog_client

        def send():
            posthog_client.capture("signed_up", {"plan": "pro"})
        """
    )
    assert finding.message == (
        "posthog_client.capture() passes more than the event name positionally: since "
        "posthog 6.0 the call fails and no event is sent; pass distinct_id=, properties= "
        "and the rest by keyword."
    )


def test_capture_calls_that_are_not_posthog_or_not_positional() -> None:
    check_clean(
        """\
        import posthog
        import stripe
        from app.analytics import posthog_client

        def pay(payment_intent, charge, user, amount):
            payment_intent.capture()
            stripe.PaymentIntent.capture(payment_intent.id, "x")
            charge.capture(amount, "EUR")
            self.capture(user.id, "x")
            capture(user.id, "x")
            posthog_client.capture("signed_up", distinct_id=user.id)
            posthog_client.capture(event="signed_up", distinct_id=user.id)
            posthog.capture("signed_up", distinct_id=user.id)  # posthog-setup: ignore
            posthog_client.capture(user.id, "x")  # posthog-setup: ignore[positional-capture]
        """
    )


def test_receivers_named_or_imported_as_posthog() -> None:
    check_flags(
        """\
        import posthog
        from app.posthog import client
        from app.analytics import posthog_client as ph

        def send(user):
            client.capture(user.id, "a")
            ph.capture(user.id, "b")
            get_posthog().capture(user.id, "c")
        """,
        [
            ("positional-capture", 6, 12, True),
            ("positional-capture", 7, 8, True),
            ("positional-capture", 8, 19, True),
        ],
    )


def test_a_function_named_posthog_does_not_make_its_locals_posthog() -> None:
    check_clean(
        """\
        import posthog

        def track_posthog(intent, user):
            charge = intent.latest_charge
            charge.capture(user.id, "x")
        """
    )


def test_shadowed_module_name_is_not_the_module() -> None:
    check_clean(
        """\
        import posthog

        def send(capture, user):
            capture(user.id, "x")
        """
    )


# removed-identify


def test_removed_identify_page_and_screen() -> None:
    check_flags(
        """\
        import posthog
        from posthog import identify
        from app.analytics import posthog_client

        def login(user, url):
            posthog.identify(user.id, {"plan": user.plan})
            posthog_client.identify(distinct_id=user.id, properties={"plan": user.plan})
            identify(user.id)
            posthog_client.identify(user.id, {}, {"ip": 1})
            posthog_client.page(user.id, url)
            posthog.screen(user.id, "home")
        """,
        [
            ("removed-identify", 6, 13, True),
            ("removed-identify", 7, 20, True),
            ("removed-identify", 8, 5, False),
            ("removed-identify", 9, 20, False),
            ("removed-identify", 10, 20, False),
            ("removed-identify", 11, 13, False),
        ],
    )


def test_removed_identify_message() -> None:
    finding = only(
        """\
        from app.analytics import posthog_client

        def view(user, url):
            posthog_client.page(user.id, url)
        """
    )
    assert finding.message == (
        "posthog_client.page() was removed in posthog 6.0 (an AttributeError, or an error "
        'swallowed by the client, and nothing is sent); send capture("$pageview", '
        'properties={"$current_url": url}) instead.'
    )


def test_identify_on_other_receivers_is_not_flagged() -> None:
    check_clean(
        """\
        import posthog
        from app import auth, analytics

        def login(user):
            auth.identify(user)
            analytics.page(user.id, "/")
            posthog.identify_context(user.id)
            window.screen(0)
            posthog.identify(user.id)  # posthog-setup: ignore[removed-identify]
        """
    )


# module-api-key


def test_module_api_key_assignments() -> None:
    check_flags(
        """\
        import os
        import posthog
        import posthog as ph

        posthog.api_key = os.environ["POSTHOG_PROJECT_TOKEN"]
        ph.api_key: str = "x"

        class Config:
            def ready(self):
                posthog.api_key = settings.KEY
        """,
        [
            ("module-api-key", 5, 9, True),
            ("module-api-key", 6, 4, True),
            ("module-api-key", 10, 17, True),
        ],
    )


def test_module_api_key_keyword_of_the_constructor() -> None:
    source = """\
        from posthog import Client, Posthog

        a = Posthog(api_key=KEY)
        b = Client(host=HOST, api_key=KEY)
        """
    check_flags(source, [("module-api-key", 3, 13, True), ("module-api-key", 4, 23, True)])
    assert check_file(parsed(dedent(source)))[0].message == (
        "Posthog() has no api_key= argument since posthog 6.0 (the call raises TypeError); "
        "pass the key as project_api_key= or as the first argument."
    )


def test_module_api_key_look_alikes() -> None:
    check_clean(
        """\
        import posthog
        import stripe
        from posthog import Posthog

        posthog.project_api_key = KEY
        stripe.api_key = KEY
        settings.api_key = KEY
        key = posthog.api_key
        a = Posthog(project_api_key=KEY)
        b = OtherClient(api_key=KEY)
        posthog.api_key = KEY  # posthog-setup: ignore[module-api-key]
        """
    )


# flush-interval-zero


def test_flush_interval_zero() -> None:
    source = """\
        from posthog import Client, Posthog

        a = Posthog(KEY, flush_interval=0)
        b = Client(
            KEY,
            flush_at=1,
            flush_interval=0.0,
        )
        """
    check_flags(
        source, [("flush-interval-zero", 3, 18, False), ("flush-interval-zero", 7, 5, False)]
    )
    assert "sync_mode=True" in check_file(parsed(dedent(source)))[0].message


def test_flush_interval_look_alikes() -> None:
    check_clean(
        """\
        from posthog import Posthog

        a = Posthog(KEY, flush_interval=0.05)
        b = Posthog(KEY, flush_interval=interval, flush_at=0)
        c = Scheduler(flush_interval=0)
        d = Posthog(KEY, flush_interval=0)  # posthog-setup: ignore
        """
    )


# capture-before-client (import time)


def test_capture_before_its_client_is_assigned() -> None:
    source = """\
        from posthog import Posthog

        posthog_client.capture("app_started")
        posthog_client = Posthog(KEY)
        posthog_client.capture("app_started")
        """
    check_flags(source, [("capture-before-client", 3, 1, False)])
    assert only(source).message == (
        "posthog_client.capture() runs at import time before posthog_client is assigned on "
        "line 4; move the call below it, or move it into a function."
    )


def test_capture_through_a_name_never_bound() -> None:
    source = """\
        import posthog

        if DEBUG:
            posthog_client.set(distinct_id="boot", properties={"debug": True})
        """
    check_flags(source, [("capture-before-client", 4, 5, False)])
    assert "is not defined in this module" in only(source).message


def test_sends_that_run_later_or_after_the_client() -> None:
    check_clean(
        """\
        from posthog import Posthog

        def started():
            posthog_client.capture("app_started")

        handler = lambda: posthog_client.capture("x")
        posthog_client = Posthog(KEY)
        posthog_client.capture("app_started")
        """
    )


def test_star_import_may_bind_the_client() -> None:
    check_clean(
        """\
        from app.analytics import *

        posthog_client.capture("app_started")
        """
    )


# capture-before-client (the posthog module's own client, across the project)


def facts(source: str, file: str) -> FileRuleFacts:
    return file_rule_facts(parsed(dedent(source), file))


MODULE_SENDS = """\
    import posthog
    from posthog import capture

    def signup(user):
        posthog.capture("signed_up", distinct_id=user.id)
        capture("logged_in", distinct_id=user.id)
        posthog.set(distinct_id=user.id, properties={"plan": "pro"})
        posthog.flush()
        posthog.capture("x", distinct_id=user.id)  # posthog-setup: ignore[capture-before-client]
    """


def test_module_client_sends_are_project_findings() -> None:
    views = facts(MODULE_SENDS, "app/views.py")
    assert views.findings == ()
    assert not views.configures_default_client
    other = facts("import os\n", "app/other.py")
    found = project_findings({"app/views.py": views, "app/other.py": other})
    assert [(f.rule, f.file, f.line, f.col) for f in found] == [
        ("capture-before-client", "app/views.py", 5, 13),
        ("capture-before-client", "app/views.py", 6, 5),
        ("capture-before-client", "app/views.py", 7, 13),
    ]
    assert found[0].message == (
        "posthog.capture() sends through the posthog module's own client, but nothing in the "
        "project sets posthog.project_api_key, so it is disabled and sends nothing; set "
        "posthog.project_api_key (and posthog.host) at start-up, or send through a "
        "Posthog(...) client."
    )


@pytest.mark.parametrize(
    "configuration",
    [
        "import posthog\nposthog.project_api_key = KEY\n",
        "import posthog\nposthog.api_key = KEY  # posthog-setup: ignore\n",
        "import posthog\n\nclass C:\n    def ready(self):\n        posthog.api_key = KEY\n",
        "import posthog\nposthog.default_client = posthog.Posthog(KEY)\n",
        "import posthog\nsetattr(posthog, 'project_api_key', KEY)\n",
    ],
)
def test_a_configured_module_client_clears_them(configuration: str) -> None:
    settings = facts(configuration, "app/settings.py")
    assert settings.configures_default_client
    views = facts(MODULE_SENDS, "app/views.py")
    assert project_findings({"app/views.py": views, "app/settings.py": settings}) == ()


def test_setting_something_else_does_not_configure() -> None:
    settings = facts("import posthog\nposthog.host = HOST\nposthog.debug = True\n", "s.py")
    assert not settings.configures_default_client


def test_rule_facts_pickle() -> None:
    views = facts(MODULE_SENDS, "app/views.py")
    assert pickle.loads(pickle.dumps(views)) == views


# Ordering.


def test_findings_sorted_by_line_column_and_rule() -> None:
    check_flags(
        f"""\
        from app.analytics import posthog_client

        def signup(user):
            posthog_client.capture(user.id, "signed_up", {{"email": user.email, "k": "{TOKEN}"}})
        """,
        [
            ("positional-capture", 4, 20, True),
            ("pii-property", 4, 51, False),
            ("hardcoded-token", 4, 78, False),
        ],
    )


# Capture sites.


def test_capture_sites() -> None:
    source = dedent(
        """\
        import posthog
        from posthog import capture
        from app.analytics import posthog_client

        posthog_client.capture("app_started")

        class PostAPI:
            def post(self, request):
                self.posthog.capture("post_created", distinct_id="u", properties={"post_id": 1, "kind": k, 3: 4, **extra})
                posthog_client.capture(request.user.id, "legacy_event", {"plan": "pro"})

        def factory():
            def view(name):
                posthog.capture(name, distinct_id="u")
                capture(event="from_module")
                payment_intent.capture()
            return view
        """
    )
    assert capture_sites(parsed(source)) == (
        CaptureSite(PATH, 5, "app_started", None, "posthog_client", ()),
        # ``3: 4`` and ``**extra``: it may send more than the keys it spells.
        CaptureSite(
            PATH, 9, "post_created", "PostAPI.post", "self.posthog", ("post_id", "kind"), False
        ),
        CaptureSite(PATH, 10, "legacy_event", "PostAPI.post", "posthog_client", ("plan",)),
        CaptureSite(PATH, 14, None, "factory.<locals>.view", "posthog", ()),
        CaptureSite(PATH, 15, "from_module", "factory.<locals>.view", "posthog", ()),
    )


def test_capture_sites_keep_ignored_calls() -> None:
    source = 'import posthog\nposthog.capture("x", distinct_id="u")  # posthog-setup: ignore\n'
    assert capture_sites(parsed(source)) == (CaptureSite(PATH, 2, "x", None, "posthog", ()),)


def test_client_setups_are_constructions_and_module_keys() -> None:
    source = dedent(
        """\
        import os

        import posthog
        from posthog import AsyncPosthog, Posthog

        client = Posthog(os.environ["POSTHOG_PROJECT_TOKEN"])
        background = AsyncPosthog(os.environ["POSTHOG_PROJECT_TOKEN"])
        posthog.project_api_key = os.environ["POSTHOG_PROJECT_TOKEN"]
        posthog.host = os.environ["POSTHOG_HOST"]
        other = Tracker()
        """
    )
    assert file_rule_facts(parsed(source)).setups == (
        ClientSetup(PATH, 6, 10, "posthog.Posthog(...)", name="client"),
        ClientSetup(PATH, 7, 14, "posthog.AsyncPosthog(...)", name="background"),
        ClientSetup(PATH, 8, 1, "posthog.project_api_key = ...", default=True),
    )


def test_client_setups_say_whether_they_turn_exception_autocapture_on() -> None:
    source = dedent(
        """\
        import posthog
        from posthog import Posthog

        client = Posthog("k", enable_exception_autocapture=True)
        quiet = Posthog("k", enable_exception_autocapture=False)
        unknown = Posthog("k", enable_exception_autocapture=settings.AUTOCAPTURE)
        posthog.api_key = "k"
        posthog.enable_exception_autocapture = True
        """
    )
    setups = file_rule_facts(parsed(source)).setups
    assert [(s.name, s.default, s.exception_autocapture) for s in setups] == [
        ("client", False, True),
        ("quiet", False, False),
        ("unknown", False, False),
        (None, True, True),
    ]
    unset = file_rule_facts(parsed('import posthog\nposthog.api_key = "k"\n')).setups
    assert [s.exception_autocapture for s in unset] == [False]


def test_own_contexts_are_middlewares_that_open_the_request_context() -> None:
    source = dedent(
        """\
        from posthog import capture, new_context


        class Context:
            def __init__(self, app):
                self.app = app

            async def __call__(self, scope, receive, send):
                with new_context():
                    await self.app(scope, receive, send)


        async def tag_requests(request, call_next):
            with new_context(fresh=True):
                return await call_next(request)


        def consider(request):
            with new_context():
                capture("considered")
        """
    )
    facts = file_rule_facts(parsed(source))
    # A handler that opens a context around its own capture is no middleware.
    assert [(c.line, c.name) for c in facts.own_contexts] == [(4, "Context"), (13, "tag_requests")]
