"""The shipped Buckingham exp-6 models, by name: one place that knows which class loads which file.

* ``buckingham`` (default): fitted to intermolecular CCSD(T)-level dimer energies
  (:mod:`mlparams.models.buckingham_dimers`); C ≥ 0; elements H, C, N, O, S.
* ``buckingham-liquids``: the same network started from ``buckingham-gaff2`` and fitted to the dimers and to
  16 liquids' pressures at the experimental density by reweighted rounds of sampling
  (:mod:`mlparams.models.buckingham_liquids`); the model for condensed phases. ``mlparams buckingham
  train-liquids`` writes it.
* ``buckingham-gaff2`` (an experiment, not shipped: ``mlparams buckingham fit-gaff2-prior`` writes it): the same
  network fitted to imitate GAFF2's Lennard-Jones, the start of the liquid fit (:mod:`mlparams.models.gaff2_prior`).
* ``buckingham-scans``: the paper's random forest on labels refitted from its homonuclear QM scans with the
  true Coulomb constant and C ≥ 0 (:mod:`mlparams.models.buckingham_rf`).
* ``buckingham-lal2023``: the paper's random forest on the authors' published constants (C ≤ 0).

Every model has ``predict``, ``predict_many``, ``in_training_set``, ``metrics`` and ``mixing_rule``.
"""

from __future__ import annotations

import functools

from mlparams.errors import ModelNotTrainedError

BUCKINGHAM_MODELS = ("buckingham", "buckingham-liquids", "buckingham-scans", "buckingham-lal2023")
#: Models that exist once a command has written them (experiments, not shipped): loadable by name.
EXPERIMENTAL_MODELS = ("buckingham-gaff2",)
#: Models stored as network files of :mod:`mlparams.models.buckingham_dimers`.
_NETWORK_MODELS = ("buckingham", "buckingham-liquids") + EXPERIMENTAL_MODELS


@functools.lru_cache(maxsize=None)
def load_buckingham(name: str = "buckingham"):
    """The shipped model of that name (cached)."""
    from mlparams.models import buckingham_dimers, buckingham_rf

    if name in _NETWORK_MODELS:
        return buckingham_dimers.load_model_file(buckingham_rf.model_dir() / f"{name}.joblib")
    if name in buckingham_rf.MODELS:
        return buckingham_rf.load_model(name)
    raise ModelNotTrainedError(f"unknown Buckingham model {name!r}; choose one of "
                               f"{', '.join(BUCKINGHAM_MODELS + EXPERIMENTAL_MODELS)}")
