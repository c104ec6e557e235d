"""OpenMM Systems whose van der Waals term is the parameter model's own functional form.

:func:`to_openmm` reads a :class:`mlparams.systems.MolecularSystem` and nothing else:

* bonded terms (GAFF2) from parmed's ``createSystem`` on the system's structure;
* electrostatics in a NonbondedForce with zero Lennard-Jones (PME for periodic boxes, NoCutoff otherwise),
  with 1-4 pairs as exceptions scaled by the parameter object's Coulomb 1-4 factor;
* van der Waals: ``lj`` stays in the same NonbondedForce (Lorentz–Berthelot, dispersion correction on for
  boxes); ``buckingham`` goes into mlparams' compiled force (:mod:`mlparams.openmm_plugin.compiled`) or a
  CustomNonbondedForce with per-particle factors (no table look-ups), long-range correction on for boxes,
  and its scaled 1-4 pairs into a CustomBondForce of the same form;
  ``lj-gaussian`` into mlparams' compiled force or two CustomNonbondedForces (LJ to the cutoff, the
  Gaussians to their reach), its scaled 1-4 pairs into a CustomBondForce;
* one list of excluded pairs (1-2, 1-3, 1-4) shared by every nonbonded force.

Force groups (see :data:`FORCE_GROUPS`) let energies be read term by term.
"""

from __future__ import annotations

import numpy as np

from mlparams.atomic_files import write_text
from mlparams.errors import MlparamsError
from mlparams.forms import buckingham as bk
from mlparams.openmm_plugin.compiled import FORCE_TYPES
from mlparams.units import COULOMB_KJ_PER_MOL_NM

FORCE_GROUPS = {
    "bond": 0,
    "angle": 1,
    "dihedral": 2,
    "improper": 3,
    "coulomb": 4,
    "vdw": 5,
    "vdw14": 6,
    "other": 7,
}
DEFAULT_CUTOFF_NM = 0.9
#: Forms that mlparams' compiled forces (cpp/pair_forces.cpp) compute.
COMPILED_FORMS = tuple(FORCE_TYPES)
DEFAULT_EWALD_TOLERANCE = 5e-4


