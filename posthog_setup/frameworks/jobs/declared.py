"""Entry points the project's own configuration names.

- Lambda handlers, where the deployment names them: ``serverless.yml`` (``functions: <name>:
  handler: path/module.function``), an AWS SAM or CloudFormation ``template.yaml``
  (``Handler: module.function`` in the folder ``CodeUri`` names), and a Dockerfile built on
  an AWS Lambda Python image (``CMD ["module.function"]``, the module where ``COPY`` puts it
  under the task root).
- Console scripts: ``[project.scripts]`` and ``[tool.poetry.scripts]`` in pyproject.toml,
  ``console_scripts`` in setup.cfg's ``[options.entry_points]`` or in a literal
  ``entry_points={...}`` of setup.py (``name = "pkg.module:function"``).

Each is resolved to a Python file of the project and a function name; one that names no
file of the project (another runtime, a path built from variables) is left out. A file
that cannot be read as its format says is skipped whole.
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
import shlex
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from posthog_setup.project.manifests import parse_toml
from posthog_setup.project.syntax import parse_python
from posthog_setup.project.yaml_lines import mapping_at, read_yaml_mappings, string_at

_SERVERLESS = frozenset({"serverless.yml", "serverless.yaml"})
_TEMPLATES = frozenset({"template.yaml", "template.yml"})
_MANIFESTS = frozenset({"pyproject.toml", "setup.cfg", "setup.py"})
#: What Lambda's Python runtime imports: ``module.function``, the module a dotted name or a
#: path (``src/handlers/orders.create``).
_HANDLER = re.compile(r"(?P<module>[\w-]+(?:[./][\w-]+)*)\.(?P<function>[A-Za-z_]\w*)")
#: A console script's object reference: ``pkg.module:function``, extras after it allowed.
_SCRIPT = re.compile(
    r"\s*(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*:\s*(?P<function>[A-Za-z_]\w*)"
    r"\s*(?:\[[^\]]*\])?\s*"
)
_FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
#: Base images whose runtime calls the handler ``CMD`` names.
_LAMBDA_IMAGES = ("public.ecr.aws/lambda/python", "amazon/aws-lambda-python")
#: Where the Lambda runtime looks for the handler's module inside an image.
_TASK_ROOTS = ("${LAMBDA_TASK_ROOT}", "$LAMBDA_TASK_ROOT", "/var/task")


def _is_dockerfile(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered == "dockerfile"
        or lowered.startswith("dockerfile.")
        or lowered.endswith(".dockerfile")
    )


def reads_entry_config(file: str) -> bool:
    """Is ``file`` (relative, posix) one of the configuration files read here? Never one
    in a hidden folder (``.aws-sam/build/``: build output, a copy of the project)."""
    parts = file.split("/")
    if any(part.startswith(".") for part in parts[:-1]):
        return False
    name = parts[-1]
    return name in _SERVERLESS or name in _TEMPLATES or name in _MANIFESTS or _is_dockerfile(name)


@dataclass(frozen=True)
class DeclaredEntries:
    """Entry points named in configuration, each a (file, function) pair."""

    #: functions a deployment runs as Lambda handlers
    lambdas: frozenset[tuple[str, str]] = frozenset()
    #: functions run as console scripts
    scripts: frozenset[tuple[str, str]] = frozenset()
    #: the folders whose Lambda handlers a deployment names (each naming one: its own, and
    #: those of the files it names): there, a function with a handler's signature that no
    #: deployment names is no handler
    deployed: frozenset[str] = frozenset()
    #: (handler file, the folder its runtime puts first on ``sys.path``): a SAM function's
    #: ``CodeUri``, the folder of a serverless.yml in a sub-folder
    code_roots: frozenset[tuple[str, str]] = frozenset()
    #: every function named, for the analyser's text test
    names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = frozenset(name for _, name in self.lambdas | self.scripts)
        object.__setattr__(self, "names", names)

    def names_handlers_of(self, file: str) -> bool:
        """Does a deployment name the Lambda handlers of ``file``'s folder?"""
        return any(not folder or file.startswith(folder + "/") for folder in self.deployed)

    def code_root_of(self, file: str) -> str:
        """The folder the runtime imports ``file``'s handler module from ("" for the root)."""
        return next((root for where, root in self.code_roots if where == file), "")

    def lambdas_in(self, file: str) -> frozenset[str]:
        """The functions of ``file`` a deployment names as Lambda handlers."""
        return frozenset(name for where, name in self.lambdas if where == file)

    def scripts_in(self, file: str) -> frozenset[str]:
        """The functions of ``file`` that are console scripts."""
        return frozenset(name for where, name in self.scripts if where == file)


