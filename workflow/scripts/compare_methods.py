import pandas as pd

from popsbi import plots
from popsbi.evaluation import compare_methods, held_out_methods
from popsbi.logs import job_logging

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    params = snakemake.params
    predictions = {
        architecture: pd.read_csv(path, sep="\t")
        for architecture, path in zip(params.architectures, snakemake.input.cnn)
    }
    methods = held_out_methods(pd.read_csv(snakemake.input.abc, sep="\t"), predictions, params.tolerance)
    accuracy = compare_methods(methods, list(params.scenarios))
    accuracy.to_csv(snakemake.output.table, sep="\t", index=False)
    plots.plot_method_comparison(accuracy, snakemake.output.plot)
    plots.plot_methods_calibration(methods, list(params.scenarios), snakemake.output.calibration)
