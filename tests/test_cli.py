"""The command line: JSON output, the demo, and one-line errors with exit status 2."""

import json

import pandas as pd
import pytest

from mlparams.models.seed_scans import data_dir


def test_predict_json_has_the_documented_fields(run_cli):
    proc = run_cli("buckingham", "predict", "--element", "O", "--charge", "-0.711", "--json")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    for key in ("element", "charge", "A_kJ_per_mol", "B_nm", "C_kJ_per_mol_nm6"):
        assert key in record
    assert record["element"] == "O" and record["charge"] == -0.711
    assert record["A_kJ_per_mol"] > 0 and record["B_nm"] > 0


@pytest.mark.parametrize(
    "args, words",
    [
        (("--element", "Xx", "--charge", "0.1"), "unknown element"),
        (("--element", "O", "--charge", "nan"), "not finite"),
        (("--element", "O", "--charge", "8.5"), "|q| <= 8"),
        (("--element", "O", "--charge=-inf"), "not finite"),
    ],
)
def test_bad_predict_input_gives_one_line_and_exit_2(run_cli, args, words):
    proc = run_cli("buckingham", "predict", *args, "--json")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in proc.stderr


def test_scan_file_with_missing_columns_is_refused(run_cli, tmp_path):
    bad = tmp_path / "scans.csv"
    pd.read_csv(data_dir() / "scans.csv").drop(columns=["distance_A"]).head(10).to_csv(bad, index=False)
    out = tmp_path / "out"
    proc = run_cli("buckingham", "fit", "--scans", str(bad), "--out", str(out), "--quiet")
    assert proc.returncode == 2
    assert "distance_A" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists() or not any(out.iterdir())  # nothing half-written


def test_fit_writes_table_summary_and_plot(run_cli, tmp_path):
    proc = run_cli("buckingham", "fit", "--target", "lal2023", "--out", str(tmp_path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "buckingham_fits_lal2023.json").read_text())
    assert summary["reproduction_of_published_fits"]["fraction_r2_at_least_published_minus_0.01"] == 1.0
    table = pd.read_csv(tmp_path / "buckingham_fits_lal2023.csv")
    assert (table["C_eV_A6"] <= 0).all()
    png = tmp_path / "buckingham_clustering_lal2023.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.tmp*"))


def test_demo_prints_constants_for_every_atom_of_ethanol(run_cli):
    proc = run_cli("demo")
    assert proc.returncode == 0, proc.stderr
    assert "9 atoms" in proc.stdout and "AM1-BCC" in proc.stdout
    rows = [line for line in proc.stdout.splitlines() if line.strip()[:1].isdigit()]
    from mlparams.models.registry import BUCKINGHAM_MODELS

    assert len(rows) == len(BUCKINGHAM_MODELS) * 9  # every model, nine atoms
