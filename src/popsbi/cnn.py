"""Scenario choice (and parameter estimation) by neural networks on genotype images, with Lightning.

Two architectures take the same two-channel images (alleles, inter-SNP distances):
``cnn``, a plain convolutional network, and ``exchangeable``, which applies the same
filters to every haplotype and pools symmetrically over the haplotypes of each
population, so that their order cannot matter (Chan et al. 2018; Sanchez et al. 2021).
"""

import logging
import time
import zlib

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from scipy.stats import norm
from torch import nn
from torch.nn import functional as F

from popsbi import abc
from popsbi.batch import load_image_dataset
from popsbi.errors import PopsbiError
from popsbi.priors import Prior

log = logging.getLogger(__name__)

ARCHITECTURES = ("cnn", "exchangeable")
_MIN_LOG_VARIANCE, _MAX_LOG_VARIANCE = -10.0, 10.0


# Data --------------------------------------------------------------------------------------

def split_rows(index, heldout, scenarios, seed, validation_fraction, training_fraction=1.0):
    """Row numbers of the image dataset for training, validation and test.

    The test rows are the held-out simulations shared with ABC. The others are split per
    scenario into validation and training by a stream of the master seed; a training
    fraction below 1 keeps the first part of the same shuffled order, so smaller training
    sets are nested in larger ones and the validation set never changes.
    """
    is_test = abc.heldout_mask(index, heldout)
    rng = np.random.default_rng([seed, zlib.crc32(b"cnn-split")])
    train, validation = [], []
    for scenario in scenarios:
        rows = rng.permutation(np.flatnonzero(~is_test & (index["scenario"] == scenario).to_numpy()))
        n_validation = max(1, round(validation_fraction * len(rows)))
        rest = rows[n_validation:]
        if len(rest) == 0:
            raise PopsbiError(f"scenario {scenario} has no simulation left to train on after the held-out "
                              f"and validation sets: raise simulations_per_scenario")
        validation.append(rows[:n_validation])
        train.append(rest[:max(1, round(training_fraction * len(rest)))])
    return {"train": np.sort(np.concatenate(train)), "validation": np.sort(np.concatenate(validation)),
            "test": np.flatnonzero(is_test)}


