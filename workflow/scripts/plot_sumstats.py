import pandas as pd

from popsbi.jobs import job_settings
from popsbi.logs import job_logging
from popsbi.plots import plot_statistics

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    plot_statistics(pd.read_parquet(snakemake.input[0]), settings.parameter_names, snakemake.output[0])
