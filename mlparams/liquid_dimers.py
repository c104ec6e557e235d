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
  interaction --dimers`` read;
* :func:`displace_folder` moves molecule B of each labelled dimer rigidly along the line of the monomers' centres
  of mass by ± a small step; labelled too, the pair of energies gives the slope dE_int/dR by central difference,
  and :func:`slope_table` compares the models' slopes with DFT's. The slope is the pair's share of the molecular
  virial, P = ρkT − (1/3V) Σ_pairs R·dE/dR: a model that matches the energies of its contacts but not their slope
  gets the pressure, hence the density, wrong.

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


#: Rigid steps of molecule B along the centre-of-mass line (Å) whose energies give the slope by central difference.
DISPLACEMENT_STEP_ANGSTROM = 0.10


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
    if "source" in d:
        info += (f" source={d['source']} step_angstrom={d['step_angstrom']:+.4f} "
                 f"source_r_min_nm={d['source_r_min_nm']:.4f} source_com_angstrom={d['source_com_angstrom']:.4f}")
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
        d = {"name": info["name"], "symbols": list(dim.symbols), "coords_angstrom": dim.coords_angstrom,
             "n_a": dim.n_a, "r_min_nm": float(info["r_min_nm"]), "liquid": info["liquid"],
             "model": info["sampled_with"], "density_g_cm3": float(info["density_g_cm3"])}
        if "source" in info:
            d.update(source=info["source"], step_angstrom=float(info["step_angstrom"]),
                     source_r_min_nm=float(info["source_r_min_nm"]),
                     source_com_angstrom=float(info["source_com_angstrom"]))
        out.append(d)
    return out


def centre_of_mass_axis(symbols, coords_angstrom, n_a: int) -> tuple[np.ndarray, float]:
    """Unit vector from the centre of mass of molecule A to that of B, and their distance (Å)."""
    from mlparams.elements import features

    x = np.asarray(coords_angstrom, dtype=float)
    m = np.array([features(s).atomic_mass_da for s in symbols])
    com_a = m[:n_a] @ x[:n_a] / m[:n_a].sum()
    com_b = m[n_a:] @ x[n_a:] / m[n_a:].sum()
    r = float(np.linalg.norm(com_b - com_a))
    return (com_b - com_a) / r, r


def displaced(d: dict, step_angstrom: float) -> dict:
    """Dimer ``d`` with molecule B moved rigidly by ``step_angstrom`` along the A→B centre-of-mass line (positive
    apart); its closest-contact distance recomputed, its source recorded."""
    axis, r_com = centre_of_mass_axis(d["symbols"], d["coords_angstrom"], d["n_a"])
    x = np.array(d["coords_angstrom"], dtype=float)
    x[d["n_a"]:] += step_angstrom * axis
    gap = np.linalg.norm(x[:d["n_a"], None, :] - x[None, d["n_a"]:, :], axis=-1).min()
    tag = f"d{'p' if step_angstrom > 0 else 'm'}{abs(step_angstrom):.2f}"
    return {**{k: v for k, v in d.items() if not k.startswith("source") and k != "step_angstrom"},
            "name": f"{d['name']}-{tag}", "coords_angstrom": x, "r_min_nm": float(gap) / 10.0,
            "source": d["name"], "step_angstrom": float(step_angstrom), "source_r_min_nm": float(d["r_min_nm"]),
            "source_com_angstrom": r_com}


def displace_folder(dimers_folder, out, step_angstrom: float = DISPLACEMENT_STEP_ANGSTROM) -> Path:
    """Write ``out``/:data:`UNLABELLED`: every dimer of ``dimers_folder`` (labelled liquid dimers) moved by
    −``step_angstrom`` and +``step_angstrom`` along its centre-of-mass line; an existing cut file is kept (resume)."""
    if not step_angstrom > 0.0:
        raise MlparamsError(f"step {step_angstrom} Å: give a positive step such as {DISPLACEMENT_STEP_ANGSTROM}")
    out = Path(out)
    path = out / UNLABELLED
    if path.is_file():
        return path
    sources = read_cut(Path(dimers_folder))
    if not sources:
        raise MlparamsError(f"no dimers in {dimers_folder}; give the dimers/ folder of 'mlparams gnn liquid-dimers'")
    write_text(path, "".join(dimer_text(displaced(d, s * step_angstrom)) for d in sources for s in (-1.0, 1.0)))
    return path