class ParameterSpace:
    """The regression head's targets: each free parameter of each scenario, on an unbounded
    scale (logit of the position in the prior's support) and standardised."""

    def __init__(self, priors, mean=None, std=None):
        self.priors = priors  # {(scenario, parameter): Prior}
        self.columns = list(priors)
        self.mean = None if mean is None else np.asarray(mean, dtype=float)
        self.std = None if std is None else np.asarray(std, dtype=float)

    @classmethod
    def from_settings(cls, settings):
        return cls({(scenario, name): prior for scenario in settings.scenarios
                    for name, prior in settings.priors_of(scenario).items() if prior.dist != "fixed"})

    def unbounded(self, table):
        """(n, k) array: a row's own scenario's parameters transformed, NaN for other scenarios'."""
        values = np.full((len(table), len(self.columns)), np.nan)
        for j, (scenario, name) in enumerate(self.columns):
            rows = (table["scenario"] == scenario).to_numpy()
            values[rows, j] = abc.to_unbounded(table.loc[rows, name].to_numpy(dtype=float), self.priors[scenario, name])
        return values

    def fit(self, unbounded):
        """Standardise with the training rows' mean and standard deviation."""
        self.mean = np.nanmean(unbounded, axis=0)
        self.std = np.nanstd(unbounded, axis=0)
        self.std[~(self.std > 0)] = 1.0
        return self

    def standardise(self, unbounded):
        return ((unbounded - self.mean) / self.std).astype(np.float32)

    def quantiles(self, mean, log_variance, quantiles=(0.025, 0.5, 0.975)):
        """Quantiles on the parameters' own scale of Gaussian predictions on the standardised scale."""
        sd = np.exp(0.5 * log_variance)
        out = {}
        for q in quantiles:
            standardised = mean + norm.ppf(q) * sd
            out[q] = np.column_stack([abc.from_unbounded(standardised[:, j] * self.std[j] + self.mean[j], prior)
                                      for j, prior in enumerate(self.priors.values())])
        return out

    def state(self):
        """Plain values for a checkpoint's hyperparameters."""
        return {"columns": [list(c) for c in self.columns],
                "priors": [{"dist": p.dist, "low": p.low, "high": p.high} for p in self.priors.values()],
                "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_state(cls, state):
        priors = {tuple(c): Prior(**p) for c, p in zip(state["columns"], state["priors"])}
        return cls(priors, state["mean"], state["std"])


class ImageDataset(torch.utils.data.Dataset):
    """Rows of the memory-mapped image dataset: (alleles uint8, distances, label, parameter targets).

    The memory maps are opened on first access, in each loader worker, so nothing large is
    copied to workers however they are started.
    """

    def __init__(self, images_path, distances_path, rows, labels, targets):
        self.paths, self.rows = (images_path, distances_path), rows
        self.labels = torch.as_tensor(labels[rows], dtype=torch.long)
        self.targets = torch.as_tensor(targets[rows])
        self.images = self.distances = None

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        if self.images is None:
            self.images, self.distances = (np.load(path, mmap_mode="r") for path in self.paths)
        row = self.rows[i]
        return (torch.from_numpy(np.array(self.images[row])), torch.from_numpy(np.array(self.distances[row])),
                self.labels[i], self.targets[i])


class ImageDataModule(pl.LightningDataModule):
    """The aggregated image dataset, read through memory maps, with the splits of ``split_rows``.

    ``parameters`` (a ParameterSpace) adds regression targets from ``sumstats``; its
    standardisation is fitted on the training rows.
    """

    def __init__(self, images_path, distances_path, index_path, heldout, scenarios, seed, batch_size,
                 validation_fraction, training_fraction=1.0, sumstats=None, parameters=None, num_workers=0):
        super().__init__()
        self.paths = (images_path, distances_path, index_path)
        self.heldout, self.scenarios, self.seed = heldout, list(scenarios), seed
        self.batch_size, self.num_workers = batch_size, num_workers
        self.validation_fraction, self.training_fraction = validation_fraction, training_fraction
        self.sumstats, self.parameters = sumstats, parameters
        self.datasets = {}

    def setup(self, stage=None):
        if self.datasets:
            return
        index = pd.read_parquet(self.paths[2])
        self.rows = split_rows(index, self.heldout, self.scenarios, self.seed, self.validation_fraction,
                               self.training_fraction)
        labels = index["scenario"].map({s: i for i, s in enumerate(self.scenarios)}).to_numpy()
        targets = np.zeros((len(index), 0), dtype=np.float32)
        if self.parameters is not None:
            table = index.merge(self.sumstats, on=["scenario", "sim_id"], how="left")
            unbounded = self.parameters.unbounded(table)
            targets = self.parameters.fit(unbounded[self.rows["train"]]).standardise(unbounded)
        self.datasets = {split: ImageDataset(*self.paths[:2], rows, labels, targets)
                         for split, rows in self.rows.items()}

    def _loader(self, split, shuffle=False):
        generator = torch.Generator().manual_seed(self.seed) if shuffle else None
        return torch.utils.data.DataLoader(self.datasets[split], batch_size=self.batch_size, shuffle=shuffle,
                                           generator=generator, num_workers=self.num_workers,
                                           persistent_workers=self.num_workers > 0)

    def train_dataloader(self):
        return self._loader("train", shuffle=True)

    def val_dataloader(self):
        return self._loader("validation")

    def test_dataloader(self):
        return self._loader("test")


# Networks ----------------------------------------------------------------------------------

def _conv_block(in_channels, out_channels, kernel, pool):
    padding = tuple(k // 2 for k in kernel)
    return [nn.Conv2d(in_channels, out_channels, kernel, padding=padding), nn.BatchNorm2d(out_channels),
            nn.ReLU(), nn.MaxPool2d(pool)]


def _dense_head(n_inputs, n_outputs, dropout, width=128):
    return nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(n_inputs, width), nn.ReLU(),
                         nn.Dropout(dropout), nn.Linear(width, n_outputs))


class ConvNet(nn.Module):
    """Convolutions (3x3), batch normalisation, ReLU and max pooling, then dropout and dense layers."""

    def __init__(self, n_outputs, filters, dropout):
        super().__init__()
        layers, channels = [], 2
        for i, width in enumerate(filters):
            layers += _conv_block(channels, width, (3, 3), 2 if i < len(filters) - 1 else 1)
            channels = width
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d((4, 4)))
        self.head = _dense_head(channels * 16, n_outputs, dropout)

    def forward(self, x):
        return self.head(self.features(x))


class ExchangeableNet(nn.Module):
    """Filters along each haplotype (1 x 5 convolutions: the same for every row), then the mean
    and the maximum over the haplotypes of each population, then dense layers.

    Row order within a population cannot change the output; populations keep their identity.
    """

    def __init__(self, n_outputs, filters, dropout, population_sizes):
        super().__init__()
        self.population_sizes = list(population_sizes)
        layers, channels = [], 2
        for i, width in enumerate(filters):
            layers += _conv_block(channels, width, (1, 5), (1, 2) if i < len(filters) - 1 else 1)
            channels = width
        self.rows = nn.Sequential(*layers)
        self.snps = nn.AdaptiveAvgPool1d(8)
        self.head = _dense_head(channels * 2 * len(self.population_sizes) * 8, n_outputs, dropout)

    def forward(self, x):
        per_row = self.rows(x)  # (batch, channels, haplotypes, snps)
        pooled = []
        for population in torch.split(per_row, self.population_sizes, dim=2):
            pooled += [population.mean(dim=2), population.amax(dim=2)]
        return self.head(self.snps(torch.cat(pooled, dim=1)))


