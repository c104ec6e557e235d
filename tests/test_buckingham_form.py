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
    np.testing.assert_allclose(bk.energy_undamped(r, A, B, C), expected, rtol=1e-14)
    d6, rs = bk.DAMPING_NM**6, bk.SWITCH_NM
    inner = np.linspace(0.01, 0.3, 60)
    guarded = np.array([A * np.exp(-x / B) - C / (x**6 + d6 * max(1 - x / rs, 0.0) ** 3) for x in inner])
    np.testing.assert_allclose(bk.energy(inner, A, B, C), guarded, rtol=1e-14)


def test_guard_leaves_the_papers_form_untouched_from_the_switch_distance_on():
    r = np.linspace(bk.SWITCH_NM, 1.2, 50)
    np.testing.assert_array_equal(bk.energy(r, *O), bk.energy_undamped(r, *O))
    h = 1e-7  # energy and force are continuous across the switch
    assert bk.energy(bk.SWITCH_NM - h, *O) == pytest.approx(bk.energy(bk.SWITCH_NM + h, *O), rel=1e-4)
    assert bk.force(bk.SWITCH_NM - h, *O) == pytest.approx(bk.force(bk.SWITCH_NM + h, *O), rel=1e-4)


def test_guard_keeps_every_shipped_model_pair_repulsive_at_short_range():
    """All element pairs the shipped models produce (charges -2..2 e) repel from 0.01 to 0.1 nm, finite at 0."""
    from mlparams.models.registry import BUCKINGHAM_MODELS, load_buckingham

    for name in BUCKINGHAM_MODELS:
        model = load_buckingham(name)
        atoms = model.predict_many(
            [e for e in model.training_elements for _ in range(5)],
            [q for _ in model.training_elements for q in (-2.0, -1.0, 0.0, 1.0, 2.0)],
        )
        A = np.array([a.A_kJ_per_mol for a in atoms])
        B = np.array([a.B_nm for a in atoms])
        C = np.array([a.C_kJ_per_mol_nm6 for a in atoms])
        tA, tB, tC = bk.pair_table(A, B, C, model.mixing_rule)
        for r in np.linspace(0.01, 0.1, 46):
            assert np.all(bk.force(r, tA, tB, tC) > 0), (name, r)
        assert np.all(np.isfinite(bk.energy(0.0, tA, tB, tC)))
        assert np.all(bk.energy(0.05, tA, tB, tC) > bk.energy(0.3, tA, tB, tC))


def test_openmm_per_particle_factors_reproduce_the_pair_table():
    A = np.array([O[0], H[0]])
    B = np.array([O[1], H[1]])
    C = np.array([O[2], H[2]])
    for rule in bk.MIXING_RULES:
        pp, csign = bk.openmm_per_particle(A, B, C, rule)
        tA, tB, tC = bk.pair_table(A, B, C, rule)
        for i in range(2):
            for j in range(2):
                b = pp[i, 1] * pp[j, 1] if rule == "geometric" else 0.5 * (pp[i, 1] + pp[j, 1])
                np.testing.assert_allclose(
                    (pp[i, 0] * pp[j, 0], b, csign * pp[i, 2] * pp[j, 2]), (tA[i, j], tB[i, j], tC[i, j]), rtol=1e-14
                )


def test_force_is_minus_the_derivative_of_energy():
    r = np.concatenate([np.linspace(0.02, 0.14, 20), np.linspace(0.2, 1.0, 30)])
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
