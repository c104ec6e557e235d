"""An ffxml route for ordinary OpenMM scripts: a residue template generator for ``ForceField``.

    from openmm import app
    from mlparams.openmm_plugin.ffxml import MLParamsTemplateGenerator
    generator = MLParamsTemplateGenerator(["CCO"], model="buckingham")
    forcefield = app.ForceField()
    forcefield.registerTemplateGenerator(generator.generator)
    system = forcefield.createSystem(pdb.topology, nonbondedMethod=app.PME, nonbondedCutoff=0.9*unit.nanometer)

When ``createSystem`` meets a residue without a template, the generator matches it (elements and bond graph)
to one of the molecules it was given, parametrises that molecule (GAFF2 + AM1-BCC, cached; the model's
van der Waals constants) and loads an ffxml with: atom types per symmetry class (class = prefixed GAFF2
type, so the bonded terms are GAFF2's), the residue template with charges, GAFF2's bonds, angles and
torsions (written by parmed), a NonbondedForce with zero Lennard-Jones and Amber's 1-4 Coulomb scaling,
and a ``<CustomNonbondedForce>`` with per-type parameters of the model's form and ``bondCutoff="3"``.

Difference to :func:`mlparams.openmm_plugin.system.to_openmm`: an ffxml CustomNonbondedForce can only
exclude 1-2, 1-3 and 1-4 pairs, not scale them, so this route leaves out the scaled 1-4 van der Waals
term (the ``vdw14`` group of ``to_openmm``); everything else is the same System (tested). Models whose
constants belong to type pairs (the GNN's LJ + Gaussians) are refused here: one ffxml per residue cannot
carry a table over pairs of types from different molecules.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import quoteattr

from mlparams.errors import MlparamsError
from mlparams.forms import buckingham as bk
from mlparams.molecules import Species, from_smiles


class MLParamsTemplateGenerator:
    """Residue templates for given molecules (SMILES or Species) with a named mlparams model."""

    def __init__(self, molecules, model: str = "buckingham", mixing_rule: str | None = None):
        if model.startswith("gnn"):
            raise MlparamsError(
                f"the ffxml route writes per-type constants and cannot hold {model}'s per-type-pair tables across "
                "molecules; use mlparams.openmm_plugin.system.to_openmm or `mlparams export openmm` for GNN models"
            )
        self.species = [m if isinstance(m, Species) else from_smiles(m) for m in molecules]
        self.model = model
        self.mixing_rule = mixing_rule
        self._done: dict[str, str] = {}

    def generator(self, forcefield, residue) -> bool:
        """The callable to pass to ``ForceField.registerTemplateGenerator``."""
        match = self._match(residue)
        if match is None:
            return False
        k, mapping = match
        forcefield.loadFile(io.StringIO(self.ffxml(k, residue, mapping)))
        return True

    def _match(self, residue):
        from rdkit import Chem

        atoms = list(residue.atoms())
        index = {a.index: i for i, a in enumerate(atoms)}
        query = Chem.RWMol()
        for a in atoms:
            if a.element is None:
                return None
            query.AddAtom(Chem.Atom(a.element.symbol))
        for bond in residue.internal_bonds():
            query.AddBond(index[bond[0].index], index[bond[1].index], Chem.BondType.SINGLE)
        for k, sp in enumerate(self.species):
            if sp.n_atoms != len(atoms):
                continue
            skeleton = Chem.RWMol(sp.mol)
            for b in skeleton.GetBonds():
                b.SetBondType(Chem.BondType.SINGLE)
                b.SetIsAromatic(False)
            for a in skeleton.GetAtoms():
                a.SetIsAromatic(False)
                a.SetFormalCharge(0)
                a.SetNoImplicit(True)
            ps = Chem.AdjustQueryParameters.NoAdjustments()
            template = Chem.AdjustQueryProperties(skeleton.GetMol(), ps)
            target = query.GetMol()
            target.UpdatePropertyCache(strict=False)
            hit = target.GetSubstructMatch(template)
            if len(hit) == len(atoms):
                return k, hit  # hit[species_atom] = residue atom position
        return None

    def ffxml(self, k: int, residue, mapping) -> str:
        """ffxml text for species k, with the residue's atom names in the template."""
        import parmed

        from mlparams.gaff2 import parametrize
        from mlparams.systems import assign_parameters

        sp = self.species[k]
        gp = parametrize(sp)
        st = parmed.load_file(str(gp.prmtop), str(gp.inpcrd))
        params = assign_parameters([sp], [gp], [st], [1], self.model, mixing_rule=self.mixing_rule)
        prefix = f"mlp{k}-"
        bonded = _bonded_sections(st, prefix)
        names = [a.name for a in residue.atoms()]
        atom_name = {s_idx: names[r_idx] for s_idx, r_idx in enumerate(mapping)}
        lines = ["<ForceField>", "  <AtomTypes>"]
        for t_idx, t in enumerate(params.types):
            first = int(list(params.atom_type_index).index(t_idx))
            gaff_class = prefix + st.atoms[first].type
            lines.append(f'    <Type name="{prefix}t{t_idx}" class="{gaff_class}" element="{t.element}" mass="{t.mass_da}"/>')
        lines += ["  </AtomTypes>", "  <Residues>", f"    <Residue name={quoteattr(residue.name)}>"]
        for i in range(sp.n_atoms):
            t_idx = int(params.atom_type_index[i])
            lines.append(f'      <Atom name={quoteattr(atom_name[i])} type="{prefix}t{t_idx}" charge="{float(params.types[t_idx].charge)!r}"/>')
        for bond in st.bonds:
            lines.append(f'      <Bond atomName1={quoteattr(atom_name[bond.atom1.idx])} atomName2={quoteattr(atom_name[bond.atom2.idx])}/>')
        lines += ["    </Residue>", "  </Residues>", bonded]
        lines.append(f'  <NonbondedForce coulomb14scale="{params.scale14_coulomb!r}" lj14scale="{params.scale14_vdw!r}">')
        lines.append('    <UseAttributeFromResidue name="charge"/>')
        if params.form == "lj":
            for t_idx, t in enumerate(params.types):
                lines.append(f'    <Atom type="{prefix}t{t_idx}" sigma="{float(t.vdw["sigma"])!r}" epsilon="{float(t.vdw["epsilon"])!r}"/>')
            lines.append("  </NonbondedForce>")
        else:
            for t_idx in range(len(params.types)):
                lines.append(f'    <Atom type="{prefix}t{t_idx}" sigma="1.0" epsilon="0.0"/>')
            lines.append("  </NonbondedForce>")
            lines.append(_custom_nonbonded(params, prefix))
        lines.append("</ForceField>")
        return "\n".join(lines)


