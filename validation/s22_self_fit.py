"""Diagnostic, never shipped: can the exp-6 form with fixed AM1-BCC charges express S22 at all?

Fits the buckingham network (geometric mixing, wall weight 1e5, 1,500 steps) to the 22 S22 dimers themselves,
starting from a shipped model, and reports the RMSE it reaches and the weakest wall force. A low RMSE says the form
is not what keeps the trained models above 1.0 kcal/mol; the training dimers and liquids they also fit are. S22 is
a validation set: nothing here feeds a shipped model.

    .venv/bin/python validation/s22_self_fit.py [--init buckingham-liquids] --out validation/results/buckingham_liquids/s22_self_fit.json
"""

import argparse
from pathlib import Path

import numpy as np

from mlparams.atomic_files import write_json
from mlparams.benchmarking import envelope
from mlparams.models import buckingham_dimers as bd
from mlparams.models.dimer_pairs import named_sets
from mlparams.models.registry import load_buckingham


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--init", default="buckingham-liquids", help="shipped model to start from")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    s22by7 = named_sets(["S22by7"], progress=False)
    s22 = s22by7.subset(bd.s22_equilibrium(s22by7))
    init = load_buckingham(args.init)
    before = bd.predict_dimers(init, s22)[0] - s22.e_ref_kcal
    model, _ = bd.train_mlp(s22, init.mixing_rule, steps=args.steps, wall_weight=1e5, init=init, lr=0.003)
    after = bd.predict_dimers(model, s22)[0] - s22.e_ref_kcal
    results = {"init": args.init, "steps": args.steps, "wall_weight": 1e5, "n": int(s22.n_dimers),
               "rmse_before_kcal": float(np.sqrt(np.mean(before**2))),
               "rmse_self_fit_kcal": float(np.sqrt(np.mean(after**2))),
               "errors_self_fit_kcal": {str(n): round(float(e), 3) for n, e in zip(s22.name, after)},
               "wall": bd.wall_report(model)}
    write_json(Path(args.out), envelope(results, "s22-self-fit"))
    print(f"S22 RMSE {results['rmse_before_kcal']:.2f} ({args.init}) -> {results['rmse_self_fit_kcal']:.2f} kcal/mol "
          f"fitted to S22 itself; weakest wall force {results['wall']['total']['min_force_kJ_mol_nm']:.1f} kJ/mol/nm")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
