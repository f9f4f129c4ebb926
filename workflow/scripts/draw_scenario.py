import pandas as pd

from popsbi.diagrams import draw_scenario, typical_parameters
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    scenario = job_settings(snakemake).scenarios[snakemake.wildcards.scenario]
    params = typical_parameters(pd.read_parquet(snakemake.input[0]), list(scenario.priors))
    draw_scenario(scenario.model, params, snakemake.output[0])
