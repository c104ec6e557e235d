"""The GNN model (Terets & Nikolayenko): graphs, descriptors, pair form, shipped model, engines, training."""

import json
from pathlib import Path

import numpy as np
import pytest

from mlparams.gnn.graphs import PAIR13, PAIR14, graph_from_smiles
from mlparams.molecules import from_smiles
from mlparams.systems import build_system


def test_graph_features_and_pair_channels():
    g = graph_from_smiles("CCO")  # canonical order: heavy atoms, then H
    assert sorted(g.elements[:3]) == ["C", "C", "O"] and g.node_features.shape == (9, 10)
    assert g.node_features[:, :9].sum(1).tolist() == [1.0] * 9
    types = g.pair_type_matrix()
    o = g.elements.index("O")
    c_o = next(k for k in range(3) if g.elements[k] == "C" and types[o, k] == 0)
    c_me = next(k for k in range(3) if g.elements[k] == "C" and k != c_o)
    assert types[o, c_o] == 0 and types[o, c_me] == PAIR13
    h_me = [k for k in range(3, 9) if types[c_me, k] == 0]
    assert all(types[o, h] == PAIR14 for h in h_me)
    acetate = graph_from_smiles("CC(=O)[O-]")
    assert acetate.net_charge == -1 and acetate.node_features[:, -1].sum() == -1


def test_virial_descriptors_partition_the_kinetic_energy():
    """Σ KD_atom + Σ_{i<j} KD_pair = Tr(D·K), and an oxygen's own block dwarfs a hydrogen's (core electrons)."""
    from pyscf import gto, scf

    from mlparams.gnn.qm_data import kd_descriptors

    mol = gto.M(atom="O 0 0 0; H 0.96 0 0; H -0.24 0.93 0", basis="sto-3g", verbose=0)
    mf = scf.RHF(mol).run()
    atom, pair = kd_descriptors(mol, mf.make_rdm1())
    total = np.einsum("ij,ji", mf.make_rdm1(), mol.intor("int1e_kin"))
    assert atom.sum() + np.triu(pair, 1).sum() == pytest.approx(total, rel=1e-12)
    assert atom[0] > 50 * atom[1] and atom[1] == pytest.approx(atom[2], rel=1e-2)
    # virial theorem near equilibrium: kinetic energy ≈ −E (the paper's eq. 1), within 1 %
    assert total == pytest.approx(-mf.e_tot, rel=1e-2)


def _paper_pair_energy(r_a, c, qq):
    """Eqs. 21–23 written out independently, kcal/mol for r in Å (NumPy)."""
    e = 332.0637133 * qq / r_a - c[0] / r_a**6 + c[1] / r_a**12
    for k in range(1, 7):
        e += c[2 * k] * np.exp(-((r_a - (1.2 + 0.6 * (k - 1))) ** 2) / (c[2 * k + 1] ** 2 + 1e-5))
    return e


def test_torch_pair_energy_and_openmm_units_match_the_paper_formula():
    import torch

    from mlparams.forms import lj_gaussian
    from mlparams.gnn.model import pair_energy
    from mlparams.gnn.predictor import to_openmm_constants

    rng = np.random.default_rng(3)
    c = np.r_[700.0, 1.1e6, np.ravel([[rng.normal(0, 2), rng.uniform(0.2, 0.8)] for _ in range(6)])]
    r = np.linspace(2.0, 9.0, 71)
    qq = -0.12
    e_vdw, e_coul = pair_energy(torch.as_tensor(np.tile(c, (len(r), 1))), torch.full((len(r),), qq, dtype=torch.float64),
                                torch.as_tensor(r), torch.ones(len(r), dtype=torch.bool))
    np.testing.assert_allclose((e_vdw + e_coul).numpy(), _paper_pair_energy(r, c, qq), rtol=1e-12)
    # the exported constants in OpenMM units give the same van der Waals energy (kJ/mol, nm)
    omm = to_openmm_constants(c)
    np.testing.assert_allclose(lj_gaussian.energy(r / 10.0, omm), 4.184 * e_vdw.numpy(), rtol=1e-10)


