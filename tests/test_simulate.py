import gzip

import demes
import msprime
import numpy as np
import pytest

from popsbi.genetic_map import read_recombination_map
from popsbi.simulate import (
    Loci,
    Sweep,
    deme_size_at,
    demography,
    forward_logit_growth,
    forward_scaling_for,
    forward_sweep,
    genotypes_from_tree_sequence,
    hard_sweep,
    partial_sweep,
    recent_history,
    simulate,
)


def graph():
    b = demes.Builder(time_units="generations")
    b.add_deme("anc", epochs=[dict(start_size=1000, end_time=500)])
    b.add_deme("A", ancestors=["anc"], epochs=[dict(start_size=1000)])
    b.add_deme("B", ancestors=["anc"], epochs=[dict(start_size=500)])
    return b.resolve()


def test_same_seed_same_simulation_and_different_seed_differs():
    a = simulate(demography(graph()), {"A": 3, "B": 2}, 50_000, 1e-7, 1e-8, 11)
    b = simulate(demography(graph()), {"A": 3, "B": 2}, 50_000, 1e-7, 1e-8, 11)
    c = simulate(demography(graph()), {"A": 3, "B": 2}, 50_000, 1e-7, 1e-8, 12)
    assert a.tables.equals(b.tables, ignore_provenance=True)
    assert not a.tables.equals(c.tables, ignore_provenance=True)


def test_genotypes_are_biallelic_with_populations_in_sample_order():
    ts = simulate(demography(graph()), {"A": 3, "B": 2}, 50_000, 1e-7, 1e-8, 5)
    g = genotypes_from_tree_sequence(ts, ["B", "A"], polarised=True)
    assert list(g.populations) == ["B", "A"]
    assert len(g.populations["A"]) == 6 and len(g.populations["B"]) == 4
    assert set(np.unique(g.haplotypes)) <= {0, 1}
    assert g.positions.min() >= 1 and g.positions.max() <= 50_000
    assert np.all(np.diff(g.positions) > 0)


def test_genetic_map_is_read_for_the_requested_region(tmp_path):
    path = tmp_path / "chr.gmap.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("pos\tchr\tcM\n100\t20\t0.0\n1100\t20\t1.0\n2100\t20\t1.5\n3100\t20\t3.5\n")
    rate_map = read_recombination_map(path, start=600, end=2600)
    assert rate_map.sequence_length == 2000
    # 1 cM over 1000 bp = 1e-5 per bp, then 0.5 cM / 1000 bp, then 2 cM / 1000 bp
    assert rate_map.get_rate([0, 600, 1600]) == pytest.approx([1e-5, 5e-6, 2e-5])


def _constant(size):
    builder = demes.Builder(time_units="generations")
    builder.add_deme("EUR", epochs=[{"start_size": size}])
    return builder.resolve()


def _site_diversity(ts, around, scaling=1):
    """Mean pairwise coalescence time (branch diversity) over ``around`` bp centred on the middle."""
    middle = ts.sequence_length / 2
    edges = [0, middle - around / 2, middle + around / 2, ts.sequence_length]
    return ts.diversity(windows=edges, mode="branch")[1] * scaling


