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


@pytest.fixture
def write_density_run():
    """Write a one-liquid density run as ``mlparams validate density`` does (``density_results.csv`` with one
    finished row, ``series/<slug>.csv``); returns the CSV path. Call as f(folder, row, times_ps, densities[, extra]),
    ``extra`` a dict of further columns (e.g. hvap_sim, hvap_exp)."""

    def _write(folder, row: str, times_ps, densities, extra: dict | None = None):
        (folder / "series").mkdir(parents=True)
        csv = folder / "density_results.csv"
        extra = extra or {}
        csv.write_text("name,smiles,T_K,rho_exp,rho_sim,n_molecules,production_ps,engine,model,status"
                       + "".join("," + k for k in extra) + "\n" + row + "".join(f",{v}" for v in extra.values()) + "\n")
        (folder / "series" / (row.split(",")[0].replace(" ", "_").replace("-", "_") + ".csv")).write_text(
            "t_ps,density_g_cm3\n" + "".join(f"{a:.4f},{b:.6f}\n" for a, b in zip(times_ps, densities)))
        return csv

    return _write
