"""What every benchmark result records beside its numbers: command, date and machine."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from pathlib import Path


def machine() -> dict:
    """CPU model, core count, memory and Python of this machine."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_GiB": mem_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def envelope(results: dict, name: str) -> dict:
    """Results wrapped with the command line that made them, the UTC date and the machine."""
    return {
        "benchmark": name,
        "command": "mlparams " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("mlparams") else " ".join(sys.argv),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "results": results,
    }

