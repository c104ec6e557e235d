"""Lennard-Jones 12-6 plus six Gaussians, per type pair (Terets & Nikolayenko; filled by the GNN model).

    E(r) = C12/r¹² − C6/r⁶ + Σ_{k=1..6} a_k·exp(−(r − r_k)²/w_k²)

Units: r, r_k, w_k in nm; C6 in kJ/mol·nm⁶; C12 in kJ/mol·nm¹²; a_k in kJ/mol. The constants belong to a
type pair (no mixing rule): the parameter object carries them as n_types × n_types matrices.

Reach of the Gaussians. They are short-ranged (the GNN puts their centres at 0.12–0.42 nm), so both engines
evaluate them only out to :func:`gaussian_reach_nm`, where every pair's every Gaussian has fallen below
:data:`GAUSSIAN_TOLERANCE_KJ_PER_MOL`; the LJ part keeps the full van der Waals cutoff. In OpenMM's CPU
kernel each Gaussian costs about as much as the whole LJ term per pair, so stopping them early is most of
the form's speed (``mlparams benchmark openmm``, ``mlparams benchmark lammps``).
"""

from __future__ import annotations

import numpy as np

NAME = "lj-gaussian"
N_GAUSSIANS = 6
GAUSSIAN_PARAMETERS = tuple(f"{p}{k}" for k in range(1, N_GAUSSIANS + 1) for p in ("a", "r", "w"))
PAIR_PARAMETERS = ("C6", "C12", *GAUSSIAN_PARAMETERS)
PARAMETERS = ()  # nothing per atom type
PARAMETER_UNITS = {"C6": "kJ/mol*nm^6", "C12": "kJ/mol*nm^12", "a_k": "kJ/mol", "r_k": "nm", "w_k": "nm"}
MIXING_RULES = ("none",)
DEFAULT_MIXING_RULE = "none"
#: A Gaussian smaller than this (kJ/mol) for every pair is dropped; the LJ term cut at 0.9 nm leaves
#: ~1e-3 kJ/mol per pair behind, a thousand times more.
GAUSSIAN_TOLERANCE_KJ_PER_MOL = 1e-6


def energy(r, p: dict):
    """E(r) in kJ/mol for r in nm with the pair's constants p (a dict of PAIR_PARAMETERS)."""
    r = np.asarray(r, dtype=float)
    e = p["C12"] / r**12 - p["C6"] / r**6
    for k in range(1, N_GAUSSIANS + 1):
        e = e + p[f"a{k}"] * np.exp(-((r - p[f"r{k}"]) ** 2) / p[f"w{k}"] ** 2)
    return e


def force(r, p: dict):
    """−dE/dr in kJ/mol/nm."""
    r = np.asarray(r, dtype=float)
    f = 12.0 * p["C12"] / r**13 - 6.0 * p["C6"] / r**7
    for k in range(1, N_GAUSSIANS + 1):
        d = r - p[f"r{k}"]
        f = f + p[f"a{k}"] * np.exp(-(d**2) / p[f"w{k}"] ** 2) * 2.0 * d / p[f"w{k}"] ** 2
    return f


def gaussian_reach_nm(table: dict, tolerance: float = GAUSSIAN_TOLERANCE_KJ_PER_MOL) -> float:
    """Distance (nm) beyond which |a_k|·exp(−(r − r_k)²/w_k²) < tolerance for every pair and k.

    table: the parameter object's pair table (n×n matrices of PAIR_PARAMETERS). Solving
    |a|·exp(−x²) = tolerance gives r = r_k + |w_k|·√ln(|a_k|/tolerance) (r_k for a Gaussian already below it).
    """
    reach = 0.0
    for k in range(1, N_GAUSSIANS + 1):
        a = np.abs(np.asarray(table[f"a{k}"], dtype=float))
        x = np.sqrt(np.log(np.maximum(a, tolerance) / tolerance))
        reach = max(reach, float(np.max(np.asarray(table[f"r{k}"]) + np.abs(np.asarray(table[f"w{k}"])) * x)))
    return reach


def openmm_lj_expression() -> str:
    """CustomNonbondedForce expression of the LJ part, C6 and C12 from Discrete2DFunctions by type pair."""
    return "C12(t1,t2)/r^12 - C6(t1,t2)/r^6"


def shared_centres_nm(table: dict) -> list[float] | None:
    """The centres r_k (nm) when every type pair has the same ones (the GNN's fixed centres), else None."""
    centres = []
    for k in range(1, N_GAUSSIANS + 1):
        r = np.asarray(table[f"r{k}"], dtype=float)
        if not np.all(r == r.flat[0]):
            return None
        centres.append(float(r.flat[0]))
    return centres


def openmm_gaussian_expression(centres_nm: list[float] | None = None) -> str:
    """CustomNonbondedForce expression of the six Gaussians, a_k and w_k from Discrete2DFunctions by type pair;
    r_k as constants when every pair shares them (``centres_nm``; one look-up fewer per Gaussian, 1.06× faster
    MD in ``mlparams benchmark openmm``), else from Discrete2DFunctions too."""
    terms = []
    for k in range(1, N_GAUSSIANS + 1):
        centre = f"({centres_nm[k - 1]!r})" if centres_nm is not None else f"r{k}(t1,t2)"
        terms.append(f"a{k}(t1,t2)*exp(-(r-{centre})^2/w{k}(t1,t2)^2)")
    return " + ".join(terms)


def openmm_pair_expression() -> str:
    """CustomBondForce expression for a scaled 1-4 pair with its own constants as per-bond parameters."""
    gauss = " + ".join(f"a{k}*exp(-(r-r{k})^2/w{k}^2)" for k in range(1, N_GAUSSIANS + 1))
    return f"scale14*(C12/r^12 - C6/r^6 + {gauss})"
