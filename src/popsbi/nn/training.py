"""Training with early stopping and checkpoints, and prediction tables of trained networks."""

import dataclasses
import logging
import os
import shutil
import time

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from scipy.optimize import minimize_scalar
from torch.nn import functional as F

from popsbi.datasets import load_image_dataset
from popsbi.errors import PopsbiError
from popsbi.nn.data import ImageDataModule, ParameterSpace
from popsbi.nn.hyperparameters import READS_IMAGES, READS_STATISTICS
from popsbi.nn.module import ScenarioClassifier

log = logging.getLogger(__name__)

#: The columns of a parameter prediction table, after the keys of the image it describes.
PARAMETER_COLUMNS = ["scenario", "parameter", "median", "q2.5", "q97.5"]
#: A network that starts from a trained one (hybrid from mlp) trains at this share of the
#: learning rate: at the full rate its first steps throw it far from that network's optimum
#: (measured on the demo and the two-population example: hybrid 1-1.5 points below mlp held out);
#: at a tenth it stays near it and learns what the image adds.
FINE_TUNING_SHARE = 0.1


class EpochLog(pl.Callback):
    """One log line per epoch: losses, accuracies and time, for long trainings."""

    def on_train_epoch_start(self, trainer, module):
        self.started = time.monotonic()

    def on_train_epoch_end(self, trainer, module):
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        log.info(
            "epoch %d/%d: train loss %.4f accuracy %.3f, validation loss %.4f accuracy %.3f (%.1f s)",
            trainer.current_epoch + 1,
            trainer.max_epochs,
            metrics.get("train_loss", np.nan),
            metrics.get("train_accuracy", np.nan),
            metrics.get("val_loss", np.nan),
            metrics.get("val_accuracy", np.nan),
            time.monotonic() - self.started,
        )


def uses_gpu(accelerator):
    return accelerator in ("auto", "gpu") and torch.cuda.is_available()


def trainer(out_dir, accelerator, max_epochs, patience, tensorboard=False, callbacks=()):
    """A Trainer with early stopping on validation loss, the best checkpoint kept, CSV logs and
    ``callbacks``.

    On a GPU it trains in bf16 (or fp16) mixed precision; on the CPU in float32 with
    deterministic algorithms, so that a seed gives the same model.
    """
    gpu = uses_gpu(accelerator)
    loggers = [pl.loggers.CSVLogger(out_dir, name="", version="")]
    if tensorboard:
        try:
            loggers.append(pl.loggers.TensorBoardLogger(out_dir, name="", version="tensorboard"))
        except ModuleNotFoundError as err:
            raise PopsbiError(
                "cnn.tensorboard is true but TensorBoard is not installed (pip install tensorboard)"
            ) from err
    precision = ("bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed") if gpu else "32-true"
    return pl.Trainer(
        max_epochs=max_epochs,
        accelerator="gpu" if gpu else "cpu",
        devices=1,
        precision=precision,
        deterministic=not gpu,
        logger=loggers,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
        callbacks=[
            pl.callbacks.EarlyStopping("val_loss", patience=patience),
            pl.callbacks.ModelCheckpoint(
                dirpath=f"{out_dir}/checkpoints", filename="best", monitor="val_loss", save_top_k=1
            ),
            EpochLog(),
            *callbacks,
        ],
    )


def fit(module, datamodule, out_dir, accelerator="auto", max_epochs=30, patience=5, tensorboard=False, callbacks=()):
    """Train and return the path of the best checkpoint and its validation loss (the lowest).

    Seed the generators (``pl.seed_everything``) before building ``module`` for a
    reproducible initialisation.
    """
    run = trainer(out_dir, accelerator, max_epochs, patience, tensorboard, callbacks)
    log.info(
        "training %s on %s: %d training, %d validation images",
        module.hparams.architecture,
        "GPU" if uses_gpu(accelerator) else "CPU",
        len(datamodule.datasets["train"]),
        len(datamodule.datasets["validation"]),
    )
    run.fit(module, datamodule)
    best = run.checkpoint_callback
    log.info("best validation loss %.4f at %s", float(best.best_model_score), best.best_model_path)
    return best.best_model_path, float(best.best_model_score)