NO_DECLARED_ENTRIES = DeclaredEntries()


def declared_entries(texts: Mapping[str, str], python_files: Iterable[str]) -> DeclaredEntries:
    """The entry points the configuration files ``texts`` (relative path -> text) name,
    resolved against the project's ``python_files``."""
    files = frozenset(python_files)
    lambdas: set[tuple[str, str]] = set()
    scripts: set[tuple[str, str]] = set()
    deployed: set[str] = set()
    roots: set[tuple[str, str]] = set()
    for path in sorted(texts):
        if not reads_entry_config(path):
            continue
        text = texts[path]
        folder = posixpath.dirname(path)
        name = posixpath.basename(path)
        if name in _SERVERLESS:
            found = _serverless_handlers(text)
        elif name in _TEMPLATES:
            found = _template_handlers(text)
        elif _is_dockerfile(name):
            found = _dockerfile_handlers(text)
        else:
            for module, function in _console_scripts(name, text):
                file = _script_file(folder, module, files)
                if file is not None:
                    scripts.add((file, function))
            continue
        for bases, handler in found:
            file = _handler_file(folder, bases, handler.module, files)
            if file is not None:
                lambdas.add((file, handler.function))
                deployed.update((folder, posixpath.dirname(file)))
                stem = file.removesuffix(".py").removesuffix("/__init__")
                if stem == handler.module or stem.endswith("/" + handler.module):
                    roots.add((file, stem[: -len(handler.module)].rstrip("/")))
    return DeclaredEntries(
        frozenset(lambdas), frozenset(scripts), frozenset(deployed), frozenset(roots)
    )


@dataclass(frozen=True)
class _Handler:
    """``module.function`` of a Lambda handler, the module as a path (``handlers/orders``)."""

    module: str
    function: str

    @classmethod
    def parse(cls, text: str | None) -> _Handler | None:
        match = _HANDLER.fullmatch(text.strip().removeprefix("./")) if text else None
        if match is None:
            return None
        module = match.group("module").replace(".", "/")
        if any(part in ("", "..") for part in module.split("/")):
            return None
        return cls(module, match.group("function"))


#: Where a handler's module may be, relative to its configuration's folder: folders, or
#: (folder, module path) pairs for files copied to a module path of their own.
_Bases = tuple[str | tuple[str, str], ...]


def _is_python(runtime: str | None) -> bool:
    """A runtime that may be Python: none said, one built from variables, or ``python3.x``."""
    return runtime is None or runtime.startswith(("python", "${"))


def _serverless_handlers(text: str) -> Iterator[tuple[_Bases, _Handler]]:
    """``functions: <name>: handler: ...`` of serverless.yml, where the runtime is Python;
    a function's ``module`` (packaged on its own) is the folder its handler is under."""
    data = read_yaml_mappings(text)
    default_runtime = string_at(data, "provider", "runtime")
    for spec in mapping_at(data, "functions").values():
        if not isinstance(spec, dict):
            continue
        handler = _Handler.parse(string_at(spec, "handler"))
        if handler is None or not _is_python(string_at(spec, "runtime") or default_runtime):
            continue
        yield (string_at(spec, "module") or "",), handler


def _template_handlers(text: str) -> Iterator[tuple[_Bases, _Handler]]:
    """Each Python function resource of a SAM or CloudFormation template, under the folder
    its ``CodeUri`` (or ``Code``) names, else the template's own."""
    data = read_yaml_mappings(text)
    defaults = mapping_at(data, "Globals", "Function")
    for resource in mapping_at(data, "Resources").values():
        if not isinstance(resource, dict) or string_at(resource, "Type") not in _FUNCTION_TYPES:
            continue
        properties = mapping_at(resource, "Properties")
        if string_at(properties, "PackageType") == "Image":
            continue  # the image's CMD names the handler: see the Dockerfile
        runtime = string_at(properties, "Runtime") or string_at(defaults, "Runtime")
        handler = _Handler.parse(string_at(properties, "Handler") or string_at(defaults, "Handler"))
        if handler is None or not _is_python(runtime):
            continue
        key = "CodeUri" if "CodeUri" in properties else "Code"
        code = properties[key] if key in properties else defaults.get("CodeUri", "")
        # A bucket, an inline ZipFile, a tag: no folder of the project.
        if not isinstance(code, str) or "://" in code:
            continue
        yield (code,), handler


