"""What a DRF model serializer's ``save()`` answers when it creates: an instance of which
model, where that is proven.

DRF's ``save()`` on a serializer built without an instance calls ``create`` and keeps
what it returns as ``serializer.instance`` (it asserts that is not None, nothing more). A
model serializer that keeps the library's ``save`` and ``create`` answers an instance of
its ``Meta.model`` (see ``flow``). One that overrides ``create`` answers what the
``return`` statements of its ``create`` do; each must be one of

- ``super().create(validated_data)``: the library's, an instance of ``Meta.model``;
- ``Model.objects.<method>(...)``: Django's ``create`` (unless the model's manager is the
  project's and overrides it unproven), Django's ``UserManager.create_user`` /
  ``create_superuser``, or a method of the project's manager whose body is proven to
  answer a saved ``self.model(...)`` (see ``model_methods``);
- a name bound once to one of those, or to ``Model(...)`` that a statement of the method
  saves (``user.save()``).

``get_user_model()`` is the model ``AUTH_USER_MODEL`` names. Anything else (a dict, what
a helper of the project returns, a serializer that overrides ``save``) proves nothing:
no ``.pk`` is then read of what it saved.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from posthog_setup.analysis.body import walk_body
from posthog_setup.analysis.context import FileContext, FunctionNode
from posthog_setup.analysis.flow import MODEL_SAVING_BASES
from posthog_setup.analysis.model import ClassFacts
from posthog_setup.analysis.names import spelled_as_class
from posthog_setup.frameworks.django.model_methods import (
    DJANGO_USER_MANAGER,
    ProjectModels,
    saves_on_every_path,
)

#: What ``ClassFacts.created`` records for ``super().create(...)``.
PARENT = "super"
GET_USER_MODEL = "django.contrib.auth.get_user_model"
DJANGO_USER = "django.contrib.auth.models.User"
_ABSTRACT_USERS = frozenset({"django.contrib.auth.models.AbstractUser", DJANGO_USER})
_USER_MANAGER_METHODS = frozenset({"create_user", "create_superuser"})


def with_creations(ctx: FileContext, classes: Sequence[ClassFacts]) -> list[ClassFacts]:
    """``classes`` (this file's), each DRF model serializer that overrides ``create`` (and
    not ``save``) with what its returns answer (``ClassFacts.created``)."""
    if "def create" not in ctx.source:
        return list(classes)
    nodes = {ctx.qualified(name): node for name, node in _class_nodes(ctx.tree.body)}
    found = []
    for declared in classes:
        node = nodes.get(declared.qualname)
        created = _created(ctx, node) if node is not None else ()
        found.append(dataclasses.replace(declared, created=created) if created else declared)
    return found


def _class_nodes(body: Iterable[ast.stmt]) -> Iterable[tuple[str, ast.ClassDef]]:
    """The module's classes and the classes nested in them, by dotted name."""
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            yield stmt.name, stmt
            for inner in stmt.body:
                if isinstance(inner, ast.ClassDef):
                    yield f"{stmt.name}.{inner.name}", inner


def _created(ctx: FileContext, cls: ast.ClassDef) -> tuple[str, ...]:
    bases = [ctx.names.resolve(b) for b in cls.bases]
    if not bases or not all(b in MODEL_SAVING_BASES for b in bases):
        return ()
    methods = {
        s.name: s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    create = methods.get("create")
    if create is None or "save" in methods or not create.body:
        return ()
    if not isinstance(create.body[-1], (ast.Return, ast.Raise)):
        return ()
    returns = [n for n in walk_body(create) if isinstance(n, ast.Return)]
    answers = [_answer(ctx, create, r.value) for r in returns]
    if not answers or any(a is None for a in answers):
        return ()
    return tuple(dict.fromkeys(a for a in answers if a is not None))


def _answer(ctx: FileContext, method: FunctionNode, value: ast.expr | None) -> str | None:
    """What one ``return`` of ``create`` answers, in ``ClassFacts.created`` form."""
    if isinstance(value, ast.Name):
        bound = [
            n.value
            for n in walk_body(method)
            if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == value.id for t in n.targets)
        ]
        others = [
            n
            for n in walk_body(method)
            if isinstance(n, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.With))
        ]
        if len(bound) != 1 or any(_binds(n, value.id) for n in others):
            return None
        built = bound[0]
        model = _constructed(ctx, method, built)
        if model is not None:
            return f"{model}()" if saves_on_every_path(method, value.id) else None
        return _answer(ctx, method, built)
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
        return None
    name = value.func.attr
    receiver = value.func.value
    if (
        name == "create"
        and isinstance(receiver, ast.Call)
        and isinstance(receiver.func, ast.Name)
        and receiver.func.id == "super"
    ):
        return PARENT
    if not (isinstance(receiver, ast.Attribute) and receiver.attr == "objects"):
        return None
    model = _model(ctx, method, receiver.value)
    return f"{model}.objects.{name}" if model is not None else None


def _binds(node: ast.AST, name: str) -> bool:
    target = getattr(node, "target", None)
    return target is not None and any(
        isinstance(t, ast.Name) and t.id == name for t in ast.walk(target)
    )