def to_openmm(msys, *, cutoff_nm: float = DEFAULT_CUTOFF_NM, constraints: str | None = None,
              ewald_tolerance: float = DEFAULT_EWALD_TOLERANCE, long_range_correction: bool = True,
              merge_direct_space: bool = False, vdw_cutoff_nm: float | None = None,
              pair_tables: bool = False, vdw_kernel: str = "auto"):
    """(System, Topology, positions as an (N, 3) array in nm) for a MolecularSystem.

    constraints: None (all bonds flexible) or "HBonds".
    merge_direct_space: for periodic Buckingham systems (either kernel) and LJ + Gaussian systems (compiled
    kernel; otherwise the option is ignored for them), compute the real-space Ewald Coulomb term
    q1·q2·erfc(αr)/r in the van der Waals force (one pair loop instead of two) and leave the NonbondedForce
    only its reciprocal part. With the compiled force the excluded pairs' terms (scaled 1-4 van der Waals
    and Coulomb, the reciprocal-space correction) join it too: the fastest MD here (README benchmark).
    Coulomb and van der Waals are then one force group ("vdw" holds both).
    vdw_cutoff_nm: cutoff of the van der Waals force if different from ``cutoff_nm``.
    pair_tables: look the Buckingham mixed constants up per type pair (Discrete2DFunction) instead of using
    the per-particle factors; the plain approach, kept for the benchmark.
    vdw_kernel: "compiled" (mlparams' C++ forces, :mod:`mlparams.openmm_plugin.compiled`; faster on the CPU
    platform, README benchmark), "custom" (CustomNonbondedForces, which any OpenMM script can load from
    XML), or "auto" (compiled when it can be built here, else custom). The Buckingham and LJ + Gaussian
    forms use it (:data:`COMPILED_FORMS`); LJ stays in the NonbondedForce, the tabulated form in a
    CustomNonbondedForce.
    """
    import openmm
    from openmm import app, unit

    params = msys.parameters
    if params.n_atoms != msys.n_atoms:
        raise MlparamsError(f"parameters describe {params.n_atoms} atoms, the system has {msys.n_atoms}")
    if msys.periodic and cutoff_nm >= 0.5 * float(np.min(msys.box_nm)):
        raise MlparamsError(
            f"cutoff {cutoff_nm} nm is not below half the box edge {np.min(msys.box_nm):.3f} nm; use more molecules or a shorter cutoff"
        )
    st = msys.structure
    st.box = [*(msys.box_nm * 10.0), 90.0, 90.0, 90.0] if msys.periodic else None
    system = st.createSystem(
        nonbondedMethod=app.PME if msys.periodic else app.NoCutoff,
        nonbondedCutoff=cutoff_nm * unit.nanometer,
        constraints={None: None, "HBonds": app.HBonds}[constraints],
        rigidWater=False,
        removeCMMotion=True,
    )
    for i in reversed(range(system.getNumForces())):
        force = system.getForce(i)
        if isinstance(force, (openmm.NonbondedForce, openmm.CustomNonbondedForce)):
            system.removeForce(i)
    for force in system.getForces():
        force.setForceGroup(_group_of(force))
    _split_impropers(system, st)

    excluded = msys.excluded_pairs()
    pairs14 = msys.pairs14()
    is14 = set(map(tuple, pairs14.tolist()))
    q = params.charges

    nb = openmm.NonbondedForce()
    nb.setForceGroup(FORCE_GROUPS["coulomb"])
    if msys.periodic:
        nb.setNonbondedMethod(openmm.NonbondedForce.PME)
        nb.setCutoffDistance(cutoff_nm)
        nb.setEwaldErrorTolerance(ewald_tolerance)
    else:
        nb.setNonbondedMethod(openmm.NonbondedForce.NoCutoff)
    lj = params.form == "lj"
    if lj:
        sig_t, eps_t = params.type_array("sigma"), params.type_array("epsilon")
        sig, eps = sig_t[params.atom_type_index], eps_t[params.atom_type_index]
        nb.setUseDispersionCorrection(bool(msys.periodic and long_range_correction))
    else:
        nb.setUseDispersionCorrection(False)
    for i in range(params.n_atoms):
        nb.addParticle(float(q[i]), float(sig[i]) if lj else 1.0, float(eps[i]) if lj else 0.0)
    for i, j in excluded.tolist():
        if (i, j) in is14:
            qq = params.scale14_coulomb * q[i] * q[j]
            if lj:
                s_ij = 0.5 * (sig[i] + sig[j])
                e_ij = params.scale14_vdw * np.sqrt(eps[i] * eps[j])
                nb.addException(i, j, float(qq), float(s_ij), float(e_ij))
            else:
                nb.addException(i, j, float(qq), 1.0, 0.0)
        else:
            nb.addException(i, j, 0.0, 1.0, 0.0)
    system.addForce(nb)

    use_compiled = params.form in COMPILED_FORMS and _use_compiled(vdw_kernel, pair_tables)
    # Buckingham merges into either kernel; LJ + Gaussians only into the compiled one.
    merge = bool(merge_direct_space and msys.periodic and (params.form == "buckingham" or use_compiled))
    if merge and use_compiled and vdw_cutoff_nm not in (None, cutoff_nm):
        raise MlparamsError("merge_direct_space needs the van der Waals cutoff equal to the Coulomb cutoff")
    if merge:
        # The α OpenMM chooses itself for PME with this tolerance and cutoff (NonbondedForceImpl).
        alpha = float(np.sqrt(-np.log(2.0 * ewald_tolerance)) / cutoff_nm)
        nb.setIncludeDirectSpace(False)  # also drops the exceptions and the excluded pairs' Ewald correction
        if not use_compiled:  # the compiled force computes these terms itself
            _add_excluded_pair_coulomb(system, excluded, is14, q, params.scale14_coulomb, alpha)
    if use_compiled:
        system = _add_compiled(system, msys, params, excluded, is14, pairs14, vdw_cutoff_nm or cutoff_nm,
                               long_range_correction, ewald_alpha=alpha if merge else None)
    elif params.form in ("lj-gaussian", "tabulated"):
        _add_pair_form(system, msys, params, excluded, pairs14, vdw_cutoff_nm or cutoff_nm, long_range_correction)
    elif params.form == "buckingham":
        _add_buckingham(system, msys, params, excluded, pairs14, vdw_cutoff_nm or cutoff_nm, long_range_correction,
                        ewald_alpha=alpha if merge else None, pair_tables=pair_tables)

    topology = st.topology
    if msys.periodic:
        vectors = [openmm.Vec3(*(v)) for v in np.diag(msys.box_nm)] * unit.nanometer
        system.setDefaultPeriodicBoxVectors(*vectors)
        topology.setPeriodicBoxVectors(vectors)
    return system, topology, np.array(msys.positions_nm, dtype=float)


