"""The density driver: statistics on synthetic series, quick runs in both engines, resume, failures kept."""

import csv
import json

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


def test_a_drifting_window_is_flagged_and_a_stationary_one_is_not():
    """The drift check: a series still rising by 5 % across its second half (noise and correlation as in a screen
    run) is flagged not equilibrated, its drift measured within a point; stationary AR(1) series of the same noise are
    not; summary.md names the drifting liquid and marks its row."""
    from mlparams.validation.density import PROFILES, drifting, summarise, summary_markdown, window_drift

    noise = [0.01 * _ar1(200, 0.6, 1.0, s) for s in range(20)]
    ramp = 1.50 + np.concatenate([np.zeros(100), np.linspace(0.0, 0.075, 100)])
    stats = equilibrated_mean(ramp + noise[0])
    rising = {"drift_pct": 100 * stats["drift"], "drift_sigma": stats["drift_sigma"]}
    assert drifting(rising) and stats["drift"] > 0.0
    exact = window_drift(ramp[stats["t0_index"]:])["drift"]
    assert abs(stats["drift"] - exact) < 0.01
    flagged = 0
    for x in noise[1:]:
        s = equilibrated_mean(1.50 + x)
        flagged += drifting({"drift_pct": 100 * s["drift"], "drift_sigma": s["drift_sigma"]})
    assert flagged <= 1
    assert not drifting({"drift_pct": "", "drift_sigma": ""})  # rows written before the check
    row = {"name": "ethylene carbonate", "T_K": "313.15", "rho_exp": "1.3220", "rho_sim": f"{stats['mean']}",
           "rho_sim_err": f"{stats['error']}", "rel_err_pct": "12.0", "n_molecules": "86", "production_ps": "25",
           "status": "ok", **{k: f"{v}" for k, v in rising.items()}}
    summary = summarise({row["name"]: row}, "gnn", "openmm", "screen", PROFILES["screen"])
    assert list(summary["not_equilibrated"]) == ["ethylene carbonate"]
    text = summary_markdown(summary, {row["name"]: row})
    assert "Not equilibrated" in text and "| ok, not equilibrated |" in text


def test_drift_report_names_the_drifting_runs_of_every_folder(run_cli, tmp_path):
    """`validate drift-report`: over run folders found under a root, the rising series is listed with its profile
    and the stationary ones are not; a root without runs is refused in one line."""
    for name, profile, rising in (("a", "screen", True), ("b", "quick", False)):
        folder = tmp_path / "runs" / name
        (folder / "series").mkdir(parents=True)
        (folder / "summary.json").write_text(json.dumps({"profile": profile, "model": "m", "engine": "openmm"}))
        x = 0.9 + 0.005 * _ar1(200, 0.6, 1.0, 7) + (np.linspace(0, 0.05, 200) if rising else 0.0)
        (folder / "series" / "water.csv").write_text(
            "t_ps,density_g_cm3\n" + "\n".join(f"{0.25 * (i + 1):.2f},{v:.6f}" for i, v in enumerate(x)) + "\n")
    res = run_cli("validate", "drift-report", str(tmp_path / "runs"), "--out", str(tmp_path / "report"))
    assert res.returncode == 0, res.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["counts"] == {"screen": {"runs": 1, "flagged": 1}, "quick": {"runs": 1, "flagged": 0}}
    assert [r["folder"].endswith("a") for r in report["flagged"]] == [True]
    assert "| screen |" in (tmp_path / "report.md").read_text()
    bad = run_cli("validate", "drift-report", str(tmp_path / "none"), "--out", str(tmp_path / "x"))
    assert bad.returncode != 0 and "no density run folders" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_liquids_csv_needs_its_columns(tmp_path):
    bad = tmp_path / "l.csv"
    bad.write_text("name,smiles,T_K\nwater,O,298\n")
    with pytest.raises(DataFormatError, match="density_g_cm3"):
        read_liquids(str(bad))
    assert len(read_liquids("dev")) == 41


