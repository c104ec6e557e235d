"""OpenMM export of mlparams parameter sets (installed as ``mlparams.openmm_plugin``)."""
