import pandas as pd

from popsbi.datasets import read_batch
from popsbi.logs import job_logging
from popsbi.stages import sweeps as sweep_stage

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    inputs, params = snakemake.input, snakemake.params
    models = sweep_stage.load_ensembles(params.networks, inputs.checkpoints)
    windows = {
        scenario: read_batch(table, arrays)
        for scenario, table, arrays in zip(params.scenarios, inputs.tables, inputs.images)
    }
    trained_under = pd.read_csv(inputs.demography, sep="\t")["scenario"].iloc[0]
    thresholds = sweep_stage.read_thresholds(inputs.thresholds)["threshold"]
    table = sweep_stage.robustness(models, windows, trained_under, thresholds)
    table.to_csv(snakemake.output[0], sep="\t", index=False)
