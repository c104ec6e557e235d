"""The GNN's AM1-BCC charge anchor beyond its QM molecules: enumeration, labels, the loss term, the CLI."""

import json

import numpy as np
import pytest

from mlparams.gnn import charge_anchor as ca


def test_enumeration_is_neutral_reproducible_and_leaves_out_every_validation_monomer():
    from rdkit import Chem

    picked = ca.enumerate_smiles(60, seed=3, n_alkylated=20)
    assert picked == ca.enumerate_smiles(60, seed=3, n_alkylated=20) and len(set(picked)) == 80
    assert picked != ca.enumerate_smiles(60, seed=4, n_alkylated=20)
    n_alkyl = Chem.MolFromSmarts("[n]-[#6;!a]")
    assert all(Chem.MolFromSmiles(s).HasSubstructMatch(n_alkyl) for s in picked[60:])  # the second draw
    shipped = json.loads(ca.default_anchor_file().read_text())
    assert set(shipped["charges"]) == set(ca.enumerate_smiles())  # the shipped file is the default enumeration
    validation = ca.validation_monomers()
    assert ca.canonical("O=c1cc[nH]c(=O)[nH]1") in validation  # uracil (S22) is a validation monomer
    assert ca.canonical("Cc1c[nH]c(=O)[nH]c1=O") in validation  # thymine (base pairs, JSCH)
    assert not set(picked) & validation
    for smi in picked:
        mol = Chem.MolFromSmiles(smi)
        assert Chem.GetFormalCharge(mol) == 0 and mol.GetNumHeavyAtoms() <= 14
        assert {a.GetSymbol() for a in mol.GetAtoms()} <= {"C", "N", "O", "F", "S", "Cl", "Br", "P"}
    assert not set(shipped["charges"]) & validation and len(shipped["charges"]) == 1000


def test_labels_are_symmetry_averaged_am1bcc_in_canonical_order_and_resume(tmp_path):
    from mlparams.gaff2 import parametrize
    from mlparams.molecules import from_smiles

    out = tmp_path / "anchor.json"
    data = ca.label(["CC(=O)O", "not a smiles"], out, jobs=1, progress=False)
    q = np.array(data["charges"]["CC(=O)O"])
    sp = from_smiles("CC(=O)O")
    raw = np.array(parametrize(sp).charges)
    assert q.sum() == pytest.approx(0.0, abs=1e-4) and len(q) == sp.n_atoms
    methyl_h = [i for i, e in enumerate(sp.elements) if e == "H" and sp.mol.GetAtomWithIdx(i).GetNeighbors()[0].GetSymbol() == "C"]
    assert np.ptp(q[methyl_h]) < 1e-9 and q[methyl_h].mean() == pytest.approx(raw[methyl_h].mean(), abs=1e-5)
    assert "not a smiles" in data["failed"]
    again = ca.label(["CC(=O)O", "not a smiles", "CO"], out, jobs=1, progress=False)  # only methanol is new
    assert again["charges"]["CC(=O)O"] == data["charges"]["CC(=O)O"] and "CO" in again["charges"]


