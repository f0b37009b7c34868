"""Run small trainings on one PyTorch CPU thread.

A training step of a small network is a series of operations of a few microseconds each.
With two threads, PyTorch hands parts of them to an OpenMP worker, and when another
process keeps the second core busy each hand-off can wait for that worker to be scheduled.
Measured with ``train`` on two cores (1→64→64→1 MLP, 800 rows, Adam, 300 epochs): on an
otherwise idle machine two threads ran 2,800 epochs/s and one thread 2,500. Next to one
busy process, two threads fell to 650 epochs/s while one thread kept 2,050.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

# Work of one step, in rows times parameters, up to which training runs on one thread.
# Larger steps (for example 1→32→32→1 on 8192 rows, 9.4 million) ran 25 % faster on two.
SINGLE_THREAD_MAX_WORK = 2**23

_lock = threading.Lock()
_runs_inside = 0
_threads_outside = 1


@contextmanager
def single_thread_if_small(work: int) -> Iterator[None]:
    """Run the block with one PyTorch thread when ``work`` is at most SINGLE_THREAD_MAX_WORK.

    ``torch.set_num_threads`` sets the count of the calling thread and the count that
    threads started later begin with. The count in use when the first of any concurrent
    small runs began is restored when each run ends.

    NOTE: a thread started while a small run is in progress begins with one thread and
    keeps it until it calls ``torch.set_num_threads`` itself or ends a small run of its own.
    """
    global _runs_inside, _threads_outside
    if work > SINGLE_THREAD_MAX_WORK:
        yield
        return

    with _lock:
        if _runs_inside == 0:
            _threads_outside = torch.get_num_threads()
        _runs_inside += 1
        torch.set_num_threads(1)
    try:
        yield
    finally:
        with _lock:
            _runs_inside -= 1
            torch.set_num_threads(_threads_outside)
