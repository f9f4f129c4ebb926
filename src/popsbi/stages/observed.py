"""The observed data, summarised by the code that summarises the simulations."""

import logging

import numpy as np
import pandas as pd

from popsbi.errors import DataError, EmptyRegionError
from popsbi.features import locus_statistics
from popsbi.genotypes import Genotypes
from popsbi.observed import read_popmap, read_vcf_region

log = logging.getLogger(__name__)


def observed_features(settings, sumstats=None, heldout=None, dataset=None):
    """What the observed data are, their statistics and their image: (table, image, distances, loci).

    ``table`` has one row: ``source`` (what the data are) and the statistics. The data are
    the VCF regions of ``settings`` (ObservedSettings) or, for a pseudo-observed dataset, the first
    held-out simulation of ``settings.pseudo_observed_scenario`` (with its true parameters), whose
    image comes from ``dataset`` (images, distances, index) when given. ``loci`` has one row per
    VCF region: its SNPs and statistics (None for a pseudo-observed dataset).
    """
    if settings.vcf is None:
        scenario = settings.pseudo_observed_scenario
        sim_id = heldout.loc[heldout["scenario"] == scenario, "sim_id"].iloc[0]
        row = sumstats[(sumstats["scenario"] == scenario) & (sumstats["sim_id"] == sim_id)]
        source = f"pseudo-observed: simulation {sim_id} of scenario {scenario} (held out), not real data"
        other_parameters = [c for c in row.columns if c in settings.parameter_names and row[c].isna().all()]
        table = row.drop(columns=["scenario", *other_parameters]).reset_index(drop=True)
        table.insert(0, "source", source)
        if dataset is None:
            return table, None, None, None
        images, distances, index = dataset
        position = np.flatnonzero((index["scenario"] == scenario).to_numpy() & (index["sim_id"] == sim_id).to_numpy())[
            0
        ]
        return table, np.array(images[position]), np.array(distances[position]), None
    popmap = read_popmap(settings.popmap) if settings.popmap else None
    loci = _read_regions(settings, popmap)
    regions = (
        ", ".join(map(str, settings.regions))
        if len(loci) < 4
        else f"{len(loci)} regions ({settings.regions[0]} to {settings.regions[-1]}, "
        f"{sum(region.length for region in settings.regions):,} bp)"
    )
    segregating = sum(_segregating_sites(locus) for locus in loci)
    if segregating < settings.min_snps:
        raise DataError(
            f"{segregating} SNPs segregate among the selected individuals in {settings.vcf} {regions} after "
            f"filtering ({sum(len(locus.positions) for locus in loci)} biallelic records kept), fewer than "
            f"observed.min_snps ({settings.min_snps}): too few to summarise (is it the right region, VCF and ploidy?)"
        )
    source = f"{settings.vcf} {regions}, " + ", ".join(
        f"{n} individuals of {pop}" for pop, n in settings.samples.items()
    )
    statistics, image, distances = settings.summaries.of(loci)
    return pd.DataFrame([{"source": source, **statistics}]), image, distances, _locus_table(settings, loci)


def _read_regions(settings, popmap):
    """Each region's genotypes, from one read of each contig's stretch that spans its regions."""
    loci = {}
    for contig in dict.fromkeys(region.contig for region in settings.regions):
        on_contig = [region for region in settings.regions if region.contig == contig]
        start, end = min(r.start for r in on_contig), max(r.end for r in on_contig)
        try:
            stretch = read_vcf_region(
                settings.vcf, contig, start, end, settings.samples, popmap, settings.seed, settings.summaries.polarised
            )
        except EmptyRegionError:
            if len(settings.regions) == 1:
                raise
            log.warning("%s: no variants in the %d region(s) on contig %s", settings.vcf, len(on_contig), contig)
            continue
        for region in on_contig:
            loci[region] = stretch.window(region.start - start, region.end - start)
    if not loci:
        raise EmptyRegionError(
            f"VCF '{settings.vcf}' has no variants in any of the {len(settings.regions)} regions "
            "(are their contigs named as in the VCF, e.g. '20' or 'chr20'?)"
        )
    # a contig without variants gives its regions no SNPs, with the individuals of the others
    some = next(iter(loci.values()))
    return [
        loci.get(region)
        or Genotypes(some.haplotypes[:0], some.positions[:0], some.populations, region.length, some.polarised)
        for region in settings.regions
    ]


def _segregating_sites(genotypes):
    derived = genotypes.haplotypes.sum(axis=1)
    return int(np.count_nonzero((derived > 0) & (derived < genotypes.haplotypes.shape[1])))


def _locus_table(settings, loci):
    """Each region's SNPs and statistics; statistics a region cannot support (too few SNPs) are
    logged, since the dataset's value averages over the regions that can."""
    table = locus_statistics(loci, settings.summaries.statistics)
    table.insert(0, "snps", [_segregating_sites(locus) for locus in loci])
    table.insert(0, "region", [str(region) for region in settings.regions])
    if len(loci) > 1:
        for name, missing in table.isna().sum().items():
            if missing:
                log.warning(
                    "%s: %d of %d regions cannot support it (too few SNPs); the dataset gets the mean of the others",
                    name,
                    missing,
                    len(loci),
                )
    return table
