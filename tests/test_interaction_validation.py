"""The interaction-energy driver: OpenMM E_int against a direct NumPy pair sum, bad files skipped by name,
outputs written, kinds read from the labels."""

import csv
import json

import numpy as np
import pytest

from mlparams.dimers import dimer_system, read_dimer
from mlparams.validation.interaction import KCAL_IN_KJ, interaction_energy, kind_of, resolve_dimer_dir, run

K_COULOMB = 138.93545764438198  # kJ/mol nm e^-2, CODATA 2018 (see tests/test_openmm_export.py)


def _pair_sum_kcal(msys, idx_a, idx_b):
    """Intermolecular Coulomb + van der Waals by a direct double loop (monomers share no exclusions)."""
    p = msys.parameters
    q = p.charges
    x = msys.positions_nm
    ti = p.atom_type_index
    elec = vdw = 0.0
    for i in idx_a:
        for j in idx_b:
            r = float(np.linalg.norm(x[i] - x[j]))
            elec += K_COULOMB * q[i] * q[j] / r
            vdw += float(p.pair_energy(r, ti[i], ti[j]))
    return (elec + vdw) / KCAL_IN_KJ, elec / KCAL_IN_KJ, vdw / KCAL_IN_KJ


@pytest.mark.parametrize("model", ["gaff2", "buckingham", "buckingham-lal2023"])
@pytest.mark.parametrize("name", ["S22_02_HB_2_Water_Dimer_CS.xyz", "S22_03_HB_3_Formic_Acid_Dimer_C2H.xyz",
                                  "S22_11_DD_4_Benzene_Dimer_Parallel_Disp_C2H.xyz"])
def test_openmm_interaction_energy_equals_a_direct_pair_sum(name, model):
    dimer = read_dimer(resolve_dimer_dir("s22") / name)
    total, elec, vdw = interaction_energy(dimer, model)
    msys, a, b = dimer_system(dimer, model)
    ref_total, ref_elec, ref_vdw = _pair_sum_kcal(msys, a, b)
    assert total == pytest.approx(ref_total, rel=1e-6, abs=1e-8)
    assert elec == pytest.approx(ref_elec, rel=1e-6, abs=1e-8)
    assert vdw == pytest.approx(ref_vdw, rel=1e-6, abs=1e-8)


def test_kinds_come_from_the_labels():
    assert kind_of({"name": "HB-1 Ammonia Dimer"}) == "hydrogen-bonded"
    assert kind_of({"name": "DD-4 Benzene Dimer"}) == "dispersion"
    assert kind_of({"name": "17", "desc": "ST-30 GG0/3.36 CCs036"}) == "dispersion"
    assert kind_of({"name": "MX-2 Benzene-Water"}) == "mixed"
    assert kind_of({"name": "x", "charged": "T"}) == "ionic"


def test_driver_skips_bad_files_by_name_and_keeps_the_rest(tmp_path):
    data = tmp_path / "dimers"
    data.mkdir()
    good = resolve_dimer_dir("s22") / "S22_02_HB_2_Water_Dimer_CS.xyz"
    (data / "good.xyz").write_text(good.read_text())
    text = good.read_text().splitlines()
    (data / "count.xyz").write_text("\n".join(["7"] + text[1:]) + "\n")  # atom count mismatch
    (data / "no_na.xyz").write_text("\n".join([text[0], text[1].replace("nA=3", "")] + text[2:]) + "\n")
    (data / "element.xyz").write_text("\n".join(text[:2] + [text[2].replace("O", "Na", 1)] + text[3:]) + "\n")
    ions = "2\nnA=1 nB=1 charge_A=1 charge_B=-1 charged=T E_int_kcal_mol=-100.0 name=\"ion pair\"\nLi 0 0 0\nF 0 0 1.6\n"
    (data / "ionic.xyz").write_text(ions)  # Li is not a GAFF2 element: skipped with the reason
    out = tmp_path / "out"
    summary = run(str(data), "gaff2", out, progress=False)
    assert summary["n_files"] == 5 and summary["n_ok"] == 1 and summary["n_skipped"] == 4
    reasons = summary["skipped"]
    assert "header says 7" in reasons["count.xyz"]
    assert "nA" in reasons["no_na.xyz"]
    assert "Na" in reasons["element.xyz"]
    assert "Li" in reasons["ionic.xyz"]
    with open(out / "interaction_results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 and sum(r["status"] == "ok" for r in rows) == 1
    assert json.loads((out / "summary.json").read_text())["overall"]["n"] == 1
    assert (out / "parity.png").read_bytes()[:4] == b"\x89PNG"
    assert "4 skipped" in (out / "summary.md").read_text()


def test_charged_monomers_work(tmp_path):
    """Ammonium–formate: charged monomers parametrised with their net charges."""
    from mlparams.molecules import from_smiles

    a = from_smiles("[NH4+]")
    b = from_smiles("C(=O)[O-]")
    xa = a.positions_angstrom()
    xb = b.positions_angstrom() + np.array([3.2, 0.0, 0.0])
    atoms = [*(f"{e} {x:.5f} {y:.5f} {z:.5f}" for e, (x, y, z) in zip(a.elements, xa)),
             *(f"{e} {x:.5f} {y:.5f} {z:.5f}" for e, (x, y, z) in zip(b.elements, xb))]
    path = tmp_path / "ion.xyz"
    path.write_text(f"{len(atoms)}\nnA={a.n_atoms} nB={b.n_atoms} charge_A=1 charge_B=-1 charged=T name=\"NH4-HCOO\"\n"
                    + "\n".join(atoms) + "\n")
    total, elec, _ = interaction_energy(read_dimer(path), "gaff2")
    assert elec < -50.0 and total < 0.0  # an ion pair at 3.2 Å is strongly bound


def test_cli_validate_interaction(run_cli, tmp_path):
    proc = run_cli("validate", "interaction", "--dimers", "basepairs", "--model", "gaff2", "--out", str(tmp_path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "8 dimers" in proc.stdout
    proc = run_cli("validate", "interaction", "--dimers", str(tmp_path / "nothing"), "--model", "gaff2", "--out", str(tmp_path))
    assert proc.returncode == 2 and "does not exist" in proc.stderr
