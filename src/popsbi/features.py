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

from popsbi.genotypes import concatenate

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
    return {
        name: float(value[0]) if np.ndim(value) else float(value)
        for name, value in _statistics([genotypes], settings).items()
    }


def loci_statistics(loci, settings):
    """Dict of statistic column name -> value for a list of loci (one locus: :func:`summary_statistics`)."""
    if len(loci) == 1:
        return summary_statistics(loci[0], settings)
    wanted = set(settings.statistics)
    pooled = summary_statistics(concatenate(loci), _only(settings, wanted & POOLED_OVER_SITES))
    each = _statistics(loci, _only(settings, wanted - (BINNED - {"ld"})))
    per_locus = pd.DataFrame({name: values for name, values in each.items() if np.ndim(values)})
    # pandas' mean skips the loci that cannot support a statistic (NaN, e.g. Tajima's D with fewer
    # than 3 SNPs); it is NaN only when no locus can
    out = {**pooled, **{name: float(values.mean()) for name, values in per_locus.items() if name not in pooled}}
    out.update({name: float(value) for name, value in each.items() if not np.ndim(value)})  # LD decay
    out.update({f"sd_{name}": float(values.std(ddof=0)) for name, values in per_locus.items()})
    return out


def locus_statistics(loci, settings):
    """Table of each locus's statistics that are not binned (one row per locus)."""
    return pd.DataFrame(dict(_statistics(loci, _only(settings, set(settings.statistics) - BINNED))))


def _only(settings, statistics):
    return replace(settings, statistics=tuple(name for name in settings.statistics if name in statistics))


def _statistics(loci, settings):
    """Statistic column name -> value over ``loci``, computed site by site over the loci together:
    an array of each locus's value for statistics that are not binned; for binned ones, one value
    of every site (SFS) or of the pairs of SNPs within each locus (LD decay)."""
    g = concatenate(loci)
    locus = np.repeat(np.arange(len(loci)), [len(part.positions) for part in loci])
    lengths = np.array([part.sequence_length for part in loci], dtype=float)
    per_locus = _LocusSums(locus, len(loci))
    haplotypes = allel.HaplotypeArray(g.haplotypes)
    wanted = set(settings.statistics)
    counts = {pop: haplotypes.count_alleles(max_allele=1, subpop=idx) for pop, idx in g.populations.items()}
    out = {}
    for pop, ac in counts.items():
        segregating = ac.is_segregating()
        n_segregating = per_locus.sum(segregating)
        # pi, Watterson's theta and Tajima's D as allel.sequence_diversity, allel.watterson_theta and
        # allel.tajima_d compute them, from one pass over the sites.
        n_haplotypes = len(g.populations[pop])
        pairwise_differences = per_locus.sum(allel.mean_pairwise_difference(ac, fill=0))
        pi = pairwise_differences / lengths
        if "segregating_sites" in wanted:
            out[f"segregating_sites_{pop}"] = n_segregating
        if "pi" in wanted:
            out[f"pi_{pop}"] = pi
        if "theta_w" in wanted:
            out[f"theta_w_{pop}"] = n_segregating / harmonic_number(n_haplotypes - 1) / lengths
        if "tajimas_d" in wanted:
            out[f"tajimas_d_{pop}"] = tajimas_d(pairwise_differences, n_segregating, n_haplotypes)
        if wanted & NEED_POLARISED:
            theta_h = per_locus.sum(_theta_h(ac)) / lengths
            if "theta_h" in wanted:
                out[f"theta_h_{pop}"] = theta_h
            if "fay_wu_h" in wanted:
                out[f"fay_wu_h_{pop}"] = pi - theta_h
        if wanted & {"haplotype_count", "haplotype_diversity", "garud_h"}:
            out.update(_haplotype_statistics(g, pop, segregating, per_locus, settings, wanted))
        if "sfs" in wanted:
            out.update(_binned_sfs(ac, segregating, g.polarised, settings.sfs_bins, pop))
        if "ld" in wanted:
            out.update(_ld_decay(g, pop, ac, per_locus, settings))
        if "kelly_zns" in wanted:
            out[f"kelly_zns_{pop}"] = _kelly_zns(g, pop, segregating, per_locus, settings)
    for (pop1, ac1), (pop2, ac2) in itertools.combinations(counts.items(), 2):
        pair = f"{pop1}_{pop2}"
        if "dxy" in wanted:
            # as allel.sequence_divergence, which fails on a region without SNPs
            out[f"dxy_{pair}"] = per_locus.sum(allel.mean_pairwise_difference_between(ac1, ac2, fill=0)) / lengths
        if "fst_hudson" in wanted:
            out[f"fst_hudson_{pair}"] = hudson_fst(ac1, ac2, per_locus)
        if "joint_sfs" in wanted:
            out.update(_binned_joint_sfs(ac1, ac2, g.polarised, settings.joint_sfs_bins, pair))
    return out


