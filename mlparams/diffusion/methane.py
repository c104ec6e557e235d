"""Liquid methane with a united-atom Lennard-Jones site (σ, ε from the CNN or given), in OpenMM and LAMMPS.

One CH₄ site (16.043 Da, uncharged) per molecule, through the same parameter object and exporters as every
other model (:func:`mlparams.sites.lj_site_parameters`, :func:`mlparams.sites.atomic_fluid`), and the density
driver's runners. State point: 111.7 K (normal boiling point), 1.01325 bar; experimental saturated-liquid
density 0.4224 g/cm³. Protocol: 500 sites, cutoff 1.2 nm with the long-range dispersion correction (OpenMM) /
tail correction (LAMMPS), 5 fs steps, 20 ps NVT, ``npt_ps`` of NPT (OpenMM: Langevin 1/ps and Monte Carlo
barostat; LAMMPS: Nosé–Hoover), density every 1 ps, equilibration detected and the error from the
autocorrelation time (:func:`mlparams.validation.density.equilibrated_mean`).
"""

from __future__ import annotations

import json
from pathlib import Path

from mlparams.atomic_files import write_json, write_text
from mlparams.errors import MlparamsError
from mlparams.parallel import process_pool

T_K, P_BAR, RHO_EXP = 111.7, 1.01325, 0.4224
MEV_IN_KJ_PER_MOL = 0.09648533212331002
ENGINES = ("openmm", "lammps")


def _run(engine, sigma_nm, epsilon_kj, n_sites, npt_ps, workdir):
    """Worker: one engine's NPT run of the united-atom fluid (never raises)."""
    from mlparams.sites import atomic_fluid, lj_site_parameters, site
    from mlparams.validation.density import Protocol, system_density

    s = site("CH4")
    protocol = Protocol(target_atoms=n_sites, cutoff_nm=1.2, nvt_ps=20.0, npt_ps=npt_ps, sample_ps=1.0, timestep_fs=5.0)
    try:
        fluid = atomic_fluid(s, n_sites, lj_site_parameters(s, n_sites, sigma_nm, epsilon_kj, name="united-atom CH4"),
                             0.9 * RHO_EXP, seed=5)
    except MlparamsError as exc:
        return {"status": f"failed: {exc}"}
    res = system_density(fluid, engine, protocol, T_K, P_BAR, 1, workdir)
    if res["status"] == "ok":
        res["rel_err_pct"] = 100.0 * (res["mean"] - RHO_EXP) / RHO_EXP
    return res


def run_methane(out, sigma_nm: float = 0.373, epsilon_mev: float = 12.75, engines="openmm,lammps",
                npt_ps: float = 500.0, n_sites: int = 500) -> dict:
    """Both engines in parallel; each finished engine is written at once and skipped on rerun."""
    names = [e.strip() for e in engines.split(",") if e.strip()]
    bad = [e for e in names if e not in ENGINES]
    if bad or not names:
        raise MlparamsError(f"unknown engine(s) {', '.join(bad) or '(none)'}; choose from openmm,lammps")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    eps_kj = epsilon_mev * MEV_IN_KJ_PER_MOL
    results, pending = {}, []
    setting = {"sigma_nm": sigma_nm, "epsilon_mev": epsilon_mev, "npt_ps": npt_ps, "n_sites": n_sites}
    for e in names:
        path = out / f"run_{e}.json"
        old = json.loads(path.read_text()) if path.is_file() else {}
        if old and all(old.get(k) == v for k, v in setting.items()):  # the same run finished before
            results[e] = old
        else:
            pending.append(e)
    if pending:
        import sys

        print(f"liquid methane, {n_sites} sites, sigma {sigma_nm} nm, epsilon {epsilon_mev} meV: "
              f"{' and '.join(pending)} in parallel, {npt_ps:g} ps NPT each", file=sys.stderr, flush=True)
        with process_pool(len(pending)) as pool:
            futures = {e: pool.submit(_run, e, sigma_nm, eps_kj, n_sites, npt_ps, str(out / "work" / e)) for e in pending}
            for e, fut in futures.items():
                res = {**fut.result(), **setting}
                results[e] = res
                print(f"  {e}: {res['status']}" + (f", {res['mean']:.4f} ± {res['error']:.4f} g/cm3" if res["status"] == "ok"
                                                     else ""), file=sys.stderr, flush=True)
                if res["status"] == "ok":
                    write_json(out / f"run_{e}.json", res, indent=None)
    summary = {"sigma_nm": sigma_nm, "epsilon_mev": epsilon_mev, "epsilon_over_k_K": epsilon_mev / 0.08617333262,
               "temperature_k": T_K, "pressure_bar": P_BAR, "rho_exp": RHO_EXP, "n_sites": n_sites, "npt_ps": npt_ps,
               "runs": {e: {k: r.get(k) for k in ("status", "mean", "error", "n_eff", "rel_err_pct")} for e, r in results.items()}}
    write_json(out / "summary.json", summary, indent=1)
    lines = [f"# Liquid methane at {T_K} K, {P_BAR} bar: united-atom LJ site", "",
             f"σ = {sigma_nm} nm, ε = {epsilon_mev} meV (ε/k = {summary['epsilon_over_k_K']:.1f} K); {n_sites} sites; "
             f"{npt_ps:g} ps NPT. Experiment (saturated liquid): {RHO_EXP} g/cm³.", "",
             "| engine | density (g/cm³) | error | deviation from experiment |", "|---|---|---|---|"]
    for e, r in summary["runs"].items():
        lines.append(f"| {e} | {r['mean']:.4f} | {r['error']:.4f} | {r['rel_err_pct']:+.2f} % |" if r["status"] == "ok"
                     else f"| {e} | {r['status']} | | |")
    write_text(out / "summary.md", "\n".join(lines) + "\n")
    _plot(results, out / "density_vs_time.png")
    return summary


def _plot(results, path):
    from mlparams.plotting import plt, save_figure

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for k, (e, r) in enumerate(results.items()):
        if r.get("status") == "ok":
            ax.plot(r["times"], r["rhos"], lw=0.8, color=f"C{k}", label=f"{e}: {r['mean']:.4f} ± {r['error']:.4f}")
    ax.axhline(RHO_EXP, color="k", ls="--", lw=0.8, label=f"experiment {RHO_EXP}")
    ax.set_xlabel("NPT time / ps")
    ax.set_ylabel("density / g cm⁻³")
    ax.set_title("liquid methane, united-atom LJ site, 111.7 K", fontsize=10)
    ax.legend(fontsize=8)
    save_figure(fig, path)