@pytest.fixture(scope="module")
def gnn():
    from mlparams.gnn.predictor import load

    return load("gnn")


def test_charges_sum_to_the_formal_charge_and_symmetric_atoms_share_types(gnn):
    for smiles, charge in (("CCO", 0), ("CC(=O)[O-]", -1), ("C[NH3+]", 1)):
        msys = build_system([from_smiles(smiles)], [1], "gnn")
        q = msys.parameters.charges
        assert q.sum() == pytest.approx(charge, abs=1e-12)
        assert np.abs(q).max() < 1.5
    msys = build_system([from_smiles("CCO")], [1], "gnn")
    types = msys.parameters.atom_type_index
    c_me = next(k for k in range(3) if msys.species[0].elements[k] == "C"
                and all(a.element != 8 for a in msys.structure.atoms[k].bond_partners))
    methyl_h = [k for k in range(3, 9) if msys.structure.atoms[k].bond_partners[0].idx == c_me]
    assert len({types[k] for k in methyl_h}) == 1 and len(set(types.tolist())) == 6


def _assert_repulsive_below_wall(c_model, elements_a, elements_b, label):
    from mlparams.forms import lj_gaussian
    from mlparams.gnn.predictor import to_openmm_constants

    omm = to_openmm_constants(c_model)
    r = np.linspace(0.05, 0.24, 191)
    for a, ea in enumerate(elements_a):
        for b, eb in enumerate(elements_b):
            e = lj_gaussian.energy(r, {k: v[a, b] for k, v in omm.items()})
            wall = 0.16 if "H" in (ea, eb) else 0.24
            assert np.all(np.isfinite(e)) and e[0] > 1e3, (label, a, b)
            assert np.all(np.diff(e[r <= wall]) < 0), (label, a, b)


@pytest.mark.parametrize("model", ["gnn", "gnn-liquids"])
def test_every_pair_of_every_dev_liquid_is_repulsive_at_short_range(model):
    """Van der Waals energy falls monotonically up to 0.16 nm (pairs with H) / 0.24 nm (heavy pairs), finite,
    for every atom pair of each of the 41 dev liquids (their neat liquids) and across a mixture of five."""
    from mlparams.gnn.graphs import graph_from_smiles
    from mlparams.gnn.predictor import load
    from mlparams.validation.density import read_liquids

    gnn = load(model)

    graphs = [graph_from_smiles(row["smiles"]) for row in read_liquids("dev")]
    hs = gnn.embeddings(graphs)
    for g, h in zip(graphs, hs):
        _assert_repulsive_below_wall(gnn.pair_constants(h, h), g.elements, g.elements, g.smiles)
    mix = [k for k, g in enumerate(graphs) if g.smiles in ("O", "CCO", "CCCCCCCC", "O=C1OCCO1", "CC#N")]
    assert len(mix) == 5  # water, ethanol, n-octane, ethylene carbonate, acetonitrile
    # training asks for 0.26 nm on heavy pairs; 2 of the 1169 dev-liquid pairs (N,N-dimethylacetamide's N)
    # have their minimum at 0.245-0.249 nm (README), so the hard bound checked here is 0.24 nm
    for a in mix:
        for b in mix:
            if a < b:
                _assert_repulsive_below_wall(gnn.pair_constants(hs[a], hs[b]), graphs[a].elements, graphs[b].elements,
                                             f"{graphs[a].smiles} + {graphs[b].smiles}")


WALL_EXPERIMENT = Path(__file__).resolve().parent.parent / "validation" / "results" / "gnn" / "gaff2_wall_w30" / "model"


@pytest.fixture
def wall_experiment_model(monkeypatch):
    """The README's GAFF2-wall experiment (stage 3 with --gaff2-wall-weight 30), through the model-folder override."""
    from mlparams.gnn import predictor

    predictor.load.cache_clear()
    monkeypatch.setenv("MLPARAMS_GNN_MODEL_DIR", str(WALL_EXPERIMENT))
    yield
    predictor.load.cache_clear()


