"""Selective sweeps: simulated windows with and without sweeps, their features, and a windowed scan.

Classes of simulated windows:
- ``neutral``: the demographic model alone;
- ``hard``: a complete hard sweep at the window centre (from frequency 1/2N to fixation),
  fixed ``time_since_fixation`` generations ago;
- ``partial``: an incomplete sweep at the window centre, from 1/2N to ``end_frequency`` (e.g.
  0.5-0.95) at the time of sampling: the selected allele is still rising;
- ``soft``: a sweep from standing variation at the window centre: selection starts when the
  allele is at ``start_frequency`` (e.g. 0.01-0.1), which then fixes ``time_since_fixation``
  generations ago;
- ``hard_linked``, ``partial_linked``, ``soft_linked``: the same sweeps at ``linked_distance`` bp
  from the window centre, on either side: outside the window (cut from a sequence simulated from
  the sweep to the window's far end), or inside it but outside its central ``step`` bp.

What a scan calls is a window's central ``step`` bp (:func:`called_span`): consecutive windows'
spans tile the chromosome, and a window whose sweep classes win places the sweep there. A window
wider than its step sees the sweep's footprint around the span, as diploS/HIC's 11 subwindows do
around the central one.

Who simulates a sweep (``simulator``): msprime's structured coalescent
(``msprime.SweepGenicSelection``) is exact for hard and partial sweeps in a deme of constant size
over the sweep. Soft sweeps (msprime models them wrongly: msprime issue 1762) and, with ``auto``,
sweeps during a size change run forward with fwdpy11 (:func:`simulate.forward_sweep`), scaled by
``forward_scaling``, or further in a large deme (:func:`simulate.forward_scaling_for`). Neutral
windows are msprime's.

``s`` is msprime's selection coefficient, half of discoal's (msprime issue 1718): a
discoal alpha = 2Ns corresponds to msprime s = alpha / N.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from popsbi import simulate
from popsbi.errors import ScenarioError
from popsbi.features import FeatureSettings, abs_nsl, locus_statistics, summary_statistics
from popsbi.genotypes import Genotypes
from popsbi.images import genotype_image
from popsbi.logs import progress
from popsbi.priors import batch_rows, draw_prior_table
from popsbi.scenarios import ScenarioModel
from popsbi.seeds import ancestry_and_mutation_seeds
from popsbi.seeds import rng as seeded_rng

#: The classes of simulated windows and the parameters each draws from sweeps.priors.
PARAMETERS = {
    "neutral": (),
    "hard": ("s", "time_since_fixation"),
    "hard_linked": ("s", "time_since_fixation", "linked_distance"),
    "partial": ("s", "end_frequency"),
    "partial_linked": ("s", "end_frequency", "linked_distance"),
    "soft": ("s", "time_since_fixation", "start_frequency"),
    "soft_linked": ("s", "time_since_fixation", "start_frequency", "linked_distance"),
}
CLASSES = tuple(PARAMETERS)
#: The classes with a sweep at the window's centre: a window's probability of a sweep is their sum.
SWEPT = ("hard", "partial", "soft")
#: Statistics of every subwindow and of the whole window (scikit-allel, as for the demographic stage).
WINDOW_STATISTICS = ("pi", "theta_w", "tajimas_d", "haplotype_count", "garud_h", "kelly_zns")
#: How the evaluation names each sweep network's probability of a sweep at the window's centre.
NETWORK_LABELS = {
    "cnn": "CNN P(sweep)",
    "exchangeable": "exchangeable CNN P(sweep)",
    "mlp": "MLP on diploS/HIC features P(sweep)",
    "hybrid": "hybrid (image + features) P(sweep)",
}
#: Statistics reported per scanned window and compared with the CNN on held-out windows.
CLASSICAL = ("pi", "tajimas_d", "h12", "kelly_zns")
#: The statistics that compute CLASSICAL (garud_h gives h12).
_CLASSICAL_STATISTICS = ("pi", "tajimas_d", "garud_h", "kelly_zns")


@dataclass(frozen=True)
class Windows:
    """What a window of one population becomes: statistics of the whole window and of each of
    ``subwindows`` equal subwindows, and an image of its central ``image_snps`` SNPs."""

    population: str
    length: int
    subwindows: int
    image_snps: int
    sort_rows: str

    def _ours(self, statistics):
        """``statistics`` (name -> value) of this population, without the population in the names."""
        suffix = f"_{self.population}"
        return {name[: -len(suffix)]: value for name, value in statistics.items() if name.endswith(suffix)}

    def features(self, g):
        """(statistics dict, image, distances) of one window: the classical statistics of the whole
        window and its SNPs' mean |nSL|, then every statistic of each subwindow and its SNPs' mean
        |nSL| (``nsl``), the same normalised across the subwindows (``<statistic>_norm_wNN``, the
        feature vector of diploS/HIC, with nSL's haplotype lengths beside H12 and H2/H1), and the
        image."""
        whole = self._ours(summary_statistics(g, _window_settings(_CLASSICAL_STATISTICS)))
        out = {f"window_{name}": whole[name] for name in CLASSICAL}
        edges = np.linspace(0, g.sequence_length, self.subwindows + 1).round().astype(int)
        subwindows = [g.window(start, stop) for start, stop in zip(edges[:-1], edges[1:])]
        # the subwindows' statistics at once, as the loci of one dataset are
        table = locus_statistics(subwindows, _window_settings(WINDOW_STATISTICS))
        parts = [self._ours(row) for row in table.to_dict("records")]
        # nSL reads haplotypes beyond a subwindow: scored over the window, averaged in each subwindow.
        nsl = abs_nsl(g.haplotypes[:, g.populations[self.population]])
        out["window_nsl"] = _mean_of_scored(nsl)
        for part, start, stop in zip(parts, edges[:-1], edges[1:]):
            part["nsl"] = _mean_of_scored(nsl[(g.positions > start) & (g.positions <= stop)])
        for k, part in enumerate(parts):
            out.update({f"{name}_w{k:02d}": value for name, value in part.items()})
        for name in parts[0]:
            values = normalised_across_subwindows(name, np.array([part[name] for part in parts], dtype=float))
            out.update({f"{name}_norm_w{k:02d}": value for k, value in enumerate(values)})
        image, distances = genotype_image(g, self.image_snps, self.sort_rows)
        return out, image, distances

    def network_statistics(self):
        """The names of the normalised subwindow statistics, which networks on statistics read."""
        rng = np.random.default_rng(0)
        g = Genotypes(
            rng.integers(0, 2, size=(40, 8), dtype=np.int8),
            np.arange(1, 41) * 100,
            {self.population: np.arange(8)},
            4_000,
            False,
        )
        return tuple(name for name in self.features(g)[0] if "_norm_w" in name)


def _window_settings(statistics):
    """Haplotype statistics and Z_nS over every SNP of a (sub)window, which is short."""
    return FeatureSettings(statistics=statistics, haplotype_snps=10**9, ld_max_snps=200)


def _mean_of_scored(values):
    """The mean of the finite values (NaN when there is none)."""
    return float(np.nanmean(values)) if np.isfinite(values).any() else np.nan


def drawn_parameters(classes):
    """The parameters that windows of ``classes`` draw from the priors."""
    return {name for cls in classes for name in PARAMETERS[cls]}


def sweep_probability(probabilities):
    """A window's probability of a sweep inside it: the sum of the swept classes' probabilities
    (``probabilities``: a table with a column per class)."""
    return probabilities[[cls for cls in SWEPT if cls in probabilities]].sum(axis=1)


def normalised_across_subwindows(name, values):
    """A statistic's values in the subwindows of a window, as diploS/HIC feeds them to its network:
    divided by their sum over the subwindows (0 where the sum is 0), so that the shape along the
    window counts and not the window's level; Tajima's D, which can be negative, is centred on its
    mean over the subwindows instead. A subwindow where the statistic is undefined stays NaN."""
    if name == "tajimas_d":
        return values - np.nanmean(values) if np.isfinite(values).any() else values
    total = np.nansum(values)
    return values / total if total > 0 else np.where(np.isfinite(values), 0.0, np.nan)


class Backgrounds:
    """The demographies that sweep windows are simulated under: the rows of a table (``scenario``,
    then the values of that scenario's parameters), one row of fixed values or the draws of its ABC
    posterior; each window draws one row (``models``: scenario -> its Demes file)."""

    def __init__(self, table, models, population):
        self.table = table.reset_index(drop=True)
        self.models = {name: ScenarioModel(name, models[name]) for name in self.table["scenario"].unique()}
        self.population = population
        self._built = {}

    def __len__(self):
        return len(self.table)

    def row(self, uniform):
        """The row that a window whose uniform draw is ``uniform`` (in [0, 1)) takes."""
        return min(int(uniform * len(self.table)), len(self.table) - 1)

    def graph(self, k):
        scenario = self.table.at[k, "scenario"]
        values = self.table.loc[k].drop("scenario").dropna().astype(float).to_dict()
        return self.models[scenario].graph(values)

    def demography(self, k):
        """(msprime demography, present size of the sampled deme) of row ``k``, built once."""
        if k not in self._built:
            graph = self.graph(k)
            self._built[k] = simulate.demography(graph), graph[self.population].epochs[-1].end_size
        return self._built[k]

    def check_constant_during_sweeps(self, slowest_s, oldest_fixation):
        """ScenarioError unless the sampled deme's size is constant over any sweep in every row."""
        for k in range(len(self.table)):
            try:
                constant_size_during_sweeps(self.graph(k), self.population, slowest_s, oldest_fixation)
            except ScenarioError as err:
                raise ScenarioError(f"row {k + 1} of {len(self.table)}: {err}") from None


@dataclass(frozen=True)
class SweepSimulations:
    """Windows of each class simulated under the background demographies of :class:`Backgrounds`
    (each window draws one of them)."""

    models: dict  # scenario -> Demes file, of every scenario a background may come from
    individuals: int
    priors: dict
    mutation_rate: float
    recombination_rate: float
    missing_rate: float
    classes: tuple
    simulations_per_class: int
    neutral_simulations: int  # neutral windows: many more than of a sweep class, at msprime's cost
    batch_size: int
    seed: int
    windows: Windows
    forward_scaling: int  # N / scaling individuals in fwdpy11's sweeps, at least
    forward_diploids: int  # diploids today that a forward run is scaled down to, where s allows
    simulator: str  # auto: msprime where exact, fwdpy11 otherwise; msprime; fwdpy11 (every sweep)

    def count(self, cls):
        """Windows simulated of class ``cls``."""
        return self.neutral_simulations if cls == "neutral" else self.simulations_per_class

    def n_batches(self, cls):
        return math.ceil(self.count(cls) / self.batch_size)

    def batch_rows(self, batch, cls):
        return batch_rows(batch, self.batch_size, self.count(cls))

    def batch_minutes(self, cls):
        """A batch's run time to ask a cluster for (minutes, one core): twice the cost measured here
        with msprime (under 0.05 s a window), and for forward sweeps (fwdpy11) 12 s a window: over
        10 times the dearest classes of the demo's growing history (partial sweeps and their linked
        class, under 1 s of CPU a window on average, up to 10^6 diploids today), whose cost varies
        with the background far more."""
        forward = cls != "neutral" and (cls.startswith("soft") or self.simulator != "msprime")
        return max(10, math.ceil(self.batch_size * (12 if forward else 0.1) / 60))

    def backgrounds(self, table):
        return Backgrounds(table, self.models, self.windows.population)

    def class_table(self, cls, n=None, label=None):
        """The class's parameter draws: sim_id, its parameters, the uniform draw that picks its
        background demography, seed (from the master seed and ``label``, default the class)."""
        priors = {name: self.priors[name] for name in PARAMETERS[cls]}
        label = f"sweeps/{label or cls}"
        n = self.count(cls) if n is None else n
        table = draw_prior_table(priors, [], n, self.seed, label)
        table.insert(1, "background_draw", seeded_rng(self.seed, f"{label}/background").random(n))
        return table

    def window(self, cls, row, backgrounds):
        """Genotypes of one simulated window of class ``cls`` (``row``: parameters and seed) under
        the background demography that the row draws, and the selected allele's frequency now (see
        :meth:`simulate`; a forward partial sweep may end anywhere within its prior's range)."""
        length = self.windows.length
        if cls == "neutral":
            return self.simulate(row, backgrounds, length)
        site = length // 2  # the sweep's position in the window's coordinates
        if cls.endswith("_linked"):
            side = 1 if np.random.default_rng(ancestry_and_mutation_seeds(row["seed"])[0]).random() < 0.5 else -1
            site += side * int(row["linked_distance"])
        # Only the window and the sequence from it to a sweep outside it are simulated: the ancestry
        # of an interval does not depend on the sequence beyond it, and the cost grows with length.
        first, last = min(0, site), max(length, site + 1)
        sweep = cls.removesuffix("_linked")
        end_frequencies = self.priors["end_frequency"].support if sweep == "partial" else None
        g, frequency_now = self.simulate(row, backgrounds, last - first, sweep, site - first, end_frequencies)
        return g.window(-first, length - first), frequency_now

    def simulate(self, row, backgrounds, length, sweep=None, position=None, end_frequencies=None):
        """Genotypes of ``length`` bp under the background demography that ``row`` draws, with a
        ``sweep`` (hard, partial or soft, its parameters in ``row``) at ``position``, or neutral; sites
        are dropped as missing data drop them. With them, the selected allele's frequency now (None
        without a sweep): 1 for a complete sweep, the row's ``end_frequency`` for a partial one with
        msprime, and where a forward run landed for a partial one with fwdpy11, within
        ``end_frequencies`` (None: within 0.05 of ``end_frequency``; see :class:`simulate.Sweep`)."""
        k = backgrounds.row(row["background_draw"])
        graph = details = None
        if sweep is not None:  # a neutral window needs only the (cached) msprime demography
            graph = backgrounds.graph(k)
            details = simulate.Sweep(
                position,
                row["s"],
                row.get("start_frequency") if sweep == "soft" else None,
                row.get("time_since_fixation") if sweep != "partial" else None,
                row.get("end_frequency") if sweep == "partial" else None,
                end_frequencies,
            )
        if details is not None and self.forward(sweep, graph, details):
            ts, frequency_now = simulate.forward_sweep(
                graph,
                self.windows.population,
                self.individuals,
                length,
                self.mutation_rate,
                self.recombination_rate,
                details,
                row["seed"],
                simulate.forward_scaling_for(
                    graph[self.windows.population].epochs[-1].end_size,
                    row["s"],
                    self.forward_scaling,
                    self.forward_diploids,
                ),
            )
            g = simulate.genotypes_of_one_deme(ts, self.windows.population, polarised=False)
        else:
            demography, size = backgrounds.demography(k)
            model, frequency_now = None, None
            if sweep == "hard":
                model, frequency_now = simulate.hard_sweep(position, size, row["s"], row["time_since_fixation"]), 1.0
            elif sweep == "partial":
                model = simulate.partial_sweep(position, size, row["s"], row["end_frequency"])
                frequency_now = row["end_frequency"]
            ts = simulate.simulate(
                demography,
                {self.windows.population: self.individuals},
                length,
                self.mutation_rate,
                self.recombination_rate,
                row["seed"],
                model=model,
            )
            g = simulate.genotypes_from_tree_sequence(ts, [self.windows.population], polarised=False)
        return self._inject_missing(g, ancestry_and_mutation_seeds(row["seed"])[1]), frequency_now

    def forward(self, sweep, graph, details):
        """Whether a ``sweep`` (a class's sweep, its :class:`simulate.Sweep` ``details``) under the
        background ``graph`` is simulated forward: soft sweeps always (msprime issue 1762), the others
        with ``simulator: fwdpy11``, or with ``auto`` where the deme's size changes during the sweep."""
        if sweep == "soft" or self.simulator == "fwdpy11":
            return True
        size = graph[self.windows.population].epochs[-1].end_size
        return self.simulator == "auto" and simulate.size_changes_within(
            graph, self.windows.population, details.began(size)
        )

    def _inject_missing(self, g, seed):
        """Drop sites as the scan drops sites where a genotype is missing: each individual is missing
        at a site with probability ``missing_rate``."""
        if self.missing_rate == 0:
            return g
        keep = seeded_rng(seed, "missing").random(len(g.positions)) < (1 - self.missing_rate) ** self.individuals
        return g.sites(keep)

    def neutral_windows(self, n, label, backgrounds):
        """``n`` neutral windows under ``backgrounds``, never trained on: their draws are seeded by
        ``label``, apart from the training windows and from every other such set (see
        :meth:`simulate_windows`)."""
        return self.simulate_windows("neutral", self.class_table("neutral", n, label), backgrounds)

    def simulate_windows(self, cls, rows, backgrounds):
        """Simulate and summarise rows of a class's table under ``backgrounds``: (table, images,
        distances), with progress; the table names each window's background (``background_row``
        and the scenario's parameters), and a partial sweep's ``end_frequency`` is the frequency its
        allele reached (see :meth:`window`)."""
        statistics, images, distances, frequencies_now = [], [], [], []
        for _, row in progress(rows.iterrows(), len(rows), cls, "windows", every=50):
            g, frequency_now = self.window(cls, row, backgrounds)
            values, image, spacing = self.windows.features(g)
            statistics.append(values)
            images.append(image)
            distances.append(spacing)
            frequencies_now.append(frequency_now)
        if "end_frequency" in rows:  # what the allele reached, within the prior's range
            rows = rows.assign(end_frequency=frequencies_now)
        picked = [backgrounds.row(u) for u in rows["background_draw"]]
        background = backgrounds.table.loc[picked].add_prefix("background_").reset_index(drop=True)
        background.insert(0, "background_row", picked)
        table = pd.concat([rows.reset_index(drop=True), background, pd.DataFrame(statistics)], axis=1)
        table.insert(0, "scenario", cls)  # the class, in the column the image datasets are indexed by
        return table, np.stack(images), np.stack(distances)


def constant_size_during_sweeps(graph, population, slowest_s, oldest_fixation):
    """The deme's present size, which must not change from the present to the oldest possible
    sweep start (the slowest sweep fixed the longest ago); ScenarioError otherwise."""
    size = graph[population].epochs[-1].end_size
    oldest = simulate.Sweep(0, slowest_s, None, oldest_fixation).began(size)
    if simulate.size_changes_within(graph, population, oldest):
        raise ScenarioError(
            f"the size of {population} changes less than {oldest:.0f} generations ago, "
            "within the time of a sweep; msprime's SweepGenicSelection needs a constant "
            "size during the sweep (use sweeps.simulator: auto, which simulates such sweeps forward, "
            "a model constant over that time, or smaller time_since_fixation / larger s)"
        )
    return size


# Evaluation --------------------------------------------------------------------------------


def roc_table(networks, sumstats):
    """ROC curves and AUC of windows with a sweep inside (every swept class) against neutral ones,
    held out: each network's probability of a sweep (``networks``: method name -> its held-out
    predictions, all of the same windows), and single statistics (high H12 or Z_nS, low Tajima's D,
    pi or mean |nSL|: sweeps leave fewer SNPs of intermediate frequency, whose nSL is large). The
    AUC table also has each swept class against neutral (``auc_<class>``)."""
    from sklearn.metrics import roc_auc_score, roc_curve  # scikit-learn is slow to import: only here

    keys = ["true", "sim_id"]
    table = next(iter(networks.values()))[keys].merge(sumstats, left_on=keys, right_on=["scenario", "sim_id"])
    for method, predictions in networks.items():
        table = table.merge(predictions[keys].assign(**{method: sweep_probability(predictions)}), on=keys)
    swept = [cls for cls in SWEPT if (table["true"] == cls).any()]
    table = table[table["true"].isin(["neutral", *swept])]
    is_sweep = table["true"].isin(swept).to_numpy()
    scores = {
        **{method: table[method] for method in networks},
        "H12 (window)": table["window_h12"],
        "Z_nS (window)": table["window_kelly_zns"],
        "-Tajima's D (window)": -table["window_tajimas_d"],
        "-pi (window)": -table["window_pi"],
        "-mean |nSL| (window)": -table["window_nsl"],
    }
    curves, areas = [], []
    for method, score in scores.items():
        score = score.to_numpy(dtype=float)
        usable = np.isfinite(score)
        fpr, tpr, _ = roc_curve(is_sweep[usable], score[usable])
        curves.append(pd.DataFrame({"method": method, "false_positive_rate": fpr, "true_positive_rate": tpr}))
        area = {"method": method, "auc": roc_auc_score(is_sweep[usable], score[usable]), "windows": int(usable.sum())}
        for cls in swept if len(swept) > 1 else []:
            pair = usable & table["true"].isin(["neutral", cls]).to_numpy()
            area[f"auc_{cls}"] = roc_auc_score(is_sweep[pair], score[pair])
        areas.append(area)
    return pd.concat(curves, ignore_index=True), pd.DataFrame(areas)


def calibrated_threshold(null_probabilities, floor, false_positive_rate):
    """The least probability of a sweep that is called: ``floor``, raised as little as needed for at
    most ``false_positive_rate`` of neutral windows never trained on (their probabilities
    ``null_probabilities``) to reach it; above 1 when even the highest ones tie beyond that share."""
    descending = np.sort(np.asarray(null_probabilities))[::-1]
    allowed = math.floor(false_positive_rate * len(descending) + 1e-9)  # windows that may be called
    if allowed >= len(descending):
        return floor
    # Just above the first window that must not be called, so that it and any tie with it are not;
    # in the probabilities' own precision, in which they are compared with it (float32 networks).
    first = descending[allowed]
    return max(floor, float(np.nextafter(first, np.array(np.inf, dtype=first.dtype))))


def call_rates(predictions, threshold):
    """Share of held-out windows of each class called as sweeps (P(sweep) >= threshold): the
    false-positive rate on neutral (and linked) windows, the power on swept ones."""
    called = sweep_probability(predictions) >= threshold
    rates = called.groupby(predictions["true"]).agg(["mean", "size"]).reset_index()
    rates.columns = ["class", "called_share", "windows"]
    rates.insert(1, "threshold", threshold)
    return rates


# Scan --------------------------------------------------------------------------------------


def scan_windows(g, windows, step, min_snps, region_start):
    """Windows of ``windows.length`` bp every ``step`` bp over a region read from a VCF: a table
    (start, end in 0-based genome coordinates, n_snps, every feature of the window), images and
    distances (empty when no window has ``min_snps`` SNPs). Windows with fewer than ``min_snps``
    SNPs are kept in the table with ``skipped`` set."""
    length = windows.length
    rows, images, distances = [], [], []
    starts = range(0, g.sequence_length - length + 1, step)
    for start in progress(starts, len(starts), "scan", "windows", every=20):
        part = g.window(start, start + length)
        row = {"start": region_start + start, "end": region_start + start + length, "n_snps": len(part.positions)}
        if len(part.positions) < min_snps:
            rows.append({**row, "skipped": f"fewer than {min_snps} SNPs"})
        else:
            values, image, spacing = windows.features(part)
            rows.append({**row, "skipped": "", **values})
            images.append(image)
            distances.append(spacing)
    n_snps = windows.image_snps
    if not images:
        return pd.DataFrame(rows), np.zeros((0, g.haplotypes.shape[1], n_snps), np.uint8), np.zeros((0, n_snps))
    return pd.DataFrame(rows), np.stack(images), np.stack(distances)


def chunks(start, end, window, step, chunk):
    """(first window start, end of the bp read) of each chunk of a scan of [start, end): chunks of
    about ``chunk`` bp (a whole number of steps) whose windows start every ``step`` bp from
    ``start``; each chunk reads up to the end of its last window."""
    per_chunk = max(1, chunk // step) * step
    out = []
    for first in range(start, end - window + 1, per_chunk):
        last = min(first + per_chunk - step, end - window)
        out.append((first, last - (last - start) % step + window))
    return out


def called_span(start, end, step):
    """The part of windows [start, end) that a call places a sweep in: their central ``step`` bp,
    (first, end) 0-based; the spans of windows every ``step`` bp tile the scanned region."""
    first = (start + end - step) // 2
    return first, first + step


def calls(windows, called, step):
    """The calls among scanned windows (a table with ``start``, ``end`` and ``sweep``, in any order)
    that ``called`` (a boolean per row) marks: each stretch of called windows whose spans
    (:func:`called_span`) touch, merged, and its peak, the window of the highest probability of a
    sweep (the first of ties), whose span is where the call places the sweep. One row per call, in
    order: ``start``, ``end``, ``peak_start``, ``peak_end``, ``peak`` (the peak window's label in
    ``windows``) and ``max_probability``."""
    order = np.argsort(windows["start"].to_numpy(), kind="stable")
    rows = windows.iloc[order]
    first, end = called_span(rows["start"].to_numpy(), rows["end"].to_numpy(), step)
    out = []
    for k in np.flatnonzero(np.asarray(called)[order]):
        probability = float(rows["sweep"].iat[k])
        if out and first[k] <= out[-1]["end"]:
            out[-1]["end"] = int(end[k])
            if probability > out[-1]["max_probability"]:
                out[-1].update(peak_start=int(first[k]), peak_end=int(end[k]), peak=rows.index[k])
                out[-1]["max_probability"] = probability
        else:
            out.append(
                {
                    "start": int(first[k]),
                    "end": int(end[k]),
                    "peak_start": int(first[k]),
                    "peak_end": int(end[k]),
                    "peak": rows.index[k],
                    "max_probability": probability,
                }
            )
    return pd.DataFrame(out, columns=["start", "end", "peak_start", "peak_end", "peak", "max_probability"])


def called_regions(scan, contig, threshold, step):
    """BED rows (contig, start, end, name, score, strand, thickStart, thickEnd) of the calls
    (:func:`calls`) of windows whose ``sweep`` probability reaches ``threshold``: the merged spans,
    and, as the thick part, the peak window's span, where the call places the sweep."""
    regions = calls(scan, scan["sweep"] >= threshold, step)
    return pd.DataFrame(
        {
            "contig": contig,
            "start": regions["start"],
            "end": regions["end"],
            "name": "sweep",
            "score": (1000 * regions["max_probability"]).round().astype(int),
            "strand": ".",
            "thick_start": regions["peak_start"],
            "thick_end": regions["peak_end"],
        }
    )
