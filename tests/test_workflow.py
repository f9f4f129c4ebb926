"""The workflow run by Snakemake, as a user runs it, in a copy of the repository."""

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.workflow

TINY = {"simulations_per_scenario": 6, "batch_size": 3}
OUTPUTS = ["sumstats.parquet", "images.npy", "distances.npy", "image_index.parquet"]


def checkout(root, destination):
    """The parts of the repository a user's clone has, without results."""
    for part in ("workflow", "config", "src", "profiles", "envs"):
        shutil.copytree(root / part, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def snakemake(directory, *args):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *args],
        cwd=directory, env=env, capture_output=True, text=True, timeout=900,
    )


def job_counts(output):
    """Jobs per rule from Snakemake's 'Job stats' table."""
    table = output.split("Job stats:")[1].split("total")[0]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, flags=re.M)}


def tiny_example(directory, **changes):
    config = yaml.safe_load((directory / "config" / "examples" / "two_populations.yaml").read_text())
    config.update(TINY, **changes)
    path = directory / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    return "tiny.yaml"


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory):
    """The tiny two-population config run twice, in two fresh checkouts."""
    from conftest import ROOT

    runs = []
    for name in ("first", "second"):
        directory = checkout(ROOT, tmp_path_factory.mktemp(name))
        result = snakemake(directory, "--configfile", tiny_example(directory))
        assert result.returncode == 0, result.stderr[-3000:]
        runs.append(directory)
    return runs


def test_dry_run_of_the_default_config(root, tmp_path):
    result = snakemake(checkout(root, tmp_path), "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert counts["simulate_batch"] == 3 * 4  # 3 scenarios x 1000 simulations / 250 per batch
    assert counts["draw_priors"] == 3 and counts["aggregate"] == 1


def test_tiny_example_produces_the_datasets(example_runs):
    results = example_runs[0] / "results"
    sumstats = pd.read_parquet(results / "datasets" / "sumstats.parquet")
    assert len(sumstats) == 3 * 6
    assert sumstats.groupby("scenario").size().to_dict() == {"founder": 6, "isolation": 6, "isolation_migration": 6}
    assert {"fst_hudson_A_B", "dxy_A_B", "pi_A", "pi_B", "T_split", "seed"} <= set(sumstats.columns)
    images = np.load(results / "datasets" / "images.npy", mmap_mode="r")
    assert images.shape == (18, 40, 128)
    assert all(images[i].any() for i in range(len(images)))
    index = pd.read_parquet(results / "datasets" / "image_index.parquet")
    assert index.equals(sumstats[["scenario", "sim_id"]])
    for scenario in ("isolation", "isolation_migration", "founder"):
        assert (results / "scenarios" / f"{scenario}.png").stat().st_size > 10_000
        assert (example_runs[0] / "logs" / "simulate_batch" / scenario / "batch_1.log").exists()
    assert (results / "plots" / "sumstats.png").stat().st_size > 10_000


def test_same_config_and_seed_give_identical_datasets(example_runs):
    first, second = (run / "results" / "datasets" for run in example_runs)
    for name in OUTPUTS:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_editing_one_scenario_reruns_only_its_jobs(example_runs):
    directory = example_runs[1]
    config = yaml.safe_load((directory / "tiny.yaml").read_text())
    config["scenarios"]["founder"]["priors"]["N_found"]["high"] = 400
    (directory / "tiny.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(directory, "--configfile", "tiny.yaml", "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert counts == {"draw_priors": 1, "draw_scenario": 1, "simulate_batch": 2, "aggregate": 1,
                      "plot_sumstats": 1, "all": 1}
    assert "results/priors/founder.parquet" in result.stdout
    assert "results/priors/isolation.parquet" not in result.stdout


def test_bad_config_stops_before_any_job_with_one_message(root, tmp_path):
    directory = checkout(root, tmp_path)
    result = snakemake(directory, "--configfile", tiny_example(directory, batch_size=0))
    assert result.returncode != 0
    assert "Invalid configuration: config key batch_size: 0 is less than the minimum of 1" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (directory / "results").exists()


def test_tiny_default_config_runs_on_the_real_genetic_map(root, tmp_path):
    directory = checkout(root, tmp_path)
    result = snakemake(directory, "--config", "simulations_per_scenario=4", "batch_size=2")
    assert result.returncode == 0, result.stderr[-3000:]
    sumstats = pd.read_parquet(directory / "results" / "datasets" / "sumstats.parquet")
    assert len(sumstats) == 12
    assert (sumstats["segregating_sites_EUR"] > 0).all()
    images = np.load(directory / "results" / "datasets" / "images.npy", mmap_mode="r")
    assert images.shape == (12, 100, 128)
