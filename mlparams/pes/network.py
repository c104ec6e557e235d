"""Multilayer perceptrons that fit a potential-energy curve or surface, and their training.

The network maps standardised inputs to standardised energies: E(x) = ȳ + s_y · NN((x − x̄)/s_x), with 1–3
hidden layers of one activation (SELU, ELU, ReLU or Tanh). Training follows the paper: an 80/20 random split
and a mean-squared-error loss, minimised with Adam at a fixed learning rate. Differences, all stated in the
README: full-batch steps (the paper used mini-batches), float64, early stopping on the validation loss
(the weights of the best validation loss are kept), and optionally L-BFGS polishing after Adam.

Losses are reported as MSE in the data's own energy unit squared (meV² for ``lj``, J² for ``morse``, the
reduced unit² for the surfaces) and, divided by the square of the potential's energy scale (ε, D or De),
as a dimensionless MSE.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from mlparams.errors import MlparamsError
from mlparams.model_files import load_model, save_model

ACTIVATIONS = ("selu", "elu", "relu", "tanh")
WIDTHS = (5, 10, 20, 30, 40, 50)
LEARNING_RATES = (0.1, 0.01, 0.001, 0.0001)
CHECK_EVERY = 10


@dataclass(frozen=True)
class FitConfig:
    """One point of the hyperparameter grid plus the training budget."""

    hidden: tuple
    activation: str
    lr: float
    max_epochs: int = 3000
    patience: int = 500
    seed: int = 0
    val_fraction: float = 0.2
    polish_steps: int = 0

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise MlparamsError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if not self.hidden or len(self.hidden) > 3 or any(int(w) < 1 for w in self.hidden):
            raise MlparamsError(f"hidden layers {self.hidden} must be 1 to 3 positive widths, e.g. 50,50")
        if not 0.0 < self.lr < 1.0:
            raise MlparamsError(f"learning rate {self.lr} must lie between 0 and 1, e.g. 0.001")
        if self.max_epochs < 1 or self.patience < CHECK_EVERY:
            raise MlparamsError(f"epochs {self.max_epochs} must be >= 1 and patience {self.patience} >= {CHECK_EVERY}")

    @property
    def key(self) -> str:
        return f"{'x'.join(str(int(w)) for w in self.hidden)}|{self.activation}|{self.lr:g}"


@dataclass
class FitResult:
    config: FitConfig
    train_mse: float
    val_mse: float
    val_mse_reduced: float
    epochs: int
    seconds: float
    history: list = field(default_factory=list)


def _module(n_in: int, config: FitConfig):
    import torch

    act = {"selu": torch.nn.SELU, "elu": torch.nn.ELU, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[config.activation]
    layers, width = [], n_in
    for w in config.hidden:
        layers += [torch.nn.Linear(width, int(w)), act()]
        width = int(w)
    layers.append(torch.nn.Linear(width, 1))
    return torch.nn.Sequential(*layers).double()


class PesNetwork:
    """A trained network with its input and energy scalers; energies and gradients in the data's units."""

    def __init__(self, module, x_mean, x_std, y_mean, y_std, info: dict):
        self.module = module
        self.x_mean, self.x_std = np.asarray(x_mean, dtype=float), np.asarray(x_std, dtype=float)
        self.y_mean, self.y_std = float(y_mean), float(y_std)
        self.info = info

    def energy(self, x) -> np.ndarray:
        import torch

        x = np.atleast_2d(np.asarray(x, dtype=float))
        with torch.no_grad():
            z = self.module(torch.from_numpy((x - self.x_mean) / self.x_std))
        return self.y_mean + self.y_std * z.numpy()[:, 0]

    def gradient(self, x) -> np.ndarray:
        """dE/dx (N × d) by automatic differentiation, in energy unit per input unit."""
        import torch

        x = np.atleast_2d(np.asarray(x, dtype=float))
        xt = torch.from_numpy((x - self.x_mean) / self.x_std).requires_grad_(True)
        (g,) = torch.autograd.grad(self.module(xt).sum(), xt)
        return self.y_std * g.numpy() / self.x_std

    def save(self, folder) -> Path:
        """folder/network.pt (weights) and folder/network.json (architecture, scalers, data, metrics)."""
        meta = {"x_mean": self.x_mean.tolist(), "x_std": self.x_std.tolist(), "y_mean": self.y_mean,
                "y_std": self.y_std, **self.info}
        return save_model(folder, "network", self.module.state_dict(), meta)

    @classmethod
    def load(cls, folder) -> "PesNetwork":
        meta, weights = load_model(folder, "network", "mlparams pes fit --out DIR first")
        config = FitConfig(**{**meta["config"], "hidden": tuple(meta["config"]["hidden"])})
        module = _module(len(meta["x_mean"]), config)
        module.load_state_dict(weights)
        info = {k: v for k, v in meta.items() if k not in ("x_mean", "x_std", "y_mean", "y_std")}
        return cls(module, meta["x_mean"], meta["x_std"], meta["y_mean"], meta["y_std"], info)


