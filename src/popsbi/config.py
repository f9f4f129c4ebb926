"""Validate the workflow configuration and turn it into :class:`Settings`.

Validation happens once, at workflow start-up, before any job runs: first the
JSON schema (which also fills in defaults), then checks the schema cannot
express (model files, placeholders without priors, impossible constraints,
demes that cannot be sampled). Every failure is a :class:`ConfigError` naming
the key and what is expected.
"""

import copy
import gzip
import math
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import msprime
import numpy as np
import yaml

from popsbi import features
from popsbi.errors import ConfigError, ScenarioError
from popsbi.priors import Prior, batch_rows, draw_prior_table
from popsbi.scenarios import ScenarioModel, extant_demes
from popsbi.sweeps import load_sweep_settings

#: Parameters that the genome section may put a prior on.
GENOME_PARAMETERS = ("mutation_rate", "recombination_rate")


@dataclass
class Scenario:
    name: str
    model: ScenarioModel
    priors: dict
    constraints: list


@dataclass
class Settings:
    """The validated configuration, with scenario models loaded."""

    raw: dict
    seed: int
    simulations_per_scenario: int
    batch_size: int
    keep_tree_sequences: bool
    samples: dict
    scenarios: dict
    genome_priors: dict
    sequence_length: int
    recombination_map: dict | None
    features: features.FeatureSettings
    polarised: bool
    image_snps: int
    sort_rows: str
    observed: dict
    abc: dict
    cnn: dict
    sweeps: object = None  # sweeps.SweepSettings, or None when the stage is off

    @property
    def n_batches(self):
        return math.ceil(self.simulations_per_scenario / self.batch_size)

    def batch_rows(self, batch):
        return batch_rows(batch, self.batch_size, self.simulations_per_scenario)

    @property
    def parameter_names(self):
        """Every parameter of every scenario, genome parameters included."""
        return {name for scenario in self.scenarios for name in self.priors_of(scenario)}

    def priors_of(self, scenario):
        """All priors of a scenario's table: the model's, then the genome's."""
        return {**self.scenarios[scenario].priors, **self.genome_priors}

    def recombination(self):
        """Per-bp rate (when fixed) or RateMap of the simulated region; None when it is a prior."""
        if self.recombination_map is not None:
            return read_recombination_map(**self.recombination_map)
        prior = self.genome_priors.get("recombination_rate")
        return None if prior else float(self.raw["genome"]["recombination_rate"])


