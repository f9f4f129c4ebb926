SCENARIOS = list(SETTINGS.scenarios)
BATCHES = range(SETTINGS.n_batches)


wildcard_constraints:
    scenario="|".join(SCENARIOS),
    batch=r"\d+",


def scenario_config(wildcards):
    """The config of one scenario and of the genome: a change reruns only that scenario's jobs."""
    return {
        "scenario": config["scenarios"][wildcards.scenario],
        "genome": config["genome"],
        "samples": config["samples"],
        "seed": config["seed"],
        "simulations_per_scenario": config["simulations_per_scenario"],
    }


def recombination_map_input(wildcards):
    """The genetic map file, when simulations follow one (it may be produced by rule shapeit4_example)."""
    spec = config["genome"]["recombination_map"]
    return [spec["path"]] if spec else []


def observed_inputs(wildcards):
    """The VCF (and popmap), or, for a pseudo-observed dataset, the simulations it comes from."""
    observed = config["observed"]
    if observed["vcf"] is None:
        return {"sumstats": "results/datasets/sumstats.parquet", "heldout": "results/abc/heldout.tsv", **IMAGE_DATASET}
    return {"vcf": observed["vcf"], **({"popmap": observed["popmap"]} if observed["popmap"] else {})}


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
    sweeps = ["results/sweeps/scan.tsv", "results/sweeps/auc.tsv"] if config["sweeps"] is not None else []
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
