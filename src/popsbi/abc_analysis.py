"""The ABC stage of the workflow: observed features, model choice, parameters, cross-validation.

Every analysis uses the reference table without the held-out simulations, which are
the pseudo-observed datasets of cross-validation (and the CNN's test set).
"""

import logging
import zlib

import numpy as np
import pandas as pd

from popsbi import abc
from popsbi.batch import statistic_columns
from popsbi.errors import DataError
from popsbi.features import summary_statistics
from popsbi.images import genotype_image
from popsbi.observed import read_popmap, read_vcf_region

log = logging.getLogger(__name__)


def observed_features(settings, sumstats=None, heldout=None, dataset=None):
    """What the observed data are, their statistics and their image: (table, image, distances).

    ``table`` has one row: ``source`` (what the data are) and the statistics. The data are
    the VCF region of the config or, for a pseudo-observed dataset, the first held-out
    simulation of ``observed.pseudo_observed_scenario`` (with its true parameters), whose
    image comes from ``dataset`` (images, distances, index) when given.
    """
    observed = settings.observed
    if observed["vcf"] is None:
        scenario = observed["pseudo_observed_scenario"]
        sim_id = heldout.loc[heldout["scenario"] == scenario, "sim_id"].iloc[0]
        row = sumstats[(sumstats["scenario"] == scenario) & (sumstats["sim_id"] == sim_id)]
        source = f"pseudo-observed: simulation {sim_id} of scenario {scenario} (held out), not real data"
        other_parameters = [c for c in row.columns if c in settings.parameter_names and row[c].isna().all()]
        table = row.drop(columns=["scenario", *other_parameters]).reset_index(drop=True)
        table.insert(0, "source", source)
        if dataset is None:
            return table, None, None
        images, distances, index = dataset
        position = np.flatnonzero((index["scenario"] == scenario).to_numpy() & (index["sim_id"] == sim_id).to_numpy())[0]
        return table, np.array(images[position]), np.array(distances[position])
    popmap = read_popmap(observed["popmap"]) if observed["popmap"] else None
    genotypes = read_vcf_region(observed["vcf"], observed["contig"], observed["start"], observed["end"],
                                settings.samples, popmap, settings.seed, settings.polarised)
    if len(genotypes.positions) == 0:
        raise DataError(f"no biallelic SNP left in {observed['vcf']} {observed['contig']}:"
                        f"{observed['start'] + 1}-{observed['end']} after filtering")
    source = (f"{observed['vcf']} {observed['contig']}:{observed['start'] + 1}-{observed['end']}, "
              + ", ".join(f"{n} individuals of {pop}" for pop, n in settings.samples.items()))
    statistics = summary_statistics(genotypes, settings.features)
    image, distances = genotype_image(genotypes, settings.image_snps, settings.sort_rows)
    return pd.DataFrame([{"source": source, **statistics}]), image, distances


def reference_without_heldout(settings, sumstats, heldout, observed):
    """Scaled reference table (held-out simulations removed) and the scaled observed vector."""
    names = statistic_columns(sumstats, settings.parameter_names)
    training = sumstats[~abc.heldout_mask(sumstats, heldout)]
    observed_row = observed.iloc[0]
    reference = abc.prepare_reference(training.reset_index(drop=True), names, observed_row)
    return reference, reference.scaled(observed_row)


def model_choice(settings, reference, target):
    """Posterior probability of every scenario by rejection, regression and random forest."""
    config = settings.abc
    scenarios = list(settings.scenarios)
    counts = {s: int(np.sum(reference.scenarios == s)) for s in scenarios}
    accepted, distances = abc.rejection(reference.statistics, target, config["tolerance"], config["min_accepted"])
    table = pd.DataFrame({"scenario": scenarios})
    table["accepted"] = [int(np.sum(reference.scenarios[accepted] == s)) for s in scenarios]
    table["rejection"] = table["scenario"].map(abc.model_probabilities(reference.scenarios[accepted], scenarios, counts))
    if config["model_choice_regression"] == "mnlogistic":
        weights = abc.epanechnikov_weights(distances[accepted])
        table["mnlogistic"] = table["scenario"].map(abc.mnlogistic_probabilities(
            reference.statistics[accepted], reference.scenarios[accepted], weights, target, scenarios, counts))
    classifier, error_model, oob_error = abc.random_forest(
        reference.statistics, reference.scenarios, config["random_forest_trees"], settings.seed, threads=2)
    chosen, probability, votes = abc.random_forest_choice(classifier, error_model, target)
    table["random_forest_votes"] = table["scenario"].map(votes).fillna(0.0)
    forest = pd.DataFrame([{"chosen": chosen, "posterior_probability": probability, "oob_error": oob_error}])
    log.info("model choice: %s; random forest: %s (posterior %.3f)",
             table.set_index("scenario")["rejection"].round(3).to_dict(), chosen, probability)
    return table, forest, accepted, distances


