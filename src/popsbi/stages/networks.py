"""The network stage: training on the workflow's image dataset, held-out and observed predictions,
parameter accuracy, the learning curve, and the comparison with ABC on the shared held-out set."""

import dataclasses
import hashlib
import logging
import os
import tempfile

import numpy as np
import pandas as pd
import torch

from popsbi.datasets import read_columns
from popsbi.evaluation import parameter_scores
from popsbi.nn import search, training
from popsbi.nn.data import split_rows
from popsbi.nn.hyperparameters import READS_STATISTICS
from popsbi.seeds import rng as seeded_rng

log = logging.getLogger(__name__)


def train(
    settings,
    architecture,
    dataset_paths,
    heldout,
    checkpoint_path,
    threads,
    fraction=1.0,
    tuned=None,
    replicate=0,
    start=None,
):
    """Train one network to tell ``settings.classes`` apart (NetworkSettings: the scenarios, or the
    sweep classes) on ``fraction`` of the training simulations, with a parameter head when the
    settings have parameter priors; returns the best model and the data. ``dataset_paths`` has the
    aggregated ``images``, ``distances``, ``index`` and, when the network needs any of its columns
    (parameters, statistics), the statistics table ``sumstats``, of which only those are read.
    ``tuned``: the best-trial table of a search, whose hyperparameters replace the settings'.
    ``replicate`` k > 0 trains on the same split from the seed plus k (an ensemble's member).
    ``start``: the checkpoint of the trained mlp a hybrid starts from."""
    hyperparameters = settings.hyperparameters
    if tuned is not None:
        hyperparameters = dataclasses.replace(hyperparameters, **search.read_best(tuned))
        log.info("hyperparameters of the search's best trial (%s): %s", tuned, hyperparameters)
    return training.train(
        dataset_paths,
        heldout,
        settings.classes,
        settings.population_sizes,
        architecture,
        hyperparameters,
        settings.seed,
        checkpoint_path,
        threads,
        fraction=fraction,
        sumstats=_sumstats(settings, architecture, dataset_paths),
        parameter_priors=settings.parameter_priors,
        statistic_names=settings.statistics,
        init_seed=settings.seed + replicate,
        start=start,
    )


def _sumstats(settings, architecture, dataset_paths):
    """The columns of the statistics table that a network needs: its parameters' true values, and
    the statistics it reads; None when it needs none."""
    columns = {name for _, name in settings.parameter_priors or {}}
    if architecture in READS_STATISTICS:
        columns |= set(settings.statistics)
    return read_columns(dataset_paths["sumstats"], columns) if columns else None


def search_hyperparameters(settings, plan, architecture, dataset_paths, heldout, journal_path, worker, threads):
    """Run worker ``worker``'s share of the search ``plan`` (a Search) of ``architecture``'s
    hyperparameters in the study kept in ``journal_path``: trials train on the training split, are
    judged by their lowest validation loss of the scenarios and never see the held-out simulations;
    returns the study."""
    base = dataclasses.replace(settings.hyperparameters, max_epochs=plan.max_epochs)
    torch.set_num_threads(threads)
    data = training.image_data(
        dataset_paths,
        heldout,
        settings.classes,
        architecture,
        base,
        settings.seed,
        threads,
        sumstats=_sumstats(settings, architecture, dataset_paths),
        parameter_priors=settings.parameter_priors,
        statistic_names=settings.statistics,
    )
    sampler_seed = int(seeded_rng(settings.seed, f"search-{architecture}", worker).integers(2**31))
    name = study_name(settings, plan, architecture, dataset_paths, heldout)
    study = search.open_study(journal_path, name, sampler_seed)

    def objective(trial):
        hyperparameters = search.suggest(trial, plan.space, base)
        data.batch_size = hyperparameters.batch_size
        module = training.classifier(
            architecture, settings.classes, settings.population_sizes, hyperparameters, data, settings.seed
        )
        report = search.PruneOnValidationLoss(trial)
        with tempfile.TemporaryDirectory() as out:
            training.fit(module, data, out, base.accelerator, base.max_epochs, base.patience, callbacks=[report])
        return min(report.losses)

    search.run_trials(study, objective, plan.trials)
    return study


def study_name(settings, plan, architecture, dataset_paths, heldout):
    """The study of ``architecture``'s search: named after everything its trials depend on but the
    number of trials, so that raising the budget continues the study, and changing the space, the
    settings, the seed or the data (new simulations, another held-out set) starts a new one."""
    # where a network trains (accelerator) and what it logs do not change what a trial finds
    hyperparameters = dataclasses.replace(settings.hyperparameters, accelerator="", tensorboard=False)
    key = hashlib.md5(
        repr(
            (
                plan.space,
                plan.max_epochs,
                hyperparameters,
                settings.seed,
                settings.classes,
                settings.statistics,
                settings.parameter_priors,
                sorted(zip(heldout["scenario"], heldout["sim_id"])),
                os.path.getsize(dataset_paths["images"]),
            )
        ).encode()
    )
    for name in ("index", "sumstats"):  # byte-identical when a run makes the same simulations again
        with open(dataset_paths[name], "rb") as table:
            key.update(hashlib.file_digest(table, "md5").digest())
    return f"{architecture}-{key.hexdigest()[:10]}"


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


def observed_ensemble(modules, image, distances, statistics):
    """observed_prediction of the ensemble of networks trained with several seeds: the mean of
    their scenario probabilities, with the standard deviation over seeds (``seed_sd``); the
    parameter estimates are the first network's."""
    predictions = [observed_prediction(module, image, distances, statistics) for module in modules]
    values = np.array([probabilities["probability"].to_numpy() for probabilities, _ in predictions])
    probabilities = predictions[0][0].assign(
        probability=values.mean(axis=0), seed_sd=values.std(axis=0, ddof=1) if len(modules) > 1 else np.nan
    )
    return probabilities, predictions[0][1]


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
