"""The workflow configuration: the one module that knows its key names.

Validation happens once, at workflow start-up, before any job runs: first the JSON
schema (which also fills in defaults), then checks the schema cannot express (model
files, placeholders without priors, impossible constraints, demes that cannot be
sampled). Every failure is a :class:`ConfigError` naming the key and what is expected;
domain code raises its own errors, which are mapped here to the key that caused them.

The result, :class:`Settings`, hands each stage the plain values it needs (a
:class:`SimulationSettings` per scenario, :class:`AbcSettings`, :class:`NetworkSettings`,
:class:`ObservedSettings`, :class:`SweepStage`): the rules pass them to their jobs as
params, so a job neither reads nor checks the config again.
"""

import copy
import hashlib
import math
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

import jsonschema
import numpy as np
import yaml

from popsbi import cluster, features, sweeps, yamlfiles
from popsbi.errors import ConfigError, ConstraintError, DataError, PriorError, ScenarioError
from popsbi.genetic_map import map_chromosome, read_recombination_maps
from popsbi.nn.hyperparameters import READS_IMAGES, Hyperparameters, Search, SearchSpace
from popsbi.observed import individuals_by_population, read_popmap, vcf_header
from popsbi.priors import Prior, batch_rows, draw_prior_table
from popsbi.regions import Region, first_overlap, read_bed
from popsbi.scenarios import ScenarioModel, extant_demes
from popsbi.simulate import Loci
from popsbi.summaries import Summaries

#: Parameters that the genome section may put a prior on.
GENOME_PARAMETERS = ("mutation_rate", "recombination_rate")
#: Prior draws of each scenario (with its constraints) whose Demes model is checked at start-up.
_CHECKED_DRAWS = 100
#: Individuals of a VCF the workflow has yet to fetch, for the scan's memory request: 1000 Genomes'.
ASSUMED_VCF_INDIVIDUALS = 2504
#: Length of a contig scanned to its end whose VCF header gives none, for the scan's requests:
#: the longest human chromosome's.
ASSUMED_CONTIG_LENGTH = 250_000_000


@dataclass(frozen=True)
class Scenario:
    name: str
    model: str
    priors: dict
    constraints: tuple


@dataclass(frozen=True)
class SimulationSettings:
    """What simulating and summarising one scenario's prior table needs."""

    scenario: str
    model: str
    parameters: tuple  # the model's placeholders, columns of the prior table
    samples: dict
    loci: Loci
    mutation_rate: float | None  # None: a prior, drawn per simulation
    recombination_rate: float | None  # None: a prior, or the maps below
    recombination_maps: tuple | None  # (path, start, end) of each locus's stretch of a genetic map
    summaries: Summaries
    simulations: int
    batch_size: int
    keep_tree_sequences: bool

    def batch_rows(self, batch):
        return batch_rows(batch, self.batch_size, self.simulations)

    def recombination(self):
        """Each locus's per-bp rate (when fixed) or RateMap; None when the rate is a prior."""
        if self.recombination_maps is not None:
            maps = {}
            for path in dict.fromkeys(path for path, _, _ in self.recombination_maps):
                spans = [(start, end) for other, start, end in self.recombination_maps if other == path]
                maps[path] = iter(read_recombination_maps(path, spans))
            return [next(maps[path]) for path, _, _ in self.recombination_maps]
        if self.recombination_rate is None:
            return None
        return [self.recombination_rate] * len(self.loci.lengths)


@dataclass(frozen=True)
class AbcSettings:
    """What the ABC analyses need: the scenarios, their priors and the ``abc`` section."""

    seed: int
    scenarios: tuple
    priors: dict  # scenario -> {parameter: Prior}, genome parameters included
    tolerance: float
    parameter_tolerance: float
    tolerance_sweep: tuple
    min_accepted: int
    regression: str
    model_choice_regression: str
    random_forest_trees: int
    random_forest_sampsize: int
    gfit_replicates: int

    @property
    def parameter_names(self):
        """Every parameter of every scenario, genome parameters included."""
        return {name for priors in self.priors.values() for name in priors}


@dataclass(frozen=True)
class NetworkSettings:
    """What training a network to tell classes apart needs (scenarios, or sweep classes)."""

    seed: int
    classes: tuple
    population_sizes: tuple  # haplotypes per population, in the order of the image rows
    hyperparameters: Hyperparameters
    parameter_priors: dict | None = None  # {(scenario, parameter): Prior} of the parameter head
    statistics: tuple = ()  # the summary statistics' names, for networks that read them


@dataclass(frozen=True)
class ObservedSettings:
    """The observed data (a VCF region, or a held-out simulation) and how to summarise them."""

    vcf: str | None
    regions: tuple | None  # Region, one per locus
    popmap: str | None
    pseudo_observed_scenario: str | None
    samples: dict
    seed: int
    summaries: Summaries
    parameter_names: tuple
    min_snps: int


@dataclass(frozen=True)
class ScanSettings:
    """A named VCF region scanned for sweeps, in windows: ``end`` None scans to the contig's last
    record; the individuals are those of ``population`` in the popmap, or ``samples``, or every
    VCF sample without either."""

    name: str
    vcf: str
    contig: str
    start: int
    end: int | None
    popmap: str | None
    population: str
    samples: tuple | None
    individuals: int
    seed: int
    windows: sweeps.Windows
    step: int
    min_snps: int
    chunk: int

    @property
    def jobs(self):
        """How many jobs scan the target: one per chunk of ``chunk`` bp when its end is in the config,
        so that a cluster scans them in parallel; one, reading chunk after chunk up to the contig's
        last record, when it is not (that end is known only once the VCF is read)."""
        if self.end is None:
            return 1
        return max(1, len(sweeps.chunks(self.start, self.end, self.windows.length, self.step, self.chunk)))


