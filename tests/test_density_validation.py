"""The density driver: statistics on synthetic series, quick runs in both engines, resume, failures kept."""

import csv

import numpy as np
import pytest

from mlparams.errors import DataFormatError
from mlparams.validation.density import equilibrated_mean, read_liquids, run, statistical_inefficiency


def _ar1(n, phi, sigma, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + rng.normal(0.0, sigma)
    return x


def test_statistical_inefficiency_of_an_ar1_series():
    phi = 0.8  # exact g = (1 + phi) / (1 - phi) = 9
    g = np.mean([statistical_inefficiency(_ar1(20000, phi, 1.0, s)) for s in range(4)])
    assert g == pytest.approx(9.0, rel=0.15)
    assert statistical_inefficiency(np.random.default_rng(0).normal(size=5000)) == pytest.approx(1.0, abs=0.15)


def test_equilibration_is_detected_and_the_error_covers_the_truth():
    rng = np.random.default_rng(3)
    transient = 0.70 + 0.1 * (1 - np.exp(-np.arange(200) / 30.0))  # relaxing from 0.70 towards 0.80
    stationary = 0.80 + 0.004 * _ar1(1800, 0.7, 1.0, 5)
    series = np.concatenate([transient, stationary]) + rng.normal(0, 1e-4, 2000)
    stats = equilibrated_mean(series)
    assert stats["t0_index"] >= 100  # the relaxation is cut off
    assert abs(stats["mean"] - 0.80) < 4 * stats["error"] + 1e-4
    assert 0 < stats["error"] < 0.003


def test_liquids_csv_needs_its_columns(tmp_path):
    bad = tmp_path / "l.csv"
    bad.write_text("name,smiles,T_K\nwater,O,298\n")
    with pytest.raises(DataFormatError, match="density_g_cm3"):
        read_liquids(str(bad))
    assert len(read_liquids("dev")) == 41


@pytest.mark.parametrize("engine", ["openmm", "lammps"])
def test_quick_run_resumes_and_keeps_failures(tmp_path, engine):
    liquids = tmp_path / "liquids.csv"
    liquids.write_text("name,smiles,T_K,P_kPa,density_g_cm3\nwater,O,298.15,101.325,0.99705\n"
                       "salt,[Na+].[Cl-],298.15,101.325,1.2\n")
    out = tmp_path / "out"
    summary = run(str(liquids), "gaff2", engine, out, profile="quick", jobs=2, progress=False)
    assert summary["n_liquids"] == 2 and summary["n_ok"] == 1
    assert "Na" in summary["failed"]["salt"]
    with open(out / "density_results.csv") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    water = rows["water"]
    assert water["status"] == "ok" and water["engine"] == engine
    assert 0.6 < float(water["rho_sim"]) < 1.2 and float(water["rho_sim_err"]) > 0
    for name in ("density_parity.png", "density_vs_time.png", "summary.md"):
        assert (out / name).is_file()
    stamp = (out / "density_results.csv").stat().st_mtime_ns
    again = run(str(liquids), "gaff2", engine, out, profile="quick", progress=False)  # resume: nothing left to do
    assert again["n_liquids"] == 2 and (out / "density_results.csv").stat().st_mtime_ns == stamp


def test_cli_density_errors_are_one_line(run_cli, tmp_path):
    proc = run_cli("validate", "density", "--liquids", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "does not exist" in proc.stderr
    proc = run_cli("validate", "density", "--only", "unobtainium", "--out", str(tmp_path / "o"), "--quick")
    assert proc.returncode == 2 and "unobtainium" in proc.stderr


def test_only_accepts_names_that_contain_commas():
    from mlparams.validation.density import read_liquids, split_names

    known = [r["name"] for r in read_liquids("dev")]
    assert split_names("water,N,N-dimethylacetamide,2,2,4-trimethylpentane,ethanol", known) == [
        "water", "N,N-dimethylacetamide", "2,2,4-trimethylpentane", "ethanol"]
    assert split_names("water, nonsense", known) == ["water", "nonsense"]  # the driver then refuses "nonsense"


def test_compare_sets_models_side_by_side_on_common_liquids(tmp_path):
    from mlparams.validation.density import compare

    header = "name,smiles,T_K,rho_exp,rho_sim,rho_sim_err,rel_err_pct,n_molecules,production_ps,engine,model,status,seconds\n"
    for label, rows in {"a": ["water,O,298.15,1.0,0.9,0.01,-10,100,40,openmm,a,ok,1",
                              "ethanol,CCO,298.15,0.8,0.84,0.01,5,100,40,openmm,a,ok,1"],
                        "b": ["water,O,298.15,1.0,1.02,0.01,2,100,40,openmm,b,ok,1",
                              "ethanol,CCO,298.15,0.8,,,,100,,openmm,b,failed: box collapsed,1"]}.items():
        (tmp_path / label).mkdir()
        (tmp_path / label / "density_results.csv").write_text(header + "\n".join(rows) + "\n")
    result = compare({"a": tmp_path / "a", "b": tmp_path / "b"}, tmp_path / "cmp")
    assert result["common"] == ["water"]
    assert result["stats"]["a"]["mean_unsigned_rel_pct"] == pytest.approx(10.0)
    assert result["stats"]["b"]["mean_signed_rel_pct"] == pytest.approx(2.0)
    text = (tmp_path / "cmp.md").read_text()
    assert "failed: box collapsed" in text and (tmp_path / "cmp.png").is_file()
    # one model's liquids in two folders: "a+b" reads both, the first folder winning a repeated liquid
    merged = compare({"ab": f"{tmp_path / 'a'}+{tmp_path / 'b'}", "b": tmp_path / "b"}, tmp_path / "cmp2")
    assert merged["common"] == ["water"] and merged["stats"]["ab"]["mean_signed_rel_pct"] == pytest.approx(-10.0)
    assert merged["stats"]["ab"]["n_run"] == 2


def test_cost_reports_minutes_errors_and_the_goal(tmp_path):
    import json

    from mlparams.validation.density import cost

    header = "name,smiles,T_K,rho_exp,rho_sim,rho_sim_err,rel_err_pct,n_molecules,production_ps,engine,model,status,seconds\n"
    rows = ["water,O,298.15,1.0,0.9,0.002,-10,100,40,openmm,gaff2,ok,600",      # 10 min, 0.002: meets the goal
            "ethanol,CCO,298.15,0.8,0.84,0.004,5,100,40,openmm,gaff2,ok,1200",  # 20 min, 0.004: misses it
            "salt,[Na+].[Cl-],298.15,1.2,,,,,,openmm,gaff2,failed: Na,3"]
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "density_results.csv").write_text(header + "\n".join(rows) + "\n")
    (tmp_path / "run" / "summary.json").write_text(json.dumps({"engine": "openmm", "model": "gaff2", "profile": "screen"}))
    (row,) = cost([tmp_path / "run"], tmp_path / "cost")
    assert row["n_liquids"] == 2 and row["n_goal"] == 1
    assert row["median_min"] == pytest.approx(15.0) and row["liquids_per_hour_one_job"] == pytest.approx(4.0)
    assert row["target_atoms"] == 600  # the screen profile's protocol, from its name
    assert "1 of 2" in (tmp_path / "cost.md").read_text()
