"""Recombination maps of the simulated regions, read from the genetic maps of real data."""

import gzip

import msprime


def read_recombination_map(path, start, end):
    """RateMap of [start, end) of a genetic map with columns position (bp), chromosome, cM.

    This is the format of SHAPEIT/IMPUTE maps such as ``chr20.b37.gmap.gz``; the
    returned map's coordinates start at 0.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as handle:
        whole = msprime.RateMap.read_hapmap(handle, position_col=0, map_col=2)
    return whole.slice(left=start, right=end, trim=True)


def map_chromosome(path):
    """The chromosome column of a genetic map's first row (None for a map without rows)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as handle:
        next(handle, None)  # the header
        row = next(handle, "").split()
    return row[1] if len(row) > 1 else None