@dataclass(frozen=True)
class PlantedSettings:
    """Chromosomes simulated with a partial sweep at their centre, and neutral ones, scanned as a
    target is (``contig`` names them in the scan tables); a call more than ``near`` windows from
    the sweep is a false one."""

    chromosomes: int
    length: int
    s: float
    end_frequency: float
    near: int
    windows: sweeps.Windows
    step: int
    min_snps: int
    contig: str = "planted"


@dataclass(frozen=True)
class SweepDemography:
    """Where the sweep windows' background demography comes from: a scenario (None: the one that
    ABC random forest chooses for the observed data) with fixed parameter values (None: the
    accepted simulations of its ABC posterior); ``simulator: msprime`` needs the sampled deme's size
    constant over any sweep, from the slowest sweep's start to the present (``sweeps_since``; None:
    no sweep, or a simulator that follows size changes)."""

    scenario: str | None
    parameters: dict | None
    slowest_s: float
    sweeps_since: float | None

    @property
    def label(self):
        scenario = self.scenario or "the scenario that ABC random forest chooses"
        return f"{scenario}, {'fixed parameters' if self.parameters is not None else 'its ABC posterior'}"


@dataclass(frozen=True)
class SweepStage:
    """The sweep stage: simulated windows, their classifier and the scan."""

    simulations: sweeps.SweepSimulations
    demography: SweepDemography
    robustness_windows: int  # neutral windows of each scenario that test the classifier (0: none)
    planted: PlantedSettings | None  # None: no planted chromosomes
    classifier: NetworkSettings
    architectures: tuple  # trained and compared
    architecture: str  # the one that scans
    seeds: int  # networks of each architecture, from the seed, the seed + 1, ...: their ensemble answers
    heldout_per_class: int
    threshold: float  # the least probability of a sweep called
    false_positive_rate: float  # the share of null windows that may be called (1: threshold as is)
    null_windows: int  # neutral windows under the background demography that calibrate each network
    targets: dict  # name -> ScanSettings


@dataclass
class Settings:
    """The validated configuration, resolved into what each stage needs."""

    raw: dict
    seed: int
    simulations_per_scenario: int
    batch_size: int
    samples: dict
    scenarios: dict
    genome_priors: dict
    loci: Loci
    regions: tuple | None  # the observed regions (Region), one per locus; None without any
    recombination_maps: tuple | None  # (path, start, end) of each locus's stretch of a genetic map
    summaries: Summaries
    abc: AbcSettings = None
    networks: NetworkSettings = None
    search: Search = None  # the networks' hyperparameter search; None when no network is searched
    network_seeds: int = 1  # networks of each architecture trained on every training simulation
    observed: ObservedSettings = None
    sweeps: SweepStage = None  # None when the stage is off

    @property
    def sequence_length(self):
        """Simulated bp of one replicate, all loci together."""
        return sum(self.loci.lengths)

    @property
    def n_batches(self):
        return math.ceil(self.simulations_per_scenario / self.batch_size)

    @property
    def parameter_names(self):
        """Every parameter of every scenario, genome parameters included."""
        return {name for scenario in self.scenarios for name in self.priors_of(scenario)}

    def priors_of(self, scenario):
        """All priors of a scenario's table: the model's, then the genome's."""
        return {**self.scenarios[scenario].priors, **self.genome_priors}

    def prior_table(self, scenario):
        """The arguments of :func:`popsbi.priors.draw_prior_table` for a scenario."""
        return {
            "priors": self.priors_of(scenario),
            "constraints": list(self.scenarios[scenario].constraints),
            "n": self.simulations_per_scenario,
            "master_seed": self.seed,
            "scenario": scenario,
        }

    def simulation(self, scenario):
        genome = self.raw["genome"]
        return SimulationSettings(
            scenario=scenario,
            model=self.scenarios[scenario].model,
            parameters=tuple(self.scenarios[scenario].priors),
            samples=dict(self.samples),
            loci=self.loci,
            mutation_rate=None if "mutation_rate" in self.genome_priors else float(genome["mutation_rate"]),
            recombination_rate=None
            if isinstance(genome["recombination_rate"], dict)
            else float(genome["recombination_rate"]),
            recombination_maps=self.recombination_maps,
            summaries=self.summaries,
            simulations=self.simulations_per_scenario,
            batch_size=self.batch_size,
            keep_tree_sequences=self.raw["keep_tree_sequences"],
        )

    def starts_from(self, architecture):
        """The trained network that ``architecture`` starts from, or None: hybrid starts from mlp
        (HybridNet.start_from) when mlp is trained too, with the same settings (neither searched,
        or hybrid reusing mlp's search), so that the two differ by what the genotypes add."""
        if architecture != "hybrid" or "mlp" not in self.raw["cnn"]["architectures"]:
            return None
        if self.search is not None and self.search.tuned_by("hybrid") != self.search.tuned_by("mlp"):
            return None
        return "mlp"

    def requests(self):
        """Memory and run time (:class:`popsbi.cluster.Request`) of the jobs that grow with the data."""
        n = self.simulations_per_scenario * len(self.scenarios)
        haplotypes, image_columns = 2 * sum(self.samples.values()), self.summaries.image_columns
        columns = len(self.networks.statistics) + len(self.parameter_names) + 3
        forest = {"trees": self.abc.random_forest_trees, "sampsize": self.abc.random_forest_sampsize}
        heldout = self.raw["abc"]["heldout_per_scenario"] * len(self.scenarios)
        requests = {
            "aggregate": cluster.aggregate(n, (haplotypes + 4) * image_columns, self.batch_size),
            "abc_model_choice": cluster.abc(n, columns, self.abc.gfit_replicates, **forest, forests=2),
            "abc_cross_validation": cluster.abc(n, columns, heldout, **forest, forests=1),
            "abc_parameters": cluster.abc(n, columns, 1, **forest, forests=0),
            "cnn_train": cluster.network_training(
                n, haplotypes * image_columns, columns, self.networks.hyperparameters.max_epochs
            ),
        }
        if self.search is not None:
            reads_images = READS_IMAGES & set(self.search.architectures)
            inputs = haplotypes * image_columns if reads_images else len(self.networks.statistics)
            trials_per_worker = math.ceil(self.search.trials / self.search.workers)
            requests["cnn_search"] = cluster.network_training(
                n, inputs, columns, self.search.max_epochs * trials_per_worker
            )
        if self.sweeps is not None:
            simulations, targets = self.sweeps.simulations, self.sweeps.targets.values()
            n = sum(simulations.count(cls) for cls in simulations.classes)
            image = 2 * simulations.individuals * simulations.windows.image_snps
            image_bytes = image + 4 * simulations.windows.image_snps
            requests["sweep_aggregate"] = cluster.aggregate(n, image_bytes, simulations.batch_size)
            requests["sweep_train"] = cluster.network_training(
                n, image, 2, self.sweeps.classifier.hyperparameters.max_epochs
            )
            # one request for every target's chunk jobs: the largest one's
            requests["sweep_scan_chunk"] = max(
                (_scan_request(target) for target in targets),
                key=lambda request: (request.mem_mb, request.cpu_seconds),
            )
        return requests

    def run_facts(self):
        """What the config says of a run, for the run summary."""
        targets = self.sweeps.targets.values() if self.sweeps else None
        return {
            "seed": self.seed,
            "config_md5": hashlib.md5(yaml.safe_dump(self.raw, sort_keys=True).encode()).hexdigest(),
            "scenarios": list(self.scenarios),
            "simulations_per_scenario": self.simulations_per_scenario,
            "batches": self.n_batches * len(self.scenarios),
            "samples": dict(self.samples),
            "sequence_length": self.sequence_length,
            "loci": len(self.loci.lengths),
            "networks": list(self.raw["cnn"]["architectures"]),
            "sweeps": None
            if targets is None
            else {
                "classes": list(self.sweeps.simulations.classes),
                "simulations_per_class": self.sweeps.simulations.simulations_per_class,
                "neutral_simulations": self.sweeps.simulations.neutral_simulations,
                "demography": self.sweeps.demography.label,
                "scan": "; ".join(f"{t.name}: {t.vcf} {t.contig}:{t.start + 1}-{t.end or 'end'}" for t in targets),
            },
        }


