"""The datasets of simulations: batch files, and one statistics table and one memory-mappable image
dataset aggregated over all batches."""

import logging
from contextlib import contextmanager

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: Columns of the statistics table that are not statistics (besides parameters).
NON_STATISTICS = frozenset({"scenario", "sim_id", "seed"})


def statistic_columns(sumstats, parameters):
    """The statistic columns of a statistics table, given all parameter names."""
    return [c for c in sumstats.columns if c not in NON_STATISTICS and c not in parameters]


def write_batch(table, images, distances, table_path, images_path):
    """A batch as a statistics table (Parquet) and its images, distances and sim_ids (.npz)."""
    with _naming(table_path):
        table.to_parquet(table_path, index=False)
    with _naming(images_path):
        np.savez(images_path, images=images, distances=distances, sim_id=table["sim_id"].to_numpy())


@contextmanager
def _naming(path):
    """An OSError (a full disk) that names ``path``: Arrow's and zipfile's messages do not."""
    try:
        yield
    except OSError as err:
        raise OSError(err.errno, err.strerror or str(err), str(path)) from None


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
    distances = np.lib.format.open_memmap(
        distances_path, mode="w+", dtype=np.float32, shape=(n, first["distances"].shape[1])
    )
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
    return (np.load(images_path, mmap_mode="r"), np.load(distances_path, mmap_mode="r"), pd.read_parquet(index_path))
