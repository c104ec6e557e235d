"""Exp-6 constants per element and partial charge, learned from intermolecular CCSD(T)-level dimers.

The paper's method (Lal et al. 2023: per-atom A, B, C from the atomic mass, covalent radius, atomic number and
partial charge; pair constants by its mixing rules; E = A·exp(−r/B) − C/r⁶), given labels that describe
nonbonded contacts: the interaction energies of the training dimers (:mod:`mlparams.models.dimer_pairs`).
Charges are the AM1-BCC charges the exporters use, fixed; the model's E_int of a dimer is

    E_int = Σ_{i∈A, j∈B} [ k·q_i·q_j/r + A_ij·exp(−r/B_ij) − C_ij/(r⁶ + d⁶·s(r)) ]

with the engines' guarded dispersion (:mod:`mlparams.forms.buckingham`), so the fitted model is the model
the engines run. Units: nm, kJ/mol, e inside; the loss is in kcal/mol, the references' unit.

Two routes, compared on held-out training dimers (never on the validation sets):

* ``mlp``: a small network maps the standardised features to (ln A, ln B, ln C) of each atom and is trained
  end to end through the mixing rules (torch, double precision).
* ``rf``: free per-atom labels for each (element, 0.05 e charge bin) class are fitted through the mixing
  rules, then the paper's random forest learns features → labels; the forest's predictions are scored.

Loss: Σ w·(E_model − E_ref)² / Σ w over neutral dimers, with w = exp(−max(E_ref, 0)/8 kcal/mol) so the
strongly compressed points (up to +90 kcal/mol) do not dominate, plus a wall penalty: for every pair of probe
atoms (each trained element at the ends and middle of its charge range), the total pair force including
Coulomb must be repulsive from 0.08 to 0.15 nm and the van der Waals force alone from 0.01 to 0.15 nm.
Charged (ionic) dimers are left out of the loss: without polarisation their gas-phase energies are
dominated by induction that point charges cannot give; they are reported separately.

Charges outside an element's training range are clamped to it for the van der Waals prediction (the Coulomb
term keeps the true charge); elements outside the training data are refused.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlparams.atomic_files import replacing, write_json
from mlparams.elements import normalise_symbol
from mlparams.errors import MissingFileError, ModelNotTrainedError, UnknownElementError
from mlparams.forms import buckingham as bk
from mlparams.models.buckingham_labels import FEATURE_NAMES, feature_matrix
from mlparams.models.dimer_pairs import KCAL_IN_KJ, TRAINING_SETS, VALIDATION_SETS, DimerPairs, named_sets
from mlparams.units import COULOMB_KJ_PER_MOL_NM

NAME = "buckingham"
ROUTES = ("mlp", "rf")
#: Reference scales of the per-atom outputs: A in kJ/mol, B in nm, C in kJ/mol·nm⁶ (≈ GAFF2 carbon).
REFERENCE = {"A": 2.0e5, "B": 0.028, "C": 2.0e-3}
WEIGHT_SCALE_KCAL = 8.0
HOLDOUT_FRACTION = 0.2
WALL_TOTAL_NM = (0.08, 0.12)
WALL_VDW_NM = (0.01, 0.15)
CHARGE_BIN = 0.05
HIDDEN = 24
#: Exponent of the per-set balance of the loss weights (see :func:`weights`).
SET_BALANCE = 0.0
SEED = 0


def group_of(set_name: str, name: str) -> str:
    """Dimers of one system (points along one curve, one residue pair) share a group: split by group."""
    return f"{set_name}:{name.rsplit('-', 1)[0]}"


def holdout_mask(data: DimerPairs, fraction: float = HOLDOUT_FRACTION) -> np.ndarray:
    """True for held-out dimers: whole groups, chosen by a hash of the group name (stable across runs)."""
    keys = [group_of(s, n) for s, n in zip(data.set_name, data.name)]
    score = np.array([int(hashlib.sha256(k.encode()).hexdigest()[:8], 16) / 16**8 for k in keys])
    return score < fraction


def weights(data: DimerPairs, set_balance: float | None = None) -> np.ndarray:
    """Loss weight per dimer: exp(−max(E_ref, 0)/8 kcal/mol) × (n_set)^−balance; 0 for charged dimers.

    n_set counts the set's neutral dimers (those the loss sees). ``set_balance`` 0 weighs every dimer alike
    (SSI's 2,600 residue pairs then dominate); 1 gives every set the same number of dimers' worth of weight
    (before the exp factor).
    """
    balance = SET_BALANCE if set_balance is None else set_balance
    neutral = ~data.charged
    w = np.exp(-np.clip(data.e_ref_kcal, 0.0, None) / WEIGHT_SCALE_KCAL) * neutral
    names, inverse = np.unique(data.set_name, return_inverse=True)
    counts = np.maximum(np.bincount(inverse, weights=neutral.astype(float), minlength=len(names)), 1.0)
    return w * counts[inverse] ** (-balance)


# --- the model as shipped (NumPy inference) ---------------------------------------------------------------


@dataclass
class DimerBuckinghamModel:
    """Per-atom exp-6 constants from (element, charge), fitted to dimer interaction energies."""

    name: str
    route: str
    mixing_rule: str
    charge_range: dict  # element -> [q_min, q_max] seen in training (e)
    feature_mean: list
    feature_std: list
    network: list = field(default_factory=list)  # mlp: [(W, b), ...] as nested lists
    forest: object = None  # rf: sklearn RandomForestRegressor on standardised features -> z
    metrics: dict = field(default_factory=dict)
    #: Length factors λ per element from the density refinement (missing = 1): an atom's B → λ·B and
    #: C → λ⁶·C, so with equal factors every pair curve is stretched in r (:mod:`mlparams.models.density_refinement`).
    length_scales: dict = field(default_factory=dict)

    @property
    def training_elements(self) -> tuple[str, ...]:
        return tuple(sorted(self.charge_range))

    def in_training_set(self, element: str) -> bool:
        return normalise_symbol(element) in self.charge_range

    def _z(self, symbols, charges) -> np.ndarray:
        X = (feature_matrix(symbols, charges) - np.array(self.feature_mean)) / np.array(self.feature_std)
        if self.route == "rf":
            return self.forest.predict(X)
        h = X
        for k, (W, b) in enumerate(self.network):
            h = h @ np.array(W).T + np.array(b)
            if k < len(self.network) - 1:
                h = np.tanh(h)
        return h

    def constants(self, symbols, charges) -> np.ndarray:
        """(n, 3) array of A (kJ/mol), B (nm), C (kJ/mol·nm⁶); charges clamped to each element's range."""
        symbols = [normalise_symbol(s) for s in symbols]
        missing = sorted({s for s in symbols if s not in self.charge_range})
        if missing:
            raise UnknownElementError(
                f"model {self.name} was trained on {', '.join(self.training_elements)} only, not {', '.join(missing)}; "
                "use --model gaff2 or buckingham-lal2023 for such molecules"
            )
        q = np.array([np.clip(float(c), *self.charge_range[s]) for s, c in zip(symbols, charges)])
        c = z_to_constants(self._z(symbols, q))
        lam = np.array([float(self.length_scales.get(s, 1.0)) for s in symbols])
        return c * np.column_stack([np.ones_like(lam), lam, lam**6])

    def predict_many(self, elements, charges) -> list[bk.BuckinghamConstants]:
        from mlparams.models.buckingham_rf import check_charge

        qs = [check_charge(q) for q in charges]
        symbols = [normalise_symbol(e) for e in elements]
        y = self.constants(symbols, qs)
        return [bk.BuckinghamConstants(float(a), float(b), float(c), element=s, charge=q, model=self.name)
                for (a, b, c), s, q in zip(y, symbols, qs)]

    def predict(self, element: str, charge: float) -> bk.BuckinghamConstants:
        return self.predict_many([element], [charge])[0]


def z_to_constants(z) -> np.ndarray:
    z = np.atleast_2d(np.asarray(z, dtype=float))
    return np.column_stack([REFERENCE["A"] * np.exp(z[:, 0]), REFERENCE["B"] * np.exp(z[:, 1]),
                            REFERENCE["C"] * np.exp(z[:, 2])])


def predict_dimers(model: DimerBuckinghamModel, data: DimerPairs) -> tuple[np.ndarray, np.ndarray]:
    """(E_int, van der Waals part) per dimer in kcal/mol, in NumPy with the engines' guarded form."""
    c = model.constants(data.atom_element.tolist(), data.atom_charge)
    A, B, C = bk.mix(c[data.pair_i, 0], c[data.pair_i, 1], c[data.pair_i, 2],
                     c[data.pair_j, 0], c[data.pair_j, 1], c[data.pair_j, 2], model.mixing_rule)
    e = bk.energy(data.pair_r_nm, A, B, C)
    vdw = np.bincount(data.pair_dimer, weights=e, minlength=data.n_dimers) / KCAL_IN_KJ
    return vdw + data.coulomb_kcal(), vdw


# --- training (torch) -----------------------------------------------------------------------------------


def _torch():
    """torch, used in float64 throughout (explicit dtypes: the process-wide default is left alone)."""
    import torch

    return torch


class _Fit:
    """Tensors of one DimerPairs set for the torch loss."""

    def __init__(self, data: DimerPairs, mean, std, set_balance: float | None = None):
        torch = _torch()
        self.data = data
        self.X = torch.tensor((feature_matrix(data.atom_element.tolist(), data.atom_charge) - mean) / std)
        self.i = torch.tensor(data.pair_i)
        self.j = torch.tensor(data.pair_j)
        self.r = torch.tensor(data.pair_r_nm)
        self.dimer = torch.tensor(data.pair_dimer)
        self.coulomb = torch.tensor(data.coulomb_kcal())
        self.ref = torch.tensor(data.e_ref_kcal)
        self.w = torch.tensor(weights(data, set_balance))


def _pair_energy(torch, z_i, z_j, r, rule):
    """Guarded exp-6 energy (kJ/mol) of pairs from per-atom z = (ln A/A0, ln B/B0, ln C/C0)."""
    lnA = 0.5 * (z_i[:, 0] + z_j[:, 0])
    if rule == "geometric":
        B = REFERENCE["B"] * torch.exp(0.5 * (z_i[:, 1] + z_j[:, 1]))
    else:
        B = 0.5 * REFERENCE["B"] * (torch.exp(z_i[:, 1]) + torch.exp(z_j[:, 1]))
    C = REFERENCE["C"] * torch.exp(0.5 * (z_i[:, 2] + z_j[:, 2]))
    s = torch.clamp(1.0 - r / bk.SWITCH_NM, min=0.0) ** 3
    return REFERENCE["A"] * torch.exp(lnA - r / B) - C / (r**6 + bk.DAMPING_NM**6 * s)


def _dimer_energy(torch, z, fit: _Fit, rule):
    e = _pair_energy(torch, z[fit.i], z[fit.j], fit.r, rule) / KCAL_IN_KJ
    return torch.zeros(len(fit.ref), dtype=torch.float64).index_add(0, fit.dimer, e) + fit.coulomb


def probe_atoms(charge_range: dict):
    """(symbols, charges): each element at the low end, middle and high end of its training charge range."""
    symbols, charges = [], []
    for s, (lo, hi) in sorted(charge_range.items()):
        for q in (lo, 0.5 * (lo + hi), hi):
            symbols.append(s)
            charges.append(q)
    return symbols, np.array(charges)


def _wall_penalty(torch, z_probe, q_probe, rule):
    """Mean squared shortfall (per 1000 kJ/mol/nm) of repulsive force on the wall grids, over probe pairs."""
    n = len(q_probe)
    ii, jj = np.triu_indices(n)
    penalties = []
    for (lo, hi), with_coulomb in ((WALL_TOTAL_NM, True), (WALL_VDW_NM, False)):
        grid = np.linspace(lo, hi, 15)
        r = torch.tensor(np.tile(grid, len(ii)), requires_grad=True)
        e = _pair_energy(torch, z_probe[np.repeat(ii, grid.size)], z_probe[np.repeat(jj, grid.size)], r, rule)
        if with_coulomb:
            e = e + COULOMB_KJ_PER_MOL_NM * torch.tensor(np.repeat(q_probe[ii] * q_probe[jj], grid.size)) / r
        # each energy depends on its own r only, so the gradient of the sum is every pair's dE/dr
        (dEdr,) = torch.autograd.grad(e.sum(), r, create_graph=True)
        penalties.append(torch.mean(torch.relu(dEdr / 1000.0) ** 2))  # dE/dr > 0: attraction
    return sum(penalties)


def _charge_range(data: DimerPairs) -> dict:
    """Per element, [min, max] charge over the atoms of neutral dimers (those the loss sees)."""
    atom_dimer = np.zeros(len(data.atom_charge), dtype=int)
    atom_dimer[data.pair_i] = data.pair_dimer
    atom_dimer[data.pair_j] = data.pair_dimer
    neutral = ~data.charged[atom_dimer]
    out = {}
    for s in sorted(set(data.atom_element[neutral].tolist())):
        q = data.atom_charge[neutral & (data.atom_element == s)]
        out[s] = [float(q.min()), float(q.max())]
    return out


def feature_scaling(data: DimerPairs) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of the features over the atoms of a dimer set: the network's input standardisation."""
    X = feature_matrix(data.atom_element.tolist(), data.atom_charge)
    return X.mean(axis=0), X.std(axis=0) + 1e-12


def _optimise(torch, fit, atoms_and_probes, q_probe, rule, params, lr, eta_min, steps, wall_weight, progress,
              regulariser=None) -> list[tuple[float, float]]:
    """Adam with cosine decay on weighted MSE of E_int + wall penalty (+ regulariser); returns (RMSE, wall) per step.

    ``atoms_and_probes()`` gives the per-atom z of the training atoms and of the probe atoms for this step.
    """
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=eta_min)
    history = []
    for step in range(steps):
        opt.zero_grad()
        z_atoms, z_probe = atoms_and_probes()
        e = _dimer_energy(torch, z_atoms, fit, rule)
        mse = torch.sum(fit.w * (e - fit.ref) ** 2) / torch.sum(fit.w)
        wall = _wall_penalty(torch, z_probe, q_probe, rule)
        loss = mse + wall_weight * wall + (regulariser() if regulariser else 0.0)
        loss.backward()
        opt.step()
        sched.step()
        history.append((float(mse.detach().sqrt()), float(wall.detach())))
        if progress:
            progress(step, steps, history[-1])
    return history


