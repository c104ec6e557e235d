"""Engine-neutral molecular systems: topology with GAFF2 bonded terms, coordinates, box, parameters.

A :class:`MolecularSystem` is what the OpenMM and LAMMPS exporters read. It is built from species and
counts (a liquid box packed with packmol, or one molecule in vacuum), or from a dimer file, with a named
parameter model:

* ``gaff2``: GAFF2's own Lennard-Jones 12-6 (Lorentz–Berthelot), the baseline;
* ``buckingham``, ``buckingham-liquids``, ``buckingham-gaff2`` (an experiment), ``buckingham-scans`` and
  ``buckingham-lal2023``:
  per-atom exp-6 constants predicted from element and partial charge, mixed per type pair by the model's
  mixing rule (see :mod:`mlparams.models.registry`);
* ``gnn``, ``gnn-molecules`` and ``gnn-liquids``: the graph network's own charges and LJ + Gaussian constants per type pair
  (:mod:`mlparams.gnn.predictor`).

Charges are AM1-BCC (the GNN models: their own) unless per-species charges are given. Pair exclusions and 1-4 pairs come from the bond
graph in one place (:meth:`MolecularSystem.excluded_pairs`), and every nonbonded force uses them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from mlparams.errors import MlparamsError
from mlparams.gaff2 import CHARGE_MODEL as AM1BCC, GaffParameters, parametrize
from mlparams.molecules import Species
from mlparams.parameters import AtomType, NonbondedParameters

MODELS = ("gaff2", "buckingham", "buckingham-liquids", "buckingham-gaff2", "buckingham-scans", "buckingham-lal2023", "gnn",
          "gnn-molecules", "gnn-liquids")


@dataclass
class MolecularSystem:
    """Atoms of all molecules (species blocks in order), GAFF2 bonded terms, coordinates (nm), box (nm)."""

    structure: object  # parmed.Structure: topology, masses, bonded parameters
    positions_nm: np.ndarray
    box_nm: np.ndarray | None
    parameters: NonbondedParameters
    species: list[Species]
    counts: list[int]
    meta: dict = field(default_factory=dict)

    @property
    def n_atoms(self) -> int:
        return len(self.positions_nm)

    @property
    def periodic(self) -> bool:
        return self.box_nm is not None

    @functools.cached_property
    def _pair_lists(self):
        """(excluded pairs: graph distance 1..3, 1-4 pairs: distance exactly 3), sorted i < j."""
        n = self.n_atoms
        neighbours = [[] for _ in range(n)]
        for bond in self.structure.bonds:
            i, j = bond.atom1.idx, bond.atom2.idx
            neighbours[i].append(j)
            neighbours[j].append(i)
        excluded, pairs14 = [], []
        for i in range(n):
            dist = {i: 0}
            frontier = [i]
            for depth in (1, 2, 3):
                nxt = []
                for a in frontier:
                    for b in neighbours[a]:
                        if b not in dist:
                            dist[b] = depth
                            nxt.append(b)
                frontier = nxt
            for j, d in dist.items():
                if j > i and d >= 1:
                    excluded.append((i, j))
                    if d == 3:
                        pairs14.append((i, j))
        return np.array(excluded, dtype=int).reshape(-1, 2), np.array(pairs14, dtype=int).reshape(-1, 2)

    def excluded_pairs(self) -> np.ndarray:
        """All pairs (i < j) that no nonbonded force counts in full: 1-2, 1-3 and 1-4 (shortest path)."""
        return self._pair_lists[0]

    def pairs14(self) -> np.ndarray:
        """1-4 pairs (i < j), counted with the scaled 1-4 interactions."""
        return self._pair_lists[1]


def _openmm_lj(structure):
    """Per-atom (sigma nm, epsilon kJ/mol) of a parmed structure, converted by OpenMM's unit system."""
    from openmm import unit

    sig = [(a.sigma * unit.angstrom).value_in_unit(unit.nanometer) for a in structure.atoms]
    eps = [(a.epsilon * unit.kilocalorie_per_mole).value_in_unit(unit.kilojoule_per_mole) for a in structure.atoms]
    return np.array(sig), np.array(eps)


def symmetry_averaged_charges(species: Species, q) -> tuple[np.ndarray, dict]:
    """(per-atom symmetry class, {class: charge}) where symmetry-equivalent atoms share the class mean.

    Equivalent atoms share one type, hence one charge; the molecule's total charge is unchanged.
    """
    q = np.asarray(q, dtype=float)
    if q.shape != (species.n_atoms,):
        raise MlparamsError(f"{species.smiles}: {q.size} charges given for {species.n_atoms} atoms; give one per atom in canonical order")
    classes = np.array(species.symmetry_classes())
    return classes, {c: float(q[classes == c].mean()) for c in set(classes.tolist())}


