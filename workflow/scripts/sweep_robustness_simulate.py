import pandas as pd

from popsbi.datasets import write_batch
from popsbi.logs import job_logging

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    settings, scenario = snakemake.params.simulations, snakemake.wildcards.scenario
    draws = pd.read_csv(snakemake.input.draws, sep="\t")
    backgrounds = settings.backgrounds(draws.assign(scenario=scenario)[["scenario", *draws.columns]])
    table, images, distances = settings.neutral_windows(snakemake.params.windows, f"robustness/{scenario}", backgrounds)
    write_batch(table, images, distances, snakemake.output.table, snakemake.output.images)
