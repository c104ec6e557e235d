"""Loading and cleaning the vendored seed scans; the per-element features."""

import numpy as np
import pandas as pd
import pytest

from mlparams.elements import features, normalise_symbol
from mlparams.errors import DataFormatError, UnknownElementError
from mlparams.models.seed_scans import data_dir, load_scans, read_scan_table
from mlparams.units import COULOMB_EV_ANGSTROM


def test_cleaning_report_counts_each_rule():
    scans, report = load_scans("physical")
    assert report.rows_in == 5935 and report.files_in == 343
    assert report.rows_dropped["duplicate_total_energy"] == 458  # the flag column counts 458 rows
    assert report.files_dropped["duplicate_file"] == 2  # N q=-3 and Lead/Po.+0.0
    assert report.rows_relabelled["misparsed_charge"] > 0
    assert report.rows_out == sum(len(s.r_A) for s in scans)
    assert report.rows_out == report.rows_in - sum(report.rows_dropped.values())


def test_misparsed_charges_take_the_file_names_value():
    scans, _ = load_scans("physical")
    pb = {s.charge for s in scans if s.symbol == "Pb"}
    n = {s.charge for s in scans if s.symbol == "N"}
    assert 3.0 in pb and 0.3 not in pb
    assert {1.0, 2.0}.issubset(n) and not {0.1, 0.2} & n


def test_physical_energy_removes_the_true_coulomb_term():
    table = pd.read_csv(data_dir() / "scans.csv")
    scans, _ = load_scans("physical")
    scan = next(s for s in scans if s.symbol == "O" and s.charge == -1.5)
    rows = table[(table.source_file == scan.source_file) & (table.flag_duplicate_total_energy == 0)]
    rows = rows.sort_values("distance_A")
    r = rows.distance_A.to_numpy()
    e = rows.total_energy_eV.to_numpy() - 14.3996454784 * 1.5**2 / r
    np.testing.assert_allclose(scan.E_eV, e - e[-1], atol=1e-8)
    assert scan.E_eV[-1] == 0.0


def test_lal2023_target_is_the_authors_quantity():
    table = read_scan_table()
    scans, _ = load_scans("lal2023")
    scan = next(s for s in scans if s.element == "Carbon" and s.charge == 1.0)
    rows = table[(table.element == "Carbon") & (table.partial_charge == 1.0)]
    np.testing.assert_allclose(np.sort(scan.E_eV), np.sort(rows.relative_lj_energy_eV.to_numpy()))


def test_missing_columns_are_named(tmp_path):
    bad = tmp_path / "scans.csv"
    pd.read_csv(data_dir() / "scans.csv").drop(columns=["total_energy_eV"]).head(20).to_csv(bad, index=False)
    with pytest.raises(DataFormatError, match="total_energy_eV"):
        load_scans("physical", bad)


def test_features_from_mendeleev_match_the_seed_data():
    """The seed authors' masses and covalent radii, for all 66 elements, come out of mendeleev."""
    consts = pd.read_csv(data_dir() / "fitted_constants.csv")
    for row in consts.drop_duplicates("symbol").itertuples():
        f = features(row.symbol)
        assert f.atomic_number == row.atomic_number
        assert f.atomic_mass_da == pytest.approx(row.atomic_mass, rel=1e-6)
        assert f.covalent_radius_pm == row.covalent_radius_pm


def test_element_names_and_symbols():
    assert normalise_symbol("oxygen") == "O"
    assert normalise_symbol(" pb ") == "Pb"
    with pytest.raises(UnknownElementError, match="Qq"):
        normalise_symbol("Qq")


def test_coulomb_constant_is_codata():
    # e^2 / (4 pi eps0) in eV Å from CODATA 2018 constants, computed independently.
    e, eps0 = 1.602176634e-19, 8.8541878128e-12
    assert COULOMB_EV_ANGSTROM == pytest.approx(e / (4 * np.pi * eps0) * 1e10, rel=1e-9)
