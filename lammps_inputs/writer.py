"""LAMMPS data files and input decks (``units real``, ``atom_style full``) from a MolecularSystem.

Reads only the system's topology (GAFF2 bonded terms from the prmtop, through parmed) and its
:class:`~mlparams.parameters.NonbondedParameters`; it never imports the OpenMM exporter.

* Bonds ``harmonic`` and angles ``harmonic`` (K(r − r0)², K(θ − θ0)², Amber's convention); dihedrals
  ``fourier`` (Σ K[1 + cos(nφ − d)], every term of a GAFF2 torsion in one type); impropers ``cvff``
  (K[1 + d·cos(nφ)], d = +1 for phase 0°, −1 for 180°).
* Pair styles: for Buckingham boxes mlparams' own ``mlparams/buck/coul/long`` (:mod:`.plugin`, guard inline,
  loaded with ``plugin load``) when it is built (``pair_kernel="auto"``), else ``buck/coul/long`` (boxes) or
  ``buck/coul/cut`` (gas phase) overlaid with a short ``table`` that adds the guard's difference
  C/r⁶ − C/(r⁶ + d⁶·s(r)) inside r_s (pairs with C ≠ 0 only);
  ``lj/cut/coul/long`` for LJ; ``table`` (spline) overlaid with ``coul/long`` for tabulated forms (zero outside
  the grid, as OpenMM's Continuous1DFunction); ``lj/cut/coul/long`` overlaid with a ``table`` of the six
  Gaussians for LJ + Gaussians. Every ``pair_coeff i j`` is written from the parameter object's
  pair table: LAMMPS mixes nothing.
* ``special_bonds`` from the parameter object's 1-4 policy; ``kspace_style pppm``; ``pair_modify tail yes``
  for boxes (OpenMM's long-range correction).
* Uncharged systems (atomic fluids) get the plain pair style (``lj/cut``, ``table``) and no k-space solver.
* Charges are written with 10 decimals and renormalised per molecule so that each molecule carries exactly
  its formal charge.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlparams.atomic_files import replacing, write_text
from mlparams.errors import MlparamsError
from mlparams.forms import lj_gaussian

from . import units as U

TABLE_POINTS = 20000
PLUGIN_FILE = "mlparams_buck.so"  # the plugin's name beside the deck
TABLE_INNER_A = 0.5
GAS_PHASE_MARGIN_A = 10.0


@dataclass
class LammpsInput:
    """Text of the data file, of the force-field settings (included by every deck) and of the tables."""

    data: str
    styles: str
    settings: str
    tables: dict = field(default_factory=dict)
    shake_bond_types: list = field(default_factory=list)
    periodic: bool = True
    plugin: Path | None = None  # a compiled pair-style plugin the deck loads (copied beside it)


def _atomic_charges(msys) -> np.ndarray:
    """Per-atom charges rounded to 1e-10 e, each molecule renormalised to its integer charge."""
    q = np.round(np.asarray(msys.parameters.charges, dtype=float), 10)
    start = 0
    for sp, n in zip(msys.species, msys.counts):
        for _ in range(n):
            block = slice(start, start + sp.n_atoms)
            excess = round(float(q[block].sum()) - sp.net_charge, 10)
            if excess:
                k = start + int(np.argmax(np.abs(q[block])))
                q[k] = round(q[k] - excess, 10)
            start += sp.n_atoms
    return q


def _molecule_ids(msys) -> np.ndarray:
    ids = []
    mol = 0
    for sp, n in zip(msys.species, msys.counts):
        for _ in range(n):
            mol += 1
            ids += [mol] * sp.n_atoms
    return np.array(ids)


def _bonded_types(structure):
    bonds, angles, dihedrals, impropers = {}, {}, {}, {}
    bond_rows, angle_rows, dihedral_rows, improper_rows = [], [], [], []
    for b in structure.bonds:
        key = (round(b.type.k, 8), round(b.type.req, 8))
        bonds.setdefault(key, len(bonds) + 1)
        bond_rows.append((bonds[key], b.atom1.idx, b.atom2.idx, b.atom1.element == 1 or b.atom2.element == 1))
    for a in structure.angles:
        key = (round(a.type.k, 8), round(a.type.theteq, 8))
        angles.setdefault(key, len(angles) + 1)
        angle_rows.append((angles[key], a.atom1.idx, a.atom2.idx, a.atom3.idx))
    grouped: dict = {}
    for d in structure.dihedrals:
        quad = (d.atom1.idx, d.atom2.idx, d.atom3.idx, d.atom4.idx)
        term = (round(d.type.phi_k, 8), int(round(d.type.per)), round(d.type.phase, 8))
        if d.improper:
            # Amber stores 180° as 3.141594 rad; cvff takes d = ±1, which moves the phase by < 1e-4°.
            if min(abs(term[2]), abs(term[2] - 180.0)) > 1e-3:
                raise MlparamsError(f"improper with phase {term[2]} cannot be written as improper_style cvff")
            key = (term[0], 1 if abs(term[2]) < 1e-3 else -1, term[1])
            impropers.setdefault(key, len(impropers) + 1)
            improper_rows.append((impropers[key], *quad))
        else:
            grouped.setdefault(quad, []).append(term)
    for quad, terms in grouped.items():
        key = tuple(terms)
        dihedrals.setdefault(key, len(dihedrals) + 1)
        dihedral_rows.append((dihedrals[key], *quad))
    return (bonds, bond_rows), (angles, angle_rows), (dihedrals, dihedral_rows), (impropers, improper_rows)


PAIR_KERNELS = ("auto", "compiled", "portable")


def _use_plugin(p, periodic: bool, pair_kernel: str) -> Path | None:
    """The plugin library when this system's deck should use it, else None."""
    from . import plugin

    if pair_kernel not in PAIR_KERNELS:
        raise MlparamsError(f"unknown pair kernel {pair_kernel!r}; choose one of {', '.join(PAIR_KERNELS)}")
    charged = bool(np.any(np.asarray(p.charges) != 0.0))
    if pair_kernel == "portable" or p.form != "buckingham" or not (periodic and charged):
        return None
    if plugin.available():
        return plugin.build()
    if pair_kernel == "compiled":
        raise MlparamsError(f"the LAMMPS plugin is not available ({plugin.why_unavailable()}); "
                            "use pair_kernel='portable' or install g++")
    return None


