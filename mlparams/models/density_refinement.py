"""Length factors of the dimer-fitted exp-6 model, refined against liquid densities, a few at a time.

Force-field builders refine a few global factors against condensed-phase targets. Here a factor λ belongs to a
group of elements: each atom of the group has B → λ·B and C → λ⁶·C (A unchanged), which stretches its pair
curves in r; with one factor for every element a liquid's density scales roughly as λ⁻³. Stages run in order,
each refining one group's factor on liquids made of that group's elements (with the earlier stages' factors
fixed): by default C and H on n-octane and benzene, then N, O, S on water and ethanol.

Each round runs the density driver (:mod:`mlparams.validation.density`, one profile) on the stage's liquids with
the candidate model. The first update is λ ← λ·r^(1/3) with r the median over the liquids of ρ_sim/ρ_exp; later
ones are secant steps on ln r against ln λ (each step limited to a factor 0.8–1.25). A liquid whose box collapsed
counts with the last density it reached (a lower bound). A stage stops when the median signed error is within
``tolerance_pct`` or its rounds run out, and keeps its best round. Every round's runs live in
OUT/<stage>_round_<k>_lambda_<λ>/ and resume like any density run (a rerun of a finished refinement only
re-reads them); :func:`dimer_cost` reports what the factors cost on the dimer sets. The result is written as
OUT/buckingham-refined.joblib, not into the package: C → λ⁶·C with the engines' fixed guard length
(0.15 nm) leaves pairs of strongly stretched elements with a negative energy below 0.1 nm, so the refined
model is a measured experiment, not a shipped model.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json
from mlparams.errors import MlparamsError

#: Name of the model the refinement writes beside its runs (the shipped ``buckingham`` is left as it is).
REFINED = "buckingham-refined"
#: (stage name, elements whose factor it refines, dev liquids it refines on).
DEFAULT_STAGES = (
    ("CH", ("C", "H"), ("n-octane", "benzene")),
    ("NOS", ("N", "O", "S"), ("water", "ethanol")),
)


def _ratios(folder: Path, names) -> dict:
    """ρ_sim/ρ_exp per liquid: the equilibrated mean, or the last sample of a failed run (marked)."""
    from mlparams.validation.density import _slug

    out = {}
    with open(folder / "density_results.csv", newline="") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    for name in names:
        r = rows.get(name)
        if r is None:
            continue
        if r["status"] == "ok":
            out[name] = (float(r["rho_sim"]) / float(r["rho_exp"]), "ok")
            continue
        series = folder / "series" / f"{_slug(name)}.csv"
        if series.is_file():
            lines = [line.split(",") for line in series.read_text().splitlines()[1:] if line.strip()]
            if lines:
                out[name] = (float(lines[-1][1]) / float(r["rho_exp"]), f"last sample of a failed run: {r['status']}")
    return out


def _next_lambda(points: list[tuple[float, float]]) -> float:
    """Next λ from (λ, median ratio) points: cube-root step first, then a secant on (ln λ, ln ratio)."""
    lam, ratio = points[-1]
    if len(points) == 1:
        step = ratio ** (1 / 3)
    else:
        (l0, r0), (l1, r1) = points[-2], points[-1]
        slope = (np.log(r1) - np.log(r0)) / (np.log(l1) - np.log(l0)) if l1 != l0 else 0.0
        step = np.exp(-np.log(r1) / slope) if slope < 0 else ratio ** (1 / 3)  # density must fall as λ grows
    return float(lam * np.clip(step, 0.8, 1.25))


def refine(out, stages=DEFAULT_STAGES, lambda0: float = 1.0, rounds: int = 3, tolerance_pct: float = 1.0,
           profile: str = "screen", jobs: int | None = None, progress: bool = True) -> dict:
    """Refine the shipped ``buckingham`` model's length factors stage by stage; returns the history."""
    from mlparams.models import buckingham_dimers as bd
    from mlparams.models.buckingham_rf import model_dir
    from mlparams.validation.density import run as run_density

    base = bd.load_model_file(model_dir() / "buckingham.joblib")
    base.length_scales = {}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    history = []
    previous = os.environ.get("MLPARAMS_MODEL_DIR")
    try:
        for stage, elements, names in stages:
            lam = float(lambda0)
            points = []
            for k in range(rounds):
                base.length_scales.update({e: lam for e in elements})
                candidate_dir = Path(tempfile.mkdtemp(prefix="mlparams-lambda-"))
                bd.save_model(base, candidate_dir)
                os.environ["MLPARAMS_MODEL_DIR"] = str(candidate_dir)  # the density workers load this model
                folder = out / f"{stage}_round_{k}_lambda_{lam:.4f}"
                summary = run_density("dev", "buckingham", "openmm", folder, profile=profile, jobs=jobs,
                                      names=list(names), progress=progress)
                ratios = _ratios(folder, names)
                if not ratios:
                    raise MlparamsError(f"stage {stage} round {k}: no liquid gave a density; see {folder}/summary.md")
                median_ratio = float(np.median([v for v, _ in ratios.values()]))
                points.append((lam, median_ratio))
                history.append({"stage": stage, "elements": list(elements), "round": k, "lambda": lam,
                                "length_scales": dict(base.length_scales), "folder": folder.name,
                                "median_ratio": median_ratio, "median_signed_pct": 100 * (median_ratio - 1),
                                "n_ok": summary["n_ok"], "n_liquids": len(names),
                                "liquids": {n: {"ratio": v, "from": how} for n, (v, how) in ratios.items()}})
                write_json(out / "refinement.json", {"profile": profile, "history": history})
                if abs(median_ratio - 1) * 100 <= tolerance_pct:
                    break
                lam = _next_lambda(points)
            stage_rows = [h for h in history if h["stage"] == stage]
            best = min(stage_rows, key=lambda h: abs(h["median_signed_pct"]))
            base.length_scales.update({e: best["lambda"] for e in elements})
    finally:
        if previous is None:
            os.environ.pop("MLPARAMS_MODEL_DIR", None)
        else:
            os.environ["MLPARAMS_MODEL_DIR"] = previous
    return {"profile": profile, "stages": [[s, list(e), list(n)] for s, e, n in stages], "history": history,
            "chosen_length_scales": dict(base.length_scales)}


def dimer_cost(model, candidates: dict) -> dict:
    """E_int RMSE (kcal/mol) of training, S22, S22by7 and JSCH dimers for each named set of length factors."""
    from mlparams.models import buckingham_dimers as bd
    from mlparams.models.dimer_pairs import TRAINING_SETS, named_sets

    sets = {"training": named_sets(TRAINING_SETS, progress=False)}
    s22by7 = named_sets(["S22by7"], progress=False)
    sets["S22"] = s22by7.subset(bd.s22_equilibrium(s22by7))
    sets["S22by7"] = s22by7
    sets["JSCH"] = named_sets(["JSCH"], progress=False)
    saved = dict(model.length_scales)
    rows = {}
    try:
        for label, scales in candidates.items():
            model.length_scales = dict(scales)
            rows[label] = {"length_scales": dict(scales),
                           **{key: bd.evaluate(model, data, key)["neutral"]["RMSE"] for key, data in sets.items()}}
    finally:
        model.length_scales = saved
    return rows

