"""Recombination maps of the simulated regions, read from the genetic maps of real data."""

import gzip

import msprime

from popsbi.errors import DataError


def read_recombination_map(path, start, end):
    """RateMap of [start, end) of a genetic map with columns position (bp), chromosome, cM.

    This is the format of SHAPEIT/IMPUTE maps such as ``chr20.b37.gmap.gz``; the
    returned map's coordinates start at 0.
    """
    return read_recombination_maps(path, [(start, end)])[0]


def read_recombination_maps(path, spans):
    """RateMaps of each [start, end) of ``spans`` in one genetic map (read once), as
    :func:`read_recombination_map`; a span that ends past the map's last position is a DataError."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as handle:
        whole = msprime.RateMap.read_hapmap(handle, position_col=0, map_col=2)
    for start, end in spans:
        if end > whole.sequence_length:
            raise DataError(
                f"[{start}, {end}) ends past the last position of genetic map '{path}' ({int(whole.sequence_length)})"
            )
    return [whole.slice(left=start, right=end, trim=True) for start, end in spans]


def map_chromosome(path):
    """The chromosome column of a genetic map's first row (None for a map without rows)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as handle:
        next(handle, None)  # the header
        row = next(handle, "").split()
    return row[1] if len(row) > 1 else None
