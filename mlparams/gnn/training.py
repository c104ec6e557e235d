"""Training the GNN: stage 1 on virial descriptors, stage 2 on molecule energies, stage 3 on dimer energies.

* Stage 1 (paper, eq. 16): MAE between Σ_i KD̂_i^atom + Σ_bonds KD̂_ij^edge and the QM value, per conformer,
  after subtracting a least-squares baseline on element counts (the descriptors are ~10⁵ kcal/mol, mostly
  core electrons). Adam, batch 64 conformers.
* Stage 2 (paper): on the frozen embeddings, ``charge_net`` and ``feats_net`` with MAE between Σ_pairs E_ij +
  E_lin and the QM energy (E_lin: least squares on element counts, eq. 24); Gaussian noise of 0.005 Å on the
  coordinates; Adam 1e-3, ×0.8 every 20 epochs. This is the model ``gnn-molecules``.
* Stage 3 (beyond the paper): continue from stage 2 on the intermolecular interaction energies of the
  training dimer sets (weighted MSE, w = exp(−max(E_ref, 0)/8 kcal/mol), neutral dimers; 20 % held out for
  model selection) plus 0.1 × the stage-2 loss so molecule energies stay in view. This is ``gnn``.
* Liquid stage (beyond the paper, :meth:`HeadTrainer.stage_liquids`): stage 3 continued with ``charge_net``
  frozen and the pressure of liquids at their experimental density on reweighted frames the model sampled
  (:mod:`mlparams.gnn.liquids`). This is ``gnn-liquids``.

Both parameter stages add a physical penalty so the constants are safe in MD: for every non-covalent pair
seen, for 2048 random atom pairs drawn from all molecules and for every atom pair of 16 random molecules each
step (their neat liquids' type pairs), the van der Waals energy must fall
with r (by at least 0.02 kcal/mol per 0.05 Å) below 1.6 Å (pairs with H) or 2.6 Å (heavy pairs), and van
der Waals plus Coulomb below 1.2 Å.

Charge anchor (beyond the paper): in stages 2 and 3 the loss adds 100 kcal/mol·e⁻² × the mean squared
deviation of the predicted charges from each molecule's symmetry-averaged AM1-BCC charges (the GAFF2 cache),
so charges stay transferable to chemistry the ~160 training molecules do not cover; energies alone leave them
loosely determined. Molecules AM1-BCC cannot type are left out of this term.

GAFF2 wall (an experiment, off in the shipped model): with ``gaff2_wall_weight`` > 0, stage 3 also asks that on
the same random and neat-liquid atom pairs the GNN's van der Waals energy not fall below GAFF2's Lennard-Jones
energy (Lorentz-Berthelot mixing of the atoms' GAFF2 types) on its repulsive branch, r = 0.80, 0.85, 0.90 and
0.95 σ_ij: mean of max(E_LJ − E_GNN, 0) in kcal/mol, times the weight. Molecule energies and gas-phase dimers
near equilibrium barely constrain the repulsion at liquid contact distances. At weight 30 it brought the four
Table-5 liquids from 26.5 to 11.3 % mean density error but left a van der Waals well between acetic acid's
hydroxyl hydrogens (1.6 Å) and cost dimer accuracy, so it is not shipped (README, validation/results/gnn/gaff2_wall_w30/).
With ``gaff2_band`` = (low, high) the wall becomes a two-sided band at fixed GAFF2 energies (BAND_LEVELS_KCAL), and
``gaff2_well_factor`` = k adds a bound on the well depth (k·ε_ij): both experiments, not shipped either (README).

Molecules are split 85/15 by SMILES (every conformer of a molecule on one side). JSCH and S22by7 are never
read here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlparams.gnn.datasets import ConformerSet, DimerSet, GraphTable, PairSet
from mlparams.gnn.graphs import NONCOVALENT, PAIR13

WEIGHT_SCALE_KCAL = 8.0
MOLECULE_LOSS_WEIGHT = 0.1
PENALTY_WEIGHT = 100.0
WALL_H_A = 1.6
WALL_HEAVY_A = 2.6
WALL_COULOMB_A = 1.2
PENALTY_GRID_A = np.arange(0.6, 2.601, 0.05)
#: Required fall per grid step (kcal/mol per 0.05 Å, i.e. a force of at least 0.4 kcal/mol/Å) below the wall.
PENALTY_MARGIN_KCAL = 0.02
#: The liquid stage's finer grid (0.01 Å) with the same least force: a Gaussian bend narrower than 0.05 Å (the
#: 0.02 kJ/mol bump at 1.4 Å that earlier rounds left between N-H...H-N, README) falls between the coarse points.
FINE_PENALTY_GRID_A = np.arange(0.6, 2.6001, 0.01)
FINE_PENALTY_MARGIN_KCAL = 0.004
#: Random atom pairs from all molecules of the table (any two species) penalised per step, so molecules and
#: combinations absent from the dimer sets get safe constants too.
RANDOM_PENALTY_PAIRS = 2048
#: Molecules per step whose every atom pair (the neat liquid's type pairs) is penalised as well.
MOLECULES_PENALISED_PER_STEP = 16
#: Distances, in units of the GAFF2 σ_ij, where the GAFF2 wall applies (LJ's repulsive branch).
WALL_SIGMA_FRACTIONS = (0.80, 0.85, 0.90, 0.95)
#: GAFF2 band (experiment): energies (kcal/mol) on GAFF2's LJ repulsive branch at whose distances the band
#: applies: the same energy scale for every pair, so C-H hydrogens are held at 1.55-2.16 A and heavy pairs at
#: their own contact distances (H...H of GAFF2's hc type: 2.16 A at 0.5, 1.67 A at 16 kcal/mol; oh O...O 2.95, 2.34 A).
BAND_LEVELS_KCAL = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
#: Distances, in units of GAFF2's LJ minimum 2^(1/6)·σ_ij, where the well bound (E_vdW >= −k·ε_ij) applies.
WELL_MIN_FRACTIONS = (1.0, 1.1, 1.25, 1.5)


@dataclass
class TrainingConfig:
    """Epochs, batch sizes (conformers for stages 1-2, dimers for stage 3), Adam schedule, splits, anchor."""

    seed: int = 0
    stage1_epochs: int = 150
    stage1_batch: int = 64
    stage2_epochs: int = 400
    stage2_batch: int = 32
    stage3_epochs: int = 100
    stage3_batch: int = 128
    learning_rate: float = 1e-3
    decay_every: int = 20
    decay_factor: float = 0.8
    noise_angstrom: float = 0.005
    molecule_validation_fraction: float = 0.15
    dimer_holdout_fraction: float = 0.2
    #: kcal/mol per e² on the mean squared deviation of charges from AM1-BCC (0: the paper's free charges)
    charge_anchor_weight: float = 100.0
    #: weight of the GAFF2 wall in stage 3 (0: off, the shipped model; 30: the experiment in the README)
    gaff2_wall_weight: float = 0.0
    #: (low, high): the wall becomes a band low·E_LJ <= E_vdW <= high·E_LJ at BAND_LEVELS_KCAL (() = one-sided wall)
    gaff2_band: tuple = ()
    #: k > 0 adds to the band a bound on the van der Waals well: E_vdW >= −k·ε_ij^GAFF2 at WELL_MIN_FRACTIONS
    gaff2_well_factor: float = 0.0
    #: AM1-BCC charges of more molecules (:mod:`mlparams.gnn.charge_anchor` JSON, "shipped" = the shipped file,
    #: "" = none) anchored from stage 3 on
    extra_charge_anchor: str = "shipped"
    #: kcal/mol per e² on the mean squared deviation from those charges (a term beside the table molecules')
    extra_charge_anchor_weight: float = 300.0
    #: stage 3's short-range penalty covers every atom pair of every table molecule each step (their neat liquids'
    #: pairs), not 16 random molecules' (one pair of the dev liquids escaped the sampled penalty, README)
    stage3_every_molecule_penalty: bool = True
    threads: int = 2


def linear_baseline(counts: np.ndarray, target: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Least-squares (w, b) of target ≈ counts·w + b over the given rows (eq. 24)."""
    a = np.hstack([counts[rows], np.ones((len(rows), 1))])
    coef, *_ = np.linalg.lstsq(a, target[rows], rcond=None)
    return coef


