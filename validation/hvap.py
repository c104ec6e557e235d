"""Enthalpy of vaporisation beside each density: ΔH_vap = ⟨U_gas⟩ − ⟨U_liq⟩/N + RT (kJ/mol).

Density alone does not pin down a liquid: a close-packed liquid of weak contacts and a hydrogen-bonded network can
have the same density. ΔH_vap measures the cohesion, and it is the second target the classic water and organic
liquid models were fitted to (Jorgensen et al., J. Chem. Phys. 79, 926 (1983)).

- U_liq: the liquid box's potential energy, sampled by the density driver at each density sample of the NPT
  production (the engine's own total: PME, long-range van der Waals correction and the bonded terms), averaged over
  the window where the density is equilibrated; N molecules.
- U_gas: one molecule of the same model in vacuum (no cutoff, no box), Langevin dynamics at the same temperature,
  bonds to hydrogen constrained as in the liquid, :data:`GAS_EQUILIBRATE_PS` dropped and :data:`GAS_SAMPLE_PS`
  averaged (20-40 s on OpenMM's Reference platform for the dev liquids' molecules). It runs in OpenMM for either
  engine's liquid: the engines agree term by term on the same coordinates (tests/test_lammps_export.py).
- RT is the ideal gas's PV; the liquid's PV/N (2e-3 kJ/mol at 1 bar) is left out, as are the polarisation and
  vibrational corrections some water-model papers add.

Errors are standard errors from each series' statistical inefficiency; the two add in quadrature.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json, write_text
from mlparams.errors import MissingFileError, MlparamsError

#: Gas constant, kJ/(mol·K) (CODATA 2018).
GAS_CONSTANT_KJ_PER_MOL_K = 0.00831446261815324
#: Gas-phase run of one molecule: equilibration dropped, then sampled (ps), one sample every GAS_EVERY_PS.
GAS_EQUILIBRATE_PS = 20.0
GAS_SAMPLE_PS = 1000.0
GAS_EVERY_PS = 0.1
#: Experimental ΔH_vap is compared only at the run's temperature (within this many kelvin).
SAME_TEMPERATURE_K = 0.5


def mean_and_error(x) -> tuple[float, float]:
    """Mean and its standard error from the series' statistical inefficiency."""
    from mlparams.validation.density import statistical_inefficiency

    x = np.asarray(x, dtype=float)
    if x.size < 2:
        raise MlparamsError("an energy series needs at least two samples for a mean and its error")
    return float(x.mean()), float(x.std(ddof=1) * math.sqrt(statistical_inefficiency(x) / x.size))


def gas_phase_energy(species, model: str, T_K: float, sample_ps: float = GAS_SAMPLE_PS,
                     equilibrate_ps: float = GAS_EQUILIBRATE_PS, timestep_fs: float = 2.0, seed: int = 11) -> dict:
    """⟨U⟩ (kJ/mol) of one molecule of ``model`` in vacuum at T_K: {"mean", "error", "n_samples"}."""
    import openmm
    from openmm import unit

    from mlparams.openmm_plugin.simulate import make_simulation
    from mlparams.openmm_plugin.system import to_openmm
    from mlparams.systems import build_system

    msys = build_system([species], [1], model)
    system, topology, pos = to_openmm(msys, constraints="HBonds")
    # OpenMM's Reference platform: for one small molecule 8x faster than the CPU platform's thread pool
    sim = make_simulation(system, topology, pos, temperature_k=T_K, pressure_bar=None, platform="Reference",
                          seed=seed, timestep_ps=timestep_fs / 1000.0)
    sim.minimizeEnergy(maxIterations=500)
    sim.context.setVelocitiesToTemperature(T_K * unit.kelvin, seed)
    every = max(1, int(round(GAS_EVERY_PS * 1000.0 / timestep_fs)))
    sim.step(int(round(equilibrate_ps * 1000.0 / timestep_fs)))
    energies = []
    for _ in range(int(round(sample_ps / GAS_EVERY_PS))):
        try:
            sim.step(every)
        except openmm.OpenMMException as exc:
            raise MlparamsError(f"the gas-phase run of {species.smiles} failed: "
                                f"{str(exc).split('.')[0]}") from None
        energies.append(sim.context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole))
    if not np.all(np.isfinite(energies)):
        raise MlparamsError("NaN in the gas-phase run")
    mean, err = mean_and_error(energies)
    return {"mean": mean, "error": err, "n_samples": len(energies)}


def enthalpy_of_vaporisation(liquid_energies_kj, n_molecules: int, gas: dict, T_K: float) -> dict:
    """ΔH_vap (kJ/mol) and its error from the liquid's potential-energy samples (the equilibrated window, total
    kJ/mol of N molecules) and the gas-phase mean of :func:`gas_phase_energy`."""
    u_liq, u_liq_err = mean_and_error(liquid_energies_kj)
    value = gas["mean"] - u_liq / n_molecules + GAS_CONSTANT_KJ_PER_MOL_K * T_K
    return {"hvap": value, "hvap_err": math.hypot(gas["error"], u_liq_err / n_molecules)}


def experimental_hvap(row: dict) -> float | None:
    """The liquids CSV's ΔH_vap (kJ/mol) when it is given at the row's temperature, else None."""
    try:
        value, at = float(row.get("Hvap_kJ_mol")), float(row.get("Hvap_T_K"))
    except (TypeError, ValueError):
        return None
    return value if abs(at - float(row["T_K"])) <= SAME_TEMPERATURE_K else None