def train_mlp(train: DimerPairs, rule: str, steps: int = 1500, wall_weight: float = 10.0, progress=None,
              liquids=None, liquid_weight: float = 0.0, init: "DimerBuckinghamModel | None" = None,
              lr: float = 0.01, per_frame=None, set_balance: float | None = None):
    """Fit the network end to end; returns (model without metrics, loss history).

    ``liquids`` (a list of :class:`mlparams.models.liquid_pressure.LiquidFrames`) adds the liquids' pressure
    term: ``liquid_weight`` × mean of ((P_model − P_exp) / 100 bar)² (100 bar ≈ 1 % in density).
    ``init``: start from this model's network (and its feature scaling) instead of a random one.
    ``per_frame``: per-frame histograms of the liquids (sampled with ``init``): reweight the frames instead of
    holding them fixed (:class:`mlparams.models.liquid_pressure.PressureTerm`).
    ``set_balance``: the dimer weights' set balance (:func:`weights`; default the module's SET_BALANCE).
    """
    torch = _torch()
    torch.manual_seed(SEED)
    mean, std = feature_scaling(train)
    if init is not None:
        mean, std = np.array(init.feature_mean), np.array(init.feature_std)
    fit = _Fit(train, mean, std, set_balance)
    cr = _charge_range(train)
    ps, pq = probe_atoms(cr)
    X_probe = torch.tensor((feature_matrix(ps, pq) - mean) / std)
    net = make_network(torch, init)
    regulariser = None
    if liquids:
        from mlparams.models.liquid_pressure import ESS_MIN, ESS_WEIGHT, PRESSURE_SCALE_BAR, PressureTerm

        term = PressureTerm(liquids, mean, std, cr, per_frame=per_frame)

        def liquid_term():
            residual, ess = term.residuals(net(term.X), rule)
            trust = ESS_WEIGHT * torch.mean(torch.relu(ESS_MIN - ess) ** 2)
            return liquid_weight * torch.mean((residual / PRESSURE_SCALE_BAR) ** 2) + trust

        regulariser = liquid_term

    history = _optimise(torch, fit, lambda: (net(fit.X), net(X_probe)), pq, rule, list(net.parameters()),
                        lr=lr, eta_min=min(3e-4, lr), steps=steps, wall_weight=wall_weight, progress=progress,
                        regulariser=regulariser)
    model = DimerBuckinghamModel(NAME, "mlp", rule, cr, mean.tolist(), std.tolist(), network=network_lists(net))
    return model, history


