"""Genotype-matrix images: haplotypes x SNPs, with inter-SNP distances."""

from collections import Counter

import numpy as np

from popsbi.genotypes import central, concatenate

SORT_ROWS = ("none", "similarity")


def genotype_image(genotypes, n_snps, sort_rows="similarity", tiles=1):
    """Image of a region: (uint8 matrix (n_haplotypes, tiles * n_snps), float32 distances
    (tiles * n_snps,)).

    - The region is cut into ``tiles`` stretches of equal length; tile t holds the central
      ``n_snps`` SNPs of stretch t (SNPs segregating in the whole sample), padded on its right
      with columns of zeros whose distance is 0 when the stretch has fewer. Tiles are laid
      side by side in the order of the region, so that the image spans the region while its
      size does not grow with the number of SNPs.
    - Alleles are encoded minor = 1, major = 0 (by frequency in the whole sample;
      at exactly 0.5 the alternate/derived allele is 1), so unpolarised real data
      and simulations look alike.
    - Rows are the populations' haplotypes stacked in the order of
      ``genotypes.populations``; within each population and each tile,
      ``sort_rows="similarity"`` orders rows by Hamming distance to the population's most
      frequent haplotype in that tile (ties keep their original order; far-apart tiles have
      other genealogies); ``"none"`` keeps the sample order.
    - distances[j] is the distance in bp from SNP j-1 to SNP j divided by the
      sequence length (0 for each tile's first column and for padding).
    """
    order = np.concatenate([np.asarray(idx) for idx in genotypes.populations.values()])
    h = genotypes.haplotypes[:, order]
    n_haplotypes = h.shape[1]
    derived = h.sum(axis=1)
    sites = np.flatnonzero((derived > 0) & (derived < n_haplotypes))
    bounds = np.linspace(0, genotypes.sequence_length, tiles + 1)
    stretch = np.searchsorted(bounds[1:-1], genotypes.positions[sites], side="right")
    image = np.zeros((n_haplotypes, tiles * n_snps), dtype=np.uint8)
    distances = np.zeros(tiles * n_snps, dtype=np.float32)
    for tile in range(tiles):
        kept = central(sites[stretch == tile], n_snps)
        columns = slice(tile * n_snps, tile * n_snps + len(kept))
        block = h[kept]
        minor = (derived[kept] > n_haplotypes / 2)[:, None]
        image[:, columns] = np.where(minor, 1 - block, block).T
        distances[columns][1:] = np.diff(genotypes.positions[kept]) / genotypes.sequence_length
        if sort_rows == "similarity":
            row = 0
            for idx in genotypes.populations.values():
                rows = slice(row, row + len(idx))
                tile_columns = slice(tile * n_snps, (tile + 1) * n_snps)
                image[rows, tile_columns] = image[rows, tile_columns][similarity_order(image[rows, tile_columns])]
                row += len(idx)
    return image, distances


def loci_image(loci, n_snps, sort_rows="similarity", tiles=1):
    """Image of a list of loci, as :func:`genotype_image` returns it, ``tiles`` tiles wide.

    One locus is :func:`genotype_image`'s image. Several are split, in order, into
    min(tiles, number of loci) groups of consecutive loci, as equal in number as possible; the
    tiles are shared out among the groups (the first groups get one more where they do not divide
    evenly), and each group is imaged as its loci laid end to end. With as many tiles as loci,
    each tile is one locus: its central SNPs, rows sorted within it.
    """
    if len(loci) == 1:
        return genotype_image(loci[0], n_snps, sort_rows, tiles)
    groups = np.array_split(np.arange(len(loci)), min(tiles, len(loci)))
    parts = [
        genotype_image(
            concatenate([loci[i] for i in group]), n_snps, sort_rows, tiles // len(groups) + (k < tiles % len(groups))
        )
        for k, group in enumerate(groups)
    ]
    return np.hstack([image for image, _ in parts]), np.concatenate([distances for _, distances in parts])


def similarity_order(matrix):
    """Row order by Hamming distance to the most frequent row (a stable sort)."""
    if len(matrix) == 0:
        return np.arange(0)
    rows = Counter(row.tobytes() for row in matrix)
    modal = np.frombuffer(max(rows, key=rows.get), dtype=matrix.dtype)
    return np.argsort(np.count_nonzero(matrix != modal, axis=1), kind="stable")
