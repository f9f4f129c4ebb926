from popsbi.datasets import aggregate
from popsbi.logs import job_logging

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    out = snakemake.output
    aggregate(snakemake.input.sumstats, snakemake.input.images, out.sumstats, out.images, out.distances, out.index)
