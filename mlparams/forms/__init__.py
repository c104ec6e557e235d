"""Functional forms of the nonbonded pair interaction, one module each.

Each module declares its parameter names and units, its mixing rules and a NumPy ``energy`` that serves
as the independent reference in tests.
"""
