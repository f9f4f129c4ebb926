"""Training throughput of the networks, and whether the data loader keeps up.

Run from the repository root:  python tests/bench/bench_cnn.py [--n N] [--epochs E] [--workers W]

Writes an image dataset of the default config's shape (N simulations, 100 haplotypes x
128 SNPs, uint8, memory-mapped as the workflow's), then for each network that reads only
the image (the statistics of `mlp` and `hybrid` are a few numbers held in memory) trains
E epochs with the workflow's datamodule and Trainer on the GPU when there is one
(else the CPU) and prints, all measured in this one run:
- loader images/s: iterating the training loader alone;
- training images/s: training steps, loader included;
- loader share: time spent waiting for the next batch / total training time (the loader
  is the bottleneck when this is large).
Image contents do not change the cost of a step, so the images are random.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from popsbi.nn.data import ImageDataModule  # noqa: E402
from popsbi.nn.hyperparameters import ARCHITECTURES, READS_STATISTICS  # noqa: E402
from popsbi.nn.module import ScenarioClassifier  # noqa: E402
from popsbi.nn.training import trainer  # noqa: E402


class StepTimer(pl.Callback):
    """Time waiting for batches (between steps) and time in steps, after the first epoch's warm-up."""

    def __init__(self):
        self.waiting = self.stepping = 0.0
        self.images = 0
        self.last = None

    def on_train_epoch_start(self, trainer, module):
        self.last = time.perf_counter()

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        self.start = time.perf_counter()
        if trainer.current_epoch > 0:
            self.waiting += self.start - self.last

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.last = time.perf_counter()
        if trainer.current_epoch > 0:
            self.stepping += self.last - self.start
            self.images += len(batch[0])


def write_dataset(directory, n, haplotypes=100, snps=128, scenarios=("a", "b", "c")):
    rng = np.random.default_rng(1)
    images = np.lib.format.open_memmap(directory / "images.npy", mode="w+", dtype=np.uint8, shape=(n, haplotypes, snps))
    for start in range(0, n, 1000):
        images[start : start + 1000] = rng.random((min(1000, n - start), haplotypes, snps)) < 0.2
    images.flush()
    np.save(directory / "distances.npy", rng.random((n, snps), dtype=np.float32) / snps)
    index = pd.DataFrame({"scenario": np.resize(scenarios, n), "sim_id": np.arange(n) // len(scenarios)})
    index.to_parquet(directory / "index.parquet")
    heldout = index.groupby("scenario").head(50)
    return (
        [directory / "images.npy", directory / "distances.npy", directory / "index.parquet"],
        heldout,
        list(scenarios),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=6000, help="images in the dataset")
    parser.add_argument("--epochs", type=int, default=3, help="epochs (the first is warm-up, not timed)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=None, help="loader workers (default: 0 on CPU, 6 on GPU)")
    args = parser.parse_args()
    gpu = torch.cuda.is_available()
    workers = args.workers if args.workers is not None else (6 if gpu else 0)
    device = torch.cuda.get_device_name() if gpu else f"CPU ({torch.get_num_threads()} threads)"
    print(f"device: {device}; {args.n} images of 100 x 128; batch {args.batch_size}; {workers} loader workers")
    with tempfile.TemporaryDirectory() as tmp:
        paths, heldout, scenarios = write_dataset(Path(tmp), args.n)
        print(f"{'architecture':<14}{'loader img/s':>14}{'training img/s':>16}{'loader share':>14}")
        for architecture in sorted(set(ARCHITECTURES) - READS_STATISTICS):
            data = ImageDataModule(*paths, heldout, scenarios, 1, args.batch_size, 0.1, num_workers=workers)
            data.setup()
            started, count = time.perf_counter(), 0
            for batch in data.train_dataloader():
                count += len(batch[0])
            loader_rate = count / (time.perf_counter() - started)
            pl.seed_everything(1, verbose=False)
            module = ScenarioClassifier(architecture, scenarios, [100])
            timer = StepTimer()
            run = trainer(Path(tmp) / architecture, "auto", args.epochs, patience=args.epochs)
            run.callbacks.append(timer)
            run.fit(module, data)
            total = timer.waiting + timer.stepping
            print(f"{architecture:<14}{loader_rate:>14.0f}{timer.images / total:>16.0f}{timer.waiting / total:>14.2f}")


if __name__ == "__main__":
    main()
