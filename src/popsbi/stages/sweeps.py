"""The sweep stage: the scan of a VCF region by the classifier of simulated windows (trained as
every network is, by ``stages.networks.train``)."""

import dataclasses

import numpy as np

from popsbi import sweeps
from popsbi.nn import training
from popsbi.observed import read_popmap, read_vcf_region


def read_target(target):
    """The genotypes of a scan target (ScanSettings), its individuals subsampled as the simulations',
    under the name of the simulated deme."""
    if target.samples:
        popmap = dict.fromkeys(target.samples, target.population)
    else:
        popmap = read_popmap(target.popmap) if target.popmap else None
    genotypes = read_vcf_region(
        target.vcf,
        target.contig,
        target.start,
        target.end,
        {target.population: target.individuals},
        popmap,
        target.seed,
    )
    populations = {target.windows.population: genotypes.populations[target.population]}
    return dataclasses.replace(genotypes, populations=populations)


def scan(model, genotypes, settings):
    """The scan table: contig, start, end, n_snps, skipped, the probability of each class and
    the window statistics, for every window of ``genotypes`` (read from the region of ``settings``)."""
    table, images, distances = sweeps.scan_windows(
        genotypes, settings.windows, settings.step, settings.min_snps, settings.start
    )
    classes = list(model.hparams.scenarios)
    probabilities = training.prediction_tables(model, images, distances)[0][classes]
    scanned = np.flatnonzero(table["skipped"] == "")
    for cls in classes:
        table[cls] = np.nan
        table.loc[scanned, cls] = probabilities[cls].to_numpy()
    table.insert(0, "contig", settings.contig)
    statistics = [c for c in table.columns if c.startswith("window_")]
    return table[[c for c in table.columns if c not in statistics] + statistics]
