"""Dimers cut from a model's own liquid and labelled by counterpoise-corrected DFT: the contacts a liquid visits.

Gas-phase dimer sets sample each pair near its minimum and along a few dissociation curves; a model fitted to
them is free at the compressed, oddly oriented contacts of a dense liquid. A model whose liquid is too dense
(the GNN's water at 1.5 g/cm³) visits exactly such contacts. Here:

* :func:`cut_dimers` runs NVT of one dev liquid with the model (OpenMM, the liquid stage's protocol, at a given
  density), and from each frame takes molecule pairs in contact (closest atoms within ``contact_nm``, minimum
  image): the closest pair of the frame and random others, so the set spans the first shell the model holds;
* :func:`interaction_energy_kcal` gives E_int = E(AB) − E(A) − E(B) at the dimer geometry with the monomers'
  energies in the dimer basis (Boys–Bernardi counterpoise), at :data:`LEVEL_OF_THEORY` (PySCF; D3(BJ) sees real
  atoms only, ghosts carry no dispersion);
* :func:`label_dimers` labels a cut set one dimer at a time (one JSON per dimer, temporary name then rename, so a
  run resumes; a failed dimer is recorded and the others go on) and writes the labelled dimers, one extended-XYZ
  file each, into the folder that ``mlparams gnn train-liquids --extra-dimers`` and ``mlparams validate
  interaction --dimers`` read.

Coordinates in Å in the files (the dimer format), nm inside the MD part; energies kcal/mol (the dimer sets' unit).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json, write_text
from mlparams.errors import MlparamsError
from mlparams.units import HARTREE_IN_KCAL_PER_MOL

FUNCTIONAL = "b3lyp"
DISPERSION = "d3bj"
BASIS = "def2-tzvp"


def level_of_theory(basis: str = BASIS) -> str:
    """The reference level written beside each label."""
    return f"B3LYP-D3(BJ)/{basis}, counterpoise-corrected (PySCF, density fitting, default grids)"


LEVEL_OF_THEORY = level_of_theory()
#: A molecule pair is in contact when its closest atoms are within this distance (nm).
CONTACT_NM = 0.30
UNLABELLED = "unlabelled.xyz.gz"
#: Folder of the labelled dimers, one extended-XYZ file each (what the interaction driver and train-liquids read).
LABELLED = "dimers"
ITEMS = "items"
FAILURES = "failures.json"


def contact_pairs(positions_nm, box_nm, molecule, contact_nm: float = CONTACT_NM):
    """Molecule pairs (a < b) whose closest atoms lie within ``contact_nm`` (minimum image), with that atom
    pair (i in a, j in b) and its distance (nm), closest first: arrays (a, b, i, j, r)."""
    from scipy.spatial import cKDTree

    box = np.asarray(box_nm, dtype=float)
    x = np.mod(np.asarray(positions_nm, dtype=float), box)
    tree = cKDTree(x, boxsize=box)
    ij = tree.query_pairs(contact_nm, output_type="ndarray")
    ij = ij[molecule[ij[:, 0]] != molecule[ij[:, 1]]]
    d = x[ij[:, 0]] - x[ij[:, 1]]
    r = np.linalg.norm(d - box * np.round(d / box), axis=1)
    i, j = ij[:, 0], ij[:, 1]
    swap = molecule[i] > molecule[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    order = np.argsort(r, kind="stable")
    i, j, r = i[order], j[order], r[order]
    key = molecule[i] * (int(molecule.max()) + 1) + molecule[j]
    _, first = np.unique(key, return_index=True)  # the closest atom pair of each molecule pair
    first = np.sort(first)
    return molecule[i[first]], molecule[j[first]], i[first], j[first], r[first]


def dimer_coordinates(positions_nm, box_nm, molecule, a: int, b: int, i: int, j: int) -> np.ndarray:
    """Atoms of molecule a then molecule b (nm), b shifted by the box image that brings atom j closest to
    atom i (molecules are whole in OpenMM's unwrapped positions)."""
    x = np.asarray(positions_nm, dtype=float)
    box = np.asarray(box_nm, dtype=float)
    shift = -box * np.round((x[j] - x[i]) / box)
    return np.vstack([x[molecule == a], x[molecule == b] + shift])


def cut_dimers(row: dict, model: str, density_g_cm3: float | None = None, n_frames: int = 20, per_frame: int = 5,
               every_ps: float = 1.0, equilibrate_ps: float = 10.0, contact_nm: float = CONTACT_NM,
               seed: int = 7, threads: int = 2, progress: bool = True, min_contact_nm: float = 0.0) -> list[dict]:
    """Contact dimers of one dev liquid (``row`` of the density set) from NVT frames of ``model`` at
    ``density_g_cm3`` (default: experiment): per frame the closest molecule pair and ``per_frame`` − 1 random
    other pairs in contact; with ``min_contact_nm`` > 0, ``per_frame`` random pairs whose closest atoms lie between
    ``min_contact_nm`` and ``contact_nm`` (a shell beyond the contacts). Each: {name, symbols, coords_angstrom, n_a,
    r_min_nm}."""
    from openmm import unit
    from tqdm import tqdm

    from mlparams.models.liquid_pressure import liquid_at_experimental_density
    from mlparams.validation.density import PROFILES, _slug

    sim, msys, molecule, _, n = liquid_at_experimental_density(row, model, "screen", threads, seed, density_g_cm3)
    dt = PROFILES["screen"].timestep_fs / 1000.0
    sim.step(int(round(equilibrate_ps / dt)))
    symbols = [s for sp, c in zip(msys.species, msys.counts) for _ in range(c) for s in sp.elements]
    box = np.asarray(msys.box_nm, dtype=float)
    rng = np.random.default_rng(seed)
    out = []
    for k in tqdm(range(n_frames), desc=f"{row['name']} frames", unit="frame", disable=not progress):
        sim.step(int(round(every_ps / dt)))
        x = sim.context.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.nanometer)
        a, b, i, j, r = contact_pairs(np.asarray(x), box, molecule, contact_nm)
        if min_contact_nm > 0.0:
            shell = np.flatnonzero(r >= min_contact_nm)
            picked = sorted(rng.choice(shell, size=min(per_frame, len(shell)), replace=False))
        elif len(a):
            picked = [0] + sorted(rng.choice(np.arange(1, len(a)), size=min(per_frame - 1, len(a) - 1), replace=False))
        else:
            continue
        for p in picked:
            xyz = dimer_coordinates(x, box, molecule, a[p], b[p], i[p], j[p])
            sym = [symbols[t] for t in np.flatnonzero(molecule == a[p])] + \
                  [symbols[t] for t in np.flatnonzero(molecule == b[p])]
            out.append({"name": f"{_slug(row['name'])}-f{k:03d}-m{a[p]}-m{b[p]}", "symbols": sym,
                        "coords_angstrom": xyz * 10.0, "n_a": int((molecule == a[p]).sum()),
                        "r_min_nm": float(r[p]), "liquid": row["name"], "model": model,
                        "density_g_cm3": float(density_g_cm3 or row["density_g_cm3"])})
    if not out:
        raise MlparamsError(f"no molecule pair of {row['name']} came within {min_contact_nm}-{contact_nm} nm; "
                            "raise contact_nm")
    return out