def _whole_molecules(x_nm, box_nm, molecule) -> np.ndarray:
    """Positions with every molecule made whole (minimum image to its first atom; atoms in molecule order)."""
    first = np.searchsorted(molecule, molecule)
    return x_nm - box_nm * np.round((x_nm - x_nm[first]) / box_nm)


def intermolecular_energies(workdir, engine: str, model: str, smiles: str, n_molecules: int, cutoff_nm: float,
                            n_frames: int = 10) -> dict:
    """What holds a liquid together: the intermolecular Coulomb and van der Waals energy per molecule (kJ/mol),
    E_inter = E_box − Σ_k E_molecule k alone, on ``n_frames`` frames spread over the second half of a density run's
    trajectory (``workdir``: DIR/work/<liquid>), each term split by force group (OpenMM, Reference platform; the
    long-range van der Waals correction counts as van der Waals). Returns the means and their spread over frames."""
    from mlparams.molecules import from_smiles
    from mlparams.openmm_plugin.system import coulomb_and_vdw, to_openmm
    from mlparams.systems import build_system
    from mlparams.validation import structure

    species = from_smiles(smiles)
    u = structure.universe(workdir, engine)
    if u.atoms.n_atoms != n_molecules * species.n_atoms:
        raise MlparamsError(f"the trajectory in {workdir} holds {u.atoms.n_atoms} atoms, not {n_molecules} × "
                            f"{species.n_atoms}; give the work folder of this liquid's run")
    box_system, _, _ = to_openmm(build_system([species], [n_molecules], model, density_g_cm3=0.5),
                                 cutoff_nm=cutoff_nm, constraints="HBonds")
    alone, _, _ = to_openmm(build_system([species], [1], model), constraints="HBonds")
    molecule = np.asarray(u.atoms.resindices)
    n_traj = len(u.trajectory)
    picks = np.unique(np.linspace(n_traj // 2, n_traj - 1, min(n_frames, n_traj - n_traj // 2)).astype(int))
    per_frame = []
    for k in picks:
        u.trajectory[int(k)]
        box = u.dimensions[:3].astype(float) / 10.0
        x = _whole_molecules(u.atoms.positions.astype(float) / 10.0, box, molecule)
        total = coulomb_and_vdw(box_system, x, box)
        parts = [coulomb_and_vdw(alone, x[m * species.n_atoms:(m + 1) * species.n_atoms]) for m in range(n_molecules)]
        per_frame.append([(total[t] - sum(p[t] for p in parts)) / n_molecules for t in ("coulomb", "vdw")])
    e = np.array(per_frame)
    return {"coulomb": float(e[:, 0].mean()), "vdw": float(e[:, 1].mean()), "coulomb_sd": float(e[:, 0].std()),
            "vdw_sd": float(e[:, 1].std()), "frames": [int(k) for k in picks]}


def cohesion_report(folder, n_frames: int = 10, out=None) -> list[dict]:
    """:func:`intermolecular_energies` of every finished liquid of a density run folder whose trajectory is there;
    writes OUT.md and OUT.json (default FOLDER/cohesion) beside ΔH_vap, and returns the rows."""
    from mlparams.validation import structure

    folder = Path(folder)
    results, meta_path = folder / "density_results.csv", folder / "summary.json"
    if not (results.is_file() and meta_path.is_file()):
        raise MissingFileError(f"{folder} has no density_results.csv and summary.json; give a folder that "
                               "'mlparams validate density' wrote")
    meta = json.loads(meta_path.read_text())
    with open(results, newline="") as fh:
        done = [r for r in csv.DictReader(fh) if r["status"] == "ok"]
    rows = []
    for r in done:
        work = folder / "work" / structure.liquid_slug(r["name"])
        if not (work / structure.TRAJECTORY).is_file():
            continue
        e = intermolecular_energies(work, meta["engine"], meta["model"], r["smiles"], int(r["n_molecules"]),
                                    float(meta["protocol"]["cutoff_nm"]), n_frames)
        rows.append({"name": r["name"], "hvap_sim": r.get("hvap_sim") or None, "hvap_exp": r.get("hvap_exp") or None,
                     **e})
    if not rows:
        raise MissingFileError(f"no trajectories under {folder / 'work'}; they stay only where the run was made")
    out = Path(out) if out else folder / "cohesion"
    lines = [f"# What holds the liquids together: {meta['engine']}, model {meta['model']}, profile {meta['profile']}",
             "", f"Command: `mlparams validate cohesion {folder}`; intermolecular energy per molecule (kJ/mol), "
             "box minus molecules alone, over frames of the trajectory's second half (± spread over frames).", "",
             "| liquid | Coulomb | van der Waals | sum | ΔH_vap sim | ΔH_vap exp |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['coulomb']:.1f} ± {r['coulomb_sd']:.1f} | {r['vdw']:.1f} ± {r['vdw_sd']:.1f} | "
                     f"{r['coulomb'] + r['vdw']:.1f} | {_cell(r['hvap_sim'])} | {_cell(r['hvap_exp'])} |")
    write_text(out.with_suffix(".md"), "\n".join(lines) + "\n")
    write_json(out.with_suffix(".json"), rows, indent=1)
    return rows


def _cell(value) -> str:
    return "–" if value in (None, "") else f"{float(value):.2f}"
