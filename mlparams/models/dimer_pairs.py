"""Intermolecular reference dimers as atom pairs: the training data of the dimer-fitted exp-6 model.

For each dimer (extended XYZ, monomer A first) the bonds of each monomer are perceived (RDKit), its
GAFF2/AM1-BCC charges come from the per-SMILES cache the exporters use (symmetry-averaged exactly as the
engines see them), and every intermolecular pair i∈A, j∈B is kept with its distance (nm). For a
pairwise-additive force field and rigid monomers, E_int is exactly the sum over these pairs of Coulomb plus
van der Waals (bonded and intramolecular terms cancel), so a model can be fitted to E_int without running an
engine; :mod:`mlparams.validation.interaction` then checks it through OpenMM.

Built sets are cached (``~/.cache/mlparams/dimer_pairs`` or ``$MLPARAMS_CACHE/dimer_pairs``) under a hash of
the input bytes, so a second fit starts at once. A dimer that cannot be parametrised (an element GAFF2 does
not type, bonds that cannot be perceived) is recorded with its reason; the others go on.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlparams.atomic_files import replacing
from mlparams.errors import MlparamsError
from mlparams.units import COULOMB_KJ_PER_MOL_NM

KCAL_IN_KJ = 4.184
#: The issue's training sets (psi4/qcdb benchmark databases; see mlparams/data/dimers/PROVENANCE.md).
TRAINING_SETS = ("SSI", "BBI", "HBC6", "NBC10ext", "A24", "ACHC", "HSG")
#: Validation only: never used for fitting or model selection.
VALIDATION_SETS = ("S22by7", "JSCH")
CACHE_VERSION = "1"


def data_root() -> Path:
    return Path(importlib.resources.files("mlparams") / "data" / "dimers")


def set_path(name: str) -> Path:
    """Vendored file or folder of a named set (training sets in train/, validation sets elsewhere)."""
    root = data_root()
    candidates = {
        **{s: root / "train" / f"{s}.xyz.gz" for s in TRAINING_SETS},
        "S22by7": root / "validate" / "S22by7.xyz.gz",
        "JSCH": root / "jsch",
    }
    if name not in candidates:
        raise MlparamsError(f"unknown dimer set {name!r}; choose one of {', '.join(candidates)} or give a path")
    return candidates[name]


@dataclass
class DimerPairs:
    """Pairs of many dimers, flattened. Energies kcal/mol, distances nm, charges e."""

    set_name: np.ndarray  # (n_dimers,) str
    name: np.ndarray  # (n_dimers,) str
    e_ref_kcal: np.ndarray  # (n_dimers,)
    charged: np.ndarray  # (n_dimers,) bool: a monomer carries a net charge
    atom_element: np.ndarray  # (n_atoms,) str, all dimers' atoms one after another
    atom_charge: np.ndarray  # (n_atoms,) e
    pair_i: np.ndarray  # (n_pairs,) atom index (monomer A)
    pair_j: np.ndarray  # (n_pairs,) atom index (monomer B)
    pair_r_nm: np.ndarray  # (n_pairs,)
    pair_dimer: np.ndarray  # (n_pairs,) dimer index
    skipped: dict = field(default_factory=dict)  # dimer label -> reason

    @property
    def n_dimers(self) -> int:
        return len(self.name)

    def coulomb_kcal(self) -> np.ndarray:
        """Point-charge Coulomb part of E_int per dimer (kcal/mol)."""
        e = COULOMB_KJ_PER_MOL_NM * self.atom_charge[self.pair_i] * self.atom_charge[self.pair_j] / self.pair_r_nm
        return np.bincount(self.pair_dimer, weights=e, minlength=self.n_dimers) / KCAL_IN_KJ

    def subset(self, keep) -> "DimerPairs":
        """The dimers where ``keep`` (bool per dimer) is true, renumbered."""
        keep = np.asarray(keep, dtype=bool)
        new_index = np.cumsum(keep) - 1
        pair_keep = keep[self.pair_dimer]
        atoms = np.unique(np.concatenate([self.pair_i[pair_keep], self.pair_j[pair_keep]]))
        atom_map = np.full(len(self.atom_charge), -1)
        atom_map[atoms] = np.arange(len(atoms))
        return DimerPairs(
            self.set_name[keep], self.name[keep], self.e_ref_kcal[keep], self.charged[keep],
            self.atom_element[atoms], self.atom_charge[atoms], atom_map[self.pair_i[pair_keep]],
            atom_map[self.pair_j[pair_keep]], self.pair_r_nm[pair_keep], new_index[self.pair_dimer[pair_keep]],
            dict(self.skipped),
        )

    @staticmethod
    def concatenate(parts: list["DimerPairs"]) -> "DimerPairs":
        atoms_before = np.cumsum([0] + [len(p.atom_charge) for p in parts[:-1]])
        dimers_before = np.cumsum([0] + [p.n_dimers for p in parts[:-1]])
        skipped = {}
        for p in parts:
            skipped.update(p.skipped)
        return DimerPairs(
            np.concatenate([p.set_name for p in parts]), np.concatenate([p.name for p in parts]),
            np.concatenate([p.e_ref_kcal for p in parts]), np.concatenate([p.charged for p in parts]),
            np.concatenate([p.atom_element for p in parts]), np.concatenate([p.atom_charge for p in parts]),
            np.concatenate([p.pair_i + a for p, a in zip(parts, atoms_before)]),
            np.concatenate([p.pair_j + a for p, a in zip(parts, atoms_before)]),
            np.concatenate([p.pair_r_nm for p in parts]),
            np.concatenate([p.pair_dimer + d for p, d in zip(parts, dimers_before)]),
            skipped,
        )


def _cache_dir() -> Path:
    from mlparams.cache import cache_dir

    return cache_dir("dimer_pairs")


def _input_hash(path: Path) -> str:
    from mlparams.dimers import dimer_files
    from mlparams.gaff2 import CACHE_VERSION as GAFF_VERSION

    h = hashlib.sha256(f"{CACHE_VERSION}|{GAFF_VERSION}".encode())
    for f in dimer_files(path):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:20]


def monomer_charges(symbols, coords_angstrom, net_charge: int, source: str) -> np.ndarray:
    """AM1-BCC charges (e) of one monomer in the file's atom order, symmetry-averaged as in the engines."""
    from mlparams.gaff2 import parametrize
    from mlparams.molecules import from_xyz
    from mlparams.systems import symmetry_averaged_charges

    species, perm = from_xyz(symbols, coords_angstrom, net_charge, source)
    classes, class_q = symmetry_averaged_charges(species, parametrize(species).charges)
    canonical = np.array([class_q[c] for c in classes])
    return canonical[perm]  # file atom k is canonical atom perm[k]