def split_molecules(conf: ConformerSet, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, validation rows) of conformers, split by SMILES."""
    names = np.unique(conf.smiles)
    rng = np.random.default_rng(seed)
    val_names = set(rng.choice(names, size=max(1, int(round(fraction * len(names)))), replace=False).tolist())
    is_val = np.array([s in val_names for s in conf.smiles.tolist()])
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def _lr_schedule(opt, cfg):
    import torch

    return torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.decay_every, gamma=cfg.decay_factor)


def train_embeddings(conf: ConformerSet, table: GraphTable, cfg: TrainingConfig, progress: bool = True):
    """Stage 1. Returns (EmbeddingModel, metrics)."""
    import torch

    from mlparams.gnn.graphs import batch
    from mlparams.gnn.model import EmbeddingModel

    torch.manual_seed(cfg.seed)
    train, val = split_molecules(conf, cfg.molecule_validation_fraction, cfg.seed)
    coef = linear_baseline(conf.element_counts, conf.kd_total_kcal, train)
    target = conf.kd_total_kcal - np.hstack([conf.element_counts, np.ones((len(conf.graph), 1))]) @ coef
    model = EmbeddingModel()
    atoms = conf.element_counts.sum(1)
    model.output_scale.fill_(float(np.std(target[train] / atoms[train])) or 1.0)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    sched = _lr_schedule(opt, cfg)
    rng = np.random.default_rng(cfg.seed)

    def predict(rows):
        graphs = sorted(set(conf.graph[rows].tolist()))
        b = batch([table.graphs[g] for g in graphs])
        kd_atom, kd_edge, _ = model(b)
        half = len(b.edge_src) // 2
        per_graph = torch.zeros(len(graphs)).index_add_(0, b.atom_graph, kd_atom)
        per_graph = per_graph.index_add_(0, b.atom_graph[b.edge_src[:half]], kd_edge)
        pos = {g: k for k, g in enumerate(graphs)}
        return per_graph[[pos[g] for g in conf.graph[rows].tolist()]]

    history = [(0, _mae(predict, train, target), _mae(predict, val, target))]
    bar = _bar(cfg.stage1_epochs, "stage 1: embeddings (KD)", progress)
    for epoch in range(cfg.stage1_epochs):
        model.train()
        order = rng.permutation(train)
        for start in range(0, len(order), cfg.stage1_batch):
            rows = order[start:start + cfg.stage1_batch]
            loss = (predict(rows) - torch.as_tensor(target[rows], dtype=torch.float32)).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        if epoch % 10 == 9 or epoch == cfg.stage1_epochs - 1:
            history.append((epoch + 1, _mae(predict, train, target), _mae(predict, val, target)))
        _tick(bar, history)
    _close(bar)
    return model, {"kd_baseline": coef.tolist(), "kd_mae_train_kcal": history[-1][1], "kd_mae_validation_kcal": history[-1][2],
                   "kd_history": history, "n_train_conformers": int(len(train)), "n_validation_conformers": int(len(val))}


def _mae(predict, rows, target) -> float:
    import torch

    with torch.no_grad():
        return float((predict(rows) - torch.as_tensor(target[rows], dtype=torch.float32)).abs().mean())


def _bar(total, desc, progress):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="epoch")


def _tick(bar, history):
    if bar is not None:
        bar.update(1)
        if history:
            bar.set_postfix(train=f"{history[-1][1]:.3g}", val=f"{history[-1][2]:.3g}")


def _close(bar):
    if bar is not None:
        bar.close()


class PairEvaluator:
    """Energies of a PairSet from the heads, computing each unique pair's constants once per call."""

    def __init__(self, pairs: PairSet, offsets: np.ndarray):
        import torch

        self.pairs = pairs
        gi = offsets[pairs.graph_i] + pairs.atom_i
        gj = offsets[pairs.graph_j] + pairs.atom_j
        key = np.stack([np.minimum(gi, gj), np.maximum(gi, gj), pairs.edge_type], 1)
        self.unique, self.inverse = np.unique(key, axis=0, return_inverse=True)
        self.inverse = self.inverse.ravel()
        self.row_i = torch.as_tensor(gi)
        self.row_j = torch.as_tensor(gj)
        self.r = torch.as_tensor(pairs.r_angstrom, dtype=torch.float64)
        self.long_range = torch.as_tensor(pairs.edge_type >= PAIR13)
        self.item = torch.as_tensor(pairs.item)
        self.coords = torch.as_tensor(pairs.coords, dtype=torch.float64)
        self.pr_i = torch.as_tensor(pairs.row_i)
        self.pr_j = torch.as_tensor(pairs.row_j)

    def energies(self, heads, h, q, items=None, noise: float = 0.0, generator=None):
        """(per-item E_vdW + E_Coulomb, unique constants used) for the given items (all when None)."""
        import torch

        from mlparams.gnn.model import pair_energy

        if items is None:
            mask = np.ones(len(self.inverse), dtype=bool)
            item_pos = np.arange(self.pairs.n_items)
        else:
            item_pos = np.full(self.pairs.n_items, -1)
            item_pos[items] = np.arange(len(items))
            mask = item_pos[self.pairs.item] >= 0
        sel = np.flatnonzero(mask)
        used, local = np.unique(self.inverse[sel], return_inverse=True)
        u = torch.as_tensor(self.unique[used])
        c = heads.pair_constants_indexed(h, u[:, 0], u[:, 1], u[:, 2])
        sel_t = torch.as_tensor(sel)
        if noise and len(self.pr_i):
            x = self.coords + noise * torch.randn(self.coords.shape, generator=generator, dtype=self.coords.dtype)
            r = (x[self.pr_i[sel_t]] - x[self.pr_j[sel_t]]).norm(dim=1)
        else:
            r = self.r[sel_t]
        e_vdw, e_coul = pair_energy(c[torch.as_tensor(local.ravel())], q[self.row_i[sel_t]] * q[self.row_j[sel_t]], r,
                                    self.long_range[sel_t])
        out = torch.zeros(len(item_pos) if items is None else len(items), dtype=torch.float64)
        idx = torch.as_tensor(item_pos[self.pairs.item[sel]])
        return out.index_add(0, idx, e_vdw + e_coul), c, u


