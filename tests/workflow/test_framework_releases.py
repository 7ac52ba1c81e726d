"""Hooks the edit adds exist on the framework release the project declares.

Django's generic DeleteView deletes through ``form_valid`` from 4.0 and through
``delete()`` before: a ``form_valid`` added to a project on Django 3.2 would never run,
and its event would never be sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_setup.cli import main

VIEWS = """\
from django.urls import reverse_lazy
from django.views.generic import DeleteView

from shop.models import Order


class OrderDeleteView(DeleteView):
    model = Order
    success_url = reverse_lazy("orders")
"""

FILES = {
    "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_cfg.settings')\n",
    "site_cfg/__init__.py": "",
    "site_cfg/settings.py": 'INSTALLED_APPS = ["shop"]\nROOT_URLCONF = "site_cfg.urls"\n',
    "site_cfg/urls.py": (
        "from django.urls import path\n\nfrom shop.views import OrderDeleteView\n\n"
        'urlpatterns = [path("orders/<int:pk>/delete/", OrderDeleteView.as_view())]\n'
    ),
    "shop/__init__.py": "",
    "shop/models.py": (
        "from django.db import models\n\n\nclass Order(models.Model):\n"
        "    item = models.CharField(max_length=10)\n"
    ),
    "shop/views.py": VIEWS,
}


@pytest.mark.parametrize(
    ("requirement", "hook"),
    [
        ("Django>=3.2,<4.0", "def delete(self, *args, **kwargs):"),
        ("Django==3.2.25", "def delete(self, *args, **kwargs):"),
        ("Django>=4.2", "def form_valid(self, form):"),
        ("Django", "def form_valid(self, form):"),
    ],
)
def test_a_delete_views_hook_is_the_one_its_django_calls(
    tmp_path: Path, requirement: str, hook: str
) -> None:
    for name, text in {**FILES, "requirements.txt": f"{requirement}\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert main(["begin", str(tmp_path)]) == 0
    assert main(["edit", "--allow-dirty", str(tmp_path)]) == 0
    views = (tmp_path / "shop" / "views.py").read_text()
    assert hook in views
    assert views.count("    def ") == 1
    assert '"order_deleted"' in views
