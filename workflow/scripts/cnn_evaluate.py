import numpy as np
import pandas as pd

from popsbi import plots
from popsbi.datasets import read_columns
from popsbi.evaluation import confusion_matrix, ensemble
from popsbi.logs import job_logging
from popsbi.nn.training import epoch_history, load
from popsbi.stages import networks

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    inputs, out = snakemake.input, snakemake.output
    architecture = snakemake.wildcards.architecture
    scenarios = list(snakemake.params.scenarios)
    plots.plot_training_curves(epoch_history(inputs.metrics), out.curves, f"network: {architecture} (first seed)")
    predictions = ensemble([pd.read_csv(path, sep="\t") for path in inputs.heldout], scenarios)
    predictions.to_csv(out.heldout, sep="\t", index=False)
    matrix = confusion_matrix(predictions["true"], predictions["predicted"], scenarios)
    matrix.to_csv(out.confusion, sep="\t")
    plots.plot_confusion({f"network {architecture} (held out)": matrix}, out.confusion_plot)
    plots.plot_calibration(
        predictions["true"], predictions[scenarios], out.calibration, f"network {architecture}: held-out calibration"
    )
    heldout_parameters = pd.read_csv(inputs.heldout_parameters, sep="\t")
    networks.parameter_accuracy(
        heldout_parameters, read_columns(inputs.sumstats, set(heldout_parameters["parameter"])), architecture
    ).to_csv(out.parameters, sep="\t", index=False)
    with np.load(inputs.observed) as observed:
        probabilities, parameters = networks.observed_ensemble(
            [load(path) for path in inputs.checkpoints],
            observed["image"],
            observed["distances"],
            pd.read_csv(inputs.observed_statistics, sep="\t").iloc[0],
        )
    probabilities.to_csv(out.observed, sep="\t", index=False)
    parameters.to_csv(out.observed_parameters, sep="\t", index=False)
