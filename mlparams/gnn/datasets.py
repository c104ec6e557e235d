"""Training data of the GNN as flat arrays: QM conformers (molecule energies) and reference dimers (E_int).

Both share one table of molecular graphs (unique canonical SMILES); a pair of atoms is addressed by its graph
and its atom indices, so conformers of one molecule and dimers of one pair of species share their pair
constants and the networks run once per unique pair per step.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlparams.errors import MissingFileError, MlparamsError
from mlparams.gnn.graphs import ELEMENTS, NONCOVALENT, MolGraph, graph_from_smiles, graph_of, molecule_pairs

QM_SET_NAME = "qm_b3lyp_d3bj_def2svp.npz"


def default_qm_set() -> Path:
    return Path(importlib.resources.files("mlparams") / "data" / "gnn" / QM_SET_NAME)


class GraphTable:
    """Unique molecular graphs by canonical SMILES, with each graph's first row in a stacked atom table."""

    def __init__(self):
        self.graphs: list[MolGraph] = []
        self.index: dict[str, int] = {}

    def add(self, graph: MolGraph) -> int:
        if graph.smiles not in self.index:
            self.index[graph.smiles] = len(self.graphs)
            self.graphs.append(graph)
        return self.index[graph.smiles]

    def atom_offsets(self) -> np.ndarray:
        return np.cumsum([0] + [g.n_atoms for g in self.graphs[:-1]]).astype(int)


@dataclass
class ConformerSet:
    """QM conformers: graph index, coordinates (Å, canonical order), energies and descriptors (kcal/mol)."""

    graph: np.ndarray  # (n_conf,)
    coords: list  # per conformer (n, 3)
    energy_kcal: np.ndarray
    kd_total_kcal: np.ndarray  # Σ KD_atom + Σ KD_bond: the part the embedding model represents
    element_counts: np.ndarray  # (n_conf, len(ELEMENTS))
    smiles: np.ndarray
    level_of_theory: str