def make_network(torch, init: "DimerBuckinghamModel | None" = None):
    """The 4 → 24 → 24 → 3 tanh network (float64) of the ``mlp`` route: small random start, or ``init``'s weights."""
    f64 = torch.float64
    net = torch.nn.Sequential(torch.nn.Linear(len(FEATURE_NAMES), HIDDEN, dtype=f64), torch.nn.Tanh(),
                              torch.nn.Linear(HIDDEN, HIDDEN, dtype=f64), torch.nn.Tanh(),
                              torch.nn.Linear(HIDDEN, 3, dtype=f64))
    with torch.no_grad():
        net[-1].weight.mul_(0.1)
        net[-1].bias.zero_()
        if init is not None:
            for layer, (W, b) in zip([m for m in net if isinstance(m, torch.nn.Linear)], init.network):
                layer.weight.copy_(torch.tensor(W, dtype=f64))
                layer.bias.copy_(torch.tensor(b, dtype=f64))
    return net


def network_lists(net) -> list:
    """The network's (W, b) per layer as nested lists (what :class:`DimerBuckinghamModel` stores)."""
    layers = [m for m in net if isinstance(m, _torch().nn.Linear)]
    return [(m.weight.detach().numpy().tolist(), m.bias.detach().numpy().tolist()) for m in layers]


