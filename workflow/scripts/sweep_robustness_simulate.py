import pandas as pd

from popsbi.datasets import write_batch
from popsbi.logs import job_logging

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    settings, scenario = snakemake.params.simulations, snakemake.wildcards.scenario
    draws = pd.read_csv(snakemake.input.draws, sep="\t")
    backgrounds = settings.backgrounds(draws.assign(scenario=scenario)[["scenario", *draws.columns]])
    rows = settings.class_table("neutral", snakemake.params.windows, f"robustness/{scenario}")
    table, images, distances = settings.simulate_windows("neutral", rows, backgrounds)
    write_batch(table, images, distances, snakemake.output.table, snakemake.output.images)
