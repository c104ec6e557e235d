"""Activation energy of methane or propane in a micropore from the Lennard-Jones matrix element (Boyko et al. 2025).

Orbitals (eq. 4): hydrogen-like 2s and 2p functions with the Bohr radius a_B,

    ψ_2s(r) = (2 − r/a_B) e^(−r/2a_B) / (4√(2π a_B³)),   ψ_2p_x = x e^(−r/2a_B) / (4√(2π a_B⁵)),

sp³ hybrids ψ_i = ½(ψ_2s + d_i·ψ_2p) with d_i = (±1, ±1, ±1) as in eq. 3, methane ψ = Σ_i ψ_i on one carbon
(eq. 2) and propane the same on three carbons at (−d, 0, 0), (0, 0, 0), (d, 0, 0) (eq. 7). Note what the
paper's sums imply: Σ_i d_i = 0, so the p parts cancel and ψ = 2ψ_2s per carbon; we keep the formula as written.

Matrix element (eq. 8): Ũ = 4ε ⟨ψ| (σ/r)¹² − (σ/r)⁶ |ψ⟩ / ⟨ψ|ψ⟩. Choices the paper leaves open (ours):

* the origin of r, "the centre localising the molecule", is the molecule's centre (the middle carbon): the
  molecule sits at the centre of its trap;
* inside the Lennard-Jones minimum, r < r_m = 2^(1/6) σ, the potential is held at its minimum −ε (a flat
  bottom): as written, the r⁻¹² singularity at the origin, where the 2s density is largest, makes the integral
  diverge, and any cap on the wall would set Ũ by itself. So Ũ lies between −ε (the whole cloud inside r_m)
  and 0, and depends on σ through how much of the cloud lies beyond r_m;
* d = 0.153 nm, the C–C bond length of propane (the paper's chain is straight);
* quadrature on a uniform cubic grid over the cloud (half-edge: the outer carbon + 20 a_B, where the density
  has fallen by e⁻²⁰), refined until Ũ changes by less than 0.1 % (:func:`matrix_element` reports it).

Then E_ac = Ũ + (i/2)kT with i = 15 (methane) and 33 (propane) (eq. 9). Energies in meV, lengths in nm.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from mlparams.errors import MlparamsError

BOHR_NM = 0.052917721090
K_B_MEV_PER_K = 0.08617333262
CC_BOND_NM = 0.153
DEGREES_OF_FREEDOM = {"methane": 15, "propane": 33}
CARBONS = {"methane": (0.0,), "propane": (-CC_BOND_NM, 0.0, CC_BOND_NM)}
HYBRID_DIRECTIONS = np.array([(1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)], dtype=float)
#: The paper's theoretical values (σ nm, ε meV).
THEORY = {"methane": (0.373, 12.7), "propane": (0.512, 20.3)}


def orbitals(x, y, z):
    """(ψ_2s, ψ_2p_x, ψ_2p_y, ψ_2p_z) at points in nm, in nm^(-3/2)."""
    a = BOHR_NM
    r = np.sqrt(x * x + y * y + z * z)
    decay = np.exp(-r / (2 * a))
    s = (2.0 - r / a) * decay / (4.0 * np.sqrt(2.0 * np.pi * a**3))
    p = decay / (4.0 * np.sqrt(2.0 * np.pi * a**5))
    return s, p * x, p * y, p * z


def wavefunction(substance: str, x, y, z):
    """ψ of the molecule (eqs. 2, 5–7): the sum of the four sp³ hybrids on each carbon."""
    if substance not in CARBONS:
        raise MlparamsError(f"unknown substance {substance!r}; choose methane or propane")
    psi = 0.0
    for xc in CARBONS[substance]:
        s, px, py, pz = orbitals(x - xc, y, z)
        for d in HYBRID_DIRECTIONS:
            psi = psi + 0.5 * (s + d[0] * px + d[1] * py + d[2] * pz)
    return psi


def _lj_shape(r, sigma):
    """(σ/r)¹² − (σ/r)⁶ beyond the minimum r_m = 2^(1/6)σ, and its minimum −1/4 inside it."""
    s6 = (sigma / np.maximum(r, 2.0 ** (1.0 / 6.0) * sigma)) ** 6
    return s6 * s6 - s6


@dataclass(frozen=True)
class MatrixElement:
    value_mev: float
    points_per_axis: int
    relative_change: float


@functools.lru_cache(maxsize=4096)
def _shape_integral(substance: str, sigma_nm: float, n: int) -> float:
    half = max(CARBONS[substance]) + 20.0 * BOHR_NM
    g = np.linspace(-half, half, n)
    x, y, z = np.meshgrid(g, g, g, indexing="ij", sparse=True)
    rho = wavefunction(substance, x, y, z) ** 2
    r = np.sqrt(x * x + y * y + z * z)
    return float(np.sum(rho * _lj_shape(r, sigma_nm)) / np.sum(rho))


def matrix_element(substance: str, sigma_nm: float, epsilon_mev: float, tolerance: float = 1e-3) -> MatrixElement:
    """Ũ (meV) by quadrature, the grid doubled in density until it changes by less than ``tolerance``."""
    if not (0.1 < sigma_nm < 2.0) or not (0.0 < epsilon_mev < 1000.0):
        raise MlparamsError(f"sigma {sigma_nm} nm or epsilon {epsilon_mev} meV out of range; give sigma in nm "
                            "(e.g. 0.373) and epsilon in meV (e.g. 12.7)")
    previous = None
    for n in (65, 97, 129, 193):
        value = 4.0 * epsilon_mev * _shape_integral(substance, round(float(sigma_nm), 9), n)
        if previous is not None:
            change = abs(value - previous) / max(abs(value), 1e-12)
            if change < tolerance:
                return MatrixElement(value, n, change)
        previous = value
    raise MlparamsError(f"the quadrature for {substance} at sigma {sigma_nm} nm did not converge to {tolerance:g}")


def activation_energy(substance: str, sigma_nm: float, epsilon_mev: float, temperature_k) -> np.ndarray:
    """E_ac = Ũ + (i/2)kT in meV (eq. 9), for one or many temperatures."""
    u = matrix_element(substance, sigma_nm, epsilon_mev).value_mev
    return u + 0.5 * DEGREES_OF_FREEDOM[substance] * K_B_MEV_PER_K * np.asarray(temperature_k, dtype=float)
