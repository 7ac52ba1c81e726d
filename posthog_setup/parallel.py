"""Spreading independent per-file work over the machine's cores."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import multiprocessing.context

Item = TypeVar("Item")
Result = TypeVar("Result")


def pool_context() -> multiprocessing.context.BaseContext:
    """Fork where the platform has it (workers start in milliseconds), else the default."""
    # Imported here: a run whose files are all cached starts no pool and never loads them.
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])


def workers() -> int:
    return os.cpu_count() or 1


def process_map(
    function: Callable[[Item], Result], items: Sequence[Item], *, min_items: int
) -> list[Result]:
    """``[function(i) for i in items]``, in worker processes when there are enough items.

    Below ``min_items`` (or on one core) the pool would cost more than it saves.
    ``function`` must be a module-level function; results come back in order.
    """
    count = workers()
    if count <= 1 or len(items) < min_items:
        return [function(item) for item in items]
    chunksize = max(1, len(items) // (count * 4))
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=count, mp_context=pool_context()) as pool:
        return list(pool.map(function, items, chunksize=chunksize))
