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
