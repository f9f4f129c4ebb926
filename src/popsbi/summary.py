"""What a run was: its settings, its size, its seeds and the software that ran it."""

import hashlib
import platform
from importlib import metadata

import pandas as pd
import yaml

PACKAGES = ("popsbi", "snakemake", "msprime", "tskit", "demes", "scikit-allel", "numpy", "pandas", "scipy",
            "scikit-learn", "torch", "pytorch-lightning", "matplotlib")


def software_versions():
    rows = [{"software": "python", "version": platform.python_version()}]
    for package in PACKAGES:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"software": package, "version": version})
    return pd.DataFrame(rows)


def run_table(settings, sumstats, heldout, observed_source):
    """Key facts of the run, one per row: enough to tell two runs apart and to reproduce one."""
    config_text = yaml.safe_dump(settings.raw, sort_keys=True)
    per_scenario = sumstats.groupby("scenario", sort=False).size()
    rows = [("master seed", settings.seed),
            ("config (validated, defaults filled) md5", hashlib.md5(config_text.encode()).hexdigest()),
            ("scenarios", ", ".join(settings.scenarios)),
            ("simulations per scenario", settings.simulations_per_scenario),
            ("simulations in the datasets", len(sumstats)),
            ("simulation batches (jobs)", settings.n_batches * len(settings.scenarios)),
            ("held-out simulations (ABC and CNN test set)", len(heldout)),
            ("sampled individuals", ", ".join(f"{pop}: {n}" for pop, n in settings.samples.items())),
            ("sequence length (bp)", settings.sequence_length),
            ("observed data", observed_source),
            ("networks", ", ".join(settings.cnn["architectures"]))]
    rows += [(f"simulations of {scenario}", int(n)) for scenario, n in per_scenario.items()]
    if settings.sweeps is not None:
        sweeps, scan = settings.sweeps, settings.sweeps.raw["scan"]
        rows += [("sweep classes", ", ".join(sweeps.classes)),
                 ("simulated windows per sweep class", sweeps.raw["simulations_per_class"]),
                 ("scanned region", f"{scan['vcf']} {scan['contig']}:{scan['start'] + 1}-{scan['end']}")]
    return pd.DataFrame(rows, columns=["item", "value"])
