"""Statistics against theory (neutral coalescent) and against brute-force definitions."""

import itertools

import allel
import demes
import numpy as np
import pandas as pd
import pytest

from popsbi.features import STATISTICS, FeatureSettings, loci_statistics, locus_statistics, summary_statistics
from popsbi.genotypes import Genotypes
from popsbi.simulate import demography, genotypes_from_tree_sequence, simulate

NE, MU, LENGTH = 10_000, 1e-8, 100_000
THETA = 4 * NE * MU  # expected pi and Watterson's theta per bp under neutrality
ALL = FeatureSettings(statistics=FeatureSettings().statistics + ("theta_h", "fay_wu_h"))


def two_demes(migration=0.0, t_split=2_000):
    b = demes.Builder(time_units="generations")
    b.add_deme("anc", epochs=[dict(start_size=NE, end_time=t_split)])
    b.add_deme("A", ancestors=["anc"], epochs=[dict(start_size=NE)])
    b.add_deme("B", ancestors=["anc"], epochs=[dict(start_size=NE)])
    if migration:
        b.add_migration(demes=["A", "B"], rate=migration)
    return b.resolve()


def replicate_statistics(graph, samples, n, settings=ALL):
    rows = []
    for seed in range(1, n + 1):
        ts = simulate(demography(graph), samples, LENGTH, MU, 1e-8, seed)
        rows.append(summary_statistics(genotypes_from_tree_sequence(ts, list(samples), polarised=True), settings))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def neutral():
    b = demes.Builder(time_units="generations")
    b.add_deme("P", epochs=[dict(start_size=NE)])
    return replicate_statistics(b.resolve(), {"P": 10}, 300)


def test_neutral_diversity_matches_theta(neutral):
    # 300 replicates of 100 kb: the standard error of the mean is about 3% of theta.
    assert neutral["pi_P"].mean() == pytest.approx(THETA, rel=0.1)
    assert neutral["theta_w_P"].mean() == pytest.approx(THETA, rel=0.1)
    assert neutral["theta_h_P"].mean() == pytest.approx(THETA, rel=0.15)


def test_neutral_tajimas_d_and_fay_wu_h_are_near_zero(neutral):
    assert abs(neutral["tajimas_d_P"].mean()) < 0.15
    assert abs(neutral["fay_wu_h_P"].mean()) < 0.15 * THETA


def test_neutral_unfolded_sfs_is_proportional_to_one_over_i(neutral):
    n = 20
    i = np.arange(1, n)
    expected, _ = np.histogram(i / n, bins=np.linspace(0, 1, 6), weights=1 / i)
    observed = neutral[[f"sfs_P_{k}" for k in range(5)]].mean().to_numpy()
    assert observed == pytest.approx(expected / expected.sum(), abs=0.03)


def test_ld_decays_with_distance(neutral):
    r2 = neutral[[f"ld_r2_P_{k}" for k in range(4)]].mean().to_numpy()
    assert np.all(np.diff(r2) < 0)


def test_fst_is_higher_without_gene_flow_and_dxy_matches_theory():
    isolated = replicate_statistics(two_demes(), {"A": 10, "B": 10}, 100)
    migrating = replicate_statistics(two_demes(migration=1e-3), {"A": 10, "B": 10}, 100)
    assert isolated["fst_hudson_A_B"].mean() > 2 * migrating["fst_hudson_A_B"].mean()
    # Without migration, dxy = 2 mu (T_split + 2 N): coalescence in the ancestor after the split.
    assert isolated["dxy_A_B"].mean() == pytest.approx(2 * MU * (2_000 + 2 * NE), rel=0.1)


# Brute-force references on a small matrix ----------------------------------------------

H = np.array(
    [  # 5 sites x 6 haplotypes: A = columns 0-2, B = columns 3-5
        [0, 0, 1, 1, 1, 1],
        [1, 0, 0, 0, 0, 0],
        [0, 1, 1, 0, 1, 0],
        [1, 1, 1, 1, 1, 0],
        [0, 0, 0, 1, 1, 1],
    ],
    dtype=np.int8,
)
SMALL = Genotypes(H, np.array([3, 10, 11, 40, 90]), {"A": np.arange(3), "B": np.arange(3, 6)}, 100, True)


