"""The ffxml template generator, molecule inputs (SMILES, SDF, MOL2, PDB with CONECT) and dimer files."""

import io

import numpy as np
import pytest

from mlparams.dimers import dimer_system, read_dimer
from mlparams.errors import DataFormatError, UnknownElementError
from mlparams.molecules import MoleculeError, from_file, from_smiles, load_species
from mlparams.openmm_plugin.ffxml import MLParamsTemplateGenerator
from mlparams.openmm_plugin.system import FORCE_GROUPS, _group_of, energy_terms, to_openmm
from mlparams.systems import build_system


def _pdb_of(topology, positions_nm):
    from openmm import app, unit

    buf = io.StringIO()
    app.PDBFile.writeFile(topology, positions_nm * 10 * unit.angstrom, buf)
    buf.seek(0)
    return app.PDBFile(buf)


@pytest.mark.parametrize("smiles", ["CCO", "CC(=O)O"])  # acetic acid brings impropers
@pytest.mark.parametrize("model", ["buckingham-lal2023", "gaff2"])
def test_ffxml_route_gives_the_exporters_system_without_scaled_14_vdw(smiles, model):
    import openmm
    from openmm import app

    sp = from_smiles(smiles)
    one = sp.positions_angstrom() * 0.1
    msys = build_system([sp], [2], model, positions_nm=np.vstack([one, one + np.array([0.33, 0.12, 0.0])]))
    system, topology, pos = to_openmm(msys)
    reference = energy_terms(system, pos)
    forcefield = app.ForceField()
    forcefield.registerTemplateGenerator(MLParamsTemplateGenerator([smiles], model=model).generator)
    other = forcefield.createSystem(_pdb_of(topology, pos).topology, nonbondedMethod=app.NoCutoff)
    for f in other.getForces():
        f.setForceGroup(_group_of(f))
        if isinstance(f, openmm.NonbondedForce):
            f.setForceGroup(FORCE_GROUPS["coulomb"])
        if isinstance(f, openmm.CustomNonbondedForce):
            f.setForceGroup(FORCE_GROUPS["vdw"])
    result = energy_terms(other, pos)
    for term in ("bond", "angle", "dihedral", "coulomb", "coulomb+vdw", "vdw"):
        if term in reference:
            assert result[term] == pytest.approx(reference[term], rel=1e-6, abs=1e-8), term
    assert result["total"] == pytest.approx(reference["total"] - reference.get("vdw14", 0.0), rel=1e-6)
    if model != "gaff2":
        assert abs(reference["vdw"]) > 1e-6  # the test exercises a non-zero van der Waals term


def test_generator_declines_unknown_residues():
    from openmm import app

    gen = MLParamsTemplateGenerator(["CCO"])
    sp = from_smiles("CCCC")
    msys = build_system([sp], [1], "gaff2")
    _, topology, pos = to_openmm(msys)
    residue = next(_pdb_of(topology, pos).topology.residues())
    assert gen.generator(app.ForceField(), residue) is False


def test_file_inputs_give_the_same_species(tmp_path):
    from rdkit import Chem

    sp = from_smiles("CCO")
    Chem.MolToMolFile(sp.mol, str(tmp_path / "e.mol"))
    writer = Chem.SDWriter(str(tmp_path / "e.sdf"))
    writer.write(sp.mol)
    writer.close()
    Chem.MolToPDBFile(sp.mol, str(tmp_path / "e.pdb"))  # RDKit writes CONECT records
    for name in ("e.mol", "e.sdf", "e.pdb"):
        other = load_species(str(tmp_path / name))
        assert other.smiles == sp.smiles and other.n_atoms == 9


def test_pdb_without_bond_orders_needs_a_template(tmp_path):
    from rdkit import Chem

    sp = from_smiles("CC(=O)O")
    Chem.MolToPDBFile(sp.mol, str(tmp_path / "acid.pdb"))
    with open(tmp_path / "acid.pdb") as fh:
        text = fh.read()
    stripped = tmp_path / "plain.pdb"
    stripped.write_text(text)
    try:
        species = from_file(stripped)
    except MoleculeError as exc:
        assert "template" in str(exc) or "hydrogens" in str(exc)
        species = from_file(stripped, template_smiles="CC(=O)O")
    assert species.smiles == sp.smiles


def test_missing_hydrogens_and_unsupported_elements_are_refused(tmp_path):
    from rdkit import Chem
    from rdkit.Chem import AllChem

    heavy = Chem.MolFromSmiles("CCO")
    AllChem.EmbedMolecule(heavy, randomSeed=1)
    Chem.MolToMolFile(heavy, str(tmp_path / "noh.mol"))
    with pytest.raises(MoleculeError, match="hydrogens"):
        from_file(tmp_path / "noh.mol")
    with pytest.raises(UnknownElementError, match="Na"):
        from_smiles("[Na+].[Cl-]")


def test_charged_molecule_keeps_its_net_charge():
    msys = build_system([from_smiles("CC(=O)[O-]")], [1], "buckingham")
    assert msys.species[0].net_charge == -1
    assert msys.parameters.charges.sum() == pytest.approx(-1.0, abs=1e-9)


