"""Tables of the GNN liquid stage's rounds: each round's reweighted prediction against what its result measured.

Run from the repository root after the liquid stage (``LIQUID_STAGE=1 bash validation/run_gnn.sh``); writes
``validation/results/gnn/liquid_stage/rounds.md`` (rounds at the experimental density), ``own_rounds.md``
(rounds at the model's own density) and ``density_loss_rounds.md`` (own-density rounds with the density loss,
when there are any) and prints them. Pressures in bar: "sampled" is the round's starting model on
its own frames (a barostat-style volume move, ± standard error), "predicted" the reweighted estimate for the
round's result; the next round's frames measure it (``rounds.md``), or its NPT density does (``own_rounds.md``).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from mlparams.models import liquid_pressure as lp

STAGE = Path("validation/results/gnn/liquid_stage")


def _rounds(stage: Path, prefix: str) -> list[tuple[int, dict, Path]]:
    """(k, liquid_stage.json record, folder) of each ``<prefix><k>/`` in ``stage``, in order of k."""
    found = [(int(p.name.removeprefix(prefix)), p) for p in stage.glob(f"{prefix}*")
             if p.name.removeprefix(prefix).isdigit() and (p / "liquid_stage.json").is_file()]
    return [(k, json.loads((p / "liquid_stage.json").read_text()), p) for k, p in sorted(found)]


def _written(stage: Path, name: str, lines: list[str]) -> str:
    text = "\n".join(lines) + "\n"
    (stage / name).write_text(text)
    return text


def main(stage: Path = STAGE) -> str:
    rounds = _rounds(stage, "round")
    if not rounds:
        raise SystemExit(f"no rounds in {stage}; run LIQUID_STAGE=1 bash validation/run_gnn.sh first")
    lines = ["| round | liquid | start: sampled on its frames | far-pair ratio | predicted for the result "
             "(effective samples) | result: sampled on its own frames | held-out dimers RMSE kcal/mol |",
             "|---|---|---|---|---|---|---|"]
    for k, r, _ in rounds:
        after = stage / f"frames_c{k}"
        measured = {lf.name: lf for lf in lp.load_frames(after)} if after.is_dir() else {}
        for j, name in enumerate(r["liquids"]):
            m = measured.get(name)
            result = f"{np.mean(m.p_reference_bar):+.0f} ± {m.standard_error_bar():.0f}" if m else "not sampled"
            if m and m.largest_empty_sphere_nm:
                result += f" (largest empty sphere {np.median(m.largest_empty_sphere_nm):.2f} nm)"
            lines.append(f"| {k} | {name} | {r['pressure_sampled_bar'][j]:+.0f} ± "
                         f"{r['pressure_sampled_standard_error_bar'][j]:.0f} | {r['far_pair_ratio'][j]:.3f} | "
                         f"{r['pressure_after_bar'][j]:+.0f} ({r['effective_sample_fraction_after'][j]:.2f}) | "
                         f"{result} | {r['dimer_rmse_holdout_before_kcal']:.2f} → {r['dimer_rmse_holdout_kcal']:.2f} |")
    return _written(stage, "rounds.md", lines)


def own_density_table(stage: Path = STAGE) -> str:
    """Own-density rounds (``own_round<k>/``): per liquid the density sampled, the pressure asked for there, the
    starting model's own pressure, the reweighted prediction, and the result's screen density; ``own_rounds.md``."""
    lines = ["| own round | liquid | frames at g/cm³ (vs experiment) | target bar | start: sampled on its frames | "
             "predicted for the result (effective samples) | result: NPT density g/cm³ (vs experiment) | "
             "held-out dimers RMSE kcal/mol |", "|---|---|---|---|---|---|---|---|"]
    for k, r, path in _rounds(stage, "own_round"):
        for j, name, rho, versus, shown in _own_density_rows(r, path):
            lines.append(f"| {k} | {name} | {rho:.4f}{versus} | {r['pressure_target_bar'][j]:+.0f} | "
                         f"{r['pressure_sampled_bar'][j]:+.0f} ± {r['pressure_sampled_standard_error_bar'][j]:.0f} | "
                         f"{r['pressure_after_bar'][j]:+.0f} ({r['effective_sample_fraction_after'][j]:.2f}) | {shown} | "
                         f"{r['dimer_rmse_holdout_before_kcal']:.2f} → {r['dimer_rmse_holdout_kcal']:.2f} |")
    return _written(stage, "own_rounds.md", lines)


def density_loss_table(stage: Path = STAGE) -> str:
    """Rounds with the density loss (``density_round<k>/``, ``train-liquids --density-loss``): per liquid the
    density sampled, the sampling model's bulk modulus, the Newton-step target, the reweighted pressure and the
    density it predicts, and the result's screen density; ``density_loss_rounds.md``."""
    lines = ["| density round | liquid | frames at g/cm³ (vs experiment) | bulk modulus GPa | target bar | "
             "start: sampled on its frames | predicted pressure (effective samples) | predicted density g/cm³ | "
             "result: NPT density g/cm³ (vs experiment) | held-out dimers RMSE kcal/mol |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for k, r, path in _rounds(stage, "density_round"):
        for j, name, rho, versus, shown in _own_density_rows(r, path):
            lines.append(f"| {k} | {name} | {rho:.4f}{versus} | {r['bulk_modulus_bar'][j] / 1e4:.2f} | "
                         f"{r['pressure_target_bar'][j]:+.0f} | {r['pressure_sampled_bar'][j]:+.0f} ± "
                         f"{r['pressure_sampled_standard_error_bar'][j]:.0f} | {r['pressure_after_bar'][j]:+.0f} "
                         f"({r['effective_sample_fraction_after'][j]:.2f}) | {r['density_predicted_g_cm3'][j]:.3f} | "
                         f"{shown} | {r['dimer_rmse_holdout_before_kcal']:.2f} → {r['dimer_rmse_holdout_kcal']:.2f} |")
    return _written(stage, "density_loss_rounds.md", lines)


def _own_density_rows(record: dict, path: Path):
    """(index, liquid, density sampled, its deviation from experiment, the result's NPT density as shown) per
    liquid of a round at the model's own density; the result from ``path/density/density_results.csv``."""
    result = {}
    if (path / "density" / "density_results.csv").is_file():
        with (path / "density" / "density_results.csv").open() as fh:
            result = {row["name"]: row for row in csv.DictReader(fh) if row["status"] == "ok"}
    for j, name in enumerate(record["liquids"]):
        m = result.get(name)
        shown = (f"{float(m['rho_sim']):.3f} ± {float(m['rho_sim_err']):.3f} ({float(m['rel_err_pct']):+.1f} %)"
                 if m else "not run")
        rho = record["density_sampled_g_cm3"][j]
        versus = f" ({100.0 * (rho / float(m['rho_exp']) - 1.0):+.1f} %)" if m else ""
        yield j, name, rho, versus, shown


if __name__ == "__main__":
    where = Path(sys.argv[1]) if len(sys.argv) > 1 else STAGE
    print(main(where), end="")
    print(own_density_table(where), end="")
    if any(where.glob("density_round*")):
        print(density_loss_table(where), end="")
