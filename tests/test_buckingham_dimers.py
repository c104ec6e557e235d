"""The dimer-fitted exp-6 model: data, the fitted energy equals the engine's, shipped metrics, refusals, training."""

import gzip
import json

import numpy as np
import pytest

from mlparams.dimers import read_dimers
from mlparams.errors import DataFormatError, UnknownElementError
from mlparams.models import buckingham_dimers as bd
from mlparams.models.dimer_pairs import TRAINING_SETS, build, named_sets, set_path
from mlparams.models.registry import load_buckingham


@pytest.fixture(scope="module")
def model():
    return load_buckingham("buckingham")


@pytest.fixture(scope="module")
def s22by7():
    return named_sets(["S22by7"], progress=False)


def test_vendored_training_files_hold_every_row_of_their_csv():
    import csv

    for name in TRAINING_SETS:
        path = set_path(name)
        with open(path.with_name(f"{name}.csv"), newline="") as fh:
            rows = list(csv.DictReader(fh))
        dimers = list(read_dimers(path))
        assert len(dimers) == len(rows), name
        assert [d.info["name"] for d in dimers[:3]] == [r["name"] for r in rows[:3]]
        assert dimers[0].reference_kcal_mol == pytest.approx(float(rows[0]["E_int_kcal_mol"]))


def test_a_truncated_multiframe_file_is_refused(tmp_path):
    frames = gzip.open(set_path("HBC6"), "rt").read().splitlines()
    bad = tmp_path / "bad.xyz.gz"
    with gzip.open(bad, "wt") as fh:
        fh.write("\n".join(frames[:-1]) + "\n")  # the last frame loses an atom line
    with pytest.raises(DataFormatError, match="header says"):
        list(read_dimers(bad))


def test_fitted_energy_is_the_energy_openmm_computes(model, s22by7):
    """The NumPy pair sum the model was fitted with equals E_int from OpenMM systems (interaction driver)."""
    from mlparams.dimers import read_dimer
    from mlparams.models.dimer_pairs import data_root
    from mlparams.validation.interaction import interaction_energy

    predicted, vdw = bd.predict_dimers(model, s22by7)
    for name, file in (("2-1.0", "S22_02_HB_2_Water_Dimer_CS.xyz"), ("9-1.0", "S22_09_DD_2_Ethene_Dimer_D2D.xyz"),
                       ("20-1.0", "S22_20_DD_5_Benzene_Dimer_T_Shape_C2V.xyz")):
        index = int(np.flatnonzero(s22by7.name == name)[0])
        total, elec, e_vdw = interaction_energy(read_dimer(data_root() / "s22" / file), "buckingham")
        assert total == pytest.approx(predicted[index], abs=2e-4), file
        assert e_vdw == pytest.approx(vdw[index], abs=2e-4), file
        assert abs(e_vdw) > 0.1  # the van der Waals part is really there


def test_shipped_model_reproduces_its_reported_validation_errors(model, s22by7):
    reported = json.loads((bd.Path(__file__).parents[1] / "mlparams" / "data" / "models" / "buckingham.json").read_text())
    refined = reported.get("validation_refined")
    s22 = s22by7.subset(bd.s22_equilibrium(s22by7))
    rmse = bd.evaluate(model, s22, "S22")["neutral"]["RMSE"]
    expected = refined["S22"] if refined else reported["validation"]["S22"]["neutral"]["RMSE"]
    assert rmse == pytest.approx(expected, abs=1e-9)
    assert s22.n_dimers == 22


def test_model_is_better_than_charges_alone_on_held_out_training_dimers(model):
    data = named_sets(TRAINING_SETS, progress=False)
    held = data.subset(bd.holdout_mask(data) & ~data.charged)
    model_1 = bd.DimerBuckinghamModel(**{**model.__dict__, "length_scales": {}})
    e, _ = bd.predict_dimers(model_1, held)
    model_rmse = np.sqrt(np.mean((e - held.e_ref_kcal) ** 2))
    coulomb_rmse = np.sqrt(np.mean((held.coulomb_kcal() - held.e_ref_kcal) ** 2))
    assert model_rmse < 0.5 * coulomb_rmse


def test_holdout_keeps_whole_groups_together():
    data = named_sets(["HBC6", "NBC10ext"], progress=False)
    hold = bd.holdout_mask(data)
    groups = np.array([bd.group_of(s, n) for s, n in zip(data.set_name, data.name)])
    for g in set(groups.tolist()):
        assert len(set(hold[groups == g].tolist())) == 1
    assert 0 < hold.sum() < data.n_dimers



