"""Lennard-Jones 12-6 plus six Gaussians, per type pair (Terets & Nikolayenko; filled by the GNN model).

    E(r) = C12/r¹² − C6/r⁶ + Σ_{k=1..6} a_k·exp(−(r − r_k)²/w_k²)

Units: r, r_k, w_k in nm; C6 in kJ/mol·nm⁶; C12 in kJ/mol·nm¹²; a_k in kJ/mol. The constants belong to a
type pair (no mixing rule): the parameter object carries them as n_types × n_types matrices.
"""

from __future__ import annotations

import numpy as np

NAME = "lj-gaussian"
N_GAUSSIANS = 6
PAIR_PARAMETERS = ("C6", "C12", *[f"{p}{k}" for k in range(1, N_GAUSSIANS + 1) for p in ("a", "r", "w")])
PARAMETERS = ()  # nothing per atom type
PARAMETER_UNITS = {"C6": "kJ/mol*nm^6", "C12": "kJ/mol*nm^12", "a_k": "kJ/mol", "r_k": "nm", "w_k": "nm"}
MIXING_RULES = ("none",)
DEFAULT_MIXING_RULE = "none"


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


def openmm_expression() -> str:
    """CustomNonbondedForce expression reading every constant from a Discrete2DFunction by type pair."""
    gauss = " + ".join(f"a{k}(t1,t2)*exp(-(r-r{k}(t1,t2))^2/w{k}(t1,t2)^2)" for k in range(1, N_GAUSSIANS + 1))
    return f"C12(t1,t2)/r^12 - C6(t1,t2)/r^6 + {gauss}"


def openmm_pair_expression() -> str:
    """CustomBondForce expression for a scaled 1-4 pair with its own constants as per-bond parameters."""
    gauss = " + ".join(f"a{k}*exp(-(r-r{k})^2/w{k}^2)" for k in range(1, N_GAUSSIANS + 1))
    return f"scale14*(C12/r^12 - C6/r^6 + {gauss})"
