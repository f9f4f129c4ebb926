import pandas as pd

from popsbi.abc import choose_heldout
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    sumstats = pd.read_parquet(snakemake.input[0], columns=["scenario", "sim_id"])
    choose_heldout(sumstats, snakemake.params.per_scenario, settings.seed).to_csv(
        snakemake.output[0], sep="\t", index=False)
