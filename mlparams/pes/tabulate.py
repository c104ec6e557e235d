"""A fitted 1-D pair curve as the parameter object's tabulated form, for OpenMM and LAMMPS.

The table holds E(r) (kJ/mol) and the force −dE/dr (kJ/mol/nm) from the network's own derivative on a
uniform grid from ``r_min`` to the cutoff (spacing 0.0005 nm by default). OpenMM interpolates the energies
with a natural cubic spline (Continuous1DFunction); the LAMMPS writer writes the network's forces beside the
energies into its ``pair_style table`` file. Inside the fitted range the table is the network. Below it the
curve continues as a straight line with the network's slope at the inner end, E(r) = E(r₀) + F(r₀)(r₀ − r),
so the wall stays repulsive and finite (the network's extrapolation is not trusted). A cutoff beyond the
fitted range is refused. Both engines truncate the table at the cutoff (no shift, no tail correction).
"""

from __future__ import annotations

import numpy as np

from mlparams.errors import MlparamsError
from mlparams.parameters import AtomType, NonbondedParameters
from mlparams.pes.potentials import ENERGY_UNITS_KJ_MOL, LENGTH_UNITS_NM

TABLE_SPACING_NM = 0.0005


def md_units(net) -> tuple[float, float]:
    """(nm per input unit, kJ/mol per energy unit) of a fitted pair curve; an error for surfaces."""
    info = net.info
    if len(info.get("inputs", [])) != 1 or info.get("length_unit") not in LENGTH_UNITS_NM \
            or info.get("energy_unit") not in ENERGY_UNITS_KJ_MOL:
        raise MlparamsError(f"network {info.get('dataset')} is not a pair curve in physical units; only 1-D r–E fits "
                            "(lj, morse or a table) become MD pair potentials")
    return LENGTH_UNITS_NM[info["length_unit"]], ENERGY_UNITS_KJ_MOL[info["energy_unit"]]


def fitted_range_nm(net) -> tuple[float, float]:
    nm, _ = md_units(net)
    lo, hi = net.info["x_range"]
    return float(lo[0]) * nm, float(hi[0]) * nm


def pair_table(net, cutoff_nm: float, r_min_nm: float | None = None, spacing_nm: float = TABLE_SPACING_NM):
    """(r nm, E kJ/mol, F kJ/mol/nm) on a uniform grid ending at the cutoff."""
    nm, kj = md_units(net)
    r0, r1 = fitted_range_nm(net)
    if cutoff_nm > r1 + 1e-9:
        raise MlparamsError(f"cutoff {cutoff_nm} nm lies beyond the fitted range (up to {r1:.4f} nm); use a cutoff "
                            f"<= {r1:.4f} nm or fit a longer scan")
    if cutoff_nm <= r0:
        raise MlparamsError(f"cutoff {cutoff_nm} nm lies inside the fitted curve's inner end {r0:.4f} nm; use a longer cutoff")
    r_min = 0.5 * r0 if r_min_nm is None else float(r_min_nm)
    n = int(np.ceil((cutoff_nm - r_min) / spacing_nm)) + 1
    r = np.linspace(cutoff_nm - (n - 1) * spacing_nm, cutoff_nm, n)
    r = r[r > 0]
    e = np.empty_like(r)
    f = np.empty_like(r)
    inside = r >= r0
    e[inside] = net.energy(r[inside, None] / nm) * kj
    f[inside] = -net.gradient(r[inside, None] / nm)[:, 0] * kj / nm
    e0 = float(net.energy([[r0 / nm]])[0]) * kj
    f0 = float(-net.gradient([[r0 / nm]])[0, 0]) * kj / nm
    if f0 <= 0:
        raise MlparamsError(f"the fitted curve is not repulsive at its inner end ({r0:.4f} nm, force {f0:.3g} kJ/mol/nm); "
                            "fit a scan that reaches into the repulsive wall")
    e[~inside] = e0 + f0 * (r0 - r[~inside])
    f[~inside] = f0
    return r, e, f


def site_parameters(net, site, n_sites: int, cutoff_nm: float, spacing_nm: float = TABLE_SPACING_NM,
                    name: str | None = None) -> NonbondedParameters:
    """The parameter object of n identical uncharged sites interacting through the fitted curve."""
    r, e, f = pair_table(net, cutoff_nm, spacing_nm=spacing_nm)
    return NonbondedParameters(
        model=name or f"pes:{net.info['dataset']}", form="tabulated", mixing_rule="none",
        types=[AtomType(name=site.name, element=site.elements[0], mass_da=site.mass_da, charge=0.0, vdw={})],
        atom_type_index=np.zeros(n_sites, dtype=int), charge_model="none (uncharged sites)",
        pair_vdw={"energy": e[None, None, :], "force": f[None, None, :]}, table_r_nm=r.tolist(),
        notes={"network": {k: net.info[k] for k in ("dataset", "description", "config", "val_mse", "energy_unit",
                                                     "length_unit") if k in net.info},
               "inner_continuation": "linear below the fitted range", "cutoff_nm": cutoff_nm},
    )
