"""The real-project check: run posthog-setup on real repositories and prove their apps still work.

Like ruff-ecosystem for Ruff. For each project of ``corpus.toml``, on a fresh git copy at its
commit: import its app and run its own tests; run ``posthog-setup .``; run it again (it must
change nothing); parse every edited file; import and test again with ``POSTHOG_HOST`` pointed
at our mock host; then read what the host received and compare the plan with our hand labels.

    python benchmarks/corpus.py --clones DIR [--only NAME ...] [--json FILE] [--compare OLD.json]

``DIR/<owner>+<name>/repo`` is a bare or normal git directory of each repository; where one is
missing the row says so and gives the ``git clone`` URL and commit. See ``corpus/README.md``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomlkit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from posthog_setup.mockhost import MockPostHogHost  # noqa: E402
from posthog_setup.mockhost.store import RecordedEvent  # noqa: E402
from posthog_setup.verify.inserted import added_lines, broken_routes  # noqa: E402

CORPUS_TOML = HERE / "corpus.toml"
LABELS_DIR = HERE / "corpus" / "labels"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / (
    "posthog-setup-corpus"
)
TEST_TOKEN = "phc_corpus_check_token"
TOOL_TIMEOUT = 600.0
INSTALL_TIMEOUT = 1200.0
IMPORT_TIMEOUT = 300.0
TEST_TIMEOUT = 900.0
OUTPUT_TAIL = 4000
#: Events the workflow writes for people rather than for routes.
IDENTITY_EVENTS = {"user_logged_in": "login", "user_signed_up": "signup"}


# -- what the corpus says ---------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """One project of ``corpus.toml``."""

    name: str
    repo: str
    commit: str
    subdir: str = "."
    framework: str = ""
    python: str = "3.11"
    install: tuple[str, ...] = ()
    install_files: tuple[str, ...] = ()
    import_cmd: str = ""
    test_cmd: str = ""
    test_timeout: float = TEST_TIMEOUT
    env: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""

    @property
    def clone_name(self) -> str:
        return self.repo.replace("/", "+")


@dataclass(frozen=True)
class RouteLabel:
    """A route handler of a labelled project, as a careful person reads it."""

    file: str
    handler: str
    methods: tuple[str, ...] = ()
    mutating: bool = False
    auth: str = ""
    login_required: bool = False
    event: str = ""


@dataclass(frozen=True)
class Labels:
    routes: tuple[RouteLabel, ...]
    auth: tuple[str, ...]  # kinds of login / signup / logout without a project handler
    error_handlers: tuple[tuple[str, str, bool], ...]  # file, handler, should capture


def _load_toml(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        return tomllib.loads(text)
    return dict(tomlkit.parse(text).unwrap())  # pragma: no cover


def load_projects(path: Path = CORPUS_TOML) -> list[Project]:
    """The projects described in ``path``, in file order."""
    projects = []
    for table in _load_toml(path).get("project", []):
        projects.append(
            Project(
                name=table["name"],
                repo=table["repo"],
                commit=table["commit"],
                subdir=table.get("subdir", "."),
                framework=table.get("framework", ""),
                python=str(table.get("python", "3.11")),
                install=tuple(table.get("install", ())),
                install_files=tuple(table.get("install_files", ())),
                import_cmd=table.get("import", ""),
                test_cmd=table.get("test", ""),
                test_timeout=float(table.get("test_timeout", TEST_TIMEOUT)),
                env={str(k): str(v) for k, v in table.get("env", {}).items()},
                notes=table.get("notes", ""),
            )
        )
    return projects


def load_labels(name: str, folder: Path = LABELS_DIR) -> Labels | None:
    """The hand labels of project ``name``, or None when it has none."""
    path = folder / f"{name}.toml"
    if not path.is_file():
        return None
    data = _load_toml(path)
    routes = tuple(
        RouteLabel(
            file=r["file"],
            handler=r["handler"],
            methods=tuple(m.upper() for m in r.get("methods", ())),
            mutating=bool(r.get("mutating", False)),
            auth=r.get("auth", ""),
            login_required=bool(r.get("login_required", False)),
            event=r.get("event", ""),
        )
        for r in data.get("route", [])
    )
    auth = tuple(a["kind"] for a in data.get("auth", []))
    errors = tuple(
        (e["file"], e["handler"], bool(e.get("capture", False)))
        for e in data.get("error_handler", [])
    )
    return Labels(routes, auth, errors)


# -- running commands -------------------------------------------------------------------------


@dataclass
class Step:
    """One command's outcome: exit code (None when it timed out or could not start)."""

    command: str
    exit: int | None
    seconds: float
    output: str = ""
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.exit == 0


