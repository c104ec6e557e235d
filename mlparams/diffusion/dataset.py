"""Synthetic concentration maps for the inverse model: sampled parameters → (C, q, T) stacks.

Each sample draws a substance (methane or propane), σ and ε uniformly within ±15 % of the paper's theoretical
values for it, D_eff and D_p log-uniformly in [0.2, 2] (reduced units) and the start T0 of a 100 K temperature
ramp uniformly in [150, 250] K; E_ac(T) = Ũ(σ, ε) + (i/2)kT (:mod:`mlparams.diffusion.activation`), and
b(T) = b0 exp(−E_ac/kT) with b0 = 0.5 exp(i/2) for each gas (our choice, so that b·C_s is of order one for
both gases; the paper gives no b0). Optional Gaussian noise of a given relative size is added to the maps.

Ũ = 4ε S(σ): the quadrature S(σ) is done once per gas on 41 values of σ and interpolated (cubic spline).
The network input is a (3, frames, n_rho, n_r) tensor: the pore map q, the particle profile C broadcast over
the pore radius, and the known temperature ramp, scaled to [0, 1], broadcast over space.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mlparams.atomic_files import replacing
from mlparams.diffusion.activation import DEGREES_OF_FREEDOM, K_B_MEV_PER_K, THEORY, _shape_integral
from mlparams.diffusion.kinetics import Grid, simulate
from mlparams.errors import DataFormatError, MissingFileError, MlparamsError

SUBSTANCES = ("methane", "propane")
PRIOR_HALF_WIDTH = 0.15
D_RANGE = (0.2, 2.0)
T0_RANGE = (150.0, 250.0)
RAMP_K = 100.0
T_SCALE = (150.0, 350.0)


@dataclass
class Sample:
    substance: str
    sigma_nm: float
    epsilon_mev: float
    d_eff: float
    d_p: float
    t0_k: float


@functools.lru_cache(maxsize=4)
def _shape_spline(substance: str):
    from scipy.interpolate import CubicSpline

    s0 = THEORY[substance][0]
    sig = np.linspace(s0 * (1 - 1.2 * PRIOR_HALF_WIDTH), s0 * (1 + 1.2 * PRIOR_HALF_WIDTH), 41)
    return CubicSpline(sig, [_shape_integral(substance, round(float(s), 9), 97) for s in sig])


def u_tilde(substance: str, sigma_nm, epsilon_mev):
    """Ũ (meV) from the interpolated quadrature; within the sampled σ range only."""
    s0 = THEORY[substance][0]
    sigma_nm = np.asarray(sigma_nm, dtype=float)
    if np.any(np.abs(sigma_nm / s0 - 1) > 1.2 * PRIOR_HALF_WIDTH + 1e-9):
        raise MlparamsError(f"sigma {sigma_nm} nm lies outside the range the {substance} model covers "
                            f"({s0 * (1 - 1.2 * PRIOR_HALF_WIDTH):.3f}-{s0 * (1 + 1.2 * PRIOR_HALF_WIDTH):.3f} nm)")
    return 4.0 * np.asarray(epsilon_mev, dtype=float) * _shape_spline(substance)(sigma_nm)


def log_b(substance: str, u_mev, temperature_k):
    """ln b = ln b0 − E_ac/kT with b0 = 0.5 exp(i/2): ln 0.5 − Ũ/kT."""
    i = DEGREES_OF_FREEDOM[substance]
    kt = K_B_MEV_PER_K * np.asarray(temperature_k, dtype=float)
    e_ac = np.asarray(u_mev) + 0.5 * i * kt
    return np.log(0.5) + 0.5 * i - e_ac / kt


def draw(rng, n: int, substance: str | None = None) -> list[Sample]:
    out = []
    for _ in range(n):
        sub = substance or SUBSTANCES[int(rng.integers(2))]
        s0, e0 = THEORY[sub]
        out.append(Sample(sub, s0 * (1 + rng.uniform(-PRIOR_HALF_WIDTH, PRIOR_HALF_WIDTH)),
                          e0 * (1 + rng.uniform(-PRIOR_HALF_WIDTH, PRIOR_HALF_WIDTH)),
                          float(10 ** rng.uniform(*np.log10(D_RANGE))), float(10 ** rng.uniform(*np.log10(D_RANGE))),
                          float(rng.uniform(*T0_RANGE))))
    return out


def maps(samples: list[Sample], grid: Grid = Grid(), noise: float = 0.0, rng=None) -> np.ndarray:
    """Network inputs (B, 3, frames, n_rho, n_r) float32 for the samples."""
    us = np.array([float(u_tilde(s.substance, s.sigma_nm, s.epsilon_mev)) for s in samples])
    subs = [s.substance for s in samples]
    t0 = np.array([s.t0_k for s in samples])

    def lnb(t):
        temp = t0 + RAMP_K * t / grid.t_end
        return np.array([log_b(sub, u, tk) for sub, u, tk in zip(subs, us, temp)])

    C, q = simulate([s.d_eff for s in samples], [s.d_p for s in samples], lnb, grid)
    if noise:
        rng = rng or np.random.default_rng(0)
        C = C + noise * rng.standard_normal(C.shape)
        q = q + noise * rng.standard_normal(q.shape)
    frames = (np.arange(1, grid.n_frames + 1) / grid.n_frames)
    temp = (t0[:, None] + RAMP_K * frames[None, :] - T_SCALE[0]) / (T_SCALE[1] - T_SCALE[0])
    x = np.empty((len(samples), 3, grid.n_frames, grid.n_rho, grid.n_r), dtype=np.float32)
    x[:, 0] = q
    x[:, 1] = C[:, :, None, :]
    x[:, 2] = temp[:, :, None, None]
    return x


def generate(n: int, seed: int, noise: float = 0.0, batch: int = 256, progress=None) -> tuple[np.ndarray, list[Sample]]:
    """n samples from one seed (reproducible), simulated in batches."""
    rng = np.random.default_rng(seed)
    samples = draw(rng, n)
    xs = []
    for k in range(0, n, batch):
        xs.append(maps(samples[k:k + batch], noise=noise, rng=rng))
        if progress:
            progress(min(n, k + batch))
    return np.concatenate(xs), samples


def save(path, x: np.ndarray, samples: list[Sample], meta: dict | None = None) -> Path:
    """Compressed npz: maps as float16, parameters as JSON text."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        np.savez_compressed(tmp, maps=x.astype(np.float16),
                            samples=json.dumps([asdict(s) for s in samples]), meta=json.dumps(meta or {}))
    return path


def load(path) -> tuple[np.ndarray, list[Sample], dict]:
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path} does not exist; write one with mlparams diffusion simulate --out {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            x = z["maps"].astype(np.float32)
            samples = [Sample(**s) for s in json.loads(str(z["samples"]))]
            meta = json.loads(str(z["meta"]))
    except (KeyError, ValueError, OSError) as exc:
        raise DataFormatError(f"{path} is not a map file written by mlparams diffusion simulate ({exc})") from None
    grid = Grid()
    if x.ndim != 5 or x.shape[1:] != (3, grid.n_frames, grid.n_rho, grid.n_r):
        raise DataFormatError(f"{path}: maps of shape {x.shape[1:]}, expected (3, {grid.n_frames}, {grid.n_rho}, {grid.n_r})")
    return x, samples, meta
