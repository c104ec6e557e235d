"""Uptake of a gas by a spherical porous particle and its micropores (Boyko et al. 2025, eqs. 10–13).

Two coupled fields, in reduced units (lengths in particle radii R, pore lengths in the pore's own radius,
concentrations in the gas concentration C_s at the particle surface, times in R²/D_ref with D_ref = 1):

* C(r, t) in the particle, ∂C/∂t = D_eff (1/r²) ∂/∂r (r² ∂C/∂r), C(1, t) = 1 (the gas outside), C(r, 0) = 0,
  ∂C/∂r = 0 at the centre;
* q(ρ, z, t) in a pore that runs along the particle's radius (z = r): ∂q/∂t = D_p [(1/ρ) ∂/∂ρ (ρ ∂q/∂ρ) + ∂²q/∂z²],
  with the pore wall (ρ = 1) in Langmuir equilibrium with the particle, q(1, z, t) = q_max b C(z, t) /
  (1 + b C(z, t)), b = b0 exp(−E_ac/kT(t)) (eq. 12), no flux through the pore axis and ends, q(ρ, z, 0) = 0.

The temperature follows a known linear ramp T(t) = T0 + ΔT t / t_end, so that b changes during the run (the
paper's T^n in eq. 13); that is what makes E_ac, hence σ and ε, visible in the maps. The pore-coupling
geometry, the ramp and the reduced units are our choices; the paper does not give them.

The scheme is explicit (forward Euler, central differences, the r = 0 and ρ = 0 limits of eq. 13), vectorised
over a batch of samples. A time step above the explicit stability limit, dt ≤ Δr²/(6 D_eff) for the sphere
(the centre's 6D/Δr² term) and dt ≤ 1/(2 D_p (2/Δρ² + 1/Δz²)) for the pore, is refused with the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlparams.errors import MlparamsError


@dataclass(frozen=True)
class Grid:
    """Grid sizes and the snapshots kept: n_r radial points in the particle (= pore z points), n_rho radial
    points in the pore, n_frames snapshots equally spaced in (0, t_end]."""

    n_r: int = 24
    n_rho: int = 8
    n_frames: int = 12
    t_end: float = 0.3
    pore_length: float = 4.0  # pore length / pore radius: Δz in pore radii = pore_length / (n_r − 1)


def stability_limit(d_eff, d_p, grid: Grid) -> float:
    """Largest stable explicit time step for the largest D_eff and D_p given."""
    dr = 1.0 / (grid.n_r - 1)
    drho = 1.0 / (grid.n_rho - 1)
    dz = grid.pore_length / (grid.n_r - 1)
    lim_c = dr * dr / (6.0 * float(np.max(d_eff)))
    lim_q = 1.0 / (2.0 * float(np.max(d_p)) * (2.0 / drho**2 + 1.0 / dz**2))
    return min(lim_c, lim_q)


def simulate(d_eff, d_p, log_b_of_t, grid: Grid = Grid(), q_max: float = 1.0, dt: float | None = None):
    """C maps (B, frames, n_r) and q maps (B, frames, n_rho, n_r) for a batch of samples.

    d_eff, d_p: arrays (B,); log_b_of_t: callable t -> ln b (B,) at reduced time t. dt defaults to 0.9 × the
    stability limit; a larger one is refused.
    """
    d_eff = np.atleast_1d(np.asarray(d_eff, dtype=float))
    d_p = np.atleast_1d(np.asarray(d_p, dtype=float))
    if np.any(d_eff <= 0) or np.any(d_p <= 0):
        raise MlparamsError("diffusion coefficients must be positive (reduced units, e.g. 0.5)")
    limit = stability_limit(d_eff, d_p, grid)
    if dt is None:
        dt = 0.9 * limit
    elif dt > limit:
        raise MlparamsError(f"time step {dt:.3g} exceeds the explicit scheme's stability limit {limit:.3g} "
                            f"(reduced units); use dt <= {limit:.3g} or a coarser grid")
    b_count = d_eff.size
    nr, nrho = grid.n_r, grid.n_rho
    dr, drho = 1.0 / (nr - 1), 1.0 / (nrho - 1)
    dz = grid.pore_length / (nr - 1)
    r = np.linspace(0.0, 1.0, nr)
    rho = np.linspace(0.0, 1.0, nrho)
    C = np.zeros((b_count, nr))
    C[:, -1] = 1.0
    q = np.zeros((b_count, nrho, nr))
    n_steps = int(np.ceil(grid.t_end / dt))
    dt = grid.t_end / n_steps
    frame_steps = set(np.round(np.linspace(n_steps / grid.n_frames, n_steps, grid.n_frames)).astype(int).tolist())
    c_frames, q_frames = [], []
    de = d_eff[:, None]
    dp = d_p[:, None, None]
    inv_r = np.zeros(nr)
    inv_r[1:] = 1.0 / r[1:]
    inv_rho = np.zeros(nrho)
    inv_rho[1:] = 1.0 / rho[1:]
    for step in range(1, n_steps + 1):
        t = step * dt
        lap = np.empty_like(C)
        lap[:, 1:-1] = ((C[:, 2:] - 2 * C[:, 1:-1] + C[:, :-2]) / dr**2
                        + inv_r[1:-1] * (C[:, 2:] - C[:, :-2]) / dr)
        lap[:, 0] = 6.0 * (C[:, 1] - C[:, 0]) / dr**2
        lap[:, -1] = 0.0
        C = C + dt * de * lap
        C[:, -1] = 1.0
        b = np.exp(log_b_of_t(t))[:, None]
        wall = q_max * b * C / (1.0 + b * C)
        qp = np.pad(q, ((0, 0), (0, 0), (1, 1)), mode="edge")  # no flux through the pore's ends
        lap_q = np.empty_like(q)
        lap_q[:, 1:-1, :] = ((q[:, 2:, :] - 2 * q[:, 1:-1, :] + q[:, :-2, :]) / drho**2
                             + inv_rho[1:-1, None] * (q[:, 2:, :] - q[:, :-2, :]) / (2 * drho))
        lap_q[:, 0, :] = 4.0 * (q[:, 1, :] - q[:, 0, :]) / drho**2
        lap_q[:, -1, :] = 0.0
        lap_q += (qp[:, :, 2:] - 2 * q + qp[:, :, :-2]) / dz**2
        q = q + dt * dp * lap_q
        q[:, -1, :] = wall
        if step in frame_steps:
            c_frames.append(C.copy())
            q_frames.append(q.copy())
    return np.stack(c_frames, axis=1), np.stack(q_frames, axis=1)
