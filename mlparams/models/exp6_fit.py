"""Fitting E(r) = A·exp(−r/B) − C/r⁶ to dimer scans (Lal et al. 2023, section 2.2).

Units here are the scans' own: r and B in Å, E and A in eV, C in eV·Å⁶. Conversion to OpenMM units
happens when fitted constants become model labels (:mod:`mlparams.models.buckingham_rf`).

Method
------
1. Grid-searched start. For fixed B the model is linear in A and C, so each B of a log-spaced grid gets
   its optimal non-negative (A, |C|) by NNLS with the sign of C imposed; the B with the smallest residual
   is the start.
2. Levenberg–Marquardt (scipy ``least_squares(method="lm")``) on unconstrained variables u that map into
   the box by p = lo + (hi − lo)·(1 + tanh u)/2 (A and B on a log scale, C on a linear one). The box
   therefore holds without a bounded solver.
3. R² = 1 − SSE/SST over all points of the scan (the paper's goodness of fit).

Sign conventions (``sign``):
* ``attractive`` (default, physical): C ≥ 0, an attractive r⁻⁶ dispersion term.
* ``repulsive`` (Lal et al.): C ≤ 0 as in their bounds C ∈ [−1, 0] eV·Å⁶.

Clustering refit (paper 2.2.2): per element, the configuration with the best R² sets a centre; every
configuration of that element is refitted inside a box around the centre (:func:`cluster_box`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares, nnls

SIGNS = ("attractive", "repulsive")
R2_THRESHOLD = 0.90


@dataclass(frozen=True)
class Box:
    """Bounds of A (eV), B (Å) and C (eV·Å⁶) for one fit."""

    A: tuple[float, float]
    B: tuple[float, float]
    C: tuple[float, float]


#: Bounds for the physical fit: the seed's limits on A and B (they stop the A–B trade-off from running
#: to A ~ 1e9 eV with B ~ 0.01 Å) and C ≥ 0 (attractive).
PHYSICAL_BOX = Box(A=(10.0, 1e7), B=(0.01, 1.0), C=(0.0, 1e3))
#: The seed repository's bounds (fit_to_constants.py): A 10–1e7, B 0.001–1, C in [−1, 0].
LAL2023_BOX = Box(A=(10.0, 1e7), B=(0.001, 1.0), C=(-1.0, 0.0))


@dataclass(frozen=True)
class Exp6Fit:
    """Fitted constants of one scan (eV, Å, eV·Å⁶) with R² and the number of points used."""

    A: float
    B: float
    C: float
    r2: float
    n_points: int


def exp6(r, A, B, C):
    """A·exp(−r/B) − C/r⁶ in the units of its arguments."""
    return A * np.exp(-r / B) - C / r**6


def r_squared(y, y_fit) -> float:
    """Coefficient of determination 1 − SSE/SST."""
    sst = float(np.sum((y - np.mean(y)) ** 2))
    sse = float(np.sum((y - y_fit) ** 2))
    return 1.0 - sse / sst if sst > 0 else (1.0 if sse == 0 else 0.0)


class _BoxMap:
    """Maps unconstrained u ↔ constants inside a box (log scale for A and B, linear for C)."""

    def __init__(self, box: Box):
        self.lo = np.array([np.log(box.A[0]), np.log(box.B[0]), box.C[0]])
        self.hi = np.array([np.log(box.A[1]), np.log(box.B[1]), box.C[1]])
        self.span = self.hi - self.lo

    def to_params(self, u):
        v = self.lo + self.span * 0.5 * (1.0 + np.tanh(u))
        return np.array([np.exp(v[0]), np.exp(v[1]), v[2]])

    def to_u(self, p):
        v = np.array([np.log(p[0]), np.log(p[1]), p[2]], dtype=float)
        x = np.where(self.span > 0, (v - self.lo) / np.where(self.span > 0, self.span, 1.0), 0.5)
        x = np.clip(x, 1e-9, 1 - 1e-9)
        return np.arctanh(2.0 * x - 1.0)


def _grid_start(r, E, box: Box, n_grid: int = 80):
    """Best (A, B, C) over a log grid of B, with A and C from sign-constrained linear least squares."""
    c_sign = -1.0 if box.C[1] <= 0 else 1.0
    best = None
    for B in np.geomspace(box.B[0], box.B[1], n_grid):
        # E = A·exp(−r/B) + c·(−c_sign/r⁶) with A, c ≥ 0 and C = c_sign·c.
        X = np.column_stack([np.exp(-r / B), -c_sign / r**6])
        scale = np.maximum(np.abs(X).max(axis=0), 1e-300)
        coef, _ = nnls(X / scale, E)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            A, c = np.nan_to_num(coef / scale, nan=0.0, posinf=np.inf)
        A = float(np.clip(A, *box.A))
        C = float(np.clip(c_sign * c, *box.C))
        sse = float(np.sum((exp6(r, A, B, C) - E) ** 2))
        if best is None or sse < best[0]:
            best = (sse, A, B, C)
    return np.array(best[1:])


def fit_exp6(r, E, box: Box = PHYSICAL_BOX, start=None) -> Exp6Fit:
    """Fit A·exp(−r/B) − C/r⁶ to energies E(r) inside ``box``; start grid-searched unless given."""
    r = np.asarray(r, dtype=float)
    E = np.asarray(E, dtype=float)
    if r.shape != E.shape or r.ndim != 1 or len(r) < 3:
        raise ValueError("fit_exp6 needs two 1-D arrays of the same length with at least 3 points")
    bmap = _BoxMap(box)
    p0 = np.asarray(start, dtype=float) if start is not None else _grid_start(r, E, box)
    p0 = np.array([np.clip(p0[0], *box.A), np.clip(p0[1], *box.B), np.clip(p0[2], *box.C)])
    scale = max(float(np.std(E)), 1e-12)

    def residual(u):
        with np.errstate(over="ignore", invalid="ignore"):
            res = (exp6(r, *bmap.to_params(u)) - E) / scale
        return np.nan_to_num(res, nan=1e6, posinf=1e6, neginf=-1e6)

    u0 = bmap.to_u(p0)
    result = least_squares(residual, u0, method="lm", max_nfev=4000, xtol=1e-12, ftol=1e-12)
    candidates = [bmap.to_params(result.x), p0]
    fits = []
    for p in candidates:
        with np.errstate(over="ignore", invalid="ignore"):
            fits.append((r_squared(E, exp6(r, *p)), p))
    r2, p = max(fits, key=lambda t: t[0] if np.isfinite(t[0]) else -np.inf)
    return Exp6Fit(A=float(p[0]), B=float(p[1]), C=float(p[2]), r2=float(r2), n_points=len(r))


def cluster_box(centre: Exp6Fit, sign: str) -> Box:
    """Box around an element's best fit used by the clustering refit.

    ``repulsive`` (Lal et al.): the seed code's firm bounds, A* ± 20 eV, B in (0, B* + 0.002] Å,
    C* ± 0.0005 eV·Å⁶ (clipped to C ≤ 0). ``attractive``: the same shape in relative terms, so that it
    serves light and heavy elements alike: A within ±1 % of A*, B in [B*/2, 1.02·B*], C in [0, 2C*]
    (at least [0, 1e-3] eV·Å⁶). A is then nearly one value per element and B carries the charge dependence.
    """
    if sign == "repulsive":
        return Box(
            A=(max(centre.A - 20.0, 1e-6), centre.A + 20.0),
            B=(1e-4, centre.B + 0.002),
            C=(centre.C - 0.0005, min(centre.C + 0.0005, 0.0)),
        )
    return Box(
        A=(0.99 * centre.A, 1.01 * centre.A),
        B=(0.5 * centre.B, 1.02 * centre.B),
        C=(0.0, max(2.0 * centre.C, 1e-3)),
    )
