"""mlparams: machine-learned nonbonded parameters for OpenMM and LAMMPS.

Units inside the package are OpenMM's: nm, kJ/mol, e, ps, K (see :mod:`mlparams.units`).
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())


def predict(element, charge, model="buckingham"):
    """Buckingham exp-6 constants of one atom from its element and partial charge (e).

    Returns a :class:`mlparams.forms.buckingham.BuckinghamConstants` with A in kJ/mol, B in nm and C in
    kJ/mol·nm⁶ for E(r) = A·exp(−r/B) − C/r⁶. ``model`` is ``"buckingham"`` (fitted to dimer
    interaction energies, C ≥ 0), ``"buckingham-liquids"`` (fitted to the dimers and to 16 liquids'
    pressures at their experimental densities, from a GAFF2-imitating start: the model for liquids),
    ``"buckingham-gaff2"`` (an experiment: the network fitted to GAFF2's LJ curves; ``fit-gaff2-prior`` writes it), ``"buckingham-scans"`` (the paper's recipe on its covalent scans, C ≥ 0) or
    ``"buckingham-lal2023"`` (the authors' constants, C ≤ 0).
    """
    from mlparams.models.registry import load_buckingham

    return load_buckingham(model).predict(element, charge)


__all__ = ["predict", "__version__"]