def displaced_pairs(names) -> np.ndarray:
    """Rows (minus, plus) of the displaced-dimer pairs among ``names`` (X-dmS and X-dpS, both present), in the
    order of the minus rows. Displaced names must be unique (two folders cut at the same frame and molecule indices
    would pair one folder's minus with the other's plus)."""
    import re
    from collections import Counter

    twice = sorted(n for n, c in Counter(map(str, names)).items() if c > 1 and re.search(r"-d[mp]\d+\.\d+$", n))
    if twice:
        raise MlparamsError(f"{len(twice)} displaced dimer name(s) appear more than once among the dimers (first: "
                            f"{twice[0]}); give each folder's dimers distinct names")
    index = {str(n): k for k, n in enumerate(names)}
    out = []
    for k, n in enumerate(names):
        m = re.fullmatch(r"(.+)-dm(\d+\.\d+)", str(n))
        if m and f"{m.group(1)}-dp{m.group(2)}" in index:
            out.append((k, index[f"{m.group(1)}-dp{m.group(2)}"]))
    return np.array(out, dtype=int).reshape(-1, 2)


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


def _label_one(d: dict, basis: str, threads: int):
    """(name, E_int kcal/mol or None, failure text or None) of one dimer; a worker of :func:`label_dimers`."""
    from pyscf import lib

    lib.num_threads(threads)
    try:
        return d["name"], interaction_energy_kcal(d["symbols"], d["coords_angstrom"], d["n_a"], basis), None
    except Exception as exc:  # one dimer's failure must not lose the others
        return d["name"], None, f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


def label_dimers(folder, basis: str = BASIS, limit: int | None = None, progress: bool = True,
                 jobs: int = 1) -> dict:
    """Label the cut dimers of ``folder`` (:data:`UNLABELLED`), resumably, ``jobs`` dimers at a time (the cores
    shared among them); write every finished dimer into ``folder``/:data:`LABELLED` and the failed ones into
    :data:`FAILURES`. Returns {labelled, failed, folder}."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from tqdm import tqdm

    folder = Path(folder)
    cut = folder / UNLABELLED
    if not cut.is_file():
        raise MlparamsError(f"{cut} does not exist; cut dimers first (mlparams gnn liquid-dimers ... --out {folder})")
    if jobs < 1:
        raise MlparamsError(f"jobs {jobs}: give 1 or more dimers at a time")
    dimers = read_cut(cut)[:limit]
    items = folder / ITEMS
    items.mkdir(exist_ok=True)
    failures_path = folder / FAILURES
    failures = json.loads(failures_path.read_text()) if failures_path.is_file() else {}
    todo = [d for d in dimers if not (items / f"{d['name']}.json").is_file()]
    threads = max(1, (os.cpu_count() or 1) // jobs)

    def record(name, energy, failure):
        if energy is None:
            failures[name] = failure
            write_json(failures_path, failures)
        else:
            failures.pop(name, None)
            write_json(items / f"{name}.json", {"E_int_kcal_mol": energy, "basis": basis, "level": level_of_theory(basis)},
                       indent=None)

    bar = tqdm(total=len(dimers), initial=len(dimers) - len(todo), desc="counterpoise DFT", unit="dimer",
               disable=not progress)
    if jobs == 1:
        for d in todo:
            record(*_label_one(d, basis, threads))
            bar.update(1)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for future in as_completed([pool.submit(_label_one, d, basis, threads) for d in todo]):
                record(*future.result())
                bar.update(1)
    bar.close()
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


def _results_by_file(path) -> dict:
    """{file: (E_ref, E_model)} of the dimers an ``interaction_results.csv`` scored."""
    import csv

    with open(path, newline="") as fh:
        return {r["file"]: (float(r["E_ref"]), float(r["E_model"])) for r in csv.DictReader(fh) if r["status"] == "ok"}


def slopes(displaced_folder, results_csv) -> dict:
    """Central-difference slopes dE_int/dR (kcal/mol/Å, R the centre-of-mass distance) of each source dimer whose
    two displaced copies in ``displaced_folder`` were scored: {source: (source r_min nm, R Å, DFT, model)}."""
    from mlparams.dimers import read_dimers

    energies = _results_by_file(results_csv)
    pairs: dict = {}
    for d in read_dimers(displaced_folder):
        info = d.info
        key = f"{info['name']}.xyz"
        if "source" not in info:
            raise MlparamsError(f"{d.path} has no source: give the dimers/ folder of 'mlparams gnn displaced-dimers'")
        if key in energies:
            pairs.setdefault(info["source"], {})[float(info["step_angstrom"])] = (
                energies[key], float(info["source_r_min_nm"]), float(info["source_com_angstrom"]))
    out = {}
    for source, by_step in sorted(pairs.items()):
        if len(by_step) != 2:
            continue
        (lo, (e_lo, r_min, r_com)), (hi, (e_hi, _, _)) = sorted(by_step.items())
        h = hi - lo
        out[source] = (r_min, r_com, (e_hi[0] - e_lo[0]) / h, (e_hi[1] - e_lo[1]) / h)
    return out


def slope_table(displaced_folder, results: dict) -> str:
    """Markdown table of the slope dE_int/dR (kcal/mol/Å) of models against DFT by the source dimer's closest
    contact; ``results`` maps a model label to its ``interaction_results.csv`` on the displaced dimers. A repulsive
    contact has dE/dR < 0. The error is model − DFT: positive means the model's pair pushes apart less (or pulls
    together more) than DFT's, so its liquid's pressure is lower at a given density and it settles denser.
    R·dE/dR (kcal/mol) is the pair's term of the virial sum, P = ρkT − (1/3V) Σ R·dE/dR."""
    lines = ["| model | closest contact nm | pairs | mean DFT dE/dR | mean error dE/dR | RMSE dE/dR | "
             "mean error R·dE/dR |", "|---|---|---|---|---|---|---|"]
    for label, path in results.items():
        found = slopes(displaced_folder, path)
        if not found:
            continue
        r_min, r_com, ref, model = np.array(list(found.values())).T
        err = model - ref
        random = ~np.isin(list(found), frame_closest(found))
        selections = [(f"{lo:.2f}–{hi:.2f}", (r_min >= lo) & (r_min < hi))
                      for lo, hi in zip(DISTANCE_BINS_NM[:-1], DISTANCE_BINS_NM[1:])]
        selections += [("all", np.ones(len(err), bool)), ("all but each frame's closest", random)]
        for span, s in selections:
            if s.any():
                lines.append(f"| {label} | {span} | {int(s.sum())} | {ref[s].mean():+.2f} | {err[s].mean():+.2f} | "
                             f"{np.sqrt((err[s] ** 2).mean()):.2f} | {(r_com[s] * err[s]).mean():+.2f} |")
    return "\n".join(lines) + "\n"


