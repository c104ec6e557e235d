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

import math

import numpy as np

from mlparams.errors import MlparamsError

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