def load_schema(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def validate(config, schema):
    """Check ``config`` against ``schema`` and return a copy with defaults filled in."""
    config = copy.deepcopy(config)
    validator = _DefaultFillingValidator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(_describe(error))
    return config


def load_settings(config, schema_path):
    """Validate ``config`` (a dict, as Snakemake's ``config``) and build the Settings."""
    config = validate(config, load_schema(schema_path))
    genome = config["genome"]
    feature_config = config["features"]
    genome_priors = {
        name: Prior.from_config(genome[name], f"genome.{name}")
        for name in GENOME_PARAMETERS
        if isinstance(genome[name], dict)
    }
    if genome["recombination_map"] is not None:
        genome_priors.pop("recombination_rate", None)
    settings = Settings(
        raw=config,
        seed=config["seed"],
        simulations_per_scenario=config["simulations_per_scenario"],
        batch_size=config["batch_size"],
        keep_tree_sequences=config["keep_tree_sequences"],
        samples=dict(config["samples"]),
        scenarios={},
        genome_priors=genome_priors,
        sequence_length=genome["sequence_length"],
        recombination_map=genome["recombination_map"],
        features=features.FeatureSettings.from_config(feature_config),
        polarised=feature_config["polarised"],
        image_snps=feature_config["image"]["n_snps"],
        sort_rows=feature_config["image"]["sort_rows"],
        observed=config["observed"],
        abc=config["abc"],
        cnn=config["cnn"],
    )
    _check_features(settings)
    if settings.recombination_map is not None:
        settings.sequence_length = _check_recombination_map(settings.recombination_map)
    for name, spec in config["scenarios"].items():
        settings.scenarios[name] = _load_scenario(name, spec, settings)
    _check_observed(settings)
    _check_abc(settings)
    if config["sweeps"] is not None:
        settings.sweeps = load_sweep_settings(config["sweeps"], settings.samples, settings.seed)
    return settings


def read_recombination_map(path, start, end):
    """RateMap of [start, end) of a genetic map with columns position (bp), chromosome, cM.

    This is the format of SHAPEIT/IMPUTE maps such as ``chr20.b37.gmap.gz``; the
    returned map's coordinates start at 0.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as handle:
        whole = msprime.RateMap.read_hapmap(handle, position_col=0, map_col=2)
    return whole.slice(left=start, right=end, trim=True)


def _check_recombination_map(spec):
    key = "genome.recombination_map"
    if not spec["start"] < spec["end"]:
        raise ConfigError(f"{key}: start ({spec['start']}) must be smaller than end ({spec['end']})")
    if not Path(spec["path"]).is_file():
        # The workflow may produce the map (rule shapeit4_example); checked again when read.
        return spec["end"] - spec["start"]
    try:
        rate_map = read_recombination_map(**spec)
    except Exception as err:  # msprime/numpy raise various errors on malformed maps
        raise ConfigError(f"{key}.path: cannot read '{spec['path']}' as a genetic map "
                          f"(columns: position bp, chromosome, cM): {err}") from None
    if np.isnan(rate_map.rate).all():
        raise ConfigError(f"{key}: the map has no positions within [{spec['start']}, {spec['end']})")
    return int(rate_map.sequence_length)


def _check_observed(settings):
    observed, key = settings.observed, "observed"
    if observed["vcf"] is None:
        scenario = observed["pseudo_observed_scenario"]
        if scenario is None:
            raise ConfigError(f"{key}: give either vcf (with contig, start, end) or pseudo_observed_scenario")
        if scenario not in settings.scenarios:
            raise ConfigError(f"{key}.pseudo_observed_scenario: '{scenario}' is not a scenario "
                              f"(scenarios: {', '.join(settings.scenarios)})")
        return
    missing = [name for name in ("contig", "start", "end") if name not in observed]
    if missing:
        raise ConfigError(f"{key}: with vcf, also give {', '.join(missing)}")
    length = observed["end"] - observed["start"]
    if length != settings.sequence_length:
        raise ConfigError(f"{key}: the region [{observed['start']}, {observed['end']}) is {length} bp but "
                          f"simulations are {settings.sequence_length} bp; observed data must be summarised "
                          "as the simulations are")
    if observed["popmap"] is None and len(settings.samples) > 1:
        raise ConfigError(f"{key}.popmap: the config samples {len(settings.samples)} populations; "
                          "a popmap must say which VCF samples belong to which")
    if observed["popmap"] is not None and not Path(observed["popmap"]).is_file():
        raise ConfigError(f"{key}.popmap: no such file '{observed['popmap']}'")


def _check_abc(settings):
    """The held-out set and every tolerance must leave enough simulations to accept."""
    config, n = settings.abc, settings.simulations_per_scenario
    if config["heldout_per_scenario"] >= n:
        raise ConfigError(f"abc.heldout_per_scenario ({config['heldout_per_scenario']}) must be smaller than "
                          f"simulations_per_scenario ({n})")
    per_scenario = n - config["heldout_per_scenario"]
    checks = [("abc.tolerance", t, per_scenario * len(settings.scenarios))
              for t in [config["tolerance"], *config["tolerance_sweep"]]]
    checks.append(("abc.parameter_tolerance", config["parameter_tolerance"], per_scenario))
    for key, tolerance, available in checks:
        accepted = math.ceil(tolerance * available)
        if accepted < config["min_accepted"]:
            raise ConfigError(f"{key}: tolerance {tolerance:g} accepts {accepted} of {available} reference "
                              f"simulations, fewer than abc.min_accepted ({config['min_accepted']}); raise the "
                              "tolerance or simulations_per_scenario")


def _check_features(settings):
    polarised_only = sorted(set(settings.features.statistics) & features.NEED_POLARISED)
    if polarised_only and not settings.polarised:
        raise ConfigError(
            f"features.statistics: {', '.join(polarised_only)} need(s) polarised data; set "
            "features.polarised: true (observed alleles coded ancestral/derived) or remove them"
        )
    edges = settings.features.ld_distance_bins
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise ConfigError(f"features.ld_distance_bins: edges must increase, got {list(edges)}")


def _load_scenario(name, spec, settings):
    key = f"scenarios.{name}"
    model = ScenarioModel(name, spec["model"])
    priors = {param: Prior.from_config(prior, f"{key}.priors.{param}") for param, prior in spec["priors"].items()}
    missing = sorted(model.parameters - set(priors))
    if missing:
        raise ConfigError(f"{key}.priors: no prior for {', '.join(missing)}, used in {spec['model']}; "
                          "add e.g. '<name>: {dist: uniform, low: ..., high: ...}'")
    unused = sorted(set(priors) - model.parameters)
    if unused:
        raise ConfigError(f"{key}.priors: {', '.join(unused)} not used in {spec['model']} "
                          f"(its placeholders: {', '.join(sorted(model.parameters)) or 'none'})")
    clashes = sorted(set(priors) & set(GENOME_PARAMETERS))
    if clashes:
        raise ConfigError(f"{key}.priors: {', '.join(clashes)} is a genome parameter; set it under genome")
    scenario = Scenario(name, model, priors, spec["constraints"])
    example = draw_prior_table(priors, spec["constraints"], 1, settings.seed, name, key=f"{key}.constraints")
    params = {param: float(example[param].iloc[0]) for param in priors}
    try:
        graph = model.graph(params)
    except ScenarioError as err:
        raise ConfigError(f"{key}.model: {err}") from None
    sampled = extant_demes(graph)
    absent = [deme for deme in settings.samples if deme not in sampled]
    if absent:
        raise ConfigError(f"samples: deme(s) {', '.join(absent)} cannot be sampled in scenario '{name}' "
                          f"({spec['model']}); its demes at time 0 are: {', '.join(sampled)}")
    return scenario


def _describe(error):
    """One line: the config key, what is wrong, and what is expected."""
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    key = key.lstrip(".") or "(top level)"
    expected = error.schema.get("description")
    if error.validator in ("oneOf", "anyOf"):
        expected = error.schema.get("description", expected)
        message = f"{error.instance!r} is not valid"
    elif error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        message = f"{error.message}; allowed keys: {', '.join(allowed)}"
        expected = None
    else:
        message = error.message
    return f"config key {key}: {message}" + (f" (expected: {expected.strip()})" if expected else "")


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
