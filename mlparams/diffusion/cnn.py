"""The inverse model: a 3-D CNN over (time, pore radius, particle radius) maps → D_eff, D_p, ε, σ and the gas.

Architecture (after the paper's Figure 4, sizes ours): two Conv3d blocks (3→16→32 channels, 3×3×3 kernels,
ReLU, max-pooling over space), a third Conv3d (32→64), global average pooling, then a shared 64-unit layer
with two heads: four regression outputs (log10 D_eff, log10 D_p, ε, σ, each standardised on the training set)
and two class logits (methane, propane). Loss: MSE on the regression outputs + cross-entropy on the class.
Adam (lr 1e-3, ×0.5 every 10 epochs), batches of 64, the best validation epoch kept.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from mlparams.diffusion.dataset import SUBSTANCES, Sample
from mlparams.model_files import load_model, save_model

TARGETS = ("log10_d_eff", "log10_d_p", "epsilon_mev", "sigma_nm")


def _targets(samples: list[Sample]) -> tuple[np.ndarray, np.ndarray]:
    y = np.array([[np.log10(s.d_eff), np.log10(s.d_p), s.epsilon_mev, s.sigma_nm] for s in samples])
    c = np.array([SUBSTANCES.index(s.substance) for s in samples])
    return y, c


def _module():
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv3d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool3d((1, 2, 2)),
                nn.Conv3d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool3d((2, 2, 2)),
                nn.Conv3d(32, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1), nn.Flatten())
            self.shared = nn.Sequential(nn.Linear(64, 64), nn.ReLU())
            self.regress = nn.Linear(64, len(TARGETS))
            self.classify = nn.Linear(64, len(SUBSTANCES))

        def forward(self, x):
            h = self.shared(self.features(x))
            return self.regress(h), self.classify(h)

    torch.manual_seed(0)
    return Net().float()  # float32 whatever the process-wide default dtype


class DiffusionCNN:
    """A trained network with the target scalers; :meth:`predict` returns physical values."""

    def __init__(self, module, y_mean, y_std, info: dict):
        self.module, self.y_mean, self.y_std, self.info = module, np.asarray(y_mean), np.asarray(y_std), info

    def predict(self, x) -> list[dict]:
        import torch

        self.module.eval()
        with torch.no_grad():
            reg, logits = self.module(torch.from_numpy(np.asarray(x, dtype=np.float32)))
        y = reg.numpy() * self.y_std + self.y_mean
        prob = torch.softmax(logits, dim=1).numpy()
        return [{"substance": SUBSTANCES[int(np.argmax(p))], "p_substance": float(np.max(p)),
                 "sigma_nm": float(v[3]), "epsilon_meV": float(v[2]), "D_eff": float(10 ** v[0]), "D_p": float(10 ** v[1])}
                for v, p in zip(y, prob)]

    def save(self, folder) -> Path:
        meta = {"y_mean": self.y_mean.tolist(), "y_std": self.y_std.tolist(), **self.info}
        return save_model(folder, "cnn", self.module.state_dict(), meta)

    @classmethod
    def load(cls, folder) -> "DiffusionCNN":
        meta, weights = load_model(folder, "cnn", "mlparams diffusion train --out DIR")
        module = _module()
        module.load_state_dict(weights)
        info = {k: v for k, v in meta.items() if k not in ("y_mean", "y_std")}
        return cls(module, meta["y_mean"], meta["y_std"], info)


def train(x_train, s_train, x_val, s_val, epochs: int = 30, batch: int = 64, threads: int | None = None,
          progress=None) -> tuple[DiffusionCNN, list]:
    import torch

    if threads:
        torch.set_num_threads(threads)
    y_tr, c_tr = _targets(s_train)
    y_va, c_va = _targets(s_val)
    mean, std = y_tr.mean(axis=0), y_tr.std(axis=0)
    xt, yt, ct = (torch.from_numpy(x_train), torch.from_numpy(((y_tr - mean) / std).astype(np.float32)),
                  torch.from_numpy(c_tr))
    xv, yv, cv = (torch.from_numpy(x_val), torch.from_numpy(((y_va - mean) / std).astype(np.float32)),
                  torch.from_numpy(c_va))
    net = _module()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    mse, ce = torch.nn.MSELoss(), torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    best, history = (float("inf"), None), []
    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        net.train()
        order = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for k in range(0, len(xt), batch):
            idx = order[k:k + batch]
            reg, logits = net(xt[idx])
            loss = mse(reg, yt[idx]) + ce(logits, ct[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        sched.step()
        net.eval()
        with torch.no_grad():
            reg, logits = net(xv)
            val = float(mse(reg, yv) + ce(logits, cv))
        history.append((epoch, total / len(xt), val))
        if val < best[0]:
            best = (val, {k: t.clone() for k, t in net.state_dict().items()})
        if progress:
            progress(epoch, total / len(xt), val)
    net.load_state_dict(best[1])
    info = {"epochs": epochs, "n_train": int(len(xt)), "n_val": int(len(xv)), "best_val_loss": best[0],
            "seconds": round(time.perf_counter() - t0, 1), "targets": list(TARGETS)}
    return DiffusionCNN(net, mean, std, info), history


def evaluate(model: DiffusionCNN, x, samples: list[Sample]) -> dict:
    """Relative errors (%) of σ, ε, D_eff, D_p, class accuracy, and the prior-mean baseline for σ and ε."""
    from mlparams.diffusion.activation import THEORY

    pred = model.predict(x)
    out = {}
    for key, attr in (("sigma", "sigma_nm"), ("epsilon", "epsilon_mev"), ("D_eff", "d_eff"), ("D_p", "d_p")):
        pkey = {"sigma": "sigma_nm", "epsilon": "epsilon_meV", "D_eff": "D_eff", "D_p": "D_p"}[key]
        rel = np.array([abs(p[pkey] - getattr(s, attr)) / getattr(s, attr) for p, s in zip(pred, samples)])
        out[f"{key}_mean_rel_err_pct"] = float(100 * rel.mean())
        out[f"{key}_median_rel_err_pct"] = float(100 * np.median(rel))
    for key, k in (("sigma", 0), ("epsilon", 1)):
        attr = "sigma_nm" if key == "sigma" else "epsilon_mev"
        rel = np.array([abs(THEORY[s.substance][k] - getattr(s, attr)) / getattr(s, attr) for s in samples])
        out[f"{key}_prior_mean_baseline_rel_err_pct"] = float(100 * rel.mean())
    out["class_accuracy_pct"] = float(100 * np.mean([p["substance"] == s.substance for p, s in zip(pred, samples)]))
    out["n"] = len(samples)
    return out