def _dockerfile_lines(text: str) -> Iterator[tuple[str, str]]:
    """Each instruction of a Dockerfile with its arguments, continuation lines joined."""
    pending = ""
    for raw in text.removeprefix("\ufeff").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comments inside a continued instruction are dropped by Docker too
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        instruction, _, arguments = (pending + line).strip().partition(" ")
        pending = ""
        yield instruction.upper(), arguments.strip()
    if pending:
        instruction, _, arguments = pending.strip().partition(" ")
        yield instruction.upper(), arguments.strip()


def _arguments(text: str) -> list[str] | None:
    """The words of an instruction: its JSON (exec) form, else its shell form."""
    if text.startswith("["):
        try:
            words = json.loads(text)
        except ValueError:
            return None
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            return words
        return None
    try:
        return shlex.split(text, comments=False)
    except ValueError:
        return None


def _under_task_root(destination: str, workdir: str) -> str | None:
    """Where under the Lambda task root ``destination`` is (``""`` for the root itself);
    None when it is elsewhere. A relative destination is under the working directory."""
    if not destination.startswith(("/", "$")):
        destination = posixpath.normpath(posixpath.join(workdir, destination))
    for root in _TASK_ROOTS:
        if destination == root or destination.startswith(root + "/"):
            return destination[len(root) :].strip("/")
    return None


@dataclass
class _Stage:
    """One ``FROM`` of a Dockerfile: does the Lambda runtime run it, what it copies where."""

    name: str
    is_lambda: bool
    #: where relative paths go: a Lambda image's is its task root
    workdir: str = "/"
    command: str | None = None
    copied: list[str | tuple[str, str]] = field(default_factory=list)


def _copied(arguments: list[str], workdir: str) -> Iterator[str | tuple[str, str]]:
    """What ``COPY`` / ``ADD`` puts under the task root: each folder copied into the module
    path it lands at (``"folder"``, or the pair of a folder and a sub-path), each ``.py``
    file as the pair of its path and its module path there."""
    if any(word.startswith("--from") for word in arguments):
        return  # from another stage or image: no file of the project
    words = [word for word in arguments if not word.startswith("--")]
    if len(words) < 2:
        return
    *sources, destination = words
    place = _under_task_root(destination, workdir)
    if place is None:
        return
    into_folder = destination.endswith("/") or len(sources) > 1 or place == ""
    for source in sources:
        source = source.removeprefix("./").rstrip("/") or "."
        if source.endswith(".py") and "*" not in source:
            stem = posixpath.basename(source)[: -len(".py")]
            module = posixpath.join(place, stem) if into_folder else place.removesuffix(".py")
            yield (source, module)
        else:
            folder = posixpath.dirname(source) if "*" in source else source
            yield (folder or ".", place) if place else (folder or ".")


def _dockerfile_handlers(text: str) -> Iterator[tuple[_Bases, _Handler]]:
    """The handler ``CMD`` names in each stage built on an AWS Lambda Python image (or run by
    the runtime interface client, ``awslambdaric``), with where its ``COPY`` puts code."""
    stages: list[_Stage] = []
    for instruction, arguments in _dockerfile_lines(text):
        if instruction == "FROM":
            named = [w for w in arguments.split() if not w.startswith("--")]
            if not named:
                continue
            image = named[0]
            name = named[2] if len(named) >= 3 and named[1].lower() == "as" else ""
            parent = next((s for s in reversed(stages) if s.name and s.name == image), None)
            is_lambda = image.lower().startswith(_LAMBDA_IMAGES)
            stage = _Stage(name, is_lambda, "/var/task" if is_lambda else "/")
            if parent is not None:
                stage.is_lambda = parent.is_lambda
                stage.workdir = parent.workdir
                stage.command = parent.command
                stage.copied = list(parent.copied)
            stages.append(stage)
            continue
        if not stages:
            continue
        stage = stages[-1]
        if instruction == "ENTRYPOINT" and "awslambdaric" in arguments:
            stage.is_lambda = True
        elif instruction == "CMD":
            words = _arguments(arguments)
            stage.command = words[0] if words else None
        elif instruction == "WORKDIR" and arguments:
            stage.workdir = posixpath.normpath(posixpath.join(stage.workdir, arguments.strip('"')))
        elif instruction in ("COPY", "ADD"):
            words = _arguments(arguments)
            stage.copied += list(_copied(words or [], stage.workdir))
    for stage in stages:
        handler = _Handler.parse(stage.command) if stage.is_lambda else None
        if handler is not None:
            yield (*stage.copied, ""), handler


