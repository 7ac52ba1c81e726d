"""Records which tests failed, for unittest and Django's runner, as JSON instead of text.

``conclude --run-tests`` copies this file, alone, onto the ``PYTHONPATH`` of the project's
own interpreter (which need not have posthog-setup installed), so it imports nothing but
the standard library and, for Django's runner, Django. The ids are ``TestCase.id()``:
``package.module.Class.test_name``, once each, in the order the tests ran.

- unittest: ``python -m <this module> discover ...`` runs ``unittest.main`` with a result
  class that records failures and errors.
- Django: ``manage.py test --testrunner <this module>.DjangoRunner`` is Django's own
  ``DiscoverRunner`` with that result class mixed into the one it would use.

``{"failed": [...], "tests": [...], "passed": n}`` (the ids that failed or errored,
every id that ran, how many passed) is written to the file named by
``POSTHOG_SETUP_RESULTS`` when the run ends.
"""

from __future__ import annotations

import json
import os
import sys
import unittest
from typing import Any

RESULTS_VAR = "POSTHOG_SETUP_RESULTS"


class _Recorder:
    """The failed and errored test ids of a run, written out when it stops."""

    def __init__(self) -> None:
        self.ids: dict[str, None] = {}
        self.ran: dict[str, None] = {}
        self.passed = 0

    @staticmethod
    def _id(test: Any) -> str:
        test_id = getattr(test, "id", None)
        return test_id() if callable(test_id) else str(test)

    def add(self, test: Any) -> None:
        self.ids.setdefault(self._id(test))

    def start(self, test: Any) -> None:
        self.ran.setdefault(self._id(test))

    def write(self) -> None:
        path = os.environ.get(RESULTS_VAR)
        if path:
            data = {"failed": list(self.ids), "tests": list(self.ran), "passed": self.passed}
            with open(path, "w", encoding="utf-8") as stream:
                json.dump(data, stream)


_RECORDER = _Recorder()


class CollectingResult(unittest.TextTestResult):
    """A ``TextTestResult`` that also records what ran, passed, failed or errored."""

    def startTest(self, test: Any) -> None:
        _RECORDER.start(test)
        super().startTest(test)

    def addSuccess(self, test: Any) -> None:
        _RECORDER.passed += 1
        super().addSuccess(test)

    def addError(self, test: Any, err: Any) -> None:
        _RECORDER.add(test)
        super().addError(test, err)

    def addFailure(self, test: Any, err: Any) -> None:
        _RECORDER.add(test)
        super().addFailure(test, err)

    def addUnexpectedSuccess(self, test: Any) -> None:
        _RECORDER.add(test)
        super().addUnexpectedSuccess(test)

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        if err is not None:
            _RECORDER.add(test)
        super().addSubTest(test, subtest, err)

    def stopTestRun(self) -> None:
        super().stopTestRun()
        _RECORDER.write()


def _collecting(base: type[Any]) -> type[Any]:
    if issubclass(base, CollectingResult):
        return base
    return type(f"Collecting{base.__name__}", (CollectingResult, base), {})


try:
    from django.test.runner import DiscoverRunner
except ImportError:  # unittest alone: no Django runner to offer
    pass
else:

    class DjangoRunner(DiscoverRunner):  # type: ignore[misc]
        """Django's own runner, its result class recording failures too."""

        def get_resultclass(self) -> type[Any]:
            return _collecting(super().get_resultclass() or unittest.TextTestResult)


def main() -> None:
    """``python -m`` this module with unittest's arguments (``discover -s tests`` ...)."""
    runner = unittest.TextTestRunner(resultclass=CollectingResult)  # type: ignore[arg-type]
    unittest.main(module=None, argv=["python -m unittest", *sys.argv[1:]], testRunner=runner)


if __name__ == "__main__":
    main()
