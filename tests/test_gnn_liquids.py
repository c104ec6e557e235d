"""The GNN's liquid stage: pressures on GNN-sampled frames against NumPy, OpenMM and the frames' own barostat."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from mlparams.models import liquid_pressure as lp


@pytest.fixture(scope="module")
def liquid_frames():
    """A few NVT frames of ethanol at its experimental density sampled with the shipped ``gnn`` (screen box: 600
    atoms, the 0.9 nm cutoff the cavitation check needs)."""
    from mlparams.validation.density import read_liquids

    row = next(r for r in read_liquids("dev") if r["name"] == "ethanol")
    return lp.sample_liquid(row, "gnn", profile="screen", equilibrate_ps=1.0, sample_ps=1.0, every_ps=0.2, threads=1)


@pytest.fixture(scope="module")
def gnn():
    from mlparams.gnn.predictor import load

    return load("gnn")


def _perturbed(predictor, raw_index: int, shift: float):
    """A copy of the predictor whose feats_net output ``raw_index`` is shifted by ``shift`` for every pair."""
    import torch

    other = copy.deepcopy(predictor)
    with torch.no_grad():
        other.heads.feats_net[-1].bias[raw_index] += shift
    return other


def _numpy_constants(predictor, smiles):
    """OpenMM-unit constants of every type pair (n_types × n_types tables) and the type charges."""
    from mlparams.gnn.liquids import liquid_types
    from mlparams.gnn.predictor import to_openmm_constants

    h, _, q = liquid_types(predictor, smiles)
    return to_openmm_constants(predictor.pair_constants(h, h)), q


def test_vdw_energy_and_slope_match_the_numpy_form():
    """The torch E and dE/dr of the GNN's constants equal the lj-gaussian form's NumPy energy and −force."""
    import torch

    from mlparams.forms import lj_gaussian
    from mlparams.gnn.model import vdw_energy_and_slope
    from mlparams.gnn.predictor import to_openmm_constants

    rng = np.random.default_rng(3)
    c = np.column_stack([600 * np.exp(rng.normal(size=4)), 1e6 * np.exp(rng.normal(size=4)),
                         *[col for _ in range(6) for col in (rng.normal(size=4), 0.15 + rng.random(4))]])
    r_nm = np.linspace(0.15, 0.9, 40)
    e, de = vdw_energy_and_slope(torch.tensor(c)[:, None, :], torch.tensor(10 * r_nm)[None, :])
    table = to_openmm_constants(c)
    for k in range(4):
        p = {name: v[k] for name, v in table.items()}
        np.testing.assert_allclose(e[k].numpy() * 4.184, lj_gaussian.energy(r_nm, p), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(de[k].numpy() * 41.84, -lj_gaussian.force(r_nm, p), rtol=1e-9, atol=1e-9)


def test_fixed_frame_pressure_matches_numpy_and_the_frames_own_barostat(liquid_frames, gnn):
    """On the frames the term's pressure is the NumPy sum: virial from the form's force on the fine histogram,
    OpenMM's LJ tail by numerical quadrature, the impulsive term at the cutoff; and it equals the pressure a
    barostat's volume move measured on the same frames (OpenMM energies) within their noise."""
    import torch
    from scipy.integrate import quad

    from mlparams.forms import lj_gaussian
    from mlparams.gnn.liquids import GnnPressureTerm

    frames, per_frame = liquid_frames
    term = GnnPressureTerm([frames], [per_frame], gnn)
    with torch.no_grad():
        p, ess = term.pressures(gnn.heads)
        p_rw, ess_rw = term.pressures(gnn.heads, reweight=True)
    table, _ = _numpy_constants(gnn, frames.smiles)
    pairs = np.asarray(frames.pair_types)
    r, hist, V, rc = np.asarray(frames.r_bins_nm), np.asarray(frames.virial_hist_nm), frames.volume_nm3, frames.cutoff_nm
    direct = sum(np.sum(lj_gaussian.force(r, {k: v[a, b] for k, v in table.items()}) * hist[row])
                 for row, (a, b) in enumerate(pairs)) / (3 * V)
    counts = np.asarray(frames.type_count, dtype=float)
    n = counts.sum()
    K = 0.0
    for a, b in zip(*np.triu_indices(len(counts))):
        lj = quad(lambda x: x * x * (table["C12"][a, b] / x**12 - table["C6"][a, b] / x**6), rc, np.inf)[0]
        K += (0.5 * counts[a] * (counts[a] + 1) if a == b else counts[a] * counts[b]) * lj
    K *= 2 * np.pi * n * n / (0.5 * n * (n + 1))
    e_cut = [table["C12"][a, b] / rc**12 - table["C6"][a, b] / rc**6 for a, b in pairs]
    expected = frames.p_rest_bar + (direct + K / V**2) * lp.BAR_PER_KJ_MOL_NM3 + lp.impulsive_bar(frames, e_cut)
    # rel 1e-5: feats_net runs in float32, and the parts (Coulomb ~ −10⁴ bar) cancel to a few 10³
    assert float(p[0]) == pytest.approx(expected, rel=1e-5)
    assert float(ess[0]) == 1.0
    assert float(p_rw[0]) == pytest.approx(float(p[0]), rel=1e-12) and float(ess_rw[0]) == pytest.approx(1.0, rel=1e-12)
    recorded = np.asarray(frames.p_reference_bar)
    assert abs(float(p[0]) - recorded.mean()) < 3 * recorded.std(ddof=1) / np.sqrt(recorded.size) + 60.0


