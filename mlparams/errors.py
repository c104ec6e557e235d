"""Exceptions raised by mlparams.

Every error that bad input can cause is an :class:`MlparamsError`; the command line prints its message
as one line and exits with status 2. The classes also derive from the matching built-in exception so
that callers who catch ``ValueError`` or ``FileNotFoundError`` keep working.
"""


class MlparamsError(Exception):
    """Base class: a problem with the user's input or data, with a message that says how to fix it."""


class UnknownElementError(MlparamsError, ValueError):
    """An element symbol or name that mlparams has no parameters or features for."""


class InvalidChargeError(MlparamsError, ValueError):
    """A partial charge that is not finite or lies outside the range the model accepts."""


class DataFormatError(MlparamsError, ValueError):
    """A data file that lacks required columns or holds values that cannot be parsed."""


class MissingFileError(MlparamsError, FileNotFoundError):
    """A file the command needs does not exist."""


class MixingError(MlparamsError, ValueError):
    """Two parameter sets that cannot be combined by the requested mixing rule."""


class ModelNotTrainedError(MlparamsError, RuntimeError):
    """A model file is missing or was written by an incompatible version."""


class ExternalToolError(MlparamsError, RuntimeError):
    """An external program (antechamber, packmol, LAMMPS) failed."""
