"""A run survives interruption and bad input, and its report renders in a real browser."""

import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml
from helpers import OUTPUTS, TINY, checkout, job_counts, snakemake, tiny

pytestmark = pytest.mark.workflow


def batch_tables(directory):
    return sorted((directory / "results" / "simulations").glob("*/batch_*.parquet"))


def test_killed_run_resumes_and_gives_the_uninterrupted_datasets(example_runs, root, tmp_path):
    directory = checkout(root, tmp_path)
    config = tiny(directory)  # the config of example_runs
    command = [sys.executable, "-m", "snakemake", "--cores", "1", "--configfile", config]
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    run = subprocess.Popen(
        command, cwd=directory, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while len(batch_tables(directory)) < 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)  # as a crash or a node failure would: no clean-up at all
    run.wait()
    finished = {path: path.stat().st_mtime_ns for path in batch_tables(directory)}
    assert 2 <= len(finished) < 6, "the kill should land inside the simulation stage"

    assert snakemake(directory, "--unlock", "--configfile", config).returncode == 0
    datasets = [f"results/datasets/{name}" for name in OUTPUTS]  # resumed as far as the datasets
    plan = snakemake(directory, *datasets, "--configfile", config, "--dry-run")
    assert job_counts(plan.stdout)["simulate_batch"] <= 6 - len(finished) + 1  # the one killed mid-way at most
    resumed = snakemake(directory, *datasets, "--configfile", config)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for path, mtime in finished.items():
        if path.stat().st_mtime_ns != mtime:
            # Only a batch whose job was killed after writing its table (incomplete) is redone.
            assert path.name in plan.stdout, path
    for name in OUTPUTS:
        assert (directory / "results" / "datasets" / name).read_bytes() == (
            example_runs[0] / "results" / "datasets" / name
        ).read_bytes(), name


def _bad_vcf_run(directory, break_vcf):
    """The tiny default config on a broken copy of the demo VCF; returns the Snakemake result."""
    config = yaml.safe_load((directory / tiny(directory, "config/config.yaml")).read_text())
    vcf = directory / "bad.vcf.gz"
    break_vcf(vcf)
    config["observed"]["vcf"] = str(vcf)
    (directory / "bad.yaml").write_text(yaml.safe_dump(config))
    return snakemake(directory, "results/observed/sumstats.tsv", "--configfile", "bad.yaml")


