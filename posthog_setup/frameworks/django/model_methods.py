"""The project's own model, manager and queryset methods, and which of them write.

A view often writes through a method of its models (``notification.mark_as_read()``,
``Notification.objects.mark_all_as_read()``) whose body saves or updates. The models
modules are read once per project, before any view is analysed (the analyser's
``for_project``), so each view's body scan can tell such a call from a read
(``news.count_likers()``) without guessing from the method's name.

Only what is proven counts: the receiver's class is known from the view (a local built
by ``get_object_or_404(Model, ...)`` or ``Model.objects.get(...)``, a model class, its
``objects`` manager, a queryset chain on it, or a reverse relation of the user model
read off ``request.user``), and the method is defined in the project on that class or a
project base. A method's write is followed one call deep inside its class (``self.x()``)
and through the functions of its own module.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from posthog_setup.analysis.body import dotted, walk_body, write_evidence, writing_functions
from posthog_setup.analysis.names import ModuleNames
from posthog_setup.parallel import process_map

#: Query methods that answer a queryset of the same class (a custom queryset keeps its
#: own methods through them).
_CHAINED = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "order_by",
        "distinct",
        "select_related",
        "prefetch_related",
        "annotate",
        "using",
        "only",
        "defer",
        "reverse",
        "none",
    }
)
#: Manager and queryset methods that only read.
QUERY_READS = _CHAINED | {
    "get",
    "count",
    "exists",
    "first",
    "last",
    "values",
    "values_list",
    "aggregate",
    "in_bulk",
    "latest",
    "earliest",
    "iterator",
    "dates",
    "datetimes",
}
#: Calls on a queryset (``self...`` in a queryset, ``X.objects...`` anywhere) that write.
_QUERYSET_WRITES = {
    "update": "updates rows",
    "delete": "deletes rows",
    "create": "creates a row",
    "bulk_create": "creates rows",
    "bulk_update": "updates rows",
    "get_or_create": "may create a row",
    "update_or_create": "creates or updates a row",
}
#: Relation fields whose reverse accessor is a manager (a one-to-one's is an object).
_RELATIONS = frozenset({"ForeignKey", "ManyToManyField"})


@dataclass(frozen=True)
class ProjectModels:
    """The project's model, manager and queryset classes, by qualified name."""

    #: class -> {method defined on it: what it writes, else ``READS`` or ``UNKNOWN``}
    methods: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: class -> its bases, resolved
    bases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: model -> the class of its ``objects`` manager (``X.as_manager()``, ``XManager()``)
    managers: Mapping[str, str] = field(default_factory=dict)
    #: reverse accessor on the user model (a ``related_name``) -> the model it holds
    user_relations: Mapping[str, str] = field(default_factory=dict)
    #: manager class -> its methods proven to answer a saved instance of the manager's
    #: model, never None (``create_user`` returning ``user = self.model(...)`` it saved)
    instance_methods: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def method(self, cls: str, name: str) -> str | None:
        """What ``cls.name`` writes (``READS``, ``UNKNOWN``), looked up through project
        bases; None where the project does not define it."""
        seen: set[str] = set()
        todo = [cls]
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            own = self.methods.get(current)
            if own is not None and name in own:
                return own[name]
            todo.extend(self.bases.get(current, ()))
        return None

    def is_queryset(self, cls: str) -> bool:
        """Does ``cls`` derive from Django's QuerySet (so chained queries keep its methods)?"""
        seen: set[str] = set()
        todo = [cls]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if current.startswith("django.") and current.endswith("QuerySet"):
                return True
            todo.extend(self.bases.get(current, ()))
        return False


NO_MODELS = ProjectModels()
#: A method proven to change nothing.
READS = ""
#: A method whose effect is not known: neither a write nor a read is claimed for it.
UNKNOWN = "?"