@pytest.mark.parametrize("smiles", ["O", "CCO", "O=C1OCCO1", "CCCCCCCC"])  # the paper's four liquids
def test_gaff2_wall_experiment_reaches_gaff2s_repulsion(smiles, wall_experiment_model):
    """With the GAFF2 wall (weight 30), at 0.80-0.95 sigma_ij (GAFF2 types, Lorentz-Berthelot) every type pair's
    van der Waals energy is at least 3/4 of GAFF2's LJ energy there, less 0.5 kJ/mol (kT/5) where that energy
    is small; the shipped model (no wall) has water O-O at 41 % of it at 0.85 sigma."""
    g = build_system([from_smiles(smiles)], [1], "gnn").parameters
    assert "gaff2_wall_weight" in json.loads((WALL_EXPERIMENT / "gnn.json").read_text())["config"]
    lj = build_system([from_smiles(smiles)], [1], "gaff2").parameters
    sig, eps = lj.type_array("sigma"), lj.type_array("epsilon")
    first_atom = {t: i for i, t in reversed(list(enumerate(g.atom_type_index)))}
    checked = 0
    for a in range(len(g.types)):
        for b in range(a, len(g.types)):
            ta, tb = lj.atom_type_index[first_atom[a]], lj.atom_type_index[first_atom[b]]
            s, e = 0.5 * (sig[ta] + sig[tb]), np.sqrt(eps[ta] * eps[tb])
            if e == 0:
                continue
            for x in (0.80, 0.85, 0.90, 0.95):
                e_lj = 4 * e * (x**-12 - x**-6)
                assert float(g.pair_energy(x * s, a, b)) >= 0.75 * e_lj - 0.5, (smiles, a, b, x)
                checked += 1
    assert checked >= 4


def test_shipped_model_is_softer_than_gaff2_at_water_contact():
    """What the wall experiment addresses: the shipped model's water O-O energy at 0.85 sigma is below
    half of GAFF2's LJ (README: 2.8 against 6.8 kJ/mol)."""
    g = build_system([from_smiles("O")], [1], "gnn").parameters
    lj = build_system([from_smiles("O")], [1], "gaff2").parameters
    o_g = next(k for k, t in enumerate(g.types) if t.element == "O")
    o_l = next(k for k, t in enumerate(lj.types) if t.element == "O")
    s, e = lj.type_array("sigma")[o_l], lj.type_array("epsilon")[o_l]
    assert float(g.pair_energy(0.85 * s, o_g, o_g)) < 0.5 * 4 * e * (0.85**-12 - 0.85**-6)


def test_committed_gnn_frames_carry_the_models_types_and_ask_for_more_density():
    """The frames sampled with ``gnn`` (README, issue #7; sampled with the ``gnn`` before the AM1-BCC charge anchor,
    commit bed0a40, whose charges they record) carry the shipped model's types, neutral molecules, and that model's
    own pressure at the experimental density is strongly negative (−3,300 to −770 bar recorded): it asked to be
    denser, as its NPT runs showed."""
    from mlparams.models.liquid_pressure import load_frames

    frames = load_frames(Path(__file__).parents[1] / "validation" / "results" / "gnn" / "frames_gnn")
    assert sorted(f.name for f in frames) == ["ethanol", "ethylene carbonate", "n-octane", "water"]
    for f in frames:
        params = build_system([from_smiles(f.smiles)], [1], "gnn").parameters
        assert f.reference_model == "gnn" and f.n_frames == 200
        assert f.type_element == [t.element for t in params.types]
        counts = np.bincount(params.atom_type_index, minlength=len(params.types))
        assert float(np.dot(counts, f.type_charge)) == pytest.approx(0.0, abs=1e-6)
        assert np.mean(f.p_reference_bar) < -10 * f.standard_error_bar() < 0


