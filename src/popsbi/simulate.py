"""msprime simulations, neutral or with a sweep, fwdpy11 sweeps from standing variation, and their
haplotypes."""

import math
from dataclasses import dataclass

import demes
import msprime
import numpy as np

from popsbi.errors import SimulationError
from popsbi.genotypes import Genotypes
from popsbi.seeds import ancestry_and_mutation_seeds, locus_seed


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


@dataclass(frozen=True)
class Loci:
    """Independent loci of ``lengths`` bp, one msprime call each.

    Separate calls are as fast as one call of unlinked loci for a few long loci and far faster for
    many short ones (in msprime 1.4.4, 100 loci of 10 kb: 0.13 s against 1.6 s). Locus 0 takes the
    simulation's seed, so that a single region simulates as it always has; locus k the seed
    :func:`popsbi.seeds.locus_seed` derives from it.
    """

    lengths: tuple

    def simulate(self, demography, samples, mutation_rate, recombinations, seed):
        """Each locus's tree sequence with mutations; ``recombinations`` holds each locus's rate or RateMap."""
        return [
            simulate(demography, samples, length, mutation_rate, recombination, locus_seed(seed, k))
            for k, (length, recombination) in enumerate(zip(self.lengths, recombinations, strict=True))
        ]


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
    node_population = ts.nodes_population[ts.samples()]
    return _genotypes(ts, {name: np.flatnonzero(node_population == ids[name]) for name in populations}, polarised)


def genotypes_of_one_deme(ts, name, polarised):
    """Haplotypes of ``ts``, every sample in the deme ``name`` (a forward simulation's output)."""
    return _genotypes(ts, {name: np.arange(ts.num_samples)}, polarised)


def _genotypes(ts, populations, polarised):
    return Genotypes(
        haplotypes=ts.genotype_matrix().astype(np.int8, copy=False),
        # msprime's discrete genome uses 0-based positions; features use 1-based ones, as VCF.
        positions=ts.sites_position.astype(np.int64) + 1,
        populations=populations,
        sequence_length=int(ts.sequence_length),
        polarised=polarised,
    )


def scaled_graph(graph, factor):
    """A Demes graph with sizes and times divided by ``factor`` and migration rates multiplied by it:
    the same coalescent in ``factor`` times fewer individuals and generations (the usual scaling of
    forward simulations, with s, r and mu multiplied by ``factor``)."""
    data = graph.asdict()
    for deme in data["demes"]:
        deme["start_time"] = deme["start_time"] / factor
        for epoch in deme["epochs"]:
            for field in ("start_size", "end_size", "end_time"):
                epoch[field] = epoch[field] / factor
    for migration in data.get("migrations", []):
        migration.update(rate=migration["rate"] * factor, start_time=migration["start_time"] / factor)
        migration["end_time"] = migration["end_time"] / factor
    for pulse in data.get("pulses", []):
        pulse["time"] = pulse["time"] / factor
    return demes.Graph.fromdict(data)


def sweep_duration(s, population_size, start_frequency):
    """Generations for a genic sweep of msprime's ``s`` (fitnesses 1, 1 + s/2, 1 + s: the allele's
    frequency grows logistically at rate s/2) to go from ``start_frequency`` to 1 - 1/2N."""
    end = 1 - 1 / (2 * population_size)
    return 2 * math.log(end / (1 - end) * (1 - start_frequency) / start_frequency) / s


@dataclass(frozen=True)
class Sweep:
    """A sweep at ``position`` of selection coefficient ``s`` (msprime's), from ``start_frequency``
    (None: one copy, 1/2N) to fixation ``time_since_fixation`` generations ago."""

    position: int
    s: float
    start_frequency: float | None
    time_since_fixation: float


