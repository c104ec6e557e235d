"""Random-forest model of per-atom Buckingham constants (Lal et al. 2023, section 2.3).

Features: atomic mass (Da), covalent radius (pm), atomic number and partial charge (e), from
:mod:`mlparams.elements`. Targets: A (kJ/mol), B (nm), C (kJ/mol·nm⁶) of E = A·exp(−r/B) − C/r⁶ for
the homonuclear pair of that atom; unlike pairs come from the mixing rules in
:mod:`mlparams.forms.buckingham`.

Training (paper 2.3.2–2.3.3): labels with R² < 0.90 dropped; 75/25 train/test split (seed 32, the seed
repository's); grid search over n_estimators, min_samples_split and bootstrap with 5-fold
cross-validation on the training part (seed 0); a multi-output RandomForestRegressor (seed 0). The
``buckingham-scans`` forest learns (ln A, ln B, asinh(C/1e-6)) so that averages are taken on a scale where
A's four decades and C's sign are harmless; ``buckingham-lal2023`` learns raw values, as the paper did.
Scores are R² per target on the untouched test part, on the raw scale (the paper's) and the log scale.

Models, by name (the default ``buckingham`` model is fitted to dimers instead: :mod:`mlparams.models.registry`):

* ``buckingham-scans``: trained on the ``physical`` labels (cleaned scans, Coulomb removed with the correct
  constant, C ≥ 0). Its constants describe covalent scans, not nonbonded contacts (see the README).
* ``buckingham-lal2023``: trained on the authors' published clustered constants (C ≤ 0, their charges).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, train_test_split

from mlparams.atomic_files import replacing, write_json
from mlparams.elements import normalise_symbol
from mlparams.errors import InvalidChargeError, MissingFileError, ModelNotTrainedError
from mlparams.forms.buckingham import BuckinghamConstants
from mlparams.models.buckingham_labels import (
    FEATURE_NAMES,
    feature_matrix,
    fit_configurations,
    labels_from_fits,
    published_labels,
)

MODELS = {"buckingham-scans": "physical", "buckingham-lal2023": "lal2023"}
#: Sign of C of each model: +1 attractive dispersion; -1 the paper's repulsive r^-6 (its eq. 4 makes every
#: mixed C negative whatever the inputs' signs, so the few positive C of the published clustered fits are
#: read as negative).
C_SIGN = {"buckingham-scans": 1.0, "buckingham-lal2023": -1.0}
#: The scale each model's forest averages on: "log" = (ln A, ln B, asinh(C/C_SCALE)); "raw" = the paper's.
TARGET_SPACE = {"buckingham-scans": "log", "buckingham-lal2023": "raw"}
TARGET_NAMES = ("A_kJ_per_mol", "B_nm", "C_kJ_per_mol_nm6")
MAX_ABS_CHARGE = 8.0
TEST_FRACTION = 0.25
SPLIT_SEED = 32
CV_FOLDS = 5
PARAM_GRID = {
    "n_estimators": [50, 100, 200],
    "min_samples_split": [2, 4, 8],
    "bootstrap": [True, False],
}
#: Scale of the asinh transform of C (kJ/mol·nm⁶): linear below it, logarithmic above, either sign.
C_SCALE = 1e-6
#: R² on the test set that Lal et al. report (section 2.3.3: "an accuracy of 93%").
PAPER_TEST_R2 = 0.93


def model_dir() -> Path:
    """Folder of the shipped models inside the installed package, or ``$MLPARAMS_MODEL_DIR`` when set.

    The override lets a refinement loop try candidate models in child processes without touching the package.
    """
    override = os.environ.get("MLPARAMS_MODEL_DIR")
    return Path(override) if override else Path(importlib.resources.files("mlparams") / "data" / "models")


def to_learned_space(y, space: str = "log"):
    """(A, B, C) columns -> (ln A, ln B, asinh(C/C_SCALE)) for "log"; unchanged for "raw".

    A spans four decades across elements; averaging ln A keeps one heavy element from dominating.
    """
    y = np.asarray(y, dtype=float)
    if space == "raw":
        return y
    return np.column_stack([np.log(y[:, 0]), np.log(y[:, 1]), np.arcsinh(y[:, 2] / C_SCALE)])


def from_learned_space(z, space: str = "log"):
    """Inverse of :func:`to_learned_space`."""
    z = np.asarray(z, dtype=float)
    if space == "raw":
        return z
    return np.column_stack([np.exp(z[:, 0]), np.exp(z[:, 1]), C_SCALE * np.sinh(z[:, 2])])


def predictions(name: str, forest_output) -> np.ndarray:
    """Forest output -> (A, B, C) rows in OpenMM units with the model's sign of C."""
    y = from_learned_space(forest_output, TARGET_SPACE[name]).copy()
    y[:, 2] = C_SIGN[name] * np.abs(y[:, 2])
    return y


