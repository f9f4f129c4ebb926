import pandas as pd

from popsbi import plots
from popsbi.logs import job_logging
from popsbi.nn import search

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    architecture = snakemake.wildcards.architecture
    # the study the workers ran (the journal keeps the studies of earlier data and settings too)
    name = pd.read_csv(snakemake.input[0], sep="\t")["study"].iloc[0]
    study = search.open_study(snakemake.params.journal, name)
    trials = search.trials_table(study)
    trials.to_csv(snakemake.output.trials, sep="\t", index=False)
    search.best_table(study).to_csv(snakemake.output.best, sep="\t", index=False)
    plots.plot_search_history(trials, snakemake.output.history, f"{architecture}: hyperparameter search")
