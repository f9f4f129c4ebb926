"""The sweep stage: the scan of a VCF region by the classifier of simulated windows (trained as
every network is, by ``stages.networks.train``)."""

import dataclasses
import logging

import numpy as np
import pandas as pd

from popsbi import sweeps
from popsbi.errors import DataError, EmptyRegionError, ScenarioError
from popsbi.genotypes import Genotypes
from popsbi.logs import progress
from popsbi.nn import training
from popsbi.observed import last_position, read_popmap, read_vcf_region

log = logging.getLogger(__name__)


def background_table(demography, simulations, forest=None, draws=None):
    """The background demographies of the sweep windows (see :class:`sweeps.Backgrounds`): the
    configured scenario or the one ABC random forest chose (``forest``: its one-row table), with the
    fixed parameters or the draws of its ABC posterior (``draws``: scenario -> table of draws);
    ScenarioError if the sampled deme's size changes during a sweep under any of them."""
    scenario = demography.scenario or forest["chosen"].iloc[0]
    how = "fixed parameters" if demography.parameters is not None else "draws of its ABC posterior"
    table = pd.DataFrame([demography.parameters]) if demography.parameters is not None else draws[scenario].copy()
    table.insert(0, "scenario", scenario)
    chosen = "configured" if demography.scenario else "chosen by ABC random forest on the observed data"
    log.info("background demography: %s (%s), %d %s", scenario, chosen, len(table), how)
    if demography.sweeps_since is not None:
        try:
            simulations.backgrounds(table).check_constant_during_sweeps(demography.slowest_s, demography.sweeps_since)
        except ScenarioError as err:
            raise ScenarioError(f"sweeps.demography: {scenario} ({chosen}, {how}): {err}") from None
    return table


def per_network(networks, paths):
    """The files of every seed of each sweep network, listed network after network (as the rules
    list them), cut into each network's: name -> its seeds' files."""
    seeds = len(paths) // len(networks)
    return {net: paths[k * seeds : (k + 1) * seeds] for k, net in enumerate(networks)}


def load_ensembles(networks, checkpoints):
    """Each sweep network's ensemble (name -> its networks trained from several seeds) from the
    checkpoints of every seed of each network, network after network."""
    return {net: [training.load(path) for path in paths] for net, paths in per_network(networks, checkpoints).items()}


def classify(ensemble, table, images, distances):
    """Each class's probability for windows (their statistics ``table``, images and distances): the
    mean of the ``ensemble``'s networks (one network, or several trained from different seeds)."""
    probabilities = []
    for model in ensemble:
        names = model.hparams.statistics["names"] if model.hparams.statistics else []
        statistics = table[names].to_numpy(dtype=np.float32)
        tables = training.prediction_tables(model, images, distances, statistics)
        probabilities.append(tables[0][list(model.hparams.scenarios)])
    return sum(probabilities) / len(probabilities)


def thresholds(models, null, floor, false_positive_rate):
    """Each sweep network's calling threshold (``models``: name -> its ensemble), from the neutral
    windows ``null`` (table, images, distances) simulated under the background demography and never
    trained on: ``floor``, raised until at most ``false_positive_rate`` of them are called (see
    :func:`sweeps.calibrated_threshold`). One row per network, with the share of null windows called
    at the floor and at the threshold."""
    rows = []
    for name, model in models.items():
        probability = sweeps.sweep_probability(classify(model, *null)).to_numpy()
        threshold = sweeps.calibrated_threshold(probability, floor, false_positive_rate)
        if threshold > 1:
            log.warning(
                "%s: no probability of a sweep is called (more than %g of neutral windows at 1)",
                name,
                false_positive_rate,
            )
        rows.append(
            {
                "network": name,
                "threshold": threshold,
                "floor": floor,
                "false_positive_rate": false_positive_rate,
                "null_windows": len(probability),
                "called_at_floor": float((probability >= floor).mean()),
                "called_at_threshold": float((probability >= threshold).mean()),
            }
        )
    table = pd.DataFrame(rows)
    log.info("calling thresholds:\n%s", table.to_string(index=False))
    return table


def read_thresholds(path):
    """The table of :func:`thresholds`, by network."""
    return pd.read_csv(path, sep="\t").set_index("network")


def robustness(models, windows, trained_under, thresholds):
    """How often each sweep network (``models``: name -> its ensemble) calls a sweep in neutral windows
    simulated under each scenario (``windows``: scenario -> (table, images, distances)): one row
    per (scenario, network) with the share called at the network's threshold (``thresholds``: name
    -> threshold) and the mean P(sweep)."""
    rows = []
    for scenario, (table, images, distances) in windows.items():
        for name, model in models.items():
            probability = sweeps.sweep_probability(classify(model, table, images, distances))
            rows.append(
                {
                    "scenario": scenario,
                    "trained_under": scenario == trained_under,
                    "network": name,
                    "windows": len(table),
                    "threshold": thresholds[name],
                    "called_share": float((probability >= thresholds[name]).mean()),
                    "mean_probability": float(probability.mean()),
                }
            )
    return pd.DataFrame(rows)