def test_tail_coefficient_is_openmms_long_range_correction(liquid_frames, gnn):
    """K/V equals the energy OpenMM's CustomNonbondedForce adds with its long-range correction switched on,
    and the energy mlparams' compiled LJ + Gaussian force adds with its own."""
    import openmm
    import torch

    from mlparams.gnn.liquids import GnnPressureTerm
    from mlparams.molecules import from_smiles
    from mlparams.openmm_plugin.system import FORCE_GROUPS, to_openmm
    from mlparams.systems import build_system

    frames, per_frame = liquid_frames
    term = GnnPressureTerm([frames], [per_frame], gnn)
    with torch.no_grad():
        K = float(term.tail_coefficient(term._constants(gnn.heads, term.items[0]), term.items[0], frames.cutoff_nm))
    msys = build_system([from_smiles(frames.smiles)], [frames.n_molecules], "gnn", density_g_cm3=frames.rho_exp)
    volume = float(np.prod(msys.box_nm))

    def vdw_energy(system, positions):
        ctx = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
        ctx.setPositions(positions)
        return ctx.getState(getEnergy=True, groups={FORCE_GROUPS["vdw"]}).getPotentialEnergy()._value

    system, _, positions = to_openmm(msys, cutoff_nm=frames.cutoff_nm, vdw_kernel="custom")
    lj = next(f for f in system.getForces() if isinstance(f, openmm.CustomNonbondedForce) and f.getUseLongRangeCorrection())
    energies = []
    for on in (True, False):
        lj.setUseLongRangeCorrection(on)
        energies.append(vdw_energy(system, positions))
    assert energies[0] - energies[1] == pytest.approx(K / volume, rel=1e-6)
    compiled = [vdw_energy(to_openmm(msys, cutoff_nm=frames.cutoff_nm, vdw_kernel="compiled", long_range_correction=on)[0],
                           positions) for on in (True, False)]
    assert compiled[0] - compiled[1] == pytest.approx(K / volume, rel=1e-6)


def _frame_terms(predictor, frames, per_frame):
    """NumPy per frame: the intermolecular van der Waals energy (kJ/mol) from the pair counts, and the pressure
    (bar) from the virial histograms, for the predictor's constants."""
    from mlparams.forms import lj_gaussian

    r, V = per_frame.r_bins_nm, frames.volume_nm3
    table, _ = _numpy_constants(predictor, frames.smiles)
    u = np.zeros(len(per_frame.counts))
    pf = np.asarray(per_frame.p_rest_bar, dtype=float).copy()
    for row, (a, b) in enumerate(per_frame.pair_types):
        pr = {k: v[a, b] for k, v in table.items()}
        used = per_frame.counts[:, row].sum(0) > 0
        u += per_frame.counts[:, row][:, used].astype(float) @ lj_gaussian.energy(r[used], pr)
        pf += per_frame.virial[:, row][:, used].astype(float) @ lj_gaussian.force(r[used], pr) / (3 * V) \
            * lp.BAR_PER_KJ_MOL_NM3
    return u, pf


def _weights(du, T_K):
    """Normalised exp(−β ΔU) of each frame."""
    x = -du / (lp.BOLTZMANN_KJ_PER_MOL_K * T_K)
    w = np.exp(x - x.max())
    return w / w.sum()


def test_reweighted_enthalpy_of_vaporisation_matches_numpy(liquid_frames, gnn):
    """With feats_net moved, the predicted ΔH_vap is the sampling model's minus the change of the reweighted
    intermolecular van der Waals energy per molecule (NumPy, from the pair counts) and of the long-range
    correction; with the sampling model's own heads it is the sampling model's value."""
    import torch

    from mlparams.gnn.liquids import GnnPressureTerm

    frames, per_frame = liquid_frames
    other = _perturbed(gnn, 0, -0.05)  # C6 down: less cohesion
    term = GnnPressureTerm([frames], [per_frame], gnn, reweight=True, hvap=[(40.0, 42.46)])
    with torch.no_grad():
        own = float(term.enthalpies_of_vaporisation(gnn.heads)[0])
        moved = float(term.enthalpies_of_vaporisation(other.heads)[0])
        item = term.items[0]
        tail = float(term.tail_coefficient(term._constants(other.heads, item), item, frames.cutoff_nm)
                     - term.tail_coefficient(term._constants(gnn.heads, item), item, frames.cutoff_nm))
    assert own == pytest.approx(40.0, abs=1e-9)
    u0, _ = _frame_terms(gnn, frames, per_frame)
    u1, _ = _frame_terms(other, frames, per_frame)
    expected = 40.0 - (np.sum(_weights(u1 - u0, frames.T_K) * u1) - u0.mean() + tail / frames.volume_nm3) / frames.n_molecules
    assert moved == pytest.approx(expected, abs=1e-3)
    assert moved < 40.0 - 0.1  # weaker dispersion, weaker cohesion
    no_hvap = GnnPressureTerm([frames], [per_frame], gnn, reweight=True)
    with pytest.raises(Exception, match="without enthalpies"):
        no_hvap.enthalpies_of_vaporisation(gnn.heads)


