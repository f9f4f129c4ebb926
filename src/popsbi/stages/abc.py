"""The ABC stage: model choice, parameters, goodness of fit and cross-validation.

Every analysis uses the reference table without the held-out simulations, which are
the pseudo-observed datasets of cross-validation (and the networks' test set).
"""

import logging

import numpy as np
import pandas as pd

from popsbi import abc
from popsbi.datasets import statistic_columns
from popsbi.evaluation import heldout_mask, parameter_scores
from popsbi.seeds import rng

log = logging.getLogger(__name__)


def reference_without_heldout(settings, sumstats, heldout, observed):
    """Scaled reference table (held-out simulations removed) and the scaled observed vector."""
    names = statistic_columns(sumstats, settings.parameter_names)
    training = sumstats[~heldout_mask(sumstats, heldout)]
    observed_row = observed.iloc[0]
    reference = abc.prepare_reference(training.reset_index(drop=True), names, observed_row)
    return reference, reference.scaled(observed_row)


def model_choice(settings, reference, target, threads=1):
    """Posterior probability of every scenario by rejection, regression and random forest (grown
    on ``threads`` cores)."""
    table, accepted, distances = model_choice_by_rejection(settings, reference, target)
    votes, forest = forest_model_choice(settings, reference, target, threads)
    table["random_forest_votes"] = table["scenario"].map(votes).fillna(0.0)
    log.info(
        "model choice: %s; random forest: %s (posterior %.3f)",
        table.set_index("scenario")["rejection"].round(3).to_dict(),
        forest["chosen"].iloc[0],
        forest["posterior_probability"].iloc[0],
    )
    return table, forest, accepted, distances


def model_choice_by_rejection(settings, reference, target):
    """Accepted simulations and posterior probabilities of the scenarios by rejection (and the
    mnlogistic adjustment), with the indices accepted and every simulation's distance."""
    scenarios = list(settings.scenarios)
    counts = {s: int(np.sum(reference.scenarios == s)) for s in scenarios}
    accepted, distances = abc.rejection(reference.statistics, target, settings.tolerance, settings.min_accepted)
    table = pd.DataFrame({"scenario": scenarios})
    table["accepted"] = [int(np.sum(reference.scenarios[accepted] == s)) for s in scenarios]
    table["rejection"] = table["scenario"].map(
        abc.model_probabilities(reference.scenarios[accepted], scenarios, counts)
    )
    if settings.model_choice_regression == "mnlogistic":
        weights = abc.epanechnikov_weights(distances[accepted])
        probabilities, penalty = abc.mnlogistic_probabilities(
            reference.statistics[accepted], reference.scenarios[accepted], weights, target, scenarios, counts
        )
        table["mnlogistic"] = table["scenario"].map(probabilities)
        table["mnlogistic_C"] = penalty
        log.info("mnlogistic: inverse penalty C = %g, chosen by cross-validation of the accepted simulations", penalty)
    return table, accepted, distances


def _forest(settings, threads):
    return {
        "trees": settings.random_forest_trees,
        "seed": settings.seed,
        "threads": threads,
        "sampsize": settings.random_forest_sampsize,
    }


def forest_model_choice(settings, reference, target, threads=1):
    """The random forest's votes for the observed data, and a one-row table of the chosen scenario,
    its posterior probability and the forest's out-of-bag error."""
    forest = _forest(settings, threads)
    votes = abc.random_forest(reference.statistics, reference.scenarios, target[None, :], **forest)
    misclassified = votes.misclassified(reference.scenarios)
    probability = abc.random_forest_posterior(reference.statistics, misclassified, target, **forest)
    table = {"chosen": votes.chosen()[0], "posterior_probability": probability, "oob_error": misclassified.mean()}
    return dict(zip(votes.classes, votes.targets[0])), pd.DataFrame([table])


def goodness_of_fit(settings, reference, target):
    """Goodness of fit of the observed data to each scenario (R abc's gfit)."""
    rows, nulls = [], {}
    for i, scenario in enumerate(settings.scenarios):
        statistics = reference.statistics[reference.scenarios == scenario]
        observed, null, p = abc.goodness_of_fit(
            statistics, target, settings.tolerance, settings.gfit_replicates, rng(settings.seed, "gfit", i)
        )
        rows.append(
            {"scenario": scenario, "observed_distance": observed, "null_median": float(np.median(null)), "p_value": p}
        )
        nulls[scenario] = null
    return pd.DataFrame(rows), nulls


def parameters(settings, reference, target, scenario):
    """Posterior summaries and draws of a scenario's parameters for the observed data."""
    priors = settings.priors[scenario]
    mask = reference.scenarios == scenario
    posteriors = abc.parameter_posterior(
        reference.table.loc[mask, list(priors)],
        priors,
        reference.statistics[mask],
        target,
        settings.parameter_tolerance,
        settings.min_accepted,
        settings.regression,
    )
    return abc.posterior_table(posteriors), posteriors


