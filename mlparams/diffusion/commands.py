"""``mlparams diffusion ...``: simulate maps, train the CNN, identify σ and ε, and run liquid methane with them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def default_model_dir() -> Path:
    import importlib.resources

    return Path(importlib.resources.files("mlparams") / "data" / "models" / "diffusion_cnn")


def cmd_simulate(args) -> int:
    from mlparams.diffusion import dataset as D

    rng = np.random.default_rng(args.seed)
    drawn = D.draw(rng, 1, args.substance)[0]
    sample = D.Sample(args.substance, args.sigma if args.sigma is not None else drawn.sigma_nm,
                      args.epsilon if args.epsilon is not None else drawn.epsilon_mev,
                      args.d_eff if args.d_eff is not None else drawn.d_eff,
                      args.d_p if args.d_p is not None else drawn.d_p,
                      args.t0 if args.t0 is not None else drawn.t0_k)
    x = D.maps([sample], noise=args.noise, rng=rng)
    path = D.save(args.out, x, [sample], {"seed": args.seed, "noise": args.noise})
    parts = []
    for key, value, given in (("sigma", sample.sigma_nm, args.sigma), ("epsilon", sample.epsilon_mev, args.epsilon),
                              ("D_eff", sample.d_eff, args.d_eff), ("D_p", sample.d_p, args.d_p),
                              ("T0", sample.t0_k, args.t0)):
        parts.append(f"{key} {value:.4g}" + ("" if given is not None else " (drawn from the seed)"))
    said = ", ".join(parts)
    print(f"{args.substance}: {said}; ramp {sample.t0_k:.1f}->{sample.t0_k + D.RAMP_K:.1f} K, noise {args.noise:g}")
    print(f"wrote {path}")
    return 0


def cmd_train(args) -> int:
    from tqdm import tqdm

    from mlparams.diffusion import cnn
    from mlparams.diffusion import dataset as D

    out = Path(args.out)
    data = {}
    for name, n, seed in (("train", args.n_train, args.seed), ("val", args.n_val, args.seed + 1),
                          ("test", args.n_test, args.seed + 2)):
        path = out / "data" / f"{name}.npz"
        if path.is_file():  # resume: a finished data set is reused
            x, s, _ = D.load(path)
        else:
            bar = tqdm(total=n, desc=f"simulate {name}", unit="map", file=sys.stderr, disable=args.quiet)
            x, s = D.generate(n, seed, noise=args.noise, progress=lambda k: bar.update(k - bar.n))
            bar.close()
            D.save(path, x, s, {"seed": seed, "noise": args.noise})
        data[name] = (x, s)
    bar = tqdm(total=args.epochs, desc="train", unit="epoch", file=sys.stderr, disable=args.quiet)
    model, history = cnn.train(*data["train"], *data["val"], epochs=args.epochs, threads=args.threads,
                               progress=lambda e, a, b: (bar.update(1), bar.set_postfix(train=f"{a:.3f}", val=f"{b:.3f}")))
    bar.close()
    metrics = cnn.evaluate(model, *data["test"])
    model.info.update({"noise": args.noise, "seed": args.seed, "test_metrics": metrics})
    model.save(out / "model")
    from mlparams.diffusion.report import write_report

    write_report(model, data["test"], history, out)
    print(json.dumps(metrics, indent=1))
    print(f"wrote {out / 'model'}, {out / 'metrics.json'}, {out / 'table1.md'}, {out / 'parity.png'}")
    return 0


def cmd_identify(args) -> int:
    from mlparams.diffusion import dataset as D
    from mlparams.diffusion.cnn import DiffusionCNN

    x, samples, _ = D.load(args.maps)
    model = DiffusionCNN.load(args.model or default_model_dir())
    results = model.predict(x)
    for r, s in zip(results, samples):
        r["true"] = {"substance": s.substance, "sigma_nm": s.sigma_nm, "epsilon_meV": s.epsilon_mev,
                     "D_eff": s.d_eff, "D_p": s.d_p}
    if args.json:
        print(json.dumps(results[0] if len(results) == 1 else results, indent=1))
    else:
        for r in results:
            print(f"{r['substance']} (p {r['p_substance']:.3f}): sigma {r['sigma_nm']:.4f} nm, epsilon "
                  f"{r['epsilon_meV']:.2f} meV, D_eff {r['D_eff']:.3g}, D_p {r['D_p']:.3g} (reduced units)")
    return 0


def cmd_identifiability(args) -> int:
    from tqdm import tqdm

    from mlparams.diffusion.cnn import DiffusionCNN
    from mlparams.diffusion.identifiability import report

    model = DiffusionCNN.load(args.model or default_model_dir())
    bar = tqdm(total=6 + 2 * args.theory_n, desc="identify maps at the theoretical values", unit="map",
               file=sys.stderr, disable=args.quiet)
    record = report(model, args.out, args.seed, args.n, theory_n=args.theory_n,
                    progress=lambda k, total: bar.update(k - bar.n))
    bar.close()
    b = record["bound"]
    print(f"best possible from the maps (gas and U~ exact): sigma {b['sigma_mean_rel_err_pct']:.2f} %, epsilon "
          f"{b['epsilon_mean_rel_err_pct']:.2f} %, prediction {b['prediction_pct_mean']:.1f} % on average")
    for g, r in record["theory_many"].items():
        print(f"{g} at the theoretical values: prediction {r['prediction_pct_mean']:.1f} % (lowest "
              f"{r['prediction_pct_min']:.1f} %) over {r['n']} maps")
    print(f"wrote {Path(args.out) / 'identifiability.md'}, identifiability.json, identifiability.png")
    return 0


def cmd_methane(args) -> int:
    from mlparams.diffusion.methane import run_methane

    summary = run_methane(args.out, sigma_nm=args.sigma, epsilon_mev=args.epsilon, engines=args.engines,
                          npt_ps=args.npt_ps, n_sites=args.n_sites)
    for engine, r in summary["runs"].items():
        if r["status"] == "ok":
            print(f"{engine}: {r['mean']:.4f} ± {r['error']:.4f} g/cm3 (experiment {summary['rho_exp']}: "
                  f"{r['rel_err_pct']:+.2f} %)")
        else:
            print(f"{engine}: {r['status']}")
    print(f"wrote {Path(args.out) / 'summary.json'}, summary.md, density_vs_time.png")
    return 0


def _positive(text):
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not v > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return v


def _positive_int(text):
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number of at least 1")
    return v


def add_parser(sub) -> None:
    from mlparams.diffusion.dataset import SUBSTANCES

    top = sub.add_parser("diffusion", help="LJ sigma, epsilon from concentration maps (3-D CNN, Boyko et al.)")
    dsub = top.add_subparsers(dest="diffusion_command", required=True)

    si = dsub.add_parser("simulate", help="concentration maps of one gas in a porous particle")
    si.add_argument("--substance", choices=SUBSTANCES, required=True)
    si.add_argument("--sigma", type=float, default=None, help="nm (default: drawn from the seed)")
    si.add_argument("--epsilon", type=float, default=None, help="meV (default: drawn from the seed)")
    si.add_argument("--d-eff", type=float, default=None, help="reduced units (default: drawn from the seed)")
    si.add_argument("--d-p", type=float, default=None, help="reduced units (default: drawn from the seed)")
    si.add_argument("--t0", type=float, default=None, help="start of the 100 K ramp, K (default: drawn)")
    si.add_argument("--noise", type=float, default=0.0, help="relative Gaussian noise on the maps")
    si.add_argument("--seed", type=int, default=1)
    si.add_argument("--out", required=True, help="output .npz")
    si.set_defaults(func=cmd_simulate)

    tr = dsub.add_parser("train", help="simulate training data and train the 3-D CNN")
    tr.add_argument("--out", required=True, help="folder: data/ (simulated sets, reused on rerun), model/, report")
    tr.add_argument("--n-train", type=int, default=6000)
    tr.add_argument("--n-val", type=int, default=1000)
    tr.add_argument("--n-test", type=int, default=1000)
    tr.add_argument("--epochs", type=int, default=30)
    tr.add_argument("--noise", type=float, default=0.01, help="relative noise on the maps (default 0.01)")
    tr.add_argument("--seed", type=int, default=11)
    tr.add_argument("--threads", type=int, default=None)
    tr.add_argument("--quiet", action="store_true")
    tr.set_defaults(func=cmd_train)

    ide = dsub.add_parser("identify", help="read substance, sigma, epsilon, D_eff, D_p from a map file")
    ide.add_argument("maps", help=".npz written by diffusion simulate")
    ide.add_argument("--model", default=None, help="model folder (default: the shipped one)")
    ide.add_argument("--json", action="store_true")
    ide.set_defaults(func=cmd_identify)

    idf = dsub.add_parser("identifiability", help="the best any method can do from the maps (sigma and epsilon "
                                                  "enter only through U~), and the CNN on maps at the theoretical values")
    idf.add_argument("--out", required=True, help="folder for identifiability.md/.json/.png")
    idf.add_argument("--model", default=None, help="model folder (default: the shipped one)")
    idf.add_argument("--seed", type=int, default=13, help="prior draws for the bound (default 13: the parameters of "
                                                          "the test set of 'diffusion train --seed 11')")
    idf.add_argument("--n", type=_positive_int, default=1000, help="prior draws for the bound (default 1000)")
    idf.add_argument("--theory-n", type=_positive_int, default=250,
                     help="maps per gas at the theoretical values (default 250)")
    idf.add_argument("--quiet", action="store_true")
    idf.set_defaults(func=cmd_identifiability)

    me = dsub.add_parser("methane", help="liquid methane (111.7 K) with a united-atom LJ site, OpenMM and LAMMPS")
    me.add_argument("--out", required=True)
    me.add_argument("--sigma", type=_positive, default=0.373, help="nm (default: TraPPE-UA 0.373)")
    me.add_argument("--epsilon", type=_positive, default=12.75, help="meV (default: TraPPE-UA 148 K = 12.75 meV)")
    me.add_argument("--engines", default="openmm,lammps", help="comma-separated (default openmm,lammps)")
    me.add_argument("--npt-ps", type=float, default=500.0)
    me.add_argument("--n-sites", type=int, default=500)
    me.set_defaults(func=cmd_methane)
