"""What every region becomes, simulated or observed: its summary statistics and its image."""

from dataclasses import dataclass

from popsbi.features import FeatureSettings, summary_statistics
from popsbi.images import genotype_image


@dataclass(frozen=True)
class Summaries:
    """The statistics and the image of a region, computed alike for simulations and real data."""

    statistics: FeatureSettings
    image_snps: int
    sort_rows: str
    polarised: bool

    def of(self, genotypes):
        """(statistics dict, image, distances) of a region's genotypes."""
        image, distances = genotype_image(genotypes, self.image_snps, self.sort_rows)
        return summary_statistics(genotypes, self.statistics), image, distances
