"""Liquid pressures as a target of the exp-6 fit: the molecular virial on frames of liquids at their density.

A liquid simulated at constant pressure settles where its pressure equals the applied one. Frames of a liquid
held at the *experimental* density (NVT) therefore carry a condition the fit can use directly: a model that
gives the right density must give, on such frames, a mean pressure equal to the experimental pressure.
With molecules scaled about their centres of mass (what OpenMM's Monte Carlo barostat does), the molecular
pressure of a frame is

    P = N_mol·k_B·T / V − ∂U/∂V,   ∂U/∂V = (1 / 3V) Σ_{pairs a∈I, b∈J, I≠J} E'(r_ab) · (r_ab · R_IJ) / r_ab

where R_IJ is the centre-of-mass separation of the molecules the pair belongs to (in the image the pair
uses); intramolecular terms do not change under this scaling. The Coulomb part depends on the charges only
(AM1-BCC, fixed), so it is measured once per frame with OpenMM by a central finite difference of the
energy under centre-of-mass scaling (and, for a fit that moves the charges, as quadratic forms in the type
charges: :func:`coulomb_forms`); the exp-6 part is a differentiable function of the fitted constants,
evaluated from a histogram over (type pair, distance) of the geometric weights (r·R)/r, plus the engines'
long-range correction K/V² (the formula of mlparams' compiled force and LAMMPS' buck tail) and the impulsive
term of pairs crossing the cutoff (:func:`impulsive_bar`).

The frames come from a reference model. Held fixed (:meth:`PressureTerm.exp6_pressures`), they give only the
direct dependence of the pressure on the constants, not the liquid's structural response; reweighted
(:meth:`PressureTerm.pressures` with per-frame histograms of frames sampled with an exp-6 model θ₀) they give
both, within a trust region on the effective sample size. Units: nm, kJ/mol, e inside; pressures in bar.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mlparams.atomic_files import replacing, write_json
from mlparams.errors import DataFormatError, MissingFileError, MlparamsError
from mlparams.forms import buckingham as bk

BOLTZMANN_KJ_PER_MOL_K = 0.00831446261815324
#: 1 kJ/mol/nm³ in bar (1000 J / 6.02214076e23 / 1e-27 m³ / 1e5 Pa).
BAR_PER_KJ_MOL_NM3 = 1000.0 / 6.02214076e23 / 1e-27 / 1e5
#: Width of the distance bins of the virial histogram (nm); the midpoint rule's error is tested.
BIN_NM = 0.0005
#: Width of the per-frame histograms' bins (nm), coarser than :data:`BIN_NM` to keep them small.
FRAME_BIN_NM = 0.002
#: Relative volume change of the finite-difference virial (double precision, Reference platform; 0.03 bar from
#: the 1e-9 limit on water frames). Pairs that cross the cutoff between the two boxes are subtracted
#: (:func:`crossing_correction_bar`): at 1e-6 (frames committed on 2026-11-22/23) a few per cent of frames held
#: a crossing worth 10⁴ bar, at 1e-8 about one frame in 500 one worth up to 10⁵ bar (README, issue #10).
FD_RELATIVE_VOLUME = 1e-8
#: Relative volume change like a Monte Carlo barostat's, for the reference model's own pressure (a diagnostic):
#: pairs that cross the cutoff contribute, as they do to the barostat's acceptance.
FD_RELATIVE_VOLUME_MC = 2e-4
#: Pressure error that counts as one unit in the fit's liquid term: about 1 % in density for a bulk modulus
#: of 1 GPa, typical of organic liquids.
PRESSURE_SCALE_BAR = 100.0
#: Reweighting's trust region: below this effective-sample fraction the fit pays ESS_WEIGHT·(shortfall)².
ESS_MIN = 0.5
ESS_WEIGHT = 1000.0
#: The distance bins at the cutoff that estimate the pair density there (impulsive term).
EDGE_BINS = 20

#: Shortest distance (nm) of :meth:`LiquidFrames.far_pair_ratio`'s count, and the ratio from which frames are
#: reported as cavitated (a void in the box).
FAR_PAIR_MIN_NM = 0.6
CAVITATION_RATIO = 1.05
#: Grid spacing (nm) of the largest-empty-sphere search, and the median radius (nm) from which frames count as
#: cavitated: equilibrated homogeneous liquids leave gaps of about 0.3 nm (GAFF2 water 0.30, ethylene carbonate
#: 0.27; the GNN's ethanol and n-octane 0.32-0.33), a box 1.4 ps after packing up to 0.40 nm; the GNN's water
#: and ethylene carbonate hold voids of 0.64 and 0.49 nm (README).
EMPTY_SPHERE_GRID_NM = 0.05
CAVITY_RADIUS_NM = 0.45

#: The file of a frames folder that lists the liquids that failed, with the reason.
FAILURES = "failures.json"
#: Bulk modulus (bar) of the equation of state that turns a density error into a pressure target for frames
#: sampled at the model's own density (:meth:`LiquidFrames.target_bar`): 1 GPa, the order of organic liquids
#: near 298 K (water's is 2.2 GPa). A step parameter of the rounds, not a property of any liquid.
STEP_BULK_MODULUS_BAR = 10000.0

#: Dev liquids whose pressures join the fit: one or two of each functional group of the dev set (water,
#: alcohols, acid, ketone, esters, carbonate, ether, amide, nitrile, aromatics, alkane, sulfur, fluorine).
#: The other dev liquids are held out and reported separately.
TRAINING_LIQUIDS = (
    "water", "ethanol", "acetic acid", "acetone", "methyl acetate", "ethylene carbonate",
    "1,2-dimethoxyethane", "N-methylacetamide", "acetonitrile", "pyridine", "benzene", "n-octane",
    "dimethyl sulfide", "2,2,2-trifluoroethanol",
)


@dataclass
class LiquidFrames:
    """What one liquid's frames contribute to the fit: Coulomb + kinetic pressure and the virial histogram."""

    name: str
    smiles: str
    T_K: float
    P_bar: float
    rho_exp: float
    reference_model: str
    n_molecules: int
    n_frames: int
    volume_nm3: float
    cutoff_nm: float
    type_element: list
    type_charge: list
    type_count: list
    pair_types: list  # [[t, u], ...] with t <= u
    r_bins_nm: list
    virial_hist_nm: list  # [pair type][bin]: frame mean of Σ (r·R)/r over pairs in that bin
    p_kinetic_bar: float
    p_coulomb_bar: list  # per frame: the Coulomb virial
    p_coulomb_impulsive_bar: float  # real-space Coulomb pairs crossing the cutoff (Monte Carlo barostat)
    p_reference_bar: list  # per frame: the reference model's total pressure as a barostat's move sees it
    seconds: float
    #: Per type, the (A, B, C) of the sampling model when it is an exp-6 model (what reweighting starts from).
    reference_constants: list | None = None
    reference_mixing_rule: str | None = None
    #: Per frame, the radius (nm) of the largest sphere without an atom centre (:func:`largest_empty_sphere`).
    largest_empty_sphere_nm: list | None = None
    #: Density (g/cm³) the frames were sampled at when it is not the experimental one (``--density-from``: the
    #: sampling model's own NPT density); None: ``rho_exp``.
    rho_sampled: float | None = None

    def target_bar(self, bulk_modulus_bar: float | None = None) -> float:
        """The pressure (bar) the model must have on these frames: the experimental pressure at the experimental
        density; at another density ρ_s, the experimental pressure moved along an equation of state of bulk
        modulus K, P_exp + K·ln(ρ_s/ρ_exp). K (default :data:`STEP_BULK_MODULUS_BAR`) sets only the step a round
        takes (its fixed point, ρ_s = ρ_exp, does not depend on it); the sampling model's own K_T
        (:func:`bulk_moduli`) makes the step a Newton step in ln ρ."""
        if self.rho_sampled is None:
            return self.P_bar
        modulus = STEP_BULK_MODULUS_BAR if bulk_modulus_bar is None else bulk_modulus_bar
        return self.P_bar + modulus * math.log(self.rho_sampled / self.rho_exp)

    def density_after_g_cm3(self, pressure_bar: float, bulk_modulus_bar: float) -> float:
        """NPT density (g/cm³) a model predicts for itself when it gives ``pressure_bar`` on these frames, on a
        linear equation of state of bulk modulus K through the frames: ρ_s·exp((P_exp − P)/K)."""
        return (self.rho_sampled or self.rho_exp) * math.exp((self.P_bar - pressure_bar) / bulk_modulus_bar)

    @property
    def p_rest_bar(self) -> float:
        """Kinetic + Coulomb pressure (bar): the part that does not depend on the exp-6 constants."""
        return self.p_kinetic_bar + float(np.mean(self.p_coulomb_bar)) + self.p_coulomb_impulsive_bar

    def edge_density(self) -> np.ndarray:
        """Per type pair, the density of geometric weight at the cutoff, Σ (r·R)/r per nm of r (dimensionless).

        From the last :data:`EDGE_BINS` bins, scaled by (r_c / r̄)² to the cutoff (the pair density grows as r²
        where g(r) ≈ 1).
        """
        hist = np.asarray(self.virial_hist_nm)[:, -EDGE_BINS:]
        r = np.asarray(self.r_bins_nm)[-EDGE_BINS:]
        return hist.mean(axis=1) / BIN_NM * (self.cutoff_nm / r.mean()) ** 2

    def far_pair_ratio(self) -> float:
        """Intermolecular pairs from :data:`FAR_PAIR_MIN_NM` to the cutoff over a homogeneous fluid's count (≈ g(r)
        there): a check that the frames are one liquid, not a void beside a denser liquid. NaN (no check) when
        the cutoff is below :data:`FAR_PAIR_MIN_NM` + 0.2 nm: closer in, the liquid's own structure dominates.

        Pairs are counted from the virial histogram, Σ(r·R)/r ≈ r per pair far apart (R ≈ r), so homogeneous
        frames give 1 to within about ±2 % (every GAFF2 and Buckingham frame set of the paper's four liquids:
        0.983–1.019). A box that has cavitated holds its molecules in less than its volume and has more pairs
        at long range than the average density implies: :data:`CAVITATION_RATIO` and above is reported as
        cavitated (the GNN's water at 1.0 g/cm³: 1.13).
        """
        r = np.asarray(self.r_bins_nm)
        if self.cutoff_nm < FAR_PAIR_MIN_NM + 0.2:
            return float("nan")
        far = r >= FAR_PAIR_MIN_NM
        counts = np.asarray(self.virial_hist_nm).sum(axis=0)[far] / r[far]
        n_atoms = float(np.sum(self.type_count))
        per_molecule = n_atoms / self.n_molecules
        pairs = 0.5 * (n_atoms**2 - self.n_molecules * per_molecule**2)  # intermolecular atom pairs
        ideal = pairs / self.volume_nm3 * 4.0 * np.pi * r[far] ** 2 * BIN_NM
        return float(counts.sum() / ideal.sum())

    def cavitated(self) -> bool:
        """True when the frames hold a void rather than one liquid: a median largest empty sphere above
        :data:`CAVITY_RADIUS_NM` where it was recorded, else a far-pair ratio of :data:`CAVITATION_RATIO` or more
        (a coarser test: it misses a small void)."""
        if self.largest_empty_sphere_nm:
            return float(np.median(self.largest_empty_sphere_nm)) > CAVITY_RADIUS_NM
        return self.far_pair_ratio() >= CAVITATION_RATIO

    def standard_error_bar(self) -> float:
        """Standard error of the frames' mean pressure (bar), from the reference series' correlation."""
        from mlparams.validation.density import statistical_inefficiency

        x = np.asarray(self.p_reference_bar)
        return float(x.std(ddof=1) * math.sqrt(statistical_inefficiency(x) / x.size))


