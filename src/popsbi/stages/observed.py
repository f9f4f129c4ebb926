"""The observed data, summarised by the code that summarises the simulations."""

import numpy as np
import pandas as pd

from popsbi.errors import DataError
from popsbi.observed import read_popmap, read_vcf_region


def observed_features(settings, sumstats=None, heldout=None, dataset=None):
    """What the observed data are, their statistics and their image: (table, image, distances).

    ``table`` has one row: ``source`` (what the data are) and the statistics. The data are
    the VCF region of ``settings`` (ObservedSettings) or, for a pseudo-observed dataset, the first
    held-out simulation of ``settings.pseudo_observed_scenario`` (with its true parameters), whose
    image comes from ``dataset`` (images, distances, index) when given.
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
            return table, None, None
        images, distances, index = dataset
        position = np.flatnonzero((index["scenario"] == scenario).to_numpy() & (index["sim_id"] == sim_id).to_numpy())[
            0
        ]
        return table, np.array(images[position]), np.array(distances[position])
    popmap = read_popmap(settings.popmap) if settings.popmap else None
    region = f"{settings.contig}:{settings.start + 1}-{settings.end}"
    genotypes = read_vcf_region(
        settings.vcf,
        settings.contig,
        settings.start,
        settings.end,
        settings.samples,
        popmap,
        settings.seed,
        settings.summaries.polarised,
    )
    derived = genotypes.haplotypes.sum(axis=1)
    segregating = int(np.count_nonzero((derived > 0) & (derived < genotypes.haplotypes.shape[1])))
    if segregating < settings.min_snps:
        raise DataError(
            f"{segregating} SNPs segregate among the selected individuals in {settings.vcf} {region} after "
            f"filtering ({len(genotypes.positions)} biallelic records kept), fewer than observed.min_snps "
            f"({settings.min_snps}): too few to summarise (is it the right region, VCF and ploidy?)"
        )
    source = f"{settings.vcf} {region}, " + ", ".join(
        f"{n} individuals of {pop}" for pop, n in settings.samples.items()
    )
    statistics, image, distances = settings.summaries.of(genotypes)
    return pd.DataFrame([{"source": source, **statistics}]), image, distances
