"""Contact dimers cut from a model's liquid, and their counterpoise-corrected DFT labels (mlparams.liquid_dimers)."""

import json

import numpy as np
import pytest

from mlparams import liquid_dimers as ld
from mlparams.atomic_files import write_text
from mlparams.dimers import read_dimers


def _brute_contacts(x, box, molecule, contact):
    """{(a, b): closest atom-atom distance} of molecule pairs within ``contact`` by an O(N²) minimum-image loop."""
    out = {}
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            a, b = molecule[i], molecule[j]
            if a == b:
                continue
            d = x[i] - x[j]
            r = np.linalg.norm(d - box * np.round(d / box))
            key = (min(a, b), max(a, b))
            if r < contact and r < out.get(key, np.inf):
                out[key] = r
    return out


def test_contact_pairs_match_a_brute_force_minimum_image_search():
    rng = np.random.default_rng(3)
    box = np.array([1.3, 1.1, 1.2])
    centres = rng.random((40, 3)) * box
    x = np.repeat(centres, 3, axis=0) + 0.08 * rng.standard_normal((120, 3))
    x[::7] += box * rng.integers(-2, 3, (len(x[::7]), 3))  # unwrapped atoms far outside the box
    molecule = np.repeat(np.arange(40), 3)
    a, b, i, j, r = ld.contact_pairs(x, box, molecule, 0.25)
    expected = _brute_contacts(x, box, molecule, 0.25)
    assert len(expected) > 20
    assert {(int(p), int(q)): float(s) for p, q, s in zip(a, b, r)} == pytest.approx(expected, abs=1e-12)
    assert np.all(np.diff(r) >= 0) and np.all(molecule[i] == a) and np.all(molecule[j] == b)
    xyz = ld.dimer_coordinates(x, box, molecule, a[0], b[0], i[0], j[0])
    na = 3
    # the contact distance is realised in the cut dimer, and each molecule keeps its shape
    assert np.linalg.norm(xyz[:na, None] - xyz[None, na:], axis=2).min() == pytest.approx(r[0], abs=1e-12)
    np.testing.assert_allclose(xyz[na:] - xyz[na], x[molecule == b[0]] - x[molecule == b[0]][0], atol=1e-12)


def _h2_dimer(separation_angstrom):
    return ["H", "H", "H", "H"], np.array([[0, 0, 0], [0.74, 0, 0], [0, 0, separation_angstrom],
                                          [0.2, 0.7, separation_angstrom]], float)


def test_counterpoise_energy_is_symmetric_and_vanishes_apart():
    """E_int of H2···H2 (PySCF, small basis): the same with A and B swapped, repulsive at 1.6 Å, ~0 at 12 Å."""
    sym, x = _h2_dimer(1.6)
    e = ld.interaction_energy_kcal(sym, x, 2, basis="sto-3g")
    e_swapped = ld.interaction_energy_kcal(sym[2:] + sym[:2], np.vstack([x[2:], x[:2]]), 2, basis="sto-3g")
    assert e == pytest.approx(e_swapped, abs=1e-6) and e > 0.5
    sym, x = _h2_dimer(12.0)
    assert abs(ld.interaction_energy_kcal(sym, x, 2, basis="sto-3g")) < 0.01


