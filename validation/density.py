"""Density validation: NPT liquid densities against experiment, in OpenMM or LAMMPS.

For each liquid of a CSV (columns name, smiles, T_K, P_kPa, density_g_cm3; ``dev`` is the built-in set of 41
liquids), one job packs a cubic box, minimises, runs NVT then NPT, detects where equilibrium starts, and
reports the mean density of the rest with a statistical error from its autocorrelation time.

Protocol (the same in both engines; :data:`PROFILES`):

* box: enough molecules for ``target_atoms`` atoms and an edge above 2 × cutoff + 0.4 nm, packed by packmol at
  ``packing_fraction`` × the experimental density;
* GAFF2 bonded terms, the model's charges and van der Waals form; bonds to hydrogen constrained (SHAKE in
  LAMMPS), 2 fs; cutoff 0.9 nm; PME (OpenMM, tolerance 5e-4) / PPPM (LAMMPS, 1e-5); long-range van der Waals
  correction on;
* minimisation; NVT (``nvt_ps``); NPT (``npt_ps``) at T_K and P_kPa. OpenMM: Langevin (1/ps) and Monte Carlo
  barostat (every 25 steps). LAMMPS: Nosé–Hoover thermostat and barostat (``fix npt``, damping 100 and
  1000 fs): the thermostat and barostat differ, the ensemble is the same;
* density sampled every ``sample_ps``; equilibration detected as the start that maximises the number of
  uncorrelated samples (Chodera, JCTC 12, 1799 (2016)); error = standard deviation / √(effective samples);
  drift = the least-squares line's change across that window over its mean: a run whose drift exceeds
  :data:`DRIFT_LIMIT` and three standard errors of the line's slope has not reached equilibrium, and its density is
  a bound, not a value (flagged in summary.md and summary.json);
* the box's potential energy is recorded with each density sample (series/<liquid>.csv), and ΔH_vap = ⟨U_gas⟩ −
  ⟨U_liq⟩/N + RT over the equilibrated window, with one molecule run in vacuum (:mod:`mlparams.validation.hvap`);
* the NPT trajectory (one frame per density sample) stays in DIR/work/<liquid>/ with the engine's topology;
  MDAnalysis reads it for the intermolecular g(r) of every element pair over the equilibrated frames
  (DIR/rdf/<liquid>.csv, DIR/rdf.png; :mod:`mlparams.validation.structure`).

Each finished liquid is written to DIR/density_results.csv at once; a rerun skips the liquids already there; a
liquid that fails (packing, antechamber, NaN, a collapsed or exploded box) is recorded with its reason and the
others go on. Liquids run in parallel over the cores (``jobs``), each job with cores/jobs threads.
"""

from __future__ import annotations

import csv
import importlib.resources
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np

from mlparams.atomic_files import replacing, write_json, write_text
from mlparams.errors import DataFormatError, MissingFileError, MlparamsError
from mlparams.parallel import process_pool
from mlparams.validation import structure

REQUIRED = ("name", "smiles", "T_K", "P_kPa", "density_g_cm3")
COLUMNS = ("name", "smiles", "T_K", "rho_exp", "rho_sim", "rho_sim_err", "rel_err_pct", "n_molecules",
           "production_ps", "engine", "model", "status", "seconds", "drift_pct", "drift_sigma",
           "hvap_exp", "hvap_sim", "hvap_sim_err", "hvap_err")
#: Relative change across the equilibrated window (least-squares line) beyond which, if it is also beyond three
#: standard errors of the slope, a run is flagged as not equilibrated.
DRIFT_LIMIT = 0.01
ENGINES = ("openmm", "lammps")
#: Density outside [0.3, 2.5] × experiment means a box that fell apart or collapsed.
SANE_RATIO = (0.3, 2.5)


class SimulationFailed(MlparamsError):
    """A run that broke down, with the density samples it had taken until then."""

    def __init__(self, message: str, times=(), rhos=()):
        super().__init__(message)
        self.series = (list(times), list(rhos))


@dataclass(frozen=True)
class Protocol:
    target_atoms: int
    cutoff_nm: float
    nvt_ps: float
    npt_ps: float
    sample_ps: float
    packing_fraction: float = 0.85
    timestep_fs: float = 2.0


PROFILES = {
    "default": Protocol(target_atoms=2500, cutoff_nm=0.9, nvt_ps=10.0, npt_ps=250.0, sample_ps=0.5),
    "screen": Protocol(target_atoms=600, cutoff_nm=0.8, nvt_ps=5.0, npt_ps=50.0, sample_ps=0.25),
    # Sized from the screen and default runs' cost (validation/results/density/cost.md) to aim at the issue's
    # goal of one liquid in under 15 min with an error of at most 0.003 g/cm³.
    "medium": Protocol(target_atoms=1000, cutoff_nm=0.9, nvt_ps=10.0, npt_ps=100.0, sample_ps=0.5),
    "quick": Protocol(target_atoms=300, cutoff_nm=0.6, nvt_ps=1.0, npt_ps=5.0, sample_ps=0.1),
}


