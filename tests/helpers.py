"""Running the workflow as a user does, in a copy of the repository."""

import os
import re
import shutil
import subprocess
import sys

import yaml
from conftest import FEW_SIMULATIONS_ABC

TINY = {"simulations_per_scenario": 6, "batch_size": 3}
TINY_ABC = {
    **FEW_SIMULATIONS_ABC,
    "heldout_per_scenario": 2,
    "tolerance_sweep": [0.5, 1.0],
    "random_forest_trees": 20,
    "gfit_replicates": 10,
}
TINY_CNN = {
    "architectures": ["mlp", "hybrid", "cnn"],
    "max_epochs": 2,
    "patience": 1,
    "batch_size": 4,
    "filters": [4, 8],
    "learning_curve": [0.5, 1.0],
    "seeds": 2,
    "search": {"architectures": ["mlp"], "trials": 2, "max_epochs": 2, "space": {"batch_size": [4]}},
}
TINY_SWEEPS = {
    "simulations_per_class": 12,
    "batch_size": 12,
    "heldout_per_class": 3,
    "neutral_simulations": 24,
    "robustness_windows": 4,
    "null_windows": 100,
    "false_positive_rate": 0.05,
    "planted": {"chromosomes": 2, "length": 400_000},
}
OUTPUTS = ["sumstats.parquet", "images.npy", "distances.npy", "image_index.parquet"]


def checkout(root, destination):
    """The parts of the repository a user's clone has, without results."""
    for part in ("workflow", "config", "src", "profiles", "envs"):
        shutil.copytree(root / part, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
    os.symlink(os.readlink(root / "slurm"), destination / "slurm")
    return destination


def snakemake(directory, *args, prefix=(), cores=("--cores", "2"), profile=("--profile", "profiles/laptop")):
    """``snakemake`` with this Python's environment, as ``make run`` runs it (the laptop profile);
    ``prefix`` goes before it (e.g. timeout)."""
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    return subprocess.run(
        [*prefix, sys.executable, "-m", "snakemake", *cores, *profile, *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def job_counts(output):
    """Jobs per rule from Snakemake's 'Job stats' table."""
    table = output.split("Job stats:")[1].split("total")[0]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.M)}


def tiny(directory, config="config/examples/two_populations.yaml", **changes):
    """A config file with few simulations (and ABC and CNN stages scaled to them); returns its name."""
    config = yaml.safe_load((directory / config).read_text())
    config.update(TINY, **changes)
    config["abc"] = {**config.get("abc", {}), **TINY_ABC}
    config["cnn"] = {**config.get("cnn", {}), **TINY_CNN}
    if config.get("sweeps"):
        config["sweeps"] = {**config["sweeps"], **TINY_SWEEPS}
    path = directory / "tiny.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return "tiny.yaml"
