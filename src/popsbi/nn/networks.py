"""The networks, on two-channel genotype images (alleles, inter-SNP distances) and on the
region's summary statistics.

``cnn``, a plain convolutional network, and ``exchangeable``, which applies the same
filters to every haplotype and pools symmetrically over the haplotypes of each
population, so that their order cannot matter (Chan et al. 2018; Sanchez et al. 2021),
read the image; ``mlp`` reads the summary statistics that ABC uses; ``hybrid`` reads both
(the convolutional network's features and the statistics' dense layers, joined), and can start
from a trained ``mlp``. Every network takes (images as channels, standardised statistics) and
ignores what it does not read.
"""

from dataclasses import dataclass

import torch
from torch import nn

from popsbi.nn.hyperparameters import ARCHITECTURES, READS_STATISTICS


def as_channels(images, distances):
    """(batch, 2, haplotypes, snps) float tensor from uint8 images and per-SNP distances, built on
    the device so that the loader moves a quarter of the bytes."""
    alleles = images.float()
    return torch.stack([alleles, distances[:, None, :].expand_as(alleles)], dim=1)


def _norm(kind, width, batch_norm):
    """Batch normalisation of ``width`` channels (``kind``: nn.BatchNorm1d or 2d), or nothing."""
    return kind(width) if batch_norm else nn.Identity()


def _conv_block(in_channels, out_channels, kernel, pool, batch_norm):
    padding = tuple(k // 2 for k in kernel)
    return [
        ChannelsLastConv2d(in_channels, out_channels, kernel, padding=padding),
        _norm(nn.BatchNorm2d, out_channels, batch_norm),
        nn.ReLU(),
        nn.MaxPool2d(pool),
    ]


def _dense_head(n_inputs, n_outputs, shape):
    return nn.Sequential(
        nn.Flatten(),
        nn.Dropout(shape.dropout),
        nn.Linear(n_inputs, shape.width),
        nn.ReLU(),
        nn.Dropout(shape.dropout),
        nn.Linear(shape.width, n_outputs),
    )


def _image_features(shape):
    """Convolutions (3x3), batch normalisation, ReLU and max pooling, averaged to 4x4 (on each
    locus's tile when the image holds several, see :class:`PerTile`); and the number of features
    they give."""
    layers, channels = [], 2
    for i, width in enumerate(shape.filters):
        layers += _conv_block(channels, width, (3, 3), 2 if i < len(shape.filters) - 1 else 1, shape.batch_norm)
        channels = width
    features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d((4, 4)), nn.Flatten())
    if shape.locus_tiles > 1:
        features = PerTile(features, shape.locus_tiles)
    return features, channels * 16


class ChannelsLastConv2d(nn.Conv2d):
    """A convolution that runs on its input laid out channels last and gives its output in the
    usual layout, the same values: CPU convolutions (oneDNN) with 2 to 16 channels run faster
    channels last, batch normalisation, ReLU and pooling of so few channels slower. The demo
    hybrid's image layers train 1.6 times faster so than wholly channels last, 1.2 times faster
    than wholly channels first (2 threads, AVX2; tests/bench/bench_networks.py)."""

    def forward(self, x):
        return super().forward(x.contiguous(memory_format=torch.channels_last)).contiguous()


