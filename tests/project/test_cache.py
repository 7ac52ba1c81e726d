"""The content-hash cache: unchanged files are not parsed again; changed ones are."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from posthog_setup.analysis import engine
from posthog_setup.project.cache import ResultCache, cache_home
from tests.analysers import analyse_project

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "flask_blog"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "blog_project"
    shutil.copytree(FIXTURE, root)
    return root


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    original = engine.analyse_text

    def counting(file: str, text: str, *args: object, **kwargs: object) -> engine.FileResult:
        parsed.append(file)
        return original(file, text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "analyse_text", counting)
    return parsed


def test_a_second_run_parses_nothing_and_gives_the_same_analysis(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = analyse_project(project)
    parsed = _count_parses(monkeypatch)
    second = analyse_project(project)
    assert parsed == []
    assert second == first


def test_only_a_changed_file_is_parsed_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    analyse_project(project)
    views = project / "blog" / "posts.py"
    views.write_text(views.read_text() + "\n# touched\n")
    parsed = _count_parses(monkeypatch)
    again = analyse_project(project)
    assert parsed == ["blog/posts.py"]
    assert again == analyse_project(project, use_cache=False)


def test_a_new_route_in_a_changed_file_is_seen(project: Path) -> None:
    before = analyse_project(project)
    views = project / "blog" / "posts.py"
    views.write_text(
        views.read_text()
        + '\n\n@bp.route("/tags", methods=["POST"])\ndef create_tag():\n'
        + "    db.session.commit()\n    return {}\n"
    )
    after = analyse_project(project)
    added = {(r.path, r.methods) for r in after.routes} - {
        (r.path, r.methods) for r in before.routes
    }
    assert added == {("/posts/tags", ("POST",))}


def test_the_cache_lives_outside_the_project(project: Path) -> None:
    listing = sorted(p.relative_to(project) for p in project.rglob("*"))
    analyse_project(project)
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == listing
    assert list(cache_home().rglob("analysis-*.pickle"))


def test_a_corrupt_cache_is_ignored(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = analyse_project(project)
    for path in cache_home().rglob("analysis-*.pickle"):
        path.write_bytes(b"not a pickle")
    parsed = _count_parses(monkeypatch)
    assert analyse_project(project) == expected
    assert "blog/posts.py" in parsed


def test_without_the_cache_nothing_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTHOG_SETUP_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "p"
    shutil.copytree(FIXTURE, root)
    analyse_project(root, use_cache=False)
    assert not (tmp_path / "cache").exists()


def test_entries_are_salted(tmp_path: Path) -> None:
    one = ResultCache.open(tmp_path, "analysis", salt="a")
    other = ResultCache.open(tmp_path, "analysis", salt="b")
    assert one.path != other.path
    one.put("x", (1, 2))
    one.save()
    assert ResultCache.open(tmp_path, "analysis", salt="a").get("x") == (1, 2)
    assert ResultCache.open(tmp_path, "analysis", salt="b").get("x") is None


def test_an_unused_entry_is_dropped_on_save(tmp_path: Path) -> None:
    cache = ResultCache.open(tmp_path, "edits")
    cache.put("old", 1)
    cache.save()
    again = ResultCache.open(tmp_path, "edits")
    again.put("new", 2)
    again.save()
    assert ResultCache.open(tmp_path, "edits").get("old") is None


def test_the_cache_key_names_the_exact_python_and_libcst(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.machinery
    import importlib.util
    import sys

    from posthog_setup.project import cache

    here = cache._parser_versions()
    assert str(sys.version_info[:3]) in here
    # Another libcst (it parses what the running ast cannot) is another key.
    other = tmp_path / "libcst"
    other.mkdir()
    (other / "_version.py").write_text("__version__ = '0.0.1'\n")
    spec = importlib.machinery.ModuleSpec("libcst", None, origin=str(other / "__init__.py"))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    assert cache._parser_versions() != here


def test_models_modules_are_read_into_classes_once_until_one_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from posthog_setup.frameworks.django import analysis as django_analysis
    from posthog_setup.frameworks.django import model_methods

    root = tmp_path / "shop"
    shutil.copytree(FIXTURE.parent / "django_shop", root)
    first = analyse_project(root)
    read: list[list[str]] = []
    original = model_methods.read_models

    def counting(
        texts: Mapping[str, str], modules: Mapping[str, tuple[str, bool]]
    ) -> model_methods.ProjectModels:
        read.append(sorted(texts))
        return original(texts, modules)

    monkeypatch.setattr(django_analysis, "read_models", counting)
    assert analyse_project(root) == first
    assert read == []
    models = next(p for p in sorted(root.rglob("models.py")))
    models.write_text(models.read_text() + "\n# touched\n")
    again = analyse_project(root)
    assert read
    assert models.relative_to(root).as_posix() in read[0]
    assert again == analyse_project(root, use_cache=False)


def _rename_route(views: Path, mtime_ns: int) -> None:
    """``/new`` becomes ``/add``: the same size, the given modification time."""
    text = views.read_text()
    views.write_text(text.replace('@bp.route("/new"', '@bp.route("/add"'))
    assert views.stat().st_size == len(text.encode())
    os.utime(views, ns=(mtime_ns, mtime_ns))


def test_a_settled_file_with_its_time_and_size_is_not_read_again(project: Path) -> None:
    """A file last changed well before the run that stored it is known by its time and size:
    the next run neither reads nor hashes it (here shown by a change that kept both)."""
    views = project / "blog" / "posts.py"
    settled = views.stat().st_mtime_ns - 10_000_000_000
    os.utime(views, ns=(settled, settled))
    before = analyse_project(project)
    _rename_route(views, settled)
    assert analyse_project(project) == before


def test_a_file_changed_just_before_a_run_is_hashed_again(project: Path) -> None:
    """Written within the two seconds before the run that read it, a file could change again
    within the same clock tick of a coarse file system: its time and size are not trusted."""
    views = project / "blog" / "posts.py"
    fresh = time.time_ns()
    os.utime(views, ns=(fresh, fresh))
    before = analyse_project(project)
    _rename_route(views, fresh)
    after = analyse_project(project)
    assert {r.path for r in after.routes} - {r.path for r in before.routes} == {"/posts/add"}
