"""Parameter models: each turns atoms (element, charge, environment) into nonbonded parameters."""