def test_gaff2_wall_penalty_counts_only_softer_pairs():
    """gaff2_wall_penalty: zero for a pair at least as repulsive as GAFF2's LJ, the mean shortfall otherwise."""
    import torch

    from mlparams.gnn.graphs import NONCOVALENT
    from mlparams.gnn.training import WALL_SIGMA_FRACTIONS, gaff2_wall_penalty

    sigma = torch.tensor([3.0, 3.0], dtype=torch.float64)
    eps = torch.tensor([0.2, 0.2], dtype=torch.float64)
    anchor = (sigma, eps, torch.tensor([True, True]))
    u = torch.tensor([[0, 1, NONCOVALENT]])
    stiff = torch.zeros((1, 14), dtype=torch.float64)
    stiff[0, 1] = 4 * 0.2 * 3.0**12 * 2  # C12 twice the LJ's, no C6, no Gaussians: above LJ everywhere
    stiff[0, 3::2] = 1.0
    assert float(gaff2_wall_penalty(stiff, u, anchor)) == 0.0
    soft = torch.zeros((1, 14), dtype=torch.float64)
    soft[0, 3::2] = 1.0  # no repulsion at all: the shortfall is the LJ energy itself
    expected = np.mean([4 * 0.2 * (x**-12 - x**-6) for x in WALL_SIGMA_FRACTIONS])
    assert float(gaff2_wall_penalty(soft, u, anchor)) == pytest.approx(expected, rel=1e-9)


def test_gaff2_band_penalty_is_zero_for_gaff2s_own_lj_and_counts_each_side():
    """gaff2_band_penalty: GAFF2's LJ itself lies inside any band containing 1 and within any well bound >= 1;
    zero repulsion falls short by low·E at every level; twice the LJ at every level overshoots a band topped at
    1.5 by 0.5·E; a well twice GAFF2's breaks a bound of 1.5 by 0.5·ε at the minimum."""
    import torch

    from mlparams.gnn.graphs import NONCOVALENT
    from mlparams.gnn.training import BAND_LEVELS_KCAL, WELL_MIN_FRACTIONS, gaff2_band_penalty

    sig, eps = 3.0, 0.2
    anchor = (torch.tensor([sig, sig], dtype=torch.float64), torch.tensor([eps, eps], dtype=torch.float64),
              torch.tensor([True, True]))
    u = torch.tensor([[0, 1, NONCOVALENT]])

    def lj(scale_rep, scale_att):
        c = torch.zeros((1, 14), dtype=torch.float64)
        c[0, 1] = 4 * eps * sig**12 * scale_rep
        c[0, 0] = 4 * eps * sig**6 * scale_att
        c[0, 3::2] = 1.0  # Gaussians with zero amplitude
        return c

    n_terms = len(BAND_LEVELS_KCAL) + len(WELL_MIN_FRACTIONS)
    assert float(gaff2_band_penalty(lj(1, 1), u, anchor, 0.7, 1.5, well=1.0)) == pytest.approx(0.0, abs=1e-12)
    none = lj(0, 0)
    assert float(gaff2_band_penalty(none, u, anchor, 0.7, 1.5)) == pytest.approx(0.7 * np.mean(BAND_LEVELS_KCAL), rel=1e-9)
    assert float(gaff2_band_penalty(lj(2, 2), u, anchor, 0.7, 1.5)) == pytest.approx(0.5 * np.mean(BAND_LEVELS_KCAL), rel=1e-9)
    # twice the LJ everywhere: the well at the minimum is -2 eps; a bound of 1.5 eps is broken there by 0.5 eps
    deep = float(gaff2_band_penalty(lj(2, 2), u, anchor, 0.0, 10.0, well=1.5))
    r_min = 2 ** (1 / 6) * sig * np.array(WELL_MIN_FRACTIONS)
    e_lj2 = 2 * 4 * eps * ((sig / r_min) ** 12 - (sig / r_min) ** 6)
    expected = np.sum(np.maximum(-1.5 * eps - e_lj2, 0.0)) / n_terms
    assert deep == pytest.approx(expected, rel=1e-9) and deep > 0


