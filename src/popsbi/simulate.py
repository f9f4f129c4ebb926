"""msprime simulations, neutral or with a sweep, fwdpy11 sweeps from standing variation, and their
haplotypes."""

import math
from dataclasses import dataclass

import demes
import msprime
import numpy as np

from popsbi.errors import ScenarioError, SimulationError
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
    """Independent loci of ``lengths`` bp.

    A single region is one msprime call with the simulation's seed, as it always was. Several loci
    are replicates of msprime calls (:meth:`_replicates`): about 1 ms of every call is msprime's
    set-up, more than a short locus's own simulation, and one call of loci unlinked by a
    recombination rate of ln 2 between them grows with the square of their number (in msprime
    1.4.4, 100 loci of 10 kb: 1.6 s against 0.13 s as separate calls).
    """

    lengths: tuple

    def simulate(self, demography, samples, mutation_rate, recombinations, seed):
        """A tree sequence with mutations of the loci laid end to end, in order (:meth:`genotypes`
        cuts it back into loci). ``recombinations`` holds each locus's rate or RateMap."""
        if len(self.lengths) == 1:
            return simulate(demography, samples, self.lengths[0], mutation_rate, recombinations[0], seed)
        return self._replicates(demography, samples, mutation_rate, recombinations, seed)

    def genotypes(self, ts, populations, polarised):
        """Each locus's haplotypes (see :func:`genotypes_from_tree_sequence`) in :meth:`simulate`'s
        tree sequence."""
        ends = np.cumsum(self.lengths)
        starts = ends - np.asarray(self.lengths)
        whole = genotypes_from_tree_sequence(ts, populations, polarised)
        bounds = np.searchsorted(whole.positions, np.append(starts, ends[-1]), side="right")
        return [
            Genotypes(
                whole.haplotypes[bounds[k] : bounds[k + 1]],
                whole.positions[bounds[k] : bounds[k + 1]] - start,
                whole.populations,
                length,
                polarised,
            )
            for k, (start, length) in enumerate(zip(starts, self.lengths))
        ]

    def _replicates(self, demography, samples, mutation_rate, recombinations, seed):
        """One tree sequence of every locus, laid end to end.

        Loci whose genetic lengths are within a factor of 2 are replicates of one msprime call, in
        genetic units (a continuous genome whose length is the longest locus's, in Morgans); each
        locus keeps the first stretch of its replicate, as long as its own genetic length (the
        ancestry of part of a sequence is that of the part alone), mapped back to bp along its own
        map, with breakpoints rounded to whole bp as on a discrete genome. Mutations are thrown once,
        on the loci together.
        """
        lengths = np.asarray(self.lengths)
        offsets = np.cumsum([0, *lengths])
        # the loci's maps laid end to end: bp, and Morgans, from the first locus's start
        positions, cumulative = zip(*(_map_points(*locus) for locus in zip(lengths, recombinations, strict=True)))
        genetic = np.array([points[-1] for points in cumulative])
        genetic_offsets = np.cumsum([0, *genetic])
        whole_bp = np.concatenate([points + offset for points, offset in zip(positions, offsets)])
        whole_morgans = np.concatenate([points + offset for points, offset in zip(cumulative, genetic_offsets)])
        order, replicates, unit = [], [], np.zeros(len(lengths))
        for number, group in enumerate(_like_lengths(genetic)):
            unit[group] = genetic[group].max()
            order.extend(group)
            replicates.extend(
                msprime.sim_ancestry(
                    samples=samples,
                    demography=demography,
                    sequence_length=1,
                    recombination_rate=unit[group[0]],
                    discrete_genome=False,
                    ploidy=2,
                    num_replicates=len(group),
                    random_seed=ancestry_and_mutation_seeds(locus_seed(seed, number + 1))[0],
                )
            )
        tables = replicates[0].dump_tables()
        n_samples = replicates[0].num_samples
        tables.nodes.truncate(n_samples)
        # every replicate's own nodes follow the samples, which the replicates share
        new_nodes = np.array([ts.num_nodes - n_samples for ts in replicates])
        first_node = n_samples + np.cumsum([0, *new_nodes[:-1]])
        tables.nodes.append_columns(
            flags=np.zeros(new_nodes.sum(), dtype=np.uint32),
            time=np.concatenate([ts.nodes_time[n_samples:] for ts in replicates]),
            population=np.concatenate([ts.nodes_population[n_samples:] for ts in replicates]),
            individual=np.full(new_nodes.sum(), -1, dtype=np.int32),
        )
        edges = np.array([ts.num_edges for ts in replicates])
        locus = np.repeat(order, edges)
        share = np.divide(genetic, unit, out=np.ones(len(lengths)), where=unit > 0)[locus]
        left = np.concatenate([ts.edges_left for ts in replicates])
        right = np.minimum(np.concatenate([ts.edges_right for ts in replicates]), share)

        def bp(units):
            """Rounded bp, along the loci laid end to end, of points of the loci's replicates."""
            out = np.interp(genetic_offsets[locus] + units * unit[locus], whole_morgans, whole_bp)
            out[units == 0] = offsets[locus][units == 0]
            out[units >= share] = offsets[locus + 1][units >= share]
            return np.rint(out)

        left, right = bp(left), bp(right)
        keep = right > left  # edges past a locus's stretch, or shorter than a bp
        edge_first_node = np.repeat(first_node, edges)

        def renumbered(nodes):
            return np.where(nodes < n_samples, nodes, nodes - n_samples + edge_first_node).astype(np.int32)[keep]

        tables.edges.set_columns(
            left=left[keep],
            right=right[keep],
            parent=renumbered(np.concatenate([ts.edges_parent for ts in replicates])),
            child=renumbered(np.concatenate([ts.edges_child for ts in replicates])),
        )
        tables.sequence_length = offsets[-1]
        tables.sort()
        return msprime.sim_mutations(
            tables.tree_sequence(),
            rate=mutation_rate,
            model=msprime.BinaryMutationModel(),
            random_seed=ancestry_and_mutation_seeds(seed)[1],
        )


