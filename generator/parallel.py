"""Spread work over the machine's cores: the calling process and forked children share it.

Children are forked after the task is set, so they inherit it (and everything it refers to:
configuration, index, templates) without pickling; only their results cross pipes. The calling process
works too, on chunks it claims from the other end of the same list, so what it does itself never
crosses a pipe: with two cores, one child and the caller read 10,000 stories without pickling half of
them, where a pool of two children pickled all of them to a caller that sat waiting. Results come back
in input order, so output never depends on scheduling.
"""

from __future__ import annotations

import fcntl
import gc
import multiprocessing
import os
import pickle
import signal
import threading
from multiprocessing.connection import Connection, wait
from typing import Callable, Iterator, NoReturn, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

THRESHOLD = 1000  # below this many items, starting processes costs more than it saves
PIPE_BYTES = 1 << 20  # a child runs this far ahead of a caller busy with its own chunk (Linux's default limit)
_SET_PIPE_SIZE = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class WorkerFailed(Exception):
    """A child died without reporting (killed, out of memory)."""


def fork_map(task: Callable[[Item], Result], items: list[Item], workers: int,
             progress=lambda results: results, meanwhile: Callable[[], object] | None = None) -> list[Result]:
    return list(fork_imap(task, items, workers, progress, meanwhile))


def fork_imap(task: Callable[[Item], Result], items: list[Item], workers: int,
              progress=lambda results: results, meanwhile: Callable[[], object] | None = None) -> Iterator[Result]:
    """Results one by one, in input order, as the work reaches them. `meanwhile` runs in the calling
    process once the children have started (first, when there are none): work of its own that the
    children need not wait for."""
    if workers < 2 or len(items) < THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        if meanwhile is not None:
            meanwhile()
        yield from (task(item) for item in progress(items))
        return
    yield from progress(_shared(task, items, workers, meanwhile))


def _shared(task, items: list, workers: int, meanwhile) -> Iterator:
    size = max(1, min(64, len(items) // (workers * 8)))
    chunks = [range(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    # The chunks not yet taken: [first, end). Children take from the front, the caller from the back, so
    # the two ends of the list are done by different processes: what a task keeps for the next one
    # (the cards that listing pages share) is made in one process, not in both.
    left = multiprocessing.get_context("fork").Array("q", [0, len(chunks)])

    def claim(last: bool = False) -> int | None:
        """The first chunk not yet taken (the last one, for the caller); None when all are taken."""
        with left.get_lock():
            first, end = left[0], left[1]
            if first >= end:
                return None
            if last:
                left[1] = end - 1
                return end - 1
            left[0] = first + 1
            return first

    gc.freeze()  # objects that exist now are never touched by a child's collector: pages stay shared
    children: dict[Connection, int] = {}
    finished = False
    try:
        for _ in range(workers - 1):
            reader, writer = multiprocessing.Pipe(duplex=False)
            try:
                fcntl.fcntl(writer.fileno(), _SET_PIPE_SIZE, PIPE_BYTES)
            except OSError:
                pass  # a smaller pipe only makes the child wait sooner
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                reader.close()
                _child(task, items, chunks, claim, writer)
            writer.close()
            children[reader] = pid
        done: dict[int, list] = {}
        if meanwhile is not None:
            _while_receiving(meanwhile, children, done)
        for n in range(len(chunks)):
            while n not in done:
                _receive(children, done, block=False)
                if n in done:
                    break
                mine = claim(last=True)
                if mine is not None:
                    done[mine] = [task(items[i]) for i in chunks[mine]]
                else:  # everything is claimed: what is missing is a child's
                    _receive(children, done, block=True)
            yield from done.pop(n)
        finished = True
    finally:
        for reader, pid in children.items():
            reader.close()
            end_child(pid, stop=not finished)
        gc.unfreeze()


def _child(task, items: list, chunks: list[range], claim: Callable[[], int | None], writer: Connection) -> None:
    """Work on chunks until none is left and send each one's results."""

    def work() -> None:
        while (n := claim()) is not None:
            try:
                message = pickle.dumps((n, [task(items[i]) for i in chunks[n]]), pickle.HIGHEST_PROTOCOL)
            except BaseException as error:  # the caller raises it, as if its own chunk had
                writer.send_bytes(_failure(n, error))
                break
            writer.send_bytes(message)

    run_child(work)


def run_child(work: Callable[[], object]) -> NoReturn:
    """The whole life of a forked child: `work`, then exit without unwinding the caller's stack, whose
    `finally` blocks and exit handlers belong to the caller. Ctrl-C stops the child at once; the caller
    reports it."""
    status = 0
    try:
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        except ValueError:
            pass  # forked from a thread other than the main one: Python keeps the caller's handler
        work()
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _failure(n: int, error: BaseException) -> bytes:
    try:
        return pickle.dumps((n, error), pickle.HIGHEST_PROTOCOL)
    except Exception:
        return pickle.dumps((n, WorkerFailed(f"{type(error).__name__}: {error}")), pickle.HIGHEST_PROTOCOL)


def _receive(children: dict[Connection, int], done: dict[int, list], block: bool) -> None:
    """Take in whatever results the children have sent; with `block`, wait for at least one message.
    A child that has closed its pipe has no more to send."""
    if block and not children:
        raise WorkerFailed("a worker process stopped before finishing its share")
    for reader in wait(list(children), timeout=None if block else 0):
        try:
            message = reader.recv_bytes()
        except EOFError:
            _closed(children, reader)
            continue
        _take(message, done)


def _take(message: bytes, done: dict[int, list]) -> None:
    n, results = pickle.loads(message)
    if isinstance(results, BaseException):
        raise results
    done[n] = results


def _closed(children: dict[Connection, int], reader: Connection) -> None:
    reader.close()
    end_child(children.pop(reader), stop=False)


def _while_receiving(work: Callable[[], object], children: dict[Connection, int], done: dict[int, list]) -> None:
    """Run `work` while a thread takes in the children's messages: a child whose pipe is full waits, and
    the caller's work (compiling the templates while the children read) outlasts what a pipe holds."""
    messages: list[bytes] = []
    ended: list[Connection] = []
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            for reader in wait([r for r in children if r not in ended], timeout=0.02):
                try:
                    messages.append(reader.recv_bytes())
                except (EOFError, OSError):
                    ended.append(reader)

    thread = threading.Thread(target=drain, name="receive", daemon=True)
    thread.start()
    try:
        work()
    finally:
        stop.set()
        thread.join()
    for reader in ended:
        _closed(children, reader)
    for message in messages:
        _take(message, done)


def end_child(pid: int, stop: bool) -> None:
    """Reap a child; with `stop` (the caller failed or stopped early), kill it first."""
    try:
        if stop:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass
