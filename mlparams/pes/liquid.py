"""Liquid density with a fitted pair curve against the analytic potential it was fitted to.

n uncharged sites (neon's mass by default) in a periodic cube, run through the density driver's OpenMM
protocol: minimisation, NVT, then NPT (Langevin 1/ps, Monte Carlo barostat every 25 steps), density sampled
every ``sample_ps``, equilibration detected automatically and the error from the autocorrelation time.
Both runs truncate the pair potential at the same cutoff with no tail correction, so the only difference
between them is the network. The default state point is neon's normal boiling point (27.1 K, 1 atm),
T* = kT/ε = 0.73 for the paper's ε = 3.180 meV: a liquid of the Lennard-Jones model.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json
from mlparams.errors import MlparamsError
from mlparams.parallel import process_pool

DEFAULTS = {"site": "Ne", "temperature_k": 27.1, "pressure_bar": 1.01325, "n_sites": 500, "cutoff_sigma": 2.5,
            "nvt_ps": 20.0, "npt_ps": 1000.0, "sample_ps": 1.0, "timestep_fs": 10.0, "start_density": 1.1}


def _protocol(cutoff_nm, nvt_ps, npt_ps, sample_ps, timestep_fs, n_sites):
    from mlparams.validation.density import Protocol

    return Protocol(target_atoms=n_sites, cutoff_nm=cutoff_nm, nvt_ps=nvt_ps, npt_ps=npt_ps, sample_ps=sample_ps,
                    timestep_fs=timestep_fs)


def _one(label, params_dict, s, n, rho0, protocol, T, P, threads, workdir):
    """Worker: one OpenMM NPT run of n sites, no tail correction (never raises)."""
    from mlparams.parameters import NonbondedParameters
    from mlparams.sites import atomic_fluid
    from mlparams.validation.density import system_density

    try:
        msys = atomic_fluid(s, n, NonbondedParameters.from_dict(params_dict), rho0, seed=3)
    except MlparamsError as exc:
        return {"label": label, "status": f"failed: {exc}"}
    return {"label": label, **system_density(msys, "openmm", protocol, T, P, threads, workdir,
                                             long_range_correction=False)}


def compare_density(network_dir, out, site_name: str = "Ne", mass_da: float | None = None, jobs: int = 2,
                    **options) -> dict:
    """NPT density of the fitted curve and of the analytic LJ (for ``lj`` fits); resumes finished runs."""
    from mlparams.pes.network import PesNetwork
    from mlparams.pes.tabulate import site_parameters
    from mlparams.sites import lj_site_parameters, site

    opt = {**DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    net = PesNetwork.load(network_dir)
    s = site(site_name, mass_da)
    n = int(opt["n_sites"])
    meta = net.info
    if meta.get("dataset") != "lj":
        raise MlparamsError(f"the density check compares a fitted Lennard-Jones curve with the analytic one; "
                            f"{network_dir} holds a {meta.get('dataset')} fit (fit --potential lj)")
    from mlparams.pes.potentials import ENERGY_UNITS_KJ_MOL, LJ_EPSILON_MEV, LJ_SIGMA_A

    sigma_nm, eps_kj = LJ_SIGMA_A * 0.1, LJ_EPSILON_MEV * ENERGY_UNITS_KJ_MOL["mev"]
    cutoff = opt.get("cutoff_nm") or opt["cutoff_sigma"] * sigma_nm
    protocol = _protocol(cutoff, opt["nvt_ps"], opt["npt_ps"], opt["sample_ps"], opt["timestep_fs"], n)
    models = {"network": site_parameters(net, s, n, cutoff), "analytic LJ": lj_site_parameters(s, n, sigma_nm, eps_kj)}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    pending = []
    # A finished run is reused only if it ran this protocol (and, for the network, this network).
    stamp = {"protocol": asdict(protocol), "network_val_mse": meta.get("val_mse"), "site": s.name,
             "temperature_k": opt["temperature_k"], "pressure_bar": opt["pressure_bar"]}
    for label, params in models.items():
        path = out / f"run_{label.replace(' ', '_')}.json"
        old = json.loads(path.read_text()) if path.is_file() else {}
        same = old.get("stamp", {}) == stamp or (label != "network" and
                                                  {**old.get("stamp", {}), "network_val_mse": None} == {**stamp, "network_val_mse": None})
        if old and same:
            results[label] = old
        else:
            pending.append((label, params.to_dict(), path))
    if pending:
        print(f"NPT runs ({', '.join(p[0] for p in pending)}): {n} {s.name} sites at {opt['temperature_k']} K, "
              f"{opt['nvt_ps']:g} ps NVT + {opt['npt_ps']:g} ps NPT each, in parallel", file=sys.stderr, flush=True)
        workers = max(1, min(jobs, len(pending)))
        threads = max(1, (os.cpu_count() or 1) // workers)
        with process_pool(workers) as pool:
            futures = {pool.submit(_one, label, pdict, s, n, opt["start_density"], protocol,
                                   opt["temperature_k"], opt["pressure_bar"], threads, str(out / "work" / label.replace(" ", "_"))):
                       (label, path) for label, pdict, path in pending}
            for fut, (label, path) in futures.items():
                res = {**fut.result(), "stamp": stamp}
                results[label] = res
                print(f"  {label}: {res['status']}" + (f", {res['mean']:.4f} ± {res['error']:.4f} g/cm3"
                                                      if res["status"] == "ok" else ""), file=sys.stderr, flush=True)
                if res["status"] == "ok":
                    write_json(path, res, indent=None)
    summary = {"site": s.name, "mass_da": s.mass_da, "n_sites": n, "temperature_k": opt["temperature_k"],
               "pressure_bar": opt["pressure_bar"], "cutoff_nm": cutoff, "protocol": asdict(protocol),
               "tail_correction": False, "network": {k: meta[k] for k in ("config", "val_mse") if k in meta},
               "runs": {k: {x: v.get(x) for x in ("status", "mean", "error", "n_eff", "t0_index")} for k, v in results.items()}}
    ok = [results[k] for k in ("network", "analytic LJ") if results.get(k, {}).get("status") == "ok"]
    if len(ok) == 2:
        diff = ok[0]["mean"] - ok[1]["mean"]
        combined = float(np.hypot(ok[0]["error"], ok[1]["error"]))
        summary.update(difference_g_cm3=diff, combined_error_g_cm3=combined, difference_in_errors=abs(diff) / combined)
    write_json(out / "summary.json", summary, indent=1)
    _plot(results, out / "density_vs_time.png", summary)
    return summary


def _plot(results, path, summary):
    from mlparams.plotting import plt, save_figure

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for k, (label, r) in enumerate(results.items()):
        if r.get("status") != "ok":
            continue
        t, rho = np.array(r["times"]), np.array(r["rhos"])
        ax.plot(t, rho, lw=0.8, color=f"C{k}", label=f"{label}: {r['mean']:.4f} ± {r['error']:.4f} g/cm³")
        ax.axvline(t[r["t0_index"]], color=f"C{k}", ls=":", lw=0.8)
    ax.set_xlabel("NPT time / ps")
    ax.set_ylabel("density / g cm⁻³")
    ax.set_title(f"{summary['site']} sites, {summary['temperature_k']} K, {summary['pressure_bar']:.3f} bar, "
                 f"cutoff {summary['cutoff_nm']:.3f} nm", fontsize=9)
    ax.legend(fontsize=8)
    save_figure(fig, path)
