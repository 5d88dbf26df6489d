"""Spread work over the machine's cores with forked processes.

Children are forked after the task is set, so they inherit it (and everything it refers to:
configuration, index, templates) without pickling; only the items and results cross pipes.
Results come back in input order, so output never depends on scheduling.
"""

from __future__ import annotations

import gc
import multiprocessing
from typing import Callable, Iterator, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

THRESHOLD = 1000  # below this many items, starting processes costs more than it saves
_task: Callable | None = None


def fork_map(task: Callable[[Item], Result], items: list[Item], workers: int,
             progress=lambda results: results) -> list[Result]:
    return list(fork_imap(task, items, workers, progress))


def fork_imap(task: Callable[[Item], Result], items: list[Item], workers: int,
              progress=lambda results: results) -> Iterator[Result]:
    """Results one by one, in input order, as the workers finish them."""
    if workers < 2 or len(items) < THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        yield from (task(item) for item in progress(items))
        return
    global _task
    _task = task
    gc.freeze()  # objects that exist now are never touched by a child's collector: pages stay shared
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            chunk = max(1, min(64, len(items) // (workers * 8)))
            yield from progress(pool.imap(_run, items, chunksize=chunk))
    finally:
        _task = None
        gc.unfreeze()


def _run(item):
    return _task(item)
