from popsbi.logs import job_logging
from popsbi.priors import draw_prior_table

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    draw_prior_table(**snakemake.params.table).to_parquet(snakemake.output[0], index=False)
