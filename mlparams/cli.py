"""The ``mlparams`` command line.

Every command that fails on bad input prints one line, ``mlparams: error: <what> ; <how to fix>``, to
stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from mlparams.atomic_files import replacing, write_json, write_text
from mlparams.errors import MlparamsError

DEMO_SMILES = "CCO"


def _progress(total: int, desc: str, quiet: bool):
    if quiet:
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="scan", file=sys.stderr, leave=False)
    return bar, (lambda done: bar.update(done - bar.n))


def cmd_demo(args) -> int:
    """Predict Buckingham constants for the atoms of ethanol (AM1-BCC charges) with both models."""
    from mlparams.gaff2 import CHARGE_MODEL, parametrize
    from mlparams.models.registry import BUCKINGHAM_MODELS, load_buckingham
    from mlparams.molecules import from_smiles

    species = from_smiles(args.smiles)
    charges = parametrize(species).charges
    print(f"molecule {species.smiles}: {species.n_atoms} atoms, charges {CHARGE_MODEL}, "
          f"net {round(sum(charges), 6) + 0.0:+.6f} e")
    print("E(r) = A*exp(-r/B) - C/r^6   [A kJ/mol, B nm, C kJ/mol*nm^6]")
    for name in BUCKINGHAM_MODELS:
        try:
            model = load_buckingham(name)
            consts = model.predict_many(species.elements, charges)
        except MlparamsError as exc:
            print(f"\nmodel {name}: {exc}")
            continue
        print(f"\nmodel {name} ({_model_score(model)}; mixing {model.mixing_rule})")
        print(f"{'atom':>4} {'el':>2} {'charge/e':>9} {'A/kJ mol-1':>12} {'B/nm':>10} {'C/kJ mol-1 nm6':>15}")
        for i, c in enumerate(consts):
            print(f"{i:>4} {c.element:>2} {c.charge:>9.4f} {c.A_kJ_per_mol:>12.5g} {c.B_nm:>10.5f} {c.C_kJ_per_mol_nm6:>15.4e}")
        _print_pair_energies(consts, model.mixing_rule)
    return 0


DEMO_DISTANCES_NM = (0.15, 0.20, 0.25, 0.30, 0.35)


def _model_score(model) -> str:
    m = model.metrics
    if "validation" in m:
        what = (f"fitted to dimers and {len(m['training_liquids'])} liquids' pressures" if "training_liquids" in m
                else "fitted to dimers")
        return f"{what}, route {m['route']}; S22 RMSE {m['validation']['S22']['neutral']['RMSE']:.2f} kcal/mol"
    return "test R2 A/B/C = " + "/".join(f"{v:.3f}" for v in m.get("test_r2", {}).values())


def _print_pair_energies(consts, rule: str = "geometric") -> None:
    """Exp-6 energy (kJ/mol, no Coulomb) of the first atom pair of each element pair, the model's mixing."""
    from mlparams.forms.buckingham import energy, mix_constants

    first = {}
    for i, c in enumerate(consts):
        first.setdefault(c.element, i)
    order = sorted(first, key=first.get)
    print(f"exp-6 pair energy / kJ mol-1 ({rule} mixing) at r = "
          + ", ".join(f"{r:.2f}" for r in DEMO_DISTANCES_NM) + " nm")
    for a_i, a in enumerate(order):
        for b in order[a_i:]:
            pair = mix_constants(consts[first[a]], consts[first[b]], rule)
            values = energy(DEMO_DISTANCES_NM, pair.A_kJ_per_mol, pair.B_nm, pair.C_kJ_per_mol_nm6)
            print(f"  {a:>2}{first[a]}-{b}{first[b]:<3}" + " ".join(f"{v:>11.4g}" for v in values))


def cmd_predict(args) -> int:
    from mlparams.models.registry import load_buckingham

    model = load_buckingham(args.model)
    c = model.predict(args.element, args.charge)
    record = c.as_dict()
    record["in_training_set"] = model.in_training_set(c.element)
    record["form"] = "A*exp(-r/B) - C/r^6"
    if args.json:
        print(json.dumps(record))
    else:
        for k, v in record.items():
            print(f"{k}: {v}")
    return 0


def cmd_fit(args) -> int:
    from mlparams.elements import features
    from mlparams.models.buckingham_labels import fit_configurations
    from mlparams.models.buckingham_paper import reproduction_of_published_fits
    from mlparams.models.seed_scans import read_scan_table
    from mlparams.plotting import clustering_figure

    out = Path(args.out)
    n_total = read_scan_table(args.scans)["source_file"].nunique()
    bar, progress = _progress(n_total, f"fitting {args.target} scans", args.quiet)
    table, report = fit_configurations(args.target, scans_path=args.scans, progress=progress)
    if bar:
        bar.close()
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"buckingham_fits_{args.target}.csv"
    with replacing(csv_path) as tmp:
        table.to_csv(tmp, index=False)
    summary = {
        "target": args.target,
        "cleaning": report.lines(),
        "configurations": int(len(table)),
        "r2_ge_0.90_before_clustering": int((table["r2"] >= 0.9).sum()),
        "r2_ge_0.90_after_clustering": int((table["r2_clustered"] >= 0.9).sum()),
        "median_r2_before": float(table["r2"].median()),
        "median_r2_after": float(table["r2_clustered"].median()),
    }
    if args.target == "lal2023":
        summary["reproduction_of_published_fits"] = reproduction_of_published_fits(table)
    z = [features(s).atomic_number for s in table["symbol"]]
    png = clustering_figure(
        table, z, f"Buckingham constants per (element, charge), target '{args.target}'",
        out / f"buckingham_clustering_{args.target}.png",
    )
    summary_path = out / f"buckingham_fits_{args.target}.json"
    write_json(summary_path, summary)
    print("\n".join(report.lines()))
    print(f"{summary['configurations']} configurations; R2 >= 0.90: {summary['r2_ge_0.90_before_clustering']} before, "
          f"{summary['r2_ge_0.90_after_clustering']} after clustering")
    if "reproduction_of_published_fits" in summary:
        print("reproduction of the published fits:", json.dumps(summary["reproduction_of_published_fits"]))
    print(f"wrote {csv_path}, {summary_path}, {png}")
    return 0


