"""Running written decks through the ``lammps`` Python module and reading energies by thermo keyword."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import units as U
from .engine import lammps_instance

TERMS = {"bond": ("ebond",), "angle": ("eangle",), "dihedral": ("edihed",), "improper": ("eimp",),
         "vdw": ("evdwl",), "coulomb": ("ecoul", "elong"), "total": ("pe",)}


def single_point(folder, *extra_args: str) -> tuple[dict, np.ndarray]:
    """Energies by term (kJ/mol) and forces (N×3, kJ/mol/nm, in atom-ID order) of in.single in folder;
    ``extra_args`` go to LAMMPS's command line (e.g. "-sf", "omp", "-pk", "omp", "2")."""
    folder = Path(folder).resolve()
    cwd = os.getcwd()  # LAMMPS's "shell cd" changes this process's directory: put it back afterwards
    try:
        with lammps_instance(*extra_args) as lmp:
            lmp.command(f'shell cd "{folder}"')
            lmp.file(str(folder / "in.single"))
            return _read(lmp)
    finally:
        os.chdir(cwd)


def _read(lmp) -> tuple[dict, np.ndarray]:
    """Thermo energies by keyword and per-atom forces of the last run, converted to kJ/mol and kJ/mol/nm."""
    terms = {name: U.energy_from_real(sum(lmp.get_thermo(k) for k in keys)) for name, keys in TERMS.items()}
    nlocal = lmp.extract_global("nlocal")
    ids = np.array(lmp.numpy.extract_atom("id")).ravel()[:nlocal]
    f = np.array(lmp.numpy.extract_atom("f"))[:nlocal]
    forces = np.empty_like(f)
    forces[ids - 1] = f
    return terms, U.force_from_real(forces)