def test_set_balance_weighs_sets_by_their_neutral_dimers():
    """Balance 0: every neutral dimer 1 (repulsive ones less, charged ones 0); balance 1: each set's neutral
    dimers share one unit of weight, so a small set counts as much as a large one."""
    data = named_sets(["HBC6", "A24"], progress=False)
    w0, w1 = bd.weights(data, 0.0), bd.weights(data, 1.0)
    attractive = (data.e_ref_kcal <= 0) & ~data.charged
    assert np.allclose(w0[attractive], 1.0) and np.all(w0[data.charged] == 0)
    n = {s: np.sum((data.set_name == s) & ~data.charged) for s in ("HBC6", "A24")}
    assert n["HBC6"] > 4 * n["A24"]  # the test needs sets of very different sizes
    for s in n:
        k = (data.set_name == s) & attractive
        assert np.allclose(w1[k], 1.0 / n[s])
    mid = bd.weights(data, 0.5)
    k = (data.set_name == "HBC6") & attractive
    assert np.allclose(mid[k], n["HBC6"] ** -0.5)

def test_elements_outside_the_training_data_are_refused(model):
    with pytest.raises(UnknownElementError, match="trained on .* not Cl"):
        model.predict("Cl", -0.1)


def test_charges_beyond_the_training_range_are_clamped_and_constants_physical(model):
    lo, hi = model.charge_range["O"]
    np.testing.assert_array_equal(model.constants(["O"], [lo - 0.5]), model.constants(["O"], [lo]))
    np.testing.assert_array_equal(model.constants(["O"], [hi + 0.5]), model.constants(["O"], [hi]))
    for el, (lo, hi) in model.charge_range.items():
        for q in np.linspace(lo, hi, 5):
            c = model.predict(el, q)
            assert c.A_kJ_per_mol > 0 and c.B_nm > 0 and c.C_kJ_per_mol_nm6 >= 0


def test_h_o_pairs_with_coulomb_keep_a_repulsive_wall(model):
    """The most attractive pair the model can see, with its Coulomb term, still repels from 0.08 to 0.12 nm."""
    report = bd.wall_report(model)
    assert report["total"]["min_force_kJ_mol_nm"] > 0


def test_torch_loss_energy_matches_numpy_reference(model):
    """The energy the optimiser differentiates equals the engines' NumPy form for the shipped network."""
    torch = bd._torch()
    data = named_sets(["A24"], progress=False)
    model_1 = bd.DimerBuckinghamModel(**{**model.__dict__, "length_scales": {}})
    fit = bd._Fit(data, np.array(model.feature_mean), np.array(model.feature_std))
    q = np.array([np.clip(c, *model.charge_range[s]) for s, c in zip(data.atom_element, data.atom_charge)])
    z = torch.tensor(model_1._z(data.atom_element.tolist(), q))
    e_torch = bd._dimer_energy(torch, z, fit, model.mixing_rule).numpy()
    e_numpy, _ = bd.predict_dimers(model_1, data)
    np.testing.assert_allclose(e_torch, e_numpy, atol=1e-9)


def test_short_training_run_learns_beyond_the_charges():
    data = named_sets(["HBC6", "NBC10ext"], progress=False)
    model, history = bd.train_mlp(data, "geometric", steps=400)
    e, _ = bd.predict_dimers(model, data)
    rmse = np.sqrt(np.mean((e - data.e_ref_kcal)[data.e_ref_kcal < 5] ** 2))
    coulomb = np.sqrt(np.mean((data.coulomb_kcal() - data.e_ref_kcal)[data.e_ref_kcal < 5] ** 2))
    assert history[-1][0] < history[0][0]
    assert rmse < 0.6 * coulomb
    import torch

    assert torch.get_default_dtype() == torch.float32  # training leaves the process-wide default alone


