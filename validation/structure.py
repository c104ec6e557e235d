"""Liquid structure from the density driver's production trajectories, read with MDAnalysis.

Every density run keeps, in its work folder, the NPT production trajectory (``production.dcd``, one frame per density
sample), the engine's own topology (OpenMM: ``topology.pdb``; LAMMPS: ``data.lmp``) and ``atoms.json`` (each atom's
element and molecule). From them:

- the density of each frame, total mass / box volume (g/cm³), an independent check of the engine's own series;
- intermolecular radial distribution functions g(r) of every element pair (atoms of one molecule never counted), over
  the equilibrated frames, in nm; and the first shell of each pair: the peak, the first minimum after it and the
  coordination number n(r_min) = 4π ρ'_AB ∫₀^r_min g(r) r² dr (ρ'_AB: atoms B of other molecules per nm³ around
  an atom A, :func:`rdfs`).

``mlparams validate compare-rdf LABEL=FOLDER ... --liquid NAME`` puts several runs' g(r) of one liquid side by side.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json, write_text
from mlparams.errors import MlparamsError

TRAJECTORY = "production.dcd"
TOPOLOGY = {"openmm": "topology.pdb", "lammps": "data.lmp"}
ATOMS = "atoms.json"
RDF_BIN_NM = 0.005
RDF_MAX_NM = 1.0
SHELL_SMOOTHING_BINS = 5
FIRST_PEAK_ONSET = 0.5
AMU_PER_A3_IN_G_PER_CM3 = 1.66053906660  # 1 Da / Å³ in g/cm³


def liquid_slug(name: str) -> str:
    """A liquid's name as a file stem: "ethylene carbonate" -> "ethylene_carbonate"."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


def write_atoms(msys, workdir) -> Path:
    """``atoms.json``: element symbol, mass (Da) and molecule index of each atom, in the engines' atom order."""
    st = msys.structure
    return write_json(Path(workdir) / ATOMS, {"elements": [a.element_name for a in st.atoms],
                                              "masses_da": [float(a.mass) for a in st.atoms],
                                              "molecule": [a.residue.idx for a in st.atoms]})


def universe(workdir, engine: str):
    """The MDAnalysis Universe of a density run's work folder (the engine's topology + ``production.dcd``), with
    ``elements`` and ``masses`` from ``atoms.json`` (a PDB's masses would be guessed from atom names)."""
    import MDAnalysis as mda

    workdir = Path(workdir)
    if engine not in TOPOLOGY:
        raise MlparamsError(f"unknown engine {engine!r}; choose openmm or lammps")
    files = [workdir / TOPOLOGY[engine], workdir / TRAJECTORY, workdir / ATOMS]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise MlparamsError(f"{workdir} lacks {', '.join(missing)}; rerun the liquid with mlparams validate density")
    with warnings.catch_warnings():  # MDAnalysis' DCD reader announces a change due in 3.0 on every open
        warnings.simplefilter("ignore", DeprecationWarning)
        if engine == "openmm":
            u = mda.Universe(str(files[0]), str(files[1]))
        else:
            u = mda.Universe(str(files[0]), str(files[1]), topology_format="DATA", format="DCD",
                             atom_style="id resid type charge x y z")
    atoms = json.loads(files[2].read_text())
    if len(atoms["elements"]) != len(u.atoms):
        raise MlparamsError(f"{files[2]} has {len(atoms['elements'])} atoms, the trajectory {len(u.atoms)}; "
                            f"rerun the liquid")
    u.add_TopologyAttr("elements", atoms["elements"])
    if "masses_da" in atoms:  # written since the first runs of this module
        u.add_TopologyAttr("masses", atoms["masses_da"])
    return u


def density_series(u) -> np.ndarray:
    """Density (g/cm³) of each frame: total mass / box volume (MDAnalysis works in Å)."""
    from MDAnalysis.lib.mdamath import box_volume

    mass = float(np.sum(u.atoms.masses))
    return np.array([mass / box_volume(ts.dimensions) * AMU_PER_A3_IN_G_PER_CM3 for ts in u.trajectory])


def element_pairs(elements) -> list[tuple[str, str]]:
    """Each unordered element pair once, heavy elements alphabetically, then H: water gives O-O, O-H, H-H."""
    order = sorted(set(elements), key=lambda e: (e == "H", e))
    return [(a, b) for i, a in enumerate(order) for b in order[i:]]