def as_channels(images, distances):
    """(batch, 2, haplotypes, snps) float tensor from uint8 images and per-SNP distances, built on
    the device so that the loader moves a quarter of the bytes."""
    alleles = images.float()
    return torch.stack([alleles, distances[:, None, :].expand_as(alleles)], dim=1)


class ScenarioClassifier(pl.LightningModule):
    """Softmax over scenarios and, with ``parameters``, Gaussian estimates (mean and variance on the
    standardised unbounded scale) of every scenario's parameters, trained on the true scenario's."""

    def __init__(self, architecture, scenarios, population_sizes, filters=(16, 32, 32), dropout=0.5,
                 learning_rate=1e-3, weight_decay=0.0, parameters=None, parameter_loss_weight=1.0):
        super().__init__()
        self.save_hyperparameters()
        n_parameters = len(parameters["columns"]) if parameters else 0
        n_outputs = len(scenarios) + 2 * n_parameters
        if architecture == "cnn":
            self.net = ConvNet(n_outputs, filters, dropout)
        elif architecture == "exchangeable":
            self.net = ExchangeableNet(n_outputs, filters, dropout, population_sizes)
        else:
            raise PopsbiError(f"unknown architecture {architecture!r}; expected one of {', '.join(ARCHITECTURES)}")
        self.n_scenarios, self.n_parameters = len(scenarios), n_parameters

    def forward(self, images, distances):
        """Logits over scenarios, parameter means and log-variances."""
        out = self.net(as_channels(images, distances))
        mean, log_variance = out[:, self.n_scenarios:].float().chunk(2, dim=1)
        return out[:, :self.n_scenarios], mean, log_variance.clamp(_MIN_LOG_VARIANCE, _MAX_LOG_VARIANCE)

    def _step(self, batch, stage):
        images, distances, labels, targets = batch
        logits, mean, log_variance = self(images, distances)
        loss = F.cross_entropy(logits.float(), labels)
        accuracy = (logits.argmax(dim=1) == labels).float().mean()
        if self.n_parameters:
            known = ~torch.isnan(targets)
            if known.any():
                nll = F.gaussian_nll_loss(mean[known], targets[known], log_variance[known].exp())
                loss = loss + self.hparams.parameter_loss_weight * nll
        self.log(f"{stage}_loss", loss, on_step=False, on_epoch=True, batch_size=len(labels))
        self.log(f"{stage}_accuracy", accuracy, on_step=False, on_epoch=True, batch_size=len(labels))
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def predict_step(self, batch, batch_idx):
        logits, mean, log_variance = self(batch[0], batch[1])
        return torch.softmax(logits.float(), dim=1), mean, log_variance

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate,
                                weight_decay=self.hparams.weight_decay)


# Training and prediction -------------------------------------------------------------------

class EpochLog(pl.Callback):
    """One log line per epoch: losses, accuracies and time, for long trainings."""

    def on_train_epoch_start(self, trainer, module):
        self.started = time.monotonic()

    def on_train_epoch_end(self, trainer, module):
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        log.info("epoch %d/%d: train loss %.4f accuracy %.3f, validation loss %.4f accuracy %.3f (%.1f s)",
                 trainer.current_epoch + 1, trainer.max_epochs, metrics.get("train_loss", np.nan),
                 metrics.get("train_accuracy", np.nan), metrics.get("val_loss", np.nan),
                 metrics.get("val_accuracy", np.nan), time.monotonic() - self.started)


def uses_gpu(accelerator):
    return accelerator in ("auto", "gpu") and torch.cuda.is_available()


def trainer(out_dir, accelerator, max_epochs, patience, tensorboard=False):
    """A Trainer with early stopping on validation loss, the best checkpoint kept and CSV logs.

    On a GPU it trains in bf16 (or fp16) mixed precision; on the CPU in float32 with
    deterministic algorithms, so that a seed gives the same model.
    """
    gpu = uses_gpu(accelerator)
    loggers = [pl.loggers.CSVLogger(out_dir, name="", version="")]
    if tensorboard:
        try:
            loggers.append(pl.loggers.TensorBoardLogger(out_dir, name="", version="tensorboard"))
        except ModuleNotFoundError as err:
            raise PopsbiError("cnn.tensorboard is true but TensorBoard is not installed "
                              "(pip install tensorboard)") from err
    precision = ("bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed") if gpu else "32-true"
    return pl.Trainer(
        max_epochs=max_epochs, accelerator="gpu" if gpu else "cpu", devices=1, precision=precision,
        deterministic=not gpu, logger=loggers, enable_progress_bar=False, enable_model_summary=False,
        num_sanity_val_steps=0, log_every_n_steps=1,
        callbacks=[pl.callbacks.EarlyStopping("val_loss", patience=patience),
                   pl.callbacks.ModelCheckpoint(dirpath=f"{out_dir}/checkpoints", filename="best",
                                                monitor="val_loss", save_top_k=1),
                   EpochLog()])


