import numpy as np
import pytest
from scipy import stats

from popsbi.errors import ConstraintError, PriorError
from popsbi.priors import Prior, draw_prior_table

PRIORS = {
    "N": Prior("loguniform", low=100, high=10_000),
    "T_old": Prior("uniform", low=0, high=1),
    "T_recent": Prior("uniform", low=0, high=1),
    "mu": Prior("fixed", value=1e-8),
}


def table(n=4000, seed=1, scenario="s", constraints=("T_recent < T_old",)):
    return draw_prior_table(PRIORS, list(constraints), n, seed, scenario)


def test_draws_follow_their_distributions_and_bounds():
    t = table(constraints=())
    assert t["N"].between(100, 10_000).all()
    # log of a loguniform draw is uniform on [log low, log high]
    assert stats.kstest(np.log(t["N"]), stats.uniform(np.log(100), np.log(100)).cdf).pvalue > 1e-3
    assert stats.kstest(t["T_old"], "uniform").pvalue > 1e-3
    assert (t["mu"] == 1e-8).all()


def test_constraints_are_enforced_by_rejection():
    t = table()
    assert (t["T_recent"] < t["T_old"]).all()
    # Two U(0,1) conditioned on T_recent < T_old: the smaller has mean 1/3, the larger 2/3.
    assert t["T_recent"].mean() == pytest.approx(1 / 3, abs=0.02)
    assert t["T_old"].mean() == pytest.approx(2 / 3, abs=0.02)


def test_table_is_reproducible_from_seed_and_scenario():
    assert table().equals(table())
    assert not table().equals(table(seed=2))
    assert not table().equals(table(scenario="other"))


def test_each_simulation_gets_a_distinct_valid_seed():
    t = table(n=20_000)
    assert t["seed"].is_unique
    assert t["seed"].between(1, 2**32 - 1).all()
    assert list(t["sim_id"]) == list(range(20_000))


def test_impossible_constraint_is_a_prior_error():
    with pytest.raises(PriorError, match="cannot be met"):
        draw_prior_table(PRIORS, ["T_recent > T_old + 1"], 10, 1, "s")


@pytest.mark.parametrize(
    "constraint, message",
    [
        ("T_recent < T_typo", "T_typo, which has no prior"),
        ("T_recent + 1", "is not a comparison"),
        ("__import__('os').system('true') < 1", "not allowed"),
    ],
)
def test_bad_constraints_are_named(constraint, message):
    with pytest.raises(ConstraintError, match=message) as error:
        draw_prior_table(PRIORS, ["T_recent < T_old", constraint], 10, 1, "s")
    assert error.value.index == 1


def test_prior_bounds_are_checked():
    with pytest.raises(PriorError, match="low .* must be smaller than high"):
        Prior("uniform", low=5.0, high=1.0)
    with pytest.raises(PriorError, match="loguniform prior needs low > 0"):
        Prior("loguniform", low=0.0, high=1.0)