def fit(ds, config: FitConfig, threads: int | None = None) -> tuple[PesNetwork, FitResult]:
    """Train one network on a :class:`mlparams.pes.potentials.Dataset`; the best-validation weights are kept."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    torch.manual_seed(config.seed)
    train, val = ds.split(config.val_fraction, config.seed)
    x_mean, x_std = ds.x[train].mean(axis=0), ds.x[train].std(axis=0)
    y_mean, y_std = float(ds.y[train].mean()), float(ds.y[train].std())
    if np.any(x_std == 0) or y_std == 0:
        raise MlparamsError(f"{ds.name}: the training inputs or energies do not vary; give a scan over several distances")
    xs = torch.from_numpy((ds.x - x_mean) / x_std)
    ys = torch.from_numpy((ds.y - y_mean) / y_std)
    xt, yt, xv, yv = xs[train], ys[train], xs[val], ys[val]
    module = _module(ds.dimension, config)
    opt = torch.optim.Adam(module.parameters(), lr=config.lr)
    mse = torch.nn.MSELoss()
    best = (float("inf"), None, 0)
    history = []
    epoch = 0
    for epoch in range(1, config.max_epochs + 1):
        opt.zero_grad()
        loss = mse(module(xt)[:, 0], yt)
        loss.backward()
        opt.step()
        if epoch % CHECK_EVERY == 0 or epoch == config.max_epochs:
            with torch.no_grad():
                v = float(mse(module(xv)[:, 0], yv))
            if not np.isfinite(v):
                break
            history.append((epoch, float(loss.detach()), v))
            if v < best[0]:
                best = (v, {k: t.clone() for k, t in module.state_dict().items()}, epoch)
            elif epoch - best[2] >= config.patience:
                break
    if best[1] is not None:
        module.load_state_dict(best[1])
    if config.polish_steps:
        lbfgs = torch.optim.LBFGS(module.parameters(), lr=1.0, max_iter=config.polish_steps,
                                  tolerance_grad=1e-12, tolerance_change=1e-16, history_size=50,
                                  line_search_fn="strong_wolfe")

        def closure():
            lbfgs.zero_grad()
            value = mse(module(xt)[:, 0], yt)
            value.backward()
            return value

        before = {k: t.clone() for k, t in module.state_dict().items()}
        lbfgs.step(closure)
        with torch.no_grad():
            v = float(mse(module(xv)[:, 0], yv))
        if np.isfinite(v) and v < best[0]:
            history.append((epoch + config.polish_steps, float(closure().detach()), v))
            best = (v, None, best[2])
        else:
            module.load_state_dict(before)
    with torch.no_grad():
        train_mse = float(mse(module(xt)[:, 0], yt)) * y_std**2
        val_mse = float(mse(module(xv)[:, 0], yv)) * y_std**2
    scale = float(ds.meta.get("scale", 1.0))
    result = FitResult(config, train_mse, val_mse, val_mse / scale**2, epoch, time.perf_counter() - t0,
                       [(e, t * y_std**2, v * y_std**2) for e, t, v in history])
    info = {"config": {**asdict(config), "hidden": list(config.hidden)}, "dataset": ds.name,
            "description": ds.description, "inputs": list(ds.input_names), "length_unit": ds.length_unit,
            "energy_unit": ds.energy_unit, "x_range": [ds.x.min(axis=0).tolist(), ds.x.max(axis=0).tolist()],
            "energy_scale": scale, "train_mse": train_mse, "val_mse": val_mse,
            "val_mse_reduced": result.val_mse_reduced, "epochs": epoch}
    return PesNetwork(module, x_mean, x_std, y_mean, y_std, info), result
