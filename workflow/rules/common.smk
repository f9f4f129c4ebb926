SCENARIOS = list(SETTINGS.scenarios)
BATCHES = range(SETTINGS.n_batches)
# Memory and run time of the jobs that grow with the data, from the config (popsbi.cluster).
REQUESTS = SETTINGS.requests()
# The sweep scan's named targets: an output folder each, and their chunk jobs.
SCAN_TARGETS = SETTINGS.sweeps.targets if SETTINGS.sweeps is not None else {}
SCAN_CHUNKS = {name: target.jobs for name, target in SCAN_TARGETS.items()}


wildcard_constraints:
    scenario="|".join(SCENARIOS),
    batch=r"\d+",


def settings_text(*settings):
    """The settings' text, a job's param beside the settings themselves, so that a config edit
    reruns the jobs it concerns: Snakemake compares the params recorded at the last run, but
    records built-in values only and skips dataclasses (all the settings) without a word."""
    return repr(settings)


def simulation_settings(wildcards):
    """What one scenario's jobs need: a change reruns only that scenario's jobs."""
    return SETTINGS.simulation(wildcards.scenario)


def scenario_model(wildcards):
    """The scenario's Demes file: editing it reruns the scenario's simulations (its prior table does
    not depend on the file's content, only on the priors, which the config check ties to it)."""
    return SETTINGS.scenarios[wildcards.scenario].model


def prior_table_arguments(wildcards):
    return SETTINGS.prior_table(wildcards.scenario)


def recombination_map_input(wildcards):
    """The genetic map files, when simulations follow them (one may be produced by rule shapeit4_example)."""
    return sorted({path for path, _, _ in SETTINGS.recombination_maps or ()})


def observed_inputs(wildcards):
    """The VCF (and popmap), or, for a pseudo-observed dataset, the simulations it comes from."""
    observed = SETTINGS.observed
    if observed.vcf is None:
        return {"sumstats": "results/datasets/sumstats.parquet", "heldout": "results/abc/heldout.tsv", **IMAGE_DATASET}
    return {"vcf": observed.vcf, **({"popmap": observed.popmap} if observed.popmap else {})}


IMAGE_DATASET = {
    "images": "results/datasets/images.npy",
    "distances": "results/datasets/distances.npy",
    "index": "results/datasets/image_index.parquet",
}

ABC_INPUTS = {
    "sumstats": "results/datasets/sumstats.parquet",
    "heldout": "results/abc/heldout.tsv",
    "observed": "results/observed/sumstats.tsv",
}


def batch_files(extension):
    return expand(
        "results/simulations/{scenario}/batch_{batch}.{extension}",
        scenario=SCENARIOS,
        batch=BATCHES,
        extension=extension,
    )


def all_targets():
    return analysis_targets() + ["results/summary/runtime.tsv"]


def analysis_targets():
    """Every final result; the run-time summary comes after them all."""
    sweeps = ["results/sweeps/auc.tsv"] if SETTINGS.sweeps is not None else []
    if SETTINGS.sweeps is not None and SETTINGS.sweeps.robustness_windows:
        sweeps.append("results/sweeps/robustness.tsv")
    if SETTINGS.sweeps is not None and SETTINGS.sweeps.planted is not None:
        sweeps.append("results/sweeps/planted/summary.tsv")
    sweeps += expand("results/sweeps/scan/{target}/scan.tsv", target=SCAN_TARGETS)
    return sweeps + [
        expand("results/scenarios/{scenario}.png", scenario=SCENARIOS),
        "results/datasets/sumstats.parquet",
        "results/datasets/images.npy",
        "results/plots/sumstats.png",
        "results/abc/model_choice.tsv",
        expand("results/abc/parameters/{scenario}.tsv", scenario=SCENARIOS),
        "results/abc/cv/accuracy.tsv",
        expand("results/cnn/{architecture}/observed.tsv", architecture=config["cnn"]["architectures"]),
        "results/cnn/learning_curve.tsv",
        "results/comparison/accuracy.tsv",
        "results/summary/run.tsv",
    ]


def trained(architecture, name, percent=100, replicate=0):
    """A file of the network ``architecture`` trained on ``percent`` % of the training simulations
    from the seed plus ``replicate``."""
    return f"results/cnn/{architecture}/{percent}pct/seed{replicate}/{name}"


def sweep_checkpoints(networks, name="model.ckpt"):
    """A file of every seed's training of each sweep network, network after network: the scripts
    cut the list into the networks' ensembles (stages.sweeps.per_network)."""
    return [f"results/sweeps/{net}/seed{k}/{name}" for net in networks for k in range(SETTINGS.sweeps.seeds)]


def sweep_scan_chunk_inputs(wildcards):
    """The sweep classifier and the target's VCF (and popmap)."""
    target = SCAN_TARGETS[wildcards.target]
    return {
        "checkpoints": sweep_checkpoints([SETTINGS.sweeps.architecture]),
        "vcf": target.vcf,
        **({"popmap": target.popmap} if target.popmap else {}),
    }


def sweep_demography_inputs(wildcards):
    """What the sweep windows' background demography is read from: the scenario ABC random forest
    chose (when favoured) and the posterior draws of the scenarios it may be."""
    demography = SETTINGS.sweeps.demography
    inputs = {} if demography.scenario else {"forest": "results/abc/random_forest.tsv"}
    if demography.parameters is None:
        scenarios = [demography.scenario] if demography.scenario else SCENARIOS
        inputs["draws"] = [posterior_draws(scenario) for scenario in scenarios]
    return inputs


def posterior_draws(scenario):
    """The parameters of the simulations of ``scenario`` that ABC accepted for the observed data."""
    return f"results/abc/posterior_draws/{scenario}.tsv"


SEARCH = SETTINGS.search
SEARCH_WORKERS = range(SEARCH.workers) if SEARCH else []
# The networks of each architecture trained on every training simulation: their ensemble answers.
REPLICATES = range(SETTINGS.network_seeds)


def search_journal(wildcards):
    """The Optuna journal of a network's search: not an output, so that it outlives a killed job
    (the study resumes) and a raised budget (the study goes on)."""
    return f"results/cnn/{wildcards.architecture}/search/study.journal"


def starting_network(wildcards):
    """The trained network that this one starts from (hybrid from mlp), trained on the same share
    from the same seed."""
    source = SETTINGS.starts_from(wildcards.architecture)
    if source is None:
        return {}
    return {"start": trained(source, "model.ckpt", wildcards.percent, wildcards.replicate)}


def searched_hyperparameters(wildcards):
    """The best trial of the search that tunes the network: its own, or the one it reuses."""
    source = SEARCH.tuned_by(wildcards.architecture) if SEARCH else None
    if source is not None:
        return {"tuned": f"results/cnn/{source}/search/best.tsv"}
    return {}
