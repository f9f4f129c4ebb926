"""The sweep stage: the scan of a VCF region by the classifier of simulated windows (trained as
every network is, by ``stages.networks.train``)."""

import dataclasses
import logging

import numpy as np
import pandas as pd

from popsbi import sweeps
from popsbi.errors import DataError, EmptyRegionError
from popsbi.genotypes import Genotypes
from popsbi.nn import training
from popsbi.observed import last_position, read_popmap, read_vcf_region

log = logging.getLogger(__name__)


def target_end(target):
    """The end of a scan target: its own, or its contig's last record."""
    return target.end if target.end is not None else last_position(target.vcf, target.contig)


def read_target(target, start=None, end=None):
    """The genotypes of [start, end) of a scan target (ScanSettings; default: the whole target), its
    individuals subsampled as the simulations' (the same ones in every part of the target), under
    the name of the simulated deme."""
    if target.samples:
        popmap = dict.fromkeys(target.samples, target.population)
    else:
        popmap = read_popmap(target.popmap) if target.popmap else None
    start = target.start if start is None else start
    genotypes = read_vcf_region(
        target.vcf,
        target.contig,
        start,
        target_end(target) if end is None else end,
        {target.population: target.individuals},
        popmap,
        target.seed,
    )
    populations = {target.windows.population: genotypes.populations[target.population]}
    return dataclasses.replace(genotypes, populations=populations)


def scan_target(model, target):
    """The scan table of a target (see :func:`scan`), read and classified in chunks of about
    ``target.chunk`` bp, so that memory does not grow with the target's length."""
    end = target_end(target)
    parts = sweeps.chunks(target.start, end, target.windows.length, target.step, target.chunk)
    if not parts:
        raise DataError(
            f"scan target {target.name}: [{target.start}, {end}) of {target.contig} is shorter than one window "
            f"({target.windows.length} bp)"
        )
    tables = []
    for k, (first, read_end) in enumerate(parts):
        log.info("chunk %d/%d: %s:%d-%d", k + 1, len(parts), target.contig, first + 1, read_end)
        try:
            genotypes = read_target(target, first, read_end)
        except EmptyRegionError:  # no SNP in the chunk: its windows are skipped as any window without enough
            haplotypes = 2 * target.individuals
            genotypes = Genotypes(
                np.zeros((0, haplotypes), dtype=np.int8),
                np.zeros(0, dtype=np.int64),
                {target.windows.population: np.arange(haplotypes)},
                read_end - first,
                polarised=False,
            )
        tables.append(scan(model, genotypes, target, first))
    table = pd.concat(tables, ignore_index=True)
    if (table["skipped"] != "").all():
        raise DataError(
            f"no window of scan target {target.name} ({target.contig}:{target.start + 1}-{end}) has at least "
            f"{target.min_snps} SNPs"
        )
    return table


def scan(model, genotypes, settings, start):
    """The scan table of the part of a target (ScanSettings ``settings``) that starts at ``start``
    and whose genotypes are ``genotypes``: contig, start, end, n_snps, skipped, the probability of a
    sweep inside the window, of each class, and the window statistics, for every window."""
    classes = list(model.hparams.scenarios)
    table, images, distances = sweeps.scan_windows(genotypes, settings.windows, settings.step, settings.min_snps, start)
    for cls in classes:
        table[cls] = np.nan
    scanned = np.flatnonzero(table["skipped"] == "")
    if len(images):
        names = model.hparams.statistics["names"] if model.hparams.statistics else []
        statistics = table.loc[scanned, names].to_numpy(dtype=np.float32)
        probabilities = training.prediction_tables(model, images, distances, statistics)[0][classes]
        for cls in classes:
            table.loc[scanned, cls] = probabilities[cls].to_numpy()
    table["sweep"] = sweeps.sweep_probability(table).where(table["skipped"] == "")
    table.insert(0, "contig", settings.contig)
    statistics = [c for c in table.columns if c.startswith("window_")]
    return table[["contig", "start", "end", "n_snps", "skipped", "sweep", *classes, *statistics]]
