"""Exp-6 per element and charge that imitates GAFF2's Lennard-Jones: a start for the liquid fit (``buckingham-gaff2``).

The dimer fit of :mod:`mlparams.models.buckingham_dimers` starts from random constants and finds repulsion that
holds gas-phase dimers but lets liquids pack 20–60 % too densely; reweighted liquid-pressure rounds from there
move slowly (README, issue #10). This module gives the same network (the paper's features: atomic mass,
covalent radius, atomic number, partial charge; the geometric mixing rule; the engines' guarded form) a start
in the basin where liquids are right: exp-6 pair curves that reproduce GAFF2's Lennard-Jones (Lorentz–Berthelot
cross pairs, as GAFF2 runs), learnt as a function of element and AM1-BCC charge over the molecules of
``mlparams/data/gnn/molecules.csv`` made of the model's elements (the training dimers' monomers, the dev
liquids and common fragments). Atoms of one element and similar charge but different GAFF2 types (a carbonyl
and a hydroxyl oxygen) get one compromise: the paper's features cannot tell them apart.

A start for the network: one atom's LJ (σ, ε) as exp-6 with steepness α (the well at r_m = 2^(1/6)·σ keeps
its depth ε),

    E(r) = ε/(α − 6) · [6·exp(α·(1 − r/r_m)) − α·(r_m/r)⁶]
    ⇒ A = 6ε·e^α/(α − 6),  B = r_m/α,  C = α·ε·r_m⁶/(α − 6)

with α = 13.772, the LJ curve's curvature at the minimum (6α(α − 7)/(α − 6) = 72). Then the curves
themselves (:func:`fit`), with the dimer fit's wall penalty, so every pair stays repulsive at short range.
Nothing here reads a reference energy: the dimer and liquid fits that start from this model do.
Units: nm, kJ/mol, e.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

import numpy as np

from mlparams.forms import buckingham as bk
from mlparams.models import buckingham_dimers as bd
from mlparams.models.buckingham_labels import feature_matrix

NAME = "buckingham-gaff2"
#: Exp-6 steepness whose curvature at the minimum equals Lennard-Jones' (72 ε/r_m²).
ALPHA = 13.772
#: Loss weights of the per-atom outputs (ln A, ln B, ln C) in the start phase.
Z_WEIGHTS = (1.0, 25.0, 1.0)
#: Optimiser steps of the start phase (per-atom labels; cheap).
LABEL_STEPS = 750
#: Pair curves: from where GAFF2's LJ is this high (kJ/mol), GRID_POINTS distances out to 2.5 σ_ij.
E_HIGH_KJ = 8.0
GRID_POINTS = 12
#: Pairs of atoms from different prior molecules added to the within-molecule pairs.
N_RANDOM_PAIRS = 5000
MOLECULES_CSV = Path(__file__).resolve().parent.parent / "data" / "gnn" / "molecules.csv"


def lj_to_exp6(sigma_nm, epsilon_kj, alpha: float = ALPHA) -> np.ndarray:
    """(n, 3) exp-6 constants A (kJ/mol), B (nm), C (kJ/mol·nm⁶) with LJ's minimum position and depth."""
    sigma = np.asarray(sigma_nm, dtype=float)
    eps = np.asarray(epsilon_kj, dtype=float)
    rm = 2.0 ** (1.0 / 6.0) * sigma
    return np.column_stack([6.0 * eps * np.exp(alpha) / (alpha - 6.0), rm / alpha,
                            alpha * eps * rm**6 / (alpha - 6.0)])


def prior_atoms(smiles_list) -> dict:
    """Per symmetry class of each molecule: element, AM1-BCC charge (e), GAFF2 σ (nm) and ε (kJ/mol)."""
    from mlparams.molecules import from_smiles
    from mlparams.systems import build_system

    out = {"smiles": [], "element": [], "charge": [], "sigma_nm": [], "epsilon_kj": []}
    for smiles in smiles_list:
        types = build_system([from_smiles(smiles)], [1], "gaff2").parameters.types
        for t in types:
            out["smiles"].append(smiles)
            out["element"].append(t.element)
            out["charge"].append(t.charge)
            out["sigma_nm"].append(t.vdw["sigma"])
            out["epsilon_kj"].append(t.vdw["epsilon"])
    return {k: np.array(v) for k, v in out.items()}


