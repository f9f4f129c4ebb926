import pandas as pd

from popsbi import abc, abc_analysis, plots
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    out = snakemake.output
    predictions, accuracy, parameters = abc_analysis.cross_validation(
        settings, pd.read_parquet(snakemake.input.sumstats), pd.read_csv(snakemake.input.heldout, sep="\t"))
    predictions.to_csv(out.predictions, sep="\t", index=False)
    accuracy.to_csv(out.accuracy, sep="\t", index=False)
    parameters.to_csv(out.parameters, sep="\t", index=False)
    scenarios = list(settings.scenarios)
    rejection = predictions[(predictions["method"] == "rejection")
                            & (predictions["tolerance"] == settings.abc["tolerance"])]
    forest = predictions[predictions["method"] == "random_forest"]
    matrices = {f"rejection ABC (tolerance {settings.abc['tolerance']:g})":
                abc.confusion_matrix(rejection["true"], rejection["predicted"], scenarios),
                "random forest ABC": abc.confusion_matrix(forest["true"], forest["predicted"], scenarios)}
    pd.concat(matrices, names=["method"]).to_csv(out.confusion, sep="\t")
    plots.plot_confusion(matrices, out.confusion_plot)
    plots.plot_tolerance_sweep(accuracy, out.tolerance_plot)
