"""The paper's hyperparameter sweep: widths × layers × activations × learning rates, in parallel.

Each grid point trains one network (:func:`mlparams.pes.network.fit`) within the stated budget (maximum
epochs, early-stopping patience). Every finished run is appended to DIR/runs.csv at once, so a rerun skips
what is done and one failed run never loses the others. The outputs follow the paper's layout:

* DIR/loss_tables.md: for each potential, validation MSE matrices with hidden layer 1 in columns and hidden
  layer 2 in rows (Tables 2, 4, 5), one row per width for one hidden layer, the best three-layer nets, and the
  best of all beside the paper's best;
* DIR/<potential>_activation_lr.png: the best validation loss per activation and learning rate (Figures 4, 7, 9);
* DIR/<potential>_best_fit.png: the best network against the exact potential (Figures 5, 6, 8, 10).

Grids: ``paper`` is the full grid of the paper (1–3 layers of 5–50 nodes, 4 activations, 4 learning rates:
4,128 runs per potential); ``tables`` is the part that fills the paper's tables and figures: the two-layer
matrix at the activation and learning rate of the paper's table, every activation and learning rate at the
paper's best architecture, and one hidden layer of each width.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import sys
from concurrent.futures import as_completed
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json, write_text
from mlparams.errors import MlparamsError
from mlparams.parallel import process_pool
from mlparams.pes.network import ACTIVATIONS, LEARNING_RATES, WIDTHS, FitConfig

#: The paper's table settings and best results. Loss units as the paper printed them: the LJ and 2-D values
#: are read here as meV² and reduced unit², the Morse value is in J² (its energies were in J).
PAPER = {
    "lj": {"activation": "relu", "lr": 0.1, "best_hidden": (50, 50), "best_loss": 2.35e-5,
           "best_text": "ReLU 100x50, lr 0.1 (Table 3)"},
    "morse": {"activation": "relu", "lr": 0.01, "best_hidden": (5, 5), "best_loss": 4.13e-37,
              "best_text": "ReLU, lr 0.01, every cell of Table 2"},
    "morse2d": {"activation": "elu", "lr": 0.01, "best_hidden": (40, 10), "best_loss": 0.11,
                "best_text": "ELU 40x10, lr 0.01 (Table 4)"},
    "double-morse2d": {"activation": "elu", "lr": 0.001, "best_hidden": (40, 40), "best_loss": 0.007,
                       "best_text": "ELU 40x40, lr 0.001 (Table 5)"},
}
COLUMNS = ("potential", "key", "layers", "hidden", "activation", "lr", "max_epochs", "patience", "train_mse",
           "val_mse", "val_mse_reduced", "epochs", "seconds", "status")


def base_potential(dataset_name: str) -> str:
    return "double-morse2d" if dataset_name.startswith("double-morse2d") else dataset_name


def grid(potential: str, kind: str, widths=WIDTHS, layers=(1, 2, 3), activations=ACTIVATIONS,
         lrs=LEARNING_RATES) -> list[tuple]:
    """(hidden, activation, lr) triples of the ``paper`` or ``tables`` grid."""
    if kind == "paper":
        archs = [h for n in layers for h in itertools.product(widths, repeat=n)]
        return [(h, a, lr) for h in archs for a in activations for lr in lrs]
    if kind != "tables":
        raise MlparamsError(f"unknown grid {kind!r}; choose paper or tables")
    ref = PAPER[base_potential(potential)]
    points = [((w1, w2), ref["activation"], ref["lr"]) for w2 in widths for w1 in widths]
    points += [(ref["best_hidden"], a, lr) for a in activations for lr in lrs]
    points += [((w,), ref["activation"], ref["lr"]) for w in widths]
    return list(dict.fromkeys(points))


def _run_one(spec):
    """Worker: one fit, returned as a CSV row (never raises)."""
    name, b, config = spec
    row = {"potential": name, "key": config.key, "layers": len(config.hidden),
           "hidden": "x".join(map(str, config.hidden)), "activation": config.activation, "lr": config.lr,
           "max_epochs": config.max_epochs, "patience": config.patience}
    try:
        from mlparams.pes.network import fit
        from mlparams.pes.potentials import dataset

        _, res = fit(dataset(base_potential(name), b=b), config, threads=1)
        row.update(train_mse=res.train_mse, val_mse=res.val_mse, val_mse_reduced=res.val_mse_reduced,
                   epochs=res.epochs, seconds=round(res.seconds, 2), status="ok")
    except Exception as exc:  # one failed fit is recorded and the sweep goes on
        row.update(status=f"failed: {exc.__class__.__name__}: {str(exc)[:200]}")
    return row


def read_runs(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _append(path: Path, row: dict) -> None:
    new = not path.is_file()
    with open(path, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerow(row)
        fh.flush()
        os.fsync(fh.fileno())


def dataset_names(potentials, bs) -> list[tuple[str, float]]:
    out = []
    for p in potentials:
        if p == "double-morse2d":
            out += [(f"double-morse2d-b{b:g}", float(b)) for b in bs]
        elif p in PAPER:
            out.append((p, 5.0))
        else:
            raise MlparamsError(f"unknown potential {p!r} for a sweep; choose from {', '.join(PAPER)}")
    return out


def run(out, potentials=tuple(PAPER), kind: str = "tables", bs=(3.0, 5.0), max_epochs: int = 3000,
        patience: int = 500, jobs: int | None = None, quiet: bool = False, widths=WIDTHS, layers=(1, 2, 3),
        activations=ACTIVATIONS, lrs=LEARNING_RATES) -> dict:
    """Run (or resume) the sweep into ``out`` and write the tables, plots and summary."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs_path = out / "runs.csv"
    done = {(r["potential"], r["key"], int(r["max_epochs"]), int(r["patience"])) for r in read_runs(runs_path)
            if r["status"] == "ok"}
    specs = []
    for name, b in dataset_names(potentials, bs):
        for hidden, act, lr in grid(name, kind, widths, layers, activations, lrs):
            config = FitConfig(tuple(hidden), act, float(lr), max_epochs=max_epochs, patience=patience)
            if (name, config.key, max_epochs, patience) not in done:
                specs.append((name, b, config))
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(specs) or 1))
    if specs:
        from tqdm import tqdm

        bar = tqdm(total=len(specs), desc="pes sweep", unit="fit", file=sys.stderr, disable=quiet)
        with process_pool(jobs) as pool:
            futures = [pool.submit(_run_one, s) for s in specs]
            for fut in as_completed(futures):
                _append(runs_path, fut.result())
                bar.update(1)
        bar.close()
    return report(out, [n for n, _ in dataset_names(potentials, bs)], {n: b for n, b in dataset_names(potentials, bs)},
                  max_epochs, patience)


