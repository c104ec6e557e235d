"""Analytic potential-energy curves and surfaces, and the data sets the networks are fitted to.

Curves (1-D, distance r):

* ``lj``: Lennard-Jones E(r) = 4ε[(σ/r)¹² − (σ/r)⁶], ε = 3.180 meV, σ = 2.928 Å (the paper's Figure 1b);
  r from 0.9σ to 3σ (2.635–8.784 Å), energies in meV.
* ``morse``: Morse E(r) = D[1 − exp(−β(r − r_e))]², D = 7.10e-19 J, β = 1.8e10 m⁻¹ (Figure 1a). The paper
  does not give r_e; we take H₂'s 0.741 Å, whose D (7.18e-19 J) and β (1.94e10 m⁻¹) these constants are
  close to. r from 0.5 to 4.0 Å, energies in J (the paper's unit; its loss of 4.13e-37 is in J²).

Surfaces (2-D, coordinates x, y in the paper's reduced length unit, energies in its unit, De = 100):

* ``morse2d``: V(x, y) = M(x) + M(y), two uncoupled Morse stretches, M(q) = De[1 − exp(−a(q − re))]²,
  a = √(k / 2De) = 1 for k = 200, re = 1; x, y from 0.5 to 3.0.
* ``double-morse2d``: V(x, y) = W(x) + W(y), W(q) = M(q) + M(b − q): each coordinate a hydrogen-bond-like
  double Morse between two centres b apart (b = 3: one broad well; b = 5: two wells and a barrier);
  x, y from 0.5 to b − 0.5.

The paper does not state its ranges or sampling; these are ours. Sampling is a uniform grid (1-D: 1000
points; 2-D: 60 × 60), and the split into 80 % training and 20 % validation points is random (seeded).

User tables: a CSV whose header names the units, ``r_<unit>,energy_<unit>`` with length units nm, angstrom
or bohr and energy units kj_mol, kcal_mol, ev, mev or hartree (for example a QM scan of the Buckingham data).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlparams.errors import DataFormatError, MissingFileError, MlparamsError
from mlparams.units import EV_IN_KJ_PER_MOL

AVOGADRO = 6.02214076e23
LJ_EPSILON_MEV = 3.180
LJ_SIGMA_A = 2.928
MORSE_D_J = 7.10e-19
MORSE_BETA_PER_M = 1.8e10
MORSE_RE_A = 0.741
MORSE2D_DE = 100.0
MORSE2D_K = 200.0
MORSE2D_RE = 1.0
DOUBLE_MORSE_B = (3.0, 5.0)

#: nm per unit of length, kJ/mol per unit of energy (per molecule for J, eV, meV, hartree).
LENGTH_UNITS_NM = {"nm": 1.0, "angstrom": 0.1, "a": 0.1, "bohr": 0.052917721090, "m": 1e9}
ENERGY_UNITS_KJ_MOL = {"kj_mol": 1.0, "kcal_mol": 4.184, "ev": EV_IN_KJ_PER_MOL, "mev": 1e-3 * EV_IN_KJ_PER_MOL,
                       "hartree": 2625.4996394799, "j": AVOGADRO / 1000.0}

#: How the energy units are written in reports.
ENERGY_UNIT_LABELS = {"kj_mol": "kJ/mol", "kcal_mol": "kcal/mol", "ev": "eV", "mev": "meV", "hartree": "Eh", "j": "J",
                      "reduced": "reduced unit"}


@dataclass
class Dataset:
    """Inputs x (N × d), energies y (N), their units, and the exact function when there is one."""

    name: str
    x: np.ndarray
    y: np.ndarray
    input_names: tuple
    length_unit: str | None
    energy_unit: str
    description: str
    exact: object = None  # callable x (N × d) -> y, or None for tabulated data
    meta: dict = field(default_factory=dict)

    @property
    def energy_label(self) -> str:
        return ENERGY_UNIT_LABELS.get(self.energy_unit, self.energy_unit)

    @property
    def dimension(self) -> int:
        return int(self.x.shape[1])

    def split(self, val_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the training and validation points (random, seeded)."""
        if not 0.0 < val_fraction < 1.0:
            raise MlparamsError(f"validation fraction {val_fraction} must lie between 0 and 1, for example 0.2")
        order = np.random.default_rng(seed).permutation(len(self.y))
        n_val = max(1, int(round(val_fraction * len(self.y))))
        return np.sort(order[n_val:]), np.sort(order[:n_val])


