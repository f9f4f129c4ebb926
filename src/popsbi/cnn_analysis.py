"""The networks in the workflow: training from the settings, observed predictions, learning
curve, the comparison with ABC on the held-out simulations they share, and the sweep scan."""

import logging
import os
import shutil

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch

from popsbi import cnn, sweeps

log = logging.getLogger(__name__)


def population_sizes(settings):
    """Haplotypes per population, in the order of the image's rows."""
    return [2 * n for n in settings.samples.values()]


def datamodule(settings, dataset_paths, heldout, fraction=1.0, sumstats=None, num_workers=0):
    """The image datamodule of the workflow's dataset; with ``sumstats``, parameter targets too."""
    hp = settings.cnn
    space = None
    if sumstats is not None and hp["parameter_head"]:
        space = cnn.ParameterSpace.from_settings(settings)
        if not space.columns:
            space = None
    module = cnn.ImageDataModule(
        dataset_paths["images"], dataset_paths["distances"], dataset_paths["index"], heldout,
        list(settings.scenarios), settings.seed, hp["batch_size"], hp["validation_fraction"], fraction,
        sumstats=sumstats, parameters=space, num_workers=num_workers)
    module.setup()
    return module


def train(settings, architecture, dataset_paths, heldout, sumstats, fraction, checkpoint_path, threads):
    """Train one network on ``fraction`` of the training simulations; the best checkpoint goes to
    ``checkpoint_path`` and Lightning's CSV log beside it. Returns the best model and the data."""
    hp = settings.cnn
    gpu = cnn.uses_gpu(hp["accelerator"])
    torch.set_num_threads(threads)
    data = datamodule(settings, dataset_paths, heldout, fraction, sumstats, num_workers=threads - 1 if gpu else 0)
    pl.seed_everything(settings.seed, workers=True, verbose=False)  # initial weights, dropout, shuffling
    module = cnn.ScenarioClassifier(
        architecture, list(settings.scenarios), population_sizes(settings), filters=hp["filters"],
        dropout=hp["dropout"], learning_rate=hp["learning_rate"], weight_decay=hp["weight_decay"],
        parameters=data.parameters.state() if data.parameters else None,
        parameter_loss_weight=hp["parameter_loss_weight"])
    out_dir = os.path.dirname(checkpoint_path)
    best = cnn.fit(module, data, out_dir, hp["accelerator"], hp["max_epochs"], hp["patience"],
                   hp["tensorboard"])
    os.replace(best, checkpoint_path)
    shutil.rmtree(os.path.dirname(best))
    return cnn.ScenarioClassifier.load_from_checkpoint(checkpoint_path, map_location="cpu"), data


def load(checkpoint_path):
    return cnn.ScenarioClassifier.load_from_checkpoint(checkpoint_path, map_location="cpu")


def observed_prediction(module, image, distances):
    """Scenario probabilities of the observed image and, with a parameter head, each scenario's
    parameter estimates (median and 95% interval) given that scenario."""
    table = cnn.prediction_table(module, image[None], distances[None])
    scenarios = list(module.hparams.scenarios)
    probabilities = pd.DataFrame({"scenario": scenarios, "probability": table.loc[0, scenarios].to_numpy(float)})
    rows = []
    for column in table.columns[table.columns.str.endswith(".median")]:
        scenario, name, _ = column.rsplit(".", 2)
        rows.append({"scenario": scenario, "parameter": name, "median": table.loc[0, column],
                     "q2.5": table.loc[0, f"{scenario}.{name}.q2.5"],
                     "q97.5": table.loc[0, f"{scenario}.{name}.q97.5"]})
    return probabilities, pd.DataFrame(rows, columns=["scenario", "parameter", "median", "q2.5", "q97.5"])


def learning_curve(settings, predictions, index, heldout):
    """Held-out accuracy of each network against the number of training simulations per scenario.

    ``predictions`` maps (architecture, percent) to that training's held-out predictions.
    """
    rows = []
    for (architecture, percent), table in sorted(predictions.items()):
        split = cnn.split_rows(index, heldout, list(settings.scenarios), settings.seed,
                               settings.cnn["validation_fraction"], percent / 100)
        rows.append({"architecture": architecture, "percent": percent,
                     "training_per_scenario": len(split["train"]) / len(settings.scenarios),
                     "accuracy": float((table["true"] == table["predicted"]).mean())})
    return pd.DataFrame(rows)


def compare_methods(abc_predictions, cnn_predictions, tolerance, scenarios):
    """Accuracy per scenario and overall of ABC rejection (at ``tolerance``), ABC random forest and
    each network, on the held-out simulations that every method classified."""
    methods = {f"ABC rejection ({tolerance:g})": abc_predictions[(abc_predictions["method"] == "rejection")
                                                                 & (abc_predictions["tolerance"] == tolerance)],
               "ABC random forest": abc_predictions[abc_predictions["method"] == "random_forest"]}
    methods.update({f"CNN {architecture}": table for architecture, table in cnn_predictions.items()})
    keys = [set(zip(table["true"], table["sim_id"])) for table in methods.values()]
    shared = set.intersection(*keys)
    if len(shared) < max(len(k) for k in keys):
        log.warning("compared on the %d held-out simulations every method classified (ABC leaves out those "
                    "with NaN statistics)", len(shared))
    rows = []
    for method, table in methods.items():
        table = table[[key in shared for key in zip(table["true"], table["sim_id"])]]
        correct = table["true"] == table["predicted"]
        for scenario in scenarios:
            in_scenario = (table["true"] == scenario).to_numpy()
            rows.append({"method": method, "scenario": scenario, "n": int(in_scenario.sum()),
                         "accuracy": float(correct[in_scenario].mean())})
        rows.append({"method": method, "scenario": "overall", "n": len(table), "accuracy": float(correct.mean())})
    return pd.DataFrame(rows)


def sweep_scan(model, genotypes, settings, region):
    """The scan table: contig, start, end, n_snps, skipped, the probability of each class and
    the window statistics, for every window of ``genotypes`` (read from ``region`` of a VCF)."""
    table, images, distances = sweeps.scan_windows(genotypes, settings, region["start"])
    probabilities = cnn.prediction_table(model, images, distances)[settings.classes]
    scanned = np.flatnonzero(table["skipped"] == "")
    for cls in settings.classes:
        table[cls] = np.nan
        table.loc[scanned, cls] = probabilities[cls].to_numpy()
    table.insert(0, "contig", str(region["contig"]))
    statistics = [c for c in table.columns if c.startswith("window_")]
    return table[[c for c in table.columns if c not in statistics] + statistics]
