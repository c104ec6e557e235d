"""Shared fixtures. Tests run the real engines and the real vendored data; nothing is mocked."""

import os
import subprocess
import sys

import pytest


@pytest.fixture
def run_cli():
    """Run ``python -m mlparams ARGS`` in a subprocess; returns CompletedProcess with text output."""

    def _run(*args, cwd=None, env=None):
        return subprocess.run(
            [sys.executable, "-m", "mlparams", *args],
            capture_output=True, text=True, cwd=cwd, env=env or os.environ.copy(), timeout=600,
        )

    return _run
