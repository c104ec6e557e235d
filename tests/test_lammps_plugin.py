"""mlparams' LAMMPS pair style ``mlparams/buck/coul/long`` (lammps_inputs/cpp/pair_mlparams_buck.cpp): the
guarded exp-6 and the real-space Coulomb term on two-particle scans against NumPy, forces against the NumPy
derivative, the same box as the portable deck (buck/coul/long + guard table), OpenMP threads and per-atom
tallies against the serial sums, and the build."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy.special import erfc

from mlparams.forms import buckingham
from mlparams.lammps_inputs import plugin
from mlparams.lammps_inputs import units as U
from mlparams.lammps_inputs.driver import single_point
from mlparams.lammps_inputs.engine import lammps_instance
from mlparams.lammps_inputs.writer import write_inputs
from mlparams.molecules import from_smiles
from mlparams.systems import build_system

D_A = 10 * buckingham.DAMPING_NM
RS_A = 10 * buckingham.SWITCH_NM
G_EWALD = 0.3  # 1/Å


def test_plugin_is_built_and_loads():
    assert plugin.available(), plugin.why_unavailable()


def _scan(A, rho, C, q1, q2, r_values, special=None):
    """evdwl, ecoul (kcal/mol) and the x force on atom 2 (kcal/mol/Å) for two atoms r apart, and qqrd2e."""
    rows = []
    with lammps_instance() as lmp:
        for cmd in (f"plugin load {plugin.build()}", "units real", "atom_style full", "boundary p p p",
                    "region box block 0 40 0 40 0 40", "create_box 2 box", "mass * 12.0",
                    "create_atoms 1 single 10 20 20", "create_atoms 2 single 11 20 20",
                    f"set atom 1 charge {q1}", f"set atom 2 charge {q2}",
                    f"pair_style {plugin.STYLE} 12.0 {D_A} {RS_A}",
                    "pair_coeff 1 1 0 1 0", "pair_coeff 2 2 0 1 0", f"pair_coeff 1 2 {A} {rho} {C}",
                    "kspace_style pppm 1e-5", f"kspace_modify gewald {G_EWALD}",
                    "thermo_style custom step evdwl ecoul", "thermo_modify norm no"):
            lmp.command(cmd)
        for r in r_values:
            lmp.command(f"set atom 2 x {10 + float(r)!r}")
            lmp.command("run 0")
            ids = np.array(lmp.numpy.extract_atom("id")).ravel()[:2]
            f = np.array(lmp.numpy.extract_atom("f"))[:2]
            rows.append((lmp.get_thermo("evdwl"), lmp.get_thermo("ecoul"), f[ids == 2][0, 0]))
        qqrd2e = lmp.extract_global("qqrd2e")
    return np.array(rows), qqrd2e


# A dimer-fitted-like pair (C > 0, attractive dispersion) and the paper-faithful sign (C < 0), OpenMM units.
PAIRS = [(2.0e5, 0.026, 2.0e-3), (1.0e6, 0.0106, -5.0e-4)]


@pytest.mark.parametrize("A, B, C", PAIRS)
def test_two_particle_scan_matches_the_numpy_guarded_exp6(A, B, C):
    r_nm = np.concatenate([np.linspace(0.06, 0.149, 15), np.linspace(0.151, 1.19, 40)])  # both sides of r_s
    Ar, rho, Cr = U.buckingham_to_real(A, B, C)
    rows, _ = _scan(Ar, rho, Cr, 0.0, 0.0, 10 * r_nm)
    e_ref = buckingham.energy(r_nm, A, B, C)
    f_ref = buckingham.force(r_nm, A, B, C)
    np.testing.assert_allclose(U.energy_from_real(rows[:, 0]), e_ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(U.force_from_real(rows[:, 2]), f_ref, rtol=1e-8, atol=1e-7 * np.abs(f_ref).max())
    assert np.all(rows[:, 1] == 0.0)


def test_real_space_coulomb_matches_erfc():
    r_a = np.linspace(1.0, 11.9, 30)
    rows, qqrd2e = _scan(1.0e4, 0.3, 0.0, 0.4, -0.7, r_a)
    ref = qqrd2e * 0.4 * -0.7 * erfc(G_EWALD * r_a) / r_a
    # Abramowitz & Stegun 7.1.26, LAMMPS's untabulated erfc: |error in erfc| < 1.5e-7
    bound = qqrd2e * 0.28 * 1.5e-7 / r_a
    assert np.all(np.abs(rows[:, 1] - ref) <= bound)
    assert np.abs(rows[:, 1] - ref).max() > 0.0  # a polynomial, not scipy's erfc


def test_beyond_the_cutoff_nothing_is_computed():
    rows, _ = _scan(1.0e4, 0.3, 500.0, 0.4, -0.7, [12.5, 13.0])
    assert np.all(rows[:, :2] == 0.0)


@pytest.fixture(scope="module")
def ethanol_decks(tmp_path_factory):
    msys = build_system([from_smiles("CCO")], [40], "buckingham", density_g_cm3=0.78, seed=5)
    folders = {}
    for kernel in ("portable", "compiled"):
        folders[kernel] = tmp_path_factory.mktemp(f"deck-{kernel}")
        write_inputs(msys, folders[kernel], cutoff_nm=0.8, pair_kernel=kernel)
    return msys, folders


def test_writer_loads_the_plugin_beside_the_deck(ethanol_decks):
    _, folders = ethanol_decks
    styles = (folders["compiled"] / "styles.lmp").read_text()
    assert styles.splitlines()[0] == "plugin load ./mlparams_buck.so" and plugin.STYLE in styles
    assert (folders["compiled"] / "mlparams_buck.so").is_file()
    assert "plugin" not in (folders["portable"] / "styles.lmp").read_text()
    assert not (folders["portable"] / "mlparams_buck.so").exists()


def test_plugin_deck_equals_the_portable_deck(ethanol_decks):
    _, folders = ethanol_decks
    e_port, f_port = single_point(folders["portable"])
    e_plug, f_plug = single_point(folders["compiled"])
    for term in ("bond", "angle", "dihedral", "improper", "vdw"):
        assert e_plug[term] == pytest.approx(e_port[term], rel=1e-10, abs=1e-9), term
    # erfc by polynomial (plugin) against LAMMPS's Coulomb table (buck/coul/long)
    assert e_plug["coulomb"] == pytest.approx(e_port["coulomb"], rel=1e-5)
    assert np.abs(f_plug - f_port).max() < 1e-5 * np.abs(f_port).max()


def test_openmp_threads_give_the_serial_result(ethanol_decks):
    _, folders = ethanol_decks
    e1, f1 = single_point(folders["compiled"])
    e2, f2 = single_point(folders["compiled"], "-sf", "omp", "-pk", "omp", "2")
    for term in ("vdw", "coulomb", "total"):
        assert e2[term] == pytest.approx(e1[term], rel=1e-10), term
    np.testing.assert_allclose(f2, f1, rtol=0, atol=1e-9 * np.abs(f1).max())


def _run0(folder, extra, keys):
    """Thermo keywords after ``run 0`` of the deck's system in folder, with extra commands before the run."""
    cwd = os.getcwd()
    try:
        with lammps_instance() as lmp:
            lmp.command(f'shell cd "{folder}"')
            for cmd in ("units real", "atom_style full", "boundary p p p", "include styles.lmp", "read_data data.lmp",
                        "include settings.lmp", *extra, "thermo_style custom step " + " ".join(keys),
                        "thermo_modify norm no", "run 0"):
                lmp.command(cmd)
            return {k: lmp.extract_compute(k[2:], 0, 0) if k.startswith("c_") else lmp.get_thermo(k) for k in keys}
    finally:
        os.chdir(cwd)


