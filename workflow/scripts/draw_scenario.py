import pandas as pd

from popsbi.diagrams import draw_scenario, typical_parameters
from popsbi.logs import job_logging
from popsbi.scenarios import ScenarioModel

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    simulation = snakemake.params.simulation
    params = typical_parameters(pd.read_parquet(snakemake.input.priors), list(simulation.parameters))
    draw_scenario(ScenarioModel(simulation.scenario, simulation.model), params, snakemake.output[0])
