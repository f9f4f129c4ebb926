"""The simulation stage: one batch of a scenario's prior table, simulated and summarised."""

import contextlib

import numpy as np
import pandas as pd

from popsbi import simulate
from popsbi.logs import progress
from popsbi.scenarios import ScenarioModel


def simulate_batch(settings, rows, trees_path=None):
    """Simulate every row of ``rows`` (a slice of the prior table of ``settings.scenario``): each of
    its loci, summarised together.

    Returns (table, images, distances): the table has the scenario label, the prior table's
    columns and one column per statistic; images and distances stack the rows' images in the
    table's order. When ``trees_path`` is given, the tree sequences are written there, one after
    another: one per simulation, its loci laid end to end (see :class:`popsbi.simulate.Loci`; read
    them back with repeated ``tskit.load`` on one open file).
    """
    model = ScenarioModel(settings.scenario, settings.model)
    summaries = settings.summaries
    populations = list(settings.samples)
    loci = settings.loci
    recombination = settings.recombination()
    n_haplotypes = 2 * sum(settings.samples.values())
    images = np.zeros((len(rows), n_haplotypes, summaries.image_columns), dtype=np.uint8)
    distances = np.zeros((len(rows), summaries.image_columns), dtype=np.float32)
    statistics = []
    rows_with_progress = progress(
        rows.itertuples(index=False), len(rows), settings.scenario, "simulations", every=max(len(rows) // 10, 1)
    )
    with open(trees_path, "wb") if trees_path else contextlib.nullcontext() as trees:
        for i, row in enumerate(rows_with_progress):
            values = row._asdict()
            if "recombination_rate" in values:
                recombination = [values["recombination_rate"]] * len(loci.lengths)
            ts = loci.simulate(
                simulate.demography(model.graph({name: values[name] for name in settings.parameters})),
                settings.samples,
                values.get("mutation_rate", settings.mutation_rate),
                recombination,
                values["seed"],
            )
            if trees:
                ts.dump(trees)
            summary, images[i], distances[i] = summaries.of(loci.genotypes(ts, populations, summaries.polarised))
            statistics.append(summary)
    table = pd.concat([rows.reset_index(drop=True), pd.DataFrame(statistics)], axis=1)
    table.insert(0, "scenario", settings.scenario)
    return table, images, distances