@pytest.mark.parametrize("engine", ["openmm", "lammps"])
def test_quick_run_resumes_and_keeps_failures(tmp_path, engine):
    liquids = tmp_path / "liquids.csv"
    liquids.write_text("name,smiles,T_K,P_kPa,density_g_cm3,Hvap_kJ_mol,Hvap_T_K\n"
                       "water,O,298.15,101.325,0.99705,43.98,298.15\nsalt,[Na+].[Cl-],298.15,101.325,1.2,,\n")
    out = tmp_path / "out"
    summary = run(str(liquids), "gaff2", engine, out, profile="quick", jobs=2, progress=False)
    assert summary["n_liquids"] == 2 and summary["n_ok"] == 1
    assert "Na" in summary["failed"]["salt"]
    with open(out / "density_results.csv") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    water = rows["water"]
    assert water["status"] == "ok" and water["engine"] == engine
    assert 0.6 < float(water["rho_sim"]) < 1.2 and float(water["rho_sim_err"]) > 0
    for name in ("density_parity.png", "density_vs_time.png", "summary.md", "hvap_parity.png"):
        assert (out / name).is_file()
    stamp = (out / "density_results.csv").stat().st_mtime_ns
    again = run(str(liquids), "gaff2", engine, out, profile="quick", progress=False)  # resume: nothing left to do
    assert again["n_liquids"] == 2 and (out / "density_results.csv").stat().st_mtime_ns == stamp
    _check_structure(out, engine)
    _check_energies(out, engine, water)
    _check_cohesion(out, engine, water)


