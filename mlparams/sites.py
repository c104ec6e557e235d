"""One-particle species: a noble-gas atom or a united-atom group (methane as one CH₄ site).

A :class:`Site` stands where a :class:`mlparams.molecules.Species` stands in a
:class:`mlparams.systems.MolecularSystem` (one atom, no bonds, net charge 0), so the OpenMM and LAMMPS
exporters and the density driver's engine runners take atomic fluids unchanged. The van der Waals term
comes from the parameter object (for example a tabulated neural-network pair curve, or a united-atom LJ site).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlparams.errors import MlparamsError

AVOGADRO = 6.02214076e23
#: Masses (Da) of the sites known by name; united atoms carry their hydrogens' mass.
KNOWN_SITES = {"Ne": (10, 20.1797), "Ar": (18, 39.948), "Kr": (36, 83.798), "Xe": (54, 131.293),
               "CH4": (6, 16.043)}


@dataclass(frozen=True)
class Site:
    """A one-particle species: name, element of its topology atom (atomic number), mass (Da)."""

    name: str
    atomic_number: int
    mass_da: float
    n_atoms: int = 1
    net_charge: int = 0

    @property
    def smiles(self) -> str:
        return self.name

    @property
    def elements(self) -> list[str]:
        from openmm.app import Element

        return [Element.getByAtomicNumber(self.atomic_number).symbol]


def site(name: str, mass_da: float | None = None) -> Site:
    """A known site by name (Ne, Ar, Kr, Xe, CH4), or any name with a mass given."""
    if name in KNOWN_SITES and mass_da is None:
        z, m = KNOWN_SITES[name]
        return Site(name, z, m)
    if mass_da is None or not mass_da > 0:
        raise MlparamsError(f"site {name!r} is not one of {', '.join(KNOWN_SITES)}; give its mass in Da (e.g. --mass 20.18)")
    z = KNOWN_SITES.get(name, (6, None))[0]
    return Site(name, z, float(mass_da))


def lattice_positions(n: int, edge_nm: float, seed: int = 1) -> np.ndarray:
    """n points on a simple cubic lattice filling a cube of the given edge, jittered by 5 % of the spacing."""
    per_side = int(np.ceil(n ** (1.0 / 3.0)))
    spacing = edge_nm / per_side
    idx = np.array([(i, j, k) for i in range(per_side) for j in range(per_side) for k in range(per_side)])[:n]
    rng = np.random.default_rng(seed)
    return (idx + 0.5) * spacing + rng.uniform(-0.05, 0.05, size=(n, 3)) * spacing


def atomic_fluid(s: Site, n: int, parameters, density_g_cm3: float, seed: int = 1):
    """A periodic cube of n sites at the given density, with the parameter object ``parameters``."""
    import parmed

    from mlparams.systems import MolecularSystem

    if n < 2 or not density_g_cm3 > 0:
        raise MlparamsError(f"an atomic fluid needs at least 2 sites and a positive density, not n={n}, rho={density_g_cm3}")
    if parameters.n_atoms != n:
        raise MlparamsError(f"the parameters describe {parameters.n_atoms} atoms, the fluid has {n}")
    st = parmed.Structure()
    symbol = s.elements[0]
    for k in range(n):
        atom = parmed.Atom(name=symbol, type=s.name, charge=0.0, mass=s.mass_da, atomic_number=s.atomic_number)
        st.add_atom(atom, s.name[:3].upper(), k + 1)
    edge_nm = (n * s.mass_da / AVOGADRO / density_g_cm3 * 1e21) ** (1.0 / 3.0)
    pos = lattice_positions(n, edge_nm, seed)
    st.coordinates = pos * 10.0
    return MolecularSystem(st, pos, np.array([edge_nm] * 3), parameters, [s], [n], meta={"site": s.name})


def lj_site_parameters(site, n_sites: int, sigma_nm: float, epsilon_kj: float, name: str = "lj"):
    """The analytic Lennard-Jones reference: n identical uncharged sites with σ, ε."""
    from mlparams.parameters import AtomType, NonbondedParameters

    return NonbondedParameters(
        model=name, form="lj", mixing_rule="lorentz-berthelot",
        types=[AtomType(name=site.name, element=site.elements[0], mass_da=site.mass_da, charge=0.0,
                        vdw={"sigma": sigma_nm, "epsilon": epsilon_kj})],
        atom_type_index=np.zeros(n_sites, dtype=int), charge_model="none (uncharged sites)",
    )
