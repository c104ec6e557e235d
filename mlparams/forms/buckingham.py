"""Buckingham exp-6 pair potential.

    E(r) = A·exp(−r/B) − C/r⁶                               (the paper's form, :func:`energy_undamped`)
    E(r) = A·exp(−r/B) − C/(r⁶ + d⁶·s(r))                   (what the engines compute, :func:`energy`)
    s(r) = (1 − r/r_s)³ for r < r_s, 0 beyond

Units (OpenMM's): r and B in nm, A in kJ/mol, C in kJ/mol·nm⁶, d and r_s in nm.

The guard. With C > 0 the plain form has an inner maximum below which −C/r⁶ wins and the energy dives to
−∞: two atoms that get too close fuse. Below r_s = 0.15 nm (:data:`SWITCH_NM`) the engines damp the
dispersion with d = 0.15 nm (:data:`DAMPING_NM`): E(0) = A − C/d⁶ is finite and the exponential wall wins
at short range. s(r) and its first two derivatives vanish at r_s, so energy and force are smooth, and from
0.15 nm on the form is exactly the paper's (LAMMPS then needs the guard's short table only inside 1.5 Å).
Every pair the shipped models can produce (charges −2…2 e) is repulsive from 0.01 to 0.1 nm (tested;
d = 0.1 nm left some heavy-element pairs attractive near 0.08 nm).

Sign of C. In mlparams C > 0 means an attractive dispersion term, as in every exp-6 force field and in
LAMMPS ``pair_style buck``. The seed repository of Lal et al. (2023) bounded C to [−1, 0] eV·Å⁶, i.e. a
*repulsive* r⁻⁶ term; the paper-faithful model (``buckingham-lal2023``) keeps those negative values and
the same formula, so its r⁻⁶ term adds repulsion. The mixing rules below work for either sign but
refuse to combine a positive C with a negative one.

Mixing rules (paper eqs. 2–4), for atoms i and j:

* ``geometric`` (the paper's): A_ij = √(A_i·A_j); B_ij = 1/√((1/B_i)(1/B_j)) = √(B_i·B_j);
  C_ij = s·√(|C_i|·|C_j|) where s is the common sign of C_i and C_j (the paper's eq. 4,
  C_mn = −(C_mm⁶·C_nn⁶)^(1/12), is this rule for its negative C).
* ``arithmetic-b``: as ``geometric`` but B_ij = (B_i + B_j)/2, the Lorentz-like choice that keeps a
  small hydrogen from sharing a large atom's soft repulsion length.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from mlparams.errors import MixingError

NAME = "buckingham"
#: Damping length d of the dispersion term (nm): the short-range guard.
DAMPING_NM = 0.15
#: The guard acts below this distance (nm) only.
SWITCH_NM = 0.15
PARAMETERS = ("A", "B", "C")
PARAMETER_UNITS = {"A": "kJ/mol", "B": "nm", "C": "kJ/mol*nm^6"}
MIXING_RULES = ("geometric", "arithmetic-b")
DEFAULT_MIXING_RULE = "geometric"


@dataclass(frozen=True)
class BuckinghamConstants:
    """Exp-6 constants of one atom (or one mixed pair).

    A_kJ_per_mol: prefactor of the exponential repulsion (kJ/mol).
    B_nm: decay length ρ of the repulsion (nm).
    C_kJ_per_mol_nm6: dispersion coefficient (kJ/mol·nm⁶); positive = attractive.
    element, charge: the atom they were predicted for (charge in e), when known.
    model: the model that produced them.
    """

    A_kJ_per_mol: float
    B_nm: float
    C_kJ_per_mol_nm6: float
    element: str | None = None
    charge: float | None = None
    model: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def energy_undamped(r, A, B, C):
    """The paper's E(r) = A·exp(−r/B) − C/r⁶ in kJ/mol for r in nm (broadcasts)."""
    r = np.asarray(r, dtype=float)
    return A * np.exp(-r / B) - C / r**6


def guard_switch(r, rs=SWITCH_NM):
    """s(r) = (1 − r/r_s)³ below r_s, 0 beyond; and ds/dr."""
    r = np.asarray(r, dtype=float)
    x = np.clip(1.0 - r / rs, 0.0, None)
    return x**3, -3.0 * x**2 / rs


def energy(r, A, B, C, d=DAMPING_NM, rs=SWITCH_NM):
    """Guarded E(r) = A·exp(−r/B) − C/(r⁶ + d⁶·s(r)) in kJ/mol for r in nm: the engines' NumPy reference."""
    r = np.asarray(r, dtype=float)
    s, _ = guard_switch(r, rs)
    return A * np.exp(-r / B) - C / (r**6 + d**6 * s)


