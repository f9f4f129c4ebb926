"""A run survives interruption and bad input, and its report renders in a real browser."""

import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml
from helpers import OUTPUTS, checkout, job_counts, snakemake, tiny

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
    plan = snakemake(directory, "--configfile", config, "--dry-run")
    assert job_counts(plan.stdout)["simulate_batch"] <= 6 - len(finished) + 1  # the one killed mid-way at most
    resumed = snakemake(directory, "--configfile", config)
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


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    """The demo VCF and map: the repository's if `make run` fetched them, else fetched by the rule."""
    from conftest import ROOT

    resources = ROOT / "resources" / "shapeit4-example"
    if not (resources / "reference.vcf.gz").exists():
        directory = checkout(ROOT, tmp_path_factory.mktemp("demo"))
        fetched = snakemake(directory, "resources/shapeit4-example/reference.vcf.gz")
        assert fetched.returncode == 0, fetched.stderr[-3000:]
        resources = directory / "resources" / "shapeit4-example"
    return resources


@pytest.mark.parametrize(
    "name, break_vcf, message",
    [
        ("truncated", lambda data: data[: len(data) // 3], "cannot read VCF"),
        ("unphased", lambda data: gzip.compress(gzip.decompress(data).replace(b"0|1", b"0/1")), "is unphased"),
        (
            "other contig",
            lambda data: gzip.compress(gzip.decompress(data).replace(b"\n20\t", b"\n21\t")),
            "no variants in 20:1000001-2000000 .*contig",
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
