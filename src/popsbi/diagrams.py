"""Pictures of scenarios, so a user can see each model."""

import demesdraw
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def typical_parameters(table, parameters):
    """The row of a prior table closest to the median of every parameter (in ranks).

    A real draw, so it satisfies the scenario's constraints, unlike the vector of medians.
    """
    ranks = table[parameters].rank(pct=True)
    row = int(np.argmin((ranks - 0.5).abs().sum(axis=1).to_numpy()))
    return {name: float(table[name].iloc[row]) for name in parameters}


def draw_scenario(model, params, path):
    """Tubes diagram of a scenario's Demes model for one parameter set."""
    graph = model.graph(params)
    fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
    # demesdraw places migration arrows at random: a fixed seed draws the same diagram every run.
    demesdraw.tubes(graph, ax=ax, log_time=True, seed=1)
    shown = ", ".join(f"{name}={value:.3g}" for name, value in params.items())
    ax.set_title(f"{model.name}\n{shown}", fontsize=9)
    fig.savefig(path, dpi=120)
    plt.close(fig)