def run_step(
    command: str | Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
) -> Step:
    """Run ``command`` (a shell string, or argv) with a timeout that kills its whole group."""
    argv = ["bash", "-c", command] if isinstance(command, str) else list(command)
    shown = command if isinstance(command, str) else shlex.join(command)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return Step(shown, None, 0.0, f"could not start: {exc}")
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        timed_out = True
    seconds = time.monotonic() - start
    text = out.decode("utf-8", "replace")
    return Step(shown, None if timed_out else proc.returncode, seconds, text, timed_out)


_PYTEST = re.compile(
    r"^=*\s*(?P<body>\d+ (?:passed|failed|errors?|skipped|warnings?|deselected|x?passed|xfailed)"
    r"(?:, \d+ \w+)*)\s+in [\d.]+s",
    re.MULTILINE,
)
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in ", re.MULTILINE)
_UNITTEST_FAILED = re.compile(r"^FAILED \((?P<body>[^)]*)\)", re.MULTILINE)


def parse_test_counts(output: str) -> tuple[int, int] | None:
    """(passed, failed) read from pytest's or unittest's summary, or None when neither is there.

    Errors count as failures; skips count as neither.
    """
    matches = list(_PYTEST.finditer(output))
    if matches:
        counts = dict.fromkeys(("passed", "failed", "error", "errors"), 0)
        for number, word in re.findall(r"(\d+) (passed|failed|errors?)", matches[-1]["body"]):
            counts[word] += int(number)
        return counts["passed"], counts["failed"] + counts["error"] + counts["errors"]
    ran = _UNITTEST_RAN.findall(output)
    if ran:
        total = int(ran[-1])
        failed = 0
        bodies = _UNITTEST_FAILED.findall(output)
        if bodies:
            for number in re.findall(r"(?:failures|errors)=(\d+)", bodies[-1]):
                failed += int(number)
        skipped = re.findall(r"skipped=(\d+)", output.rsplit("Ran ", 1)[-1])
        return total - failed - sum(int(s) for s in skipped[-1:]), failed
    return None


# -- interpreters and virtualenvs -------------------------------------------------------------


def find_python(version: str) -> Path | None:
    """A Python whose version starts with ``version``: pyenv's newest first, then PATH."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        found = sorted(
            (p for p in pyenv.iterdir() if p.name == version or p.name.startswith(version + ".")),
            key=lambda p: tuple(int(x) for x in re.findall(r"\d+", p.name)),
        )
        for folder in reversed(found):
            python = folder / "bin" / "python"
            if python.exists():
                return python
    on_path = shutil.which(f"python{version}")
    return Path(on_path) if on_path else None


def venv_key(project: Project, python: Path, repo_root: Path) -> str:
    """What the virtualenv depends on: interpreter, install commands and dependency files."""
    digest = hashlib.sha256()
    digest.update(str(python.resolve()).encode())
    digest.update("\0".join(project.install).encode())
    for name in sorted(project.install_files):
        path = repo_root / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()[:16]


def ensure_venv(project: Project, repo_root: Path, cache: Path, log: list[Step]) -> Path | None:
    """The project's cached virtualenv, built (and the official SDK added) when missing."""
    python = find_python(project.python)
    if python is None:
        log.append(Step(f"find Python {project.python}", None, 0.0, "no such interpreter"))
        return None
    venv = cache / "venvs" / f"{project.name}-{venv_key(project, python, repo_root)}"
    if (venv / ".complete").is_file():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    made = run_step([str(python), "-m", "venv", str(venv)], repo_root, os.environ, 300)
    log.append(made)
    if not made.ok:
        return None
    workdir = repo_root / project.subdir
    env = venv_env(venv, project)
    for command in ("python -m pip install -q --upgrade pip", *project.install):
        step = run_step(command, workdir, env, INSTALL_TIMEOUT)
        log.append(step)
        if not step.ok:
            return None
    sdk = run_step("python -m pip install -q 'posthog>=7.66'", workdir, env, INSTALL_TIMEOUT)
    log.append(sdk)
    if not sdk.ok:
        return None
    (venv / ".complete").write_text("ok\n")
    return venv


