import pandas as pd

from popsbi import plots
from popsbi.evaluation import compare_methods, held_out_methods, seed_spread, shared_simulations
from popsbi.logs import job_logging

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    params = snakemake.params
    scenarios = list(params.scenarios)
    predictions = {
        architecture: pd.read_csv(path, sep="\t")
        for architecture, path in zip(params.architectures, snakemake.input.cnn)
    }
    methods = held_out_methods(pd.read_csv(snakemake.input.abc, sep="\t"), predictions, params.tolerance)
    accuracy = compare_methods(methods, scenarios)
    accuracy.to_csv(snakemake.output.table, sep="\t", index=False)
    seeds = iter(snakemake.input.seeds)
    per_seed = {
        f"network {architecture}": [pd.read_csv(next(seeds), sep="\t") for _ in range(params.replicates)]
        for architecture in params.architectures
    }
    seed_spread(per_seed, scenarios, shared_simulations(methods)).to_csv(snakemake.output.seeds, sep="\t", index=False)
    plots.plot_method_comparison(accuracy, snakemake.output.plot)
    plots.plot_methods_calibration(methods, scenarios, snakemake.output.calibration)