def physical_penalty(c, u, elements_by_row, q, grid_a=PENALTY_GRID_A, margin_kcal: float = PENALTY_MARGIN_KCAL):
    """Mean violation (kcal/mol) of the short-range repulsion conditions over non-covalent pairs, on the grid
    ``grid_a`` (Å) with a least fall of ``margin_kcal`` per step."""
    import torch

    from mlparams.gnn.model import COULOMB_KCAL_ANGSTROM, vdw_curve

    nc = u[:, 2] == NONCOVALENT
    if not bool(nc.any()):
        return torch.zeros((), dtype=torch.float64)
    c, u = c[nc], u[nc]
    grid = torch.as_tensor(grid_a, dtype=torch.float64)
    e = vdw_curve(c, grid)
    has_h = torch.as_tensor(elements_by_row[u[:, 0].numpy()] == "H") | torch.as_tensor(elements_by_row[u[:, 1].numpy()] == "H")
    wall = torch.where(has_h, WALL_H_A, WALL_HEAVY_A)
    rise = torch.relu(e[:, 1:] - e[:, :-1] + margin_kcal) * (grid[None, 1:] <= wall[:, None])
    e_tot = e + COULOMB_KCAL_ANGSTROM * (q[u[:, 0]] * q[u[:, 1]])[:, None] / grid[None, :]
    rise_tot = torch.relu(e_tot[:, 1:] - e_tot[:, :-1] + margin_kcal) * (grid[None, 1:] <= WALL_COULOMB_A)
    return (rise.sum(1) + rise_tot.sum(1)).mean()