def _map_points(length, recombination):
    """(bp, Morgans from the start) at the change points of a locus's map (a per-bp rate or a
    RateMap; missing stretches recombine at rate 0)."""
    if not isinstance(recombination, msprime.RateMap):
        return np.array([0.0, length]), np.array([0.0, recombination * length])
    mass = np.nan_to_num(recombination.rate) * recombination.span
    return recombination.position, np.concatenate([[0.0], np.cumsum(mass)])


def _like_lengths(genetic):
    """Loci (indices) in groups whose genetic lengths are within a factor of 2, shortest first."""
    groups = []
    for locus in np.argsort(genetic, kind="stable"):
        if groups and genetic[locus] <= 2 * genetic[groups[-1][0]]:
            groups[-1].append(locus)
        else:
            groups.append([locus])
    return groups


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


def sweep_duration(s, population_size, start_frequency, end_frequency=None):
    """Generations for a genic sweep of msprime's ``s`` (fitnesses 1, 1 + s/2, 1 + s: the allele's
    frequency grows logistically at rate s/2) to go from ``start_frequency`` to ``end_frequency``
    (None: 1 - 1/2N)."""
    end = end_frequency or 1 - 1 / (2 * population_size)
    return 2 * math.log(end / (1 - end) * (1 - start_frequency) / start_frequency) / s


def deme_size_at(graph, population, time):
    """The size of deme ``population`` of a resolved Demes graph ``time`` generations ago (sizes
    change exponentially within an epoch, as in Demes)."""
    for epoch in graph[population].epochs:
        if epoch.end_time <= time < epoch.start_time or time == epoch.end_time == 0:
            if math.isinf(epoch.start_time) or epoch.start_size == epoch.end_size:
                return epoch.start_size
            elapsed = (epoch.start_time - time) / (epoch.start_time - epoch.end_time)
            return epoch.start_size * (epoch.end_size / epoch.start_size) ** elapsed
    raise ScenarioError(f"{population} does not exist {time:g} generations ago")


def size_changes_within(graph, population, time):
    """Whether the deme's size changes between ``time`` generations ago and the present."""
    size = graph[population].epochs[-1].end_size
    return any(
        epoch.end_time < time and (epoch.start_size != size or epoch.end_size != size)
        for epoch in graph[population].epochs
    )