def reads_models_file(file: str) -> bool:
    """The modules Django and its conventions put models, managers and querysets in."""
    if not file.endswith(".py"):
        return False
    parts = file.split("/")
    return parts[-1] in ("models.py", "managers.py", "querysets.py") or "models" in parts[:-1]


#: Models modules below which one process reads them faster than a pool.
_PARALLEL_FILES = 64


@dataclass(frozen=True)
class _ModelsModule:
    """What one models module defines (see ``ProjectModels``), and the user relations it
    declares, as (related name, model)."""

    methods: dict[str, dict[str, str]]
    bases: dict[str, tuple[str, ...]]
    managers: dict[str, str]
    relations: list[tuple[str, str]]
    instance_methods: dict[str, frozenset[str]] = field(default_factory=dict)


def read_models(texts: Mapping[str, str], modules: Mapping[str, tuple[str, bool]]) -> ProjectModels:
    """The classes of the models modules ``texts`` (by file; ``modules`` gives each file's
    module name and whether it is a package). Each module is read on its own (in worker
    processes when there are many: a large project has hundreds, and its check waits for
    them before any view is analysed); a later file's class of the same name wins."""
    jobs = [(file, texts[file], *modules[file]) for file in sorted(texts) if file in modules]
    methods: dict[str, dict[str, str]] = {}
    bases: dict[str, tuple[str, ...]] = {}
    managers: dict[str, str] = {}
    relations: dict[str, set[str]] = {}
    instances: dict[str, frozenset[str]] = {}
    for read in process_map(_read_module, jobs, min_items=_PARALLEL_FILES):
        if read is None:
            continue
        methods.update(read.methods)
        bases.update(read.bases)
        managers.update(read.managers)
        instances.update(read.instance_methods)
        for accessor, model in read.relations:
            relations.setdefault(accessor, set()).add(model)
    # A related name two models share says nothing of which one is meant.
    unique = {name: next(iter(found)) for name, found in relations.items() if len(found) == 1}
    return ProjectModels(methods, bases, managers, unique, instances)


def _read_module(job: tuple[str, str, str, bool]) -> _ModelsModule | None:
    """The classes of one models module (file, text, module name, is a package); None if it
    does not parse."""
    file, text, module, is_package = job
    try:
        tree = ast.parse(text, filename=file)
    except (SyntaxError, ValueError):
        return None
    names = ModuleNames(tree, module, is_package)
    functions = writing_functions(tree)
    found = _ModelsModule({}, {}, {}, [])
    for stmt in tree.body:
        if not isinstance(stmt, ast.ClassDef):
            continue
        qualified = f"{module}.{stmt.name}" if module else stmt.name
        found.bases[qualified] = tuple(b for b in (names.resolve(x) for x in stmt.bases) if b)
        found.methods[qualified] = _class_methods(stmt, functions)
        answering = _instance_methods(stmt, found.bases[qualified])
        if answering:
            found.instance_methods[qualified] = answering
        for target, value in _assignments(stmt):
            manager = _manager_class(names, value)
            if target == "objects" and manager is not None:
                found.managers[qualified] = manager
            accessor = _user_relation(names, value)
            if accessor is not None:
                found.relations.append((accessor, qualified))
    return found


def _assignments(cls: ast.ClassDef) -> Iterable[tuple[str, ast.expr]]:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                yield target.id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
            yield stmt.target.id, stmt.value


def _manager_class(names: ModuleNames, value: ast.expr) -> str | None:
    """``XQuerySet.as_manager()`` -> XQuerySet; ``XManager()`` -> XManager."""
    if not isinstance(value, ast.Call) or value.args or value.keywords:
        return None
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr == "as_manager":
        return names.resolve(func.value)
    if isinstance(func, (ast.Name, ast.Attribute)):
        return names.resolve(func)
    return None