def dimer_text(d: dict, energy_kcal: float | None = None, basis: str = BASIS) -> str:
    """One extended-XYZ frame (Å) in the vendored dimer sets' format."""
    n, na = len(d["symbols"]), d["n_a"]
    info = (f"Properties=species:S:1:pos:R:3 set=liquid_dimers name={d['name']} nA={na} nB={n - na} charge_A=0 "
            f"charge_B=0 liquid=\"{d['liquid']}\" sampled_with={d['model']} density_g_cm3={d['density_g_cm3']:.4f} "
            f"r_min_nm={d['r_min_nm']:.4f}")
    if energy_kcal is not None:
        info += f" E_int_kcal_mol={energy_kcal:.4f} reference=\"{level_of_theory(basis)}\" units_energy=kcal/mol"
    lines = [str(n), info] + [f"{s} {x:.6f} {y:.6f} {z:.6f}" for s, (x, y, z) in zip(d["symbols"], d["coords_angstrom"])]
    return "\n".join(lines) + "\n"


def read_cut(path) -> list[dict]:
    """The dimers of a cut file (:data:`UNLABELLED`) back as dicts."""
    from mlparams.dimers import read_dimers

    out = []
    for dim in read_dimers(path):
        info = dim.info
        out.append({"name": info["name"], "symbols": list(dim.symbols), "coords_angstrom": dim.coords_angstrom,
                    "n_a": dim.n_a, "r_min_nm": float(info["r_min_nm"]), "liquid": info["liquid"],
                    "model": info["sampled_with"], "density_g_cm3": float(info["density_g_cm3"])})
    return out


