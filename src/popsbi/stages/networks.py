"""The network stage: training on the workflow's image dataset, held-out and observed predictions,
parameter accuracy, the learning curve, and the comparison with ABC on the shared held-out set."""

import numpy as np
import pandas as pd

from popsbi.datasets import read_columns
from popsbi.evaluation import parameter_scores
from popsbi.nn import training
from popsbi.nn.data import split_rows
from popsbi.nn.networks import READS_STATISTICS


def train(settings, architecture, dataset_paths, heldout, checkpoint_path, threads, fraction=1.0):
    """Train one network to tell ``settings.classes`` apart (NetworkSettings: the scenarios, or the
    sweep classes) on ``fraction`` of the training simulations, with a parameter head when the
    settings have parameter priors; returns the best model and the data. ``dataset_paths`` has the
    aggregated ``images``, ``distances``, ``index`` and, when the network needs any of its columns
    (parameters, statistics), the statistics table ``sumstats``, of which only those are read."""
    columns = {name for _, name in settings.parameter_priors or {}}
    if architecture in READS_STATISTICS:
        columns |= set(settings.statistics)
    return training.train(
        dataset_paths,
        heldout,
        settings.classes,
        settings.population_sizes,
        architecture,
        settings.hyperparameters,
        settings.seed,
        checkpoint_path,
        threads,
        fraction=fraction,
        sumstats=read_columns(dataset_paths["sumstats"], columns) if columns else None,
        parameter_priors=settings.parameter_priors,
        statistic_names=settings.statistics,
    )


def observed_prediction(module, image, distances, statistics):
    """Scenario probabilities of the observed image (and statistics: a mapping with every name the
    network reads) and, with a parameter head, each scenario's parameter estimates (median and 95%
    interval) given that scenario."""
    names = module.hparams.statistics["names"] if module.hparams.statistics else []
    values = np.array([[statistics[name] for name in names]], dtype=np.float32)
    classes, parameters = training.prediction_tables(module, image[None], distances[None], values)
    scenarios = list(module.hparams.scenarios)
    probabilities = pd.DataFrame({"scenario": scenarios, "probability": classes.loc[0, scenarios].to_numpy(float)})
    return probabilities, parameters.drop(columns="image")


def parameter_accuracy(parameters, sumstats, architecture):
    """Prediction error and 95% coverage of the parameter head on held-out simulations of each
    scenario (``parameters``: held-out parameter predictions), as ABC's cross-validation reports them."""
    own = parameters[parameters["true"] == parameters["scenario"]]
    truth = own.merge(
        sumstats, left_on=["true", "sim_id"], right_on=["scenario", "sim_id"], how="left", suffixes=("", "_truth")
    )
    rows = []
    for scenario, name in dict.fromkeys(zip(parameters["scenario"], parameters["parameter"])):
        mask = ((truth["scenario"] == scenario) & (truth["parameter"] == name)).to_numpy()
        rows.append(
            {
                "scenario": scenario,
                "parameter": name,
                "method": f"cnn_{architecture}",
                **parameter_scores(
                    truth.loc[mask, name].to_numpy(dtype=float),
                    truth.loc[mask, "median"],
                    truth.loc[mask, "q2.5"],
                    truth.loc[mask, "q97.5"],
                ),
            }
        )
    return pd.DataFrame(rows)


def learning_curve(settings, predictions, index, heldout):
    """Held-out accuracy of each network against the number of training simulations per scenario.

    ``predictions`` maps (architecture, percent) to that training's held-out predictions.
    """
    rows = []
    for (architecture, percent), table in sorted(predictions.items()):
        split = split_rows(
            index,
            heldout,
            list(settings.classes),
            settings.seed,
            settings.hyperparameters.validation_fraction,
            percent / 100,
        )
        rows.append(
            {
                "architecture": architecture,
                "percent": percent,
                "training_per_scenario": len(split["train"]) / len(settings.classes),
                "accuracy": float((table["true"] == table["predicted"]).mean()),
            }
        )
    return pd.DataFrame(rows)
