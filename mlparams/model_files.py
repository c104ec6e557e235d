"""Storage of trained torch models: weights in STEM.pt, everything else (architecture, scalers, metrics) in
STEM.json, each written to a temporary name and then renamed."""

from __future__ import annotations

import json
from pathlib import Path

from mlparams.atomic_files import replacing, write_json
from mlparams.errors import ModelNotTrainedError


def save_model(folder, stem: str, state_dict, meta: dict) -> Path:
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with replacing(folder / f"{stem}.pt") as tmp:
        torch.save(state_dict, tmp)
    write_json(folder / f"{stem}.json", meta, indent=1)
    return folder


def load_model(folder, stem: str, how_to_make: str) -> tuple[dict, dict]:
    """(meta, state_dict); a one-line error naming the command that writes them when either file is missing."""
    import torch

    folder = Path(folder)
    if not (folder / f"{stem}.pt").is_file() or not (folder / f"{stem}.json").is_file():
        raise ModelNotTrainedError(f"{folder} holds no trained model ({stem}.pt + {stem}.json); run {how_to_make}")
    meta = json.loads((folder / f"{stem}.json").read_text())
    return meta, torch.load(folder / f"{stem}.pt", weights_only=True)
