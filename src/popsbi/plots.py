"""Figures of the simulated datasets."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

#: Columns of the statistics table that are not statistics.
NON_STATISTICS = frozenset({"scenario", "sim_id", "seed"})


def statistic_columns(sumstats, parameters):
    return [c for c in sumstats.columns if c not in NON_STATISTICS and c not in parameters]


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
