"""Approximate Bayesian computation on the reference table.

Rejection ABC (statistics scaled by their median absolute deviation, Euclidean
distance, the closest fraction ``tolerance`` retained), model choice by the
accepted proportions or a weighted multinomial logistic regression, parameter
posteriors with the local-linear regression adjustment of Beaumont, Zhang and
Balding (2002), and a random-forest classifier (Pudlo et al. 2016) as baseline.
As in R's ``abc`` package, unless the docstring says otherwise.
"""

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

from popsbi.errors import DataError, PopsbiError
from popsbi.seeds import rng

log = logging.getLogger(__name__)


class AbcError(PopsbiError):
    """An ABC analysis cannot be done as configured."""


@dataclass
class Reference:
    """Scaled statistics of the reference simulations, their labels and parameters."""

    statistics: np.ndarray  # (n, k), divided by scale
    names: list
    scale: np.ndarray  # (k,)
    scenarios: np.ndarray  # (n,) scenario of each simulation
    table: pd.DataFrame  # the rows of sumstats used, same order

    def scaled(self, observed):
        """An observed row (Series or dict with the statistic names) in the reference's scale."""
        return np.array([observed[name] for name in self.names], dtype=float) / self.scale


def prepare_reference(sumstats, statistic_names, observed=None, scale_rows=None):
    """Drop statistics that cannot be used or say nothing new, with a warning naming them, and
    scale the rest by their MAD over the rows ``scale_rows`` (a boolean mask of ``sumstats``;
    all of them by default): cross-validation scales by the reference table alone, without the
    held-out simulations.

    Dropped: statistics constant or NaN in the whole table, those NaN in more than 5% of
    simulations, those the observed data lack a value for (NaN), and those that are an exact
    linear function of the statistics before them (see :func:`redundant_statistics`), which
    would count the same information twice in the distance. Simulations with a NaN in a
    remaining statistic are dropped. Statistics absent from ``observed`` stop the analysis.
    """
    names = list(statistic_names)
    if observed is not None:
        missing = [name for name in names if name not in observed]
        if missing:
            raise DataError(
                f"the observed data lack statistics that the simulations have: {', '.join(missing)}; "
                "compute both with the same config (features)"
            )
    values = sumstats[names].to_numpy(dtype=float)
    nan_share = np.isnan(values).mean(axis=0)
    spread = np.nanmax(values, axis=0, initial=-np.inf) - np.nanmin(values, axis=0, initial=np.inf)
    drop = {}
    for j, name in enumerate(names):
        if nan_share[j] == 1 or spread[j] == 0:
            drop[name] = "constant or NaN in every simulation"
        elif nan_share[j] > 0.05:
            drop[name] = f"NaN in {nan_share[j]:.0%} of simulations"
        elif observed is not None and not np.isfinite(observed[name]):
            drop[name] = "NaN in the observed data"
    usable = [name for name in names if name not in drop]
    complete = np.isfinite(sumstats[usable].to_numpy(dtype=float)).all(axis=1)
    drop.update(redundant_statistics(sumstats.loc[complete, usable]))
    for name, reason in drop.items():
        log.warning("statistic %s dropped: %s", name, reason)
    kept = [name for name in usable if name not in drop]
    if not kept:
        raise AbcError("no statistic is usable for ABC (see the warnings above)")
    if not complete.all():
        log.warning("%d simulations dropped: NaN in a statistic", (~complete).sum())
    values = sumstats.loc[complete, kept].to_numpy(dtype=float)
    in_scale = complete if scale_rows is None else complete & np.asarray(scale_rows)
    scale = mad(sumstats.loc[in_scale, kept].to_numpy(dtype=float))
    return Reference(
        values / scale,
        kept,
        scale,
        sumstats["scenario"].to_numpy()[complete],
        sumstats[complete].reset_index(drop=True),
    )


