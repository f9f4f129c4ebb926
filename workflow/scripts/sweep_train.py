import pandas as pd

from popsbi import cnn, cnn_analysis, sweeps
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    inputs, out = snakemake.input, snakemake.output
    model, data = cnn_analysis.train(
        sweeps.classifier_settings(settings), snakemake.params.architecture, inputs,
        pd.read_csv(inputs.heldout, sep="\t"), None, 1.0, out.checkpoint, snakemake.threads)
    cnn.heldout_predictions(model, data).to_csv(out.heldout, sep="\t", index=False)
