"""Unit constants of mlparams.

Inside the package every quantity is in OpenMM's units: nm, kJ/mol, elementary charge e, ps, K.
Data that arrive in other units (the seed QM scans are in eV and Å) are converted once, where they are
read, with the constants below. LAMMPS ``units real`` (Å, kcal/mol) lives only in the LAMMPS writer.
"""

#: 1 eV expressed in kJ/mol (CODATA 2018: e * N_A / 1000).
EV_IN_KJ_PER_MOL = 96.48533212331002

#: 1 hartree expressed in kcal/mol (CODATA 2018), for PySCF energies of the QM training data (kcal/mol, the unit of
#: the dimer reference sets).
HARTREE_IN_KCAL_PER_MOL = 627.5094740631

#: 1 Å expressed in nm.
ANGSTROM_IN_NM = 0.1

#: Coulomb constant e²/(4πε₀) in eV·Å (CODATA 2018), used to remove point-charge energies from QM scans.
COULOMB_EV_ANGSTROM = 14.399645478425668

#: Coulomb constant e²/(4πε₀) in kJ/mol·nm from CODATA 2018 e, ε₀ and N_A, as OpenMM defines ONE_4PI_EPS0.
COULOMB_KJ_PER_MOL_NM = 138.93545764438198

#: The mis-scaled "Coulomb constant" the seed repository used (8.99, from 8.99e9 N·m²/C² without the exponent).
SEED_REPO_COULOMB_CONSTANT = 8.99