def atom_classes(elements, charges) -> tuple[np.ndarray, list[tuple[str, float]]]:
    """Per atom, its (element, charge bin) class index; and the classes (element, bin centre)."""
    bins = np.round(np.asarray(charges) / CHARGE_BIN).astype(int)
    keys = sorted(set(zip(elements, bins.tolist())))
    index = {k: n for n, k in enumerate(keys)}
    return np.array([index[k] for k in zip(elements, bins.tolist())]), [(s, b * CHARGE_BIN) for s, b in keys]


def train_rf(train: DimerPairs, rule: str, steps: int = 1500, wall_weight: float = 10.0, progress=None):
    """Fit per-class labels through the mixing rules, then the paper's random forest on them."""
    from sklearn.ensemble import RandomForestRegressor

    torch = _torch()
    cls, keys = atom_classes(train.atom_element.tolist(), train.atom_charge)
    elements = sorted({s for s, _ in keys})
    elem_of_class = torch.tensor([elements.index(s) for s, _ in keys])
    mean, std = feature_scaling(train)
    fit = _Fit(train, mean, std)
    cls_t = torch.tensor(cls)
    z_elem = torch.zeros(len(elements), 3, dtype=torch.float64, requires_grad=True)
    z_delta = torch.zeros(len(keys), 3, dtype=torch.float64, requires_grad=True)
    cr = _charge_range(train)
    ps, pq = probe_atoms(cr)
    probe_cls = _nearest_classes(ps, pq, keys)
    probe_t = torch.tensor(probe_cls)

    def atoms_and_probes():
        z_class = z_elem[elem_of_class] + z_delta
        return z_class[cls_t], z_class[probe_t]

    history = _optimise(torch, fit, atoms_and_probes, pq, rule, [z_elem, z_delta], lr=0.02, eta_min=5e-4,
                        steps=steps, wall_weight=wall_weight, progress=progress,
                        regulariser=lambda: 0.1 * torch.mean(z_delta**2))
    z_class = (z_elem[elem_of_class] + z_delta).detach().numpy()
    counts = np.bincount(cls, minlength=len(keys))
    # The forest's inputs are each class's mean charge, so labels sit at the charges the atoms really carry.
    q_mean = np.bincount(cls, weights=train.atom_charge, minlength=len(keys)) / np.maximum(counts, 1)
    Xc = (feature_matrix([s for s, _ in keys], q_mean) - mean) / std
    forest = RandomForestRegressor(n_estimators=200, min_samples_leaf=1, random_state=SEED)
    forest.fit(Xc, z_class, sample_weight=counts)
    model = DimerBuckinghamModel(NAME, "rf", rule, cr, mean.tolist(), std.tolist(), forest=forest)
    model.metrics["n_classes"] = len(keys)
    return model, history