def goodness_of_fit(settings, reference, target):
    """Goodness of fit of the observed data to each scenario (R abc's gfit)."""
    rows, nulls = [], {}
    for i, scenario in enumerate(settings.scenarios):
        statistics = reference.statistics[reference.scenarios == scenario]
        observed, null, p = abc.goodness_of_fit(statistics, target, settings.abc["tolerance"],
                                                settings.abc["gfit_replicates"],
                                                [settings.seed, zlib.crc32(b"gfit"), i])
        rows.append({"scenario": scenario, "observed_distance": observed, "null_median": float(np.median(null)),
                     "p_value": p})
        nulls[scenario] = null
    return pd.DataFrame(rows), nulls


def parameters(settings, reference, target, scenario):
    """Posterior summaries and draws of a scenario's parameters for the observed data."""
    priors = settings.priors_of(scenario)
    mask = reference.scenarios == scenario
    posteriors = abc.parameter_posterior(reference.table.loc[mask, list(priors)], priors, reference.statistics[mask],
                                         target, settings.abc["parameter_tolerance"], settings.abc["min_accepted"],
                                         settings.abc["regression"])
    return abc.posterior_table(posteriors), posteriors


def cross_validation(settings, sumstats, heldout):
    """Model choice and parameter estimation on the held-out simulations.

    Returns per-dataset predictions (rejection at every tolerance of the sweep, random
    forest), the accuracy per tolerance and the parameter prediction error and coverage.
    """
    names = statistic_columns(sumstats, settings.parameter_names)
    reference = abc.prepare_reference(sumstats, names)
    is_pod = abc.heldout_mask(reference.table, heldout)
    if is_pod.sum() < len(heldout):
        log.warning("%d held-out simulations have NaN statistics and are not used", len(heldout) - is_pod.sum())
    train, labels = reference.statistics[~is_pod], reference.scenarios[~is_pod]
    pods, pod_labels = reference.statistics[is_pod], reference.scenarios[is_pod]
    scenarios = list(settings.scenarios)
    tolerances = sorted(set(settings.abc["tolerance_sweep"]) | {settings.abc["tolerance"]})
    predictions = abc.cross_validate_model_choice(train, labels, pods, pod_labels, scenarios, tolerances,
                                                  settings.abc["min_accepted"])
    pod_ids = reference.table.loc[is_pod, "sim_id"].to_numpy()
    predictions.insert(1, "sim_id", np.repeat(pod_ids, len(tolerances)))
    predictions.insert(0, "method", "rejection")
    classifier, _, _ = abc.random_forest(train, labels, settings.abc["random_forest_trees"], settings.seed, threads=2)
    forest = pd.DataFrame({"method": "random_forest", "tolerance": np.nan, "sim_id": pod_ids, "true": pod_labels,
                           "predicted": classifier.predict(pods)})
    forest = pd.concat([forest, pd.DataFrame(classifier.predict_proba(pods), columns=classifier.classes_)], axis=1)
    predictions = pd.concat([predictions, forest], ignore_index=True)
    correct = predictions["true"] == predictions["predicted"]
    accuracy = correct.groupby([predictions["method"], predictions["tolerance"].fillna(-1)]).mean().reset_index()
    accuracy.columns = ["method", "tolerance", "accuracy"]
    accuracy["tolerance"] = accuracy["tolerance"].where(accuracy["tolerance"] >= 0)
    parameter_rows = []
    for scenario in scenarios:
        parameter_rows += _cross_validate_parameters(settings, reference, is_pod, scenario)
    return predictions, accuracy, pd.DataFrame(parameter_rows)


def _cross_validate_parameters(settings, reference, is_pod, scenario):
    """Prediction error and the coverage of 95% intervals of the posterior median, per parameter and method."""
    priors = settings.priors_of(scenario)
    in_scenario = reference.scenarios == scenario
    train = in_scenario & ~is_pod
    values = reference.table.loc[train, list(priors)]
    truths = reference.table.loc[in_scenario & is_pod, list(priors)]
    estimates = {}
    for target, (_, truth) in zip(reference.statistics[in_scenario & is_pod], truths.iterrows()):
        posteriors = abc.parameter_posterior(values, priors, reference.statistics[train], target,
                                             settings.abc["parameter_tolerance"], settings.abc["min_accepted"],
                                             settings.abc["regression"])
        for method, (draws, weights) in posteriors.items():
            for name in draws.columns:
                summary = abc.summarise(draws[name].to_numpy(), weights)
                estimates.setdefault((name, method), []).append(
                    (truth[name], summary["median"], summary["q2.5"] <= truth[name] <= summary["q97.5"]))
    rows = []
    for (name, method), triples in estimates.items():
        true, median, covered = map(np.array, zip(*triples))
        rows.append({"scenario": scenario, "parameter": name, "method": method, "n": len(true),
                     "prediction_error": abc.prediction_error(true, median),
                     "coverage_95": float(covered.mean())})
    return rows