def _check_energies(out, engine, water):
    """The potential energies the run recorded (the engine's own, in kJ/mol) equal OpenMM's energy of the same
    trajectory frames evaluated apart, molecules made whole; ΔH_vap is water-like and compared with experiment."""
    import openmm
    from openmm import unit

    from mlparams.molecules import from_smiles
    from mlparams.openmm_plugin.system import to_openmm
    from mlparams.systems import build_system
    from mlparams.validation import structure

    series = np.loadtxt(out / "series" / "water.csv", delimiter=",", skiprows=1)
    u = structure.universe(out / "work" / "water", engine)
    n_mol = int(water["n_molecules"])
    msys = build_system([from_smiles("O")], [n_mol], "gaff2", density_g_cm3=0.8)
    system, _, _ = to_openmm(msys, cutoff_nm=0.6, constraints="HBonds")
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    molecule = np.asarray(u.atoms.resindices)
    first = np.searchsorted(molecule, molecule)  # each atom's molecule's first atom (atoms are in molecule order)
    for k in (-1, -len(series) // 2):
        u.trajectory[k]
        box = u.dimensions[:3].astype(float) / 10.0
        x = u.atoms.positions.astype(float) / 10.0
        x -= box * np.round((x - x[first]) / box)  # whole molecules: LAMMPS writes wrapped atoms
        context.setPeriodicBoxVectors(*(np.diag(box) * unit.nanometer))
        context.setPositions(x * unit.nanometer)
        energy = context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        assert series[k, 2] == pytest.approx(energy, abs=1.0 + 1e-4 * abs(energy))  # seen: 0.003 (OpenMM), 0.5 (LAMMPS)
    assert float(water["hvap_exp"]) == 43.98
    assert 30.0 < float(water["hvap_sim"]) < 45.0 and 0.0 < float(water["hvap_sim_err"]) < 1.5
    assert float(water["hvap_err"]) == pytest.approx(float(water["hvap_sim"]) - 43.98, abs=1e-3)


def _check_cohesion(out, engine, water):
    """The intermolecular van der Waals energy per molecule of `validate cohesion` (force-group energies, box minus
    molecules alone) equals an independent NumPy minimum-image Lennard-Jones sum over pairs of different molecules
    within the cutoff plus OpenMM's long-range correction, on the same frames; its Coulomb part holds water."""
    import openmm

    from mlparams.molecules import from_smiles
    from mlparams.openmm_plugin.system import to_openmm
    from mlparams.systems import build_system
    from mlparams.validation import hvap, structure

    rows = hvap.cohesion_report(out, n_frames=2)
    (row,) = [r for r in rows if r["name"] == "water"]
    n_mol, cutoff = int(water["n_molecules"]), 0.6
    system, _, _ = to_openmm(build_system([from_smiles("O")], [n_mol], "gaff2", density_g_cm3=0.8), cutoff_nm=cutoff)
    nb = next(f for f in system.getForces() if isinstance(f, openmm.NonbondedForce))
    sig, eps = (np.array([nb.getParticleParameters(i)[k]._value for i in range(nb.getNumParticles())]) for k in (1, 2))
    u = structure.universe(out / "work" / "water", engine)
    molecule = np.asarray(u.atoms.resindices)
    other = molecule[:, None] != molecule[None, :]
    s, e = 0.5 * (sig[:, None] + sig[None, :]), np.sqrt(eps[:, None] * eps[None, :])
    n = len(sig)
    tail_pairs = (e * s**12).sum() / n**2, (e * s**6).sum() / n**2  # mean over all ordered pairs, as OpenMM
    energies = []
    for k in row["frames"]:
        u.trajectory[k]
        box = u.dimensions[:3].astype(float) / 10.0
        d = u.atoms.positions[:, None, :].astype(float) / 10.0 - u.atoms.positions[None, :, :] / 10.0
        d -= box * np.round(d / box)
        r = np.linalg.norm(d, axis=-1)
        inside = other & (r < cutoff) & (e > 0)
        lj = 4.0 * e[inside] * ((s[inside] / r[inside]) ** 12 - (s[inside] / r[inside]) ** 6)
        tail = 8.0 * np.pi * n**2 / np.prod(box) * (tail_pairs[0] / (9 * cutoff**9) - tail_pairs[1] / (3 * cutoff**3))
        energies.append((0.5 * lj.sum() + tail) / n_mol)
    assert row["vdw"] == pytest.approx(np.mean(energies), abs=0.02)
    assert -50.0 < row["coulomb"] < -25.0 and row["hvap_sim"] is not None
    assert (out / "cohesion.md").is_file()


def _check_structure(out, engine):
    """MDAnalysis reads the engine's trajectory and topology: its box gives the engine's density series, its g(r)
    equals an independent NumPy minimum-image histogram over the same frames, water's shells are where water's are."""
    from mlparams.validation import structure

    u = structure.universe(out / "work" / "water", engine)
    series = np.loadtxt(out / "series" / "water.csv", delimiter=",", skiprows=1)
    n = len(series)
    np.testing.assert_allclose(structure.density_series(u)[-n:], series[:, 1], atol=2e-4)  # float32 box in DCD
    r, g, partners = structure.rdfs(u, n, start=0)
    elements = np.asarray(u.atoms.elements)
    molecule = np.asarray(u.atoms.resindices)
    edges = np.concatenate([[0.0], r + 0.5 * (r[1] - r[0])])
    for pair in ("O-O", "O-H"):
        a, b = (elements == e for e in pair.split("-"))
        counts, volume = np.zeros(len(r)), 0.0
        other = molecule[a][:, None] != molecule[b][None, :]
        for ts in u.trajectory[-n:]:
            box = ts.dimensions[:3].astype(float) / 10.0
            d = u.atoms.positions[a][:, None, :] / 10.0 - u.atoms.positions[b][None, :, :] / 10.0
            d -= box * np.round(d / box)
            counts += np.histogram(np.linalg.norm(d, axis=-1)[other], bins=edges)[0]
            volume += np.prod(box)
        pairs = other.sum()
        reference = counts / (n * 4.0 / 3.0 * np.pi * np.diff(edges**3) * pairs / (volume / n))
        np.testing.assert_allclose(g[pair], reference, atol=0.03)
        assert partners[pair] == pytest.approx(pairs / a.sum() / (volume / n), rel=1e-6)
        assert np.mean(g[pair][r > r[-1] - 0.1]) == pytest.approx(1.0, abs=0.06)  # no intramolecular deficit
    oo, oh = (structure.first_shell(r, g[p], partners[p]) for p in ("O-O", "O-H"))
    assert 0.26 < oo["peak_nm"] < 0.30 and oo["peak_g"] > 1.8 and 3.5 < oo["coordination"] < 6.5
    assert 0.17 < oh["peak_nm"] < 0.20 and 1.2 < oh["coordination"] < 2.5  # the hydrogen bond, not the 0.32 nm peak
    r_file, g_file, _ = structure.read_rdf(out / "rdf" / "water.csv")  # the run's own file: equilibrated frames
    assert set(g_file) == {"O-O", "O-H", "H-H"} and np.allclose(r_file, r, atol=1e-4)
    assert (out / "rdf.png").is_file()


def _water_like_g(r, peak=0.28):
    """1 + a first peak (height 2) at ``peak``, a dip to about 0.2 at ``peak`` + 0.06 nm and a second shell at
    ``peak`` + 0.17 nm; zero inside 0.24 nm."""
    return np.where(r < 0.24, 0.0, 1.0 + 2.0 * np.exp(-((r - peak) / 0.02) ** 2)
                    - 0.8 * np.exp(-((r - peak - 0.06) / 0.02) ** 2) + 0.3 * np.exp(-((r - peak - 0.17) / 0.03) ** 2))


def test_first_shell_of_a_known_curve():
    """Peak, minimum and coordination number of a g(r) made of known pieces; n, a sum over 0.005 nm bins, against
    scipy's quad of 4πρ ∫ g r² dr to the same bound."""
    from scipy.integrate import quad

    from mlparams.validation.structure import coordination_within, first_shell

    r = np.arange(0.0025, 1.0, 0.005)
    g = _water_like_g(r)
    s = first_shell(r, g, 33.0)
    assert s["peak_nm"] == pytest.approx(0.28, abs=0.006) and s["peak_g"] == pytest.approx(2.9, abs=0.15)
    assert s["min_nm"] == r[np.argmin(np.where((r > 0.28) & (r < 0.4), g, 9.0))]
    exact = 4.0 * np.pi * 33.0 * quad(lambda x: float(_water_like_g(np.array(x))) * x**2, 0.24, s["min_nm"] + 0.0025,
                                      points=[0.28])[0]
    assert s["coordination"] == pytest.approx(exact, rel=0.02)
    assert coordination_within(r, g, 33.0, s["min_nm"]) == pytest.approx(s["coordination"], rel=1e-12)


def test_compare_rdf_cli(run_cli, tmp_path):
    """Two runs' g(r) side by side, and a missing liquid refused in one line."""
    from mlparams.validation.structure import write_rdf

    r = np.arange(0.0025, 0.8, 0.005)
    for label, peak in (("a", 0.28), ("b", 0.29)):
        g = _water_like_g(r, peak)
        write_rdf(tmp_path / label / "rdf" / "water.csv", r, {"O-O": g, "O-H": g, "H-H": g},
                  {"O-O": 33.0, "O-H": 66.0, "H-H": 66.0})
    res = run_cli("validate", "compare-rdf", f"a={tmp_path / 'a'}", f"b={tmp_path / 'b'}", "--liquid", "water",
                  "--within-nm", "0.336", "--out", str(tmp_path / "cmp"))
    assert res.returncode == 0, res.stderr
    table = (tmp_path / "cmp" / "rdf_water.md").read_text()
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines() if line.startswith("| ")]
    rows = {(c[0], c[1]): float(c[2]) for c in cells[1:]}
    assert len(rows) == 6 and rows[("b", "O-O")] - rows[("a", "O-O")] == pytest.approx(0.01, abs=0.006)
    assert "n(≤ 0.336 nm)" in table and all(len(c) == 7 for c in cells)
    assert (tmp_path / "cmp" / "rdf_water.png").is_file()
    bad = run_cli("validate", "compare-rdf", f"a={tmp_path / 'a'}", "--liquid", "ethanol", "--out", str(tmp_path / "x"))
    assert bad.returncode != 0 and "ethanol.csv is missing" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


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


