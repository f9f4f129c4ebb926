import pandas as pd

from popsbi.evaluation import choose_heldout
from popsbi.logs import job_logging

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    sumstats = pd.read_parquet(snakemake.input[0], columns=["scenario", "sim_id"])
    choose_heldout(sumstats, snakemake.params.per_scenario, snakemake.params.seed).to_csv(
        snakemake.output[0], sep="\t", index=False
    )
