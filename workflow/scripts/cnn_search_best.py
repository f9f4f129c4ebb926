from popsbi import plots
from popsbi.logs import job_logging
from popsbi.nn import search
from popsbi.stages import networks

with job_logging(snakemake.log[0], snakemake.threads, snakemake.output):
    architecture = snakemake.wildcards.architecture
    study = search.open_study(
        snakemake.params.journal, networks.study_name(snakemake.params.networks, snakemake.params.search, architecture)
    )
    trials = search.trials_table(study)
    trials.to_csv(snakemake.output.trials, sep="\t", index=False)
    search.best_table(study).to_csv(snakemake.output.best, sep="\t", index=False)
    plots.plot_search_history(trials, snakemake.output.history, f"{architecture}: hyperparameter search")