def recent_history(graph, population, began):
    """A one-deme Demes graph of ``population``'s sizes from ``began`` (whole) generations ago to the
    present, at its size then before: what a forward simulation that starts then runs through. ScenarioError
    if the deme exchanges migrants with another one over that time (forward sweeps model the deme
    alone)."""
    for migration in graph.migrations:
        if population in (migration.source, migration.dest) and migration.end_time < began:
            raise ScenarioError(
                f"{population} exchanges migrants with another deme less than {began:.0f} generations ago, "
                "within the time of a sweep; forward sweeps simulate the sampled deme alone"
            )
    for pulse in graph.pulses:
        if population in (*pulse.sources, pulse.dest) and pulse.time < began:
            raise ScenarioError(
                f"{population} takes part in a pulse {pulse.time:g} generations ago, within the time of a sweep; "
                "forward sweeps simulate the sampled deme alone"
            )
    # Whole generations, as the forward simulation runs: no epoch rounds to nothing.
    epochs = [{"start_size": deme_size_at(graph, population, began), "end_time": began}]
    for epoch in graph[population].epochs:
        end = round(epoch.end_time)
        if end < began:
            start = min(epoch.start_time, began)
            first = epoch.start_size if start == epoch.start_time else deme_size_at(graph, population, start)
            epochs.append({"start_size": first, "end_size": epoch.end_size, "end_time": end})
    builder = demes.Builder(time_units="generations")
    builder.add_deme(population, epochs=epochs)
    return builder.resolve()


@dataclass(frozen=True)
class Sweep:
    """A sweep at ``position`` of selection coefficient ``s`` (msprime's), from ``start_frequency``
    (None: one new copy, 1/2N) to fixation ``time_since_fixation`` generations ago, or, when
    ``end_frequency`` is given, still rising and at that frequency now (a partial sweep).

    A forward run of a partial sweep aims at ``end_frequency`` and keeps a run whose frequency now is
    within ``end_frequencies`` (lowest, highest; None: within 0.05 of ``end_frequency``): drift
    spreads the frequency that runs started at one time reach, and a run is repeated until it lands
    there.
    """

    position: int
    s: float
    start_frequency: float | None
    time_since_fixation: float | None
    end_frequency: float | None = None
    end_frequencies: tuple | None = None

    #: How far from ``end_frequency`` a forward run may end where no ``end_frequencies`` are given.
    TOLERANCE = 0.05

    def accepted_now(self):
        """The (lowest, highest) frequency now at which a forward run of this partial sweep is kept."""
        if self.end_frequencies is not None:
            return tuple(self.end_frequencies)
        return self.end_frequency - self.TOLERANCE, self.end_frequency + self.TOLERANCE

    def began(self, size):
        """Generations ago that the sweep's deterministic trajectory starts (as msprime's does from
        1/2N), in a deme of ``size`` diploids."""
        start = self.start_frequency or 1 / (2 * size)
        return (self.time_since_fixation or 0) + sweep_duration(self.s, size, start, self.end_frequency)

    def expected_start(self, size, scaling):
        """Generations ago that the sweep is expected to start in a forward run scaled by ``scaling``
        (its generations): a new copy that escapes loss grows as if it had started deterministically
        from about 1/(2Ns) (Ns >> 1), its logit growing :func:`forward_logit_growth` a generation."""
        start = self.start_frequency or min(0.5, 1 / (2 * size * self.s))
        logit_change = sweep_duration(self.s, size, start, self.end_frequency) * self.s / 2
        return (self.time_since_fixation or 0) / scaling + logit_change / forward_logit_growth(self.s * scaling)


def forward_logit_growth(s):
    """The growth a generation of a selected allele's logit in a forward run of msprime's ``s``
    (fitnesses 1, 1 + s/2, (1 + s/2)^2: the allele's odds grow by 1 + s/2): ln(1 + s/2), slower
    than msprime's continuous s/2 by a fifth when scaling makes s near 1."""
    return math.log1p(s / 2)


def forward_scaling_for(size_now, s, least, diploids):
    """The scaling of a forward run of a sweep of msprime's ``s`` in a deme of ``size_now`` diploids
    today: at least ``least``, and more where that leaves more than ``diploids`` today (the cost of a
    run is that of its largest, most recent generations), as long as s times the scaling stays at
    most 1 (heterozygotes' fitness at most 1.5, as the strongest sweep of the default prior at the
    default scaling of 10); whole, as generations are."""
    return max(least, min(math.floor(size_now / diploids), math.floor(1 / s)))


