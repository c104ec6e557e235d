"""The exp-6 fitter recovers known constants from noisy synthetic scans."""

import numpy as np
import pytest

from mlparams.models.exp6_fit import LAL2023_BOX, PHYSICAL_BOX, Box, exp6, fit_exp6, r_squared

# Distances like the seed scans: k * 0.05 * sqrt(3) Å.
R = np.arange(1, 46) * 0.05 * np.sqrt(3.0)
R = R[R > 1.5]


@pytest.mark.parametrize(
    "A, B, C",
    [
        (5000.0, 0.25, 15.0),  # C-C like, eV, Å, eV Å^6
        (800.0, 0.20, 30.0),  # weak wall, dispersion-dominated tail
        (2.0e5, 0.18, 40.0),  # stiff, strong dispersion
    ],
)
def test_recovers_constants_from_noisy_curve(A, B, C):
    rng = np.random.default_rng(1)
    clean = exp6(R, A, B, C)
    noisy = clean + rng.normal(0.0, 0.01 * np.std(clean), size=R.size)
    fit = fit_exp6(R, noisy, PHYSICAL_BOX)
    assert fit.A == pytest.approx(A, rel=0.10)
    assert fit.B == pytest.approx(B, rel=0.02)
    assert fit.C == pytest.approx(C, rel=0.10)
    assert fit.r2 > 0.999
    assert fit.n_points == R.size


def test_exact_curve_is_fitted_exactly():
    E = exp6(R, 3000.0, 0.22, 10.0)
    fit = fit_exp6(R, E, PHYSICAL_BOX)
    np.testing.assert_allclose((fit.A, fit.B, fit.C), (3000.0, 0.22, 10.0), rtol=1e-5)
    assert r_squared(E, exp6(R, fit.A, fit.B, fit.C)) == pytest.approx(1.0, abs=1e-10)


def test_repulsive_box_keeps_c_non_positive_even_when_data_are_attractive():
    E = exp6(R, 3000.0, 0.22, 10.0)
    fit = fit_exp6(R, E, LAL2023_BOX)
    assert fit.C <= 0.0
    assert fit.r2 < 0.9999  # the attractive tail cannot be reproduced with C <= 0


def test_fit_stays_inside_a_narrow_box():
    E = exp6(R, 3000.0, 0.22, 10.0)
    box = Box(A=(1000.0, 1100.0), B=(0.25, 0.26), C=(0.0, 1.0))
    fit = fit_exp6(R, E, box)
    assert 1000.0 <= fit.A <= 1100.0
    assert 0.25 <= fit.B <= 0.26
    assert 0.0 <= fit.C <= 1.0


def test_rejects_mismatched_arrays():
    with pytest.raises(ValueError):
        fit_exp6(R, R[:-1])
