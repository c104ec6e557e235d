"""Lennard-Jones 12-6 pair potential (GAFF2's own van der Waals term, the baseline model ``gaff2``).

    E(r) = 4ε[(σ/r)¹² − (σ/r)⁶]

Units: σ and r in nm, ε in kJ/mol. Mixing: Lorentz–Berthelot, σ_ij = (σ_i + σ_j)/2, ε_ij = √(ε_i ε_j),
as in Amber. The OpenMM exporter puts this form in a plain NonbondedForce, which mixes the same way.
"""

from __future__ import annotations

import numpy as np

NAME = "lj"
PARAMETERS = ("sigma", "epsilon")
PARAMETER_UNITS = {"sigma": "nm", "epsilon": "kJ/mol"}
MIXING_RULES = ("lorentz-berthelot",)
DEFAULT_MIXING_RULE = "lorentz-berthelot"


def energy(r, sigma, epsilon):
    """4ε[(σ/r)¹² − (σ/r)⁶] in kJ/mol for r in nm (broadcasts)."""
    x6 = (np.asarray(sigma, dtype=float) / np.asarray(r, dtype=float)) ** 6
    return 4.0 * epsilon * (x6 * x6 - x6)


def force(r, sigma, epsilon):
    """Radial force −dE/dr in kJ/mol/nm."""
    r = np.asarray(r, dtype=float)
    x6 = (sigma / r) ** 6
    return 24.0 * epsilon * (2.0 * x6 * x6 - x6) / r


def mix(sigma_i, epsilon_i, sigma_j, epsilon_j, rule: str = DEFAULT_MIXING_RULE):
    """Lorentz–Berthelot pair (σ_ij, ε_ij); broadcasts."""
    return 0.5 * (np.asarray(sigma_i) + np.asarray(sigma_j)), np.sqrt(np.asarray(epsilon_i) * np.asarray(epsilon_j))