def forward_sweep(graph, population, individuals, length, mutation_rate, recombination_rate, sweep, seed, scaling):
    """A tree sequence with mutations of ``individuals`` diploids of ``population`` (a deme of the
    resolved Demes ``graph``) in which a selected allele at ``sweep.position`` swept (see
    :class:`Sweep`), with genic selection ``sweep.s`` (msprime's s: fitnesses 1, 1 + s/2, 1 + s, as
    msprime's sweeps).

    msprime simulates the ancestry of the whole deme at the sweep's start under the graph; fwdpy11
    then adds the selected allele to lineages at the start frequency and runs forward:

    - a complete sweep in a deme of constant size over it runs until the allele fixes,
      ``time_since_fixation`` generations ago (the age is exact; repeated until the allele fixes);
    - otherwise (a partial sweep, or a size change over the sweep) the run follows the deme's sizes
      from the sweep's expected start (:meth:`Sweep.expected_start`) to the present, and is repeated
      until the allele has fixed by the present (its age is then what the run gives, about
      ``time_since_fixation``) or, for a partial sweep, is at a frequency now within
      :meth:`Sweep.accepted_now`.

    A fixed allele leaves the deme neutral: the generations from its fixation to the present are
    msprime's coalescent, grafted on the forward run's genomes (:func:`_sampled_after`).

    Everything is scaled by ``scaling`` (N / scaling diploids, s, r and mu times scaling, generations
    / scaling), as forward simulations usually are.

    Returns the tree sequence and the selected allele's frequency in the deme now (1 once fixed).
    """
    import fwdpy11  # a compiled forward simulator, slow to import: only where forward sweeps are simulated
    from fwdpy11 import conditional_models as conditional

    q = scaling
    size = graph[population].epochs[-1].end_size
    start = sweep.start_frequency or 1 / (2 * size)
    timed = sweep.end_frequency is not None or size_changes_within(graph, population, sweep.began(size))
    scaled = scaled_graph(graph, q)
    streams = np.random.SeedSequence(int(seed)).spawn(3)
    rng = np.random.default_rng(streams[0])

    def forward(history, until, generations):
        """fwdpy11's parameters of ``generations`` of ``history``, ending at generation ``until``."""
        return fwdpy11.ModelParams(
            recregions=[fwdpy11.PoissonInterval(0, length, recombination_rate * q * length)],
            rates=(0, 0, None),
            gvalue=fwdpy11.Multiplicative(2.0),
            demography=fwdpy11.ForwardDemesGraph.from_demes(
                history, burnin=until, burnin_is_exact=True, round_non_integer_sizes=True
            ),
            simlen=generations,
        )

    if not timed:
        constant = demes.Builder(time_units="generations")
        constant.add_deme(population, epochs=[{"start_size": int(round(size / q))}])
        constant = constant.resolve()

    def model(began):
        """(diploids at the start, the run's parameters, its stopping condition) from ``began``."""
        if timed:  # from the history's one event, its start, to the present
            history = recent_history(scaled, population, began)
            diploids = round(history[population].epochs[0].start_size)
            if sweep.end_frequency is None:
                return diploids, forward(history, 0, began), _FixedBy(began)
            condition = _FrequencyNow(began, sweep.accepted_now(), forward_logit_growth(sweep.s * q))
            return diploids, forward(history, 0, began), condition
        diploids = int(round(size / q))
        longest = int(20 * sweep_duration(sweep.s * q, diploids, start)) + 100  # until fixation
        return diploids, forward(constant, longest, longest), conditional.GlobalFixation()

    if timed:
        began = sweep.expected_start(size, q)
        if sweep.end_frequency is not None:
            # A new copy's start frequency, 1/(2Ns), is that of the deme's size when it arises, not
            # today's: under growth, later. Only where the run must land at a frequency: a complete
            # sweep that starts later fixes late more often, and every late run is repeated whole.
            for _ in range(3):
                began = sweep.expected_start(deme_size_at(graph, population, began * q), q)
        began = max(1, round(began))
    else:
        began = (sweep.time_since_fixation + sweep_duration(sweep.s, size, start)) / q
    before = msprime.Demography.from_demes(scaled)
    for _ in range(100):  # a new ancestry when no lineage carries the start frequency, or after many tries
        diploids, params, condition = model(began)
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
        fewest = max(1, int(0.8 * start * 2 * diploids))
        forward_rng = fwdpy11.GSLrng(int(rng.integers(1, 2**31)))
        allele = conditional.NewMutationParameters(
            # Copies within 20% of the start frequency (fwdpy11's FrequencyRange counts N, not 2N, copies),
            # one or two where the deme is too small for that (a bottleneck, scaled); fwdpy11 wants two bounds.
            frequency=conditional.AlleleCount(1)
            if sweep.start_frequency is None
            else conditional.AlleleCountRange(minimum=fewest, maximum=max(fewest + 1, int(1.2 * start * 2 * diploids))),
            position=conditional.PositionRange(left=float(sweep.position), right=float(sweep.position) + 1),
            # fwdpy11's Multiplicative(2) with effect e: fitnesses 1, 1 + e, (1 + e)^2; e = s/2 gives msprime's sweep.
            data=fwdpy11.NewMutationData(effect_size=sweep.s * q / 2, dominance=1),
        )
        try:
            out = conditional.selective_sweep(
                forward_rng, pop, params, allele, condition, return_when_stopping_condition_met=True
            )
            break
        except conditional.AddMutationFailure:
            continue
        except _TooManyTries:
            # The expected start is only a guess where drift is strong (a bottleneck): move it.
            began = max(1, round(began * (0.8 if condition.early > condition.late else 1.25)))
    else:
        raise SimulationError(
            f"no forward run of a sweep (s = {sweep.s:g}, from {start:g}) met its condition in 100 ancestries"
        )
    rest = began - out.pop.generation if timed else int(round(sweep.time_since_fixation / q))
    frequency_now = condition.reached if sweep.end_frequency is not None else 1.0
    ts = _sampled_after(
        _genealogy(out.pop),
        rest,
        before,
        population,
        individuals,
        recombination_rate * q,
        np.random.default_rng(streams[1]),
    )
    mutated = msprime.sim_mutations(
        ts,
        rate=mutation_rate * q,
        model=msprime.BinaryMutationModel(),
        keep=False,
        random_seed=int(np.random.default_rng(streams[2]).integers(1, 2**31)),
    )
    return mutated, frequency_now


