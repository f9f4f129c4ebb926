"""Throughput of a workflow simulation batch against a bare msprime loop, on the same model.

Run from the repository root:  python tests/bench/bench_simulate.py [config.yaml ...] [--n N]

For each scenario of each config, the same prior rows are simulated (1) by a bare
loop of msprime.sim_ancestry + sim_mutations, and (2) by the workflow's batch
function (simulation, statistics, image, table). Prints simulations per second of
both and their ratio (target >= 0.8), and the time of features alone as a
fraction of simulation time (target <= 0.25), all measured in this one run (best of --rounds repetitions).
"""

import argparse
import sys
import time
from pathlib import Path

import msprime
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from popsbi.config import load_settings  # noqa: E402
from popsbi.priors import draw_prior_table  # noqa: E402
from popsbi.scenarios import ScenarioModel  # noqa: E402
from popsbi.seeds import ancestry_and_mutation_seeds, locus_seed  # noqa: E402
from popsbi.simulate import genotypes_from_tree_sequence  # noqa: E402
from popsbi.stages.simulation import simulate_batch  # noqa: E402

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def bare_msprime(settings, rows):
    """The least a simulation of these rows needs: resolve the model, simulate and mutate each locus."""
    model = ScenarioModel(settings.scenario, settings.model)
    recombination = settings.recombination()
    tree_sequences = []
    for row in rows.to_dict("records"):
        graph = model.graph({name: row[name] for name in settings.parameters})
        for locus, (length, rate) in enumerate(zip(settings.loci.lengths, recombination)):
            ancestry_seed, mutation_seed = ancestry_and_mutation_seeds(locus_seed(row["seed"], locus))
            ts = msprime.sim_ancestry(
                samples=settings.samples,
                demography=msprime.Demography.from_demes(graph),
                sequence_length=length,
                recombination_rate=rate,
                random_seed=ancestry_seed,
            )
            tree_sequences.append(
                msprime.sim_mutations(
                    ts, rate=settings.mutation_rate, model=msprime.BinaryMutationModel(), random_seed=mutation_seed
                )
            )
    return tree_sequences


def features_only(settings, tree_sequences):
    n_loci = len(settings.loci.lengths)
    for first in range(0, len(tree_sequences), n_loci):
        settings.summaries.of(
            [
                genotypes_from_tree_sequence(ts, list(settings.samples), settings.summaries.polarised)
                for ts in tree_sequences[first : first + n_loci]
            ]
        )


def best_of(rounds, function, *args):
    """Shortest time of ``rounds`` calls, and the last result."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="*", default=["config/examples/two_populations.yaml", "config/config.yaml"])
    parser.add_argument("--n", type=int, default=100, help="simulations per scenario")
    parser.add_argument("--rounds", type=int, default=3, help="repetitions; the fastest counts")
    args = parser.parse_args()
    print(f"{'config':<36} {'scenario':<22} {'bare sims/s':>11} {'batch sims/s':>12} {'ratio':>6} {'features/sim':>12}")
    for config_path in args.configs:
        config = yaml.safe_load((ROOT / config_path).read_text())
        settings = load_settings(config, SCHEMA)
        recombination_map = settings.raw["genome"]["recombination_map"]
        if recombination_map and not Path(recombination_map["path"]).is_file():
            print(
                f"{config_path}: skipped, {recombination_map['path']} is missing "
                "(run the workflow once, or: snakemake resources/shapeit4-example/chr20.b37.gmap.gz)"
            )
            continue
        for scenario in settings.scenarios:
            rows = draw_prior_table(**{**settings.prior_table(scenario), "n": args.n})
            simulation = settings.simulation(scenario)
            bare, tree_sequences = best_of(args.rounds, bare_msprime, simulation, rows)
            batch, _ = best_of(args.rounds, simulate_batch, simulation, rows)
            feature, _ = best_of(args.rounds, features_only, simulation, tree_sequences)
            print(
                f"{config_path:<36} {scenario:<22} {args.n / bare:>11.1f} {args.n / batch:>12.1f} "
                f"{bare / batch:>6.2f} {feature / bare:>12.2f}"
            )


if __name__ == "__main__":
    main()
