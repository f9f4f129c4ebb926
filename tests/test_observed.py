"""Observed data: a VCF must be summarised exactly as the simulation it came from."""

import gzip

import demes
import numpy as np
import pytest

from popsbi.config import ObservedSettings
from popsbi.errors import DataError
from popsbi.features import FeatureSettings, summary_statistics
from popsbi.observed import read_popmap, read_vcf_region
from popsbi.regions import Region
from popsbi.simulate import Loci, demography, genotypes_from_tree_sequence, simulate
from popsbi.stages.observed import observed_features
from popsbi.summaries import Summaries

LENGTH = 200_000


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    b = demes.Builder(time_units="generations")
    b.add_deme("anc", epochs=[dict(start_size=5000, end_time=1000)])
    b.add_deme("A", ancestors=["anc"], epochs=[dict(start_size=5000)])
    b.add_deme("B", ancestors=["anc"], epochs=[dict(start_size=2000)])
    ts = simulate(demography(b.resolve()), {"A": 5, "B": 4}, LENGTH, 2e-8, 1e-8, 9)
    directory = tmp_path_factory.mktemp("vcf")
    names = [f"ind{i}" for i in range(ts.num_individuals)]
    with open(directory / "sim.vcf", "w") as handle:
        ts.write_vcf(handle, contig_id="7", individual_names=names, position_transform=lambda x: np.asarray(x) + 1)
    popmap = directory / "popmap.tsv"
    popmap.write_text("".join(f"{name}\t{'A' if i < 5 else 'B'}\n" for i, name in enumerate(names)))
    return ts, directory / "sim.vcf", popmap


def test_vcf_of_a_simulation_gives_the_simulation_statistics(simulated):
    ts, vcf, popmap = simulated
    settings = FeatureSettings()
    from_vcf = read_vcf_region(vcf, "7", 0, LENGTH, {"A": 5, "B": 4}, read_popmap(popmap), seed=1)
    from_ts = genotypes_from_tree_sequence(ts, ["A", "B"], polarised=False)
    assert np.array_equal(from_vcf.positions, from_ts.positions)
    assert summary_statistics(from_vcf, settings) == pytest.approx(summary_statistics(from_ts, settings), nan_ok=True)


def test_region_and_subsampling_are_deterministic(simulated):
    _, vcf, popmap = simulated
    first = read_vcf_region(vcf, "7", 50_000, 150_000, {"A": 3, "B": 2}, read_popmap(popmap), seed=1)
    again = read_vcf_region(vcf, "7", 50_000, 150_000, {"A": 3, "B": 2}, read_popmap(popmap), seed=1)
    assert np.array_equal(first.haplotypes, again.haplotypes)
    assert first.haplotypes.shape[1] == 10 and first.sequence_length == 100_000
    assert first.positions.min() >= 1 and first.positions.max() <= 100_000


HEADER = (
    "##fileformat=VCFv4.2\n##contig=<ID=1>\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\ts2\n"
)


def write_vcf(path, records):
    path.write_text(
        HEADER
        + "".join(
            "\t".join(["1", str(pos), ".", ref, alt, ".", ".", ".", "GT", *gts]) + "\n"
            for pos, ref, alt, gts in records
        )
    )
    return path


def test_only_complete_biallelic_snps_are_kept(tmp_path):
    vcf = write_vcf(
        tmp_path / "odd.vcf",
        [
            (10, "A", "G", ["0|1", "1|1"]),
            (20, "A", "G,T", ["0|1", "2|1"]),  # multiallelic
            (30, "AT", "A", ["0|1", "0|0"]),  # indel
            (40, "C", "T", ["0|.", "1|1"]),  # missing genotype
            (50, "C", "T", ["1|0", "0|0"]),
        ],
    )
    g = read_vcf_region(vcf, "1", 0, 100, {"P": 2}, None, seed=0)
    assert list(g.positions) == [10, 50]
    assert g.haplotypes.tolist() == [[0, 1, 1, 1], [1, 0, 0, 0]]


