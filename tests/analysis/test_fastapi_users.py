"""fastapi-users: the project's UserManager hooks are where its library routers' signups
and logins become known."""

from __future__ import annotations

from posthog_setup.codemods.placement import build_points
from posthog_setup.plan.plan import build_plan
from tests.analysis.web_helpers import analyse_one

USERS = """\
import uuid

from fastapi import Request
from fastapi_users import BaseUserManager, UUIDIDMixin
from fastapi_users.manager import BaseUserManager as Manager

from app.db import User


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    async def on_after_register(self, account: User, request: Request | None = None):
        await self.send_welcome(account)

    async def on_after_login(self, user, request=None, response=None):
        '''Nothing else to do.'''

    async def on_after_forgot_password(self, user, token, request=None):
        print(token)

    async def on_after_verify(self, user, request=None):
        return None


class Other(Manager):
    async def on_after_register(self, user, request=None):
        pass


class NotAManager:
    async def on_after_register(self, user, request=None):
        pass
"""


def test_register_and_login_hooks_of_user_managers_are_signups_and_logins() -> None:
    analysis = analyse_one(USERS, "app/users.py")
    rows = sorted((p.kind, p.handler.qualname, p.user_expression) for p in analysis.auth_points)
    # Every manager logs its users in through on_after_login, defined or not: the login is
    # filed under the class, where edit finds the hook or adds it.
    assert rows == [
        ("login", "Other", "user"),
        ("login", "UserManager", "user"),
        ("signup", "Other.on_after_register", "user"),
        ("signup", "UserManager.on_after_register", "account"),
    ]


def test_the_hooks_user_is_identified_by_the_id_the_library_guarantees() -> None:
    analysis = analyse_one(USERS, "app/users.py")
    plan = build_plan(analysis, client_module="app/posthog_client.py")
    points = build_points(analysis, plan)["app/users.py"]
    ids = {(p.handler, p.user_id) for p in points.identifies}
    assert ("UserManager.on_after_register", "account.id") in ids
    assert ("UserManager", "user.id") in ids
    assert {p.handler: p.override for p in points.identifies}["Other"] == "on_after_login"
