import pandas as pd

from popsbi import plots
from popsbi.logs import job_logging
from popsbi.nn.training import load
from popsbi.stages import sweeps as sweep_stage

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    simulations, settings, out = snakemake.params.simulations, snakemake.params.planted, snakemake.output
    backgrounds = simulations.backgrounds(pd.read_csv(snakemake.input.demography, sep="\t"))
    threshold = sweep_stage.read_thresholds(snakemake.input.thresholds).at[snakemake.params.scanner, "threshold"]
    ensemble = [load(path) for path in snakemake.input.checkpoints]
    windows = sweep_stage.planted(ensemble, simulations, backgrounds, settings, threshold)
    windows.to_csv(out.windows, sep="\t", index=False)
    sweep_stage.planted_summary(windows, settings).to_csv(out.summary, sep="\t", index=False)
    plots.plot_planted(windows, threshold, out.plot)
