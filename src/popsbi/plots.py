"""Figures of the simulated datasets."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from popsbi.batch import statistic_columns  # noqa: E402


def plot_statistics(sumstats, parameters, path, columns_per_row=6):
    """One panel per statistic: its distribution in each scenario (overlaid histograms).

    Shows at a glance which statistics tell the scenarios apart.
    """
    columns = statistic_columns(sumstats, parameters)
    rows = math.ceil(len(columns) / columns_per_row)
    fig, axes = plt.subplots(rows, columns_per_row, figsize=(2.6 * columns_per_row, 2.1 * rows),
                             layout="constrained", squeeze=False)
    scenarios = list(dict.fromkeys(sumstats["scenario"]))
    for ax, column in zip(axes.flat, columns):
        values = sumstats[column].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size == 0 or finite.min() == finite.max():
            ax.text(0.5, 0.5, "constant or NaN", ha="center", va="center", transform=ax.transAxes)
        else:
            bins = np.linspace(*np.percentile(finite, [0.5, 99.5]), 30)
            for scenario in scenarios:
                ax.hist(sumstats.loc[sumstats["scenario"] == scenario, column], bins=bins,
                        histtype="step", density=True, label=scenario)
        ax.set_title(column, fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_yticks([])
    for ax in axes.flat[len(columns):]:
        ax.axis("off")
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside upper center", ncols=len(scenarios))
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_goodness_of_fit(table, nulls, path):
    """Per scenario: distribution of the gfit statistic for pseudo-observed data, and the observed value."""
    fig, axes = plt.subplots(1, len(table), figsize=(3.2 * len(table), 3), layout="constrained", squeeze=False)
    for ax, (_, row) in zip(axes[0], table.iterrows()):
        ax.hist(nulls[row["scenario"]], bins=30, color="lightgrey", edgecolor="grey")
        ax.axvline(row["observed_distance"], color="crimson", label="observed")
        ax.set_title(f"{row['scenario']}\np = {row['p_value']:.3f}", fontsize=9)
        ax.set_xlabel("mean distance of accepted", fontsize=8)
    axes[0][0].legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
            ax.hist(draws[name], bins=bins, weights=weights, density=True, histtype="step", linewidth=1.5,
                    label=method)
        if log_scale:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel(name)
        ax.set_yticks([])
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{scenario}: prior and posterior densities", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(matrices, path):
    """Heatmaps of confusion matrices (rows: true scenario, columns: predicted), as proportions of rows."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(4.2 * len(matrices), 3.8), layout="constrained",
                             squeeze=False)
    for ax, (title, matrix) in zip(axes[0], matrices.items()):
        proportions = matrix.to_numpy() / np.maximum(matrix.to_numpy().sum(axis=1, keepdims=True), 1)
        ax.imshow(proportions, cmap="Blues", vmin=0, vmax=1)
        for (i, j), value in np.ndenumerate(proportions):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center",
                    color="white" if value > 0.6 else "black", fontsize=9)
        ax.set_xticks(range(len(matrix.columns)), matrix.columns, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(matrix.index)), matrix.index, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        accuracy = np.trace(matrix.to_numpy()) / max(matrix.to_numpy().sum(), 1)
        ax.set_title(f"{title}\naccuracy {accuracy:.2f}", fontsize=9)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_tolerance_sweep(accuracy, path):
    """Cross-validated accuracy of model choice against the ABC tolerance."""
    rejection = accuracy[accuracy["method"] == "rejection"]
    fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    ax.plot(rejection["tolerance"], rejection["accuracy"], marker="o", label="rejection ABC")
    for _, row in accuracy[accuracy["method"] != "rejection"].iterrows():
        ax.axhline(row["accuracy"], linestyle="--", color="grey", label=row["method"].replace("_", " "))
    ax.set_xscale("log")
    ax.set_xlabel("tolerance (proportion of simulations accepted)")
    ax.set_ylabel("held-out accuracy")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
