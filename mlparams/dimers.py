"""Dimers from extended-XYZ files (monomer A first, ``nA=`` in the comment line) and their systems.

The comment line holds ``key=value`` pairs (values may be double-quoted): ``nA``, ``nB``, ``charge_A``,
``charge_B``, ``E_int_kcal_mol`` (reference interaction energy), ``set``, ``index``, ``name``, ...
Coordinates are in Å. Each monomer's bonds are perceived from its coordinates (RDKit) with its charge.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlparams.errors import DataFormatError
from mlparams.molecules import from_xyz

_PAIR = re.compile(r'(\w+)=("[^"]*"|\S+)')


@dataclass
class Dimer:
    """One dimer: atoms of A then B (symbols, coordinates in Å), the split, charges and metadata."""

    path: Path
    symbols: list[str]
    coords_angstrom: np.ndarray
    n_a: int
    charge_a: int = 0
    charge_b: int = 0
    info: dict = field(default_factory=dict)

    @property
    def reference_kcal_mol(self) -> float | None:
        value = self.info.get("E_int_kcal_mol")
        return float(value) if value not in (None, "") else None


def read_dimer(path) -> Dimer:
    """Parse one extended-XYZ dimer file; a bad file raises DataFormatError naming it and the reason."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{path.name}: cannot read ({exc.__class__.__name__})") from None
    if len(lines) < 2 or not lines[0].strip().isdigit():
        raise DataFormatError(f"{path.name}: line 1 must be the atom count")
    if len(lines) > int(lines[0]) + 2 and any(line.strip() for line in lines[int(lines[0]) + 2:]):
        raise DataFormatError(f"{path.name}: holds more than one frame; read it with read_dimers")
    return _parse_frame(lines, path)


def _parse_frame(lines: list[str], path: Path) -> Dimer:
    n = int(lines[0])
    info = {k: v.strip('"') for k, v in _PAIR.findall(lines[1])}
    atoms = [line.split() for line in lines[2:] if line.strip()]
    if len(atoms) != n:
        raise DataFormatError(f"{path.name}: header says {n} atoms, the file has {len(atoms)}")
    if "nA" not in info:
        raise DataFormatError(f"{path.name}: no nA= in the comment line, so monomer A cannot be split off")
    try:
        n_a = int(info["nA"])
        symbols = [a[0] for a in atoms]
        coords = np.array([[float(v) for v in a[1:4]] for a in atoms])
        charge_a, charge_b = int(float(info.get("charge_A", 0))), int(float(info.get("charge_B", 0)))
    except (ValueError, IndexError):
        raise DataFormatError(f"{path.name}: malformed atom line or charge") from None
    if not 0 < n_a < n:
        raise DataFormatError(f"{path.name}: nA={n_a} does not split {n} atoms into two monomers")
    if "nB" in info and int(info["nB"]) != n - n_a:
        raise DataFormatError(f"{path.name}: nA + nB = {n_a + int(info['nB'])} but the file has {n} atoms")
    return Dimer(path, symbols, coords, n_a, charge_a, charge_b, info)


def _frames(path: Path):
    """Frames (lists of lines) of a single- or multi-frame extended-XYZ file, plain or gzip-compressed."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt") as fh:
                lines = fh.read().splitlines()
        else:
            lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataFormatError(f"{path.name}: cannot read ({exc.__class__.__name__})") from None
    k = 0
    while k < len(lines):
        if not lines[k].strip():
            k += 1
            continue
        if not lines[k].strip().isdigit():
            raise DataFormatError(f"{path.name}: line {k + 1} should be an atom count")
        n = int(lines[k])
        yield lines[k: k + n + 2], k
        k += n + 2


def dimer_files(path) -> list[Path]:
    """The .xyz and .xyz.gz files of a folder (sorted), or [path] for one file."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.name.endswith((".xyz", ".xyz.gz")))
    if path.is_file():
        return [path]
    raise DataFormatError(f"{path} does not exist; give a folder of extended-XYZ dimers or one .xyz/.xyz.gz file")


def read_dimers(path):
    """Every dimer in a folder or file; multi-frame and gzip-compressed (.xyz.gz) files are read frame by frame.

    A frame's :attr:`Dimer.path` is ``FILE:NAME`` for multi-frame files, so errors name the dimer.
    """
    for file in dimer_files(path):
        frames = list(_frames(file))
        for lines, start in frames:
            if len(frames) == 1:
                yield _parse_frame(lines, file)
            else:
                info = {k: v.strip('"') for k, v in _PAIR.findall(lines[1] if len(lines) > 1 else "")}
                yield _parse_frame(lines, Path(f"{file.name}:{info.get('name', f'line{start + 1}')}"))


def dimer_system(dimer: Dimer, model: str, charges=None):
    """(MolecularSystem of A+B without box, atom indices of A, atom indices of B) in the system's order."""
    from mlparams.systems import build_system

    name = dimer.path.name
    sp_a, perm_a = from_xyz(dimer.symbols[: dimer.n_a], dimer.coords_angstrom[: dimer.n_a], dimer.charge_a, f"{name} monomer A")
    sp_b, perm_b = from_xyz(dimer.symbols[dimer.n_a:], dimer.coords_angstrom[dimer.n_a:], dimer.charge_b, f"{name} monomer B")
    pos_a = np.empty((sp_a.n_atoms, 3))
    pos_a[perm_a] = dimer.coords_angstrom[: dimer.n_a]
    pos_b = np.empty((sp_b.n_atoms, 3))
    pos_b[perm_b] = dimer.coords_angstrom[dimer.n_a:]
    positions = np.vstack([pos_a, pos_b]) * 0.1
    msys = build_system([sp_a, sp_b], [1, 1], model, positions_nm=positions, charges=charges)
    idx_a = np.arange(sp_a.n_atoms)
    idx_b = np.arange(sp_a.n_atoms, sp_a.n_atoms + sp_b.n_atoms)
    return msys, idx_a, idx_b
