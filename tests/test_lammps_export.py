"""LAMMPS export: unit round trip, data file read back by MDAnalysis, exact neutrality, decks that run with
lmp and with mpiexec -n 2, and OpenMM against LAMMPS term by term on the same coordinates."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from mlparams.lammps_inputs import units as U
from mlparams.lammps_inputs.writer import write_inputs
from mlparams.molecules import from_smiles
from mlparams.systems import build_system
from mlparams.validation.cross_engine import compare_engines


def test_unit_round_trips_and_known_values():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.01, 100.0, 20)
    np.testing.assert_allclose(U.energy_from_real(U.energy_to_real(x)), x, rtol=1e-15)
    np.testing.assert_allclose(U.length_from_real(U.length_to_real(x)), x, rtol=1e-15)
    for power in (6, 12):
        np.testing.assert_allclose(U.energy_length_power_from_real(U.energy_length_power_to_real(x, power), power), x, rtol=1e-14)
    assert U.energy_to_real(4.184) == pytest.approx(1.0)
    # C6 of 1 kJ/mol nm^6 is 1e6/4.184 kcal/mol Å^6; a Buckingham pair in both unit systems gives one energy.
    A, B, C = 4.0e5, 0.0275, 2.5e-3
    Ar, rho, Cr = U.buckingham_to_real(A, B, C)
    r_nm = 0.31
    e_nm = A * np.exp(-r_nm / B) - C / r_nm**6
    e_real = Ar * np.exp(-10 * r_nm / rho) - Cr / (10 * r_nm) ** 6
    assert U.energy_from_real(e_real) == pytest.approx(e_nm, rel=1e-13)


@pytest.fixture(scope="module")
def ethanol_box(tmp_path_factory):
    out = tmp_path_factory.mktemp("lmp-ethanol")
    msys = build_system([from_smiles("CCO")], [30], "buckingham-lal2023", density_g_cm3=0.75, seed=4)
    write_inputs(msys, out, cutoff_nm=0.7, nvt_ps=0.1, npt_ps=0.2)
    return msys, out


def test_data_file_reads_back_with_mdanalysis(ethanol_box):
    import MDAnalysis as mda

    msys, out = ethanol_box
    u = mda.Universe(str(out / "data.lmp"), format="DATA", atom_style="id resid type charge x y z")
    assert len(u.atoms) == msys.n_atoms == 270
    assert len(u.bonds) == len(msys.structure.bonds)
    assert len(u.angles) == len(msys.structure.angles)
    np.testing.assert_allclose(u.dimensions[:3], msys.box_nm * 10, rtol=1e-6)  # MDAnalysis keeps float32
    np.testing.assert_allclose(u.atoms.charges, msys.parameters.charges, atol=1e-9)
    types = np.array([int(t) for t in u.atoms.types])
    np.testing.assert_array_equal(types - 1, msys.parameters.atom_type_index)
    masses = np.array([msys.parameters.types[t - 1].mass_da for t in types])
    np.testing.assert_allclose(u.atoms.masses, masses, atol=1e-6)
    assert len(u.residues) == 30  # molecule IDs


def test_written_charges_make_each_molecule_exactly_neutral(ethanol_box):
    _, out = ethanol_box
    lines = (out / "data.lmp").read_text().split("Atoms  # full")[1].split("Bond Coeffs")[0].strip().splitlines()
    per_molecule = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 7:
            per_molecule[parts[1]] = per_molecule.get(parts[1], Decimal(0)) + Decimal(parts[3])
    assert len(per_molecule) == 30 and all(total == 0 for total in per_molecule.values())


def _lmp_bin(name):
    return str(Path(sys.executable).parent / name)


def test_density_deck_runs_with_lmp_and_with_two_mpi_ranks(ethanol_box):
    _, out = ethanol_box
    for cmd in ([_lmp_bin("lmp"), "-in", "in.lmp", "-log", "serial.log"],
                [_lmp_bin("mpiexec"), "-n", "2", _lmp_bin("lmp"), "-in", "in.lmp", "-log", "mpi.log"]):
        proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-1500:]
        assert "Density" in proc.stdout and (out / "final.lmp").is_file()
    assert "with 2 MPI tasks" in (out / "mpi.log").read_text()


def _check(result, vdw=1e-5, coulomb=1e-6, bonded=1e-6, forces=1e-5, ewald_abs=1e-6):
    """Relative tolerances per term; ``ewald_abs`` (kJ/mol) is the absolute PME-vs-PPPM allowance of periodic
    boxes, which does not shrink when a model's charges make the Coulomb sum small."""
    tol = {"bond": bonded, "angle": bonded, "dihedral": bonded, "improper": bonded, "vdw": vdw, "coulomb": coulomb}
    for term, rtol in tol.items():
        row = result[term]
        allowance = ewald_abs if term == "coulomb" else 1e-6
        assert row["lammps"] == pytest.approx(row["openmm"], rel=rtol, abs=allowance), term
    # The total may be a small difference of large terms (a box of ethylene carbonate: +2983 vdW, -4183
    # Coulomb, 11 in all), so it is held to the sum of the terms' allowances rather than to its own size.
    budget = sum(max(rtol * abs(result[t]["openmm"]), ewald_abs if t == "coulomb" else 1e-6) for t, rtol in tol.items())
    assert abs(result["total"]["lammps"] - result["total"]["openmm"]) <= budget, "total"
    assert result["forces"]["rel_diff"] < forces


