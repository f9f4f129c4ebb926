"""Genotype-matrix images: haplotypes x SNPs, with inter-SNP distances."""

from collections import Counter

import numpy as np

from popsbi.genotypes import central

SORT_ROWS = ("none", "similarity")


def genotype_image(genotypes, n_snps, sort_rows="similarity"):
    """Image of a region: (uint8 matrix (n_haplotypes, n_snps), float32 distances (n_snps,)).

    - Columns are SNPs segregating in the whole sample; when there are more than
      ``n_snps``, the central ``n_snps`` are kept; when fewer, the image is padded
      on the right with columns of zeros whose distance is 0.
    - Alleles are encoded minor = 1, major = 0 (by frequency in the whole sample;
      at exactly 0.5 the alternate/derived allele is 1), so unpolarised real data
      and simulations look alike.
    - Rows are the populations' haplotypes stacked in the order of
      ``genotypes.populations``; within each population, ``sort_rows="similarity"``
      orders rows by Hamming distance to the population's most frequent haplotype
      (ties keep their original order); ``"none"`` keeps the sample order.
    - distances[j] is the distance in bp from SNP j-1 to SNP j divided by the
      sequence length (0 for the first column and for padding).
    """
    order = np.concatenate([np.asarray(idx) for idx in genotypes.populations.values()])
    h = genotypes.haplotypes[:, order]
    n_haplotypes = h.shape[1]
    derived = h.sum(axis=1)
    sites = np.flatnonzero((derived > 0) & (derived < n_haplotypes))
    sites = central(sites, n_snps)
    block = h[sites]
    minor = (derived[sites] > n_haplotypes / 2)[:, None]
    image = np.zeros((n_haplotypes, n_snps), dtype=np.uint8)
    image[:, : len(sites)] = np.where(minor, 1 - block, block).T
    distances = np.zeros(n_snps, dtype=np.float32)
    distances[1 : len(sites)] = np.diff(genotypes.positions[sites]) / genotypes.sequence_length
    if sort_rows == "similarity":
        row = 0
        for idx in genotypes.populations.values():
            rows = slice(row, row + len(idx))
            image[rows] = image[rows][similarity_order(image[rows])]
            row += len(idx)
    return image, distances


def similarity_order(matrix):
    """Row order by Hamming distance to the most frequent row (a stable sort)."""
    if len(matrix) == 0:
        return np.arange(0)
    rows = Counter(row.tobytes() for row in matrix)
    modal = np.frombuffer(max(rows, key=rows.get), dtype=matrix.dtype)
    return np.argsort(np.count_nonzero(matrix != modal, axis=1), kind="stable")
