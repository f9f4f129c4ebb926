"""msprime simulations, neutral or with a sweep, and their haplotypes."""

import msprime
import numpy as np

from popsbi.genotypes import Genotypes
from popsbi.seeds import ancestry_and_mutation_seeds


def demography(graph):
    """The msprime demography of a resolved Demes graph."""
    return msprime.Demography.from_demes(graph)


def simulate(demography, samples, sequence_length, mutation_rate, recombination, seed, model=None):
    """One tree sequence with mutations.

    ``samples`` maps deme name -> number of diploid individuals sampled at time 0;
    ``recombination`` is a per-bp rate or an :class:`msprime.RateMap`; ``model`` is
    msprime's ancestry model (None: the standard coalescent; see :func:`hard_sweep`).
    Mutations follow a binary model (0 = ancestral, 1 = derived) on a discrete genome,
    so every site is a biallelic SNP as in a filtered VCF.
    """
    ancestry_seed, mutation_seed = ancestry_and_mutation_seeds(seed)
    ts = msprime.sim_ancestry(
        samples=samples,
        demography=demography,
        sequence_length=sequence_length,
        recombination_rate=recombination,
        model=model,
        ploidy=2,
        random_seed=ancestry_seed,
    )
    return msprime.sim_mutations(ts, rate=mutation_rate, model=msprime.BinaryMutationModel(), random_seed=mutation_seed)


def hard_sweep(position, population_size, s, time_since_fixation):
    """msprime's ancestry model of a hard sweep at ``position`` (from frequency 1/2N to 1 - 1/2N)
    that fixed ``time_since_fixation`` generations ago, in a deme of constant ``population_size``.

    ``s`` is msprime's selection coefficient, half of discoal's (msprime issue 1718).
    """
    sweep = msprime.SweepGenicSelection(
        position=position,
        start_frequency=1 / (2 * population_size),
        end_frequency=1 - 1 / (2 * population_size),
        s=s,
        dt=1e-6,
    )
    return [msprime.StandardCoalescent(duration=time_since_fixation), sweep, msprime.StandardCoalescent()]


def partial_sweep(position, population_size, s, end_frequency):
    """msprime's ancestry model of a sweep at ``position`` from frequency 1/2N that has reached
    ``end_frequency`` at the time of sampling, in a deme of constant ``population_size``."""
    sweep = msprime.SweepGenicSelection(
        position=position, start_frequency=1 / (2 * population_size), end_frequency=end_frequency, s=s, dt=1e-6
    )
    return [sweep, msprime.StandardCoalescent()]


def genotypes_from_tree_sequence(ts, populations, polarised):
    """Haplotypes of ``ts`` with populations in the order of ``populations`` (deme names).

    Simulated alleles are always ancestral (0) / derived (1); ``polarised=False`` makes
    them summarised as unpolarised observed data are (folded spectra).
    """
    ids = {pop.metadata["name"]: pop.id for pop in ts.populations()}
    nodes = ts.samples()
    node_population = ts.nodes_population[nodes]
    return Genotypes(
        haplotypes=ts.genotype_matrix().astype(np.int8, copy=False),
        # msprime's discrete genome uses 0-based positions; features use 1-based ones, as VCF.
        positions=ts.sites_position.astype(np.int64) + 1,
        populations={name: np.flatnonzero(node_population == ids[name]) for name in populations},
        sequence_length=int(ts.sequence_length),
        polarised=polarised,
    )