def cmd_train(args) -> int:
    from mlparams.models.buckingham_rf import MODELS, model_dir, save_model, train

    out = Path(args.out) if args.out else model_dir()
    names = list(MODELS) if args.model == "all" else [args.model]
    for name in names:
        if not args.quiet:
            print(f"training {name} ...", file=sys.stderr)
        model, metrics = train(name, n_jobs=args.jobs)
        paths = save_model(model, out)
        if args.plots:
            from mlparams.models.buckingham_rf import TARGET_NAMES, test_split
            from mlparams.plotting import parity_figure

            X_test, y_test = test_split(name)
            y_pred = np.array([[c.A_kJ_per_mol, c.B_nm, c.C_kJ_per_mol_nm6] for c in model.predict_rows(X_test)])
            png = parity_figure(y_test, y_pred, TARGET_NAMES, f"{name}: held-out test set ({len(y_test)} configurations)",
                                Path(args.plots) / f"{name}_test_parity.png")
            print(f"  wrote {png}")
        r2 = metrics["test_r2"]
        print(f"{name}: test R2 A={r2['A_kJ_per_mol']:.4f} B={r2['B_nm']:.4f} C={r2['C_kJ_per_mol_nm6']:.4f} "
              f"(mean {metrics['test_r2_mean']:.4f}; paper {metrics['paper_test_r2']:.2f}); "
              f"{metrics['n_train']} train / {metrics['n_test']} test; {metrics['seconds_total']:.1f} s")
        print(f"  wrote {paths[0]} and {paths[1]}")
    return 0


def cmd_train_dimers(args) -> int:
    """Fit the dimer-trained exp-6 model (both routes, both mixing rules), keep the best, write it and its report."""
    from mlparams.models import buckingham_dimers as bd
    from mlparams.models.buckingham_rf import model_dir

    model, comparison = bd.train(steps=args.steps, progress=not args.quiet)
    path = bd.save_model(model, Path(args.out) if args.out else model_dir())
    if args.report:
        from mlparams.models.buckingham_dimer_report import write_report

        for p in write_report(model, Path(args.report)):
            print(f"wrote {p}")
    for row in comparison:
        print(f"{row['route']:>3}/{row['mixing_rule']:<12} held-out RMSE {row['holdout']['RMSE']:.3f} kcal/mol "
              f"(train {row['train']['RMSE']:.3f}; {row['seconds']} s)")
    v = model.metrics["validation"]
    print(f"chosen: {model.route}/{model.mixing_rule}; S22 RMSE {v['S22']['neutral']['RMSE']:.3f}, "
          f"S22by7 {v['S22by7']['neutral']['RMSE']:.3f}, JSCH {v['JSCH']['neutral']['RMSE']:.3f} kcal/mol")
    print(f"wrote {path} and {path.with_suffix('.json')}")
    return 0


def cmd_sample_liquids(args) -> int:
    """NVT frames of liquids at their experimental density and their pressure terms, for train-liquids."""
    from mlparams.models.liquid_pressure import sample_liquids

    results = sample_liquids(args.liquids, args.model, args.out, profile=args.profile, sample_ps=args.sample_ps,
                             jobs=args.jobs, progress=not args.quiet, density_from=args.density_from)
    failed = [r for r in results if r["status"] != "ok"]
    for r in failed:
        print(f"{r['name']}: {r['status']}", file=sys.stderr)
    print(f"{len(results) - len(failed)} liquid(s) sampled into {args.out}; {len(failed)} failed")
    return 1 if failed else 0


def cmd_train_liquids(args) -> int:
    """Fit exp-6 constants to the training dimers and the training liquids' pressures; write model and report."""
    from mlparams.benchmarking import envelope
    from mlparams.models import buckingham_dimers as bd
    from mlparams.models import buckingham_liquids as bl
    from mlparams.models.buckingham_rf import model_dir

    weight = bl.LIQUID_WEIGHT if args.liquid_weight is None else args.liquid_weight
    model = bl.train(args.frames, steps=args.steps, liquid_weight=weight, holdout=not args.no_holdout,
                     progress=not args.quiet, init_path=args.init, lr=args.lr, reweight=args.reweight,
                     wall_weight=bl.WALL_WEIGHT if args.wall_weight is None else args.wall_weight,
                     liquids=args.liquids, set_balance=args.set_balance)
    path = bd.save_model(model, Path(args.out) if args.out else model_dir())
    record = envelope(model.metrics, "train-liquids")
    m = record["machine"]
    text = bl.summary_markdown(model.metrics, record["date_utc"], f"{m['cpu']}, {m['cores_available']} cores")
    if args.report:
        report = Path(args.report)
        write_json(report / "metrics.json", record)
        write_text(report / "summary.md", text)
        print(f"wrote {report / 'summary.md'} and {report / 'metrics.json'}")
    print(text)
    print(f"wrote {path} and {path.with_suffix('.json')}")
    return 0


def cmd_fit_gaff2_prior(args) -> int:
    """Fit the exp-6 network to imitate GAFF2's Lennard-Jones (model buckingham-gaff2); write model and metrics."""
    from mlparams.benchmarking import envelope
    from mlparams.models import buckingham_dimers as bd
    from mlparams.models.gaff2_prior import fit

    model = fit(steps=args.steps, progress=not args.quiet)
    path = bd.save_model(model, Path(args.out))
    write_json(Path(args.out) / "metrics.json", envelope(model.metrics, "fit-gaff2-prior"))
    m, v = model.metrics, model.metrics["validation"]
    ce = m["curve_error_kJ_mol"]
    print(f"pair curves against GAFF2's LJ ({m['prior_pairs']} pairs of {m['prior_atoms']} atom types), RMS kJ/mol: "
          f"{ce['E_LJ_below_1']:.2f} where E_LJ < 1 kJ/mol, {ce['E_LJ_1_to_8']:.2f} from 1 to 8 kJ/mol")
    print(f"E_int RMSE, kcal/mol: training {m['training']['neutral']['RMSE']:.2f}, S22 {v['S22']['neutral']['RMSE']:.2f}, "
          f"JSCH {v['JSCH']['neutral']['RMSE']:.2f}")
    print(f"wrote {path}, {path.with_suffix('.json')} and {Path(args.out) / 'metrics.json'}")
    return 0