def _fmt(v) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.3g}"


def report(out: Path, names: list[str], bs: dict, max_epochs: int, patience: int) -> dict:
    """loss_tables.md, summary.json and the plots from DIR/runs.csv (the latest row of each run wins)."""
    rows = {}
    for r in read_runs(out / "runs.csv"):
        if r["status"] == "ok" and int(r["max_epochs"]) == max_epochs and int(r["patience"]) == patience:
            rows[(r["potential"], r["key"])] = r
    lines = ["# Validation-loss tables of the PES sweep", "",
             f"Budget per fit: at most {max_epochs} full-batch Adam epochs, early stopping after {patience} epochs "
             "without a better validation loss (the best weights are kept). Loss: validation MSE (20 % of the points) "
             "in the data's energy unit squared (lj: meV²; morse: J²; 2-D surfaces: reduced unit², De = 100). "
             "Reduced: MSE / (ε, D or De)².", ""]
    summary = {}
    for name in names:
        mine = [r for (p, _), r in rows.items() if p == name]
        if not mine:
            continue
        ref = PAPER[base_potential(name)]
        best = min(mine, key=lambda r: float(r["val_mse"]))
        summary[name] = {"runs": len(mine), "best": {k: best[k] for k in ("hidden", "activation", "lr", "val_mse",
                                                                         "val_mse_reduced", "epochs")},
                         "paper_best_loss": ref["best_loss"], "paper_best": ref["best_text"],
                         "seconds_total": round(sum(float(r["seconds"]) for r in mine), 1)}
        lines += [f"## {name}", "",
                  f"Best here: {best['hidden']} {best['activation']}, lr {float(best['lr']):g}: validation MSE "
                  f"{float(best['val_mse']):.3g} (reduced {float(best['val_mse_reduced']):.3g}), {best['epochs']} epochs. "
                  f"Paper's best: {ref['best_loss']:.3g} ({ref['best_text']}). {len(mine)} runs, "
                  f"{summary[name]['seconds_total']:.0f} s of fitting.", ""]
        by_key = {(r["hidden"], r["activation"], float(r["lr"])): float(r["val_mse"]) for r in mine}
        for act, lr in sorted({(r["activation"], float(r["lr"])) for r in mine if r["layers"] == "2"},
                              key=lambda t: (ACTIVATIONS.index(t[0]), -t[1])):
            cells = [[by_key.get((f"{w1}x{w2}", act, lr)) for w1 in WIDTHS] for w2 in WIDTHS]
            if sum(c is not None for row in cells for c in row) < 12:
                continue
            lines += [f"Two hidden layers, {act}, lr {lr:g} (columns: layer 1, rows: layer 2)", "",
                      "| nodes | " + " | ".join(map(str, WIDTHS)) + " |", "|---" * (len(WIDTHS) + 1) + "|"]
            lines += [f"| {w2} | " + " | ".join(_fmt(c) for c in row) + " |" for w2, row in zip(WIDTHS, cells)]
            lines.append("")
        arch = "x".join(map(str, ref["best_hidden"]))
        grid_al = {(r["activation"], float(r["lr"])): float(r["val_mse"]) for r in mine if r["hidden"] == arch}
        if len(grid_al) > 1:
            lrs = sorted({lr for _, lr in grid_al}, reverse=True)
            lines += [f"Activation and learning rate at {arch} (Figures 4, 7, 9)", "",
                      "| activation | " + " | ".join(f"lr {lr:g}" for lr in lrs) + " |", "|---" * (len(lrs) + 1) + "|"]
            lines += [f"| {a} | " + " | ".join(_fmt(grid_al.get((a, lr))) for lr in lrs) + " |"
                      for a in ACTIVATIONS if any(k[0] == a for k in grid_al)]
            lines.append("")
        one = [r for r in mine if r["layers"] == "1"]
        if one:
            lines += ["One hidden layer", "", "| nodes | activation | lr | val MSE |", "|---|---|---|---|"]
            lines += [f"| {r['hidden']} | {r['activation']} | {float(r['lr']):g} | {_fmt(float(r['val_mse']))} |"
                      for r in sorted(one, key=lambda r: float(r["val_mse"]))[:12]]
            lines.append("")
        three = sorted([r for r in mine if r["layers"] == "3"], key=lambda r: float(r["val_mse"]))[:5]
        if three:
            lines += ["Best three-layer nets", "", "| nodes | activation | lr | val MSE |", "|---|---|---|---|"]
            lines += [f"| {r['hidden']} | {r['activation']} | {float(r['lr']):g} | {_fmt(float(r['val_mse']))} |"
                      for r in three]
            lines.append("")
        _activation_lr_plot(name, mine, out / f"{name}_activation_lr.png")
        _best_fit_plot(name, bs[name], best, max_epochs, patience, out / f"{name}_best_fit.png")
    write_text(out / "loss_tables.md", "\n".join(lines) + "\n")
    write_json(out / "summary.json", summary, indent=1)
    return summary


