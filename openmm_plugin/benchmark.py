"""ns/day of a 250-molecule ethanol box: GAFF2's LJ in a plain NonbondedForce vs the Buckingham form and the
GNN's LJ + six Gaussians in the variants the exporter can build (CustomNonbondedForces and mlparams'
compiled forces), all in one run on this machine.

Every variant runs the same packed, minimised box (CPU platform, 2 threads, Langevin 2 fs, H-bonds
constrained, PME with 0.9 nm cutoff, NVT). The Buckingham variants use the ``buckingham-lal2023``
constants: their exp-6 walls keep the box stable for the timed steps, and the cost of the force does not
depend on the constants' values. The GNN variants use the shipped ``gnn`` model.
"""

from __future__ import annotations

import time

from mlparams.atomic_files import write_json
from mlparams.benchmarking import envelope


def _no_guard(system, msys) -> None:
    import openmm

    for f in system.getForces():
        if isinstance(f, openmm.CustomNonbondedForce):
            f.setEnergyFunction("a1*a2*exp(-r/(b1*b2)) - csign*c1*c2/r^6")


def _centres_from_tables(system, msys) -> None:
    """The Gaussian force reads its centres r_k from per-pair Discrete2DFunctions, as before they were constants."""
    import openmm

    from mlparams.forms import lj_gaussian

    table = msys.parameters.pair_table()
    n = len(msys.parameters.types)
    gaussians = next(f for f in system.getForces()
                     if isinstance(f, openmm.CustomNonbondedForce) and "exp(" in f.getEnergyFunction())
    gaussians.setEnergyFunction(lj_gaussian.openmm_gaussian_expression())
    for k in range(1, lj_gaussian.N_GAUSSIANS + 1):
        gaussians.addTabulatedFunction(f"r{k}", openmm.Discrete2DFunction(n, n, table[f"r{k}"].T.ravel().tolist()))


def _former_force(system, msys) -> None:
    """Centres from tables and every CustomNonbondedForce out to the NonbondedForce's cutoff: the former cost."""
    import openmm

    _centres_from_tables(system, msys)
    cutoff = next(f for f in system.getForces() if isinstance(f, openmm.NonbondedForce)).getCutoffDistance()
    for f in system.getForces():
        if isinstance(f, openmm.CustomNonbondedForce):
            f.setCutoffDistance(cutoff)


CUSTOM = {"vdw_kernel": "custom"}
COMPILED = {"vdw_kernel": "compiled"}

# (label, model, to_openmm options, edit of the System or None)
VARIANTS = (
    ("gaff2 LJ, NonbondedForce", "gaff2", {}, None),
    ("Buckingham CustomNonbondedForce, per-type-pair tables (Discrete2DFunction)", "buckingham-lal2023",
     {**CUSTOM, "pair_tables": True}, None),
    ("Buckingham CustomNonbondedForce, per-particle mixing factors", "buckingham-lal2023", CUSTOM, None),
    ("  same, without the damping guard", "buckingham-lal2023", CUSTOM, _no_guard),
    ("  same, Ewald real space merged into the custom force", "buckingham-lal2023",
     {**CUSTOM, "merge_direct_space": True}, None),
    ("Buckingham compiled force, Coulomb apart (to_openmm default)", "buckingham-lal2023", COMPILED, None),
    ("Buckingham compiled force, whole direct space merged (density driver)", "buckingham-lal2023",
     {**COMPILED, "merge_direct_space": True}, None),
    ("GNN LJ + 6 Gaussians, CustomNonbondedForces: Gaussians to their reach, constant centres", "gnn", CUSTOM,
     None),
    ("  same, centres looked up per type pair", "gnn", CUSTOM, _centres_from_tables),
    ("  same, centres looked up and Gaussians to the full cutoff (the former force)", "gnn", CUSTOM, _former_force),
    ("GNN compiled force, Coulomb apart (to_openmm default)", "gnn", COMPILED, None),
    ("GNN compiled force, whole direct space merged (density driver)", "gnn",
     {**COMPILED, "merge_direct_space": True}, None),
)


def selected_variants(only: list[str] | None = None) -> list[tuple]:
    """The variants whose label contains one of the texts in ``only`` (all when None), GAFF2 first always."""
    if only is None:
        return list(VARIANTS)
    chosen = [VARIANTS[0]] + [v for v in VARIANTS[1:] if any(text in v[0] for text in only)]
    if len(chosen) == 1:
        raise ValueError(f"no benchmark variant matches {', '.join(only)}; labels: "
                         + "; ".join(v[0].strip() for v in VARIANTS))
    return chosen


def run_benchmark(n_molecules: int = 250, steps: int = 1000, threads: int = 2, progress=print,
                  only: list[str] | None = None) -> dict:
    """Time every variant (or those :func:`selected_variants` picks) on one box per model."""
    import openmm
    from openmm import unit

    from mlparams.molecules import from_smiles
    from mlparams.openmm_plugin.system import to_openmm
    from mlparams.systems import build_system

    species = from_smiles("CCO")
    boxes = {}
    results = []
    for label, model, options, edit in selected_variants(only):
        if model not in boxes:
            boxes[model] = build_system([species], [n_molecules], model, density_g_cm3=0.78, seed=3)
        msys = boxes[model]
        system, _, pos = to_openmm(msys, cutoff_nm=0.9, constraints="HBonds", **options)
        if edit:
            edit(system, msys)
        integrator = openmm.LangevinMiddleIntegrator(298.15, 1.0, 0.002)
        integrator.setRandomNumberSeed(1)
        context = openmm.Context(system, integrator, openmm.Platform.getPlatformByName("CPU"), {"Threads": str(threads)})
        context.setPositions(pos * unit.nanometer)
        openmm.LocalEnergyMinimizer.minimize(context, 10.0, 200)
        integrator.step(100)
        t0 = time.perf_counter()
        integrator.step(steps)
        seconds = time.perf_counter() - t0
        ns_per_day = steps * 0.002 / 1000 / seconds * 86400
        results.append({"variant": label, "model": model, "ms_per_step": round(1000 * seconds / steps, 3),
                        "ns_per_day": round(ns_per_day, 2)})
        if progress:
            progress(f"{label}: {ns_per_day:.2f} ns/day")
        del context, integrator
    reference = results[0]["ns_per_day"]
    for r in results:
        r["ratio_to_gaff2"] = round(r["ns_per_day"] / reference, 3)
    return {"n_molecules": n_molecules, "n_atoms": int(boxes["gaff2"].n_atoms), "steps_timed": steps, "only": only,
            "threads": threads, "platform": "CPU", "openmm": openmm.__version__, "variants": results}


def write_result(results: dict, path) -> str:
    return str(write_json(path, envelope(results, "openmm-ethanol-box")))


def markdown_table(results: dict) -> str:
    rows = ["| variant | ns/day | ratio to GAFF2 LJ |", "|---|---|---|"]
    for r in results["variants"]:
        rows.append(f"| {r['variant'].strip()} | {r['ns_per_day']:.2f} | {r['ratio_to_gaff2']:.2f} |")
    return "\n".join(rows)