def train(
    dataset_paths,
    heldout,
    classes,
    population_sizes,
    architecture,
    hyperparameters,
    seed,
    checkpoint_path,
    threads,
    fraction=1.0,
    sumstats=None,
    parameter_priors=None,
    statistic_names=(),
    init_seed=None,
    start=None,
):
    """Train one network to tell ``classes`` apart (the scenarios, or sweep classes) on ``fraction``
    of the training images, the held-out rows left out; return the best model and the data.

    ``seed`` splits the simulations into training and validation; ``init_seed`` (default
    ``seed``) draws the initial weights, dropout and the order of the batches, so that networks
    trained with several ``init_seed`` on one split make an ensemble.

    ``dataset_paths`` has the aggregated dataset's ``images``, ``distances`` and ``index``;
    ``population_sizes`` are the haplotypes of each population, in the order of the image rows.
    With ``parameter_priors`` ({(scenario, parameter): Prior}) and ``sumstats`` (their true
    values), a parameter head is trained too. Networks that read summary statistics take the
    columns ``statistic_names`` of ``sumstats``. ``start``: the checkpoint of a trained ``mlp`` of
    the same shape, from which a ``hybrid`` starts (see HybridNet.start_from) and trains at
    FINE_TUNING_SHARE of the learning rate, for ``fine_tuning_epochs`` at most. The best checkpoint
    goes to ``checkpoint_path`` and Lightning's CSV log beside it.
    """
    hp = hyperparameters
    if start is not None:
        hp = dataclasses.replace(
            hp,
            learning_rate=hp.learning_rate * FINE_TUNING_SHARE,
            max_epochs=min(hp.max_epochs, hp.fine_tuning_epochs),
        )
    torch.set_num_threads(threads)
    init_seed = seed if init_seed is None else init_seed
    data = image_data(
        dataset_paths,
        heldout,
        classes,
        architecture,
        hp,
        seed,
        threads,
        fraction,
        sumstats,
        parameter_priors,
        statistic_names,
        init_seed,
    )
    module = classifier(architecture, classes, population_sizes, hp, data, init_seed)
    if start is not None:
        module.net.start_from(load(start).net)
        log.info("%s starts from the trained network %s, at learning rate %g", architecture, start, hp.learning_rate)
    out_dir = os.path.dirname(checkpoint_path)
    best, _ = fit(module, data, out_dir, hp.accelerator, hp.max_epochs, hp.patience, hp.tensorboard)
    os.replace(best, checkpoint_path)
    shutil.rmtree(os.path.dirname(best))
    return calibrate(checkpoint_path, data), data


def image_data(
    dataset_paths,
    heldout,
    classes,
    architecture,
    hyperparameters,
    seed,
    threads,
    fraction=1.0,
    sumstats=None,
    parameter_priors=None,
    statistic_names=(),
    shuffle_seed=None,
):
    """The ImageDataModule of a training (arguments as :func:`train`'s), set up."""
    hp = hyperparameters
    data = ImageDataModule(
        dataset_paths["images"],
        dataset_paths["distances"],
        dataset_paths["index"],
        heldout,
        list(classes),
        seed,
        hp.batch_size,
        hp.validation_fraction,
        fraction,
        sumstats=sumstats,
        parameters=ParameterSpace(parameter_priors) if parameter_priors else None,
        num_workers=threads - 1 if uses_gpu(hp.accelerator) else 0,
        statistic_names=statistic_names if architecture in READS_STATISTICS else (),
        shuffle_seed=shuffle_seed,
        read_images=architecture in READS_IMAGES,
    )
    data.setup()
    return data


def classifier(architecture, classes, population_sizes, hyperparameters, data, seed):
    """A new network as ``hyperparameters`` shape it, for the data module ``data``; the generators
    are seeded first, so that a seed gives the same initial weights, dropout and shuffling."""
    hp = hyperparameters
    pl.seed_everything(seed, workers=True, verbose=False)
    return ScenarioClassifier(
        architecture,
        list(classes),
        list(population_sizes),
        filters=list(hp.filters),
        width=hp.width,
        depth=hp.depth,
        batch_norm=hp.batch_norm,
        dropout=hp.dropout,
        learning_rate=hp.learning_rate,
        weight_decay=hp.weight_decay,
        lr_decay=hp.lr_decay,
        locus_tiles=hp.locus_tiles,
        parameters=data.parameters.state() if data.parameters else None,
        parameter_loss_weight=hp.parameter_loss_weight,
        statistics=data.statistics_state(),
    )


def calibrate(checkpoint_path, datamodule):
    """Temperature scaling (Guo et al. 2017): fit the temperature of the checkpoint's network on
    the validation images, which early stopping saw but gradient steps did not, and save it in
    the checkpoint; returns the calibrated network. Accuracy does not change (the most probable
    class stays the same); the probabilities become as confident as the network is right."""
    module = load(checkpoint_path)
    images, distances, index = load_image_dataset(*datamodule.paths)
    rows = datamodule.rows["validation"]
    labels = index["scenario"].map({s: i for i, s in enumerate(module.hparams.scenarios)}).to_numpy()[rows]
    logits = predict_logits(module, images[rows], distances[rows], datamodule.statistics[rows])
    temperature = fit_temperature(logits, labels)
    module.temperature.fill_(temperature)
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    checkpoint["state_dict"]["temperature"] = module.temperature.clone()
    torch.save(checkpoint, checkpoint_path)
    log.info(
        "temperature %.3f fitted on %d validation images: their log loss %.4f, %.4f before",
        temperature,
        len(rows),
        _log_loss(logits / temperature, labels),
        _log_loss(logits, labels),
    )
    return module