def forward_sweep(graph, population, individuals, length, mutation_rate, recombination_rate, sweep, seed, scaling):
    """A tree sequence with mutations of ``individuals`` diploids of ``population`` (a deme of the
    resolved Demes ``graph``, constant in size over the sweep), in which a selected allele at
    ``sweep.position`` swept from frequency ``sweep.start_frequency`` (standing variation; 1/2N:
    a new mutation) to fixation, ``sweep.time_since_fixation`` generations ago, with genic
    selection ``sweep.s`` (msprime's s: fitnesses 1, 1 + s/2, 1 + s, as msprime's sweeps).

    msprime simulates the ancestry of the whole deme at the sweep's expected start under the
    graph; fwdpy11 then adds the selected allele to lineages at that frequency and runs forward,
    repeating until the allele fixes. Everything is scaled by ``scaling`` (N / scaling diploids,
    s, r and mu times scaling, generations / scaling), as forward simulations usually are.
    """
    import fwdpy11  # a compiled forward simulator, slow to import: only where soft sweeps are simulated
    from fwdpy11 import conditional_models as conditional

    q = scaling
    size = graph[population].epochs[-1].end_size
    diploids = int(round(size / q))
    start = sweep.start_frequency or 1 / (2 * size)
    began = (sweep.time_since_fixation + sweep_duration(sweep.s, size, start)) / q
    streams = np.random.SeedSequence(int(seed)).spawn(3)
    rng = np.random.default_rng(streams[0])
    allele = conditional.NewMutationParameters(
        # Copies within 20% of the start frequency (fwdpy11's FrequencyRange counts N, not 2N, copies).
        frequency=conditional.AlleleCount(1)
        if sweep.start_frequency is None
        else conditional.AlleleCountRange(
            minimum=max(1, int(0.8 * start * 2 * diploids)), maximum=max(1, int(1.2 * start * 2 * diploids))
        ),
        position=conditional.PositionRange(left=float(sweep.position), right=float(sweep.position) + 1),
        # fwdpy11's Multiplicative(2) with effect e: fitnesses 1, 1 + e, (1 + e)^2; e = s/2 gives msprime's sweep.
        data=fwdpy11.NewMutationData(effect_size=sweep.s * q / 2, dominance=1),
    )
    constant = demes.Builder(time_units="generations")
    constant.add_deme(population, epochs=[{"start_size": diploids}])
    constant = constant.resolve()

    def forward(until, generations):
        """fwdpy11's parameters of ``generations`` at the constant size, ending at generation ``until``."""
        return fwdpy11.ModelParams(
            recregions=[fwdpy11.PoissonInterval(0, length, recombination_rate * q * length)],
            rates=(0, 0, None),
            gvalue=fwdpy11.Multiplicative(2.0),
            demography=fwdpy11.ForwardDemesGraph.from_demes(constant, burnin=until, burnin_is_exact=True),
            simlen=generations,
        )

    longest = int(20 * sweep_duration(sweep.s * q, diploids, start)) + 100
    until_fixation = forward(longest, longest)
    before = msprime.Demography.from_demes(scaled_graph(graph, q))
    for _ in range(100):  # a new ancestry when no lineage carries the start frequency
        ancestry = msprime.sim_ancestry(
            samples=[msprime.SampleSet(diploids, population=population, time=began)],
            demography=before,
            sequence_length=length,
            recombination_rate=recombination_rate * q,
            # continuous breakpoints, as fwdpy11's: none falls on the selected site's edges
            discrete_genome=False,
            random_seed=int(rng.integers(1, 2**31)),
        )
        tables = ancestry.dump_tables()
        tables.nodes.time = tables.nodes.time - began
        tables.nodes.population = np.zeros(tables.nodes.num_rows, dtype=np.int32)
        tables.migrations.clear()
        pop = fwdpy11.DiploidPopulation.create_from_tskit(tables.tree_sequence())
        forward_rng = fwdpy11.GSLrng(int(rng.integers(1, 2**31)))
        try:
            out = conditional.selective_sweep(
                forward_rng,
                pop,
                until_fixation,
                allele,
                conditional.GlobalFixation(),
                return_when_stopping_condition_met=True,
            )
            break
        except conditional.AddMutationFailure:
            continue
    else:
        raise SimulationError(f"no ancestry had lineages at the sweep's start frequency {start:g} in 100 tries")
    pop = out.pop
    since = int(round(sweep.time_since_fixation / q))
    if since:
        fwdpy11.evolvets(forward_rng, pop, forward(pop.generation + since, since), simplification_interval=100)
    ts = pop.dump_tables_to_tskit()
    alive = ts.samples()[ts.nodes_time[ts.samples()] == 0]
    chosen = np.random.default_rng(streams[1]).choice(np.unique(alive // 2), individuals, replace=False)
    ts = ts.simplify(samples=np.sort(np.concatenate([2 * chosen, 2 * chosen + 1])))
    return msprime.sim_mutations(
        ts,
        rate=mutation_rate * q,
        model=msprime.BinaryMutationModel(),
        keep=False,
        random_seed=int(np.random.default_rng(streams[2]).integers(1, 2**31)),
    )
