"""mlparams' compiled pair forces (openmm_plugin/cpp: Buckingham, and the GNN's LJ + six Gaussians) against
the CustomNonbondedForces and independent references: periodic boxes with the long-range correction, the
merged real-space Coulomb, neighbour-list updates during NPT, serialization, and bad input."""

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy.integrate import quad

from mlparams.errors import MlparamsError
from mlparams.molecules import from_smiles
from mlparams.openmm_plugin import compiled
from mlparams.openmm_plugin.simulate import make_simulation
from mlparams.openmm_plugin.system import FORCE_GROUPS, to_openmm
from mlparams.systems import build_system


def _state(system, pos_nm, box_nm=None, platform="Reference", groups=None):
    """(energy kJ/mol, forces kJ/mol/nm) of a System at given positions (and box)."""
    import openmm
    from openmm import unit

    ctx = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName(platform))
    if box_nm is not None:
        ctx.setPeriodicBoxVectors(*(openmm.Vec3(*v) for v in np.diag(box_nm)))
    ctx.setPositions(pos_nm * unit.nanometer)
    kw = {} if groups is None else {"groups": groups}
    st = ctx.getState(getEnergy=True, getForces=True, **kw)
    return (st.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole),
            st.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer))


# Buckingham (the dimer-fitted model) and the GNN's LJ + Gaussians: both forms the compiled library holds.
MODELS = ("buckingham", "gnn")


@pytest.fixture(scope="module", params=MODELS)
def ethanol_box(request):
    return build_system([from_smiles("CCO")], [60], request.param, density_g_cm3=0.78, seed=2)


def test_compiled_equals_custom_nonbonded_force_in_a_periodic_box(ethanol_box):
    """Pair sum to the cutoff, exclusions, and the long-range correction (OpenMM integrates it
    numerically, the compiled force analytically)."""
    custom, _, pos = to_openmm(ethanol_box, vdw_kernel="custom")
    fast, _, _ = to_openmm(ethanol_box, vdw_kernel="compiled")
    vdw = {FORCE_GROUPS["vdw"]}
    e_custom, f_custom = _state(custom, pos, groups=vdw)
    e_fast, f_fast = _state(fast, pos, groups=vdw)
    assert e_fast == pytest.approx(e_custom, rel=1e-6)
    assert np.abs(f_fast - f_custom).max() < 1e-6 * np.abs(f_custom).max()
    e_all, _ = _state(custom, pos)
    e_all_fast, _ = _state(fast, pos)
    assert e_all_fast == pytest.approx(e_all, rel=1e-6)


def test_long_range_correction_matches_an_independent_integral(ethanol_box):
    """E_LRC = 2π N²/V · Σ count_ab ∫_rc^∞ E_ab(r) r² dr / (N(N+1)/2), the integral by scipy quadrature of
    the NumPy form (for LJ + Gaussians the Gaussians, cut at their reach, are below 1e-6 kJ/mol there)."""
    with_lrc, _, pos = to_openmm(ethanol_box, vdw_kernel="compiled")
    without, _, _ = to_openmm(ethanol_box, vdw_kernel="compiled", long_range_correction=False)
    vdw = {FORCE_GROUPS["vdw"]}
    lrc = _state(with_lrc, pos, groups=vdw)[0] - _state(without, pos, groups=vdw)[0]
    p = ethanol_box.parameters
    counts = np.bincount(p.atom_type_index, minlength=len(p.types)).astype(float)
    rc, n = 0.9, p.n_atoms
    total = 0.0
    for a in range(len(counts)):
        for b in range(a, len(counts)):
            count = counts[a] * (counts[a] + 1) / 2 if a == b else counts[a] * counts[b]
            total += count * quad(lambda r: float(p.pair_energy(r, a, b)) * r * r, rc, np.inf,
                                  epsabs=1e-14, epsrel=1e-12)[0]
    expected = 2 * np.pi * n * n * total / (n * (n + 1) / 2) / float(np.prod(ethanol_box.box_nm))
    assert lrc < 0
    assert lrc == pytest.approx(expected, rel=1e-8)


