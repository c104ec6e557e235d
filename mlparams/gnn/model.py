"""The two-stage network of Terets & Nikolayenko (2026) and its pair potential, in torch.

Stage 1 (embeddings): an MPNN (4 message-passing steps, width 350; messages from [h_j ‖ e_ij] through an
MLP, GRU update) with the heads MLP_atom (3 layers, width 160, LeakyReLU) and MLP_edge (4 layers, width 199)
predicting the virial descriptors KD_i^atom and KD_ij^edge (eqs. 13–15).

Stage 2 (parameters, on the frozen embeddings h):

* ``charge_net``: Q_i = charge_net(h_i) (eq. 17), then shifted equally within each molecule so the charges
  sum exactly to its formal charge (the paper's sums drift by up to ±0.25 e);
* ``feats_net``: C = feats_net([h_i ‖ h_j ‖ e_ij]) (eqs. 18–19), averaged over both atom orders so the pair
  constants are symmetric.

Pair energy, kcal/mol with r in Å (eqs. 21–23):

    E_LR = k·Q_i·Q_j/r − C0/r⁶ + C1/r¹²          (pairs not sharing a covalent bond; k = 332.0637)
    E_SR = Σ_{k=1..6} C_{2k}·exp(−(r − r_k)²/(C_{2k+1}² + 1e-5)),   r_k = 1.2 + 0.6(k−1) Å

The paper writes |C0| and |C1|; here C0 = 600·exp(c0) and C1 = 1e6·exp(c1) (kcal/mol·Å⁶, ·Å¹²), the same
positivity with the network's raw outputs near 0 for typical organic atoms. Amplitudes C_2k are in kcal/mol;
widths C_{2k+1} = 0.15 Å + softplus(c) in Å, so no Gaussian is narrower than 0.15 Å (a spike the paper's
form allows would need a far shorter MD time step).
"""

from __future__ import annotations

import torch
from torch import nn

from mlparams.gnn.graphs import N_EDGE_FEATURES, N_NODE_FEATURES

COULOMB_KCAL_ANGSTROM = 332.0637133  # k = 1/(4πε0) in kcal/mol·Å/e²
GAUSSIAN_CENTRES_A = tuple(1.2 + 0.6 * k for k in range(6))
WIDTH_EPSILON_A2 = 1e-5
#: Smallest Gaussian width (Å): keeps forces smooth on a 1-2 fs time step (the paper has no floor).
WIDTH_MIN_A = 0.15
C6_SCALE = 600.0
C12_SCALE = 1.0e6
HIDDEN = 350
STEPS = 4


def mlp(sizes, activation=nn.LeakyReLU) -> nn.Sequential:
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class MPNN(nn.Module):
    """Message passing over covalent bonds: h_i after STEPS rounds of GRU updates."""

    def __init__(self, hidden: int = HIDDEN, steps: int = STEPS):
        super().__init__()
        self.embed = nn.Linear(N_NODE_FEATURES, hidden)
        self.message = mlp([hidden + N_EDGE_FEATURES, hidden, hidden])
        self.update = nn.GRUCell(hidden, hidden)
        self.steps = steps
        self.hidden = hidden

    def forward(self, b) -> torch.Tensor:
        h = torch.relu(self.embed(b.node_features))
        edge = nn.functional.one_hot(b.edge_type, N_EDGE_FEATURES).to(h.dtype)
        for _ in range(self.steps):
            msg = self.message(torch.cat([h[b.edge_src], edge], dim=1))
            agg = torch.zeros_like(h).index_add_(0, b.edge_dst, msg)
            h = self.update(agg, h)
        return h


class EmbeddingModel(nn.Module):
    """Stage 1: MPNN plus MLP_atom and MLP_edge predicting KD descriptors (kcal/mol, baseline removed)."""

    def __init__(self, hidden: int = HIDDEN):
        super().__init__()
        self.mpnn = MPNN(hidden)
        self.mlp_atom = mlp([hidden, 160, 160, 1])
        self.mlp_edge = mlp([hidden + N_EDGE_FEATURES, 199, 199, 199, 1])
        # kcal/mol per unit of head output, set from the data before training (Adam's steps are O(lr) in the
        # weights, so heads that must reach ±100 kcal/mol would otherwise crawl there)
        self.register_buffer("output_scale", torch.tensor(1.0))

    def forward(self, b):
        """(per-atom KD, per-bond KD for the first half of the directed bond list, embeddings h)."""
        h = self.mpnn(b)
        half = len(b.edge_src) // 2
        src, dst, typ = b.edge_src[:half], b.edge_dst[:half], b.edge_type[:half]
        edge = nn.functional.one_hot(typ, N_EDGE_FEATURES).to(h.dtype)
        kd_atom = self.output_scale * self.mlp_atom(h).squeeze(-1)
        kd_edge = self.output_scale * self.mlp_edge(torch.cat([h[src] + h[dst], edge], dim=1)).squeeze(-1)
        return kd_atom, kd_edge, h


