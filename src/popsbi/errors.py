"""Errors that carry a message meant for the user, never a traceback."""


class PopsbiError(Exception):
    """Base class: the message alone explains what went wrong and what to do."""


class ConfigError(PopsbiError):
    """The configuration is invalid; the message names the key and what is expected."""


class ScenarioError(PopsbiError):
    """A scenario's Demes model is invalid for a parameter set."""


class DataError(PopsbiError):
    """Observed data (VCF, popmap) cannot be used as asked."""