def read_liquids(spec: str) -> list[dict]:
    """Rows of a liquids CSV (a path, or ``dev`` for the vendored 41 liquids), checked for the needed columns."""
    path = Path(spec)
    if spec == "dev" and not path.is_file():
        path = Path(importlib.resources.files("mlparams") / "data" / "densities" / "liquid_densities_dev.csv")
    if not path.is_file():
        raise MissingFileError(f"liquids file {spec} does not exist; give a CSV with {', '.join(REQUIRED)} or 'dev'")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = [c for c in REQUIRED if rows and c not in rows[0]] if rows else list(REQUIRED)
    if missing:
        raise DataFormatError(f"{path} lacks the column(s) {', '.join(missing)}; a liquids CSV needs {', '.join(REQUIRED)}")
    for r in rows:
        for c in ("T_K", "P_kPa", "density_g_cm3"):
            try:
                float(r[c])
            except ValueError:
                raise DataFormatError(f"{path}: {r['name']}: {c} = {r[c]!r} is not a number") from None
    return rows


def statistical_inefficiency(x) -> float:
    """g = 1 + 2 Σ (1 − t/N) C(t), summed until the autocorrelation first drops below zero."""
    x = np.asarray(x, dtype=float)
    n = x.size
    dx = x - x.mean()
    var = float(dx @ dx) / n
    if n < 3 or var == 0.0:
        return 1.0
    g = 1.0
    for t in range(1, n - 1):
        c = float(dx[:-t] @ dx[t:]) / ((n - t) * var)
        if c <= 0.0:
            break
        g += 2.0 * c * (1.0 - t / n)
    return max(g, 1.0)