def _model(ctx: FileContext, method: FunctionNode, node: ast.expr) -> str | None:
    """The model ``node`` names: a class (qualified), or ``get_user_model()``."""
    scope = ctx.names.scope_for_def(method)
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        called = ctx.names.resolve(node.func, scope)
        return called if called == GET_USER_MODEL else None
    if not isinstance(node, (ast.Name, ast.Attribute)):
        return None
    resolved = ctx.names.resolve(node, scope)
    if resolved is None:
        return None
    if isinstance(node, ast.Name):
        # ``User = get_user_model()`` at module level.
        for stmt in ctx.tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == node.id for t in stmt.targets)
                and isinstance(stmt.value, ast.Call)
            ):
                return _model(ctx, method, stmt.value)
    return resolved


def _constructed(ctx: FileContext, method: FunctionNode, value: ast.expr) -> str | None:
    """The model ``value`` builds (``User(...)``), if it is a constructor call."""
    if not isinstance(value, ast.Call):
        return None
    model = _model(ctx, method, value.func)
    return model if model is not None and spelled_as_class(model) else None


@dataclasses.dataclass(frozen=True)
class SavedInstances:
    """What the project's serializers save, proven across its files (see the module)."""

    #: serializer class -> its facts
    classes: Mapping[str, ClassFacts]
    #: ``<serializer>.save`` -> the model it answers, where the library's save is kept
    returns: Mapping[str, str]
    models: ProjectModels
    #: the model ``get_user_model()`` answers (``AUTH_USER_MODEL``'s, else Django's)
    user_model: str | None

    def model_of(self, serializer: str) -> str | None:
        """The model whose instance ``serializer``'s ``save()`` answers when it creates
        (never None, never anything else), where proven; ``get_user_model`` stands for the
        project's user model."""
        kept = self.returns.get(f"{serializer}.save")
        if kept is not None:
            return kept
        declared = self.classes.get(serializer)
        if declared is None or not declared.created:
            return None
        models = {self._answered(declared, answer) for answer in declared.created}
        if len(models) != 1:
            return None
        return models.pop()

    def _answered(self, declared: ClassFacts, answer: str) -> str | None:
        if answer == PARENT:
            return declared.model
        if answer.endswith("()"):
            model = answer.removesuffix("()")
            return model if self._is_model(model) else None
        model, _, method = answer.rpartition(".objects.")
        if not self._is_model(model) or not self._answers_instance(model, method):
            return None
        return model

    def _concrete(self, model: str) -> str | None:
        return self.user_model if model == GET_USER_MODEL else model

    def _is_model(self, model: str) -> bool:
        concrete = self._concrete(model)
        return concrete is not None and (
            concrete in self.models.bases or concrete in _ABSTRACT_USERS
        )

    def _answers_instance(self, model: str, method: str) -> bool:
        """Does ``model.objects.<method>(...)`` answer a saved instance of ``model``?"""
        concrete = self._concrete(model)
        if concrete is None:
            return False
        manager = self._manager(concrete)
        if manager is None:
            # Django's default manager: ``create``; a user model's ``UserManager``: its
            # user-making methods too.
            if method == "create":
                return True
            return method in _USER_MANAGER_METHODS and self._is_django_user(concrete)
        for cls in self._lineage(manager):
            if method in self.models.methods.get(cls, {}):
                return method in self.models.instance_methods.get(cls, frozenset())
            if cls == DJANGO_USER_MANAGER and method in _USER_MANAGER_METHODS:
                return True
        # Not defined by the project: Django's own, where every base is Django's.
        lineage = self._lineage(manager)
        outside = [c for c in lineage if c not in self.models.bases]
        return (
            method == "create" and bool(outside) and all(c.startswith("django.") for c in outside)
        )

    def _manager(self, model: str) -> str | None:
        """The class of ``model.objects``, where the project declares it (on the model or a
        project base)."""
        for cls in self._lineage(model):
            found = self.models.managers.get(cls)
            if found is not None:
                return found
        return None

    def _is_django_user(self, model: str) -> bool:
        """Is ``model`` Django's ``User``, or does it extend ``AbstractUser`` (whose
        manager is Django's ``UserManager``)?"""
        return any(cls in _ABSTRACT_USERS for cls in self._lineage(model))

    def _lineage(self, cls: str) -> list[str]:
        """``cls`` and its bases, through the project's classes, nearest first."""
        seen: list[str] = []
        todo = [cls]
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.append(current)
            todo.extend(self.models.bases.get(current, ()))
        return seen


def saved_instances(
    facts: Iterable[tuple[Sequence[ClassFacts], Sequence[tuple[str, str]]]],
    models: ProjectModels,
    user_model: str | None,
) -> SavedInstances:
    """The project's serializers (each module's classes and returns), with its models."""
    classes: dict[str, ClassFacts] = {}
    returns: dict[str, str] = {}
    for declared, returned in facts:
        classes.update((c.qualname, c) for c in declared)
        returns.update((name, kind) for name, kind in returned if name.endswith(".save"))
    return SavedInstances(classes, returns, models, user_model)