def cmd_refine_density(args) -> int:
    """Refine the dimer model's length factors against dev densities; write the model and the report."""
    from mlparams.models import buckingham_dimers as bd
    from mlparams.models.buckingham_rf import model_dir
    from mlparams.models.density_refinement import DEFAULT_STAGES, REFINED, dimer_cost, refine

    result = refine(args.out, DEFAULT_STAGES, lambda0=args.lambda0, rounds=args.rounds, tolerance_pct=args.tolerance,
                    profile=args.profile, jobs=args.jobs, progress=not args.quiet)
    model = bd.load_model_file(model_dir() / "buckingham.joblib")
    model.length_scales = {}
    chosen = result["chosen_length_scales"]
    result["dimer_cost"] = dimer_cost(model, {"before (all 1)": {}, "refined": chosen})
    # The refined factors make a model of their own, written beside the runs, not shipped: stretching C by λ⁶
    # while the engines' guard length stays 0.15 nm leaves some N/O/S pairs with a hole below 0.1 nm (tested).
    model.name = REFINED
    model.length_scales = dict(chosen)
    model.metrics["length_scale_refinement"] = result
    model.metrics["validation_refined"] = result["dimer_cost"]["refined"]
    path = bd.save_model(model, Path(args.model_out) if args.model_out else Path(args.out))
    report = Path(args.out) / "refinement.json"
    write_json(report, result)
    for h in result["history"]:
        print(f"{h['stage']} round {h['round']}: lambda {h['lambda']:.4f}, median signed density error "
              f"{h['median_signed_pct']:+.2f} % ({h['n_ok']} of {h['n_liquids']} finished)")
    for label, row in result["dimer_cost"].items():
        print(f"{label}: E_int RMSE training {row['training']:.2f}, S22 {row['S22']:.2f}, S22by7 {row['S22by7']:.2f}, "
              f"JSCH {row['JSCH']:.2f} kcal/mol")
    print("chosen length factors: " + ", ".join(f"{e} {v:.4f}" for e, v in sorted(chosen.items()))
          + f"; wrote {path} and {report}")
    return 0


def cmd_table4(args) -> int:
    from mlparams.models.buckingham_paper import table4
    from mlparams.models.registry import BUCKINGHAM_MODELS, load_buckingham

    table = table4([load_buckingham(n) for n in BUCKINGHAM_MODELS])
    text = table.to_markdown(index=False, floatfmt=".5g")
    if args.out:
        path = Path(args.out)
        write_text(path, text + "\n")
        print(f"wrote {path}")
    else:
        print(text)
    return 0


def cmd_benchmark(args) -> int:
    from mlparams.models.buckingham_benchmark import run_benchmark, write_result

    results = run_benchmark(n_batch=args.batch, n_single=args.single, jobs=args.jobs)
    path = write_result(results, Path(args.out))
    print(json.dumps(results, indent=2))
    print(f"wrote {path}")
    return 0


def cmd_export_openmm(args) -> int:
    """Write DIR/system.xml, DIR/topology.pdb (with the box) and DIR/parameters.json."""
    from mlparams.openmm_plugin.system import serialize, to_openmm
    from mlparams.systems import build_system

    species = _box_species(args)
    periodic = args.n_molecules > 1 or args.density is not None
    msys = build_system(
        [species], [args.n_molecules], args.model,
        density_g_cm3=(args.density or DEFAULT_PACKING_DENSITY) if periodic else None, seed=args.seed,
        mixing_rule=args.mixing_rule,
    )
    # The portable CustomNonbondedForce: system.xml then loads in any OpenMM script (the compiled force
    # would need mlparams' library loaded first).
    system, topology, positions = to_openmm(msys, cutoff_nm=args.cutoff, constraints=args.constraints,
                                            vdw_kernel="custom")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    serialize(system, out / "system.xml")
    _write_pdb(topology, positions, out / "topology.pdb")
    msys.parameters.write_json(out / "parameters.json")
    print(f"{species.smiles} x {args.n_molecules}: {msys.n_atoms} atoms, model {args.model}, "
          f"charges {msys.parameters.charge_model}" + (f", box {msys.box_nm[0]:.3f} nm" if periodic else ", no box"))
    print(f"wrote {out / 'system.xml'}, {out / 'topology.pdb'}, {out / 'parameters.json'}")
    return 0


DEFAULT_PACKING_DENSITY = 0.8


def parameter_summary(msys) -> dict:
    """Per-atom charges (atom order) and per-type-pair van der Waals constants of a one-species system."""
    from mlparams.parameters import FORMS

    p = msys.parameters
    table = p.pair_table()
    n = len(p.types)
    pairs = []
    for a in range(n):
        for b in range(a, n):
            values = {k: (np.asarray(v[a, b]).tolist()) for k, v in table.items()}
            pairs.append({"types": [p.types[a].name, p.types[b].name], **values})
    return {
        "smiles": msys.species[0].smiles, "model": p.model, "form": p.form, "mixing_rule": p.mixing_rule,
        "charge_model": p.charge_model,
        "elements": list(msys.species[0].elements),
        "charges": [float(q) for q in p.charges],
        "atom_types": [p.types[t].name for t in p.atom_type_index],
        "types": [{"name": t.name, "element": t.element, "mass_da": t.mass_da, "charge": t.charge, **t.vdw} for t in p.types],
        "pairs": pairs,
        "units": {"charge": "e", "mass": "Da", **FORMS[p.form].PARAMETER_UNITS},
    }


def parse_scan(text: str) -> np.ndarray:
    """Distances (nm) of a ``START,STOP,STEP`` scan, STOP included; a one-line error on anything else."""
    try:
        start, stop, step = (float(v) for v in text.split(","))
    except ValueError:
        raise MlparamsError(f"--scan {text!r} is not START,STOP,STEP in nm; give e.g. --scan 0.15,0.40,0.01") from None
    if not (0.0 < start < stop and step > 0.0):
        raise MlparamsError(f"--scan {text!r} needs 0 < START < STOP and STEP > 0 (nm); give e.g. --scan 0.15,0.40,0.01")
    return start + step * np.arange(int(np.floor((stop - start) / step + 1e-9)) + 1)


