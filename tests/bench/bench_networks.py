"""The image tower's memory layout, and one or two threads per training, on this machine's CPU.

Run from the repository root:  python tests/bench/bench_networks.py [--batches B]

First, forward + backward passes of the demo hybrid's image layers (`_image_features`: filters
4, 8, 8, batch norm, 10 locus tiles of 100 haplotypes x 16 SNPs, batches of 128) with the same
weights laid out three ways, each the median of B batches at 1 and at 2 threads:
- contiguous: every layer on the usual (channels first) layout;
- channels_last: the whole tower channels last (popsbi's layout before ChannelsLastConv2d);
- conv_only: the convolutions channels last, batch norm, ReLU and pooling on the usual layout
  (ChannelsLastConv2d, what the networks use).
Then what the laptop profile's one thread a job rests on: the demo's hybrid (the tower above and
3 dense layers of 222 units on 60 statistics, batches of 128, the workflow's training function)
trained for 2 epochs on 3,000 random images of the demo's shape, twice side by side at 1 thread
each, against once at 2 threads. Prints, all from this one run,
`conv_only_speedup=X two_single_thread_speedup=Y` (X: channels_last over conv_only at 2 threads;
Y: two trainings one after the other at 2 threads (twice the one measured) over the two side by
side at 1 thread).
"""

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

import bench_cnn  # noqa: E402

from popsbi.nn import networks, training  # noqa: E402
from popsbi.nn.hyperparameters import Hyperparameters  # noqa: E402

LAYOUTS = ("contiguous", "channels_last", "conv_only")
SHAPE = networks.Shape(filters=(4, 8, 8), batch_norm=True, locus_tiles=10)
BATCH = (128, 2, 100, 160)
SCENARIOS = ("constant", "bottleneck", "bottleneck_expansion")
# The demo's hybrid as the search left it (results/cnn/mlp/search/best.tsv of the demo's run).
HYBRID = Hyperparameters(
    filters=SHAPE.filters,
    width=222,
    depth=3,
    batch_norm=True,
    dropout=0.16,
    learning_rate=0.004,
    weight_decay=1e-6,
    lr_decay="none",
    batch_size=BATCH[0],
    max_epochs=2,
    patience=2,
    fine_tuning_epochs=2,
    validation_fraction=0.1,
    parameter_loss_weight=1.0,
    accelerator="cpu",
    tensorboard=False,
    locus_tiles=SHAPE.locus_tiles,
)


class Layout(nn.Module):
    def __init__(self, memory_format):
        super().__init__()
        self.memory_format = memory_format

    def forward(self, x):
        return x.contiguous(memory_format=self.memory_format)


def tower(layout):
    """The image layers, the same weights for every layout."""
    torch.manual_seed(0)
    features, _ = networks._image_features(SHAPE)
    if layout != "conv_only":
        for module in features.modules():
            if isinstance(module, networks.ChannelsLastConv2d):
                module.forward = nn.Conv2d.forward.__get__(module)
        if layout == "channels_last":
            # inside PerTile, after it cuts the image into tiles (its reshape would undo the layout)
            features.layers = nn.Sequential(Layout(torch.channels_last), features.layers)
    return features


def median_ms(model, x, batches):
    for _ in range(2):
        model(x).sum().backward()
    times = []
    for _ in range(batches):
        started = time.perf_counter()
        model(x).sum().backward()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def write_dataset(directory, n=3000, statistics=60):
    """bench_cnn's random images of the demo's shape, and a table of random statistics beside them."""
    bench_cnn.write_dataset(directory, n, snps=BATCH[3], scenarios=SCENARIOS)
    rng = np.random.default_rng(1)
    table = pd.read_parquet(directory / "index.parquet")
    for k in range(statistics):
        table[f"statistic_{k}"] = rng.normal(size=n)
    table.to_parquet(directory / "statistics.parquet")


def train_hybrid(directory, threads, name, ready=None, results=None):
    """Wall seconds of training the demo's hybrid at ``threads`` threads, from when every process
    sharing ``ready`` (a Barrier) has started."""
    table = pd.read_parquet(directory / "statistics.parquet")
    paths = {
        name: directory / f"{name}.{ext}"
        for name, ext in (("images", "npy"), ("distances", "npy"), ("index", "parquet"))
    }
    heldout = table.groupby("scenario").head(50)[["scenario", "sim_id"]]
    names = [column for column in table if column.startswith("statistic_")]
    if ready is not None:
        ready.wait()
    started = time.perf_counter()
    training.train(
        paths,
        heldout,
        SCENARIOS,
        [BATCH[2]],
        "hybrid",
        HYBRID,
        1,
        str(directory / name / "model.ckpt"),
        threads,
        sumstats=table,
        statistic_names=names,
    )
    seconds = time.perf_counter() - started
    if results is not None:
        results.put(seconds)
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=8, help="timed batches per measurement")
    args = parser.parse_args()
    x = torch.rand(BATCH)
    models = {layout: tower(layout) for layout in LAYOUTS}
    outputs = {layout: model(x) for layout, model in models.items()}
    gap = max(float((outputs[layout] - outputs["contiguous"]).abs().max()) for layout in LAYOUTS)
    print(f"largest difference between the layouts' outputs: {gap:.1e}")
    timings = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        timings[threads] = {layout: median_ms(models[layout], x, args.batches) for layout in LAYOUTS}
        cells = "  ".join(f"{layout} {ms:.0f}" for layout, ms in timings[threads].items())
        print(f"{threads} thread(s), ms a batch of {BATCH[0]} (median of {args.batches}): {cells}")
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_dataset(directory)
        ready, results = context.Barrier(2), context.Queue()
        workers = [
            context.Process(target=train_hybrid, args=(directory, 1, f"side{k}", ready, results)) for k in range(2)
        ]
        for worker in workers:
            worker.start()
        side_by_side = max(results.get() for _ in workers)
        for worker in workers:
            worker.join()
        one = train_hybrid(directory, 2, "alone")
    print(
        f"the demo's hybrid, 2 epochs on 3,000 images: two side by side at 1 thread {side_by_side:.1f} s, "
        f"one at 2 threads {one:.1f} s"
    )
    conv_only_speedup = timings[2]["channels_last"] / timings[2]["conv_only"]
    print(f"conv_only_speedup={conv_only_speedup:.2f} two_single_thread_speedup={2 * one / side_by_side:.2f}")


if __name__ == "__main__":
    main()
