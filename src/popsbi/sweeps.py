"""Selective sweeps: msprime windows with and without sweeps, their features, and a windowed scan.

Classes of simulated windows:
- ``neutral``: the demographic model alone;
- ``hard``: a hard sweep at the window centre (``msprime.SweepGenicSelection`` from
  frequency 1/2N to 1 - 1/2N, then the standard coalescent), fixed
  ``time_since_fixation`` generations ago;
- ``linked``: the same sweep at ``linked_distance`` bp from the window centre, outside the
  window (the window is cut from a longer simulated sequence).

``s`` is msprime's selection coefficient, half of discoal's (msprime issue 1718): a
discoal alpha = 2Ns corresponds to msprime s = alpha / N. Sweeps from standing variation
(start frequency above 1/2N) are refused: msprime does not model them correctly
(msprime issue 1762). msprime also assumes a constant population size during a sweep,
which the config check enforces.
"""

import logging
import math
import time
import zlib
from dataclasses import dataclass
from functools import cached_property
from types import SimpleNamespace

import msprime
import numpy as np
import pandas as pd

from popsbi.errors import ConfigError, DataError
from popsbi.features import FeatureSettings, summary_statistics
from popsbi.genotypes import Genotypes
from popsbi.images import genotype_image
from popsbi.priors import Prior, batch_rows, draw_prior_table
from popsbi.scenarios import ScenarioModel, extant_demes
from popsbi.simulate import ancestry_and_mutation_seeds, genotypes_from_tree_sequence

log = logging.getLogger(__name__)

PARAMETERS = {"neutral": (), "hard": ("s", "time_since_fixation"),
              "linked": ("s", "time_since_fixation", "linked_distance")}
#: Statistics of every subwindow and of the whole window (scikit-allel, as for the demographic stage).
WINDOW_STATISTICS = ("pi", "theta_w", "tajimas_d", "haplotype_count", "garud_h", "kelly_zns")
#: Statistics reported per scanned window and compared with the CNN on held-out windows.
CLASSICAL = ("pi", "tajimas_d", "h12", "kelly_zns")
#: The statistics that compute CLASSICAL (garud_h gives h12).
_CLASSICAL_STATISTICS = ("pi", "tajimas_d", "garud_h", "kelly_zns")


@dataclass
class SweepSettings:
    """The validated ``sweeps`` config section, with the model resolved."""

    raw: dict
    graph: object
    population: str
    individuals: int
    population_size: float
    priors: dict
    seed: int

    @cached_property
    def demography(self):
        """The msprime demography of the fixed model, built once for every window."""
        return msprime.Demography.from_demes(self.graph)

    @property
    def window(self):
        return self.raw["window"]

    @property
    def classes(self):
        return list(self.raw["classes"])

    @property
    def n_batches(self):
        return math.ceil(self.raw["simulations_per_class"] / self.raw["batch_size"])

    def batch_rows(self, batch):
        return batch_rows(batch, self.raw["batch_size"], self.raw["simulations_per_class"])

    def feature_settings(self, statistics=WINDOW_STATISTICS):
        # Haplotype statistics and Z_nS over every SNP of a (sub)window, which is short.
        return FeatureSettings(statistics=statistics, haplotype_snps=10**9, ld_max_snps=200)


