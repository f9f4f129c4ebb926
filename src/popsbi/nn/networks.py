"""The networks, on two-channel genotype images (alleles, inter-SNP distances).

``cnn``, a plain convolutional network, and ``exchangeable``, which applies the same
filters to every haplotype and pools symmetrically over the haplotypes of each
population, so that their order cannot matter (Chan et al. 2018; Sanchez et al. 2021).
"""

import torch
from torch import nn

ARCHITECTURES = ("cnn", "exchangeable")


def as_channels(images, distances):
    """(batch, 2, haplotypes, snps) float tensor from uint8 images and per-SNP distances, built on
    the device so that the loader moves a quarter of the bytes."""
    alleles = images.float()
    return torch.stack([alleles, distances[:, None, :].expand_as(alleles)], dim=1)


def _conv_block(in_channels, out_channels, kernel, pool):
    padding = tuple(k // 2 for k in kernel)
    return [
        nn.Conv2d(in_channels, out_channels, kernel, padding=padding),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
        nn.MaxPool2d(pool),
    ]


def _dense_head(n_inputs, n_outputs, dropout, width=128):
    return nn.Sequential(
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(n_inputs, width),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(width, n_outputs),
    )


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


def network(architecture, n_outputs, filters, dropout, population_sizes):
    """The network named ``architecture`` (one of ARCHITECTURES)."""
    if architecture == "cnn":
        return ConvNet(n_outputs, filters, dropout)
    if architecture == "exchangeable":
        return ExchangeableNet(n_outputs, filters, dropout, population_sizes)
    raise ValueError(f"unknown architecture {architecture!r}; expected one of {', '.join(ARCHITECTURES)}")