def equilibrated_mean(series) -> dict:
    """Start of equilibrium (index), mean, error and effective sample count of a time series."""
    x = np.asarray(series, dtype=float)
    best = (0, 1.0, 0.0)
    for t0 in range(0, max(1, x.size // 2), max(1, x.size // 40)):
        g = statistical_inefficiency(x[t0:])
        n_eff = (x.size - t0) / g
        if n_eff > best[2]:
            best = (t0, g, n_eff)
    t0, g, n_eff = best
    tail = x[t0:]
    err = float(tail.std(ddof=1) / math.sqrt(max(n_eff, 1.0))) if tail.size > 1 else float("nan")
    return {"t0_index": t0, "mean": float(tail.mean()), "error": err, "n_eff": float(n_eff), "g": float(g),
            **window_drift(tail)}


def window_drift(x) -> dict:
    """Drift of a window of a time series: ``drift`` the least-squares line's change from its first to its last
    sample over the window's mean, ``drift_sigma`` the slope over its standard error (the residuals' scatter, their
    samples counted as n/g with g the residuals' statistical inefficiency: a trend does not inflate its own error)."""
    x = np.asarray(x, dtype=float)
    if x.size < 4:
        return {"drift": 0.0, "drift_sigma": 0.0}
    t = np.arange(x.size, dtype=float) - (x.size - 1) / 2.0
    slope = float(t @ (x - x.mean()) / (t @ t))
    resid = x - x.mean() - slope * t
    g = statistical_inefficiency(resid)
    se = math.sqrt(float(resid @ resid) / (x.size - 2) * g / float(t @ t))
    return {"drift": slope * (x.size - 1) / float(x.mean()), "drift_sigma": abs(slope) / se if se > 0 else math.inf}


def drifting(row) -> bool:
    """Whether a results row's equilibrated window still drifts (rows written before the check have no drift)."""
    try:
        drift, sigma = abs(float(row.get("drift_pct"))) / 100.0, float(row.get("drift_sigma"))
    except (TypeError, ValueError):
        return False
    return drift > DRIFT_LIMIT and sigma > 3.0


def _box_size(species, protocol: Protocol, rho_exp: float) -> int:
    from mlparams.packing import box_length_nm

    n = max(1, math.ceil(protocol.target_atoms / species.n_atoms))
    while box_length_nm([species], [n], rho_exp) < 2 * protocol.cutoff_nm + 0.4:
        n += max(1, n // 10)
    return n


def _run_openmm(msys, protocol: Protocol, T: float, P_bar: float, threads: int, workdir: Path,
                long_range_correction: bool = True):
    import openmm
    from openmm import unit

    from mlparams.openmm_plugin.simulate import make_simulation
    from mlparams.openmm_plugin.system import to_openmm

    from mlparams.openmm_plugin import compiled

    # merge_direct_space: for Buckingham and LJ + Gaussian boxes the compiled force computes the whole direct
    # space (van der Waals, real-space Coulomb, excluded pairs) in one pair loop, 1.2-1.7x faster than keeping
    # the terms apart (mlparams benchmark openmm; merged into a CustomNonbondedForce it would be slower, hence
    # only with the compiled force).
    system, topology, pos = to_openmm(msys, cutoff_nm=protocol.cutoff_nm, constraints="HBonds",
                                      long_range_correction=long_range_correction,
                                      merge_direct_space=compiled.available())
    sim = make_simulation(system, topology, pos, temperature_k=T, pressure_bar=P_bar, threads=threads,
                          timestep_ps=protocol.timestep_fs / 1000.0)
    barostat = next(f for f in sim.system.getForces() if isinstance(f, openmm.MonteCarloBarostat))
    barostat.setFrequency(0)  # NVT first; a changed frequency takes effect on reinitialize
    sim.context.reinitialize(preserveState=True)
    sim.minimizeEnergy(maxIterations=1000)
    sim.context.setVelocitiesToTemperature(T * unit.kelvin, 1)
    steps_per_sample = max(1, int(round(protocol.sample_ps * 1000 / protocol.timestep_fs)))
    mass_g = sum(sim.system.getParticleMass(i).value_in_unit(unit.dalton) for i in range(sim.system.getNumParticles())) / 6.02214076e23
    sim.step(int(round(protocol.nvt_ps * 1000 / protocol.timestep_fs)))
    barostat.setFrequency(25)
    sim.context.reinitialize(preserveState=True)
    # The production trajectory, one frame per density sample, and its topology (validation/structure.py).
    from openmm.app import DCDReporter, PDBFile

    state = sim.context.getState(getPositions=True, enforcePeriodicBox=True)
    with open(workdir / structure.TOPOLOGY["openmm"], "w") as fh:
        PDBFile.writeFile(sim.topology, state.getPositions(), fh)
    sim.reporters.append(DCDReporter(str(workdir / structure.TRAJECTORY), steps_per_sample, enforcePeriodicBox=True))
    times, rhos, energies = [], [], []
    for _ in range(int(round(protocol.npt_ps / protocol.sample_ps))):
        try:
            sim.step(steps_per_sample)
        except openmm.OpenMMException as exc:
            raise SimulationFailed(f"OpenMM: {str(exc).split('.')[0]}", times, rhos) from None
        state = sim.context.getState(getEnergy=True)
        box = state.getPeriodicBoxVectors(asNumpy=True).value_in_unit(unit.nanometer)
        rho = mass_g / (float(np.linalg.det(box)) * 1e-21)
        energy = state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        if not np.isfinite(energy) or not np.isfinite(rho):
            raise SimulationFailed("NaN in the simulation", times, rhos)
        times.append(state.getTime().value_in_unit(unit.picosecond) - protocol.nvt_ps)
        rhos.append(rho)
        energies.append(energy)
    return np.array(times), np.array(rhos), np.array(energies)


def _run_lammps(msys, protocol: Protocol, T: float, P_bar: float, threads: int, workdir: Path,
                long_range_correction: bool = True):
    from mlparams.lammps_inputs.units import energy_from_real
    from mlparams.lammps_inputs.writer import THERMO, write_inputs

    write_inputs(msys, workdir, cutoff_nm=protocol.cutoff_nm, temperature_k=T, pressure_bar=P_bar,
                 long_range_correction=long_range_correction)
    shake = re.search(r"fix hbonds all shake (.*)", (workdir / "in.lmp").read_text())
    dt = protocol.timestep_fs
    every = max(1, int(round(protocol.sample_ps * 1000 / dt)))
    deck = [
        "units real", "atom_style full", "boundary p p p", "include styles.lmp", "read_data data.lmp",
        "include settings.lmp", "neighbor 2.0 bin", "neigh_modify every 1 delay 0 check yes",
        THERMO, "thermo_modify norm no", "minimize 1.0e-6 1.0e-8 1000 10000", "reset_timestep 0",
        f"timestep {dt}",
    ]
    if shake:
        deck.append("fix hbonds all shake " + shake.group(1))
    deck += [
        f"velocity all create {T} 4928459 mom yes rot yes dist gaussian",
        f"fix nvt all nvt temp {T} {T} {100 * dt}", f"run {int(round(protocol.nvt_ps * 1000 / dt))}", "unfix nvt",
        "reset_timestep 0", f"fix npt all npt temp {T} {T} {100 * dt} iso {P_bar} {P_bar} {1000 * dt}",
        "thermo_style custom step time density pe", f"thermo {every}", "thermo_modify norm no",
        f"dump production all dcd {every} {structure.TRAJECTORY}",
        f"run {int(round(protocol.npt_ps * 1000 / dt))}",
    ]
    (workdir / "in.density").write_text("\n".join(deck) + "\n")
    lmp = str(Path(sys.executable).parent / "lmp")
    cmd = [lmp, "-in", "in.density", "-log", "log.density", "-screen", "none"]
    if threads > 1:
        cmd += ["-sf", "omp", "-pk", "omp", str(threads)]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    log = (workdir / "log.density").read_text() if (workdir / "log.density").is_file() else ""
    if proc.returncode != 0:
        errors = [line for line in log.splitlines() + proc.stdout.splitlines() if line.startswith("ERROR")]
        raise MlparamsError(f"LAMMPS failed: {(errors or ['no error line'])[-1]}")
    lines = log.splitlines()
    header = max((k for k, line in enumerate(lines) if line.split()[:3] == ["Step", "Time", "Density"]), default=None)
    times, rhos, energies = [], [], []
    for line in lines[header + 1:] if header is not None else []:
        if line.startswith("Loop time"):
            break
        parts = line.split()
        if len(parts) == 4 and parts[0].isdigit():
            t_ps, rho, pe = float(parts[1]) / 1000.0, float(parts[2]), float(parts[3])
            if not (np.isfinite(rho) and np.isfinite(pe)):
                raise MlparamsError("NaN in the simulation")
            times.append(t_ps)
            rhos.append(rho)
            energies.append(energy_from_real(pe))
    if not rhos:
        raise MlparamsError("LAMMPS printed no density")
    return np.array(times[1:]), np.array(rhos[1:]), np.array(energies[1:])  # drop the step-0 line


def system_density(msys, engine: str, protocol: Protocol, T: float, P_bar: float, threads: int, workdir,
                   long_range_correction: bool = True) -> dict:
    """NPT density of an already built system (e.g. an atomic fluid): status, time series and the equilibrated
    mean with its error. A run that breaks down becomes a "failed: ..." status; it never raises."""
    runner = _run_openmm if engine == "openmm" else _run_lammps
    try:
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        times, rhos, _ = runner(msys, protocol, T, P_bar, threads, workdir, long_range_correction=long_range_correction)
        return {"status": "ok", "times": times.tolist(), "rhos": rhos.tolist(), **equilibrated_mean(rhos)}
    except (SimulationFailed, MlparamsError) as exc:
        return {"status": f"failed: {exc}"}


def run_liquid(row: dict, model: str, engine: str, protocol: Protocol, threads: int, workdir: str) -> dict:
    """One liquid from packing to analysed density; never raises (failures become a status)."""
    t0 = time.perf_counter()
    out = {"name": row["name"], "smiles": row["smiles"], "T_K": float(row["T_K"]), "rho_exp": float(row["density_g_cm3"]),
           "rho_sim": None, "rho_sim_err": None, "rel_err_pct": None, "n_molecules": None,
           "production_ps": None, "engine": engine, "model": model, "status": "", "seconds": None}
    series = None
    try:
        from mlparams.molecules import from_smiles
        from mlparams.systems import build_system

        work = Path(workdir)
        work.mkdir(parents=True, exist_ok=True)
        species = from_smiles(row["smiles"])
        n = _box_size(species, protocol, out["rho_exp"])
        out["n_molecules"] = n
        msys = build_system([species], [n], model, density_g_cm3=protocol.packing_fraction * out["rho_exp"], seed=7)
        structure.write_atoms(msys, work)
        T, P_bar = float(row["T_K"]), float(row["P_kPa"]) / 100.0
        runner = _run_openmm if engine == "openmm" else _run_lammps
        times, rhos, energies = runner(msys, protocol, T, P_bar, threads, work)
        series = (times.tolist(), rhos.tolist(), energies.tolist())
        lo, hi = SANE_RATIO
        if not (lo * out["rho_exp"] < rhos[-1] < hi * out["rho_exp"]):
            raise MlparamsError(f"the box {'exploded' if rhos[-1] < out['rho_exp'] else 'collapsed'}: final density "
                                f"{rhos[-1]:.3f} g/cm3")
        stats = equilibrated_mean(rhos)
        out.update(rho_sim=stats["mean"], rho_sim_err=stats["error"],
                   rel_err_pct=100.0 * (stats["mean"] - out["rho_exp"]) / out["rho_exp"],
                   production_ps=float(times[-1] - times[stats["t0_index"]]), status="ok",
                   drift_pct=100.0 * stats["drift"], drift_sigma=stats["drift_sigma"])
        try:  # the cohesion over the same window; a failure here keeps the density
            out.update(_hvap(row, species, model, n, energies[stats["t0_index"]:]))
        except Exception as exc:  # the gas-phase run's engine errors too: the density stays
            out["hvap_error"] = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        try:  # the structure of the equilibrated frames; a failure here keeps the density
            out["rdf"] = str(structure.liquid_rdfs(work, engine, len(rhos), stats["t0_index"], work / "rdf.csv"))
        except Exception as exc:
            out["rdf_error"] = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    except SimulationFailed as exc:
        out["status"] = f"failed: {exc}"
        series = exc.series if exc.series[0] else None
    except MlparamsError as exc:
        out["status"] = f"failed: {exc}"
    except Exception as exc:  # an engine's own exception: keep the reason, keep going
        out["status"] = f"failed: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        out["traceback"] = traceback.format_exc(limit=3)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    out["series"] = series
    return out


def _hvap(row: dict, species, model: str, n_molecules: int, liquid_energies_kj) -> dict:
    """The hvap_* columns of a finished liquid (:mod:`mlparams.validation.hvap`)."""
    from mlparams.validation import hvap

    T = float(row["T_K"])
    value = hvap.enthalpy_of_vaporisation(liquid_energies_kj, n_molecules, hvap.gas_phase_energy(species, model, T), T)
    exp = hvap.experimental_hvap(row)
    return {"hvap_exp": exp, "hvap_sim": value["hvap"], "hvap_sim_err": value["hvap_err"],
            "hvap_err": None if exp is None else value["hvap"] - exp}


_slug = structure.liquid_slug


def split_names(spec: str, known) -> list[str]:
    """Comma-separated liquid names, where a name may itself hold commas ("N,N-dimethylacetamide"): the longest
    run of comma-joined pieces that is a known name wins; anything else stays a single (unknown) piece."""
    pieces = spec.split(",")
    known = set(known)
    names, i = [], 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            candidate = ",".join(pieces[i:j]).strip()
            if candidate in known:
                break
        else:
            j, candidate = i + 1, pieces[i].strip()
        if candidate:
            names.append(candidate)
        i = j
    return names


def run(liquids: str, model: str, engine: str, out, profile: str = "default", jobs: int | None = None,
        names: list[str] | str | None = None, progress: bool = True) -> dict:
    """Run every liquid not yet in DIR/density_results.csv; write results, plots and summary."""
    if engine not in ENGINES:
        raise MlparamsError(f"unknown engine {engine!r}; choose openmm or lammps")
    if profile not in PROFILES:
        raise MlparamsError(f"unknown profile {profile!r}; choose {', '.join(PROFILES)}")
    protocol = PROFILES[profile]
    rows = read_liquids(liquids)
    if isinstance(names, str):
        names = split_names(names, [r["name"] for r in rows])
    if names:
        unknown = sorted(set(names) - {r["name"] for r in rows})
        if unknown:
            raise MlparamsError(f"liquid(s) {', '.join(unknown)} not in {liquids}; check --only")
        rows = [r for r in rows if r["name"] in names]
    out = Path(out)
    (out / "series").mkdir(parents=True, exist_ok=True)
    results_path = out / "density_results.csv"
    done = _read_results(results_path)
    todo = [r for r in rows if r["name"] not in done]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = max(1, min(jobs or cores, len(todo) or 1))
    threads = max(1, cores // jobs)
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"{engine}/{model} ({profile})", unit="liquid")
    with process_pool(jobs) as pool:
        futures = [pool.submit(run_liquid, r, model, engine, protocol, threads, str(out / "work" / _slug(r["name"])))
                   for r in todo]
        for fut in as_completed(futures):
            res = fut.result()
            series = res.pop("series", None)
            res.pop("traceback", None)
            if series:
                _write_series(out / "series" / f"{_slug(res['name'])}.csv", *series)
            if res.get("rdf"):
                write_text(out / "rdf" / f"{_slug(res['name'])}.csv", Path(res["rdf"]).read_text())
            if res.get("rdf_error"):
                print(f"{res['name']}: no g(r) ({res['rdf_error']})", file=sys.stderr)
            if res.get("hvap_error"):
                print(f"{res['name']}: no enthalpy of vaporisation ({res['hvap_error']})", file=sys.stderr)
            done[res["name"]] = {k: res.get(k) for k in COLUMNS}
            _write_results(results_path, done, [r["name"] for r in read_liquids(liquids)])
            if bar:
                bar.update(1)
                bar.set_postfix_str(f"{res['name']}: {res['status'][:40]}")
    if bar:
        bar.close()
    if _drift_from_series(done, out):
        _write_results(results_path, done, [r["name"] for r in read_liquids(liquids)])
    summary = summarise(done, model, engine, profile, protocol)
    write_json(out / "summary.json", summary)
    write_text(out / "summary.md", summary_markdown(summary, done))
    plots(done, out, f"{engine} / {model} ({profile})")
    return summary


def _read_merged(folders) -> dict:
    """Results of one or more result folders ("DIR" or "DIR1+DIR2"), the first folder winning a repeated liquid."""
    merged = {}
    for folder in str(folders).split("+"):
        for name, row in _read_results(Path(folder) / "density_results.csv").items():
            merged.setdefault(name, row)
    return merged


def _read_results(path: Path) -> dict:
    if not path.is_file():
        return {}
    with open(path, newline="") as fh:
        return {r["name"]: r for r in csv.DictReader(fh)}


def _write_results(path: Path, done: dict, order: list[str]) -> None:
    with replacing(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for name in sorted(done, key=lambda n: order.index(n) if n in order else len(order)):
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in done[name].items()})


def _drift_from_series(done: dict, out: Path) -> bool:
    """Fill the drift of finished rows written before the drift check from their series/ files; True if any."""
    filled = False
    for r in _ok(done):
        path = out / "series" / f"{_slug(r['name'])}.csv"
        if r.get("drift_pct") in (None, "") and path.is_file():
            stats = equilibrated_mean(np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)[:, 1])
            r.update(drift_pct=100.0 * stats["drift"], drift_sigma=stats["drift_sigma"])
            filled = True
    return filled


def drift_report(roots, out) -> dict:
    """The drift check over every density run folder (one with series/*.csv and summary.json) under ``roots``:
    writes OUT.md, a table of the runs flagged not equilibrated with their profile, and OUT.json; returns the
    counts by profile and the flagged rows."""
    folders = sorted({p.parent.parent for root in roots for p in Path(root).rglob("series/*.csv")
                      if (p.parent.parent / "summary.json").is_file()})
    if not folders:
        raise MissingFileError(f"no density run folders (series/ beside summary.json) under {', '.join(map(str, roots))}"
                               "; give folders that 'mlparams validate density' wrote")
    counts, flagged = {}, []
    for folder in folders:
        meta = json.loads((folder / "summary.json").read_text())
        profile = meta.get("profile", "?")
        for path in sorted((folder / "series").glob("*.csv")):
            rhos = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)[:, 1]
            if rhos.size < 10:
                continue
            stats = equilibrated_mean(rhos)
            row = {"folder": str(folder), "liquid": path.stem, "profile": profile, "model": meta.get("model", "?"),
                   "engine": meta.get("engine", "?"), "drift_pct": 100.0 * stats["drift"],
                   "drift_sigma": stats["drift_sigma"]}
            c = counts.setdefault(profile, {"runs": 0, "flagged": 0})
            c["runs"] += 1
            if drifting(row):
                c["flagged"] += 1
                flagged.append(row)
    stamp = f"{date.today().isoformat()}, {platform.node() or 'this machine'} ({platform.machine()})"
    lines = ["# Density runs whose averaged window still drifts", "",
             f"Command: `mlparams validate drift-report {' '.join(map(str, roots))} --out {out}`; {stamp}.", "",
             f"More than {100 * DRIFT_LIMIT:.0f} % across the window and three standard errors of the slope "
             "(validation/density.py, `window_drift`); such a density is a bound in the direction of the drift.", "",
             "| profile | liquid runs | flagged |", "|---|---|---|"]
    lines += [f"| {k} | {v['runs']} | {v['flagged']} |" for k, v in sorted(counts.items())]
    lines += ["", "| folder | liquid | profile | drift % | slope / standard error |", "|---|---|---|---|---|"]
    lines += [f"| {r['folder']} | {r['liquid']} | {r['profile']} | {r['drift_pct']:+.1f} | {r['drift_sigma']:.1f} |"
              for r in flagged]
    result = {"counts": counts, "flagged": flagged, "date": date.today().isoformat(),
              "machine": f"{platform.node()} {platform.machine()}".strip(), "roots": [str(r) for r in roots]}
    out = Path(out)
    write_text(out.with_suffix(".md"), "\n".join(lines) + "\n")
    write_json(out.with_suffix(".json"), result)
    return result