def interaction_energy_kcal(symbols, coords_angstrom, n_a: int, basis: str = BASIS) -> float:
    """Counterpoise-corrected E_int (kcal/mol) of a neutral closed-shell dimer at :data:`LEVEL_OF_THEORY`."""
    from pyscf import dft, gto

    atoms = [(s, tuple(map(float, x))) for s, x in zip(symbols, coords_angstrom)]

    def energy(real, ghost):
        mol = gto.M(atom=real + [("ghost-" + s, x) for s, x in ghost], basis=basis, unit="Angstrom", verbose=0)
        mf = dft.RKS(mol).density_fit()
        mf.xc, mf.disp = FUNCTIONAL, DISPERSION
        e = mf.kernel()
        if not mf.converged:
            raise MlparamsError("SCF did not converge")
        return e

    e_ab = energy(atoms, [])
    e_a = energy(atoms[:n_a], atoms[n_a:])
    e_b = energy(atoms[n_a:], atoms[:n_a])
    return (e_ab - e_a - e_b) * HARTREE_IN_KCAL_PER_MOL


def label_dimers(folder, basis: str = BASIS, limit: int | None = None, progress: bool = True) -> dict:
    """Label the cut dimers of ``folder`` (:data:`UNLABELLED`), resumably; write every finished dimer into
    ``folder``/:data:`LABELLED` and the failed ones into :data:`FAILURES`. Returns {labelled, failed, folder}."""
    from tqdm import tqdm

    folder = Path(folder)
    cut = folder / UNLABELLED
    if not cut.is_file():
        raise MlparamsError(f"{cut} does not exist; cut dimers first (mlparams gnn liquid-dimers ... --out {folder})")
    dimers = read_cut(cut)[:limit]
    items = folder / ITEMS
    items.mkdir(exist_ok=True)
    failures_path = folder / FAILURES
    failures = json.loads(failures_path.read_text()) if failures_path.is_file() else {}
    for d in tqdm(dimers, desc="counterpoise DFT", unit="dimer", disable=not progress):
        item = items / f"{d['name']}.json"
        if item.is_file():
            continue
        try:
            e = interaction_energy_kcal(d["symbols"], d["coords_angstrom"], d["n_a"], basis)
        except Exception as exc:  # one dimer's failure must not lose the others
            failures[d["name"]] = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
            write_json(failures_path, failures)
            continue
        failures.pop(d["name"], None)
        write_json(item, {"E_int_kcal_mol": e, "basis": basis, "level": level_of_theory(basis)}, indent=None)
    done = [(d, json.loads((items / f"{d['name']}.json").read_text())) for d in dimers
            if (items / f"{d['name']}.json").is_file()]
    for d, rec in done:
        write_text(folder / LABELLED / f"{d['name']}.xyz", dimer_text(d, rec["E_int_kcal_mol"], rec["basis"]))
    write_json(failures_path, failures)
    return {"labelled": len(done), "failed": len(failures), "folder": str(folder / LABELLED)}


