"""A run that plans no event says why, warns where an app's routes were not found, and
never says it verified events that do not exist."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.verify.report import REPORT_FILE

#: A Django app whose URLconf builds its patterns in a comprehension: no route is found.
DJANGO_FILES = {
    "requirements.txt": "django\n",
    "manage.py": (
        "import os\nimport sys\n\n\n"
        "def main():\n"
        '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notebook.settings")\n'
        "    from django.core.management import execute_from_command_line\n\n"
        "    execute_from_command_line(sys.argv)\n\n\n"
        'if __name__ == "__main__":\n'
        "    main()\n"
    ),
    "notebook/__init__.py": "",
    "notebook/settings.py": (
        'SECRET_KEY = "not-a-secret"\n'
        'ROOT_URLCONF = "notebook.urls"\n'
        'INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "notebook"]\n'
        "MIDDLEWARE = [\n"
        '    "django.contrib.sessions.middleware.SessionMiddleware",\n'
        '    "django.contrib.auth.middleware.AuthenticationMiddleware",\n'
        "]\n"
    ),
    "notebook/views.py": (
        "from django.http import JsonResponse\n\n\n"
        "def add_note(request):\n"
        '    request.session["notes"] = request.session.get("notes", 0) + 1\n'
        '    return JsonResponse({"ok": True}, status=201)\n'
    ),
    "notebook/urls.py": (
        "from django.urls import path\n\n"
        "from notebook import views\n\n"
        'PAGES = {"notes/add": views.add_note}\n\n'
        'urlpatterns = [path(f"{name}/", view) for name, view in PAGES.items()]\n'
    ),
}

FLASK_FILES = {
    "requirements.txt": "flask\n",
    "site_pages.py": (
        "from flask import Flask\n\n"
        "app = Flask(__name__)\n\n\n"
        '@app.get("/")\n'
        "def home():\n"
        '    return "home"\n\n\n'
        '@app.get("/about")\n'
        "def about():\n"
        '    return "about"\n'
    ),
}


def project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def bare_python(tmp_path: Path) -> Path:
    """An interpreter with neither the SDK nor the project's framework: the checks that
    run the project's code skip, and the run stays quick."""
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    return bare / "bin" / "python"


def summary_of(err: str) -> list[str]:
    return err[err.index("\nSummary\n") :].splitlines()[2:]


def test_a_django_app_with_no_route_found_warns_and_claims_no_verified_event(
    tmp_path: Path, bare_python: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "notebook", DJANGO_FILES)
    assert main(["--env", str(bare_python), str(root)]) == 0
    err = capsys.readouterr().err
    assert "Verified" not in err
    assert "Checked 0 events" not in err
    assert (
        "warning: no events to verify: no routes of the Django app were found, so no event "
        "is captured. Wrote posthog-setup-report.md."
    ) in err.splitlines()
    summary = summary_of(err)
    assert "  warning   no event is captured: no routes of the Django app were found" in summary
    verified = summary[
        summary.index("  warning   no event is captured: no routes of the Django app were found")
        + 1
    ]
    assert verified == "  verified  the edited files compile"
    assert not any("planned event" in line for line in summary)

    report = (root / REPORT_FILE).read_text(encoding="utf-8")
    assert "Verification: **passed**" not in report
    assert "**Verified**" not in report
    assert report.splitlines()[2].startswith(
        "**No events**: no routes of the Django app were found, so no event is captured; "
        "static checks, contract replay"
    )
    assert (
        "- **Warning**: no routes of the Django app were found, so no event is captured; "
        "`posthog-setup begin` lists what the analysis found"
    ) in report.splitlines()
    assert "- Verification: **no events to verify**; no check failed" in report.splitlines()
    assert (
        "No events are planned in `posthog-events.json`: no routes of the Django app were found."
    ) in report.splitlines()
    assert "find the events above" not in report

    assert main(["conclude", "--json", "--env", str(bare_python), str(root)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["nothing_planned"] == {
        "reason": "no routes of the Django app were found",
        "warning": True,
    }


def test_an_app_whose_routes_change_nothing_says_so_without_a_warning(
    tmp_path: Path, bare_python: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "pages", FLASK_FILES)
    assert main(["--env", str(bare_python), str(root)]) == 0
    err = capsys.readouterr().err
    assert "warning: no events" not in err
    assert "Verified" not in err
    assert (
        "No events to verify: the 2 routes found change no data, so no event is captured. "
        "Wrote posthog-setup-report.md."
    ) in err.splitlines()
    assert "  events    none captured: the 2 routes found change no data" in summary_of(err)
    report = (root / REPORT_FILE).read_text(encoding="utf-8")
    assert "**Warning**" not in report
    assert report.splitlines()[2].startswith(
        "**No events**: the 2 routes found change no data, so no event is captured; "
    )


#: A FastAPI app whose only POST route writes through a service the framework injects:
#: no write is seen behind it.
INJECTED_FILES = {
    "requirements.txt": "fastapi\n",
    "shop/__init__.py": "",
    "shop/ports.py": (
        "from abc import ABC, abstractmethod\n\n\n"
        "class Orders(ABC):\n"
        "    @abstractmethod\n"
        "    async def place(self, item: str) -> None: ...\n"
    ),
    "shop/main.py": (
        "from fastapi import Depends, FastAPI\n\n"
        "from shop.ports import Orders\n\n"
        "app = FastAPI()\n\n\n"
        "def orders() -> Orders:\n"
        "    raise NotImplementedError\n\n\n"
        '@app.get("/")\n'
        "async def home():\n"
        '    return {"ok": True}\n\n\n'
        '@app.post("/orders")\n'
        "async def place(item: str, service: Orders = Depends(orders)):\n"
        "    await service.place(item)\n"
        '    return {"ok": True}\n'
    ),
}


def test_routes_that_take_writes_with_none_seen_behind_them_warn(
    tmp_path: Path, bare_python: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "shop", INJECTED_FILES)
    assert main(["--env", str(bare_python), str(root)]) == 0
    err = capsys.readouterr().err
    reason = (
        "the one route found accepts POST, PUT, PATCH or DELETE, but no change of data was "
        "found behind it"
    )
    assert f"  warning   no event is captured: {reason}" in summary_of(err)
    assert "Verified" not in err