def test_labelling_resumes_and_one_failure_keeps_the_others(tmp_path, monkeypatch):
    dimers = []
    for k, sep in enumerate((1.8, 2.2, 2.6)):
        sym, x = _h2_dimer(sep)
        dimers.append({"name": f"h2-{k}", "symbols": sym, "coords_angstrom": x, "n_a": 2, "r_min_nm": sep / 10,
                       "liquid": "hydrogen", "model": "test", "density_g_cm3": 0.07})
    write_text(tmp_path / ld.UNLABELLED, "".join(ld.dimer_text(d) for d in dimers))
    assert [d["name"] for d in ld.read_cut(tmp_path / ld.UNLABELLED)] == ["h2-0", "h2-1", "h2-2"]
    calls = []
    real = ld.interaction_energy_kcal

    def flaky(symbols, coords, n_a, basis):
        calls.append(float(coords[2, 2]))
        if coords[2, 2] == 2.2:
            raise RuntimeError("SCF blew up")
        return real(symbols, coords, n_a, "sto-3g")

    monkeypatch.setattr(ld, "interaction_energy_kcal", flaky)
    result = ld.label_dimers(tmp_path, progress=False)
    assert result["labelled"] == 2 and result["failed"] == 1
    assert "SCF blew up" in json.loads((tmp_path / ld.FAILURES).read_text())["h2-1"]
    labelled = list(read_dimers(tmp_path / ld.LABELLED))  # one file per dimer, sorted by name
    assert [d.info["name"] for d in labelled] == ["h2-0", "h2-2"]
    assert labelled[0].reference_kcal_mol == pytest.approx(real(*_h2_dimer(1.8), 2, "sto-3g"), abs=1e-3)
    assert labelled[0].info["reference"] == ld.LEVEL_OF_THEORY
    calls.clear()
    monkeypatch.setattr(ld, "interaction_energy_kcal", lambda s, c, n, b: real(s, c, n, "sto-3g"))
    result = ld.label_dimers(tmp_path, progress=False)
    assert result["labelled"] == 3 and result["failed"] == 0 and not calls  # only the failed one was redone
    assert json.loads((tmp_path / ld.FAILURES).read_text()) == {}


def test_cut_dimers_are_contacts_of_the_models_liquid(tmp_path):
    """NVT of water (GAFF2, screen box): every cut dimer is two whole waters whose closest atoms sit at the
    recorded distance, within the contact distance; the file reads back through the dimer reader."""
    from mlparams.validation.density import read_liquids

    row = next(r for r in read_liquids("dev") if r["name"] == "water")
    dimers = ld.cut_dimers(row, "gaff2", None, n_frames=2, per_frame=3, every_ps=0.1, equilibrate_ps=0.2,
                           threads=1, progress=False)
    assert len(dimers) == 6
    for d in dimers:
        x = d["coords_angstrom"]
        assert d["symbols"] == ["O", "H", "H", "O", "H", "H"] and d["n_a"] == 3
        assert np.linalg.norm(x[:3, None] - x[None, 3:], axis=2).min() == pytest.approx(10 * d["r_min_nm"], abs=1e-6)
        assert d["r_min_nm"] < ld.CONTACT_NM
        for m in (x[:3], x[3:]):  # each water whole: both O-H bonds near 0.97 Å (GAFF2 ow-hw, constrained)
            assert np.linalg.norm(m[1:] - m[0], axis=1) == pytest.approx([0.97, 0.97], abs=0.02)
    frame0 = [d["r_min_nm"] for d in dimers[:3]]
    assert frame0[0] == min(frame0)  # the closest pair of the frame comes first
    write_text(tmp_path / ld.UNLABELLED, "".join(ld.dimer_text(d) for d in dimers))
    back = ld.read_cut(tmp_path / ld.UNLABELLED)
    np.testing.assert_allclose(back[4]["coords_angstrom"], dimers[4]["coords_angstrom"], atol=1e-6)
    # the shell beyond the contacts: only pairs whose closest atoms lie between 0.30 and 0.50 nm, still whole waters
    shell = ld.cut_dimers(row, "gaff2", None, n_frames=2, per_frame=3, every_ps=0.1, equilibrate_ps=0.2,
                          threads=1, progress=False, contact_nm=0.50, min_contact_nm=0.30)
    assert len(shell) == 6
    for d in shell:
        x = d["coords_angstrom"]
        assert 0.30 <= d["r_min_nm"] < 0.50
        assert np.linalg.norm(x[:3, None] - x[None, 3:], axis=2).min() == pytest.approx(10 * d["r_min_nm"], abs=1e-6)