class HeadTrainer:
    """Stages 2 and 3: charge_net and feats_net on frozen embeddings."""

    def __init__(self, h, table: GraphTable, conf: ConformerSet, conf_pairs: PairSet, cfg: TrainingConfig,
                 dimers: DimerSet | None = None):
        import torch

        from mlparams.gnn.model import ParameterHeads

        torch.manual_seed(cfg.seed)
        self.cfg = cfg
        self.h = h.detach().to(torch.float32)
        self.table = table
        self.offsets = table.atom_offsets()
        self.atom_graph = torch.as_tensor(np.repeat(np.arange(len(table.graphs)), [g.n_atoms for g in table.graphs]))
        self.net_charge = torch.as_tensor([g.net_charge for g in table.graphs], dtype=torch.float64)
        self.elements = np.concatenate([np.array(g.elements) for g in table.graphs])
        self.conf = conf
        self.mol = PairEvaluator(conf_pairs, self.offsets)
        self.train_rows, self.val_rows = split_molecules(conf, cfg.molecule_validation_fraction, cfg.seed)
        self.lin = linear_baseline(conf.element_counts, conf.energy_kcal, self.train_rows)
        self.e_lin = np.hstack([conf.element_counts, np.ones((len(conf.graph), 1))]) @ self.lin
        self.heads = ParameterHeads()
        self.noise_generator = torch.Generator()
        self.anchor = am1bcc_anchor(table) if cfg.charge_anchor_weight else None
        #: (embeddings, atom → molecule, net charges, AM1-BCC target) of molecules outside the table whose charges
        #: are anchored too (:func:`mlparams.gnn.charge_anchor.anchor_tensors`; set from stage 3 on), or None
        self.extra_anchor = None
        self.lj_anchor = gaff2_lj_anchor(table) if cfg.gaff2_wall_weight else None
        self.dimers = dimers
        #: every atom pair of every molecule in the penalty each step, not MOLECULES_PENALISED_PER_STEP of them
        self.penalise_every_molecule = False
        #: (grid in Å, least fall per step in kcal/mol) of the short-range penalty
        self.penalty_grid = (PENALTY_GRID_A, PENALTY_MARGIN_KCAL)
        #: s in q̄ + s·(q − q̄) per molecule (q̄ its formal charge per atom): the charges a model whose metadata sets
        #: ``charge_scale`` gives (:meth:`mlparams.gnn.predictor.GnnPredictor.charges`), so the liquid stage fits its
        #: van der Waals terms beside the charges the engines will use
        self.charge_scale = 1.0
        if dimers is not None:
            self.dim = PairEvaluator(dimers.pairs, self.offsets)
            neutral = np.flatnonzero(~dimers.charged)
            rng = np.random.default_rng(cfg.seed)
            hold = rng.random(len(neutral)) < cfg.dimer_holdout_fraction
            self.dimer_train, self.dimer_holdout = neutral[~hold], neutral[hold]
            self.weights = np.exp(-np.maximum(dimers.e_ref_kcal, 0.0) / WEIGHT_SCALE_KCAL)

    def charges(self):
        """Every table atom's charge (e), each molecule's summing to its formal charge, times
        :attr:`charge_scale` about the molecule's mean."""
        q = self.heads.charges(self.h, self.atom_graph, self.net_charge, len(self.table.graphs))
        if self.charge_scale == 1.0:
            return q
        n_atoms = [g.n_atoms for g in self.table.graphs]
        mean = (self.net_charge / self.net_charge.new_tensor(n_atoms))[self.atom_graph]
        return mean + self.charge_scale * (q - mean)

    def charge_anchor_loss(self, q):
        """Weighted mean squared deviation (kcal/mol) of the charges from AM1-BCC, over anchored table atoms, plus
        the same over :attr:`extra_anchor`'s molecules when set."""
        import torch

        loss = torch.zeros((), dtype=torch.float64)
        if self.cfg.charge_anchor_weight and self.anchor is not None:
            target, mask = self.anchor
            loss = loss + self.cfg.charge_anchor_weight * ((q[mask] - target[mask]) ** 2).mean()
        if self.extra_anchor is not None:
            loss = loss + self.cfg.extra_charge_anchor_weight * self.extra_anchor_mse()
        return loss

    def extra_anchor_mse(self):
        """Mean squared deviation (e²) of the charges of :attr:`extra_anchor`'s molecules from AM1-BCC."""
        h, atom_molecule, net_charge, target = self.extra_anchor
        q = self.heads.charges(h, atom_molecule, net_charge, len(net_charge))
        if self.charge_scale != 1.0:
            count = net_charge.new_zeros(len(net_charge)).index_add_(0, atom_molecule, net_charge.new_ones(len(q)))
            mean = (net_charge / count)[atom_molecule]
            q = mean + self.charge_scale * (q - mean)
        return ((q - target) ** 2).mean()

    def random_pair_penalty(self, rng, q):
        """(physical penalty, GAFF2 wall penalty) on random non-covalent atom pairs of the whole table and on
        every atom pair of a few random molecules (as in their neat liquid)."""
        import torch

        n = len(self.h)
        i = rng.integers(0, n, RANDOM_PENALTY_PAIRS)
        j = rng.integers(0, n, RANDOM_PENALTY_PAIRS)
        offsets = self.offsets
        picked = rng.choice(len(self.table.graphs), size=min(MOLECULES_PENALISED_PER_STEP, len(self.table.graphs)), replace=False)
        for g in range(len(self.table.graphs)) if self.penalise_every_molecule else picked:
            a, b = np.triu_indices(self.table.graphs[g].n_atoms)
            i = np.concatenate([i, a + offsets[g]])
            j = np.concatenate([j, b + offsets[g]])
        u = torch.as_tensor(np.stack([i, j, np.full(len(i), NONCOVALENT)], 1))
        c = self.heads.pair_constants_indexed(self.h, u[:, 0], u[:, 1], u[:, 2])
        if self.lj_anchor is None:
            wall = torch.zeros((), dtype=torch.float64)
        elif self.cfg.gaff2_band:
            wall = gaff2_band_penalty(c, u, self.lj_anchor, *self.cfg.gaff2_band, well=self.cfg.gaff2_well_factor)
        else:
            wall = gaff2_wall_penalty(c, u, self.lj_anchor)
        return physical_penalty(c, u, self.elements, q, *self.penalty_grid), wall

    def molecule_loss(self, rows, noise=0.0):
        import torch

        q = self.charges()
        e, c, u = self.mol.energies(self.heads, self.h, q, rows, noise, self.noise_generator)
        target = torch.as_tensor(self.conf.energy_kcal[rows] - self.e_lin[rows])
        return (e - target).abs().mean(), physical_penalty(c, u, self.elements, q, *self.penalty_grid)

    def dimer_loss(self, rows):
        import torch

        q = self.charges()
        e, c, u = self.dim.energies(self.heads, self.h, q, rows)
        w = torch.as_tensor(self.weights[rows])
        err = e - torch.as_tensor(self.dimers.e_ref_kcal[rows])
        return (w * err**2).sum() / w.sum(), physical_penalty(c, u, self.elements, q, *self.penalty_grid)

    def stage2(self, progress=True) -> dict:
        """The paper's training on molecule energies."""
        import torch

        opt = torch.optim.Adam(self.heads.parameters(), lr=self.cfg.learning_rate)
        sched = _lr_schedule(opt, self.cfg)
        rng = np.random.default_rng(self.cfg.seed + 1)
        self.noise_generator.manual_seed(self.cfg.seed + 1)
        history = [(0, *self.molecule_mae())]
        bar = _bar(self.cfg.stage2_epochs, "stage 2: molecule energies", progress)
        for epoch in range(self.cfg.stage2_epochs):
            order = rng.permutation(self.train_rows)
            for start in range(0, len(order), self.cfg.stage2_batch):
                mae, pen = self.molecule_loss(order[start:start + self.cfg.stage2_batch], self.cfg.noise_angstrom)
                q = self.charges()
                pen = pen + self.random_pair_penalty(rng, q)[0]
                loss = mae + PENALTY_WEIGHT * pen + self.charge_anchor_loss(q)
                opt.zero_grad()
                loss.backward()
                opt.step()
            sched.step()
            if epoch % 10 == 9 or epoch == self.cfg.stage2_epochs - 1:
                history.append((epoch + 1, *self.molecule_mae()))
            _tick(bar, history)
        _close(bar)
        train, val = self.molecule_mae()
        return {"energy_mae_train_kcal": train, "energy_mae_validation_kcal": val, "energy_history": history,
                "energy_baseline": self.lin.tolist()}

    def molecule_mae(self) -> tuple[float, float]:
        import torch

        with torch.no_grad():
            return tuple(float(self.molecule_loss(rows)[0]) for rows in (self.train_rows, self.val_rows))

    def slope_loss(self, pairs):
        """Mean squared error ((kcal/mol)²) of E(+step) − E(−step) over displaced-dimer ``pairs`` (rows: minus,
        plus; :func:`mlparams.liquid_dimers.displaced_pairs`): the slope along the centre-of-mass line times the
        span of the two steps."""
        import torch

        if not len(pairs):
            return torch.zeros((), dtype=torch.float64)
        e, _, _ = self.dim.energies(self.heads, self.h, self.charges(), np.asarray(pairs).ravel())
        e = e.reshape(-1, 2)
        ref = torch.as_tensor(self.dimers.e_ref_kcal[np.asarray(pairs)])
        return (((e[:, 1] - e[:, 0]) - (ref[:, 1] - ref[:, 0])) ** 2).mean()

    def slope_rmse(self, pairs) -> float:
        """RMSE (kcal/mol) of E(+step) − E(−step) over ``pairs``."""
        import torch

        with torch.no_grad():
            return float(torch.sqrt(self.slope_loss(pairs)))

    def dimer_rmse(self, rows) -> float:
        import torch

        with torch.no_grad():
            e, _, _ = self.dim.energies(self.heads, self.h, self.charges(), rows)
            return float(torch.sqrt(((e - torch.as_tensor(self.dimers.e_ref_kcal[rows])) ** 2).mean()))

    def stage3(self, progress=True) -> dict:
        """Continue on dimer interaction energies, keeping the best held-out state."""
        return self._continue_on_dimers(self.cfg.stage3_epochs, self.cfg.learning_rate, self.cfg.seed + 2,
                                        "stage 3: dimer energies", progress)

    def stage_liquids(self, term, epochs: int, liquid_weight: float, learning_rate: float,
                      progress=True, every_molecule_penalty: bool = False, fine_penalty: bool = False,
                      slope_pairs=None, slope_weight: float = 0.0, hvap_weight: float = 0.0,
                      charge_learning_rate: float | None = None) -> dict:
        """Stage 3 continued with liquid pressures: ``feats_net`` only (charges frozen, so the frames' Coulomb
        pressure stays exact) unless the term was built with ``train_charges`` (its frames' Coulomb energy and
        pressure then follow ``charge_net``, which trains too, at ``charge_learning_rate``: the frames' Coulomb
        energy is so large that a charge step of a few per cent leaves one frame carrying the weights);
        loss + ``liquid_weight`` × mean((P − P_exp)/100 bar)² on the reweighted frames of ``term``
        (:class:`mlparams.gnn.liquids.GnnPressureTerm`) + the trust-region penalty on the effective sample size;
        when the term holds the sampling model's bulk moduli, ``liquid_weight`` × the mean pseudo-Huber of the predicted ln-density errors instead (each liquid weighed by how far its density
        would move, not by its pressure). Keeps the epoch with the lowest held-out dimer MSE + liquid term (the
        slope term is trained on and recorded in ``liquid_history``, not scored: the shipped slope round chose so).
        ``every_molecule_penalty``: the short-range penalty covers every atom pair of every table molecule each
        step (their neat liquids' type pairs), not 16 random molecules' (a round without it bent the van der Waals
        term of two N–H···H–N pairs by 0.02 kJ/mol at 0.14 nm, README; it did not remove the bend);
        ``fine_penalty``: the penalty on :data:`FINE_PENALTY_GRID_A`, whose 0.01 Å steps see such a narrow
        bend. ``slope_pairs``: {"train": pairs, "holdout": pairs} of displaced dimers (rows minus, plus) whose
        energy differences join the loss, ``slope_weight`` × :meth:`slope_loss` on the train pairs (the slope of the
        contacts, which sets the virial and the pressure). ``hvap_weight`` > 0 (the term built with enthalpies of
        vaporisation) adds ``hvap_weight`` × the mean pseudo-Huber ΔH_vap error (kJ/mol) of the liquids that have an
        experimental value, on the same reweighted frames (:meth:`~mlparams.gnn.liquids.GnnPressureTerm.enthalpies_of_vaporisation`)."""
        import torch

        from mlparams.errors import MlparamsError
        from mlparams.gnn.liquids import DENSITY_LOSS_DELTA, HVAP_LOSS_DELTA
        from mlparams.models.liquid_pressure import ESS_MIN, ESS_WEIGHT, PRESSURE_SCALE_BAR

        for p in self.heads.charge_net.parameters():
            p.requires_grad_(bool(getattr(term, "train_charges", False)))
        self.penalise_every_molecule = every_molecule_penalty
        if fine_penalty:
            self.penalty_grid = (FINE_PENALTY_GRID_A, FINE_PENALTY_MARGIN_KCAL)

        hvap_rows = [k for k, (_, exp) in enumerate(term.hvap or []) if exp is not None]
        if hvap_weight and not hvap_rows:
            raise MlparamsError("an enthalpy-of-vaporisation weight needs liquids with an experimental ΔH_vap at their "
                                "temperature and the term built with the sampling model's (train-liquids --hvap-weight)")
        hvap_exp = torch.tensor([term.hvap[k][1] for k in hvap_rows], dtype=torch.float64)

        def hvap_loss():
            x = (term.enthalpies_of_vaporisation(self.heads)[hvap_rows] - hvap_exp) / HVAP_LOSS_DELTA
            return hvap_weight * HVAP_LOSS_DELTA * torch.mean(torch.sqrt(1.0 + x**2) - 1.0)

        def liquid_loss():
            p, ess = term.pressures(self.heads)
            trust = ESS_WEIGHT * torch.mean(torch.relu(ESS_MIN - ess) ** 2)
            if hvap_weight:  # the ΔH_vap term joins the liquid loss (and the epoch's score) in either form
                trust = trust + hvap_loss()
            if term.bulk_modulus is None:
                return liquid_weight * torch.mean(((p - term.p_exp) / PRESSURE_SCALE_BAR) ** 2) + trust, p, ess
            x = term.density_errors(p) / DENSITY_LOSS_DELTA
            return liquid_weight * DENSITY_LOSS_DELTA * torch.mean(torch.sqrt(1.0 + x**2) - 1.0) + trust, p, ess

        slope_pairs = slope_pairs or {}
        train_pairs = np.asarray(slope_pairs.get("train", np.zeros((0, 2), int)))

        def report():
            """(liquid loss, pressures / bar, effective sample fractions[, slope RMSE by split / kcal/mol])."""
            with torch.no_grad():
                loss, p, ess = liquid_loss()
            row = (float(loss), [float(x) for x in p], [float(x) for x in ess])
            if any(len(v) for v in slope_pairs.values()):
                row += ({k: self.slope_rmse(v) for k, v in slope_pairs.items() if len(v)},)
            return row

        def extra_loss():
            loss = liquid_loss()[0]
            if slope_weight and len(train_pairs):
                loss = loss + slope_weight * self.slope_loss(train_pairs)
            return loss

        def enthalpies():
            with torch.no_grad():
                return [float(x) for x in term.enthalpies_of_vaporisation(self.heads)] if term.hvap else None

        slope_before = {k: self.slope_rmse(v) for k, v in slope_pairs.items() if len(v)}
        hvap_before = enthalpies()
        before = report()
        out = self._continue_on_dimers(epochs, learning_rate, self.cfg.seed + 3, "liquid stage", progress,
                                       extra_loss=extra_loss, extra_report=report,
                                       charge_learning_rate=charge_learning_rate)
        after = report()
        if slope_before:
            out.update({"slope_weight": slope_weight,
                        "slope_pair_count": {k: int(len(v)) for k, v in slope_pairs.items()},
                        "slope_rmse_before_kcal": slope_before,
                        "slope_rmse_after_kcal": {k: self.slope_rmse(v) for k, v in slope_pairs.items() if len(v)}})
        with torch.no_grad():
            fixed = [float(x) for x in term.pressures(self.heads, reweight=False)[0]]
        if term.hvap:
            out.update({"hvap_weight": hvap_weight, "hvap_sampled_kj_mol": [h for h, _ in term.hvap],
                        "hvap_experiment_kj_mol": [e for _, e in term.hvap],
                        "hvap_predicted_before_kj_mol": hvap_before, "hvap_predicted_kj_mol": enthalpies()})
        if term.bulk_modulus is not None:
            out.update({"bulk_modulus_bar": [float(k) for k in term.bulk_modulus],
                        "density_predicted_g_cm3": [lf.density_after_g_cm3(p, float(k)) for lf, p, k in
                                                    zip(term.liquids, after[1], term.bulk_modulus)]})
        out.update({"liquids": [lf.name for lf in term.liquids], "liquid_weight": liquid_weight,
                    "train_charges": bool(getattr(term, "train_charges", False)),
                    "charge_learning_rate": charge_learning_rate,
                    "density_loss": term.bulk_modulus is not None,
                    "every_molecule_penalty": every_molecule_penalty, "fine_penalty": fine_penalty,
                    "pressure_after_fixed_frames_bar": fixed,
                    "learning_rate": learning_rate, "epochs": epochs,
                    "pressure_experiment_bar": [lf.P_bar for lf in term.liquids],
                    "pressure_target_bar": [float(x) for x in term.p_exp],
                    "density_sampled_g_cm3": [lf.rho_sampled or lf.rho_exp for lf in term.liquids],
                    "pressure_before_bar": before[1], "pressure_after_bar": after[1],
                    "effective_sample_fraction_after": after[2], "liquid_loss_before": before[0],
                    "liquid_loss_after": after[0]})
        return out

    def _continue_on_dimers(self, epochs, learning_rate, seed, desc, progress, extra_loss=None,
                            extra_report=None, charge_learning_rate: float | None = None) -> dict:
        """Train the heads' trainable parameters on dimers (+ 0.1 × molecules, penalties, ``extra_loss()``);
        every 5 epochs score held-out dimer MSE (+ ``extra_report()[0]``) and keep the best state.
        ``charge_learning_rate``: ``charge_net``'s own learning rate (default ``learning_rate``)."""
        import copy

        import torch

        charge_ids = {id(p) for p in self.heads.charge_net.parameters()}
        params = [p for p in self.heads.parameters() if p.requires_grad and id(p) not in charge_ids]
        charge_params = [p for p in self.heads.charge_net.parameters() if p.requires_grad]
        groups = [{"params": params}]
        if charge_params:
            groups.append({"params": charge_params, "lr": charge_learning_rate or learning_rate})
        opt = torch.optim.Adam(groups, lr=learning_rate)
        sched = _lr_schedule(opt, self.cfg)
        rng = np.random.default_rng(seed)
        self.noise_generator.manual_seed(seed)

        extra_history = []

        def score(epoch, hold):
            """Held-out dimer RMSE, or its square + ``extra_report()[0]`` (the row kept in ``extra_history``)."""
            if extra_report is None:
                return hold
            row = extra_report()
            extra_history.append((epoch, *row))
            return hold**2 + row[0]

        before = self.dimer_rmse(self.dimer_holdout)
        best = (score(0, before), copy.deepcopy(self.heads.state_dict()), 0, before)
        history = [(0, self.dimer_rmse(self.dimer_train), before)]
        bar = _bar(epochs, desc, progress)
        for epoch in range(epochs):
            order = rng.permutation(self.dimer_train)
            for start in range(0, len(order), self.cfg.stage3_batch):
                mse, pen_d = self.dimer_loss(order[start:start + self.cfg.stage3_batch])
                mol_rows = rng.choice(self.train_rows, size=min(self.cfg.stage2_batch, len(self.train_rows)), replace=False)
                mae, pen_m = self.molecule_loss(mol_rows, self.cfg.noise_angstrom)
                q = self.charges()
                pen_r, wall = self.random_pair_penalty(rng, q)
                loss = (mse + MOLECULE_LOSS_WEIGHT * mae + PENALTY_WEIGHT * (pen_d + pen_m + pen_r)
                        + self.charge_anchor_loss(q) + self.cfg.gaff2_wall_weight * wall)
                if extra_loss is not None:
                    loss = loss + extra_loss()
                opt.zero_grad()
                loss.backward()
                opt.step()
            sched.step()
            if epoch % 5 == 4 or epoch == epochs - 1:
                hold = self.dimer_rmse(self.dimer_holdout)
                history.append((epoch + 1, self.dimer_rmse(self.dimer_train), hold))
                value = score(epoch + 1, hold)
                if value < best[0]:
                    best = (value, copy.deepcopy(self.heads.state_dict()), epoch + 1, hold)
            _tick(bar, history)
        _close(bar)
        self.heads.load_state_dict(best[1])
        train, val = self.molecule_mae()
        out = {"dimer_rmse_holdout_before_kcal": before, "dimer_rmse_holdout_kcal": best[3], "best_epoch": best[2],
               "dimer_rmse_train_kcal": self.dimer_rmse(self.dimer_train), "dimer_history": history,
               "n_dimer_train": int(len(self.dimer_train)), "n_dimer_holdout": int(len(self.dimer_holdout)),
               "energy_mae_train_kcal_after": train, "energy_mae_validation_kcal_after": val}
        if extra_report:
            out["liquid_history"] = extra_history
        return out


