"""ABC against models with known posteriors, simulated with numpy."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

from popsbi import abc, evaluation
from popsbi.errors import DataError
from popsbi.priors import Prior
from popsbi.seeds import rng

N_DATA = 10  # observations per simulated dataset


def normal_mean_reference(n=20_000, seed=0):
    """theta ~ U(-5, 5); data: N_DATA draws of N(theta, 1); statistics: their mean and a pure-noise one."""
    rng = np.random.default_rng(seed)
    theta = rng.uniform(-5, 5, n)
    means = rng.normal(theta, 1 / np.sqrt(N_DATA))
    noise = rng.normal(0, 1, n)
    return pd.DataFrame({"theta": theta}), np.column_stack([means, noise])


def test_rejection_and_regression_recover_the_analytic_posterior():
    parameters, statistics = normal_mean_reference()
    observed = np.array([1.3, 0.0])
    # With a flat prior much wider than the likelihood, the posterior is N(mean, 1 / N_DATA).
    posteriors = abc.parameter_posterior(
        parameters,
        {"theta": Prior("uniform", low=-5, high=5)},
        statistics,
        observed,
        tolerance=0.05,
        min_accepted=10,
        regression="loclinear",
    )
    draws, weights = posteriors["loclinear"]
    mean = np.average(draws["theta"], weights=weights)
    variance = np.average((draws["theta"] - mean) ** 2, weights=weights)
    assert mean == pytest.approx(1.3, abs=0.05)
    assert variance == pytest.approx(1 / N_DATA, rel=0.25)
    rejected = posteriors["rejection"][0]["theta"]
    assert rejected.var() > 1.5 * variance  # the adjustment narrows the rejection posterior
    table = abc.posterior_table(posteriors)
    row = table[table["method"] == "loclinear"].iloc[0]
    assert row["q2.5"] == pytest.approx(1.3 - 1.96 / np.sqrt(N_DATA), abs=0.1)
    assert row["q97.5"] == pytest.approx(1.3 + 1.96 / np.sqrt(N_DATA), abs=0.1)


def test_adjustment_does_not_overfit_few_simulations_with_many_statistics():
    parameters, statistics = normal_mean_reference(n=2000, seed=5)
    noise = np.random.default_rng(6).normal(size=(2000, 30))
    statistics = np.column_stack([statistics[:, :1], noise])
    posteriors = abc.parameter_posterior(
        parameters,
        {"theta": Prior("uniform", low=-5, high=5)},
        statistics,
        np.zeros(31),
        tolerance=0.03,
        min_accepted=10,
        regression="loclinear",
    )
    draws, weights = posteriors["loclinear"]
    variance = np.average((draws["theta"] - np.average(draws["theta"], weights=weights)) ** 2, weights=weights)
    # 60 accepted, 31 statistics: least squares would fit the noise and collapse the posterior.
    assert variance > 0.5 / N_DATA
    assert variance < 0.5 * posteriors["rejection"][0]["theta"].var()
    assert np.average(draws["theta"], weights=weights) == pytest.approx(0, abs=0.3)


def test_adjusted_draws_stay_inside_the_prior_bounds():
    rng = np.random.default_rng(1)
    theta = rng.uniform(0, 1, 5000)
    statistics = rng.normal(theta, 0.3)[:, None]
    posteriors = abc.parameter_posterior(
        pd.DataFrame({"theta": theta}),
        {"theta": Prior("uniform", low=0, high=1)},
        statistics,
        np.array([1.4]),
        0.1,
        10,
        "loclinear",
    )
    adjusted = posteriors["loclinear"][0]["theta"]
    assert adjusted.between(0, 1, inclusive="neither").all()
    assert adjusted.mean() > posteriors["rejection"][0]["theta"].mean()  # pulled towards the data, not past 1


def test_log_uniform_transform_round_trips():
    prior = Prior("loguniform", low=10, high=1e5)
    values = np.array([10.5, 300.0, 99_000.0])
    assert prior.from_unbounded(prior.to_unbounded(values)) == pytest.approx(values)


def variance_models(n_per_model=3000, seed=0):
    """Model 'narrow': data N(0, 1); model 'wide': N(0, 4). Statistics: log sample variance, mean."""
    rng = np.random.default_rng(seed)
    rows = []
    for scenario, sd in (("narrow", 1.0), ("wide", 2.0)):
        data = rng.normal(0, sd, (n_per_model, 20))
        rows.append(
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "sim_id": np.arange(n_per_model),
                    "log_var": np.log(data.var(axis=1, ddof=1)),
                    "mean": data.mean(axis=1),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_model_choice_gives_the_true_model_and_cross_validation_beats_chance():
    sumstats = variance_models()
    reference = abc.prepare_reference(sumstats, ["log_var", "mean"])
    observed = reference.scaled({"log_var": np.log(4.3), "mean": 0.1})
    accepted, distances = abc.rejection(reference.statistics, observed, 0.02, 10)
    counts = {"narrow": 3000, "wide": 3000}
    probabilities = abc.model_probabilities(reference.scenarios[accepted], ["narrow", "wide"], counts)
    assert probabilities["wide"] > 0.95
    weights = abc.epanechnikov_weights(distances[accepted])
    regression, penalty = abc.mnlogistic_probabilities(
        reference.statistics[accepted], reference.scenarios[accepted], weights, observed, ["narrow", "wide"], counts
    )
    assert regression["wide"] == 1.0 and np.isnan(penalty)  # only "wide" accepted: nothing to fit

    heldout = evaluation.choose_heldout(sumstats, 100, seed=3)
    is_pod = evaluation.heldout_mask(reference.table, heldout)
    cv = abc.cross_validate_model_choice(
        reference.statistics[~is_pod],
        reference.scenarios[~is_pod],
        reference.statistics[is_pod],
        reference.scenarios[is_pod],
        ["narrow", "wide"],
        [0.01, 0.1],
        10,
    )
    accuracy = (cv["true"] == cv["predicted"]).groupby(cv["tolerance"]).mean()
    assert (accuracy > 0.85).all()  # chance is 0.5
    matrix = evaluation.confusion_matrix(cv["true"], cv["predicted"], ["narrow", "wide"])
    assert matrix.to_numpy().sum() == 2 * 2 * 100


def test_unequal_numbers_of_simulations_are_corrected():
    labels = np.array(["a"] * 20 + ["b"] * 10)  # accepted: twice as many a, but a was simulated 4x more
    probabilities = abc.model_probabilities(labels, ["a", "b"], {"a": 4000, "b": 1000})
    assert probabilities["a"] == pytest.approx(1 / 3)


def test_random_forest_chooses_the_true_model_with_high_probability():
    sumstats = variance_models(1000)
    reference = abc.prepare_reference(sumstats, ["log_var", "mean"])
    target = reference.scaled({"log_var": np.log(4.5), "mean": 0})
    votes = abc.random_forest(reference.statistics, reference.scenarios, target[None, :], 100, seed=1)
    misclassified = votes.misclassified(reference.scenarios)
    assert misclassified.mean() < 0.15
    probability = abc.random_forest_posterior(reference.statistics, misclassified, target, 100, seed=1)
    assert votes.chosen()[0] == "wide" and probability > 0.9
    assert votes.targets[0, list(votes.classes).index("wide")] > 0.9


def test_random_forest_out_of_bag_votes_match_scikit_learn():
    """Grown in chunks, out-of-bag votes are those of one scikit-learn forest of the same trees."""
    sumstats = variance_models(300)
    reference = abc.prepare_reference(sumstats, ["log_var", "mean"])
    statistics, labels = reference.statistics.astype(np.float32), reference.scenarios
    votes = abc.random_forest(statistics, labels, statistics[:5], abc.FOREST_CHUNK, seed=2, sampsize=200)
    forest = RandomForestClassifier(
        abc.FOREST_CHUNK,
        max_features="sqrt",
        max_samples=200,
        oob_score=True,
        random_state=int(rng(2, "RandomForestClassifier", 0).integers(2**31 - 1)),
    ).fit(statistics, labels)
    assert np.allclose(votes.out_of_bag, np.nan_to_num(forest.oob_decision_function_))
    assert np.allclose(votes.targets, forest.predict_proba(statistics[:5]))


def test_random_forest_trees_grow_on_at_most_sampsize_simulations():
    """A tree grown on s of n simulations drawn with replacement leaves each out with probability
    (1 - 1/n)^s: 0.86 for s = 300 of 2,000, 0.37 for s = n."""
    sumstats = variance_models(1000)
    reference = abc.prepare_reference(sumstats, ["log_var", "mean"])
    n, one = len(reference.statistics), reference.statistics[:1]
    capped = abc.random_forest(reference.statistics, reference.scenarios, one, 120, seed=1, sampsize=300)
    assert capped.out_of_bag_trees.mean() / 120 == pytest.approx((1 - 1 / n) ** 300, abs=0.01)
    uncapped = abc.random_forest(reference.statistics, reference.scenarios, one, 120, seed=1)
    assert uncapped.out_of_bag_trees.mean() / 120 == pytest.approx((1 - 1 / n) ** n, abs=0.01)


def test_nearest_is_a_stable_sort_of_the_closest_ties_included():
    distances = np.random.default_rng(3).integers(0, 20, size=500).astype(float)  # many ties
    for n in (1, 7, 25, 26, 499, 500):
        assert np.array_equal(abc.nearest(distances, n), np.argsort(distances, kind="stable")[:n])


def test_goodness_of_fit_null_leaves_each_pseudo_observed_dataset_out():
    statistics = np.random.default_rng(4).normal(size=(300, 3))
    target = np.array([0.5, 0.0, -0.5])
    observed, null, _ = abc.goodness_of_fit(statistics, target, 0.1, 20, np.random.default_rng(5))
    picks = np.random.default_rng(5).choice(300, size=20, replace=False)

    def mean_of_closest(reference, point):  # R gfit: the closest ceil(0.1 * n), by a full sort
        distances = np.sort(np.linalg.norm(reference - point, axis=1))
        return distances[: int(np.ceil(0.1 * len(reference)))].mean()

    assert observed == pytest.approx(mean_of_closest(statistics, target))
    expected = [mean_of_closest(np.delete(statistics, i, axis=0), statistics[i]) for i in picks]
    assert null == pytest.approx(expected)


def test_goodness_of_fit_rejects_data_no_model_produces():
    sumstats = variance_models(1000)
    reference = abc.prepare_reference(sumstats, ["log_var", "mean"])
    narrow = reference.statistics[reference.scenarios == "narrow"]
    _, _, p_fit = abc.goodness_of_fit(
        narrow, reference.scaled({"log_var": 0.0, "mean": 0.0}), 0.05, 200, np.random.default_rng(0)
    )
    _, _, p_misfit = abc.goodness_of_fit(
        narrow, reference.scaled({"log_var": 0.0, "mean": 3.0}), 0.05, 200, np.random.default_rng(0)
    )
    assert p_fit > 0.05 and p_misfit < 0.01


def test_unusable_statistics_are_dropped_with_a_warning(caplog):
    sumstats = variance_models(200)
    sumstats["constant"] = 1.0
    sumstats["mostly_nan"] = np.where(np.arange(len(sumstats)) % 3 == 0, np.nan, 1.0 + np.arange(len(sumstats)))
    reference = abc.prepare_reference(sumstats, ["log_var", "mean", "constant", "mostly_nan"])
    assert reference.names == ["log_var", "mean"]
    assert "statistic constant dropped: constant or NaN" in caplog.text
    assert "statistic mostly_nan dropped: NaN in 34% of simulations" in caplog.text


def test_observed_data_lacking_a_statistic_is_an_error():
    with pytest.raises(DataError, match="observed data lack statistics .*: mean"):
        abc.prepare_reference(variance_models(100), ["log_var", "mean"], observed={"log_var": 1.0})


def test_too_small_a_tolerance_says_how_many_were_accepted():
    with pytest.raises(abc.AbcError, match="tolerance 0.001 accepts 3 of 3000 simulations, fewer than the 10"):
        abc.rejection(np.zeros((3000, 2)), np.zeros(2), 0.001, 10)


def test_pseudo_observed_data_keep_their_nan_statistics(root, monkeypatch, schema_path):
    import yaml
    from conftest import FEW_SIMULATIONS_ABC

    from popsbi.config import load_settings
    from popsbi.stages.observed import observed_features

    monkeypatch.chdir(root)
    config = yaml.safe_load((root / "config" / "examples" / "two_populations.yaml").read_text())
    config.update(simulations_per_scenario=3, abc=FEW_SIMULATIONS_ABC)
    settings = load_settings(config, schema_path)
    sumstats = pd.DataFrame(
        {
            "scenario": ["isolation", "isolation_migration"],
            "sim_id": [0, 0],
            "N_A": [5000.0, 6000.0],
            "m": [np.nan, 1e-4],
            "pi_A": [1e-3, np.nan],
        }
    )
    heldout = pd.DataFrame({"scenario": ["isolation_migration"], "sim_id": [0]})
    observed, image, _, _ = observed_features(settings.observed, sumstats, heldout)
    assert image is None  # no image dataset given
    assert list(observed.columns) == ["source", "sim_id", "N_A", "m", "pi_A"]
    assert np.isnan(observed["pi_A"].iloc[0])  # kept, so ABC drops it with a warning rather than failing
    assert observed["source"].iloc[0].startswith("pseudo-observed: simulation 0 of scenario isolation_migration")


def test_redundant_statistics_are_exact_linear_functions_of_earlier_ones():
    rng = np.random.default_rng(6)
    segregating = rng.poisson(200, size=3000).astype(float)
    h1 = rng.uniform(0.01, 0.2, size=3000)
    sfs = rng.dirichlet([5, 3, 2], size=3000)
    table = pd.DataFrame(
        {
            "segregating_sites": segregating,
            "theta_w": segregating / 5.87,  # S over a_n: nothing new
            "h1": h1,
            "haplotype_diversity": 100 / 99 * (1 - h1),  # nothing new
            "sfs_0": sfs[:, 0],
            "sfs_1": sfs[:, 1],
            "sfs_2": sfs[:, 2],  # 1 - the other bins
            "pi": segregating / 5.87 + rng.normal(scale=2, size=3000),  # correlated, not redundant
        }
    )
    redundant = abc.redundant_statistics(table)
    assert list(redundant) == ["theta_w", "haplotype_diversity", "sfs_2"]
    assert "segregating_sites" in redundant["theta_w"] and "h1" in redundant["haplotype_diversity"]
    reference = abc.prepare_reference(table.assign(scenario="a"), list(table.columns))
    assert reference.names == ["segregating_sites", "h1", "sfs_0", "sfs_1", "pi"]


def test_cross_validation_scales_by_the_reference_rows_alone():
    sumstats = variance_models(500)
    shifted = sumstats.copy()
    shifted.loc[:99, "mean"] += 50.0  # held-out rows far away would inflate a pooled MAD
    is_reference = np.arange(len(shifted)) >= 100
    reference = abc.prepare_reference(shifted, ["log_var", "mean"], scale_rows=is_reference)
    values = shifted.loc[is_reference, "mean"].to_numpy()
    expected = 1.4826 * np.median(np.abs(values - np.median(values)))
    assert reference.scale[1] == pytest.approx(expected)


def test_mnlogistic_penalty_is_strong_for_noise_and_weak_for_a_clear_signal():
    rng = np.random.default_rng(8)
    statistics = rng.normal(size=(400, 5))
    noise = np.repeat(["a", "b"], 200)
    weights = np.ones(400)
    assert abc.mnlogistic_penalty(statistics, noise, weights) == min(abc.MNLOGISTIC_PENALTIES)
    signal = np.where(statistics[:, 0] + 0.3 * rng.normal(size=400) > 0, "a", "b")
    assert abc.mnlogistic_penalty(statistics, signal, weights) >= 1.0
