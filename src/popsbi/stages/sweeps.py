"""The sweep stage: the scan of a VCF region by the classifier of simulated windows (trained as
every network is, by ``stages.networks.train``)."""

import numpy as np

from popsbi import sweeps
from popsbi.nn import training
from popsbi.observed import read_popmap, read_vcf_region


def read_target(scan):
    """The genotypes of the scanned region (ScanSettings ``scan``), subsampled as the simulations."""
    popmap = read_popmap(scan.popmap) if scan.popmap else None
    return read_vcf_region(
        scan.vcf, scan.contig, scan.start, scan.end, {scan.windows.population: scan.individuals}, popmap, scan.seed
    )


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
