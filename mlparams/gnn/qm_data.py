"""QM training data for the GNN: total energies and virial descriptors of RDKit conformers, from PySCF.

For each molecule (SMILES) and conformer the generator runs one Kohn–Sham calculation and stores

* the total energy E (B3LYP-D3(BJ)/def2-SVP, density fitting, kcal/mol);
* the virial descriptors of Terets & Nikolayenko (eqs. 10–12): with K the kinetic-energy matrix and D the
  density matrix in the atom-centred basis, KD_i^atom = Σ_{μ,ν∈i} K_μν·D_μν and, for every covalent bond,
  KD_ij^edge = Σ_{μ∈i,ν∈j} K_μν·D_μν + Σ_{μ∈j,ν∈i} K_μν·D_μν (both orders, so atoms plus all pairs sum to
  Tr(D·K), the Kohn–Sham kinetic energy); kcal/mol.

Conformers: ETKDG embeddings with seeds 0, 1, 2, …, relaxed with MMFF94 where it applies; conformers after
the first get a seeded Gaussian displacement of 0.03 Å per coordinate so even rigid molecules give distinct
geometries (the energy's distance dependence is what the pair potentials learn).

Each finished item is written as its own file (``<key>.npz``, temporary name then rename), so a run can be
stopped and resumed, and a failed item is recorded in ``failures.json`` without losing the others. ``pack``
collects the items into one compressed file, the committed training set. The QMugs set of the paper
(ωB97X-D/def2-SVP on GFN2-xTB geometries) is not reachable from here; this generator scales to any SMILES
list given the CPU time (≈ 1–25 s per molecule of 3–22 atoms on one core).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.resources
import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from mlparams.atomic_files import replacing, write_json
from mlparams.errors import MlparamsError
from mlparams.units import HARTREE_IN_KCAL_PER_MOL

HARTREE_KCAL = HARTREE_IN_KCAL_PER_MOL
LEVEL_OF_THEORY = "B3LYP-D3(BJ)/def2-SVP (PySCF, density fitting def2-universal-jkfit, grid level 1)"
DISPLACEMENT_A = 0.03
MAX_ATOMS = 32


def molecule_list(path: Path | None = None) -> list[tuple[str, str]]:
    """(SMILES, source) of the committed molecule list, or of a CSV with columns smiles,source."""
    path = Path(path) if path else Path(importlib.resources.files("mlparams") / "data" / "gnn" / "molecules.csv")
    if not path.is_file():
        raise MlparamsError(f"{path} does not exist; give a CSV with columns smiles,source")
    with open(path, newline="") as f:
        rows = [(r["smiles"], r.get("source", "")) for r in csv.DictReader(f)]
    if not rows:
        raise MlparamsError(f"{path} lists no molecules; give a CSV with a smiles column")
    return rows


def item_key(smiles: str, conformer: int) -> str:
    return hashlib.sha1(smiles.encode()).hexdigest()[:12] + f"-{conformer}"


def conformer(smiles: str, index: int):
    """(Species, coordinates in Å, canonical order) of conformer ``index`` of a SMILES."""
    from mlparams.molecules import from_smiles

    if "." in smiles:
        raise MlparamsError(f"{smiles}: several fragments; give one molecule per SMILES (complexes belong in dimer files)")
    species = from_smiles(smiles, seed=index)
    xyz = species.positions_angstrom()
    if index > 0:
        xyz = xyz + np.random.default_rng(index).normal(0.0, DISPLACEMENT_A, xyz.shape)
    return species, xyz


def kd_descriptors(mol, dm) -> tuple[np.ndarray, np.ndarray]:
    """(per-atom KD (n,), per-atom-pair KD matrix (n, n) with both orders summed) in Hartree."""
    kin = mol.intor("int1e_kin")
    kd = kin * dm
    labels = np.array([a for a, *_ in mol.ao_labels(fmt=False)])
    n = mol.natm
    onehot = np.zeros((n, len(labels)))
    onehot[labels, np.arange(len(labels))] = 1.0
    block = onehot @ kd @ onehot.T  # block[A, B] = Σ_{μ∈A, ν∈B} K_μν D_μν
    pair = block + block.T
    return np.diag(block).copy(), pair


def compute_item(smiles: str, index: int) -> dict:
    """One PySCF calculation: energies, descriptors and geometry of one conformer."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from pyscf import dft, gto

    species, xyz = conformer(smiles, index)
    if species.n_atoms > MAX_ATOMS:
        raise MlparamsError(f"{smiles}: {species.n_atoms} atoms > {MAX_ATOMS}; raise MAX_ATOMS for larger molecules")
    mol = gto.M(atom=[(e, tuple(x)) for e, x in zip(species.elements, xyz)], basis="def2-svp",
                charge=species.net_charge, spin=0, verbose=0)
    mf = dft.RKS(mol, xc="b3lyp").density_fit()
    mf.grids.level = 1
    mf.disp = "d3bj"
    energy = mf.kernel()
    if not mf.converged:
        raise MlparamsError(f"{smiles} conformer {index}: SCF did not converge")
    atom_kd, pair_kd = kd_descriptors(mol, mf.make_rdm1())
    bonds = np.array([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in species.mol.GetBonds()], dtype=int).reshape(-1, 2)
    return {
        "smiles": species.smiles, "source_smiles": smiles, "conformer": index, "elements": list(species.elements),
        "coords_angstrom": xyz, "energy_kcal": energy * HARTREE_KCAL, "kinetic_kcal": float(np.sum(atom_kd) + np.triu(pair_kd, 1).sum()) * HARTREE_KCAL,
        "kd_atom_kcal": atom_kd * HARTREE_KCAL, "bonds": bonds,
        "kd_bond_kcal": pair_kd[bonds[:, 0], bonds[:, 1]] * HARTREE_KCAL if len(bonds) else np.zeros(0),
        "net_charge": species.net_charge,
    }


