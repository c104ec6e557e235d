"""OpenMM export: two-particle scans against NumPy, forces against finite differences, exclusions and
1-4 pairs against an independent pair sum, short NPT runs of packed liquids."""

import json

import numpy as np
import pytest

from mlparams.forms import buckingham as bk
from mlparams.forms import lj
from mlparams.molecules import from_smiles
from mlparams.openmm_plugin.simulate import make_simulation, run_npt
from mlparams.openmm_plugin.system import energy_terms, serialize, to_openmm
from mlparams.parameters import AtomType, NonbondedParameters
from mlparams.systems import MolecularSystem, build_system

# Coulomb constant in kJ/mol nm from CODATA 2018 constants, independent of OpenMM's ONE_4PI_EPS0.
E_CHARGE, EPS0, NA = 1.602176634e-19, 8.8541878128e-12, 6.02214076e23
K_COULOMB = E_CHARGE**2 / (4 * np.pi * EPS0) * NA / 1000 * 1e9


def two_atom_system(form, vdw_i, vdw_j, r, q=(0.0, 0.0), rule=None, pair_vdw=None, table_r_nm=None):
    """Two unbonded atoms on the x axis at distance r (nm), no box."""
    import parmed

    st = parmed.Structure()
    for k, (name, z, mass) in enumerate((("O1", 8, 15.999), ("H1", 1, 1.008))):
        st.add_atom(parmed.Atom(name=name, atomic_number=z, mass=mass), "X", k + 1)
    types = [
        AtomType("O-like", "O", 15.999, q[0], dict(vdw_i)),
        AtomType("H-like", "H", 1.008, q[1], dict(vdw_j)),
    ]
    params = NonbondedParameters(
        model="test", form=form,
        mixing_rule=rule or {"buckingham": "geometric", "lj": "lorentz-berthelot"}.get(form, "none"),
        types=types, atom_type_index=np.array([0, 1]), charge_model="test",
        damping_nm=bk.DAMPING_NM if form == "buckingham" else None,
        guard_switch_nm=bk.SWITCH_NM if form == "buckingham" else None, pair_vdw=pair_vdw, table_r_nm=table_r_nm,
    )
    pos = np.array([[0.0, 0.0, 0.0], [r, 0.0, 0.0]])
    return MolecularSystem(st, pos, None, params, [], [])


BUCK_O = {"A": 4.0e5, "B": 0.0275, "C": 2.5e-3}
BUCK_H = {"A": 2.0e4, "B": 0.0240, "C": 1.0e-4}
LJ_O = {"sigma": 0.30, "epsilon": 0.65}
LJ_H = {"sigma": 0.11, "epsilon": 0.07}
SCAN = np.linspace(0.12, 0.9, 27)


def _energy_and_force(msys, r, **options):
    import openmm
    from openmm import unit

    system, _, pos = to_openmm(msys, **options)
    pos[1, 0] = r
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    ctx.setPositions(pos * unit.nanometer)
    st = ctx.getState(getEnergy=True, getForces=True)
    f = st.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer)
    return st.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole), f[1, 0]


