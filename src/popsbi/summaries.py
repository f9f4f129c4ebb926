"""What every dataset becomes, simulated or observed (one region or many loci): its summary statistics
and its image."""

from dataclasses import dataclass

import numpy as np

from popsbi.features import FeatureSettings, loci_statistics
from popsbi.genotypes import Genotypes
from popsbi.images import loci_image


@dataclass(frozen=True)
class Summaries:
    """The statistics and the image of a region, computed alike for simulations and real data."""

    statistics: FeatureSettings
    image_snps: int
    image_tiles: int
    sort_rows: str
    polarised: bool

    @property
    def image_columns(self):
        """The width of an image: its tiles' SNP columns side by side."""
        return self.image_tiles * self.image_snps

    def of(self, loci):
        """(statistics dict, image, distances) of the genotypes of a list of loci (one region: a list
        of one)."""
        image, distances = loci_image(loci, self.image_snps, self.sort_rows, self.image_tiles)
        return loci_statistics(loci, self.statistics), image, distances

    def statistic_names(self, samples, loci=1):
        """The statistic columns of ``loci`` loci sampled as ``samples`` (population -> diploids):
        those the code computes from small random loci."""
        haplotypes = np.random.default_rng(0).integers(0, 2, size=(40, 2 * sum(samples.values())), dtype=np.int8)
        bounds = np.cumsum([0, *(2 * n for n in samples.values())])
        populations = {pop: np.arange(bounds[i], bounds[i + 1]) for i, pop in enumerate(samples)}
        region = Genotypes(haplotypes, np.arange(1, 41) * 100, populations, 5_000, self.polarised)
        return list(loci_statistics([region] * loci, self.statistics))
