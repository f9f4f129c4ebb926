"""The image dataset as Lightning reads it: splits, parameter targets, memory-mapped loading."""

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from scipy.stats import norm

from popsbi.errors import PopsbiError
from popsbi.evaluation import heldout_mask
from popsbi.priors import Prior
from popsbi.seeds import rng as seeded_rng


def split_rows(index, heldout, scenarios, seed, validation_fraction, training_fraction=1.0):
    """Row numbers of the image dataset for training, validation and test.

    The test rows are the held-out simulations shared with ABC. The others are split per
    scenario into validation and training by a stream of the master seed; a training
    fraction below 1 keeps the first part of the same shuffled order, so smaller training
    sets are nested in larger ones and the validation set never changes.
    """
    is_test = heldout_mask(index, heldout)
    rng = seeded_rng(seed, "cnn-split")
    train, validation = [], []
    for scenario in scenarios:
        rows = rng.permutation(np.flatnonzero(~is_test & (index["scenario"] == scenario).to_numpy()))
        n_validation = max(1, round(validation_fraction * len(rows)))
        rest = rows[n_validation:]
        if len(rest) == 0:
            raise PopsbiError(
                f"scenario {scenario} has no simulation left to train on after the held-out "
                f"and validation sets: raise simulations_per_scenario"
            )
        validation.append(rows[:n_validation])
        train.append(rest[: max(1, round(training_fraction * len(rest)))])
    return {
        "train": np.sort(np.concatenate(train)),
        "validation": np.sort(np.concatenate(validation)),
        "test": np.flatnonzero(is_test),
    }


class ParameterSpace:
    """The regression head's targets: each free parameter of each scenario, on an unbounded
    scale (logit of the position in the prior's support) and standardised."""

    def __init__(self, priors, mean=None, std=None):
        self.priors = priors  # {(scenario, parameter): Prior}
        self.columns = list(priors)
        self.mean = None if mean is None else np.asarray(mean, dtype=float)
        self.std = None if std is None else np.asarray(std, dtype=float)

    def unbounded(self, table):
        """(n, k) array: a row's own scenario's parameters transformed, NaN for other scenarios'."""
        values = np.full((len(table), len(self.columns)), np.nan)
        for j, (scenario, name) in enumerate(self.columns):
            rows = (table["scenario"] == scenario).to_numpy()
            values[rows, j] = self.priors[scenario, name].to_unbounded(table.loc[rows, name].to_numpy(dtype=float))
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
            out[q] = np.column_stack(
                [
                    prior.from_unbounded(standardised[:, j] * self.std[j] + self.mean[j])
                    for j, prior in enumerate(self.priors.values())
                ]
            )
        return out

    def state(self):
        """Plain values for a checkpoint's hyperparameters."""
        return {
            "columns": [list(c) for c in self.columns],
            "priors": [{"dist": p.dist, "low": p.low, "high": p.high} for p in self.priors.values()],
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
        }

    @classmethod
    def from_state(cls, state):
        priors = {tuple(c): Prior(**p) for c, p in zip(state["columns"], state["priors"])}
        return cls(priors, state["mean"], state["std"])


#: A row's image and distances for a network that does not read them.
_NO_IMAGE, _NO_DISTANCES = torch.zeros((0, 0), dtype=torch.uint8), torch.zeros(0)


class ImageDataset(torch.utils.data.Dataset):
    """Rows of the memory-mapped image dataset: (alleles uint8, distances, raw statistics, label,
    parameter targets).

    The memory maps are opened on first access, in each loader worker, so nothing large is
    copied to workers however they are started. Without ``read_images`` (a network on the
    statistics alone) a row's image and distances are empty, and nothing is read from disk:
    copying the image would be most of the time such a network trains.
    """

    def __init__(self, images_path, distances_path, rows, labels, targets, statistics, read_images=True):
        self.paths, self.rows = (images_path, distances_path), rows
        self.labels = torch.as_tensor(labels[rows], dtype=torch.long)
        self.targets = torch.as_tensor(targets[rows])
        self.statistics = torch.as_tensor(statistics[rows])
        self.read_images = read_images
        self.images = self.distances = None

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        if not self.read_images:
            return (_NO_IMAGE, _NO_DISTANCES, self.statistics[i], self.labels[i], self.targets[i])
        if self.images is None:
            self.images, self.distances = (np.load(path, mmap_mode="r") for path in self.paths)
        row = self.rows[i]
        return (
            torch.from_numpy(np.array(self.images[row])),
            torch.from_numpy(np.array(self.distances[row])),
            self.statistics[i],
            self.labels[i],
            self.targets[i],
        )


