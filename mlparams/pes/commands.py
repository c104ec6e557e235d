"""``mlparams pes ...``: sweep, fit, export and density check of neural-network pair curves and surfaces."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mlparams.atomic_files import replacing, write_json


def _list(text: str, kind=str) -> tuple:
    try:
        return tuple(kind(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of {kind.__name__}s, e.g. 5,10,20") from None


def cmd_sweep(args) -> int:
    from mlparams.pes import sweep

    summary = sweep.run(args.out, potentials=args.potentials, kind=args.grid, bs=args.b, max_epochs=args.epochs,
                        patience=args.patience, jobs=args.jobs, quiet=args.quiet, widths=args.widths,
                        layers=args.layers, activations=args.activations, lrs=args.lrs)
    for name, s in summary.items():
        b = s["best"]
        print(f"{name}: best {b['hidden']} {b['activation']} lr {float(b['lr']):g}: val MSE {float(b['val_mse']):.3g} "
              f"(paper {s['paper_best_loss']:.3g}), {s['runs']} runs")
    print(f"wrote {Path(args.out) / 'runs.csv'}, loss_tables.md, summary.json and the plots")
    return 0


def cmd_fit(args) -> int:
    from mlparams.pes.network import FitConfig, fit
    from mlparams.pes.potentials import dataset
    from mlparams.pes.sweep import fit_figure

    ds = dataset(args.potential, b=args.b)
    config = FitConfig(args.hidden, args.activation, args.lr, max_epochs=args.epochs, patience=args.patience,
                       seed=args.seed, polish_steps=args.polish)
    net, res = fit(ds, config, threads=args.threads)
    out = Path(args.out)
    net.save(out)
    fit_figure(ds, net, f"{ds.name}: {config.key}, val MSE {res.val_mse:.3g} {ds.energy_label}²", out / "fit.png")
    report = {"potential": ds.name, "description": ds.description, "val_loss": res.val_mse,
              "train_loss": res.train_mse, "val_loss_reduced": res.val_mse_reduced,
              "loss_units": f"MSE in {ds.energy_label}^2 (reduced: divided by the energy scale {ds.meta.get('scale', 1.0):g} squared)",
              "epochs": res.epochs, "seconds": round(res.seconds, 1), "hidden": list(config.hidden),
              "activation": config.activation, "lr": config.lr, "polish_steps": config.polish_steps,
              "n_points": int(len(ds.y)), "out": str(out)}
    write_json(out / "fit.json", report, indent=1)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(f"{ds.name}: {config.key}: validation MSE {res.val_mse:.4g} {ds.energy_label}^2 "
              f"(reduced {res.val_mse_reduced:.3g}), {res.epochs} epochs, {res.seconds:.0f} s")
        print(f"wrote {out / 'network.pt'}, network.json, fit.json, fit.png")
    return 0


def cmd_export(args) -> int:
    """A fitted pair curve as OpenMM and LAMMPS inputs for a fluid of uncharged sites, and the table itself."""
    import numpy as np

    from mlparams.cli import _write_pdb
    from mlparams.lammps_inputs.writer import write_inputs
    from mlparams.openmm_plugin.system import serialize, to_openmm
    from mlparams.pes.network import PesNetwork
    from mlparams.pes.tabulate import fitted_range_nm, site_parameters
    from mlparams.sites import atomic_fluid, site

    net = PesNetwork.load(args.network)
    s = site(args.site, args.mass)
    cutoff = args.cutoff if args.cutoff is not None else fitted_range_nm(net)[1]
    params = site_parameters(net, s, args.n_sites, cutoff)
    msys = atomic_fluid(s, args.n_sites, params, args.density)
    out = Path(args.out)
    (out / "openmm").mkdir(parents=True, exist_ok=True)
    system, topology, positions = to_openmm(msys, cutoff_nm=cutoff, long_range_correction=False)
    serialize(system, out / "openmm" / "system.xml")
    _write_pdb(topology, positions, out / "openmm" / "topology.pdb")
    params.write_json(out / "parameters.json")
    write_inputs(msys, out / "lammps", cutoff_nm=cutoff, long_range_correction=False,
                 temperature_k=args.temperature, pressure_bar=args.pressure)
    r = np.asarray(params.table_r_nm)
    rows = np.column_stack([r, params.pair_vdw["energy"][0, 0], params.pair_vdw["force"][0, 0]])
    with replacing(out / "table.csv") as tmp:
        np.savetxt(tmp, rows, delimiter=",", header="r_nm,energy_kj_mol,force_kj_mol_nm", comments="", fmt="%.10g")
    print(f"{args.n_sites} {s.name} sites, box {msys.box_nm[0]:.3f} nm, table {r[0]:.4f}-{r[-1]:.4f} nm "
          f"({r.size} points), cutoff {cutoff:.4f} nm, no tail correction")
    print(f"wrote {out / 'openmm'}/system.xml + topology.pdb, {out / 'lammps'}/data.lmp + in.lmp + pair.table, "
          f"{out / 'parameters.json'}, {out / 'table.csv'}")
    print(f"run it: cd {out / 'lammps'} && lmp -in in.lmp   (or: mpiexec -n 2 lmp -in in.lmp)")
    return 0


def cmd_density(args) -> int:
    from mlparams.pes.liquid import compare_density

    s = compare_density(args.network, args.out, site_name=args.site, mass_da=args.mass, jobs=args.jobs,
                        n_sites=args.n_sites, temperature_k=args.temperature, pressure_bar=args.pressure,
                        npt_ps=args.npt_ps, nvt_ps=args.nvt_ps, cutoff_nm=args.cutoff)
    for label, r in s["runs"].items():
        if r["status"] == "ok":
            print(f"{label}: {r['mean']:.4f} ± {r['error']:.4f} g/cm3")
        else:
            print(f"{label}: {r['status']}")
    if "difference_g_cm3" in s:
        print(f"difference {s['difference_g_cm3']:+.4f} g/cm3 = {s['difference_in_errors']:.2f} combined standard errors")
    print(f"wrote {Path(args.out) / 'summary.json'} and density_vs_time.png")
    return 0


def add_parser(sub) -> None:
    from mlparams.pes.network import ACTIVATIONS, LEARNING_RATES, WIDTHS
    from mlparams.pes.potentials import POTENTIALS
    from mlparams.pes.sweep import PAPER

    pes = sub.add_parser("pes", help="neural-network fits of potential-energy curves and surfaces")
    psub = pes.add_subparsers(dest="pes_command", required=True)

    sw = psub.add_parser("sweep", help="the paper's hyperparameter grid in parallel: loss tables and plots")
    sw.add_argument("--out", required=True, help="output folder (resumes the runs already in DIR/runs.csv)")
    sw.add_argument("--potentials", type=_list, default=tuple(PAPER), help="comma-separated (default: all four)")
    sw.add_argument("--b", type=lambda t: _list(t, float), default=(3.0, 5.0),
                    help="double-morse2d separations (default 3,5)")
    sw.add_argument("--grid", choices=("tables", "paper"), default="tables",
                    help="tables: what fills the paper's tables and figures (default); paper: the full grid")
    sw.add_argument("--epochs", type=int, default=3000, help="maximum Adam epochs per fit (default 3000)")
    sw.add_argument("--patience", type=int, default=500, help="early-stopping patience in epochs (default 500)")
    sw.add_argument("--jobs", type=int, default=None, help="parallel fits (default: one per core)")
    sw.add_argument("--layers", type=lambda t: _list(t, int), default=(1, 2, 3), help="paper grid: layer counts")
    sw.add_argument("--widths", type=lambda t: _list(t, int), default=WIDTHS, help="paper grid: widths")
    sw.add_argument("--activations", type=_list, default=ACTIVATIONS, help="paper grid: activations")
    sw.add_argument("--lrs", type=lambda t: _list(t, float), default=LEARNING_RATES, help="paper grid: learning rates")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(func=cmd_sweep)

    fi = psub.add_parser("fit", help="fit one network to a curve, a surface or an r-E table")
    fi.add_argument("--potential", required=True, help=f"{', '.join(POTENTIALS)} or a CSV r_<unit>,energy_<unit>")
    fi.add_argument("--b", type=float, default=5.0, help="double-morse2d separation (default 5)")
    fi.add_argument("--hidden", type=lambda t: _list(t, int), default=(50, 50), help="widths (default 50,50)")
    fi.add_argument("--activation", choices=ACTIVATIONS, default="tanh", help="default tanh")
    fi.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (default 0.01)")
    fi.add_argument("--epochs", type=int, default=5000, help="maximum Adam epochs (default 5000)")
    fi.add_argument("--patience", type=int, default=1000, help="early-stopping patience (default 1000)")
    fi.add_argument("--polish", type=int, default=2000, help="L-BFGS iterations after Adam (default 2000; 0: none)")
    fi.add_argument("--seed", type=int, default=0)
    fi.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    fi.add_argument("--out", required=True, help="folder for network.pt, network.json, fit.json, fit.png")
    fi.add_argument("--json", action="store_true", help="print the result as JSON (val_loss, ...)")
    fi.set_defaults(func=cmd_fit)

    ex = psub.add_parser("export", help="a fitted pair curve as OpenMM and LAMMPS inputs (tabulated, network forces)")
    ex.add_argument("network", help="folder written by pes fit")
    ex.add_argument("--out", required=True)
    ex.add_argument("--site", default="Ne", help="site name: Ne, Ar, Kr, Xe, CH4, or any name with --mass")
    ex.add_argument("--mass", type=float, default=None, help="site mass in Da")
    ex.add_argument("--n-sites", type=int, default=500)
    ex.add_argument("--density", type=float, default=1.1, help="starting density in g/cm3 (default 1.1)")
    ex.add_argument("--cutoff", type=float, default=None, help="cutoff in nm (default: the fitted range's end)")
    ex.add_argument("--temperature", type=float, default=27.1, help="K, for the LAMMPS NPT deck (default 27.1)")
    ex.add_argument("--pressure", type=float, default=1.01325, help="bar, for the LAMMPS NPT deck")
    ex.set_defaults(func=cmd_export)

    de = psub.add_parser("density", help="NPT density with the fitted LJ curve vs the analytic LJ (OpenMM)")
    de.add_argument("network", help="folder written by pes fit --potential lj")
    de.add_argument("--out", required=True)
    de.add_argument("--site", default="Ne")
    de.add_argument("--mass", type=float, default=None)
    de.add_argument("--n-sites", type=int, default=None, help="default 500")
    de.add_argument("--temperature", type=float, default=None, help="K (default 27.1)")
    de.add_argument("--pressure", type=float, default=None, help="bar (default 1.01325)")
    de.add_argument("--nvt-ps", type=float, default=None, help="default 20")
    de.add_argument("--npt-ps", type=float, default=None, help="default 1000")
    de.add_argument("--cutoff", type=float, default=None, help="nm (default 2.5 sigma)")
    de.add_argument("--jobs", type=int, default=2)
    de.set_defaults(func=cmd_density)