def _nearest_classes(symbols, charges, keys) -> list[int]:
    """Index of the (element, charge bin) class nearest to each probe atom."""
    out = []
    for s, q in zip(symbols, charges):
        cands = [(abs(q - c), n) for n, (e, c) in enumerate(keys) if e == s]
        out.append(min(cands)[1])
    return out


# --- evaluation ------------------------------------------------------------------------------------------


def stats(err) -> dict:
    err = np.asarray(err, dtype=float)
    if err.size == 0:
        return {"n": 0}
    return {"n": int(err.size), "RMSE": float(np.sqrt(np.mean(err**2))), "MAE": float(np.mean(np.abs(err))),
            "MSE": float(np.mean(err))}


def evaluate(model: DimerBuckinghamModel, data: DimerPairs, label: str) -> dict:
    """RMSE/MAE of E_int (kcal/mol): all neutral dimers, those with E_ref ≤ 0, charged ones, and per set."""
    e, _ = predict_dimers(model, data)
    err = e - data.e_ref_kcal
    neutral = ~data.charged
    out = {
        "neutral": stats(err[neutral]),
        "neutral_bound": stats(err[neutral & (data.e_ref_kcal <= 0)]),
        "charged": stats(err[data.charged]),
        "coulomb_only_neutral": stats((data.coulomb_kcal() - data.e_ref_kcal)[neutral]),
        "by_set": {s: stats(err[(data.set_name == s) & neutral]) for s in sorted(set(data.set_name.tolist()))},
    }
    return {"label": label, **out}


