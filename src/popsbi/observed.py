"""Observed data: a region of a VCF, summarised exactly as the simulations are."""

import logging
import warnings
import zlib

import allel
import numpy as np
import pandas as pd

from popsbi.errors import DataError, EmptyRegionError
from popsbi.genotypes import Genotypes
from popsbi.seeds import rng as seeded_rng

log = logging.getLogger(__name__)


def read_popmap(path):
    """Sample -> population from a two-column, tab-separated file without header."""
    try:
        table = pd.read_csv(path, sep="\t", header=None, names=["sample", "population"], dtype=str, comment="#")
    except (OSError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read popmap '{path}': {err}") from None
    if table.isna().any().any():
        raise DataError(f"popmap '{path}' must have two tab-separated columns: sample, population")
    duplicated = table["sample"][table["sample"].duplicated()].unique()
    if len(duplicated):
        raise DataError(f"popmap '{path}' lists samples more than once: {', '.join(duplicated[:5])}")
    return dict(zip(table["sample"], table["population"]))


def read_vcf_region(path, contig, start, end, samples, popmap, seed, polarised=False):
    """Biallelic SNPs of [start, end) (0-based, as the simulated region) of ``contig``.

    ``samples`` maps population -> number of diploid individuals, as in the config;
    ``popmap`` maps VCF sample -> population, or is None to pool every VCF sample into
    the config's single population. Where a population has more individuals than
    needed, a subset is drawn deterministically from ``seed`` and the population's
    name. Kept: sites with one ALT allele where REF and ALT are single bases and no
    selected individual has a missing genotype (the others are counted in the log).
    Positions become 1-based within the region, as in the simulations. Genotypes must be
    phased ('|'); an unphased VCF is refused with a DataError.
    """
    fields = ["samples", "variants/POS", "variants/REF", "variants/ALT", "variants/numalt", "calldata/GT"]
    callset = _read_vcf(path, f"{contig}:{start + 1}-{end}", fields=fields)
    if callset is None:
        raise EmptyRegionError(
            f"VCF '{path}' has no variants in {contig}:{start + 1}-{end} "
            "(is the contig named as in the VCF, e.g. '20' or 'chr20'?)"
        )
    vcf_samples = list(callset["samples"])
    columns = _select_samples(vcf_samples, samples, popmap, seed, path)
    selected = np.concatenate(list(columns.values()))
    _check_phased(path, contig, start, end, selected)
    gt = callset["calldata/GT"][:, selected]
    positions = callset["variants/POS"]
    if np.any(np.diff(positions) < 0):
        raise DataError(f"VCF '{path}' is not sorted by position in {contig}")
    snp = (
        (callset["variants/numalt"] == 1)
        & (np.char.str_len(callset["variants/REF"].astype(str)) == 1)
        & (np.char.str_len(callset["variants/ALT"][:, 0].astype(str)) == 1)
    )
    complete = (gt >= 0).all(axis=(1, 2))
    keep = snp & complete
    keep[1:] &= positions[1:] != positions[:-1]  # one record per position, as in simulations
    log.info(
        "%s %s:%d-%d: %d records, kept %d biallelic SNPs; dropped %d not biallelic SNPs and %d with missing genotypes",
        path,
        contig,
        start + 1,
        end,
        len(positions),
        keep.sum(),
        (~snp).sum(),
        (snp & ~complete).sum(),
    )
    # individual i -> columns 2i, 2i + 1 (a region without any kept site gives an empty matrix)
    haplotypes = gt[keep].reshape(int(keep.sum()), gt.shape[1] * gt.shape[2]).astype(np.int8)
    populations, first = {}, 0
    for population, individuals in columns.items():
        populations[population] = np.arange(2 * first, 2 * (first + len(individuals)))
        first += len(individuals)
    return Genotypes(haplotypes, (positions[keep] - start).astype(np.int64), populations, end - start, polarised)


def last_position(path, contig):
    """The 0-based end of ``contig``'s last record in a VCF (its positions alone are read)."""
    callset = _read_vcf(path, str(contig), fields=["variants/POS"])
    if callset is None:
        raise EmptyRegionError(
            f"VCF '{path}' has no variants in contig {contig} (is it named as in the VCF, e.g. '20' or 'chr20'?)"
        )
    return int(callset["variants/POS"].max())


def _read_vcf(path, region, **options):
    """scikit-allel's read_vcf of a region; a file it cannot read (missing, truncated, corrupt
    compression, malformed) is a DataError naming it."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="tabix not found")
            return allel.read_vcf(str(path), region=region, **options)
    except (OSError, EOFError, ValueError, RuntimeError, zlib.error) as err:
        raise DataError(f"cannot read VCF '{path}': {err}") from None


def _check_phased(path, contig, start, end, columns):
    """Haplotype statistics and images need phased genotypes: refuse '0/1' in the selected columns."""
    raw = _read_vcf(path, f"{contig}:{start + 1}-{end}", fields=["calldata/GT"], types={"calldata/GT": "S8"})
    raw = raw["calldata/GT"][:, columns, 0]
    unphased = (np.char.find(raw, b"/") >= 0) & (raw != b"./.")
    if unphased.any():
        site, individual = np.argwhere(unphased)[0]
        raise DataError(
            f"VCF '{path}' is unphased: {unphased.sum()} genotypes of the selected individuals in "
            f"{contig}:{start + 1}-{end} are written with '/' (first: {raw[site, individual].decode()}); "
            "haplotype statistics and images need phased genotypes ('|'): phase the VCF first "
            "(e.g. with SHAPEIT or Beagle)"
        )


def vcf_header(path):
    """The sample names of a VCF and the contigs its header declares, as {name: length, or None
    where the header gives none} (empty when it declares none): cheap to read, so that the config
    can be checked against the data before any job runs."""
    try:
        headers = allel.read_vcf_headers(str(path))
    except (OSError, EOFError, ValueError, RuntimeError, zlib.error) as err:
        raise DataError(f"cannot read the header of VCF '{path}': {err}") from None
    contigs = {}
    for line in headers.headers:
        if line.startswith("##contig=<") and "ID=" in line:
            fields = dict(
                field.split("=", 1)
                for field in line.strip().removeprefix("##contig=<").rstrip(">").split(",")
                if "=" in field
            )
            contigs[fields["ID"]] = int(fields["length"]) if fields.get("length", "").isdigit() else None
    return list(headers.samples), contigs


def individuals_by_population(vcf_samples, populations, popmap, path):
    """Population -> VCF column indices of its individuals: from the popmap (sample -> population), or,
    without one, every VCF sample in the single population of ``populations``."""
    if popmap is None:
        if len(populations) != 1:
            raise DataError(
                f"{len(populations)} populations are sampled; a popmap file must say which VCF samples belong to which"
            )
        return {next(iter(populations)): list(range(len(vcf_samples)))}
    absent = [s for s in popmap if s not in vcf_samples]
    if absent:
        raise DataError(f"{len(absent)} popmap sample(s) are not in VCF '{path}': {', '.join(absent[:5])}")
    index = {name: i for i, name in enumerate(vcf_samples)}
    available = {}
    for sample, population in popmap.items():
        available.setdefault(population, []).append(index[sample])
    return available


def _select_samples(vcf_samples, samples, popmap, seed, path):
    """Population -> VCF column indices of the individuals to use, in config order."""
    available = individuals_by_population(vcf_samples, samples, popmap, path)
    columns = {}
    for population, n in samples.items():
        candidates = available.get(population, [])
        if len(candidates) < n:
            raise DataError(
                f"population {population} needs {n} individuals but the VCF has {len(candidates)} for it ('{path}')"
            )
        columns[population] = np.sort(seeded_rng(seed, population).choice(candidates, size=n, replace=False))
    return columns
