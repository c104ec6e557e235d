"""Is a model's liquid one liquid at the experimental density, or a void beside a denser liquid?

For each model, an NVT run of one dev liquid at its experimental density (the box and start of
``mlparams buckingham sample-liquids``), then on frames of its second half the largest empty sphere
(:func:`mlparams.models.liquid_pressure.largest_empty_sphere`: the largest distance from a point of a 0.05 nm
grid to the nearest atom, periodic). A homogeneous liquid
has no empty sphere much larger than its molecules' gaps (about 0.3 nm); a cavitated box has one of the void's
size. Writes ``cavities.json`` and ``cavities.png`` (the emptiest slab of the last frame of each model) to ``--out``.

    .venv/bin/python -m mlparams.validation.cavity_check --liquid water --models gaff2,gnn --out DIR
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json
from mlparams.benchmarking import envelope

def run(liquid: str, model: str, total_ps: float, frames: int, threads: int = 1) -> dict:
    from openmm import unit

    from mlparams.models import liquid_pressure as lp
    from mlparams.validation.density import PROFILES, read_liquids

    row = next(r for r in read_liquids("dev") if r["name"] == liquid)
    t0 = time.perf_counter()
    sim, msys, molecule, masses, n = lp.liquid_at_experimental_density(row, model, "screen", threads)
    dt = PROFILES["screen"].timestep_fs / 1000.0
    box = np.asarray(msys.box_nm, dtype=float)
    steps = int(round(total_ps / dt))
    sim.step(steps // 2)
    radii, last = [], None
    for _ in range(frames):
        sim.step(steps // (2 * frames))
        x = sim.context.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.nanometer)
        radius, centre = lp.largest_empty_sphere(np.asarray(x), box)
        radii.append(radius)
        last = (np.asarray(x), centre)
    return {"liquid": liquid, "model": model, "density_g_cm3": float(row["density_g_cm3"]), "box_nm": box.tolist(),
            "n_molecules": int(n), "nvt_ps": total_ps, "frames": frames, "largest_empty_sphere_nm": radii,
            "seconds": round(time.perf_counter() - t0, 1), "_last": last}


def plot(results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 4))
    for ax, r in zip(np.atleast_1d(axes), results):
        x, centre = r["_last"]
        box = np.asarray(r["box_nm"])
        x = np.mod(x, box)
        dz = np.abs((x[:, 2] - centre[2] + box[2] / 2) % box[2] - box[2] / 2)
        slab = x[dz < 0.25]
        ax.scatter(slab[:, 0], slab[:, 1], s=6)
        ax.add_patch(plt.Circle(centre[:2], max(r["largest_empty_sphere_nm"][-1], 0.01), fill=False, color="r"))
        ax.set_xlim(0, box[0])
        ax.set_ylim(0, box[1])
        ax.set_aspect("equal")
        ax.set_xlabel("x / nm")
        ax.set_ylabel("y / nm")
        ax.set_title(f"{r['model']}: atoms within 0.25 nm of z = {centre[2]:.2f} nm\n"
                     f"largest empty sphere {r['largest_empty_sphere_nm'][-1]:.2f} nm (red)", fontsize=9)
    fig.suptitle(f"{results[0]['liquid']} at {results[0]['density_g_cm3']} g/cm³, NVT, last frame")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--liquid", default="water")
    ap.add_argument("--models", default="gaff2,gnn")
    ap.add_argument("--nvt-ps", type=float, default=20.0)
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = [run(args.liquid, m, args.nvt_ps, args.frames) for m in args.models.split(",")]
    plot(results, out / "cavities.png")
    rows = [{k: v for k, v in r.items() if k != "_last"} for r in results]
    write_json(out / "cavities.json", envelope(rows, "cavity check"))
    for r in rows:
        print(f"{r['model']:14s} largest empty sphere {np.mean(r['largest_empty_sphere_nm']):.3f} nm "
              f"(max {np.max(r['largest_empty_sphere_nm']):.3f}) over {r['frames']} frames")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
