"""Graph neural network for charges and LJ + Gaussian pair constants (Terets & Nikolayenko 2026).

Modules: ``graphs`` (RDKit molecules as graphs), ``qm_data`` (PySCF energies and virial descriptors),
``datasets`` (flat training arrays), ``model`` (MPNN, heads, pair energy), ``training`` (stages 1–3),
``predictor`` (shipped models → the parameter object), ``commands`` (``mlparams gnn …``).
"""
