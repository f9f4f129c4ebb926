"""Speed of the sweep scan: variants read from a VCF per second, and windows scanned per second.

Run from the repository root after `make run` (it reads the demo VCF and the trained sweep
classifier):  python tests/bench/bench_scan.py [--rounds R]

Reads the demo config's first scan target, chr20:1-4 Mb of the demo VCF (all 300
individuals, then the 50 the scan uses) with the workflow's reader, then scans it in 100 kb
windows every 50 kb (features, images, network), and prints, measured in this one run
(best of R): variants read per second, windows per second of features alone and of the whole
scan, and the held-out AUC of the classifier beside the best single statistic (from
results/sweeps/auc.tsv).
"""

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import allel
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from popsbi import sweeps  # noqa: E402
from popsbi.config import load_settings  # noqa: E402
from popsbi.nn.training import load  # noqa: E402
from popsbi.stages.sweeps import read_target, scan  # noqa: E402


def best_time(function, rounds):
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    settings = load_settings(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    first = next(iter(settings.sweeps.targets.values()))
    target = dataclasses.replace(first, vcf=str(ROOT / first.vcf))
    region = f"{target.contig}:{target.start + 1}-{target.end}"
    model = load(ROOT / "results" / "sweeps" / "cnn" / "model.ckpt")
    seconds, genotypes = best_time(lambda: read_target(target), args.rounds)
    records = len(allel.read_vcf(target.vcf, fields=["variants/POS"], region=region)["variants/POS"])
    features, (table, _, _) = best_time(
        lambda: sweeps.scan_windows(genotypes, target.windows, target.step, target.min_snps, target.start), args.rounds
    )
    whole, _ = best_time(lambda: scan(model, genotypes, target), args.rounds)
    print(
        f"VCF: {records} records of {region} read and filtered in {seconds:.2f} s: {records / seconds:,.0f} variants/s"
    )
    print(
        f"scan: {len(table)} windows; features {len(table) / features:,.0f} windows/s; "
        f"features + network {len(table) / whole:,.0f} windows/s"
    )
    auc = pd.read_csv(ROOT / "results" / "sweeps" / "auc.tsv", sep="\t").set_index("method")["auc"]
    network = auc.pop("CNN P(hard sweep)")
    print(
        f"held-out AUC, hard sweep vs neutral: CNN {network:.3f}; best single statistic {auc.idxmax()} {auc.max():.3f}"
    )


if __name__ == "__main__":
    main()