def load_schema(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def validate(config, schema):
    """Check ``config`` against ``schema`` and return a copy with defaults filled in."""
    config = copy.deepcopy(config)
    validator = _DefaultFillingValidator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        while error.parent is not None:  # a failed alternative of a oneOf: describe the value as a whole
            error = error.parent
        raise ConfigError(_describe(error))
    return config


def check_config_files(paths):
    """Refuse a config file with a key given twice, which a YAML reader silently collapses to the last."""
    for path in paths:
        try:
            yamlfiles.load(path)
        except yamlfiles.DuplicateKeyError as err:
            shown = Path(path).relative_to(Path.cwd()) if Path(path).is_relative_to(Path.cwd()) else path
            raise ConfigError(f"{shown}: {err}") from None


def load_settings(config, schema_path):
    """Validate ``config`` (a dict, as Snakemake's ``config``) and build the Settings."""
    config = validate(config, load_schema(schema_path))
    genome, feature_config = config["genome"], config["features"]
    genome_priors = {
        name: _prior(genome[name], f"genome.{name}") for name in GENOME_PARAMETERS if isinstance(genome[name], dict)
    }
    if genome["recombination_map"] is not None:
        genome_priors.pop("recombination_rate", None)
    regions = _regions(config["observed"])
    recombination_maps = _recombination_maps(genome["recombination_map"], regions)
    if regions is not None:
        lengths = tuple(region.length for region in regions)
    elif recombination_maps is not None:
        lengths = tuple(end - start for _, start, end in recombination_maps)
    else:
        lengths = (genome["sequence_length"],)
    statistics = _from_section(features.FeatureSettings, feature_config)
    _check_features(statistics, feature_config["polarised"])
    settings = Settings(
        raw=config,
        seed=config["seed"],
        simulations_per_scenario=config["simulations_per_scenario"],
        batch_size=config["batch_size"],
        samples=dict(config["samples"]),
        scenarios={},
        genome_priors=genome_priors,
        loci=Loci(lengths),
        regions=regions,
        recombination_maps=recombination_maps,
        summaries=Summaries(
            statistics,
            feature_config["image"]["n_snps"],
            feature_config["image"]["tiles"],
            feature_config["image"]["sort_rows"],
            feature_config["polarised"],
        ),
    )
    if len(config["scenarios"]) < 2:
        raise ConfigError(
            f"scenarios: model choice needs at least two scenarios, the config has one "
            f"({', '.join(config['scenarios'])}); add a competing scenario (README: Adding a scenario)"
        )
    for name, spec in config["scenarios"].items():
        settings.scenarios[name] = _load_scenario(name, spec, settings)
    settings.observed = _observed(config["observed"], settings)
    settings.abc = _abc(config["abc"], settings)
    settings.networks = NetworkSettings(
        seed=settings.seed,
        classes=tuple(settings.scenarios),
        population_sizes=tuple(2 * n for n in settings.samples.values()),
        hyperparameters=_from_section(
            Hyperparameters, config["cnn"], locus_tiles=settings.summaries.image_tiles if len(lengths) > 1 else 1
        ),
        parameter_priors=_parameter_priors(settings) if config["cnn"]["parameter_head"] else None,
        statistics=tuple(settings.summaries.statistic_names(settings.samples, len(lengths))),
    )
    settings.search = _search(config["cnn"])
    settings.network_seeds = config["cnn"]["seeds"]
    if config["sweeps"] is not None:
        settings.sweeps = _sweeps(config["sweeps"], settings)
    return settings


def _search(cnn):
    """The hyperparameter search of the ``cnn`` section, or None when it searches no network."""
    key, raw = "cnn.search", cnn["search"]
    if not raw["architectures"]:
        return None
    untrained = [name for name in raw["architectures"] if name not in cnn["architectures"]]
    if untrained:
        raise ConfigError(
            f"{key}.architectures: {', '.join(untrained)} is not trained (not in cnn.architectures: "
            f"{', '.join(cnn['architectures'])})"
        )
    if raw["trials"] == 0:
        raise ConfigError(
            f"{key}.trials: 0 trials, but the search is requested for {', '.join(raw['architectures'])}; "
            f"give at least 1 trial, or architectures: [] to train with the cnn section's settings"
        )
    space = raw["space"]
    for name in ("learning_rate", "weight_decay", "dropout", "width", "depth"):
        low, high = space[name]["low"], space[name]["high"]
        if low > high:
            raise ConfigError(f"{key}.space.{name}: low ({low}) is above high ({high})")
    if space["dropout"]["high"] > 0.95:
        raise ConfigError(f"{key}.space.dropout: high ({space['dropout']['high']}) is above 0.95")
    for name in ("width", "depth"):
        if space[name]["low"] < 1 or any(int(v) != v for v in space[name].values()):
            raise ConfigError(f"{key}.space.{name}: low and high must be whole numbers of at least 1")
    reuse = {network: source for network, source in raw["reuse"].items() if network in cnn["architectures"]}
    for network, source in reuse.items():
        if network in raw["architectures"]:
            raise ConfigError(f"{key}.reuse.{network}: {network} is searched itself (in {key}.architectures)")
        if source not in raw["architectures"]:
            raise ConfigError(
                f"{key}.reuse.{network}: {source} is not searched (not in {key}.architectures: "
                f"{', '.join(raw['architectures'])})"
            )
    ranges = {name: (space[name]["low"], space[name]["high"]) for name in ("learning_rate", "weight_decay", "dropout")}
    counts = {name: (int(space[name]["low"]), int(space[name]["high"])) for name in ("width", "depth")}
    choices = {name: tuple(space[name]) for name in ("batch_size", "batch_norm", "lr_decay")}
    return Search(
        architectures=tuple(raw["architectures"]),
        trials=raw["trials"],
        workers=raw["workers"],
        max_epochs=raw["max_epochs"],
        space=SearchSpace(**ranges, **counts, **choices),
        reuse=tuple(reuse.items()),
    )


def _prior(spec, key):
    """A Prior from its config form: a number (fixed) or {dist, low, high} / {dist: fixed, value}."""
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return Prior("fixed", value=float(spec))
    with _key(key):
        if spec["dist"] == "fixed":
            return Prior("fixed", value=float(spec["value"]))
        return Prior(spec["dist"], low=float(spec["low"]), high=float(spec["high"]))


def _from_section(cls, section, **values):
    """A settings dataclass whose fields are keys of a config section (lists become tuples),
    and ``values`` for the fields that are not."""
    for field in fields(cls):
        if field.name not in values and (field.name in section or field.default is MISSING):
            value = section[field.name]
            values[field.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


@contextmanager
def _key(key):
    """Turn a domain error raised inside the block into a ConfigError naming ``key``."""
    try:
        yield
    except (PriorError, ScenarioError, DataError) as err:
        raise ConfigError(f"{key}: {err}") from None


def _parameter_priors(settings):
    """The priors of the parameter head: every free parameter of every scenario, in scenario order."""
    return {
        (scenario, name): p
        for scenario in settings.scenarios
        for name, p in settings.priors_of(scenario).items()
        if p.dist != "fixed"
    } or None


def _regions(observed):
    """The observed regions (a list, a BED file, or one contig, start, end), or None without any."""
    key = "observed"
    single = [name for name in ("contig", "start", "end") if name in observed]
    given = [name for name in ("regions", "bed") if observed[name] is not None] + (
        ["contig, start, end"] if single else []
    )
    if len(given) > 1:
        raise ConfigError(
            f"{key}: give the regions one way (regions, bed, or contig with start and end), not {' and '.join(given)}"
        )
    if observed["bed"] is not None:
        with _key(f"{key}.bed"):
            regions = read_bed(observed["bed"])
    elif observed["regions"] is not None:
        regions = [Region(str(r["contig"]), r["start"], r["end"]) for r in observed["regions"]]
        for i, region in enumerate(regions):
            if region.start >= region.end:
                raise ConfigError(f"{key}.regions[{i}]: start ({region.start}) must be smaller than end ({region.end})")
    elif single:
        missing = [name for name in ("contig", "start", "end") if name not in observed]
        if missing:
            raise ConfigError(f"{key}: with {single[0]}, also give {', '.join(missing)}")
        if observed["start"] >= observed["end"]:
            raise ConfigError(f"{key}: start ({observed['start']}) must be smaller than end ({observed['end']})")
        regions = [Region(str(observed["contig"]), observed["start"], observed["end"])]
    else:
        if observed["vcf"] is not None:
            raise ConfigError(f"{key}: with vcf, also give its regions (regions, bed, or contig, start and end)")
        return None
    overlap = first_overlap(regions)
    if overlap:
        raise ConfigError(f"{key}: regions {overlap[0]} and {overlap[1]} overlap; give each site once")
    return tuple(regions)


def _recombination_maps(spec, regions):
    """(path, start, end) of each locus's stretch of the genetic map, or None without a map.

    With start and end, the map's stretch is the one simulated region (and must be the observed
    one); without them, each observed region follows its own stretch, of the map whose path has
    ``{contig}`` replaced by the region's contig.
    """
    key = "genome.recombination_map"
    if spec is None:
        return None
    if ("start" in spec) != ("end" in spec):
        raise ConfigError(f"{key}: give start and end together, or neither (each observed region's stretch)")
    if "start" in spec:
        if not spec["start"] < spec["end"]:
            raise ConfigError(f"{key}: start ({spec['start']}) must be smaller than end ({spec['end']})")
        if regions is not None:
            _check_same_region(regions, spec)
        spans = [(spec["path"], spec["start"], spec["end"], regions[0] if regions else None)]
    elif regions is None:
        raise ConfigError(f"{key}: give start and end, or observed regions whose stretches of the map are simulated")
    else:
        spans = [
            (spec["path"].replace("{contig}", region.contig), region.start, region.end, region) for region in regions
        ]
    for path in dict.fromkeys(path for path, *_ in spans):
        if not Path(path).is_file():
            continue  # the workflow may produce the map (rule shapeit4_example); checked again when read
        here = [(start, end, region) for other, start, end, region in spans if other == path]
        chromosome = map_chromosome(path)
        for _, _, region in here:
            if (
                region is not None
                and chromosome is not None
                and _bare_contig(chromosome) != _bare_contig(region.contig)
            ):
                raise ConfigError(
                    f"observed: region {region}: contig '{region.contig}' is not the chromosome of "
                    f"genome.recombination_map ('{path}' is a map of '{chromosome}')"
                )
        try:
            rate_maps = read_recombination_maps(path, [(start, end) for start, end, _ in here])
        except DataError as err:
            raise ConfigError(f"observed: {err}") from None
        except Exception as err:  # msprime/numpy raise various errors on malformed maps
            raise ConfigError(
                f"{key}.path: cannot use '{path}' as a genetic map (columns: position bp, chromosome, cM): {err}"
            ) from None
        for (start, end, region), rate_map in zip(here, rate_maps):
            if np.isnan(rate_map.rate).all():
                where = f"observed region {region}" if region is not None else key
                raise ConfigError(f"{where}: the map '{path}' has no positions within [{start}, {end})")
    return tuple((path, start, end) for path, start, end, _ in spans)


def _observed(observed, settings):
    key = "observed"
    if observed["vcf"] is None:
        scenario = observed["pseudo_observed_scenario"]
        if scenario is None:
            raise ConfigError(f"{key}: give either vcf (with contig, start, end) or pseudo_observed_scenario")
        if scenario not in settings.scenarios:
            raise ConfigError(
                f"{key}.pseudo_observed_scenario: '{scenario}' is not a scenario "
                f"(scenarios: {', '.join(settings.scenarios)})"
            )
    else:
        if observed["popmap"] is None and len(settings.samples) > 1:
            raise ConfigError(
                f"{key}.popmap: the config samples {len(settings.samples)} populations; "
                "a popmap must say which VCF samples belong to which"
            )
        if observed["popmap"] is not None and not Path(observed["popmap"]).is_file():
            raise ConfigError(f"{key}.popmap: no such file '{observed['popmap']}'")
        with _key(f"{key}.popmap"):
            popmap = read_popmap(observed["popmap"]) if observed["popmap"] else None
        if Path(observed["vcf"]).is_file():
            with _key(f"{key}.vcf"):
                _, contigs = vcf_header(observed["vcf"])
            for region in settings.regions if contigs else ():
                if region.contig not in contigs:
                    raise ConfigError(
                        f"{key}: region {region}: contig '{region.contig}' is not a contig of '{observed['vcf']}' "
                        f"(its header declares {', '.join(list(contigs)[:10])})"
                    )
                if contigs[region.contig] is not None and region.end > contigs[region.contig]:
                    raise ConfigError(
                        f"{key}: region {region} ends past contig {region.contig} of '{observed['vcf']}' "
                        f"({contigs[region.contig]} bp)"
                    )
        _check_vcf(
            observed["vcf"], settings.regions[0].contig, settings.samples, popmap, key, lambda pop: f"samples.{pop}"
        )
    return ObservedSettings(
        vcf=observed["vcf"],
        regions=settings.regions,
        popmap=observed["popmap"],
        pseudo_observed_scenario=observed["pseudo_observed_scenario"],
        samples=dict(settings.samples),
        seed=settings.seed,
        summaries=settings.summaries,
        parameter_names=tuple(sorted(settings.parameter_names)),
        min_snps=observed["min_snps"],
    )


def _check_vcf(vcf, contig, samples, popmap, key, count_key, popmap_key=None):
    """The VCF's header must declare the contig (when it declares contigs) and hold enough individuals
    of each sampled population (``popmap``: sample -> population, or None to pool every sample): found
    now rather than after every simulation has run."""
    if not Path(vcf).is_file():
        return  # the workflow may produce it (rule shapeit4_example); checked when read
    with _key(f"{key}.vcf"):
        vcf_samples, contigs = vcf_header(vcf)
    if contigs and str(contig) not in contigs:
        raise ConfigError(
            f"{key}.contig: '{contig}' is not a contig of '{vcf}' (its header declares {', '.join(list(contigs)[:10])})"
        )
    with _key(popmap_key or f"{key}.popmap"):
        available = individuals_by_population(vcf_samples, samples, popmap, vcf)
    for population, n in samples.items():
        found = len(available.get(population, []))
        if found < n:
            raise ConfigError(
                f"{count_key(population)}: {n} individuals of {population} asked for, but '{vcf}' has {found}"
                + (" (by the popmap)" if popmap else "")
            )


def _check_same_region(regions, recombination_map):
    """A map's stretch given by start and end is the one simulated region: the observed one."""
    simulated = (recombination_map["start"], recombination_map["end"])
    if len(regions) > 1:
        raise ConfigError(
            f"observed: {len(regions)} regions are given, but genome.recombination_map's start and end name one; "
            "leave them out, so that each region follows its own stretch of the map"
        )
    region = (regions[0].start, regions[0].end)
    if region != simulated:
        raise ConfigError(
            f"observed: the region [{region[0]}, {region[1]}) is not the one simulated under "
            f"genome.recombination_map [{simulated[0]}, {simulated[1]}); give both the same start and end, "
            "or leave out the map's, so that simulations follow the observed region's recombination map"
        )


def _bare_contig(name):
    """A contig name without its 'chr' prefix: '20' and 'chr20' name the same chromosome."""
    name = str(name)
    return name[3:] if name.lower().startswith("chr") else name


def _abc(config, settings):
    """The ABC settings; the held-out set and every tolerance must leave enough simulations to accept."""
    n = settings.simulations_per_scenario
    if config["heldout_per_scenario"] >= n:
        raise ConfigError(
            f"abc.heldout_per_scenario ({config['heldout_per_scenario']}) must be smaller than "
            f"simulations_per_scenario ({n})"
        )
    per_scenario = n - config["heldout_per_scenario"]
    checks = [
        ("abc.tolerance", t, per_scenario * len(settings.scenarios))
        for t in [config["tolerance"], *config["tolerance_sweep"]]
    ]
    checks.append(("abc.parameter_tolerance", config["parameter_tolerance"], per_scenario))
    for key, tolerance, available in checks:
        accepted = math.ceil(tolerance * available)
        if accepted < config["min_accepted"]:
            raise ConfigError(
                f"{key}: tolerance {tolerance:g} accepts {accepted} of {available} reference "
                f"simulations, fewer than abc.min_accepted ({config['min_accepted']}); raise the "
                "tolerance or simulations_per_scenario"
            )
    return _from_section(
        AbcSettings,
        config,
        seed=settings.seed,
        scenarios=tuple(settings.scenarios),
        priors={scenario: settings.priors_of(scenario) for scenario in settings.scenarios},
    )


def _check_features(statistics, polarised):
    polarised_only = sorted(set(statistics.statistics) & features.NEED_POLARISED)
    if polarised_only and not polarised:
        raise ConfigError(
            f"features.statistics: {', '.join(polarised_only)} need(s) polarised data; set "
            "features.polarised: true (observed alleles coded ancestral/derived) or remove them"
        )
    edges = statistics.ld_distance_bins
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise ConfigError(f"features.ld_distance_bins: edges must increase, got {list(edges)}")


def _model(label, path, key):
    with _key(key):
        return ScenarioModel(label, path)


def _load_scenario(name, spec, settings):
    key = f"scenarios.{name}"
    model = _model(name, spec["model"], f"{key}.model")
    priors = {param: _prior(value, f"{key}.priors.{param}") for param, value in spec["priors"].items()}
    missing = sorted(model.parameters - set(priors))
    if missing:
        raise ConfigError(
            f"{key}.priors: no prior for {', '.join(missing)}, used in {spec['model']}; "
            "add e.g. '<name>: {dist: uniform, low: ..., high: ...}'"
        )
    unused = sorted(set(priors) - model.parameters)
    if unused:
        raise ConfigError(
            f"{key}.priors: {', '.join(unused)} not used in {spec['model']} "
            f"(its placeholders: {', '.join(sorted(model.parameters)) or 'none'})"
        )
    clashes = sorted(set(priors) & set(GENOME_PARAMETERS))
    if clashes:
        raise ConfigError(f"{key}.priors: {', '.join(clashes)} is a genome parameter; set it under genome")
    try:
        draws = draw_prior_table(priors, spec["constraints"], _CHECKED_DRAWS, settings.seed, name)
    except ConstraintError as err:
        raise ConfigError(f"{key}.constraints[{err.index}]: {err}") from None
    except PriorError as err:
        raise ConfigError(f"{key}.constraints: {err}") from None
    # The model must be valid wherever the priors reach, not only for one draw: a job would fail
    # after hours of simulations otherwise.
    with _key(f"{key}.model"):
        graphs = [model.graph({param: float(row[param]) for param in priors}) for _, row in draws.iterrows()]
    graph = graphs[0]
    sampled = extant_demes(graph)
    absent = [deme for deme in settings.samples if deme not in sampled]
    if absent:
        raise ConfigError(
            f"samples: deme(s) {', '.join(absent)} cannot be sampled in scenario '{name}' "
            f"({spec['model']}); its demes at time 0 are: {', '.join(sampled)}"
        )
    return Scenario(name, spec["model"], priors, tuple(spec["constraints"]))


def _sweeps(raw, settings):
    """The sweep stage; ConfigError names the key at fault."""
    key = "sweeps"
    classes = raw["classes"]
    samples = settings.samples
    population = raw["population"] or (next(iter(samples)) if len(samples) == 1 else None)
    if population not in samples:
        raise ConfigError(f"{key}.population: {population!r} is not a sampled deme (samples: {', '.join(samples)})")
    # Sorted: their order means nothing (each class draws its parameters in a fixed order), so that
    # rewriting the config in another order reruns no sweep simulation.
    priors = {name: _prior(spec, f"{key}.priors.{name}") for name, spec in sorted(raw["priors"].items())}
    needed = sorted(sweeps.drawn_parameters(classes) - set(priors))
    if needed:
        raise ConfigError(f"{key}.priors: no prior for {', '.join(needed)} (needed by classes {', '.join(classes)})")
    soft = [cls for cls in classes if cls.startswith("soft")]
    if soft and raw["simulator"] == "msprime":
        raise ConfigError(
            f"{key}.simulator: msprime cannot simulate sweeps from standing variation (msprime issue 1762), "
            f"which classes {', '.join(soft)} need; use auto or fwdpy11, or drop those classes"
        )
    if soft and not 0 < priors["start_frequency"].support[0] <= priors["start_frequency"].support[1] < 1:
        raise ConfigError(f"{key}.priors.start_frequency: a frequency within (0, 1) (needed by {', '.join(soft)})")
    window, step = raw["window"], raw["step"]
    if step > window:
        raise ConfigError(f"{key}.step: {step} bp is longer than the window ({window} bp), which would leave gaps")
    # A call places the sweep in the window's central step (sweeps.called_span): a linked sweep is beyond it.
    if any(cls.endswith("_linked") for cls in classes) and priors["linked_distance"].support[0] < step / 2:
        raise ConfigError(
            f"{key}.priors.linked_distance: the low bound ({priors['linked_distance'].support[0]:g}) "
            f"must be at least half the step ({step / 2:g}), so linked sweeps are outside the window's "
            "central step, where a call places a sweep"
        )
    planted = raw["planted"]
    if planted["chromosomes"] and planted["length"] < window + 2 * step:
        raise ConfigError(
            f"{key}.planted.length: {planted['length']} bp holds fewer than three windows ({window} bp every {step} bp)"
        )
    speeds = [priors["s"].support[0]] if set(classes) - {"neutral"} else []
    speeds += [planted["s"]] if planted["chromosomes"] else []
    # msprime's oldest sweep: the slowest one fixed the longest ago (a partial sweep is still running);
    # the other simulators follow any size history.
    hard = "time_since_fixation" in sweeps.drawn_parameters(classes)
    demography = _sweep_demography(
        raw["demography"],
        settings,
        population,
        slowest_s=min(speeds, default=None),
        sweeps_since=(priors["time_since_fixation"].support[1] if hard else 0)
        if speeds and raw["simulator"] == "msprime"
        else None,
    )
    neutral = raw["neutral_simulations"] or 5 * raw["simulations_per_class"]
    for count, n in {"simulations_per_class": raw["simulations_per_class"], "neutral_simulations": neutral}.items():
        if raw["heldout_per_class"] >= n:
            raise ConfigError(
                f"{key}.heldout_per_class ({raw['heldout_per_class']}) must be smaller than {count} ({n})"
            )
    _check_calibration(raw, key)
    windows = sweeps.Windows(population, window, raw["subwindows"], raw["image_snps"], raw["sort_rows"])
    simulations = sweeps.SweepSimulations(
        models={name: scenario.model for name, scenario in settings.scenarios.items()},
        individuals=raw["individuals"],
        priors=priors,
        mutation_rate=raw["mutation_rate"],
        recombination_rate=raw["recombination_rate"],
        missing_rate=raw["missing_rate"],
        classes=tuple(classes),
        simulations_per_class=raw["simulations_per_class"],
        neutral_simulations=neutral,
        batch_size=raw["batch_size"],
        seed=settings.seed,
        windows=windows,
        forward_scaling=raw["forward_scaling"],
        forward_diploids=raw["forward_diploids"],
        simulator=raw["simulator"],
    )
    if raw["architecture"] not in raw["architectures"]:
        raise ConfigError(
            f"{key}.architecture: {raw['architecture']} scans, but is not trained (not in {key}.architectures: "
            f"{', '.join(raw['architectures'])})"
        )
    classifier = NetworkSettings(
        seed=settings.seed,
        classes=tuple(classes),
        population_sizes=(2 * raw["individuals"],),
        hyperparameters=_from_section(Hyperparameters, settings.raw["cnn"]),
        statistics=windows.network_statistics(),
    )
    targets = {}
    for name, target in raw["scan"].items():
        target_key = f"{key}.scan.{name}"
        label = target["population"] or population
        popmap = _target_popmap(target, label, target_key)
        _check_vcf(
            target["vcf"],
            target["contig"],
            {label: raw["individuals"]},
            popmap,
            target_key,
            lambda pop: f"{key}.individuals",
            popmap_key=f"{target_key}.samples" if target["samples"] else None,
        )
        if target["end"] is not None and target["end"] - target["start"] < window:
            raise ConfigError(
                f"{target_key}: the region [{target['start']}, {target['end']}) is shorter than one window ({window})"
            )
        targets[name] = ScanSettings(
            name=name,
            vcf=target["vcf"],
            contig=str(target["contig"]),
            start=target["start"],
            end=target["end"],
            popmap=target["popmap"],
            population=label,
            samples=tuple(target["samples"]) if target["samples"] else None,
            individuals=raw["individuals"],
            seed=settings.seed,
            windows=windows,
            step=raw["step"],
            min_snps=raw["min_snps"],
            chunk=raw["scan_chunk"],
        )
    return SweepStage(
        simulations=simulations,
        demography=demography,
        robustness_windows=raw["robustness_windows"],
        planted=PlantedSettings(
            chromosomes=planted["chromosomes"],
            length=planted["length"],
            s=planted["s"],
            end_frequency=planted["end_frequency"],
            near=2,
            windows=windows,
            step=raw["step"],
            min_snps=raw["min_snps"],
        )
        if planted["chromosomes"]
        else None,
        classifier=classifier,
        architectures=tuple(raw["architectures"]),
        architecture=raw["architecture"],
        seeds=raw["seeds"],
        heldout_per_class=raw["heldout_per_class"],
        threshold=raw["threshold"],
        false_positive_rate=raw["false_positive_rate"],
        null_windows=raw["null_windows"],
        targets=targets,
    )


def _check_calibration(raw, key):
    """ConfigError unless the null windows are enough to place the threshold at the false-positive
    rate: at least 5 of them must be allowed over it, or the threshold rests on one or two."""
    rate, windows = raw["false_positive_rate"], raw["null_windows"]
    if rate < 1 and rate * windows < 5:
        raise ConfigError(
            f"{key}.null_windows: {windows} windows at a false_positive_rate of {rate:g} allow "
            f"{math.floor(rate * windows + 1e-9)} over the threshold, too few to place it; simulate at least "
            f"{math.ceil(5 / rate - 1e-9)}"
        )


def _sweep_demography(raw, settings, population, slowest_s, sweeps_since):
    """The sweep windows' background demography; ConfigError names the key at fault. Fixed parameters
    are checked here; a posterior's draws (known once ABC has run) by the job that reads them."""
    key = "sweeps.demography"
    scenario = None if raw["scenario"] == "favoured" else raw["scenario"]
    if scenario is not None and scenario not in settings.scenarios:
        raise ConfigError(
            f"{key}.scenario: {scenario!r} is not a scenario (scenarios: {', '.join(settings.scenarios)}; or favoured)"
        )
    parameters = None if raw["parameters"] == "posterior" else raw["parameters"]
    if parameters is not None:
        if scenario is None:
            raise ConfigError(
                f"{key}.parameters: fixed values need a named scenario ({key}.scenario is favoured, known only "
                "once ABC has run); name one, or use parameters: posterior"
            )
        model = _model(scenario, settings.scenarios[scenario].model, f"{key}.scenario")
        missing = sorted(model.parameters - set(parameters))
        if missing:
            raise ConfigError(f"{key}.parameters: give a value for {', '.join(missing)} (parameters of {scenario})")
        parameters = {name: parameters[name] for name in sorted(model.parameters)}
        with _key(f"{key}.parameters"):
            graph = model.graph(parameters)
            if sweeps_since is not None:
                sweeps.constant_size_during_sweeps(graph, population, slowest_s, sweeps_since)
    return SweepDemography(scenario, parameters, slowest_s, sweeps_since)


def _scan_request(target):
    """The request of a scan target's chunk job, from one read of its VCF's header: the length it
    scans (a chunk, or the whole target when its one job reads every chunk: to the contig's length
    in the header where it has no end) and the VCF's individuals."""
    individuals, length = ASSUMED_VCF_INDIVIDUALS, None
    if Path(target.vcf).is_file():
        samples, contigs = vcf_header(target.vcf)
        individuals, length = len(samples), contigs.get(target.contig)
    end = target.end if target.end is not None else (length or ASSUMED_CONTIG_LENGTH)
    span = end - target.start if target.jobs == 1 else target.chunk + target.windows.length
    return cluster.scan(span, individuals, target.chunk)


def _target_popmap(target, label, key):
    """Sample -> population of a scan target: its sample list (all of population ``label``), its
    popmap file, or None (every VCF sample); ConfigError when the popmap has no ``label``."""
    if target["samples"] and target["popmap"]:
        raise ConfigError(f"{key}: give samples or popmap, not both")
    if target["samples"]:
        return dict.fromkeys(target["samples"], label)
    if not target["popmap"]:
        return None
    with _key(f"{key}.popmap"):
        popmap = read_popmap(target["popmap"])
    if label not in popmap.values():
        populations = sorted(set(popmap.values()))
        raise ConfigError(
            f"{key}.population: '{label}' is not a population of popmap '{target['popmap']}' "
            f"(its populations: {', '.join(populations[:10])})"
        )
    return popmap


def _describe(error):
    """One line: the config key, what is wrong, and what is expected."""
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    key = key.lstrip(".") or "(top level)"
    expected = error.schema.get("description")
    if _number_read_as_text(error.instance) and error.validator in ("type", "oneOf", "anyOf"):
        message = (
            f"YAML read {error.instance!r} as text, not a number: write {float(error.instance):g}, or an "
            "exponent with a dot and a sign (e.g. 2.0e+3)"
        )
    elif error.validator in ("oneOf", "anyOf"):
        message = _mapping_problem(error.instance, error.schema[error.validator]) or f"{error.instance!r} is not valid"
    elif error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        message = f"{error.message}; allowed keys: {', '.join(allowed)}"
        expected = None
    else:
        message = error.message
    return f"config key {key}: {message}" + (f" (expected: {expected.strip()})" if expected else "")


def _number_read_as_text(value):
    """Whether YAML read a number as a string, as PyYAML does with '2e3' or '1e-8'."""
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str)


def _mapping_problem(instance, branches):
    """What makes a mapping match none of the alternative schemas (e.g. of a prior): a key none of
    them knows, a ``dist`` none of them takes, or a key that the matching one requires."""
    if not isinstance(instance, dict):
        return None
    known = {name for branch in branches for name in branch.get("properties", {})}
    unknown = sorted(set(instance) - known)
    if unknown:
        return f"unexpected key {', '.join(map(repr, unknown))} (allowed keys: {', '.join(sorted(known))})"
    for branch in branches:
        dist = branch.get("properties", {}).get("dist", {})
        if instance.get("dist") in dist.get("enum", [dist.get("const")]):
            missing = [name for name in branch.get("required", []) if name not in instance]
            return f"missing key {', '.join(map(repr, missing))}" if missing else None
    if "dist" in instance:
        allowed = [d for branch in branches for d in branch.get("properties", {}).get("dist", {}).get("enum", [])]
        allowed += [
            branch["properties"]["dist"]["const"]
            for branch in branches
            if "const" in branch.get("properties", {}).get("dist", {})
        ]
        return f"dist {instance['dist']!r} is not one of {', '.join(allowed)}"
    return None


def _fill_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_DefaultFillingValidator = _fill_defaults(jsonschema.Draft202012Validator)