def force(r, A, B, C, d=DAMPING_NM, rs=SWITCH_NM):
    """Radial force −dE/dr of :func:`energy` in kJ/mol/nm (positive = repulsive)."""
    r = np.asarray(r, dtype=float)
    s, ds = guard_switch(r, rs)
    return (A / B) * np.exp(-r / B) - C * (6.0 * r**5 + d**6 * ds) / (r**6 + d**6 * s) ** 2


def _common_sign(Ci, Cj):
    Ci = np.asarray(Ci, dtype=float)
    Cj = np.asarray(Cj, dtype=float)
    if np.any(Ci * Cj < 0):
        raise MixingError(
            "cannot mix a positive (attractive) C with a negative (repulsive) C; "
            "use constants from one model, which share one sign convention"
        )
    return np.where((Ci < 0) | (Cj < 0), -1.0, 1.0)


def mix(Ai, Bi, Ci, Aj, Bj, Cj, rule: str = DEFAULT_MIXING_RULE):
    """Pair constants (A_ij, B_ij, C_ij) from per-atom constants by a named rule; broadcasts over arrays."""
    if rule not in MIXING_RULES:
        raise MixingError(f"unknown mixing rule {rule!r}; choose one of {', '.join(MIXING_RULES)}")
    Ai, Bi, Aj, Bj = (np.asarray(x, dtype=float) for x in (Ai, Bi, Aj, Bj))
    if np.any(Ai < 0) or np.any(Aj < 0) or np.any(Bi <= 0) or np.any(Bj <= 0):
        raise MixingError("Buckingham A must be >= 0 and B > 0 for every atom before mixing")
    sign = _common_sign(Ci, Cj)
    A = np.sqrt(Ai * Aj)
    if rule == "geometric":
        B = np.sqrt(Bi * Bj)
    else:
        B = 0.5 * (Bi + Bj)
    C = sign * np.sqrt(np.abs(np.asarray(Ci, dtype=float)) * np.abs(np.asarray(Cj, dtype=float)))
    return A, B, C


def mix_constants(a: BuckinghamConstants, b: BuckinghamConstants, rule: str = DEFAULT_MIXING_RULE) -> BuckinghamConstants:
    """Mix two atoms' constants into the constants of their pair."""
    A, B, C = mix(a.A_kJ_per_mol, a.B_nm, a.C_kJ_per_mol_nm6, b.A_kJ_per_mol, b.B_nm, b.C_kJ_per_mol_nm6, rule)
    model = a.model if a.model == b.model else None
    return BuckinghamConstants(float(A), float(B), float(C), model=model)


def pair_table(A, B, C, rule: str = DEFAULT_MIXING_RULE):
    """Matrices (n×n) of mixed constants for per-type arrays A, B, C of length n."""
    A, B, C = (np.asarray(x, dtype=float) for x in (A, B, C))
    return mix(A[:, None], B[:, None], C[:, None], A[None, :], B[None, :], C[None, :], rule)


# --- OpenMM ---------------------------------------------------------------------------------------------
#: d⁶·s(r) in OpenMM's expression language, with global parameters dmp6 = d⁶ and rsw = r_s.
OPENMM_GUARD = "dmp6*step(rsw-r)*(1-r/rsw)^3"
# The mixing rules factorise into per-particle parameters, so the CustomNonbondedForce needs no table
# look-ups: for "geometric", A_ij = a_i·a_j with a = √A, B_ij = b_i·b_j with b = √B, and
# C_ij = s·c_i·c_j with c = √|C| and s the model's common sign of C.


def openmm_expression(rule: str = DEFAULT_MIXING_RULE) -> str:
    """Energy expression for an OpenMM CustomNonbondedForce with per-particle a, b, c (see above)."""
    if rule == "geometric":
        mixed_b = "b1*b2"
    elif rule == "arithmetic-b":
        mixed_b = "0.5*(b1+b2)"
    else:
        raise MixingError(f"unknown mixing rule {rule!r}; choose one of {', '.join(MIXING_RULES)}")
    return f"a1*a2*exp(-r/({mixed_b})) - csign*c1*c2/(r^6 + {OPENMM_GUARD})"


def openmm_per_particle(A, B, C, rule: str = DEFAULT_MIXING_RULE):
    """Per-particle (a, b, c) columns and the global sign of C for :func:`openmm_expression`."""
    A, B, C = (np.asarray(x, dtype=float) for x in (A, B, C))
    signs = np.sign(C[C != 0])
    if signs.size and not np.all(signs == signs[0]):
        raise MixingError("the model gives C of both signs; one System needs one sign convention")
    csign = float(signs[0]) if signs.size else 1.0
    b = np.sqrt(B) if rule == "geometric" else B
    return np.column_stack([np.sqrt(A), b, np.sqrt(np.abs(C))]), csign


#: Expression of the scaled 1-4 pairs (CustomBondForce), with the pair's own mixed A, B, C.
OPENMM_PAIR_EXPRESSION = f"scale14*(A*exp(-r/B) - C/(r^6 + {OPENMM_GUARD}))"
