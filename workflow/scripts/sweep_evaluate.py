import pandas as pd

from popsbi import plots, sweeps
from popsbi.evaluation import confusion_matrix
from popsbi.logs import job_logging
from popsbi.nn.training import epoch_history

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    out, threshold = snakemake.output, snakemake.params.threshold
    predictions = pd.read_csv(snakemake.input.heldout, sep="\t")
    curves, areas = sweeps.roc_table(predictions, pd.read_parquet(snakemake.input.sumstats))
    curves.to_csv(out.roc, sep="\t", index=False)
    areas.to_csv(out.auc, sep="\t", index=False)
    sweeps.call_rates(predictions, threshold).to_csv(out.calls, sep="\t", index=False)
    plots.plot_roc(curves, areas, out.roc_plot)
    matrix = confusion_matrix(predictions["true"], predictions["predicted"], list(snakemake.params.classes))
    plots.plot_confusion({"sweep classifier (held out)": matrix}, out.confusion)
    plots.plot_training_curves(epoch_history(snakemake.input.metrics), out.curves, "sweep classifier")