def frame_closest(by_source: dict) -> list[str]:
    """The names among ``by_source`` ({name: (r_min nm, ...)}) that are their frame's closest pair (the least r_min
    of the names sharing the cut's ``-fNNN-`` frame tag): :func:`cut_dimers` always takes that pair, so without it
    the rest are a uniform sample of the frame's contacts, the liquid's population."""
    import re

    frames: dict = {}
    for name, values in by_source.items():
        tag = re.search(r"-f(\d+)-", name)
        frames.setdefault(tag.group(1) if tag else name, []).append((values[0], name))
    return [min(members)[1] for members in frames.values()]


def slope_plot(displaced_folder, results: dict, path) -> None:
    """Parity plot of the models' slopes against DFT's (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlparams.atomic_files import replacing

    fig, ax = plt.subplots(figsize=(5.5, 5))
    values = []
    for label, csv_path in results.items():
        rows = np.array(list(slopes(displaced_folder, csv_path).values()))
        if len(rows):
            ax.plot(rows[:, 2], rows[:, 3], "o", ms=4, alpha=0.7, label=label)
            values += list(rows[:, 2]) + list(rows[:, 3])
    if values:
        lo, hi = min(values), max(values)
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
    ax.set_xlabel("DFT dE_int/dR (kcal/mol/Å)")
    ax.set_ylabel("model dE_int/dR (kcal/mol/Å)")
    ax.set_title("slope along the centre-of-mass line, liquid contact dimers")
    ax.legend(fontsize=8)
    fig.tight_layout()
    with replacing(Path(path)) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def main(argv=None) -> int:
    """``python -m mlparams.liquid_dimers DIMERS_FOLDER LABEL=interaction_results.csv ... --out TABLE.md [--slopes]``"""
    import argparse

    ap = argparse.ArgumentParser(description="error of models on liquid contact dimers, by closest-contact distance")
    ap.add_argument("dimers", help="the dimers/ folder of 'mlparams gnn liquid-dimers' (or displaced-dimers)")
    ap.add_argument("results", nargs="+", metavar="LABEL=CSV", help="interaction_results.csv of each model")
    ap.add_argument("--out", required=True, help="markdown file to write")
    ap.add_argument("--slopes", action="store_true",
                    help="DIMERS is a displaced-dimers folder: tabulate slopes dE/dR, and plot them beside --out")
    args = ap.parse_args(argv)
    results = {}
    for item in args.results:
        label, _, path = item.partition("=")
        if not path or not Path(path).is_file():
            raise SystemExit(f"error: {item}: give LABEL=PATH to an interaction_results.csv that exists")
        results[label] = path
    out = Path(args.out)
    try:
        if args.slopes:
            write_text(out, slope_table(args.dimers, results))
            slope_plot(args.dimers, results, out.with_suffix(".png"))
        else:
            write_text(out, error_table(args.dimers, results))
    except MlparamsError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(out.read_text(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
