"""The one place where LAMMPS ``units real`` (Å, kcal/mol, e, fs, K) meets mlparams' units (nm, kJ/mol).

Nonbonded constants come from the parameter object in OpenMM units and are converted here. Bonded terms
come from the GAFF2 prmtop through parmed in Amber units (kcal/mol, Å, degrees), which already are LAMMPS
``real`` units, and pass unchanged.

Energies divide by 4.184; lengths multiply by 10; a constant with units energy·length^n converts with
both factors. LAMMPS writes Buckingham as A·exp(−r/ρ) − C/r⁶: A is an energy, ρ = B a length, C an
energy·length⁶.
"""

from __future__ import annotations

#: kJ per kcal (thermochemical calorie), the factor between kJ/mol and kcal/mol.
KJ_PER_KCAL = 4.184
#: Å per nm.
ANGSTROM_PER_NM = 10.0


def energy_to_real(e_kj_per_mol):
    """kJ/mol → kcal/mol."""
    return e_kj_per_mol / KJ_PER_KCAL


def energy_from_real(e_kcal_per_mol):
    """kcal/mol → kJ/mol."""
    return e_kcal_per_mol * KJ_PER_KCAL


def length_to_real(x_nm):
    """nm → Å."""
    return x_nm * ANGSTROM_PER_NM


def length_from_real(x_angstrom):
    """Å → nm."""
    return x_angstrom / ANGSTROM_PER_NM


def energy_length_power_to_real(value, power: int):
    """A constant in kJ/mol·nm^power → kcal/mol·Å^power (C6: power 6, C12: power 12)."""
    return value / KJ_PER_KCAL * ANGSTROM_PER_NM**power


def energy_length_power_from_real(value, power: int):
    """kcal/mol·Å^power → kJ/mol·nm^power."""
    return value * KJ_PER_KCAL / ANGSTROM_PER_NM**power


def force_from_real(f_kcal_per_mol_angstrom):
    """kcal/mol/Å → kJ/mol/nm."""
    return f_kcal_per_mol_angstrom * KJ_PER_KCAL * ANGSTROM_PER_NM


def buckingham_to_real(A, B, C):
    """(A kJ/mol, B nm, C kJ/mol·nm⁶) → (A kcal/mol, ρ Å, C kcal/mol·Å⁶) for ``pair_style buck``."""
    return energy_to_real(A), length_to_real(B), energy_length_power_to_real(C, 6)


def lj_to_real(sigma, epsilon):
    """(σ nm, ε kJ/mol) → (ε kcal/mol, σ Å) in ``pair_coeff`` order for ``lj/cut``."""
    return energy_to_real(epsilon), length_to_real(sigma)
