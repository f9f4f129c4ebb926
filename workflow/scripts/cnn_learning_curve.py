import pandas as pd

from popsbi import plots
from popsbi.logs import job_logging
from popsbi.stages import networks

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    predictions = {
        tuple(run): pd.read_csv(path, sep="\t") for run, path in zip(snakemake.params.runs, snakemake.input.predictions)
    }
    curve = networks.learning_curve(
        snakemake.params.networks,
        predictions,
        pd.read_parquet(snakemake.input.index),
        pd.read_csv(snakemake.input.heldout, sep="\t"),
    )
    curve.to_csv(snakemake.output.table, sep="\t", index=False)
    plots.plot_learning_curve(curve, snakemake.output.plot)