def test_anchor_term_is_the_predictors_charge_error_and_training_on_it_lowers_it():
    """extra_anchor_mse equals the mean squared difference between the shipped predictor's charges and the labels;
    a few Adam steps of charge_net on the anchor term alone lower it."""
    import torch

    from mlparams.gnn.commands import liquid_stage_trainer
    from mlparams.gnn.graphs import graph_of
    from mlparams.gnn.predictor import load
    from mlparams.molecules import from_smiles

    labels = {s: q for s, q in json.loads(ca.default_anchor_file().read_text())["charges"].items()
              if s in ("Nc1ccc(Cl)cn1", "O=C1CCC(=O)N1") or len(q) < 12}
    labels = dict(sorted(labels.items())[:12])
    gnn = load("gnn")
    trainer = liquid_stage_trainer(gnn, threads=1)
    trainer.extra_anchor = ca.anchor_tensors(gnn.embedding_model, labels)
    expected = []
    for smi, q in sorted(labels.items()):
        g = graph_of(from_smiles(smi))
        expected.append(gnn.charges(g, gnn.embeddings([g])[0]) - np.array(q))
    mse = float(np.mean(np.concatenate(expected) ** 2))
    with torch.no_grad():
        assert float(trainer.extra_anchor_mse()) == pytest.approx(mse, rel=1e-4)
    opt = torch.optim.Adam(trainer.heads.charge_net.parameters(), lr=1e-3)
    for _ in range(30):
        loss = trainer.extra_anchor_mse()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        assert float(trainer.extra_anchor_mse()) < 0.5 * mse
    with pytest.raises(Exception, match="charges for"):
        ca.anchor_tensors(gnn.embedding_model, {"CCO": [0.0, 0.0]})


def test_stage_keys_name_the_shipped_files_and_change_with_the_anchor(tmp_path):
    """The default settings hash to the shipped files' keys (so `gnn train` reuses them); without the extra anchor
    and the every-molecule penalty stage 3 hashes as before both existed (the experiments trained then); the
    anchor's content and weight change stage 3's key and nothing before it."""
    from dataclasses import replace

    from mlparams.gnn.commands import stage_keys
    from mlparams.gnn.datasets import default_qm_set
    from mlparams.gnn.training import TrainingConfig
    from mlparams.models.dimer_pairs import TRAINING_SETS

    models = ca.default_anchor_file().parent.parent / "models" / "gnn"
    keys = stage_keys(TrainingConfig(), default_qm_set(), tuple(TRAINING_SETS))
    for stem in ("embeddings", "gnn-molecules", "gnn"):
        assert keys[stem] == json.loads((models / f"{stem}.json").read_text())["config_hash"], stem
    before = replace(TrainingConfig(), extra_charge_anchor="", stage3_every_molecule_penalty=False)
    assert stage_keys(before, default_qm_set(), tuple(TRAINING_SETS))["gnn"] == "0efd92768fcbd28b"
    anchor = tmp_path / "a.json"
    anchor.write_text(json.dumps({"charges": {"CO": [0.1] * 6}}))
    cfg = replace(TrainingConfig(), extra_charge_anchor=str(anchor))
    other = stage_keys(cfg, default_qm_set(), tuple(TRAINING_SETS))
    assert other["gnn-molecules"] == keys["gnn-molecules"] and other["gnn"] != keys["gnn"]
    assert stage_keys(replace(cfg, extra_charge_anchor_weight=100.0), default_qm_set(),
                      tuple(TRAINING_SETS))["gnn"] != other["gnn"]
    anchor.write_text(json.dumps({"charges": {"CO": [0.2] * 6}}))
    assert stage_keys(cfg, default_qm_set(), tuple(TRAINING_SETS))["gnn"] != other["gnn"]


def test_anchor_commands_fail_in_one_line(run_cli, tmp_path):
    proc = run_cli("gnn", "train", "--extra-charge-anchor", str(tmp_path / "missing.json"), "--out", str(tmp_path / "m"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "anchor-charges" in proc.stderr
    proc = run_cli("gnn", "anchor-charges", "--smiles", str(tmp_path / "none.txt"), "--out", str(tmp_path / "a.json"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--smiles" in proc.stderr
    assert not (tmp_path / "a.json").exists()
    proc = run_cli("gnn", "train-liquids", "--frames", str(tmp_path), "--out", str(tmp_path / "l"),
                   "--extra-charge-anchor", "shipped")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--train-charges" in proc.stderr
    proc = run_cli("gnn", "train", "--extra-charge-anchor", "none", "--extra-charge-anchor-weight", "50",
                   "--out", str(tmp_path / "m"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "anchor file" in proc.stderr
    assert not (tmp_path / "l").exists() and not (tmp_path / "m").exists()
