"""What the maps can tell about σ and ε: both enter the forward model only through one number per gas.

In the paper's model σ and ε reach the concentration maps only through the activation energy (eqs. 8, 9, 12):
Ũ = 4ε·s(σ), with s(σ) the LJ shape's expectation over the molecule's orbitals. A map therefore fixes, at best,
the gas and Ũ; (σ, ε) is known only to lie on the curve ε = Ũ / (4 s(σ)) inside the prior box. With the data
set's prior (σ and ε uniform within ±15 % of each gas's theoretical values) the posterior along that curve has
density ∝ 1 / |4 s(σ)| per unit σ (the change of variables from ε to σ). The estimate that minimises the expected
relative error of a parameter x is the median of the posterior weighted by 1/x. Its errors are the smallest any
method can reach on maps of this forward model, however good the network or the data: the bound the CNN is
measured against here.

A second test follows the paper's Table 1 more closely: a real gas has one σ and one ε, so maps are simulated at
the theoretical values themselves (other parameters drawn per seed) and the identified values are compared with
them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlparams.diffusion import dataset as D
from mlparams.diffusion.activation import THEORY
from mlparams.errors import MlparamsError

#: σ points on each iso-Ũ curve (the posterior is smooth: 2,001 points resolve its median to < 0.01 %).
CURVE_POINTS = 2001


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


def posterior_on_curve(substance: str, u_mev: float, points: int = CURVE_POINTS):
    """(σ nm, ε meV, posterior weight) along Ũ = 4ε·s(σ) inside the prior box; the weights sum to 1."""
    s0, e0 = THEORY[substance]
    h = D.PRIOR_HALF_WIDTH
    sigma = np.linspace(s0 * (1 - h), s0 * (1 + h), points)
    shape4 = D.u_tilde(substance, sigma, 1.0)  # 4·s(σ), meV per meV of ε
    eps = u_mev / shape4
    inside = (eps >= e0 * (1 - h)) & (eps <= e0 * (1 + h))
    w = np.where(inside, 1.0 / np.abs(shape4), 0.0)
    if w.sum() == 0:
        raise MlparamsError(f"Ũ = {u_mev} meV lies outside the {substance} prior box (±{100 * h:.0f} % in σ and ε); "
                            "no σ, ε of the data set's range give it")
    return sigma, eps, w / w.sum()


def best_estimate(substance: str, u_mev: float) -> tuple[float, float]:
    """(σ, ε) minimising the expected relative error of each, given the gas and Ũ exactly."""
    sigma, eps, w = posterior_on_curve(substance, u_mev)
    return _weighted_median(sigma, w / sigma), _weighted_median(eps, w / eps)


def bound(samples: list) -> dict:
    """Mean relative errors (%) of σ and ε of the best estimate from Ũ, over samples (dataset.Sample)."""
    err_s, err_e = [], []
    for s in samples:
        u = float(D.u_tilde(s.substance, s.sigma_nm, s.epsilon_mev))
        sig, eps = best_estimate(s.substance, u)
        err_s.append(abs(sig - s.sigma_nm) / s.sigma_nm)
        err_e.append(abs(eps - s.epsilon_mev) / s.epsilon_mev)
    err_s, err_e = 100.0 * np.array(err_s), 100.0 * np.array(err_e)
    pct = 100.0 - 0.5 * (err_s + err_e)
    return {"n": len(samples), "sigma_mean_rel_err_pct": float(err_s.mean()),
            "epsilon_mean_rel_err_pct": float(err_e.mean()), "prediction_pct_mean": float(pct.mean()),
            "prediction_pct_min": float(pct.min()),
            "share_of_samples_above_98_pct": float(np.mean(pct > 98.0))}


def theory_samples(substances, seed: int) -> list:
    """One sample per entry of ``substances`` at that gas's theoretical σ and ε; D_eff, D_p, T0 drawn from seed."""
    rng = np.random.default_rng(seed)
    out = []
    for sub in substances:
        drawn = D.draw(rng, 1, sub)[0]
        s0, e0 = THEORY[sub]
        out.append(D.Sample(sub, s0, e0, drawn.d_eff, drawn.d_p, drawn.t0_k))
    return out


#: The paper's Table 1 gases in its order (methane, four propane samples, methane).
PAPER_ORDER = ("methane", "propane", "propane", "propane", "propane", "methane")


