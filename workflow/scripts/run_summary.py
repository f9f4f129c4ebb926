import pandas as pd
import yaml

from popsbi.logs import job_logging
from popsbi.stages import summary

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    inputs, out = snakemake.input, snakemake.output
    sumstats = pd.read_parquet(inputs.sumstats, columns=["scenario", "sim_id"])
    source = pd.read_csv(inputs.observed, sep="\t", usecols=["source"])["source"].iloc[0]
    summary.run_table(snakemake.params.facts, sumstats, pd.read_csv(inputs.heldout, sep="\t"), source).to_csv(
        out.run, sep="\t", index=False
    )
    summary.software_versions().to_csv(out.software, sep="\t", index=False)
    with open(out.config, "w") as handle:
        yaml.safe_dump(snakemake.config, handle, sort_keys=False)