def build_input(msys, cutoff_nm: float = 0.9, kspace_accuracy: float = 1e-5,
                long_range_correction: bool = True, pair_kernel: str = "auto") -> LammpsInput:
    """All LAMMPS text for a MolecularSystem (``long_range_correction``: ``pair_modify tail yes`` for boxes;
    ``pair_kernel``: "auto" uses the compiled Buckingham plugin for charged boxes when it is built, "compiled"
    insists on it, "portable" writes only LAMMPS's own styles)."""
    p = msys.parameters
    plugin_path = _use_plugin(p, msys.periodic, pair_kernel)
    st = msys.structure
    n_types = len(p.types)
    (bonds, bond_rows), (angles, angle_rows), (dihedrals, dihedral_rows), (impropers, improper_rows) = _bonded_types(st)
    x = U.length_to_real(np.asarray(msys.positions_nm, dtype=float))
    if msys.periodic:
        box = U.length_to_real(np.asarray(msys.box_nm, dtype=float))
        images = np.floor(x / box).astype(int)
        x = x - images * box
        lo, hi = np.zeros(3), box
    else:
        images = np.zeros_like(x, dtype=int)
        lo, hi = x.min(axis=0) - GAS_PHASE_MARGIN_A, x.max(axis=0) + GAS_PHASE_MARGIN_A
    q = _atomic_charges(msys)
    mol = _molecule_ids(msys)
    lines = [f"LAMMPS data file from mlparams: model {p.model}, form {p.form}, charges {p.charge_model}", ""]
    counts = [(len(x), "atoms"), (len(bond_rows), "bonds"), (len(angle_rows), "angles"),
              (len(dihedral_rows), "dihedrals"), (len(improper_rows), "impropers")]
    lines += [f"{n} {what}" for n, what in counts]
    lines += [f"{n_types} atom types", f"{len(bonds)} bond types", f"{len(angles)} angle types",
              f"{len(dihedrals)} dihedral types", f"{len(impropers)} improper types", ""]
    for k, axis in enumerate("xyz"):
        lines.append(f"{lo[k]:.10f} {hi[k]:.10f} {axis}lo {axis}hi")
    lines += ["", "Masses", ""]
    lines += [f"{t + 1} {ty.mass_da:.6f}  # {ty.name} {ty.element}" for t, ty in enumerate(p.types)]
    lines += ["", "Atoms  # full", ""]
    for i in range(len(x)):
        lines.append(f"{i + 1} {mol[i]} {p.atom_type_index[i] + 1} {q[i]:.10f} {x[i, 0]:.10f} {x[i, 1]:.10f} {x[i, 2]:.10f}"
                     f" {images[i, 0]} {images[i, 1]} {images[i, 2]}")
    if bond_rows:
        lines += ["", "Bond Coeffs  # harmonic", ""]
        lines += [f"{t} {k:.8f} {r0:.8f}" for (k, r0), t in bonds.items()]
        lines += ["", "Bonds", ""]
        lines += [f"{n + 1} {t} {i + 1} {j + 1}" for n, (t, i, j, _) in enumerate(bond_rows)]
    if angle_rows:
        lines += ["", "Angle Coeffs  # harmonic", ""]
        lines += [f"{t} {k:.8f} {th:.8f}" for (k, th), t in angles.items()]
        lines += ["", "Angles", ""]
        lines += [f"{n + 1} {t} {i + 1} {j + 1} {k + 1}" for n, (t, i, j, k) in enumerate(angle_rows)]
    if dihedral_rows:
        lines += ["", "Dihedral Coeffs  # fourier", ""]
        for terms, t in dihedrals.items():
            lines.append(f"{t} {len(terms)} " + " ".join(f"{k:.8f} {n} {d:.8f}" for k, n, d in terms))
        lines += ["", "Dihedrals", ""]
        lines += [f"{n + 1} {t} {a + 1} {b + 1} {c + 1} {d + 1}" for n, (t, a, b, c, d) in enumerate(dihedral_rows)]
    if improper_rows:
        lines += ["", "Improper Coeffs  # cvff", ""]
        lines += [f"{t} {k:.8f} {d} {n}" for (k, d, n), t in impropers.items()]
        lines += ["", "Impropers", ""]
        lines += [f"{n + 1} {t} {a + 1} {b + 1} {c + 1} {d + 1}" for n, (t, a, b, c, d) in enumerate(improper_rows)]
    data = "\n".join(lines) + "\n"

    cutoff_a = U.length_to_real(cutoff_nm)
    if not msys.periodic:
        extent = float(np.max(hi - lo))
        cutoff_a = extent * 2.0  # longer than any distance: the gas phase has no cutoff
    settings, tables = _pair_settings(p, msys.periodic, cutoff_a, kspace_accuracy, long_range_correction,
                                      plugin_path is not None)
    styles = [f"plugin load ./{PLUGIN_FILE}"] if plugin_path else []
    styles += [style for rows, style in ((bond_rows, "bond_style harmonic"), (angle_rows, "angle_style harmonic"),
                                         (dihedral_rows, "dihedral_style fourier"), (improper_rows, "improper_style cvff"))
              if rows]
    shake = sorted({t for t, _, _, has_h in bond_rows if has_h})
    styles.append(settings.pop(0))  # pair_style goes with the other styles, before read_data
    return LammpsInput(data, "\n".join(styles) + "\n", "\n".join(settings) + "\n", tables, shake, msys.periodic,
                       plugin_path)


