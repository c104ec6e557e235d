"""Drivers behind ``mlparams gnn …``: QM data, training of the shipped models, report figures, benchmark."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json, write_text
from mlparams.errors import MlparamsError


STAGE_FIELDS = {
    "embeddings": ("seed", "stage1_epochs", "stage1_batch", "learning_rate", "decay_every", "decay_factor",
                   "molecule_validation_fraction"),
    "gnn-molecules": ("stage2_epochs", "stage2_batch", "noise_angstrom", "charge_anchor_weight", "dimer_holdout_fraction"),
    "gnn": ("stage3_epochs", "stage3_batch", "gaff2_wall_weight", "gaff2_band", "gaff2_well_factor",
            "extra_charge_anchor", "extra_charge_anchor_weight", "stage3_every_molecule_penalty"),
}
#: options that hash as before they existed while off, so files trained without them stay "done"
OPTIONAL_FIELDS = ("gaff2_wall_weight", "gaff2_band", "gaff2_well_factor", "extra_charge_anchor",
                   "extra_charge_anchor_weight", "stage3_every_molecule_penalty")


def stage_keys(cfg, qm_set: Path, dimer_sets) -> dict:
    """A hash per stage of everything that stage and the ones before it depend on (settings and data)."""
    h = hashlib.sha256(qm_set.read_bytes())
    h.update(",".join(dimer_sets).encode())
    keys = {}
    for stage, fields in STAGE_FIELDS.items():
        # A zero GAFF2 wall, no band and no extra anchor hash as before the options existed (shipped files "done");
        # the extra anchor's weight counts only with its file, and the file by its content.
        values = {f: getattr(cfg, f) for f in fields if not (f in OPTIONAL_FIELDS and not getattr(cfg, f))}
        if not cfg.extra_charge_anchor:
            values.pop("extra_charge_anchor_weight", None)
        elif "extra_charge_anchor" in values:
            from mlparams.gnn.charge_anchor import anchor_path

            values["extra_charge_anchor"] = hashlib.sha256(anchor_path(cfg.extra_charge_anchor).read_bytes()).hexdigest()
        h.update(json.dumps(values, sort_keys=True).encode())
        keys[stage] = h.copy().hexdigest()[:16]
    return keys


def train(out, qm_set=None, cfg=None, dimer_sets=None, progress: bool = True, resume: bool = True) -> dict:
    """Stages 1–3; writes embeddings.*, gnn-molecules.*, gnn.* and training.json (+ PNG curves) to ``out``.

    A stage whose files exist from a run with the same settings and data is loaded, not retrained (a run
    stopped between stages resumes at the next one); ``resume=False`` retrains all three.
    """
    import torch

    from mlparams.gnn.datasets import GraphTable, conformer_pairs, default_qm_set, load_conformers, load_dimers
    from mlparams.gnn.graphs import batch
    from mlparams.gnn.model import HIDDEN, EmbeddingModel
    from mlparams.gnn.training import HeadTrainer, TrainingConfig, train_embeddings
    from mlparams.model_files import save_model
    from mlparams.models.dimer_pairs import TRAINING_SETS

    cfg = cfg or TrainingConfig()
    dimer_sets = tuple(dimer_sets or TRAINING_SETS)
    qm_set = Path(qm_set) if qm_set else default_qm_set()
    out = Path(out)
    torch.set_num_threads(cfg.threads)
    t0 = time.time()
    table = GraphTable()
    conf = load_conformers(qm_set, table)
    keys = stage_keys(cfg, qm_set, dimer_sets)
    dimers = load_dimers(dimer_sets, table, progress)
    stamp = {"config": cfg.__dict__, "qm_set": qm_set.name, "level_of_theory": conf.level_of_theory,
             "n_conformers": int(len(conf.graph)), "n_molecules": int(len(set(conf.smiles.tolist()))),
             "dimer_sets": list(dimer_sets), "date": date.today().isoformat(),
             "machine": f"{platform.machine()} {platform.processor() or ''} {cfg.threads} threads".strip()}

    def done(stem):
        meta = out / f"{stem}.json"
        return (resume and meta.is_file() and (out / f"{stem}.pt").is_file()
                and json.loads(meta.read_text()).get("config_hash") == keys[stem])

    if done("embeddings"):
        meta1 = json.loads((out / "embeddings.json").read_text())
        emb = EmbeddingModel(meta1["hidden"])
        emb.load_state_dict(torch.load(out / "embeddings.pt", weights_only=True))
    else:
        emb, m1 = train_embeddings(conf, table, cfg, progress)
        meta1 = {**stamp, "config_hash": keys["embeddings"], "hidden": HIDDEN, **m1, "seconds": round(time.time() - t0, 1)}
        save_model(out, "embeddings", emb.state_dict(), meta1)
    with torch.no_grad():
        _, _, h = emb.eval()(batch(table.graphs))
    trainer = HeadTrainer(h, table, conf, conformer_pairs(conf, table), cfg, dimers)
    t1 = time.time()
    if done("gnn-molecules"):
        meta2 = json.loads((out / "gnn-molecules.json").read_text())
        trainer.heads.load_state_dict(torch.load(out / "gnn-molecules.pt", weights_only=True))
    else:
        m2 = trainer.stage2(progress)
        meta2 = {**stamp, "config_hash": keys["gnn-molecules"], "width": 128, **m2, "dimer_rmse_holdout_kcal": trainer.dimer_rmse(trainer.dimer_holdout),
                 "seconds": round(time.time() - t1, 1)}
        save_model(out, "gnn-molecules", trainer.heads.state_dict(), meta2)
    t2 = time.time()
    trainer.penalise_every_molecule = cfg.stage3_every_molecule_penalty
    if cfg.extra_charge_anchor:
        from mlparams.gnn.charge_anchor import anchor_tensors, canonical, load_anchor

        trainer.extra_anchor = anchor_tensors(emb, load_anchor(cfg.extra_charge_anchor),
                                              skip={canonical(g.smiles) for g in table.graphs})
    if done("gnn"):
        meta3 = json.loads((out / "gnn.json").read_text())
    else:
        m3 = trainer.stage3(progress)
        meta3 = {**stamp, "config_hash": keys["gnn"], "width": 128, **m3, "energy_baseline": trainer.lin.tolist(), "seconds": round(time.time() - t2, 1)}
        save_model(out, "gnn", trainer.heads.state_dict(), meta3)
    summary = {
        **stamp, "seconds_total": round(time.time() - t0, 1),
        "kd_mae_validation_kcal": meta1["kd_mae_validation_kcal"],
        "energy_mae_validation_kcal": {"gnn-molecules": meta2["energy_mae_validation_kcal"],
                                       "gnn": meta3["energy_mae_validation_kcal_after"]},
        "dimer_rmse_holdout_kcal": {"gnn-molecules": meta2["dimer_rmse_holdout_kcal"], "gnn": meta3["dimer_rmse_holdout_kcal"]},
        "n_dimer_train": meta3["n_dimer_train"], "n_dimer_holdout": meta3["n_dimer_holdout"],
        "dimers_skipped": dimers.skipped,
    }
    write_json(out / "training.json", summary, indent=1)
    training_curves(meta1, meta2, meta3, out / "training.png")
    return summary


def _pair_split(trainer, pairs) -> dict:
    """Move the plus row of each displaced pair (rows minus, plus) to the minus row's side of the trainer's
    dimer split; returns {"train": pairs, "holdout": pairs}."""
    hold = np.isin(pairs[:, 0], trainer.dimer_holdout)
    train_rows, hold_rows = set(trainer.dimer_train.tolist()), set(trainer.dimer_holdout.tolist())
    for (_, plus), held in zip(pairs, hold):
        (hold_rows if held else train_rows).add(int(plus))
        (train_rows if held else hold_rows).discard(int(plus))
    trainer.dimer_train = np.array(sorted(train_rows), dtype=int)
    trainer.dimer_holdout = np.array(sorted(hold_rows), dtype=int)
    return {"train": pairs[~hold], "holdout": pairs[hold]}


def liquid_stage_trainer(reference, extra_dimers=(), threads: int = 2, progress: bool = False):
    """A :class:`~mlparams.gnn.training.HeadTrainer` holding ``reference``'s heads, on the shipped QM set and the
    training dimer sets plus ``extra_dimers``, its charges scaled as ``reference``'s metadata says (``charge_scale``:
    the charges the engines get, so the dimer loss sees them too)."""
    import torch

    from mlparams.gnn.datasets import GraphTable, conformer_pairs, default_qm_set, load_conformers, load_dimers
    from mlparams.gnn.graphs import batch
    from mlparams.gnn.training import HeadTrainer, TrainingConfig
    from mlparams.models.dimer_pairs import TRAINING_SETS

    torch.set_num_threads(threads)
    table = GraphTable()
    conf = load_conformers(default_qm_set(), table)
    dimers = load_dimers(tuple(TRAINING_SETS) + tuple(str(p) for p in extra_dimers), table, progress)
    with torch.no_grad():
        _, _, h = reference.embedding_model(batch(table.graphs))
    trainer = HeadTrainer(h, table, conf, conformer_pairs(conf, table), TrainingConfig(threads=threads), dimers)
    trainer.heads.load_state_dict(reference.heads.state_dict())
    trainer.charge_scale = float(reference.meta.get("charge_scale", 1.0))
    return trainer


def liquid_stage_setup(frames, names, init: Path, density_loss=None, with_hvap: bool = False, reweight: bool = True,
                       train_charges: bool = False, extra_dimers=(), extra_dimer_weight: float = 1.0,
                       threads: int = 2, progress: bool = False):
    """What the liquid stage starts from: (the :class:`~mlparams.gnn.liquids.GnnPressureTerm` of the liquids
    ``names`` on their frames, checked against the ``init`` heads that sampled them; a
    :class:`~mlparams.gnn.training.HeadTrainer` holding those heads, the ``extra_dimers``' loss weights times
    ``extra_dimer_weight``; the frames; {liquid: its frames folder}; per dimer, whether it is an extra one).
    ``density_loss``: the ``init`` model's density run (bulk moduli; with ``with_hvap`` its ΔH_vap too)."""
    from mlparams.gnn.liquids import GnnPressureTerm, check_reference
    from mlparams.gnn.predictor import load
    from mlparams.models import liquid_pressure as lp
    from mlparams.models.dimer_pairs import TRAINING_SETS

    moduli = None if density_loss is None else lp.bulk_moduli(density_loss, init.stem, names)
    hvap = lp.enthalpies_of_vaporisation(density_loss, init.stem, names) if with_hvap else None
    folders = [frames] if isinstance(frames, (str, Path)) else list(frames)
    where = lp.frames_folders(folders, names)
    loaded = {}
    for folder in dict.fromkeys(where.values()):  # each folder read once
        loaded.update({lf.name: lf for lf in lp.load_frames(folder, [n for n in names if where[n] == folder])})
    frames_list = [loaded[n] for n in names]
    per_frame = [lp.load_per_frame(where[n], n) for n in names] if reweight else None
    reference = load(init.stem, str(init.parent))
    term = GnnPressureTerm(frames_list, per_frame, reference, reweight=reweight,
                           bulk_modulus_bar=None if moduli is None else [moduli[n] for n in names],
                           hvap=None if hvap is None else [hvap[n] for n in names], train_charges=train_charges)
    check_reference(term, reference)
    trainer = liquid_stage_trainer(reference, extra_dimers, threads, progress)
    dimers = trainer.dimers
    extra = np.isin(dimers.set_name, [s for s in np.unique(dimers.set_name) if s not in TRAINING_SETS])
    trainer.weights = np.where(extra, trainer.weights * extra_dimer_weight, trainer.weights)
    return term, trainer, frames_list, where, extra


