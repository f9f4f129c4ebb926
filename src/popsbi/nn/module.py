"""The Lightning module: a network, its losses and its metrics."""

import pytorch_lightning as pl
import torch
from torch.nn import functional as F

from popsbi.nn.networks import Shape, as_channels, network

_MIN_LOG_VARIANCE, _MAX_LOG_VARIANCE = -10.0, 10.0


class ScenarioClassifier(pl.LightningModule):
    """Softmax over scenarios and, with ``parameters``, Gaussian estimates (mean and variance on the
    standardised unbounded scale) of every scenario's parameters, trained on the true scenario's."""

    def __init__(
        self,
        architecture,
        scenarios,
        population_sizes,
        filters=(8, 16, 16),
        dropout=0.5,
        learning_rate=1e-3,
        weight_decay=0.0,
        parameters=None,
        parameter_loss_weight=1.0,
        statistics=None,
        width=128,
        depth=2,
        batch_norm=True,
        lr_decay="none",
        locus_tiles=1,
    ):
        super().__init__()
        self.save_hyperparameters()
        n_parameters = len(parameters["columns"]) if parameters else 0
        n_statistics = len(statistics["names"]) if statistics else 0
        shape = Shape(tuple(filters), width, depth, dropout, batch_norm, locus_tiles)
        self.net = network(architecture, len(scenarios) + 2 * n_parameters, shape, population_sizes, n_statistics)
        self.n_scenarios, self.n_parameters = len(scenarios), n_parameters
        # Raw statistics are standardised by the training rows' mean and standard deviation; a NaN
        # (a statistic undefined for a region) becomes the mean.
        self.register_buffer("statistics_mean", torch.tensor(statistics["mean"] if statistics else []))
        self.register_buffer("statistics_std", torch.tensor(statistics["std"] if statistics else []))
        # Divides the logits of predictions: fitted after training on the validation images
        # (temperature scaling), saved in the checkpoint; 1 while training.
        self.register_buffer("temperature", torch.ones(()))

    def forward(self, images, distances, statistics):
        """Logits over scenarios, parameter means and log-variances, from images, their distances and
        the regions' raw statistics (in the order of ``hparams.statistics["names"]``)."""
        standardised = torch.nan_to_num((statistics.float() - self.statistics_mean) / self.statistics_std)
        out = self.net(as_channels(images, distances), standardised)
        mean, log_variance = out[:, self.n_scenarios :].float().chunk(2, dim=1)
        return out[:, : self.n_scenarios], mean, log_variance.clamp(_MIN_LOG_VARIANCE, _MAX_LOG_VARIANCE)

    def _step(self, batch, stage):
        images, distances, statistics, labels, targets = batch
        logits, mean, log_variance = self(images, distances, statistics)
        loss = scenario_loss = F.cross_entropy(logits.float(), labels)
        accuracy = (logits.argmax(dim=1) == labels).float().mean()
        if self.n_parameters:
            known = ~torch.isnan(targets)
            if known.any():
                nll = F.gaussian_nll_loss(mean[known], targets[known], log_variance[known].exp())
                loss = loss + self.hparams.parameter_loss_weight * nll
        self.log(f"{stage}_loss", loss, on_step=False, on_epoch=True, batch_size=len(labels))
        self.log(f"{stage}_accuracy", accuracy, on_step=False, on_epoch=True, batch_size=len(labels))
        self.log(f"{stage}_scenario_loss", scenario_loss, on_step=False, on_epoch=True, batch_size=len(labels))
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def predict_step(self, batch, batch_idx):
        logits, mean, log_variance = self(*batch[:3])
        return torch.softmax(logits.float() / self.temperature, dim=1), mean, log_variance

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(
            self.parameters(), lr=self.hparams.learning_rate, weight_decay=self.hparams.weight_decay
        )
        if self.hparams.lr_decay == "none":
            return optimizer
        return {
            "optimizer": optimizer,
            "lr_scheduler": learning_rate_decay(optimizer, self.hparams.lr_decay, self.trainer.max_epochs),
        }


#: The learning-rate decays: none, or down to this share of the initial rate at the last epoch.
LR_DECAYS = ("none", "linear", "exponential")
FINAL_LR_SHARE = 0.01


def learning_rate_decay(optimizer, decay, epochs):
    """A per-epoch scheduler that takes the learning rate from its initial value to
    FINAL_LR_SHARE of it over ``epochs``, along a straight line or a geometric sequence."""
    if decay == "linear":
        return torch.optim.lr_scheduler.LinearLR(optimizer, 1.0, FINAL_LR_SHARE, total_iters=max(epochs - 1, 1))
    if decay == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, FINAL_LR_SHARE ** (1 / max(epochs - 1, 1)))
    raise ValueError(f"unknown learning-rate decay {decay!r}; expected one of {', '.join(LR_DECAYS)}")