def _bonded_sections(structure, prefix: str) -> str:
    """GAFF2 bonds, angles and torsions from parmed's ffxml writer, with classes renamed to prefix+type."""
    import parmed

    ps = parmed.openmm.OpenMMParameterSet.from_structure(structure)
    buf = io.StringIO()
    ps.write(buf)
    text = buf.getvalue()
    parts = []
    for tag in ("HarmonicBondForce", "HarmonicAngleForce", "PeriodicTorsionForce"):
        m = re.search(rf"<{tag}[^>]*>.*?</{tag}>|<{tag}[^>]*/>", text, re.S)
        if m:
            parts.append(re.sub(r'(class\d?)="([^"]+)"', lambda g: f'{g.group(1)}="{prefix}{g.group(2)}"', m.group(0)))
    if not parts:
        raise MlparamsError("parmed wrote no bonded terms for the molecule")
    return "\n".join(parts)


def _custom_nonbonded(params, prefix: str) -> str:
    A, B, C = (params.type_array(k) for k in ("A", "B", "C"))
    per_type, csign = bk.openmm_per_particle(A, B, C, params.mixing_rule)
    expr = bk.openmm_expression(params.mixing_rule)
    lines = [f'  <CustomNonbondedForce energy="{expr}" bondCutoff="3">',
             f'    <GlobalParameter name="csign" defaultValue="{csign!r}"/>',
             f'    <GlobalParameter name="dmp6" defaultValue="{params.damping_nm ** 6!r}"/>',
             f'    <GlobalParameter name="rsw" defaultValue="{params.guard_switch_nm!r}"/>']
    for name in ("a", "b", "c"):
        lines.append(f'    <PerParticleParameter name="{name}"/>')
    for t_idx, (a, b, c) in enumerate(per_type):
        lines.append(f'    <Atom type="{prefix}t{t_idx}" a="{float(a)!r}" b="{float(b)!r}" c="{float(c)!r}"/>')
    lines.append("  </CustomNonbondedForce>")
    return "\n".join(lines)
