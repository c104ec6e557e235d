"""Liquid boxes packed with packmol (PyPI ``packmol``)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from mlparams.tools import venv_bin
from mlparams.errors import ExternalToolError, MlparamsError
from mlparams.molecules import Species, molar_mass

AVOGADRO = 6.02214076e23
#: Margin left free at each face of the cube so that periodic images do not overlap (Å).
FACE_MARGIN_A = 1.0
TOLERANCE_A = 2.0


def box_length_nm(species: list[Species], counts: list[int], density_g_cm3: float) -> float:
    """Edge of the cube (nm) that holds the molecules at the given density."""
    if not density_g_cm3 > 0:
        raise MlparamsError(f"density {density_g_cm3} g/cm3 is not positive; give a liquid density such as 0.79")
    mass_g = sum(molar_mass(s) * n for s, n in zip(species, counts)) / AVOGADRO
    volume_nm3 = mass_g / density_g_cm3 * 1e21
    return volume_nm3 ** (1.0 / 3.0)


def pack(species: list[Species], counts: list[int], box_nm: float, seed: int = 1) -> np.ndarray:
    """Coordinates (nm) of counts[k] copies of each species, in that order, packed in a cube of edge box_nm."""
    packmol = venv_bin("packmol")
    edge_a = box_nm * 10.0
    with tempfile.TemporaryDirectory(prefix="mlparams-packmol-") as tmp:
        lines = [f"tolerance {TOLERANCE_A}", "filetype xyz", "output box.xyz", f"seed {seed}", ""]
        for k, (sp, n) in enumerate(zip(species, counts)):
            xyz = Path(tmp, f"mol{k}.xyz")
            pos = sp.positions_angstrom()
            xyz.write_text(f"{sp.n_atoms}\n{sp.smiles}\n" + "\n".join(
                f"{e} {x:.5f} {y:.5f} {z:.5f}" for e, (x, y, z) in zip(sp.elements, pos)) + "\n")
            lo, hi = FACE_MARGIN_A, edge_a - FACE_MARGIN_A
            lines += [f"structure mol{k}.xyz", f"  number {n}", f"  inside cube {lo} {lo} {lo} {hi - lo:.4f}", "end structure", ""]
        Path(tmp, "pack.inp").write_text("\n".join(lines))
        with open(Path(tmp, "pack.inp")) as stdin:
            proc = subprocess.run([packmol], stdin=stdin, cwd=tmp, capture_output=True, text=True)
        out = Path(tmp, "box.xyz")
        if not out.is_file():
            tail = [line for line in proc.stdout.splitlines() if line.strip()][-3:]
            raise ExternalToolError(f"packmol could not pack the box ({' / '.join(tail)}); lower the density")
        rows = out.read_text().splitlines()[2:]
    coords = np.array([[float(v) for v in row.split()[1:4]] for row in rows if row.strip()])
    expected = sum(s.n_atoms * n for s, n in zip(species, counts))
    if coords.shape != (expected, 3):
        raise ExternalToolError(f"packmol wrote {len(coords)} atoms, expected {expected}")
    return coords * 0.1