def _bit_flipped(data):
    """The compressed bytes with a run of bits flipped in the middle, as a bad disk or transfer leaves them."""
    data = bytearray(data)
    for i in range(len(data) // 2, len(data) // 2 + 200, 7):
        data[i] ^= 0xFF
    return bytes(data)


def _haploid(data):
    """Every genotype written as one allele: no site is left with the diploid calls the data need."""
    lines = gzip.decompress(data).decode().splitlines()
    body = ["\t".join(line.split("\t")[:9] + ["0"] * (len(line.split("\t")) - 9)) for line in lines if line[0] != "#"]
    return gzip.compress("\n".join([line for line in lines if line[0] == "#"] + body).encode() + b"\n")


@pytest.mark.parametrize(
    "name, break_vcf, message",
    [
        ("truncated", lambda data: data[: len(data) // 3], "cannot read VCF"),
        ("unphased", lambda data: gzip.compress(gzip.decompress(data).replace(b"0|1", b"0/1")), "is unphased"),
        ("bit-flipped", _bit_flipped, "cannot read VCF .*: Error -3 while decompressing data"),
        ("haploid", _haploid, r"0 SNPs segregate among the selected individuals in .* fewer than observed.min_snps"),
        (
            "monomorphic",
            lambda data: gzip.compress(gzip.decompress(data).replace(b"1|", b"0|").replace(b"|1", b"|0")),
            r"0 SNPs segregate among the selected individuals in .* \(\d+ biallelic records kept\), fewer than",
        ),
        (
            "other contig",
            lambda data: gzip.compress(gzip.decompress(data).replace(b"\n20\t", b"\n21\t")),
            "no variants in any of the 10 regions .*contigs named as in the VCF",
        ),
    ],
)
def test_bad_vcf_stops_with_one_message_and_no_partial_output(root, tmp_path, demo_data, name, break_vcf, message):
    source = demo_data / "reference.vcf.gz"
    directory = checkout(root, tmp_path)
    shutil.copytree(demo_data, directory / "resources" / "shapeit4-example")
    result = _bad_vcf_run(directory, lambda vcf: vcf.write_bytes(break_vcf(source.read_bytes())))
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("popsbi: ")]
    assert len(errors) == 1 and re.search(message, errors[0]), result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert not (directory / "results" / "observed" / "sumstats.tsv").exists()
    assert not (directory / "results" / "observed" / "image.npz").exists()


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"simulations_per_scenario": "many"}, "config key simulations_per_scenario: 'many' is not of type 'integer'"),
        (
            {"cnn": {"architectures": ["transformer"]}},
            r"config key cnn.architectures\[0\]: 'transformer' is not one of",
        ),
        ({"abc": {"tolerance": 2}}, "config key abc.tolerance: 2 is greater than the maximum of 1"),
        (
            {"observed": {"pseudo_observed_scenario": "panmixia"}},
            "observed.pseudo_observed_scenario: 'panmixia' is not a scenario",
        ),
    ],
)
def test_config_errors_stop_before_any_job(root, tmp_path, edit, message):
    directory = checkout(root, tmp_path)
    config = yaml.safe_load((directory / tiny(directory)).read_text())
    config.update(edit)
    (directory / "bad.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(directory, "--configfile", "bad.yaml")
    assert result.returncode != 0
    assert re.search(f"Invalid configuration: {message}", result.stderr), result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (directory / "results").exists() and not (directory / "logs").exists()


def _yaml_edit(old, new):
    return lambda directory, text: text.replace(old, new, 1)


def _demes_edit(directory, text):
    model = directory / "config" / "scenarios" / "isolation.yaml"
    model.write_text(model.read_text() + "time_units: years\n")
    return text


def _one_scenario(directory, text):
    config = yaml.safe_load(text)
    config["scenarios"] = {"isolation": config["scenarios"]["isolation"]}
    return yaml.safe_dump(config, sort_keys=False)


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            _yaml_edit("scenarios:\n", "scenarios:\n  founder:\n    model: config/scenarios/founder.yaml\n"),
            r"bad.yaml: key 'founder' is given twice \(lines 12 and \d\d\)",
        ),
        (
            _demes_edit,
            r"scenarios.isolation.model: 'config/scenarios/isolation.yaml': key 'time_units' is given twice "
            r"\(lines 2 and 1\d\)",
        ),
        (_one_scenario, r"scenarios: model choice needs at least two scenarios, the config has one \(isolation\)"),
        (
            _yaml_edit("        high: 20000", "        hihg: 20000"),
            r"config key scenarios.isolation.priors.N_anc: unexpected key 'hihg' \(allowed keys: dist, high, low",
        ),
        (
            _yaml_edit("simulations_per_scenario: 6", "simulations_per_scenario: 2e3"),
            r"config key simulations_per_scenario: YAML read '2e3' as text, not a number: write 2000, or an "
            r"exponent with a dot and a sign \(e.g. 2.0e\+3\)",
        ),
        (_yaml_edit("seed: 7", "seed: 4294967296"), "config key seed: 4294967296 is greater than the maximum"),
        (
            _yaml_edit("dist: loguniform\n        low: 1000", "dist: uniform\n        low: -5000"),
            r"scenarios.isolation.model: scenario 'isolation' \(config/scenarios/isolation.yaml\) is not a valid "
            r"Demes model with .*N_anc=-\d",
        ),
    ],
)
def test_config_file_mistakes_stop_before_any_job(root, tmp_path, edit, message):
    """Mistakes made in the YAML text itself (duplicate keys, typos, numbers YAML reads as text), in a
    Demes file, or in priors that reach an invalid model, found when Snakemake starts."""
    directory = checkout(root, tmp_path)
    text = (directory / tiny(directory)).read_text()
    (directory / "bad.yaml").write_text(edit(directory, text))
    result = snakemake(directory, "--configfile", "bad.yaml")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("Invalid configuration: ")]
    assert len(errors) == 1 and re.search(message, errors[0]), result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (directory / "results").exists() and not (directory / "logs").exists()