def _pair_settings(p, periodic: bool, cutoff_a: float, kspace_accuracy: float, tail: bool = True,
                   plugin: bool = False):
    n = len(p.types)
    table = p.pair_table()
    coul = "coul/long" if periodic else "coul/cut"
    charged = bool(np.any(np.asarray(p.charges) != 0.0))
    lines, tables = [], {}
    s14v, s14c = p.scale14_vdw, p.scale14_coulomb
    if p.form == "buckingham" and plugin:
        from .plugin import STYLE

        A, rho, C = U.buckingham_to_real(table["A"], table["B"], table["C"])
        d_a, rs_a = U.length_to_real(p.damping_nm), U.length_to_real(p.guard_switch_nm)
        lines.append(f"pair_style {STYLE} {cutoff_a:.6f} {d_a:.10g} {rs_a:.10g}")
        for i in range(n):
            for j in range(i, n):
                lines.append(f"pair_coeff {i + 1} {j + 1} {A[i, j]:.10g} {rho[i, j]:.10g} {C[i, j]:.10g}")
    elif p.form == "buckingham":
        A, rho, C = U.buckingham_to_real(table["A"], table["B"], table["C"])
        guarded = [(i, j) for i in range(n) for j in range(i, n) if C[i, j] != 0.0]
        d_a = U.length_to_real(p.damping_nm)
        rs_a = U.length_to_real(p.guard_switch_nm)
        base = f"buck/{coul} {cutoff_a:.6f}"
        if guarded:
            lines.append(f"pair_style hybrid/overlay {base} table linear {TABLE_POINTS}")
        else:
            lines.append(f"pair_style {base}")
        prefix = f"buck/{coul} " if guarded else ""
        for i in range(n):
            for j in range(i, n):
                lines.append(f"pair_coeff {i + 1} {j + 1} {prefix}{A[i, j]:.10g} {rho[i, j]:.10g} {C[i, j]:.10g}")
        if guarded:
            text = []
            for i, j in guarded:
                key = f"GUARD_{i + 1}_{j + 1}"
                text.append(_guard_table(key, C[i, j], d_a, rs_a))
                lines.append(f"pair_coeff {i + 1} {j + 1} table guard.table {key} {rs_a:.6f}")
            tables["guard.table"] = ("# Buckingham guard: C/r^6 - C/(r^6 + d^6 s(r)), s = (1 - r/rs)^3 below rs "
                                     "(kcal/mol, Å), added to pair_style buck\n\n" + "\n".join(text))
    elif p.form == "lj":
        lines.append(f"pair_style lj/cut/{coul} {cutoff_a:.6f}" if charged else f"pair_style lj/cut {cutoff_a:.6f}")
        eps, sig = U.lj_to_real(table["sigma"], table["epsilon"])
        for i in range(n):
            for j in range(i, n):
                lines.append(f"pair_coeff {i + 1} {j + 1} {eps[i, j]:.10g} {sig[i, j]:.10g}")
    elif p.form == "lj-gaussian":
        # LJ part from C6, C12 (ε = C6²/4C12, σ = (C12/C6)^(1/6)) in lj/cut; the six Gaussians in a table.
        C6 = U.energy_length_power_to_real(table["C6"], 6)
        C12 = U.energy_length_power_to_real(table["C12"], 12)
        lines.append(f"pair_style hybrid/overlay lj/cut/{coul} {cutoff_a:.6f} table spline {TABLE_POINTS}")
        # The Gaussians stop at their reach, as in OpenMM (lj_gaussian.gaussian_reach_nm): a shorter table
        # keeps its grid fine and its sub-style's loop short.
        gauss_cut = min(cutoff_a, U.length_to_real(lj_gaussian.gaussian_reach_nm(table)))
        for i in range(n):
            for j in range(i, n):
                eps = C6[i, j] ** 2 / (4.0 * C12[i, j]) if C12[i, j] > 0 else 0.0
                sig = (C12[i, j] / C6[i, j]) ** (1.0 / 6.0) if C6[i, j] > 0 else 1.0
                lines.append(f"pair_coeff {i + 1} {j + 1} lj/cut/{coul} {eps:.12g} {sig:.12g}")
                lines.append(f"pair_coeff {i + 1} {j + 1} table gaussians.table GAUSS_{i + 1}_{j + 1} {gauss_cut:.6f}")
        tables["gaussians.table"] = gaussian_table_text(table, n, gauss_cut)
    elif p.form == "tabulated":
        from mlparams.forms import tabulated

        grid_a = U.length_to_real(np.asarray(p.table_r_nm, dtype=float))
        # Uncharged systems (atomic fluids) need neither the Coulomb sub-style nor a k-space solver.
        lines.append(f"pair_style hybrid/overlay table spline {TABLE_POINTS} {coul} {cutoff_a:.6f}" if charged
                     else f"pair_style table spline {TABLE_POINTS}")
        prefix = "table " if charged else ""
        text = []
        for i in range(n):
            for j in range(i, n):
                key = f"PAIR_{i + 1}_{j + 1}"
                e_nm = table["energy"][i, j]
                # Forces: the model's own (e.g. a network's derivative) when the table carries them, else the
                # derivative of the energy spline.
                f_nm = table["force"][i, j] if "force" in table else None

                def fn(r_a, e_nm=e_nm, f_nm=f_nm):
                    r_nm = U.length_from_real(r_a)
                    inside = (r_nm >= p.table_r_nm[0]) & (r_nm <= p.table_r_nm[-1])  # OpenMM: zero outside
                    e = np.where(inside, tabulated.energy(r_nm, p.table_r_nm, e_nm), 0.0)
                    f_in = (tabulated.force(r_nm, p.table_r_nm, e_nm) if f_nm is None
                            else tabulated.energy(r_nm, p.table_r_nm, f_nm))
                    f = np.where(inside, f_in, 0.0)
                    return U.energy_to_real(e), U.energy_to_real(f) / U.ANGSTROM_PER_NM

                rc = min(cutoff_a, float(grid_a[-1]))
                text.append(_function_table(key, fn, rc))
                lines.append(f"pair_coeff {i + 1} {j + 1} {prefix}pair.table {key} {rc:.6f}")
                if charged:
                    lines.append(f"pair_coeff {i + 1} {j + 1} {coul}")
        tables["pair.table"] = "# Tabulated pair potentials (kcal/mol, Å)\n\n" + "\n".join(text)
    else:
        raise MlparamsError(f"the LAMMPS writer does not handle form {p.form!r}; use buckingham, lj, lj-gaussian or tabulated")
    lines.append(f"special_bonds lj 0.0 0.0 {s14v!r} coul 0.0 0.0 {s14c!r}")
    if periodic:
        if charged:
            lines.append(f"kspace_style pppm {kspace_accuracy:g}")
        flag = "yes" if tail else "no"
        if p.form == "tabulated":
            pass  # a table has no tail, and OpenMM's Continuous1DFunction is zero beyond its grid
        elif "hybrid" not in lines[0]:
            lines.append(f"pair_modify tail {flag}")
        elif p.form in ("buckingham", "lj-gaussian"):  # the analytic sub-style carries the tail; tables have none
            lines.append(f"pair_modify pair {lines[0].split()[2]} tail {flag}")
    return lines, tables