def molecule_index(msys) -> np.ndarray:
    """Per atom, the index of its molecule (species blocks in order)."""
    out, start = [], 0
    for sp, n in zip(msys.species, msys.counts):
        out.append(start + np.repeat(np.arange(n), sp.n_atoms))
        start += n
    return np.concatenate(out)


def scaled_positions(positions, molecule, masses, factor: float) -> np.ndarray:
    """Positions with every molecule's centre of mass scaled by ``factor`` (molecules kept rigid)."""
    com = _centres_of_mass(positions, molecule, masses)
    return positions + (factor - 1.0) * com[molecule]


def _centres_of_mass(positions, molecule, masses) -> np.ndarray:
    m = np.bincount(molecule, weights=masses)
    return np.stack([np.bincount(molecule, weights=masses * positions[:, k]) for k in range(3)], axis=1) / m[:, None]


def fd_pressure_bar(context, positions, box_nm, molecule, masses, groups=None,
                    relative_volume: float = FD_RELATIVE_VOLUME) -> float:
    """−∂U/∂V (bar) under centre-of-mass scaling, by a central difference of the context's energy."""
    import openmm
    from openmm import unit

    volume = float(np.prod(box_nm))
    energies = []
    for sign in (1.0, -1.0):
        v = volume * (1.0 + sign * relative_volume)
        s = (v / volume) ** (1.0 / 3.0)
        context.setPeriodicBoxVectors(*[openmm.Vec3(*row) for row in np.diag(box_nm * s)])
        context.setPositions(scaled_positions(positions, molecule, masses, s) * unit.nanometer)
        state = context.getState(getEnergy=True, groups=groups if groups is not None else -1)
        energies.append((v, state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)))
    (v1, e1), (v2, e2) = energies
    return -(e1 - e2) / (v1 - v2) * BAR_PER_KJ_MOL_NM3


