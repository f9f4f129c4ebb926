"""Simulation batches: msprime and features for rows of a prior table, and their aggregation."""

import logging
import time

import numpy as np
import pandas as pd

from popsbi.features import summary_statistics
from popsbi.images import genotype_image
from popsbi.simulate import genotypes_from_tree_sequence, simulate

log = logging.getLogger(__name__)

#: Columns of the statistics table that are not statistics (besides parameters).
NON_STATISTICS = frozenset({"scenario", "sim_id", "seed"})


def statistic_columns(sumstats, parameters):
    """The statistic columns of a statistics table, given all parameter names."""
    return [c for c in sumstats.columns if c not in NON_STATISTICS and c not in parameters]


def simulate_batch(settings, scenario, rows, trees_path=None):
    """Simulate every row of ``rows`` (a slice of the scenario's prior table).

    Returns (table, images, distances): the table has the scenario label, the
    prior table's columns and one column per statistic; images and distances
    stack :func:`~popsbi.images.genotype_image` outputs in the table's order.
    When ``trees_path`` is given, the tree sequences are written there, one after
    another (read them back with repeated ``tskit.load`` on one open file).
    """
    model = settings.scenarios[scenario].model
    parameters = list(settings.scenarios[scenario].priors)
    populations = list(settings.samples)
    recombination = settings.recombination()
    n_haplotypes = 2 * sum(settings.samples.values())
    images = np.zeros((len(rows), n_haplotypes, settings.image_snps), dtype=np.uint8)
    distances = np.zeros((len(rows), settings.image_snps), dtype=np.float32)
    statistics = []
    trees = open(trees_path, "wb") if trees_path else None
    started = time.monotonic()
    try:
        for i, row in enumerate(rows.itertuples(index=False)):
            values = row._asdict()
            ts = simulate(
                model.graph({name: values[name] for name in parameters}),
                settings.samples,
                settings.sequence_length,
                values.get("mutation_rate", settings.raw["genome"]["mutation_rate"]),
                values.get("recombination_rate", recombination),
                values["seed"],
            )
            if trees:
                ts.dump(trees)
            genotypes = genotypes_from_tree_sequence(ts, populations, settings.polarised)
            statistics.append(summary_statistics(genotypes, settings.features))
            images[i], distances[i] = genotype_image(genotypes, settings.image_snps, settings.sort_rows)
            if (i + 1) % max(len(rows) // 10, 1) == 0 or i + 1 == len(rows):
                log.info("%s: %d/%d simulations (%.1f s)", scenario, i + 1, len(rows), time.monotonic() - started)
    finally:
        if trees:
            trees.close()
    table = pd.concat([rows.reset_index(drop=True), pd.DataFrame(statistics)], axis=1)
    table.insert(0, "scenario", scenario)
    return table, images, distances


def write_batch(table, images, distances, table_path, images_path):
    table.to_parquet(table_path, index=False)
    np.savez(images_path, images=images, distances=distances, sim_id=table["sim_id"].to_numpy())


def aggregate(table_paths, image_paths, sumstats_path, images_path, distances_path, index_path):
    """Concatenate batches into one statistics table and one memory-mappable image dataset.

    ``images_path`` (.npy, uint8, (n, n_haplotypes, n_snps)) and ``distances_path``
    (.npy, float32, (n, n_snps)) are written batch by batch through a memory map,
    so the dataset never has to fit in memory; row i of both is described by row i
    of the index table (scenario, sim_id).
    """
    tables = [pd.read_parquet(path) for path in table_paths]
    sumstats = pd.concat(tables, ignore_index=True)
    sumstats.to_parquet(sumstats_path, index=False)
    first = np.load(image_paths[0])
    n = len(sumstats)
    images = np.lib.format.open_memmap(images_path, mode="w+", dtype=np.uint8, shape=(n,) + first["images"].shape[1:])
    distances = np.lib.format.open_memmap(distances_path, mode="w+", dtype=np.float32,
                                          shape=(n, first["distances"].shape[1]))
    start = 0
    for path, table in zip(image_paths, tables):
        with np.load(path) as batch:
            if not np.array_equal(batch["sim_id"], table["sim_id"].to_numpy()):
                raise ValueError(f"{path} and its statistics table list different simulations")
            stop = start + len(table)
            images[start:stop] = batch["images"]
            distances[start:stop] = batch["distances"]
        start = stop
    images.flush()
    distances.flush()
    del images, distances
    sumstats[["scenario", "sim_id"]].to_parquet(index_path, index=False)
    log.info("aggregated %d simulations from %d batches", n, len(table_paths))


def load_image_dataset(images_path, distances_path, index_path):
    """The aggregated images and distances as read-only memory maps, and their index table."""
    return (np.load(images_path, mmap_mode="r"), np.load(distances_path, mmap_mode="r"),
            pd.read_parquet(index_path))