def venv_env(venv: Path | None, project: Project, extra: Mapping[str, str] = {}) -> dict[str, str]:
    """The environment a project's commands run in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("POSTHOG_", "PYTHON", "VIRTUAL_ENV", "DJANGO_SETTINGS"))
    }
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.update(project.env)
    env.update(extra)
    return env


# -- the working copy -------------------------------------------------------------------------


def _git(cwd: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=corpus", "-c", "user.email=corpus@localhost", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def fresh_copy(clone: Path, commit: str, dest: Path) -> None:
    """A new git repository at ``dest`` holding the tree of ``commit``, committed once."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tempfile.TemporaryFile() as archive:
        subprocess.run(
            ["git", f"--git-dir={git_dir(clone)}", "archive", "--format=tar", commit],
            stdout=archive,
            check=True,
        )
        archive.seek(0)
        with tarfile.open(fileobj=archive) as tar:
            if hasattr(tarfile, "tar_filter"):
                tar.extractall(dest, filter="tar")
            else:  # pragma: no cover - Pythons without extraction filters
                tar.extractall(dest)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "--no-verify", "-m", f"corpus: {commit}")


def git_dir(clone: Path) -> Path:
    """The git directory of a bare or a normal clone."""
    return clone / ".git" if (clone / ".git").exists() else clone


def reset_tree(repo: Path) -> None:
    """Back to the last commit: tracked changes undone, untracked files removed."""
    _git(repo, "checkout", "-q", "--", ".")
    _git(repo, "clean", "-fdxq")


def inserted_lines(repo: Path, base: str, head: str) -> dict[str, set[int]]:
    """Line numbers (in ``head``) of the lines added between two commits, per file."""
    return added_lines(_git(repo, "diff", "-U0", "--no-color", base, head))


# -- reading the plan and the events ----------------------------------------------------------


@dataclass(frozen=True)
class PlannedEvent:
    event: str
    kind: str
    file: str  # relative to the project's subdir
    handler: str
    methods: tuple[str, ...]
    distinct_id: str | None
    properties: int
    #: the project's own code sent it before the run (the plan lists it, the run did not add it)
    existing: bool = False


def mark_existing(plan: Sequence[PlannedEvent], before: Callable[[str], str]) -> list[PlannedEvent]:
    """``plan`` with each capture whose name its file held as a string before the run marked.

    ``before(file)`` is a file's text as the project's authors left it ("" if it had none).
    """
    texts: dict[str, str] = {}
    marked = []
    for event in plan:
        if event.kind == "capture":
            text = texts.setdefault(event.file, before(event.file))
            quoted = (f'"{event.event}"', f"'{event.event}'")
            event = dataclasses.replace(event, existing=any(q in text for q in quoted))
        marked.append(event)
    return marked


def read_plan(workdir: Path) -> tuple[list[PlannedEvent], Path | None]:
    """The plan written by the run, with files made relative to ``workdir``."""
    for folder in (workdir, *workdir.parents):
        path = folder / "posthog-events.json"
        if path.is_file():
            break
        if (folder / ".git").exists():
            return [], None
    else:
        return [], None
    data = json.loads(path.read_text(encoding="utf-8"))
    events = []
    for entry in data.get("events", []):
        absolute = path.parent / entry.get("file", "")
        try:
            relative = absolute.relative_to(workdir).as_posix()
        except ValueError:
            relative = entry.get("file", "")
        events.append(
            PlannedEvent(
                event=entry.get("event", ""),
                kind=entry.get("kind", "capture"),
                file=relative,
                handler=entry.get("handler", ""),
                methods=tuple(entry.get("methods") or ()),
                distinct_id=entry.get("distinct_id"),
                properties=len(entry.get("properties") or ()),
            )
        )
    return events, path


