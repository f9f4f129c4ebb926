import numpy as np
import pandas as pd

from popsbi.logs import job_logging
from popsbi.nn.training import load
from popsbi.stages import sweeps as sweep_stage

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    inputs, params = snakemake.input, snakemake.params
    models = {net: load(path) for net, path in zip(params.networks, inputs.checkpoints)}
    with np.load(inputs.images) as batch:
        null = (pd.read_parquet(inputs.table), batch["images"], batch["distances"])
    table = sweep_stage.thresholds(models, null, params.floor, params.false_positive_rate)
    table.to_csv(snakemake.output[0], sep="\t", index=False)