def test_reweighted_pressure_matches_numpy_for_other_constants(liquid_frames, gnn):
    """With feats_net moved (C12 up by 3 %), the reweighted pressure is the NumPy estimate: weights
    exp(−β ΔU) from the per-frame pair counts, per-frame virials, and the fine-histogram mean."""
    import torch

    from mlparams.gnn.liquids import GnnPressureTerm

    frames, per_frame = liquid_frames
    other = _perturbed(gnn, 1, 0.03)
    term = GnnPressureTerm([frames], [per_frame], gnn, reweight=True)
    with torch.no_grad():
        p, ess = term.pressures(other.heads)
        p_fixed, _ = term.pressures(other.heads, reweight=False)
    u0, _ = _frame_terms(gnn, frames, per_frame)
    u1, pf = _frame_terms(other, frames, per_frame)
    w = _weights(u1 - u0, frames.T_K)
    expected = float(p_fixed[0]) + np.sum(w * pf) - pf.mean()
    assert float(p[0]) == pytest.approx(expected, rel=1e-6, abs=1e-3)
    assert float(ess[0]) == pytest.approx(1.0 / np.sum(w**2) / len(w), rel=1e-6)
    assert float(ess[0]) < 0.999


def test_trainable_charges_reweight_the_frames_coulomb_energy_and_pressure(liquid_frames, gnn):
    """train_charges: the term's type charges are the predictor's (its NumPy path) for a model whose charge_net
    moved; at the sampling model pressure and ΔH_vap equal the frozen-charge term's; for the moved charges they
    are the NumPy estimates from the frames' Coulomb forms: weights exp(−β ΔU_C), per-frame Coulomb pressures
    ½qᵀG_Pq, the Coulomb impulsive term with the new charges."""
    import torch

    from mlparams.errors import MlparamsError
    from mlparams.gnn.liquids import GnnPressureTerm, liquid_types

    frames, per_frame = liquid_frames
    other = copy.deepcopy(gnn)
    with torch.no_grad():
        other.heads.charge_net[-1].weight.mul_(1.15)  # bond dipoles up by about 15 %
    hvap = [(40.0, 42.46)]
    frozen = GnnPressureTerm([frames], [per_frame], gnn, reweight=True, hvap=hvap)
    term = GnnPressureTerm([frames], [per_frame], gnn, reweight=True, hvap=hvap, train_charges=True)
    with torch.no_grad():
        q = term.type_charges(other.heads, term.items[0]).numpy()
        p_own, _ = term.pressures(gnn.heads)
        p_frozen, _ = frozen.pressures(gnn.heads)
        h_own = float(term.enthalpies_of_vaporisation(gnn.heads)[0])
        p, ess = term.pressures(other.heads)
        h = float(term.enthalpies_of_vaporisation(other.heads)[0])
        p_fixed_vdw, _ = frozen.pressures(gnn.heads, reweight=False)
    _, _, q_numpy = liquid_types(other, frames.smiles)
    np.testing.assert_allclose(q, q_numpy, atol=1e-6)
    q0 = np.asarray(frames.type_charge)
    assert np.abs(q - q0).max() > 0.02
    assert float(p_own[0]) == pytest.approx(float(p_frozen[0]), abs=1e-6) and h_own == pytest.approx(40.0, abs=1e-6)

    def form(g, x):
        return 0.5 * np.einsum("a,fab,b->f", x, g, x)

    du = form(per_frame.coulomb_energy_form, q) - form(per_frame.coulomb_energy_form, q0)
    moved = lp.LiquidFrames(**{**frames.__dict__, "type_charge": q.tolist()})
    dp = (form(per_frame.coulomb_pressure_form, q) - form(per_frame.coulomb_pressure_form, q0)
          + lp.coulomb_impulsive_bar(moved) - lp.coulomb_impulsive_bar(frames))
    u_vdw, pf = _frame_terms(gnn, frames, per_frame)  # van der Waals unchanged: only charge_net moved
    w = _weights(du, frames.T_K)
    expected_p = float(p_fixed_vdw[0]) + dp.mean() + np.sum(w * (pf + dp)) - np.mean(pf + dp)
    assert float(p[0]) == pytest.approx(expected_p, abs=1e-3)
    assert float(ess[0]) == pytest.approx(1.0 / np.sum(w**2) / len(w), rel=1e-6)
    expected_h = 40.0 - (np.sum(w * (u_vdw + du)) - u_vdw.mean()) / frames.n_molecules
    assert h == pytest.approx(expected_h, abs=1e-3)
    assert h > 40.0 + 1.0  # larger dipoles, more cohesion
    old = lp.PerFrame(per_frame.pair_types, per_frame.counts, per_frame.virial, per_frame.p_rest_bar)
    with pytest.raises(MlparamsError, match="per-frame Coulomb forms"):
        GnnPressureTerm([frames], [old], gnn, reweight=True, train_charges=True)


