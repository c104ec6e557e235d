"""Per-configuration Buckingham labels from the seed QM scans (Lal et al. 2023, sections 2.2.1–2.2.2).

Two label sets, each one row per (element, charge) configuration:

* ``physical`` (default): cleaned scans, energy without the point-charge Coulomb term (correct constant
  14.3996 eV·Å), C ≥ 0 (attractive dispersion); fitted here, clustered here.
* ``lal2023``: the authors' choices. :func:`fit_configurations` with ``target="lal2023"`` refits their
  quantity with their bounds (C ≤ 0) to show that their constants are reproduced; the
  ``buckingham-lal2023`` model itself trains on their published clustered constants
  (``fitted_constants.csv``, ``final_data``) through :func:`published_labels`.

Labels are returned in OpenMM units: A in kJ/mol, B in nm, C in kJ/mol·nm⁶.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlparams.elements import features
from mlparams.errors import DataFormatError
from mlparams.models.exp6_fit import (
    LAL2023_BOX,
    PHYSICAL_BOX,
    R2_THRESHOLD,
    cluster_box,
    fit_exp6,
)
from mlparams.models.seed_scans import CleaningReport, data_dir, load_scans
from mlparams.units import ANGSTROM_IN_NM, EV_IN_KJ_PER_MOL

_SIGN = {"physical": "attractive", "lal2023": "repulsive"}
_BOX = {"physical": PHYSICAL_BOX, "lal2023": LAL2023_BOX}


def fit_configurations(target: str = "physical", scans_path=None, progress=None) -> tuple[pd.DataFrame, CleaningReport]:
    """Fit every scan, then refit each element's scans around its best-R² fit (the clustering step).

    Returns one row per configuration with the unclustered fit (``A_eV``, ``B_A``, ``C_eV_A6``, ``r2``)
    and the clustered refit (``*_clustered``), in eV, Å and eV·Å⁶, plus the cleaning report.
    ``progress`` is an optional callable taking the number of configurations done.
    """
    scans, report = load_scans(target, scans_path)
    box = _BOX[target]
    rows = []
    for i, scan in enumerate(scans):
        fit = fit_exp6(scan.r_A, scan.E_eV, box)
        rows.append(
            dict(
                symbol=scan.symbol,
                element=scan.element,
                charge=scan.charge,
                n_points=fit.n_points,
                A_eV=fit.A,
                B_A=fit.B,
                C_eV_A6=fit.C,
                r2=fit.r2,
                source_file=scan.source_file,
            )
        )
        if progress:
            progress(i + 1)
    table = pd.DataFrame(rows)
    clustered = {}
    for symbol, group in table.groupby("symbol", sort=False):
        best = group.loc[group["r2"].idxmax()]
        centre_box = cluster_box(_fit_from_row(best), _SIGN[target])
        for idx in group.index:
            scan = scans[idx]
            clustered[idx] = fit_exp6(scan.r_A, scan.E_eV, centre_box)
    table["A_eV_clustered"] = [clustered[i].A for i in table.index]
    table["B_A_clustered"] = [clustered[i].B for i in table.index]
    table["C_eV_A6_clustered"] = [clustered[i].C for i in table.index]
    table["r2_clustered"] = [clustered[i].r2 for i in table.index]
    return table, report


def _fit_from_row(row):
    from mlparams.models.exp6_fit import Exp6Fit

    return Exp6Fit(A=row["A_eV"], B=row["B_A"], C=row["C_eV_A6"], r2=row["r2"], n_points=int(row["n_points"]))


def to_openmm_units(A_eV, B_A, C_eV_A6):
    """(A, B, C) from eV, Å, eV·Å⁶ to kJ/mol, nm, kJ/mol·nm⁶."""
    return (
        np.asarray(A_eV) * EV_IN_KJ_PER_MOL,
        np.asarray(B_A) * ANGSTROM_IN_NM,
        np.asarray(C_eV_A6) * EV_IN_KJ_PER_MOL * ANGSTROM_IN_NM**6,
    )


def labels_from_fits(table: pd.DataFrame, r2_threshold: float = R2_THRESHOLD) -> pd.DataFrame:
    """Training labels: clustered constants of configurations with R² ≥ threshold, in OpenMM units."""
    kept = table[table["r2_clustered"] >= r2_threshold]
    A, B, C = to_openmm_units(kept["A_eV_clustered"], kept["B_A_clustered"], kept["C_eV_A6_clustered"])
    return pd.DataFrame(
        dict(symbol=kept["symbol"].values, charge=kept["charge"].values, A_kJ_per_mol=A, B_nm=B, C_kJ_per_mol_nm6=C)
    )


def published_labels(path=None, r2_threshold: float = R2_THRESHOLD) -> pd.DataFrame:
    """The authors' clustered constants (``final_data``) with R² ≥ threshold, in OpenMM units.

    Their charges are kept as they parsed them (so Pb.3.0 stays q = 0.3): this is their training set.
    """
    path = path or data_dir() / "fitted_constants.csv"
    table = pd.read_csv(path)
    needed = ("fit_variant", "symbol", "partial_charge", "A_eV", "B_rho_A", "C_eV_A6", "R2")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise DataFormatError(f"{path} lacks the column(s) {', '.join(missing)}; expected fitted_constants.csv")
    final = table[(table["fit_variant"] == "final_data") & (table["R2"] >= r2_threshold)]
    A, B, C = to_openmm_units(final["A_eV"], final["B_rho_A"], final["C_eV_A6"])
    return pd.DataFrame(
        dict(symbol=final["symbol"].values, charge=final["partial_charge"].values, A_kJ_per_mol=A, B_nm=B, C_kJ_per_mol_nm6=C)
    )


def feature_matrix(symbols, charges) -> np.ndarray:
    """Rows of (atomic mass / Da, covalent radius / pm, atomic number, partial charge / e)."""
    rows = []
    for symbol, q in zip(symbols, charges):
        f = features(symbol)
        rows.append((f.atomic_mass_da, f.covalent_radius_pm, f.atomic_number, float(q)))
    return np.array(rows, dtype=float)


FEATURE_NAMES = ("atomic_mass_da", "covalent_radius_pm", "atomic_number", "partial_charge_e")
