from pathlib import Path

import pandas as pd

from popsbi.logs import job_logging
from popsbi.stages import sweeps as sweep_stage

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    inputs = snakemake.input
    forest = pd.read_csv(inputs.forest, sep="\t") if inputs.get("forest") else None
    draws = {Path(path).stem: pd.read_csv(path, sep="\t") for path in inputs.get("draws", [])}
    table = sweep_stage.background_table(snakemake.params.demography, snakemake.params.simulations, forest, draws)
    table.to_csv(snakemake.output[0], sep="\t", index=False)
