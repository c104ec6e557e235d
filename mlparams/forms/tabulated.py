"""A tabulated 1-D pair potential per type pair (the neural-network PES fits fill it).

    E(r) = spline through (r_i, E_i) on a uniform grid r_0 … r_max

Units: r in nm, E in kJ/mol. The parameter object carries the grid (``table_r_nm``) and one energy row per
type pair; OpenMM interpolates with a natural cubic spline (Continuous2DFunction over r and the pair index,
exact at integer pair indices), and the NumPy reference below uses the same spline.
"""

from __future__ import annotations

import numpy as np

NAME = "tabulated"
PARAMETERS = ()
PARAMETER_UNITS = {"r": "nm", "energy": "kJ/mol"}
MIXING_RULES = ("none",)
DEFAULT_MIXING_RULE = "none"


def energy(r, r_grid, e_grid):
    """Natural cubic spline of the table at r (nm); kJ/mol."""
    from scipy.interpolate import CubicSpline

    return CubicSpline(np.asarray(r_grid), np.asarray(e_grid), bc_type="natural")(np.asarray(r, dtype=float))


def force(r, r_grid, e_grid):
    """−dE/dr of the spline, kJ/mol/nm."""
    from scipy.interpolate import CubicSpline

    return -CubicSpline(np.asarray(r_grid), np.asarray(e_grid), bc_type="natural")(np.asarray(r, dtype=float), 1)
