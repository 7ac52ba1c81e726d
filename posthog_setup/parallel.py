"""Spreading independent per-file work over the machine's cores."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import multiprocessing.context
    from concurrent.futures import ProcessPoolExecutor

Item = TypeVar("Item")
Result = TypeVar("Result")

#: The smallest chunk weighs ``1 / (workers * _PER_WORKER)`` of the whole (see
#: ``balanced_chunks``): small enough that the workers finish together, large enough that
#: handing chunks out costs little.
_PER_WORKER = 24


def pool_context() -> multiprocessing.context.BaseContext:
    """Fork where the platform has it (workers start in milliseconds), else the default."""
    # Imported here: a run whose files are all cached starts no pool and never loads them.
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])


def workers() -> int:
    return os.cpu_count() or 1


#: A worker collects its youngest garbage every this many allocations (the default is 700):
#: an analysis allocates ast nodes by the hundred thousand, nearly all freed by reference
#: counting, and a worker lives for one run.
_WORKER_GC_THRESHOLD = 100_000


def _start_worker(initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    gc.set_threshold(_WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])
    if initializer is not None:
        initializer(*initargs)


@contextlib.contextmanager
def worker_pool(
    count: int, initializer: Callable[..., object] | None = None, initargs: tuple[Any, ...] = ()
) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``count`` worker processes, each running ``initializer(*initargs)`` first.

    The parent's objects are frozen while the pool runs: a forked worker's collector then
    never walks what it inherited, which would copy every page of it.
    """
    from concurrent.futures import ProcessPoolExecutor

    gc.freeze()
    try:
        with ProcessPoolExecutor(
            max_workers=count,
            mp_context=pool_context(),
            initializer=_start_worker,
            initargs=(initializer, initargs),
        ) as pool:
            yield pool
    finally:
        gc.unfreeze()


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
    with worker_pool(count) as pool:
        return list(pool.map(function, items, chunksize=chunksize))


def balanced_chunks(
    items: Sequence[Item], weights: Sequence[int], workers: int
) -> list[list[Item]]:
    """``items`` in chunks for workers that each take the next chunk when done with theirs,
    heaviest first (by ``weights``, a cost estimate such as the size of a file).

    Each chunk weighs about a quarter of what is left per worker (guided scheduling), and at
    least ``1 / (workers * _PER_WORKER)`` of the whole: early chunks are few heavy items,
    the last ones a little each, so no worker is left with a long chunk while the others
    wait. Items of equal weight keep their order.
    """
    order = sorted(range(len(items)), key=lambda i: -weights[i])
    left = sum(max(w, 0) for w in weights)
    least = left / (workers * _PER_WORKER)
    chunks: list[list[Item]] = []
    chunk: list[Item] = []
    taken = 0
    goal = max(left / (4 * workers), least)
    for index in order:
        chunk.append(items[index])
        weight = max(weights[index], 0)
        taken += weight
        left -= weight
        if taken >= goal:
            chunks.append(chunk)
            chunk, taken = [], 0
            goal = max(left / (4 * workers), least)
    if chunk:
        chunks.append(chunk)
    return chunks
