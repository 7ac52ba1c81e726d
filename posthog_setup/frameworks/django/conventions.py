"""What Django guarantees its views: ``request.user`` everywhere, ``pk`` on every model,
URL parameters in ``self.kwargs``, and the hooks where generic views write."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis, AuthPoint, Handler, Route, UserAccess
from posthog_setup.frameworks.django import wagtail

USER_KIND = "django.request.user"
#: Methods where a class-based view's implicit write is observed; the edit may add them.
WRITE_HOOKS = frozenset({"form_valid", "perform_create", "perform_update", "perform_destroy"})
_FORM_VIEWS = frozenset({"CreateView", "UpdateView", "DeleteView", "FormView"})
_MODEL_FORM_VIEWS = frozenset({"CreateView", "UpdateView"})
_SAVE_HOOKS = frozenset({"perform_create", "perform_update"})
_VIEWSET_OVERRIDES = {
    "create": "perform_create",
    "update": "perform_update",
    "partial_update": "perform_update",
    "destroy": "perform_destroy",
}


def request_user(request: str) -> UserAccess:
    """The user of the request named ``request`` (``request`` or ``self.request``)."""
    return UserAccess(
        USER_KIND, f"{request}.user.pk", f"{request}.user.is_authenticated", contract=True
    )


def _in_class(handler: Handler) -> bool:
    """A class-based view: the class itself, or one of its methods."""
    return handler.class_name is not None or handler.name[:1].isupper()


def _form_page_form(handler: Handler, analysis: Analysis) -> str | None:
    """The form parameter where ``handler`` is (or gets) a Wagtail form page's
    ``process_form_submission``: a page has no request, its form knows the user ("" where
    the method names no form)."""
    if handler.name == wagtail.SUBMISSION_HOOK and handler.class_name is not None:
        return handler.params[1] if len(handler.params) > 1 else ""
    if not handler.name[:1].isupper():
        return None
    for route in analysis.routes:
        if route.handler == handler and route.hook == wagtail.SUBMISSION_HOOK:
            return "form"
    return None


class DjangoConventions:
    """Django's guarantees, for the plan."""

    user_first: bool = False
    key_attributes: tuple[str, ...] = ("pk", "id")

    def current_user(self, handler: Handler, analysis: Analysis) -> UserAccess | None:
        form_page = _form_page_form(handler, analysis)
        if form_page is not None:
            return wagtail.form_user(form_page) if form_page else None
        if _in_class(handler):
            return request_user("self.request")
        return request_user(handler.params[0]) if handler.params else None

    def url_value(self, handler: Handler, param: str) -> str | None:
        return f'self.kwargs["{param}"]' if _in_class(handler) else None

    def implicit_write(self, route: Route) -> str | None:
        if "." in route.handler.qualname or not route.handler.name[:1].isupper():
            return None
        if route.hook is not None:
            return route.hook
        if route.view_kind in _FORM_VIEWS:
            return "form_valid"
        return _VIEWSET_OVERRIDES.get(route.action or "")

    def filed_under(self, route: Route) -> str:
        owner, _, method = route.handler.qualname.rpartition(".")
        return owner if owner and method in WRITE_HOOKS else route.handler.qualname

    def saved_object(self, route: Route) -> str | None:
        # DRF's save sets serializer.instance; a model form view's form_valid sets
        # self.object before it answers. A deletion leaves no key to read.
        hook = self.implicit_write(route)
        if hook in _SAVE_HOOKS:
            return "serializer.instance"  # in the hook edit adds, after the parent's save
        if hook == "form_valid":
            return "self.object" if route.view_kind in _MODEL_FORM_VIEWS else None
        # The project's own hook: only once its save, or its parent's, has run on the way.
        own = route.handler.name
        proven = set(route.proven)
        saved = "serializer.save" in proven or f"super().{own}" in proven
        if own in _SAVE_HOOKS and "serializer" in route.handler.params and saved:
            return "serializer.instance"
        if own == "form_valid" and route.view_kind in _MODEL_FORM_VIEWS and saved:
            return "self.object"
        return None

    def own_key(self, route: Route, analysis: Analysis) -> tuple[str, str] | None:
        """A Wagtail form page stores submissions in its own method: the page is a Django
        model served from the database, so ``self.pk`` is its key (and reading ``pk``
        never raises on a model instance)."""
        if _form_page_form(route.handler, analysis) is None:
            return None
        return ("page_id", "self.pk")

    def login_key(self, point: AuthPoint) -> str | None:
        # django.contrib.auth.login() reads user.pk itself.
        return f"{point.user_expression}.pk" if point.user_expression else None


conventions = DjangoConventions()
