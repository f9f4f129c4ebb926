"""Summary statistics of a region or of many loci, identical for simulations and real data.

Every statistic is computed from :class:`~popsbi.genotypes.Genotypes` with
scikit-allel; per-site diversities (pi, dxy, Watterson's theta, theta_H) are per
base pair over the whole region [1, sequence_length]. Column names are
``<statistic>_<population>`` or ``<statistic>_<pop1>_<pop2>``, with a bin suffix
for binned statistics.

Over several loci (:func:`loci_statistics`), statistics that add up over sites are those of
the loci's sites together, per bp of their total length; LD decay pools the pairs of SNPs
within each locus; the others are means over the loci that support them; and ``sd_<column>``
is the standard deviation across loci of each per-locus statistic, the variation between
independent genealogies that multi-locus studies summarise.
"""

import itertools
from dataclasses import dataclass, replace

import allel
import numpy as np
import pandas as pd

from popsbi.genotypes import central, concatenate

#: Statistics computed within each population.
PER_POPULATION = (
    "segregating_sites",
    "pi",
    "theta_w",
    "tajimas_d",
    "theta_h",
    "fay_wu_h",
    "haplotype_count",
    "haplotype_diversity",
    "garud_h",
    "sfs",
    "ld",
    "kelly_zns",
)
#: Statistics computed for each pair of populations.
BETWEEN_POPULATIONS = ("dxy", "fst_hudson", "joint_sfs")
STATISTICS = PER_POPULATION + BETWEEN_POPULATIONS
#: Statistics that need to know the ancestral allele.
NEED_POLARISED = frozenset({"theta_h", "fay_wu_h"})
#: Statistics that add up over sites: over several loci, those of their sites pooled.
POOLED_OVER_SITES = frozenset(
    {"segregating_sites", "pi", "theta_w", "theta_h", "fay_wu_h", "sfs", "dxy", "fst_hudson", "joint_sfs"}
)
#: Statistics with one column per bin, summarised over loci by pooling, never by a mean and a spread.
BINNED = frozenset({"sfs", "ld", "joint_sfs"})


@dataclass(frozen=True)
class FeatureSettings:
    """Which statistics to compute and their binning (config key ``features``)."""

    statistics: tuple = STATISTICS
    sfs_bins: int = 5
    joint_sfs_bins: int = 3
    ld_distance_bins: tuple = (0, 1_000, 5_000, 20_000, 100_000)
    ld_max_snps: int = 100
    ld_min_maf: float = 0.05
    haplotype_snps: int = 200


def summary_statistics(genotypes, settings):
    """Dict of statistic column name -> value for one region."""
    g = genotypes
    haplotypes = allel.HaplotypeArray(g.haplotypes)
    length = g.sequence_length
    wanted = set(settings.statistics)
    counts = {pop: haplotypes.count_alleles(max_allele=1, subpop=idx) for pop, idx in g.populations.items()}
    out = {}
    for pop, ac in counts.items():
        segregating = ac.is_segregating()
        n_segregating = int(segregating.sum())
        # pi, Watterson's theta and Tajima's D over the region, as allel.sequence_diversity,
        # allel.watterson_theta and allel.tajima_d compute them, from one pass over the sites.
        n_haplotypes = len(g.populations[pop])
        pairwise_differences = allel.mean_pairwise_difference(ac, fill=0).sum()
        pi = pairwise_differences / length
        if "segregating_sites" in wanted:
            out[f"segregating_sites_{pop}"] = n_segregating
        if "pi" in wanted:
            out[f"pi_{pop}"] = pi
        if "theta_w" in wanted:
            out[f"theta_w_{pop}"] = n_segregating / harmonic_number(n_haplotypes - 1) / length
        if "tajimas_d" in wanted:
            out[f"tajimas_d_{pop}"] = tajimas_d(pairwise_differences, n_segregating, n_haplotypes)
        if wanted & NEED_POLARISED:
            theta_h = _theta_h(ac) / length
            if "theta_h" in wanted:
                out[f"theta_h_{pop}"] = theta_h
            if "fay_wu_h" in wanted:
                out[f"fay_wu_h_{pop}"] = pi - theta_h
        if wanted & {"haplotype_count", "haplotype_diversity", "garud_h"}:
            out.update(_haplotype_statistics(g, pop, segregating, settings, wanted))
        if "sfs" in wanted:
            out.update(_binned_sfs(ac, segregating, g.polarised, settings.sfs_bins, pop))
        if "ld" in wanted:
            out.update(_ld_decay(g, pop, ac, settings))
        if "kelly_zns" in wanted:
            out[f"kelly_zns_{pop}"] = _kelly_zns(g, pop, segregating, settings)
    for (pop1, ac1), (pop2, ac2) in itertools.combinations(counts.items(), 2):
        pair = f"{pop1}_{pop2}"
        if "dxy" in wanted:
            # as allel.sequence_divergence, which fails on a region without SNPs
            out[f"dxy_{pair}"] = allel.mean_pairwise_difference_between(ac1, ac2, fill=0).sum() / length
        if "fst_hudson" in wanted:
            out[f"fst_hudson_{pair}"] = hudson_fst(ac1, ac2)
        if "joint_sfs" in wanted:
            out.update(_binned_joint_sfs(ac1, ac2, g.polarised, settings.joint_sfs_bins, pair))
    return {name: float(value) for name, value in out.items()}