def report(model, out, seed: int, n: int, theory_n: int = 250, noise: float = 0.01, progress=None) -> dict:
    """Bound over ``n`` prior draws from ``seed`` (seed 13, n 1000: the parameters of the CNN's test set), and the
    CNN on maps at the theoretical values: six in the paper's Table 1 order and ``theory_n`` per gas.
    Writes identifiability.json, identifiability.md and identifiability.png in ``out``; returns the record."""
    from mlparams.atomic_files import write_json, write_text
    from mlparams.diffusion.report import PAPER_TABLE1, prediction_pct

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    drawn = D.draw(np.random.default_rng(seed), n)
    record = {"prior_half_width": D.PRIOR_HALF_WIDTH, "bound": {"seed": seed, **bound(drawn)},
              "bound_per_gas": {g: bound([s for s in drawn if s.substance == g]) for g in D.SUBSTANCES},
              "cnn_test_set": model.info.get("test_metrics"), "noise": noise}
    rng = np.random.default_rng(seed + 1000)
    six = theory_samples(PAPER_ORDER, seed + 1000)
    many = theory_samples(["methane"] * theory_n + ["propane"] * theory_n, seed + 2000)
    samples = six + many
    preds = []
    for k in range(0, len(samples), 100):
        preds += model.predict(D.maps(samples[k:k + 100], noise=noise, rng=rng))
        if progress:
            progress(len(preds), len(samples))
    pct = np.array([prediction_pct(p, s) for p, s in zip(preds, samples)])
    record["theory_six"] = [{"substance": s.substance, "identified": p["substance"], "sigma_nm": p["sigma_nm"],
                             "epsilon_meV": p["epsilon_meV"], "prediction_pct": float(q)}
                            for s, p, q in zip(six, preds[:6], pct[:6])]
    record["theory_many"] = {}
    for g in D.SUBSTANCES:
        idx = [6 + k for k, s in enumerate(many) if s.substance == g]
        sig = np.array([preds[k]["sigma_nm"] for k in idx])
        eps = np.array([preds[k]["epsilon_meV"] for k in idx])
        record["theory_many"][g] = {
            "n": len(idx), "prediction_pct_mean": float(pct[idx].mean()), "prediction_pct_min": float(pct[idx].min()),
            "sigma_nm_mean": float(sig.mean()), "sigma_nm_sd": float(sig.std()),
            "epsilon_meV_mean": float(eps.mean()), "epsilon_meV_sd": float(eps.std()),
            "identified_correctly_pct": 100.0 * float(np.mean([preds[k]["substance"] == g for k in idx]))}
    write_json(out / "identifiability.json", record)

    b, c = record["bound"], record["cnn_test_set"] or {}
    lines = ["# What the maps can tell about σ and ε", "",
             "Both enter the forward model only through Ũ = 4ε·s(σ) (eqs. 8, 9, 12): a map fixes the gas and Ũ at best.",
             f"Best possible estimate from the gas and Ũ known exactly (posterior median on the iso-Ũ curve, prior ±"
             f"{100 * D.PRIOR_HALF_WIDTH:.0f} %), over {b['n']} prior draws (seed {seed}: the parameters of the CNN's test set):", "",
             "| | σ mean rel. error % | ε mean rel. error % | prediction % (mean) | lowest | share of samples > 98 % |",
             "|---|---|---|---|---|---|",
             f"| best possible (bound) | {b['sigma_mean_rel_err_pct']:.2f} | {b['epsilon_mean_rel_err_pct']:.2f} | "
             f"{b['prediction_pct_mean']:.1f} | {b['prediction_pct_min']:.1f} | {100 * b['share_of_samples_above_98_pct']:.0f} % |"]
    if c:  # the mean of "prediction %" is 100 − the mean of the two errors
        cnn_pct = 100.0 - 0.5 * (c["sigma_mean_rel_err_pct"] + c["epsilon_mean_rel_err_pct"])
        lines.append(f"| shipped CNN (its test set of {c['n']} maps, 1 % noise) | {c['sigma_mean_rel_err_pct']:.2f} | "
                     f"{c['epsilon_mean_rel_err_pct']:.2f} | {cnn_pct:.1f} | – | – |")
    for g, r in record["bound_per_gas"].items():
        lines.append(f"| bound, {g} only | {r['sigma_mean_rel_err_pct']:.2f} | {r['epsilon_mean_rel_err_pct']:.2f} | "
                     f"{r['prediction_pct_mean']:.1f} | {r['prediction_pct_min']:.1f} | {100 * r['share_of_samples_above_98_pct']:.0f} % |")
    lines += ["", "Maps simulated at the theoretical values (a real gas has one σ and ε; D_eff, D_p, T0 drawn per sample, "
              f"{100 * noise:g} % noise), identified by the shipped CNN, in the paper's Table 1 format:", "",
              "| sample | substance (true → identified) | σ (nm) | ε (meV) | prediction (%) | paper: σ, ε, prediction |",
              "|---|---|---|---|---|---|"]
    for k, (r, p) in enumerate(zip(record["theory_six"], PAPER_TABLE1), 1):
        lines.append(f"| {k} | {r['substance']} → {r['identified']} | {r['sigma_nm']:.3f} | {r['epsilon_meV']:.1f} | "
                     f"{r['prediction_pct']:.0f} | {p[1]:.3f}, {p[2]:.1f}, {p[3]} |")
    lines += ["", "| gas | maps | prediction % mean (lowest) | σ identified (nm) | ε identified (meV) | gas right |",
              "|---|---|---|---|---|---|"]
    for g, r in record["theory_many"].items():
        s0, e0 = THEORY[g]
        lines.append(f"| {g} (σ {s0}, ε {e0}) | {r['n']} | {r['prediction_pct_mean']:.1f} ({r['prediction_pct_min']:.1f}) | "
                     f"{r['sigma_nm_mean']:.3f} ± {r['sigma_nm_sd']:.3f} | {r['epsilon_meV_mean']:.2f} ± {r['epsilon_meV_sd']:.2f} | "
                     f"{r['identified_correctly_pct']:.0f} % |")
    lines += ["", "Prediction (%) = 100 − mean relative error of σ and ε, against the true values (for the maps at the "
              "theoretical values, the theoretical values). ± is the spread over maps."]
    write_text(out / "identifiability.md", "\n".join(lines) + "\n")
    _plot(record, samples, preds, out / "identifiability.png")
    return record