def pair_scan(parameters, r_nm: np.ndarray) -> list[dict]:
    """Each type pair's intermolecular energy along r (nm): van der Waals, bare Coulomb q_i q_j/(4πε₀ r), kJ/mol."""
    from mlparams.units import COULOMB_KJ_PER_MOL_NM

    out = []
    n = len(parameters.types)
    for a in range(n):
        for b in range(a, n):
            vdw = parameters.pair_energy(r_nm, a, b)
            coulomb = COULOMB_KJ_PER_MOL_NM * parameters.types[a].charge * parameters.types[b].charge / r_nm
            out.append({"types": [parameters.types[a].name, parameters.types[b].name],
                        "vdw_kj_mol": vdw.tolist(), "coulomb_kj_mol": coulomb.tolist()})
    return out


def cmd_params(args) -> int:
    """Charges and van der Waals constants of one molecule with a model (any model), as text or JSON; with
    --scan, each type pair's van der Waals and Coulomb energy along a distance scan."""
    from mlparams.systems import build_system

    r_nm = parse_scan(args.scan) if args.scan else None
    species = _box_species(args)
    msys = build_system([species], [1], args.model)
    summary = parameter_summary(msys)
    if r_nm is not None:
        summary["scan"] = {"r_nm": r_nm.tolist(), "pairs": pair_scan(msys.parameters, r_nm),
                           "units": {"r": "nm", "energy": "kJ/mol"}}
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    print(f"{summary['smiles']}: model {summary['model']}, form {summary['form']}, charges {summary['charge_model']}")
    for k, (el, q, t) in enumerate(zip(summary["elements"], summary["charges"], summary["atom_types"])):
        print(f"  atom {k:3d} {el:2s} q = {q:+.4f} e  type {t}")
    print(f"  {len(summary['pairs'])} type pairs; units {summary['units']}")
    for pair in summary["pairs"]:
        shown = {k: v for k, v in pair.items() if k != "types" and not isinstance(v, list)}
        print(f"  {pair['types'][0]} - {pair['types'][1]}: " + ", ".join(f"{k}={v:.4g}" for k, v in shown.items()))
    if r_nm is not None:
        print("  pair energies along r (kJ/mol): van der Waals, Coulomb q_i q_j/(4 pi eps0 r), their sum")
        for pair in summary["scan"]["pairs"]:
            print(f"  {pair['types'][0]} - {pair['types'][1]}")
            for r, v, c in zip(r_nm, pair["vdw_kj_mol"], pair["coulomb_kj_mol"]):
                print(f"    r = {r:.3f} nm  vdW {v:+11.3f}  Coulomb {c:+11.3f}  sum {v + c:+11.3f}")
    return 0


def _write_pdb(topology, positions_nm, path) -> None:
    from openmm import app, unit

    path = Path(path)
    with replacing(path) as tmp, open(tmp, "w") as fh:
        app.PDBFile.writeFile(topology, positions_nm * 10.0 * unit.angstrom, fh, keepIds=False)


def _box_species(args):
    from mlparams.molecules import load_species

    return load_species(args.molecule, template_smiles=getattr(args, "template_smiles", None))


def cmd_export_lammps(args) -> int:
    """Write DIR/data.lmp, DIR/in.lmp (NPT density run) and its companions."""
    from mlparams.lammps_inputs.writer import write_inputs
    from mlparams.systems import build_system

    species = _box_species(args)
    periodic = args.n_molecules > 1 or args.density is not None
    msys = build_system([species], [args.n_molecules], args.model,
                        density_g_cm3=(args.density or DEFAULT_PACKING_DENSITY) if periodic else None,
                        seed=args.seed, mixing_rule=args.mixing_rule)
    paths = write_inputs(msys, args.out, cutoff_nm=args.cutoff, temperature_k=args.temperature,
                         nvt_ps=args.nvt_ps, npt_ps=args.npt_ps, pair_kernel=args.pair_kernel)
    msys.parameters.write_json(Path(args.out) / "parameters.json")
    print(f"{species.smiles} x {args.n_molecules}: {msys.n_atoms} atoms, model {args.model}, "
          f"charges {msys.parameters.charge_model}" + (f", box {msys.box_nm[0]:.3f} nm" if periodic else ", gas phase"))
    print("wrote " + ", ".join(str(p) for p in paths) + f", {Path(args.out) / 'parameters.json'}")
    if periodic:
        print(f"run it: cd {args.out} && lmp -in in.lmp   (or: mpiexec -n 2 lmp -in in.lmp)")
    return 0


def cmd_compare_engines(args) -> int:
    from mlparams.systems import build_system
    from mlparams.validation.cross_engine import compare_engines

    if args.suite:
        return _compare_engines_suite(args)
    if args.molecule is None:
        raise MlparamsError("give a molecule (SMILES or file) or --suite")
    species = _box_species(args)
    periodic = args.n_molecules > 1
    msys = build_system([species], [args.n_molecules], args.model,
                        density_g_cm3=args.density if periodic else None, seed=args.seed)
    cutoff = args.cutoff
    if periodic:
        cutoff = min(cutoff, round(0.49 * float(msys.box_nm[0]), 3))
    result = compare_engines(msys, cutoff_nm=cutoff, long_range_correction=not args.no_tail)
    result["system"] = {"smiles": species.smiles, "n_molecules": args.n_molecules, "model": args.model,
                        "n_atoms": msys.n_atoms, "periodic": periodic, "cutoff_nm": cutoff,
                        "box_nm": None if not periodic else float(msys.box_nm[0])}
    if args.json:
        print(json.dumps(result))
    else:
        for term, row in result.items():
            if term in ("system", "forces"):
                continue
            print(f"{term:>9}: openmm {row['openmm']:>16.6f}  lammps {row['lammps']:>16.6f}  rel_diff {row['rel_diff']:.2e}")
        print(f"   forces: max |dF| {result['forces']['max_abs_diff_kJ_mol_nm']:.3e} kJ/mol/nm, "
              f"rel {result['forces']['rel_diff']:.2e}")
    return 0


