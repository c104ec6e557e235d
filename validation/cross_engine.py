"""OpenMM against LAMMPS, term by term, on one parameter object and one set of coordinates.

Both engines are built from the same :class:`mlparams.systems.MolecularSystem`; energies are reported
in kJ/mol per term (bond, angle, dihedral, improper, vdw, coulomb, total) with their relative difference,
and forces as the largest per-component difference relative to the largest force.

Terms: OpenMM's ``vdw`` is its vdw + vdw14 groups (LAMMPS puts scaled 1-4 pairs in evdwl); LAMMPS's
``coulomb`` is ecoul + elong. For the ``lj`` form OpenMM keeps Coulomb and LJ in one NonbondedForce, so its
Coulomb is measured on a copy with the Lennard-Jones parameters zeroed.
"""

from __future__ import annotations

import tempfile

import numpy as np

TERMS = ("bond", "angle", "dihedral", "improper", "vdw", "coulomb", "total")
#: Tight electrostatics for comparisons: OpenMM's PME error tolerance and LAMMPS's PPPM accuracy.
TIGHT_EWALD_TOLERANCE = 1e-6
TIGHT_PPPM_ACCURACY = 1e-6


def _openmm_terms(msys, cutoff_nm, long_range_correction):
    import openmm
    from openmm import unit

    from mlparams.openmm_plugin.system import coulomb_and_vdw, to_openmm

    system, _, pos = to_openmm(msys, cutoff_nm=cutoff_nm, ewald_tolerance=TIGHT_EWALD_TOLERANCE,
                               long_range_correction=long_range_correction)
    terms = coulomb_and_vdw(system, pos, msys.box_nm)
    out = {k: terms.get(k, 0.0) for k in ("bond", "angle", "dihedral", "improper", "vdw", "coulomb", "total")}
    context = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName("Reference"))
    context.setPositions(pos * unit.nanometer)
    if msys.periodic:
        context.setPeriodicBoxVectors(*[openmm.Vec3(*v) for v in np.diag(msys.box_nm)])
    forces = context.getState(getForces=True).getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer)
    return out, np.asarray(forces)


def compare_engines(msys, cutoff_nm: float = 0.9, long_range_correction: bool = True, workdir=None) -> dict:
    """Per-term energies of both engines, their relative differences, and the force difference."""
    from mlparams.lammps_inputs.driver import single_point
    from mlparams.lammps_inputs.writer import write_inputs

    omm, f_omm = _openmm_terms(msys, cutoff_nm, long_range_correction)
    with tempfile.TemporaryDirectory(prefix="mlparams-lammps-") as tmp:
        folder = workdir or tmp
        write_inputs(msys, folder, cutoff_nm=cutoff_nm, kspace_accuracy=TIGHT_PPPM_ACCURACY,
                     long_range_correction=long_range_correction)
        lmp, f_lmp = single_point(folder)
    result = {}
    for term in TERMS:
        a, b = omm[term], lmp[term]
        scale = max(abs(a), abs(b))
        result[term] = {"openmm": a, "lammps": b, "rel_diff": abs(a - b) / scale if scale > 0 else 0.0}
    scale = float(np.abs(f_omm).max())
    result["forces"] = {"max_abs_diff_kJ_mol_nm": float(np.abs(f_omm - f_lmp).max()), "max_abs_force": scale,
                        "rel_diff": float(np.abs(f_omm - f_lmp).max() / scale) if scale > 0 else 0.0}
    return result


#: The standard cross-engine suite: (label, SMILES, molecules, packing density g/cm³); 1 molecule = gas phase.
SUITE = (
    ("water box", "O", 60, 0.95),
    ("ethanol box", "CCO", 30, 0.75),
    ("ethylene carbonate box", "C1COC(=O)O1", 20, 1.25),
    ("ethanol, one molecule in the gas phase", "CCO", 1, None),
)
SUITE_MODELS = ("gaff2", "buckingham", "buckingham-lal2023", "gnn")


def run_suite(progress=print) -> dict:
    """compare_engines for every SUITE entry and model, long-range corrections on and off."""
    from mlparams.molecules import from_smiles
    from mlparams.systems import build_system

    rows = []
    for label, smiles, n, density in SUITE:
        for model in SUITE_MODELS:
            msys = build_system([from_smiles(smiles)], [n], model, density_g_cm3=density, seed=2)
            cutoff = round(0.49 * float(msys.box_nm[0]), 3) if msys.periodic else 0.9
            for lrc in ((True, False) if msys.periodic else (True,)):
                result = compare_engines(msys, cutoff_nm=cutoff, long_range_correction=lrc)
                rows.append({"system": label, "smiles": smiles, "n_molecules": n, "model": model, "cutoff_nm": cutoff,
                             "long_range_correction": lrc if msys.periodic else None, "terms": result})
                if progress:
                    progress(f"{label}, {model}, corrections {'on' if lrc else 'off'}: total rel_diff "
                             f"{result['total']['rel_diff']:.1e}")
    return {"cases": rows}


def suite_markdown(results: dict) -> str:
    """One row per case: relative differences of van der Waals, Coulomb, total and forces."""
    lines = ["| system | model | tails | bonded (max) | vdW | Coulomb | total | forces |", "|---|---|---|---|---|---|---|---|"]
    for row in results["cases"]:
        t = row["terms"]
        bonded = max(t[k]["rel_diff"] for k in ("bond", "angle", "dihedral"))
        tails = {True: "on", False: "off", None: "–"}[row["long_range_correction"]]
        lines.append(f"| {row['system']} | {row['model']} | {tails} | {bonded:.1e} | {t['vdw']['rel_diff']:.1e} | "
                     f"{t['coulomb']['rel_diff']:.1e} | {t['total']['rel_diff']:.1e} | {t['forces']['rel_diff']:.1e} |")
    return "\n".join(lines)
