"""The shipped GNN models as predictors of charges and LJ + Gaussian pair constants for the engines.

* ``gnn``: stages 1–3 (molecule energies, then CCSD(T)-level dimer interaction energies of the training
  sets); the default GNN model.
* ``gnn-molecules``: stages 1–2 only, the paper's training on molecule energies.

For MD every nonbonded pair uses the constants of the non-covalent edge channel (the intermolecular one);
1-2 and 1-3 pairs are excluded and 1-4 pairs scaled by the engines' 1-4 policy, with GAFF2 bonded terms.
Constants are converted from the model's kcal/mol and Å to OpenMM units here:
C6 = C0·4.184e-6 kJ/mol·nm⁶, C12 = C1·4.184e-12 kJ/mol·nm¹², a_k = C_2k·4.184 kJ/mol,
r_k = (1.2 + 0.6(k−1))/10 nm, w_k = √(C_{2k+1}² + 1e-5)/10 nm.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
from pathlib import Path

import numpy as np

from mlparams.errors import ModelNotTrainedError

GNN_MODELS = ("gnn", "gnn-molecules", "gnn-liquids")
KCAL_TO_KJ = 4.184


def shipped_model_dir() -> Path:
    return Path(importlib.resources.files("mlparams") / "data" / "models" / "gnn")


def model_dir() -> Path:
    """The folder the model names ``gnn`` and ``gnn-molecules`` load from: the shipped one, or
    ``$MLPARAMS_GNN_MODEL_DIR`` (e.g. a model trained with other settings, for the drivers)."""
    override = os.environ.get("MLPARAMS_GNN_MODEL_DIR")
    return Path(override) if override else shipped_model_dir()


class GnnPredictor:
    """A trained stage-1 MPNN and stage-2/3 heads, evaluated in double precision."""

    def __init__(self, embedding_model, heads, meta: dict):
        self.embedding_model = embedding_model.eval()
        self.heads = heads.eval()
        self.meta = meta

    def embeddings(self, graphs):
        """Per-graph embeddings (list of (n_atoms, hidden) tensors)."""
        import torch

        from mlparams.gnn.graphs import batch

        with torch.no_grad():
            b = batch(graphs)
            h = self.embedding_model.mpnn(b)
        return list(torch.split(h, [g.n_atoms for g in graphs]))

    def charges(self, graph, h) -> np.ndarray:
        """Per-atom charges (e) of one molecule, summing exactly to its formal charge. A model whose metadata
        holds ``charge_scale`` s (an experiment: :mod:`mlparams.validation.charge_scale`) gives
        q̄ + s·(q − q̄), q̄ the formal charge over the atom count: every bond dipole times s, the sum kept."""
        import torch

        with torch.no_grad():
            q = self.heads.charges(h, torch.zeros(len(h), dtype=torch.long),
                                   torch.tensor([float(graph.net_charge)], dtype=torch.float64), 1)
        q = q.numpy().astype(float)
        q = q - (q.sum() - graph.net_charge) / len(q)
        mean = graph.net_charge / len(q)
        return mean + float(self.meta.get("charge_scale", 1.0)) * (q - mean)

    def pair_constants(self, h_a, h_b) -> np.ndarray:
        """(len(h_a), len(h_b), 14) non-covalent constants [C0, C1, C2..C13] (kcal/mol, Å)."""
        import torch

        from mlparams.gnn.graphs import NONCOVALENT

        na, nb = len(h_a), len(h_b)
        i, j = torch.meshgrid(torch.arange(na), torch.arange(nb), indexing="ij")
        with torch.no_grad():
            c = self.heads.pair_constants(h_a[i.ravel()], h_b[j.ravel()], torch.full((na * nb,), NONCOVALENT))
        return c.numpy().reshape(na, nb, 14)


def assign_gnn_parameters(species, structures, counts, model: str, charges=None):
    """NonbondedParameters of counts[k] copies of each species: types by symmetry class, GNN charges (unless
    given per species), LJ + Gaussian constants for every type pair (within and across species)."""
    import torch

    from mlparams.gnn.graphs import graph_of
    from mlparams.parameters import AtomType, NonbondedParameters

    predictor = load(model)
    graphs = [graph_of(sp) for sp in species]
    hs = predictor.embeddings(graphs)
    types, type_index, reps = [], [], []
    for k, (sp, st, g, h, n) in enumerate(zip(species, structures, graphs, hs, counts)):
        given = charges is not None and charges[k] is not None
        q = np.asarray(charges[k], dtype=float) if given else predictor.charges(g, h)
        local, first_atoms, class_ids, type_q = type_classes(sp, q)
        base = len(types)
        for first, c, qt in zip(first_atoms, class_ids, type_q):
            types.append(AtomType(name=f"{sp.smiles}#{c}", element=sp.elements[first],
                                  mass_da=float(st.atoms[first].mass), charge=qt, vdw={}))
            reps.append((k, first))
        type_index.extend((base + local).tolist() * n)
    rep_h = torch.stack([hs[k][i] for k, i in reps])
    c = predictor.pair_constants(rep_h, rep_h)
    c = 0.5 * (c + np.swapaxes(c, 0, 1))  # symmetric to round-off already; exactly symmetric for the engines
    charge_model = "user-supplied" if charges is not None and any(q is not None for q in charges) else f"{model} charge_net"
    return NonbondedParameters(
        model=model, form="lj-gaussian", mixing_rule="none", types=types, atom_type_index=np.array(type_index),
        charge_model=charge_model, pair_vdw=to_openmm_constants(c),
        notes={"gnn_constants_kcal_angstrom": "C0 (r^-6), C1 (r^-12), (amplitude, width) x 6; see mlparams.gnn.model"},
    )


def type_classes(species, q) -> tuple[np.ndarray, list[int], list[int], list[float]]:
    """One species' atom types: (per-atom local type index, first atom of each type, its symmetry class,
    type charges in e).

    Types are symmetry classes in ascending class order, charged with the class mean of ``q``; the first atom
    of a type stands for it when the network is asked for the type's constants.
    """
    from mlparams.systems import symmetry_averaged_charges

    classes, class_q = symmetry_averaged_charges(species, q)
    order = sorted(class_q)
    first_atoms = [int(np.flatnonzero(classes == c)[0]) for c in order]
    local = np.array([order.index(c) for c in classes])
    return local, first_atoms, order, [class_q[c] for c in order]


def to_openmm_constants(c) -> dict:
    """LJ + Gaussian constants in OpenMM units (see the module docstring) from model constants (..., 14)."""
    from mlparams.gnn.model import GAUSSIAN_CENTRES_A, WIDTH_EPSILON_A2

    c = np.asarray(c, dtype=float)
    out = {"C6": c[..., 0] * KCAL_TO_KJ * 1e-6, "C12": c[..., 1] * KCAL_TO_KJ * 1e-12}
    for k, centre in enumerate(GAUSSIAN_CENTRES_A, start=1):
        out[f"a{k}"] = c[..., 2 * k] * KCAL_TO_KJ
        out[f"r{k}"] = np.full(c.shape[:-1], centre / 10.0)
        out[f"w{k}"] = np.sqrt(c[..., 2 * k + 1] ** 2 + WIDTH_EPSILON_A2) / 10.0
    return out


def lj_sigma_epsilon(c) -> tuple[np.ndarray, np.ndarray]:
    """σ (Å) and ε (kcal/mol) of the LJ part: σ = (C1/C0)^(1/6), ε = C0²/(4·C1) (the paper's eq. 27 corrected)."""
    c = np.asarray(c, dtype=float)
    return (c[..., 1] / c[..., 0]) ** (1.0 / 6.0), c[..., 0] ** 2 / (4.0 * c[..., 1])


@functools.lru_cache(maxsize=None)
def load(name: str = "gnn", folder: str | None = None) -> GnnPredictor:
    """A shipped (or given folder's) GNN model by name."""
    from mlparams.gnn.model import EmbeddingModel, ParameterHeads
    from mlparams.model_files import load_model

    if name not in GNN_MODELS:
        raise ModelNotTrainedError(f"unknown GNN model {name!r}; choose one of {', '.join(GNN_MODELS)}")
    root = Path(folder) if folder else model_dir()
    how = "`mlparams gnn train` (it writes mlparams/data/models/gnn)"
    # A folder with only stage-3 heads (gnn.pt) shares the shipped stage-1 embeddings.
    emb_root = root if (root / "embeddings.pt").is_file() else shipped_model_dir()
    meta_e, state_e = load_model(emb_root, "embeddings", how)
    meta_h, state_h = load_model(root, name, how)
    emb = EmbeddingModel(meta_e["hidden"])
    emb.load_state_dict(state_e)
    heads = ParameterHeads(meta_e["hidden"], meta_h["width"])
    heads.load_state_dict(state_h)
    return GnnPredictor(emb, heads, {"embeddings": meta_e, **meta_h})