def load_conformers(path, table: GraphTable) -> ConformerSet:
    """Read a packed QM set (:func:`mlparams.gnn.qm_data.pack`) and register its graphs in ``table``."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path} does not exist; run `mlparams gnn qm-data` and pack it, or use the shipped set")
    z = np.load(path)
    a_off = np.cumsum(np.r_[0, z["atom_counts"]])
    b_off = np.cumsum(np.r_[0, z["bond_counts"]])
    graphs, coords, kd, counts = [], [], [], []
    cache: dict[str, MolGraph] = {}
    for k, smi in enumerate(z["smiles"].tolist()):
        if smi not in cache:
            cache[smi] = graph_from_smiles(smi)
        g = cache[smi]
        elements = tuple(z["elements"][a_off[k]:a_off[k + 1]].tolist())
        bonds = z["bonds"][b_off[k]:b_off[k + 1]]
        if elements != g.elements or {tuple(sorted(b)) for b in bonds.tolist()} != {tuple(b) for b in g.bonds.tolist()}:
            raise MlparamsError(f"{path}: conformer {k} ({smi}) does not match its SMILES's canonical atom order")
        graphs.append(table.add(g))
        coords.append(z["coords_angstrom"][a_off[k]:a_off[k + 1]])
        kd.append(z["kd_atom_kcal"][a_off[k]:a_off[k + 1]].sum() + z["kd_bond_kcal"][b_off[k]:b_off[k + 1]].sum())
        counts.append([elements.count(e) for e in ELEMENTS])
    return ConformerSet(np.array(graphs), coords, z["energy_kcal"].astype(float), np.array(kd),
                        np.array(counts, dtype=float), z["smiles"], str(z["level_of_theory"]))


@dataclass
class PairSet:
    """Pairs of many items (conformers or dimers), flat: graph/atom of each end, distance, edge type, item."""

    graph_i: np.ndarray
    atom_i: np.ndarray
    graph_j: np.ndarray
    atom_j: np.ndarray
    r_angstrom: np.ndarray
    edge_type: np.ndarray
    item: np.ndarray
    n_items: int
    # coordinates for noisy distances: item coordinates stacked, and each pair's two rows in that stack
    coords: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    row_i: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    row_j: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))


def conformer_pairs(conf: ConformerSet, table: GraphTable) -> PairSet:
    """Every intramolecular pair within the cutoff of every conformer."""
    parts = {k: [] for k in ("gi", "ai", "aj", "r", "t", "item", "ri", "rj")}
    row = 0
    for k, (g, xyz) in enumerate(zip(conf.graph, conf.coords)):
        i, j, r, t = molecule_pairs(table.graphs[g], xyz)
        for key, v in zip(("gi", "ai", "aj", "r", "t", "item", "ri", "rj"),
                          (np.full(len(i), g), i, j, r, t, np.full(len(i), k), i + row, j + row)):
            parts[key].append(v)
        row += len(xyz)
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    return PairSet(cat["gi"], cat["ai"], cat["gi"], cat["aj"], cat["r"], cat["t"], cat["item"], len(conf.graph),
                   np.concatenate(conf.coords), cat["ri"], cat["rj"])


@dataclass
class DimerSet:
    """Reference dimers: pairs i∈A, j∈B, references (kcal/mol), set names, whether a monomer is charged."""

    pairs: PairSet
    e_ref_kcal: np.ndarray
    set_name: np.ndarray
    name: np.ndarray
    charged: np.ndarray
    skipped: dict


def load_dimers(set_names, table: GraphTable, progress: bool = True) -> DimerSet:
    """Intermolecular pairs of the named vendored sets (or folders/files), monomers as canonical graphs."""
    from mlparams.dimers import read_dimers
    from mlparams.models.dimer_pairs import set_path
    from mlparams.molecules import from_xyz

    gi, ai, gj, aj, rr, items, refs, sets, names, charged = ([] for _ in range(10))
    skipped = {}
    for label in set_names:
        path = Path(label) if Path(label).exists() else set_path(label)
        dimers = list(read_dimers(path))
        it = dimers
        if progress:
            from tqdm import tqdm

            it = tqdm(dimers, desc=f"dimer graphs {Path(label).name}", unit="dimer")
        for d in it:
            tag = f"{label}:{d.info.get('name', d.path.name)}"
            try:
                if d.reference_kcal_mol is None:
                    raise MlparamsError("no E_int_kcal_mol in the comment line")
                na = d.n_a
                sa, pa = from_xyz(d.symbols[:na], d.coords_angstrom[:na], d.charge_a, f"{tag} A")
                sb, pb = from_xyz(d.symbols[na:], d.coords_angstrom[na:], d.charge_b, f"{tag} B")
                ga, gb = table.add(graph_of(sa)), table.add(graph_of(sb))
            except MlparamsError as exc:
                skipped[tag] = str(exc)
                continue
            xa = np.empty((na, 3))
            xa[pa] = d.coords_angstrom[:na]  # canonical atom perm[k] is file atom k
            xb = np.empty((len(d.symbols) - na, 3))
            xb[pb] = d.coords_angstrom[na:]
            i, j = np.meshgrid(np.arange(len(xa)), np.arange(len(xb)), indexing="ij")
            i, j = i.ravel(), j.ravel()
            k = len(refs)
            gi.append(np.full(i.size, ga))
            gj.append(np.full(i.size, gb))
            ai.append(i)
            aj.append(j)
            rr.append(np.linalg.norm(xa[i] - xb[j], axis=1))
            items.append(np.full(i.size, k))
            refs.append(d.reference_kcal_mol)
            sets.append(str(d.info.get("set", Path(label).name)))
            names.append(str(d.info.get("name", d.path.name)))
            charged.append(bool(d.charge_a or d.charge_b))
    if not refs:
        raise MlparamsError(f"no dimer in {', '.join(map(str, set_names))} could be read; first reason: {next(iter(skipped.values()), 'none')}")
    r = np.concatenate(rr)
    pairs = PairSet(np.concatenate(gi), np.concatenate(ai), np.concatenate(gj), np.concatenate(aj), r,
                    np.full(r.size, NONCOVALENT), np.concatenate(items), len(refs))
    return DimerSet(pairs, np.array(refs), np.array(sets), np.array(names), np.array(charged), skipped)
