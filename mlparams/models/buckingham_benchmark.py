"""Benchmark of the Buckingham model: training time and prediction throughput on this machine."""

from __future__ import annotations

import time

import numpy as np

from mlparams.atomic_files import write_json
from mlparams.benchmarking import envelope


def run_benchmark(n_batch: int = 100_000, n_single: int = 2_000, jobs: int = 2) -> dict:
    """Time both models' training from the vendored data, then single and batched predictions."""
    import sklearn

    from mlparams.models.buckingham_rf import MODELS, train

    results = {"sklearn": sklearn.__version__, "grid_search_jobs": jobs}
    rng = np.random.default_rng(0)
    for name in MODELS:
        t0 = time.perf_counter()
        model, metrics = train(name, n_jobs=jobs)
        train_s = time.perf_counter() - t0
        elements = rng.choice(list(model.training_elements), size=n_batch)
        charges = rng.uniform(-2.0, 2.0, size=n_batch)
        model.predict("C", 0.0)  # warm-up
        t0 = time.perf_counter()
        for e, q in zip(elements[:n_single], charges[:n_single]):
            model.predict(e, q)
        single_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.predict_many(elements, charges)
        batch_s = time.perf_counter() - t0
        results[name] = {
            "training_seconds": round(train_s, 2),
            "labels_seconds": metrics["seconds_labels"],
            "best_params": metrics["best_params"],
            "single_predictions_per_second": round(n_single / single_s, 1),
            "batched_predictions_per_second": round(n_batch / batch_s, 1),
            "batch_size": n_batch,
            "test_r2_mean": round(metrics["test_r2_mean"], 4),
        }
    return results


def write_result(results: dict, path) -> str:
    return str(write_json(path, envelope(results, "buckingham")))
