"""Short OpenMM runs on a MolecularSystem: minimisation and NPT, with the thermostat and barostat stated here.

Protocol: LangevinMiddleIntegrator (friction 1/ps), 2 fs with hydrogen bonds constrained, Monte Carlo
barostat (1 bar, every 25 steps), CPU platform with the given number of threads.
"""

from __future__ import annotations

import numpy as np

from mlparams.errors import MlparamsError

TIMESTEP_PS = 0.002
FRICTION_PER_PS = 1.0
BAROSTAT_INTERVAL = 25


def make_simulation(system, topology, positions_nm, temperature_k=298.15, pressure_bar=1.0,
                    threads: int = 2, platform: str = "CPU", seed: int = 1, timestep_ps: float = TIMESTEP_PS):
    """An openmm.app.Simulation with Langevin dynamics, plus a barostat when pressure_bar is not None."""
    import openmm
    from openmm import app, unit

    if pressure_bar is not None:
        barostat = openmm.MonteCarloBarostat(pressure_bar * unit.bar, temperature_k * unit.kelvin, BAROSTAT_INTERVAL)
        barostat.setRandomNumberSeed(seed)
        system.addForce(barostat)
    integrator = openmm.LangevinMiddleIntegrator(
        temperature_k * unit.kelvin, FRICTION_PER_PS / unit.picosecond, timestep_ps * unit.picoseconds
    )
    integrator.setRandomNumberSeed(seed)
    props = {"Threads": str(threads)} if platform == "CPU" else {}
    sim = app.Simulation(topology, system, integrator, openmm.Platform.getPlatformByName(platform), props)
    sim.context.setPositions(np.asarray(positions_nm) * unit.nanometer)
    return sim


def run_npt(sim, steps: int, report_every: int = 250):
    """Run and return (time ps, density g/cm³, potential kJ/mol) samples; raises on NaN or a blown-up box."""
    import openmm
    from openmm import unit

    mass_g = sum(sim.system.getParticleMass(i).value_in_unit(unit.dalton) for i in range(sim.system.getNumParticles()))
    mass_g /= 6.02214076e23
    samples = []
    for done in range(0, steps, report_every):
        sim.step(min(report_every, steps - done))
        state = sim.context.getState(getEnergy=True)
        pe = state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        a, b, c = state.getPeriodicBoxVectors()
        vol_nm3 = a[0].value_in_unit(unit.nanometer) * b[1].value_in_unit(unit.nanometer) * c[2].value_in_unit(unit.nanometer)
        rho = mass_g / (vol_nm3 * 1e-21)
        t = state.getTime().value_in_unit(unit.picosecond)
        if not np.isfinite(pe) or not np.isfinite(rho):
            raise MlparamsError(f"the simulation blew up at {t:.2f} ps (energy {pe}); check the parameters")
        samples.append((t, rho, pe))
    del openmm
    return np.array(samples)