@pytest.mark.parametrize(
    "records, contig, samples, popmap, message",
    [
        ([(10, "A", "G", ["0|1", "1|1"])], "2", {"P": 2}, None, "no variants in 2:1-100"),
        ([(30, "A", "G", ["0|1", "1|1"]), (10, "A", "G", ["0|1", "1|1"])], "1", {"P": 2}, None, "not sorted"),
        ([(10, "A", "G", ["0|1", "1|1"])], "1", {"P": 3}, None, "P needs 3 individuals .* the VCF has 2"),
        ([(10, "A", "G", ["0|1", "1|1"])], "1", {"P": 1}, {"s1": "P", "s9": "P"}, "not in VCF .*: s9"),
        ([(10, "A", "G", ["0|1", "1|1"])], "1", {"P": 1, "Q": 1}, None, "a popmap .* must say"),
        (
            [(10, "A", "G", ["0|1", "./."]), (20, "A", "G", ["1/1", "0|1"])],
            "1",
            {"P": 2},
            None,
            "unphased: 1 genotypes .*first: 1/1",
        ),  # './.' is missing, not unphased
    ],
)
def test_bad_vcf_input_is_one_clear_message(tmp_path, records, contig, samples, popmap, message):
    vcf = write_vcf(tmp_path / "bad.vcf", records)
    with pytest.raises(DataError, match=message):
        read_vcf_region(vcf, contig, 0, 100, samples, popmap, seed=0)


def test_truncated_vcf_is_a_data_error(tmp_path, simulated):
    _, vcf, _ = simulated
    truncated = tmp_path / "truncated.vcf.gz"
    truncated.write_bytes(gzip.compress(vcf.read_bytes())[:3000])
    with pytest.raises(DataError, match="cannot read VCF"):
        read_vcf_region(truncated, "7", 0, LENGTH, {"A": 1}, None, seed=0)


def test_regions_of_a_vcf_are_summarised_as_the_loci_of_a_simulation(tmp_path):
    """A VCF holding a multi-locus simulation's loci, read region by region, gives the simulation's
    statistics, image and per-locus table: the observed and simulated paths agree over loci."""
    loci = Loci((30_000, 50_000, 20_000))
    b = demes.Builder(time_units="generations")
    b.add_deme("A", epochs=[dict(start_size=5000)])
    simulated = loci.genotypes(loci.simulate(demography(b.resolve()), {"A": 6}, 2e-8, [1e-8] * 3, 4), ["A"], False)
    starts = [0, 100_000, 200_000]  # the regions of the chromosome where the loci lie
    records = [
        f"3\t{start + position}\t.\tA\tT\t.\tPASS\t.\tGT\t"
        + "\t".join(f"{row[2 * i]}|{row[2 * i + 1]}" for i in range(6))
        for start, locus in zip(starts, simulated)
        for position, row in zip(locus.positions, locus.haplotypes)
    ]
    samples = "\t".join(f"i{i}" for i in range(6))
    (tmp_path / "loci.vcf").write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=3,length=300000>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{samples}\n" + "\n".join(records) + "\n"
    )
    regions = tuple(Region("3", start, start + length) for start, length in zip(starts, loci.lengths))
    summaries = Summaries(FeatureSettings(), 8, 3, "similarity", False)
    settings = ObservedSettings(
        vcf=str(tmp_path / "loci.vcf"),
        regions=regions,
        popmap=None,
        pseudo_observed_scenario=None,
        samples={"A": 6},
        seed=1,
        summaries=summaries,
        parameter_names=(),
        min_snps=10,
    )
    table, image, distances, per_locus = observed_features(settings)
    statistics, expected_image, expected_distances = summaries.of(simulated)
    assert table.drop(columns="source").iloc[0].to_dict() == pytest.approx(statistics, nan_ok=True)
    assert "sd_pi_A" in statistics
    assert np.array_equal(image, expected_image) and np.array_equal(distances, expected_distances)
    assert list(per_locus["region"]) == ["3:1-30000", "3:100001-150000", "3:200001-220000"]
    assert list(per_locus["snps"]) == [len(locus.positions) for locus in simulated]
