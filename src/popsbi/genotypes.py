"""The one representation of haplotype data that every feature is computed from."""

from dataclasses import dataclass

import numpy as np


@dataclass
class Genotypes:
    """Phased biallelic SNPs of a region, from a simulation or a VCF.

    haplotypes: (n_sites, n_haplotypes) int8, 0 = ancestral (or reference), 1 = derived (or alternate).
    positions: (n_sites,) sorted, distinct 1-based positions within [1, sequence_length].
    populations: population name -> haplotype column indices, in the order images stack them.
    polarised: whether 1 means derived (simulations, or data with an ancestral allele).
    """

    haplotypes: np.ndarray
    positions: np.ndarray
    populations: dict
    sequence_length: int
    polarised: bool

    def window(self, start, end):
        """The sites at positions in (start, end] as a region of its own, 1-based from ``start``."""
        keep = (self.positions > start) & (self.positions <= end)
        return Genotypes(
            self.haplotypes[keep], self.positions[keep] - start, self.populations, end - start, self.polarised
        )

    def sites(self, keep):
        """The sites where the boolean mask ``keep`` is true, in the same region."""
        return Genotypes(
            self.haplotypes[keep], self.positions[keep], self.populations, self.sequence_length, self.polarised
        )


def concatenate(loci):
    """Regions laid end to end as one region (the same individuals in each): for statistics that add
    up over sites, and for images of several loci."""
    offsets = np.cumsum([0, *(locus.sequence_length for locus in loci)])
    first = loci[0]
    return Genotypes(
        np.concatenate([locus.haplotypes for locus in loci]),
        np.concatenate([locus.positions + offset for locus, offset in zip(loci, offsets)]),
        first.populations,
        int(offsets[-1]),
        first.polarised,
    )


def central(indices, n):
    """The ``n`` middle entries of ``indices`` (all of them when there are fewer)."""
    start = max((len(indices) - n) // 2, 0)
    return indices[start : start + n]