def _write_xyz(path, symbols, coords, comment):
    path.write_text(f"{len(symbols)}\n{comment}\n" + "\n".join(
        f"{s} {x:.5f} {y:.5f} {z:.5f}" for s, (x, y, z) in zip(symbols, coords)) + "\n")


WATER = (["O", "H", "H"], np.array([[0.0, 0.0, 0.0], [0.957, 0.0, 0.0], [-0.24, 0.927, 0.0]]))


def test_dimer_file_is_split_at_na_and_keeps_atoms_in_place(tmp_path):
    symbols = WATER[0] * 2
    coords = np.vstack([WATER[1], WATER[1] + np.array([2.9, 0.2, 0.1])])
    _write_xyz(tmp_path / "w2.xyz", symbols, coords, 'set=T index=1 name="water dimer" nA=3 nB=3 E_int_kcal_mol=-5.0')
    dimer = read_dimer(tmp_path / "w2.xyz")
    assert dimer.n_a == 3 and dimer.reference_kcal_mol == -5.0 and dimer.info["name"] == "water dimer"
    msys, a, b = dimer_system(dimer, "gaff2")
    # Same set of coordinates per monomer (atoms may be reordered into canonical order).
    got_a = np.sort(msys.positions_nm[a] * 10, axis=0)
    np.testing.assert_allclose(got_a, np.sort(coords[:3], axis=0), atol=1e-6)
    got_b = np.sort(msys.positions_nm[b] * 10, axis=0)
    np.testing.assert_allclose(got_b, np.sort(coords[3:], axis=0), atol=1e-6)


@pytest.mark.parametrize(
    "comment, n_header, words",
    [
        ('name="x" nB=3', 6, "no nA"),
        ('name="x" nA=3 nB=3', 7, "header says 7"),
        ('name="x" nA=6 nB=0', 6, "does not split"),
    ],
)
def test_bad_dimer_files_are_named_with_the_reason(tmp_path, comment, n_header, words):
    symbols = WATER[0] * 2
    coords = np.vstack([WATER[1], WATER[1] + 3.0])
    path = tmp_path / "bad.xyz"
    _write_xyz(path, symbols, coords, comment)
    text = path.read_text().splitlines()
    text[0] = str(n_header)
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(DataFormatError, match=words) as err:
        read_dimer(path)
    assert "bad.xyz" in str(err.value)


def test_create_system_one_call_for_molecule_box_and_dimer(tmp_path):
    from mlparams.openmm_plugin import create_system

    system, topology, pos = create_system("O", model="buckingham", charges=[-0.834, 0.417, 0.417])
    import openmm

    nb = next(f for f in system.getForces() if isinstance(f, openmm.NonbondedForce))
    assert nb.getParticleParameters(0)[0]._value == pytest.approx(-0.834)  # user charges, O first
    system, topology, pos = create_system("CCO", model="gaff2", n_molecules=20, density_g_cm3=0.7, cutoff_nm=0.6)
    assert system.getNumParticles() == 180 and system.usesPeriodicBoundaryConditions()
    symbols = WATER[0] * 2
    _write_xyz(tmp_path / "w2.xyz", symbols, np.vstack([WATER[1], WATER[1] + 3.0]), "nA=3 nB=3")
    system, topology, pos = create_system(dimer=tmp_path / "w2.xyz", model="buckingham")
    assert system.getNumParticles() == 6 and not system.usesPeriodicBoundaryConditions()


def test_mol2_input_written_by_antechamber(tmp_path):
    """A Tripos MOL2 (Sybyl atom types, as antechamber writes with -at sybyl) reads into the same species."""
    import subprocess

    from rdkit import Chem

    from mlparams.tools import venv_bin

    sp = from_smiles("CC(=O)O")
    Chem.MolToMolFile(sp.mol, str(tmp_path / "a.mol"))
    subprocess.run([venv_bin("antechamber"), "-i", "a.mol", "-fi", "mdl", "-o", "a.mol2", "-fo", "mol2",
                    "-at", "sybyl", "-c", "gas", "-pf", "y"], cwd=tmp_path, check=True, capture_output=True)
    other = load_species(str(tmp_path / "a.mol2"))
    assert other.smiles == sp.smiles and other.n_atoms == sp.n_atoms


def test_mixture_box_keeps_species_blocks_and_charges():
    msys = build_system([from_smiles("O"), from_smiles("CCO")], [30, 10], "gaff2", density_g_cm3=0.9)
    assert msys.n_atoms == 30 * 3 + 10 * 9
    q = msys.parameters.charges
    assert q[:90].reshape(30, 3).sum(axis=1) == pytest.approx(np.zeros(30), abs=1e-9)
    assert q[90:].reshape(10, 9).sum(axis=1) == pytest.approx(np.zeros(10), abs=1e-9)
    system, _, pos = to_openmm(msys, cutoff_nm=0.6)
    assert np.isfinite(energy_terms(system, pos, msys.box_nm)["total"])