def brute_pi(h):
    n = h.shape[1]
    pairs = list(itertools.combinations(range(n), 2))
    return sum(np.sum(h[:, i] != h[:, j]) for i, j in pairs) / len(pairs)


def brute_tajimas_d(h):
    """Tajima (1989), equations 38 ff."""
    n = h.shape[1]
    s = np.sum((h.sum(1) > 0) & (h.sum(1) < n))
    a1, a2 = np.sum(1 / np.arange(1, n)), np.sum(1 / np.arange(1, n) ** 2)
    b1, b2 = (n + 1) / (3 * (n - 1)), 2 * (n**2 + n + 3) / (9 * n * (n - 1))
    c1, c2 = b1 - 1 / a1, b2 - (n + 2) / (a1 * n) + a2 / a1**2
    e1, e2 = c1 / a1, c2 / (a1**2 + a2)
    return (brute_pi(h) - s / a1) / np.sqrt(e1 * s + e2 * s * (s - 1))


def test_diversity_statistics_equal_their_definitions():
    stats = summary_statistics(SMALL, ALL)
    a, b = H[:, :3], H[:, 3:]
    assert stats["pi_A"] == pytest.approx(brute_pi(a) / 100)
    assert stats["segregating_sites_B"] == 2  # sites 2 and 3; the others are monomorphic in B
    assert stats["theta_w_B"] == pytest.approx(2 / (1 + 1 / 2) / 100)
    dxy = np.mean([np.sum(a[:, i] != b[:, j]) for i in range(3) for j in range(3)]) / 100
    assert stats["dxy_A_B"] == pytest.approx(dxy)
    # theta_H = sum over segregating sites of 2 d^2 / (n (n - 1)); in A, derived counts are
    # 1, 1, 2 at the segregating sites (site 3 is fixed for the derived allele: no contribution).
    assert stats["theta_h_A"] == pytest.approx((1 + 1 + 4) * 2 / (3 * 2) / 100)


def test_tajimas_d_equals_tajima_1989():
    pooled = Genotypes(H, SMALL.positions, {"P": np.arange(6)}, 100, True)
    d = summary_statistics(pooled, FeatureSettings(statistics=("tajimas_d",)))["tajimas_d_P"]
    assert np.isfinite(d)
    assert d == pytest.approx(brute_tajimas_d(H))


def test_tajimas_d_equals_scikit_allel_on_simulated_data(neutral):
    ts = simulate(demography(two_demes()), {"A": 10, "B": 5}, LENGTH, MU, 1e-8, 3)
    g = genotypes_from_tree_sequence(ts, ["A", "B"], polarised=True)
    stats = summary_statistics(g, FeatureSettings(statistics=("tajimas_d",)))
    for pop, idx in g.populations.items():
        ac = allel.HaplotypeArray(g.haplotypes).count_alleles(subpop=idx)
        assert stats[f"tajimas_d_{pop}"] == pytest.approx(allel.tajima_d(ac, g.positions, start=1, stop=LENGTH))


def test_tajimas_d_is_nan_where_undefined():
    stats = summary_statistics(SMALL, FeatureSettings(statistics=("tajimas_d",)))
    assert np.isnan(stats["tajimas_d_A"])  # 3 sequences: Tajima's variance terms are 0


def test_joint_sfs_bins_the_two_populations_frequencies():
    stats = summary_statistics(SMALL, FeatureSettings(statistics=("joint_sfs",), joint_sfs_bins=3))
    # Derived frequencies (A, B) of the 5 sites: (1/3, 1), (1/3, 0), (2/3, 1/3), (1, 2/3), (0, 1),
    # in bins [0, 1/3), [1/3, 2/3), [2/3, 1].
    expected = np.zeros((3, 3))
    for i, j in [(1, 2), (1, 0), (2, 1), (2, 2), (0, 2)]:
        expected[i, j] = 1 / 5
    observed = np.array([[stats[f"joint_sfs_A_B_{i}_{j}"] for j in range(3)] for i in range(3)])
    assert observed == pytest.approx(expected)


def test_hudson_fst_is_the_ratio_of_averages_of_bhatia_et_al():
    stats = summary_statistics(SMALL, ALL)
    p1, p2 = H[:, :3].mean(1), H[:, 3:].mean(1)
    n1 = n2 = 3
    numerator = (p1 - p2) ** 2 - p1 * (1 - p1) / (n1 - 1) - p2 * (1 - p2) / (n2 - 1)
    denominator = p1 * (1 - p2) + p2 * (1 - p1)
    assert stats["fst_hudson_A_B"] == pytest.approx(numerator.sum() / denominator.sum())


