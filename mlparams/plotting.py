"""Figures written by mlparams commands (PNG, matplotlib's Agg backend, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlparams.atomic_files import replacing  # noqa: E402


def save_figure(fig, path) -> Path:
    """Save through a temporary name, then rename, so no half-written PNG is left."""
    path = Path(path)
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def clustering_figure(table, atomic_numbers, title: str, path) -> Path:
    """Constants before and after the clustering refit (Lal et al. Figures 2 and 3), coloured by Z."""
    fig = plt.figure(figsize=(13, 5.5))
    panels = (
        ("A_eV", "B_A", "C_eV_A6", "r2", "before clustering (independent fits)"),
        ("A_eV_clustered", "B_A_clustered", "C_eV_A6_clustered", "r2_clustered", "after clustering refit"),
    )
    for k, (a, b, c, r2, label) in enumerate(panels, start=1):
        ax = fig.add_subplot(1, 2, k, projection="3d")
        ok = table[r2] >= 0.9
        sc = ax.scatter(
            np.log10(table.loc[ok, a]), table.loc[ok, b], table.loc[ok, c],
            c=np.asarray(atomic_numbers)[ok.values], cmap="viridis", s=14,
        )
        ax.set_xlabel("log10 A / eV")
        ax.set_ylabel("B / Å")
        ax.set_zlabel("C / eV·Å⁶")
        ax.set_title(f"{label}\n{int(ok.sum())} of {len(table)} configurations with R² ≥ 0.90", fontsize=10)
    fig.colorbar(sc, ax=fig.axes, shrink=0.6, label="atomic number")
    fig.suptitle(title)
    return save_figure(fig, path)


def parity_figure(y_true, y_pred, names, title: str, path) -> Path:
    """Predicted vs reference for each target on log axes (|value|), one panel each."""
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 4))
    for i, (ax, name) in enumerate(zip(np.atleast_1d(axes), names)):
        t = np.abs(y_true[:, i])
        p = np.abs(y_pred[:, i])
        ok = (t > 0) & (p > 0)
        ax.loglog(t[ok], p[ok], "o", ms=4, alpha=0.7)
        lo, hi = min(t[ok].min(), p[ok].min()), max(t[ok].max(), p[ok].max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_xlabel(f"reference |{name}|")
        ax.set_ylabel(f"predicted |{name}|")
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
