"""Files written whole or not at all: each writer fills a temporary name beside the target and renames it over
the target only when the writing finished, so an interrupted run never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import threading
from pathlib import Path


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block ends normally, delete it when
    the block raises. Parent folders are created. The temporary name carries the process and thread ("x.npz" ->
    "x.tmp-PID-TID.npz"), so concurrent writers of one target never share it, and the suffix stays last, so
    writers that choose a format by suffix (numpy.savez, matplotlib) still write that format."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}-{threading.get_ident()}{path.suffix}")
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)


def write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary name; a name ending in ".gz" is gzip-compressed."""
    path = Path(path)
    with replacing(path) as tmp:
        if path.suffix == ".gz":
            with gzip.open(tmp, "wt") as fh:
                fh.write(text)
        else:
            tmp.write_text(text)
    return path


def write_json(path, obj, indent: int | None = 2) -> Path:
    """``obj`` as JSON (one trailing newline) through a temporary name; ".gz" names are compressed."""
    return write_text(path, json.dumps(obj, indent=indent) + "\n")