def test_pair_cache_round_trips(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPARAMS_CACHE", str(tmp_path))
    first = build(set_path("HSG"), "HSG", progress=False)
    again = build(set_path("HSG"), "HSG", progress=False)  # from the cache file
    assert list((tmp_path / "dimer_pairs").glob("HSG-*.npz"))
    np.testing.assert_array_equal(first.pair_r_nm, again.pair_r_nm)
    np.testing.assert_array_equal(first.atom_charge, again.atom_charge)
    assert first.skipped == again.skipped


def test_length_factors_stretch_each_elements_constants(model):
    scaled = bd.DimerBuckinghamModel(**{**model.__dict__, "length_scales": {"O": 1.2}})
    plain = bd.DimerBuckinghamModel(**{**model.__dict__, "length_scales": {}}).constants(["O", "H"], [-0.6, 0.4])
    got = scaled.constants(["O", "H"], [-0.6, 0.4])
    np.testing.assert_allclose(got[0], plain[0] * [1.0, 1.2, 1.2**6])
    np.testing.assert_array_equal(got[1], plain[1])


def test_refinement_step_moves_lambda_towards_the_experimental_density():
    from mlparams.models.density_refinement import _next_lambda

    assert _next_lambda([(1.0, 1.25)]) == pytest.approx(1.25 ** (1 / 3))  # too dense: stretch
    assert _next_lambda([(1.1, 0.9)]) < 1.1  # too light: shrink
    # secant through two rounds: ln r linear in ln λ with slope -3 reaches r = 1 in one step
    lam = _next_lambda([(1.0, 1.3), (1.05, 1.3 * 1.05**-3)])
    assert lam == pytest.approx(1.3 ** (1 / 3), rel=1e-9)
    assert _next_lambda([(1.0, 5.0)]) == pytest.approx(1.25)  # steps are limited


def test_refinement_reads_a_collapsed_run_as_its_last_density(tmp_path):
    from mlparams.models.density_refinement import _ratios

    (tmp_path / "series").mkdir()
    (tmp_path / "density_results.csv").write_text(
        "name,smiles,T_K,rho_exp,rho_sim,rho_sim_err,rel_err_pct,n_molecules,production_ps,engine,model,status,seconds\n"
        "water,O,298.15,1.0,,,,292,,openmm,buckingham,failed: box collapsed,90\n"
        "ethanol,CCO,298.15,0.8,0.88,0.01,10,88,40,openmm,buckingham,ok,200\n")
    (tmp_path / "series" / "water.csv").write_text("t_ps,density_g_cm3\n0.25,0.9\n0.5,1.6\n")
    ratios = _ratios(tmp_path, ["water", "ethanol", "benzene"])
    assert ratios["water"][0] == pytest.approx(1.6) and ratios["water"][1].startswith("last sample")
    assert ratios["ethanol"] == (pytest.approx(1.1), "ok")
    assert "benzene" not in ratios


def test_cli_refuses_an_element_the_model_was_not_trained_on(run_cli):
    proc = run_cli("buckingham", "predict", "--element", "Cl", "--charge", "-0.1")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "trained on" in lines[0] and "gaff2" in lines[0]


def test_cli_predicts_with_the_dimer_model_by_default(run_cli):
    proc = run_cli("buckingham", "predict", "--element", "O", "--charge", "-0.6", "--json")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["model"] == "buckingham" and record["in_training_set"] is True
    assert record["C_kJ_per_mol_nm6"] > 0


def test_refined_model_beside_the_runs_reproduces_its_reported_dimer_cost(s22by7):
    """The density-refined experiment: same network, length factors > 1, its dimer cost as reported, and the
    reason it is not shipped (a pair with a negative energy below 0.1 nm) still true."""
    from mlparams.forms import buckingham as bk

    folder = bd.Path(__file__).parents[1] / "validation" / "results" / "buckingham_dimers" / "refinement"
    refined = bd.load_model_file(folder / "buckingham-refined.joblib")
    reported = refined.metrics["validation_refined"]
    assert refined.length_scales == reported["length_scales"] and refined.length_scales["O"] > 1.0
    s22 = s22by7.subset(bd.s22_equilibrium(s22by7))
    assert bd.evaluate(refined, s22, "S22")["neutral"]["RMSE"] == pytest.approx(reported["S22"], abs=1e-9)
    base = load_buckingham("buckingham")
    np.testing.assert_allclose(refined.constants(["C"], [-0.1])[0, 0], base.constants(["C"], [-0.1])[0, 0])
    q = refined.charge_range["S"][1]
    c = refined.constants(["S", "S"], [q, q])
    r = np.linspace(0.0, 0.1, 101)
    assert bk.energy(r, *bk.mix(*c[0], *c[1])).min() < 0  # the hole (S–S near 0.094 nm) that keeps it unshipped