def s22_equilibrium(data: DimerPairs) -> np.ndarray:
    """Mask of the S22by7 points at the equilibrium separation (names ``N-1.0``): the S22 set itself."""
    return np.array([n.endswith("-1.0") for n in data.name])


def validation_metrics(model: DimerBuckinghamModel, validation: dict) -> dict:
    """Errors on the validation sets (``validation``: set name -> DimerPairs): S22 (S22by7 at 1.0 R_eq), S22by7, JSCH."""
    s22 = validation["S22by7"]
    return {
        "S22": evaluate(model, s22.subset(s22_equilibrium(s22)), "S22 (S22by7 at 1.0 R_eq)"),
        "S22by7": evaluate(model, s22, "S22by7"),
        "JSCH": evaluate(model, validation["JSCH"], "JSCH"),
    }


def wall_report(model: DimerBuckinghamModel) -> dict:
    """Worst force (kJ/mol/nm, positive = repulsive) over probe pairs on the wall grids."""
    ps, pq = probe_atoms(model.charge_range)
    c = model.constants(ps, pq)
    ii, jj = np.triu_indices(len(ps))
    A, B, C = bk.mix(c[ii, 0], c[ii, 1], c[ii, 2], c[jj, 0], c[jj, 1], c[jj, 2], model.mixing_rule)
    out = {}
    for key, (lo, hi), coul in (("total", WALL_TOTAL_NM, True), ("vdw", WALL_VDW_NM, False)):
        r = np.linspace(lo, hi, 200)[:, None]
        f = bk.force(r, A, B, C)
        if coul:
            f = f + COULOMB_KJ_PER_MOL_NM * (pq[ii] * pq[jj]) / r**2
        k = np.unravel_index(np.argmin(f), f.shape)
        out[key] = {"min_force_kJ_mol_nm": float(f[k]), "at_nm": float(r[k[0], 0]),
                    "pair": f"{ps[ii[k[1]]]}({pq[ii[k[1]]]:+.2f})-{ps[jj[k[1]]]}({pq[jj[k[1]]]:+.2f})",
                    "range_nm": [lo, hi]}
    return out


