import pandas as pd

from popsbi.batch import simulate_batch, write_batch
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    rows = pd.read_parquet(snakemake.input.priors).iloc[settings.batch_rows(int(snakemake.wildcards.batch))]
    trees = snakemake.output.trees[0] if snakemake.output.trees else None
    table, images, distances = simulate_batch(settings, snakemake.wildcards.scenario, rows, trees)
    write_batch(table, images, distances, snakemake.output.sumstats, snakemake.output.images)
