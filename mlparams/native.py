"""Compiled libraries that mlparams builds on the user's machine: the OpenMM pair forces (Buckingham, LJ +
Gaussians) and the LAMMPS pair-style plugin.

Each is compiled with g++ (or ``$CXX``) once per source, engine version and flags into the user cache
(:func:`mlparams.cache.cache_dir`), written to a temporary name and renamed, so that a failed or concurrent
build never leaves a half-written library behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from mlparams.atomic_files import replacing
from mlparams.cache import cache_dir
from mlparams.errors import MlparamsError


class NativeBuildError(MlparamsError):
    """A compiled library could not be built or loaded."""


def compiler(error_cls=NativeBuildError) -> str:
    """Path of the C++ compiler: ``$CXX``, else g++, else c++."""
    for name in (os.environ.get("CXX"), "g++", "c++"):
        if name and shutil.which(name):
            return shutil.which(name)
    raise error_cls("no C++ compiler found (g++); install g++ (Debian: apt install g++) or set CXX")


def library_path(cache_name: str, library_name: str, *key_parts) -> Path:
    """Where the library built from ``key_parts`` (source bytes, versions, flags) lives, built or not."""
    digest = hashlib.sha256()
    for part in key_parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return cache_dir(cache_name) / digest.hexdigest()[:16] / library_name


def compile_library(path: Path, args: list, source: Path, error_cls=NativeBuildError) -> Path:
    """Run ``compiler args... -o TMP`` and rename TMP to ``path``; on failure raise ``error_cls`` with the
    compiler's first error line."""
    with replacing(path) as tmp:
        proc = subprocess.run([compiler(error_cls), *map(str, args), "-o", tmp], capture_output=True, text=True)
        if proc.returncode != 0:
            first = next((line for line in proc.stderr.splitlines() if "error" in line), proc.stderr.strip()[:300])
            raise error_cls(f"compiling {Path(source).name} failed: {first}")
    return path