def build(path, label: str | None = None, progress: bool = True) -> DimerPairs:
    """Pairs of every dimer in a folder or (multi-frame, .gz) file; cached by input hash."""
    from mlparams.dimers import read_dimers

    path = Path(path)
    label = label or path.name.split(".")[0]
    cache = _cache_dir() / f"{label}-{_input_hash(path)}.npz"
    if cache.is_file():
        return load(cache)
    dimers = list(read_dimers(path))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(dimers), desc=f"dimer pairs {label}", unit="dimer")
    sets, names, refs, charged, elements, charges, pi, pj, pr, pd = ([] for _ in range(10))
    skipped = {}
    n_atoms = 0
    for dimer in dimers:
        tag = f"{label}:{dimer.info.get('name', dimer.path.name)}"
        try:
            if dimer.reference_kcal_mol is None:
                raise MlparamsError("no E_int_kcal_mol in the comment line")
            na = dimer.n_a
            xyz = dimer.coords_angstrom
            qa = monomer_charges(dimer.symbols[:na], xyz[:na], dimer.charge_a, f"{tag} monomer A")
            qb = monomer_charges(dimer.symbols[na:], xyz[na:], dimer.charge_b, f"{tag} monomer B")
        except MlparamsError as exc:
            skipped[tag] = str(exc)
            if bar:
                bar.update(1)
            continue
        k = len(names)
        nb = len(dimer.symbols) - na
        ii, jj = np.meshgrid(np.arange(na), np.arange(na, na + nb), indexing="ij")
        ii, jj = ii.ravel(), jj.ravel()
        pi.append(ii + n_atoms)
        pj.append(jj + n_atoms)
        pr.append(np.linalg.norm(xyz[ii] - xyz[jj], axis=1) * 0.1)
        pd.append(np.full(ii.size, k))
        elements.extend(dimer.symbols)
        charges.append(np.concatenate([qa, qb]))
        n_atoms += len(dimer.symbols)
        sets.append(dimer.info.get("set", label))
        names.append(str(dimer.info.get("name", dimer.path.name)))
        refs.append(dimer.reference_kcal_mol)
        charged.append(bool(dimer.charge_a or dimer.charge_b))
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    if not names:
        raise MlparamsError(f"no dimer in {path} could be parametrised; first reason: {next(iter(skipped.values()), 'none')}")
    data = DimerPairs(
        np.array(sets), np.array(names), np.array(refs, dtype=float), np.array(charged), np.array(elements),
        np.concatenate(charges), np.concatenate(pi), np.concatenate(pj), np.concatenate(pr), np.concatenate(pd),
        skipped,
    )
    save(data, cache)
    return data


def save(data: DimerPairs, path: Path) -> None:
    arrays = {k: getattr(data, k) for k in data.__dataclass_fields__ if k != "skipped"}
    with replacing(path) as tmp:
        np.savez_compressed(tmp, **arrays, skipped_keys=np.array(list(data.skipped), dtype=str),
                            skipped_values=np.array(list(data.skipped.values()), dtype=str))


def load(path: Path) -> DimerPairs:
    z = np.load(path, allow_pickle=False)
    fields = {k: z[k] for k in DimerPairs.__dataclass_fields__ if k != "skipped"}
    return DimerPairs(**fields, skipped=dict(zip(z["skipped_keys"].tolist(), z["skipped_values"].tolist())))


def named_sets(names, progress: bool = True) -> DimerPairs:
    """The named vendored sets, concatenated."""
    return DimerPairs.concatenate([build(set_path(n), n, progress) for n in names])