def targets(atoms: dict, charge_range: dict) -> tuple[list, np.ndarray, np.ndarray]:
    """(symbols, charges clamped to the model's range, z labels) of the atoms whose element the model knows."""
    keep = np.array([s in charge_range for s in atoms["element"]])
    symbols = atoms["element"][keep].tolist()
    q = np.array([np.clip(c, *charge_range[s]) for s, c in zip(symbols, atoms["charge"][keep])])
    c = lj_to_exp6(atoms["sigma_nm"][keep], atoms["epsilon_kj"][keep])
    z = np.log(c / np.array([bd.REFERENCE["A"], bd.REFERENCE["B"], bd.REFERENCE["C"]]))
    return symbols, q, z


def _pair_grid(atoms_sigma, atoms_eps, ii, jj) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, r, E_LJ) on each pair's grid: GAFF2's Lorentz–Berthelot LJ from where it is +E_HIGH to 2.5 σ_ij."""
    sig = 0.5 * (atoms_sigma[ii] + atoms_sigma[jj])
    eps = np.sqrt(atoms_eps[ii] * atoms_eps[jj])
    y = 0.5 * (1.0 + np.sqrt(1.0 + E_HIGH_KJ / eps))  # (σ/r)⁶ where 4ε[(σ/r)¹² − (σ/r)⁶] = E_HIGH
    r_lo = sig * y ** (-1.0 / 6.0)
    t = np.linspace(0.0, 1.0, GRID_POINTS)
    r = r_lo[:, None] + (2.5 * sig - r_lo)[:, None] * t[None, :] ** 1.5  # denser near the wall
    x6 = (sig[:, None] / r) ** 6
    e = 4.0 * eps[:, None] * (x6**2 - x6)
    return np.repeat(ii, GRID_POINTS), np.repeat(jj, GRID_POINTS), r.ravel(), e.ravel()


def pairs_to_match(atoms: dict, keep: np.ndarray, n_random: int = N_RANDOM_PAIRS, seed: int = 0):
    """Atom pairs whose GAFF2 curves the fit matches: every pair of types within each molecule (self pairs
    included) and ``n_random`` pairs across molecules; indices into the kept atoms."""
    index = -np.ones(len(keep), dtype=int)
    index[keep] = np.arange(int(keep.sum()))
    ii, jj = [], []
    for smiles in dict.fromkeys(atoms["smiles"].tolist()):
        k = index[(atoms["smiles"] == smiles) & keep]
        a, b = np.triu_indices(len(k))
        ii.append(k[a])
        jj.append(k[b])
    rng = np.random.default_rng(seed)
    n = int(keep.sum())
    ii.append(rng.integers(0, n, n_random))
    jj.append(rng.integers(0, n, n_random))
    return np.concatenate(ii), np.concatenate(jj)


def fit(steps: int = 3000, wall_weight: float = 10.0, progress: bool = True):
    """Fit the ``mlp`` network so that its exp-6 pair curves match GAFF2's LJ; returns the model with metrics.

    First a short fit to the per-atom labels of :func:`lj_to_exp6` (a start), then the curves: over every
    type pair within each prior molecule and random pairs across molecules, on a grid from where GAFF2's
    Lorentz–Berthelot LJ is +8 kJ/mol out to 2.5 σ_ij, the loss is the mean of
    ((E_model − E_LJ) / (0.5 kJ/mol + 0.25·|E_LJ|))², plus the dimer fit's wall penalty. Feature scaling and
    each element's charge range are those of the training dimers, so the dimer and liquid fits can start
    from this model (``train-liquids --init``)."""
    import pandas as pd

    from mlparams.models.dimer_pairs import TRAINING_SETS, VALIDATION_SETS, named_sets

    t0 = time.perf_counter()
    torch = bd._torch()
    torch.manual_seed(bd.SEED)
    data = named_sets(TRAINING_SETS, progress=progress)
    mean, std = bd.feature_scaling(data)
    cr = bd._charge_range(data)
    smiles = pd.read_csv(MOLECULES_CSV)["smiles"].tolist()
    atoms = prior_atoms(smiles)
    known = {s: all(e in cr for e in set(atoms["element"][atoms["smiles"] == s].tolist())) for s in smiles}
    keep = np.array([known[s] for s in atoms["smiles"]])  # molecules made of the model's elements only
    symbols, q, z_target = targets({k: v[keep] for k, v in atoms.items()}, cr)
    X = torch.tensor((feature_matrix(symbols, q) - mean) / std)
    ii, jj = pairs_to_match(atoms, keep)
    pi, pj, pr, pe = _pair_grid(atoms["sigma_nm"][keep], atoms["epsilon_kj"][keep], ii, jj)
    r_t, e_t = torch.tensor(pr), torch.tensor(pe)
    scale = 0.5 + 0.25 * torch.abs(e_t)
    ps, pq = bd.probe_atoms(cr)
    X_probe = torch.tensor((feature_matrix(ps, pq) - mean) / std)
    net = bd.make_network(torch)
    Z = torch.tensor(z_target)
    wz = torch.tensor(Z_WEIGHTS, dtype=torch.float64)
    start_steps = LABEL_STEPS
    bar = bd._bar(progress, "gaff2 prior", start_steps + steps)
    for phase, n_steps in (("labels", start_steps), ("curves", steps)):
        opt = torch.optim.Adam(net.parameters(), lr=0.01 if phase == "labels" else 0.003)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, n_steps, eta_min=3e-4)
        for step in range(n_steps):
            opt.zero_grad()
            z = net(X)
            if phase == "labels":
                loss = torch.mean(wz * (z - Z) ** 2)
            else:
                e = bd._pair_energy(torch, z[pi], z[pj], r_t, "geometric")
                loss = torch.mean(((e - e_t) / scale) ** 2)
            wall = bd._wall_penalty(torch, net(X_probe), pq, "geometric")
            (loss + wall_weight * wall).backward()
            opt.step()
            sched.step()
            if bar:
                bar(step + (start_steps if phase == "curves" else 0), start_steps + steps,
                    (float(loss.detach()), float(wall.detach())))
    model = bd.DimerBuckinghamModel(NAME, "mlp", "geometric", cr, mean.tolist(), std.tolist(),
                                    network=bd.network_lists(net))
    c = model.constants(symbols, q)
    A, B, C = bk.mix(c[pi, 0], c[pi, 1], c[pi, 2], c[pj, 0], c[pj, 1], c[pj, 2], "geometric")
    err = bk.energy(pr, A, B, C) - pe
    validation = {s: named_sets([s], progress=progress) for s in VALIDATION_SETS}
    model.metrics = {
        "model": NAME,
        "route": "mlp",
        "mixing_rule": "geometric",
        "alpha": ALPHA,
        "prior_molecules": int(sum(known.values())),
        "prior_atoms": len(symbols),
        "prior_pairs": int(len(ii)),
        "curve_error_kJ_mol": {
            "all": {"RMS": float(np.sqrt(np.mean(err**2))), "MAE": float(np.mean(np.abs(err)))},
            "E_LJ_below_1": float(np.sqrt(np.mean(err[pe < 1.0] ** 2))),
            "E_LJ_1_to_8": float(np.sqrt(np.mean(err[pe >= 1.0] ** 2))),
        },
        "z_rmse": {k: float(np.sqrt(np.mean((np.log(c[:, n] / bd.REFERENCE[k[-1]]) - z_target[:, n]) ** 2)))
                   for n, k in enumerate(("lnA", "lnB", "lnC"))},
        "training": bd.evaluate(model, data, "training"),
        "validation": bd.validation_metrics(model, validation),
        "wall": bd.wall_report(model),
        "steps": steps,
        "seconds_total": round(time.perf_counter() - t0, 1),
        "python": platform.python_version(),
    }
    return model
