"""What a run was: its settings, its size, its seeds and the software that ran it."""

import platform
from importlib import metadata
from pathlib import Path

import pandas as pd

PACKAGES = (
    "popsbi",
    "snakemake",
    "msprime",
    "tskit",
    "demes",
    "scikit-allel",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "torch",
    "pytorch-lightning",
    "matplotlib",
)


def software_versions():
    rows = [{"software": "python", "version": platform.python_version()}]
    for package in PACKAGES:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"software": package, "version": version})
    return pd.DataFrame(rows)


def run_table(facts, sumstats, heldout, observed_source):
    """Key facts of the run, one per row: enough to tell two runs apart and to reproduce one.

    ``facts`` are what the config says (``Settings.run_facts``); the rest comes from the data.
    """
    per_scenario = sumstats.groupby("scenario", sort=False).size()
    rows = [
        ("master seed", facts["seed"]),
        ("config (validated, defaults filled) md5", facts["config_md5"]),
        ("scenarios", ", ".join(facts["scenarios"])),
        ("simulations per scenario", facts["simulations_per_scenario"]),
        ("simulations in the datasets", len(sumstats)),
        ("simulation batches (jobs)", facts["batches"]),
        ("held-out simulations (ABC and CNN test set)", len(heldout)),
        ("sampled individuals", ", ".join(f"{pop}: {n}" for pop, n in facts["samples"].items())),
        ("loci (observed regions) per simulation", facts["loci"]),
        ("sequence length (bp), all loci together", facts["sequence_length"]),
        ("observed data", observed_source),
        ("networks", ", ".join(facts["networks"])),
    ]
    rows += [(f"simulations of {scenario}", int(n)) for scenario, n in per_scenario.items()]
    if facts["sweeps"] is not None:
        sweeps = facts["sweeps"]
        rows += [
            ("sweep classes", ", ".join(sweeps["classes"])),
            ("simulated windows per sweep class", sweeps["simulations_per_class"]),
            ("simulated neutral windows", sweeps["neutral_simulations"]),
            ("sweep background demography", sweeps["demography"]),
            ("scan targets", sweeps["scan"]),
        ]
    return pd.DataFrame(rows, columns=["item", "value"])


def runtime_table(directory):
    """Per rule, from the Snakemake benchmark files under ``directory`` (one folder or file name per
    rule, as ``benchmarks/<rule>/...tsv``): jobs, wall and CPU seconds summed, and the largest peak
    resident memory (MB) of one job. Largest CPU time first."""
    rows = []
    for path in sorted(Path(directory).rglob("*.tsv")):
        rule = path.relative_to(directory).parts[0].removesuffix(".tsv")
        benchmark = pd.read_csv(path, sep="\t", na_values=["-", "NA"])
        rows += [
            {"rule": rule, "s": row["s"], "cpu_time": row["cpu_time"], "max_rss": row["max_rss"]}
            for _, row in benchmark.iterrows()
        ]
    jobs = pd.DataFrame(rows, columns=["rule", "s", "cpu_time", "max_rss"])
    table = jobs.groupby("rule").agg(
        jobs=("s", "size"),
        wall_seconds=("s", "sum"),
        cpu_seconds=("cpu_time", "sum"),
        peak_memory_mb=("max_rss", "max"),
    )
    return table.sort_values("cpu_seconds", ascending=False).round(1).reset_index()