def _gaff2_pairs(c, u, lj_anchor):
    """For the non-covalent pairs whose atoms both have GAFF2 LJ constants: (σ_ij in Å, ε_ij in kcal/mol, both
    Lorentz-Berthelot, and a function r ↦ E_vdW^GNN(r) in kcal/mol of those pairs), or None if there are none."""
    import torch

    from mlparams.gnn.model import pair_energy

    sigma, eps, mask = lj_anchor
    i, j = u[:, 0], u[:, 1]
    ok = mask[i] & mask[j] & (eps[i] * eps[j] > 0) & (u[:, 2] == NONCOVALENT)
    if not bool(ok.any()):
        return None
    c = c[ok]
    s = 0.5 * (sigma[i] + sigma[j])[ok]
    ones = torch.ones(len(s), dtype=torch.bool)
    zeros = torch.zeros(len(s), dtype=torch.float64)
    return s, torch.sqrt(eps[i] * eps[j])[ok], lambda r: pair_energy(c, zeros, r, ones)[0]


def gaff2_wall_penalty(c, u, lj_anchor):
    """Mean of max(E_LJ^GAFF2 − E_vdW^GNN, 0) (kcal/mol) over pairs with GAFF2 types and distances
    WALL_SIGMA_FRACTIONS·σ_ij (Lorentz-Berthelot σ_ij, ε_ij)."""
    import torch

    pairs = _gaff2_pairs(c, u, lj_anchor)
    if pairs is None:
        return torch.zeros((), dtype=torch.float64)
    s, e, vdw = pairs
    violations = []
    for x in WALL_SIGMA_FRACTIONS:
        e_lj = 4.0 * e * (x**-12 - x**-6)
        violations.append(torch.relu(e_lj - vdw(s * x)))
    return torch.stack(violations, 1).mean()


