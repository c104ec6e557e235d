"""Neural-network PES fits (issue 9): data definitions, training, storage, the sweep, and the fitted pair curve
in OpenMM and LAMMPS (two-particle scans, a periodic fluid term by term, and a liquid density against the
analytic Lennard-Jones it was fitted to)."""

import csv
import json

import numpy as np
import pytest

from mlparams.errors import DataFormatError, MlparamsError
from mlparams.pes import potentials as P
from mlparams.pes.network import FitConfig, PesNetwork, fit
from mlparams.pes.tabulate import pair_table, site_parameters
from mlparams.sites import atomic_fluid, lj_site_parameters, site
from mlparams.systems import MolecularSystem

MEV_KJ = P.ENERGY_UNITS_KJ_MOL["mev"]


@pytest.fixture(scope="module")
def lj_net(tmp_path_factory):
    """A small LJ fit, saved and loaded back (what the exporters read)."""
    ds = P.dataset("lj")
    net, res = fit(ds, FitConfig((20, 20), "tanh", 0.01, max_epochs=2500, patience=500, polish_steps=300), threads=1)
    folder = net.save(tmp_path_factory.mktemp("lj_net"))
    return PesNetwork.load(folder), res, folder


def test_potentials_have_their_stated_minima():
    r = np.linspace(2.5, 9.0, 200001)
    e = P.lennard_jones(r)
    assert r[np.argmin(e)] == pytest.approx(2 ** (1 / 6) * P.LJ_SIGMA_A, abs=1e-4)
    assert e.min() == pytest.approx(-P.LJ_EPSILON_MEV, rel=1e-8)
    rm = np.linspace(0.5, 4.0, 350001)
    assert rm[np.argmin(P.morse(rm))] == pytest.approx(P.MORSE_RE_A, abs=1e-4)
    assert P.morse(50.0) == pytest.approx(P.MORSE_D_J, rel=1e-6)  # dissociation limit D
    # double Morse: b = 3 has one well in the middle, b = 5 two wells and a barrier at b/2
    for b, n_minima in ((3.0, 1), (5.0, 2)):
        q = np.linspace(0.5, b - 0.5, 2001)
        w = P.double_morse2d(q, np.full_like(q, 1.0), b)
        inner = (w[1:-1] < w[:-2]) & (w[1:-1] < w[2:])
        assert int(inner.sum()) == n_minima
    ds = P.dataset("double-morse2d", b=5.0)
    assert ds.x.shape == (3600, 2) and ds.x.max() == pytest.approx(4.5)


def test_user_table_is_read_with_its_units(tmp_path):
    path = tmp_path / "scan.csv"
    r = np.linspace(3.0, 8.0, 30)
    rows = [("r_angstrom", "energy_kcal_mol")] + [(f"{x:.4f}", f"{P.lennard_jones(x) * MEV_KJ / 4.184:.8f}") for x in r]
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    ds = P.dataset(str(path))
    assert (ds.length_unit, ds.energy_unit, ds.x.shape) == ("angstrom", "kcal_mol", (30, 1))
    bad = tmp_path / "bad.csv"
    bad.write_text("distance,energy\n1,2\n")
    with pytest.raises(DataFormatError, match="r_<unit>,energy_<unit>"):
        P.read_table(bad)
    unit = tmp_path / "unit.csv"
    unit.write_text("r_furlong,energy_ev\n" + "\n".join(f"{k + 1},{k}" for k in range(12)) + "\n")
    with pytest.raises(DataFormatError, match="furlong"):
        P.read_table(unit)
    short = tmp_path / "short.csv"
    short.write_text("r_nm,energy_kj_mol\n0.3,1\n0.4,0\n")
    with pytest.raises(DataFormatError, match="at least 10"):
        P.read_table(short)


def test_fit_learns_lj_and_its_derivative(lj_net):
    net, res, _ = lj_net
    ds = P.dataset("lj")
    # the validation loss is in meV²: far below the data's variance (an untrained net sits near it)
    assert res.val_mse < 1e-3 * np.var(ds.y)
    r = np.linspace(2.7, 8.7, 41)[:, None]
    assert np.max(np.abs(net.energy(r) - P.lennard_jones(r[:, 0]))) < 0.05 * P.LJ_EPSILON_MEV
    h = 1e-5
    fd = (net.energy(r + h) - net.energy(r - h)) / (2 * h)
    assert np.allclose(net.gradient(r)[:, 0], fd, rtol=1e-5, atol=1e-7)