class ParameterHeads(nn.Module):
    """Stage 2: charge_net (per atom) and feats_net (per pair, 14 constants)."""

    def __init__(self, hidden: int = HIDDEN, width: int = 128):
        super().__init__()
        self.charge_net = mlp([hidden, width, width, 1], nn.SiLU)
        self.feats_net = mlp([2 * hidden + N_EDGE_FEATURES, width, width, 14], nn.SiLU)
        with torch.no_grad():  # start near the scales of organic atoms: small Gaussians, widths ≈ 0.3 Å
            self.feats_net[-1].weight.mul_(0.1)
            self.feats_net[-1].bias.zero_()
            self.feats_net[-1].bias[3::2] = -1.0  # width 0.15 + softplus(-1) ≈ 0.46 Å
            self.charge_net[-1].weight.mul_(0.1)

    def charges(self, h, atom_molecule, net_charge, n_molecules):
        """Charges (e) summing exactly to each molecule's formal charge."""
        q = self.charge_net(h).squeeze(-1).to(torch.float64)
        total = torch.zeros(n_molecules, dtype=q.dtype).index_add_(0, atom_molecule, q)
        count = torch.zeros(n_molecules, dtype=q.dtype).index_add_(0, atom_molecule, torch.ones_like(q))
        return q - ((total - net_charge) / count)[atom_molecule]

    def pair_constants(self, hi, hj, edge_type) -> torch.Tensor:
        """(P, 14) constants [C0, C1, (amplitude, width) × 6] of pairs, symmetric in i and j (float64)."""
        return self.pair_constants_indexed(torch.cat([hi, hj]), torch.arange(len(hi)),
                                           torch.arange(len(hi), len(hi) + len(hj)), edge_type)

    def pair_constants_indexed(self, h, rows_i, rows_j, edge_type) -> torch.Tensor:
        """Constants of the pairs (h[rows_i], h[rows_j]) for a table of embeddings h.

        feats_net's first layer is linear in [h_i ‖ h_j ‖ e_ij], so it is applied once per atom (W_i·h,
        W_j·h) and once per edge type, then summed per pair: the same network at a fraction of the cost.
        """
        first = self.feats_net[0]
        hidden = h.shape[1]
        w = first.weight.to(h.dtype)
        proj_i = h @ w[:, :hidden].T
        proj_j = h @ w[:, hidden:2 * hidden].T
        proj_e = w[:, 2 * hidden:].T + first.bias.to(h.dtype)  # one row per edge type (one-hot input)
        rest = self.feats_net[1:]
        forward = proj_i[rows_i] + proj_j[rows_j] + proj_e[edge_type]
        backward = proj_i[rows_j] + proj_j[rows_i] + proj_e[edge_type]
        raw = (0.5 * (rest(forward) + rest(backward))).to(torch.float64)
        c6 = C6_SCALE * torch.exp(raw[:, 0].clamp(max=20.0))
        c12 = C12_SCALE * torch.exp(raw[:, 1].clamp(max=20.0))
        amplitude = raw[:, 2::2]
        width = WIDTH_MIN_A + nn.functional.softplus(raw[:, 3::2])
        gauss = torch.stack([amplitude, width], dim=2).reshape(len(raw), -1)
        return torch.cat([c6[:, None], c12[:, None], gauss], dim=1)


def pair_energy(c, qq, r, long_range) -> tuple[torch.Tensor, torch.Tensor]:
    """(E_vdW = −C0/r⁶ + C1/r¹² on long-range pairs + E_SR, E_Coulomb on long-range pairs) per pair.

    kcal/mol with r in Å; ``qq`` is Q_i·Q_j (e²); ``long_range`` marks pairs that do not share a covalent bond.
    """
    lr = long_range.to(r.dtype)
    inv6 = r ** -6
    e_vdw = lr * (c[:, 1] * inv6 * inv6 - c[:, 0] * inv6)
    for k, centre in enumerate(GAUSSIAN_CENTRES_A):
        amp, width = c[:, 2 + 2 * k], c[:, 3 + 2 * k]
        e_vdw = e_vdw + amp * torch.exp(-((r - centre) ** 2) / (width**2 + WIDTH_EPSILON_A2))
    e_coul = lr * COULOMB_KCAL_ANGSTROM * qq / r
    return e_vdw, e_coul


def vdw_curve(c, r) -> torch.Tensor:
    """E_vdW (kcal/mol) of non-covalent pairs with constants c (P, 14) on a grid r (G,) Å: (P, G)."""
    r = r[None, :]
    e = c[:, 1:2] * r**-12 - c[:, 0:1] * r**-6
    for k, centre in enumerate(GAUSSIAN_CENTRES_A):
        e = e + c[:, 2 + 2 * k, None] * torch.exp(-((r - centre) ** 2) / (c[:, 3 + 2 * k, None] ** 2 + WIDTH_EPSILON_A2))
    return e


def vdw_energy_and_slope(c, r) -> tuple[torch.Tensor, torch.Tensor]:
    """(E_vdW in kcal/mol, dE_vdW/dr in kcal/mol/Å) for constants c (..., 14) at distances r (Å) broadcast
    against c[..., 0]: pass c[:, None, :] and r[None, :] for curves on a grid, c and r of one length for one
    distance per pair. The force a liquid's virial needs, without autograd."""
    inv6 = r**-6
    e = c[..., 1] * inv6 * inv6 - c[..., 0] * inv6
    de = (-12.0 * c[..., 1] * inv6 * inv6 + 6.0 * c[..., 0] * inv6) / r
    for k, centre in enumerate(GAUSSIAN_CENTRES_A):
        width2 = c[..., 3 + 2 * k] ** 2 + WIDTH_EPSILON_A2
        g = c[..., 2 + 2 * k] * torch.exp(-((r - centre) ** 2) / width2)
        e = e + g
        de = de - 2.0 * (r - centre) / width2 * g
    return e, de