def check_charge(charge) -> float:
    """A finite partial charge with |q| ≤ 8 e, as float."""
    try:
        q = float(charge)
    except (TypeError, ValueError):
        raise InvalidChargeError(f"charge {charge!r} is not a number; give the partial charge in e, e.g. -0.711") from None
    if not math.isfinite(q):
        raise InvalidChargeError(f"charge {charge!r} is not finite; give a finite partial charge in e")
    if abs(q) > MAX_ABS_CHARGE:
        raise InvalidChargeError(f"charge {q} e is outside the model's range |q| <= {MAX_ABS_CHARGE:g} e")
    return q


@dataclass
class BuckinghamModel:
    """A trained forest with its provenance; predicts per-atom exp-6 constants in OpenMM units."""

    name: str
    forest: RandomForestRegressor
    training_elements: tuple[str, ...]
    metrics: dict
    mixing_rule: str = "geometric"

    def predict(self, element: str, charge: float) -> BuckinghamConstants:
        """Constants of one atom of ``element`` (symbol or name) carrying ``charge`` (e)."""
        return self.predict_many([element], [charge])[0]

    def predict_many(self, elements, charges) -> list[BuckinghamConstants]:
        """Constants for many atoms in one forest evaluation (much faster than repeated ``predict``)."""
        symbols = [normalise_symbol(e) for e in elements]
        qs = [check_charge(q) for q in charges]
        if len(symbols) != len(qs):
            raise InvalidChargeError(f"{len(symbols)} elements but {len(qs)} charges; give one charge per atom")
        y = predictions(self.name, self.forest.predict(feature_matrix(symbols, qs)))
        return [
            BuckinghamConstants(float(a), float(b), float(c), element=s, charge=q, model=self.name)
            for (a, b, c), s, q in zip(y, symbols, qs)
        ]

    def predict_rows(self, X) -> list[BuckinghamConstants]:
        """Predictions for rows of the feature matrix (element taken from the atomic number column)."""
        from mlparams.elements import symbol_of

        return self.predict_many([symbol_of(int(z)) for z in np.asarray(X)[:, 2]], np.asarray(X)[:, 3])

    def in_training_set(self, element: str) -> bool:
        return normalise_symbol(element) in self.training_elements


def labels_for(name: str, progress=None):
    """Training labels of a named model, and (for ``buckingham-scans``) the cleaning report."""
    if name not in MODELS:
        raise ModelNotTrainedError(f"unknown Buckingham model {name!r}; choose one of {', '.join(MODELS)}")
    if MODELS[name] == "lal2023":
        return published_labels(), None
    table, report = fit_configurations("physical", progress=progress)
    return labels_from_fits(table), report


