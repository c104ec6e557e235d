"""Validation drivers of mlparams (installed as ``mlparams.validation``); results live in ``validation/results``."""