# Water, ethanol and ethylene carbonate (a ring with impropers), each with every model.
MOLECULES = [("O", 60, 0.95), ("CCO", 30, 0.75), ("C1COC(=O)O1", 20, 1.25)]


@pytest.mark.parametrize("model", ["gaff2", "buckingham", "buckingham-lal2023", "gnn"])
@pytest.mark.parametrize("smiles, n, density", MOLECULES)
def test_gas_phase_cluster_agrees_term_by_term(smiles, n, density, model):
    sp = from_smiles(smiles)
    one = sp.positions_angstrom() * 0.1
    msys = build_system([sp], [2], model, positions_nm=np.vstack([one, one + np.array([0.32, 0.41, 0.15])]))
    _check(compare_engines(msys))


@pytest.mark.parametrize("model", ["gaff2", "buckingham-lal2023", "gnn"])
@pytest.mark.parametrize("smiles, n, density", MOLECULES)
def test_periodic_box_agrees_term_by_term(smiles, n, density, model):
    msys = build_system([from_smiles(smiles)], [n], model, density_g_cm3=density, seed=2)
    cutoff = round(0.49 * float(msys.box_nm[0]), 3)
    # Without long-range corrections the two engines compute the same sums (PME/PPPM both tight).
    _check(compare_engines(msys, cutoff_nm=cutoff, long_range_correction=False), coulomb=1e-4, forces=1e-4, ewald_abs=0.02)
    # With them, OpenMM's and LAMMPS's tail formulas differ at O(1/N); recorded, and bounded here.
    _check(compare_engines(msys, cutoff_nm=cutoff), vdw=2e-3, coulomb=1e-4, forces=1e-4, ewald_abs=0.02)


def test_cli_export_lammps_and_compare_engines(run_cli, tmp_path):
    proc = run_cli("export", "lammps", "CCO", "--model", "buckingham", "--n-molecules", "200", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    for name in ("data.lmp", "in.lmp", "settings.lmp", "styles.lmp", "in.single", "parameters.json"):
        assert (tmp_path / name).is_file()
    assert "density" in (tmp_path / "in.lmp").read_text()
    proc = run_cli("compare-engines", "CCO", "--model", "buckingham", "--n-molecules", "20", "--json", "--no-tail")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    for term in ("bond", "angle", "dihedral", "improper", "vdw", "coulomb", "total"):
        assert set(result[term]) == {"openmm", "lammps", "rel_diff"}
    assert abs(result["vdw"]["openmm"]) > 1.0  # the dimer-fitted model has a real van der Waals term
    assert result["vdw"]["rel_diff"] < 1e-5 and result["total"]["rel_diff"] < 1e-4


def test_single_point_leaves_the_working_directory_alone(ethanol_box, tmp_path, monkeypatch):
    from mlparams.lammps_inputs.driver import single_point

    monkeypatch.chdir(tmp_path)
    _, out = ethanol_box
    single_point(out)
    assert Path.cwd() == tmp_path


@pytest.mark.parametrize("form", ["lj-gaussian", "tabulated"])
@pytest.mark.parametrize("periodic", [False, True])
def test_pair_forms_agree_between_engines(form, periodic):
    """GAFF2's LJ written as LJ + Gaussians (with non-zero Gaussians) or as a table, ethanol."""
    from pair_forms import rewrite_lj

    sp = from_smiles("CCO")
    if periodic:
        msys = build_system([sp], [30], "gaff2", density_g_cm3=0.75, seed=2)
        cutoff = round(0.49 * float(msys.box_nm[0]), 3)
    else:
        one = sp.positions_angstrom() * 0.1
        msys = build_system([sp], [2], "gaff2", positions_nm=np.vstack([one, one + np.array([0.32, 0.41, 0.15])]))
        cutoff = 0.9
    rewrite_lj(msys, form, gaussian_amplitude=0.3, grid=np.linspace(0.15, 1.2, 526))
    result = compare_engines(msys, cutoff_nm=cutoff, long_range_correction=False)
    _check(result, vdw=1e-5, coulomb=1e-4 if periodic else 1e-6, forces=1e-4)
