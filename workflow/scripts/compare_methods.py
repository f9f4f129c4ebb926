import pandas as pd

from popsbi import cnn_analysis, plots
from popsbi.jobs import job_settings
from popsbi.logs import job_logging

with job_logging(snakemake.log[0]):
    settings = job_settings(snakemake)
    networks = {architecture: pd.read_csv(path, sep="\t")
                for architecture, path in zip(snakemake.params.architectures, snakemake.input.cnn)}
    accuracy = cnn_analysis.compare_methods(pd.read_csv(snakemake.input.abc, sep="\t"), networks,
                                            settings.abc["tolerance"], list(settings.scenarios))
    accuracy.to_csv(snakemake.output.table, sep="\t", index=False)
    plots.plot_method_comparison(accuracy, snakemake.output.plot)