class _LocusSums:
    """Sums per locus of values of sites, and each site's rank among chosen sites of its locus."""

    def __init__(self, locus, n_loci):
        self.locus = locus
        self.n_loci = n_loci

    def sum(self, values):
        return np.bincount(self.locus, weights=values, minlength=self.n_loci)

    def central(self, sites, n):
        """The ``n`` middle entries of ``sites`` (indices, in order) in each locus, as
        :func:`popsbi.genotypes.central` picks them in one region, and their ranks among them."""
        locus = self.locus[sites]
        rank = _rank_within(locus, self.n_loci)
        available = np.bincount(locus, minlength=self.n_loci)
        rank = rank - np.maximum((available - n) // 2, 0)[locus]
        keep = (rank >= 0) & (rank < n)
        return sites[keep], rank[keep]


def _rank_within(locus, n_loci):
    """Each entry's rank among the entries of its locus (``locus`` sorted)."""
    return np.arange(len(locus)) - _first_of_each(locus, n_loci)[locus]


def _first_of_each(locus, n_loci):
    """The index of each locus's first entry (``locus`` sorted)."""
    entries = np.bincount(locus, minlength=n_loci)
    return np.cumsum(entries) - entries


def harmonic_number(n):
    """a_n = sum_{i=1}^{n} 1/i, Watterson's (1975) denominator for n + 1 sequences."""
    return float(np.sum(1.0 / np.arange(1, n + 1)))


def tajimas_d(pairwise_differences, n_segregating, n):
    """Tajima's D (Tajima 1989, eq. 38) from the mean pairwise differences, S and n sequences
    (arrays: one value per locus).

    NaN with fewer than 3 segregating sites, as scikit-allel's ``tajima_d``, and for
    n <= 3 sequences, where the variance of the numerator is 0.
    """
    s = np.asarray(n_segregating, dtype=float)
    if n <= 3:
        return np.full(s.shape, np.nan)
    a1 = harmonic_number(n - 1)
    a2 = float(np.sum(1.0 / np.arange(1, n) ** 2))
    b1 = (n + 1) / (3 * (n - 1))
    b2 = 2 * (n**2 + n + 3) / (9 * n * (n - 1))
    c1 = b1 - 1 / a1
    c2 = b2 - (n + 2) / (a1 * n) + a2 / a1**2
    e1, e2 = c1 / a1, c2 / (a1**2 + a2)
    defined = s >= 3
    d = np.full(s.shape, np.nan)
    d[defined] = (np.asarray(pairwise_differences)[defined] - s[defined] / a1) / np.sqrt(
        e1 * s[defined] + e2 * s[defined] * (s[defined] - 1)
    )
    return d


def hudson_fst(ac1, ac2, per_locus):
    """Hudson's Fst (Hudson, Slatkin and Maddison 1992; Bhatia et al. 2013), ratio of averages.

    scikit-allel's per-site numerator and denominator summed over each locus; this
    is not tskit's ``Fst`` (1 - pi_within / pi_between), which differs.
    """
    numerator, denominator = (np.nan_to_num(part) for part in allel.hudson_fst(ac1, ac2))
    total = per_locus.sum(denominator)
    return np.divide(per_locus.sum(numerator), total, out=np.full(len(total), np.nan), where=total > 0)


def _theta_h(ac):
    """Fay and Wu's theta_H (Fay and Wu 2000) of each site: 2 d^2 / (n (n - 1)) where segregating, else 0."""
    ac = np.asarray(ac)
    n = ac.sum(axis=1)
    derived = ac[:, 1]
    segregating = (derived > 0) & (derived < n)
    return np.where(segregating, 2.0 * derived**2 / np.maximum(n * (n - 1), 1), 0.0)


def _haplotype_statistics(g, pop, segregating, per_locus, settings, wanted):
    """Haplotype number, diversity and Garud's H of each locus, on its central SNPs.

    Over long regions nearly every haplotype is unique, so these statistics use
    at most ``haplotype_snps`` SNPs (segregating in the population) at the centre. A
    haplotype is its alleles at those SNPs, packed into 64-bit words; sorted, equal (locus,
    haplotype) rows lie side by side, and their runs give each locus's haplotype frequencies, as
    scikit-allel's ``distinct_frequencies``.
    """
    sites, rank = per_locus.central(np.flatnonzero(segregating), settings.haplotype_snps)
    n_loci, members = per_locus.n_loci, g.populations[pop]
    n = len(members)
    bits = np.zeros((n_loci, rank.max() + 1 if len(rank) else 1, n), dtype=np.uint8)
    bits[per_locus.locus[sites], rank] = g.haplotypes[np.ix_(sites, members)]
    packed = np.packbits(bits, axis=1).transpose(0, 2, 1).reshape(n_loci * n, -1)
    words = np.zeros((n_loci * n, -(-packed.shape[1] // 8) * 8), dtype=np.uint8)
    words[:, : packed.shape[1]] = packed
    words = words.view(np.uint64)
    row_locus = np.repeat(np.arange(n_loci), n)
    order = np.lexsort((*words.T, row_locus))  # each locus's haplotypes, equal ones side by side
    words, row_locus = words[order], row_locus[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (row_locus[1:] != row_locus[:-1]) | (words[1:] != words[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, len(order)))
    commonest_first = np.lexsort((-counts, row_locus[starts]))
    locus, frequency = row_locus[starts][commonest_first], counts[commonest_first] / n
    common = _rank_within(locus, n_loci)

    def total(values):
        return np.bincount(locus, weights=values, minlength=n_loci)

    h1 = total(frequency**2)
    out = {}
    if "haplotype_count" in wanted:
        out[f"haplotype_count_{pop}"] = np.bincount(locus, minlength=n_loci).astype(float)
    if "haplotype_diversity" in wanted:
        out[f"haplotype_diversity_{pop}"] = (1 - h1) * n / (n - 1)
    if "garud_h" in wanted:
        out[f"h1_{pop}"] = h1
        out[f"h12_{pop}"] = total(frequency * (common < 2)) ** 2 + total(frequency**2 * (common >= 2))
        out[f"h123_{pop}"] = total(frequency * (common < 3)) ** 2 + total(frequency**2 * (common >= 3))
        out[f"h2_h1_{pop}"] = (h1 - total(frequency * (common == 0)) ** 2) / h1
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


def _ld_decay(g, pop, ac, per_locus, settings):
    """Mean r^2 between SNPs in distance bins (LD decay) within a population, over the pairs of SNPs
    of each locus.

    Uses SNPs with minor allele frequency >= ``ld_min_maf`` in the population, at
    most ``ld_max_snps`` of a locus drawn at random with a fixed seed (a random subset,
    unlike an even thinning, keeps pairs of close SNPs in long regions); r is the correlation of haplotype
    alleles (scikit-allel's ``rogers_huff_r`` applied to haplotypes).
    """
    maf = _frequency_of_counted_allele(ac, polarised=False)
    sites = np.flatnonzero(maf >= settings.ld_min_maf)
    locus = per_locus.locus[sites]
    keep = np.ones(len(sites), dtype=bool)
    for crowded in np.flatnonzero(np.bincount(locus, minlength=per_locus.n_loci) > settings.ld_max_snps):
        inside = np.flatnonzero(locus == crowded)
        chosen = np.random.default_rng(0).choice(sites[inside], settings.ld_max_snps, replace=False)
        keep[inside] = np.isin(sites[inside], chosen)
    sites = sites[keep]
    first, second, r_squared = _r_squared_within_loci(g.haplotypes[np.ix_(sites, g.populations[pop])], locus[keep])
    edges = np.asarray(settings.ld_distance_bins, dtype=float)
    distance = g.positions[sites][second] - g.positions[sites][first]
    which = np.digitize(distance, edges) - 1
    inside = (which >= 0) & (which < len(edges) - 1)
    sums = np.bincount(which[inside], weights=r_squared[inside], minlength=len(edges) - 1)
    pairs = np.bincount(which[inside], minlength=len(edges) - 1)
    means = np.divide(sums, pairs, out=np.full(len(sums), np.nan), where=pairs > 0)
    return {f"ld_r2_{pop}_{k}": m for k, m in enumerate(means)}


def _kelly_zns(g, pop, segregating, per_locus, settings):
    """Kelly's (1997) Z_nS of each locus: mean r^2 over all pairs of its central ``ld_max_snps`` SNPs
    segregating in the population (NaN with fewer than two)."""
    sites, _ = per_locus.central(np.flatnonzero(segregating), settings.ld_max_snps)
    locus = per_locus.locus[sites]
    first, _, r_squared = _r_squared_within_loci(g.haplotypes[np.ix_(sites, g.populations[pop])], locus)
    pairs = np.bincount(locus[first], minlength=per_locus.n_loci)
    sums = np.bincount(locus[first], weights=r_squared, minlength=per_locus.n_loci)
    return np.divide(sums, pairs, out=np.full(per_locus.n_loci, np.nan), where=pairs > 0)


def _r_squared_within_loci(h, locus):
    """(i, j, r^2) of every pair of rows i < j of the 0/1 haplotype matrix ``h`` in one locus
    (``locus``: each row's, sorted); r is the correlation of the rows' alleles, scikit-allel's
    ``rogers_huff_r`` applied to haplotypes, whose rows must not be constant. Loci of like size are padded to one
    block, so that one matrix product serves them all."""
    found = [(np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0))]
    if len(h) == 0:
        return found[0]
    centred = h - h.mean(axis=1, keepdims=True)
    standardised = centred / np.sqrt(np.einsum("ij,ij->i", centred, centred))[:, None]
    rows = np.bincount(locus)
    start = _first_of_each(locus, len(rows))
    rank = _rank_within(locus, len(rows))
    size_class = np.ceil(np.log2(np.maximum(rows, 1))).astype(int)
    for size in np.unique(size_class[rows >= 2]):
        members = np.flatnonzero((size_class == size) & (rows >= 2))
        width = rows[members].max()
        slot = np.full(len(rows), -1)
        slot[members] = np.arange(len(members))
        mine = slot[locus] >= 0
        block = np.zeros((len(members), width, h.shape[1]))
        block[slot[locus[mine]], rank[mine]] = standardised[mine]
        r = block @ block.transpose(0, 2, 1)
        i, j = np.triu_indices(width, k=1)
        real = j[None, :] < rows[members][:, None]
        offset = start[members][:, None]
        found.append(((offset + i)[real], (offset + j)[real], r[:, i, j][real] ** 2))
    return tuple(np.concatenate(part) for part in zip(*found))


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
