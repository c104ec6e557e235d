"""The GAFF2-imitating exp-6 start of the liquid fit: the LJ → exp-6 conversion against NumPy derivatives of
both curves, the labels, and a short fit that learns them and keeps the wall."""

import numpy as np
import pytest

from mlparams.forms import buckingham as bk
from mlparams.models import gaff2_prior as gp


def _lj(r, sigma, eps):
    return 4.0 * eps * ((sigma / r) ** 12 - (sigma / r) ** 6)


@pytest.mark.parametrize("sigma,eps", [(0.34, 0.45), (0.30, 0.88), (0.26, 0.087)])
def test_exp6_keeps_lj_minimum_depth_and_curvature(sigma, eps):
    (A, B, C), = gp.lj_to_exp6([sigma], [eps])
    rm = 2 ** (1 / 6) * sigma
    h = 1e-5 * rm
    r = np.array([rm - h, rm, rm + h])
    e6 = A * np.exp(-r / B) - C / r**6  # the bare form, far from the engines' guard
    lj = _lj(r, sigma, eps)
    assert e6[1] == pytest.approx(-eps, rel=1e-9)
    assert (e6[2] - e6[0]) / (2 * h) == pytest.approx(0.0, abs=1e-6 * eps / rm)
    curv6 = (e6[2] - 2 * e6[1] + e6[0]) / h**2
    curv_lj = (lj[2] - 2 * lj[1] + lj[0]) / h**2
    assert curv6 == pytest.approx(curv_lj, rel=1e-4)
    # the engines' guarded form equals the bare one beyond the guard's reach
    assert bk.energy(np.array([rm]), A, B, C)[0] == pytest.approx(e6[1], rel=1e-12)
    # softer than LJ inside the wall, as an exp-6 is: still repulsive at 0.85 σ
    assert 0.0 < A * np.exp(-0.85 * sigma / B) - C / (0.85 * sigma) ** 6 < _lj(0.85 * sigma, sigma, eps)


def test_labels_clamp_charges_and_drop_unknown_elements():
    atoms = {"element": np.array(["C", "H", "Cl"]), "charge": np.array([0.9, -0.2, -0.1]),
             "sigma_nm": np.array([0.34, 0.26, 0.35]), "epsilon_kj": np.array([0.45, 0.087, 1.1])}
    symbols, q, z = gp.targets(atoms, {"C": [-0.5, 0.8], "H": [0.0, 0.45]})
    assert symbols == ["C", "H"]
    assert q.tolist() == [0.8, 0.0]
    c = gp.lj_to_exp6([0.34, 0.26], [0.45, 0.087])
    ref = np.array([[2.0e5, 0.028, 2.0e-3]])
    assert np.allclose(np.exp(z) * ref, c, rtol=1e-12)


def test_gaff2_atoms_of_ethanol():
    atoms = gp.prior_atoms(["CCO"])
    assert sorted(atoms["element"].tolist()) == ["C", "C", "H", "H", "H", "O"]  # symmetry classes
    o = atoms["element"] == "O"
    assert atoms["sigma_nm"][o][0] == pytest.approx(0.3243, abs=2e-3)  # GAFF2 oh


def test_pair_grid_spans_gaff2_wall_to_tail():
    sigma = np.array([0.34, 0.0538, 0.30])
    eps = np.array([0.45, 0.0197, 0.88])
    ii, jj = np.array([0, 1, 0]), np.array([0, 2, 2])
    pi, pj, r, e = gp._pair_grid(sigma, eps, ii, jj)
    assert r.size == 3 * gp.GRID_POINTS
    for k, (a, b) in enumerate(zip(ii, jj)):
        rows = slice(k * gp.GRID_POINTS, (k + 1) * gp.GRID_POINTS)
        s_ab, e_ab = 0.5 * (sigma[a] + sigma[b]), np.sqrt(eps[a] * eps[b])
        assert np.allclose(e[rows], _lj(r[rows], s_ab, e_ab), rtol=1e-12, atol=1e-15)
        assert e[rows][0] == pytest.approx(gp.E_HIGH_KJ, rel=1e-9)  # starts where LJ is +8 kJ/mol
        assert r[rows][-1] == pytest.approx(2.5 * s_ab)
        assert np.all(np.diff(r[rows]) > 0) and (pi[rows] == a).all() and (pj[rows] == b).all()


def test_within_molecule_pairs_and_random_pairs():
    atoms = {"smiles": np.array(["O", "O", "CC", "CC", "CCl", "CCl"])}
    keep = np.array([True, True, True, True, False, False])
    ii, jj = gp.pairs_to_match(atoms, keep, n_random=7)
    within = set(zip(ii[:-7].tolist(), jj[:-7].tolist()))
    assert within == {(0, 0), (0, 1), (1, 1), (2, 2), (2, 3), (3, 3)}
    assert ii.max() < 4 and jj.max() < 4 and len(ii) == 6 + 7


def test_short_fit_follows_gaff2_curves():
    model = gp.fit(steps=200, progress=False)  # the shipped command runs 3,000 curve steps
    m = model.metrics
    assert m["prior_atoms"] > 1000
    # near and beyond the well the curves follow GAFF2's within a fraction of kT (2.5 kJ/mol); the per-atom
    # labels alone (steps=0) leave 2.3 kJ/mol there and 16 kJ/mol on the wall
    assert m["curve_error_kJ_mol"]["E_LJ_below_1"] < 0.6
    assert m["curve_error_kJ_mol"]["E_LJ_1_to_8"] < 6.0
    assert m["wall"]["vdw"]["min_force_kJ_mol_nm"] > -50.0


def test_command_writes_a_model_the_registry_loads(tmp_path, monkeypatch):
    """``fit-gaff2-prior`` writes buckingham-gaff2.joblib and metrics.json; MLPARAMS_MODEL_DIR makes the name load."""
    import json

    from mlparams import cli
    from mlparams.models.registry import load_buckingham

    monkeypatch.setattr(gp, "LABEL_STEPS", 20)  # the command's output, not the fit's quality, is tested here
    assert cli.main(["buckingham", "fit-gaff2-prior", "--out", str(tmp_path), "--steps", "5", "--quiet"]) == 0
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["date_utc"] and record["machine"]  # the results file says when and where
    assert record["results"]["curve_error_kJ_mol"]["E_LJ_1_to_8"] > 0
    monkeypatch.setenv("MLPARAMS_MODEL_DIR", str(tmp_path))
    load_buckingham.cache_clear()
    try:
        c = load_buckingham("buckingham-gaff2").predict("O", -0.6)
        assert c.A_kJ_per_mol > 0 and c.B_nm > 0 and c.C_kJ_per_mol_nm6 > 0
    finally:
        load_buckingham.cache_clear()