def test_merged_direct_space_equals_separate_coulomb_and_vdw(ethanol_box):
    """With merge_direct_space the compiled force also holds the real-space Ewald Coulomb term and the
    excluded pairs' terms; the NonbondedForce keeps only PME's reciprocal part. erfc there is the
    Abramowitz-Stegun form (|error| < 1.5e-7), hence 1e-6 of the direct-space Coulomb and van der Waals
    energies' size rather than 1e-9 (the total is small beside them: bonded and nonbonded terms cancel)."""
    separate, _, pos = to_openmm(ethanol_box, vdw_kernel="compiled")
    merged, _, _ = to_openmm(ethanol_box, vdw_kernel="compiled", merge_direct_space=True)
    e_sep, f_sep = _state(separate, pos)
    e_merged, f_merged = _state(merged, pos)
    size = sum(abs(_state(separate, pos, groups={FORCE_GROUPS[g]})[0]) for g in ("coulomb", "vdw", "vdw14"))
    assert abs(e_merged - e_sep) < 1e-6 * size
    assert np.abs(f_merged - f_sep).max() < 1e-5 * np.abs(f_sep).max()
    names = [f.getName() for f in merged.getForces()]
    assert names.count("CustomBondForce") == 0  # 1-4 and excluded-pair terms are inside the compiled force


@pytest.mark.parametrize("model", MODELS)
def test_neighbour_list_follows_atoms_and_box_during_npt(model):
    """After NPT steps (atoms moved past the list skin, box rescaled by the barostat) the compiled force
    still equals the CustomNonbondedForce at the same coordinates."""
    from openmm import unit

    # 100 molecules and a 0.8 nm cutoff: the box can shrink by half before it meets twice the cutoff
    # (the dimer-fitted model packs ethanol 25 % too densely).
    box = build_system([from_smiles("CCO")], [100], model, density_g_cm3=0.78, seed=2)
    system, topology, pos = to_openmm(box, cutoff_nm=0.8, constraints="HBonds", vdw_kernel="compiled",
                                      merge_direct_space=True)
    sim = make_simulation(system, topology, pos, temperature_k=400.0, pressure_bar=1.0)
    sim.minimizeEnergy(maxIterations=100)
    sim.context.setVelocitiesToTemperature(400.0)
    start = sim.context.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.nanometer)
    box0 = sim.context.getState().getPeriodicBoxVectors(asNumpy=True).value_in_unit(unit.nanometer)
    sim.step(600)
    st = sim.context.getState(getPositions=True)
    now = st.getPositions(asNumpy=True).value_in_unit(unit.nanometer)
    edges = np.diag(st.getPeriodicBoxVectors(asNumpy=True).value_in_unit(unit.nanometer))
    assert np.abs(now - start).max() > compiled.DEFAULT_SKIN_NM  # the list had to be rebuilt
    assert not np.allclose(edges, np.diag(box0))  # and the box changed
    custom, _, _ = to_openmm(box, cutoff_nm=0.8, vdw_kernel="custom")
    fast, _, _ = to_openmm(box, cutoff_nm=0.8, vdw_kernel="compiled")
    vdw = {FORCE_GROUPS["vdw"]}
    e_custom, f_custom = _state(custom, now, edges, groups=vdw)
    e_fast, f_fast = _state(fast, now, edges, groups=vdw)
    assert e_fast == pytest.approx(e_custom, rel=1e-6)
    assert np.abs(f_fast - f_custom).max() < 1e-6 * np.abs(f_custom).max()