def gaussian_table_text(table: dict, n: int, cutoff_a: float) -> str:
    """The ``gaussians.table`` file: one section GAUSS_i_j per type pair i ≤ j (1-based), out to cutoff_a (Å)."""
    text = []
    for i in range(n):
        for j in range(i, n):
            pair = {k: v[i, j] for k, v in table.items()}
            text.append(_function_table(f"GAUSS_{i + 1}_{j + 1}", lambda r, pair=pair: _gaussians_real(r, pair), cutoff_a))
    return "# Six Gaussians per type pair (kcal/mol, Å), added to lj/cut\n\n" + "\n".join(text)


def _gaussians_real(r_a, pair: dict):
    """Σ a_k exp(−(r − r_k)²/w_k²) and its force at r in Å, constants in OpenMM units → kcal/mol, kcal/mol/Å."""
    r_nm = U.length_from_real(r_a)
    gauss = {k: v for k, v in pair.items() if k not in ("C6", "C12")}
    gauss.update(C6=0.0, C12=0.0)
    e = lj_gaussian.energy(r_nm, gauss)
    f = lj_gaussian.force(r_nm, gauss)
    return U.energy_to_real(e), U.energy_to_real(f) / U.ANGSTROM_PER_NM


def _function_table(key: str, fn, cutoff: float) -> str:
    """Table section of a pair function fn(r Å) -> (E kcal/mol, F kcal/mol/Å), uniform in r² from 0.5 Å."""
    r = np.sqrt(np.linspace(TABLE_INNER_A**2, cutoff**2, TABLE_POINTS))
    e, f = fn(r)
    rows = [key, f"N {TABLE_POINTS} RSQ {TABLE_INNER_A} {cutoff:.6f}", ""]
    rows += [f"{k + 1} {r[k]:.12g} {e[k]:.15g} {f[k]:.15g}" for k in range(TABLE_POINTS)]
    return "\n".join(rows) + "\n"


