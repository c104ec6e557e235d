"""Exp-6 constants fitted to dimer energies and liquid pressures together (``buckingham-liquids``).

The dimer fit of :mod:`mlparams.models.buckingham_dimers` (same features, network, mixing rule, guard and
wall) with one more term: on frames of training liquids held at their experimental density, the model's
molecular pressure must equal the experimental pressure (:mod:`mlparams.models.liquid_pressure`). This puts
condensed-phase data into the fit itself, as force-field builders do, instead of stretching a fitted model
afterwards (:mod:`mlparams.models.density_refinement`, which cost the dimers too much). The training liquids
are :data:`mlparams.models.liquid_pressure.TRAINING_LIQUIDS` unless others are named; the other dev liquids are
held out.
"""

from __future__ import annotations

import platform
import time

import numpy as np

from mlparams.errors import MlparamsError
from mlparams.models import buckingham_dimers as bd
from mlparams.models import liquid_pressure as lp

NAME = "buckingham-liquids"
RULE = "geometric"
#: Weight of the liquid term: 1 unit = (100 bar)² of mean squared pressure error; the dimer term is in kcal².
LIQUID_WEIGHT = 0.005
#: Weight of the wall penalty (:func:`mlparams.models.buckingham_dimers._wall_penalty`), as in the dimer fit.
WALL_WEIGHT = 10.0


def pressure_table(model, liquids) -> list[dict]:
    """Per liquid: the model's pressure on the frames (bar) and its parts, with the frames' statistics."""
    rows = []
    for lf in liquids:
        c = model.constants(lf.type_element, lf.type_charge)
        p_vdw = lp.exp6_pressure_numpy(lf, c, model.mixing_rule)
        p_vdw_virial = lp.exp6_pressure_numpy(lf, c, model.mixing_rule, impulsive=False)
        rows.append({"liquid": lf.name, "frames": lf.n_frames, "reference_model": lf.reference_model,
                     "P_exp_bar": lf.P_bar, "P_model_bar": lf.p_rest_bar + p_vdw,
                     "P_kinetic_coulomb_bar": lf.p_rest_bar, "P_exp6_bar": p_vdw,
                     "P_exp6_impulsive_bar": p_vdw - p_vdw_virial,
                     "P_reference_model_bar": float(np.mean(lf.p_reference_bar)),
                     "standard_error_bar": lf.standard_error_bar()})
    return rows


def reweighted_table(model, liquids, per_frame) -> list[dict]:
    """Per liquid: the model's pressure by reweighting the frames (bar) and the effective-sample fraction."""
    import torch

    term = lp.PressureTerm(liquids, np.array(model.feature_mean), np.array(model.feature_std), model.charge_range,
                           per_frame=per_frame)
    z = torch.tensor(model._z(term.elements, term.charges))
    with torch.no_grad():
        p, ess = term.pressures(z, model.mixing_rule)
    return [{"liquid": lf.name, "P_reweighted_bar": float(a), "effective_sample_fraction": float(b)}
            for lf, a, b in zip(liquids, p, ess)]


