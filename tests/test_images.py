from collections import Counter

import numpy as np
import pytest

from popsbi.genotypes import Genotypes
from popsbi.images import genotype_image, loci_image, similarity_order


def random_genotypes(n_sites, sizes=(6, 4), seed=0, length=10_000):
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    h = (rng.random((n_sites, n)) < rng.random((n_sites, 1))).astype(np.int8)
    positions = np.sort(rng.choice(np.arange(1, length + 1), n_sites, replace=False))
    bounds = np.cumsum((0,) + sizes)
    pops = {f"p{i}": np.arange(bounds[i], bounds[i + 1]) for i in range(len(sizes))}
    return Genotypes(h, positions, pops, length, True)


def segregating(g):
    d = g.haplotypes.sum(1)
    return np.flatnonzero((d > 0) & (d < g.haplotypes.shape[1]))


def test_shape_and_minor_allele_encoding():
    g = random_genotypes(300)
    image, distances = genotype_image(g, 64, sort_rows="none")
    assert image.shape == (10, 64) and image.dtype == np.uint8
    assert distances.shape == (64,)
    assert set(np.unique(image)) <= {0, 1}
    assert np.all(image.sum(axis=0) <= 5)  # minor allele = 1: at most half the haplotypes
    assert np.all(image.sum(axis=0) >= 1)  # only segregating sites


def test_central_snps_are_kept_when_there_are_more():
    g = random_genotypes(300)
    seg = segregating(g)
    image, distances = genotype_image(g, 64, sort_rows="none")
    start = (len(seg) - 64) // 2
    kept = seg[start : start + 64]
    expected = g.haplotypes[kept].T
    flip = expected.sum(0) > 5
    assert np.array_equal(image, np.where(flip, 1 - expected, expected))
    span = (g.positions[kept[-1]] - g.positions[kept[0]]) / g.sequence_length
    assert distances.sum() == pytest.approx(span)
    assert distances[0] == 0


def test_padding_is_zero_on_the_right_when_there_are_fewer():
    g = random_genotypes(20)
    n_seg = len(segregating(g))
    image, distances = genotype_image(g, 64)
    assert n_seg < 64
    assert not image[:, n_seg:].any() and not distances[n_seg:].any()
    assert image[:, :n_seg].any(axis=0).all()
    assert (distances[1:n_seg] > 0).all()


def test_sorting_permutes_rows_within_each_population_only():
    g = random_genotypes(200, sizes=(6, 4), seed=3)
    unsorted, _ = genotype_image(g, 64, sort_rows="none")
    sorted_, _ = genotype_image(g, 64, sort_rows="similarity")
    for rows in (slice(0, 6), slice(6, 10)):
        assert Counter(map(bytes, unsorted[rows])) == Counter(map(bytes, sorted_[rows]))
    assert not np.array_equal(unsorted, sorted_)


def test_similarity_order_puts_the_modal_haplotype_first_and_distance_increasing():
    m = np.array([[1, 1, 1], [0, 0, 0], [0, 0, 1], [0, 0, 0], [1, 1, 0]], dtype=np.uint8)
    order = similarity_order(m)
    assert list(order) == [1, 3, 2, 4, 0]  # modal (0,0,0) twice, then distance 1, 2, 3


def test_channels_stack_alleles_and_distances():
    import torch

    from popsbi.nn.networks import as_channels

    g = random_genotypes(100)
    image, distances = genotype_image(g, 32)
    channels = as_channels(torch.from_numpy(image[None]), torch.from_numpy(distances[None])).numpy()
    assert channels.shape == (1, 2, 10, 32)
    assert np.array_equal(channels[0, 0], image)
    assert np.all(channels[0, 1] == distances)


def test_tiles_hold_the_central_snps_of_equal_stretches_of_the_region():
    g = random_genotypes(400, length=12_000)
    seg = segregating(g)
    image, distances = genotype_image(g, 16, sort_rows="none", tiles=3)
    assert image.shape == (10, 48) and distances.shape == (48,)
    for tile, (low, high) in enumerate([(0, 4_000), (4_000, 8_000), (8_000, 12_000)]):
        inside = seg[(g.positions[seg] >= low) & (g.positions[seg] < high)]
        start = (len(inside) - 16) // 2
        kept = inside[start : start + 16]
        expected = g.haplotypes[kept].T
        flip = expected.sum(0) > 5
        columns = slice(16 * tile, 16 * (tile + 1))
        assert np.array_equal(image[:, columns], np.where(flip, 1 - expected, expected))
        assert distances[columns][0] == 0
        assert distances[columns][1:] == pytest.approx(np.diff(g.positions[kept]) / g.sequence_length)


def test_a_tile_of_a_stretch_without_snps_is_padding():
    g = random_genotypes(60, length=10_000)
    g.positions[:] = np.sort(np.random.default_rng(1).choice(np.arange(1, 5_000), 60, replace=False))
    image, distances = genotype_image(g, 32, tiles=2)
    assert image[:, :32].any() and not image[:, 32:].any() and not distances[32:].any()


def test_rows_are_sorted_within_each_tile():
    g = random_genotypes(400, sizes=(6, 4), seed=5)
    unsorted, _ = genotype_image(g, 16, sort_rows="none", tiles=2)
    sorted_, _ = genotype_image(g, 16, sort_rows="similarity", tiles=2)
    for columns in (slice(0, 16), slice(16, 32)):
        for rows in (slice(0, 6), slice(6, 10)):
            assert Counter(map(bytes, unsorted[rows, columns])) == Counter(map(bytes, sorted_[rows, columns]))
            block = sorted_[rows, columns]
            assert np.array_equal(block, block[similarity_order(block)])


def test_an_image_of_loci_gives_each_locus_its_share_of_tiles():
    loci = [
        random_genotypes(n, seed=k, length=length)
        for k, (n, length) in enumerate([(80, 5_000), (40, 20_000), (60, 8_000)])
    ]
    image, distances = loci_image(loci, 16, "similarity", tiles=3)
    alone = [genotype_image(locus, 16, "similarity", tiles=1) for locus in loci]
    assert np.array_equal(image, np.hstack([part for part, _ in alone]))
    assert np.array_equal(distances, np.concatenate([part for _, part in alone]))
    two_each, _ = loci_image(loci[:2], 16, "similarity", tiles=4)
    assert np.array_equal(two_each[:, :32], genotype_image(loci[0], 16, "similarity", tiles=2)[0])
    assert np.array_equal(loci_image(loci[:1], 16, tiles=2)[0], genotype_image(loci[0], 16, tiles=2)[0])