def _genealogy(pop):
    """The nodes and edges of a fwdpy11 population's genealogy as a tree sequence, times in
    generations before the run's end, the living genomes its samples (individual i: nodes 2i and
    2i + 1). fwdpy11's own ``dump_tables_to_tskit`` also writes every living individual's metadata,
    validated row by row: most of a run's cost in the 10^4-10^5 diploids of a growing history."""
    import tskit

    nodes = np.array(pop.tables.nodes, copy=True)
    edges = np.array(pop.tables.edges, copy=False)
    tables = tskit.TableCollection(pop.tables.genome_length)
    tables.time_units = "generations"
    flags = np.zeros(len(nodes), dtype=np.uint32)
    flags[: 2 * pop.N] = tskit.NODE_IS_SAMPLE
    tables.nodes.set_columns(flags=flags, time=nodes["time"].max() - nodes["time"])
    tables.edges.set_columns(left=edges["left"], right=edges["right"], parent=edges["parent"], child=edges["child"])
    return tables.tree_sequence()


def _sampled_after(forward, generations, demography, population, individuals, recombination_rate, rng):
    """The ancestry of ``individuals`` diploids sampled ``generations`` after the end of a forward run
    (``forward``, its living genomes at time 0) once the sweep is over (fixed): the deme is neutral
    then, so msprime's coalescent under ``demography`` (which says its sizes) takes the sample back
    to the generation after the run's end, and in that Wright-Fisher generation each lineage still
    apart takes a living genome of the run as its parent, at random (lineages that take the same
    one coalesce there, as they must where a small deme holds fewer genomes than lineages). The
    same ancestry as running the deme forward those generations, without simulating every
    individual of the largest populations of a history (the recent ones)."""
    alive = forward.samples()[forward.nodes_time[forward.samples()] == 0]
    if generations == 0:
        living = np.unique(alive // 2)
        if len(living) < individuals:
            raise SimulationError(
                f"a forward run's deme holds {len(living)} diploids today, fewer than the {individuals} sampled: "
                "lower sweeps.forward_scaling"
            )
        chosen = rng.choice(living, individuals, replace=False)
        return forward.simplify(samples=np.sort(np.concatenate([2 * chosen, 2 * chosen + 1])))
    recent = msprime.sim_ancestry(
        samples=[msprime.SampleSet(individuals, population=population)],
        demography=demography,
        sequence_length=forward.sequence_length,
        recombination_rate=recombination_rate,
        discrete_genome=False,  # as fwdpy11's breakpoints
        end_time=generations - 1,
        random_seed=int(rng.integers(1, 2**31)),
    )
    tables = recent.dump_tables()
    apart = np.flatnonzero(tables.nodes.time == generations - 1).astype(np.int32)  # the lineages still apart
    parents, parent_of = np.unique(rng.integers(len(alive), size=len(apart)), return_inverse=True)
    older = forward.simplify(samples=alive[parents])  # its node k: the genome alive[parents[k]]
    ids = tables.nodes.num_rows + np.arange(older.num_nodes, dtype=np.int32)
    tables.nodes.append_columns(
        flags=np.zeros(older.num_nodes, dtype=np.uint32),
        time=older.nodes_time + generations,
        population=np.full(older.num_nodes, demography[population].id, dtype=np.int32),
    )
    tables.edges.append_columns(
        left=older.edges_left, right=older.edges_right, parent=ids[older.edges_parent], child=ids[older.edges_child]
    )
    tables.edges.append_columns(
        left=np.zeros(len(apart)),
        right=np.full(len(apart), forward.sequence_length),
        parent=ids[parent_of],
        child=apart,
    )
    tables.sort()
    tables.simplify()
    return tables.tree_sequence()


class _TooManyTries(Exception):
    """A forward run repeated so often from one ancestry that a new ancestry should be drawn."""


class _Condition:
    """A fwdpy11 stopping condition that counts its tries (a new try restarts at generation 0), and
    gives up after ``TRIES`` of them: fwdpy11 0.24.7's own ``max_attempts`` runs every attempt even
    after a success."""

    TRIES = 200

    def __init__(self):
        self.generation = -1
        self.tries = 0
        self.early = self.late = 0  # tries that ended as if the sweep had started too early, too late

    def new_try(self, pop):
        """Whether ``pop`` starts a new try; _TooManyTries after ``TRIES`` of them."""
        started = pop.generation <= self.generation or self.generation < 0
        self.generation = pop.generation
        if started:
            self.tries += 1
            if self.tries > self.TRIES:
                raise _TooManyTries
        return started


class _FixedBy(_Condition):
    """The allele fixed by generation ``final`` (a new try when it is lost or has not fixed by then)."""

    def __init__(self, final):
        super().__init__()
        self.final = final

    def __call__(self, pop, index, key):
        from fwdpy11.conditional_models import SimulationStatus

        self.new_try(pop)
        count = pop.mcounts[index]
        if count == 2 * pop.N:
            return SimulationStatus.Success
        if count == 0:
            return SimulationStatus.Restart
        if pop.generation >= self.final:
            self.late += 1
            return SimulationStatus.Restart
        return SimulationStatus.Continue


class _FrequencyNow(_Condition):
    """The allele at a frequency within ``accepted`` (lowest, highest) at generation ``final``, kept as
    ``reached``. A new try when it is lost or fixed, or once it passes 20% on a course (its logit
    grows by ``growth`` a generation) that would end far (1.5 in logit) outside that range: the rest
    of such a run, in the largest population, would be spent for nothing."""

    def __init__(self, final, accepted, growth):
        super().__init__()
        self.final, self.growth = final, growth
        self.lowest, self.highest = accepted
        self.checked = False
        self.reached = None

    def __call__(self, pop, index, key):
        from fwdpy11.conditional_models import SimulationStatus

        if self.new_try(pop):
            self.checked = False
        x = pop.mcounts[index] / (2 * pop.N)
        if x == 0:
            return SimulationStatus.Restart
        if x == 1:
            return self.missed(early=True)
        if pop.generation >= self.final:
            if self.lowest <= x <= self.highest:
                self.reached = x
                return SimulationStatus.Success
            return self.missed(early=x > self.highest)
        if not self.checked and x >= 0.2:
            self.checked = True
            course = _logit(x) + self.growth * (self.final - pop.generation)
            if course > _logit(min(self.highest, 0.999)) + 1.5:
                return self.missed(early=True)
            if course < _logit(max(self.lowest, 0.001)) - 1.5:
                return self.missed(early=False)
        return SimulationStatus.Continue

    def missed(self, early):
        from fwdpy11.conditional_models import SimulationStatus

        if early:
            self.early += 1
        else:
            self.late += 1
        return SimulationStatus.Restart


def _logit(x):
    return math.log(x / (1 - x))