def _compare_engines_suite(args) -> int:
    from mlparams.benchmarking import envelope
    from mlparams.validation.cross_engine import run_suite, suite_markdown

    if not args.out:
        raise MlparamsError("--suite needs --out FILE.json")
    results = run_suite(progress=lambda line: print(line, file=sys.stderr))
    path = write_json(Path(args.out), envelope(results, "cross-engine-suite"))
    table = suite_markdown(results)
    md = Path(args.out).with_suffix(".md")
    write_text(md, table + "\n")
    print(table)
    print(f"wrote {path} and {md}")
    return 0


def cmd_validate_interaction(args) -> int:
    from mlparams.validation.interaction import run

    summary = run(args.dimers, args.model, args.out, progress=not args.quiet)
    o = summary["overall"]
    if o.get("n"):
        print(f"{summary['set']} / {args.model}: {summary['n_ok']} dimers, MAE {o['MAE']:.2f}, RMSE {o['RMSE']:.2f}, "
              f"mean signed {o['MSE']:+.2f}, max {o['max_abs']:.2f} kcal/mol; {summary['n_skipped']} skipped; {summary['seconds']} s")
    else:
        print(f"{summary['set']} / {args.model}: no dimer could be evaluated; {summary['n_skipped']} skipped")
    print(f"wrote {Path(args.out) / 'interaction_results.csv'}, summary.md, summary.json, parity.png")
    return 0


def _label_folders(specs) -> dict:
    """{label: folder} from LABEL=FOLDER arguments."""
    folders = {}
    for spec in specs:
        label, sep, folder = spec.partition("=")
        if not sep:
            raise MlparamsError(f"give results as LABEL=FOLDER, e.g. gaff2=validation/results/density/openmm/gaff2; got {spec!r}")
        folders[label] = folder
    return folders


def cmd_compare_densities(args) -> int:
    from mlparams.validation.density import compare

    result = compare(_label_folders(args.results), args.out)
    for label, s in result["stats"].items():
        if s["n_common"]:
            print(f"{label}: {s['n_common']} common liquids, mean unsigned {s['mean_unsigned_rel_pct']:.2f} %, "
                  f"mean signed {s['mean_signed_rel_pct']:+.2f} %")
    print(f"wrote {Path(args.out).with_suffix('.md')} and {Path(args.out).with_suffix('.png')}")
    return 0


def cmd_drift_report(args) -> int:
    from mlparams.validation.density import drift_report

    result = drift_report(args.roots, args.out)
    for profile, c in sorted(result["counts"].items()):
        print(f"{profile}: {c['flagged']} of {c['runs']} liquid runs still drift")
    print(f"wrote {Path(args.out).with_suffix('.md')} and {Path(args.out).with_suffix('.json')}")
    return 0


def cmd_cohesion(args) -> int:
    from mlparams.validation.hvap import cohesion_report

    if args.frames < 1:
        raise MlparamsError(f"--frames {args.frames}: give at least 1 frame")
    for r in cohesion_report(args.folder, args.frames, args.out):
        print(f"{r['name']}: intermolecular Coulomb {r['coulomb']:.1f}, van der Waals {r['vdw']:.1f} kJ/mol per molecule")
    stem = Path(args.out) if args.out else Path(args.folder) / "cohesion"
    print(f"wrote {stem.with_suffix('.md')} and {stem.with_suffix('.json')}")
    return 0


def cmd_compare_rdf(args) -> int:
    from mlparams.validation.structure import compare, liquid_slug

    print(compare(_label_folders(args.results), args.liquid, args.out, args.within_nm), end="")
    slug = liquid_slug(args.liquid)
    print(f"wrote {Path(args.out) / f'rdf_{slug}.md'} and rdf_{slug}.png")
    return 0


def cmd_density_cost(args) -> int:
    from mlparams.validation.density import cost

    rows = cost(args.results, args.out)
    if not rows:
        raise MlparamsError("no finished liquids in the folders given; give folders written by mlparams validate density")
    print(Path(args.out).with_suffix(".md").read_text(), end="")
    print(f"wrote {Path(args.out).with_suffix('.md')} and {Path(args.out).with_suffix('.json')}")
    return 0


def cmd_validate_density(args) -> int:
    from mlparams.validation.density import run

    names = args.only or None  # split by the driver, which knows names with commas in them
    summary = run(args.liquids, args.model, args.engine, args.out, profile="quick" if args.quick else args.profile,
                  jobs=args.jobs, names=names, progress=not args.quiet)
    line = f"{args.engine}/{args.model}: {summary['n_ok']} of {summary['n_liquids']} liquids ok"
    if summary["n_ok"]:
        line += (f"; MAE {summary['MAE_g_cm3']:.4f} g/cm3, mean unsigned {summary['mean_unsigned_rel_pct']:.2f} %, "
                 f"mean signed {summary['mean_signed_rel_pct']:+.2f} %")
    if summary.get("n_hvap"):
        line += (f"; enthalpy of vaporisation ({summary['n_hvap']} liquids) mean unsigned "
                 f"{summary['hvap_mean_unsigned_kj_mol']:.2f} kJ/mol, signed {summary['hvap_mean_signed_kj_mol']:+.2f}")
    print(line)
    for name, why in summary["failed"].items():
        print(f"  {name}: {why}")
    for name, drift in summary["not_equilibrated"].items():
        print(f"  {name}: not equilibrated (density drifts {drift:+.1f} % across the averaged window; a bound)")
    print(f"wrote {Path(args.out) / 'density_results.csv'}, summary.md, density_parity.png, density_vs_time.png")
    return 0


def cmd_benchmark_lammps(args) -> int:
    from mlparams.lammps_inputs.benchmark import markdown_table, run_benchmark, write_result

    results = run_benchmark(n_molecules=args.n_molecules, steps=args.steps, repeats=args.repeats,
                            progress=lambda line: print(line, file=sys.stderr))
    path = write_result(results, Path(args.out))
    print(markdown_table(results))
    print(f"wrote {path}")
    return 0


