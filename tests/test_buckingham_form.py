"""The exp-6 form and its mixing rules against independent NumPy formulas."""

import numpy as np
import pytest

from mlparams.errors import MixingError
from mlparams.forms import buckingham as bk

# O-like and H-like constants in OpenMM units (kJ/mol, nm, kJ/mol nm^6), attractive C.
O = (4.0e5, 0.0275, 2.5e-3)
H = (2.0e4, 0.0240, 1.0e-4)


def test_energy_matches_closed_form_on_a_distance_scan():
    r = np.linspace(0.15, 1.2, 200)
    A, B, C = O
    expected = np.array([A * np.exp(-x / B) - C / x**6 for x in r])
    np.testing.assert_allclose(bk.energy(r, A, B, C), expected, rtol=1e-14)


def test_force_is_minus_the_derivative_of_energy():
    r = np.linspace(0.2, 1.0, 50)
    h = 1e-6
    numeric = -(bk.energy(r + h, *O) - bk.energy(r - h, *O)) / (2 * h)
    np.testing.assert_allclose(bk.force(r, *O), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("rule", bk.MIXING_RULES)
def test_mixing_an_atom_with_itself_returns_its_constants(rule):
    A, B, C = bk.mix(*O, *O, rule=rule)
    np.testing.assert_allclose((A, B, C), O, rtol=1e-15)


@pytest.mark.parametrize("rule", bk.MIXING_RULES)
def test_mixing_is_symmetric(rule):
    np.testing.assert_allclose(bk.mix(*O, *H, rule=rule), bk.mix(*H, *O, rule=rule), rtol=1e-15)


def test_geometric_rule_is_the_papers_equations_2_to_4():
    # Paper eqs. 2-4 written literally, for the paper's negative C (repulsive r^-6).
    Am, Bm, Cm = 7148.09, 0.12852, -4.92e-4
    An, Bn, Cn = 331.50, 0.15629, -1.59e-5
    A_paper = (Am * An) ** 0.5
    B_paper = 1.0 / ((1.0 / Bm) * (1.0 / Bn)) ** 0.5
    C_paper = -((Cm**6) * (Cn**6)) ** (1.0 / 12.0)
    np.testing.assert_allclose(bk.mix(Am, Bm, Cm, An, Bn, Cn, "geometric"), (A_paper, B_paper, C_paper), rtol=1e-12)


def test_arithmetic_b_rule_averages_b():
    _, B, _ = bk.mix(*O, *H, rule="arithmetic-b")
    assert B == pytest.approx(0.5 * (O[1] + H[1]))


def test_mixing_refuses_opposite_signs_of_c():
    with pytest.raises(MixingError, match="positive"):
        bk.mix(1.0, 0.1, 1e-3, 1.0, 0.1, -1e-3)


def test_mixing_refuses_unknown_rule():
    with pytest.raises(MixingError, match="geometric"):
        bk.mix(*O, *H, rule="lorentz")


def test_pair_table_matches_pairwise_mixing():
    A = np.array([O[0], H[0], 1e5])
    B = np.array([O[1], H[1], 0.03])
    C = np.array([O[2], H[2], 1e-3])
    tA, tB, tC = bk.pair_table(A, B, C)
    for i in range(3):
        for j in range(3):
            np.testing.assert_allclose((tA[i, j], tB[i, j], tC[i, j]), bk.mix(A[i], B[i], C[i], A[j], B[j], C[j]))