@pytest.mark.parametrize("model", MODELS)
def test_cell_list_in_a_box_four_list_radii_wide(model):
    """Boxes at least four list radii (cutoff + skin) wide build the neighbour list from cells; it must
    find the same pairs as the CustomNonbondedForce."""
    msys = build_system([from_smiles("CCO")], [240], model, density_g_cm3=0.78, seed=4)
    cutoff = 0.6
    assert msys.box_nm.min() / (cutoff + compiled.DEFAULT_SKIN_NM) >= 4  # the cell path, by construction
    custom, _, pos = to_openmm(msys, cutoff_nm=cutoff, vdw_kernel="custom")
    fast, _, _ = to_openmm(msys, cutoff_nm=cutoff, vdw_kernel="compiled")
    vdw = {FORCE_GROUPS["vdw"]}
    e_custom, f_custom = _state(custom, pos, groups=vdw)
    e_fast, f_fast = _state(fast, pos, groups=vdw)
    assert e_fast == pytest.approx(e_custom, rel=1e-6)
    assert np.abs(f_fast - f_custom).max() < 1e-6 * np.abs(f_custom).max()


def test_compiled_system_survives_xml_round_trip(ethanol_box):
    import openmm

    system, _, pos = to_openmm(ethanol_box, vdw_kernel="compiled", merge_direct_space=True)
    again = openmm.XmlSerializer.deserialize(openmm.XmlSerializer.serialize(system))
    assert _state(again, pos)[0] == pytest.approx(_state(system, pos)[0], rel=1e-12)


def test_cutoff_beyond_half_the_box_is_refused(ethanol_box):
    import openmm

    system, _, pos = to_openmm(ethanol_box, vdw_kernel="compiled")
    # without the NonbondedForce, whose own check would speak first
    system.removeForce(next(k for k, f in enumerate(system.getForces()) if isinstance(f, openmm.NonbondedForce)))
    small = np.full(3, 1.5)  # cutoff 0.9 nm > 0.75 nm
    with pytest.raises(openmm.OpenMMException, match="cutoff exceeds half the box"):
        _state(system, pos, small)


def test_unknown_kernel_and_table_option_are_refused(ethanol_box):
    with pytest.raises(MlparamsError, match="unknown vdw_kernel"):
        to_openmm(ethanol_box, vdw_kernel="fast")
    with pytest.raises(MlparamsError, match="pair_tables needs"):
        to_openmm(ethanol_box, vdw_kernel="compiled", pair_tables=True)
    with pytest.raises(compiled.CompiledForceError, match="no compiled force for the 'tabulated' form"):
        compiled.force_xml("tabulated", {}, [0], [], cutoff_nm=0.9, periodic=True, long_range_correction=True,
                           force_group=5, settings={})


def test_build_writes_the_library_under_the_cache_and_reports_it(tmp_path):
    env = dict(os.environ, MLPARAMS_CACHE=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "mlparams.openmm_plugin.compiled"], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    built = list(tmp_path.glob("openmm_plugin/*/" + compiled.LIBRARY_NAME))
    assert len(built) == 1 and str(built[0]) in proc.stdout
    assert not list(tmp_path.glob("openmm_plugin/*/.build-*"))  # no temporary file left behind


def test_openmm_benchmark_picks_variants_by_label_and_refuses_an_unknown_one(run_cli, tmp_path):
    """`mlparams benchmark openmm --only`: GAFF2 (the reference) and the variants whose label contains a text."""
    from mlparams.openmm_plugin.benchmark import VARIANTS, selected_variants

    chosen = selected_variants(["GNN compiled"])
    assert [v[0] for v in chosen] == [VARIANTS[0][0]] + [v[0] for v in VARIANTS if v[0].startswith("GNN compiled")]
    assert len(chosen) == 3 and all(v[2].get("vdw_kernel") == "compiled" for v in chosen[1:])
    assert selected_variants(None) == list(VARIANTS)
    out = tmp_path / "bench.json"
    proc = run_cli("benchmark", "openmm", "--only", "no such variant", "--out", str(out))
    assert proc.returncode == 2 and "no benchmark variant matches no such variant" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()
