import multiprocessing
import os
import time

import pytest

from generator import parallel
from generator.parallel import WorkerFailed, fork_imap, fork_map

CALLER = os.getpid()


@pytest.fixture(autouse=True)
def always_fork(monkeypatch):
    monkeypatch.setattr(parallel, "THRESHOLD", 1)


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def uneven(n: int) -> tuple[int, int]:
    if n % 7 == 0:
        time.sleep(0.002)  # some items take longer, so chunks finish out of order
    return n, n * n


@pytest.mark.parametrize("workers", [2, 3])
def test_results_come_back_in_input_order_as_a_serial_run_gives_them(workers):
    items = list(range(500))
    assert fork_map(uneven, items, workers) == [uneven(n) for n in items]
    assert no_children_left()


def test_progress_sees_every_result_once():
    seen = []

    def progress(results):
        for result in results:
            seen.append(result)
            yield result

    assert fork_map(str, list(range(300)), 2, progress) == [str(n) for n in range(300)]
    assert seen == [str(n) for n in range(300)]


def test_an_error_in_a_child_reaches_the_caller_and_no_process_is_left():
    child_started = multiprocessing.get_context("fork").Event()

    def fails_in_a_child(n: int) -> int:
        if os.getpid() != CALLER:
            child_started.set()
            raise ValueError(f"item {n} is bad")
        child_started.wait(10)  # the caller must not finish every chunk before a child claims one
        return n

    with pytest.raises(ValueError, match="is bad"):
        fork_map(fails_in_a_child, list(range(2000)), 2)
    assert no_children_left()


def test_a_child_that_dies_is_reported_instead_of_waited_for():
    child_started = multiprocessing.get_context("fork").Event()

    def dies_in_a_child(n: int) -> int:
        if os.getpid() != CALLER:
            child_started.set()
            os._exit(9)
        child_started.wait(10)
        return n

    with pytest.raises(WorkerFailed):
        fork_map(dies_in_a_child, list(range(2000)), 2)
    assert no_children_left()


def test_stopping_early_stops_the_children():
    results = fork_imap(uneven, list(range(5000)), 3)
    assert next(results) == (0, 0)
    results.close()
    assert no_children_left()


def test_an_error_in_the_caller_stops_the_children():
    caller_started = multiprocessing.get_context("fork").Event()

    def fails_in_the_caller(n: int) -> int:
        if os.getpid() == CALLER:
            caller_started.set()
            raise KeyError(n)
        caller_started.wait(10)  # a child must not finish every chunk before the caller claims one
        return n

    with pytest.raises(KeyError):
        fork_map(fails_in_the_caller, list(range(3000)), 2)
    assert no_children_left()


@pytest.mark.parametrize("count", [5, 500])
def test_the_callers_own_work_runs_once_in_the_caller(count, monkeypatch):
    monkeypatch.setattr(parallel, "THRESHOLD", 100)  # 5 items: no children; 500: forked
    ran = []
    assert fork_map(str, list(range(count)), 2, meanwhile=lambda: ran.append(os.getpid())) == [str(n) for n in range(count)]
    assert ran == [CALLER]


def test_the_children_keep_working_while_the_caller_does_its_own():
    """The caller's own work (templates compiled while the children read) may outlast what a pipe holds:
    the children's results are taken in meanwhile, so no child waits for the caller to finish."""
    made = multiprocessing.get_context("fork").Value("i", 0)
    item_bytes = 10_000
    enough = 8 * parallel.PIPE_BYTES // item_bytes  # items whose results fill eight pipes

    def big(n: int) -> bytes:
        if os.getpid() != CALLER:
            with made.get_lock():
                made.value += 1
        return bytes(item_bytes)

    seen = []

    def wait_for_the_children() -> None:
        deadline = time.monotonic() + 10
        while made.value < enough and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(made.value)

    assert len(fork_map(big, list(range(4 * enough)), 2, meanwhile=wait_for_the_children)) == 4 * enough
    assert seen[0] >= enough
    assert no_children_left()
