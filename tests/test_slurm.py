"""`snakemake --profile slurm` against a real single-node SLURM cluster on localhost.

Installs munge and SLURM from Debian packages, starts the daemons, runs the tiny example
config through the SLURM executor, checks that every job was a SLURM job and that the
results equal a local run's (the example_runs fixture's), and stops the daemons it started.
"""

import os
import shutil
import subprocess

import pytest
from conftest import ROOT
from helpers import OUTPUTS, checkout, job_counts, snakemake, tiny

pytestmark = pytest.mark.workflow
CLUSTER = ROOT / "tests" / "slurm" / "cluster.sh"
# Fast status polling for a test; squeue because this cluster has no accounting database
# (the executor's default, sacct, needs one).
TEST_OPTIONS = [
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--seconds-between-status-checks",
    "2",
    "--slurm-keep-successful-logs",
    # This node has no GPU and few CPUs: training goes to the GPU partition (here an alias
    # of the node) but asks for no GPU, and for what the node has. --set-resources on the
    # command line replaces the profile's, so the partition is repeated.
    "--set-resources",
    "cnn_train:gpu=0",
    "cnn_train:mem_mb=2000",
    "cnn_train:slurm_partition=gpu",
    "cnn_search:gpu=0",
    "cnn_search:mem_mb=2000",
    "cnn_search:slurm_partition=gpu",
    "--set-threads",
    "cnn_train=1",
    "cnn_search=1",
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("SLURM cannot be installed here: the test installs Debian packages and needs root and apt-get")
    installed = subprocess.run([CLUSTER, "install"], capture_output=True, text=True, timeout=900)
    if installed.returncode != 0:
        pytest.skip(f"SLURM could not be installed from Debian packages: {installed.stderr[-1000:]}")
    directory = tmp_path_factory.mktemp("cluster")
    started = subprocess.run([CLUSTER, "start", directory], capture_output=True, text=True, timeout=120)
    if started.returncode == 3:
        pytest.skip(started.stderr.strip())
    try:
        assert started.returncode == 0, started.stderr
        yield directory
    finally:
        subprocess.run([CLUSTER, "stop", directory], timeout=60)


def test_profile_slurm_runs_every_job_through_slurm_with_local_results(cluster, example_runs, tmp_path):
    local = example_runs[0]  # the same config, run here without SLURM
    remote = checkout(ROOT, tmp_path)
    plan = snakemake(remote, "--configfile", tiny(remote), "--dry-run")
    jobs = {rule: n for rule, n in job_counts(plan.stdout).items() if rule != "all"}
    # The plugin ignores SIGTERM while jobs run: timeout -k makes sure the test ends.
    result = snakemake(
        remote,
        "--profile",
        "slurm",
        "--configfile",
        "tiny.yaml",
        *TEST_OPTIONS,
        prefix=("timeout", "-k", "20", "600"),
        cores=(),
        profile=(),
    )
    assert result.returncode == 0, result.stderr[-3000:]

    # One SLURM log per job, named by its SLURM job id, and SLURM's record of each job.
    logs = remote / ".snakemake" / "slurm_logs"
    for rule, n in jobs.items():
        job_logs = list((logs / f"rule_{rule}").rglob("*.log"))
        assert len(job_logs) == n, rule
        for log in job_logs:
            record = subprocess.run(["scontrol", "show", "job", log.stem], capture_output=True, text=True)
            assert "JobState=COMPLETED" in record.stdout, (rule, record.stdout + record.stderr)
            partition = "gpu" if rule in ("cnn_train", "cnn_search") else "main"
            assert f"Partition={partition} " in record.stdout, (rule, record.stdout)

    for name in OUTPUTS:
        assert (remote / "results" / "datasets" / name).read_bytes() == (
            local / "results" / "datasets" / name
        ).read_bytes(), name
    for table in ("model_choice.tsv", "random_forest.tsv", "goodness_of_fit.tsv", "cv/accuracy.tsv"):
        assert (remote / "results" / "abc" / table).read_text() == (local / "results" / "abc" / table).read_text()
