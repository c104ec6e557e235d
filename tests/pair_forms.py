"""Test helper: a GAFF2 system's own LJ rewritten in the per-type-pair forms (LJ + Gaussians, tabulated)."""

import numpy as np

from mlparams.forms import lj as lj_form
from mlparams.forms import lj_gaussian as lg
from mlparams.parameters import NonbondedParameters


def rewrite_lj(msys, form, gaussian_amplitude=0.0, grid=None):
    """Replace msys.parameters (a gaff2 system) by the same LJ as ``lj-gaussian`` (plus Gaussians of the given
    alternating amplitude, kJ/mol) or as a ``tabulated`` form on ``grid`` (nm)."""
    base = msys.parameters
    table = base.pair_table()
    sig, eps = table["sigma"], table["epsilon"]
    extra = {}
    if form == "lj-gaussian":
        pair = {"C6": 4 * eps * sig**6, "C12": 4 * eps * sig**12}
        for k in range(1, lg.N_GAUSSIANS + 1):
            pair[f"a{k}"] = np.full_like(sig, gaussian_amplitude * (-1) ** k)
            pair[f"r{k}"] = np.full_like(sig, 0.12 + 0.06 * (k - 1))  # the paper's centres, 1.2 + 0.6(k-1) Å
            pair[f"w{k}"] = np.full_like(sig, 0.05)
    else:
        pair = {"energy": lj_form.energy(grid[None, None, :], sig[:, :, None], eps[:, :, None])}
        extra = {"table_r_nm": np.asarray(grid).tolist()}
    msys.parameters = NonbondedParameters(
        model="test", form=form, mixing_rule="none", types=base.types, atom_type_index=base.atom_type_index,
        charge_model=base.charge_model, pair_vdw=pair, **extra,
    )
    return msys