def loci_statistics(loci, settings):
    """Dict of statistic column name -> value for a list of loci (one locus: :func:`summary_statistics`)."""
    if len(loci) == 1:
        return summary_statistics(loci[0], settings)
    wanted = set(settings.statistics)
    pooled = summary_statistics(concatenate(loci), _only(settings, wanted & POOLED_OVER_SITES))
    per_locus = locus_statistics(loci, settings)
    # pandas' mean skips the loci that cannot support a statistic (NaN, e.g. Tajima's D with fewer
    # than 3 SNPs); it is NaN only when no locus can
    out = {**pooled, **{name: float(values.mean()) for name, values in per_locus.items() if name not in pooled}}
    if "ld" in wanted:
        for pop, haplotypes in loci[0].populations.items():
            parts = [_ld_sums(locus, pop, _allele_counts(locus, haplotypes), settings) for locus in loci]
            sums, pairs = (np.sum(part, axis=0) for part in zip(*parts))
            out.update(_ld_means(sums, pairs, pop))
    out.update({f"sd_{name}": float(values.std(ddof=0)) for name, values in per_locus.items()})
    return out


def locus_statistics(loci, settings):
    """Table of each locus's statistics that are not binned (one row per locus)."""
    return pd.DataFrame(
        [summary_statistics(locus, _only(settings, set(settings.statistics) - BINNED)) for locus in loci]
    )


def _only(settings, statistics):
    return replace(settings, statistics=tuple(name for name in settings.statistics if name in statistics))


def _allele_counts(genotypes, haplotypes):
    return allel.HaplotypeArray(genotypes.haplotypes).count_alleles(max_allele=1, subpop=haplotypes)


def harmonic_number(n):
    """a_n = sum_{i=1}^{n} 1/i, Watterson's (1975) denominator for n + 1 sequences."""
    return float(np.sum(1.0 / np.arange(1, n + 1)))


def tajimas_d(pairwise_differences, n_segregating, n):
    """Tajima's D (Tajima 1989, eq. 38) from the mean pairwise differences, S and n sequences.

    NaN with fewer than 3 segregating sites, as scikit-allel's ``tajima_d``, and for
    n <= 3 sequences, where the variance of the numerator is 0.
    """
    if n_segregating < 3 or n <= 3:
        return np.nan
    a1 = harmonic_number(n - 1)
    a2 = float(np.sum(1.0 / np.arange(1, n) ** 2))
    b1 = (n + 1) / (3 * (n - 1))
    b2 = 2 * (n**2 + n + 3) / (9 * n * (n - 1))
    c1 = b1 - 1 / a1
    c2 = b2 - (n + 2) / (a1 * n) + a2 / a1**2
    e1, e2 = c1 / a1, c2 / (a1**2 + a2)
    return (pairwise_differences - n_segregating / a1) / np.sqrt(
        e1 * n_segregating + e2 * n_segregating * (n_segregating - 1)
    )


