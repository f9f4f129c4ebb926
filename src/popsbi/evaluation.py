"""Judging methods on held-out simulations: the held-out set that ABC and the networks share,
confusion matrices, parameter accuracy and the comparison of methods."""

import logging

import numpy as np
import pandas as pd

from popsbi.errors import PopsbiError
from popsbi.seeds import rng as seeded_rng

log = logging.getLogger(__name__)


def choose_heldout(sumstats, per_scenario, seed):
    """(scenario, sim_id) of ``per_scenario`` simulations per scenario, drawn from ``seed``.

    These pseudo-observed datasets are left out of every reference and training set, so that
    every method is tested on the same simulations.
    """
    rng = seeded_rng(seed, "heldout")
    chosen = []
    for scenario, group in sumstats.groupby("scenario", sort=False):
        if per_scenario >= len(group):
            raise PopsbiError(
                f"cannot hold out {per_scenario} of the {len(group)} simulations of scenario "
                f"{scenario}: some must be left to learn from"
            )
        ids = np.sort(rng.choice(group["sim_id"].to_numpy(), per_scenario, replace=False))
        chosen.append(pd.DataFrame({"scenario": scenario, "sim_id": ids}))
    return pd.concat(chosen, ignore_index=True)


def heldout_mask(table, heldout):
    """Boolean mask of the rows of a table with (scenario, sim_id) columns that are held out."""
    keys = set(zip(heldout["scenario"], heldout["sim_id"]))
    return np.array([key in keys for key in zip(table["scenario"], table["sim_id"])], dtype=bool)


def confusion_matrix(true, predicted, scenarios):
    """Counts with true scenarios as rows and predicted as columns."""
    table = pd.crosstab(pd.Categorical(true, scenarios), pd.Categorical(predicted, scenarios), dropna=False)
    table.index.name, table.columns.name = "true", "predicted"
    return table


def prediction_error(true, estimate):
    """R abc's cv4abc prediction error: sum of squared errors / (n var(true))."""
    true, estimate = np.asarray(true, dtype=float), np.asarray(estimate, dtype=float)
    return float(np.sum((estimate - true) ** 2) / (len(true) * np.var(true)))


def parameter_scores(true, median, lower, upper):
    """Prediction error of the posterior medians and coverage of the 95% intervals [lower, upper]."""
    true = np.asarray(true, dtype=float)
    covered = (np.asarray(lower) <= true) & (true <= np.asarray(upper))
    return {"n": len(true), "prediction_error": prediction_error(true, median), "coverage_95": float(covered.mean())}


def compare_methods(methods, scenarios):
    """Accuracy (with its binomial standard error), log loss and Brier score per scenario and
    overall of each method (name -> its predictions: true, sim_id, predicted, and one probability
    column per scenario), on the held-out simulations that every method classified."""
    keys = [_simulations(table) for table in methods.values()]
    shared = set.intersection(*keys)
    if len(shared) < max(len(k) for k in keys):
        log.warning(
            "compared on the %d held-out simulations every method classified (ABC leaves out those "
            "with NaN statistics)",
            len(shared),
        )
    rows = []
    for method, table in methods.items():
        table = _on_simulations(table, shared)
        true = table["true"].to_numpy()
        scores = probability_scores(true, table[list(scenarios)].to_numpy(dtype=float), scenarios)
        scores["correct"] = true == table["predicted"].to_numpy()
        for scenario in scenarios:
            rows.append({"method": method, "scenario": scenario, **_summary(scores, true == scenario)})
        rows.append({"method": method, "scenario": "overall", **_summary(scores, np.ones(len(true), dtype=bool))})
    return pd.DataFrame(rows)


def shared_simulations(methods):
    """The held-out simulations, as (scenario, sim_id), that every method classified."""
    return set.intersection(*(_simulations(table) for table in methods.values()))


