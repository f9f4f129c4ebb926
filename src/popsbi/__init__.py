"""Simulation-based inference for population genomics: scenarios, simulations, features."""

from popsbi.errors import ConfigError, DataError, ScenarioError

__all__ = ["ConfigError", "DataError", "ScenarioError"]
__version__ = "0.1.0"