def test_per_atom_energies_sum_to_the_pair_energy(ethanol_decks):
    """Per-atom tallies (ev_tally path) against the global sums (thermo evdwl holds no tail here)."""
    _, folders = ethanol_decks
    out = _run0(folders["compiled"], ["pair_modify tail no", "compute pe_atom all pe/atom pair",
                                      "compute pe_sum all reduce sum c_pe_atom"], ["evdwl", "ecoul", "c_pe_sum"])
    pair = out["evdwl"] + out["ecoul"]
    assert math.isfinite(pair) and out["c_pe_sum"] == pytest.approx(pair, rel=1e-10)


def test_pressure_equals_the_portable_decks(ethanol_decks):
    """The virial (LAMMPS's f·r sum over the plugin's forces) and the tail pressure: the NPT barostat sees them."""
    _, folders = ethanol_decks
    keys = ["press", "pxx", "pyy", "pxy"]
    plug = _run0(folders["compiled"], [], keys)
    port = _run0(folders["portable"], [], keys)
    for k in keys:
        assert plug[k] == pytest.approx(port[k], rel=1e-5, abs=0.05), k


def test_build_writes_the_plugin_under_the_cache_and_reports_it(tmp_path):
    env = dict(os.environ, MLPARAMS_CACHE=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "mlparams.lammps_inputs.plugin"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    built = list(tmp_path.glob("lammps_plugin/*/" + plugin.LIBRARY_NAME))
    assert len(built) == 1 and str(built[0]) in proc.stdout
    assert not list(tmp_path.glob("lammps_plugin/*/.build-*"))


def test_unknown_pair_kernel_is_refused(ethanol_decks, tmp_path):
    from mlparams.errors import MlparamsError

    msys, _ = ethanol_decks
    with pytest.raises(MlparamsError, match="unknown pair kernel"):
        write_inputs(msys, tmp_path, pair_kernel="fast")


def test_cli_writes_the_portable_deck_on_request(run_cli, tmp_path):
    proc = run_cli("export", "lammps", "CCO", "--model", "buckingham", "--n-molecules", "20", "--out", str(tmp_path),
                   "--pair-kernel", "portable")
    assert proc.returncode == 0, proc.stderr
    styles = (tmp_path / "styles.lmp").read_text()
    assert "plugin" not in styles and "buck/coul/long" in styles and (tmp_path / "guard.table").is_file()
    assert not (tmp_path / "mlparams_buck.so").exists()
