"""timesteps/s of the NPT density deck for a 250-molecule ethanol box: mlparams' compiled pair style
``mlparams/buck/coul/long`` (the default Buckingham deck), LAMMPS's ``buck/coul/long`` (with and without the
guard table) and the GNN's LJ + Gaussian table (Gaussians to their reach, and to the full cutoff) against
``lj/cut/coul/long`` with GAFF2's LJ, on 1 and 2 MPI ranks and with OPENMP.

Each variant writes the decks with :func:`mlparams.lammps_inputs.writer.write_inputs` and runs a timed
NPT segment with the venv's ``lmp`` (SHAKE on H bonds, 2 fs, PPPM 1e-5, 0.9 nm cutoff); the speed is read
from LAMMPS's own "Loop time" line. Every (variant, launch) runs ``repeats`` times, the rounds interleaved
so that a slow spell of the shared machine hits every variant alike, and the median is reported with all
samples. The Buckingham variants use the ``buckingham-lal2023`` constants (their walls keep the box stable;
the cost does not depend on the values).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json
from mlparams.benchmarking import envelope

LOOP = re.compile(r"Loop time of ([0-9.eE+-]+) on (\d+) procs for (\d+) steps")


def _deck(steps: int) -> str:
    from .writer import THERMO

    return "\n".join([
        "units real", "atom_style full", "boundary p p p", "include styles.lmp", "read_data data.lmp",
        "include settings.lmp", "neighbor 2.0 bin", "neigh_modify every 1 delay 0 check yes", THERMO,
        "thermo 1000", "timestep 2.0", "fix hbonds all shake 1.0e-6 200 0 m 1.1", "minimize 1e-4 1e-6 200 2000",
        "reset_timestep 0", "velocity all create 298.15 4928459 mom yes rot yes dist gaussian",
        "fix npt all npt temp 298.15 298.15 200 iso 1 1 2000", "run 200", f"run {steps}",
    ]) + "\n"


def run_benchmark(n_molecules: int = 250, steps: int = 1000, repeats: int = 3, progress=print) -> dict:
    from mlparams.molecules import from_smiles
    from mlparams.systems import build_system

    from .writer import write_inputs

    species = from_smiles("CCO")
    bindir = Path(sys.executable).parent
    lmp, mpiexec = str(bindir / "lmp"), str(bindir / "mpiexec")
    variants = [
        ("lj/cut/coul/long (GAFF2 LJ)", "gaff2", "portable", None),
        ("mlparams/buck/coul/long (compiled plugin, guard inside)", "buckingham-lal2023", "compiled", None),
        ("buck/coul/long + guard table", "buckingham-lal2023", "portable", None),
        ("buck/coul/long, no guard table", "buckingham-lal2023", "portable", _drop_guard),
        ("lj/cut/coul/long + Gaussian table to its reach (gnn)", "gnn", "portable", None),
        ("lj/cut/coul/long + Gaussian table to the full cutoff (gnn)", "gnn", "portable", _gaussians_to_cutoff),
    ]
    launches = [("1 rank", [lmp]), ("2 MPI ranks", [mpiexec, "-n", "2", lmp]),
                ("1 rank, OPENMP 2 threads", [lmp, "-sf", "omp", "-pk", "omp", "2"])]
    samples: dict = {}
    errors: dict = {}
    with tempfile.TemporaryDirectory(prefix="mlparams-lmp-bench-") as tmp:
        folders = []
        for k, (label, model, kernel, edit) in enumerate(variants):
            msys = build_system([species], [n_molecules], model, density_g_cm3=0.78, seed=3)
            folder = Path(tmp) / f"variant{k}"
            write_inputs(msys, folder, pair_kernel=kernel)
            if edit:
                edit(msys, folder)
            (folder / "in.bench").write_text(_deck(steps))
            folders.append(folder)
        for rep in range(repeats):
            for (label, model, _, _), folder in zip(variants, folders):
                for launch_label, cmd in launches:
                    key = (label, launch_label)
                    if key in errors:
                        continue
                    proc = subprocess.run([*cmd, "-in", "in.bench", "-log", "none"], cwd=folder, capture_output=True, text=True)
                    loops = LOOP.findall(proc.stdout)
                    if proc.returncode != 0 or not loops:
                        tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or [""]
                        errors[key] = tail[0]
                        continue
                    seconds, procs, nsteps = float(loops[-1][0]), int(loops[-1][1]), int(loops[-1][2])
                    samples.setdefault(key, []).append((nsteps / seconds, procs))
                    if progress:
                        progress(f"round {rep + 1}/{repeats}, {label}, {launch_label}: {nsteps / seconds:.1f} steps/s")
    results = []
    for label, model, _, _ in variants:
        for launch_label, _ in launches:
            key = (label, launch_label)
            if key in errors:
                results.append({"pair_style": label, "model": model, "launch": launch_label, "error": errors[key]})
                continue
            rates = [rate for rate, _ in samples[key]]
            median = float(np.median(rates))
            results.append({"pair_style": label, "model": model, "launch": launch_label,
                            "steps_per_second": round(median, 2), "ns_per_day": round(median * 2e-6 * 86400, 2),
                            "procs": samples[key][0][1], "samples_steps_per_second": [round(x, 2) for x in rates]})
    for r in results:
        ref = next((x for x in results if x["model"] == "gaff2" and x["launch"] == r["launch"]), None)
        if ref and "steps_per_second" in r and "steps_per_second" in ref:
            r["ratio_to_lj"] = round(r["steps_per_second"] / ref["steps_per_second"], 3)
    return {"n_molecules": n_molecules, "n_atoms": 9 * n_molecules, "steps_timed": steps, "repeats": repeats,
            "statistic": "median over repeats", "variants": results}


def _drop_guard(msys, folder: Path) -> None:
    """The Buckingham deck without its guard table: plain buck/coul/long."""
    styles = (folder / "styles.lmp").read_text()
    styles = re.sub(r"pair_style hybrid/overlay (buck/coul/long \S+) table linear \d+", r"pair_style \1", styles)
    (folder / "styles.lmp").write_text(styles)
    settings = "\n".join(
        line.replace("pair_modify pair buck/coul/long tail", "pair_modify tail").replace("buck/coul/long ", "")
        for line in (folder / "settings.lmp").read_text().splitlines() if " table " not in line)
    (folder / "settings.lmp").write_text(settings + "\n")


def _gaussians_to_cutoff(msys, folder: Path) -> None:
    """The LJ + Gaussian deck with the Gaussian table written out to the LJ cutoff (the former cost)."""
    from .writer import gaussian_table_text

    cutoff = float(re.search(r"lj/cut/coul/long (\S+)", (folder / "styles.lmp").read_text()).group(1))
    table_text = gaussian_table_text(msys.parameters.pair_table(), len(msys.parameters.types), cutoff)
    (folder / "gaussians.table").write_text(table_text)
    settings = (folder / "settings.lmp").read_text()
    settings = re.sub(r"^(pair_coeff \d+ \d+ table gaussians\.table \S+) \S+$", rf"\1 {cutoff:.6f}", settings, flags=re.M)
    (folder / "settings.lmp").write_text(settings)


def write_result(results: dict, path) -> str:
    return str(write_json(path, envelope(results, "lammps-ethanol-box")))


def markdown_table(results: dict) -> str:
    rows = ["| pair style | launch | steps/s | ns/day | ratio to lj/cut/coul/long |", "|---|---|---|---|---|"]
    for r in results["variants"]:
        if "error" in r:
            rows.append(f"| {r['pair_style']} | {r['launch']} | failed: {r['error']} | | |")
        else:
            rows.append(f"| {r['pair_style']} | {r['launch']} | {r['steps_per_second']:.1f} | {r['ns_per_day']:.2f} | "
                        f"{r.get('ratio_to_lj', float('nan')):.2f} |")
    return "\n".join(rows)