def load_sweep_settings(raw, samples, seed):
    """Check the ``sweeps`` section and resolve its model; ConfigError names the key at fault."""
    key = "sweeps"
    classes = raw["classes"]
    if "soft" in classes:
        raise ConfigError(f"{key}.classes: soft sweeps (from standing variation) are not modelled correctly by "
                          "msprime's SweepGenicSelection (msprime issue 1762); use neutral, hard and linked")
    if raw["start_frequency"] is not None:
        raise ConfigError(f"{key}.start_frequency: only hard sweeps (from 1/2N) are supported; a higher start "
                          "frequency is a sweep from standing variation, which msprime does not model correctly "
                          "(msprime issue 1762)")
    model = ScenarioModel("sweeps", raw["model"])
    missing = sorted(model.parameters - set(raw["parameters"]))
    if missing:
        raise ConfigError(f"{key}.parameters: give a value for {', '.join(missing)} (placeholders of {raw['model']})")
    graph = model.graph(raw["parameters"])
    population = raw["population"] or (next(iter(samples)) if len(samples) == 1 else None)
    if population not in extant_demes(graph):
        raise ConfigError(f"{key}.population: {population!r} is not a deme of {raw['model']} present at time 0 "
                          f"(demes: {', '.join(extant_demes(graph))})")
    priors = {name: Prior.from_config(spec, f"{key}.priors.{name}") for name, spec in raw["priors"].items()}
    needed = sorted({name for cls in classes for name in PARAMETERS[cls]} - set(priors))
    if needed:
        raise ConfigError(f"{key}.priors: no prior for {', '.join(needed)} (needed by classes {', '.join(classes)})")
    window = raw["window"]
    if "linked" in classes and priors["linked_distance"].support[0] < window / 2:
        raise ConfigError(f"{key}.priors.linked_distance: the low bound ({priors['linked_distance'].support[0]:g}) "
                          f"must be at least half the window ({window / 2:g}), so linked sweeps are outside it")
    size = _constant_size(graph, population, priors, raw, key)
    if raw["heldout_per_class"] >= raw["simulations_per_class"]:
        raise ConfigError(f"{key}.heldout_per_class ({raw['heldout_per_class']}) must be smaller than "
                          f"simulations_per_class ({raw['simulations_per_class']})")
    scan = raw["scan"]
    if scan["end"] - scan["start"] < window:
        raise ConfigError(f"{key}.scan: the region [{scan['start']}, {scan['end']}) is shorter than one window ({window})")
    return SweepSettings(raw, graph, population, raw["individuals"], size, priors, seed)


def _constant_size(graph, population, priors, raw, key):
    """The deme's size, which must not change from the present to the oldest possible sweep start."""
    deme = graph[population]
    size = deme.epochs[-1].end_size
    if not {"hard", "linked"} & set(raw["classes"]):
        return size
    slowest = priors["s"].support[0]
    # Deterministic duration of a genic sweep from 1/2N to 1 - 1/2N, with a factor 2 to spare.
    oldest = priors["time_since_fixation"].support[1] + 4 * math.log(2 * size) / slowest
    for epoch in deme.epochs:
        if epoch.end_time < oldest and (epoch.start_size != size or epoch.end_size != size):
            raise ConfigError(f"{key}.model: the size of {population} changes less than {oldest:.0f} generations "
                              "ago, within the time of a sweep; msprime's SweepGenicSelection needs a constant "
                              "size during the sweep (use a model constant over that time, or smaller "
                              "time_since_fixation / larger s)")
    return size


# Simulation --------------------------------------------------------------------------------

def draw_class_table(settings, cls):
    """The class's parameter draws: sim_id, its parameters, seed (from the master seed and class)."""
    priors = {name: settings.priors[name] for name in PARAMETERS[cls]}
    return draw_prior_table(priors, [], settings.raw["simulations_per_class"], settings.seed, f"sweeps/{cls}")


def simulate_window(settings, cls, row):
    """Genotypes of one simulated window of class ``cls`` (``row``: parameters and seed)."""
    window = settings.window
    n = settings.population_size
    ancestry_seed, mutation_seed = ancestry_and_mutation_seeds(row["seed"])
    offset, length, model = 0, window, None
    if cls != "neutral":
        position = window // 2
        if cls == "linked":
            offset = int(math.ceil(settings.priors["linked_distance"].support[1]))
            length = window + 2 * offset
            side = 1 if np.random.default_rng(ancestry_seed).random() < 0.5 else -1
            position = offset + window // 2 + side * int(row["linked_distance"])
        sweep = msprime.SweepGenicSelection(position=position, start_frequency=1 / (2 * n),
                                            end_frequency=1 - 1 / (2 * n), s=row["s"], dt=1e-6)
        model = [msprime.StandardCoalescent(duration=row["time_since_fixation"]), sweep, msprime.StandardCoalescent()]
    ts = msprime.sim_ancestry(
        samples={settings.population: settings.individuals},
        demography=settings.demography, model=model, sequence_length=length,
        recombination_rate=settings.raw["recombination_rate"], random_seed=ancestry_seed)
    ts = msprime.sim_mutations(ts, rate=settings.raw["mutation_rate"], model=msprime.BinaryMutationModel(),
                               random_seed=mutation_seed)
    g = genotypes_from_tree_sequence(ts, [settings.population], polarised=False)
    return _inject_missing(_cut(g, offset, window), settings.raw["missing_rate"], settings.individuals, mutation_seed)