def cmd_benchmark_openmm(args) -> int:
    from mlparams.openmm_plugin.benchmark import markdown_table, run_benchmark, write_result

    only = [t.strip() for t in args.only.split(",") if t.strip()] if args.only else None
    try:
        results = run_benchmark(n_molecules=args.n_molecules, steps=args.steps, threads=args.threads,
                                progress=lambda line: print(line, file=sys.stderr), only=only)
    except ValueError as exc:
        print(f"mlparams: {exc}", file=sys.stderr)
        return 2
    path = write_result(results, Path(args.out))
    print(markdown_table(results))
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from mlparams.models.buckingham_rf import MODELS
    from mlparams.models.registry import BUCKINGHAM_MODELS
    from mlparams.systems import MODELS as SYSTEM_MODELS

    parser = argparse.ArgumentParser(prog="mlparams", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="the main job on embedded defaults: Buckingham constants for ethanol's atoms")
    demo.add_argument("--smiles", default=DEMO_SMILES, help="molecule (default: ethanol, CCO)")
    demo.set_defaults(func=cmd_demo)

    buck = sub.add_parser("buckingham", help="the Buckingham exp-6 model of Lal et al. (2023)")
    bsub = buck.add_subparsers(dest="buckingham_command", required=True)

    fit = bsub.add_parser("fit", help="fit exp-6 constants to every seed QM scan, with the clustering refit")
    fit.add_argument("--target", choices=("physical", "lal2023"), default="physical",
                     help="physical: cleaned, Coulomb removed, C>=0 (default); lal2023: the authors' choices")
    fit.add_argument("--scans", default=None, help="scans CSV (default: the vendored seed data)")
    fit.add_argument("--out", required=True, help="output folder")
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    fit.set_defaults(func=cmd_fit)

    tr = bsub.add_parser("train", help="retrain the shipped random-forest models from the vendored data")
    tr.add_argument("--model", choices=(*MODELS, "all"), default="all")
    tr.add_argument("--out", default=None, help="output folder (default: the package's shipped-model folder)")
    tr.add_argument("--jobs", type=int, default=2, help="parallel jobs for the grid search (default 2)")
    tr.add_argument("--plots", default=None, help="folder for test-set parity plots (PNG); none if omitted")
    tr.add_argument("--quiet", action="store_true")
    tr.set_defaults(func=cmd_train)

    td = bsub.add_parser("train-dimers", help="fit the default exp-6 model to CCSD(T)-level dimer interaction energies")
    td.add_argument("--steps", type=int, default=1500, help="optimiser steps per fit (default 1500)")
    td.add_argument("--out", default=None, help="output folder (default: the package's shipped-model folder)")
    td.add_argument("--report", default=None, help="folder for the results report and plots (PNG)")
    td.add_argument("--quiet", action="store_true", help="no progress bars")
    td.set_defaults(func=cmd_train_dimers)

    rd = bsub.add_parser("refine-density", help="refine the dimer model's length factors against dev densities "
                                                "(C, H on n-octane and benzene; then N, O, S on water and ethanol); "
                                                "writes OUT/buckingham-refined.joblib and the dimer cost")
    rd.add_argument("--out", required=True, help="folder for the rounds' density runs and refinement.json (a rerun resumes)")
    rd.add_argument("--lambda0", type=_float_arg, default=1.0, help="starting length factor of each stage (default 1.0)")
    rd.add_argument("--rounds", type=int, default=3, help="at most this many rounds per stage (default 3)")
    rd.add_argument("--tolerance", type=_float_arg, default=1.0, help="stop within this median signed error, %% (default 1)")
    rd.add_argument("--profile", choices=("default", "screen", "quick"), default="screen")
    rd.add_argument("--jobs", type=int, default=None, help="liquids in parallel (default: one per core)")
    rd.add_argument("--model-out", default=None, help="folder for the refined model (default: OUT)")
    rd.add_argument("--quiet", action="store_true")
    rd.set_defaults(func=cmd_refine_density)

    gp = bsub.add_parser("fit-gaff2-prior", help="fit the exp-6 network to imitate GAFF2's Lennard-Jones per element "
                                                 "and charge (model buckingham-gaff2: a start for train-liquids)")
    gp.add_argument("--out", required=True, help="folder for buckingham-gaff2.joblib and metrics.json")
    gp.add_argument("--steps", type=int, default=3000, help="optimiser steps (default 3000)")
    gp.add_argument("--quiet", action="store_true")
    gp.set_defaults(func=cmd_fit_gaff2_prior)

    sl = bsub.add_parser("sample-liquids", help="NVT frames of dev liquids at their experimental density, with "
                                                "the pressure terms train-liquids fits to (a rerun resumes)")
    sl.add_argument("--liquids", default="train", help="names separated by commas, where 'train' stands for the "
                                                       "training liquids and 'dev' for all (default train)")
    sl.add_argument("--model", choices=SYSTEM_MODELS, default="gaff2", help="model that samples the frames (default gaff2)")
    sl.add_argument("--out", required=True, help="folder for each liquid's <name>.json.gz and <name>.per_frame.npz")
    sl.add_argument("--profile", choices=("screen", "medium", "default"), default="screen",
                    help="box size and cutoff of the density driver's profile (default screen)")
    sl.add_argument("--sample-ps", type=_float_arg, default=40.0, help="sampled NVT time per liquid (default 40 ps)")
    sl.add_argument("--jobs", type=int, default=None, help="liquids in parallel (default: one per core)")
    sl.add_argument("--density-from", default=None, metavar="CSV",
                    help="sample each liquid at the density a density run of the same model found (its "
                         "density_results.csv) instead of the experimental one; the frames then ask for the pressure "
                         "that moves the model toward experiment (LiquidFrames.target_bar)")
    sl.add_argument("--quiet", action="store_true")
    sl.set_defaults(func=cmd_sample_liquids)

    tl = bsub.add_parser("train-liquids", help="fit exp-6 constants to dimer energies and liquid pressures "
                                               "together (model buckingham-liquids)")
    tl.add_argument("--frames", required=True, help="folder written by sample-liquids")
    tl.add_argument("--liquids", default="train", help="liquids whose frames are fitted, as in sample-liquids, "
                                                       "e.g. 'train,nitromethane' (default train)")
    tl.add_argument("--liquid-weight", type=_float_arg, default=None,
                    help="weight of the pressure term per (100 bar)^2 (default: the module's LIQUID_WEIGHT)")
    tl.add_argument("--steps", type=int, default=1500, help="optimiser steps per fit (default 1500)")
    tl.add_argument("--no-holdout", action="store_true", help="skip the fit that scores held-out dimer groups")
    tl.add_argument("--init", default=None, help="model file to start from (a later round: frames sampled with it)")
    tl.add_argument("--lr", type=_float_arg, default=0.01, help="Adam's initial learning rate (default 0.01)")
    tl.add_argument("--wall-weight", type=_float_arg, default=None,
                    help="weight of the short-range wall penalty (default: the module's WALL_WEIGHT, 10)")
    tl.add_argument("--set-balance", type=_float_arg, default=None,
                    help="dimer sets weighted by n_set^(1 - balance): 0 every dimer alike (default), 1 every set alike")
    tl.add_argument("--reweight", action="store_true", help="reweight the frames (sampled with the --init model) "
                                                            "instead of holding them fixed")
    tl.add_argument("--out", default=None, help="folder for the model (default: the package's shipped-model folder)")
    tl.add_argument("--report", default=None, help="folder for summary.md")
    tl.add_argument("--quiet", action="store_true")
    tl.set_defaults(func=cmd_train_liquids)

    pr = bsub.add_parser("predict", help="constants for one element and partial charge")
    pr.add_argument("--element", required=True, help="symbol or name, e.g. O or Oxygen")
    pr.add_argument("--charge", required=True, type=_float_arg, help="partial charge in e")
    pr.add_argument("--model", choices=BUCKINGHAM_MODELS, default="buckingham")
    pr.add_argument("--json", action="store_true", help="print one JSON object")
    pr.set_defaults(func=cmd_predict)

    t4 = bsub.add_parser("table4", help="the paper's Table 4 atoms: reference constants and every model")
    t4.add_argument("--out", default=None, help="markdown file to write (default: print)")
    t4.set_defaults(func=cmd_table4)

    export = sub.add_parser("export", help="write engine inputs for a molecule or a liquid box")
    esub = export.add_subparsers(dest="engine", required=True)
    eo = esub.add_parser("openmm", help="OpenMM System XML, PDB topology with box, parameters JSON")
    _add_system_args(eo)
    eo.add_argument("--constraints", choices=("HBonds",), default=None, help="constrain bonds to hydrogen")
    eo.set_defaults(func=cmd_export_openmm)

    el = esub.add_parser("lammps", help="LAMMPS data file and decks (units real): in.lmp is the NPT density run")
    _add_system_args(el)
    el.add_argument("--temperature", type=float, default=298.15, help="K")
    el.add_argument("--nvt-ps", type=float, default=10.0, help="NVT equilibration in the NPT deck (ps)")
    el.add_argument("--npt-ps", type=float, default=100.0, help="NPT run length (ps)")
    el.add_argument("--pair-kernel", choices=("auto", "compiled", "portable"), default="auto",
                    help="Buckingham boxes: mlparams' compiled pair style (a plugin copied beside the deck, this "
                         "machine only; auto = when built) or LAMMPS's buck/coul/long + guard table (portable)")
    el.set_defaults(func=cmd_export_lammps)

    ce = sub.add_parser("compare-engines", help="OpenMM vs LAMMPS energies per term on the same coordinates")
    ce.add_argument("molecule", nargs="?", default=None, help="SMILES or molecule file")
    ce.add_argument("--suite", action="store_true", help="water, ethanol, EC boxes and a gas-phase molecule, every model")
    ce.add_argument("--out", default=None, help="with --suite: JSON file (a markdown table is written beside it)")
    ce.add_argument("--model", choices=SYSTEM_MODELS, default="buckingham")
    ce.add_argument("--n-molecules", type=int, default=20, help="1 = one molecule in the gas phase")
    ce.add_argument("--density", type=float, default=DEFAULT_PACKING_DENSITY, help="packing density, g/cm3")
    ce.add_argument("--cutoff", type=float, default=0.9, help="nm; lowered to 0.49 x box edge for small boxes")
    ce.add_argument("--no-tail", action="store_true", help="switch off both engines' long-range corrections")
    ce.add_argument("--seed", type=int, default=1)
    ce.add_argument("--json", action="store_true", help="one JSON object")
    ce.set_defaults(func=cmd_compare_engines)

    val = sub.add_parser("validate", help="validation drivers")
    vsub = val.add_subparsers(dest="what", required=True)
    vi = vsub.add_parser("interaction", help="dimer interaction energies against CCSD(T)-level references")
    vi.add_argument("--dimers", required=True, help="folder of extended-XYZ dimers, or s22 / basepairs / jsch")
    vi.add_argument("--model", choices=SYSTEM_MODELS, default="buckingham")
    vi.add_argument("--out", required=True, help="output folder")
    vi.add_argument("--quiet", action="store_true", help="no progress bar")
    vi.set_defaults(func=cmd_validate_interaction)

    vd = vsub.add_parser("density", help="NPT liquid densities against experiment")
    vd.add_argument("--liquids", default="dev", help="CSV (name, smiles, T_K, P_kPa, density_g_cm3) or 'dev' (41 liquids)")
    vd.add_argument("--model", choices=SYSTEM_MODELS, default="buckingham")
    vd.add_argument("--engine", choices=("openmm", "lammps"), default="openmm")
    vd.add_argument("--out", required=True, help="output folder (reruns resume there)")
    vd.add_argument("--profile", choices=("default", "medium", "screen", "quick"), default="default",
                    help="default: 2500 atoms, 250 ps NPT; medium: 1000 atoms, 100 ps NPT; screen: 600 atoms, "
                         "50 ps NPT (many liquids, coarser); quick: tiny boxes for CI")
    vd.add_argument("--quick", action="store_true", help="the same as --profile quick: not for real numbers")
    vd.add_argument("--only", default=None, help="comma-separated liquid names to run")
    vd.add_argument("--jobs", type=int, default=None, help="liquids in parallel (default: one per core)")
    vd.add_argument("--quiet", action="store_true")
    vd.set_defaults(func=cmd_validate_density)

    vc = vsub.add_parser("compare-densities", help="set density results of several models side by side")
    vc.add_argument("results", nargs="+", help="LABEL=FOLDER of a density run, e.g. gaff2=DIR; FOLDER may join "
                                               "several with + (one model run into two folders)")
    vc.add_argument("--out", required=True, help="output stem: writes OUT.md and OUT.png")
    vc.set_defaults(func=cmd_compare_densities)
    vt = vsub.add_parser("drift-report", help="the drift check over every density run folder under some folders")
    vt.add_argument("roots", nargs="+", help="folders to search for density runs (series/ beside summary.json)")
    vt.add_argument("--out", required=True, help="output stem: writes OUT.md and OUT.json")
    vt.set_defaults(func=cmd_drift_report)
    vh = vsub.add_parser("cohesion", help="intermolecular Coulomb and van der Waals energy per molecule of a density "
                                          "run's liquids, from their trajectories (what their enthalpy of vaporisation is made of)")
    vh.add_argument("folder", help="a folder 'mlparams validate density' wrote, its work/ trajectories still there")
    vh.add_argument("--frames", type=int, default=10, help="frames over the trajectory's second half (default 10)")
    vh.add_argument("--out", default=None, help="output stem (default FOLDER/cohesion): writes OUT.md and OUT.json")
    vh.set_defaults(func=cmd_cohesion)
    vr = vsub.add_parser("compare-rdf", help="one liquid's intermolecular g(r) from several density runs, with "
                                             "first-shell peaks and coordination numbers")
    vr.add_argument("results", nargs="+", help="LABEL=FOLDER of a density run that holds rdf/<liquid>.csv")
    vr.add_argument("--liquid", required=True, help="liquid name, e.g. water")
    vr.add_argument("--within-nm", type=float, default=None,
                    help="also the coordination number within this radius (nm), e.g. 0.336 for water's O-O")
    vr.add_argument("--out", required=True, help="folder: writes rdf_<liquid>.md and rdf_<liquid>.png")
    vr.set_defaults(func=cmd_compare_rdf)
    vk = vsub.add_parser("density-cost", help="minutes per liquid and error reached, from density result folders")
    vk.add_argument("results", nargs="+", help="folders written by validate density")
    vk.add_argument("--out", required=True, help="output stem: writes OUT.md and OUT.json")
    vk.set_defaults(func=cmd_density_cost)

    pp = sub.add_parser("params", help="per-atom charges and per-type-pair van der Waals constants of a molecule")
    pp.add_argument("molecule", help="SMILES or a .sdf/.mol/.mol2/.pdb file")
    pp.add_argument("--model", choices=SYSTEM_MODELS, default="gnn")
    pp.add_argument("--template-smiles", default=None, help="bond orders for a PDB input")
    pp.add_argument("--json", action="store_true", help="print JSON: charges (atom order), types, pairs, units")
    pp.add_argument("--scan", default=None, metavar="START,STOP,STEP",
                    help="also each type pair's van der Waals and Coulomb energy at these distances (nm)")
    pp.set_defaults(func=cmd_params)

    from mlparams.gnn.commands import add_parser as add_gnn_parser

    add_gnn_parser(sub)

    from mlparams.pes.commands import add_parser as add_pes_parser

    add_pes_parser(sub)

    from mlparams.diffusion.commands import add_parser as add_diffusion_parser

    add_diffusion_parser(sub)

    benchmark = sub.add_parser("benchmark", help="engine speed benchmarks, written to JSON")
    bsub2 = benchmark.add_subparsers(dest="benchmark_engine", required=True)
    bo = bsub2.add_parser("openmm", help="ns/day: Buckingham and LJ + Gaussian force variants vs GAFF2 LJ, ethanol box")
    bo.add_argument("--out", required=True, help="result file (JSON)")
    bo.add_argument("--n-molecules", type=int, default=250)
    bo.add_argument("--steps", type=int, default=1000)
    bo.add_argument("--threads", type=int, default=2)
    bo.add_argument("--only", default=None, metavar="TEXT[,TEXT...]",
                    help="run only the variants whose label contains one of these texts (GAFF2, the reference, "
                         "always runs); default: all")
    bo.set_defaults(func=cmd_benchmark_openmm)
    bl = bsub2.add_parser("lammps", help="timesteps/s: mlparams/buck/coul/long, buck/coul/long and LJ + Gaussian tables vs lj/cut/coul/long, 1 and 2 ranks, OPENMP")
    bl.add_argument("--out", required=True, help="result file (JSON)")
    bl.add_argument("--n-molecules", type=int, default=250)
    bl.add_argument("--steps", type=int, default=1000, help="timed steps per run")
    bl.add_argument("--repeats", type=int, default=3, help="interleaved rounds; the median is reported")
    bl.set_defaults(func=cmd_benchmark_lammps)

    bench = bsub.add_parser("benchmark", help="training time and prediction throughput, written to a JSON file")
    bench.add_argument("--out", required=True, help="result file (JSON)")
    bench.add_argument("--batch", type=int, default=100_000, help="atoms in the batched prediction")
    bench.add_argument("--single", type=int, default=2_000, help="single predictions timed")
    bench.add_argument("--jobs", type=int, default=2)
    bench.set_defaults(func=cmd_benchmark)
    return parser