def broken_frames(
    events: Iterable[RecordedEvent], repo: Path, inserted: Mapping[str, set[int]]
) -> list[str]:
    """``file:line exception`` for each ``$exception`` raised through a line the tool inserted."""
    return [entry.split(" (", 1)[0] for entry in broken_routes(events, repo, inserted)]


def _handler_matches(planned: str, labelled: str) -> bool:
    return (
        planned == labelled
        or planned.startswith(labelled + ".")
        or labelled.startswith(planned + ".")
    )


def matches(event: PlannedEvent, label: RouteLabel) -> bool:
    """Whether a planned event is about the labelled route."""
    if event.file != label.file or not _handler_matches(event.handler, label.handler):
        return False
    return not label.methods or not event.methods or bool(set(label.methods) & set(event.methods))


@dataclass
class LabelScore:
    labelled_writes: int = 0
    captured_writes: int = 0
    planned_captures: int = 0
    true_captures: int = 0
    unlabelled_captures: int = 0
    identify_expected: int = 0
    identify_planned: int = 0
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.captured_writes / self.labelled_writes if self.labelled_writes else None

    @property
    def precision(self) -> float | None:
        return self.true_captures / self.planned_captures if self.planned_captures else None

    @property
    def identify(self) -> float | None:
        return self.identify_planned / self.identify_expected if self.identify_expected else None


def score_labels(plan: Sequence[PlannedEvent], labels: Labels) -> LabelScore:
    """Capture recall and precision, and identify coverage, of a plan against hand labels."""
    score = LabelScore()
    captures = [e for e in plan if e.kind == "capture"]
    writes = [r for r in labels.routes if r.mutating and r.auth not in ("login", "signup")]
    for route in writes:
        score.labelled_writes += 1
        if any(matches(e, route) for e in plan if e.kind in ("capture", "logout")):
            score.captured_writes += 1
        else:
            score.missed.append(f"{route.file}:{route.handler}")
    for event in captures:
        if event.existing:
            continue  # the project's own: not the run's to be right or wrong about
        score.planned_captures += 1
        hits = [r for r in labels.routes if matches(event, r)]
        if any(r.mutating for r in hits):
            score.true_captures += 1
        elif not hits:
            score.unlabelled_captures += 1
            score.wrong.append(f"{event.event} ({event.file}:{event.handler}, unlabelled)")
        else:
            score.wrong.append(f"{event.event} ({event.file}:{event.handler})")
    identities = [e for e in plan if e.kind in ("login", "signup")]
    for route in labels.routes:
        if route.auth in ("login", "signup"):
            score.identify_expected += 1
            if any(e.kind == route.auth and matches(e, route) for e in identities):
                score.identify_planned += 1
            else:
                score.missed.append(f"{route.auth} {route.file}:{route.handler}")
    for kind in labels.auth:
        if kind in ("login", "signup"):
            score.identify_expected += 1
            if any(e.kind == kind for e in identities):
                score.identify_planned += 1
            else:
                score.missed.append(f"{kind} (without a handler)")
    return score


@dataclass
class EventScore:
    planned: int = 0
    seen: int = 0
    received: int = 0
    anonymous: int = 0
    get_writes: int = 0
    exceptions: int = 0
    #: ``$exception`` events of exceptions that answer 4xx (a 404, a failed validation)
    client_errors: int = 0
    email: int = 0
    with_properties: int = 0
    seen_names: list[str] = field(default_factory=list)


