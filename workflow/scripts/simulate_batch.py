import pandas as pd

from popsbi.datasets import write_batch
from popsbi.logs import job_logging
from popsbi.stages.simulation import simulate_batch

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    settings, out = snakemake.params.simulation, snakemake.output
    rows = pd.read_parquet(snakemake.input.priors).iloc[settings.batch_rows(int(snakemake.wildcards.batch))]
    table, images, distances = simulate_batch(settings, rows, out.trees[0] if out.trees else None)
    write_batch(table, images, distances, out.sumstats, out.images)