def lennard_jones(r_a, epsilon_mev: float = LJ_EPSILON_MEV, sigma_a: float = LJ_SIGMA_A):
    """4ε[(σ/r)¹² − (σ/r)⁶] in meV for r in Å."""
    s6 = (sigma_a / np.asarray(r_a, dtype=float)) ** 6
    return 4.0 * epsilon_mev * (s6 * s6 - s6)


def morse(r_a, d: float = MORSE_D_J, beta_per_m: float = MORSE_BETA_PER_M, re_a: float = MORSE_RE_A):
    """D[1 − exp(−β(r − r_e))]², in the unit of D, for r in Å and β in m⁻¹."""
    return d * (1.0 - np.exp(-beta_per_m * 1e-10 * (np.asarray(r_a, dtype=float) - re_a))) ** 2


def _morse_reduced(q, de=MORSE2D_DE, k=MORSE2D_K, re=MORSE2D_RE):
    a = np.sqrt(k / (2.0 * de))
    return de * (1.0 - np.exp(-a * (q - re))) ** 2


def morse2d(x, y):
    """M(x) + M(y): two uncoupled Morse stretches (De = 100, k = 200, re = 1)."""
    return _morse_reduced(np.asarray(x, dtype=float)) + _morse_reduced(np.asarray(y, dtype=float))