def train(name: str = "buckingham-scans", n_jobs: int = 2, progress=None) -> tuple[BuckinghamModel, dict]:
    """Train a named model from the vendored data; returns the model and its metrics."""
    t0 = time.perf_counter()
    labels, report = labels_for(name, progress=progress)
    t_labels = time.perf_counter() - t0
    X = feature_matrix(labels["symbol"], labels["charge"])
    y = labels[list(TARGET_NAMES)].to_numpy(float)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED, shuffle=True
    )
    search = GridSearchCV(
        RandomForestRegressor(random_state=0),
        PARAM_GRID,
        cv=KFold(CV_FOLDS, shuffle=True, random_state=0),
        scoring="r2",
        n_jobs=n_jobs,
    )
    space = TARGET_SPACE[name]
    search.fit(X_train, to_learned_space(y_train, space))
    forest = search.best_estimator_
    z_pred = forest.predict(X_test)
    y_pred = predictions(name, z_pred)
    z_pred, z_test = to_learned_space(y_pred), to_learned_space(y_test)
    per_target = {t: float(r2_score(y_test[:, i], y_pred[:, i])) for i, t in enumerate(TARGET_NAMES)}
    per_target_learned = {t: float(r2_score(z_test[:, i], z_pred[:, i])) for i, t in enumerate(TARGET_NAMES)}
    metrics = {
        "model": name,
        "labels": MODELS[name],
        "n_labels": int(len(labels)),
        "n_train": int(len(X_train)),
        "n_test": int(len(X_test)),
        "features": list(FEATURE_NAMES),
        "targets": list(TARGET_NAMES),
        "best_params": {k: (v.item() if hasattr(v, "item") else v) for k, v in search.best_params_.items()},
        "cv_r2_mean": float(search.best_score_),
        "test_r2": per_target,
        "test_r2_mean": float(np.mean(list(per_target.values()))),
        "target_space": space,
        "test_r2_log_space": per_target_learned,
        "test_mae": {t: float(np.mean(np.abs(y_pred[:, i] - y_test[:, i]))) for i, t in enumerate(TARGET_NAMES)},
        "test_median_abs_log_error_A_B": [float(np.median(np.abs(z_pred[:, i] - z_test[:, i]))) for i in (0, 1)],
        "paper_test_r2": PAPER_TEST_R2,
        "cleaning": report.lines() if report else ["published constants, used as given"],
        "seconds_labels": round(t_labels, 3),
        "seconds_total": round(time.perf_counter() - t0, 3),
        "sklearn_version": sklearn.__version__,
        "python": platform.python_version(),
    }
    model = BuckinghamModel(
        name=name,
        forest=forest,
        training_elements=tuple(sorted(set(labels["symbol"]))),
        metrics=metrics,
    )
    return model, metrics


def test_split(name: str):
    """The held-out (X_test, y_test) of a named model, recreated from the vendored data and fixed seed."""
    labels, _ = labels_for(name)
    X = feature_matrix(labels["symbol"], labels["charge"])
    y = labels[list(TARGET_NAMES)].to_numpy(float)
    _, X_test, _, y_test = train_test_split(X, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED, shuffle=True)
    return X_test, y_test


def save_model(model: BuckinghamModel, folder: Path) -> tuple[Path, Path]:
    """Write ``<name>.joblib`` and ``<name>.json`` into folder, each through a temporary name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / f"{model.name}.joblib"
    metrics_path = folder / f"{model.name}.json"
    payload = {
        "name": model.name,
        "forest": model.forest,
        "training_elements": model.training_elements,
        "sklearn_version": sklearn.__version__,
    }
    with replacing(model_path) as tmp:
        joblib.dump(payload, tmp, compress=3)
    write_json(metrics_path, model.metrics)
    return model_path, metrics_path


def load_model_file(model_path: Path) -> BuckinghamModel:
    model_path = Path(model_path)
    if not model_path.is_file():
        raise MissingFileError(f"model file {model_path} does not exist; run 'mlparams buckingham train' to create it")
    payload = joblib.load(model_path)
    if payload.get("sklearn_version") != sklearn.__version__:
        raise ModelNotTrainedError(
            f"{model_path} was written by scikit-learn {payload.get('sklearn_version')}, this is {sklearn.__version__}; "
            "retrain with 'mlparams buckingham train'"
        )
    metrics_path = model_path.with_suffix(".json")
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    return BuckinghamModel(payload["name"], payload["forest"], tuple(payload["training_elements"]), metrics)


@functools.lru_cache(maxsize=None)
def load_model(name: str = "buckingham-scans") -> BuckinghamModel:
    """The shipped model of that name (cached)."""
    if name not in MODELS:
        raise ModelNotTrainedError(f"unknown Buckingham model {name!r}; choose one of {', '.join(MODELS)}")
    return load_model_file(model_dir() / f"{name}.joblib")