def _split_impropers(system, structure) -> None:
    """Move the Amber improper torsions into their own PeriodicTorsionForce (force group "improper")."""
    import openmm

    impropers = {(d.atom1.idx, d.atom2.idx, d.atom3.idx, d.atom4.idx) for d in structure.dihedrals if d.improper}
    if not impropers:
        return
    for force in list(system.getForces()):
        if not isinstance(force, openmm.PeriodicTorsionForce):
            continue
        improper = openmm.PeriodicTorsionForce()
        improper.setForceGroup(FORCE_GROUPS["improper"])
        for k in range(force.getNumTorsions()):
            i, j, m, n, per, phase, kk = force.getTorsionParameters(k)
            if (i, j, m, n) in impropers or (n, m, j, i) in impropers:
                improper.addTorsion(i, j, m, n, per, phase, kk)
                force.setTorsionParameters(k, i, j, m, n, per, phase, 0.0)
        if improper.getNumTorsions():
            system.addForce(improper)
        break


def _add_excluded_pair_coulomb(system, excluded, is14, q, scale14, alpha):
    """Real-space Coulomb of the excluded pairs when the NonbondedForce leaves direct space out:
    the scaled 1-4 Coulomb, minus the reciprocal-space erf(αr)/r that PME counted for every excluded pair."""
    import openmm

    force = openmm.CustomBondForce(f"{COULOMB_KJ_PER_MOL_NM!r}*qq*(s/r - erf(ewald_alpha*r)/r)")
    force.addGlobalParameter("ewald_alpha", alpha)
    force.addPerBondParameter("qq")
    force.addPerBondParameter("s")
    for i, j in excluded.tolist():
        force.addBond(i, j, [float(q[i] * q[j]), scale14 if (i, j) in is14 else 0.0])
    force.setUsesPeriodicBoundaryConditions(True)
    force.setForceGroup(FORCE_GROUPS["coulomb"])
    system.addForce(force)


def _group_of(force) -> int:
    import openmm

    if isinstance(force, openmm.HarmonicBondForce):
        return FORCE_GROUPS["bond"]
    if isinstance(force, openmm.HarmonicAngleForce):
        return FORCE_GROUPS["angle"]
    if isinstance(force, openmm.PeriodicTorsionForce):
        return FORCE_GROUPS["dihedral"]
    return FORCE_GROUPS["other"]


def _add_buckingham(system, msys, params, excluded, pairs14, cutoff_nm, long_range_correction, ewald_alpha=None,
                    pair_tables=False):
    import openmm

    A, B, C = (params.type_array(k) for k in ("A", "B", "C"))
    if pair_tables:
        _add_buckingham_tables(system, msys, params, excluded, cutoff_nm, long_range_correction)
        _add_buckingham_14(system, msys, params, pairs14)
        return
    per_type, csign = bk.openmm_per_particle(A, B, C, params.mixing_rule)
    expression = bk.openmm_expression(params.mixing_rule)
    if ewald_alpha is not None:
        # step(rcut - r) is 1 inside the cutoff; it keeps the Coulomb term out of the long-range
        # correction integral, which must hold the van der Waals tail only.
        expression = f"{expression} + {COULOMB_KJ_PER_MOL_NM!r}*q1*q2*erfc(ewald_alpha*r)/r*step(rcut - r)"
    force = openmm.CustomNonbondedForce(expression)
    force.addGlobalParameter("csign", csign)
    force.addGlobalParameter("dmp6", params.damping_nm**6)
    force.addGlobalParameter("rsw", params.guard_switch_nm)
    names = ["a", "b", "c"]
    if ewald_alpha is not None:
        force.addGlobalParameter("ewald_alpha", ewald_alpha)
        force.addGlobalParameter("rcut", cutoff_nm)
        names.append("q")
    for name in names:
        force.addPerParticleParameter(name)
    charges = params.charges
    for i, t in enumerate(params.atom_type_index):
        values = [float(x) for x in per_type[t]]
        force.addParticle(values + [float(charges[i])] if ewald_alpha is not None else values)
    _configure_nonbonded(force, msys, excluded, cutoff_nm, long_range_correction)
    system.addForce(force)
    _add_buckingham_14(system, msys, params, pairs14)


