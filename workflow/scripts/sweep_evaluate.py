import pandas as pd

from popsbi import abc, cnn, plots, sweeps
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake).sweeps
    out = snakemake.output
    predictions = pd.read_csv(snakemake.input.heldout, sep="\t")
    curves, areas = sweeps.roc_table(predictions, pd.read_parquet(snakemake.input.sumstats))
    curves.to_csv(out.roc, sep="\t", index=False)
    areas.to_csv(out.auc, sep="\t", index=False)
    sweeps.call_rates(predictions, snakemake.params.threshold).to_csv(out.calls, sep="\t", index=False)
    plots.plot_roc(curves, areas, out.roc_plot)
    matrix = abc.confusion_matrix(predictions["true"], predictions["predicted"], settings.classes)
    plots.plot_confusion({"sweep classifier (held out)": matrix}, out.confusion)
    plots.plot_training_curves(cnn.epoch_history(snakemake.input.metrics), out.curves, "sweep classifier")
