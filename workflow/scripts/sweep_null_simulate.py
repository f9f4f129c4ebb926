import pandas as pd

from popsbi.datasets import write_batch
from popsbi.logs import job_logging

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    settings = snakemake.params.simulations
    backgrounds = settings.backgrounds(pd.read_csv(snakemake.input.demography, sep="\t"))
    rows = settings.class_table("neutral", snakemake.params.windows, "null")
    table, images, distances = settings.simulate_windows("neutral", rows, backgrounds)
    write_batch(table, images, distances, snakemake.output.table, snakemake.output.images)