#: Exception classes whose job is a 4xx answer, by class name, across the frameworks: not
#: server errors, so an ``$exception`` of one is a false alarm.
CLIENT_ERRORS = frozenset(
    {
        # Django, DRF, django-ninja
        "Http404", "PermissionDenied", "SuspiciousOperation", "BadRequest", "DoesNotExist",
        "ValidationError", "NotAuthenticated", "AuthenticationFailed", "NotFound",
        "ParseError", "MethodNotAllowed", "NotAcceptable", "UnsupportedMediaType", "Throttled",
        "AuthenticationError",
        # Werkzeug / Flask
        "Unauthorized", "Forbidden", "Conflict", "Gone", "UnprocessableEntity",
        "TooManyRequests", "RequestEntityTooLarge",
        # Starlette / FastAPI, Litestar, aiohttp
        "RequestValidationError", "NotFoundException", "ValidationException",
        "NotAuthorizedException", "PermissionDeniedException", "ClientException",
        "HTTPNotFound", "HTTPForbidden", "HTTPUnauthorized", "HTTPBadRequest",
    }
)  # fmt: skip
#: Words that name no thing a product team would recognise.
FILLER_WORDS = frozenset(
    {"item", "items", "index", "generate", "auth", "data", "object", "thing", "stuff",
     "resource", "entity", "handler", "endpoint", "view", "api", "action", "route", "obj",
     "list"}
)  # fmt: skip


def client_error(event: RecordedEvent) -> bool:
    """Is this ``$exception`` event one of an exception whose job is a 4xx answer?"""
    exceptions = event.properties.get("$exception_list") or []
    first = exceptions[0] if exceptions and isinstance(exceptions[0], dict) else {}
    kind = str(first.get("type") or "")
    return kind.rsplit(".", 1)[-1] in CLIENT_ERRORS


def poor_name(event: str) -> str | None:
    """Why an event name would not be kept (a filler word, a word said twice), else None."""
    words = [w for w in event.split("_") if w]
    noun = words[:-1]  # the verb is said last (``post_created``)
    if noun and all(w in FILLER_WORDS for w in noun):
        # ``item_created``; a model's own word (``data_extraction``) names a thing.
        return f"{event} (filler: {', '.join(sorted(set(noun)))})"
    doubled = sorted({w for w in words if words.count(w) > 1})
    if doubled:
        return f"{event} (repeats: {', '.join(doubled)})"
    return None


def score_events(plan: Sequence[PlannedEvent], events: Sequence[RecordedEvent]) -> EventScore:
    """What arrived at the mock host during the tests, judged against the plan."""
    names = {e.event for e in plan}
    by_name: dict[str, list[PlannedEvent]] = {}
    for entry in plan:
        by_name.setdefault(entry.event, []).append(entry)
    score = EventScore(planned=len(names), received=len(events))
    seen = {e.event for e in events} & names
    score.seen = len(seen)
    score.seen_names = sorted(seen)
    for event in events:
        props = event.properties
        if event.event == "$exception":
            score.exceptions += 1
            score.client_errors += client_error(event)
        if "email" in props or "$email" in props:
            score.email += 1
        if event.event not in names:
            continue
        own = [k for k in props if not k.startswith("$")]
        score.with_properties += bool(own)
        if props.get("$process_person_profile") is False and event.event != "user_logged_out":
            score.anonymous += 1
        method = props.get("$request_method")
        planned = by_name[event.event]
        if (
            method == "GET"
            and all(p.kind == "capture" for p in planned)
            and not any("GET" in p.methods for p in planned)
        ):
            score.get_writes += 1
    return score


# -- one project ------------------------------------------------------------------------------


@dataclass
class Row:
    """One project's results: one row of the table, one object of the JSON."""

    name: str
    status: str = "ok"
    exit: int | None = None
    seconds: float | None = None
    idempotent: bool | None = None
    parse_errors: list[str] = field(default_factory=list)
    changed_files: int = 0
    import_before: bool | None = None
    import_after: bool | None = None
    tests_before: tuple[int, int] | None = None
    tests_after: tuple[int, int] | None = None
    planned: int = 0
    seen: int = 0
    received: int = 0
    anonymous: int = 0
    get_writes: int = 0
    exceptions: int = 0
    client_errors: int = 0
    email: int = 0
    broken: list[str] = field(default_factory=list)
    #: planned capture names built from a filler word or repeating one
    poor_names: list[str] = field(default_factory=list)
    with_properties: float | None = None
    recall: float | None = None
    precision: float | None = None
    identify: float | None = None
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    tool_tail: str = ""
    log: list[dict[str, Any]] = field(default_factory=list)