def test_haplotype_statistics_equal_their_definitions():
    # Haplotypes of B at its segregating sites 0, 2, 3, 4 (site 1 is monomorphic in B).
    h = np.array([[1, 1, 1], [0, 1, 0], [1, 1, 0], [1, 1, 1]], dtype=np.int8)
    g = Genotypes(h, np.array([1, 2, 3, 4]), {"B": np.arange(3)}, 10, True)
    stats = summary_statistics(g, ALL)
    # Columns: (1,0,1,1), (1,1,1,1), (1,0,0,1): three distinct haplotypes, each 1/3.
    assert stats["haplotype_count_B"] == 3
    assert stats["haplotype_diversity_B"] == pytest.approx(3 / 2 * (1 - 3 / 9))
    assert stats["h1_B"] == pytest.approx(3 / 9)
    assert stats["h12_B"] == pytest.approx((2 / 3) ** 2 + 1 / 9)


def test_folded_sfs_counts_minor_alleles():
    unpolarised = Genotypes(H, SMALL.positions, {"P": np.arange(6)}, 100, False)
    stats = summary_statistics(unpolarised, FeatureSettings(statistics=("sfs",), sfs_bins=3))
    # Minor allele counts of the 5 sites among 6: 2, 1, 3, 1, 3 -> frequencies 1/3, 1/6, 1/2, 1/6, 1/2
    # in bins [0, 1/6), [1/6, 1/3), [1/3, 1/2].
    assert [stats[f"sfs_P_{k}"] for k in range(3)] == pytest.approx([0, 2 / 5, 3 / 5])