def rdfs(u, n_frames: int, start: int = 0, r_max_nm: float = RDF_MAX_NM, bin_nm: float = RDF_BIN_NM):
    """(r in nm, {"A-B": intermolecular g(r)}, {"A-B": partner density in nm⁻³}) over frames ``start`` … of the last
    ``n_frames`` (a LAMMPS dump also holds the step-0 frame, which the density series leaves out). r stops at
    ``r_max_nm`` or half the smallest box edge, whichever is shorter.

    g_AB(r) = ⟨count of A–B pairs of different molecules in the shell⟩ / (ρ'_AB N_A 4πr²dr), with the partner
    density ρ'_AB = (N_A N_B − Σ_molecules n_A n_B) / (N_A ⟨V⟩): the pairs inside one molecule are neither counted
    nor expected, so g → 1 at long range however many atoms of an element a molecule holds. (MDAnalysis' InterRDF
    counts the pairs; its ``exclude_same`` leaves N_A N_B in the normalisation, which for n-octane's H–H in a small
    box would put the tail near 0.9: the normalisation is corrected here.)"""
    from MDAnalysis.analysis.rdf import InterRDF
    from MDAnalysis.lib.mdamath import box_volume

    first = len(u.trajectory) - n_frames + start
    if n_frames <= 0 or not 0 <= first < len(u.trajectory):
        raise MlparamsError(f"the trajectory has {len(u.trajectory)} frames, not the {n_frames} the density series "
                            f"holds; rerun the liquid")
    edges = [float(np.min(ts.dimensions[:3])) for ts in u.trajectory[first:]]
    volume_nm3 = 1e-3 * float(np.mean([box_volume(ts.dimensions) for ts in u.trajectory[first:]]))
    nbins = max(1, int(min(r_max_nm, 0.05 * min(edges)) / bin_nm))
    elements = np.asarray(u.atoms.elements)
    molecule = np.asarray(u.atoms.resindices)
    out, partners, r = {}, {}, None
    for a, b in element_pairs(elements):
        is_a, is_b = elements == a, elements == b
        n_a, n_b = int(is_a.sum()), int(is_b.sum())
        same = float(np.sum(np.bincount(molecule[is_a], minlength=molecule.max() + 1)
                            * np.bincount(molecule[is_b], minlength=molecule.max() + 1)))
        calc = InterRDF(u.atoms[is_a], u.atoms[is_b], nbins=nbins, range=(0.0, 10.0 * nbins * bin_nm),
                        exclude_same="residue")
        calc.run(start=first)
        r = calc.results.bins / 10.0
        out[f"{a}-{b}"] = calc.results.rdf * (n_a * n_b) / (n_a * n_b - same)
        partners[f"{a}-{b}"] = (n_a * n_b - same) / (n_a * volume_nm3)
    return r, out, partners


def first_shell(r_nm, g, partner_density_per_nm3: float) -> dict:
    """The first peak of g(r), the first minimum after it (nm) and the coordination number up to that minimum.
    On g smoothed over :data:`SHELL_SMOOTHING_BINS` bins: the peak is where g, having risen above
    :data:`FIRST_PEAK_ONSET`, first stops rising (water's O-H: the hydrogen bond at 0.18 nm, not the higher second
    peak, even where the hydrogen bond's peak stays below 1); the minimum where it then first stops falling. Heights
    are of the smoothed curve; n integrates the unsmoothed g."""
    r_nm, g = np.asarray(r_nm, float), np.asarray(g, float)
    half = SHELL_SMOOTHING_BINS // 2
    smooth = np.convolve(np.pad(g, half, mode="edge"), np.ones(2 * half + 1) / (2 * half + 1), mode="valid")
    above = np.nonzero(smooth > FIRST_PEAK_ONSET)[0]
    k = int(above[0]) if len(above) else int(np.argmax(smooth))
    while k + 1 < len(g) and smooth[k + 1] >= smooth[k]:
        k += 1
    m = k
    while m + 1 < len(g) and smooth[m + 1] <= smooth[m]:
        m += 1
    n = 4.0 * np.pi * partner_density_per_nm3 * float(np.sum((g * r_nm**2 * np.gradient(r_nm))[: m + 1]))
    return {"peak_nm": float(r_nm[k]), "peak_g": float(smooth[k]), "min_nm": float(r_nm[m]),
            "min_g": float(smooth[m]), "coordination": float(n)}


