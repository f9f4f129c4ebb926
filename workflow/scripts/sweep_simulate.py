import pandas as pd

from popsbi.datasets import write_batch
from popsbi.logs import job_logging

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    settings, cls = snakemake.params.simulations, snakemake.wildcards.sweep_class
    rows = settings.class_table(cls).iloc[settings.batch_rows(int(snakemake.wildcards.batch), cls)]
    backgrounds = settings.backgrounds(pd.read_csv(snakemake.input.demography, sep="\t"))
    table, images, distances = settings.simulate_windows(cls, rows, backgrounds)
    write_batch(table, images, distances, snakemake.output.table, snakemake.output.images)
