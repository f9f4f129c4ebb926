"""Model choice by every method on the same held-out simulations: accuracy, log loss, training
time and prediction time.

Run from the repository root:  python tests/bench/bench_model_choice.py [--config PATH] [--seeds K]

It first builds the config's datasets with the workflow (``snakemake`` up to the aggregated
datasets and the held-out table, in ``results/`` as ``make run`` does; nothing is redone when they
are up to date), then runs, with the workflow's own code and the config's settings, on 2 threads:

- ABC rejection at the config's tolerance: "training" is scaling the reference table;
  predictions are the rejection step for each held-out simulation;
- ABC random forest: training is growing the forest with its out-of-bag votes (one target);
  prediction time is what the held-out targets add to that (grown again with them, same seed);
- every network of ``cnn.architectures``: the search of its hyperparameters when the config
  searches it (reported apart), then ``K`` trainings from the seed, seed + 1, ... (default the
  config's ``cnn.seeds``); its accuracy and log loss are those of the seeds' ensemble, with the
  seeds' mean and standard deviation beside them; prediction time is that of one network. A
  hybrid that starts from the mlp (as the workflow's does) counts its own training only.

Printed, measured in this one run: one row per method with held-out accuracy (and its standard
error), log loss, training seconds (all seeds), search seconds, and seconds per 1,000
predictions. The last line names the best network and the random forest:
``best_network=NAME network_accuracy=A forest_accuracy=F network_log_loss=L forest_log_loss=M``.
"""

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from popsbi import abc  # noqa: E402
from popsbi.config import load_settings  # noqa: E402
from popsbi.evaluation import compare_methods, ensemble, seed_spread, shared_simulations  # noqa: E402
from popsbi.nn import search, training  # noqa: E402
from popsbi.stages import abc as abc_stage  # noqa: E402
from popsbi.stages import networks  # noqa: E402

THREADS = 2
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DATASETS = {
    "images": "results/datasets/images.npy",
    "distances": "results/datasets/distances.npy",
    "index": "results/datasets/image_index.parquet",
    "sumstats": "results/datasets/sumstats.parquet",
}
HELDOUT = "results/abc/heldout.tsv"