# Both OpenMM implementations of the Buckingham and LJ + Gaussian forms: CustomNonbondedForces and
# mlparams' compiled forces.
KERNELS = ("custom", "compiled")


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("rule", bk.MIXING_RULES)
def test_buckingham_two_particle_scan_matches_numpy(rule, kernel):
    msys = two_atom_system("buckingham", BUCK_O, BUCK_H, 0.3, rule=rule)
    A, B, C = bk.mix(*BUCK_O.values(), *BUCK_H.values(), rule=rule)
    for r in np.concatenate([SCAN, [0.02, 0.05, 0.1, 0.149]]):  # and inside the guard
        e, f = _energy_and_force(msys, r, vdw_kernel=kernel)
        assert e == pytest.approx(bk.energy(r, A, B, C), rel=1e-6, abs=1e-12)
        assert f == pytest.approx(bk.force(r, A, B, C), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("kernel", KERNELS)
def test_buckingham_forces_match_finite_differences_and_guard_holds(kernel):
    msys = two_atom_system("buckingham", BUCK_O, BUCK_H, 0.3)
    h = 1e-5
    for r in (0.05, 0.1, 0.2, 0.35, 0.6):
        _, f = _energy_and_force(msys, r, vdw_kernel=kernel)
        e_plus, _ = _energy_and_force(msys, r + h, vdw_kernel=kernel)
        e_minus, _ = _energy_and_force(msys, r - h, vdw_kernel=kernel)
        assert f == pytest.approx(-(e_plus - e_minus) / (2 * h), rel=1e-5, abs=1e-6)
    e_close, f_close = _energy_and_force(msys, 0.05, vdw_kernel=kernel)
    assert np.isfinite(e_close) and f_close > 0  # repulsive at 0.05 nm


def test_lj_two_particle_scan_matches_numpy():
    msys = two_atom_system("lj", LJ_O, LJ_H, 0.3)
    s, e = lj.mix(LJ_O["sigma"], LJ_O["epsilon"], LJ_H["sigma"], LJ_H["epsilon"])
    for r in SCAN:
        en, f = _energy_and_force(msys, r)
        assert en == pytest.approx(lj.energy(r, s, e), rel=1e-6, abs=1e-12)
        assert f == pytest.approx(lj.force(r, s, e), rel=1e-6, abs=1e-9)


def _lj_gaussian_pairs():
    from mlparams.forms import lj_gaussian as lg

    rng = np.random.default_rng(3)
    pair = {}
    for name in lg.PAIR_PARAMETERS:
        m = np.zeros((2, 2))
        for a in range(2):
            for b in range(a, 2):
                if name == "C6":
                    v = rng.uniform(1e-3, 5e-3)
                elif name == "C12":
                    v = rng.uniform(1e-6, 5e-6)
                elif name.startswith("a"):
                    v = rng.uniform(-2.0, 2.0)
                elif name.startswith("r"):
                    v = 0.12 + 0.06 * (int(name[1:]) - 1)  # the paper's fixed centres, 1.2 + 0.6(k-1) Å
                else:
                    v = rng.uniform(0.03, 0.08)
                m[a, b] = m[b, a] = v
        pair[name] = m
    return pair


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("shared_centres", [True, False])
def test_lj_gaussian_two_particle_scan_matches_numpy(shared_centres, kernel):
    from mlparams.forms import lj_gaussian as lg

    pair = _lj_gaussian_pairs()
    if not shared_centres:  # centres read from per-pair tables instead of constants in the expression
        for k in range(1, lg.N_GAUSSIANS + 1):
            pair[f"r{k}"][0, 1] = pair[f"r{k}"][1, 0] = pair[f"r{k}"][0, 0] + 0.013 * k
    assert (lg.shared_centres_nm(pair) is not None) == shared_centres
    msys = two_atom_system("lj-gaussian", {}, {}, 0.3, pair_vdw=pair)
    p01 = {k: v[0, 1] for k, v in pair.items()}
    for r in SCAN:
        e, f = _energy_and_force(msys, r, vdw_kernel=kernel)
        assert e == pytest.approx(lg.energy(r, p01), rel=1e-6, abs=1e-9)
        assert f == pytest.approx(lg.force(r, p01), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("kernel", KERNELS)
def test_lj_gaussian_forces_match_finite_differences(kernel):
    """−dE/dr from the engine against central differences of its own energy, through the Gaussians' region."""
    msys = two_atom_system("lj-gaussian", {}, {}, 0.3, pair_vdw=_lj_gaussian_pairs())
    h = 1e-5
    for r in (0.11, 0.15, 0.2, 0.27, 0.35, 0.45, 0.7):
        _, f = _energy_and_force(msys, r, vdw_kernel=kernel)
        e_plus, _ = _energy_and_force(msys, r + h, vdw_kernel=kernel)
        e_minus, _ = _energy_and_force(msys, r - h, vdw_kernel=kernel)
        assert f == pytest.approx(-(e_plus - e_minus) / (2 * h), rel=1e-5, abs=1e-6)


def test_gaussian_reach_is_where_the_last_gaussian_falls_below_the_tolerance():
    from mlparams.forms import lj_gaussian as lg

    pair = _lj_gaussian_pairs()
    reach = lg.gaussian_reach_nm(pair)
    tol = lg.GAUSSIAN_TOLERANCE_KJ_PER_MOL
    r = np.linspace(0.0, 2.0, 20001)
    largest = np.zeros_like(r)
    for a in range(2):
        for b in range(2):
            for k in range(1, lg.N_GAUSSIANS + 1):
                g = abs(pair[f"a{k}"][a, b]) * np.exp(-((r - pair[f"r{k}"][a, b]) ** 2) / pair[f"w{k}"][a, b] ** 2)
                largest = np.maximum(largest, g)
    assert np.all(largest[r >= reach] <= tol * (1 + 1e-9))
    assert largest[r >= reach - 1e-3].max() > tol  # and not a loose bound


@pytest.mark.parametrize("kernel", KERNELS)
def test_lj_gaussian_in_a_box_stops_the_gaussians_at_their_reach(kernel):
    """Periodic: LJ to the cutoff, the six Gaussians to gaussian_reach_nm, both engines' convention."""
    import openmm
    from openmm import unit

    from mlparams.forms import lj_gaussian as lg

    pair = _lj_gaussian_pairs()
    pair["w2"][:] = 0.12  # a wide Gaussian, so that its reach falls inside the 0.9 nm cutoff's scan
    msys = two_atom_system("lj-gaussian", {}, {}, 0.3, pair_vdw=pair)
    msys.box_nm = np.array([3.0, 3.0, 3.0])
    reach = lg.gaussian_reach_nm(pair)
    assert 0.5 < reach < 0.9
    system, _, pos = to_openmm(msys, cutoff_nm=0.9, long_range_correction=False, vdw_kernel=kernel)
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    p01 = {k: v[0, 1] for k, v in pair.items()}
    lj_only = {**p01, **{f"a{k}": 0.0 for k in range(1, lg.N_GAUSSIANS + 1)}}
    for r in np.linspace(0.12, 0.95, 84):
        pos[1, 0] = r
        ctx.setPositions(pos * unit.nanometer)
        e = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        expected = 0.0 if r >= 0.9 else lg.energy(r, p01 if r < reach else lj_only)
        assert e == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_tabulated_two_particle_scan_matches_the_spline():
    from mlparams.forms import tabulated as tb

    grid = np.linspace(0.1, 1.0, 181)
    energies = np.zeros((2, 2, grid.size))
    energies[0, 0] = lj.energy(grid, 0.30, 0.6)
    energies[1, 1] = lj.energy(grid, 0.25, 0.2)
    energies[0, 1] = energies[1, 0] = lj.energy(grid, 0.28, 0.4)
    msys = two_atom_system("tabulated", {}, {}, 0.3, pair_vdw={"energy": energies}, table_r_nm=grid.tolist())
    for r in np.linspace(0.22, 0.95, 17):
        e, f = _energy_and_force(msys, r)
        assert e == pytest.approx(float(tb.energy(r, grid, energies[0, 1])), rel=1e-6, abs=1e-8)
        assert f == pytest.approx(float(tb.force(r, grid, energies[0, 1])), rel=1e-5, abs=1e-6)
        # and the spline stays within interpolation error of the analytic curve it tabulates
        assert e == pytest.approx(float(lj.energy(r, 0.28, 0.4)), abs=2e-3)


def test_coulomb_two_particle_scan_matches_codata():
    msys = two_atom_system("buckingham", {"A": 0.0, "B": 0.03, "C": 0.0}, {"A": 0.0, "B": 0.03, "C": 0.0}, 0.3,
                           q=(-0.8, 0.45))
    for r in (0.2, 0.5, 1.3):
        e, _ = _energy_and_force(msys, r)
        assert e == pytest.approx(K_COULOMB * -0.8 * 0.45 / r, rel=1e-6)


def _pair_sums(msys):
    """Independent O(N^2) sums: Coulomb and vdW over non-excluded pairs, and their scaled 1-4 parts."""
    p = msys.parameters
    x = msys.positions_nm
    q = p.charges
    excluded = set(map(tuple, msys.excluded_pairs().tolist()))
    pairs14 = set(map(tuple, msys.pairs14().tolist()))
    ti = p.atom_type_index
    coul = coul14 = vdw = vdw14 = 0.0
    n = len(x)
    for i in range(n):
        for j in range(i + 1, n):
            r = float(np.linalg.norm(x[i] - x[j]))
            e_c = K_COULOMB * q[i] * q[j] / r
            e_v = float(p.pair_energy(r, ti[i], ti[j]))
            if (i, j) in pairs14:
                coul14 += p.scale14_coulomb * e_c
                vdw14 += p.scale14_vdw * e_v
            elif (i, j) not in excluded:
                coul += e_c
                vdw += e_v
    return coul, coul14, vdw, vdw14


@pytest.mark.parametrize("smiles", ["CCCC", "CCO"])  # butane: 1-4 across C-C-C-C; ethanol: polar 1-4s
@pytest.mark.parametrize("model, kernel", [("buckingham", "custom"), ("buckingham", "compiled"),
                                           ("buckingham-lal2023", "compiled"), ("gnn", "custom"), ("gnn", "compiled"),
                                           ("gaff2", "auto")])
def test_exclusions_and_14_pairs_match_an_independent_pair_sum(smiles, model, kernel):
    sp = from_smiles(smiles)
    one = sp.positions_angstrom() * 0.1
    two = np.vstack([one, one + np.array([0.45, 0.1, -0.05])])  # two molecules: inter- and intramolecular pairs
    msys = build_system([sp], [2], model, positions_nm=two)
    system, _, pos = to_openmm(msys, vdw_kernel=kernel)
    terms = energy_terms(system, pos)
    coul, coul14, vdw, vdw14 = _pair_sums(msys)
    if model == "gaff2":
        assert terms["coulomb+vdw"] == pytest.approx(coul + coul14 + vdw + vdw14, rel=1e-6)
    else:
        assert terms["coulomb"] == pytest.approx(coul + coul14, rel=1e-6)
        assert terms["vdw"] == pytest.approx(vdw, rel=1e-6, abs=1e-10)
        assert terms["vdw14"] == pytest.approx(vdw14, rel=1e-6, abs=1e-10)
    # Every nonbonded force excludes the same pairs.
    import openmm

    nb = next(f for f in system.getForces() if isinstance(f, openmm.NonbondedForce))
    exc = {tuple(sorted(nb.getExceptionParameters(k)[:2])) for k in range(nb.getNumExceptions())}
    assert exc == set(map(tuple, msys.excluded_pairs().tolist()))
    for f in system.getForces():
        if isinstance(f, openmm.CustomNonbondedForce):
            assert {tuple(sorted(f.getExclusionParticles(k))) for k in range(f.getNumExclusions())} == exc
    if kernel == "compiled":  # the compiled force's exclusions, read back from its XML
        import xml.etree.ElementTree as ET

        root = ET.fromstring(openmm.XmlSerializer.serialize(system))
        force = next(f for f in root.iter("Force") if f.get("type", "").startswith("Mlparams"))
        assert {tuple(sorted((int(e.get("p1")), int(e.get("p2"))))) for e in force.iter("Exclusion")} == exc


def test_system_xml_round_trip_gives_the_same_energy(tmp_path):
    import openmm

    msys = build_system([from_smiles("CCO")], [1], "buckingham")
    system, _, pos = to_openmm(msys)
    serialize(system, tmp_path / "system.xml")
    again = openmm.XmlSerializer.deserialize((tmp_path / "system.xml").read_text())
    assert energy_terms(again, pos)["total"] == pytest.approx(energy_terms(system, pos)["total"], rel=1e-12)


@pytest.mark.parametrize(
    "smiles, n, density, model",
    [
        # The default Buckingham model gives hydroxyl and water H almost no repulsion against O, and its boxes
        # blow up (README, Limitations); the paper-faithful ML constants survive 5 ps.
        ("CCO", 60, 0.75, "buckingham-lal2023"),
        ("CCO", 60, 0.75, "gaff2"),
        ("O", 200, 0.95, "gaff2"),
        ("O", 200, 0.95, "buckingham-lal2023"),
    ],
)
def test_packed_minimised_box_runs_5ps_npt(smiles, n, density, model):
    msys = build_system([from_smiles(smiles)], [n], model, density_g_cm3=density)
    system, topology, pos = to_openmm(msys, cutoff_nm=0.8, constraints="HBonds")
    sim = make_simulation(system, topology, pos, temperature_k=298.15, pressure_bar=1.0)
    sim.minimizeEnergy(maxIterations=300)
    samples = run_npt(sim, 2500, report_every=500)
    assert samples[-1, 0] == pytest.approx(5.0)
    assert np.all(np.isfinite(samples)) and np.all(samples[:, 1] > 0.1)


def test_cli_export_openmm_writes_system_topology_and_parameters(run_cli, tmp_path):
    import openmm

    proc = run_cli("export", "openmm", "CCO", "--model", "buckingham", "--n-molecules", "30", "--cutoff", "0.6",
                   "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    system = openmm.XmlSerializer.deserialize((tmp_path / "system.xml").read_text())
    assert system.getNumParticles() == 270
    assert "CRYST1" in (tmp_path / "topology.pdb").read_text()
    params = json.loads((tmp_path / "parameters.json").read_text())
    assert params["charge_model"].startswith("AM1-BCC") and params["form"] == "buckingham"
    assert abs(sum(t["charge"] for t in params["types"]) - 0.0) < 1e-9 or len(params["types"]) == 6


@pytest.mark.parametrize("form, kernel", [("lj-gaussian", "custom"), ("lj-gaussian", "compiled"),
                                          ("tabulated", "auto")])
def test_pair_forms_keep_exclusions_and_scaled_14_pairs(form, kernel):
    """GAFF2's own LJ rewritten as LJ+Gaussians (a_k = 0) or as a table, on two butanes."""
    from pair_forms import rewrite_lj

    sp = from_smiles("CCCC")
    one = sp.positions_angstrom() * 0.1
    msys = build_system([sp], [2], "gaff2", positions_nm=np.vstack([one, one + np.array([0.3, 0.45, 0.2])]))
    rewrite_lj(msys, form, gaussian_amplitude=0.0, grid=np.linspace(0.15, 1.5, 676))
    system, _, pos = to_openmm(msys, vdw_kernel=kernel)
    terms = energy_terms(system, pos)
    coul, coul14, vdw, vdw14 = _pair_sums(msys)
    assert terms["coulomb"] == pytest.approx(coul + coul14, rel=1e-6)
    assert terms["vdw"] == pytest.approx(vdw, rel=1e-6, abs=1e-9)
    assert terms["vdw14"] == pytest.approx(vdw14, rel=1e-6, abs=1e-9)