def redundant_statistics(table, rows=20_000, tolerance=1e-6):
    """Statistics that are, up to rounding, a linear function of the statistics before them in
    ``table`` (columns in order; at most ``rows`` evenly spaced rows used): {name: reason}.

    Watterson's theta is the number of segregating sites over a constant, haplotype diversity a
    linear function of H1, and the last bin of a normalised SFS one minus the others: each adds
    nothing to the first, and would weigh the same information twice in a distance.
    """
    values = table.to_numpy(dtype=float)[:: max(1, len(table) // rows)]
    spread = values.std(axis=0)
    values = (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1)
    names, kept, redundant = list(table.columns), [], {}
    for j, name in enumerate(names):
        if kept:
            basis = values[:, kept]
            coefficients, *_ = np.linalg.lstsq(basis, values[:, j], rcond=None)
            unexplained = np.mean((values[:, j] - basis @ coefficients) ** 2)  # 1 - R^2, unit variance
            if unexplained < tolerance:
                weights = np.abs(coefficients)
                terms = [names[kept[i]] for i in np.argsort(-weights)[:3] if weights[i] > 1e-3]
                redundant[name] = f"a linear function of {', '.join(terms)} (1 - R^2 = {unexplained:.1g})"
                continue
        kept.append(j)
    return redundant


def mad(values):
    """Median absolute deviation (scaled to the SD of a normal, as R's ``mad``) of each column.

    Falls back to the standard deviation where more than half the values are equal (MAD 0).
    """
    median = np.median(values, axis=0)
    scale = 1.4826 * np.median(np.abs(values - median), axis=0)
    return np.where(scale > 0, scale, np.std(values, axis=0))


def distances_to(statistics, target):
    """Euclidean distance of every row of (scaled) ``statistics`` to ``target``."""
    return np.sqrt(((statistics - target) ** 2).sum(axis=1))


def accepted_count(tolerance, n, min_accepted):
    """ceil(tolerance * n), the number of simulations a tolerance accepts; too few is an error."""
    n_accepted = math.ceil(tolerance * n)
    if n_accepted < min_accepted:
        raise AbcError(
            f"tolerance {tolerance:g} accepts {n_accepted} of {n} simulations, fewer than the "
            f"{min_accepted} needed (abc.min_accepted): raise the tolerance or simulate more"
        )
    return n_accepted


def nearest(distances, n):
    """Indices of the ``n`` smallest distances, closest first, ties in index order (as a stable
    sort of them all, but in linear time: only the ones within the n-th distance are sorted)."""
    within = np.flatnonzero(distances <= np.partition(distances, n - 1)[n - 1])
    return within[np.argsort(distances[within], kind="stable")][:n]


def rejection(statistics, target, tolerance, min_accepted):
    """Indices of the ceil(tolerance * n) simulations closest to ``target``, and all distances."""
    distances = distances_to(statistics, target)
    return nearest(distances, accepted_count(tolerance, len(distances), min_accepted)), distances


def epanechnikov_weights(distances):
    """Epanechnikov kernel weights 1 - (d / h)^2, h the largest accepted distance."""
    h = distances.max()
    if h == 0:
        return np.ones_like(distances)
    return np.clip(1 - (distances / h) ** 2, 0, None)


def model_probabilities(labels, scenarios, simulations_per_scenario):
    """Posterior probability of each scenario: its share of accepted simulations.

    Shares are divided by each scenario's share of the reference table, so unequal
    numbers of simulations act as equal prior probabilities of the scenarios.
    """
    accepted = np.array([np.sum(labels == s) for s in scenarios], dtype=float)
    return _equal_prior(accepted, scenarios, simulations_per_scenario)


def _equal_prior(mass, scenarios, simulations_per_scenario):
    prior = np.array([simulations_per_scenario[s] for s in scenarios], dtype=float)
    corrected = mass / prior
    return dict(zip(scenarios, corrected / corrected.sum()))


def mnlogistic_probabilities(statistics, labels, weights, target, scenarios, simulations_per_scenario):
    """Model probabilities by a multinomial logistic regression of the accepted simulations'
    scenarios on their statistics, weighted by the kernel, evaluated at the target
    (Beaumont 2008; R abc's ``postpr(method = "mnlogistic")``)."""
    present = [s for s in scenarios if np.any(labels == s)]
    if len(present) == 1:
        probabilities = np.array([1.0 if s == present[0] else 0.0 for s in scenarios])
        penalty = np.nan
    else:
        centre = statistics.mean(axis=0)
        penalty = mnlogistic_penalty(statistics - centre, labels, weights)
        model = LogisticRegression(C=penalty, max_iter=2000)
        model.fit(statistics - centre, labels, sample_weight=weights)
        fitted = dict(zip(model.classes_, model.predict_proba((target - centre)[None, :])[0]))
        probabilities = np.array([fitted.get(s, 0.0) for s in scenarios])
    return _equal_prior(probabilities, scenarios, simulations_per_scenario), penalty


#: Inverse L2 penalties tried for the multinomial logistic regression.
MNLOGISTIC_PENALTIES = tuple(np.logspace(-2, 2, 9))


def mnlogistic_penalty(statistics, labels, weights, folds=5):
    """The inverse L2 penalty C of the multinomial logistic regression with the best
    kernel-weighted log-likelihood in ``folds``-fold cross-validation of the accepted simulations.

    Penalised, because accepted simulations are often few for the number of statistics, and an
    unpenalised fit then separates them and gives probabilities of 0 or 1; how much matters (on
    the demo, C = 10 instead of 1 moves the observed answer by 0.3), so the data choose it.
    """
    folds = min(folds, int(np.min(np.unique(labels, return_counts=True)[1])))
    if folds < 2:
        return 1.0
    split = StratifiedKFold(folds, shuffle=True, random_state=0).split(statistics, labels)
    loss = np.zeros(len(MNLOGISTIC_PENALTIES))
    for train, test in split:
        if not weights[test].any():
            continue
        for k, penalty in enumerate(MNLOGISTIC_PENALTIES):
            model = LogisticRegression(C=penalty, max_iter=2000)
            model.fit(statistics[train], labels[train], sample_weight=weights[train])
            loss[k] += log_loss(
                labels[test], model.predict_proba(statistics[test]), sample_weight=weights[test], labels=model.classes_
            )
    return float(MNLOGISTIC_PENALTIES[int(np.argmin(loss))])


# Parameters --------------------------------------------------------------------------------


def local_linear_adjustment(parameters, statistics, target, weights):
    """Beaumont, Zhang and Balding (2002): theta - (s - s_obs) beta, with beta from a weighted
    regression of theta on s among the accepted simulations.

    The regression is a ridge regression whose penalty is chosen by generalised
    cross-validation (Golub, Heath and Wahba 1979), as the ridge adjustment of Blum et al.
    (2013): with few accepted simulations and many statistics, least squares overfits and
    pushes adjusted values far outside the accepted ones. With plenty of simulations the
    chosen penalty is negligible and this is the least-squares adjustment. Residuals are
    inflated for the degrees of freedom of the fit (negligible with many simulations).
    """
    root = np.sqrt(weights / weights.sum())[:, None]
    offsets = statistics - target
    # Centre by the weighted means so the intercept is not penalised.
    x = (offsets - np.average(offsets, axis=0, weights=weights)) * root
    y = (parameters - np.average(parameters, axis=0, weights=weights)) * root
    u, singular, vt = np.linalg.svd(x, full_matrices=False)
    projected = u.T @ y
    n = len(weights)
    best = None
    for penalty in np.logspace(-6, 2, 33) * singular.max() ** 2:
        shrink = singular**2 / (singular**2 + penalty)
        residual = y - u @ (shrink[:, None] * projected)
        score = np.sum(residual**2) / (1 - shrink.sum() / n) ** 2
        if best is None or score < best[0]:
            best = (score, shrink)
    shrink = best[1]
    beta = vt.T @ ((shrink / np.where(singular > 0, singular, 1))[:, None] * projected)
    # Residuals of a fit with df degrees of freedom underestimate the spread by n - df out of n:
    # inflate them (around the fitted value at the target) by sqrt(n / (n - df)), with n the
    # effective number of accepted simulations under the kernel weights.
    effective = weights.sum() ** 2 / np.sum(weights**2)
    degrees = shrink.sum() + 1
    inflation = np.sqrt(effective / max(effective - degrees, 1.0))
    adjusted = parameters - offsets @ beta
    centre = np.average(adjusted, axis=0, weights=weights)
    return centre + inflation * (adjusted - centre)


def weighted_quantiles(values, weights, quantiles):
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    cumulative = (cumulative - 0.5 * weights[order]) / cumulative[-1]
    return np.interp(quantiles, cumulative, values[order])


def summarise(values, weights):
    """Mean, median and 95% interval of weighted draws."""
    q025, median, q975 = weighted_quantiles(values, weights, [0.025, 0.5, 0.975])
    return {
        "mean": float(np.average(values, weights=weights)),
        "median": float(median),
        "q2.5": float(q025),
        "q97.5": float(q975),
    }


def parameter_posterior(parameters, priors, statistics, target, tolerance, min_accepted, regression):
    """Rejection and (if ``regression == "loclinear"``) regression-adjusted posterior draws.

    ``parameters`` is a DataFrame of the simulations' parameter values (rows of
    ``statistics``); fixed parameters are left out. Returns {method: (draws DataFrame,
    weights)}; adjusted draws stay inside the prior's support by construction.
    """
    accepted, distances = rejection(statistics, target, tolerance, min_accepted)
    free = [name for name in parameters.columns if priors[name].dist != "fixed"]
    draws = parameters[free].to_numpy(dtype=float)[accepted]
    posteriors = {"rejection": (pd.DataFrame(draws, columns=free), np.ones(len(accepted)))}
    if regression == "loclinear":
        weights = epanechnikov_weights(distances[accepted])
        unbounded = np.column_stack([priors[name].to_unbounded(draws[:, j]) for j, name in enumerate(free)])
        adjusted = local_linear_adjustment(unbounded, statistics[accepted], target, weights)
        back = np.column_stack([priors[name].from_unbounded(adjusted[:, j]) for j, name in enumerate(free)])
        posteriors["loclinear"] = (pd.DataFrame(back, columns=free), weights)
    return posteriors


def posterior_table(posteriors):
    """One row per (parameter, method): mean, median, 95% interval."""
    rows = []
    for method, (draws, weights) in posteriors.items():
        for name in draws.columns:
            rows.append({"parameter": name, "method": method, **summarise(draws[name].to_numpy(), weights)})
    return pd.DataFrame(rows)


# Random forest -----------------------------------------------------------------------------


#: Trees held in memory at once: a forest grows in chunks of this many, each dropped once it has
#: voted, so memory holds 50 trees (about 5 MB each on 1e5 simulations) whatever the number of trees.
FOREST_CHUNK = 50


@dataclass
class ForestVotes:
    """What a random-forest classifier says: the share of its trees' votes for each class (columns
    in the order of ``classes``) of each target, and of each simulation from the trees that did not
    grow on it (out of bag), with the number of those trees."""

    classes: np.ndarray
    targets: np.ndarray  # (m, k)
    out_of_bag: np.ndarray  # (n, k)
    out_of_bag_trees: np.ndarray  # (n,)

    def chosen(self):
        """The class of each target with the largest vote share."""
        return self.classes[np.argmax(self.targets, axis=1)]

    def misclassified(self, labels):
        """1.0 where the out-of-bag vote is not the simulation's own class, else 0.0."""
        return (self.classes[np.argmax(self.out_of_bag, axis=1)] != labels).astype(float)


def random_forest(statistics, labels, targets, trees, seed, threads=1, sampsize=100_000):
    """Votes of a random-forest classifier of scenarios (Pudlo et al. 2016) for ``targets`` (rows
    scaled as ``statistics``), and its out-of-bag votes.

    As R's abcrf (on ranger): each tree grows on a bootstrap sample of at most ``sampsize``
    simulations and tries about sqrt(p) of the p statistics at each split.
    """
    statistics = np.asarray(statistics, dtype=np.float32)  # trees split on float32
    classes = np.unique(labels)
    votes = np.zeros((len(targets), len(classes)))
    out_of_bag = np.zeros((len(statistics), len(classes)))
    out_of_bag_trees = np.zeros(len(statistics), dtype=int)
    forest = {"max_features": "sqrt", "max_samples": min(sampsize, len(statistics))}
    for chunk in _grown_in_chunks(RandomForestClassifier, forest, statistics, labels, trees, seed, threads):
        votes += chunk.predict_proba(targets) * len(chunk.estimators_)
        for tree, grown_on in zip(chunk.estimators_, chunk.estimators_samples_):
            unseen = np.ones(len(statistics), dtype=bool)
            unseen[grown_on] = False
            out_of_bag[unseen] += tree.predict_proba(statistics[unseen])
            out_of_bag_trees[unseen] += 1
    seen_by_all = out_of_bag_trees == 0
    if seen_by_all.any():
        log.warning("%d simulations were in every tree's sample: too few trees for out-of-bag votes", seen_by_all.sum())
    return ForestVotes(classes, votes / trees, out_of_bag / np.maximum(out_of_bag_trees, 1)[:, None], out_of_bag_trees)


def random_forest_posterior(statistics, misclassified, target, trees, seed, threads=1, sampsize=100_000):
    """Posterior probability of the scenario chosen for ``target``: 1 - a regression forest's
    prediction of the classifier's out-of-bag misclassification there (Pudlo et al. 2016).

    Only needed for the observed data: cross-validation does without it. As R's abcrf, each tree
    grows on at most ``sampsize`` simulations, with leaves of at least 5; as R's randomForest
    regression, it tries p/3 of the p statistics at each split. Trying all p gave the same
    calibration on the demo's 147 held-out simulations (Brier score 0.138 against 0.140, means
    over 3 seeds; mean posterior 0.825 for both, accuracy 0.800) in three times the time.
    """
    statistics = np.asarray(statistics, dtype=np.float32)
    forest = {"min_samples_leaf": 5, "max_features": 1 / 3, "max_samples": min(sampsize, len(statistics))}
    error = 0.0
    for chunk in _grown_in_chunks(RandomForestRegressor, forest, statistics, misclassified, trees, seed, threads):
        error += chunk.predict(target[None, :])[0] * len(chunk.estimators_)
    return 1 - error / trees


def _grown_in_chunks(model, settings, statistics, response, trees, seed, threads):
    """Forests of at most FOREST_CHUNK trees, ``trees`` in all, grown one after another on ``threads``
    cores, each from its own stream of ``seed``."""
    for index, start in enumerate(range(0, trees, FOREST_CHUNK)):
        chunk = model(
            n_estimators=min(FOREST_CHUNK, trees - start),
            random_state=int(rng(seed, model.__name__, index).integers(2**31 - 1)),
            n_jobs=threads,
            **settings,
        )
        # Fit in parallel, predict serially: parallel prediction adds the trees' outputs in the
        # order threads finish, which changes the last bits of probabilities from run to run.
        yield chunk.fit(statistics, response).set_params(n_jobs=1)


# Cross-validation, goodness of fit ---------------------------------------------------------


def cross_validate_model_choice(train, train_labels, pods, pod_labels, scenarios, tolerances, min_accepted):
    """Predicted scenario of each pseudo-observed dataset, by rejection, for each tolerance.

    Returns a DataFrame: tolerance, true, predicted, and one probability column per scenario.
    """
    counts = {s: int(np.sum(train_labels == s)) for s in scenarios}
    accepted = {tolerance: accepted_count(tolerance, len(train), min_accepted) for tolerance in tolerances}
    rows = []
    for i, target in enumerate(pods):
        order = nearest(distances_to(train, target), max(accepted.values()))
        for tolerance, n_accepted in accepted.items():
            probabilities = model_probabilities(train_labels[order[:n_accepted]], scenarios, counts)
            predicted = max(probabilities, key=probabilities.get)
            rows.append({"tolerance": tolerance, "true": pod_labels[i], "predicted": predicted, **probabilities})
    return pd.DataFrame(rows)


def goodness_of_fit(statistics, target, tolerance, replicates, rng):
    """R abc's ``gfit``: the mean distance of the accepted simulations to the target, against
    its distribution when the target is one of the simulations (pseudo-observed, left out), ``replicates``
    of them drawn with the Generator ``rng``.

    Returns (observed statistic, null statistics, p-value = share of null >= observed).
    """

    def mean_accepted(distances, n_reference):
        n_accepted = max(math.ceil(tolerance * n_reference), 1)
        return np.partition(distances, n_accepted - 1)[:n_accepted].mean()

    n = len(statistics)
    observed = mean_accepted(distances_to(statistics, target), n)
    picks = rng.choice(n, size=min(replicates, n), replace=False)
    null = np.empty(len(picks))
    for j, i in enumerate(picks):
        distances = distances_to(statistics, statistics[i])
        distances[i] = np.inf  # left out, without copying the table
        null[j] = mean_accepted(distances, n - 1)
    return observed, null, float(np.mean(null >= observed))