class ImageDataModule(pl.LightningDataModule):
    """The aggregated image dataset, read through memory maps, with the splits of ``split_rows``.

    ``parameters`` (a ParameterSpace) adds regression targets from ``sumstats``; its
    standardisation is fitted on the training rows. ``seed`` splits the rows; ``shuffle_seed``
    (default ``seed``) orders the training batches. ``statistic_names`` are the columns of
    ``sumstats`` that networks reading statistics take (held in memory: 4 bytes each);
    ``read_images`` False gives empty images, for networks that do not read them.
    """

    def __init__(
        self,
        images_path,
        distances_path,
        index_path,
        heldout,
        scenarios,
        seed,
        batch_size,
        validation_fraction,
        training_fraction=1.0,
        sumstats=None,
        parameters=None,
        num_workers=0,
        statistic_names=(),
        shuffle_seed=None,
        read_images=True,
    ):
        super().__init__()
        self.read_images = read_images
        self.paths = (images_path, distances_path, index_path)
        self.heldout, self.scenarios, self.seed = heldout, list(scenarios), seed
        self.shuffle_seed = seed if shuffle_seed is None else shuffle_seed
        self.batch_size, self.num_workers = batch_size, num_workers
        self.validation_fraction, self.training_fraction = validation_fraction, training_fraction
        self.sumstats, self.parameters = sumstats, parameters
        self.statistic_names = list(statistic_names)
        self.datasets = {}

    def setup(self, stage=None):
        if self.datasets:
            return
        index = pd.read_parquet(self.paths[2])
        self.rows = split_rows(
            index, self.heldout, self.scenarios, self.seed, self.validation_fraction, self.training_fraction
        )
        labels = index["scenario"].map({s: i for i, s in enumerate(self.scenarios)}).to_numpy()
        targets = np.zeros((len(index), 0), dtype=np.float32)
        table = index if self.sumstats is None else index.merge(self.sumstats, on=["scenario", "sim_id"], how="left")
        if self.parameters is not None:
            unbounded = self.parameters.unbounded(table)
            targets = self.parameters.fit(unbounded[self.rows["train"]]).standardise(unbounded)
        self.statistics = table[self.statistic_names].to_numpy(dtype=np.float32).reshape(len(index), -1)
        self.datasets = {
            split: ImageDataset(*self.paths[:2], rows, labels, targets, self.statistics, self.read_images)
            for split, rows in self.rows.items()
        }

    def statistics_state(self):
        """The statistics' names, and their mean and standard deviation over the training rows (a
        NaN, for a statistic undefined in a region, left out), for the network's hyperparameters."""
        if not self.statistic_names:
            return None
        train = self.statistics[self.rows["train"]].astype(float)
        mean, std = np.nanmean(train, axis=0), np.nanstd(train, axis=0)
        std[~(std > 0)] = 1.0
        return {"names": self.statistic_names, "mean": np.nan_to_num(mean).tolist(), "std": std.tolist()}

    def _loader(self, split, shuffle=False):
        generator = torch.Generator().manual_seed(self.shuffle_seed) if shuffle else None
        dataset = self.datasets[split]
        return torch.utils.data.DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=shuffle,
            # Batch normalisation of dense layers cannot train on a batch of one image: a last
            # batch of one (a different image each epoch, the order being shuffled) is left out.
            drop_last=shuffle and len(dataset) % self.batch_size == 1,
            generator=generator,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self):
        return self._loader("train", shuffle=True)

    def val_dataloader(self):
        return self._loader("validation")

    def test_dataloader(self):
        return self._loader("test")
