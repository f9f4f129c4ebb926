import pandas as pd

from popsbi import cnn_analysis, plots
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    predictions = {tuple(run): pd.read_csv(path, sep="\t")
                   for run, path in zip(snakemake.params.runs, snakemake.input.predictions)}
    curve = cnn_analysis.learning_curve(settings, predictions, pd.read_parquet(snakemake.input.index),
                                        pd.read_csv(snakemake.input.heldout, sep="\t"))
    curve.to_csv(snakemake.output.table, sep="\t", index=False)
    plots.plot_learning_curve(curve, snakemake.output.plot)