def _add_system_args(parser) -> None:
    """Arguments shared by the export commands: molecule, model, box and output."""
    from mlparams.systems import MODELS as SYSTEM_MODELS

    parser.add_argument("molecule", help="SMILES, or an .sdf/.mol/.mol2/.pdb file with hydrogens")
    parser.add_argument("--model", choices=SYSTEM_MODELS, default="buckingham")
    parser.add_argument("--n-molecules", type=int, default=1, help="copies; more than 1 packs a periodic box")
    parser.add_argument("--density", type=float, default=None,
                        help=f"packing density in g/cm3 (default {DEFAULT_PACKING_DENSITY} for boxes)")
    parser.add_argument("--cutoff", type=float, default=0.9, help="nonbonded cutoff in nm (default 0.9)")
    parser.add_argument("--mixing-rule", choices=("geometric", "arithmetic-b"), default=None)
    parser.add_argument("--template-smiles", default=None, help="bond orders for a PDB input")
    parser.add_argument("--seed", type=int, default=1, help="packmol seed")
    parser.add_argument("--out", required=True, help="output folder")


def _float_arg(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give the charge in e, e.g. -0.711") from None


def _version() -> str:
    from mlparams import __version__

    return f"mlparams {__version__}"


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MlparamsError as exc:
        print(f"mlparams: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mlparams: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. head, which closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
