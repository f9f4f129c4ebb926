"""Demes models whose numbers may be placeholders naming prior parameters.

A scenario file is an ordinary Demes YAML file in which any numeric field
(sizes, times, rates, proportions) may instead be a parameter name or an
arithmetic expression of parameters, e.g. ``end_time: T_split`` or
``start_time: T_bot + D_bot``. :class:`ScenarioModel` substitutes a parameter
set and returns a resolved :class:`demes.Graph`.
"""

import math
from pathlib import Path

import demes
import yaml

from popsbi import expressions, yamlfiles
from popsbi.errors import ScenarioError

#: Demes fields that hold numbers, hence may hold placeholders.
NUMERIC_FIELDS = frozenset(
    {
        "start_size",
        "end_size",
        "start_time",
        "end_time",
        "time",
        "rate",
        "proportion",
        "proportions",
        "generation_time",
        "selfing_rate",
        "cloning_rate",
    }
)
_INFINITY = frozenset({"inf", "infinity", ".inf"})


class ScenarioModel:
    """A Demes model template; ``graph(params)`` resolves it for one parameter set.

    ``name`` (a scenario's) names the model in errors.
    """

    def __init__(self, name, path):
        self.name = name
        self.path = Path(path)
        if not self.path.is_file():
            raise ScenarioError(f"no such file '{path}'")
        try:
            template = yamlfiles.load(self.path)
        except yamlfiles.DuplicateKeyError as err:
            raise ScenarioError(f"'{path}': {err}") from None
        except yaml.YAMLError as err:
            raise ScenarioError(f"'{path}' is not valid YAML: {err}") from None
        if not isinstance(template, dict) or "demes" not in template:
            raise ScenarioError(f"'{path}' is not a Demes model (no 'demes' list)")
        self.parameters = set()
        self._template = self._compile(template, field=None)

    def _compile(self, node, field):
        """Replace placeholder strings under numeric fields by parsed expressions."""
        if isinstance(node, dict):
            return {key: self._compile(value, key) for key, value in node.items()}
        if isinstance(node, list):
            return [self._compile(value, field) for value in node]
        if field in NUMERIC_FIELDS and isinstance(node, str) and node.lower() not in _INFINITY:
            try:
                tree, names = expressions.parse(node)
            except expressions.ExpressionError as err:
                raise ScenarioError(f"'{self.path}', field {field}: {err}") from None
            self.parameters |= names
            return _Placeholder(node, tree)
        return node

    def graph(self, params):
        """The resolved Demes graph for ``params`` (name -> value)."""
        try:
            model = _substitute(self._template, params)
            return demes.Builder.fromdict(model).resolve()
        except Exception as err:  # demes raises ValueError, TypeError, KeyError... for invalid models
            shown = ", ".join(f"{key}={value:.6g}" for key, value in sorted(params.items()))
            raise ScenarioError(
                f"scenario '{self.name}' ({self.path}) is not a valid Demes model with {shown}: "
                f"{type(err).__name__}: {err}"
            ) from None


class _Placeholder:
    def __init__(self, text, tree):
        self.text = text
        self.tree = tree


def _substitute(node, params):
    if isinstance(node, dict):
        return {key: _substitute(value, params) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(value, params) for value in node]
    if isinstance(node, _Placeholder):
        value = float(expressions.evaluate(node.tree, params))
        if not math.isfinite(value):
            raise ValueError(f"'{node.text}' evaluates to {value}")
        return value
    return node


def extant_demes(graph):
    """Names of the demes that exist at time 0, hence can be sampled."""
    return [deme.name for deme in graph.demes if deme.end_time == 0]