def _user_relation(names: ModuleNames, value: ast.expr) -> str | None:
    """The ``related_name`` of a foreign key or many-to-many field to the user model."""
    if not isinstance(value, ast.Call):
        return None
    kind = (names.resolve(value.func) or "").rsplit(".", 1)[-1]
    if kind not in _RELATIONS or not value.args:
        return None
    target = value.args[0]
    spelled = names.resolve(target) or ""
    to_user = spelled == "django.conf.settings.AUTH_USER_MODEL" or (
        isinstance(target, ast.Call)
        and (names.resolve(target.func) or "").endswith("django.contrib.auth.get_user_model")
    )
    if not to_user:
        return None
    for keyword in value.keywords:
        if keyword.arg == "related_name" and isinstance(keyword.value, ast.Constant):
            name = keyword.value.value
            return name if isinstance(name, str) and name.isidentifier() else None
    return None


def _class_methods(cls: ast.ClassDef, functions: Mapping[str, str]) -> dict[str, str]:
    """Each method of ``cls`` with what it writes, ``READS`` for one proven to only read,
    ``UNKNOWN`` otherwise; a call to another of its methods (``self.x()``) counts as what
    that one does."""
    own = {
        stmt.name: stmt
        for stmt in cls.body
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    found: dict[str, str] = {}
    calls: dict[str, set[str]] = {}
    for name, method in own.items():
        verdict, callees = _method_effect(method, functions, frozenset(own))
        found[name] = verdict
        calls[name] = callees
    changed = True
    while changed:
        changed = False
        for name, callees in calls.items():
            if found[name] not in (READS,):
                continue
            writer = next((c for c in sorted(callees) if found[c] not in (READS, UNKNOWN)), None)
            if writer is not None:
                found[name] = f"calls self.{writer}(), which {found[writer]}"
                changed = True
            elif any(found[c] == UNKNOWN for c in callees):
                found[name] = UNKNOWN
                changed = True
    return found


#: Django's manager of its own users: ``create_user`` and ``create_superuser`` save and
#: answer the user (``BaseUserManager`` has neither).
DJANGO_USER_MANAGER = "django.contrib.auth.models.UserManager"
_USER_MANAGER_METHODS = frozenset({"create_user", "create_superuser", "_create_user"})


def _instance_methods(cls: ast.ClassDef, bases: Sequence[str]) -> frozenset[str]:
    """The methods of a manager class that answer a saved instance of its model, never
    None: the body ends in ``return`` or ``raise``, and each ``return`` answers a name bound
    once, to ``self.model(...)``, that a statement of the body saves (``user.save()``), or
    the result of such a method of the class (``self.create_user(...)``), of Django's
    ``create`` (``self.create(...)``, where the class does not define it) or, for a
    subclass of Django's ``UserManager``, of its ``create_user`` / ``create_superuser``
    (through ``super()``)."""
    own = {s.name: s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    user_manager = DJANGO_USER_MANAGER in bases
    # Django's ``create`` is the one ``self.create`` runs only where no base of the
    # project's own may override it.
    django_create = bool(bases) and all(b.startswith("django.") for b in bases)
    proven: set[str] = set()

    def answers(value: ast.expr | None, method: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        if isinstance(value, ast.Name):
            bound = [
                n.value
                for n in walk_body(method)
                if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign))
                and any(
                    isinstance(t, ast.Name) and t.id == value.id
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                )
            ]
            if len(bound) != 1 or bound[0] is None:
                return False
            built = bound[0]
            if _is_self_call(built, "model"):
                return saves_on_every_path(method, value.id)
            return answers(built, method)
        if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
            return False
        name = value.func.attr
        receiver = value.func.value
        if isinstance(receiver, ast.Name) and receiver.id == "self":
            if name in own:
                return name in proven
            return (django_create and name == "create") or (
                user_manager and name in _USER_MANAGER_METHODS
            )
        if (
            isinstance(receiver, ast.Call)
            and isinstance(receiver.func, ast.Name)
            and receiver.func.id == "super"
        ):
            return (django_create and name == "create") or (
                user_manager and name in _USER_MANAGER_METHODS
            )
        return False

    changed = True
    while changed:
        changed = False
        for name, method in own.items():
            if name in proven or not method.body:
                continue
            if not isinstance(method.body[-1], (ast.Return, ast.Raise)):
                continue
            returns = [n for n in walk_body(method) if isinstance(n, ast.Return)]
            if returns and all(answers(r.value, method) for r in returns):
                proven.add(name)
                changed = True
    return frozenset(proven)


def _is_self_call(value: ast.expr, attribute: str) -> bool:
    """``self.<attribute>(...)``."""
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == attribute
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == "self"
    )


