"""Molecules in: SMILES, SDF/MOL, MOL2, PDB with CONECT records, or XYZ blocks (bonds perceived).

Every molecule is checked up front (elements GAFF2 can type, hydrogens present, a net charge that is an
integer) and renumbered into RDKit's canonical atom order, so that one parametrisation per canonical SMILES
serves every copy and every input order. Coordinates are in Å inside RDKit, as RDKit keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlparams.errors import MlparamsError, UnknownElementError

#: Elements GAFF2 has atom types for.
SUPPORTED_ELEMENTS = ("H", "C", "N", "O", "F", "P", "S", "Cl", "Br", "I")


class MoleculeError(MlparamsError, ValueError):
    """A molecule that cannot be read or is not fit for parametrisation."""


@dataclass(frozen=True)
class Species:
    """One molecular species: canonical SMILES, RDKit molecule in canonical atom order, net charge (e)."""

    smiles: str
    mol: object
    net_charge: int

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(a.GetSymbol() for a in self.mol.GetAtoms())

    @property
    def n_atoms(self) -> int:
        return self.mol.GetNumAtoms()

    def symmetry_classes(self) -> list[int]:
        """Per atom, a class index shared by symmetry-equivalent atoms (graph symmetry)."""
        from rdkit import Chem

        ranks = list(Chem.CanonicalRankAtoms(self.mol, breakTies=False))
        order = {r: k for k, r in enumerate(sorted(set(ranks)))}
        return [order[r] for r in ranks]

    def positions_angstrom(self) -> np.ndarray:
        return np.array(self.mol.GetConformer().GetPositions())


def _check_elements(mol, source: str) -> None:
    for atom in mol.GetAtoms():
        if atom.GetSymbol() not in SUPPORTED_ELEMENTS:
            raise UnknownElementError(
                f"{source}: element {atom.GetSymbol()} is not supported; GAFF2 types {', '.join(SUPPORTED_ELEMENTS)}"
            )


def _check(mol, source: str):
    from rdkit import Chem

    _check_elements(mol, source)
    for atom in mol.GetAtoms():
        if atom.GetNumRadicalElectrons():
            raise MoleculeError(
                f"{source}: atom {atom.GetIdx() + 1} ({atom.GetSymbol()}) has an open valence: hydrogens or bond "
                "orders are missing (for PDB input pass the molecule's SMILES as a template)"
            )
    heavy_with_implicit = [a.GetIdx() + 1 for a in mol.GetAtoms() if a.GetNumImplicitHs() > 0]
    if heavy_with_implicit:
        raise MoleculeError(
            f"{source}: missing hydrogens on atom(s) {heavy_with_implicit[:5]}; give a structure with all hydrogens"
        )
    if mol.GetNumConformers() == 0:
        raise MoleculeError(f"{source}: no 3-D coordinates")
    Chem.SanitizeMol(mol)


def canonical_species(mol, source: str = "molecule") -> tuple[Species, np.ndarray]:
    """Species in canonical atom order, and perm with canonical_index = perm[input_index]."""
    from rdkit import Chem

    _check(mol, source)
    mol = Chem.Mol(mol)
    Chem.RemoveStereochemistry(mol)
    ranks = list(Chem.CanonicalRankAtoms(mol, breakTies=True))
    # Heavy atoms first, each group in canonical rank order: still canonical, easier to read.
    new_order = sorted(range(mol.GetNumAtoms()), key=lambda i: (mol.GetAtomWithIdx(i).GetAtomicNum() == 1, ranks[i]))
    canon = Chem.RenumberAtoms(mol, new_order)  # canonical atom k = input atom new_order[k]
    perm = np.empty(len(new_order), dtype=int)
    perm[np.array(new_order)] = np.arange(len(new_order))
    smiles = Chem.MolToSmiles(Chem.RemoveHs(canon), isomericSmiles=False)
    return Species(smiles, canon, Chem.GetFormalCharge(canon)), perm


def from_smiles(smiles: str, seed: int = 0) -> Species:
    """Species from SMILES, with hydrogens and one conformer (ETKDG, MMFF-relaxed where MMFF applies)."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles.strip() else None
    if mol is None:
        raise MoleculeError(f"cannot parse SMILES {smiles!r}; give a valid SMILES such as 'CCO'")
    _check_elements(mol, f"SMILES {smiles!r}")
    mol = Chem.AddHs(mol)
    if AllChem.EmbedMolecule(mol, randomSeed=seed) != 0:
        raise MoleculeError(f"RDKit could not embed {smiles!r} in 3-D; check the SMILES")
    if AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMolecule(mol)
    species, _ = canonical_species(mol, f"SMILES {smiles!r}")
    return species


def from_file(path: str | Path, template_smiles: str | None = None) -> Species:
    """Species from an SDF/MOL, MOL2 or PDB (with CONECT records) file that includes hydrogens."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    path = Path(path)
    if not path.is_file():
        raise MoleculeError(f"{path} does not exist; give a SMILES or an existing .sdf/.mol/.mol2/.pdb file")
    suffix = path.suffix.lower()
    if suffix in (".sdf", ".mol"):
        mol = next(iter(Chem.SDMolSupplier(str(path), removeHs=False)), None)
    elif suffix == ".mol2":
        mol = Chem.MolFromMol2File(str(path), removeHs=False)
    elif suffix == ".pdb":
        mol = Chem.MolFromPDBFile(str(path), removeHs=False, proximityBonding=False)
        if mol is not None and template_smiles:
            mol = AllChem.AssignBondOrdersFromTemplate(Chem.MolFromSmiles(template_smiles), mol)
    else:
        raise MoleculeError(f"{path}: unknown format {suffix!r}; use .sdf, .mol, .mol2 or .pdb (with CONECT)")
    if mol is None:
        raise MoleculeError(f"{path}: RDKit could not read the file; check its format and valences")
    if suffix == ".pdb" and mol.GetNumBonds() == 0 and mol.GetNumAtoms() > 1:
        raise MoleculeError(f"{path}: the PDB has no CONECT records; add them or give SDF/MOL2")
    species, _ = canonical_species(mol, str(path))
    return species


def from_xyz(symbols, coords_angstrom, charge: int = 0, source: str = "xyz") -> tuple[Species, np.ndarray]:
    """Species from element symbols and coordinates (Å) with bonds perceived; returns (species, perm)."""
    from rdkit import Chem
    from rdkit.Chem import rdDetermineBonds

    block = f"{len(symbols)}\n\n" + "\n".join(
        f"{s} {x:.6f} {y:.6f} {z:.6f}" for s, (x, y, z) in zip(symbols, np.asarray(coords_angstrom))
    )
    mol = Chem.MolFromXYZBlock(block)
    if mol is None:
        raise MoleculeError(f"{source}: cannot read the atoms; check element symbols")
    _check_elements(mol, source)
    try:
        rdDetermineBonds.DetermineBonds(mol, charge=int(charge))
    except (ValueError, RuntimeError) as exc:
        raise MoleculeError(f"{source}: cannot perceive bonds for charge {charge} ({exc})") from None
    return canonical_species(mol, source)


def load_species(spec: str, template_smiles: str | None = None) -> Species:
    """A species from a path (if it exists or has a molecule-file suffix) or else from SMILES."""
    p = Path(spec)
    if p.suffix.lower() in (".sdf", ".mol", ".mol2", ".pdb") or p.is_file():
        return from_file(p, template_smiles)
    return from_smiles(spec)


def molar_mass(species: Species) -> float:
    """g/mol."""
    from rdkit.Chem import Descriptors

    return float(Descriptors.MolWt(species.mol))