def train(routes=ROUTES, rules=("geometric", "arithmetic-b"), steps: int = 1500, progress: bool = True):
    """Train every (route, mixing rule), pick the best on held-out training dimers, refit it on all of them.

    Returns (chosen model with metrics, comparison table).
    """
    t0 = time.perf_counter()
    data = named_sets(TRAINING_SETS, progress=progress)
    hold = holdout_mask(data)
    train_part, held = data.subset(~hold), data.subset(hold)
    validation = {s: named_sets([s], progress=progress) for s in VALIDATION_SETS}
    trainers = {"mlp": train_mlp, "rf": train_rf}
    comparison = []
    for route in routes:
        for rule in rules:
            t1 = time.perf_counter()
            model, history = trainers[route](train_part, rule, steps, progress=_bar(progress, f"{route}/{rule}", steps))
            row = {"route": route, "mixing_rule": rule, "seconds": round(time.perf_counter() - t1, 1),
                   "train": evaluate(model, train_part, "train")["neutral"],
                   "holdout": evaluate(model, held, "holdout")["neutral"],
                   "wall": wall_report(model)}
            comparison.append(row)
    best = min(comparison, key=lambda r: r["holdout"]["RMSE"])
    model, history = trainers[best["route"]](data, best["mixing_rule"], steps,
                                             progress=_bar(progress, f"final {best['route']}/{best['mixing_rule']}", steps))
    model.metrics.update({
        "model": NAME,
        "route": model.route,
        "mixing_rule": model.mixing_rule,
        "features": list(FEATURE_NAMES),
        "training_sets": list(TRAINING_SETS),
        "validation_sets": list(VALIDATION_SETS),
        "n_training_dimers": int(data.n_dimers),
        "n_training_dimers_neutral": int((~data.charged).sum()),
        "n_holdout_dimers": int(hold.sum()),
        "skipped_training_dimers": data.skipped,
        "selection": "lowest RMSE on held-out training groups (20 %, by hash of the group name)",
        "comparison": comparison,
        "final_loss_rmse_kcal": history[-1][0],
        "training": evaluate(model, data, "training"),
        "validation": validation_metrics(model, validation),
        "wall": wall_report(model),
        "steps": steps,
        "seconds_total": round(time.perf_counter() - t0, 1),
        "python": platform.python_version(),
    })
    return model, comparison


def _bar(progress: bool, desc: str, total: int):
    if not progress:
        return None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="step", leave=False)

    def update(step, steps, last):
        bar.update(1)
        bar.set_postfix(rmse=f"{last[0]:.3f}", wall=f"{last[1]:.2g}")
        if step == steps - 1:
            bar.close()

    return update


# --- storage ---------------------------------------------------------------------------------------------


def save_model(model: DimerBuckinghamModel, folder: Path) -> Path:
    """``<name>.joblib`` (network or forest and scalers) and ``<name>.json`` (metrics), via temporary names."""
    import joblib
    import sklearn

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model.name}.joblib"
    payload = {"kind": "dimer-fitted", "name": model.name, "route": model.route, "mixing_rule": model.mixing_rule,
               "charge_range": model.charge_range, "feature_mean": model.feature_mean,
               "feature_std": model.feature_std, "network": model.network, "forest": model.forest,
               "length_scales": dict(model.length_scales), "sklearn_version": sklearn.__version__}
    with replacing(path) as tmp:
        joblib.dump(payload, tmp, compress=3)
    metrics = path.with_suffix(".json")
    write_json(metrics, model.metrics)
    return path


def load_model_file(path: Path) -> DimerBuckinghamModel:
    import joblib
    import sklearn

    path = Path(path)
    if not path.is_file():
        command = {"buckingham-liquids": "train-liquids --frames FRAMES",
                   "buckingham-gaff2": "fit-gaff2-prior"}.get(path.stem, "train-dimers")
        raise MissingFileError(f"model file {path} does not exist; run 'mlparams buckingham {command}' to create it")
    p = joblib.load(path)
    if p.get("route") == "rf" and p.get("sklearn_version") != sklearn.__version__:
        raise ModelNotTrainedError(f"{path} was written by scikit-learn {p.get('sklearn_version')}; retrain with "
                                   "'mlparams buckingham train-dimers'")
    metrics_path = path.with_suffix(".json")
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    return DimerBuckinghamModel(p["name"], p["route"], p["mixing_rule"], p["charge_range"], p["feature_mean"],
                                p["feature_std"], p["network"], p["forest"], metrics, dict(p.get("length_scales", {})))
