"""The datasets of simulations: batch files, and one statistics table and one memory-mappable image
dataset aggregated over all batches."""

import logging
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

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


def read_batch(table_path, images_path):
    """A batch written by :func:`write_batch`: (statistics table, images, distances)."""
    table = pd.read_parquet(table_path)
    with np.load(images_path) as batch:
        _check_same_simulations(batch, table["sim_id"], images_path)
        return table, batch["images"], batch["distances"]


def _check_same_simulations(batch, sim_ids, images_path):
    """ValueError unless a batch's images (``batch``, read from ``images_path``) are of the simulations
    ``sim_ids`` of its statistics table, in its order: a batch's two files rewritten apart."""
    if not np.array_equal(batch["sim_id"], np.asarray(sim_ids)):
        raise ValueError(f"{images_path} and its statistics table list different simulations")


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
    (.npy, float32, (n, n_snps)) are written batch by batch; row i of both is described by
    row i of the index table (scenario, sim_id). Every output is streamed, one batch at a
    time (a row group of each Parquet file, a slab of each array), so memory stays that of
    one batch however many simulations there are.
    """
    n = sum(pq.ParquetFile(path).metadata.num_rows for path in table_paths)
    schema = _union_schema(table_paths)
    with np.load(image_paths[0]) as first:
        image_shape, n_snps = first["images"].shape[1:], first["distances"].shape[1]
    with (
        pq.ParquetWriter(sumstats_path, schema) as sumstats,
        pq.ParquetWriter(index_path, _INDEX_SCHEMA) as index,
        _NpyWriter(images_path, np.uint8, (n, *image_shape)) as images,
        _NpyWriter(distances_path, np.float32, (n, n_snps)) as distances,
    ):
        for table_path, image_path in zip(table_paths, image_paths):
            table = _with_columns(pq.read_table(table_path), schema)
            sumstats.write_table(table)
            index.write_table(table.select(_INDEX_SCHEMA.names).cast(_INDEX_SCHEMA))
            with np.load(image_path) as batch:
                _check_same_simulations(batch, table["sim_id"].to_numpy(), image_path)
                images.write(batch["images"])
                distances.write(batch["distances"])
    log.info("aggregated %d simulations from %d batches", n, len(table_paths))


_INDEX_SCHEMA = pa.schema([("scenario", pa.string()), ("sim_id", pa.int64())])


def _union_schema(table_paths):
    """Every batch's columns, in order of first appearance: scenarios have different parameters."""
    fields = {}
    for path in table_paths:
        for field in pq.read_schema(path):
            fields.setdefault(field.name, field)
    return pa.schema(list(fields.values()))


def _with_columns(table, schema):
    """``table`` with the columns of ``schema``, in its order; those it lacks are nulls."""
    columns = [
        table[field.name] if field.name in table.column_names else pa.nulls(len(table), field.type) for field in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


class _NpyWriter:
    """An .npy file of known shape written slab by slab along its first axis, from the start."""

    def __init__(self, path, dtype, shape):
        self.path, self.dtype, self.shape = path, np.dtype(dtype), shape
        self.rows = 0

    def __enter__(self):
        self.file = open(self.path, "wb")
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False, "shape": self.shape}
        np.lib.format.write_array_header_1_0(self.file, header)
        return self

    def write(self, slab):
        if slab.shape[1:] != self.shape[1:]:
            raise ValueError(f"{self.path}: a batch of shape {slab.shape[1:]} among batches of {self.shape[1:]}")
        self.file.write(np.ascontiguousarray(slab, dtype=self.dtype).tobytes())
        self.rows += len(slab)

    def __exit__(self, kind, error, traceback):
        self.file.close()
        if error is None and self.rows != self.shape[0]:
            raise ValueError(f"{self.path}: {self.rows} rows written of {self.shape[0]}")


def read_columns(sumstats_path, columns):
    """The scenario, sim_id and those of ``columns`` that the statistics table has: what a network
    needs of it (parameters, and statistics for those that read them), read without the rest."""
    wanted = set(columns)
    present = [c for c in pq.read_schema(sumstats_path).names if c in wanted]
    return pd.read_parquet(sumstats_path, columns=["scenario", "sim_id", *present])


def load_image_dataset(images_path, distances_path, index_path):
    """The aggregated images and distances as read-only memory maps, and their index table."""
    return (np.load(images_path, mmap_mode="r"), np.load(distances_path, mmap_mode="r"), pd.read_parquet(index_path))
