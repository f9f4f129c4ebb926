import pandas as pd

from popsbi import cnn, cnn_analysis
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    inputs, out = snakemake.input, snakemake.output
    heldout = pd.read_csv(inputs.heldout, sep="\t")
    model, data = cnn_analysis.train(
        settings, snakemake.wildcards.architecture, inputs, heldout, pd.read_parquet(inputs.sumstats),
        int(snakemake.wildcards.percent) / 100, out.checkpoint, snakemake.threads)
    predictions = cnn.heldout_predictions(model, data)
    predictions.to_csv(out.heldout, sep="\t", index=False)