def _write_series(path: Path, times, rhos, energies=None) -> None:
    """series/<liquid>.csv: time (ps), density (g/cm³) and, where recorded, the box's potential energy (kJ/mol)."""
    if energies is None or len(energies) != len(rhos):
        write_text(path, "t_ps,density_g_cm3\n" + "\n".join(f"{t:.4f},{r:.6f}" for t, r in zip(times, rhos)) + "\n")
    else:
        write_text(path, "t_ps,density_g_cm3,potential_kj_mol\n" + "\n".join(
            f"{t:.4f},{r:.6f},{e:.3f}" for t, r, e in zip(times, rhos, energies)) + "\n")


def _ok(done: dict) -> list[dict]:
    return [r for r in done.values() if str(r["status"]) == "ok"]


def summarise(done: dict, model: str, engine: str, profile: str, protocol: Protocol) -> dict:
    ok = _ok(done)
    err = np.array([float(r["rho_sim"]) - float(r["rho_exp"]) for r in ok])
    rel = np.array([float(r["rel_err_pct"]) for r in ok])
    stats = {}
    if ok:
        stats = {"MAE_g_cm3": float(np.mean(np.abs(err))), "RMSE_g_cm3": float(np.sqrt(np.mean(err**2))),
                 "mean_signed_rel_pct": float(np.mean(rel)), "mean_unsigned_rel_pct": float(np.mean(np.abs(rel)))}
    hvap = np.array([float(r["hvap_err"]) for r in ok if r.get("hvap_err") not in (None, "")])
    if hvap.size:
        stats.update(n_hvap=int(hvap.size), hvap_mean_unsigned_kj_mol=float(np.mean(np.abs(hvap))),
                     hvap_mean_signed_kj_mol=float(np.mean(hvap)))
    return {"model": model, "engine": engine, "profile": profile, "protocol": asdict(protocol),
            "n_liquids": len(done), "n_ok": len(ok), "n_failed": len(done) - len(ok), **stats,
            "failed": {n: r["status"] for n, r in done.items() if str(r["status"]) != "ok"},
            "not_equilibrated": {r["name"]: float(r["drift_pct"]) for r in ok if drifting(r)}}