VDW_KERNELS = ("auto", "compiled", "custom")


def _use_compiled(kernel: str, custom_only_option: bool) -> bool:
    from mlparams.openmm_plugin import compiled

    if kernel not in VDW_KERNELS:
        raise MlparamsError(f"unknown vdw_kernel {kernel!r}; choose one of {', '.join(VDW_KERNELS)}")
    if kernel == "custom" or (kernel == "auto" and custom_only_option):
        return False
    if kernel == "compiled":
        if custom_only_option:
            raise MlparamsError("pair_tables needs vdw_kernel='custom'")
        compiled.load()
        return True
    if compiled.available():
        return True
    import warnings

    warnings.warn(f"compiled pair forces unavailable ({compiled.why_unavailable()}); using CustomNonbondedForce",
                  stacklevel=3)
    return False


def _add_compiled(system, msys, params, excluded, is14, pairs14, cutoff_nm, long_range_correction, ewald_alpha=None):
    """The van der Waals pair sum as mlparams' compiled force (same energy as the CustomNonbondedForces);
    returns the new System (the force enters through the XML serializer). With ``ewald_alpha`` the force also
    holds the real-space Ewald Coulomb term and the excluded pairs' terms (scaled 1-4 van der Waals and
    Coulomb, minus the reciprocal-space Coulomb of every excluded pair): the whole direct space in one force."""
    from mlparams.forms import lj_gaussian
    from mlparams.openmm_plugin import compiled

    table = params.pair_table()
    if params.form == "buckingham":
        settings = {"damping6": params.damping_nm**6, "switchDistance": params.guard_switch_nm}
    else:
        settings = {"gaussianCutoff": min(cutoff_nm, lj_gaussian.gaussian_reach_nm(table))}
    pair_terms = None
    if ewald_alpha is not None:
        pair_terms = [(i, j, params.scale14_coulomb if (i, j) in is14 else 0.0,
                       params.scale14_vdw if (i, j) in is14 else 0.0) for i, j in excluded.tolist()]
    xml = compiled.force_xml(
        params.form, table, params.atom_type_index, excluded,
        cutoff_nm=cutoff_nm, periodic=msys.periodic, long_range_correction=bool(msys.periodic and long_range_correction),
        force_group=FORCE_GROUPS["vdw"], settings=settings,
        charges=params.charges if ewald_alpha is not None else None, ewald_alpha=ewald_alpha,
        coulomb_constant=COULOMB_KJ_PER_MOL_NM if ewald_alpha is not None else None, pair_terms=pair_terms,
    )
    if pair_terms is None:
        if params.form == "buckingham":
            _add_buckingham_14(system, msys, params, pairs14)
        else:
            _add_lj_gaussian_14(system, msys, params, pairs14)
    return compiled.add_force_xml(system, xml)


def _configure_nonbonded(force, msys, excluded, cutoff_nm, long_range_correction):
    import openmm

    for i, j in excluded.tolist():
        force.addExclusion(i, j)
    if msys.periodic:
        force.setNonbondedMethod(openmm.CustomNonbondedForce.CutoffPeriodic)
        force.setCutoffDistance(cutoff_nm)
        force.setUseLongRangeCorrection(bool(long_range_correction))
    else:
        force.setNonbondedMethod(openmm.CustomNonbondedForce.NoCutoff)
    force.setForceGroup(FORCE_GROUPS["vdw"])