def test_openmm_interaction_energy_equals_the_trained_pair_sum(gnn):
    """A training dimer through OpenMM (GAFF2 topology, exporters) gives the network's own E_int."""
    import torch

    from mlparams.dimers import read_dimers
    from mlparams.gnn.graphs import graph_of
    from mlparams.gnn.model import pair_energy
    from mlparams.models.dimer_pairs import set_path
    from mlparams.molecules import from_xyz
    from mlparams.validation.interaction import interaction_energy

    dimer = next(d for d in read_dimers(set_path("HBC6")) if d.info.get("name", "").startswith("FaOOFaOO"))
    e_openmm, _, _ = interaction_energy(dimer, "gnn")
    na = dimer.n_a
    sa, pa = from_xyz(dimer.symbols[:na], dimer.coords_angstrom[:na], 0)
    sb, pb = from_xyz(dimer.symbols[na:], dimer.coords_angstrom[na:], 0)
    xa, xb = np.empty((na, 3)), np.empty((len(dimer.symbols) - na, 3))
    xa[pa], xb[pb] = dimer.coords_angstrom[:na], dimer.coords_angstrom[na:]
    ga, gb = graph_of(sa), graph_of(sb)
    ha, hb = gnn.embeddings([ga, gb])
    qa, qb = gnn.charges(ga, ha), gnn.charges(gb, hb)
    c = gnn.pair_constants(ha, hb).reshape(-1, 14)
    r = np.linalg.norm(xa[:, None] - xb[None], axis=2).ravel()
    e_vdw, e_coul = pair_energy(torch.as_tensor(c), torch.as_tensor(np.outer(qa, qb).ravel()), torch.as_tensor(r),
                                torch.ones(len(r), dtype=torch.bool))
    assert e_openmm == pytest.approx(float((e_vdw + e_coul).sum()), abs=2e-3)


