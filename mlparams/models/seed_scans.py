"""The QM dimer scans of Lal et al. (2023), vendored in ``mlparams/data/seed_buckingham``.

Each scan is a homonuclear X–X dimer with a partial charge q per atom, total energy in eV at distances in
Å. ``load_scans`` reads them and, in the ``physical`` target, cleans the known defects and returns the
non-Coulomb interaction energy

    E_nc(r) = [E_tot(r) − k·q²/r] − [E_tot(r_max) − k·q²/r_max],   k = 14.3996 eV·Å,

i.e. the energy an exp-6 term must carry once point charges q carry the electrostatics. In the
``lal2023`` target it returns the authors' own fitted quantity (``relative_lj_energy_eV``: total energy
minus 8.99·q²/r, relative to the largest distance) with their charges, defects included, so that their
fits can be reproduced.

Cleaning rules of the ``physical`` target (counts are reported by :func:`load_scans`):

* ``duplicate_total_energy``: a total energy repeated at another distance of the same file is a failed or
  copied calculation; every such row is dropped.
* ``duplicate_file``: a file whose energies copy another file (N q=−3 copies N q=−2; ``Lead/Po.+0.0``
  copies Pb q=0) is dropped.
* ``misparsed_charge``: the seed's regex read unsigned file names (Pb.3.0, N.1.0, ...) as 0.3, 0.1, ...;
  the charge is taken from the file name instead (rows are kept, relabelled).
* ``too_few_points``: a scan left with fewer than 6 distances cannot fix three constants; dropped.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mlparams.errors import DataFormatError, MissingFileError
from mlparams.units import COULOMB_EV_ANGSTROM

TARGETS = ("physical", "lal2023")
MIN_POINTS = 6

SCAN_COLUMNS = (
    "element",
    "symbol",
    "partial_charge",
    "partial_charge_filename_token",
    "distance_A",
    "total_energy_eV",
    "relative_lj_energy_eV",
    "flag_duplicate_total_energy",
    "source_file",
)
DUPLICATE_FILES = {
    "sim_data/Nitrogen/N.-3.0.xlsx": "energies copy sim_data/Nitrogen/N.-2.0.xlsx",
    "sim_data/Lead/Po.+0.0.xlsx": "energies copy sim_data/Lead/Pb.+0.0.xlsx",
}


def data_dir() -> Path:
    """Folder of the vendored seed data inside the installed package."""
    return Path(importlib.resources.files("mlparams") / "data" / "seed_buckingham")


@dataclass
class Scan:
    """One (element, charge) dimer scan: distances r_A (Å) and energies E_eV (eV)."""

    symbol: str
    element: str
    charge: float
    r_A: np.ndarray
    E_eV: np.ndarray
    source_file: str


@dataclass
class CleaningReport:
    """How many rows and files each cleaning rule touched."""

    rows_in: int = 0
    files_in: int = 0
    rows_dropped: dict = field(default_factory=dict)
    files_dropped: dict = field(default_factory=dict)
    rows_relabelled: dict = field(default_factory=dict)
    rows_out: int = 0
    files_out: int = 0

    def lines(self) -> list[str]:
        out = [f"read {self.rows_in} rows from {self.files_in} scan files"]
        for rule in dict.fromkeys([*self.rows_dropped, *self.files_dropped, *self.rows_relabelled]):
            parts = []
            if rule in self.files_dropped:
                parts.append(f"dropped {self.files_dropped[rule]} files")
            if rule in self.rows_dropped:
                parts.append(f"dropped {self.rows_dropped[rule]} rows")
            if rule in self.rows_relabelled:
                parts.append(f"relabelled {self.rows_relabelled[rule]} rows")
            out.append(f"  {rule}: " + ", ".join(parts))
        out.append(f"kept {self.rows_out} rows in {self.files_out} scans")
        return out


def read_scan_table(path: str | Path | None = None) -> pd.DataFrame:
    """Read a scans CSV (default: the vendored one) and check its columns."""
    path = Path(path) if path is not None else data_dir() / "scans.csv"
    if not path.is_file():
        raise MissingFileError(f"scan file {path} does not exist; pass an existing CSV with --scans")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataFormatError(f"{path} is not a readable CSV ({exc.__class__.__name__}); give the scans.csv format") from None
    missing = [c for c in SCAN_COLUMNS if c not in table.columns]
    if missing:
        raise DataFormatError(
            f"{path} lacks the column(s) {', '.join(missing)}; a scans file needs {', '.join(SCAN_COLUMNS)}"
        )
    for col in ("partial_charge", "distance_A", "total_energy_eV", "relative_lj_energy_eV"):
        if not pd.api.types.is_numeric_dtype(table[col]):
            raise DataFormatError(f"{path}: column {col} holds non-numeric values; it must be numbers")
    return table


def load_scans(target: str = "physical", path: str | Path | None = None) -> tuple[list[Scan], CleaningReport]:
    """Scans ready to fit for a target (``physical`` or ``lal2023``), with the cleaning report."""
    if target not in TARGETS:
        raise DataFormatError(f"unknown fit target {target!r}; choose one of {', '.join(TARGETS)}")
    table = read_scan_table(path)
    report = CleaningReport(rows_in=len(table), files_in=table["source_file"].nunique())

    if target == "lal2023":
        # The authors' grouping: by element name and their parsed charge, which merges duplicate files.
        scans = []
        for (element, charge), group in table.groupby(["element", "partial_charge"], sort=True):
            scans.append(
                Scan(
                    symbol=str(group["symbol"].iloc[0]),
                    element=str(element),
                    charge=float(charge),
                    r_A=group["distance_A"].to_numpy(float),
                    E_eV=group["relative_lj_energy_eV"].to_numpy(float),
                    source_file=";".join(sorted(group["source_file"].unique())),
                )
            )
        report.rows_out = len(table)
        report.files_out = len(scans)
        return scans, report

    keep = table["flag_duplicate_total_energy"] == 0
    report.rows_dropped["duplicate_total_energy"] = int((~keep).sum())
    table = table[keep]

    dup = table["source_file"].isin(DUPLICATE_FILES)
    report.files_dropped["duplicate_file"] = int(table.loc[dup, "source_file"].nunique())
    report.rows_dropped["duplicate_file"] = int(dup.sum())
    table = table[~dup]

    # Tokens look like "+1.0", "3.0", "+02.99", "+5.0.xlsx", "-2.0_double_check": take the leading number.
    number = table["partial_charge_filename_token"].astype(str).str.extract(r"^([+-]?\d+(?:\.\d+)?)")[0]
    if number.isna().any():
        bad = table.loc[number.isna(), "partial_charge_filename_token"].iloc[0]
        raise DataFormatError(f"charge token {bad!r} in partial_charge_filename_token does not start with a number")
    charge_from_name = number.astype(float)
    misparsed = ~np.isclose(table["partial_charge"], charge_from_name)
    report.rows_relabelled["misparsed_charge"] = int(misparsed.sum())
    table = table.assign(partial_charge=charge_from_name.astype(float))

    finite = np.isfinite(table["distance_A"]) & np.isfinite(table["total_energy_eV"]) & (table["distance_A"] > 0)
    report.rows_dropped["non_finite_or_non_positive_r"] = int((~finite).sum())
    table = table[finite]

    scans = []
    too_few_rows = 0
    too_few_files = 0
    for source, group in table.groupby("source_file", sort=True):
        group = group.sort_values("distance_A")
        if len(group) < MIN_POINTS:
            too_few_rows += len(group)
            too_few_files += 1
            continue
        q = float(group["partial_charge"].iloc[0])
        r = group["distance_A"].to_numpy(float)
        e_tot = group["total_energy_eV"].to_numpy(float)
        e_nc = e_tot - COULOMB_EV_ANGSTROM * q * q / r
        e_nc = e_nc - e_nc[-1]
        scans.append(
            Scan(
                symbol=str(group["symbol"].iloc[0]),
                element=str(group["element"].iloc[0]),
                charge=q,
                r_A=r,
                E_eV=e_nc,
                source_file=str(source),
            )
        )
    report.rows_dropped["too_few_points"] = too_few_rows
    report.files_dropped["too_few_points"] = too_few_files
    report.rows_out = int(sum(len(s.r_A) for s in scans))
    report.files_out = len(scans)
    return scans, report
