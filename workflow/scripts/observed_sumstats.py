import pandas as pd

from popsbi.abc_analysis import observed_statistics
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    simulated = {}
    if "heldout" in snakemake.input.keys():
        simulated = {"sumstats": pd.read_parquet(snakemake.input.sumstats),
                     "heldout": pd.read_csv(snakemake.input.heldout, sep="\t")}
    observed_statistics(settings, **simulated).to_csv(snakemake.output[0], sep="\t", index=False)
