"""The settings of a network's training, light to import (jobs receive them as params)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Hyperparameters:
    """How a network is trained (the config's ``cnn`` section holds them)."""

    filters: tuple
    dropout: float
    learning_rate: float
    weight_decay: float
    batch_size: int
    max_epochs: int
    patience: int
    validation_fraction: float
    parameter_loss_weight: float
    accelerator: str
    tensorboard: bool