def _tail(text: str, limit: int = OUTPUT_TAIL) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]


def _record(row: Row, step: Step) -> Step:
    row.log.append(
        {
            "command": step.command,
            "exit": step.exit,
            "seconds": round(step.seconds, 1),
            "timed_out": step.timed_out,
            "output": _tail(step.output, 1500),
        }
    )
    return step


def check_project(
    project: Project,
    clones: Path,
    work: Path,
    cache: Path,
    labels_dir: Path = LABELS_DIR,
    tool: Sequence[str] = (sys.executable, "-m", "posthog_setup"),
    use_venv: bool = True,
) -> Row:
    """Run every step on one project; a failing step is recorded and the run goes on."""
    row = Row(project.name)
    clone = clones / project.clone_name / "repo"
    if not clone.exists():
        row.status = (
            f"missing clone: git clone https://github.com/{project.repo} {clone}"
            f" && git -C {clone} checkout {project.commit}"
        )
        return row
    repo = work / project.name
    try:
        fresh_copy(clone, project.commit, repo)
    except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
        row.status = f"copy failed: {exc}"
        return row
    workdir = repo / project.subdir
    # Without a virtualenv of its own, the project runs in the interpreter running this check.
    venv: Path | None = Path(sys.prefix)
    if use_venv:
        steps: list[Step] = []
        venv = ensure_venv(project, repo, cache, steps)
        for step in steps:
            _record(row, step)
        if venv is None:
            row.status = "install failed"
            return row
        reset_tree(repo)

    def in_env(command: str, timeout: float, extra: Mapping[str, str] = {}) -> Step:
        return _record(row, run_step(command, workdir, venv_env(venv, project, extra), timeout))

    # Before: the project as its authors left it.
    if project.import_cmd:
        row.import_before = in_env(project.import_cmd, IMPORT_TIMEOUT).ok
    if project.test_cmd:
        step = in_env(project.test_cmd, project.test_timeout)
        row.tests_before = parse_test_counts(step.output)
    reset_tree(repo)
    base = _git(repo, "rev-parse", "HEAD").strip()

    # The tool, twice.
    first = in_env(shlex.join([*tool, "."]), TOOL_TIMEOUT)
    row.exit, row.seconds = first.exit, round(first.seconds, 2)
    row.tool_tail = _tail(first.output, 2500)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", "posthog-setup")
    head = _git(repo, "rev-parse", "HEAD").strip()
    changed = [f for f in _git(repo, "diff", "--name-only", base, head).splitlines() if f.strip()]
    row.changed_files = len([f for f in changed if not f.endswith("posthog-setup-report.md")])
    in_env(shlex.join([*tool, "."]), TOOL_TIMEOUT)
    _git(repo, "add", "-A")
    row.idempotent = _git(repo, "diff", "--cached", "--name-only", head).strip() == ""
    _git(repo, "reset", "-q", "--hard", head)
    reset_tree(repo)

    # Every edited Python file parses, by the project's own interpreter.
    python_files = [f for f in changed if f.endswith(".py")]
    if python_files:
        check = run_step(
            [
                str(venv / "bin" / "python") if use_venv and venv else sys.executable,
                "-c",
                "import ast, sys\n"
                "for f in sys.argv[1:]:\n"
                "    try: ast.parse(open(f, 'rb').read(), f)\n"
                "    except SyntaxError as e: print(f'{f}:{e.lineno}: {e.msg}')\n",
                *python_files,
            ],
            repo,
            os.environ,
            120,
        )
        row.parse_errors = [line for line in check.output.splitlines() if line.strip()]

    # After: the edited project against the mock host.
    plan, _ = read_plan(workdir)
    inserted = inserted_lines(repo, base, head)
    with MockPostHogHost() as host:
        extra = {
            "POSTHOG_HOST": host.url,
            "POSTHOG_PROJECT_TOKEN": TEST_TOKEN,
            "POSTHOG_API_KEY": TEST_TOKEN,
        }
        extra.update(_plan_variables(workdir, host.url))
        if project.import_cmd:
            row.import_after = in_env(project.import_cmd, IMPORT_TIMEOUT, extra).ok
        host.clear()
        if project.test_cmd:
            step = in_env(project.test_cmd, project.test_timeout, extra)
            row.tests_after = parse_test_counts(step.output)
        time.sleep(0.5)
        events = host.events()
    reset_tree(repo)

    seen = score_events(plan, events)
    row.planned, row.seen, row.received = seen.planned, seen.seen, seen.received
    row.anonymous, row.get_writes = seen.anonymous, seen.get_writes
    row.exceptions, row.email = seen.exceptions, seen.email
    row.client_errors = seen.client_errors
    row.broken = broken_frames(events, repo, inserted)
    prefix = "" if project.subdir in ("", ".") else project.subdir.rstrip("/") + "/"
    plan = mark_existing(
        plan, lambda file: _git(repo, "show", f"{base}:{prefix}{file}", check=False)
    )
    captures = [e for e in plan if e.kind == "capture" and not e.existing]
    row.poor_names = sorted({p for p in map(poor_name, (e.event for e in captures)) if p})
    if captures:
        row.with_properties = round(sum(e.properties > 0 for e in captures) / len(captures), 2)
    labels = load_labels(project.name, labels_dir)
    if labels is not None:
        score = score_labels(plan, labels)
        row.recall, row.precision, row.identify = score.recall, score.precision, score.identify
        row.missed, row.wrong = score.missed, score.wrong
    return row


