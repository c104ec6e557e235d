"""Lennard-Jones σ, ε of methane and propane identified from concentration maps (Boyko et al. 2025).

* :mod:`mlparams.diffusion.activation`: E_ac from the LJ matrix element over sp³ hybrid orbitals;
* :mod:`mlparams.diffusion.kinetics`: the particle/pore diffusion model with the Langmuir isotherm;
* :mod:`mlparams.diffusion.dataset`: sampled parameters → map stacks, stored compactly, seeded;
* :mod:`mlparams.diffusion.cnn`: the 3-D CNN that reads σ, ε, D_eff, D_p and the gas back from the maps;
* :mod:`mlparams.diffusion.methane`: the identified σ, ε as a united-atom site in the density driver.
"""