def test_frames_of_another_model_or_a_cavitated_box_are_refused(liquid_frames, gnn):
    from mlparams.errors import MlparamsError
    from mlparams.gnn.liquids import GnnPressureTerm, check_reference

    frames, per_frame = liquid_frames
    stiffer = _perturbed(gnn, 1, 0.5)  # same charges, C12 × 1.65: not the model that sampled the frames
    with pytest.raises(MlparamsError, match="were not sampled with the starting model"):
        check_reference(GnnPressureTerm([frames], [per_frame], stiffer), stiffer)
    check_reference(GnnPressureTerm([frames], [per_frame], gnn), gnn)  # the sampling model passes
    q = np.asarray(frames.type_charge)
    other_charges = lp.LiquidFrames(**{**frames.__dict__, "type_charge": (q + 0.05 * np.sign(q)).tolist()})
    with pytest.raises(MlparamsError, match="other types or charges"):
        GnnPressureTerm([other_charges], [per_frame], gnn)
    # a void: a large empty sphere in the frames, or (frames without that record) 10 % more distant pairs
    assert np.median(frames.largest_empty_sphere_nm) < lp.CAVITY_RADIUS_NM and not frames.cavitated()
    voided = lp.LiquidFrames(**{**frames.__dict__, "largest_empty_sphere_nm": [0.6] * frames.n_frames})
    hist = np.asarray(frames.virial_hist_nm)
    hist[:, np.asarray(frames.r_bins_nm) >= lp.FAR_PAIR_MIN_NM] *= 1.1
    unrecorded = lp.LiquidFrames(**{**frames.__dict__, "virial_hist_nm": hist.tolist(), "largest_empty_sphere_nm": None})
    assert frames.far_pair_ratio() < lp.CAVITATION_RATIO <= unrecorded.far_pair_ratio()
    for bad, evidence in ((voided, "median largest empty sphere 0.60 nm"), (unrecorded, "far-pair ratio")):
        with pytest.raises(MlparamsError, match=f"have cavitated \\({evidence}"):
            GnnPressureTerm([bad], [per_frame], gnn)


def test_train_liquids_moves_the_pressure_toward_experiment(liquid_frames, run_cli, tmp_path):
    """One epoch of the liquid stage on the frames: the liquid loss falls, charges stay the sampling model's, the
    model loads by name from its folder; a heads file that does not exist is refused in one line. The frames are
    labelled as sampled 5 % above the experimental density, so their target lies about 490 bar above the
    experimental pressure whatever the 1 ps sample's own pressure (the model's ethanol asks to be denser: below it)."""
    import dataclasses

    frames, per_frame = liquid_frames
    frames = dataclasses.replace(frames, rho_sampled=1.05 * frames.rho_exp)
    assert frames.target_bar() - float(np.mean(frames.p_reference_bar)) > 300.0
    lp.save_frames(frames, tmp_path / "frames", per_frame)
    out = tmp_path / "model"
    res = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--out", str(out), "--epochs", "1", "--threads", "1", "--fixed-frames", "--quiet")
    assert res.returncode == 0, res.stderr
    report = json.loads((out / "liquid_stage.json").read_text())
    assert report["liquid_loss_after"] < 0.5 * report["liquid_loss_before"]
    assert report["pressure_after_bar"][0] > report["pressure_before_bar"][0]
    assert (out / "liquid_stage.png").stat().st_size > 10_000
    from mlparams.gnn.liquids import liquid_types
    from mlparams.gnn.predictor import load

    _, _, q_new = liquid_types(load("gnn-liquids", str(out)), frames.smiles)
    np.testing.assert_allclose(q_new, frames.type_charge, atol=1e-6)
    bad = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--out", str(tmp_path / "x"),
                  "--init", str(tmp_path / "none.pt"))
    assert bad.returncode != 0 and "give a heads file" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_density_loss_takes_a_newton_step_with_the_models_own_bulk_modulus(liquid_frames, run_cli, tmp_path,
                                                                           write_density_run):
    """--density-loss: the bulk modulus comes from the volume fluctuations of the init model's density run, the
    frames at ρ_s ask for P_exp + K_T·ln(ρ_s/ρ_exp), the stage lowers the predicted density error, and the density
    it predicts follows the pressure it reaches; a missing density file is refused in one line, nothing written."""
    import dataclasses

    frames, per_frame = liquid_frames
    rho_s = 1.05 * frames.rho_exp
    lp.save_frames(dataclasses.replace(frames, rho_sampled=rho_s), tmp_path / "frames", per_frame)
    rng = np.random.default_rng(2)
    rho = rho_s * (1.0 + 0.02 * rng.standard_normal(200))
    csv = write_density_run(tmp_path / "run", f"ethanol,CCO,298.15,{frames.rho_exp},{rho_s},{frames.n_molecules},49.9,"
                            "openmm,gnn,ok", 0.25 * np.arange(1, len(rho) + 1), rho)
    k = lp.bulk_moduli(csv, "gnn", ["ethanol"])["ethanol"]
    out = tmp_path / "model"
    res = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--density-loss", str(csv), "--out", str(out), "--epochs", "1", "--threads", "1",
                  "--fixed-frames", "--quiet")
    assert res.returncode == 0, res.stderr
    report = json.loads((out / "liquid_stage.json").read_text())
    assert report["density_loss"] and report["bulk_modulus_bar"] == [pytest.approx(k, rel=1e-9)]
    assert report["pressure_target_bar"][0] == pytest.approx(frames.P_bar + k * np.log(1.05), rel=1e-9)
    assert "predicted NPT density" in res.stdout

    def error(p):  # ln(ρ_predicted/ρ_exp) on the linear equation of state through the frames
        return np.log(rho_s / frames.rho_exp) + (frames.P_bar - p) / k

    before, after = report["pressure_before_bar"][0], report["pressure_after_bar"][0]
    assert abs(error(after)) < abs(error(before))
    assert report["density_predicted_g_cm3"][0] == pytest.approx(frames.rho_exp * np.exp(error(after)), rel=1e-9)
    bad = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--density-loss", str(tmp_path / "none.csv"), "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "none.csv does not exist" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "x").exists()


