"""Report of the dimer-fitted exp-6 model: route comparison, errors per set, parity plots, pair curves."""

from __future__ import annotations

import platform
from datetime import date
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json, write_text
from mlparams.forms import buckingham as bk
from mlparams.models import buckingham_dimers as bd
from mlparams.models.dimer_pairs import TRAINING_SETS, named_sets


def _row(label: str, s: dict) -> str:
    if not s.get("n"):
        return f"| {label} | 0 | | | |"
    return f"| {label} | {s['n']} | {s['RMSE']:.2f} | {s['MAE']:.2f} | {s['MSE']:+.2f} |"


def markdown(model) -> str:
    m = model.metrics
    lines = [
        "# The dimer-fitted Buckingham model (`buckingham`)", "",
        f"Made by `mlparams buckingham train-dimers --report validation/results/buckingham_dimers` on {date.today()} "
        f"({platform.machine()}, Python {platform.python_version()}), {m['steps']} optimiser steps per fit, "
        f"{m['seconds_total']:.0f} s in all.", "",
        f"Training: {m['n_training_dimers']} dimers of {', '.join(m['training_sets'])} "
        f"({m['n_training_dimers_neutral']} neutral ones in the loss; "
        f"{len(m['skipped_training_dimers'])} skipped: elements GAFF2 cannot type). Charges: AM1-BCC, fixed.", "",
        "## Route and mixing rule, chosen on held-out training dimers", "",
        f"Selection: {m['selection']}; {m['n_holdout_dimers']} dimers held out. RMSE of E_int, kcal/mol, neutral dimers.", "",
        "| route | mixing rule | train RMSE | held-out RMSE | held-out MAE | seconds | worst wall force (kJ/mol/nm) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in m["comparison"]:
        lines.append(f"| {r['route']} | {r['mixing_rule']} | {r['train']['RMSE']:.3f} | {r['holdout']['RMSE']:.3f} | "
                     f"{r['holdout']['MAE']:.3f} | {r['seconds']} | {r['wall']['total']['min_force_kJ_mol_nm']:.0f} |")
    lines += ["", f"Chosen: **{m['route']} / {m['mixing_rule']}**, then refitted on all training dimers.", "",
              "## Errors of E_int (kcal/mol; MSE = mean signed error, negative = overbound)", "",
              "| set | n | RMSE | MAE | MSE |", "|---|---|---|---|---|"]
    tr = m["training"]
    for s, st in tr["by_set"].items():
        lines.append(_row(f"train {s}", st))
    lines.append(_row("train, all neutral", tr["neutral"]))
    lines.append(_row("train, charged (not in the loss)", tr["charged"]))
    for key, ev in m["validation"].items():
        lines.append(_row(f"**validation {key}**", ev["neutral"]))
        lines.append(_row(f"validation {key}, E_ref ≤ 0", ev["neutral_bound"]))
        lines.append(_row(f"validation {key}, Coulomb only (no vdW)", ev["coulomb_only_neutral"]))
    w = m["wall"]
    lines += ["", "## Short-range wall", "",
              f"Probe atoms: each element at the ends and middle of its training charge range. Weakest repulsion "
              f"with Coulomb on {w['total']['range_nm']} nm: {w['total']['min_force_kJ_mol_nm']:.0f} kJ/mol/nm "
              f"({w['total']['pair']} at {w['total']['at_nm']:.3f} nm); van der Waals alone on "
              f"{w['vdw']['range_nm']} nm: {w['vdw']['min_force_kJ_mol_nm']:.0f} kJ/mol/nm ({w['vdw']['pair']}). "
              "Positive = repulsive.", "",
              "Training charge range per element (e): " + ", ".join(
                  f"{s} [{lo:+.2f}, {hi:+.2f}]" for s, (lo, hi) in model.charge_range.items()), "",
              "Plots: `parity.png` (E_int, model vs reference), `pair_curves.png` (exp-6 + Coulomb of typical pairs).", ""]
    return "\n".join(lines)


def parity_plot(model, path: Path) -> Path:
    from mlparams.plotting import plt, save_figure

    panels = [("training (neutral)", named_sets(TRAINING_SETS, progress=False)),
              ("S22by7 (validation)", named_sets(["S22by7"], progress=False)),
              ("JSCH (validation)", named_sets(["JSCH"], progress=False))]
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    for ax, (title, data) in zip(axes, panels):
        data = data.subset(~data.charged)
        e, _ = bd.predict_dimers(model, data)
        sel = data.e_ref_kcal < 20
        ax.plot(data.e_ref_kcal[sel], e[sel], ".", ms=3, alpha=0.5, label="model (exp-6 + Coulomb)")
        ax.plot(data.e_ref_kcal[sel], data.coulomb_kcal()[sel], ".", ms=2, alpha=0.3, color="grey", label="Coulomb only")
        lo, hi = data.e_ref_kcal[sel].min() - 1, 20
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        rmse = float(np.sqrt(np.mean((e - data.e_ref_kcal) ** 2)))
        ax.set_title(f"{title}: RMSE {rmse:.2f} kcal/mol (all {data.n_dimers})")
        ax.set_xlabel("reference E_int / kcal mol⁻¹ (shown < 20)")
        ax.set_ylabel("model E_int / kcal mol⁻¹")
        ax.legend(fontsize=8)
    return save_figure(fig, path)


PAIRS = (("C", -0.1, "C", -0.1), ("H", 0.05, "H", 0.05), ("O", -0.6, "H", 0.42), ("N", -0.6, "H", 0.35),
         ("O", -0.6, "O", -0.6), ("C", 0.6, "O", -0.6))


def pair_curves_plot(model, path: Path) -> Path:
    from mlparams.plotting import plt, save_figure
    from mlparams.units import COULOMB_KJ_PER_MOL_NM

    r = np.linspace(0.08, 0.6, 400)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    for a, qa, b, qb in PAIRS:
        c = model.constants([a, b], [qa, qb])
        A, B, C = bk.mix(c[0, 0], c[0, 1], c[0, 2], c[1, 0], c[1, 1], c[1, 2], model.mixing_rule)
        vdw = bk.energy(r, A, B, C)
        label = f"{a}({qa:+.2f})–{b}({qb:+.2f})"
        axes[0].plot(r, vdw, label=label)
        axes[1].plot(r, vdw + COULOMB_KJ_PER_MOL_NM * qa * qb / r, label=label)
    axes[0].set_ylim(-2, 10)
    axes[0].set_title("exp-6 alone (guarded)")
    axes[1].set_ylim(-150, 150)
    axes[1].set_title("exp-6 + Coulomb")
    for ax in axes:
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel("r / nm")
        ax.set_ylabel("E / kJ mol⁻¹")
        ax.legend(fontsize=8)
    return save_figure(fig, path)


def write_report(model, folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / "summary.md"
    write_text(md, markdown(model))
    js = folder / "metrics.json"
    write_json(js, model.metrics)
    return [md, js, parity_plot(model, folder / "parity.png"), pair_curves_plot(model, folder / "pair_curves.png")]
