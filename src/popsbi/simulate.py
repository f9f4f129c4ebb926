"""msprime simulations of one scenario's parameter sets."""

import msprime
import numpy as np

from popsbi.genotypes import Genotypes


def ancestry_and_mutation_seeds(seed):
    """Two seeds in msprime's range [1, 2**32) derived from a simulation's seed."""
    return [int(s) % (2**32 - 1) + 1 for s in np.random.SeedSequence(int(seed)).generate_state(2)]


def simulate(graph, samples, sequence_length, mutation_rate, recombination, seed):
    """One tree sequence with mutations.

    ``samples`` maps deme name -> number of diploid individuals sampled at time 0;
    ``recombination`` is a per-bp rate or an :class:`msprime.RateMap`.
    Mutations follow a binary model (0 = ancestral, 1 = derived) on a discrete genome,
    so every site is a biallelic SNP as in a filtered VCF.
    """
    ancestry_seed, mutation_seed = ancestry_and_mutation_seeds(seed)
    ts = msprime.sim_ancestry(
        samples=samples,
        demography=msprime.Demography.from_demes(graph),
        sequence_length=sequence_length,
        recombination_rate=recombination,
        ploidy=2,
        random_seed=ancestry_seed,
    )
    return msprime.sim_mutations(
        ts, rate=mutation_rate, model=msprime.BinaryMutationModel(), random_seed=mutation_seed
    )


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
