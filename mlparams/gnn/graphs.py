"""Molecular graphs for the GNN (Terets & Nikolayenko): nodes are atoms, edges covalent bonds or contacts.

* Node features: one-hot element over the paper's nine (H, C, N, O, F, S, Cl, Br, P), plus the atom's
  formal charge (an addition: without it a carboxylate and a carboxylic acid's graphs differ only by one H).
* Edge features: one-hot bond type (single, double, triple, aromatic) for covalent bonds, then channels for
  non-covalent pairs: 1-3 and 1-4 pairs of a molecule (an addition: otherwise a geminal H–H pair at 1.8 Å
  would have to share its constants with intermolecular H···H contacts), and every other pair (1-5 and
  beyond, and all intermolecular pairs), which is what the engines use.
* The message passing runs over covalent bonds only, so embeddings depend on the structural formula and
  not on the geometry; symmetry-equivalent atoms get equal embeddings, hence one type in the engines.

Pairs that enter the energy: every pair of atoms of a molecule (or of two molecules) within
``PAIR_CUTOFF_A`` (torch.cdist), with covalent pairs marked so E_LR skips them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlparams.errors import UnknownElementError

ELEMENTS = ("H", "C", "N", "O", "F", "S", "Cl", "Br", "P")
BOND_TYPES = ("SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")
N_NODE_FEATURES = len(ELEMENTS) + 1
PAIR13 = len(BOND_TYPES)
PAIR14 = len(BOND_TYPES) + 1
NONCOVALENT = len(BOND_TYPES) + 2
N_EDGE_FEATURES = len(BOND_TYPES) + 3
#: Pairs farther apart than this (Å) are left out of the molecular energies (the Gaussians vanish there).
PAIR_CUTOFF_A = 10.0


@dataclass
class MolGraph:
    """One molecule's graph: node features (n, 10), bonds (m, 2) with i < j, bond type index (m,), charge."""

    smiles: str
    elements: tuple
    node_features: np.ndarray
    bonds: np.ndarray
    bond_type: np.ndarray
    net_charge: int

    @property
    def n_atoms(self) -> int:
        return len(self.elements)

    def pair_type_matrix(self) -> np.ndarray:
        """(n, n) edge type of every pair: bond type, PAIR13, PAIR14 or NONCOVALENT."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import shortest_path

        n = self.n_atoms
        adj = coo_matrix((np.ones(len(self.bonds)), (self.bonds[:, 0], self.bonds[:, 1])), shape=(n, n))
        hops = shortest_path(adj.tocsr(), directed=False, unweighted=True)
        m = np.full((n, n), NONCOVALENT, dtype=int)
        m[hops == 2] = PAIR13
        m[hops == 3] = PAIR14
        m[self.bonds[:, 0], self.bonds[:, 1]] = self.bond_type
        m[self.bonds[:, 1], self.bonds[:, 0]] = self.bond_type
        return m


def graph_of(species) -> MolGraph:
    """The graph of a :class:`mlparams.molecules.Species` (canonical atom order)."""
    mol = species.mol
    x = np.zeros((mol.GetNumAtoms(), N_NODE_FEATURES), dtype=np.float32)
    for a in mol.GetAtoms():
        sym = a.GetSymbol()
        if sym not in ELEMENTS:
            raise UnknownElementError(
                f"{species.smiles}: element {sym} is outside the GNN's elements {', '.join(ELEMENTS)}; use another model"
            )
        x[a.GetIdx(), ELEMENTS.index(sym)] = 1.0
        x[a.GetIdx(), -1] = a.GetFormalCharge()
    bonds, types = [], []
    for b in mol.GetBonds():
        name = str(b.GetBondType())
        if name not in BOND_TYPES:
            raise UnknownElementError(f"{species.smiles}: bond type {name} is not handled; give a Kekulé or aromatic structure")
        i, j = sorted((b.GetBeginAtomIdx(), b.GetEndAtomIdx()))
        bonds.append((i, j))
        types.append(BOND_TYPES.index(name))
    return MolGraph(species.smiles, tuple(species.elements), x, np.array(bonds, dtype=int).reshape(-1, 2),
                    np.array(types, dtype=int), int(species.net_charge))


def graph_from_smiles(smiles: str) -> MolGraph:
    """Graph of a SMILES (hydrogens added, canonical atom order; the conformer is not used)."""
    from mlparams.molecules import from_smiles

    return graph_of(from_smiles(smiles))


@dataclass
class GraphBatch:
    """Several graphs stacked: node features, bond list (both directions) and the graph of each atom."""

    node_features: object  # torch (N, 10)
    edge_src: object  # torch (2M,)
    edge_dst: object
    edge_type: object  # torch (2M,) bond type index
    atom_graph: object  # torch (N,)
    offsets: np.ndarray  # first atom of each graph
    graphs: list


def batch(graphs: list[MolGraph]) -> GraphBatch:
    import torch

    offsets = np.cumsum([0] + [g.n_atoms for g in graphs[:-1]])
    fwd_src = np.concatenate([g.bonds[:, 0] + o for g, o in zip(graphs, offsets)] + [np.zeros(0, dtype=int)])
    fwd_dst = np.concatenate([g.bonds[:, 1] + o for g, o in zip(graphs, offsets)] + [np.zeros(0, dtype=int)])
    typ = np.concatenate([g.bond_type for g in graphs] + [np.zeros(0, dtype=int)])
    as_long = lambda a: torch.as_tensor(a, dtype=torch.long)  # noqa: E731
    return GraphBatch(  # directed edges: every bond forwards (the first half), then backwards
        torch.as_tensor(np.concatenate([g.node_features for g in graphs])), as_long(np.r_[fwd_src, fwd_dst]),
        as_long(np.r_[fwd_dst, fwd_src]), as_long(np.r_[typ, typ]),
        as_long(np.repeat(np.arange(len(graphs)), [g.n_atoms for g in graphs])), offsets, graphs,
    )


def molecule_pairs(graph: MolGraph, coords_angstrom, cutoff: float = PAIR_CUTOFF_A):
    """(i, j, r in Å, edge type) of every pair i < j of one molecule within the cutoff (torch.cdist)."""
    import torch

    xyz = torch.as_tensor(np.asarray(coords_angstrom), dtype=torch.float64)
    dist = torch.cdist(xyz, xyz).numpy()
    i, j = np.triu_indices(graph.n_atoms, 1)
    keep = dist[i, j] <= cutoff
    i, j = i[keep], j[keep]
    return i, j, dist[i, j], graph.pair_type_matrix()[i, j]