def saves_on_every_path(method: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Does a statement of the method's own body (not one inside a branch) call
    ``<name>.save(...)``?"""
    return any(
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and stmt.value.func.attr == "save"
        and isinstance(stmt.value.func.value, ast.Name)
        and stmt.value.func.value.id == name
        for stmt in method.body
    )


def _queryset_expression(node: ast.expr, querysets: set[str]) -> bool:
    """Is ``node`` rooted at ``self`` / ``cls``, at a local holding a queryset, or at a
    model's ``objects``?"""
    if isinstance(node, ast.Attribute) and node.attr == "objects":
        return True
    if isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        inner = node.func if isinstance(node, ast.Call) else node.value
        return _queryset_expression(inner, querysets)
    return isinstance(node, ast.Name) and (node.id in ("self", "cls") or node.id in querysets)


def _method_effect(
    method: ast.FunctionDef | ast.AsyncFunctionDef,
    functions: Mapping[str, str],
    own: frozenset[str],
) -> tuple[str, set[str]]:
    """What one method writes by itself; else ``READS`` where each of its calls is a
    query, a builtin or one of its class's methods (returned, to be settled), and
    ``UNKNOWN`` where some call is none of these."""
    querysets: set[str] = set()
    callees: set[str] = set()
    unknown = False
    for node in walk_body(method):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and _queryset_expression(node.value, querysets)
        ):
            querysets.add(node.targets[0].id)
        if not isinstance(node, ast.Call):
            continue
        found = write_evidence(node)
        if found is not None and found.mutating:
            return found.detail, set()
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in functions:
                return f"{func.id}() {functions[func.id]}", set()
            unknown = unknown or not _pure_builtin(func.id)
            continue
        if not isinstance(func, ast.Attribute):
            unknown = True
            continue
        on_queryset = _queryset_expression(func.value, querysets)
        if func.attr in _QUERYSET_WRITES and on_queryset:
            return f"{dotted(func) or func.attr}() {_QUERYSET_WRITES[func.attr]}", set()
        if (
            isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
            and func.attr in own
        ):
            callees.add(func.attr)
        elif not (func.attr in QUERY_READS and on_queryset):
            unknown = True
    return (UNKNOWN if unknown else READS), callees


def _pure_builtin(name: str) -> bool:
    return name in _PURE_BUILTINS and hasattr(builtins, name)


# -- a view's calls -----------------------------------------------------------------------


@dataclass(frozen=True)
class MethodCall:
    """A call of a view on a project model, manager or queryset method."""

    #: the model the receiver belongs to (qualified)
    model: str
    #: what the method writes, else ``READS`` or ``UNKNOWN``
    writes: str

    @property
    def is_write(self) -> bool:
        return self.writes not in (READS, UNKNOWN)