def _under_bound_ethanol(liquid_frames, tmp_path, write_density_run):
    """(frames, density CSV): the ethanol frames saved in tmp_path/frames and a density run of their model at
    their density whose ΔH_vap, 35.46 kJ/mol, is 7 kJ/mol under experiment's."""
    frames, per_frame = liquid_frames
    lp.save_frames(frames, tmp_path / "frames", per_frame)
    rho = frames.rho_exp * (1.0 + 0.02 * np.random.default_rng(4).standard_normal(200))
    csv = write_density_run(tmp_path / "run", f"ethanol,CCO,298.15,{frames.rho_exp},{frames.rho_exp},"
                            f"{frames.n_molecules},49.9,openmm,gnn,ok", 0.25 * np.arange(1, 201), rho,
                            {"hvap_sim": 35.46, "hvap_exp": 42.46})
    return frames, csv


def test_hvap_weight_moves_the_enthalpy_of_vaporisation_toward_experiment(liquid_frames, run_cli, tmp_path,
                                                                          write_density_run):
    """--hvap-weight: the stage starts from the density run's ΔH_vap (a liquid 7 kJ/mol under-bound), reports it
    before and after, and ends closer to experiment; without --density-loss it is refused in one line."""
    frames, csv = _under_bound_ethanol(liquid_frames, tmp_path, write_density_run)
    out = tmp_path / "model"
    res = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--density-loss", str(csv), "--hvap-weight", "5", "--out", str(out), "--epochs", "2",
                  "--threads", "1", "--learning-rate", "1e-4", "--quiet")
    assert res.returncode == 0, res.stderr
    report = json.loads((out / "liquid_stage.json").read_text())
    assert report["hvap_sampled_kj_mol"] == [35.46] and report["hvap_experiment_kj_mol"] == [42.46]
    assert report["hvap_predicted_before_kj_mol"][0] == pytest.approx(35.46, abs=1e-9)
    assert report["hvap_predicted_kj_mol"][0] > 35.46 + 0.05
    assert "enthalpy of vaporisation 35.46 ->" in res.stdout
    bad = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--hvap-weight", "1", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "--hvap-weight needs --density-loss" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "x").exists()


def test_train_charges_moves_the_charges_toward_the_enthalpy_of_vaporisation(liquid_frames, run_cli, tmp_path,
                                                                            write_density_run):
    """--train-charges: charge_net trains beside feats_net, the frames' Coulomb energy following it; a liquid
    7 kJ/mol under-bound ends closer to experiment, and the report's type charges are the written model's (each
    molecule still neutral). With fixed frames, which carry no Coulomb forms' reweighting, it is refused in one
    line and nothing is written."""
    from mlparams.gnn.liquids import liquid_types
    from mlparams.gnn.predictor import load

    frames, csv = _under_bound_ethanol(liquid_frames, tmp_path, write_density_run)
    out = tmp_path / "model"
    res = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--density-loss", str(csv), "--hvap-weight", "5", "--train-charges", "--out", str(out),
                  "--epochs", "2", "--threads", "1", "--learning-rate", "1e-4", "--quiet")
    assert res.returncode == 0, res.stderr
    report = json.loads((out / "liquid_stage.json").read_text())
    assert report["train_charges"] and report["charge_learning_rate"] == 1e-5  # the default
    assert report["hvap_predicted_kj_mol"][0] > 35.46 + 0.05
    q_written = liquid_types(load("gnn-liquids", str(out)), frames.smiles)[2]
    np.testing.assert_allclose(report["type_charges_e"][0], q_written, atol=1e-6)
    np.testing.assert_allclose(report["type_charges_sampled_e"][0], frames.type_charge)
    assert np.abs(q_written - np.asarray(frames.type_charge)).max() > 1e-6
    n_per_type = np.asarray(frames.type_count) / frames.n_molecules
    assert abs(n_per_type @ q_written) < 1e-9
    assert "type charges" in res.stdout
    bad = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--train-charges", "--fixed-frames", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "trainable charges need frames with per-frame Coulomb forms" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "x").exists()