def cutoff_crossings(positions, box_nm, molecule, masses, cutoff_nm: float,
                     relative_volume: float = FD_RELATIVE_VOLUME) -> tuple[np.ndarray, np.ndarray, float]:
    """The atom pairs that cross the cutoff between the two boxes of :func:`fd_pressure_bar`'s central
    difference: (pairs inside only at V+, pairs inside only at V−, each an (n, 2) index array; V+ − V− in nm³)."""
    volume = float(np.prod(box_nm))
    n = len(positions)
    inside, volumes = [], []
    for sign in (1.0, -1.0):
        v = volume * (1.0 + sign * relative_volume)
        s = (v / volume) ** (1.0 / 3.0)
        i, j, _, _ = virial_pairs(scaled_positions(positions, molecule, masses, s), np.asarray(box_nm) * s,
                                  molecule, masses, cutoff_nm)
        inside.append(np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j))
        volumes.append(v)
    plus, minus = np.setdiff1d(inside[0], inside[1]), np.setdiff1d(inside[1], inside[0])
    return (np.column_stack([plus // n, plus % n]), np.column_stack([minus // n, minus % n]),
            volumes[0] - volumes[1])


def crossing_jump_bar(crossings, charges, cutoff_nm: float, alpha_per_nm: float) -> float:
    """The share (bar) of :func:`fd_pressure_bar`'s Coulomb difference that the pairs of :func:`cutoff_crossings`
    added with ``charges`` (e): each pair's real-space term k·qᵢ·qⱼ·erfc(α r_c)/r_c over ΔV."""
    from scipy.special import erfc

    from mlparams.units import COULOMB_KJ_PER_MOL_NM

    plus, minus, delta_v = crossings
    q = np.asarray(charges, dtype=float)
    e_cut = COULOMB_KJ_PER_MOL_NM * erfc(alpha_per_nm * cutoff_nm) / cutoff_nm
    # E(V+) − E(V−) holds +e(r_c) for each pair inside only at V+, −e(r_c) for each inside only at V−
    delta_e = e_cut * (float(np.sum(q[plus[:, 0]] * q[plus[:, 1]])) - float(np.sum(q[minus[:, 0]] * q[minus[:, 1]])))
    return -delta_e / delta_v * BAR_PER_KJ_MOL_NM3


def crossing_correction_bar(positions, box_nm, molecule, masses, cutoff_nm: float, charges, alpha_per_nm: float,
                            relative_volume: float = FD_RELATIVE_VOLUME) -> float:
    """What pairs crossing the cutoff added to :func:`fd_pressure_bar`'s Coulomb difference (bar); subtract it.

    Between the two scaled boxes of the central difference a pair may cross the cutoff; OpenMM's real-space
    Ewald term k·qᵢ·qⱼ·erfc(α r)/r is truncated there unshifted, so the energy jumps by its value at r_c and
    the difference picks up jump/ΔV: rare at a tiny ΔV, but then huge (a frame of 1.8×10⁵ bar was measured at
    ΔV/V = 1e-8). The pairs within the cutoff of both boxes are listed, the jumps of those in one list only
    are summed, and their share of the difference returned. The truncation's mean effect is
    :func:`coulomb_impulsive_bar`, kept apart.
    """
    crossings = cutoff_crossings(positions, box_nm, molecule, masses, cutoff_nm, relative_volume)
    return crossing_jump_bar(crossings, charges, cutoff_nm, alpha_per_nm)


def intermolecular_coulomb_system(system, molecule):
    """A copy of a System with only its Coulomb NonbondedForce, every intramolecular atom pair excluded: its
    energy is the intermolecular Coulomb energy of the periodic box (a molecule's interaction with its own
    images included), and, molecules kept rigid, its centre-of-mass pressure is the whole model's Coulomb one
    (the excluded pairs' direct terms do not change under that scaling)."""
    import openmm

    bare = _coulomb_only(system)
    force = next(f for f in bare.getForces() if isinstance(f, openmm.NonbondedForce))
    existing = {}
    for k in range(force.getNumExceptions()):
        i, j = force.getExceptionParameters(k)[:2]
        existing[(min(i, j), max(i, j))] = k
    molecule = np.asarray(molecule)
    for m in np.unique(molecule):
        atoms = np.flatnonzero(molecule == m)
        for a, b in zip(*np.triu_indices(len(atoms), 1)):
            i, j = int(atoms[a]), int(atoms[b])
            if (i, j) in existing:
                force.setExceptionParameters(existing[(i, j)], i, j, 0.0, 1.0, 0.0)
            else:
                force.addException(i, j, 0.0, 1.0, 0.0)
    return bare


def coulomb_forms(context, force, positions, box_nm, molecule, masses, type_index, n_types: int, cutoff_nm: float,
                  alpha_per_nm: float) -> tuple[np.ndarray, np.ndarray]:
    """(G_U in kJ/mol/e², G_P in bar/e²), each (n_types, n_types): a frame's intermolecular Coulomb energy and
    its Coulomb centre-of-mass pressure for any type charges q, U(q) = ½ qᵀG_U q, P(q) = ½ qᵀG_P q.

    The Ewald sum is a quadratic form in the charges, so T(T+1)/2 evaluations give it: with unit charges on the
    atoms of type a (and b), G_aa = 2·E(e_a), G_ab = E(e_a + e_b) − E(e_a) − E(e_b). ``context``/``force``: an
    :func:`intermolecular_coulomb_system` on the Reference platform; the pressure is :func:`fd_pressure_bar`'s
    central difference less :func:`crossing_jump_bar` (non-neutral unit charges carry OpenMM's neutralising
    background, whose part cancels in any neutral q)."""
    import openmm
    from openmm import unit

    type_index = np.asarray(type_index)
    crossings = cutoff_crossings(positions, box_nm, molecule, masses, cutoff_nm)
    energy, pressure = np.zeros((n_types, n_types)), np.zeros((n_types, n_types))
    for a in range(n_types):
        for b in range(a, n_types):
            q = (type_index == a).astype(float) + (type_index == b).astype(float) * (b != a)
            for i, qi in enumerate(q):
                force.setParticleParameters(i, float(qi), 1.0, 0.0)
            force.updateParametersInContext(context)
            context.setPeriodicBoxVectors(*[openmm.Vec3(*row) for row in np.diag(box_nm)])
            context.setPositions(positions * unit.nanometer)
            energy[a, b] = context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
            pressure[a, b] = (fd_pressure_bar(context, positions, box_nm, molecule, masses)
                              - crossing_jump_bar(crossings, q, cutoff_nm, alpha_per_nm))
    out = []
    for e in (energy, pressure):
        g = np.zeros_like(e)
        diag = np.diag(e).copy()
        g[np.diag_indices(n_types)] = 2.0 * diag
        for a, b in zip(*np.triu_indices(n_types, 1)):
            g[a, b] = g[b, a] = e[a, b] - diag[a] - diag[b]
        out.append(g)
    return out[0], out[1]


def largest_empty_sphere(positions, box_nm, grid_nm: float = EMPTY_SPHERE_GRID_NM) -> tuple[float, np.ndarray]:
    """(radius in nm of the largest sphere free of atom centres, to the grid's resolution; its centre): the largest
    distance from a point of a ``grid_nm`` grid to the nearest atom, with periodic images."""
    from scipy.spatial import cKDTree

    box = np.asarray(box_nm, dtype=float)
    tree = cKDTree(np.mod(positions, box), boxsize=box)
    axes = [np.arange(0.0, b, grid_nm) for b in box]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    d, _ = tree.query(grid)
    k = int(np.argmax(d))
    return float(d[k]), grid[k]


def virial_pairs(positions, box_nm, molecule, masses, cutoff_nm: float):
    """Intermolecular pairs within the cutoff: (i, j, r in nm, geometric weight (r·R_IJ)/r in nm).

    ``positions`` must keep molecules whole (OpenMM's unwrapped coordinates do); the pair's image is the
    minimum image of the atoms, and R_IJ is the centre-of-mass separation in that image.
    """
    from scipy.spatial import cKDTree

    box = np.asarray(box_nm, dtype=float)
    wrapped = np.mod(positions, box)
    pairs = cKDTree(wrapped, boxsize=box).query_pairs(cutoff_nm, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    inter = molecule[i] != molecule[j]
    i, j = i[inter], j[inter]
    d = positions[i] - positions[j]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=1)
    com = _centres_of_mass(positions, molecule, masses)
    offset = positions - com[molecule]  # atom relative to its molecule's centre of mass
    R = d - offset[i] + offset[j]
    return i, j, r, np.einsum("ij,ij->i", d, R) / r


def triu_row(lo, hi, n_types: int):
    """Position of the type pair (lo, hi), lo ≤ hi, in ``np.triu_indices(n_types)`` order."""
    return lo * n_types - lo * (lo - 1) // 2 + (hi - lo)


def tail_weights(type_count) -> np.ndarray:
    """Per type pair t ≤ u (``np.triu_indices`` order), its weight in a long-range correction K = Σ weight·∫_rc^∞
    E r² dr: 2πN²·n_tu / (N(N+1)/2), n_tu = n_t(n_t + 1)/2 or n_t·n_u, as OpenMM averages over atom pairs."""
    counts = np.asarray(type_count, dtype=float)
    s, t = np.triu_indices(counts.size)
    pair_count = np.where(s == t, 0.5 * counts[s] * (counts[s] + 1.0), counts[s] * counts[t])
    n = counts.sum()
    return 2 * np.pi * n * n * pair_count / (0.5 * n * (n + 1))


def pair_histograms(type_index, n_types, i, j, r, g, bin_nm: float, n_bins: int):
    """(pair counts, Σ geometric weights) per (type pair t ≤ u in ``np.triu_indices(n_types)`` order, distance bin
    of width ``bin_nm``); distances beyond the last bin fall into it."""
    t, u = type_index[i], type_index[j]
    lo, hi = np.minimum(t, u), np.maximum(t, u)
    row = triu_row(lo, hi, n_types)
    b = np.minimum((r / bin_nm).astype(int), n_bins - 1)
    n_pairs = n_types * (n_types + 1) // 2
    flat = row * n_bins + b
    counts = np.bincount(flat, minlength=n_pairs * n_bins).reshape(n_pairs, n_bins)
    virial = np.bincount(flat, weights=g, minlength=n_pairs * n_bins).reshape(n_pairs, n_bins)
    return counts, virial


def virial_histogram(type_index, n_types, i, j, r, g, cutoff_nm: float):
    """Σ of the geometric weights per (type pair t ≤ u that occurs, :data:`BIN_NM` bin): (pair types, bin
    centres, histogram)."""
    n_bins = int(math.ceil(cutoff_nm / BIN_NM))
    counts, virial = pair_histograms(type_index, n_types, i, j, r, g, BIN_NM, n_bins)
    present = counts.any(axis=1)
    pairs = np.column_stack(np.triu_indices(n_types))
    return pairs[present], (np.arange(n_bins) + 0.5) * BIN_NM, virial[present]


def liquid_at_experimental_density(row: dict, model: str = "gaff2", profile: str = "screen", threads: int = 1,
                                   seed: int = 7, density_g_cm3: float | None = None):
    """An OpenMM NVT simulation of one dev liquid with ``model`` at its experimental density (or at
    ``density_g_cm3``), minimised, velocities drawn: (simulation, MolecularSystem, per-atom molecule index, masses
    in Da, number of molecules)."""
    from openmm import unit

    from mlparams.molecules import from_smiles
    from mlparams.openmm_plugin import compiled
    from mlparams.openmm_plugin.simulate import make_simulation
    from mlparams.openmm_plugin.system import to_openmm
    from mlparams.systems import build_system
    from mlparams.validation.density import PROFILES, _box_size

    protocol = PROFILES[profile]
    rho, T = float(density_g_cm3 or row["density_g_cm3"]), float(row["T_K"])
    species = from_smiles(row["smiles"])
    n = _box_size(species, protocol, rho)
    # packed loosely, then brought to the experimental density by scaling the centres of mass
    msys = build_system([species], [n], model, density_g_cm3=protocol.packing_fraction * rho, seed=seed)
    molecule = molecule_index(msys)
    masses = np.array([a.mass for a in msys.structure.atoms])
    squeeze = protocol.packing_fraction ** (1.0 / 3.0)
    msys.positions_nm = scaled_positions(np.asarray(msys.positions_nm), molecule, masses, squeeze)
    msys.box_nm = np.asarray(msys.box_nm) * squeeze
    # the whole direct space in mlparams' compiled force where it is built (the density driver's choice too)
    system, topology, pos = to_openmm(msys, cutoff_nm=protocol.cutoff_nm, constraints="HBonds",
                                      merge_direct_space=compiled.available())
    sim = make_simulation(system, topology, pos, temperature_k=T, pressure_bar=None, threads=threads,
                          timestep_ps=protocol.timestep_fs / 1000.0, seed=seed)
    sim.minimizeEnergy(maxIterations=1000)
    sim.context.setVelocitiesToTemperature(T * unit.kelvin, seed)
    return sim, msys, molecule, masses, n


def sample_liquid(row: dict, model: str = "gaff2", profile: str = "screen", equilibrate_ps: float = 10.0,
                  sample_ps: float = 40.0, every_ps: float = 0.2, threads: int = 1, seed: int = 7,
                  progress=None, density_g_cm3: float | None = None) -> tuple[LiquidFrames, "PerFrame"]:
    """NVT frames of one liquid at its experimental density (or at ``density_g_cm3``) with ``model``: their
    pressure terms, and the per-frame histograms that reweighting needs."""
    import openmm
    from openmm import unit

    from mlparams.openmm_plugin.system import FORCE_GROUPS, to_openmm
    from mlparams.validation.density import PROFILES

    t0 = time.perf_counter()
    protocol = PROFILES[profile]
    rho = float(row["density_g_cm3"])
    T, P_bar = float(row["T_K"]), float(row["P_kPa"]) / 100.0
    sim, msys, molecule, masses, n = liquid_at_experimental_density(row, model, profile, threads, seed, density_g_cm3)
    cutoff = protocol.cutoff_nm
    dt = protocol.timestep_fs / 1000.0
    sim.step(int(round(equilibrate_ps / dt)))

    # Contexts for the finite differences: the whole model, and its Coulomb force group alone (the van der
    # Waals terms of a Lennard-Jones model share that NonbondedForce, so they are zeroed in a copy).
    full_system, _, _ = to_openmm(msys, cutoff_nm=cutoff)
    coulomb_system = _coulomb_only(full_system)
    # Reference platform (double precision) for both: on the CPU platform single frames of this finite
    # difference were off by up to 10⁴ bar (measured on water and ethylene carbonate frames).
    full_ctx = openmm.Context(full_system, openmm.VerletIntegrator(0.001),
                              openmm.Platform.getPlatformByName("Reference"))
    coul_ctx = openmm.Context(coulomb_system, openmm.VerletIntegrator(0.001),
                              openmm.Platform.getPlatformByName("Reference"))
    # the Coulomb energy and pressure as quadratic forms in the type charges (the GNN liquid stage's charges)
    inter_system = intermolecular_coulomb_system(full_system, molecule)
    inter_force = next(f for f in inter_system.getForces() if isinstance(f, openmm.NonbondedForce))
    inter_ctx = openmm.Context(inter_system, openmm.VerletIntegrator(0.001),
                               openmm.Platform.getPlatformByName("Reference"))
    ewald = next(f for f in coulomb_system.getForces() if isinstance(f, openmm.NonbondedForce))
    alpha = float(ewald.getPMEParametersInContext(coul_ctx)[0])  # nm⁻¹, for the cutoff-crossing correction
    atom_charges = msys.parameters.charges
    params = msys.parameters
    type_index = params.atom_type_index
    n_types = len(params.types)
    n_frames = int(round(sample_ps / every_ps))
    steps = int(round(every_ps / dt))
    box = np.asarray(msys.box_nm, dtype=float)
    volume = float(np.prod(box))
    p_coul, p_ref, empty = [], [], []
    all_pairs = np.column_stack(np.triu_indices(n_types))
    n_fine, n_coarse = int(math.ceil(cutoff / BIN_NM)), int(math.ceil(cutoff / FRAME_BIN_NM))
    pair_count_sum = np.zeros((len(all_pairs), n_fine))
    virial_sum = np.zeros((len(all_pairs), n_fine))
    frame_counts = np.zeros((n_frames, len(all_pairs), n_coarse), dtype=np.float32)
    frame_virial = np.zeros_like(frame_counts)
    energy_forms = np.zeros((n_frames, n_types, n_types))
    pressure_forms = np.zeros((n_frames, n_types, n_types))
    kinetic = n * BOLTZMANN_KJ_PER_MOL_K * T / volume * BAR_PER_KJ_MOL_NM3
    for k in range(n_frames):
        sim.step(steps)
        x = sim.context.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.nanometer)
        x = np.asarray(x, dtype=float)
        p_coul.append(fd_pressure_bar(coul_ctx, x, box, molecule, masses, groups={FORCE_GROUPS["coulomb"]})
                      - crossing_correction_bar(x, box, molecule, masses, cutoff, atom_charges, alpha))
        p_ref.append(kinetic + fd_pressure_bar(full_ctx, x, box, molecule, masses,
                                               relative_volume=FD_RELATIVE_VOLUME_MC))
        empty.append(largest_empty_sphere(x, box)[0])
        energy_forms[k], pressure_forms[k] = coulomb_forms(inter_ctx, inter_force, x, box, molecule, masses,
                                                           type_index, n_types, cutoff, alpha)
        i, j, r, g = virial_pairs(x, box, molecule, masses, cutoff)
        counts, virial = pair_histograms(type_index, n_types, i, j, r, g, BIN_NM, n_fine)
        pair_count_sum += counts
        virial_sum += virial
        frame_counts[k], frame_virial[k] = pair_histograms(type_index, n_types, i, j, r, g, FRAME_BIN_NM, n_coarse)
        if progress:
            progress(k + 1, n_frames)
    present = pair_count_sum.any(axis=1)  # type pairs that met within the cutoff
    counts = np.bincount(type_index, minlength=n_types)
    frames = LiquidFrames(
        name=row["name"], smiles=row["smiles"], T_K=T, P_bar=P_bar, rho_exp=rho, reference_model=model,
        n_molecules=n, n_frames=n_frames, volume_nm3=volume, cutoff_nm=cutoff,
        type_element=[t.element for t in params.types], type_charge=[float(t.charge) for t in params.types],
        type_count=counts.tolist(), pair_types=all_pairs[present].tolist(),
        r_bins_nm=((np.arange(n_fine) + 0.5) * BIN_NM).tolist(),
        virial_hist_nm=(virial_sum[present] / n_frames).tolist(), p_kinetic_bar=kinetic,
        p_coulomb_bar=p_coul, p_coulomb_impulsive_bar=0.0, p_reference_bar=p_ref, seconds=0.0,
        largest_empty_sphere_nm=empty, rho_sampled=None if density_g_cm3 is None else float(density_g_cm3),
    )
    frames.p_coulomb_impulsive_bar = coulomb_impulsive_bar(frames)
    if params.form == "buckingham":
        frames.reference_constants = np.column_stack([params.type_array(k) for k in ("A", "B", "C")]).tolist()
        frames.reference_mixing_rule = params.mixing_rule
    frames.seconds = round(time.perf_counter() - t0, 1)
    return frames, PerFrame(all_pairs, frame_counts, frame_virial,
                            kinetic + np.asarray(p_coul) + frames.p_coulomb_impulsive_bar,
                            energy_forms, pressure_forms)


@dataclass
class PerFrame:
    """Per-frame histograms of one liquid (:data:`FRAME_BIN_NM` bins) for reweighting.

    ``counts[f, p, b]``: pairs of type pair p in bin b of frame f; ``virial[f, p, b]``: their Σ (r·R)/r (nm);
    ``p_rest_bar[f]``: kinetic + Coulomb pressure of frame f. ``coulomb_energy_form[f]`` (kJ/mol/e²) and
    ``coulomb_pressure_form[f]`` (bar/e²), (types × types): frame f's intermolecular Coulomb energy and Coulomb
    pressure for any type charges q, ½ qᵀGq (:func:`coulomb_forms`); None in files sampled before 2026-11-24.
    """

    pair_types: np.ndarray
    counts: np.ndarray
    virial: np.ndarray
    p_rest_bar: np.ndarray
    coulomb_energy_form: np.ndarray | None = None
    coulomb_pressure_form: np.ndarray | None = None

    @property
    def r_bins_nm(self) -> np.ndarray:
        return (np.arange(self.counts.shape[2]) + 0.5) * FRAME_BIN_NM


def impulsive_bar(frames: LiquidFrames, pair_energy_at_cutoff) -> float:
    """Pressure (bar) of pairs crossing the cutoff when the volume changes: Σ E(r_c)·w(r_c) / 3V.

    A truncated, unshifted pair energy jumps by E(r_c) when a pair crosses the cutoff, and a Monte Carlo
    barostat (OpenMM's) counts these jumps in its energy differences. With it, virial + impulsive − ∂(K/V)/∂V is
    the untruncated potential's pressure: the standard long-range pressure correction −(2π/3)ρ²∫r³E′dr that a
    virial barostat adds (LAMMPS' ``pair_modify tail yes``) holds the same term, (2π/3)ρ²r_c³E(r_c), as its
    boundary piece. So this is not a difference between the engines.
    """
    return float(np.sum(np.asarray(pair_energy_at_cutoff) * frames.edge_density())) / (3.0 * frames.volume_nm3) \
        * BAR_PER_KJ_MOL_NM3


def coulomb_impulsive_per_e2(frames: LiquidFrames, ewald_tolerance: float | None = None) -> np.ndarray:
    """Per type pair of ``frames.pair_types``, :func:`impulsive_bar` of the real-space Ewald term
    k·erfc(α r_c)/r_c per unit charge product (bar/e²), α as OpenMM chooses it."""
    from scipy.special import erfc

    from mlparams.openmm_plugin.system import DEFAULT_EWALD_TOLERANCE
    from mlparams.units import COULOMB_KJ_PER_MOL_NM

    tol = DEFAULT_EWALD_TOLERANCE if ewald_tolerance is None else ewald_tolerance
    rc = frames.cutoff_nm
    alpha = math.sqrt(-math.log(2.0 * tol)) / rc
    return (COULOMB_KJ_PER_MOL_NM * erfc(alpha * rc) / rc * frames.edge_density() / (3.0 * frames.volume_nm3)
            * BAR_PER_KJ_MOL_NM3)


def coulomb_impulsive_bar(frames: LiquidFrames, ewald_tolerance: float | None = None) -> float:
    """:func:`impulsive_bar` of the real-space Ewald term k·q·q·erfc(α r_c)/r_c, α as OpenMM chooses it."""
    q = np.asarray(frames.type_charge)
    pt = np.asarray(frames.pair_types)
    return float(np.sum(coulomb_impulsive_per_e2(frames, ewald_tolerance) * q[pt[:, 0]] * q[pt[:, 1]]))


def _coulomb_only(system):
    """A copy of a System with every force but the Coulomb NonbondedForce's charges silenced."""
    import copy

    import openmm

    from mlparams.openmm_plugin.system import FORCE_GROUPS, zero_lennard_jones

    bare = copy.deepcopy(system)
    for k in reversed(range(bare.getNumForces())):
        f = bare.getForce(k)
        if not isinstance(f, openmm.NonbondedForce):
            bare.removeForce(k)
            continue
        zero_lennard_jones(f)
        f.setForceGroup(FORCE_GROUPS["coulomb"])
    return bare


# --- the exp-6 pressure from per-type constants --------------------------------------------------------


def exp6_pressure_numpy(frames: LiquidFrames, constants, mixing_rule: str, impulsive: bool = True) -> float:
    """Exp-6 pressure (bar) of the frames for per-type (A, B, C): virial + long-range correction (+ the
    impulsive term of pairs crossing the cutoff: together, the untruncated potential's pressure); the NumPy
    reference of the torch term."""
    c = np.asarray(constants, dtype=float)
    pt = np.asarray(frames.pair_types)
    A, B, C = bk.mix(c[pt[:, 0], 0], c[pt[:, 0], 1], c[pt[:, 0], 2], c[pt[:, 1], 0], c[pt[:, 1], 1], c[pt[:, 1], 2],
                     mixing_rule)
    r = np.asarray(frames.r_bins_nm)[None, :]
    dEdr = -bk.force(r, A[:, None], B[:, None], C[:, None])
    virial = float(np.sum(dEdr * np.asarray(frames.virial_hist_nm)))
    direct = -virial / (3.0 * frames.volume_nm3)
    tail = tail_coefficient_numpy(frames, c, mixing_rule) / frames.volume_nm3**2
    edge = impulsive_bar(frames, bk.energy(frames.cutoff_nm, A, B, C)) if impulsive else 0.0
    return (direct + tail) * BAR_PER_KJ_MOL_NM3 + edge


def tail_coefficient_numpy(frames: LiquidFrames, c, mixing_rule: str) -> float:
    """K of the long-range energy K/V (kJ/mol·nm³), as mlparams' compiled OpenMM force computes it."""
    s, t = np.triu_indices(len(frames.type_count))
    A, B, C = bk.mix(c[s, 0], c[s, 1], c[s, 2], c[t, 0], c[t, 1], c[t, 2], mixing_rule)
    rc = frames.cutoff_nm
    integral = A * B * np.exp(-rc / B) * (rc**2 + 2 * rc * B + 2 * B**2) - C / (3 * rc**3)
    return float(np.sum(tail_weights(frames.type_count) * integral))


class PressureTerm:
    """Torch tensors of a set of liquids for the fit: per-type features in, model pressures (bar) out.

    Without ``per_frame`` the frames are held fixed: the pressure's direct dependence on the constants only.
    With ``per_frame`` (one :class:`PerFrame` per liquid, sampled with an exp-6 model θ₀) the frames are
    reweighted, ⟨P⟩_θ = Σ wᵢ Pᵢ(θ) / Σ wᵢ with wᵢ = exp(−β[Uᵢ(θ) − Uᵢ(θ₀)]) (Uᵢ: the frame's intermolecular
    exp-6 energy), which adds the structural response −β·cov(P, ∂U/∂θ) to the derivative; it holds while the
    effective sample size (Σ wᵢ)²/Σ wᵢ² stays a good fraction of the frames (:meth:`pressures` returns it).
    """

    def __init__(self, liquids: list[LiquidFrames], feature_mean, feature_std, charge_range: dict,
                 per_frame: list | None = None):
        import torch

        from mlparams.models.buckingham_labels import feature_matrix

        self.liquids = liquids
        f64 = torch.float64
        elements, charges, self.slices = [], [], []
        for lf in liquids:
            start = len(elements)
            elements += lf.type_element
            # charges clamped to each element's training range, as the shipped model does
            charges += [float(np.clip(q, *charge_range[e])) for e, q in zip(lf.type_element, lf.type_charge)]
            self.slices.append((start, len(elements)))
        self.elements, self.charges = elements, np.array(charges)
        self.X = torch.tensor((feature_matrix(elements, self.charges) - feature_mean) / feature_std)
        self.pair_types = [torch.tensor(np.asarray(lf.pair_types)) for lf in liquids]
        self.hist = [torch.tensor(np.asarray(lf.virial_hist_nm), dtype=f64) for lf in liquids]
        self.r = [torch.tensor(np.asarray(lf.r_bins_nm), dtype=f64) for lf in liquids]
        self.edge = [torch.tensor(lf.edge_density(), dtype=f64) for lf in liquids]
        self.p_exp = torch.tensor([lf.target_bar() for lf in liquids], dtype=f64)
        self.p_rest = torch.tensor([lf.p_rest_bar for lf in liquids], dtype=f64)
        self.per_frame = None
        if per_frame is not None:
            self.per_frame = [self._frame_tensors(torch, lf, pf) for lf, pf in zip(liquids, per_frame)]

    @staticmethod
    def _frame_tensors(torch, lf: LiquidFrames, pf: "PerFrame") -> dict:
        if lf.reference_constants is None:
            raise MlparamsError(f"the frames of {lf.name} come from {lf.reference_model}, not an exp-6 model; "
                                "reweighting needs frames sampled with a Buckingham model (sample-liquids --model)")
        c0 = np.asarray(lf.reference_constants)
        pt = np.asarray(pf.pair_types)
        A, B, C = bk.mix(c0[pt[:, 0], 0], c0[pt[:, 0], 1], c0[pt[:, 0], 2], c0[pt[:, 1], 0], c0[pt[:, 1], 1],
                         c0[pt[:, 1], 2], lf.reference_mixing_rule)
        counts = np.asarray(pf.counts, dtype=float).reshape(len(pf.counts), -1)
        e0 = bk.energy(pf.r_bins_nm[None, :], A[:, None], B[:, None], C[:, None]).ravel()
        return {"pair_types": torch.tensor(pt), "r": torch.tensor(pf.r_bins_nm),
                "counts": torch.tensor(counts), "virial": torch.tensor(np.asarray(pf.virial, dtype=float)
                                                                      .reshape(len(pf.virial), -1)),
                "u0": torch.tensor(counts @ e0), "p_rest": torch.tensor(np.asarray(pf.p_rest_bar, dtype=float)),
                "beta": 1.0 / (BOLTZMANN_KJ_PER_MOL_K * lf.T_K)}

    def exp6_pressures(self, z_types, rule: str):
        """Exp-6 pressure (bar) of each liquid on the fixed frames, from per-type z = (ln A/A0, ln B/B0, ln C/C0)."""
        import torch

        from mlparams.models.buckingham_dimers import REFERENCE

        out = []
        for (a, b), pt, hist, r, edge, lf in zip(self.slices, self.pair_types, self.hist, self.r, self.edge,
                                                 self.liquids):
            z = z_types[a:b]
            A, B, C = _mix_torch(torch, z[pt[:, 0]], z[pt[:, 1]], rule, REFERENCE)
            _, dEdr = _energy_and_derivative(torch, A, B, C, r)
            direct = -torch.sum(dEdr * hist) / (3.0 * lf.volume_nm3)
            out.append(direct * BAR_PER_KJ_MOL_NM3 + self._long_range_bar(torch, z, lf, edge, A, B, C, rule,
                                                                           REFERENCE))
        return torch.stack(out)

    def _long_range_bar(self, torch, z, lf, edge, A, B, C, rule, reference):
        """Long-range correction + impulsive term (bar); A, B, C and ``edge`` of ``lf.pair_types``."""
        tail = self._tail(torch, z, lf, rule, reference) / lf.volume_nm3**2
        rc = lf.cutoff_nm
        impulsive = torch.sum((A * torch.exp(-rc / B) - C / rc**6) * edge) / (3.0 * lf.volume_nm3)
        return (tail + impulsive) * BAR_PER_KJ_MOL_NM3

    def pressures(self, z_types, rule: str):
        """(model pressure in bar, effective-sample fraction) per liquid: reweighted frames if per-frame data
        were given, else the fixed frames (fraction 1)."""
        import torch

        from mlparams.models.buckingham_dimers import REFERENCE

        if self.per_frame is None:
            p = self.exp6_pressures(z_types, rule) + self.p_rest
            return p, torch.ones_like(p)
        pressures, ess = [], []
        for (a, b), pt, edge, lf, fr in zip(self.slices, self.pair_types, self.edge, self.liquids, self.per_frame):
            z = z_types[a:b]
            A, B, C = _mix_torch(torch, z[fr["pair_types"][:, 0]], z[fr["pair_types"][:, 1]], rule, REFERENCE)
            energy, dEdr = _energy_and_derivative(torch, A, B, C, fr["r"])
            u = fr["counts"] @ energy.reshape(-1)
            w = torch.softmax(-fr["beta"] * (u - fr["u0"]), dim=0)
            p_frames = fr["p_rest"] - (fr["virial"] @ dEdr.reshape(-1)) / (3.0 * lf.volume_nm3) * BAR_PER_KJ_MOL_NM3
            A_lr, B_lr, C_lr = _mix_torch(torch, z[pt[:, 0]], z[pt[:, 1]], rule, REFERENCE)
            pressures.append(torch.sum(w * p_frames) + self._long_range_bar(torch, z, lf, edge, A_lr, B_lr, C_lr,
                                                                             rule, REFERENCE))
            ess.append(1.0 / torch.sum(w**2) / len(w))
        return torch.stack(pressures), torch.stack(ess)

    @staticmethod
    def _tail(torch, z, lf, rule, reference):
        s, t = np.triu_indices(len(lf.type_count))
        A, B, C = _mix_torch(torch, z[s], z[t], rule, reference)
        rc = lf.cutoff_nm
        integral = A * B * torch.exp(-rc / B) * (rc**2 + 2 * rc * B + 2 * B**2) - C / (3 * rc**3)
        return torch.sum(torch.tensor(tail_weights(lf.type_count)) * integral)

    def residuals(self, z_types, rule: str):
        """(model pressure − experimental pressure in bar, effective-sample fraction) per liquid."""
        p, ess = self.pressures(z_types, rule)
        return p - self.p_exp, ess


def _energy_and_derivative(torch, A, B, C, r):
    """Guarded exp-6 E(r) and dE/dr (kJ/mol, kJ/mol/nm) of pairs (rows: A, B, C) at distances r (columns)."""
    rr = r[None, :]
    s = torch.clamp(1.0 - rr / bk.SWITCH_NM, min=0.0)
    denom = rr**6 + bk.DAMPING_NM**6 * s**3
    A, B, C = A[:, None], B[:, None], C[:, None]
    energy = A * torch.exp(-rr / B) - C / denom
    dEdr = -(A / B) * torch.exp(-rr / B) + C * (6.0 * rr**5 - 3.0 * bk.DAMPING_NM**6 * s**2 / bk.SWITCH_NM) / denom**2
    return energy, dEdr


def _mix_torch(torch, z_i, z_j, rule, reference):
    """Mixed A, B, C of pairs from per-atom z rows (the rules of :func:`mlparams.forms.buckingham.mix`)."""
    A = reference["A"] * torch.exp(0.5 * (z_i[:, 0] + z_j[:, 0]))
    if rule == "geometric":
        B = reference["B"] * torch.exp(0.5 * (z_i[:, 1] + z_j[:, 1]))
    else:
        B = 0.5 * reference["B"] * (torch.exp(z_i[:, 1]) + torch.exp(z_j[:, 1]))
    C = reference["C"] * torch.exp(0.5 * (z_i[:, 2] + z_j[:, 2]))
    return A, B, C


# --- storage -------------------------------------------------------------------------------------------


def frames_path(folder, name: str) -> Path:
    """Where a liquid's frames live in a folder: ``<slug>.json.gz``."""
    from mlparams.validation.density import _slug

    return Path(folder) / f"{_slug(name)}.json.gz"


def save_frames(frames: LiquidFrames, folder: Path, per_frame: "PerFrame | None" = None) -> Path:
    """Gzipped JSON in ``folder`` (:func:`frames_path`) and, if given, the per-frame histograms beside it
    (``<slug>.per_frame.npz``), each through a temporary name; the JSON last, so it marks a finished liquid."""
    path = frames_path(folder, frames.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if per_frame is not None:
        npz = per_frame_path(path)
        with replacing(npz) as tmp:
            np.savez_compressed(tmp, **{k: v for k, v in asdict(per_frame).items() if v is not None})
    write_json(path, asdict(frames), indent=None)
    return path


def per_frame_path(frames_file: Path) -> Path:
    return Path(str(frames_file).removesuffix(".json.gz") + ".per_frame.npz")


def load_per_frame(folder, name: str) -> PerFrame:
    """The per-frame histograms of one liquid saved by :func:`save_frames`."""
    path = per_frame_path(frames_path(folder, name))
    if not path.is_file():
        raise MissingFileError(f"{path} does not exist: reweighting needs the per-frame histograms that "
                               f"'mlparams buckingham sample-liquids --out {folder}' writes")
    with np.load(path) as d:
        forms = [d[k] if k in d else None for k in ("coulomb_energy_form", "coulomb_pressure_form")]
        return PerFrame(d["pair_types"], d["counts"], d["virial"], d["p_rest_bar"], *forms)


def load_frames(folder, names=None) -> list[LiquidFrames]:
    """The liquids saved in ``folder`` (all, or those named, in that order)."""
    import gzip

    folder = Path(folder)
    if not folder.is_dir():
        raise MissingFileError(f"no liquid frames in {folder}; run 'mlparams buckingham sample-liquids --out {folder}'")
    found = {}
    for p in sorted(folder.glob("*.json.gz")):
        try:
            with gzip.open(p, "rt") as fh:
                d = json.loads(fh.read())
            found[d["name"]] = LiquidFrames(**d)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise DataFormatError(f"{p} is not a liquid-frames file ({exc}); delete it and sample again") from None
    if names is None:
        return list(found.values())
    missing = [n for n in names if n not in found]
    if missing:
        raise MlparamsError(f"{folder} lacks frames of {', '.join(missing)}; sample them with "
                            f"'mlparams buckingham sample-liquids --liquids \"{','.join(missing)}\" --out {folder}'")
    return [found[n] for n in names]


def frames_folders(folders, names) -> dict:
    """{liquid: the first of ``folders`` holding its frames}; raises naming the liquids none holds."""
    where = {}
    for name in names:
        where[name] = next((Path(f) for f in folders if frames_path(f, name).is_file()), None)
    missing = [n for n, f in where.items() if f is None]
    if missing:
        shown = " ".join(str(f) for f in folders)
        raise MlparamsError(f"no frames of {', '.join(missing)} in {shown}; sample them with "
                            f"'mlparams buckingham sample-liquids --liquids \"{','.join(missing)}\" --out FOLDER'")
    return where


def select_liquids(spec: str) -> list[str]:
    """Dev-liquid names from ``spec``: names separated by commas, where ``train`` stands for
    :data:`TRAINING_LIQUIDS` and ``dev`` for every dev liquid (e.g. ``train,nitromethane``); duplicates once."""
    from mlparams.validation.density import read_liquids, split_names

    known = [r["name"] for r in read_liquids("dev")]
    names = []
    for piece in split_names(spec, set(known) | {"train", "dev"}):
        names += list(TRAINING_LIQUIDS) if piece == "train" else known if piece == "dev" else [piece]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise MlparamsError(f"unknown liquid(s) {', '.join(unknown) or repr(spec)}; give names from the dev set "
                            "(mlparams/data/densities/liquid_densities_dev.csv), 'train' or 'dev', separated by commas")
    return list(dict.fromkeys(names))


def _sample_job(row: dict, model: str, profile: str, sample_ps: float, out: str,
                density_g_cm3: float | None = None) -> dict:
    """One liquid in a worker: sampled and saved, or the reason it failed (never raises)."""
    try:
        frames, per_frame = sample_liquid(row, model, profile, sample_ps=sample_ps, density_g_cm3=density_g_cm3)
        path = save_frames(frames, Path(out), per_frame)
        return {"name": row["name"], "status": "ok", "path": str(path)}
    except Exception as exc:  # one liquid's failure must not lose the others
        return {"name": row["name"], "status": f"failed: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}"}


def sample_liquids(liquids: str, model: str, out, profile: str = "screen", sample_ps: float = 40.0,
                   jobs: int | None = None, progress: bool = True, density_from=None) -> list[dict]:
    """Frames of several dev liquids (names separated by commas, ``train``, or ``dev``), in parallel.

    At the experimental density, or with ``density_from`` (a density driver's ``density_results.csv`` of the same
    model) at the density that run found (:func:`sampling_densities`). A liquid whose file is already in ``out``
    is skipped (a rerun resumes); failures are listed in ``out/`` :data:`FAILURES` and the others go on.
    """
    import os

    from mlparams.parallel import process_pool
    from mlparams.validation.density import read_liquids

    rows = {r["name"]: r for r in read_liquids("dev")}
    names = select_liquids(liquids)
    densities = sampling_densities(density_from, model, names) if density_from else {}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    todo = [n for n in names if not frames_path(out, n).is_file()]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    results = []
    if todo:
        from concurrent.futures import as_completed

        from tqdm import tqdm

        with process_pool(jobs) as pool:
            futures = [pool.submit(_sample_job, rows[n], model, profile, sample_ps, str(out), densities.get(n))
                       for n in todo]
            for fut in tqdm(as_completed(futures), total=len(futures), desc="liquid frames", disable=not progress):
                results.append(fut.result())
    failures = {r["name"]: r["status"] for r in results if r["status"] != "ok"}
    path = out / FAILURES
    old = json.loads(path.read_text()) if path.is_file() else {}
    old = {k: v for k, v in old.items() if not frames_path(out, k).is_file()}
    old.update(failures)
    write_json(path, old)
    return results


def _finished_density_rows(results_csv, model: str, names, option: str) -> dict:
    """{liquid: row} of a density driver's ``density_results.csv`` for every liquid of ``names``; raises
    (naming the command-line ``option``) unless each finished there with ``model``."""
    import csv

    path = Path(results_csv)
    if not path.is_file():
        raise MissingFileError(f"{option} {path} does not exist; give the density_results.csv a "
                               f"'mlparams validate density --model {model}' run wrote")
    with path.open() as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    out = {}
    for name in names:
        r = rows.get(name)
        if r is None or r.get("status") != "ok" or r.get("model") != model:
            raise MlparamsError(f"{option} {path} has no finished {model} density of {name}; run "
                                f"'mlparams validate density --model {model} --only \"{name}\"' first")
        out[name] = r
    return out


def sampling_densities(results_csv, model: str, names) -> dict:
    """{liquid: simulated density in g/cm³} from a density driver's ``density_results.csv`` run with ``model``;
    raises unless every liquid of ``names`` finished there with that model."""
    rows = _finished_density_rows(results_csv, model, names, "--density-from")
    return {name: float(r["rho_sim"]) for name, r in rows.items()}


def bulk_modulus_bar(densities_g_cm3, n_molecules: int, molar_mass_g_mol: float, T_K: float) -> float:
    """Isothermal bulk modulus (bar) from the volume fluctuations of an NPT run: K_T = k_B·T·⟨V⟩/⟨δV²⟩, with
    the box volume V = N·M/(ρ·N_A) of each sample of the density series."""
    rho = np.asarray(densities_g_cm3, dtype=float)
    volume_nm3 = n_molecules * molar_mass_g_mol / (rho * 6.02214076e23) * 1e21
    if volume_nm3.size < 10 or volume_nm3.var() == 0.0:
        raise MlparamsError(f"{volume_nm3.size} density samples do not give a volume fluctuation; run longer")
    return float(BOLTZMANN_KJ_PER_MOL_K * T_K * volume_nm3.mean() / volume_nm3.var() * BAR_PER_KJ_MOL_NM3)


def bulk_moduli(results_csv, model: str, names, option: str = "--density-loss") -> dict:
    """{liquid: K_T in bar} of ``model`` at its own NPT density, from the volume fluctuations
    (:func:`bulk_modulus_bar`) over the production part (the last ``production_ps``) of each liquid's density
    series, ``series/<liquid>.csv`` beside a density driver's ``density_results.csv``."""
    from mlparams.molecules import from_smiles, molar_mass
    from mlparams.validation.density import _slug

    path = Path(results_csv)
    out = {}
    for name, r in _finished_density_rows(path, model, names, option).items():
        series = path.parent / "series" / f"{_slug(name)}.csv"
        if not series.is_file():
            raise MissingFileError(f"{option} {path}: its density series {series} is missing; give the folder a "
                                   "density run wrote, with its series/")
        t, rho = np.loadtxt(series, delimiter=",", skiprows=1, ndmin=2).T[:2]
        production = rho[t > t[-1] - float(r["production_ps"])]
        out[name] = bulk_modulus_bar(production, int(r["n_molecules"]), molar_mass(from_smiles(r["smiles"])),
                                     float(r["T_K"]))
    return out


def enthalpies_of_vaporisation(results_csv, model: str, names, option: str = "--hvap-weight") -> dict:
    """{liquid: (ΔH_vap of ``model`` in kJ/mol, experimental ΔH_vap or None)} from a density driver's
    ``density_results.csv`` (its ``hvap_sim`` and ``hvap_exp`` columns, :mod:`mlparams.validation.hvap`)."""
    out = {}
    for name, r in _finished_density_rows(results_csv, model, names, option).items():
        if r.get("hvap_sim") in (None, ""):
            raise MlparamsError(f"{option}: {results_csv} has no enthalpy of vaporisation of {name} (written before "
                                "the density driver measured it); run that liquid's density again")
        out[name] = (float(r["hvap_sim"]), float(r["hvap_exp"]) if r.get("hvap_exp") not in (None, "") else None)
    return out
