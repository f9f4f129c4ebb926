"""Figures of the datasets, the ABC and the networks."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path):
    """Every figure at one resolution, closed once written (a long job draws many)."""
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _accuracy_axis(ax):
    ax.set_ylabel("held-out accuracy")
    ax.set_ylim(0, 1)


def plot_statistics(sumstats, columns, path, columns_per_row=6):
    """One panel per statistic column: its distribution in each scenario (overlaid histograms).

    Shows at a glance which statistics tell the scenarios apart.
    """
    rows = math.ceil(len(columns) / columns_per_row)
    fig, axes = plt.subplots(
        rows, columns_per_row, figsize=(2.6 * columns_per_row, 2.1 * rows), layout="constrained", squeeze=False
    )
    scenarios = list(dict.fromkeys(sumstats["scenario"]))
    for ax, column in zip(axes.flat, columns):
        values = sumstats[column].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size == 0 or finite.min() == finite.max():
            ax.text(0.5, 0.5, "constant or NaN", ha="center", va="center", transform=ax.transAxes)
        else:
            bins = np.linspace(*np.percentile(finite, [0.5, 99.5]), 30)
            for scenario in scenarios:
                ax.hist(
                    sumstats.loc[sumstats["scenario"] == scenario, column],
                    bins=bins,
                    histtype="step",
                    density=True,
                    label=scenario,
                )
        ax.set_title(column, fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_yticks([])
    for ax in axes.flat[len(columns) :]:
        ax.axis("off")
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside upper center", ncols=len(scenarios))
    _save(fig, path)


def _scenario_colours(scenarios):
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {s: cycle[i % len(cycle)] for i, s in enumerate(scenarios)}


def plot_distances(distances, scenarios, accepted, source, path):
    """Distances of the reference simulations to the observed data; the accepted ones shaded."""
    colours = _scenario_colours(dict.fromkeys(scenarios))
    threshold = distances[accepted].max()
    fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    bins = np.linspace(0, np.percentile(distances, 99), 60)
    for scenario, colour in colours.items():
        ax.hist(distances[scenarios == scenario], bins=bins, histtype="step", color=colour, label=scenario)
    ax.axvspan(0, threshold, color="grey", alpha=0.25, label=f"accepted ({len(accepted)})")
    ax.set_xlabel("distance to the observed statistics (MAD-scaled, Euclidean)")
    ax.set_ylabel("simulations")
    ax.set_title(source, fontsize=8)
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_pca(statistics, scenarios, target, source, path):
    """First two principal components of the scaled reference statistics, observed data as a star."""
    centre = statistics.mean(axis=0)
    _, singular, axes = np.linalg.svd(statistics - centre, full_matrices=False)
    explained = singular**2 / np.sum(singular**2)
    projected = (statistics - centre) @ axes[:2].T
    point = (target - centre) @ axes[:2].T
    fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    for scenario, colour in _scenario_colours(dict.fromkeys(scenarios)).items():
        mask = scenarios == scenario
        ax.scatter(*projected[mask].T, s=4, alpha=0.4, color=colour, label=scenario)
    ax.scatter(*point, marker="*", s=300, color="black", edgecolor="white", label="observed", zorder=3)
    ax.set_xlabel(f"PC1 ({explained[0]:.0%})")
    ax.set_ylabel(f"PC2 ({explained[1]:.0%})")
    ax.set_title(source, fontsize=8)
    legend = ax.legend(fontsize=8)
    for handle in legend.legend_handles:
        handle.set_sizes([40])
    _save(fig, path)


def plot_goodness_of_fit(table, nulls, path):
    """Per scenario: distribution of the gfit statistic for pseudo-observed data, and the observed value."""
    fig, axes = plt.subplots(1, len(table), figsize=(3.2 * len(table), 3), layout="constrained", squeeze=False)
    for ax, (_, row) in zip(axes[0], table.iterrows()):
        ax.hist(nulls[row["scenario"]], bins=30, color="lightgrey", edgecolor="grey")
        ax.axvline(row["observed_distance"], color="crimson", label="observed")
        ax.set_title(f"{row['scenario']}\np = {row['p_value']:.3f}", fontsize=9)
        ax.set_xlabel("mean distance of accepted", fontsize=8)
    axes[0][0].legend(fontsize=8)
    _save(fig, path)


def plot_posteriors(prior_draws, posteriors, priors, scenario, path):
    """Per parameter: the prior, the rejection and the regression-adjusted posterior densities."""
    names = list(next(iter(posteriors.values()))[0].columns)
    fig, axes = plt.subplots(1, len(names), figsize=(3.3 * len(names), 3), layout="constrained", squeeze=False)
    for ax, name in zip(axes[0], names):
        low, high = priors[name].support
        log_scale = priors[name].dist == "loguniform"
        bins = np.geomspace(low, high, 40) if log_scale else np.linspace(low, high, 40)
        ax.hist(prior_draws[name], bins=bins, density=True, histtype="stepfilled", color="lightgrey", label="prior")
        for method, (draws, weights) in posteriors.items():
            ax.hist(draws[name], bins=bins, weights=weights, density=True, histtype="step", linewidth=1.5, label=method)
        if log_scale:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel(name)
        ax.set_yticks([])
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{scenario}: prior and posterior densities", fontsize=10)
    _save(fig, path)


def plot_confusion(matrices, path):
    """Heatmaps of confusion matrices (rows: true scenario, columns: predicted), as proportions of rows."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(4.2 * len(matrices), 3.8), layout="constrained", squeeze=False)
    for ax, (title, matrix) in zip(axes[0], matrices.items()):
        proportions = matrix.to_numpy() / np.maximum(matrix.to_numpy().sum(axis=1, keepdims=True), 1)
        ax.imshow(proportions, cmap="Blues", vmin=0, vmax=1)
        for (i, j), value in np.ndenumerate(proportions):
            ax.text(
                j, i, f"{value:.2f}", ha="center", va="center", color="white" if value > 0.6 else "black", fontsize=9
            )
        ax.set_xticks(range(len(matrix.columns)), matrix.columns, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(matrix.index)), matrix.index, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        accuracy = np.trace(matrix.to_numpy()) / max(matrix.to_numpy().sum(), 1)
        ax.set_title(f"{title}\naccuracy {accuracy:.2f}", fontsize=9)
    _save(fig, path)