def _cut(g, offset, window):
    """The sites of [offset, offset + window) of a longer region, with positions relative to it."""
    if offset == 0 and g.sequence_length == window:
        return g
    keep = (g.positions > offset) & (g.positions <= offset + window)
    return Genotypes(g.haplotypes[keep], g.positions[keep] - offset, g.populations, window, g.polarised)


def _inject_missing(g, rate, individuals, seed):
    """Drop sites as the scan drops sites where a genotype is missing: each of the ``individuals``
    is missing at a site with probability ``rate``."""
    if rate == 0:
        return g
    rng = np.random.default_rng([seed, zlib.crc32(b"missing")])
    keep = rng.random(len(g.positions)) < (1 - rate) ** individuals
    return Genotypes(g.haplotypes[keep], g.positions[keep], g.populations, g.sequence_length, g.polarised)


# Features ----------------------------------------------------------------------------------

def window_features(g, settings):
    """(statistics dict, image, distances) of one window: the classical statistics of the whole
    window, then every statistic of each of ``subwindows`` equal subwindows (as diploS/HIC), and
    the image of the central SNPs."""
    features = settings.feature_settings()
    raw = settings.raw
    whole = _without_population(summary_statistics(g, settings.feature_settings(_CLASSICAL_STATISTICS)),
                                settings.population)
    out = {f"window_{name}": whole[name] for name in CLASSICAL}
    edges = np.linspace(0, g.sequence_length, raw["subwindows"] + 1).round().astype(int)
    for k, (start, stop) in enumerate(zip(edges[:-1], edges[1:])):
        keep = (g.positions > start) & (g.positions <= stop)
        part = Genotypes(g.haplotypes[keep], g.positions[keep] - start, g.populations, stop - start, g.polarised)
        statistics = _without_population(summary_statistics(part, features), settings.population)
        out.update({f"{name}_w{k:02d}": value for name, value in statistics.items()})
    image, distances = genotype_image(g, raw["image_snps"], raw["sort_rows"])
    return out, image, distances


def _without_population(statistics, population):
    suffix = f"_{population}"
    return {name[:-len(suffix)]: value for name, value in statistics.items() if name.endswith(suffix)}


def simulate_batch(settings, cls, rows):
    """Simulate and summarise rows of a class's table: (table, images, distances), with progress."""
    started = time.monotonic()
    statistics, images, distances = [], [], []
    for i, (_, row) in enumerate(rows.iterrows()):
        values, image, spacing = window_features(simulate_window(settings, cls, row), settings)
        statistics.append(values)
        images.append(image)
        distances.append(spacing)
        if (i + 1) % 50 == 0 or i + 1 == len(rows):
            log.info("%s: %d/%d windows (%.1f s)", cls, i + 1, len(rows), time.monotonic() - started)
    table = pd.concat([rows.reset_index(drop=True), pd.DataFrame(statistics)], axis=1)
    table.insert(0, "scenario", cls)  # the class, in the column the image datasets are indexed by
    return table, np.stack(images), np.stack(distances)


# Evaluation --------------------------------------------------------------------------------