def test_compare_sets_enthalpies_of_vaporisation_side_by_side(tmp_path):
    from mlparams.validation.density import COLUMNS, compare

    old = "name,smiles,T_K,rho_exp,rho_sim,rho_sim_err,rel_err_pct,n_molecules,production_ps,engine,model,status,seconds\n"
    (tmp_path / "old").mkdir()  # written before the enthalpy columns existed
    (tmp_path / "old" / "density_results.csv").write_text(old + "water,O,298.15,1.0,0.9,0.01,-10,100,40,openmm,a,ok,1\n")
    compare({"old": tmp_path / "old"}, tmp_path / "c0")
    assert "Enthalpy" not in (tmp_path / "c0.md").read_text()
    new = dict.fromkeys(COLUMNS, "")
    new.update(name="water", smiles="O", T_K="298.15", rho_exp="1.0", rho_sim="1.02", rho_sim_err="0.01",
               rel_err_pct="2", status="ok", hvap_exp="43.98", hvap_sim="41.5", hvap_sim_err="0.3", hvap_err="-2.48")
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "density_results.csv").write_text(",".join(COLUMNS) + "\n" + ",".join(new.values()) + "\n")
    compare({"old": tmp_path / "old", "new": tmp_path / "new"}, tmp_path / "c1")
    text = (tmp_path / "c1.md").read_text()
    assert "| water | 43.98 | – | 41.50 ± 0.30 |" in text


def test_cost_reports_minutes_errors_and_the_goal(tmp_path):
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