def test_charge_tradeoff_scales_the_charges_as_a_charge_scaled_model(liquid_frames, tmp_path, write_density_run):
    """The trade-off grid: at s = 1 the sampling model's ΔH_vap with every frame counted; at s = 1.03 the type
    charges of a model copy whose metadata sets charge_scale 1.03 (the engines' path), more cohesion, fewer
    effective samples; C12 × 1.05 is a perturbed model's pressure in the term and pushes outwards; a report in
    three files."""
    import torch

    from mlparams.gnn.liquids import GnnPressureTerm, liquid_types
    from mlparams.gnn.predictor import load, shipped_model_dir
    from mlparams.validation.charge_scale import scaled_copy
    from mlparams.validation.charge_tradeoff import tradeoff, write_report

    frames, csv = _under_bound_ethanol(liquid_frames, tmp_path, write_density_run)
    per_frame = liquid_frames[1]
    report = tradeoff(tmp_path / "frames", "ethanol", shipped_model_dir() / "gnn.pt", csv, scales=(1.0, 1.03),
                      threads=1, repulsion_scales=(1.0, 1.05))
    one, up, stiff, _ = report["rows"]
    assert stiff["scale"] == 1.0 and stiff["repulsion_scale"] == 1.05
    # the grid's C12 factor is feats_net's C12 output shifted by ln f: a perturbed copy of the model, in the term
    stiffer = copy.deepcopy(load("gnn"))
    with torch.no_grad():
        stiffer.heads.feats_net[-1].bias[1] += np.log(1.05)
    term = GnnPressureTerm([frames], [per_frame], load("gnn"), reweight=True)
    with torch.no_grad():
        p_stiff = float(term.pressures(stiffer.heads)[0][0])
    k = lp.bulk_moduli(csv, "gnn", ["ethanol"])["ethanol"]
    assert stiff["density_g_cm3"][0] == pytest.approx(frames.density_after_g_cm3(p_stiff, k), rel=1e-9)
    # stiffer repulsion pushes outwards on every frame (the r^-12 virial is positive); the reweighted estimate adds
    # -β·cov(ΔU, P), which on a 1 ps test sample can outweigh it, so the direct term is what is checked here
    fixed = GnnPressureTerm([frames], None, load("gnn"))
    with torch.no_grad():
        assert float(fixed.pressures(stiffer.heads)[0][0]) > float(fixed.pressures(load("gnn").heads)[0][0])
    assert one["hvap_kj_mol"] == [pytest.approx(35.46, abs=1e-6)]
    assert one["effective_sample_fraction"] == [pytest.approx(1.0)]
    np.testing.assert_allclose(one["type_charges_e"][0], frames.type_charge, atol=1e-6)
    scaled = load("gnn", str(scaled_copy(shipped_model_dir(), 1.03, tmp_path / "scaled", name="gnn")))
    np.testing.assert_allclose(up["type_charges_e"][0], liquid_types(scaled, frames.smiles)[2], atol=1e-6)
    assert up["hvap_kj_mol"][0] > 35.46 + 0.2 and up["effective_sample_fraction"][0] < 1.0
    write_report(report, tmp_path / "out" / "tradeoff")
    assert "| 1.03 |" in (tmp_path / "out" / "tradeoff.md").read_text()
    assert (tmp_path / "out" / "tradeoff.png").stat().st_size > 10_000
    from mlparams.validation.charge_tradeoff import main

    with pytest.raises(SystemExit, match="^error: --init .*none.pt does not exist"):
        main(["--frames", str(tmp_path / "frames"), "--density-loss", str(csv), "--init", str(tmp_path / "none.pt"),
              "--out", str(tmp_path / "x" / "t")])
    assert not (tmp_path / "x").exists()


def test_extra_liquid_dimers_join_the_dimer_loss(liquid_frames, run_cli, tmp_path):
    """--extra-dimers: the committed water contact dimers (counterpoise DFT labels) enter the liquid stage's dimer
    loss (20 % held out, reported apart); weighted up, one epoch lowers their RMSE. A missing file is refused in
    one line before anything is written."""
    from mlparams.dimers import read_dimers

    frames, per_frame = liquid_frames
    lp.save_frames(frames, tmp_path / "frames", per_frame)
    extra = Path(__file__).parents[1] / "validation/results/gnn/liquid_dimers/water/dimers"
    n_extra = len(list(read_dimers(extra)))
    out = tmp_path / "model"
    res = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--extra-dimers", str(extra), "--extra-dimer-weight", "20", "--out", str(out), "--epochs", "1",
                  "--threads", "1", "--fixed-frames", "--quiet")
    assert res.returncode == 0, res.stderr
    report = json.loads((out / "liquid_stage.json").read_text())
    count = report["extra_dimer_count"]
    assert count["train"] + count["holdout"] == n_extra and count["holdout"] > 0
    before, after = report["extra_dimer_rmse_before_kcal"], report["extra_dimer_rmse_after_kcal"]
    assert after["train"] < 0.9 * before["train"]
    assert "extra dimers, train" in res.stdout and "held-out dimers of the training sets" in res.stdout
    assert report["extra_dimer_rmse_after_kcal"]["training_sets_holdout"] < 2.0
    bad = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--extra-dimers", str(tmp_path / "none"), "--out", str(tmp_path / "x"))
    assert bad.returncode != 0 and "none does not exist" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "x").exists()


def test_fine_penalty_grid_sees_a_bend_between_the_coarse_points():
    """A narrow van der Waals dip (−0.3 kcal/mol, 0.03 Å wide at 1.2 Å) on a steep r⁻¹² wall leaves the curve
    rising over a few hundredths of an Å (found on a 0.0005 Å grid): the 0.05 Å penalty grid does not change,
    the liquid stage's 0.01 Å grid does."""
    import torch

    from mlparams.gnn.graphs import NONCOVALENT
    from mlparams.gnn.model import vdw_curve
    from mlparams.gnn.training import FINE_PENALTY_GRID_A, FINE_PENALTY_MARGIN_KCAL, physical_penalty

    wall = torch.zeros(1, 14, dtype=torch.float64)
    wall[0, 1] = 8.9  # C12 in kcal/mol·Å¹²: −10 kcal/mol/Å at 1.2 Å
    dip = wall.clone()
    dip[0, 2], dip[0, 3] = -0.3, 0.03
    r = torch.arange(0.6, 1.6, 0.0005, dtype=torch.float64)
    assert float(torch.diff(vdw_curve(dip, r)[0]).max()) > 0.0  # not monotonic below the H wall (1.6 Å)
    pair = torch.tensor([[0, 1, NONCOVALENT]])
    elements, q = np.array(["H", "C"]), torch.zeros(2, dtype=torch.float64)

    def penalty(c, fine):
        grid = (FINE_PENALTY_GRID_A, FINE_PENALTY_MARGIN_KCAL) if fine else ()
        return float(physical_penalty(c, pair, elements, q, *grid))

    assert penalty(dip, fine=False) == pytest.approx(penalty(wall, fine=False), abs=1e-12)
    assert penalty(dip, fine=True) > penalty(wall, fine=True) + 0.005