def _add_pair_form(system, msys, params, excluded, pairs14, cutoff_nm, long_range_correction):
    """Forms with per-type-pair constants: LJ + Gaussians (Discrete2DFunctions) or tabulated (splines)."""
    import openmm

    from mlparams.forms import lj_gaussian

    n = len(params.types)
    table = params.pair_table()
    ti = params.atom_type_index
    if params.form == "lj-gaussian":
        # Two forces: LJ to the van der Waals cutoff (with its long-range correction), the Gaussians only out
        # to their reach (lj_gaussian.gaussian_reach_nm), where the far cheaper pair count pays for the loop.
        centres = lj_gaussian.shared_centres_nm(table)
        force = openmm.CustomNonbondedForce(lj_gaussian.openmm_lj_expression())
        gaussians = openmm.CustomNonbondedForce(lj_gaussian.openmm_gaussian_expression(centres))
        gaussian_tables = [k for k in lj_gaussian.GAUSSIAN_PARAMETERS if centres is None or not k.startswith("r")]
        for target, names in ((force, ("C6", "C12")), (gaussians, gaussian_tables)):
            for name in names:
                target.addTabulatedFunction(name, openmm.Discrete2DFunction(n, n, table[name].T.ravel().tolist()))
        _add_type_index(gaussians, ti)
        reach = min(cutoff_nm, lj_gaussian.gaussian_reach_nm(table))
        _configure_nonbonded(gaussians, msys, excluded, reach, long_range_correction=False)
        system.addForce(gaussians)
        _add_lj_gaussian_14(system, msys, params, pairs14)
    else:
        r = np.asarray(params.table_r_nm, dtype=float)
        if not np.allclose(np.diff(r), r[1] - r[0]):
            raise MlparamsError("the tabulated form needs a uniform distance grid")
        pairs = [(a, b) for a in range(n) for b in range(a, n)]
        terms = []
        force = openmm.CustomNonbondedForce("")
        bond = openmm.CustomCompoundBondForce(2, "")  # CustomBondForce cannot hold tabulated functions
        for k, (a, b) in enumerate(pairs):
            for target in (force, bond):
                target.addTabulatedFunction(f"tab{k}", openmm.Continuous1DFunction(
                    table["energy"][a, b].tolist(), float(r[0]), float(r[-1])))
            terms.append(f"delta(pidx-{k})*tab{k}(r)")
        selector = " + ".join(terms)
        force.setEnergyFunction(f"{selector}; pidx=min(t1,t2)*{n}-min(t1,t2)*(min(t1,t2)-1)/2+abs(t1-t2)"
                                if n > 1 else "tab0(r)")
        bond.setEnergyFunction((f"scale14*({selector})" if n > 1 else "scale14*tab0(r)") + "; r=distance(p1,p2)")
        bond.addPerBondParameter("pidx")
        index = {p: k for k, p in enumerate(pairs)}
        for i, j in pairs14.tolist():
            a, b = sorted((int(ti[i]), int(ti[j])))
            bond.addBond([i, j], [float(index[(a, b)])])
        _finish_14(system, msys, params, bond)
    _add_type_index(force, ti)
    _configure_nonbonded(force, msys, excluded, cutoff_nm, long_range_correction)
    system.addForce(force)


def _add_lj_gaussian_14(system, msys, params, pairs14):
    """Scaled 1-4 LJ + Gaussian pairs in a CustomBondForce, each with its type pair's constants."""
    import openmm

    from mlparams.forms import lj_gaussian

    table = params.pair_table()
    ti = params.atom_type_index
    bond = openmm.CustomBondForce(lj_gaussian.openmm_pair_expression())
    for name in lj_gaussian.PAIR_PARAMETERS:
        bond.addPerBondParameter(name)
    for i, j in pairs14.tolist():
        bond.addBond(i, j, [float(table[name][ti[i], ti[j]]) for name in lj_gaussian.PAIR_PARAMETERS])
    _finish_14(system, msys, params, bond)


def _finish_14(system, msys, params, bond) -> None:
    """The 1-4 force's scale factor, periodicity and force group; add it to the System."""
    bond.addGlobalParameter("scale14", params.scale14_vdw)
    bond.setUsesPeriodicBoundaryConditions(bool(msys.periodic))
    bond.setForceGroup(FORCE_GROUPS["vdw14"])
    system.addForce(bond)


def _add_type_index(force, type_index) -> None:
    """Per-particle parameter t: each atom's type index, for the per-type-pair tabulated functions."""
    force.addPerParticleParameter("t")
    for t in type_index:
        force.addParticle([float(t)])


def _add_buckingham_tables(system, msys, params, excluded, cutoff_nm, long_range_correction):
    """The same interaction with per-type-pair look-ups of A, B, C (three Discrete2DFunctions)."""
    import openmm

    table = params.pair_table()
    n = len(params.types)
    force = openmm.CustomNonbondedForce(f"Atab(t1,t2)*exp(-r/Btab(t1,t2)) - Ctab(t1,t2)/(r^6 + {bk.OPENMM_GUARD})")
    force.addGlobalParameter("dmp6", params.damping_nm**6)
    force.addGlobalParameter("rsw", params.guard_switch_nm)
    for name in ("A", "B", "C"):
        force.addTabulatedFunction(f"{name}tab", openmm.Discrete2DFunction(n, n, table[name].T.ravel().tolist()))
    _add_type_index(force, params.atom_type_index)
    _configure_nonbonded(force, msys, excluded, cutoff_nm, long_range_correction)
    system.addForce(force)


