"""Simulations per second of many short loci against one region of the same total length.

Run from the repository root:  python tests/bench/bench_loci.py [--n N] [--loci K] [--locus-length L]

Both datasets are the default config's (its scenarios, samples and genetic map), with
``observed.regions`` replaced: (1) one region of K * L bp, chr20 from 1 Mb; (2) K loci of L bp
(default 2,000 of 500 bp, as RAD or exome data), one every 1.5 kb from chr20:1 Mb. Each is
simulated and summarised by the workflow's batch function on the same prior rows of every
scenario. Prints, for each, simulations per second and seconds per simulation, then the ratio
(loci over region; the issue's target is >= 0.5), all measured in this one run. The last line
reads ``loci_over_region=R``.
"""

import argparse
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from popsbi.config import load_settings  # noqa: E402
from popsbi.priors import draw_prior_table  # noqa: E402
from popsbi.stages.simulation import simulate_batch  # noqa: E402

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
FIRST, SPACING = 1_000_000, 1_500


def with_regions(config, regions):
    config = yaml.safe_load(yaml.safe_dump(config))
    config["observed"] = {
        **{key: value for key, value in config["observed"].items() if key not in ("contig", "start", "end", "bed")},
        "regions": regions,
    }
    config["genome"]["recombination_map"] = {"path": config["genome"]["recombination_map"]["path"]}
    return config


def throughput(settings, n):
    """(simulations per second, seconds per simulation) over every scenario's first n prior rows."""
    seconds = 0.0
    for scenario in settings.scenarios:
        rows = draw_prior_table(**{**settings.prior_table(scenario), "n": n})
        start = time.perf_counter()
        simulate_batch(settings.simulation(scenario), rows)
        seconds += time.perf_counter() - start
    total = n * len(settings.scenarios)
    return total / seconds, seconds / total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10, help="simulations per scenario")
    parser.add_argument("--loci", type=int, default=2_000)
    parser.add_argument("--locus-length", type=int, default=500)
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    if not Path(config["genome"]["recombination_map"]["path"]).is_file():
        sys.exit("the demo's genetic map is missing: run the workflow once (make run) first")
    total = args.loci * args.locus_length
    datasets = {
        "one region": [{"contig": "20", "start": FIRST, "end": FIRST + total}],
        f"{args.loci} loci of {args.locus_length} bp": [
            {"contig": "20", "start": FIRST + k * SPACING, "end": FIRST + k * SPACING + args.locus_length}
            for k in range(args.loci)
        ],
    }
    print(f"{'dataset':<24} {'bp':>9} {'sims/s':>8} {'s/sim':>8}")
    speeds = []
    for name, regions in datasets.items():
        settings = load_settings(with_regions(config, regions), SCHEMA)
        speed, seconds = throughput(settings, args.n)
        speeds.append(speed)
        print(f"{name:<24} {settings.sequence_length:>9} {speed:>8.2f} {seconds:>8.3f}")
    print(f"loci_over_region={speeds[1] / speeds[0]:.3f}")


if __name__ == "__main__":
    main()
