"""Neural-network fits of potential-energy curves and surfaces (after the PES-fitting paper in the seeds).

* :mod:`mlparams.pes.potentials`: the analytic curves and surfaces, their data definitions (ranges, sampling,
  units) and user-supplied r–E tables;
* :mod:`mlparams.pes.network`: the multilayer perceptrons, their training (80/20 split, MSE, Adam, early
  stopping) and storage;
* :mod:`mlparams.pes.sweep`: the paper's hyperparameter grid, run in parallel, with loss matrices and plots;
* :mod:`mlparams.pes.tabulate`: a fitted 1-D pair curve as the parameter object's tabulated form, which the
  OpenMM and LAMMPS exporters turn into a Continuous1DFunction and a ``pair_style table`` file.
"""