def _simulations(table):
    """The held-out simulations, as (scenario, sim_id), of a prediction table."""
    return set(zip(table["true"], table["sim_id"]))


def _on_simulations(table, simulations):
    """The rows of a prediction table that predict one of ``simulations``."""
    return table[[key in simulations for key in zip(table["true"], table["sim_id"])]]


def probability_scores(true, probabilities, scenarios):
    """Per dataset: the log loss (-log of the probability of the true scenario, which is at least
    machine epsilon, as scikit-learn's) and the Brier score (squared distance of the probabilities
    to the true scenario's indicator, summed over scenarios)."""
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    indicator = np.asarray(true)[:, None] == np.asarray(scenarios)[None, :]
    own = np.clip(probabilities[indicator], np.finfo(float).eps, 1)
    return {"log_loss": -np.log(own), "brier": ((probabilities - indicator) ** 2).sum(axis=1)}


def _summary(scores, rows):
    n = int(rows.sum())
    accuracy = float(scores["correct"][rows].mean())
    return {
        "n": n,
        "accuracy": accuracy,
        "accuracy_se": float(np.sqrt(accuracy * (1 - accuracy) / n)),
        "log_loss": float(scores["log_loss"][rows].mean()),
        "brier": float(scores["brier"][rows].mean()),
    }


def ensemble(predictions, scenarios):
    """The ensemble of networks trained with several seeds: the mean of their probabilities for
    each held-out simulation (``predictions``: one table per seed, rows in the same order), and
    its most probable scenario."""
    first = predictions[0]
    for table in predictions[1:]:
        if not (table["sim_id"].to_numpy() == first["sim_id"].to_numpy()).all():
            raise PopsbiError("the seeds' held-out predictions are not of the same simulations")
    mean = np.mean([table[list(scenarios)].to_numpy(dtype=float) for table in predictions], axis=0)
    out = first[["sim_id", "true"]].copy()
    out["predicted"] = np.asarray(scenarios)[mean.argmax(axis=1)]
    out[list(scenarios)] = mean
    return out


def seed_spread(predictions, scenarios, simulations):
    """How a network's held-out scores vary with its training seed: for each network (name ->
    one prediction table per seed), the mean and standard deviation over seeds of the overall
    accuracy and log loss, and the scores of the seeds' ensemble, on the held-out
    ``simulations`` (a set of (scenario, sim_id): those that every method classified)."""
    rows = []
    for method, tables in predictions.items():
        tables = [_on_simulations(table, simulations) for table in tables]
        per_seed = compare_methods(dict(enumerate(tables)), scenarios)
        overall = per_seed[per_seed["scenario"] == "overall"]
        joined = compare_methods({method: ensemble(tables, scenarios)}, scenarios)
        joined = joined[joined["scenario"] == "overall"].iloc[0]
        rows.append(
            {
                "method": method,
                "seeds": len(tables),
                "accuracy_mean": overall["accuracy"].mean(),
                "accuracy_sd": overall["accuracy"].std(ddof=1) if len(tables) > 1 else np.nan,
                "log_loss_mean": overall["log_loss"].mean(),
                "log_loss_sd": overall["log_loss"].std(ddof=1) if len(tables) > 1 else np.nan,
                "ensemble_accuracy": joined["accuracy"],
                "ensemble_log_loss": joined["log_loss"],
            }
        )
    return pd.DataFrame(rows)


def held_out_methods(abc_predictions, network_predictions, tolerance):
    """Every method's held-out predictions by name: ABC rejection (at ``tolerance``), ABC random
    forest and each network."""
    methods = {
        f"ABC rejection ({tolerance:g})": abc_predictions[
            (abc_predictions["method"] == "rejection") & (abc_predictions["tolerance"] == tolerance)
        ],
        "ABC random forest": abc_predictions[abc_predictions["method"] == "random_forest"],
    }
    methods.update({f"network {architecture}": table for architecture, table in network_predictions.items()})
    return methods
