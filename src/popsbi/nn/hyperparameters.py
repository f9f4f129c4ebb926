"""The networks' names and the settings of their training and search, light to import (jobs
receive them as params)."""

from dataclasses import dataclass

#: The networks (popsbi.nn.networks), and what each reads.
ARCHITECTURES = ("cnn", "exchangeable", "mlp", "hybrid")
READS_STATISTICS = frozenset({"mlp", "hybrid"})
READS_IMAGES = frozenset({"cnn", "exchangeable", "hybrid"})


@dataclass(frozen=True)
class Hyperparameters:
    """How a network is trained (the config's ``cnn`` section holds them)."""

    filters: tuple
    width: int
    depth: int
    batch_norm: bool
    dropout: float
    learning_rate: float
    weight_decay: float
    lr_decay: str
    batch_size: int
    max_epochs: int
    patience: int
    # epochs at most (and never more than max_epochs) of a network that starts from a trained one
    fine_tuning_epochs: int
    validation_fraction: float
    parameter_loss_weight: float
    accelerator: str
    tensorboard: bool
    # Tiles of separate loci side by side in the image: the image layers run on each tile and their
    # features are averaged over the tiles (1: the image is one region, read whole).
    locus_tiles: int = 1


@dataclass(frozen=True)
class SearchSpace:
    """Where the search looks: (low, high) ranges, and tuples of choices."""

    learning_rate: tuple
    weight_decay: tuple
    dropout: tuple
    width: tuple
    depth: tuple
    batch_size: tuple
    batch_norm: tuple
    lr_decay: tuple


@dataclass(frozen=True)
class Search:
    """A hyperparameter search (the config's ``cnn.search``): ``trials`` per searched network, run
    by ``workers`` jobs sharing one study, each trial at most ``max_epochs`` long; ``reuse``:
    (network, searched network) pairs, the first trained with the second's best settings."""

    architectures: tuple
    trials: int
    workers: int
    max_epochs: int
    space: SearchSpace
    reuse: tuple = ()

    def tuned_by(self, architecture):
        """The searched network whose best settings train ``architecture``, or None."""
        if architecture in self.architectures:
            return architecture
        return dict(self.reuse).get(architecture)