def test_fit_config_and_potential_errors():
    with pytest.raises(MlparamsError, match="activation"):
        FitConfig((5,), "sigmoid", 0.01)
    with pytest.raises(MlparamsError, match="1 to 3"):
        FitConfig((5, 5, 5, 5), "relu", 0.01)
    with pytest.raises(MlparamsError, match="unknown potential"):
        P.dataset("buckingham")


def test_pair_table_is_the_network_inside_and_a_repulsive_line_below(lj_net):
    net, _, _ = lj_net
    r, e, f = pair_table(net, cutoff_nm=0.73)
    r0 = 0.9 * P.LJ_SIGMA_A * 0.1
    inside = r >= r0
    assert np.allclose(e[inside], net.energy(r[inside, None] * 10.0) * MEV_KJ)
    assert np.allclose(f[inside], -net.gradient(r[inside, None] * 10.0)[:, 0] * MEV_KJ * 10.0)
    assert np.all(f[~inside] > 0) and np.all(np.diff(e[~inside]) < 0)  # repulsive, finite wall
    assert r[-1] == pytest.approx(0.73) and np.allclose(np.diff(r), r[1] - r[0])
    with pytest.raises(MlparamsError, match="beyond the fitted range"):
        pair_table(net, cutoff_nm=1.0)


def test_surface_networks_are_not_pair_potentials():
    ds = P.dataset("morse2d", n_points=400)
    net, _ = fit(ds, FitConfig((5,), "elu", 0.01, max_epochs=20, patience=10), threads=1)
    with pytest.raises(MlparamsError, match="not a pair curve"):
        pair_table(net, cutoff_nm=0.5)


def _two_sites(params, r_nm):
    import parmed

    st = parmed.Structure()
    for k in range(2):
        st.add_atom(parmed.Atom(name="Ne", atomic_number=10, mass=20.1797), "NE", k + 1)
    s = site("Ne")
    return MolecularSystem(st, np.array([[0.0, 0.0, 0.0], [r_nm, 0.0, 0.0]]), None, params, [s, s], [1, 1])


def test_both_engines_reproduce_the_network_on_a_two_particle_scan(lj_net, tmp_path):
    import openmm
    from openmm import unit

    from mlparams.lammps_inputs.driver import single_point
    from mlparams.lammps_inputs.writer import write_inputs
    from mlparams.openmm_plugin.system import to_openmm

    net, _, _ = lj_net
    params = site_parameters(net, site("Ne"), 2, cutoff_nm=0.8)
    for k, r in enumerate(np.linspace(0.27, 0.78, 9)):
        e_ref = float(net.energy([[r * 10.0]])[0]) * MEV_KJ
        f_ref = -float(net.gradient([[r * 10.0]])[0, 0]) * MEV_KJ * 10.0  # on the second atom, along +x
        msys = _two_sites(params, r)
        system, _, pos = to_openmm(msys)
        ctx = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
        ctx.setPositions(pos * unit.nanometer)
        state = ctx.getState(getEnergy=True, getForces=True)
        e_omm = state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        f_omm = state.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer)[1, 0]
        write_inputs(msys, tmp_path / f"r{k}")
        terms, forces = single_point(tmp_path / f"r{k}")
        scale = max(abs(e_ref), 0.01)
        # interpolation error of a 0.0005 nm spline grid: far below 1e-5 of the energy scale
        assert e_omm == pytest.approx(e_ref, abs=1e-5 * scale)
        assert terms["vdw"] == pytest.approx(e_ref, abs=1e-5 * scale)
        assert f_omm == pytest.approx(f_ref, abs=1e-4 * max(abs(f_ref), 1.0))
        assert forces[1, 0] == pytest.approx(f_ref, abs=1e-4 * max(abs(f_ref), 1.0))


