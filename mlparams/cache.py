"""The user cache of mlparams: ``~/.cache/mlparams/<name>``, or ``$MLPARAMS_CACHE/<name>``.

Holds what is expensive to remake and safe to delete: GAFF2 parametrisations, built dimer sets, the compiled
OpenMM force and the compiled LAMMPS pair style (:mod:`mlparams.native`).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(name: str) -> Path:
    """The cache subfolder ``name`` (not created here)."""
    root = os.environ.get("MLPARAMS_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "mlparams") / name
