"""The observed regions (loci): one stretch of a chromosome, or many read from a list or a BED file."""

from dataclasses import dataclass

from popsbi.errors import DataError


@dataclass(frozen=True)
class Region:
    """[start, end) of ``contig``, 0-based as in a BED file."""

    contig: str
    start: int
    end: int

    @property
    def length(self):
        return self.end - self.start

    def __str__(self):
        return f"{self.contig}:{self.start + 1}-{self.end}"


def read_bed(path):
    """The regions of a BED file's first three columns (contig, start, end; 0-based, end exclusive).

    Comment lines (#) and blank lines are skipped; 'track' and 'browser' lines, a header of column
    names, or a row whose start and end are not integers with start < end are refused, naming the
    file and the line.
    """
    try:
        with open(path) as handle:
            lines = handle.read().splitlines()
    except OSError as err:
        raise DataError(f"cannot read BED file '{path}': {err.strerror}") from None
    regions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        where = f"BED file '{path}' line {number}"
        if len(fields) < 3:
            raise DataError(f"{where}: {len(fields)} column(s); a BED row is contig, start, end (tab-separated)")
        contig, start, end = fields[:3]
        if not (start.isdigit() and end.isdigit()):
            raise DataError(
                f"{where}: start '{start}' and end '{end}' are not whole numbers "
                "(a header or track line? BED files have none; comment it out with #)"
            )
        if int(start) >= int(end):
            raise DataError(f"{where}: start ({start}) must be smaller than end ({end})")
        regions.append(Region(contig, int(start), int(end)))
    if not regions:
        raise DataError(f"BED file '{path}' has no regions")
    return regions


def first_overlap(regions):
    """The first two regions (in contig, start order) that overlap, or None when none do."""
    ordered = sorted(regions, key=lambda region: (region.contig, region.start))
    for left, right in zip(ordered, ordered[1:]):
        if left.contig == right.contig and right.start < left.end:
            return left, right
    return None
