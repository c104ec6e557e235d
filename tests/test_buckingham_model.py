"""The shipped random-forest models: metrics reproduce, held-out error as reported, paper comparisons."""

import json

import numpy as np
import pytest
from sklearn.metrics import r2_score

from mlparams import predict
from mlparams.errors import InvalidChargeError, UnknownElementError
from mlparams.forms.buckingham import BuckinghamConstants
from mlparams.models.buckingham_labels import fit_configurations
from mlparams.models.buckingham_paper import reproduction_of_published_fits, table4
from mlparams.models.buckingham_rf import (
    MODELS,
    TARGET_NAMES,
    load_model,
    model_dir,
    test_split as held_out_split,
    train,
)


#: The labels are nonlinear least-squares fits of the QM scans; their last digits follow the CPU's BLAS kernels
#: (on 2026-11-23 an AMD EPYC gave R² of buckingham-scans 1.7e-8 away from the value recorded on another, and a
#: second host, where a held-out B fit converged elsewhere, 1.05e-4 for B; buckingham-lal2023 matched to the bit on
#: both), so the recorded R² are checked to 1e-3, not to the last bit; a retrained forest moves them by up to 0.01.
R2_TOLERANCE = 1e-3
#: Retraining on such labels can move a forest split: on that machine buckingham-scans' R² of A came out 0.193
#: against the recorded 0.184, on the second host A 0.202 and C 0.073 against 0.052 (same hyperparameters chosen
#: on both). Retraining is checked to 0.04 in R², twice the largest move seen.
RETRAIN_R2_TOLERANCE = 0.04


@pytest.mark.parametrize("name", MODELS)
def test_shipped_model_predicts_held_out_configurations_as_reported(name):
    model = load_model(name)
    shipped = json.loads((model_dir() / f"{name}.json").read_text())
    X_test, y_test = held_out_split(name)
    y_pred = np.array([[c.A_kJ_per_mol, c.B_nm, c.C_kJ_per_mol_nm6] for c in model.predict_rows(X_test)])
    for i, target in enumerate(TARGET_NAMES):
        assert r2_score(y_test[:, i], y_pred[:, i]) == pytest.approx(shipped["test_r2"][target], abs=R2_TOLERANCE)


@pytest.mark.parametrize("name", MODELS)
def test_retraining_reproduces_the_shipped_metrics(name):
    _, metrics = train(name, n_jobs=2)
    shipped = json.loads((model_dir() / f"{name}.json").read_text())
    assert metrics["best_params"] == shipped["best_params"]
    for target in TARGET_NAMES:
        assert metrics["test_r2"][target] == pytest.approx(shipped["test_r2"][target], abs=RETRAIN_R2_TOLERANCE)


def test_paper_faithful_model_reaches_the_papers_accuracy():
    metrics = load_model("buckingham-lal2023").metrics
    assert metrics["test_r2_mean"] >= 0.93  # paper section 2.3.3: 93 %


def test_paper_mode_reproduces_the_published_fits():
    table, _ = fit_configurations("lal2023")
    rep = reproduction_of_published_fits(table)
    assert rep["configurations_compared"] >= 340
    assert rep["fraction_r2_at_least_published_minus_0.01"] == 1.0
    assert rep["fraction_A_within_5pct"] > 0.9


def test_physical_model_has_attractive_or_zero_dispersion_everywhere():
    model = load_model("buckingham-scans")
    for el in model.training_elements:
        for q in (-2.0, -0.5, 0.0, 0.5, 2.0):
            c = model.predict(el, q)
            assert c.C_kJ_per_mol_nm6 >= 0.0 and c.A_kJ_per_mol > 0.0 and c.B_nm > 0.0


def test_lal2023_model_keeps_the_authors_sign_of_c():
    c = predict("O", -0.711, model="buckingham-lal2023")
    assert c.C_kJ_per_mol_nm6 < 0.0


def test_predict_returns_typed_constants_in_openmm_units():
    c = predict("Oxygen", -0.711, model="buckingham-scans")
    assert isinstance(c, BuckinghamConstants)
    assert c.element == "O" and c.charge == -0.711 and c.model == "buckingham-scans"
    # B is a length of order 0.01 nm (0.1 Å): the seed fits put B(O) near 0.1 Å.
    assert 0.005 < c.B_nm < 0.02


def test_batched_and_single_predictions_agree():
    model = load_model("buckingham-scans")
    many = model.predict_many(["C", "H", "O"], [0.1, 0.4, -0.6])
    for c in many:
        assert c == model.predict(c.element, c.charge)


@pytest.mark.parametrize("charge", [float("nan"), float("inf"), 8.5, -9.0, "x"])
def test_bad_charges_are_refused(charge):
    with pytest.raises(InvalidChargeError):
        predict("C", charge)


def test_unknown_element_is_refused():
    with pytest.raises(UnknownElementError):
        predict("Zz", 0.0)


def test_table4_sets_reference_and_models_side_by_side():
    table = table4([load_model(n) for n in MODELS])
    assert len(table) == 15
    # The paper-faithful model lands near the authors' reference constants for C and O.
    co = table[table.element.isin(["C", "O"])]
    rel_a = np.abs(co["buckingham-lal2023_A_eV"] / co["ref_A_eV"] - 1)
    assert rel_a.max() < 0.05