def planted(ensemble, simulations, backgrounds, settings, threshold):
    """Scans by the sweep network ``ensemble`` of chromosomes simulated for the purpose (never used
    in training) under the background demographies: ``settings.chromosomes`` with a partial sweep
    (``settings.s``, at ``settings.end_frequency`` now) at their centre, as many neutral. One row
    per window: the chromosome, whether it holds a sweep, the window's offset from the sweep (0: the
    span a call of the window places a sweep in, :func:`sweeps.called_span`, holds it; k: the k-th
    window beyond), P(sweep) and whether it is called (at ``threshold``)."""
    tables = []
    for kind in ("sweep", "neutral"):
        rows = simulations.class_table("neutral", settings.chromosomes, f"planted/{kind}")
        rows = rows.assign(s=settings.s, end_frequency=settings.end_frequency)
        sweep = "partial" if kind == "sweep" else None
        for k, row in progress(rows.iterrows(), len(rows), f"planted {kind}", "chromosomes", every=5):
            genotypes, _ = simulations.simulate(row, backgrounds, settings.length, sweep, settings.length // 2)
            table = scan(ensemble, genotypes, settings, 0)
            table.insert(1, "chromosome", f"{kind}_{k + 1}")
            table.insert(2, "planted_sweep", kind == "sweep")
            site = settings.length // 2  # 0-based, as the windows' starts and ends
            first, end = sweeps.called_span(table["start"], table["end"], settings.step)
            distance = np.maximum(0, np.maximum(first - site, site - end + 1))
            table.insert(5, "offset", np.ceil(distance / settings.step).astype(int))
            tables.append(table)
    table = pd.concat(tables, ignore_index=True).drop(columns="contig")
    table.insert(table.columns.get_loc("sweep") + 1, "called", table["sweep"] >= threshold)
    return table


def _stretch_reach(chromosome):
    """How far from the sweep (in windows) the stretch of consecutive called windows that holds it
    reaches; NaN when no window that holds it is called."""
    chromosome = chromosome.sort_values("start")
    stretch = (~chromosome["called"]).cumsum()  # called windows with no uncalled one between them share it
    holding = stretch[chromosome["called"] & (chromosome["offset"] == 0)].unique()
    inside = chromosome["called"] & stretch.isin(holding)
    return chromosome.loc[inside, "offset"].max() if inside.any() else np.nan


def _placements(chromosome, step):
    """The offsets (windows from the sweep, or from a neutral chromosome's centre) of the peaks of a
    chromosome's calls (:func:`sweeps.calls`): where each call places a sweep."""
    peaks = sweeps.calls(chromosome, chromosome["called"], step)["peak"]
    return chromosome.loc[peaks, "offset"].to_numpy()


def planted_summary(windows, settings):
    """What the planted chromosomes show, against the targets: the share of sweeps called in the
    window that holds them, the share of those whose stretch of called windows reaches more than
    ``settings.near`` windows away; the share of sweeps placed by a call (its peak window, see
    :func:`sweeps.calls`) at most that far, the share of sweep chromosomes with a call placed
    farther, and of chromosomes whose calls all place the sweep within reach (one at least); and
    the false-positive rate on the neutral chromosomes' windows. The share of neutral chromosomes
    with a call placed as far from their centre is what false positives alone give the sweep
    chromosomes."""
    scanned = windows[windows["skipped"] == ""]
    swept = scanned[scanned["planted_sweep"]].groupby("chromosome")
    unswept = scanned[~scanned["planted_sweep"]]
    holding = swept.apply(lambda c: c.loc[c["offset"] == 0, "called"].any())
    reach = swept.apply(_stretch_reach).dropna()
    placed, background = (
        chromosomes.apply(lambda c: _placements(c, settings.step))
        for chromosomes in (swept, unswept.groupby("chromosome"))
    )
    near = placed.apply(lambda offsets: (offsets <= settings.near).any())
    far = placed.apply(lambda offsets: (offsets > settings.near).any())
    background_far = background.apply(lambda offsets: (offsets > settings.near).any())
    neutral = unswept["called"]
    within, beyond = f"at most {settings.near} windows away", f"more than {settings.near} windows"
    rows = [
        ("planted sweeps called in the window that holds them", holding.mean(), len(holding), "every sweep"),
        (
            f"stretches of called windows holding a sweep that reach {beyond} away",
            (reach > settings.near).mean(),
            len(reach),
            "none",
        ),
        (f"planted sweeps placed by a call {within}", near.mean(), len(near), "every sweep"),
        (f"sweep chromosomes with a call placed {beyond} away", far.mean(), len(far), "none"),
        (
            f"neutral chromosomes with a call placed {beyond} from their centre",
            background_far.mean(),
            len(background_far),
            "",
        ),
        (f"sweep chromosomes whose calls all place the sweep {within}", (near & ~far).mean(), len(near), "every one"),
        ("neutral windows called (false-positive rate)", neutral.mean(), len(neutral), "<= 0.05"),
    ]
    return pd.DataFrame(rows, columns=["measure", "value", "n", "target"])


def target_end(target):
    """The end of a scan target: its own, or its contig's last record."""
    return target.end if target.end is not None else last_position(target.vcf, target.contig)


def read_target(target, start=None, end=None):
    """The genotypes of [start, end) of a scan target (ScanSettings; default: the whole target), its
    individuals subsampled as the simulations' (the same ones in every part of the target), under
    the name of the simulated deme."""
    if target.samples:
        popmap = dict.fromkeys(target.samples, target.population)
    else:
        popmap = read_popmap(target.popmap) if target.popmap else None
    start = target.start if start is None else start
    genotypes = read_vcf_region(
        target.vcf,
        target.contig,
        start,
        target_end(target) if end is None else end,
        {target.population: target.individuals},
        popmap,
        target.seed,
    )
    populations = {target.windows.population: genotypes.populations[target.population]}
    return dataclasses.replace(genotypes, populations=populations)


def scan_job(ensemble, target, job):
    """The scan table by the sweep network ``ensemble`` of a target's job ``job`` (of
    ``target.jobs``): its chunk, or, when the target's end is not in the config, every chunk in
    turn."""
    end = target_end(target)
    parts = sweeps.chunks(target.start, end, target.windows.length, target.step, target.chunk)
    if not parts:
        raise DataError(
            f"scan target {target.name}: [{target.start}, {end}) of {target.contig} is shorter than one window "
            f"({target.windows.length} bp)"
        )
    tables = []
    for k in [job] if target.end is not None else range(len(parts)):
        first, read_end = parts[k]
        log.info("chunk %d/%d: %s:%d-%d", k + 1, len(parts), target.contig, first + 1, read_end)
        try:
            genotypes = read_target(target, first, read_end)
        except EmptyRegionError:  # no SNP in the chunk: its windows are skipped as any window without enough
            haplotypes = 2 * target.individuals
            genotypes = Genotypes(
                np.zeros((0, haplotypes), dtype=np.int8),
                np.zeros(0, dtype=np.int64),
                {target.windows.population: np.arange(haplotypes)},
                read_end - first,
                polarised=False,
            )
        tables.append(scan(ensemble, genotypes, target, first))
    return pd.concat(tables, ignore_index=True)


def merged_scan(tables, target):
    """The scan table of a target from its jobs' tables (in order); DataError when no window of the
    target has enough SNPs."""
    table = pd.concat(tables, ignore_index=True)
    if (table["skipped"] != "").all():
        end = target.end if target.end is not None else "its last record"
        raise DataError(
            f"no window of scan target {target.name} ({target.contig}:{target.start + 1}-{end}) has at least "
            f"{target.min_snps} SNPs"
        )
    return table


def scan_target(ensemble, target):
    """The scan table of a target (see :func:`scan`), read and classified in chunks of about
    ``target.chunk`` bp, so that memory does not grow with the target's length: every job's part
    in turn."""
    return merged_scan([scan_job(ensemble, target, job) for job in range(target.jobs)], target)


def scan(ensemble, genotypes, settings, start):
    """The scan table by the sweep network ``ensemble`` (a list: its networks trained from each
    seed) of the part of a target (ScanSettings ``settings``) that starts at ``start`` and whose
    genotypes are ``genotypes``: contig, start, end, n_snps, skipped, the probability of a sweep at
    the window's centre, of each class, and the window statistics, for every window."""
    classes = list(ensemble[0].hparams.scenarios)
    table, images, distances = sweeps.scan_windows(genotypes, settings.windows, settings.step, settings.min_snps, start)
    for cls in classes:
        table[cls] = np.nan
    scanned = np.flatnonzero(table["skipped"] == "")
    if len(images):
        probabilities = classify(ensemble, table.loc[scanned], images, distances)
        for cls in classes:
            table.loc[scanned, cls] = probabilities[cls].to_numpy()
    table["sweep"] = sweeps.sweep_probability(table).where(table["skipped"] == "")
    table.insert(0, "contig", settings.contig)
    statistics = [c for c in table.columns if c.startswith("window_")]
    return table[["contig", "start", "end", "n_snps", "skipped", "sweep", *classes, *statistics]]
