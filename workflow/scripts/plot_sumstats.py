import pandas as pd

from popsbi.datasets import statistic_columns
from popsbi.logs import job_logging
from popsbi.plots import plot_statistics

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    sumstats = pd.read_parquet(snakemake.input[0])
    plot_statistics(sumstats, statistic_columns(sumstats, snakemake.params.parameters), snakemake.output[0])