def _set(*path_and_value):
    *path, key, value = path_and_value

    def edit(config):
        node = config
        for part in path:
            node = node[part]
        node[key] = value

    return edit


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda config: config["genome"]["recombination_map"].update(start=1_000_000, end=2_000_000),
            "observed: 10 regions are given, but genome.recombination_map's start and end name one",
        ),
        (
            lambda config: config["observed"].update(
                bed=None, regions=[{"contig": "chr21", "start": 10**6, "end": 2 * 10**6}]
            ),
            "observed: region chr21:1000001-2000000: contig 'chr21' is not the chromosome of genome.recombination_map",
        ),
        (
            _set("samples", "EUR", 500),
            r"samples.EUR: 500 individuals of EUR asked for, but '.*reference.vcf.gz' has 300",
        ),
        (_set("observed", "popmap", "popmap.tsv"), r"observed.popmap: 1 popmap sample\(s\) are not in VCF .*: NA99999"),
        (_set("sweeps", "individuals", 400), "sweeps.individuals: 400 individuals of EUR asked for, but .* has 300"),
        (
            _set("sweeps", "scan", "chr20_excerpt", "contig", "chr20"),
            "sweeps.scan.chr20_excerpt.contig: 'chr20' is not a contig of .* declares 20",
        ),
        (
            _set("sweeps", "scan", "chr20_excerpt", "samples", ["HG00096", "NA99999"]),
            r"sweeps.scan.chr20_excerpt.samples: 1 popmap sample\(s\) are not in VCF .*: NA99999",
        ),
        (
            lambda config: config["sweeps"]["scan"]["chr20_excerpt"].update(popmap="popmap.tsv", population="CEU"),
            r"sweeps.scan.chr20_excerpt.population: 'CEU' is not a population of popmap 'popmap.tsv' \(its "
            r"populations: EUR\)",
        ),
        (
            _set("sweeps", "scan", "chr20_excerpt", "popmap", "popmap.tsv"),
            r"sweeps.scan.chr20_excerpt.popmap: 1 popmap sample\(s\) are not in VCF .*: NA99999",
        ),
        (
            _set("sweeps", "demography", {"scenario": "constant", "parameters": {"N": -5}}),
            "sweeps.demography.parameters: scenario 'constant' .* not a valid Demes model with N=-5",
        ),
        (
            _set("sweeps", "demography", {"scenario": "constant_size"}),
            "sweeps.demography.scenario: 'constant_size' is not a scenario",
        ),
    ],
)
def test_default_config_mistakes_stop_before_any_job(root, tmp_path, demo_data, edit, message):
    """Mistakes that only the data show (the VCF's header, the genetic map), found at start-up too."""
    directory = checkout(root, tmp_path)
    shutil.copytree(demo_data, directory / "resources" / "shapeit4-example")
    (directory / "popmap.tsv").write_text("HG00096\tEUR\nNA99999\tEUR\n")  # the second is not in the VCF
    config = yaml.safe_load((directory / tiny(directory, "config/config.yaml")).read_text())
    edit(config)
    (directory / "bad.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = snakemake(directory, "--configfile", "bad.yaml")
    assert result.returncode != 0
    assert re.search(f"Invalid configuration: {message}", result.stderr), result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (directory / "results").exists()


def test_editing_a_scenario_model_reruns_its_simulations(example_runs):
    directory = example_runs[1]
    model = directory / "config" / "scenarios" / "founder.yaml"
    text, times = model.read_text(), (model.stat().st_atime_ns, model.stat().st_mtime_ns)
    try:
        model.write_text(text.replace("time_units: generations", "time_units: generations\ngeneration_time: 1"))
        result = snakemake(directory, "--configfile", "tiny.yaml", "--dry-run")
    finally:
        model.write_text(text)
        os.utime(model, ns=times)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert counts["simulate_batch"] == 2 and counts["draw_scenario"] == 1  # founder's two batches, its diagram
    assert "draw_priors" not in counts  # the prior table does not depend on the file
    assert "output: results/simulations/founder/batch_0.parquet" in result.stdout
    assert "output: results/simulations/isolation/" not in result.stdout  # only founder's batches are redone


def test_a_full_disk_stops_the_run_with_one_line_per_job_and_keeps_finished_outputs(root, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("a small file system for results/ is mounted with root rights")
    directory = checkout(root, tmp_path)
    config = tiny(directory)
    results = directory / "results"
    results.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=120k", "tmpfs", str(results)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode()[-300:]}")
    try:
        result = snakemake(directory, "--configfile", config)
        # Read before the file system goes: a truncated table would not read.
        priors = {path.name: len(pd.read_parquet(path)) for path in (results / "priors").glob("*.parquet")}
    finally:
        subprocess.run(["umount", str(results)], check=True)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("popsbi: ")]
    assert errors, result.stderr[-3000:]
    for line in errors:
        assert re.fullmatch(
            r"popsbi: cannot (read or write a file|write the outputs \(results/.*\)): "
            r"\[Errno 28\] .*No space left on device.*",
            line,
        ), line
        assert "results/" in line  # the file, or the job's outputs
    assert "Traceback" not in result.stderr
    # The jobs that finished before the disk filled keep their outputs, whole (which jobs those
    # are depends on the order the two cores took them in).
    assert priors and set(priors.values()) == {TINY["simulations_per_scenario"]}, priors