def _handler_file(folder: str, bases: _Bases, module: str, files: frozenset[str]) -> str | None:
    """The project file of a handler's module: the first of ``bases`` (relative to the
    configuration's ``folder``) that holds it."""
    for base in bases:
        candidates: list[str] = []
        if isinstance(base, tuple):
            source, place = base
            if source.endswith(".py"):
                candidates = [source] if place == module else []
            elif module == place or module.startswith(place + "/"):
                rest = module[len(place) :].strip("/")
                candidates = [posixpath.join(source, rest)] if rest else []
        else:
            candidates = [posixpath.join(base, module)]
        for candidate in candidates:
            path = posixpath.normpath(posixpath.join(folder, candidate))
            found = _module_file(path, files)
            if found is not None:
                return found
    return None


def _module_file(path: str, files: frozenset[str]) -> str | None:
    """``path.py`` or ``path/__init__.py`` (``path.py`` itself where it says so), if the
    project has it."""
    if path.startswith("../") or path == "..":
        return None
    path = path.removeprefix("./")
    options = [path] if path.endswith(".py") else [f"{path}.py", f"{path}/__init__.py"]
    return next((option for option in options if option in files), None)


def _console_scripts(name: str, text: str) -> Iterator[tuple[str, str]]:
    """(module, function) of each console script a manifest declares."""
    if name == "pyproject.toml":
        references = _pyproject_scripts(text)
    elif name == "setup.cfg":
        references = _setup_cfg_scripts(text)
    else:
        references = _setup_py_scripts(text)
    for reference in references:
        match = _SCRIPT.fullmatch(reference)
        if match is not None:
            yield match.group("module"), match.group("function")


def _pyproject_scripts(text: str) -> list[str]:
    """``[project.scripts]``, and ``[tool.poetry.scripts]`` (a reference, or a table with
    its ``callable`` or console ``reference``)."""
    try:
        data = parse_toml(text)
    except Exception:
        # tomlkit raises its own errors and, on some malformed input, others.
        return []
    found: list[str] = []
    project = data.get("project")
    scripts = project.get("scripts") if isinstance(project, dict) else None
    if isinstance(scripts, dict):
        found += [v for v in scripts.values() if isinstance(v, str)]
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    scripts = poetry.get("scripts") if isinstance(poetry, dict) else None
    for value in scripts.values() if isinstance(scripts, dict) else ():
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict) and value.get("type", "console") == "console":
            reference = value.get("callable") or value.get("reference")
            if isinstance(reference, str):
                found.append(reference)
    return found


def _entry_point_lines(text: str) -> list[str]:
    """The references of ``name = reference`` lines."""
    return [line.partition("=")[2] for line in text.splitlines() if "=" in line]


def _setup_cfg_scripts(text: str) -> list[str]:
    """``console_scripts`` of ``[options.entry_points]``."""
    import configparser  # only for a setup.cfg

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        value = parser.get("options.entry_points", "console_scripts", fallback="")
    except configparser.Error:
        return []
    return _entry_point_lines(value)


def _setup_py_scripts(text: str) -> list[str]:
    """``console_scripts`` of ``setup(entry_points={...})`` where the dict is written out
    in the call: a list of ``"name = reference"`` strings, or one string of such lines."""
    try:
        with warnings.catch_warnings():
            # An odd escape in a string is the project's to fix, not ours to report.
            warnings.simplefilter("ignore")
            tree = parse_python(text, "setup.py")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
        if name != "setup":
            continue
        for keyword in node.keywords:
            if keyword.arg != "entry_points" or not isinstance(keyword.value, ast.Dict):
                continue
            for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                if not (isinstance(key, ast.Constant) and key.value == "console_scripts"):
                    continue
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found += _entry_point_lines(value.value)
                elif isinstance(value, (ast.List, ast.Tuple)):
                    found += [
                        item.value.partition("=")[2]
                        for item in value.elts
                        if isinstance(item, ast.Constant) and isinstance(item.value, str)
                    ]
    return found


def _script_file(folder: str, module: str, files: frozenset[str]) -> str | None:
    """The project file of a console script's module: beside the manifest, under its
    ``src/``, else the one file anywhere under the manifest's folder with that module path
    (a package in a folder of its own, ``package-dir``)."""
    path = module.replace(".", "/")
    for base in ("", "src"):
        found = _module_file(posixpath.join(folder, base, path), files)
        if found is not None:
            return found
    prefix = f"{folder}/" if folder else ""
    endings = (f"/{path}.py", f"/{path}/__init__.py")
    matches = [f for f in files if f.startswith(prefix) and ("/" + f).endswith(endings)]
    return matches[0] if len(matches) == 1 else None