def fit_temperature(logits, labels, prior_sd=0.5):
    """The T in [0.05, 20] that maximises the likelihood of the true ``labels`` under
    softmax(logits / T), times a normal prior on log T (mean 0, sd ``prior_sd``). On hundreds of
    validation images the prior hardly matters; on a few that the network classifies without an
    error, the likelihood alone grows without end as T falls, and would sharpen every
    probability to 0 or 1."""

    def penalised(log_t):
        return len(labels) * _log_loss(logits / np.exp(log_t), labels) + log_t**2 / (2 * prior_sd**2)

    return float(np.exp(minimize_scalar(penalised, bounds=(-3, 3), method="bounded").x))


def _log_loss(logits, labels):
    return float(F.cross_entropy(torch.as_tensor(logits, dtype=torch.float64), torch.as_tensor(labels)))


def load(checkpoint_path):
    return ScenarioClassifier.load_from_checkpoint(checkpoint_path, map_location="cpu")


def epoch_history(metrics_csv):
    """One row per epoch from Lightning's CSV log (training and validation rows merged)."""
    return pd.read_csv(metrics_csv).groupby("epoch").first().reset_index()


def predict(module, images, distances, statistics=None, batch_size=256):
    """Scenario probabilities, parameter means and log-variances of images (numpy arrays) and
    their regions' raw statistics (for networks that read them)."""
    return _in_batches(module.predict_step, module, images, distances, statistics, batch_size)


def predict_logits(module, images, distances, statistics=None, batch_size=256):
    """The scenario logits of images (numpy arrays), before any temperature."""
    return _in_batches(lambda batch, _: module(*batch)[:1], module, images, distances, statistics, batch_size)[0]


@torch.no_grad()
def _in_batches(step, module, images, distances, statistics, batch_size):
    module.eval()
    statistics = np.zeros((len(images), 0), dtype=np.float32) if statistics is None else statistics
    outputs = None
    for start in range(0, len(images), batch_size):
        batch = (
            torch.from_numpy(np.asarray(images[start : start + batch_size])).to(module.device),
            torch.from_numpy(np.asarray(distances[start : start + batch_size])).to(module.device),
            torch.as_tensor(np.array(statistics[start : start + batch_size], dtype=np.float32)).to(module.device),
        )
        values = [value.float().cpu().numpy() for value in step(batch, 0)]
        outputs = [[] for _ in values] if outputs is None else outputs
        for out, value in zip(outputs, values):
            out.append(value)
    return tuple(np.concatenate(out) for out in outputs)


def prediction_tables(module, images, distances, statistics=None):
    """Two tables of predictions for images: one row per image with the predicted class and the
    probability of each class; and, with a parameter head, one row per (image, scenario, parameter)
    with the median and 95% interval of the parameter given that scenario (column ``image``: the
    image's row)."""
    hp = module.hparams
    probabilities, mean, log_variance = predict(module, images, distances, statistics)
    classes = pd.DataFrame(probabilities, columns=list(hp.scenarios))
    classes.insert(0, "predicted", np.asarray(hp.scenarios)[probabilities.argmax(axis=1)])
    parameters = pd.DataFrame(columns=["image", *PARAMETER_COLUMNS])
    if hp.parameters:
        space = ParameterSpace.from_state(hp.parameters)
        quantiles = space.quantiles(mean, log_variance)
        n, k = len(images), len(space.columns)
        parameters = pd.DataFrame(
            {
                "image": np.repeat(np.arange(n), k),
                "scenario": [scenario for scenario, _ in space.columns] * n,
                "parameter": [name for _, name in space.columns] * n,
                "median": quantiles[0.5].ravel(),
                "q2.5": quantiles[0.025].ravel(),
                "q97.5": quantiles[0.975].ravel(),
            }
        )
    return classes, parameters


def heldout_predictions(module, datamodule):
    """prediction_tables of the test (held-out) images, each row keyed by the image's sim_id and
    true class (columns ``sim_id``, ``true``)."""
    images, distances, index = load_image_dataset(*datamodule.paths)
    rows = datamodule.rows["test"]
    classes, parameters = prediction_tables(module, images[rows], distances[rows], datamodule.statistics[rows])
    keys = pd.DataFrame({"sim_id": index["sim_id"].to_numpy()[rows], "true": index["scenario"].to_numpy()[rows]})
    classes = pd.concat([keys, classes], axis=1)
    parameters = pd.concat([keys.iloc[parameters.pop("image")].reset_index(drop=True), parameters], axis=1)
    return classes, parameters
