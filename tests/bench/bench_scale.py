"""Scale of the reference-table steps: seconds and peak memory at 3e3, 3e4 and 3e5 simulations.

Run from the repository root:  python tests/bench/bench_scale.py [--rows N N N] [--trees T] [--steps S ...]

The reference table is synthetic: 3 scenarios x 20 statistics, each statistic a noisy function
of the scenario and of its two parameters, as hard to tell apart as the demo's scenarios (the
random forest's out-of-bag error is 0.24 at 3e4 simulations; the demo's 0.19); aggregation
reads batches of 1,000 simulations with the demo's images (100 haplotypes x 128 SNPs, 12.8 kB
each). The steps are the workflow's own
code with the default ``abc`` settings (trees and tolerances from the schema):

- aggregate: batch files into the statistics table and the image dataset (rule aggregate);
- rejection: rejection model choice with its mnlogistic adjustment, and every scenario's
  local-linear parameter posterior, for one observed dataset;
- cross_validation: the same for 50 held-out datasets per scenario, at every tolerance;
- goodness_of_fit: R abc's gfit with its null distribution, for every scenario;
- random_forest: the classifier and its error regression, and the observed data's posterior.

Each step runs at each size in a fresh process on 2 threads; its peak memory is that process's
peak resident set. Printed, measured in this one run: seconds and peak RSS per step and size,
each step's growth exponent between the two largest sizes (log t2/t1 over log n2/n1), and its
time extrapolated to 3e6 simulations. The last line is the worst step at the largest size:
``max_seconds=S max_rss_mb=M max_exponent=E``.
"""

import argparse
import dataclasses
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from popsbi.config import load_schema, load_settings, validate  # noqa: E402
from popsbi.datasets import aggregate, write_batch  # noqa: E402
from popsbi.priors import Prior  # noqa: E402

STEPS = ("aggregate", "rejection", "cross_validation", "goodness_of_fit", "random_forest")
SCENARIOS = ("a", "b", "c")
N_STATISTICS, IMAGE_SHAPE, BATCH = 20, (100, 128), 1000
THREADS = 2


def reference_table(n, seed=1):
    """n simulations (n/3 per scenario): scenario, sim_id, each scenario's two parameters, 20 statistics."""
    rng = np.random.default_rng(seed)
    per_scenario = n // len(SCENARIOS)
    tables = []
    for k, scenario in enumerate(SCENARIOS):
        theta = rng.uniform(0, 1, size=(per_scenario, 2))
        loadings = np.random.default_rng(k).normal(size=(2, N_STATISTICS))
        statistics = 0.1 * k + theta @ loadings + rng.normal(scale=1.5, size=(per_scenario, N_STATISTICS))
        table = pd.DataFrame(statistics, columns=[f"stat_{j}" for j in range(N_STATISTICS)])
        table.insert(0, "scenario", scenario)
        table.insert(1, "sim_id", np.arange(per_scenario) + k * per_scenario)
        table.insert(2, f"{scenario}_x", theta[:, 0])
        table.insert(3, f"{scenario}_y", theta[:, 1])
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def abc_settings(trees):
    """The schema's default ``abc`` settings for the three synthetic scenarios, and the number of
    held-out simulations per scenario."""
    example = yaml.safe_load((ROOT / "config" / "examples" / "two_populations.yaml").read_text())
    defaults = load_settings(example, SCHEMA).abc
    priors = {s: {f"{s}_x": Prior("uniform", 0.0, 1.0), f"{s}_y": Prior("uniform", 0.0, 1.0)} for s in SCENARIOS}
    trees = trees or defaults.random_forest_trees
    heldout = validate(example, load_schema(SCHEMA))["abc"]["heldout_per_scenario"]
    return dataclasses.replace(defaults, scenarios=SCENARIOS, priors=priors, random_forest_trees=trees), heldout


SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def write_batches(table, directory):
    """The table as the simulation jobs write it: batches of statistics and random images."""
    rng = np.random.default_rng(2)
    paths = []
    for start in range(0, len(table), BATCH):
        rows = table.iloc[start : start + BATCH].dropna(axis=1, how="all").reset_index(drop=True)
        images = rng.integers(0, 2, size=(len(rows), *IMAGE_SHAPE), dtype=np.uint8)
        distances = rng.random((len(rows), IMAGE_SHAPE[1]), dtype=np.float32)
        batch = (directory / f"batch_{start // BATCH}.parquet", directory / f"batch_{start // BATCH}.npz")
        write_batch(rows, images, distances, *batch)
        paths.append(batch)
    return paths


def _batch_number(path):
    return int(path.stem.split("_")[1])


def run_step(step, n, directory, trees):
    """One step at one size, in this process; returns its seconds (data preparation not counted)."""
    from popsbi.stages import abc as stage

    if step == "prepare":
        write_batches(reference_table(n), directory)
        return 0.0
    if step == "aggregate":
        batches = [sorted(directory.glob(f"batch_*.{kind}"), key=_batch_number) for kind in ("parquet", "npz")]
        outputs = [directory / name for name in ("sumstats.parquet", "images.npy", "distances.npy", "index.parquet")]
        started = time.perf_counter()
        aggregate(*batches, *outputs)
        return time.perf_counter() - started
    settings, per_scenario = abc_settings(trees)
    sumstats = reference_table(n)
    heldout = sumstats.groupby("scenario").head(per_scenario)
    observed = sumstats.drop(heldout.index).iloc[[0]]
    heldout = heldout[["scenario", "sim_id"]]
    started = time.perf_counter()
    if step == "cross_validation":
        stage.rejection_cross_validation(settings, *stage.cross_validation_reference(settings, sumstats, heldout))
        return time.perf_counter() - started
    reference, target = stage.reference_without_heldout(settings, sumstats, heldout, observed)
    if step == "rejection":
        stage.model_choice_by_rejection(settings, reference, target)
        for scenario in SCENARIOS:
            stage.parameters(settings, reference, target, scenario)
    elif step == "goodness_of_fit":
        stage.goodness_of_fit(settings, reference, target)
    elif step == "random_forest":
        stage.forest_model_choice(settings, reference, target, THREADS)
    return time.perf_counter() - started


def measure(step, n, trees):
    """Seconds and peak RSS (MB) of one step at one size, in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="bench_scale") as directory:
        if step == "aggregate":  # the batches are written beforehand, by another process
            _child("prepare", n, directory, trees)
        return _child(step, n, directory, trees)


def _child(step, n, directory, trees):
    command = [sys.executable, __file__, "--child", step, str(n), directory, "--trees", str(trees or 0)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"{step} at {n} rows failed")
    return float(output.split()[-1]), usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[3_000, 30_000, 300_000])
    parser.add_argument("--trees", type=int, default=0, help="trees of each forest (default: the schema's)")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=STEPS)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, n, directory = args.child
        with threadpool_limits(THREADS):  # as the workflow's jobs: BLAS threads = the rule's threads
            print(run_step(step, int(n), Path(directory), args.trees))
        return
    sizes = sorted(args.rows)
    print(f"{'step':<18}" + "".join(f"{n:>22,}" for n in sizes) + f"{'exponent':>10}{'3e6 (min)':>11}")
    worst = {"seconds": 0.0, "rss": 0.0, "exponent": 0.0}
    for step in args.steps:
        results = [measure(step, n, args.trees) for n in sizes]
        cells = "".join(f"{f'{s:.1f} s, {m:.0f} MB':>22}" for s, m in results)
        (n1, (t1, _)), (n2, (t2, rss2)) = list(zip(sizes, results))[-2:]
        exponent = math.log(t2 / t1) / math.log(n2 / n1)
        extrapolated = t2 * (3e6 / n2) ** exponent / 60
        print(f"{step:<18}{cells}{exponent:>10.2f}{extrapolated:>11.1f}", flush=True)
        worst = {
            "seconds": max(worst["seconds"], t2),
            "rss": max(worst["rss"], rss2),
            "exponent": max(worst["exponent"], exponent),
        }
    print(f"max_seconds={worst['seconds']:.0f} max_rss_mb={worst['rss']:.0f} max_exponent={worst['exponent']:.2f}")


if __name__ == "__main__":
    main()