def _add_buckingham_14(system, msys, params, pairs14):
    """Scaled 1-4 van der Waals pairs in a CustomBondForce of the same form."""
    import openmm

    table = params.pair_table()
    bond = openmm.CustomBondForce(bk.OPENMM_PAIR_EXPRESSION)
    bond.addGlobalParameter("dmp6", params.damping_nm**6)
    bond.addGlobalParameter("rsw", params.guard_switch_nm)
    for name in ("A", "B", "C"):
        bond.addPerBondParameter(name)
    ti = params.atom_type_index
    for i, j in pairs14.tolist():
        a, b = ti[i], ti[j]
        bond.addBond(i, j, [float(table["A"][a, b]), float(table["B"][a, b]), float(table["C"][a, b])])
    _finish_14(system, msys, params, bond)


def energy_terms(system, positions_nm, box_nm=None, platform: str = "Reference") -> dict[str, float]:
    """Potential energy (kJ/mol) of each force group by name, and the total, on the given platform."""
    import openmm
    from openmm import unit

    integrator = openmm.VerletIntegrator(0.001)
    context = openmm.Context(system, integrator, openmm.Platform.getPlatformByName(platform))
    context.setPositions(np.asarray(positions_nm) * unit.nanometer)
    if box_nm is not None:
        context.setPeriodicBoxVectors(*[openmm.Vec3(*v) for v in np.diag(box_nm)])
    out = {}
    used = {f.getForceGroup() for f in system.getForces()}
    for name, group in FORCE_GROUPS.items():
        if group in used:
            state = context.getState(getEnergy=True, groups={group})
            out[name] = state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    if any(isinstance(f, openmm.NonbondedForce) and _has_lj(f) for f in system.getForces()) and "coulomb" in out:
        out["coulomb+vdw"] = out.pop("coulomb")  # the lj form keeps Lennard-Jones in the NonbondedForce
    out["total"] = context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    return out


def coulomb_and_vdw(system, positions_nm, box_nm=None, platform: str = "Reference") -> dict[str, float]:
    """Energies (kJ/mol) split into "coulomb" and "vdw" (scaled 1-4 pairs included), plus every group's term.

    For the lj form, whose Lennard-Jones shares the NonbondedForce with Coulomb, Coulomb is evaluated on a
    copy of the System with the Lennard-Jones parameters zeroed and vdw is the remainder.
    """
    import copy

    import openmm

    terms = energy_terms(system, positions_nm, box_nm, platform)
    if "coulomb+vdw" not in terms:
        terms["vdw"] = terms.get("vdw", 0.0) + terms.pop("vdw14", 0.0)
        terms.setdefault("coulomb", 0.0)
        return terms
    bare = copy.deepcopy(system)
    zero_lennard_jones(next(f for f in bare.getForces() if isinstance(f, openmm.NonbondedForce)))
    coulomb = energy_terms(bare, positions_nm, box_nm, platform)
    both = terms.pop("coulomb+vdw")
    terms["coulomb"] = coulomb.get("coulomb+vdw", coulomb.get("coulomb", 0.0))
    terms["vdw"] = both - terms["coulomb"]
    return terms


def zero_lennard_jones(nb) -> None:
    """Set every particle's and exception's Lennard-Jones ε of a NonbondedForce to 0 (its Coulomb stays)."""
    for i in range(nb.getNumParticles()):
        q, s, _ = nb.getParticleParameters(i)
        nb.setParticleParameters(i, q, s, 0.0)
    for k in range(nb.getNumExceptions()):
        i, j, qq, s, _ = nb.getExceptionParameters(k)
        nb.setExceptionParameters(k, i, j, qq, s, 0.0)
    nb.setUseDispersionCorrection(False)


def _has_lj(force) -> bool:
    return any(force.getParticleParameters(i)[2]._value != 0.0 for i in range(force.getNumParticles()))


def serialize(system, path) -> None:
    """Write the System as OpenMM XML through a temporary name."""
    from pathlib import Path

    import openmm

    path = Path(path)
    write_text(path, openmm.XmlSerializer.serialize(system))