def train_liquids(frames, out, liquids: str | None = None, init=None, epochs: int = 10,
                  liquid_weight: float | None = None, learning_rate: float = 2e-5, threads: int = 2,
                  reweight: bool = True, every_molecule_penalty: bool = False, progress: bool = True,
                  fine_penalty: bool = False, density_loss=None, extra_dimers=(),
                  extra_dimer_weight: float = 1.0, slope_weight: float = 0.0, hvap_weight: float = 0.0,
                  train_charges: bool = False, charge_learning_rate: float | None = None,
                  extra_charge_anchor=None, extra_charge_anchor_weight: float | None = None) -> dict:
    """The liquid stage (:mod:`mlparams.gnn.liquids`) from the heads file ``init`` (default: the shipped
    ``gnn.pt``), on frames that model sampled (``frames``: one or more ``buckingham sample-liquids --model gnn…``
    folders with per-frame histograms, each liquid from the first that holds it); writes
    ``gnn-liquids.pt``/``.json``, ``liquid_stage.json`` and ``liquid_stage.png`` to ``out``. ``density_loss``:
    a ``density_results.csv`` of the ``init`` model; its volume fluctuations give each liquid's bulk modulus,
    which makes the loss the predicted density error (weight per unit mean |ln ρ error|, default
    :data:`~mlparams.gnn.liquids.DENSITY_LOSS_WEIGHT`) and the step a Newton step. ``extra_dimers``: folders (or
    files) of labelled dimers (``mlparams gnn liquid-dimers``) joining the training dimers, their loss weights times
    ``extra_dimer_weight``; 20 % of them are held out like the others and reported apart. Displaced dimers among
    them (``mlparams gnn displaced-dimers``) keep each ± pair on one side of that split; ``slope_weight`` > 0 adds
    the error of each pair's energy difference (the slope of the contact) to the loss. An ``init`` model whose
    metadata sets ``charge_scale`` keeps it: frames, dimer loss and the written model share the scaled charges.
    ``hvap_weight`` > 0 fits the enthalpy of vaporisation too, from the ``density_loss`` run's ΔH_vap of each liquid
    (:meth:`mlparams.gnn.liquids.GnnPressureTerm.enthalpies_of_vaporisation`). ``train_charges``: ``charge_net``
    trains too, the frames' Coulomb energy and pressure following its charges (frames with per-frame Coulomb forms),
    at ``charge_learning_rate`` (default :data:`~mlparams.gnn.liquids.CHARGE_LEARNING_RATE`), and with
    ``extra_charge_anchor`` (a ``gnn anchor-charges`` file; needs ``train_charges``) the charges of its molecules
    are pulled towards AM1-BCC as in stage 3, at ``extra_charge_anchor_weight`` (default 300 kcal/mol·e⁻², as in stage 3)."""
    import torch

    from mlparams import liquid_dimers as ld
    from mlparams.dimers import read_dimers
    from mlparams.gnn.liquids import CHARGE_LEARNING_RATE, DEFAULT_LIQUIDS, DENSITY_LOSS_WEIGHT, LIQUID_WEIGHT
    from mlparams.gnn.predictor import GNN_MODELS, shipped_model_dir
    from mlparams.model_files import save_model
    from mlparams.models import liquid_pressure as lp

    init = Path(init) if init else shipped_model_dir() / "gnn.pt"
    if init.suffix != ".pt" or init.stem not in GNN_MODELS or not init.is_file():
        raise MlparamsError(f"--init {init}: give a heads file <folder>/gnn.pt or <folder>/gnn-liquids.pt that exists")
    extra_dimers = [str(p) for p in extra_dimers]
    for path in extra_dimers:
        if not Path(path).exists():
            raise MlparamsError(f"--extra-dimers {path} does not exist; give the dimers/ folder that "
                                "'mlparams gnn liquid-dimers' wrote")
    if slope_weight and not len(ld.displaced_pairs([d.info.get("name", "") for p in extra_dimers
                                                    for d in read_dimers(p)])):
        raise MlparamsError(f"--slope-weight {slope_weight}: no displaced dimer pairs among --extra-dimers; add the "
                            "dimers/ folder of 'mlparams gnn displaced-dimers'")
    if extra_charge_anchor is not None and not train_charges:
        raise MlparamsError("--extra-charge-anchor needs --train-charges (frozen charges cannot follow an anchor)")
    if liquid_weight is None:
        liquid_weight = LIQUID_WEIGHT if density_loss is None else DENSITY_LOSS_WEIGHT
    torch.set_num_threads(threads)
    t0 = time.time()
    names = lp.select_liquids(liquids or ",".join(DEFAULT_LIQUIDS))
    if hvap_weight and (density_loss is None or not reweight):
        raise MlparamsError("--hvap-weight needs --density-loss (the starting model's density run, whose enthalpies of "
                            "vaporisation it starts from) and reweighted frames")
    term, trainer, frames_list, where, extra = liquid_stage_setup(
        frames, names, init, density_loss, bool(hvap_weight), reweight, train_charges, extra_dimers,
        extra_dimer_weight, threads, progress)
    if extra_charge_anchor is not None:
        from mlparams.gnn.charge_anchor import anchor_tensors, canonical, load_anchor
        from mlparams.gnn.predictor import load

        trainer.extra_anchor = anchor_tensors(load(init.stem, str(init.parent)).embedding_model,
                                              load_anchor(extra_charge_anchor),
                                              skip={canonical(g.smiles) for g in trainer.table.graphs})
        trainer.cfg.extra_charge_anchor = str(extra_charge_anchor)
        if extra_charge_anchor_weight is not None:
            trainer.cfg.extra_charge_anchor_weight = extra_charge_anchor_weight
    with torch.no_grad():
        anchor_before = float(trainer.extra_anchor_mse()) ** 0.5 if trainer.extra_anchor is not None else None
    dimers = trainer.dimers
    slope_pairs = _pair_split(trainer, ld.displaced_pairs(dimers.name))
    extra_rows = {"train": np.intersect1d(trainer.dimer_train, np.flatnonzero(extra)),
                  "holdout": np.intersect1d(trainer.dimer_holdout, np.flatnonzero(extra)),
                  "training_sets_holdout": np.setdiff1d(trainer.dimer_holdout, np.flatnonzero(extra))}

    def extra_rmse():
        return {k: trainer.dimer_rmse(rows) for k, rows in extra_rows.items() if len(rows)}

    extra_before = extra_rmse()
    result = trainer.stage_liquids(term, epochs, liquid_weight, learning_rate, progress, every_molecule_penalty,
                                   fine_penalty, slope_pairs, slope_weight, hvap_weight,
                                   (charge_learning_rate or CHARGE_LEARNING_RATE) if train_charges else None)
    if extra.any():
        result.update({"extra_dimers": extra_dimers, "extra_dimer_weight": extra_dimer_weight,
                       "extra_dimer_count": {k: int(len(v)) for k, v in extra_rows.items()},
                       "extra_dimer_rmse_before_kcal": extra_before, "extra_dimer_rmse_after_kcal": extra_rmse()})
    if anchor_before is not None:
        with torch.no_grad():
            result.update({"extra_charge_anchor": str(extra_charge_anchor),
                           "extra_charge_anchor_weight": trainer.cfg.extra_charge_anchor_weight,
                           "extra_anchor_rmse_before_e": anchor_before,
                           "extra_anchor_rmse_after_e": float(trainer.extra_anchor_mse()) ** 0.5})
    if train_charges:
        with torch.no_grad():
            result["type_charges_sampled_e"] = [list(lf.type_charge) for lf in frames_list]
            result["type_charges_e"] = [[float(x) for x in term.type_charges(trainer.heads, item)]
                                        for item in term.items]
    result["far_pair_ratio"] = [lf.far_pair_ratio() for lf in frames_list]
    result["pressure_sampled_bar"] = [float(np.mean(lf.p_reference_bar)) for lf in frames_list]
    result["pressure_sampled_standard_error_bar"] = [lf.standard_error_bar() for lf in frames_list]
    meta = {**json.loads(init.with_suffix(".json").read_text()), **result, "initial_model": str(init),
            "frames": {n: str(where[n]) for n in names}, "density_loss_from": density_loss and str(density_loss),
            "reweighting": reweight, "date": date.today().isoformat(),
            "machine": f"{platform.machine()} {platform.processor() or ''} {threads} threads".strip(),
            "seconds": round(time.time() - t0, 1)}
    for key in ("energy_history", "kd_history"):
        meta.pop(key, None)
    meta["liquid_dimer_history"] = meta.pop("dimer_history")
    out = Path(out)
    save_model(out, "gnn-liquids", trainer.heads.state_dict(), meta)
    report = {k: v for k, v in meta.items() if k not in ("config",)}
    write_json(out / "liquid_stage.json", report)
    liquid_stage_plot(report, out / "liquid_stage.png")
    return report