def test_error_table_bins_by_closest_contact(tmp_path):
    """The table's bins, means and RMSE from an interaction_results.csv, against hand-computed values."""
    folder = tmp_path / ld.LABELLED
    rows = []
    for k, (r_min, ref, err) in enumerate(((0.15, 4.0, -3.0), (0.16, 2.0, -1.0), (0.23, -1.0, 0.5), (0.35, -0.5, -0.2))):
        sym, x = _h2_dimer(10 * r_min)
        d = {"name": f"w-{k}", "symbols": sym, "coords_angstrom": x, "n_a": 2, "r_min_nm": r_min, "liquid": "water",
             "model": "test", "density_g_cm3": 1.0}
        write_text(folder / f"w-{k}.xyz", ld.dimer_text(d, ref))
        rows.append(f"liquid_dimers,,w-{k},other,w-{k}.xyz,{ref},{ref + err},{err},0,0,ok")
    csv = tmp_path / "interaction_results.csv"
    csv.write_text("set,index,name,kind,file,E_ref,E_model,error,E_elec,E_vdw,status\n" + "\n".join(rows) + "\n")
    table = ld.error_table(folder, {"m": csv}).splitlines()
    assert table[2] == "| m | 0.00–0.17 | 2 | +3.00 | -2.00 | 2.24 |"
    assert table[3] == "| m | 0.21–0.25 | 1 | -1.00 | +0.50 | 0.50 |"
    assert table[4] == "| m | 0.30–0.40 | 1 | -0.50 | -0.20 | 0.20 |"
    assert table[5] == f"| m | all | 4 | +1.12 | -0.93 | {np.sqrt((9 + 1 + 0.25 + 0.04) / 4):.2f} |"