@pytest.mark.parametrize("age", [20, 1000])
@pytest.mark.parametrize("timed", [False, True])
def test_forward_and_msprime_hard_sweeps_agree(timed, age):
    # The same hard sweep (2Ns = 200, fixed 20 or 1,000 generations ago: a quarter of the neutral
    # 2N, time for the site to recover some diversity) by msprime's structured coalescent and by
    # fwdpy11 forward in time, unscaled: the same trough of diversity around the site. At a constant
    # size the forward run lasts until fixation, which is placed ``age`` generations ago; a size
    # change of one individual 30 generations ago (none to speak of) makes it follow the deme's
    # sizes from the sweep's expected start instead, as under any size change. Either way the
    # generations since fixation are msprime's neutral coalescent grafted on the run's genomes.
    n, length, s = 2000, 50_000, 0.05
    builder = demes.Builder(time_units="generations")
    builder.add_deme("EUR", epochs=[{"start_size": n, "end_time": 30}, {"start_size": n + 1}])
    graph = builder.resolve() if timed else _constant(n)
    backward = [
        msprime.sim_ancestry(
            10,
            population_size=n,
            sequence_length=length,
            recombination_rate=1e-8,
            model=hard_sweep(length // 2, n, s, age),
            random_seed=seed,
        )
        for seed in range(1, 31)
    ]
    sweep = Sweep(length // 2, s, None, age)
    forward = [forward_sweep(graph, "EUR", 10, length, 0.0, 1e-8, sweep, seed, 1)[0] for seed in range(1, 31)]
    centre = [np.mean([_site_diversity(ts, 10_000) for ts in runs]) / (4 * n) for runs in (backward, forward)]
    assert centre[0] < (0.2 if age == 20 else 0.4)  # neutral: 1
    assert centre[1] == pytest.approx(centre[0], abs=0.05 if timed else 0.035)


@pytest.mark.parametrize("s", [0.01, 0.2, 1.0])
def test_a_forward_runs_allele_odds_grow_as_its_fitnesses_say(s):
    # Genotype fitnesses 1, 1 + s/2, (1 + s/2)^2 (fwdpy11's multiplicative model of a forward
    # sweep), random mating: one generation of selection multiplies the allele's odds by 1 + s/2,
    # at any frequency; msprime's continuous s/2 is a fifth too fast once scaling makes s near 1.
    e = s / 2
    for p in (0.01, 0.3, 0.9):
        q = 1 - p
        mean = p * p * (1 + e) ** 2 + 2 * p * q * (1 + e) + q * q
        after = (p * p * (1 + e) ** 2 + p * q * (1 + e)) / mean
        assert np.log(after / (1 - after)) - np.log(p / q) == pytest.approx(forward_logit_growth(s))


def _growth():
    """A bottleneck to 1,000 at 300 generations ago, then exponential growth to 10,000."""
    builder = demes.Builder(time_units="generations")
    builder.add_deme("EUR", epochs=[{"start_size": 4000, "end_time": 300}, {"start_size": 1000, "end_size": 10_000}])
    return builder.resolve()


def test_the_history_a_forward_run_starts_from_has_the_deme_sizes_msprime_computes():
    graph = _growth()
    times = [0, 10, 150, 299, 300, 450]
    expected = msprime.Demography.from_demes(graph).debug().population_size_trajectory(times)[:, 0]
    assert [deme_size_at(graph, "EUR", t) for t in times] == pytest.approx(expected)
    history = recent_history(graph, "EUR", 150)
    assert [epoch.end_time for epoch in history["EUR"].epochs] == [150, 0]
    assert history["EUR"].epochs[1].start_size == pytest.approx(expected[2])
    assert history["EUR"].epochs[1].end_size == 10_000
    older = recent_history(graph, "EUR", 450)  # before the bottleneck: its whole later history
    assert [(e.start_size, e.end_size, e.end_time) for e in older["EUR"].epochs] == [
        (4000, 4000, 450),
        (4000, 4000, 300),
        (1000, 10_000, 0),
    ]


@pytest.mark.parametrize(
    ("n", "s", "scaling", "end_frequency"), [(2000, 0.1, 10, 0.6), (2000, 0.1, 10, 0.85), (20_000, 0.02, 40, 0.7)]
)
def test_forward_partial_sweeps_keep_the_diversity_of_pairs_outside_the_selected_class(n, s, scaling, end_frequency):
    # As for msprime's partial sweeps (test_sweeps): at the site of a strong sweep now at f, pairs
    # that both carry the selected allele coalesce within it, the others keep the neutral 4N:
    # (1 - f^2) of it. Forward, scaled (by 40: s times the scaling 0.8, as a large deme's run may
    # be), with the present aligned on the sweep.
    length = 2_000
    sweep = Sweep(length // 2, s, None, None, end_frequency)
    runs, reached = zip(
        *(forward_sweep(_constant(n), "EUR", 10, length, 0.0, 1e-8, sweep, seed, scaling) for seed in range(1, 41))
    )
    assert np.abs(np.array(reached) - end_frequency).max() <= Sweep.TOLERANCE + 1e-12
    site = np.mean([ts.diversity(mode="branch") * scaling for ts in runs]) / (4 * n)
    assert site == pytest.approx(1 - end_frequency**2, abs=0.1)
    msprime_runs = [
        msprime.sim_ancestry(
            10,
            population_size=n,
            sequence_length=length,
            model=partial_sweep(1000, n, s, end_frequency),
            random_seed=k,
        ).diversity(mode="branch")
        for k in range(1, 41)
    ]
    assert site == pytest.approx(np.mean(msprime_runs) / (4 * n), abs=0.1)


def test_a_forward_run_is_scaled_further_in_a_large_deme_as_far_as_s_allows():
    assert forward_scaling_for(20_000, 0.05, 10, 10_000) == 10  # small deme: the least scaling
    assert forward_scaling_for(463_000, 0.0073, 10, 10_000) == 46  # to 10,000 diploids today
    assert forward_scaling_for(463_000, 0.04, 10, 10_000) == 25  # s times the scaling at most 1
    assert forward_scaling_for(463_000, 0.1, 10, 10_000) == 10  # never below the least


def test_a_forward_partial_sweep_kept_within_a_range_reports_the_frequency_it_reached():
    # Aimed at 0.7 and kept anywhere within 0.5-0.95 (as windows drawn from that prior are): the
    # frequencies reached spread over the range, and the site keeps (1 - f^2) of the neutral
    # diversity of the f each run reports (not of the 0.7 it aimed at).
    n, length = 2000, 2_000
    sweep = Sweep(length // 2, 0.1, None, None, 0.7, (0.5, 0.95))
    runs, reached = zip(
        *(forward_sweep(_constant(n), "EUR", 10, length, 0.0, 1e-8, sweep, seed, 10) for seed in range(1, 41))
    )
    reached = np.array(reached)
    assert reached.min() >= 0.5 and reached.max() <= 0.95
    assert np.abs(reached - 0.7).max() > Sweep.TOLERANCE
    site = np.array([ts.diversity(mode="branch") * 10 for ts in runs]) / (4 * n)
    assert site.mean() == pytest.approx(np.mean(1 - reached**2), abs=0.1)


def test_a_hard_sweep_during_growth_empties_its_site_and_spares_the_flanks():
    # The sweep (2Ns = 200 to 2,000) starts before the bottleneck and ends during the growth: no
    # constant-size model applies.
    length = 200_000
    sweep = Sweep(length // 2, 0.1, None, 50)
    runs = [forward_sweep(_growth(), "EUR", 10, length, 0.0, 1e-8, sweep, seed, 10)[0] for seed in range(1, 21)]
    edges = [0, 10_000, 95_000, 105_000, 190_000, 200_000]
    diversity = np.mean([ts.diversity(windows=edges, mode="branch") for ts in runs], axis=0)
    assert diversity[2] < 0.3 * min(diversity[0], diversity[4])
    assert all(ts.num_samples == 20 for ts in runs)


def test_a_soft_sweep_keeps_the_diversity_of_its_founding_copies():
    # A strong sweep (2Ns = 800) from 20% of the copies: at the site, a pair coalesces within the
    # sweep only if both descend from the same founding copy; most pairs meet among the founders,
    # about 2N f0 generations (in units of the neutral 2N: f0) back. Scaled forward by 10.
    n, length, f0 = 2000, 20_000, 0.2
    runs = {
        start: [
            forward_sweep(_constant(n), "EUR", 10, length, 0.0, 1e-8, Sweep(length // 2, 0.2, start, 20), seed, 10)[0]
            for seed in range(1, 31)
        ]
        for start in (None, f0)
    }
    site = {start: np.mean([_site_diversity(ts, 1000, 10) for ts in tss]) / (4 * n) for start, tss in runs.items()}
    assert site[f0] == pytest.approx(f0, rel=0.5)
    assert site[None] < site[f0] / 2
    assert all(ts.num_samples == 20 and ts.num_sites == 0 for ts in runs[f0])  # mu = 0: no site, not even the swept one


def test_a_soft_sweep_in_a_deme_too_small_for_its_start_frequency_starts_from_one_or_two_copies():
    # 1% of the 40 copies of a deme of 200 diploids scaled by 10 is less than one copy.
    ts, frequency_now = forward_sweep(_constant(200), "EUR", 5, 10_000, 0.0, 1e-8, Sweep(5_000, 0.1, 0.01, 10), 1, 10)
    assert ts.num_samples == 10
    assert frequency_now == 1


@pytest.mark.parametrize("age", [10, 20])
def test_a_sample_larger_than_a_small_deme_at_the_fixation_coalesces_into_its_genomes(age):
    # 40 genomes (200 diploids scaled by 10) when the sweep fixes, 100 sampled lineages one or two
    # (scaled) generations later: many must share a parent genome, and every tree is one tree.
    ts, _ = forward_sweep(_constant(200), "EUR", 50, 10_000, 0.0, 1e-8, Sweep(5_000, 0.1, None, age), 3, 10)
    assert ts.num_samples == 100
    assert all(tree.num_roots == 1 for tree in ts.trees())


def test_a_single_region_simulates_with_the_simulations_seed():
    own_map = msprime.RateMap(position=[0, 5_000, 20_000], rate=[1e-8, 5e-8])
    ts = Loci((20_000,)).simulate(demography(graph()), {"A": 3, "B": 2}, 1e-7, [own_map], 7)
    alone = simulate(demography(graph()), {"A": 3, "B": 2}, 20_000, 1e-7, own_map, 7)
    assert ts.tables.equals(alone.tables, ignore_provenance=True)


def _one_deme(size=1000):
    b = demes.Builder(time_units="generations")
    b.add_deme("A", epochs=[dict(start_size=size)])
    return demography(b.resolve())


HOT = msprime.RateMap(position=[0, 5_000, 6_000, 20_000], rate=[1e-8, 1e-6, 1e-8])


@pytest.fixture(scope="module")
def many_loci():
    """300 loci of 20 kb with a recombination hotspot at 5-6 kb (84% of their genetic length), as
    replicates laid end to end and as one msprime call each."""
    loci = Loci((20_000,) * 300)
    together = loci.simulate(_one_deme(), {"A": 5}, 1e-7, [HOT] * 300, 3)
    alone = [simulate(_one_deme(), {"A": 5}, 20_000, 1e-7, HOT, seed) for seed in range(1, 301)]
    return loci, together, alone


def test_many_loci_have_the_diversity_of_the_coalescent(many_loci):
    """Segregating sites per locus: theta * a_n (Watterson 1975), 4 N mu L = 8 and n = 10; the
    standard error of the mean of 300 loci is about 3%."""
    loci, together, _ = many_loci
    segregating = [len(locus.positions) for locus in loci.genotypes(together, ["A"], True)]
    assert np.mean(segregating) == pytest.approx(8 * np.sum(1 / np.arange(1, 10)), rel=0.1)


def test_many_loci_recombine_along_their_own_maps_as_separate_msprime_calls(many_loci):
    """Tree changes per locus match msprime's own simulation of each locus, and fall in the hotspot
    as its share of the map's genetic length; no tree spans two loci."""
    _, together, alone = many_loci
    within = together.breakpoints(as_array=True)[1:-1] % 20_000
    assert np.count_nonzero(within == 0) == 299  # every boundary between loci
    within = within[within > 0]
    alone_within = np.concatenate([ts.breakpoints(as_array=True)[1:-1] for ts in alone])
    assert len(within) == pytest.approx(len(alone_within), rel=0.1)
    hotspot = 1e-3 / HOT.total_mass
    assert np.mean((within >= 5_000) & (within < 6_000)) == pytest.approx(hotspot, abs=0.05)
    assert np.mean((alone_within >= 5_000) & (alone_within < 6_000)) == pytest.approx(hotspot, abs=0.05)


def test_many_loci_are_reproducible_and_each_locus_is_its_own():
    loci = Loci((500,) * 80 + (30_000,))
    rates = [0.0] * 40 + [1e-8] * 40 + [2e-8]
    first = loci.simulate(_one_deme(), {"A": 4}, 1e-6, rates, 11)
    again = loci.simulate(_one_deme(), {"A": 4}, 1e-6, rates, 11)
    assert first.tables.equals(again.tables, ignore_provenance=True)
    genotypes = loci.genotypes(first, ["A"], True)
    assert [g.sequence_length for g in genotypes] == list(loci.lengths)
    assert all(
        len(g.positions) == 0 or (g.positions.min() >= 1 and g.positions.max() <= g.sequence_length) for g in genotypes
    )
    assert sum(len(g.positions) for g in genotypes) == first.num_sites
    # a locus without recombination has one tree
    edges = first.tables.edges
    assert all(
        np.isin(edges.left[(edges.left >= 500 * k) & (edges.left < 500 * (k + 1))], [500 * k]).all() for k in range(40)
    )
