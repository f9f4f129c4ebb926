"""Priors on scenario parameters and the prior table: one row per simulation.

Each simulation gets its parameter values and its own msprime seed, all derived
from the master seed and the scenario's name, so a table is reproducible from
the config alone and adding a scenario leaves the other scenarios' tables as
they were.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from popsbi import expressions
from popsbi.errors import ConstraintError, PriorError
from popsbi.seeds import seed_sequence

DISTRIBUTIONS = ("uniform", "loguniform", "fixed")
#: Candidates drawn per round of rejection sampling, and the most drawn before
#: the constraints are declared impossible.
_CHUNK = 4096
_MAX_CANDIDATES = 1_000_000


@dataclass(frozen=True)
class Prior:
    """A prior on one parameter: ``uniform``/``loguniform`` on [low, high], or ``fixed``."""

    dist: str
    low: float | None = None
    high: float | None = None
    value: float | None = None

    def __post_init__(self):
        if self.dist == "fixed":
            return
        if not self.low < self.high:
            raise PriorError(f"low ({self.low:g}) must be smaller than high ({self.high:g})")
        if self.dist == "loguniform" and self.low <= 0:
            raise PriorError(f"a loguniform prior needs low > 0, got {self.low:g}")

    @property
    def support(self):
        """(lower, upper) bounds of the values this prior can produce."""
        if self.dist == "fixed":
            return self.value, self.value
        return self.low, self.high

    def sample(self, rng, size):
        if self.dist == "fixed":
            return np.full(size, self.value)
        if self.dist == "uniform":
            return rng.uniform(self.low, self.high, size)
        return np.exp(rng.uniform(np.log(self.low), np.log(self.high), size))

    def to_unbounded(self, values):
        """Logit of the position within the support (on log scale for a log-uniform prior)."""
        low, high = self.support
        if self.dist == "loguniform":
            values, low, high = np.log(values), np.log(low), np.log(high)
        position = np.clip((values - low) / (high - low), 1e-9, 1 - 1e-9)
        return np.log(position / (1 - position))

    def from_unbounded(self, values):
        """The inverse of :meth:`to_unbounded`: values inside the support."""
        low, high = self.support
        position = 1 / (1 + np.exp(-values))
        if self.dist == "loguniform":
            values = np.exp(np.log(low) + position * (np.log(high) - np.log(low)))
        else:
            values = low + position * (high - low)
        return np.clip(values, low, high)  # exp(log(x)) may round past a bound


def parse_constraints(constraints, parameters):
    """Parse constraint strings, checking they compare known parameters."""
    parsed = []
    for i, text in enumerate(constraints):
        try:
            tree, names = expressions.parse(text)
        except expressions.ExpressionError as err:
            raise ConstraintError(i, str(err)) from None
        if not expressions.is_comparison(tree):
            raise ConstraintError(i, f"{text!r} is not a comparison such as 'T_recent < T_old'")
        unknown = sorted(names - set(parameters))
        if unknown:
            raise ConstraintError(
                i, f"{text!r} uses {', '.join(unknown)}, which has no prior (known: {', '.join(sorted(parameters))})"
            )
        parsed.append((text, tree))
    return parsed


def draw_prior_table(priors, constraints, n, master_seed, scenario):
    """Draw ``n`` parameter sets satisfying every constraint, by rejection.

    Returns a DataFrame with columns ``sim_id``, one per parameter, and ``seed``
    (a distinct msprime seed per simulation).
    """
    parsed = parse_constraints(constraints, priors)
    params_seq, seeds_seq = seed_sequence(master_seed, scenario).spawn(2)
    rng = np.random.default_rng(params_seq)
    accepted = {name: [] for name in priors}
    n_accepted = n_drawn = 0
    while n_accepted < n:
        if n_drawn >= _MAX_CANDIDATES:
            raise PriorError(
                f"constraints {[text for text, _ in parsed]} of scenario '{scenario}' "
                f"accepted {n_accepted} of {n_drawn} prior draws; they cannot be met within the "
                "priors' bounds (check the bounds and the direction of each comparison)"
            )
        candidates = {name: prior.sample(rng, _CHUNK) for name, prior in priors.items()}
        keep = np.ones(_CHUNK, dtype=bool)
        for _, tree in parsed:
            keep &= expressions.evaluate(tree, candidates)
        for name in priors:
            accepted[name].append(candidates[name][keep])
        n_accepted += int(keep.sum())
        n_drawn += _CHUNK
    table = pd.DataFrame({name: np.concatenate(parts)[:n] for name, parts in accepted.items()})
    table.insert(0, "sim_id", np.arange(n, dtype=np.int64))
    table["seed"] = _distinct_seeds(np.random.default_rng(seeds_seq), n)
    return table


def _distinct_seeds(rng, n):
    """``n`` distinct seeds in msprime's range [1, 2**32); redraw the rare collisions."""
    seeds = np.unique(rng.integers(1, 2**32, size=n))
    while seeds.size < n:
        seeds = np.unique(np.concatenate([seeds, rng.integers(1, 2**32, size=n - seeds.size)]))
    return rng.permutation(seeds)


def batch_rows(batch, batch_size, n):
    """Row slice of a prior table of ``n`` rows that batch ``batch`` simulates."""
    return slice(batch * batch_size, min((batch + 1) * batch_size, n))