def _guard_table(key: str, C: float, d: float, rs: float) -> str:
    """Table section of ΔE(r) = C/r⁶ − C/(r⁶ + d⁶·s(r)) and its force, in Å and kcal/mol, uniform in r²."""
    from mlparams.forms.buckingham import guard_switch

    r2 = np.linspace(TABLE_INNER_A**2, rs**2, TABLE_POINTS)
    r = np.sqrt(r2)
    s, ds = guard_switch(r, rs)
    r6, d6 = r**6, d**6
    e = C / r6 - C / (r6 + d6 * s)
    f = C * (6.0 / r**7 - (6.0 * r**5 + d6 * ds) / (r6 + d6 * s) ** 2)
    rows = [key, f"N {TABLE_POINTS} RSQ {TABLE_INNER_A} {rs:.6f}", ""]
    rows += [f"{k + 1} {r[k]:.12g} {e[k]:.15g} {f[k]:.15g}" for k in range(TABLE_POINTS)]
    return "\n".join(rows) + "\n"


THERMO = "thermo_style custom step time temp press density pe ebond eangle edihed eimp evdwl ecoul elong"


def deck(kind: str, temperature_k: float = 298.15, pressure_bar: float = 1.0, shake_types=(),
         nvt_ps: float = 10.0, npt_ps: float = 100.0, seed: int = 4928459, periodic: bool = True) -> str:
    """Input deck text: "single" (energies), "min", "nvt" or "npt" (the density run)."""
    head = ["# mlparams LAMMPS deck: " + kind, "units real", "atom_style full",
            "boundary p p p" if periodic else "boundary f f f",
            "include styles.lmp", "read_data data.lmp", "include settings.lmp",
            "neighbor 2.0 bin", "neigh_modify every 1 delay 0 check yes", THERMO, "thermo_modify norm no"]
    if kind == "single":
        return "\n".join(head + ["thermo 1", "run 0"]) + "\n"
    body = ["thermo 500", "minimize 1.0e-6 1.0e-8 1000 10000", "reset_timestep 0"]
    if kind == "min":
        return "\n".join(head + body + ["write_data minimised.lmp"]) + "\n"
    dt = 2.0 if shake_types else 1.0
    md = [f"timestep {dt}"]
    if shake_types:
        md.append("fix hbonds all shake 1.0e-6 200 0 b " + " ".join(str(t) for t in shake_types))
    md += [f"velocity all create {temperature_k} {seed} mom yes rot yes dist gaussian",
           f"fix nvt all nvt temp {temperature_k} {temperature_k} {100 * dt}",
           f"run {int(round(nvt_ps * 1000 / dt))}", "unfix nvt"]
    if kind == "nvt":
        return "\n".join(head + body + md) + "\n"
    md += [f"fix npt all npt temp {temperature_k} {temperature_k} {100 * dt} iso {pressure_bar} {pressure_bar} {1000 * dt}",
           "thermo 500", f"run {int(round(npt_ps * 1000 / dt))}", "write_data final.lmp"]
    return "\n".join(head + body + md) + "\n"


def write_inputs(msys, out_dir, cutoff_nm: float = 0.9, kspace_accuracy: float = 1e-5,
                 long_range_correction: bool = True, pair_kernel: str = "auto", **deck_options) -> list[Path]:
    """Write data.lmp, styles.lmp, settings.lmp, tables and the decks in.lmp (NPT), in.single, in.min, in.nvt;
    and the plugin library when the deck loads one."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inp = build_input(msys, cutoff_nm, kspace_accuracy, long_range_correction, pair_kernel)
    files = {"data.lmp": inp.data, "styles.lmp": inp.styles, "settings.lmp": inp.settings, **inp.tables}
    for kind, name in (("single", "in.single"), ("min", "in.min"), ("nvt", "in.nvt"), ("npt", "in.lmp")):
        if kind != "single" and not inp.periodic:
            continue
        files[name] = deck(kind, shake_types=inp.shake_bond_types, periodic=inp.periodic, **deck_options)
    written = []
    for name, text in files.items():
        path = out / name
        write_text(path, text)
        written.append(path)
    if inp.plugin is not None:
        path = out / PLUGIN_FILE
        with replacing(path) as tmp:
            shutil.copyfile(inp.plugin, tmp)
        written.append(path)
    return written