def _plan_variables(workdir: Path, host_url: str) -> dict[str, str]:
    """The token and host variables the plan says the client module reads."""
    _, path = read_plan(workdir)
    if path is None:
        return {}
    setup = json.loads(path.read_text(encoding="utf-8")).get("setup", {})
    found = {}
    if setup.get("token_var"):
        found[setup["token_var"]] = TEST_TOKEN
    if setup.get("host_var"):
        found[setup["host_var"]] = host_url
    return found


# -- the table --------------------------------------------------------------------------------


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _yes(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def _tests(value: tuple[int, int] | None) -> str:
    return "-" if value is None else f"{value[0]}/{value[0] + value[1]}"


COLUMNS = (
    "project",
    "exit",
    "s",
    "idem",
    "import b/a",
    "tests b/a",
    "events seen/planned",
    "broken",
    "GET writes",
    "anon",
    "email",
    "4xx exc",
    "names",
    "props",
    "recall",
    "precision",
    "identify",
)


def table_row(row: Row) -> list[str]:
    if row.status != "ok":
        return [row.name, row.status, *["-"] * (len(COLUMNS) - 2)]
    return [
        row.name,
        "-" if row.exit is None else str(row.exit),
        "-" if row.seconds is None else f"{row.seconds:.1f}",
        _yes(row.idempotent)
        + (f" ({len(row.parse_errors)} unparsable)" if row.parse_errors else ""),
        f"{_yes(row.import_before)}/{_yes(row.import_after)}",
        f"{_tests(row.tests_before)} -> {_tests(row.tests_after)}",
        f"{row.seen}/{row.planned}",
        str(len(row.broken)),
        str(row.get_writes),
        str(row.anonymous),
        str(row.email),
        str(row.client_errors),
        str(len(row.poor_names)),
        _ratio(row.with_properties),
        _ratio(row.recall),
        _ratio(row.precision),
        _ratio(row.identify),
    ]


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(table_row(row)) + " |" for row in rows]
    return "\n".join(lines)


