"""What holds the GNN's charges in the liquid stage: the dimer loss and the liquids along a charge scale.

The liquid stage with trainable charges (``train-liquids --train-charges``) moved no type charge by more than
0.0023 e (README, "Charges in the liquid stage"). This measures the trade the optimiser saw, along one direction
in charge space: every molecule's charges scaled about their mean, q̄ + s·(q − q̄) (what ``charge_scale`` does),
the van der Waals constants unchanged. For each s, from the liquid stage's own starting point
(:func:`mlparams.gnn.commands.liquid_stage_setup`: the same frames, dimers and weights):

- the dimer part of the loss: weighted MSE over the stage's training dimers (extra dimers × their weight;
  kcal²/mol²), the RMSE of the held-out training-set dimers and of the held-out extra dimers (kcal/mol), and the
  AM1-BCC charge anchor;
- per liquid, on the frames reweighted to the scaled charges (their Coulomb forms): the predicted ΔH_vap (kJ/mol),
  the predicted NPT density (g/cm³, on the sampling model's bulk modulus) and the effective-sample fraction.

With ``--repulsion-scales`` the table becomes a grid: every pair's r⁻¹² constant C12 times f as well (the last
layer's bias of that output shifted by ln f), so a direction that adds cohesion and takes density away can be seen.

    .venv/bin/python -m mlparams.validation.charge_tradeoff --frames validation/results/charges/frames_gnn_liquids \\
        --density-loss validation/results/hvap/openmm-screen/gnn-liquids/density_results.csv \\
        --extra-dimers DIMERS... --extra-dimer-weight 20 --out validation/results/charges/tradeoff

Writes OUT.json, OUT.md and OUT.png. Beyond a few per cent the reweighted estimates rest on a handful of frames
(the effective-sample column says how many).
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np

from mlparams.atomic_files import replacing, write_json
from mlparams.errors import MlparamsError

DEFAULT_SCALES = (0.96, 0.98, 0.99, 1.0, 1.01, 1.02, 1.04)
#: Index of C12's raw output in ``feats_net`` (C12 = C12_SCALE·exp(raw), :mod:`mlparams.gnn.model`).
C12_OUTPUT = 1


def tradeoff(frames, liquids: str, init, density_loss, extra_dimers=(), extra_dimer_weight: float = 1.0,
             scales=DEFAULT_SCALES, threads: int = 2, repulsion_scales=(1.0,)) -> dict:
    """The table described in the module docstring, as a dict (one row per charge scale and C12 factor)."""
    import math

    import torch

    from mlparams.gnn.commands import liquid_stage_setup
    from mlparams.models import liquid_pressure as lp

    init = Path(init)
    if not init.is_file():
        raise MlparamsError(f"--init {init} does not exist; give the heads file that sampled the frames")
    if any(not 0.5 <= s <= 2.0 for s in (*scales, *repulsion_scales)):
        raise MlparamsError(f"scales {list(scales)}, {list(repulsion_scales)}: give factors between 0.5 and 2")
    torch.set_num_threads(threads)
    t0 = time.time()
    names = lp.select_liquids(liquids)
    term, trainer, frames_list, _, extra = liquid_stage_setup(
        frames, names, init, density_loss, with_hvap=True, train_charges=True,
        extra_dimers=[str(p) for p in extra_dimers], extra_dimer_weight=extra_dimer_weight, threads=threads)
    extra_rows = np.flatnonzero(extra)
    holdout_sets = np.setdiff1d(trainer.dimer_holdout, extra_rows)
    holdout_extra = np.intersect1d(trainer.dimer_holdout, extra_rows)
    rows = []
    bias = trainer.heads.feats_net[-1].bias
    start = float(bias[C12_OUTPUT].detach())
    for f, s in ((f, s) for f in repulsion_scales for s in scales):
        trainer.charge_scale = float(s)
        term.charge_scale = float(s)
        with torch.no_grad():
            bias[C12_OUTPUT] = start + math.log(f)
            mse, _ = trainer.dimer_loss(trainer.dimer_train)
            anchor = trainer.charge_anchor_loss(trainer.charges())
            p, ess = term.pressures(trainer.heads)
            hvap = term.enthalpies_of_vaporisation(trainer.heads)
            q = [[float(x) for x in term.type_charges(trainer.heads, item)] for item in term.items]
        rows.append({
            "scale": float(s), "repulsion_scale": float(f), "dimer_mse_train_kcal2": float(mse), "anchor_loss": float(anchor),
            "dimer_rmse_holdout_training_sets_kcal": trainer.dimer_rmse(holdout_sets),
            "dimer_rmse_holdout_extra_kcal": trainer.dimer_rmse(holdout_extra) if len(holdout_extra) else None,
            "hvap_kj_mol": [float(x) for x in hvap],
            "density_g_cm3": [lf.density_after_g_cm3(float(pk), float(k))
                              for lf, pk, k in zip(frames_list, p, term.bulk_modulus)],
            "effective_sample_fraction": [float(x) for x in ess], "type_charges_e": q})
    with torch.no_grad():
        bias[C12_OUTPUT] = start
    return {"liquids": names, "rho_exp_g_cm3": [lf.rho_exp for lf in frames_list],
            "hvap_exp_kj_mol": [exp for _, exp in term.hvap], "init": str(init), "frames": str(frames),
            "density_loss": str(density_loss), "extra_dimers": [str(p) for p in extra_dimers],
            "extra_dimer_weight": extra_dimer_weight, "rows": rows, "date": date.today().isoformat(),
            "machine": f"{platform.machine()} {platform.processor() or ''} {threads} threads".strip(),
            "seconds": round(time.time() - t0, 1)}


def write_report(report: dict, out) -> None:
    """OUT.json, OUT.md (one table) and OUT.png (ΔH_vap, density error and dimer loss against the charge scale at
    C12 × 1; with several C12 factors a fourth panel: the first liquid's ΔH_vap against its density error, a line
    per factor)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out.with_suffix(".json"), report)
    names = report["liquids"]
    head = ("| charge scale | C12 × | dimer MSE (train, weighted) | held-out RMSE sets / extra | "
            + " | ".join(f"{n}: ΔH_vap, ρ (error %), ESS" for n in names) + " |")
    lines = [f"# The liquid stage's trade along a charge scale ({report['date']}, {report['machine']})", "",
             "Command: `python -m mlparams.validation.charge_tradeoff` (module docstring); from "
             f"`{report['init']}` on `{report['frames']}`; dimer values kcal/mol, ΔH_vap kJ/mol (experiment "
             + ", ".join(f"{n} {'–' if e is None else f'{e:.2f}'}" for n, e in zip(names, report["hvap_exp_kj_mol"]))
             + "), densities g/cm³ predicted on the frames' bulk moduli.", "", head,
             "|" + "---|" * (4 + len(names))]
    for r in report["rows"]:
        extra = "–" if r["dimer_rmse_holdout_extra_kcal"] is None else f"{r['dimer_rmse_holdout_extra_kcal']:.3f}"
        cells = [f"{h:.2f}, {d:.4f} ({100 * (d / e - 1):+.1f}), {f:.2f}" for h, d, e, f in
                 zip(r["hvap_kj_mol"], r["density_g_cm3"], report["rho_exp_g_cm3"], r["effective_sample_fraction"])]
        lines.append(f"| {r['scale']:.2f} | {r.get('repulsion_scale', 1.0):.2f} | {r['dimer_mse_train_kcal2']:.3f} | "
                     f"{r['dimer_rmse_holdout_training_sets_kcal']:.3f} / {extra} | " + " | ".join(cells) + " |")
    with replacing(out.with_suffix(".md")) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")

    factors = sorted({r.get("repulsion_scale", 1.0) for r in report["rows"]})
    base = 1.0 if 1.0 in factors else factors[0]
    rows = [r for r in report["rows"] if r.get("repulsion_scale", 1.0) == base]
    s = [r["scale"] for r in rows]

    def error(r, k):
        return 100 * (r["density_g_cm3"][k] / report["rho_exp_g_cm3"][k] - 1)

    fig, ax = plt.subplots(1, 3 + (len(factors) > 1), figsize=(13 + 4.3 * (len(factors) > 1), 3.8))
    for k, name in enumerate(names):
        line, = ax[0].plot(s, [r["hvap_kj_mol"][k] for r in rows], "o-", label=name)
        exp = report["hvap_exp_kj_mol"][k]
        if exp is not None:
            ax[0].axhline(exp, color=line.get_color(), ls=":", lw=1)
        ax[1].plot(s, [error(r, k) for r in rows], "o-", color=line.get_color(), label=name)
    ax[0].set(xlabel="charge scale s", ylabel="predicted ΔH_vap / kJ/mol (dotted: experiment)")
    ax[1].axhline(0.0, color="k", lw=0.8)
    ax[1].set(xlabel="charge scale s", ylabel="predicted density error / %")
    ax[2].plot(s, [r["dimer_mse_train_kcal2"] for r in rows], "ko-")
    ax[2].set(xlabel="charge scale s", ylabel="dimer loss: weighted MSE / (kcal/mol)²")
    ax[0].legend(fontsize=8)
    if len(factors) > 1:
        for f in factors:
            grid = [r for r in report["rows"] if r.get("repulsion_scale", 1.0) == f]
            ax[3].plot([error(r, 0) for r in grid], [r["hvap_kj_mol"][0] for r in grid], "o-", label=f"C12 × {f:g}")
        ax[3].set(xlabel=f"{names[0]}: predicted density error / %", ylabel=f"{names[0]}: predicted ΔH_vap / kJ/mol",
                  title="charge scale rising along each line")
        ax[3].legend(fontsize=8)
    fig.tight_layout()
    with replacing(out.with_suffix(".png")) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="the liquid stage's dimer loss and liquids along a charge scale")
    ap.add_argument("--frames", required=True, help="frames folder with per-frame Coulomb forms (sample-liquids)")
    ap.add_argument("--liquids", default="water,ethylene carbonate,ethanol,n-octane")
    ap.add_argument("--init", default="mlparams/data/models/gnn/gnn-liquids.pt",
                    help="heads file of the model that sampled the frames (default: the shipped gnn-liquids)")
    ap.add_argument("--density-loss", required=True, metavar="DENSITY_RESULTS.csv",
                    help="the --init model's density run (bulk moduli and ΔH_vap)")
    ap.add_argument("--extra-dimers", nargs="*", default=[])
    ap.add_argument("--extra-dimer-weight", type=float, default=1.0)
    ap.add_argument("--scales", default=",".join(str(s) for s in DEFAULT_SCALES),
                    help="charge scales, separated by commas")
    ap.add_argument("--repulsion-scales", default="1.0",
                    help="factors on every pair's C12, separated by commas (a grid with --scales; default 1.0)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True, help="output stem (OUT.json, OUT.md, OUT.png)")
    args = ap.parse_args(argv)
    try:
        scales = [float(x) for x in args.scales.split(",") if x.strip()]
        repulsion = [float(x) for x in args.repulsion_scales.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"error: --scales {args.scales!r} / --repulsion-scales {args.repulsion_scales!r}: give "
                         "numbers separated by commas") from None
    try:
        report = tradeoff(args.frames, args.liquids, args.init, args.density_loss, args.extra_dimers,
                          args.extra_dimer_weight, scales, args.threads, repulsion)
    except MlparamsError as exc:
        raise SystemExit(f"error: {exc}") from None
    write_report(report, args.out)
    print(Path(args.out).with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