def test_a_refused_config_leaves_a_finished_run_as_it_was(example_runs):
    directory = example_runs[0]
    before = {path: path.stat().st_mtime_ns for path in (directory / "results").rglob("*") if path.is_file()}
    text = (directory / "tiny.yaml").read_text()
    (directory / "twice.yaml").write_text(text.replace("seed: 7\n", "seed: 7\nseed: 8\n"))
    result = snakemake(directory, "--configfile", "twice.yaml")
    assert result.returncode != 0 and "Invalid configuration: twice.yaml: key 'seed' is given twice" in result.stderr
    after = {path: path.stat().st_mtime_ns for path in (directory / "results").rglob("*") if path.is_file()}
    assert after == before


def test_a_full_disk_ends_the_job_with_one_line_naming_the_file(tmp_path, capsys):
    import numpy as np

    from popsbi.datasets import write_batch
    from popsbi.logs import job_logging

    table = pd.DataFrame({"sim_id": [0, 1], "pi_A": [1e-3, 2e-3]})
    log = tmp_path / "job.log"
    with pytest.raises(SystemExit) as exit_info, job_logging(log):
        write_batch(table, np.zeros((2, 4, 8), np.uint8), np.zeros((2, 8), np.float32), "/dev/full", tmp_path / "i.npz")
    assert exit_info.value.code == 1
    message = capsys.readouterr().err.strip()
    assert re.fullmatch(
        r"popsbi: cannot read or write a file: \[Errno 28\] .*No space left on device.*: '/dev/full'", message
    ), message
    assert "Traceback" not in log.read_text()


def chromium():
    """Chromium from Debian packages, installed if needed (as the SLURM test installs SLURM)."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("Chromium is not installed and cannot be: the test installs Debian packages and needs root")
    install = "apt-get install -y -q --no-install-recommends chromium"
    result = subprocess.run(
        ["bash", "-c", f"{install} || (apt-get update -q && {install})"],
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        pytest.skip(f"Chromium could not be installed from Debian packages: {result.stderr[-1000:]}")
    return shutil.which("chromium")


def test_report_is_self_contained_and_renders_in_a_headless_browser(example_runs, tmp_path):
    directory = example_runs[0]
    result = snakemake(directory, "--configfile", "tiny.yaml", "--report", "report.html")
    assert result.returncode == 0, result.stderr[-3000:]
    report = directory / "report.html"
    html = report.read_text()
    assert len(html) > 500_000  # figures embedded
    assert 'src="http' not in html and 'href="http' not in html.split("<body")[0]  # nothing fetched
    browser = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=20000"]
    dom = subprocess.run([*browser, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for text in ("Run summary", "Comparison", "CNN", "ABC", "Scenarios", "Simulation-based inference"):
        assert text in dom.stdout, text
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [*browser, "--window-size=1400,1000", f"--screenshot={screenshot}", report.as_uri()],
        capture_output=True,
        timeout=180,
    )
    assert screenshot.stat().st_size > 20_000
