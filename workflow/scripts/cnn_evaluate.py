import numpy as np
import pandas as pd

from popsbi import abc, cnn, cnn_analysis, plots
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    inputs, out = snakemake.input, snakemake.output
    architecture = snakemake.wildcards.architecture
    scenarios = list(settings.scenarios)
    history = cnn.epoch_history(inputs.metrics)
    plots.plot_training_curves(history, out.curves, f"network: {architecture}")
    predictions = pd.read_csv(inputs.heldout, sep="\t")
    matrix = abc.confusion_matrix(predictions["true"], predictions["predicted"], scenarios)
    matrix.to_csv(out.confusion, sep="\t")
    plots.plot_confusion({f"CNN {architecture} (held out)": matrix}, out.confusion_plot)
    plots.plot_calibration(predictions["true"], predictions[scenarios], out.calibration,
                           f"CNN {architecture}: held-out calibration")
    cnn.parameter_accuracy(predictions, pd.read_parquet(inputs.sumstats), architecture).to_csv(
        out.parameters, sep="\t", index=False)
    with np.load(inputs.observed) as observed:
        probabilities, parameters = cnn_analysis.observed_prediction(
            cnn_analysis.load(inputs.checkpoint), observed["image"], observed["distances"])
    probabilities.to_csv(out.observed, sep="\t", index=False)
    parameters.to_csv(out.observed_parameters, sep="\t", index=False)