def test_params_command_prints_charges_and_pairs_for_any_model(run_cli):
    proc = run_cli("params", "CCO", "--model", "gnn", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert len(out["charges"]) == 9 and sum(out["charges"]) == pytest.approx(0.0, abs=1e-9)
    assert out["form"] == "lj-gaussian" and len(out["pairs"]) == 21  # 6 types
    assert {"C6", "C12", "a1", "w6"} <= set(out["pairs"][0])
    proc = run_cli("params", "CCO", "--model", "gaff2", "--json")
    assert proc.returncode == 0 and {"sigma", "epsilon"} <= set(json.loads(proc.stdout)["pairs"][0])
    proc = run_cli("params", "[Xe]", "--model", "gnn")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Xe" in proc.stderr


def test_params_scan_gives_each_pairs_energies_along_r(run_cli):
    """--scan: van der Waals and Coulomb of every type pair against the forms written out here (NumPy)."""
    proc = run_cli("params", "O", "--model", "gnn-liquids", "--scan", "0.15,0.40,0.05", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    r = np.array(out["scan"]["r_nm"])
    assert r == pytest.approx([0.15, 0.20, 0.25, 0.30, 0.35, 0.40])
    charge = {t["name"]: t["charge"] for t in out["types"]}
    assert len(out["scan"]["pairs"]) == len(out["pairs"]) == 3
    for pair, scan in zip(out["pairs"], out["scan"]["pairs"]):
        assert scan["types"] == pair["types"]
        vdw = pair["C12"] / r**12 - pair["C6"] / r**6 + sum(
            pair[f"a{k}"] * np.exp(-((r - pair[f"r{k}"]) ** 2) / pair[f"w{k}"] ** 2) for k in range(1, 7))
        assert scan["vdw_kj_mol"] == pytest.approx(vdw, rel=1e-9, abs=1e-9)
        q_i, q_j = (charge[t] for t in pair["types"])
        assert scan["coulomb_kj_mol"] == pytest.approx(138.935458 * q_i * q_j / r, rel=1e-7)
    proc = run_cli("params", "CO", "--model", "gaff2", "--scan", "0.30,0.36,0.03", "--json")
    pair, scan = json.loads(proc.stdout)["pairs"][0], json.loads(proc.stdout)["scan"]["pairs"][0]
    r = np.array([0.30, 0.33, 0.36])
    lj = 4 * pair["epsilon"] * ((pair["sigma"] / r) ** 12 - (pair["sigma"] / r) ** 6)
    assert scan["vdw_kj_mol"] == pytest.approx(lj, rel=1e-9, abs=1e-12)
    proc = run_cli("params", "O", "--scan", "0.40,0.15,0.05")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "START < STOP" in proc.stderr


def test_shipped_model_records_its_training(gnn):
    meta = gnn.meta
    assert meta["n_conformers"] >= 300 and "B3LYP" in meta["level_of_theory"]
    assert meta["dimer_rmse_holdout_kcal"] < meta["dimer_rmse_holdout_before_kcal"]
    assert set(meta["dimer_sets"]).isdisjoint({"S22by7", "JSCH"})


def test_training_runs_resumes_and_lowers_the_losses(tmp_path):
    """Two epochs per stage on a slice of the shipped QM set and one dimer set: files, resume, lower losses."""
    from mlparams.gnn.commands import train
    from mlparams.gnn.datasets import default_qm_set
    from mlparams.gnn.training import TrainingConfig

    z = dict(np.load(default_qm_set()))
    keep = 40
    a, b = int(z["atom_counts"][:keep].sum()), int(z["bond_counts"][:keep].sum())
    small = {k: v[:keep] for k, v in z.items() if k in ("smiles", "conformer", "net_charge", "energy_kcal",
                                                         "kinetic_kcal", "atom_counts", "bond_counts")}
    small.update(elements=z["elements"][:a], coords_angstrom=z["coords_angstrom"][:a], kd_atom_kcal=z["kd_atom_kcal"][:a],
                 bonds=z["bonds"][:b], kd_bond_kcal=z["kd_bond_kcal"][:b], level_of_theory=z["level_of_theory"])
    np.savez(tmp_path / "qm.npz", **small)
    cfg = TrainingConfig(stage1_epochs=30, stage2_epochs=10, stage3_epochs=10, stage3_batch=32)
    summary = train(tmp_path / "model", tmp_path / "qm.npz", cfg, dimer_sets=("HBC6",), progress=False)
    for stem in ("embeddings", "gnn-molecules", "gnn"):
        assert (tmp_path / "model" / f"{stem}.pt").is_file() and (tmp_path / "model" / f"{stem}.json").is_file()
    assert (tmp_path / "model" / "training.png").is_file()
    meta1 = json.loads((tmp_path / "model" / "embeddings.json").read_text())
    meta2 = json.loads((tmp_path / "model" / "gnn-molecules.json").read_text())
    assert meta1["kd_history"][0][0] == 0 and meta1["kd_history"][-1][1] < meta1["kd_history"][0][1]
    assert meta2["energy_history"][0][0] == 0 and meta2["energy_history"][-1][1] < 0.9 * meta2["energy_history"][0][1]
    assert summary["dimer_rmse_holdout_kcal"]["gnn"] <= summary["dimer_rmse_holdout_kcal"]["gnn-molecules"]
    # a run stopped after stage 2 resumes at stage 3; a finished one is loaded, not retrained
    (tmp_path / "model" / "gnn.pt").unlink()
    before = (tmp_path / "model" / "embeddings.pt").stat().st_mtime_ns
    again = train(tmp_path / "model", tmp_path / "qm.npz", cfg, dimer_sets=("HBC6",), progress=False)
    assert (tmp_path / "model" / "embeddings.pt").stat().st_mtime_ns == before
    assert (tmp_path / "model" / "gnn.pt").is_file()
    assert again["dimer_rmse_holdout_kcal"] == pytest.approx(summary["dimer_rmse_holdout_kcal"], rel=1e-6)


def test_liquid_stage_trains_with_the_charges_the_engines_get(tmp_path):
    """A model whose metadata scales its charges keeps them through the liquid stage: the trainer's charges of every
    table molecule equal the scaled predictor's (the charges the engines and the frames get), and its dimer loss
    sees them (the held-out dimer RMSE moves when the scale is set back to 1)."""
    from mlparams.gnn.commands import liquid_stage_trainer
    from mlparams.gnn.predictor import load, shipped_model_dir
    from mlparams.validation.charge_scale import scaled_copy

    scaled = load("gnn-liquids", str(scaled_copy(shipped_model_dir(), 1.2, tmp_path / "q120")))
    base = load("gnn-liquids", str(shipped_model_dir()))
    trainer = liquid_stage_trainer(scaled, threads=1)
    assert trainer.charge_scale == 1.2
    q = trainer.charges().detach().numpy()
    moved = 0.0
    for k, g in enumerate(trainer.table.graphs):
        atoms = slice(trainer.offsets[k], trainer.offsets[k] + g.n_atoms)
        np.testing.assert_allclose(q[atoms], scaled.charges(g, scaled.embeddings([g])[0]), atol=1e-5)
        moved = max(moved, np.abs(q[atoms] - base.charges(g, base.embeddings([g])[0])).max())
    assert moved > 0.05
    rmse_scaled = trainer.dimer_rmse(trainer.dimer_holdout)
    trainer.charge_scale = 1.0
    assert abs(trainer.dimer_rmse(trainer.dimer_holdout) - rmse_scaled) > 0.05


def test_charge_scale_experiment_scales_each_bond_dipole_and_keeps_the_rest(tmp_path, monkeypatch):
    """validation/charge_scale.py: a copy of the shipped gnn-liquids with charge_scale 1.2 gives q̄ + 1.2·(q − q̄)
    per atom (formal charges kept, acetate and methylammonium too), the same van der Waals constants, and the
    scale in the model's metadata; a missing model or an absurd scale is refused in one line, nothing written."""
    import subprocess
    import sys

    from mlparams.gnn.predictor import load, shipped_model_dir
    from mlparams.validation.charge_scale import scaled_copy

    out = scaled_copy(shipped_model_dir(), 1.2, tmp_path / "q120")
    base, scaled = load("gnn-liquids", str(shipped_model_dir())), load("gnn-liquids", str(out))
    assert scaled.meta["charge_scale"] == 1.2 and "charge_scale" not in base.meta
    for smiles, charge in (("O", 0), ("CC(=O)[O-]", -1), ("C[NH3+]", 1)):
        load.cache_clear()
        q0 = build_system([from_smiles(smiles)], [1], "gnn-liquids").parameters.charges
        with monkeypatch.context() as m:
            m.setenv("MLPARAMS_GNN_MODEL_DIR", str(out))
            load.cache_clear()
            q1 = build_system([from_smiles(smiles)], [1], "gnn-liquids").parameters.charges
        load.cache_clear()
        mean = charge / len(q0)
        np.testing.assert_allclose(q1, mean + 1.2 * (q0 - mean), atol=1e-12)
        assert q1.sum() == pytest.approx(charge, abs=1e-12) and np.abs(q1 - q0).max() > 0.01
    g = [graph_from_smiles("O")]
    h0, h1 = base.embeddings(g)[0], scaled.embeddings(g)[0]
    np.testing.assert_array_equal(base.pair_constants(h0, h0), scaled.pair_constants(h1, h1))
    for args, message in ((("--model-dir", str(tmp_path / "none"), "--scale", "1.1"), "gnn-liquids.pt does not exist"),
                          (("--model-dir", str(shipped_model_dir()), "--scale", "5"), "between 0.5 and 2")):
        bad = subprocess.run([sys.executable, "-m", "mlparams.validation.charge_scale", *args, "--out",
                              str(tmp_path / "x")], capture_output=True, text=True, timeout=300)
        assert bad.returncode != 0 and message in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "x").exists()