def test_rounds_table_pairs_each_prediction_with_the_next_frames(liquid_frames, tmp_path):
    """validation/gnn_liquid_rounds.py: a round's prediction beside the pressure its result's frames measured."""
    from mlparams.validation.gnn_liquid_rounds import main

    frames, _ = liquid_frames
    (tmp_path / "round1").mkdir()
    record = {"liquids": [frames.name], "pressure_sampled_bar": [-1000.0], "pressure_sampled_standard_error_bar": [50.0],
              "far_pair_ratio": [1.0], "pressure_after_bar": [-400.0], "effective_sample_fraction_after": [0.55],
              "dimer_rmse_holdout_before_kcal": 0.77, "dimer_rmse_holdout_kcal": 0.79}
    (tmp_path / "round1" / "liquid_stage.json").write_text(json.dumps(record))
    lp.save_frames(frames, tmp_path / "frames_c1")
    table = main(tmp_path)
    row = next(line for line in table.splitlines() if line.startswith("| 1 |"))
    assert f"{np.mean(frames.p_reference_bar):+.0f} ± {frames.standard_error_bar():.0f}" in row
    assert "-1000 ± 50" in row and "-400 (0.55)" in row and "0.77 → 0.79" in row
    assert (tmp_path / "rounds.md").read_text() == table


def test_own_density_table_pairs_the_target_with_the_results_npt_density(tmp_path):
    """own_rounds.md: frames' density against experiment, the pressure asked for, and the result's NPT density."""
    from mlparams.validation.gnn_liquid_rounds import own_density_table

    (tmp_path / "own_round1" / "density").mkdir(parents=True)
    record = {"liquids": ["water"], "density_sampled_g_cm3": [1.5], "pressure_target_bar": [4085.0],
              "pressure_sampled_bar": [-10.0], "pressure_sampled_standard_error_bar": [190.0],
              "pressure_after_bar": [4000.0], "effective_sample_fraction_after": [0.7],
              "dimer_rmse_holdout_before_kcal": 0.79, "dimer_rmse_holdout_kcal": 0.83}
    (tmp_path / "own_round1" / "liquid_stage.json").write_text(json.dumps(record))
    (tmp_path / "own_round1" / "density" / "density_results.csv").write_text(
        "name,rho_exp,rho_sim,rho_sim_err,rel_err_pct,status\nwater,1.0,1.4,0.002,40.0,ok\n")
    table = own_density_table(tmp_path)
    row = next(line for line in table.splitlines() if line.startswith("| 1 |"))
    assert row == ("| 1 | water | 1.5000 (+50.0 %) | +4085 | -10 ± 190 | +4000 (0.70) | 1.400 ± 0.002 (+40.0 %) | "
                   "0.79 → 0.83 |")
    assert (tmp_path / "own_rounds.md").read_text() == table

    from mlparams.validation.gnn_liquid_rounds import density_loss_table

    (tmp_path / "own_round1").rename(tmp_path / "density_round1")
    record.update({"bulk_modulus_bar": [125000.0], "density_predicted_g_cm3": [1.41]})
    (tmp_path / "density_round1" / "liquid_stage.json").write_text(json.dumps(record))
    table = density_loss_table(tmp_path)
    row = next(line for line in table.splitlines() if line.startswith("| 1 |"))
    assert row == ("| 1 | water | 1.5000 (+50.0 %) | 12.50 | +4085 | -10 ± 190 | +4000 (0.70) | 1.410 | "
                   "1.400 ± 0.002 (+40.0 %) | 0.79 → 0.83 |")
    assert (tmp_path / "density_loss_rounds.md").read_text() == table