def _plot(record, samples, preds, path) -> None:
    """Per gas: the prior box in (σ, ε), iso-Ũ curves, and the CNN's estimates for maps at the theoretical values."""
    from mlparams.plotting import plt, save_figure

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    h = D.PRIOR_HALF_WIDTH
    for ax, g in zip(axes, D.SUBSTANCES):
        s0, e0 = THEORY[g]
        sig = np.linspace(s0 * (1 - h), s0 * (1 + h), 200)
        eps = np.linspace(e0 * (1 - h), e0 * (1 + h), 200)
        S, E = np.meshgrid(sig, eps)
        U = E * D.u_tilde(g, sig, 1.0)[None, :]
        cs = ax.contour(S, E, U, levels=12, colors="0.6", linewidths=0.7)
        ax.clabel(cs, fontsize=6, fmt="%.1f")
        u0 = float(D.u_tilde(g, s0, e0))
        ax.plot(sig, u0 / D.u_tilde(g, sig, 1.0), "C2-", lw=1.5, label="Ũ of the theoretical values")
        k = [i for i, s in enumerate(samples) if s.substance == g]
        ax.plot([preds[i]["sigma_nm"] for i in k], [preds[i]["epsilon_meV"] for i in k], ".", color="C0", ms=3,
                label="CNN, maps at the theoretical values")
        best = best_estimate(g, u0)
        ax.plot(*best, "k*", ms=10, label="best estimate from Ũ")
        ax.plot(s0, e0, "C3+", ms=12, mew=2, label="theoretical values")
        ax.set_xlim(sig[0], sig[-1])
        ax.set_ylim(eps[0], eps[-1])
        ax.set_xlabel("σ / nm")
        ax.set_ylabel("ε / meV")
        ax.set_title(f"{g}: the prior box, contours of Ũ (meV)", fontsize=10)
    axes[0].legend(fontsize=7, loc="upper left")
    b = record["bound"]
    fig.suptitle(f"the maps fix Ũ, not σ: best possible prediction {b['prediction_pct_mean']:.1f} % on average over the "
                 f"prior (σ {b['sigma_mean_rel_err_pct']:.1f} %, ε {b['epsilon_mean_rel_err_pct']:.1f} %)", fontsize=10)
    save_figure(fig, path)
