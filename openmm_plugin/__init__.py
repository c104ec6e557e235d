"""OpenMM export of mlparams parameter sets (installed as ``mlparams.openmm_plugin``).

    from mlparams.openmm_plugin import create_system
    system, topology, positions = create_system("CCO", model="buckingham", n_molecules=200, density_g_cm3=0.79)
    system, topology, positions = create_system(dimer="S22_02_HB_2_Water_Dimer_CS.xyz", model="gaff2")
"""


def create_system(molecule=None, *, model: str = "buckingham", n_molecules: int = 1, density_g_cm3=None,
                  dimer=None, charges=None, mixing_rule=None, seed: int = 1, **openmm_options):
    """(openmm.System, openmm.app.Topology, positions as (N, 3) nm) for a molecule, a liquid box or a dimer.

    molecule: SMILES or an .sdf/.mol/.mol2/.pdb path; n_molecules > 1 packs a periodic cube at
    density_g_cm3 (packmol). dimer: an extended-XYZ dimer file instead (gas phase, no cutoff).
    charges: per-atom charges (e, canonical atom order) instead of AM1-BCC, as one list per species.
    openmm_options go to :func:`mlparams.openmm_plugin.system.to_openmm` (cutoff_nm, constraints, ...).
    """
    from mlparams.errors import MlparamsError
    from mlparams.openmm_plugin.system import to_openmm

    if (molecule is None) == (dimer is None):
        raise MlparamsError("give either a molecule or a dimer file")
    if dimer is not None:
        from mlparams.dimers import dimer_system, read_dimer

        msys, _, _ = dimer_system(read_dimer(dimer), model, charges=charges)
    else:
        from mlparams.molecules import load_species
        from mlparams.systems import build_system

        if n_molecules > 1 and density_g_cm3 is None:
            raise MlparamsError("a box of several molecules needs density_g_cm3 (packing density)")
        msys = build_system([load_species(molecule)], [n_molecules], model, density_g_cm3=density_g_cm3,
                            seed=seed, charges=None if charges is None else [charges], mixing_rule=mixing_rule)
    return to_openmm(msys, **openmm_options)


__all__ = ["create_system"]