def fit(module, datamodule, out_dir, accelerator="auto", max_epochs=30, patience=5, tensorboard=False):
    """Train and return the path of the best checkpoint (lowest validation loss).

    Seed the generators (``pl.seed_everything``) before building ``module`` for a
    reproducible initialisation.
    """
    run = trainer(out_dir, accelerator, max_epochs, patience, tensorboard)
    log.info("training %s on %s: %d training, %d validation images", module.hparams.architecture,
             "GPU" if uses_gpu(accelerator) else "CPU", len(datamodule.datasets["train"]),
             len(datamodule.datasets["validation"]))
    run.fit(module, datamodule)
    log.info("best validation loss %.4f at %s", float(run.checkpoint_callback.best_model_score),
             run.checkpoint_callback.best_model_path)
    return run.checkpoint_callback.best_model_path


def epoch_history(metrics_csv):
    """One row per epoch from Lightning's CSV log (training and validation rows merged)."""
    return pd.read_csv(metrics_csv).groupby("epoch").first().reset_index()


@torch.no_grad()
def predict(module, images, distances, batch_size=256):
    """Scenario probabilities, parameter means and log-variances of images (numpy arrays)."""
    module.eval()
    outputs = [[], [], []]
    for start in range(0, len(images), batch_size):
        batch = (torch.from_numpy(np.asarray(images[start:start + batch_size])).to(module.device),
                 torch.from_numpy(np.asarray(distances[start:start + batch_size])).to(module.device))
        for out, value in zip(outputs, module.predict_step(batch, 0)):
            out.append(value.float().cpu().numpy())
    return tuple(np.concatenate(out) for out in outputs)


def prediction_table(module, images, distances):
    """One row per image: predicted scenario, its probabilities and, with a parameter head, the median
    and 95% interval of each (scenario, parameter) given that scenario."""
    hp = module.hparams
    probabilities, mean, log_variance = predict(module, images, distances)
    table = pd.DataFrame(probabilities, columns=list(hp.scenarios))
    table.insert(0, "predicted", np.asarray(hp.scenarios)[probabilities.argmax(axis=1)])
    if hp.parameters:
        space = ParameterSpace.from_state(hp.parameters)
        quantiles = space.quantiles(mean, log_variance)
        for j, (scenario, name) in enumerate(space.columns):
            for q, label in zip(quantiles, ("q2.5", "median", "q97.5")):
                table[f"{scenario}.{name}.{label}"] = quantiles[q][:, j]
    return table


def heldout_predictions(module, datamodule):
    """prediction_table of the test (held-out) rows, with their scenario and sim_id."""
    images, distances, index = load_image_dataset(*datamodule.paths)
    rows = datamodule.rows["test"]
    table = prediction_table(module, images[rows], distances[rows])
    table.insert(0, "true", index["scenario"].to_numpy()[rows])
    table.insert(0, "sim_id", index["sim_id"].to_numpy()[rows])
    return table


def parameter_accuracy(predictions, sumstats, architecture):
    """Prediction error and 95% coverage of the parameter head on held-out simulations of each
    scenario, as ABC's cross-validation reports them."""
    truth = predictions[["true", "sim_id"]].merge(sumstats, left_on=["true", "sim_id"],
                                                  right_on=["scenario", "sim_id"], how="left")
    rows = []
    for column in predictions.columns[predictions.columns.str.endswith(".median")]:
        scenario, name, _ = column.rsplit(".", 2)
        mask = (predictions["true"] == scenario).to_numpy()
        true = truth.loc[mask, name].to_numpy(dtype=float)
        median = predictions.loc[mask, column].to_numpy()
        covered = ((predictions.loc[mask, f"{scenario}.{name}.q2.5"] <= true)
                   & (true <= predictions.loc[mask, f"{scenario}.{name}.q97.5"]))
        rows.append({"scenario": scenario, "parameter": name, "method": f"cnn_{architecture}", "n": int(mask.sum()),
                     "prediction_error": abc.prediction_error(true, median), "coverage_95": float(covered.mean())})
    return pd.DataFrame(rows)
