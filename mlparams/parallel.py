"""Worker processes for runs that go in parallel (density runs, PES fits, liquid methane).

Workers are started with ``spawn``, not Linux's default ``fork``: by the time a driver starts them the parent
may hold running threads (OpenMM's CPU thread pools, including those of mlparams' compiled force, torch's
intra-op threads), and a child forked while one of them holds a lock can wait on it forever. That happened:
a density run forked after OpenMM contexts had run in the same process hung in the child's minimiser.
Spawned workers start a fresh interpreter (about a second of imports each).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor with ``workers`` spawned worker processes."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
