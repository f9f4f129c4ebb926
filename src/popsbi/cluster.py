"""What the jobs that grow with the data ask a cluster's scheduler for: memory (MB) and run time
(minutes), from the number of simulations, statistics and trees, or the scanned region's length.

Each request is the cost measured on a 2-core machine (tests/bench/bench_scale.py, and the demo's
benchmarks/) times MARGIN, plus a fixed part for the Python, scikit-learn and torch imports; a
job that failed (ran out of memory or time) asks ``attempt`` times as much when Snakemake retries
it (``--retries``).
"""

import math
from dataclasses import dataclass

MARGIN = 2

# Measured costs (2 cores; see each request for where they come from).
AGGREGATE_MB_PER_SECOND = 100  # 3.9 GB of batches aggregated in 11 s locally: 350 MB/s; shared disks are slower
TABLE_COPIES = 6  # the statistics table in memory at once during ABC: read, selected, scaled, split...
FOREST_NODES_PER_SIMULATION = 0.6  # nodes of a classification tree per simulation it grows on
FOREST_NODE_BYTES = 90  # scikit-learn: 64 bytes of node and 8 per class of the node's value
FOREST_SECONDS_PER_TREE_SIMULATION = 5e-7  # CPU seconds per tree and s log2(s), s simulations grown on
DISTANCE_SECONDS = 2.5e-7  # CPU seconds per target and simulation: distances, accepting, adjusting
NETWORK_SECONDS_PER_PIXEL_EPOCH = 1e-6  # CPU seconds per image pixel per epoch (demo: 0.9e-6)
SCAN_SECONDS_PER_MB = 30  # reading a VCF region and scanning its windows (demo: 2.5 s per Mb)
SCAN_VARIANTS_PER_BP = 1 / 20  # upper bound of a human VCF's density of variants


@dataclass(frozen=True)
class Request:
    """Memory (MB) of a job's first attempt, and its run time (minutes) on ``threads`` cores."""

    mem_mb: int
    cpu_seconds: float
    min_minutes: int = 5

    def runtime(self, threads):
        return max(self.min_minutes, math.ceil(MARGIN * self.cpu_seconds / threads / 60))

    def resources(self):
        """Snakemake's ``resources`` of the job, on the job's threads; a retried job asks ``attempt``
        times as much."""
        return {
            "mem_mb": lambda wildcards, attempt: self.mem_mb * attempt,
            "runtime": lambda wildcards, threads, attempt: self.runtime(threads) * attempt,
        }


def _request(base_mb, mb, cpu_seconds, min_minutes=5):
    return Request(math.ceil(base_mb + MARGIN * mb), cpu_seconds, min_minutes)


def aggregate(simulations, bytes_per_simulation, batch_size):
    """Aggregation streams the batches: memory holds a batch (three times over: read, converted,
    written); time is that of copying every batch once."""
    total_mb = simulations * bytes_per_simulation / 1e6
    return _request(500, 3 * batch_size * bytes_per_simulation / 1e6, total_mb / AGGREGATE_MB_PER_SECOND)


def abc(simulations, columns, targets, trees, sampsize, forests):
    """An ABC job: the statistics table in memory a few times over, one chunk of trees of each
    forest (50, see popsbi.abc.FOREST_CHUNK) and its out-of-bag votes; time grows with the number of
    ``targets`` (observed, held-out or goodness-of-fit datasets) times the simulations, and with the
    trees times the simulations each grows on (at most ``sampsize``). Measured on 3e5 simulations of
    20 statistics (bench_scale): 2.6 s for 100 goodness-of-fit targets per scenario, 10.7 s for 150
    held-out ones, 400 s for both forests of 500 trees on 2 cores."""
    table_mb = TABLE_COPIES * simulations * columns * 8 / 1e6
    grown_on = min(simulations, sampsize)
    forest_mb = 50 * FOREST_NODES_PER_SIMULATION * grown_on * FOREST_NODE_BYTES / 1e6 if forests else 0
    seconds = DISTANCE_SECONDS * targets * simulations
    seconds += forests * FOREST_SECONDS_PER_TREE_SIMULATION * trees * grown_on * math.log2(max(grown_on, 2))
    return _request(500, table_mb + forest_mb, seconds)


def network_training(simulations, pixels, columns, max_epochs):
    """Training reads images through a memory map, so memory holds the index and the parameter
    targets, not the images; time is at most ``max_epochs`` passes over every image."""
    return _request(
        1500,
        3 * simulations * columns * 8 / 1e6,
        NETWORK_SECONDS_PER_PIXEL_EPOCH * simulations * pixels * max_epochs,
        min_minutes=10,
    )


def scan(region_bp, vcf_individuals, chunk_bp):
    """The scan reads a region in chunks, each with the genotypes of every individual of the VCF
    (int8, 2 per individual): memory follows the chunk, time the region."""
    genotypes_mb = min(region_bp, chunk_bp) * SCAN_VARIANTS_PER_BP * 2 * vcf_individuals / 1e6
    return _request(1000, 2 * genotypes_mb, SCAN_SECONDS_PER_MB * region_bp / 1e6)