def build_datasets(config_path):
    """The config's aggregated datasets and held-out table, made (or found up to date) by Snakemake."""
    command = [sys.executable, "-m", "snakemake", "--cores", str(THREADS), *DATASETS.values(), HELDOUT]
    subprocess.run([*command, "--configfile", str(config_path)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def rejection(settings, reference, is_pod):
    """Held-out predictions of rejection ABC at the config's tolerance, and its seconds."""
    scenarios = list(settings.scenarios)
    predictions, seconds = timed(
        abc.cross_validate_model_choice,
        reference.statistics[~is_pod],
        reference.scenarios[~is_pod],
        reference.statistics[is_pod],
        reference.scenarios[is_pod],
        scenarios,
        [settings.tolerance],
        settings.min_accepted,
    )
    predictions.insert(0, "sim_id", reference.table.loc[is_pod, "sim_id"].to_numpy())
    return predictions, seconds


def random_forest(settings, reference, is_pod):
    """Held-out predictions of the ABC random forest, the seconds to grow it (with one target) and
    the seconds that the held-out targets add."""
    train, labels = reference.statistics[~is_pod], reference.scenarios[~is_pod]
    forest = {"trees": settings.random_forest_trees, "seed": settings.seed, "threads": THREADS}
    forest["sampsize"] = settings.random_forest_sampsize
    _, grow_seconds = timed(abc.random_forest, train, labels, reference.statistics[is_pod][:1], **forest)
    predictions, seconds = timed(abc_stage.forest_cross_validation, settings, reference, is_pod, THREADS)
    return predictions.drop(columns=["method", "tolerance"]), grow_seconds, max(seconds - grow_seconds, 0.0)


def network(settings, plan, architecture, heldout, seeds, directory, start_source=None):
    """Held-out predictions of each seed's network, the training and search seconds, and one
    network's seconds per held-out prediction. A network that reuses another's search finds its
    best settings in ``directory``, where that network's search left them; one that starts from
    ``start_source`` starts from that network's checkpoint of the same seed there."""
    tuned, search_seconds = None, 0.0
    source = plan.tuned_by(architecture) if plan is not None else None
    if source is not None and source != architecture:
        tuned = directory / f"{source}_best.tsv"
    elif source is not None:
        study, search_seconds = timed(
            networks.search_hyperparameters,
            settings,
            plan,
            architecture,
            DATASETS,
            heldout,
            directory / f"{architecture}.journal",
            0,
            THREADS,
        )
        tuned = directory / f"{architecture}_best.tsv"
        search.best_table(study).to_csv(tuned, sep="\t", index=False)
    tables, train_seconds = [], 0.0
    for replicate in range(seeds):
        checkpoint = directory / architecture / str(replicate) / "model.ckpt"
        checkpoint.parent.mkdir(parents=True)
        start = directory / start_source / str(replicate) / "model.ckpt" if start_source else None
        (module, data), seconds = timed(
            networks.train,
            settings,
            architecture,
            DATASETS,
            heldout,
            str(checkpoint),
            THREADS,
            tuned=tuned,
            replicate=replicate,
            start=start,
        )
        train_seconds += seconds
        tables.append(training.heldout_predictions(module, data)[0])
    images, distances = (np.load(DATASETS[key], mmap_mode="r") for key in ("images", "distances"))
    rows = data.rows["test"]
    inputs = (np.asarray(images[rows]), np.asarray(distances[rows]), data.statistics[rows])
    repeats, started = 0, time.perf_counter()
    while repeats == 0 or time.perf_counter() - started < 1.0:
        training.predict(module, *inputs)
        repeats += 1
    per_prediction = (time.perf_counter() - started) / (repeats * len(rows))
    return tables, train_seconds, search_seconds, per_prediction


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="config/config.yaml", help="workflow config (default: the demo's)")
    parser.add_argument("--seeds", type=int, help="networks per architecture (default: the config's cnn.seeds)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.chdir(ROOT)
    build_datasets(args.config)
    settings = load_settings(yaml.safe_load(Path(args.config).read_text()), SCHEMA)
    seeds = args.seeds or settings.network_seeds
    sumstats, heldout = pd.read_parquet(DATASETS["sumstats"]), pd.read_csv(HELDOUT, sep="\t")
    scenarios = list(settings.scenarios)
    timings = {}
    with threadpool_limits(THREADS):
        (reference, is_pod), scale_seconds = timed(
            abc_stage.cross_validation_reference, settings.abc, sumstats, heldout
        )
        methods, per_seed = {}, {}
        methods["ABC rejection"], seconds = rejection(settings.abc, reference, is_pod)
        timings["ABC rejection"] = (scale_seconds, 0.0, seconds / is_pod.sum())
        methods["ABC random forest"], grow, predict = random_forest(settings.abc, reference, is_pod)
        timings["ABC random forest"] = (scale_seconds + grow, 0.0, predict / is_pod.sum())
        with tempfile.TemporaryDirectory() as directory:
            searched_first = sorted(
                settings.raw["cnn"]["architectures"],
                key=lambda name: (
                    settings.search is None or settings.search.tuned_by(name) != name,
                    settings.starts_from(name) is not None,
                ),
            )
            for architecture in searched_first:
                name = f"network {architecture}"
                tables, train_seconds, search_seconds, per_prediction = network(
                    settings.networks,
                    settings.search,
                    architecture,
                    heldout,
                    seeds,
                    Path(directory),
                    settings.starts_from(architecture),
                )
                per_seed[name], methods[name] = tables, ensemble(tables, scenarios)
                timings[name] = (train_seconds, search_seconds, per_prediction)
    scores = compare_methods(methods, scenarios).set_index(["method", "scenario"])
    spread = seed_spread(per_seed, scenarios, shared_simulations(methods)).set_index("method")
    rows = []
    for method, (train_seconds, search_seconds, per_prediction) in timings.items():
        overall = scores.loc[(method, "overall")]
        row = {
            "method": method,
            "n": int(overall["n"]),
            "accuracy": overall["accuracy"],
            "accuracy_se": overall["accuracy_se"],
            "log_loss": overall["log_loss"],
            "worst_scenario": min(scenarios, key=lambda s: scores.loc[(method, s), "accuracy"]),
            "worst_accuracy": min(scores.loc[(method, s), "accuracy"] for s in scenarios),
            "train_s": train_seconds,
            "search_s": search_seconds,
            "s_per_1000_predictions": 1000 * per_prediction,
        }
        if method in spread.index:
            row.update(seed_accuracy_mean=spread.loc[method, "accuracy_mean"])
            row.update(seed_accuracy_sd=spread.loc[method, "accuracy_sd"])
        rows.append(row)
    table = pd.DataFrame(rows)
    print(f"config {args.config}: {len(scenarios)} scenarios, {seeds} seed(s) per network, {THREADS} threads")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    best = table[table["method"].str.startswith("network")].sort_values("accuracy").iloc[-1]
    forest = table.set_index("method").loc["ABC random forest"]
    print(
        f"best_network={best['method'].split()[1]} network_accuracy={best['accuracy']:.3f} "
        f"forest_accuracy={forest['accuracy']:.3f} network_log_loss={best['log_loss']:.3f} "
        f"forest_log_loss={forest['log_loss']:.3f}"
    )


if __name__ == "__main__":
    main()