def cut_liquids(liquids: str, model: str, out, density_from=None, n_frames: int = 20, per_frame: int = 5,
                seed: int = 7, progress: bool = True, contact_nm: float = CONTACT_NM,
                min_contact_nm: float = 0.0) -> Path:
    """Cut contact dimers of each named dev liquid (at the densities of ``density_from``, a density run of
    ``model``, or at experiment) into ``out``/:data:`UNLABELLED`; an existing cut file is kept (resume)."""
    from mlparams.models.liquid_pressure import sampling_densities, select_liquids
    from mlparams.validation.density import read_liquids

    out = Path(out)
    path = out / UNLABELLED
    if path.is_file():
        return path
    names = select_liquids(liquids)
    rows = {r["name"]: r for r in read_liquids("dev")}
    densities = sampling_densities(density_from, model, names) if density_from else {}
    dimers = []
    for name in names:
        dimers += cut_dimers(rows[name], model, densities.get(name), n_frames, per_frame, contact_nm=contact_nm,
                             seed=seed, threads=os.cpu_count() or 1, progress=progress, min_contact_nm=min_contact_nm)
    write_text(path, "".join(dimer_text(d) for d in dimers))
    return path


#: Closest-contact bins (nm) of the error table: compressed, hydrogen-bond, first shell, outer contacts, and two
#: bins of the shell beyond them (``min_contact_nm`` cuts).
DISTANCE_BINS_NM = (0.0, 0.17, 0.21, 0.25, CONTACT_NM, 0.40, 0.50)


def error_table(dimers_folder, results: dict) -> str:
    """Markdown table of model − reference (kcal/mol) by closest-contact distance, one row per model and bin;
    ``results`` maps a model label to the ``interaction_results.csv`` the interaction driver wrote for the
    labelled dimers of ``dimers_folder``."""
    import csv

    from mlparams.dimers import read_dimers

    r_min = {f"{d.info['name']}.xyz": float(d.info["r_min_nm"]) for d in read_dimers(dimers_folder)}
    lines = ["| model | closest contact nm | dimers | mean reference | mean error | RMSE |", "|---|---|---|---|---|---|"]
    for label, path in results.items():
        with open(path, newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["status"] == "ok"]
        r = np.array([r_min[row["file"]] for row in rows])
        ref = np.array([float(row["E_ref"]) for row in rows])
        err = np.array([float(row["error"]) for row in rows])
        edges = list(zip(DISTANCE_BINS_NM[:-1], DISTANCE_BINS_NM[1:])) + [(0.0, np.inf)]
        for lo, hi in edges:
            s = (r >= lo) & (r < hi)
            if s.any():
                span = "all" if hi == np.inf else f"{lo:.2f}–{hi:.2f}"
                lines.append(f"| {label} | {span} | {int(s.sum())} | {ref[s].mean():+.2f} | {err[s].mean():+.2f} | "
                             f"{np.sqrt((err[s] ** 2).mean()):.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    """``python -m mlparams.liquid_dimers DIMERS_FOLDER LABEL=interaction_results.csv ... --out TABLE.md``"""
    import argparse

    ap = argparse.ArgumentParser(description="error of models on liquid contact dimers, by closest-contact distance")
    ap.add_argument("dimers", help="the dimers/ folder of 'mlparams gnn liquid-dimers'")
    ap.add_argument("results", nargs="+", metavar="LABEL=CSV", help="interaction_results.csv of each model")
    ap.add_argument("--out", required=True, help="markdown file to write")
    args = ap.parse_args(argv)
    results = {}
    for item in args.results:
        label, _, path = item.partition("=")
        if not path or not Path(path).is_file():
            raise SystemExit(f"error: {item}: give LABEL=PATH to an interaction_results.csv that exists")
        results[label] = path
    write_text(Path(args.out), error_table(args.dimers, results))
    print(Path(args.out).read_text(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