def plot_tolerance_sweep(accuracy, path):
    """Cross-validated accuracy of model choice against the ABC tolerance."""
    rejection = accuracy[accuracy["method"] == "rejection"]
    fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    ax.plot(rejection["tolerance"], rejection["accuracy"], marker="o", label="rejection ABC")
    for _, row in accuracy[accuracy["method"] != "rejection"].iterrows():
        ax.axhline(row["accuracy"], linestyle="--", color="grey", label=row["method"].replace("_", " "))
    ax.set_xscale("log")
    ax.set_xlabel("tolerance (proportion of simulations accepted)")
    _accuracy_axis(ax)
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_training_curves(history, path, title):
    """Loss and accuracy per epoch, training and validation, with the epoch of the kept model."""
    best = history.loc[history["val_loss"].idxmin(), "epoch"] + 1
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for stage, label in (("train", "training"), ("val", "validation")):
            ax.plot(history["epoch"] + 1, history[f"{stage}_{metric}"], marker="o", markersize=3, label=label)
        ax.axvline(best, color="grey", linestyle=":", label=f"kept (epoch {best})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
    axes[1].set_ylim(0, 1)
    axes[1].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    _save(fig, path)


def plot_calibration(true, probabilities, path, title, bins=10):
    """Reliability diagram: the frequency of the scenario among held-out datasets against the
    probability the classifier gave it (all scenarios pooled, one-vs-rest), with counts."""
    edges = np.linspace(0, 1, bins + 1)
    mean_predicted, frequency, counts = reliability(true, probabilities, bins)
    used = counts > 0
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(4.5, 5), height_ratios=(3, 1), sharex=True, layout="constrained")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
    ax.plot(mean_predicted[used], frequency[used], marker="o", label="classifier")
    _reliability_axes(ax)
    ax.set_title(title, fontsize=10)
    hist.bar(edges[:-1], counts, width=1 / bins, align="edge", color="lightgrey", edgecolor="grey")
    hist.set_xlabel("predicted probability of a scenario")
    hist.set_ylabel("count")
    _save(fig, path)


