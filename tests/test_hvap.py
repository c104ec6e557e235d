"""Enthalpy of vaporisation: the gas-phase run obeys equipartition, the formula and the experimental look-up."""

import numpy as np
import pytest

from mlparams.errors import MlparamsError
from mlparams.validation import hvap


def test_gas_phase_water_holds_half_kT_in_its_one_free_angle():
    """GAFF2 water with both O-H bonds constrained keeps one degree of freedom, the harmonic H-O-H angle (the H-H
    pair is excluded): its mean potential energy is kT/2 (1.24 kJ/mol at 298.15 K)."""
    from mlparams.molecules import from_smiles

    gas = hvap.gas_phase_energy(from_smiles("O"), "gaff2", 298.15, sample_ps=300.0)
    half_kT = 0.5 * hvap.GAS_CONSTANT_KJ_PER_MOL_K * 298.15
    assert 0.0 < gas["error"] < 0.2 and gas["n_samples"] == 3000
    assert gas["mean"] == pytest.approx(half_kT, abs=4.0 * gas["error"] + 0.05)


def test_enthalpy_of_vaporisation_from_the_two_phases():
    rng = np.random.default_rng(3)
    n = 100
    liquid = -4000.0 + rng.normal(0.0, 30.0, size=2000)  # kJ/mol of 100 molecules: -40 per molecule
    gas = {"mean": 2.0, "error": 0.1}
    value = hvap.enthalpy_of_vaporisation(liquid, n, gas, 300.0)
    assert value["hvap"] == pytest.approx(2.0 + 40.0 + 0.00831446261815324 * 300.0, abs=0.05)
    assert value["hvap_err"] == pytest.approx(np.hypot(0.1, 30.0 / np.sqrt(2000) / n), rel=0.2)
    with pytest.raises(MlparamsError, match="two samples"):
        hvap.enthalpy_of_vaporisation([-4000.0], n, gas, 300.0)


def test_experimental_value_only_at_the_run_temperature():
    row = {"T_K": "298.15", "Hvap_kJ_mol": "43.98", "Hvap_T_K": "298.15"}
    assert hvap.experimental_hvap(row) == 43.98
    assert hvap.experimental_hvap({**row, "T_K": "313.15"}) is None  # e.g. ethylene carbonate's liquid temperature
    assert hvap.experimental_hvap({**row, "Hvap_kJ_mol": ""}) is None
    assert hvap.experimental_hvap({"T_K": "298.15"}) is None  # a liquids CSV without the columns