def test_fluid_of_fitted_sites_agrees_between_engines_term_by_term(lj_net):
    from mlparams.validation.cross_engine import compare_engines

    net, _, _ = lj_net
    s = site("Ne")
    fluid = atomic_fluid(s, 216, site_parameters(net, s, 216, 0.73), 1.1)
    result = compare_engines(fluid, cutoff_nm=0.73, long_range_correction=False)
    assert result["vdw"]["openmm"] < -100.0  # a cohesive liquid-density box
    assert result["vdw"]["rel_diff"] < 1e-6
    assert result["forces"]["rel_diff"] < 1e-5
    assert result["coulomb"]["openmm"] == 0.0 and result["coulomb"]["lammps"] == 0.0


def test_sweep_writes_tables_and_resumes(tmp_path):
    from mlparams.pes import sweep

    kwargs = dict(potentials=("lj",), kind="paper", max_epochs=40, patience=20, jobs=2, quiet=True,
                  widths=(5, 10, 20, 30), layers=(2,), activations=("relu",), lrs=(0.01,))
    summary = sweep.run(tmp_path, **kwargs)
    rows = sweep.read_runs(tmp_path / "runs.csv")
    assert len(rows) == 16 and all(r["status"] == "ok" for r in rows)
    assert summary["lj"]["runs"] == 16
    tables = (tmp_path / "loss_tables.md").read_text()
    assert "Two hidden layers, relu, lr 0.01" in tables
    assert (tmp_path / "lj_best_fit.png").stat().st_size > 1000
    sweep.run(tmp_path, **kwargs)  # everything done: nothing is rerun
    assert len(sweep.read_runs(tmp_path / "runs.csv")) == 16


def test_cli_fit_export_and_refusals(run_cli, tmp_path, lj_net):
    proc = run_cli("pes", "fit", "--potential", "morse", "--hidden", "10", "--epochs", "200", "--polish", "0",
                   "--out", str(tmp_path / "m"), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["val_loss"] > 0 and "J^2" in report["loss_units"]
    assert (tmp_path / "m" / "network.pt").is_file() and (tmp_path / "m" / "fit.png").is_file()
    bad = run_cli("pes", "fit", "--potential", "lj", "--lr", "3", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "learning rate" in bad.stderr
    # 200 epochs leave the Morse fit without a repulsive inner end: the export refuses it in one line
    refused = run_cli("pes", "export", str(tmp_path / "m"), "--out", str(tmp_path / "r"))
    assert refused.returncode == 2 and "not repulsive" in refused.stderr and not (tmp_path / "r").exists()
    export = run_cli("pes", "export", str(lj_net[2]), "--out", str(tmp_path / "e"), "--n-sites", "256")
    assert export.returncode == 0, export.stderr
    assert (tmp_path / "e" / "lammps" / "pair.table").is_file() and (tmp_path / "e" / "openmm" / "system.xml").is_file()


def test_liquid_density_of_the_fitted_curve_matches_the_analytic_lj(lj_net, tmp_path):
    """Short NPT runs of 256 neon-mass sites at 27.1 K: the fitted curve's density equals the analytic LJ's
    within their statistical errors, while σ stretched by 3 % (a control) lands far outside them."""
    from mlparams.pes.liquid import _protocol
    from mlparams.validation.density import system_density

    net, _, _ = lj_net
    s = site("Ne")
    n, cutoff = 256, 0.732
    protocol = _protocol(cutoff, nvt_ps=10.0, npt_ps=300.0, sample_ps=1.0, timestep_fs=10.0, n_sites=n)
    sigma, eps = P.LJ_SIGMA_A * 0.1, P.LJ_EPSILON_MEV * MEV_KJ
    runs = {}
    for label, params in (("network", site_parameters(net, s, n, cutoff)),
                          ("analytic", lj_site_parameters(s, n, sigma, eps)),
                          ("control", lj_site_parameters(s, n, 1.03 * sigma, eps))):
        fluid = atomic_fluid(s, n, params, 1.1, seed=3)
        runs[label] = system_density(fluid, "openmm", protocol, 27.1, 1.01325, 2, tmp_path / label,
                                     long_range_correction=False)
    a, b, c = runs["network"], runs["analytic"], runs["control"]
    combined = np.hypot(a["error"], b["error"])
    assert b["mean"] > 0.9  # a liquid, not a gas
    assert combined < 0.01
    assert abs(a["mean"] - b["mean"]) < 3 * combined
    assert b["mean"] - c["mean"] > 3 * np.hypot(b["error"], c["error"])
