"""Errors that carry a message meant for the user, never a traceback.

Domain code raises the error of its domain with what is wrong; the config module,
which alone knows key names, turns an error met while checking the config into a
:class:`ConfigError` that names the key.
"""


class PopsbiError(Exception):
    """Base class: the message alone explains what went wrong and what to do."""


class ConfigError(PopsbiError):
    """The configuration is invalid; the message names the key and what is expected."""


class ScenarioError(PopsbiError):
    """A Demes model cannot be read, or is invalid for a parameter set."""


class PriorError(PopsbiError):
    """A prior or a constraint between parameters is impossible."""


class ConstraintError(PriorError):
    """Constraint number ``index`` of a list is not a valid comparison of known parameters."""

    def __init__(self, index, message):
        super().__init__(message)
        self.index = index


class DataError(PopsbiError):
    """Observed data (VCF, popmap) cannot be used as asked."""


class EmptyRegionError(DataError):
    """A VCF has no variants in a region (a scan reads on past it; a summary cannot)."""


class SimulationError(PopsbiError):
    """A simulation that cannot be run as asked."""