def train(frames_dir, steps: int = 1500, liquid_weight: float = LIQUID_WEIGHT, holdout: bool = True,
          progress: bool = True, init_path=None, lr: float = 0.01, reweight: bool = False,
          wall_weight: float = WALL_WEIGHT, liquids: str = "train", set_balance: float | None = None):
    """Fit on the training dimers and liquids; with ``holdout``, first a fit without the held-out dimer groups
    to score them. ``init_path``: a model file to start from (a later round of sampling and fitting, on frames
    of that model). ``reweight``: reweight the frames (they must come from ``init_path``'s model) instead of
    holding them fixed. ``wall_weight``: weight of the dimer fit's wall penalty. ``liquids``: the liquids whose
    frames are fitted (:func:`mlparams.models.liquid_pressure.select_liquids`). ``set_balance``: weight of each
    dimer set ∝ n_set^(1 − balance) (:func:`mlparams.models.buckingham_dimers.weights`; 0, the default, weighs
    every dimer alike). Returns the model with its metrics."""
    from mlparams.models.dimer_pairs import TRAINING_SETS, VALIDATION_SETS, named_sets
    from mlparams.models.registry import load_buckingham

    if reweight and init_path is None:
        raise MlparamsError("reweighting starts from the model that sampled the frames; give it with --init")
    t0 = time.perf_counter()
    init = bd.load_model_file(init_path) if init_path is not None else None
    liquid_names = lp.select_liquids(liquids)
    liquids = lp.load_frames(frames_dir, liquid_names)
    per_frame = [lp.load_per_frame(frames_dir, lf.name) for lf in liquids] if reweight else None
    data = named_sets(TRAINING_SETS, progress=progress)
    hold = bd.holdout_mask(data)
    metrics = {}
    if holdout:
        part, _ = bd.train_mlp(data.subset(~hold), RULE, steps, liquids=liquids, liquid_weight=liquid_weight,
                               progress=bd._bar(progress, "holdout fit", steps), init=init, lr=lr,
                               per_frame=per_frame, wall_weight=wall_weight, set_balance=set_balance)
        metrics["holdout"] = bd.evaluate(part, data.subset(hold), "holdout")["neutral"]
    model, history = bd.train_mlp(data, RULE, steps, liquids=liquids, liquid_weight=liquid_weight,
                                  progress=bd._bar(progress, "final fit", steps), init=init, lr=lr,
                                  per_frame=per_frame, wall_weight=wall_weight, set_balance=set_balance)
    model.name = NAME
    validation = {s: named_sets([s], progress=progress) for s in VALIDATION_SETS}
    dimer_only = load_buckingham("buckingham")
    metrics.update({
        "model": NAME,
        "route": model.route,
        "mixing_rule": model.mixing_rule,
        "liquid_weight": liquid_weight,
        "wall_weight": wall_weight,
        "set_balance": bd.SET_BALANCE if set_balance is None else set_balance,
        "initial_model": None if init_path is None else str(init_path),
        "learning_rate": lr,
        "pressure_scale_bar": lp.PRESSURE_SCALE_BAR,
        "training_liquids": liquid_names,
        "frames": str(frames_dir),
        "training_sets": list(TRAINING_SETS),
        "validation_sets": list(VALIDATION_SETS),
        "final_loss_rmse_kcal": history[-1][0],
        "training": bd.evaluate(model, data, "training"),
        "validation": bd.validation_metrics(model, validation),
        "wall": bd.wall_report(model),
        "pressures": pressure_table(model, liquids),
        "pressures_dimer_only_model": pressure_table(dimer_only, liquids),
        "reweighting": reweight,
        "pressures_reweighted": reweighted_table(model, liquids, per_frame) if reweight else None,
        "pressures_reweighted_initial": reweighted_table(init, liquids, per_frame) if reweight else None,
        "steps": steps,
        "seconds_total": round(time.perf_counter() - t0, 1),
        "python": platform.python_version(),
    })
    model.metrics = metrics
    return model


def summary_markdown(metrics: dict, when: str, machine: str) -> str:
    """The fit's dimer errors and per-liquid pressures as markdown."""
    v = metrics["validation"]
    lines = [f"# `{metrics['model']}`: dimers + liquid pressures ({when}, {machine})", "",
             f"Liquid weight {metrics['liquid_weight']} per (100 bar)²; training liquids: "
             f"{', '.join(metrics['training_liquids'])}; frames: `{metrics['frames']}`.", "",
             "| dimer set | n | RMSE kcal/mol | MAE |", "|---|---|---|---|"]
    for label, st in (("held-out training groups", metrics.get("holdout")),
                      ("training, neutral", metrics["training"]["neutral"]),
                      ("S22 (S22by7 at 1.0)", v["S22"]["neutral"]), ("S22by7", v["S22by7"]["neutral"]),
                      ("JSCH", v["JSCH"]["neutral"])):
        if st:
            lines.append(f"| {label} | {st['n']} | {st['RMSE']:.2f} | {st['MAE']:.2f} |")
    lines += ["", "Pressure on the frames at the experimental density (bar; the target is the experimental "
              "pressure; ± the frames' standard error):", "",
              "| liquid | this model | of which exp-6 impulsive | dimer-only `buckingham` | reference model (its own) |",
              "|---|---|---|---|---|"]
    for row, old in zip(metrics["pressures"], metrics["pressures_dimer_only_model"]):
        lines.append(f"| {row['liquid']} | {row['P_model_bar']:+.0f} ± {row['standard_error_bar']:.0f} | "
                     f"{row['P_exp6_impulsive_bar']:+.0f} | {old['P_model_bar']:+.0f} | "
                     f"{row['P_reference_model_bar']:+.0f} ({row['reference_model']}) |")
    if metrics.get("pressures_reweighted"):
        lines += ["", "Reweighted frames (the estimate the fit used; bar, effective-sample fraction):", "",
                  "| liquid | this model | its start (the sampling model) |", "|---|---|---|"]
        for row, start in zip(metrics["pressures_reweighted"], metrics["pressures_reweighted_initial"]):
            lines.append(f"| {row['liquid']} | {row['P_reweighted_bar']:+.0f} "
                         f"({row['effective_sample_fraction']:.2f}) | {start['P_reweighted_bar']:+.0f} |")
    return "\n".join(lines) + "\n"
