import pandas as pd

from popsbi.datasets import write_batch
from popsbi.logs import job_logging

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    settings = snakemake.params.simulations
    backgrounds = settings.backgrounds(pd.read_csv(snakemake.input.demography, sep="\t"))
    table, images, distances = settings.neutral_windows(snakemake.params.windows, "null", backgrounds)
    write_batch(table, images, distances, snakemake.output.table, snakemake.output.images)
