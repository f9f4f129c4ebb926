import pandas as pd

from popsbi import plots
from popsbi.evaluation import confusion_matrix
from popsbi.logs import job_logging
from popsbi.stages import abc

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    settings, out = snakemake.params.abc, snakemake.output
    predictions, accuracy, parameters = abc.cross_validation(
        settings,
        pd.read_parquet(snakemake.input.sumstats),
        pd.read_csv(snakemake.input.heldout, sep="\t"),
        snakemake.threads,
    )
    predictions.to_csv(out.predictions, sep="\t", index=False)
    accuracy.to_csv(out.accuracy, sep="\t", index=False)
    parameters.to_csv(out.parameters, sep="\t", index=False)
    scenarios = list(settings.scenarios)
    rejection = predictions[(predictions["method"] == "rejection") & (predictions["tolerance"] == settings.tolerance)]
    forest = predictions[predictions["method"] == "random_forest"]
    matrices = {
        f"rejection ABC (tolerance {settings.tolerance:g})": confusion_matrix(
            rejection["true"], rejection["predicted"], scenarios
        ),
        "random forest ABC": confusion_matrix(forest["true"], forest["predicted"], scenarios),
    }
    pd.concat(matrices, names=["method"]).to_csv(out.confusion, sep="\t")
    plots.plot_confusion(matrices, out.confusion_plot)
    plots.plot_tolerance_sweep(accuracy, out.tolerance_plot)
