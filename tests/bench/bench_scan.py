"""Speed and memory of the sweep scan: on the demo VCF, and on simulated chromosomes.

Run from the repository root after `make run` (it reads the demo VCF and the trained sweep
classifier):  python tests/bench/bench_scan.py [--rounds R] [--lengths MB MB]

1. The demo config's first scan target, chr20:1-4 Mb of the demo VCF (all 300 individuals,
   then the 50 the scan uses), read with the workflow's reader, then scanned in 100 kb windows
   every 50 kb (features, images, network): variants read per second, windows per second of
   features alone and of the whole scan (best of R), and the held-out AUC of the image network
   beside the best single statistic (from results/sweeps/auc.tsv).
2. Chromosomes of 10 and 50 Mb (100 diploids, msprime, N = 10,000) written as VCFs and scanned
   whole, as a target without start and end is, each in a fresh process: windows per second and
   the process's peak resident memory. The time for a 250 Mb chromosome is extrapolated from the
   two (time = a L + b L^2 through both points, so that reading that grows faster than the
   length shows). The last line is ``rss_ratio=R minutes_250mb=M``: R, the peak memory at 50 Mb
   over that at 10 Mb.
"""

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import allel
import msprime
import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from popsbi import sweeps  # noqa: E402
from popsbi.config import load_settings  # noqa: E402
from popsbi.nn.training import load  # noqa: E402
from popsbi.stages.sweeps import read_target, scan, scan_target  # noqa: E402

MODEL = ROOT / "results" / "sweeps" / "cnn" / "seed0" / "model.ckpt"


def best_time(function, rounds):
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def demo_target():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    settings = load_settings(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    first = next(iter(settings.sweeps.targets.values()))
    return dataclasses.replace(first, vcf=str(ROOT / first.vcf))


def demo(rounds):
    target = demo_target()
    region = f"{target.contig}:{target.start + 1}-{target.end}"
    ensemble = [load(MODEL)]
    seconds, genotypes = best_time(lambda: read_target(target), rounds)
    records = len(allel.read_vcf(target.vcf, fields=["variants/POS"], region=region)["variants/POS"])
    features, (table, _, _) = best_time(
        lambda: sweeps.scan_windows(genotypes, target.windows, target.step, target.min_snps, target.start), rounds
    )
    whole, _ = best_time(lambda: scan(ensemble, genotypes, target, target.start), rounds)
    print(
        f"VCF: {records} records of {region} read and filtered in {seconds:.2f} s: {records / seconds:,.0f} variants/s"
    )
    print(
        f"scan: {len(table)} windows; features {len(table) / features:,.0f} windows/s; "
        f"features + network {len(table) / whole:,.0f} windows/s"
    )
    auc = pd.read_csv(ROOT / "results" / "sweeps" / "auc.tsv", sep="\t").set_index("method")["auc"]
    networks = auc[auc.index.isin(sweeps.NETWORK_LABELS.values())]
    statistics = auc.drop(networks.index)
    print(
        f"held-out AUC, sweep inside the window vs neutral: CNN {networks[sweeps.NETWORK_LABELS['cnn']]:.3f}; "
        f"best single statistic {statistics.idxmax()} {statistics.max():.3f}"
    )


def simulated_vcf(length_mb, directory):
    """A chromosome of ``length_mb`` Mb of 100 diploids as a VCF (contig 1); its number of SNPs."""
    ts = msprime.sim_ancestry(
        100, population_size=10_000, sequence_length=length_mb * 1e6, recombination_rate=1e-8, random_seed=1
    )
    ts = msprime.sim_mutations(ts, rate=1.25e-8, model=msprime.BinaryMutationModel(), random_seed=1)
    path = Path(directory) / f"chromosome_{length_mb}mb.vcf"
    with open(path, "w") as handle:
        ts.write_vcf(handle, contig_id="1", position_transform=lambda x: np.asarray(x) + 1)
    return path, ts.num_sites


def measure(vcf):
    """Scan a whole simulated chromosome as the workflow scans a target (in this process): prints
    the windows, the seconds and the peak resident memory (MB) as JSON."""
    target = dataclasses.replace(
        demo_target(), vcf=str(vcf), contig="1", start=0, end=None, popmap=None, samples=None, population="EUR"
    )
    started = time.perf_counter()
    table = scan_target([load(MODEL)], target)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"windows": len(table), "seconds": seconds, "peak_mb": peak_mb}))


def chromosomes(lengths):
    """Scan each simulated chromosome in a fresh process; print and return its measures."""
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for length in lengths:
            vcf, sites = simulated_vcf(length, directory)
            run = subprocess.run(
                [sys.executable, __file__, "--measure", str(vcf)], capture_output=True, text=True, check=True
            )
            results[length] = json.loads(run.stdout.strip().splitlines()[-1])
            r = results[length]
            print(
                f"{length} Mb chromosome, {sites:,} SNPs, 100 diploids: {r['windows']} windows in {r['seconds']:.0f} s "
                f"({r['windows'] / r['seconds']:.1f} windows/s), peak memory {r['peak_mb']:.0f} MB"
            )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lengths", type=int, nargs=2, default=[10, 50], help="chromosome lengths (Mb)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    demo(args.rounds)
    small, large = args.lengths
    results = chromosomes([small, large])
    # time = a L + b L^2 through both measured points (b < 0 clipped: then time is linear)
    t1, t2 = results[small]["seconds"], results[large]["seconds"]
    b = max((t2 / large - t1 / small) / (large - small), 0.0)
    a = t1 / small - b * small
    minutes = (a * 250 + b * 250**2) / 60
    print(f"extrapolated to a 250 Mb chromosome: {minutes:.1f} minutes")
    print(f"rss_ratio={results[large]['peak_mb'] / results[small]['peak_mb']:.2f} minutes_250mb={minutes:.1f}")


if __name__ == "__main__":
    main()