def test_shipped_liquid_model_is_the_recorded_fit_on_the_committed_frames_and_keeps_its_starting_charges():
    """gnn-liquids (the slope round, README): on the committed frames it was fitted to it gives the fixed-frame
    pressures its record holds (ethylene carbonate's closer than its starting model's to the equation-of-state
    target of the dense frames, thousands of bar up); charges equal to those of the gnn it started from (charge_net
    frozen, checked per type by GnnPressureTerm and here against that gnn's frames); the fit used the 0.01 Å short-range grid on every molecule, both committed folders
    of water contact dimers and the displaced contacts with a slope weight, and predicts the held-out contacts and
    their slopes better than the model it started from; held-out training dimers within 0.1 kcal/mol of its start's."""
    import torch

    from mlparams.gnn.liquids import GnnPressureTerm, liquid_types
    from mlparams.gnn.predictor import load

    model = load("gnn-liquids")
    meta = model.meta
    assert meta["reweighting"] and meta["fine_penalty"] and meta["every_molecule_penalty"]
    assert set(meta["liquids"]) == {"ethylene carbonate", "ethanol", "n-octane"}
    assert meta["extra_dimers"] == ["validation/results/gnn/liquid_dimers/water/dimers",
                                    "validation/results/gnn/liquid_dimers/water_contact1/dimers",
                                    "validation/results/gnn/liquid_dimers/water_contact1_slopes/dimers"]
    assert meta["extra_dimer_rmse_after_kcal"]["holdout"] < meta["extra_dimer_rmse_before_kcal"]["holdout"]
    assert meta["slope_weight"] > 0 and meta["slope_pair_count"]["holdout"] > 0
    assert meta["slope_rmse_after_kcal"]["holdout"] < meta["slope_rmse_before_kcal"]["holdout"]
    root = Path(__file__).resolve().parent.parent
    frames = [lp.load_frames(root / meta["frames"][name], [name])[0] for name in meta["liquids"]]
    term = GnnPressureTerm(frames, None, model)  # raises unless the frames' charges are the model's
    with torch.no_grad():
        p, _ = term.pressures(model.heads)
    # rtol 1e-5: the network's float32 kernels differ between CPUs (a second host gave water 1.2e-6 away); any
    # other model differs by bars
    np.testing.assert_allclose(p.numpy(), meta["pressure_after_fixed_frames_bar"], rtol=1e-5, atol=1e-3)
    # the density loss's target: the pressure that moves the liquid to experiment under its measured bulk modulus
    for value, start, target, lf in zip(p.tolist(), meta["pressure_before_bar"], meta["pressure_target_bar"], frames):
        assert target == pytest.approx(lf.target_bar(meta["bulk_modulus_bar"][meta["liquids"].index(lf.name)]))
        if lf.rho_sampled and lf.rho_sampled > 1.1 * lf.rho_exp:
            assert target > 1000.0 and abs(value - target) < abs(start - target) - 500.0, lf.name
    # the charges of the gnn its lineage started from (before the AM1-BCC anchor, commit bed0a40), which the frames
    # that gnn sampled record per type
    started = {f.name: f for f in lp.load_frames(root / "validation" / "results" / "gnn" / "frames_gnn")}
    for lf in frames:
        _, _, q_new = liquid_types(model, lf.smiles)
        np.testing.assert_allclose(q_new, started[lf.name].type_charge, atol=1e-6)
    assert meta["dimer_rmse_holdout_kcal"] < meta["dimer_rmse_holdout_before_kcal"] + 0.1


def test_slope_weight_fits_the_energy_differences_of_displaced_pairs(liquid_frames, run_cli, tmp_path):
    """--slope-weight with the committed displaced water contacts: each ± pair stays on one side of the hold-out
    split, the torch slope error of the init model (`gnn`) equals the one OpenMM's energies give through the
    interaction driver (run here on the 240 dimers, about 20 s), and one epoch lowers it on the pairs trained on. Without displaced
    dimers among --extra-dimers the weight is refused in one line, nothing written."""
    import csv

    from mlparams import liquid_dimers as ld

    frames, per_frame = liquid_frames
    lp.save_frames(frames, tmp_path / "frames", per_frame)
    folder = Path(__file__).parents[1] / "validation/results/gnn/liquid_dimers/water_contact1_slopes"
    out = tmp_path / "model"
    res = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--extra-dimers", str(folder / "dimers"), "--extra-dimer-weight", "20", "--slope-weight", "5",
                  "--out", str(out), "--epochs", "1", "--threads", "1", "--fixed-frames", "--quiet")
    assert res.returncode == 0, res.stderr
    report = json.loads((out / "liquid_stage.json").read_text())
    n_pairs = report["slope_pair_count"]
    assert n_pairs["train"] + n_pairs["holdout"] == 120 and n_pairs["holdout"] > 0
    assert sum(report["extra_dimer_count"][k] for k in ("train", "holdout")) == 240
    assert report["extra_dimer_count"]["holdout"] == 2 * n_pairs["holdout"]  # pairs are never split
    from mlparams.validation.interaction import run as interaction_run

    interaction_run(str(folder / "dimers"), "gnn", tmp_path / "openmm", progress=False)
    with open(tmp_path / "openmm" / "interaction_results.csv", newline="") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    pairs = ld.displaced_pairs(list(rows))
    names = list(rows)
    d = np.array([(float(rows[names[p]]["E_model"]) - float(rows[names[m]]["E_model"]))
                  - (float(rows[names[p]]["E_ref"]) - float(rows[names[m]]["E_ref"])) for m, p in pairs])
    before = report["slope_rmse_before_kcal"]
    pooled = np.sqrt((n_pairs["train"] * before["train"] ** 2 + n_pairs["holdout"] * before["holdout"] ** 2) / 120)
    assert len(d) == 120 and pooled == pytest.approx(np.sqrt(np.mean(d ** 2)), rel=2e-3)
    # liquid_history rows: epoch, liquid loss, pressures, ESS, slope RMSE by split. The epoch lowers the slope
    # error of the pairs it trains on; the state kept (the best-scored epoch, which may be the init one: the slope
    # term is not scored) is the one whose slopes are reported after.
    slopes = {row[0]: row[4] for row in report["liquid_history"]}
    assert slopes[0] == pytest.approx(before, rel=1e-9)
    assert slopes[1]["train"] < 0.9 * before["train"]
    assert report["slope_rmse_after_kcal"] == pytest.approx(slopes[report["best_epoch"]], rel=1e-9)
    assert (out / "liquid_stage.png").is_file()  # with a third panel, the slope history
    assert "displaced pairs, train" in res.stdout
    plain = Path(__file__).parents[1] / "validation/results/gnn/liquid_dimers/water/dimers"
    bad = run_cli("gnn", "train-liquids", "--frames", str(tmp_path / "frames"), "--liquids", "ethanol",
                  "--extra-dimers", str(plain), "--slope-weight", "5", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "no displaced dimer pairs" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "x").exists()