def test_cli_refuses_a_shell_that_ends_before_it_starts(run_cli, tmp_path):
    """--min-contact-nm at or beyond --contact-nm: one line naming both and the fix, exit 2, nothing written."""
    proc = run_cli("gnn", "liquid-dimers", "--liquids", "water", "--min-contact-nm", "0.5", "--contact-nm", "0.4",
                   "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "--min-contact-nm 0.5 and --contact-nm 0.4" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_labelling_two_at_a_time_gives_the_same_labels(tmp_path):
    """--jobs 2 (a process pool, the cores shared) labels every dimer as one at a time does."""
    labels = {}
    for jobs in (1, 2):
        folder = tmp_path / f"jobs{jobs}"
        dimers = [{"name": f"h2-{k}", "symbols": _h2_dimer(sep)[0], "coords_angstrom": _h2_dimer(sep)[1], "n_a": 2,
                   "r_min_nm": sep / 10, "liquid": "hydrogen", "model": "test", "density_g_cm3": 0.07}
                  for k, sep in enumerate((1.8, 2.2, 2.6))]
        write_text(folder / ld.UNLABELLED, "".join(ld.dimer_text(d) for d in dimers))
        assert ld.label_dimers(folder, basis="sto-3g", progress=False, jobs=jobs)["labelled"] == 3
        labels[jobs] = [d.reference_kcal_mol for d in read_dimers(folder / ld.LABELLED)]
    assert labels[2] == pytest.approx(labels[1], abs=1e-6)
    assert labels[1][0] > labels[1][1] > labels[1][2] > 0  # H2 pairs repel less as they part


def _water_dimers():
    """Two labelled water contacts of the committed set (the shipped model's training data)."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "validation/results/gnn/liquid_dimers/water_contact1/dimers"
    return ld.read_cut(folder)[:2]


def test_displaced_dimers_move_b_rigidly_along_the_centre_of_mass_line(tmp_path):
    """Molecule A stays, B keeps its shape, the centre-of-mass distance changes by exactly ± the step, the closest
    contact is recomputed, and the copies read back with their source."""
    sources = _water_dimers()
    src = tmp_path / "src"
    for d in sources:
        write_text(src / f"{d['name']}.xyz", ld.dimer_text(d, -1.0))
    cut = ld.displace_folder(src, tmp_path / "out", 0.1)
    back = ld.read_cut(cut)
    assert [d["name"] for d in back] == [f"{s['name']}-d{t}0.10" for s in sources for t in "mp"]
    for d in back:
        s = next(s for s in sources if s["name"] == d["source"])
        x, x0 = d["coords_angstrom"], s["coords_angstrom"]
        np.testing.assert_allclose(x[:3], x0[:3], atol=1e-6)
        shift = x[3:] - x0[3:]
        np.testing.assert_allclose(shift, np.repeat(shift[:1], 3, axis=0), atol=2e-6)  # rigid
        _, r0 = ld.centre_of_mass_axis(s["symbols"], x0, 3)
        _, r = ld.centre_of_mass_axis(d["symbols"], x, 3)
        assert r - r0 == pytest.approx(d["step_angstrom"], abs=2e-5) and abs(d["step_angstrom"]) == 0.1
        assert d["source_com_angstrom"] == pytest.approx(r0, abs=1e-4)
        assert 10 * d["r_min_nm"] == pytest.approx(np.linalg.norm(x[:3, None] - x[None, 3:], axis=2).min(), abs=1e-3)
    with pytest.raises(ld.MlparamsError, match="positive step"):
        ld.displace_folder(src, tmp_path / "bad", 0.0)


def test_slopes_are_central_differences_and_the_table_bins_them(tmp_path):
    """Labels made from known functions of the centre-of-mass distance R: E_ref = 2R² (slope 4R, exact for a
    central difference of a quadratic) and E_model = 3R (slope 3); the table's bin means against hand values."""
    folder = tmp_path / ld.LABELLED
    rows = []
    expected = {}
    for s in _water_dimers():
        r0 = ld.centre_of_mass_axis(s["symbols"], s["coords_angstrom"], 3)[1]
        expected[s["name"]] = (s["r_min_nm"], r0)
        for step in (-0.1, 0.1):
            d = ld.displaced(s, step)
            r = r0 + step
            write_text(folder / f"{d['name']}.xyz", ld.dimer_text(d, 2 * r * r))
            rows.append(f"liquid_dimers,,{d['name']},other,{d['name']}.xyz,{2 * r * r},{3 * r},{3 * r - 2 * r * r},0,0,ok")
    csv = tmp_path / "interaction_results.csv"
    csv.write_text("set,index,name,kind,file,E_ref,E_model,error,E_elec,E_vdw,status\n" + "\n".join(rows) + "\n")
    got = ld.slopes(folder, csv)
    assert set(got) == set(expected)
    for name, (r_min, r_com, ref, model) in got.items():
        assert r_com == pytest.approx(expected[name][1], abs=1e-4)
        assert ref == pytest.approx(4 * r_com, abs=1e-3) and model == pytest.approx(3.0, abs=1e-6)
    table = ld.slope_table(folder, {"m": csv}).splitlines()
    r = np.array([v[1] for v in expected.values()])
    err = 3.0 - 4 * r
    assert table[-2] == (f"| m | all | 2 | {(4 * r).mean():+.2f} | {err.mean():+.2f} | "
                         f"{np.sqrt((err ** 2).mean()):.2f} | {(r * err).mean():+.2f} |")
    # both come from frame f000: the one with the closer contact is the frame's closest pair, left out of the last row
    k = int(np.argmax([v[0] for v in expected.values()]))
    assert ld.frame_closest(got) == [list(expected)[1 - k]]
    assert table[-1] == (f"| m | all but each frame's closest | 1 | {4 * r[k]:+.2f} | {err[k]:+.2f} | "
                         f"{abs(err[k]):.2f} | {r[k] * err[k]:+.2f} |")
    # a folder of plain (undisplaced) dimers is refused with the fix
    plain = tmp_path / "plain"
    write_text(plain / "w.xyz", ld.dimer_text(_water_dimers()[0], -1.0))
    with pytest.raises(ld.MlparamsError, match="displaced-dimers"):
        ld.slopes(plain, csv)


def test_displaced_pairs_match_minus_and_plus_by_name():
    names = ["w-1-dp0.10", "s22-x", "w-1-dm0.10", "w-2-dm0.10", "w-3-dm0.05", "w-3-dp0.05", "w-2-dp0.20"]
    np.testing.assert_array_equal(ld.displaced_pairs(names), [[2, 0], [4, 5]])
    assert ld.displaced_pairs(["a", "b"]).shape == (0, 2)
    # Two folders cut at the same frame and molecules would pair across folders: refused; plain names may repeat.
    assert ld.displaced_pairs(["a", "a", "w-1-dm0.10", "w-1-dp0.10"]).tolist() == [[2, 3]]
    with pytest.raises(ld.MlparamsError, match="w-1-dm0.10.*distinct names"):
        ld.displaced_pairs(["w-1-dm0.10", "w-1-dp0.10", "w-1-dm0.10"])