def summary_markdown(summary: dict, done: dict) -> str:
    lines = [f"# Densities: {summary['engine']}, model {summary['model']}, profile {summary['profile']}", "",
             f"{summary['n_ok']} of {summary['n_liquids']} liquids finished, {summary['n_failed']} failed."]
    if summary["n_ok"]:
        lines += ["", f"MAE {summary['MAE_g_cm3']:.4f} g/cm3, RMSE {summary['RMSE_g_cm3']:.4f} g/cm3, mean signed "
                  f"{summary['mean_signed_rel_pct']:+.2f} %, mean unsigned {summary['mean_unsigned_rel_pct']:.2f} %."]
    if summary.get("n_hvap"):
        lines += ["", f"Enthalpy of vaporisation (kJ/mol), {summary['n_hvap']} liquids with an experimental value at "
                  f"the run's temperature: mean unsigned error {summary['hvap_mean_unsigned_kj_mol']:.2f}, mean signed "
                  f"{summary['hvap_mean_signed_kj_mol']:+.2f}."]
    drifts = summary.get("not_equilibrated") or {}
    if drifts:
        lines += ["", f"Not equilibrated (the density still drifts across the window averaged, by more than "
                  f"{100 * DRIFT_LIMIT:.0f} % and three standard errors; the value is a bound): "
                  + ", ".join(f"{n} ({d:+.1f} %)" for n, d in drifts.items()) + "."]
    lines += ["", "| liquid | T / K | exp | sim | ± | error % | molecules | production ps | drift % | "
              "ΔH_vap exp | ΔH_vap sim | ± | status |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in done.values():
        ok = str(r["status"]) == "ok"
        fmt = (lambda v, f: f"{float(v):{f}}" if ok and v not in (None, "") else "")
        status = "ok, not equilibrated" if ok and drifting(r) else r["status"]
        lines.append(f"| {r['name']} | {float(r['T_K']):.2f} | {float(r['rho_exp']):.4f} | {fmt(r['rho_sim'], '.4f')} | "
                     f"{fmt(r['rho_sim_err'], '.4f')} | {fmt(r['rel_err_pct'], '+.2f')} | {r['n_molecules'] or ''} | "
                     f"{fmt(r['production_ps'], '.0f')} | {fmt(r.get('drift_pct'), '+.1f')} | "
                     f"{fmt(r.get('hvap_exp'), '.2f')} | {fmt(r.get('hvap_sim'), '.2f')} | {fmt(r.get('hvap_sim_err'), '.2f')} | "
                     f"{status} |")
    return "\n".join(lines) + "\n"


def _parity(rows, key: str, unit: str, margin: float, title: str, path: Path, labels: bool = False) -> None:
    """Simulation against experiment of ``key``_sim/_exp/_sim_err over ``rows``, with the diagonal."""
    from mlparams.plotting import plt, save_figure

    fig, ax = plt.subplots(figsize=(5, 5))
    x = [float(r[f"{key}_exp"]) for r in rows]
    y = [float(r[f"{key}_sim"]) for r in rows]
    ax.errorbar(x, y, yerr=[float(r[f"{key}_sim_err"]) for r in rows], fmt="o", ms=4, capsize=2)
    if labels:
        for r, xi, yi in zip(rows, x, y):
            ax.annotate(r["name"], (xi, yi), fontsize=6, xytext=(3, 3), textcoords="offset points")
    lo, hi = min(x + y) - margin, max(x + y) + margin
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel(f"experiment / {unit}")
    ax.set_ylabel(f"simulation / {unit}")
    ax.set_title(title)
    save_figure(fig, path)


def plots(done: dict, out: Path, title: str) -> None:
    from mlparams.plotting import plt, save_figure

    ok = _ok(done)
    if ok:
        _parity(ok, "rho", "g cm⁻³", 0.05, title, out / "density_parity.png")
    with_hvap = [r for r in ok if r.get("hvap_sim") not in (None, "") and r.get("hvap_exp") not in (None, "")]
    if with_hvap:
        _parity(with_hvap, "hvap", "ΔH_vap / kJ mol⁻¹", 3.0, title, out / "hvap_parity.png", labels=True)
    series = sorted((out / "series").glob("*.csv"))
    if series:
        cols = min(4, len(series))
        rows_ = math.ceil(len(series) / cols)
        fig, axes = plt.subplots(rows_, cols, figsize=(3.2 * cols, 2.4 * rows_), squeeze=False)
        by_slug = {_slug(n): r for n, r in done.items()}
        for ax, path in zip(axes.ravel(), series):
            data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
            ax.plot(data[:, 0], data[:, 1], lw=0.8)
            r = by_slug.get(path.stem)
            if r:
                ax.axhline(float(r["rho_exp"]), color="k", ls="--", lw=0.8)
                ax.set_title(r["name"], fontsize=8)
            ax.set_xlabel("NPT time / ps", fontsize=7)
            ax.set_ylabel("g cm⁻³", fontsize=7)
            ax.tick_params(labelsize=6)
        for ax in axes.ravel()[len(series):]:
            ax.axis("off")
        fig.suptitle(f"density vs time: {title} (dashed: experiment)")
        fig.tight_layout()
        save_figure(fig, out / "density_vs_time.png")
    structure.plot_rdfs(out, done, title)




# --- comparing models on the same liquids ---------------------------------------------------------------


def compare(folders: dict, out) -> dict:
    """Set models' results (label -> result folder) side by side on the liquids every one of them finished.

    A label's folder may be several joined by "+" (one model's liquids run into two folders); a liquid found in
    more than one is taken from the first. Writes OUT.md (a table and the mean unsigned/signed errors on the
    common liquids) and OUT.png (parity).
    """
    results = {label: _read_merged(folder) for label, folder in folders.items()}
    ok = {label: {n: r for n, r in done.items() if str(r["status"]) == "ok"} for label, done in results.items()}
    all_names = sorted(set().union(*[set(d) for d in results.values()]))
    common = [n for n in all_names if all(n in d for d in ok.values())]
    stats = {}
    for label, done in ok.items():
        rel = np.array([float(done[n]["rel_err_pct"]) for n in common])
        stats[label] = {"n_common": len(common), "n_ok": len(done), "n_run": len(results[label]),
                        "mean_unsigned_rel_pct": float(np.mean(np.abs(rel))) if rel.size else None,
                        "mean_signed_rel_pct": float(np.mean(rel)) if rel.size else None}
    labels = list(folders)
    lines = ["| liquid | experiment g/cm³ | " + " | ".join(f"{lab} (error %)" for lab in labels) + " |",
             "|---|---|" + "---|" * len(labels)]
    for n in all_names:
        exp = next((float(d[n]["rho_exp"]) for d in results.values() if n in d), float("nan"))
        cells = []
        for lab in labels:
            r = results[lab].get(n)
            if r is None:
                cells.append("not run")
            elif str(r["status"]) == "ok":
                cells.append(f"{float(r['rho_sim']):.4f} ({float(r['rel_err_pct']):+.1f})")
            else:
                cells.append("failed: " + str(r["status"]).removeprefix("failed: ")[:60])
        lines.append(f"| {n} | {exp:.4f} | " + " | ".join(cells) + " |")
    summary = ["", f"On the {len(common)} liquids every model finished: " + "; ".join(
        f"{lab} mean unsigned {s['mean_unsigned_rel_pct']:.2f} %, mean signed {s['mean_signed_rel_pct']:+.2f} % "
        f"({s['n_ok']} of {s['n_run']} run liquids finished)" for lab, s in stats.items() if s["n_common"]) + "."]
    out = Path(out)
    write_text(out.with_suffix(".md"), "\n".join(lines + summary + _hvap_comparison(ok, labels, all_names)) + "\n")
    from mlparams.plotting import plt, save_figure

    fig, ax = plt.subplots(figsize=(5.2, 5))
    for lab in labels:
        names = [n for n in all_names if n in ok[lab]]
        ax.plot([float(ok[lab][n]["rho_exp"]) for n in names], [float(ok[lab][n]["rho_sim"]) for n in names],
                "o", ms=4, alpha=0.8, label=lab)
    ax.plot([0.5, 1.6], [0.5, 1.6], "k--", lw=1)
    ax.set_xlabel("experiment / g cm⁻³")
    ax.set_ylabel("simulation / g cm⁻³")
    ax.legend(fontsize=8)
    save_figure(fig, out.with_suffix(".png"))
    return {"common": common, "stats": stats}


def _hvap_comparison(ok: dict, labels, names) -> list[str]:
    """Markdown lines setting the models' enthalpies of vaporisation side by side (none if no run has one)."""
    have = {lab: {n: r for n, r in ok[lab].items() if r.get("hvap_sim") not in (None, "")} for lab in labels}
    shown = [n for n in names if any(n in h for h in have.values())]
    if not shown:
        return []
    lines = ["", "Enthalpy of vaporisation, kJ/mol (simulation ± standard error; experiment where given at the run's "
             "temperature):", "", "| liquid | experiment | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels)]
    for n in shown:
        exp = next((h[n]["hvap_exp"] for h in have.values() if n in h and h[n].get("hvap_exp") not in (None, "")), None)
        cells = [f"{float(have[lab][n]['hvap_sim']):.2f} ± {float(have[lab][n]['hvap_sim_err']):.2f}"
                 if n in have[lab] else "–" for lab in labels]
        lines.append(f"| {n} | {'–' if exp is None else f'{float(exp):.2f}'} | " + " | ".join(cells) + " |")
    return lines


def cost(folders, out) -> list[dict]:
    """What each committed density run cost: wall time per liquid and the statistical error it reached.

    Reads each folder's density_results.csv and summary.json (engine, model, profile, protocol) and writes
    OUT.md and OUT.json: liquids, atoms per box, median and maximum minutes per liquid, liquids per hour of one
    job, median and maximum error (g/cm³), and how many liquids reached the issue's goal (≤ 15 min and
    ≤ 0.003 g/cm³). The times are what the runs recorded on this machine, under whatever else ran beside them.
    """
    rows = []
    for folder in folders:
        folder = Path(folder)
        meta = json.loads((folder / "summary.json").read_text()) if (folder / "summary.json").is_file() else {}
        done = [r for r in _read_results(folder / "density_results.csv").values() if str(r["status"]) == "ok"]
        if not done:
            continue
        minutes = np.array([float(r["seconds"]) / 60.0 for r in done])
        errors = np.array([float(r["rho_sim_err"]) for r in done])
        protocol = meta.get("protocol") or (asdict(PROFILES[meta["profile"]]) if meta.get("profile") in PROFILES else {})
        rows.append({
            "folder": str(folder), "engine": meta.get("engine", done[0]["engine"]), "model": meta.get("model", done[0]["model"]),
            "profile": meta.get("profile", "?"), "target_atoms": protocol.get("target_atoms"),
            "npt_ps": protocol.get("npt_ps"), "n_liquids": len(done),
            "median_min": float(np.median(minutes)), "max_min": float(minutes.max()),
            "liquids_per_hour_one_job": float(60.0 / np.median(minutes)),
            "median_error_g_cm3": float(np.median(errors)), "max_error_g_cm3": float(errors.max()),
            "n_goal": int(np.sum((minutes <= 15.0) & (errors <= 0.003))),
        })
    lines = ["| results | engine | model | profile | atoms | NPT ps | liquids | min/liquid (median, max) | liquids/h per job | "
             "error g/cm³ (median, max) | ≤ 15 min and ≤ 0.003 |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {Path(r['folder']).parent.name}/{Path(r['folder']).name} | {r['engine']} | {r['model']} | {r['profile']} | {r['target_atoms'] or '?'} | {r['npt_ps'] or '?'} | "
                     f"{r['n_liquids']} | {r['median_min']:.1f}, {r['max_min']:.1f} | {r['liquids_per_hour_one_job']:.1f} | "
                     f"{r['median_error_g_cm3']:.4f}, {r['max_error_g_cm3']:.4f} | {r['n_goal']} of {r['n_liquids']} |")
    out = Path(out)
    write_text(out.with_suffix(".md"), "\n".join(lines) + "\n")
    write_json(out.with_suffix(".json"), rows, indent=1)
    return rows