def double_morse2d(x, y, b: float):
    """W(x) + W(y) with W(q) = M(q) + M(b − q): a double Morse well along each coordinate."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = lambda q: _morse_reduced(q) + _morse_reduced(b - q)  # noqa: E731
    return w(x) + w(y)


POTENTIALS = ("lj", "morse", "morse2d", "double-morse2d")


def _grid_1d(lo, hi, n):
    return np.linspace(lo, hi, n)[:, None]


def _grid_2d(lo, hi, n):
    g = np.linspace(lo, hi, n)
    xx, yy = np.meshgrid(g, g, indexing="ij")
    return np.column_stack([xx.ravel(), yy.ravel()])


def dataset(name: str, b: float = 5.0, n_points: int | None = None) -> Dataset:
    """One of :data:`POTENTIALS` sampled as the module docstring states, or a user table (a file path)."""
    if name == "lj":
        x = _grid_1d(0.9 * LJ_SIGMA_A, 3.0 * LJ_SIGMA_A, n_points or 1000)
        return Dataset("lj", x, lennard_jones(x[:, 0]), ("r",), "angstrom", "mev",
                       f"Lennard-Jones, epsilon {LJ_EPSILON_MEV} meV, sigma {LJ_SIGMA_A} A",
                       exact=lambda x: lennard_jones(x[:, 0]),
                       meta={"epsilon_mev": LJ_EPSILON_MEV, "sigma_a": LJ_SIGMA_A, "scale": LJ_EPSILON_MEV})
    if name == "morse":
        x = _grid_1d(0.5, 4.0, n_points or 1000)
        return Dataset("morse", x, morse(x[:, 0]), ("r",), "angstrom", "j",
                       f"Morse, D {MORSE_D_J} J, beta {MORSE_BETA_PER_M} 1/m, re {MORSE_RE_A} A",
                       exact=lambda x: morse(x[:, 0]), meta={"scale": MORSE_D_J})
    if name == "morse2d":
        n = int(round(np.sqrt(n_points))) if n_points else 60
        x = _grid_2d(0.5, 3.0, n)
        return Dataset("morse2d", x, morse2d(x[:, 0], x[:, 1]), ("x", "y"), None, "reduced",
                       "2-D Morse M(x) + M(y), De 100, k 200, re 1",
                       exact=lambda x: morse2d(x[:, 0], x[:, 1]), meta={"scale": MORSE2D_DE})
    if name == "double-morse2d":
        if not b > 2.0:
            raise MlparamsError(f"double-morse2d needs b > 2 (the two centres' separation), not {b}; the paper uses 3 and 5")
        n = int(round(np.sqrt(n_points))) if n_points else 60
        x = _grid_2d(0.5, b - 0.5, n)
        return Dataset(f"double-morse2d-b{b:g}", x, double_morse2d(x[:, 0], x[:, 1], b), ("x", "y"), None, "reduced",
                       f"double 2-D Morse W(x) + W(y), W(q) = M(q) + M(b - q), b {b:g}, De 100, k 200, re 1",
                       exact=lambda x: double_morse2d(x[:, 0], x[:, 1], b), meta={"scale": MORSE2D_DE, "b": b})
    path = Path(name)
    if path.suffix or path.exists() or "/" in name:
        return read_table(path)
    raise MlparamsError(f"unknown potential {name!r}; choose one of {', '.join(POTENTIALS)} or give a CSV file path")


def _unit(token: str, table: dict, what: str, path) -> str:
    key = token.lower()
    if key not in table:
        raise DataFormatError(f"{path}: {what} unit {token!r} is not known; use one of {', '.join(table)} "
                              f"in the header, e.g. r_angstrom,energy_kcal_mol")
    return key


def read_table(path) -> Dataset:
    """A user r–E table: CSV with header ``r_<length unit>,energy_<energy unit>``, at least 10 rows."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"potential table {path} does not exist; give a CSV with header r_angstrom,energy_kcal_mol")
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
    if not rows or len(rows[0]) < 2:
        raise DataFormatError(f"{path}: no header; the first line must be r_<unit>,energy_<unit>, e.g. r_angstrom,energy_kcal_mol")
    head = [h.strip() for h in rows[0][:2]]
    if not head[0].lower().startswith("r_") or not head[1].lower().startswith(("energy_", "e_")):
        raise DataFormatError(f"{path}: header {','.join(head)} must read r_<unit>,energy_<unit>, e.g. r_angstrom,energy_kcal_mol")
    length = _unit(head[0][2:], LENGTH_UNITS_NM, "length", path)
    energy = _unit(head[1].split("_", 1)[1], ENERGY_UNITS_KJ_MOL, "energy", path)
    try:
        data = np.array([[float(r[0]), float(r[1])] for r in rows[1:]], dtype=float)
    except (ValueError, IndexError):
        raise DataFormatError(f"{path}: a row holds no pair of numbers; every row after the header needs r,energy") from None
    if len(data) < 10 or not np.all(np.isfinite(data)):
        raise DataFormatError(f"{path}: {len(data)} rows, or non-finite values; a fit needs at least 10 finite r,energy rows")
    order = np.argsort(data[:, 0])
    data = data[order]
    if np.any(np.diff(data[:, 0]) <= 0) or data[0, 0] <= 0:
        raise DataFormatError(f"{path}: distances must be positive and distinct; remove repeated r values")
    return Dataset(path.stem, data[:, :1], data[:, 1], ("r",), length, energy, f"table {path.name}",
                   meta={"scale": float(np.ptp(data[:, 1])) or 1.0, "source": str(path)})


def to_md_units(ds: Dataset) -> tuple[float, float]:
    """(nm per input unit, kJ/mol per energy unit) of a 1-D curve; an error for surfaces and reduced units."""
    if ds.dimension != 1 or ds.length_unit is None or ds.energy_unit not in ENERGY_UNITS_KJ_MOL:
        raise MlparamsError(f"{ds.name} is not a pair curve in physical units; only 1-D r–E fits (lj, morse, a table) "
                            "become MD pair potentials")
    return LENGTH_UNITS_NM[ds.length_unit], ENERGY_UNITS_KJ_MOL[ds.energy_unit]