def hudson_fst(ac1, ac2):
    """Hudson's Fst (Hudson, Slatkin and Maddison 1992; Bhatia et al. 2013), ratio of averages.

    scikit-allel's per-site numerator and denominator summed over the region; this
    is not tskit's ``Fst`` (1 - pi_within / pi_between), which differs.
    """
    numerator, denominator = allel.hudson_fst(ac1, ac2)
    total = np.nansum(denominator)
    return np.nansum(numerator) / total if total > 0 else np.nan


def _theta_h(ac):
    """Sum over segregating sites of Fay and Wu's theta_H (Fay and Wu 2000): 2 d^2 / (n (n - 1))."""
    ac = np.asarray(ac)
    n = ac.sum(axis=1)
    derived = ac[:, 1]
    keep = (derived > 0) & (derived < n)
    return float(np.sum(2.0 * derived[keep] ** 2 / (n[keep] * (n[keep] - 1))))


def _haplotype_statistics(g, pop, segregating, settings, wanted):
    """Haplotype number, diversity and Garud's H on the central SNPs of the region.

    Over long regions nearly every haplotype is unique, so these statistics use
    at most ``haplotype_snps`` SNPs (segregating in the population) at the centre.
    """
    sites = central(np.flatnonzero(segregating), settings.haplotype_snps)
    h = allel.HaplotypeArray(g.haplotypes[np.ix_(sites, g.populations[pop])])
    out = {}
    if "haplotype_count" in wanted:
        out[f"haplotype_count_{pop}"] = len(h.distinct_counts()) if len(sites) else 1
    if "haplotype_diversity" in wanted:
        out[f"haplotype_diversity_{pop}"] = allel.haplotype_diversity(h) if len(sites) else 0.0
    if "garud_h" in wanted:
        if len(sites):
            h1, h12, h123, h2_h1 = allel.garud_h(h)
        else:
            h1 = h12 = h123 = 1.0
            h2_h1 = 0.0
        out.update({f"h1_{pop}": h1, f"h12_{pop}": h12, f"h123_{pop}": h123, f"h2_h1_{pop}": h2_h1})
    return out


def _frequency_of_counted_allele(ac, polarised):
    """Frequency of the derived allele, or of the minor allele when unpolarised."""
    ac = np.asarray(ac)
    n = ac.sum(axis=1)
    counted = ac[:, 1] if polarised else ac.min(axis=1)
    return counted / np.maximum(n, 1)


def _binned_sfs(ac, segregating, polarised, bins, pop):
    """Site frequency spectrum in ``bins`` equal-width frequency bins, as proportions of S.

    Unfolded (derived allele frequency in (0, 1)) when polarised; folded (minor
    allele frequency in (0, 0.5]) otherwise.
    """
    freq = _frequency_of_counted_allele(ac[segregating], polarised)
    edges = np.linspace(0, 1 if polarised else 0.5, bins + 1)
    counts, _ = np.histogram(freq, bins=edges)
    proportions = counts / max(len(freq), 1)
    return {f"sfs_{pop}_{k}": p for k, p in enumerate(proportions)}


def _binned_joint_sfs(ac1, ac2, polarised, bins, pair):
    """Joint SFS of two populations in ``bins`` x ``bins`` frequency bins, as proportions.

    Unpolarised data are folded on the allele that is minor in the two populations pooled.
    """
    ac1, ac2 = np.asarray(ac1), np.asarray(ac2)
    pooled = ac1 + ac2
    segregating = (pooled > 0).all(axis=1)
    ac1, ac2, pooled = ac1[segregating], ac2[segregating], pooled[segregating]
    counted = 1 if polarised else np.where(pooled[:, 1] <= pooled[:, 0], 1, 0)
    rows = np.arange(len(pooled))
    freq1 = ac1[rows, counted] / np.maximum(ac1.sum(axis=1), 1)
    freq2 = ac2[rows, counted] / np.maximum(ac2.sum(axis=1), 1)
    # Bin k holds frequencies in [k / bins, (k + 1) / bins), the last bin also frequency 1.
    bin1 = np.minimum((freq1 * bins).astype(int), bins - 1)
    bin2 = np.minimum((freq2 * bins).astype(int), bins - 1)
    counts = np.bincount(bin1 * bins + bin2, minlength=bins * bins).reshape(bins, bins)
    proportions = counts / max(len(pooled), 1)
    return {f"joint_sfs_{pair}_{i}_{j}": proportions[i, j] for i in range(bins) for j in range(bins)}