class PerTile(nn.Module):
    """The same layers on each of the image's ``tiles`` column blocks (one per locus, or group of
    loci), their features averaged over the tiles: weights are shared across loci, which have
    independent genealogies, and the loci's order cannot matter."""

    def __init__(self, layers, tiles):
        super().__init__()
        self.layers, self.tiles = layers, tiles

    def forward(self, x):
        batch, channels, rows, columns = x.shape
        tiles = x.reshape(batch, channels, rows, self.tiles, columns // self.tiles).permute(0, 3, 1, 2, 4)
        features = self.layers(tiles.reshape(batch * self.tiles, channels, rows, columns // self.tiles))
        return features.reshape(batch, self.tiles, -1).mean(dim=1)


def _statistics_features(n_statistics, shape):
    """``shape.depth`` dense layers of ``shape.width`` units (batch normalisation, ReLU, dropout
    between them) on the standardised statistics; and the number of features they give."""
    layers, n_inputs = [], n_statistics
    for i in range(shape.depth):
        layers += [nn.Linear(n_inputs, shape.width), _norm(nn.BatchNorm1d, shape.width, shape.batch_norm), nn.ReLU()]
        if i < shape.depth - 1:
            layers.append(nn.Dropout(shape.dropout))
        n_inputs = shape.width
    return nn.Sequential(*layers), shape.width


class ConvNet(nn.Module):
    """Convolutions (3x3), batch normalisation, ReLU and max pooling, then dropout and dense layers."""

    def __init__(self, n_outputs, shape):
        super().__init__()
        self.features, n_features = _image_features(shape)
        self.head = _dense_head(n_features, n_outputs, shape)

    def forward(self, x, statistics):
        return self.head(self.features(x))


class StatisticsNet(nn.Module):
    """Dense layers on the summary statistics alone: what ABC sees, as a network."""

    def __init__(self, n_outputs, n_statistics, shape):
        super().__init__()
        self.features, n_features = _statistics_features(n_statistics, shape)
        self.head = _dense_head(n_features, n_outputs, shape)

    def forward(self, x, statistics):
        return self.head(self.features(statistics))


class HybridNet(nn.Module):
    """The convolutional network's image features and the statistics' dense layers, joined before
    the dense head: what the genotypes add to the statistics."""

    def __init__(self, n_outputs, n_statistics, shape):
        super().__init__()
        self.image, n_image = _image_features(shape)
        self.statistics, n_statistics_features = _statistics_features(n_statistics, shape)
        self.head = _dense_head(n_image + n_statistics_features, n_outputs, shape)

    def forward(self, x, statistics):
        return self.head(torch.cat([self.image(x), self.statistics(statistics)], dim=1))

    @torch.no_grad()
    def start_from(self, statistics_net):
        """Take the layers of a trained :class:`StatisticsNet` of the same shape, and give the image's
        features no weight in the head: the hybrid answers as that network does until training
        finds what the genotypes add to the statistics."""
        self.statistics.load_state_dict(statistics_net.features.state_dict())
        head, trained = self.head.state_dict(), statistics_net.head.state_dict()
        joined = "2.weight"  # the head's first dense layer (see _dense_head), which reads both inputs
        n_image = head[joined].shape[1] - trained[joined].shape[1]
        head[joined][:, :n_image] = 0.0
        head[joined][:, n_image:] = trained[joined]
        head.update({name: value for name, value in trained.items() if name != joined})
        self.head.load_state_dict(head)


class ExchangeableNet(nn.Module):
    """Filters along each haplotype (1 x 5 convolutions: the same for every row), then the mean
    and the maximum over the haplotypes of each population, then dense layers.

    Row order within a population cannot change the output; populations keep their identity.
    """

    def __init__(self, n_outputs, population_sizes, shape):
        super().__init__()
        self.population_sizes = list(population_sizes)
        layers, channels = [], 2
        for i, width in enumerate(shape.filters):
            layers += _conv_block(
                channels, width, (1, 5), (1, 2) if i < len(shape.filters) - 1 else 1, shape.batch_norm
            )
            channels = width
        self.rows = nn.Sequential(*layers)
        self.snps = nn.AdaptiveAvgPool1d(8)
        self.head = _dense_head(channels * 2 * len(self.population_sizes) * 8, n_outputs, shape)

    def forward(self, x, statistics):
        per_row = self.rows(x)  # (batch, channels, haplotypes, snps)
        pooled = []
        for population in torch.split(per_row, self.population_sizes, dim=2):
            pooled += [population.mean(dim=2), population.amax(dim=2)]
        return self.head(self.snps(torch.cat(pooled, dim=1)))


@dataclass(frozen=True)
class Shape:
    """What a network's layers are: convolution filters per layer, dense width, dense layers on
    the statistics (depth), dropout, and whether layers are batch-normalised."""

    filters: tuple = (8, 16, 16)
    width: int = 128
    depth: int = 2
    dropout: float = 0.5
    batch_norm: bool = True
    locus_tiles: int = 1  # tiles of separate loci, read one by one (see PerTile)


def network(architecture, n_outputs, shape, population_sizes, n_statistics=0):
    """The network named ``architecture`` (one of ARCHITECTURES), its layers as ``shape`` says."""
    if architecture in READS_STATISTICS and n_statistics == 0:
        raise ValueError(f"the {architecture} network reads summary statistics, and was given none")
    if architecture == "cnn":
        return ConvNet(n_outputs, shape)
    if architecture == "exchangeable":
        return ExchangeableNet(n_outputs, population_sizes, shape)
    if architecture == "mlp":
        return StatisticsNet(n_outputs, n_statistics, shape)
    if architecture == "hybrid":
        return HybridNet(n_outputs, n_statistics, shape)
    raise ValueError(f"unknown architecture {architecture!r}; expected one of {', '.join(ARCHITECTURES)}")
