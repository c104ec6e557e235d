"""Report of a trained diffusion CNN: metrics.json, the paper's Table 1 for six held-out samples, parity plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json, write_text
from mlparams.diffusion.activation import THEORY

#: The paper's Table 1 (σ nm, ε meV, "prediction" %) for comparison.
PAPER_TABLE1 = [("methane", 0.370, 12.4, 98), ("propane", 0.534, 20.6, 96), ("propane", 0.502, 20.4, 92),
                ("propane", 0.571, 20.1, 95), ("propane", 0.519, 20.4, 96), ("methane", 0.382, 12.9, 93)]


def prediction_pct(pred: dict, sample) -> float:
    """100 − the mean relative error (%) of σ and ε: our reading of the paper's "prediction (%)"."""
    return 100.0 - 50.0 * (abs(pred["sigma_nm"] - sample.sigma_nm) / sample.sigma_nm
                           + abs(pred["epsilon_meV"] - sample.epsilon_mev) / sample.epsilon_mev)


def write_report(model, test, history, out) -> dict:
    from mlparams.plotting import plt, save_figure

    out = Path(out)
    x, samples = test
    pred = model.predict(x)
    metrics = model.info["test_metrics"]
    pct = np.array([prediction_pct(p, s) for p, s in zip(pred, samples)])
    metrics["prediction_pct_mean"] = float(pct.mean())
    metrics["prediction_pct_min"] = float(pct.min())
    training = {k: v for k, v in model.info.items() if k != "test_metrics"}
    write_json(out / "metrics.json", {"test": metrics, "training": training, "history": history}, indent=1)
    picks = [k for k, s in enumerate(samples) if s.substance == "methane"][:2] + \
            [k for k, s in enumerate(samples) if s.substance == "propane"][:4]
    lines = ["# Table 1 in the paper's format: six held-out synthetic samples", "",
             "| sample | substance (true → identified) | σ true (nm) | σ identified (nm) | ε true (meV) | "
             "ε identified (meV) | prediction (%) |", "|---|---|---|---|---|---|---|"]
    for n, k in enumerate(picks, 1):
        p, s = pred[k], samples[k]
        lines.append(f"| {n} | {s.substance} → {p['substance']} | {s.sigma_nm:.3f} | {p['sigma_nm']:.3f} | "
                     f"{s.epsilon_mev:.1f} | {p['epsilon_meV']:.1f} | {prediction_pct(p, s):.0f} |")
    lines += ["", "Prediction (%) = 100 − mean relative error of σ and ε (our reading of the paper's column).", "",
              "The paper's Table 1 (experimental maps; theoretical σ, ε: methane 0.373 nm, 12.7 meV; propane "
              "0.512 nm, 20.3 meV):", "", "| sample | substance | σ (nm) | ε (meV) | prediction (%) |", "|---|---|---|---|---|"]
    lines += [f"| {n} | {sub} | {s:.3f} | {e:.1f} | {p} |" for n, (sub, s, e, p) in enumerate(PAPER_TABLE1, 1)]
    lines += ["", f"On all {metrics['n']} held-out samples: prediction {metrics['prediction_pct_mean']:.1f} % on average "
              f"(lowest {metrics['prediction_pct_min']:.1f} %); σ {metrics['sigma_mean_rel_err_pct']:.2f} % and ε "
              f"{metrics['epsilon_mean_rel_err_pct']:.2f} % mean relative error, against {metrics['sigma_prior_mean_baseline_rel_err_pct']:.2f} % "
              f"and {metrics['epsilon_prior_mean_baseline_rel_err_pct']:.2f} % for a guess of each gas's theoretical value; "
              f"D_eff {metrics['D_eff_mean_rel_err_pct']:.2f} %, D_p {metrics['D_p_mean_rel_err_pct']:.2f} %; "
              f"gas identified in {metrics['class_accuracy_pct']:.1f} %."]
    write_text(out / "table1.md", "\n".join(lines) + "\n")

    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    for ax, (label, pkey, attr) in zip(axes, (("σ / nm", "sigma_nm", "sigma_nm"), ("ε / meV", "epsilon_meV", "epsilon_mev"),
                                               ("D_eff (reduced)", "D_eff", "d_eff"), ("D_p (reduced)", "D_p", "d_p"))):
        for sub, color in (("methane", "C0"), ("propane", "C3")):
            idx = [k for k, s in enumerate(samples) if s.substance == sub]
            t = np.array([getattr(samples[k], attr) for k in idx])
            p = np.array([pred[k][pkey] for k in idx])
            ax.plot(t, p, ".", ms=3, color=color, label=sub)
        lo = min(ax.get_xlim()[0], ax.get_ylim()[0])
        hi = max(ax.get_xlim()[1], ax.get_ylim()[1])
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
        for sub in ("methane", "propane"):
            if attr in ("sigma_nm", "epsilon_mev"):
                v = THEORY[sub][0 if attr == "sigma_nm" else 1]
                ax.axhline(v, color="0.7", lw=0.6, ls=":")
        ax.set_xlabel(f"true {label}")
        ax.set_ylabel(f"identified {label}")
        if attr in ("d_eff", "d_p"):
            ax.set_xscale("log")
            ax.set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"held-out synthetic maps (n = {metrics['n']}); dotted: the theoretical values", fontsize=10)
    save_figure(fig, out / "parity.png")
    return metrics
