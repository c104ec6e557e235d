"""Worker processes for runs that go in parallel (density runs, PES fits, liquid methane).

Workers are started with ``spawn``, not Linux's default ``fork``: by the time a driver starts them the parent
may hold running threads (OpenMM's CPU thread pools, including those of mlparams' compiled force, torch's
intra-op threads), and a child forked while one of them holds a lock can wait on it forever. That happened:
a density run forked after OpenMM contexts had run in the same process hung in the child's minimiser.
Spawned workers start a fresh interpreter (about a second of imports each).

A worker ends when its parent does: killing a driver (SIGTERM, SIGKILL) does not reach spawned workers, and
left alone they kept running and wrote their results into the folder of a later run (it happened: stale
liquid frames from a killed ``sample-liquids`` landed beside a new run's).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

#: How often a worker checks that its parent is alive (s).
PARENT_POLL_S = 1.0


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: a daemon thread that ends the worker at once when the parent process is gone."""

    def watch():
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(PARENT_POLL_S)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor with ``workers`` spawned worker processes that end when this process ends."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_exit_with_parent, initargs=(os.getpid(),))