def assign_parameters(
    species: list[Species], gaff: list[GaffParameters], structures, counts, model: str,
    charges: list | None = None, mixing_rule: str | None = None,
) -> NonbondedParameters:
    """Parameters for the atoms of counts[k] copies of each species with the named model."""
    if model not in MODELS:
        raise MlparamsError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if model.startswith("gnn"):
        from mlparams.gnn.predictor import assign_gnn_parameters

        return assign_gnn_parameters(species, structures, counts, model, charges)
    types: list[AtomType] = []
    type_index: list[int] = []
    charge_model = AM1BCC if charges is None else "user-supplied"
    for k, (sp, gp, st, n) in enumerate(zip(species, gaff, structures, counts)):
        q = np.array(gp.charges if charges is None or charges[k] is None else charges[k], dtype=float)
        classes, class_q = symmetry_averaged_charges(sp, q)
        base = len(types)
        sigma, epsilon = _openmm_lj(st)
        order = sorted(class_q)
        for c in order:
            first = int(np.flatnonzero(classes == c)[0])
            vdw = {"sigma": float(sigma[first]), "epsilon": float(epsilon[first])} if model == "gaff2" else {}
            types.append(AtomType(
                name=f"{sp.smiles}#{c}", element=sp.elements[first], mass_da=float(st.atoms[first].mass),
                charge=class_q[c], vdw=vdw,
            ))
        local = [base + order.index(c) for c in classes]
        type_index.extend(local * n)
    if model == "gaff2":
        return NonbondedParameters(
            model=model, form="lj", mixing_rule="lorentz-berthelot", types=types,
            atom_type_index=np.array(type_index), charge_model=charge_model,
        )
    from mlparams.forms import buckingham as bk
    from mlparams.models.registry import load_buckingham

    predictor = load_buckingham(model)
    predicted = predictor.predict_many([t.element for t in types], [t.charge for t in types])
    for t, c in zip(types, predicted):
        t.vdw = {"A": c.A_kJ_per_mol, "B": c.B_nm, "C": c.C_kJ_per_mol_nm6}
    return NonbondedParameters(
        model=model, form="buckingham", mixing_rule=mixing_rule or predictor.mixing_rule, types=types,
        atom_type_index=np.array(type_index), charge_model=charge_model, damping_nm=bk.DAMPING_NM,
        guard_switch_nm=bk.SWITCH_NM,
    )


def gaff2_structure(gp: GaffParameters):
    """The parmed Structure of one molecule: GAFF2 types and bonded terms, σ (Å) and ε (kcal/mol) per atom."""
    import parmed

    return parmed.load_file(str(gp.prmtop), str(gp.inpcrd))


def _combine(structures, counts):
    total = None
    for st, n in zip(structures, counts):
        block = st * n
        total = block if total is None else total + block
    return total


def build_system(
    species: list[Species], counts: list[int], model: str, *, density_g_cm3: float | None = None,
    box_nm: float | None = None, positions_nm=None, seed: int = 1, charges=None, mixing_rule=None,
) -> MolecularSystem:
    """counts[k] molecules of each species: a periodic cube (density or box edge given) or a gas-phase cluster.

    Without density and box, the molecules keep ``positions_nm`` (or, for one molecule, its conformer)
    and the system is not periodic.
    """
    if len(species) != len(counts) or any(n < 1 for n in counts):
        raise MlparamsError("give one positive molecule count per species")
    gaff = [parametrize(sp) for sp in species]
    structures = [gaff2_structure(gp) for gp in gaff]
    params = assign_parameters(species, gaff, structures, counts, model, charges, mixing_rule)
    structure = _combine(structures, counts)
    box = None
    if density_g_cm3 is not None or box_nm is not None:
        from mlparams.packing import box_length_nm, pack

        edge = box_nm if box_nm is not None else box_length_nm(species, counts, density_g_cm3)
        positions = pack(species, counts, edge, seed) if positions_nm is None else np.asarray(positions_nm)
        box = np.array([edge, edge, edge])
    elif positions_nm is not None:
        positions = np.asarray(positions_nm, dtype=float)
    elif sum(counts) == 1:
        positions = species[0].positions_angstrom() * 0.1
    else:
        raise MlparamsError("several molecules need a density, a box edge or coordinates")
    if positions.shape != (params.n_atoms, 3):
        raise MlparamsError(f"{len(positions)} coordinates for {params.n_atoms} atoms")
    return MolecularSystem(structure, positions, box, params, list(species), list(counts))