def roc_table(predictions, sumstats):
    """ROC curves and AUC of sweep (hard) against neutral on held-out windows: the network's
    probability of a hard sweep, and single statistics (high H12 or Z_nS, low Tajima's D or pi)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    table = predictions.merge(sumstats, left_on=["true", "sim_id"], right_on=["scenario", "sim_id"])
    table = table[table["true"].isin(["neutral", "hard"])]
    is_sweep = (table["true"] == "hard").to_numpy()
    scores = {"CNN P(hard sweep)": table["hard"], "H12 (window)": table["window_h12"],
              "Z_nS (window)": table["window_kelly_zns"], "-Tajima's D (window)": -table["window_tajimas_d"],
              "-pi (window)": -table["window_pi"]}
    curves, areas = [], []
    for method, score in scores.items():
        score = score.to_numpy(dtype=float)
        usable = np.isfinite(score)
        fpr, tpr, _ = roc_curve(is_sweep[usable], score[usable])
        curves.append(pd.DataFrame({"method": method, "false_positive_rate": fpr, "true_positive_rate": tpr}))
        areas.append({"method": method, "auc": roc_auc_score(is_sweep[usable], score[usable]),
                      "windows": int(usable.sum())})
    return pd.concat(curves, ignore_index=True), pd.DataFrame(areas)


def call_rates(predictions, threshold):
    """Share of held-out windows of each class called as sweeps (P(hard) >= threshold): the
    false-positive rate on neutral (and linked) windows, the power on hard sweeps."""
    called = predictions["hard"] >= threshold
    rates = called.groupby(predictions["true"]).agg(["mean", "size"]).reset_index()
    rates.columns = ["class", "called_share", "windows"]
    rates.insert(1, "threshold", threshold)
    return rates


# Scan --------------------------------------------------------------------------------------

def scan_windows(g, settings, region_start):
    """Windows of ``settings.window`` bp every ``step`` bp over a region read from a VCF: a table
    (start, end in 0-based genome coordinates, n_snps, window statistics), images and distances.
    Windows with fewer than ``min_snps`` SNPs are kept in the table with ``skipped`` set."""
    raw = settings.raw
    window, step = raw["window"], raw["step"]
    rows, images, distances = [], [], []
    starts = range(0, g.sequence_length - window + 1, step)
    started = time.monotonic()
    for i, start in enumerate(starts):
        keep = (g.positions > start) & (g.positions <= start + window)
        row = {"start": region_start + start, "end": region_start + start + window, "n_snps": int(keep.sum())}
        if keep.sum() < raw["min_snps"]:
            rows.append({**row, "skipped": f"fewer than {raw['min_snps']} SNPs"})
        else:
            part = Genotypes(g.haplotypes[keep], g.positions[keep] - start, g.populations, window, g.polarised)
            values, image, spacing = window_features(part, settings)
            rows.append({**row, "skipped": "", **{k: v for k, v in values.items() if k.startswith("window_")}})
            images.append(image)
            distances.append(spacing)
        if (i + 1) % 20 == 0 or i + 1 == len(starts):
            log.info("scan: %d/%d windows (%.1f s)", i + 1, len(starts), time.monotonic() - started)
    if not images:
        raise DataError(f"no window of the scanned region has at least {raw['min_snps']} SNPs (sweeps.min_snps)")
    return pd.DataFrame(rows), np.stack(images), np.stack(distances)


def classifier_settings(settings):
    """What the network training reads (seed, classes as scenarios, samples, hyperparameters),
    for the sweep classifier, which has no parameter head."""
    sweep = settings.sweeps
    return SimpleNamespace(seed=settings.seed, scenarios=dict.fromkeys(sweep.classes),
                           samples={sweep.population: sweep.individuals},
                           cnn={**settings.cnn, "parameter_head": False})


def called_regions(scan, contig, threshold):
    """BED rows (contig, start, end, name, score) of overlapping windows called as sweeps, merged."""
    called = scan[scan["hard"] >= threshold].sort_values("start")
    regions = []
    for _, row in called.iterrows():
        if regions and row["start"] <= regions[-1]["end"]:
            regions[-1]["end"] = max(regions[-1]["end"], row["end"])
            regions[-1]["max_probability"] = max(regions[-1]["max_probability"], row["hard"])
        else:
            regions.append({"start": int(row["start"]), "end": int(row["end"]), "max_probability": row["hard"]})
    bed = pd.DataFrame(regions, columns=["start", "end", "max_probability"])
    bed.insert(0, "contig", contig)
    bed.insert(3, "name", "sweep")
    bed["score"] = (1000 * bed.pop("max_probability")).round().astype(int)
    return bed