def details(rows: Sequence[Row]) -> str:
    """What went wrong, project by project: broken routes, missed and wrong captures."""
    out = []
    for row in rows:
        parts = []
        if row.broken:
            parts.append("broken: " + "; ".join(row.broken))
        if row.parse_errors:
            parts.append("unparsable: " + "; ".join(row.parse_errors))
        if row.missed:
            parts.append("missed: " + ", ".join(row.missed))
        if row.wrong:
            parts.append("not a write: " + ", ".join(row.wrong))
        if row.poor_names:
            parts.append("poor names: " + ", ".join(row.poor_names))
        if parts:
            out.append(f"- **{row.name}**\n  - " + "\n  - ".join(parts))
    return "\n".join(out)


_COMPARED = (
    "status",
    "exit",
    "idempotent",
    "import_after",
    "tests_after",
    "seen",
    "broken",
    "get_writes",
    "anonymous",
    "email",
    "client_errors",
    "poor_names",
    "with_properties",
    "recall",
    "precision",
    "identify",
)


def compare(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> str:
    """What changed between two runs, project by project, like ruff-ecosystem's report."""
    before = {row["name"]: row for row in old}
    lines = []
    for row in new:
        previous = before.get(row["name"])
        if previous is None:
            lines.append(f"- {row['name']}: new")
            continue
        changes = []
        for key in _COMPARED:
            if key not in previous:
                continue  # a column the earlier run did not have
            a, b = _comparable(key, previous.get(key)), _comparable(key, row.get(key))
            if a != b:
                changes.append(f"{key} {a} -> {b}")
        for key in ("missed", "wrong", "broken"):
            gone = sorted(set(previous.get(key) or ()) - set(row.get(key) or ()))
            came = sorted(set(row.get(key) or ()) - set(previous.get(key) or ()))
            if gone:
                changes.append(f"{key} fixed: {', '.join(gone)}")
            if came:
                changes.append(f"{key} new: {', '.join(came)}")
        lines.append(f"- {row['name']}: " + ("; ".join(changes) if changes else "unchanged"))
    return "\n".join(lines)


def _comparable(key: str, value: Any) -> Any:
    """Lists of findings compare by count (their items are listed apart); pairs as pairs."""
    if key in ("broken", "poor_names"):
        return len(value or ())
    if isinstance(value, list):
        return tuple(value)
    return value


def row_json(row: Row) -> dict[str, Any]:
    return asdict(row)


# -- the command ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clones", type=Path, required=True, help="DIR/<owner>+<name>/repo")
    parser.add_argument("--only", nargs="*", default=(), help="project names to run")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--compare", type=Path, help="an earlier --json file to compare with")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="virtualenv cache")
    parser.add_argument("--work", type=Path, help="where the working copies go (kept)")
    parser.add_argument("--jobs", type=int, default=2, help="projects run at once")
    parser.add_argument("--corpus", type=Path, default=CORPUS_TOML)
    args = parser.parse_args(argv)

    projects = load_projects(args.corpus)
    if args.only:
        unknown = set(args.only) - {p.name for p in projects}
        if unknown:
            parser.error(f"unknown project(s): {', '.join(sorted(unknown))}")
        projects = [p for p in projects if p.name in args.only]
    work = args.work or Path(tempfile.mkdtemp(prefix="posthog-setup-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    clones = args.clones.resolve()
    started = time.monotonic()
    rows: dict[str, Row] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {
            pool.submit(check_project, p, clones, work, args.cache.resolve()): p for p in projects
        }
        for future in concurrent.futures.as_completed(futures):
            project = futures[future]
            try:
                row = future.result()
            except Exception as exc:  # one project must never stop the run
                row = Row(project.name, status=f"harness error: {type(exc).__name__}: {exc}")
            rows[project.name] = row
            print(f"{project.name}: done ({row.status})", file=sys.stderr, flush=True)
    ordered = [rows[p.name] for p in projects]
    print(markdown_table(ordered))
    print()
    print(details(ordered))
    print(f"\n{len(ordered)} projects in {time.monotonic() - started:.0f} s; copies in {work}")
    results = [row_json(row) for row in ordered]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.compare:
        old = json.loads(args.compare.read_text(encoding="utf-8"))
        print("\n## Compared with", args.compare)
        print(compare(old, results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