def _ld_decay(g, pop, ac, settings):
    """Mean r^2 between SNPs in distance bins (LD decay) within a population."""
    return _ld_means(*_ld_sums(g, pop, ac, settings), pop)


def _ld_means(sums, pairs, pop):
    means = np.divide(sums, pairs, out=np.full(len(sums), np.nan), where=pairs > 0)
    return {f"ld_r2_{pop}_{k}": m for k, m in enumerate(means)}


def _ld_sums(g, pop, ac, settings):
    """Sums of r^2 between SNPs, and numbers of pairs, in distance bins within a population.

    Uses SNPs with minor allele frequency >= ``ld_min_maf`` in the population, at
    most ``ld_max_snps`` of them drawn at random with a fixed seed (a random subset,
    unlike an even thinning, keeps pairs of close SNPs in long regions); r is the correlation of haplotype
    alleles (see :func:`haplotype_r`).
    """
    maf = _frequency_of_counted_allele(ac, polarised=False)
    sites = np.flatnonzero(maf >= settings.ld_min_maf)
    if len(sites) > settings.ld_max_snps:
        sites = np.sort(np.random.default_rng(0).choice(sites, settings.ld_max_snps, replace=False))
    edges = np.asarray(settings.ld_distance_bins, dtype=float)
    sums, pairs = np.zeros(len(edges) - 1), np.zeros(len(edges) - 1, dtype=np.int64)
    if len(sites) >= 2:
        r = haplotype_r(g.haplotypes[np.ix_(sites, g.populations[pop])])
        i, j = np.triu_indices(len(sites), k=1)
        r_squared = r[i, j] ** 2
        distance = g.positions[sites][j] - g.positions[sites][i]
        which = np.digitize(distance, edges) - 1
        inside = (which >= 0) & (which < len(sums))
        sums = np.bincount(which[inside], weights=r_squared[inside], minlength=len(sums))
        pairs = np.bincount(which[inside], minlength=len(pairs))
    return sums, pairs


def _kelly_zns(g, pop, segregating, settings):
    """Kelly's (1997) Z_nS: mean r^2 over all pairs of the central ``ld_max_snps`` SNPs segregating
    in the population (NaN with fewer than two)."""
    sites = central(np.flatnonzero(segregating), settings.ld_max_snps)
    if len(sites) < 2:
        return np.nan
    r = haplotype_r(g.haplotypes[np.ix_(sites, g.populations[pop])])
    i, j = np.triu_indices(len(sites), k=1)
    return float(np.mean(r[i, j] ** 2))


def abs_nsl(h, min_minor_frequency=0.05):
    """|nSL| of each SNP (rows of the 0/1 haplotype matrix ``h``): the log ratio of the mean
    lengths, in SNPs, of the haplotypes shared by pairs that carry either allele (Ferrer-Admetlla et
    al. 2014, scikit-allel's ``nsl``). NaN for SNPs whose minor allele is rarer than
    ``min_minor_frequency``. Unstandardised: genome scans standardise nSL over the genome's SNPs of
    like frequency, but here simulated windows of the data's demography are the reference. Absolute:
    its sign says which allele carries the longer haplotypes, which unpolarised data cannot tell."""
    out = np.full(len(h), np.nan)
    count = h.sum(axis=1)
    keep = np.flatnonzero(np.minimum(count, h.shape[1] - count) >= min_minor_frequency * h.shape[1])
    if len(keep) > 1:
        out[keep] = np.abs(allel.nsl(allel.HaplotypeArray(h[keep]), use_threads=False))
    return out


def haplotype_r(h):
    """Matrix of Pearson correlations between the 0/1 allele vectors of SNPs (rows of ``h``).

    The r of scikit-allel's ``rogers_huff_r`` applied to haplotypes, as one matrix
    product instead of a loop over pairs; rows must not be constant.
    """
    centred = h - h.mean(axis=1, keepdims=True)
    standardised = centred / np.sqrt(np.einsum("ij,ij->i", centred, centred))[:, None]
    return standardised @ standardised.T