def _write_item(out: Path, key: str, item: dict) -> None:
    with replacing(out / f"{key}.npz") as tmp:
        np.savez(tmp, **{k: np.asarray(v) for k, v in item.items()})


def _job(smiles: str, index: int):
    try:
        return smiles, index, compute_item(smiles, index), None
    except Exception as exc:  # one failed molecule never stops the others
        return smiles, index, None, f"{type(exc).__name__}: {exc}".splitlines()[0]


def generate(out, molecules_csv=None, n_conformers: int = 3, workers: int = 2, limit: int | None = None,
             progress: bool = True) -> dict:
    """Compute every (molecule, conformer) not yet in ``out``; returns {"done": n, "failed": {key: reason}}."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(s, k) for s, _ in molecule_list(molecules_csv) for k in range(n_conformers)]
    if limit:
        jobs = jobs[:limit]
    fail_path = out / "failures.json"
    failures = json.loads(fail_path.read_text()) if fail_path.is_file() else {}
    todo = [(s, k) for s, k in jobs if not (out / f"{item_key(s, k)}.npz").is_file() and item_key(s, k) not in failures]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc="QM conformers", unit="calc")
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_job, s, k) for s, k in todo]
        for fut in as_completed(futures):
            s, k, item, error = fut.result()
            if item is None:
                failures[item_key(s, k)] = f"{s} conformer {k}: {error}"
                write_json(fail_path, failures, indent=1)
            else:
                _write_item(out, item_key(s, k), item)
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    done = sum((out / f"{item_key(s, k)}.npz").is_file() for s, k in jobs)
    return {"done": done, "failed": failures}


def pack(items_dir, path) -> int:
    """Collect every item of a generator folder into one compressed npz (flat arrays + offsets); returns count."""
    files = sorted(Path(items_dir).glob("*.npz"))
    if not files:
        raise MlparamsError(f"no items in {items_dir}; run `mlparams gnn qm-data --out {items_dir}` first")
    items = [it for it in (dict(np.load(f)) for f in files) if "." not in str(it["smiles"])]
    atom_counts = np.array([len(it["elements"]) for it in items])
    bond_counts = np.array([len(it["bonds"]) for it in items])
    arrays = {
        "smiles": np.array([str(it["smiles"]) for it in items]),
        "conformer": np.array([int(it["conformer"]) for it in items]),
        "net_charge": np.array([int(it["net_charge"]) for it in items]),
        "energy_kcal": np.array([float(it["energy_kcal"]) for it in items]),
        "kinetic_kcal": np.array([float(it["kinetic_kcal"]) for it in items]),
        "atom_counts": atom_counts, "bond_counts": bond_counts,
        "elements": np.concatenate([it["elements"] for it in items]).astype(str),
        "coords_angstrom": np.concatenate([it["coords_angstrom"] for it in items]),
        "kd_atom_kcal": np.concatenate([it["kd_atom_kcal"] for it in items]),
        "bonds": np.concatenate([it["bonds"].reshape(-1, 2) for it in items]),
        "kd_bond_kcal": np.concatenate([it["kd_bond_kcal"] for it in items]),
        "level_of_theory": np.array(LEVEL_OF_THEORY),
    }
    with replacing(path) as tmp:
        np.savez_compressed(tmp, **arrays)
    return len(items)