def _activation_lr_plot(name, rows, path):
    from mlparams.plotting import plt, save_figure

    lrs = sorted({float(r["lr"]) for r in rows}, reverse=True)
    acts = [a for a in ACTIVATIONS if any(r["activation"] == a for r in rows)]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for a in acts:
        ys = [min((float(r["val_mse"]) for r in rows if r["activation"] == a and float(r["lr"]) == lr), default=np.nan)
              for lr in lrs]
        ax.plot(range(len(lrs)), ys, "o-", label=a)
    ax.set_xticks(range(len(lrs)), [f"{lr:g}" for lr in lrs])
    ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("best validation MSE")
    ax.set_title(f"{name}: loss by activation and learning rate")
    ax.legend()
    save_figure(fig, path)


def _best_fit_plot(name, b, best, max_epochs, patience, path):
    from mlparams.pes.network import fit
    from mlparams.pes.potentials import dataset

    ds = dataset(base_potential(name), b=b)
    config = FitConfig(tuple(int(w) for w in best["hidden"].split("x")), best["activation"], float(best["lr"]),
                       max_epochs=max_epochs, patience=patience)
    net, res = fit(ds, config)
    title = f"{name}: {best['hidden']} {best['activation']}, lr {float(best['lr']):g}, val MSE {res.val_mse:.3g}"
    fit_figure(ds, net, title, path)