def liquid_stage_plot(report: dict, path) -> None:
    """Pressure on the frames and held-out dimer RMSE over the liquid stage's epochs, and the displaced pairs'
    E(+) − E(−) RMSE when the stage had slope pairs (``liquid_history`` rows with a fifth entry)."""
    from mlparams.plotting import plt, save_figure

    hist = report["liquid_history"]
    epochs = [row[0] for row in hist]
    slopes = [row[4] for row in hist if len(row) > 4]
    fig, axes = plt.subplots(1, 3 if slopes else 2, figsize=(16 if slopes else 11, 3.8))
    # The target is the experimental pressure for frames at the experimental density, and the equation-of-state
    # pressure that moves the model to experiment for frames at its own density (LiquidFrames.target_bar).
    targets = report.get("pressure_target_bar") or report["pressure_experiment_bar"]
    for k, name in enumerate(report["liquids"]):
        axes[0].plot(epochs, [row[2][k] - targets[k] for row in hist], marker="o", label=name)
    axes[0].axhline(0.0, color="k", lw=0.8)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("pressure on the frames − target / bar")
    axes[0].set_title("pressure on the frames, from its target")
    axes[0].legend(fontsize=8)
    d = np.array(report["liquid_dimer_history"], dtype=float)
    axes[1].plot(d[:, 0], d[:, 1], label="training dimers")
    axes[1].plot(d[:, 0], d[:, 2], label="held-out training dimers")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("E_int RMSE / kcal mol⁻¹")
    axes[1].legend()
    if slopes:
        for split in slopes[0]:
            axes[2].plot(epochs[-len(slopes):], [row[split] for row in slopes], marker="o", label=f"{split} pairs")
        axes[2].axvline(report["best_epoch"], color="k", ls=":", lw=0.8, label="state kept")
        axes[2].set_xlabel("epoch")
        axes[2].set_ylabel("E(+) − E(−) RMSE / kcal mol⁻¹")
        axes[2].set_title("displaced pairs (the contacts' slope)")
        axes[2].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def training_curves(meta1, meta2, meta3, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, hist, title, ylabel in (
        (axes[0], meta1["kd_history"], "stage 1: virial descriptors", "MAE / kcal mol⁻¹"),
        (axes[1], meta2["energy_history"], "stage 2: molecule energies", "MAE / kcal mol⁻¹"),
        (axes[2], meta3["dimer_history"], "stage 3: dimer E_int", "RMSE / kcal mol⁻¹"),
    ):
        hist = np.array(hist, dtype=float)
        ax.plot(hist[:, 0], hist[:, 1], label="train")
        ax.plot(hist[:, 0], hist[:, 2], label="validation" if ax is not axes[2] else "held-out training dimers")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def distributions(model: str, out, qm_set=None) -> dict:
    """σ, ε and charge distributions over the QM set's molecules (the paper's Figures 11 and 12)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlparams.gnn.datasets import default_qm_set
    from mlparams.gnn.graphs import graph_from_smiles
    from mlparams.gnn.predictor import lj_sigma_epsilon, load

    qm_set = Path(qm_set) if qm_set else default_qm_set()
    smiles = sorted(set(np.load(qm_set)["smiles"].tolist()))
    predictor = load(model)
    graphs = [graph_from_smiles(s) for s in smiles]
    hs = predictor.embeddings(graphs)
    sig, eps, q_atoms, q_unconstrained = [], [], [], []
    for g, h in zip(graphs, hs):
        c = predictor.pair_constants(h, h)
        iu = np.triu_indices(g.n_atoms)
        s, e = lj_sigma_epsilon(c[iu])
        sig.append(s)
        eps.append(e)
        q_atoms.append(predictor.charges(g, h))
        import torch

        with torch.no_grad():
            q_unconstrained.append(float(predictor.heads.charge_net(h).sum()) - g.net_charge)
    sig, eps, q_atoms = np.concatenate(sig), np.concatenate(eps), np.concatenate(q_atoms)
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    axes[0].hist(sig, bins=60)
    axes[0].set_xlabel("σ / Å")
    axes[1].hist(eps, bins=60)
    axes[1].set_xlabel("ε / kcal mol⁻¹")
    axes[2].hist(q_unconstrained, bins=40)
    axes[2].set_xlabel("Σ charge_net(h) − formal charge / e (before the shift)")
    axes[3].hist(q_atoms, bins=60)
    axes[3].set_xlabel("atomic charge / e")
    for ax in axes:
        ax.set_ylabel("count")
    fig.suptitle(f"{model}: LJ σ, ε of every atom pair (non-covalent channel) and charges, {len(smiles)} molecules")
    fig.tight_layout()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / f"distributions-{model}.png", dpi=120)
    plt.close(fig)
    stats = {
        "model": model, "n_molecules": len(smiles), "n_pairs": int(sig.size),
        "sigma_angstrom": _quantiles(sig), "epsilon_kcal_mol": _quantiles(eps), "charge_e": _quantiles(q_atoms),
        "molecule_charge_drift_before_shift_e": _quantiles(np.array(q_unconstrained)),
        "date": date.today().isoformat(),
    }
    write_json(out / f"distributions-{model}.json", stats, indent=1)
    return stats


def _quantiles(x) -> dict:
    x = np.asarray(x, dtype=float)
    return {"min": float(x.min()), "p5": float(np.percentile(x, 5)), "median": float(np.median(x)),
            "p95": float(np.percentile(x, 95)), "max": float(x.max())}


def benchmark(model: str = "gnn", n_molecules: int = 200, batch_sizes=(1, 32, 200), threads: int = 2, qm_set=None) -> dict:
    """Parameter prediction throughput (molecules/s): graphs → embeddings → charges and all pair constants."""
    import torch

    from mlparams.gnn.datasets import default_qm_set
    from mlparams.gnn.graphs import graph_from_smiles
    from mlparams.gnn.predictor import load

    torch.set_num_threads(threads)
    qm_set = Path(qm_set) if qm_set else default_qm_set()
    smiles = sorted(set(np.load(qm_set)["smiles"].tolist()))
    smiles = (smiles * (n_molecules // len(smiles) + 1))[:n_molecules]
    predictor = load(model)
    t = time.perf_counter()
    graphs = [graph_from_smiles(s) for s in smiles]
    t_graphs = time.perf_counter() - t
    rows = []
    for bs in batch_sizes:
        t = time.perf_counter()
        for start in range(0, len(graphs), bs):
            chunk = graphs[start:start + bs]
            for g, h in zip(chunk, predictor.embeddings(chunk)):
                predictor.charges(g, h)
                predictor.pair_constants(h, h)
        dt = time.perf_counter() - t
        rows.append({"batch_size": bs, "seconds": round(dt, 3), "molecules_per_second": round(len(graphs) / dt, 1)})
    return {"model": model, "n_molecules": len(graphs), "mean_atoms": float(np.mean([g.n_atoms for g in graphs])),
            "graph_building_seconds": round(t_graphs, 3), "rows": rows, "threads": threads,
            "date": date.today().isoformat(), "machine": platform.platform(), "processor": platform.processor()}


def check_out_dir(path) -> Path:
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise MlparamsError(f"{p} is a file; give a folder for the outputs")
    return p


def cmd_qm_data(args) -> int:
    from mlparams.gnn import qm_data

    out = check_out_dir(args.out)
    result = qm_data.generate(out, args.molecules, args.conformers, args.jobs, args.limit, not args.quiet)
    n = qm_data.pack(out, args.pack) if args.pack else None
    print(f"{result['done']} conformers in {out}; {len(result['failed'])} failed (see {out}/failures.json)"
          + (f"; packed {n} into {args.pack}" if n is not None else ""))
    return 0 if result["done"] else 1


def cmd_train(args) -> int:
    from dataclasses import replace

    from mlparams.gnn.training import TrainingConfig

    cfg = TrainingConfig()
    for name in ("stage1_epochs", "stage2_epochs", "stage3_epochs", "seed", "threads", "gaff2_wall_weight"):
        if getattr(args, name) is not None:
            cfg = replace(cfg, **{name: getattr(args, name)})
    if args.gaff2_band is not None:
        try:
            low, high = (float(v) for v in args.gaff2_band.split(","))
        except ValueError:
            raise MlparamsError(f"--gaff2-band takes LOW,HIGH (e.g. 0.7,1.5), not {args.gaff2_band!r}") from None
        if not 0 <= low < high or not cfg.gaff2_wall_weight:
            raise MlparamsError("--gaff2-band needs 0 <= LOW < HIGH and a --gaff2-wall-weight above 0")
        cfg = replace(cfg, gaff2_band=(low, high))
    if args.sampled_molecule_penalty:
        cfg = replace(cfg, stage3_every_molecule_penalty=False)
    if args.extra_charge_anchor is not None:
        if args.extra_charge_anchor.lower() == "none":
            cfg = replace(cfg, extra_charge_anchor="")
        else:
            cfg = replace(cfg, extra_charge_anchor=str(args.extra_charge_anchor))
    if cfg.extra_charge_anchor:
        from mlparams.gnn.charge_anchor import load_anchor

        load_anchor(cfg.extra_charge_anchor)  # a missing or unreadable file fails here, before any training
    if args.extra_charge_anchor_weight is not None:
        if not cfg.extra_charge_anchor or args.extra_charge_anchor_weight <= 0:
            raise MlparamsError("--extra-charge-anchor-weight needs a weight above 0 and an anchor file (not --extra-charge-anchor none)")
        cfg = replace(cfg, extra_charge_anchor_weight=args.extra_charge_anchor_weight)
    if args.gaff2_well_factor is not None:
        if not cfg.gaff2_band or args.gaff2_well_factor <= 0:
            raise MlparamsError("--gaff2-well-factor needs a factor above 0 and --gaff2-band")
        cfg = replace(cfg, gaff2_well_factor=args.gaff2_well_factor)
    summary = train(check_out_dir(args.out), args.qm_set, cfg, progress=not args.quiet, resume=not args.restart)
    print(json.dumps({k: summary[k] for k in ("kd_mae_validation_kcal", "energy_mae_validation_kcal",
                                              "dimer_rmse_holdout_kcal", "seconds_total")}, indent=1))
    return 0


def cmd_anchor_charges(args) -> int:
    from mlparams.gnn import charge_anchor as ca

    if args.smiles:
        path = Path(args.smiles)
        if not path.is_file():
            raise MlparamsError(f"--smiles {path}: no such file; give a text file with one SMILES a line")
        smiles = [ca.canonical(line.split()[0]) for line in path.read_text().splitlines() if line.strip()]
    else:
        smiles = ca.enumerate_smiles(args.n, args.seed)
    out = Path(args.out)
    if out.exists() and not out.is_file():
        raise MlparamsError(f"--out {out} is not a file; give a JSON file path")
    data = ca.label(smiles, out, args.jobs, progress=not args.quiet)
    print(f"{len(data['charges'])} molecules with AM1-BCC charges in {out}; {len(data['failed'])} failed (listed there)")
    return 0 if data["charges"] else 1


def cmd_charge_errors(args) -> int:
    from mlparams.gnn import charge_anchor as ca
    from mlparams.gnn.predictor import GNN_MODELS

    if args.model not in GNN_MODELS:
        raise MlparamsError(f"--model {args.model}: give one of {', '.join(GNN_MODELS)}")
    if args.anchor:
        ca.load_anchor(args.anchor)
    out = check_out_dir(args.out)
    report = ca.charge_errors(args.model, args.anchor)
    report.update({"date": date.today().isoformat(), "machine": f"{platform.machine()} {platform.processor() or ''}".strip()})
    write_json(out / "charge_errors.json", report, indent=1)
    lines = [f"# {args.model}: charges − AM1-BCC (e), per atom", "",
             "| molecules | n | atoms | RMSE | worst atom |", "|---|---|---|---|---|"]
    lines += [f"| {k} | {v['molecules']} | {v['atoms']} | {v['rmse_e']:.3f} | {v['max_abs_e']:.3f} |"
              for k, v in report["summary"].items()]
    text = "\n".join(lines) + "\n"
    write_text(out / "charge_errors.md", text)
    print(text, end="")
    return 0


def cmd_train_liquids(args) -> int:
    report = train_liquids(args.frames, check_out_dir(args.out), args.liquids, args.init, args.epochs,
                           args.liquid_weight, args.learning_rate, args.threads, not args.fixed_frames,
                           args.every_molecule_penalty, progress=not args.quiet, fine_penalty=args.fine_penalty,
                           density_loss=args.density_loss, extra_dimers=args.extra_dimers or (),
                           extra_dimer_weight=args.extra_dimer_weight, slope_weight=args.slope_weight,
                           hvap_weight=args.hvap_weight, train_charges=args.train_charges,
                           charge_learning_rate=args.charge_learning_rate,
                           extra_charge_anchor=args.extra_charge_anchor,
                           extra_charge_anchor_weight=args.extra_charge_anchor_weight)
    if "extra_anchor_rmse_before_e" in report:
        print(f"anchor molecules: charge RMSE against AM1-BCC {report['extra_anchor_rmse_before_e']:.3f} -> "
              f"{report['extra_anchor_rmse_after_e']:.3f} e")
    for name, target, rho, before, after, ess in zip(report["liquids"], report["pressure_target_bar"],
                                                     report["density_sampled_g_cm3"], report["pressure_before_bar"],
                                                     report["pressure_after_bar"],
                                                     report["effective_sample_fraction_after"]):
        print(f"{name:24s} P on frames at {rho:.4f} g/cm3 {before:+8.0f} -> {after:+8.0f} bar (target {target:+.0f}; "
              f"effective samples {ess:.2f})")
    for name, k, rho in zip(report["liquids"], report.get("bulk_modulus_bar", []),
                            report.get("density_predicted_g_cm3", [])):
        print(f"{name:24s} bulk modulus {k / 1e4:.2f} GPa, predicted NPT density {rho:.4f} g/cm3")
    for name, h0, exp, after in zip(report["liquids"], report.get("hvap_sampled_kj_mol", []),
                                    report.get("hvap_experiment_kj_mol", []), report.get("hvap_predicted_kj_mol", [])):
        print(f"{name:24s} enthalpy of vaporisation {h0:.2f} -> {after:.2f} kJ/mol predicted (experiment "
              f"{'none' if exp is None else f'{exp:.2f}'})")
    for name, before, after in zip(report["liquids"], report.get("type_charges_sampled_e", []),
                                   report.get("type_charges_e", [])):
        print(f"{name:24s} type charges {' '.join(f'{x:+.3f}' for x in before)} -> "
              f"{' '.join(f'{x:+.3f}' for x in after)} e")
    for part, before in report.get("extra_dimer_rmse_before_kcal", {}).items():
        label = "held-out dimers of the training sets" if part == "training_sets_holdout" else f"extra dimers, {part}"
        print(f"{label} ({report['extra_dimer_count'][part]}): RMSE {before:.2f} -> "
              f"{report['extra_dimer_rmse_after_kcal'][part]:.2f} kcal/mol")
    for part, before in report.get("slope_rmse_before_kcal", {}).items():
        print(f"displaced pairs, {part} ({report['slope_pair_count'][part]}): RMSE of E(+) - E(-) {before:.2f} -> "
              f"{report['slope_rmse_after_kcal'][part]:.2f} kcal/mol")
    print(f"held-out dimers (all): RMSE {report['dimer_rmse_holdout_before_kcal']:.2f} -> "
          f"{report['dimer_rmse_holdout_kcal']:.2f} kcal/mol (epoch {report['best_epoch']})")
    return 0


def cmd_liquid_dimers(args) -> int:
    from mlparams import liquid_dimers as ld

    contact_nm = ld.CONTACT_NM if args.contact_nm is None else args.contact_nm
    if not 0.0 <= args.min_contact_nm < contact_nm:
        raise MlparamsError(f"--min-contact-nm {args.min_contact_nm} and --contact-nm {contact_nm}: give "
                            "0 <= --min-contact-nm < --contact-nm")
    out = check_out_dir(args.out)
    cut = ld.cut_liquids(args.liquids, args.model, out, args.density_from, args.frames, args.per_frame,
                         progress=not args.quiet, contact_nm=contact_nm, min_contact_nm=args.min_contact_nm)
    print(f"contact dimers in {cut}")
    if args.cut_only:
        return 0
    return _label(out, args)


def _label(out: Path, args) -> int:
    from mlparams import liquid_dimers as ld

    result = ld.label_dimers(out, args.basis, args.limit, progress=not args.quiet, jobs=args.jobs)
    print(f"{result['labelled']} dimers labelled in {result['folder']}; {result['failed']} failed "
          f"(see {out / ld.FAILURES})")
    return 0 if result["labelled"] else 1


def cmd_displaced_dimers(args) -> int:
    from mlparams import liquid_dimers as ld

    if not Path(args.source).is_dir():
        raise MlparamsError(f"{args.source} is not a folder; give the dimers/ folder of 'mlparams gnn liquid-dimers'")
    out = check_out_dir(args.out)
    cut = ld.displace_folder(args.source, out, args.step_angstrom)
    print(f"displaced dimers in {cut}")
    if args.cut_only:
        return 0
    return _label(out, args)


def cmd_distributions(args) -> int:
    stats = distributions(args.model, check_out_dir(args.out), args.qm_set)
    print(json.dumps(stats, indent=1))
    return 0


def cmd_benchmark(args) -> int:
    from mlparams.benchmarking import envelope

    result = benchmark(args.model, args.n_molecules, threads=args.threads)
    write_json(Path(args.out), envelope(result, "gnn parameter prediction"))
    for row in result["rows"]:
        print(f"batch {row['batch_size']:4d}: {row['molecules_per_second']:8.1f} molecules/s")
    return 0


def _labelling_options(parser) -> None:
    parser.add_argument("--basis", default="def2-tzvp", help="basis set (default def2-tzvp)")
    parser.add_argument("--limit", type=int, default=None, help="label only the first N dimers")
    parser.add_argument("--jobs", type=int, default=1, help="dimers labelled at a time, the cores shared (default 1)")
    parser.add_argument("--cut-only", action="store_true", help="cut the dimers, do not label them")
    parser.add_argument("--out", required=True, help="folder: unlabelled.xyz.gz, items/, dimers/ (resumes)")
    parser.add_argument("--quiet", action="store_true")


def add_parser(sub) -> None:
    from mlparams.gnn.predictor import GNN_MODELS

    gnn = sub.add_parser("gnn", help="the graph network for charges and LJ + Gaussian pair constants (Terets & Nikolayenko)")
    gsub = gnn.add_subparsers(dest="gnn_command", required=True)

    qd = gsub.add_parser("qm-data", help="QM energies and virial descriptors of RDKit conformers (PySCF; resumable)")
    qd.add_argument("--out", required=True, help="folder of per-conformer results (resumes what is there)")
    qd.add_argument("--molecules", default=None, help="CSV with columns smiles,source (default: the shipped list)")
    qd.add_argument("--conformers", type=int, default=3, help="conformers per molecule (default 3)")
    qd.add_argument("--jobs", type=int, default=2, help="calculations in parallel (default 2)")
    qd.add_argument("--limit", type=int, default=None, help="only the first N (molecule, conformer) items")
    qd.add_argument("--pack", default=None, help="also collect the results into this .npz (the training file)")
    qd.add_argument("--quiet", action="store_true")
    qd.set_defaults(func=cmd_qm_data)

    tr = gsub.add_parser("train", help="train stages 1-3 from the committed QM set and the training dimer sets")
    tr.add_argument("--out", default="mlparams/data/models/gnn", help="model folder (default: the shipped one)")
    tr.add_argument("--qm-set", default=None, help="packed QM set (default: the shipped one)")
    tr.add_argument("--stage1-epochs", type=int, default=None)
    tr.add_argument("--stage2-epochs", type=int, default=None)
    tr.add_argument("--stage3-epochs", type=int, default=None)
    tr.add_argument("--seed", type=int, default=None)
    tr.add_argument("--gaff2-wall-weight", type=float, default=None,
                    help="weight of the GAFF2 wall on the repulsion in stage 3 (default 0: off, the shipped model; "
                         "30: the README's experiment)")
    tr.add_argument("--gaff2-band", default=None, metavar="LOW,HIGH",
                    help="make the wall a band LOW*E_LJ <= E_vdW <= HIGH*E_LJ at fixed GAFF2 energies (experiment)")
    tr.add_argument("--gaff2-well-factor", type=float, default=None, metavar="K",
                    help="with --gaff2-band: no van der Waals well deeper than K times GAFF2's (experiment)")
    tr.add_argument("--extra-charge-anchor", default=None, metavar="FILE",
                    help="AM1-BCC charges of more molecules ('gnn anchor-charges') anchored from stage 3 on "
                         "(default: the shipped mlparams/data/gnn/am1bcc_anchor.json; 'none': the table's only)")
    tr.add_argument("--extra-charge-anchor-weight", type=float, default=None, metavar="W",
                    help="kcal/mol per e^2 on their mean squared charge deviation (default 300)")
    tr.add_argument("--sampled-molecule-penalty", action="store_true",
                    help="stage 3's short-range penalty on 16 random molecules a step, as before 2026-11-25 (default: "
                         "every molecule)")
    tr.add_argument("--threads", type=int, default=None, help="torch threads (default 2)")
    tr.add_argument("--restart", action="store_true", help="retrain stages even if finished ones are in --out")
    tr.add_argument("--quiet", action="store_true")
    tr.set_defaults(func=cmd_train)

    an = gsub.add_parser("anchor-charges", help="AM1-BCC charges of enumerated (or listed) molecules: the charge "
                                                "anchor of stage 3 (resumable)")
    an.add_argument("--out", required=True, help="JSON file to write (resumes what it holds)")
    an.add_argument("--smiles", default=None, help="text file, one SMILES a line (default: the enumeration)")
    an.add_argument("--n", type=int, default=800, help="molecules drawn from the substituted cores and aliphatics (default 800; 200 N-alkylated cores follow)")
    an.add_argument("--seed", type=int, default=7, help="seed of the draw (default 7)")
    an.add_argument("--jobs", type=int, default=2, help="antechamber runs in parallel (default 2)")
    an.add_argument("--quiet", action="store_true")
    an.set_defaults(func=cmd_anchor_charges)

    ce = gsub.add_parser("charge-errors", help="a model's charges against AM1-BCC on the validation sets' monomers "
                                               "and the dev liquids (per-atom RMSE, worst atom)")
    ce.add_argument("--model", default="gnn", help="gnn, gnn-liquids or gnn-molecules (MLPARAMS_GNN_MODEL_DIR: "
                                                   "another folder)")
    ce.add_argument("--anchor", default=None, help="the anchor file the model was trained with: its molecules "
                                                   "count as in training")
    ce.add_argument("--out", required=True, help="folder for charge_errors.json and charge_errors.md")
    ce.set_defaults(func=cmd_charge_errors)

    tl = gsub.add_parser("train-liquids", help="the liquid stage: continue a GNN on liquid pressures of frames it "
                                               "sampled itself (reweighted), writes gnn-liquids.pt")
    tl.add_argument("--frames", required=True, nargs="+",
                    help="folder(s) from 'buckingham sample-liquids --model gnn' (or gnn-liquids) with per-frame "
                         "histograms; each liquid is read from the first folder that holds it")
    tl.add_argument("--out", required=True, help="model folder to write (gnn-liquids.*, liquid_stage.*)")
    tl.add_argument("--liquids", default=None, help="liquids fitted, names separated by commas "
                                                    "(default: ethanol, n-octane)")
    tl.add_argument("--init", default=None, help="heads file of the model that sampled the frames "
                                                 "(default: the shipped gnn.pt)")
    tl.add_argument("--epochs", type=int, default=10)
    tl.add_argument("--liquid-weight", type=float, default=None,
                    help="per (100 bar)^2 (default 0.005); with --density-loss per unit mean |ln density error| "
                         "(default 5)")
    tl.add_argument("--learning-rate", type=float, default=2e-5)
    tl.add_argument("--threads", type=int, default=2)
    tl.add_argument("--fixed-frames", action="store_true",
                    help="hold the frames fixed (direct dependence only; needs no per-frame histograms) instead of "
                         "reweighting them within a trust region on the effective sample size")
    tl.add_argument("--every-molecule-penalty", action="store_true",
                    help="short-range penalty on every atom pair of every training molecule each step (slower)")
    tl.add_argument("--fine-penalty", action="store_true",
                    help="short-range penalty on a 0.01 A grid instead of 0.05 A (sees a narrow bend between the "
                         "coarse points)")
    tl.add_argument("--density-loss", default=None, metavar="DENSITY_RESULTS.csv",
                    help="a density run of the --init model (with its series/): its volume fluctuations give each "
                         "liquid's bulk modulus, the loss becomes the predicted density error, the step a Newton step")
    tl.add_argument("--extra-dimers", nargs="+", default=None, metavar="DIMERS",
                    help="labelled dimers (the dimers/ folder of 'mlparams gnn liquid-dimers') joining the "
                         "training dimers")
    tl.add_argument("--slope-weight", type=float, default=0.0,
                    help="weight of the error of E(+step) - E(-step) of the displaced pairs among --extra-dimers "
                         "('mlparams gnn displaced-dimers'), (kcal/mol)^2 units like the dimer loss (default 0: off)")
    tl.add_argument("--hvap-weight", type=float, default=0.0,
                    help="fit the enthalpy of vaporisation too, per kJ/mol of mean error (pseudo-Huber; 0.1 makes 5 "
                         "kJ/mol cost about a 10 %% density error), starting from the --density-loss run's (default 0: off)")
    tl.add_argument("--train-charges", action="store_true",
                    help="train charge_net too: the frames' Coulomb energy and pressure follow the new charges "
                         "(needs reweighted frames sampled with per-frame Coulomb forms, since 2026-11-24)")
    tl.add_argument("--extra-charge-anchor", default=None, metavar="FILE",
                    help="with --train-charges: AM1-BCC charges of more molecules ('gnn anchor-charges') to pull "
                         "charge_net towards, as in stage 3")
    tl.add_argument("--extra-charge-anchor-weight", type=float, default=None, metavar="W",
                    help="kcal/mol per e^2 on their mean squared charge deviation (default 300)")
    tl.add_argument("--charge-learning-rate", type=float, default=None,
                    help="charge_net's learning rate with --train-charges (default 1e-5: a few per cent of charge "
                         "leave one frame carrying the reweighting)")
    tl.add_argument("--extra-dimer-weight", type=float, default=1.0,
                    help="factor on the loss weights of the --extra-dimers (default 1)")
    tl.add_argument("--quiet", action="store_true")
    tl.set_defaults(func=cmd_train_liquids)

    ld = gsub.add_parser("liquid-dimers", help="contact dimers cut from a model's own liquid (NVT, OpenMM), labelled "
                                               "by counterpoise-corrected B3LYP-D3(BJ) (PySCF; resumable)")
    ld.add_argument("--liquids", required=True, help="dev liquids, names separated by commas")
    ld.add_argument("--model", default="gnn-liquids", help="model whose liquid is sampled (default gnn-liquids)")
    ld.add_argument("--density-from", default=None, metavar="DENSITY_RESULTS.csv",
                    help="sample at the density this density run of --model found (default: experiment)")
    ld.add_argument("--frames", type=int, default=20, help="NVT frames per liquid, 1 ps apart (default 20)")
    ld.add_argument("--per-frame", type=int, default=5, help="contact pairs per frame: the closest + random (default 5)")
    ld.add_argument("--contact-nm", type=float, default=None,
                    help="pairs whose closest atoms lie within this distance (default 0.30 nm)")
    ld.add_argument("--min-contact-nm", type=float, default=0.0,
                    help="above 0: only random pairs whose closest atoms lie beyond this distance, up to --contact-nm "
                         "(a shell beyond the contacts; no closest pair)")
    _labelling_options(ld)
    ld.set_defaults(func=cmd_liquid_dimers)

    dd = gsub.add_parser("displaced-dimers", help="labelled liquid dimers with molecule B moved rigidly by ± a step "
                         "along the centre-of-mass line, labelled the same way: the slope dE/dR by central difference")
    dd.add_argument("--from", dest="source", required=True, metavar="DIMERS",
                    help="the dimers/ folder of 'mlparams gnn liquid-dimers'")
    dd.add_argument("--step-angstrom", type=float, default=0.10, help="the step (Å, default 0.10)")
    _labelling_options(dd)
    dd.set_defaults(func=cmd_displaced_dimers)

    di = gsub.add_parser("distributions", help="σ, ε and charge distributions over the QM set (PNG + JSON)")
    di.add_argument("--model", choices=GNN_MODELS, default="gnn")
    di.add_argument("--out", required=True, help="output folder")
    di.add_argument("--qm-set", default=None)
    di.set_defaults(func=cmd_distributions)

    be = gsub.add_parser("benchmark", help="parameter prediction throughput (molecules/s), written to JSON")
    be.add_argument("--model", choices=GNN_MODELS, default="gnn")
    be.add_argument("--out", required=True, help="result file (JSON)")
    be.add_argument("--n-molecules", type=int, default=200)
    be.add_argument("--threads", type=int, default=2)
    be.set_defaults(func=cmd_benchmark)
