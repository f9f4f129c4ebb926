import pandas as pd

from popsbi.jobs import job_settings
from popsbi.logs import job_logging
from popsbi.plots import plot_statistics

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    parameters = {name for scenario in settings.scenarios for name in settings.priors_of(scenario)}
    plot_statistics(pd.read_parquet(snakemake.input[0]), parameters, snakemake.output[0])