def plot_methods_calibration(methods, scenarios, path, bins=10):
    """Reliability diagrams of several methods (name -> held-out predictions with true and one
    probability column per scenario) on one plot."""
    fig, ax = plt.subplots(figsize=(5.5, 4.2), layout="constrained")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
    for method, table in methods.items():
        mean_predicted, frequency, counts = reliability(table["true"], table[list(scenarios)], bins)
        used = counts > 0
        ax.plot(mean_predicted[used], frequency[used], marker="o", markersize=4, label=method)
    _reliability_axes(ax)
    ax.set_xlabel("predicted probability of a scenario")
    _save(fig, path)


def reliability(true, probabilities, bins=10):
    """Per bin of predicted probability (all scenarios pooled, one-vs-rest): the mean prediction,
    the frequency of the scenario and the number of predictions."""
    scenarios = list(probabilities.columns)
    predicted = probabilities.to_numpy(dtype=float).ravel()
    observed = (np.asarray(true)[:, None] == np.asarray(scenarios)[None, :]).ravel()
    which = np.clip(np.digitize(predicted, np.linspace(0, 1, bins + 1)) - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    mean_predicted = np.bincount(which, predicted, bins) / np.maximum(counts, 1)
    return mean_predicted, np.bincount(which, observed, bins) / np.maximum(counts, 1), counts


def _reliability_axes(ax):
    ax.set_ylabel("observed frequency")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)


def plot_learning_curve(curve, path):
    """Held-out accuracy against the training simulations per scenario, one line per network."""
    fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    for architecture, group in curve.groupby("architecture", sort=False):
        ax.plot(group["training_per_scenario"], group["accuracy"], marker="o", label=architecture)
    ax.set_xscale("log")
    sizes = sorted(set(curve["training_per_scenario"]))
    ax.set_xticks(sizes, [f"{size:g}" for size in sizes], minor=False)
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("training simulations per scenario")
    _accuracy_axis(ax)
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_search_history(trials, path, title):
    """Each trial's best validation loss in the order they ran (pruned trials: their last reported
    loss, as crosses) and the best so far; trials whose loss is far above the best are drawn at
    the top edge so that the good ones stay readable."""
    fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    complete = trials[trials["state"] == "COMPLETE"]
    pruned = trials[trials["state"] == "PRUNED"]
    if len(complete):
        best = complete["value"].min()
        top = best + 3 * (complete["value"].median() - best) + 1e-3
        ax.scatter(complete["trial"], complete["value"].clip(upper=top), s=18, label="complete")
        ax.scatter(pruned["trial"], pruned["value"].clip(upper=top), s=18, marker="x", label="pruned")
        running = trials["value"].where(trials["state"] == "COMPLETE").cummin().ffill()
        ax.step(trials["trial"], running, where="post", color="black", linewidth=1, label="best so far")
        ax.set_ylim(top=top * 1.02)
    ax.set_xlabel("trial")
    ax.set_ylabel("validation loss")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    _save(fig, path)


def plot_method_comparison(accuracy, path):
    """Held-out accuracy per scenario and overall, one bar per method, with 95% intervals."""
    methods = list(dict.fromkeys(accuracy["method"]))
    groups = list(dict.fromkeys(accuracy["scenario"]))
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(1.6 * len(groups) + 2, 3.8), layout="constrained")
    for i, method in enumerate(methods):
        rows = accuracy[accuracy["method"] == method].set_index("scenario").reindex(groups)
        positions = np.arange(len(groups)) + (i - (len(methods) - 1) / 2) * width
        ax.bar(positions, rows["accuracy"], width, yerr=1.96 * rows["accuracy_se"], capsize=2, label=method)
    ax.set_xticks(range(len(groups)), groups, rotation=20, ha="right", fontsize=8)
    _accuracy_axis(ax)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    _save(fig, path)


