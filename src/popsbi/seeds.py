"""Every random stream derives from the master seed and a label, so that results are
reproducible from the config alone and adding a stream leaves the others as they were."""

import zlib

import numpy as np


def seed_sequence(seed, label):
    """SeedSequence of the stream ``label`` (a scenario, a sweep class...) of ``seed``."""
    return np.random.SeedSequence([int(seed), zlib.crc32(label.encode())])


def rng(seed, label, *extra):
    """Generator of the stream ``label`` of ``seed``; ``extra`` integers split it further."""
    return np.random.default_rng([seed, zlib.crc32(label.encode()), *extra])


def ancestry_and_mutation_seeds(seed):
    """Two seeds in msprime's range [1, 2**32) derived from a simulation's seed."""
    return [int(s) % (2**32 - 1) + 1 for s in np.random.SeedSequence(int(seed)).generate_state(2)]


def locus_seed(seed, locus):
    """The seed of part number ``locus`` of a simulation (a locus, or a group of loci simulated
    together): the simulation's own for part 0."""
    if locus == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), locus]).generate_state(1)[0]) + 1