def accepted_parameters(settings, posteriors, scenario):
    """The parameters of the simulations that rejection accepted, fixed ones included: the draws
    that later stages take as the scenario's ABC posterior."""
    draws = posteriors["rejection"][0].copy()
    for name, prior in settings.priors[scenario].items():
        if prior.dist == "fixed":
            draws[name] = prior.value
    return draws


def cross_validation(settings, sumstats, heldout, threads=1):
    """Model choice and parameter estimation on the held-out simulations.

    Returns per-dataset predictions (rejection at every tolerance of the sweep, random
    forest), the accuracy per tolerance and the parameter prediction error and coverage.
    """
    reference, is_pod = cross_validation_reference(settings, sumstats, heldout)
    predictions, parameters = rejection_cross_validation(settings, reference, is_pod)
    predictions = pd.concat([predictions, forest_cross_validation(settings, reference, is_pod, threads)])
    predictions = predictions.reset_index(drop=True)
    correct = predictions["true"] == predictions["predicted"]
    accuracy = correct.groupby([predictions["method"], predictions["tolerance"].fillna(-1)]).mean().reset_index()
    accuracy.columns = ["method", "tolerance", "accuracy"]
    accuracy["tolerance"] = accuracy["tolerance"].where(accuracy["tolerance"] >= 0)
    return predictions, accuracy, parameters


def cross_validation_reference(settings, sumstats, heldout):
    """The scaled reference table of every simulation, and which rows are held out (pseudo-observed)."""
    is_pod = heldout_mask(sumstats, heldout)
    names = statistic_columns(sumstats, settings.parameter_names)
    reference = abc.prepare_reference(sumstats, names, scale_rows=~is_pod)
    is_pod = heldout_mask(reference.table, heldout)
    if is_pod.sum() < len(heldout):
        log.warning("%d held-out simulations have NaN statistics and are not used", len(heldout) - is_pod.sum())
    return reference, is_pod


def rejection_cross_validation(settings, reference, is_pod):
    """Rejection model choice at every tolerance of the sweep, and parameter posteriors, of each
    pseudo-observed dataset (``is_pod``) against the rest of ``reference``."""
    train, labels = reference.statistics[~is_pod], reference.scenarios[~is_pod]
    scenarios = list(settings.scenarios)
    tolerances = sorted(set(settings.tolerance_sweep) | {settings.tolerance})
    predictions = abc.cross_validate_model_choice(
        train,
        labels,
        reference.statistics[is_pod],
        reference.scenarios[is_pod],
        scenarios,
        tolerances,
        settings.min_accepted,
    )
    pod_ids = reference.table.loc[is_pod, "sim_id"].to_numpy()
    predictions.insert(1, "sim_id", np.repeat(pod_ids, len(tolerances)))
    predictions.insert(0, "method", "rejection")
    parameter_rows = []
    for scenario in scenarios:
        parameter_rows += _cross_validate_parameters(settings, reference, is_pod, scenario)
    return predictions, pd.DataFrame(parameter_rows)


def forest_cross_validation(settings, reference, is_pod, threads=1):
    """The random forest's choice and votes for each pseudo-observed dataset (``is_pod``)."""
    votes = abc.random_forest(
        reference.statistics[~is_pod],
        reference.scenarios[~is_pod],
        reference.statistics[is_pod],
        **_forest(settings, threads),
    )
    forest = pd.DataFrame(
        {
            "method": "random_forest",
            "tolerance": np.nan,
            "sim_id": reference.table.loc[is_pod, "sim_id"].to_numpy(),
            "true": reference.scenarios[is_pod],
            "predicted": votes.chosen(),
        }
    )
    return pd.concat([forest, pd.DataFrame(votes.targets, columns=votes.classes)], axis=1)


def _cross_validate_parameters(settings, reference, is_pod, scenario):
    """Prediction error and the coverage of 95% intervals of the posterior median, per parameter and method."""
    priors = settings.priors[scenario]
    in_scenario = reference.scenarios == scenario
    train = in_scenario & ~is_pod
    values = reference.table.loc[train, list(priors)]
    truths = reference.table.loc[in_scenario & is_pod, list(priors)]
    estimates = {}
    for target, (_, truth) in zip(reference.statistics[in_scenario & is_pod], truths.iterrows()):
        posteriors = abc.parameter_posterior(
            values,
            priors,
            reference.statistics[train],
            target,
            settings.parameter_tolerance,
            settings.min_accepted,
            settings.regression,
        )
        for method, (draws, weights) in posteriors.items():
            for name in draws.columns:
                summary = abc.summarise(draws[name].to_numpy(), weights)
                estimates.setdefault((name, method), []).append(
                    (truth[name], summary["median"], summary["q2.5"], summary["q97.5"])
                )
    return [
        {"scenario": scenario, "parameter": name, "method": method, **parameter_scores(*zip(*rows))}
        for (name, method), rows in estimates.items()
    ]