def plot_roc(curves, areas, path):
    """ROC curves of sweep against neutral windows, one per method, with their AUC."""
    fig, ax = plt.subplots(figsize=(5, 4.2), layout="constrained")
    auc = areas.set_index("method")["auc"]
    for method, curve in curves.groupby("method", sort=False):
        ax.plot(
            curve["false_positive_rate"],
            curve["true_positive_rate"],
            label=f"{method}: AUC {auc[method]:.2f}",
            linewidth=2.2 if method.startswith("CNN") else 1.2,
        )
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set_xlabel("false-positive rate (neutral windows)")
    ax.set_ylabel("true-positive rate (windows with a sweep inside)")
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, path)


def plot_scan(scan, calls, scanner, classes, contig, path):
    """Probability of a sweep in each window, each class's probability stacked, and classical
    statistics along the chromosome, called regions shaded and each call's peak (where it places the
    sweep: the BED's thick part) marked; the calling threshold and the share of null windows it
    calls (``scanner``: the scanning network's row of the thresholds table)."""
    middle = (scan["start"] + scan["end"]) / 2 / 1e6
    panels = [
        ("sweep", "P(sweep)"),
        (None, "class probabilities"),
        ("window_pi", "π per bp"),
        ("window_tajimas_d", "Tajima's D"),
        ("window_h12", "H12"),
    ]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 8.5), sharex=True, layout="constrained")
    for ax, (column, label) in zip(axes, panels):
        if column is None:
            ax.stackplot(middle, [scan[cls].fillna(0) for cls in classes], labels=classes, alpha=0.8)
            ax.set_ylim(0, 1)
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
        else:
            ax.plot(middle, scan[column], marker="o", markersize=3, linewidth=1)
        ax.set_ylabel(label)
        for _, region in calls.iterrows():
            ax.axvspan(region["start"] / 1e6, region["end"] / 1e6, color="tab:red", alpha=0.15)
            ax.axvspan(region["thick_start"] / 1e6, region["thick_end"] / 1e6, color="tab:red", alpha=0.3)
    label = (
        f"call threshold {scanner['threshold']:.3g}: {scanner['called_at_threshold']:.1%} of "
        f"{scanner['null_windows']:.0f} simulated neutral windows (never trained on) pass it"
    )
    axes[0].axhline(scanner["threshold"], color="tab:red", linestyle="--", linewidth=1, label=label)
    axes[0].set_ylim(0, 1)
    axes[0].legend(fontsize=8, loc="upper right")
    axes[-1].set_xlabel(f"position on {contig} (Mb, window centres)")
    _save(fig, path)


def plot_planted(windows, threshold, path):
    """P(sweep) of each scanned window of the planted chromosomes against its offset from the sweep
    (0: the window whose central step holds it), with the neutral chromosomes' windows beside, and the threshold."""
    scanned = windows[windows["skipped"] == ""]
    swept, neutral = scanned[scanned["planted_sweep"]], scanned[~scanned["planted_sweep"]]
    fig, axes = plt.subplots(
        1, 2, figsize=(9, 3.8), sharey=True, layout="constrained", gridspec_kw={"width_ratios": [4, 1]}
    )
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(swept))
    axes[0].scatter(swept["offset"] + jitter, swept["sweep"], s=10, alpha=0.5)
    means = swept.groupby("offset")["sweep"].mean()
    axes[0].plot(means.index, means.to_numpy(), color="black", marker="o", label="mean")
    axes[0].set_xlabel("windows from the planted sweep (0: the window whose central step holds it)")
    axes[0].set_ylabel("P(sweep)")
    axes[0].set_title(f"{swept['chromosome'].nunique()} chromosomes with a planted partial sweep", fontsize=10)
    axes[1].boxplot(neutral["sweep"].to_numpy(), widths=0.5)
    axes[1].set_xticks([1], [f"neutral\n({neutral['called'].mean():.1%} called)"])
    for ax in axes:
        ax.axhline(threshold, color="tab:red", linestyle="--", linewidth=1)
    axes[0].legend(fontsize=8)
    axes[0].set_ylim(0, 1)
    _save(fig, path)
