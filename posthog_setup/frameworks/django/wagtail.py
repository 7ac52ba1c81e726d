"""What Wagtail, a CMS on Django, writes for a project: form pages and search hits.

- A page model deriving (directly or through project classes) from Wagtail's
  ``AbstractForm`` / ``AbstractEmailForm`` is served by Wagtail itself: its inherited
  ``serve()`` validates a POST and calls ``process_form_submission(form)``, which stores
  a form submission and answers it. The signature is the same from Wagtail 1
  (``wagtail.wagtailforms``) to today (``wagtail.contrib.forms``); releases before 1.10
  answered None, so the added override returns whatever its parent returned. The user is
  the form's (Wagtail's form builder keeps ``user``); a page has no request of its own.
- The search promotions' ``Query.get(q).add_hit()`` records a daily hit for a query: a
  write of the library's model, made where the project's search view runs.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from posthog_setup.analysis.body import dotted
from posthog_setup.analysis.model import UserAccess
from posthog_setup.analysis.names import ModuleNames

#: The method a form page stores its submission in; the edit adds or extends it.
SUBMISSION_HOOK = "process_form_submission"
#: Wagtail's form page classes, in every module they have lived in.
FORM_PAGE_BASES = frozenset(
    {
        "wagtail.contrib.forms.models.AbstractForm",
        "wagtail.contrib.forms.models.AbstractEmailForm",
        "wagtail.wagtailforms.models.AbstractForm",
        "wagtail.wagtailforms.models.AbstractEmailForm",
    }
)
#: The search promotions' query model (``wagtail.contrib.search_promotions`` from Wagtail
#: 5, ``wagtail.search`` before, ``wagtail.wagtailsearch`` in Wagtail 1).
_QUERY_CLASSES = frozenset(
    {
        "wagtail.contrib.search_promotions.models.Query",
        "wagtail.search.models.Query",
        "wagtail.wagtailsearch.models.Query",
    }
)
#: (class, method) -> what the call writes.
_LIBRARY_WRITES = {(cls, "add_hit"): "records a search hit" for cls in _QUERY_CLASSES}


def page_noun(name: str) -> str:
    """What a form page's submissions are of: ``ContactPage`` -> ``Contact``, ``FormPage``
    -> ``Form`` (a page class's ``Page`` says nothing of what was sent)."""
    return name.removesuffix("Page") or name


def is_form_page(ancestry: tuple[str, ...]) -> bool:
    """Does a class with these (resolved) ancestors store Wagtail form submissions?"""
    return any(base in FORM_PAGE_BASES for base in ancestry)


def form_user(form: str) -> UserAccess:
    """The user who submitted ``form`` (Wagtail's form builder keeps ``user``; a form of
    another kind may have none, and an anonymous visitor has no id)."""
    return UserAccess(
        "wagtail.form.user",
        f"{form}.user.pk",
        f'getattr({form}, "user", None) is not None and {form}.user.is_authenticated',
        contract=True,
    )


def library_write(
    names: ModuleNames, scope: object, call: ast.Call, built: Mapping[str, str]
) -> str | None:
    """What a call of a Wagtail write method writes (``query.add_hit()`` where ``query =
    Query.get(q)``), or None. ``built`` maps locals to the Wagtail class that built them."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    receiver = func.value
    cls: str | None = None
    if isinstance(receiver, ast.Name):
        cls = built.get(receiver.id)
    elif isinstance(receiver, ast.Call):
        cls = _built_class(names, scope, receiver)
    found = _LIBRARY_WRITES.get((cls or "", func.attr))
    return f"{dotted(func) or func.attr}() {found}" if found else None


def built_locals(names: ModuleNames, scope: object, nodes: list[ast.AST]) -> dict[str, str]:
    """Locals bound once to a Wagtail object whose writes are known (``q = Query.get(s)``)."""
    found: dict[str, set[str]] = {}
    for node in nodes:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            cls = _built_class(names, scope, node.value)
            found.setdefault(node.targets[0].id, set()).add(cls or "")
    return {
        name: next(iter(kinds))
        for name, kinds in found.items()
        if kinds != {""} and len(kinds) == 1
    }


def _built_class(names: ModuleNames, scope: object, value: ast.expr) -> str | None:
    """``Query.get(q)`` (a classmethod answering the query's row) -> Query's name."""
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
        return None
    if value.func.attr != "get":
        return None
    cls = names.resolve(value.func.value, scope)  # type: ignore[arg-type]
    return cls if cls in _QUERY_CLASSES else None