def gaff2_band_penalty(c, u, lj_anchor, low: float, high: float, well: float = 0.0):
    """Mean of relu(low·E − E_vdW^GNN) + relu(E_vdW^GNN − high·E) (kcal/mol) over pairs with GAFF2 types and the
    energies E of BAND_LEVELS_KCAL, each at the distance where GAFF2's LJ (Lorentz-Berthelot) equals E on its
    repulsive branch: r = σ_ij·y^(−1/6), y = (1 + √(1 + E/ε_ij))/2. With ``well`` = k > 0, also
    relu(−k·ε_ij − E_vdW^GNN) at WELL_MIN_FRACTIONS of GAFF2's minimum distance: no well deeper than k times
    GAFF2's."""
    import torch

    pairs = _gaff2_pairs(c, u, lj_anchor)
    if pairs is None:
        return torch.zeros((), dtype=torch.float64)
    s, e, vdw = pairs
    violations = []
    for level in BAND_LEVELS_KCAL:
        y = 0.5 * (1.0 + torch.sqrt(1.0 + level / e))
        e_gnn = vdw(s * y ** (-1.0 / 6.0))
        violations.append(torch.relu(low * level - e_gnn) + torch.relu(e_gnn - high * level))
    if well > 0:
        for x in WELL_MIN_FRACTIONS:
            violations.append(torch.relu(-well * e - vdw(s * 2.0 ** (1.0 / 6.0) * x)))
    return torch.stack(violations, 1).mean()