def test_each_locus_statistics_equal_scikit_allel_on_that_locus():
    """Statistics computed over the loci together, site by site, against scikit-allel on each locus
    alone: loci of 3 kb to 60 kb, one of them with a single SNP."""
    loci = [
        genotypes_from_tree_sequence(
            simulate(demography(two_demes()), {"A": 8, "B": 6}, length, MU, 1e-8, seed), ["A", "B"], False
        )
        for seed, length in enumerate((60_000, 3_000, 20_000), start=4)
    ]
    loci[1] = loci[1].sites(np.arange(len(loci[1].positions)) == 0)
    settings = FeatureSettings(statistics=STATISTICS, haplotype_snps=25, ld_max_snps=30)
    table = locus_statistics(loci, settings)
    for row, g in zip(table.itertuples(), loci):
        for pop, members in g.populations.items():
            h = allel.HaplotypeArray(g.haplotypes[:, members])
            segregating = np.flatnonzero(h.count_alleles(max_allele=1).is_segregating())
            central = h[segregating[max((len(segregating) - 25) // 2, 0) :][:25]]
            assert getattr(row, f"haplotype_count_{pop}") == len(central.distinct_counts())
            assert getattr(row, f"haplotype_diversity_{pop}") == pytest.approx(allel.haplotype_diversity(central))
            h1, h12, h123, h2_h1 = allel.garud_h(central)
            assert [getattr(row, f"{name}_{pop}") for name in ("h1", "h12", "h123", "h2_h1")] == pytest.approx(
                [h1, h12, h123, h2_h1]
            )
            pairs = h[segregating[max((len(segregating) - 30) // 2, 0) :][:30]]
            zns = np.mean(allel.rogers_huff_r(pairs) ** 2) if len(pairs) > 1 else np.nan
            assert getattr(row, f"kelly_zns_{pop}") == pytest.approx(zns, nan_ok=True, rel=1e-5)
        a, b = (allel.HaplotypeArray(g.haplotypes).count_alleles(max_allele=1, subpop=g.populations[p]) for p in "AB")
        assert row.dxy_A_B == pytest.approx(
            allel.sequence_divergence(g.positions, a, b, start=1, stop=g.sequence_length)
        )
        numerator, denominator = allel.hudson_fst(a, b)
        assert row.fst_hudson_A_B == pytest.approx(np.nansum(numerator) / np.nansum(denominator))


def test_kelly_zns_is_the_mean_r_squared_of_all_pairs():
    rng = np.random.default_rng(3)
    h = (rng.random((25, 16)) < 0.4).astype(np.int8)
    h = h[(h.sum(axis=1) > 0) & (h.sum(axis=1) < 16)]
    g = Genotypes(h, np.arange(1, len(h) + 1) * 100, {"P": np.arange(16)}, 10_000, polarised=False)
    zns = summary_statistics(g, FeatureSettings(statistics=("kelly_zns",), ld_max_snps=1000))["kelly_zns_P"]
    assert zns == pytest.approx(np.mean(allel.rogers_huff_r(h) ** 2), rel=1e-6)
    # Perfectly linked SNPs (identical columns of alleles) give Z_nS = 1.
    linked = Genotypes(np.tile(h[:1], (5, 1)), np.arange(1, 6) * 100, {"P": np.arange(16)}, 10_000, False)
    assert summary_statistics(linked, FeatureSettings(statistics=("kelly_zns",)))["kelly_zns_P"] == pytest.approx(1)


def _loci(lengths, seed=1):
    """Independent neutral loci of one population A of 8 diploids (no migration, one deme)."""
    b = demes.Builder(time_units="generations")
    b.add_deme("A", epochs=[dict(start_size=NE)])
    return [
        genotypes_from_tree_sequence(
            simulate(demography(b.resolve()), {"A": 8}, length, MU, 1e-8, seed + k), ["A"], False
        )
        for k, length in enumerate(lengths)
    ]


def test_statistics_over_loci_pool_sites_and_average_the_rest():
    """Against scikit-allel's per-locus statistics: pi of the loci together is the length-weighted
    mean of theirs, S their sum, Tajima's D their mean, the SFS that of every site, and sd_ the
    spread across loci."""
    lengths = (20_000, 50_000, 30_000)
    loci = _loci(lengths)
    settings = FeatureSettings(statistics=("segregating_sites", "pi", "tajimas_d", "sfs"))
    stats = loci_statistics(loci, settings)
    counts = [allel.HaplotypeArray(g.haplotypes).count_alleles(max_allele=1) for g in loci]
    pis = [allel.sequence_diversity(g.positions, ac, start=1, stop=g.sequence_length) for g, ac in zip(loci, counts)]
    assert stats["pi_A"] == pytest.approx(np.dot(pis, lengths) / sum(lengths))
    assert stats["sd_pi_A"] == pytest.approx(np.std(pis))
    assert stats["segregating_sites_A"] == sum(int(ac.count_segregating()) for ac in counts)
    assert stats["tajimas_d_A"] == pytest.approx(np.mean([allel.tajima_d(ac) for ac in counts]))
    folded = allel.sfs_folded(np.concatenate([ac[ac.is_segregating()] for ac in counts]), n=16)[1:]
    by_bin = np.bincount(np.minimum((np.arange(1, 9) / 16 * 10).astype(int), 4), weights=folded, minlength=5)
    assert [stats[f"sfs_A_{k}"] for k in range(5)] == pytest.approx(by_bin / folded.sum())


def test_a_statistic_averages_the_loci_that_support_it():
    loci = _loci((30_000, 40_000))
    few = loci[0].sites(np.arange(len(loci[0].positions)) < 2)  # two SNPs: no Tajima's D
    settings = FeatureSettings(statistics=("tajimas_d",))
    assert loci_statistics([few, loci[1]], settings)["tajimas_d_A"] == pytest.approx(
        summary_statistics(loci[1], settings)["tajimas_d_A"]
    )
    assert np.isnan(loci_statistics([few, few], settings)["tajimas_d_A"])


def test_ld_decay_over_loci_pools_pairs_within_loci_only():
    """Two copies of one locus: pairs across the copies (identical SNPs, r^2 = 1, at distances the
    bins cover) would raise every bin; within-locus pairs alone give the locus's own LD decay."""
    (locus,) = _loci((20_000,))
    settings = FeatureSettings(statistics=("ld",), ld_distance_bins=(0, 5_000, 20_000, 50_000))
    once = summary_statistics(locus, settings)
    twice = loci_statistics([locus, locus], settings)
    assert [twice[f"ld_r2_A_{k}"] for k in range(2)] == pytest.approx([once[f"ld_r2_A_{k}"] for k in range(2)])
    assert np.isnan(twice["ld_r2_A_2"])