def method_call(
    models: ProjectModels,
    names: ModuleNames,
    scope: object,
    call: ast.Call,
    typed: Mapping[str, str],
    request: str | None,
) -> MethodCall | None:
    """The project method ``call`` runs, where its receiver's class is proven."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    receiver = _receiver(models, names, scope, func.value, typed, request)
    if receiver is None:
        return None
    cls, model = receiver
    found = models.method(cls, func.attr)
    if found is None:
        return None
    return MethodCall(model, found)


def _receiver(
    models: ProjectModels,
    names: ModuleNames,
    scope: object,
    node: ast.expr,
    typed: Mapping[str, str],
    request: str | None,
) -> tuple[str, str] | None:
    """(the class whose methods the expression has, the model it belongs to)."""
    if isinstance(node, ast.Name):
        kind = typed.get(node.id)
        if kind is not None and kind.rstrip("?") in models.methods:
            return kind.rstrip("?"), kind.rstrip("?")
        resolved = names.resolve(node, scope)  # type: ignore[arg-type]
        if resolved is not None and resolved in models.methods:
            return resolved, resolved  # a classmethod or staticmethod of a model
        return None
    if isinstance(node, ast.Attribute):
        if node.attr == "objects":
            model = names.resolve(node.value, scope)  # type: ignore[arg-type]
            manager = models.managers.get(model or "")
            return (manager, model) if manager is not None and model is not None else None
        owner = node.value
        if (
            request is not None
            and isinstance(owner, ast.Attribute)
            and owner.attr == "user"
            and dotted(owner.value) == request
            and node.attr in models.user_relations
        ):
            model = models.user_relations[node.attr]
            manager = models.managers.get(model)
            return (manager, model) if manager is not None else None
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        inner = _receiver(models, names, scope, node.func.value, typed, request)
        if inner is None or not models.is_queryset(inner[0]):
            return None
        method = node.func.attr
        if method in _CHAINED or models.method(inner[0], method) == READS:
            # A query that answers the same queryset class (a project method that reads is
            # taken to: ``unread()`` returning ``self.filter(...)``).
            return inner
    return None


#: Names of the standard library's builtins that read: calling them changes nothing.
_PURE_BUILTINS = frozenset(
    {
        "len", "str", "int", "float", "bool", "dict", "list", "tuple", "set", "sorted",
        "min", "max", "sum", "any", "all", "isinstance", "range", "enumerate", "zip",
        "round", "abs", "repr", "format", "reversed", "frozenset",
    }
)  # fmt: skip
#: Django functions and classes that answer a request or read: calling them writes nothing.
_DJANGO_READS = (
    "django.http.",
    "django.shortcuts.render",
    "django.shortcuts.redirect",
    "django.shortcuts.get_object_or_404",
    "django.shortcuts.get_list_or_404",
    "django.shortcuts.resolve_url",
    "django.template.loader.render_to_string",
    "django.urls.reverse",
    "django.utils.translation.",
)


def only_reads(
    models: ProjectModels,
    names: ModuleNames,
    scope: object,
    calls: Sequence[ast.Call],
    typed: Mapping[str, str],
    request: str | None,
) -> bool:
    """Is every one of ``calls`` proven to change nothing, and one of them a project
    method that reads (what makes the handler's reading known rather than assumed)?"""
    read_method = False
    for call in calls:
        found = method_call(models, names, scope, call, typed, request)
        if found is not None:
            if found.writes != READS:
                return False
            read_method = True
            continue
        if not _known_read(models, names, scope, call, typed, request):
            return False
    return read_method


def _known_read(
    models: ProjectModels,
    names: ModuleNames,
    scope: object,
    call: ast.Call,
    typed: Mapping[str, str],
    request: str | None,
) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        resolved = names.resolve(func, scope)  # type: ignore[arg-type]
        if resolved is None:
            return _pure_builtin(func.id)
        return resolved.startswith(_DJANGO_READS)
    if not isinstance(func, ast.Attribute):
        return False
    resolved = names.resolve(func, scope)  # type: ignore[arg-type]
    if resolved is not None and resolved.startswith(_DJANGO_READS):
        return True
    spelled = dotted(func.value)
    if request is not None and spelled in (f"{request}.POST", f"{request}.GET"):
        return func.attr in ("get", "getlist")
    if func.attr not in QUERY_READS:
        return False
    # ``Model.objects.get(...)``, ``Model.objects.filter(...).count()``.
    node: ast.expr = func.value
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr not in QUERY_READS:
            return False
        node = node.func.value
    return isinstance(node, ast.Attribute) and node.attr == "objects"
