"""A GNN model with every charge scaled: do gas-phase-like charges make the polar liquids too dense?

The liquid stage keeps ``charge_net`` frozen, so `gnn-liquids` carries `gnn`'s charges (water: q_O = −0.667 e,
GAFF2/AM1-BCC −0.785, TIP3P −0.834). Fixed-charge water models need charges above the gas-phase molecule's (a
dipole near 2.3 D against 1.85 D) to stand in for the polarisation of the liquid, which a sum of pair energies
fitted to dimers does not contain. This writes a copy of a model folder whose metadata sets ``charge_scale`` s
(:meth:`mlparams.gnn.predictor.GnnPredictor.charges`: q̄ + s·(q − q̄), the van der Waals constants unchanged), for
the density and interaction drivers to run through ``MLPARAMS_GNN_MODEL_DIR``:

    .venv/bin/python -m mlparams.validation.charge_scale --model-dir work/gnn_contact2 --scale 1.1 --out DIR
    MLPARAMS_GNN_MODEL_DIR=$PWD/DIR .venv/bin/mlparams validate density --model gnn-liquids ...

An experiment's knob, not a model: it moves the dimer energies away from the references the model was fitted to.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from mlparams.atomic_files import write_json
from mlparams.errors import MlparamsError
from mlparams.gnn.predictor import GNN_MODELS


def scaled_copy(model_dir, scale: float, out, name: str = "gnn-liquids") -> Path:
    """Copy ``model_dir``/``name``.pt and .json (and the stage-1 embeddings if the folder has them) into ``out``,
    the metadata's ``charge_scale`` set to ``scale``; returns ``out``."""
    model_dir, out = Path(model_dir), Path(out)
    if name not in GNN_MODELS:
        raise MlparamsError(f"unknown GNN model {name!r}; choose one of {', '.join(GNN_MODELS)}")
    if not (model_dir / f"{name}.pt").is_file():
        raise MlparamsError(f"{model_dir / (name + '.pt')} does not exist; give a folder that holds {name}.pt/.json")
    if not 0.5 <= scale <= 2.0:
        raise MlparamsError(f"charge scale {scale}: give a factor between 0.5 and 2")
    out.mkdir(parents=True, exist_ok=True)
    for stem in (name, "embeddings"):
        for suffix in (".pt", ".json"):
            src = model_dir / f"{stem}{suffix}"
            if src.is_file() and not (stem == name and suffix == ".json"):
                shutil.copyfile(src, out / src.name)
    meta = json.loads((model_dir / f"{name}.json").read_text())
    meta.update(charge_scale=scale, charge_scale_of=str(model_dir))
    write_json(out / f"{name}.json", meta)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="a copy of a GNN model folder with every charge scaled (an experiment)")
    ap.add_argument("--model-dir", required=True, help="folder holding gnn-liquids.pt/.json (or --name's files)")
    ap.add_argument("--scale", type=float, required=True, help="factor on every charge's deviation from neutral")
    ap.add_argument("--name", default="gnn-liquids", choices=GNN_MODELS)
    ap.add_argument("--out", required=True, help="folder to write")
    args = ap.parse_args(argv)
    try:
        out = scaled_copy(args.model_dir, args.scale, args.out, args.name)
    except MlparamsError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"{args.name} with charges x{args.scale} in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