def gaff2_lj_anchor(table: GraphTable):
    """(GAFF2 σ in Å, ε in kcal/mol per table atom, mask of atoms that have them) from the GAFF2 cache."""
    import torch

    from mlparams.errors import MlparamsError
    from mlparams.gaff2 import parametrize
    from mlparams.molecules import from_smiles
    from mlparams.systems import gaff2_structure

    sigma, eps, mask = [], [], []
    for g in table.graphs:
        try:
            sp = from_smiles(g.smiles)
            if tuple(sp.elements) != tuple(g.elements):
                raise MlparamsError("atom order differs")
            st = gaff2_structure(parametrize(sp))
            sigma.append([a.sigma for a in st.atoms])
            eps.append([a.epsilon for a in st.atoms])
            mask.append([True] * g.n_atoms)
        except MlparamsError:
            sigma.append([0.0] * g.n_atoms)
            eps.append([0.0] * g.n_atoms)
            mask.append([False] * g.n_atoms)
    return (torch.as_tensor(np.concatenate(sigma), dtype=torch.float64),
            torch.as_tensor(np.concatenate(eps), dtype=torch.float64),
            torch.as_tensor(np.concatenate(mask), dtype=torch.bool))


def am1bcc_anchor(table: GraphTable):
    """(AM1-BCC charge per table atom, mask of atoms that have one) from the GAFF2 cache (antechamber if absent)."""
    import torch

    from mlparams.errors import MlparamsError
    from mlparams.gaff2 import parametrize
    from mlparams.molecules import from_smiles
    from mlparams.systems import symmetry_averaged_charges

    values, mask = [], []
    for g in table.graphs:
        try:
            sp = from_smiles(g.smiles)
            if tuple(sp.elements) != tuple(g.elements):
                raise MlparamsError("atom order differs")
            classes, class_q = symmetry_averaged_charges(sp, parametrize(sp).charges)
            values.append([class_q[c] for c in classes])
            mask.append([True] * g.n_atoms)
        except MlparamsError:
            values.append([0.0] * g.n_atoms)
            mask.append([False] * g.n_atoms)
    return (torch.as_tensor(np.concatenate(values), dtype=torch.float64),
            torch.as_tensor(np.concatenate(mask), dtype=torch.bool))