def fit_figure(ds, net, title: str, path):
    """1-D: data, exact curve and network with the residual; 2-D: exact surface, network and their difference."""
    from mlparams.plotting import plt, save_figure

    if ds.dimension == 1:
        r = np.linspace(ds.x.min(), ds.x.max(), 800)[:, None]
        e_nn = net.energy(r)
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(6, 5.5), sharex=True, height_ratios=(3, 1))
        ax.plot(ds.x[:, 0], ds.y, ".", ms=2, color="0.6", label="data")
        ax.plot(r[:, 0], e_nn, "-", color="C3", lw=1.2, label="network")
        lo, hi = np.percentile(ds.y, [0, 90])
        ax.set_ylim(lo - 0.2 * (hi - lo), hi + 0.2 * (hi - lo))
        ax.set_ylabel(f"E / {ds.energy_label}")
        ax.legend()
        ax.set_title(title, fontsize=9)
        if ds.exact is not None:
            ax2.plot(r[:, 0], e_nn - ds.exact(r), "-", color="C0", lw=1)
            ax2.set_ylabel("network − exact")
        else:  # a table: residuals at its points only
            ax2.plot(ds.x[:, 0], net.energy(ds.x) - ds.y, "o", color="C0", ms=3)
            ax2.axhline(0.0, color="0.6", lw=0.8)
            ax2.set_ylabel("network − data")
        ax2.set_xlabel(f"r / {ds.length_unit}")
    else:
        n = int(round(np.sqrt(len(ds.y))))
        xx = ds.x[:, 0].reshape(n, n)
        yy = ds.x[:, 1].reshape(n, n)
        exact = ds.y.reshape(n, n)
        pred = net.energy(ds.x).reshape(n, n)
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
        worst = float(np.max(np.abs(pred - exact))) or 1.0
        for ax, z, label in zip(axes, (exact, pred, pred - exact), ("exact", "network", "network − exact")):
            diff = label == "network − exact"
            cs = ax.contourf(xx, yy, z, levels=np.linspace(-worst, worst, 31) if diff else 30,
                             cmap="RdBu_r" if diff else "viridis")
            fig.colorbar(cs, ax=ax)
            ax.set_title(label)
            ax.set_xlabel("x")
            ax.set_ylabel("y")
        fig.suptitle(title, fontsize=10)
    save_figure(fig, path)