def write_rdf(path, r_nm, g: dict, partners: dict) -> Path:
    """CSV: r_nm then one column per pair; a comment line first holds each pair's partner density (nm⁻³)."""
    buf = io.StringIO()
    buf.write("# partner density per nm3: " + ", ".join(f"{p}={v:.6g}" for p, v in partners.items()) + "\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["r_nm", *g])
    for k, x in enumerate(r_nm):
        w.writerow([f"{x:.4f}", *(f"{v[k]:.5f}" for v in g.values())])
    return write_text(path, buf.getvalue())


def read_rdf(path):
    """(r in nm, {pair: g}, {pair: partner density in nm⁻³}) from :func:`write_rdf`'s CSV."""
    lines = Path(path).read_text().splitlines()
    partners = {k: float(v) for k, v in re.findall(r"([A-Za-z]+-[A-Za-z]+)=([0-9.eE+-]+)", lines[0])}
    rows = list(csv.reader(lines[1:]))
    data = np.array(rows[1:], dtype=float)
    return data[:, 0], {p: data[:, j + 1] for j, p in enumerate(rows[0][1:])}, partners


def liquid_rdfs(workdir, engine: str, n_frames: int, start: int, out_csv) -> Path:
    """g(r) of one finished density run (``n_frames`` density samples, equilibrated from ``start``) into
    ``out_csv``, which is returned."""
    return write_rdf(out_csv, *rdfs(universe(workdir, engine), n_frames, start))


def plot_rdfs(folder, done: dict, title: str) -> Path | None:
    """``rdf.png`` beside a density run: per liquid, the intermolecular g(r) of its heavy-atom pairs (and of pairs with
    H where the molecule has one heavy element)."""
    from mlparams.plotting import plt, save_figure

    folder = Path(folder)
    files = sorted((folder / "rdf").glob("*.csv"))
    if not files:
        return None
    cols = min(4, len(files))
    rows_ = -(-len(files) // cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(3.2 * cols, 2.5 * rows_), squeeze=False)
    names = {liquid_slug(n): n for n in done}
    for ax, path in zip(axes.ravel(), files):
        r, g, _ = read_rdf(path)
        for pair in shown_pairs(g):
            ax.plot(r, g[pair], lw=0.9, label=pair)
        ax.axhline(1.0, color="k", lw=0.5)
        ax.set_title(names.get(path.stem, path.stem), fontsize=8)
        ax.set_xlabel("r / nm", fontsize=7)
        ax.set_ylabel("g(r)", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.legend(fontsize=6)
    for ax in axes.ravel()[len(files):]:
        ax.axis("off")
    fig.suptitle(f"intermolecular g(r): {title}")
    fig.tight_layout()
    return save_figure(fig, folder / "rdf.png")


def shown_pairs(g: dict) -> list[str]:
    """Heavy-atom pairs; all pairs when fewer than two heavy-atom pairs exist (water: O-O, O-H, H-H)."""
    heavy = [p for p in g if "H" not in p.split("-")]
    return heavy if len(heavy) >= 2 else list(g)


def coordination_within(r_nm, g, partner_density_per_nm3: float, radius_nm: float) -> float:
    """Atoms B of other molecules within ``radius_nm`` of an atom A: 4πρ' Σ g r² Δr over the bins up to it."""
    r_nm, g = np.asarray(r_nm, float), np.asarray(g, float)
    inside = r_nm <= radius_nm
    return float(4.0 * np.pi * partner_density_per_nm3 * np.sum((g * r_nm**2 * np.gradient(r_nm))[inside]))


def compare(folders: dict, liquid: str, out, within_nm: float | None = None) -> str:
    """Markdown table of first shells and ``rdf_<liquid>.png``: one liquid's g(r) from several density runs
    ({label: folder}), every pair of :func:`shown_pairs`; ``within_nm`` adds the coordination number at that fixed
    radius (the first minimum moves between models; a fixed radius compares like with like)."""
    from mlparams.plotting import plt, save_figure

    slug = liquid_slug(liquid)
    data = {}
    for label, folder in folders.items():
        path = Path(folder) / "rdf" / f"{slug}.csv"
        if not path.is_file():
            raise MlparamsError(f"{path} is missing; run mlparams validate density on {liquid} into {folder} first")
        data[label] = read_rdf(path)
    pairs = shown_pairs(next(iter(data.values()))[1])
    lines = [f"# Intermolecular g(r) of {liquid}", "",
             "First shell of each pair: peak position and height, first minimum, coordination number to it.", "",
             "| run | pair | peak / nm | g(peak) | minimum / nm | n(minimum) |" + (f" n(≤ {within_nm} nm) |" if within_nm else ""),
             "|---|---|---|---|---|---|" + ("---|" if within_nm else "")]
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.2 * len(pairs), 3.4), squeeze=False)
    for label, (r, g, partners) in data.items():
        for ax, pair in zip(axes[0], pairs):
            if pair not in g:
                raise MlparamsError(f"{label} has no {pair} pair for {liquid}; compare runs of the same liquid")
            s = first_shell(r, g[pair], partners[pair])
            lines.append(f"| {label} | {pair} | {s['peak_nm']:.3f} | {s['peak_g']:.2f} | {s['min_nm']:.3f} | "
                         f"{s['coordination']:.2f} |" + (f" {coordination_within(r, g[pair], partners[pair], within_nm):.2f} |"
                                                          if within_nm else ""))
            ax.plot(r, g[pair], lw=1.0, label=label)
            ax.set_title(f"{liquid}: {pair}", fontsize=9)
            ax.set_xlabel("r / nm")
            ax.set_ylabel("g(r)")
    for ax in axes[0]:
        ax.axhline(1.0, color="k", lw=0.5)
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(out)
    save_figure(fig, out / f"rdf_{slug}.png")
    text = "\n".join(lines) + "\n"
    write_text(out / f"rdf_{slug}.md", text)
    return text
